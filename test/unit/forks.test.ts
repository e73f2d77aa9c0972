/**
 * Forks made visible (issue 11): the stale-block store (bounds by count and bytes, eviction), the
 * node's `reorg` event on the in-memory network (partition, mine on both sides, heal, resolve),
 * tied siblings kept as stale blocks, `GET /forks` (both branches, the active one marked),
 * `GET /network` (peers grouped by the branch they are on) and both routes' answers to hostile
 * query strings.
 */

import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseJson } from '../../src/core/json.js';
import type { ReorgEvent, StaleEvent } from '../../src/node/node-events.js';
import { StaleBlocks } from '../../src/node/stale-blocks.js';
import { cleanupAll } from '../support/harness.js';
import { MemoryNetwork, type MemoryNode } from '../support/memory-network.js';

const entry = (hash: string, bytes: number, height = 2) => ({
  height,
  hash,
  parent: 'p',
  work: BigInt(height),
  source: 'reorg' as const,
  peer: null,
  json: Buffer.alloc(bytes, 0x20),
});

describe('stale-block store', () => {
  it('evicts the oldest past its count', () => {
    const store = new StaleBlocks({ maxBlocks: 3, maxBytes: 1_000 });
    for (const h of ['a', 'b', 'c', 'd', 'e']) expect(store.add(entry(h, 10), 100)).toBe(true);
    expect(store.list().map((b) => b.hash)).toEqual(['c', 'd', 'e']);
    expect(store.size).toBe(3);
    expect(store.bytes).toBe(30);
    expect(store.has('a')).toBe(false);
  });

  it('evicts the oldest past its bytes, refuses a block over the bound alone, and counts removals', () => {
    const store = new StaleBlocks({ maxBlocks: 100, maxBytes: 100 });
    store.add(entry('a', 40), 1);
    store.add(entry('b', 40), 2);
    store.add(entry('c', 40), 3);
    expect(store.list().map((b) => b.hash)).toEqual(['b', 'c']);
    expect(store.bytes).toBe(80);
    expect(store.add(entry('huge', 101), 4)).toBe(false);
    expect(store.list().map((b) => b.hash)).toEqual(['b', 'c']);
    // A block kept already is kept once.
    expect(store.add(entry('b', 40), 5)).toBe(false);
    expect(store.remove('b')).toBe(true);
    expect(store.remove('b')).toBe(false);
    expect(store.bytes).toBe(40);
    expect(store.get('c')?.seenAt).toBe(3);
  });

  it('remembers when active blocks arrived, bounded, and keeps that time when one turns stale', () => {
    const store = new StaleBlocks({ maxSightings: 2 });
    store.sawActive('x', 10);
    store.sawActive('x', 11);
    store.sawActive('y', 12);
    expect(store.seenAt('x')).toBe(10);
    store.add(entry('y', 5), 99);
    expect(store.get('y')?.seenAt).toBe(12);
    // At least the last 2 are remembered, at most 4: x goes once two newer generations came.
    store.sawActive('z', 13);
    expect(store.seenAt('x')).toBe(10);
    store.sawActive('w', 14);
    expect(store.seenAt('x')).toBeNull();
    expect(store.seenAt('z')).toBe(13);
    expect(store.seenAt('nothing')).toBeNull();
  });
});

let net: MemoryNetwork;
beforeEach(() => {
  net = new MemoryNetwork();
});
afterEach(async () => {
  await net.closeAll();
});
afterAll(async () => {
  await cleanupAll();
});

async function submit(n: MemoryNode, tx: { sender: string; recipient: string; amount: number }): Promise<string> {
  const answer = await net.call(n, 'POST', '/transactions/new', tx);
  expect(answer.status, answer.text).toBe(201);
  return n.node.profile.parseTransaction(parseJson(JSON.stringify(tx))).id;
}

describe('a fork and its reorg on the in-memory network', () => {
  it('partition, mine on both sides, heal, resolve: one reorg event with the fork point, blocks and transactions', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    net.connect(a, b);
    net.partition([a], [b]);
    const genesis = a.node.chain[0];
    expect(b.node.chain[0]?.hash).toBe(genesis?.hash);
    const ours = await net.mine(b);
    const txId = await submit(b, { sender: 'alice', recipient: 'bob', amount: 3 });
    const ours2 = await net.mine(b);
    const theirs = await net.mineMany(a, 3);
    const reorgs: ReorgEvent[] = [];
    b.node.events.on('reorg', (e) => reorgs.push(e));
    const workBefore = b.node.chainWork;

    net.heal();
    const outcome = await net.resolve(b);
    expect(outcome.replaced).toBe(true);
    expect(reorgs).toHaveLength(1);
    const reorg = reorgs[0] as ReorgEvent;
    expect(reorg.fork).toEqual({ height: 1, hash: genesis?.hash });
    expect(reorg.dropped).toEqual([
      { height: 2, hash: ours.hash },
      { height: 3, hash: ours2.hash },
    ]);
    expect(reorg.droppedCount).toBe(2);
    expect(reorg.added).toEqual(theirs.map((blk) => ({ height: blk.height, hash: blk.hash })));
    expect(reorg.addedCount).toBe(3);
    expect(reorg.returned).toEqual([txId]);
    expect(reorg.returnedCount).toBe(1);
    expect(reorg.oldTip).toEqual({ height: 3, hash: ours2.hash, work: workBefore });
    expect(reorg.newTip).toEqual({ height: 4, hash: theirs[2]?.hash, work: b.node.chainWork });
    expect(reorg.peer).toBe(a.address);
    expect(b.node.pendingTransactions.map((tx) => tx.id)).toContain(txId);

    // The tree: both branches, the active one marked; our dropped blocks are stale, from the reorg.
    const forks = await net.call(b, 'GET', '/forks');
    expect(forks.status).toBe(200);
    const byHash = new Map(forks.json.blocks.map((blk: { hash: string }) => [blk.hash, blk]));
    for (const blk of theirs) expect(byHash.get(blk.hash)).toMatchObject({ active: true, height: blk.height });
    expect(byHash.get(ours.hash)).toMatchObject({
      active: false,
      height: 2,
      parent: genesis?.hash,
      work: '2',
      source: 'reorg',
    });
    expect(byHash.get(ours2.hash)).toMatchObject({ active: false, parent: ours.hash, work: '3' });
    expect(typeof (byHash.get(ours2.hash) as { seen_at: unknown }).seen_at).toBe('number');
    expect(forks.json.tips).toEqual([
      { height: 4, hash: theirs[2]?.hash, work: '4', active: true, fork_height: null },
      { height: 3, hash: ours2.hash, work: '3', active: false, fork_height: 1 },
    ]);
    expect(forks.json).toMatchObject({ height: 4, from: 1, stale: { count: 2, max_blocks: 1000 } });

    // A's block adopted back (a reorg to the dropped branch) leaves the stale store.
    const limited = await net.call(b, 'GET', '/forks?limit=2');
    expect(limited.json.from).toBe(3);
    // Stale blocks below the window are left out.
    expect(limited.json.blocks.map((blk: { hash: string }) => blk.hash)).toEqual([
      theirs[1]?.hash,
      theirs[2]?.hash,
      ours2.hash,
    ]);
  });

  it('keeps a pushed sibling that ties our work as a stale block, and says so on the event stream', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    const mine = await net.mine(b);
    const sibling = await net.mine(a);
    const stale: StaleEvent[] = [];
    b.node.events.on('stale', (e) => stale.push(e));
    expect(b.node.offerBlock(sibling.json, a.address)).toBe('stale');
    expect(b.node.tip.hash).toBe(mine.hash);
    expect(stale).toEqual([
      {
        block: { height: 2, hash: sibling.hash },
        parent: sibling.parentHash,
        work: 2n,
        source: 'sibling',
        peer: a.address,
      },
    ]);
    // Offered again: known as stale, not validated or announced twice.
    expect(b.node.offerBlock(sibling.json)).toBe('stale');
    expect(stale).toHaveLength(1);
    const forks = await net.call(b, 'GET', '/forks');
    expect(forks.json.tips).toEqual([
      { height: 2, hash: mine.hash, work: '2', active: true, fork_height: null },
      { height: 2, hash: sibling.hash, work: '2', active: false, fork_height: 1 },
    ]);
    // A block on top of the sibling: more work, so B switches to it; the sibling leaves the store.
    const next = await net.mine(a);
    const reorgs: ReorgEvent[] = [];
    b.node.events.on('reorg', (e) => reorgs.push(e));
    net.connect(a, b);
    expect(b.node.offerBlock(next.json, a.address)).toBe('ahead');
    await net.resolve(b);
    expect(b.node.tip.hash).toBe(next.hash);
    expect(reorgs[0]?.fork.height).toBe(1);
    expect(b.node.staleBlocks.has(sibling.hash)).toBe(false);
    expect(b.node.staleBlocks.has(mine.hash)).toBe(true);
  });

  it('groups the peers by the branch they are on: same tip, behind, another branch, another genesis', async () => {
    const [a, b, c, d] = (await net.createNodes(4)) as [MemoryNode, MemoryNode, MemoryNode, MemoryNode];
    // B registers everyone; C mines apart (a branch of its own), D stays at genesis (behind).
    b.network.registerPeers([a.address, c.address, d.address]);
    await net.mineMany(a, 2);
    await net.mine(c);
    const other = net.allocateAddress();
    net.addLiar(other.address, ({ path }) =>
      path === '/peer/status'
        ? {
            status: 200,
            body: {
              node_id: 'f'.repeat(32),
              profile: 'seed',
              difficulty: 1,
              height: 7,
              work: '7',
              tip: 'ab'.repeat(32),
              genesis: 'cd'.repeat(32),
            },
          }
        : { status: 404, body: { code: 'NOT_FOUND' } },
    );
    const silent = net.allocateAddress();
    b.network.registerPeers([other.address, silent.address]);
    net.partition([b], [silent.address]);
    await net.resolve(b);
    expect(b.node.tip.hash).toBe(a.node.tip.hash);

    const answer = await net.call(b, 'GET', '/network');
    expect(answer.status).toBe(200);
    const { self, peers, groups } = answer.json;
    expect(self).toMatchObject({
      node_id: b.node.nodeId,
      profile: 'seed',
      params: { difficulty: '1' },
      height: 3,
      tip: a.node.tip.hash,
      genesis: b.node.chain[0]?.hash,
    });
    const peer = (address: string) => peers.find((p: { address: string }) => p.address === address);
    expect(peer(a.address)).toMatchObject({
      relation: 'same',
      tip: a.node.tip.hash,
      height: 3,
      work: '3',
      profile: 'seed',
      params: { difficulty: '1' },
      genesis: b.node.chain[0]?.hash,
      ahead: false,
    });
    expect(peer(c.address)).toMatchObject({ relation: 'other-branch', tip: c.node.tip.hash, height: 2, ahead: false });
    expect(peer(d.address)).toMatchObject({ relation: 'behind', tip: d.node.tip.hash, height: 1 });
    expect(peer(other.address)).toMatchObject({ relation: 'other-network', genesis: 'cd'.repeat(32), height: 7 });
    expect(peer(silent.address)).toMatchObject({ relation: 'unknown', tip: null });
    expect(
      groups.map((g: { relation: string; self: boolean; peers: string[] }) => [g.relation, g.self, g.peers]),
    ).toEqual([
      ['same', true, [a.address]],
      ['behind', false, [d.address]],
      ['other-branch', false, [c.address]],
      ['other-network', false, [other.address]],
      ['unknown', false, [silent.address]],
    ]);
  });
});

describe('hostile query strings', () => {
  it.each([
    '/forks?limit=0',
    '/forks?limit=501',
    '/forks?limit=-1',
    '/forks?limit=abc',
    '/forks?limit=1.5',
    '/forks?limit=99999999999999999999999',
    '/forks?limit=',
    '/forks?limit=1&limit=2',
  ])('%s: 400 in the one error shape', async (url) => {
    const [n] = (await net.createNodes(1)) as [MemoryNode];
    const answer = await net.call(n, 'GET', url);
    expect(answer.status, answer.text).toBe(400);
    expect(Object.keys(answer.json).sort()).toEqual(expect.arrayContaining(['code', 'error', 'message', 'statusCode']));
    expect(answer.json).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(typeof answer.json.code).toBe('string');
  });

  it('ignores unknown parameters, and answers 405 for other methods', async () => {
    const [n] = (await net.createNodes(1)) as [MemoryNode];
    expect((await net.call(n, 'GET', '/forks?limit=500&x=%00')).status).toBe(200);
    expect((await net.call(n, 'GET', '/network?pretty')).status).toBe(200);
    const post = await net.call(n, 'POST', '/network', {});
    expect(post.status).toBe(405);
    expect(post.json).toMatchObject({ statusCode: 405, code: 'METHOD_NOT_ALLOWED' });
  });
});
