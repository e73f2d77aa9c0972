/**
 * The peer network on the in-memory network (`test/support/memory-network.ts`): real nodes, their
 * real HTTP routes through Fastify inject, no sockets and no timers. Gossip along a line and
 * around a triangle; a fork resolved by a reorg that returns a transaction to the mempool; equal
 * work keeping the chain seen first; a partition of four nodes healed without losing any
 * acknowledged transaction; and lying, oversized and unreachable peers.
 */

import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Block, Transaction } from '../../src/core/block.js';
import { canonicalJson } from '../../src/core/canonical.js';
import { ErrorCode } from '../../src/core/errors.js';
import { JsonNumber, type JsonObject, type JsonValue, parseJson, writeJson } from '../../src/core/json.js';
import { checkProof, searchProof } from '../../src/core/pow.js';
import { type PeerReport, PUSH_FANOUT } from '../../src/node/peer-network.js';
import { cleanupAll } from '../support/harness.js';
import {
  chainTransactions,
  type LiarHandler,
  MemoryNetwork,
  type MemoryNode,
  pendingTransactions,
  tutorialPeer,
} from '../support/memory-network.js';

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

/** How many times `item` is in `list`. */
const count = (list: readonly string[], item: string): number => list.filter((x) => x === item).length;

/** Posts a transaction to a node's API and expects it acknowledged. Returns its canonical text. */
async function submit(n: MemoryNode, tx: { sender: string; recipient: string; amount: number }): Promise<string> {
  const answer = await net.call(n, 'POST', '/transactions/new', tx);
  expect(answer.status, answer.text).toBe(201);
  return net.canonical(tx);
}

/** The report of `peer` in a resolve outcome. */
function reportOf(peers: readonly PeerReport[], peer: MemoryNode | string): PeerReport {
  const address = typeof peer === 'string' ? peer : peer.address;
  const report = peers.find((r) => r.peer === address);
  if (!report) throw new Error(`no report for ${address} in ${JSON.stringify(peers)}`);
  return report;
}

/** The health record of `peer` on `n`. */
function healthOf(n: MemoryNode, peer: string) {
  const health = n.network.health().find((h) => h.address === peer);
  if (!health) throw new Error(`${n.name} does not track ${peer}`);
  return health;
}

describe('gossip', () => {
  it('pushes a block mined on A along the line A-B-C', async () => {
    // A line stays a line only without peer exchange (which would introduce A and C).
    net = new MemoryNetwork({ peerExchange: false });
    const [a, b, c] = (await net.createNodes(3)) as [MemoryNode, MemoryNode, MemoryNode];
    net.connect(a, b);
    net.connect(b, c);
    net.start();
    await net.settle();
    const genesis = a.node.tip.hash;
    expect([b.node.tip.hash, c.node.tip.hash]).toEqual([genesis, genesis]);

    const log = net.log.length;
    const block = await net.mine(a);
    await net.settle();

    for (const n of [a, b, c]) {
      expect(n.node.chain.length, n.name).toBe(2);
      expect(n.node.tip.hash, n.name).toBe(block.hash);
    }
    // It came by pushes, hop by hop, not by a sync pulling pages.
    const after = net.log.slice(log);
    expect(after).toContainEqual({
      from: a.address,
      to: b.address,
      method: 'POST',
      path: '/peer/blocks',
      outcome: 200,
    });
    expect(after).toContainEqual({
      from: b.address,
      to: c.address,
      method: 'POST',
      path: '/peer/blocks',
      outcome: 200,
    });
    expect(after.filter((r) => r.path.startsWith('/blocks'))).toEqual([]);
    // A does not push to C directly: they are not peers.
    expect(after.filter((r) => r.from === a.address && r.to === c.address)).toEqual([]);
  });

  it('pushes a block to a few random peers each, and it still reaches all 12 nodes of a mesh', async () => {
    net = new MemoryNetwork({ peerExchange: false });
    // 12 nodes, 11 peers each: a node every relay misses is a ~1e-6 event (20 nodes: ~1e-3 a run).
    const nodes = await net.createNodes(12);
    net.connectAll(nodes);
    net.start();
    await net.settle(5_000);
    const log = net.log.length;
    const block = await net.mine(nodes[0] as MemoryNode);
    await net.settle(5_000);
    for (const n of nodes) expect(n.node.tip.hash, n.name).toBe(block.hash);
    const pushes = net.log.slice(log).filter((r) => r.path === '/peer/blocks');
    const bySender = new Map<string, number>();
    for (const push of pushes) bySender.set(push.from, (bySender.get(push.from) ?? 0) + 1);
    // Each node pushed it to PUSH_FANOUT peers at most (flooding would be 11 each, 132 in all).
    expect(Math.max(...bySender.values())).toBe(PUSH_FANOUT);
    expect(pushes.length).toBeLessThanOrEqual(12 * PUSH_FANOUT);
    // Nothing was pulled: pushes alone reached everyone.
    expect(net.log.slice(log).filter((r) => r.path.startsWith('/blocks'))).toEqual([]);
  });

  it('relays a transaction posted to A into C’s mempool, once', async () => {
    net = new MemoryNetwork({ peerExchange: false });
    const [a, b, c] = (await net.createNodes(3)) as [MemoryNode, MemoryNode, MemoryNode];
    net.connect(a, b);
    net.connect(b, c);
    net.start();
    await net.settle();

    const tx = await submit(a, { sender: 'alice', recipient: 'bob', amount: 5 });
    await net.settle();

    for (const n of [a, b, c]) expect(pendingTransactions(n), n.name).toEqual([tx]);
    const pushesToC = net.log.filter((r) => r.to === c.address && r.path === '/peer/transactions');
    expect(pushesToC).toEqual([
      { from: b.address, to: c.address, method: 'POST', path: '/peer/transactions', outcome: 200 },
    ]);

    // Mined on C, it leaves every mempool.
    const block = await net.mine(c);
    await net.settle();
    for (const n of [a, b, c]) {
      expect(n.node.tip.hash, n.name).toBe(block.hash);
      expect(pendingTransactions(n), n.name).toEqual([]);
      expect(count(chainTransactions(n), tx), n.name).toBe(1);
    }
  });

  it('adds a transaction reaching a node by two paths (a triangle) once', async () => {
    const nodes = await net.createNodes(3);
    net.connectAll(nodes);
    net.start();
    await net.settle();

    const tx = await submit(nodes[0] as MemoryNode, { sender: 'carol', recipient: 'dave', amount: 1.5 });
    await net.settle();
    for (const n of nodes) expect(pendingTransactions(n), n.name).toEqual([tx]);
  });
});

describe('forks and reorgs', () => {
  it('switches A to B’s longer branch, returns A’s transaction to pending, and mines it again', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    net.connect(a, b);
    net.start();
    await net.settle();
    const genesis = a.node.tip.hash;
    expect(b.node.tip.hash).toBe(genesis);

    net.partition([a], [b]);
    const tx = await submit(a, { sender: 'alice', recipient: 'bob', amount: 7 });
    const ours = await net.mineMany(a, 2);
    const theirs = await net.mineMany(b, 3);
    await net.settle();
    expect(ours[0]?.transactions.map((t) => t.canonical)).toContain(tx);
    expect(a.node.chain.length).toBe(3);
    expect(b.node.chain.length).toBe(4);
    expect(pendingTransactions(b)).toEqual([]); // the partition kept it from B

    net.heal();
    const outcome = await net.resolve(a);
    expect(outcome.replaced).toBe(true);
    expect(reportOf(outcome.peers, b)).toMatchObject({ status: 'adopted', length: 4 });
    expect(outcome.returned).toBe(1);
    expect(outcome.dropped).toBe(0);
    expect(a.node.tip.hash).toBe((theirs[2] as Block).hash);
    expect(a.node.chain.map((blk) => blk.hash)).toEqual(b.node.chain.map((blk) => blk.hash));
    expect(a.node.chain[0]?.hash).toBe(genesis);
    // Back in A's mempool, and nowhere in its chain any more.
    expect(pendingTransactions(a)).toEqual([tx]);
    expect(count(chainTransactions(a), tx)).toBe(0);
    const pending = await net.call(a, 'GET', '/transactions/pending');
    expect(pending.json.count).toBe(1);

    await net.settle();
    const again = await net.mine(a);
    await net.settle();
    expect(again.transactions.map((t) => t.canonical)).toContain(tx);
    for (const n of [a, b]) {
      expect(n.node.tip.hash, n.name).toBe(again.hash);
      expect(n.node.chain.length, n.name).toBe(5);
      expect(count(chainTransactions(n), tx), n.name).toBe(1);
      expect(pendingTransactions(n), n.name).toEqual([]);
    }
  });

  it('keeps the chain seen first on equal work, until a next block breaks the tie', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    net.connect(a, b);
    net.start();
    await net.settle();

    net.partition([a], [b]);
    const [ours] = await net.mineMany(a, 1);
    const [theirs] = await net.mineMany(b, 1);
    await net.settle();
    net.heal();

    // Same work on both sides: each keeps its own (the tutorial's strictly-longer rule).
    for (const [n, own, peer] of [
      [a, ours, b],
      [b, theirs, a],
    ] as const) {
      const answer = await net.call(n, 'GET', '/nodes/resolve');
      expect(answer.status).toBe(200);
      expect(answer.json.message, n.name).toBe('Our chain is authoritative');
      expect(answer.json.chain.length, n.name).toBe(2);
      expect(answer.json.new_chain, n.name).toBeUndefined();
      expect(answer.json.peers).toEqual([expect.objectContaining({ peer: peer.address, status: 'not-longer' })]);
      expect(n.node.tip.hash, n.name).toBe(own?.hash);
    }
    // A newcomer syncing from both takes the peer it registered first, and keeps that chain.
    const c = await net.createNode('C');
    c.network.registerPeers([a.address, b.address]);
    const first = await net.resolve(c);
    expect(first.replaced).toBe(true);
    expect(reportOf(first.peers, a).status).toBe('adopted');
    expect(reportOf(first.peers, b).status).toBe('not-chosen');
    expect(c.node.tip.hash).toBe(ours?.hash);
    const second = await net.call(c, 'GET', '/nodes/resolve');
    expect(second.json.message).toBe('Our chain is authoritative');
    expect(c.node.tip.hash).toBe(ours?.hash);

    // B's next block carries more work: pushed to A, it makes A sync and switch.
    const next = await net.mine(b);
    await net.settle();
    expect(a.node.tip.hash).toBe(next.hash);
    expect(a.node.chain.map((blk) => blk.hash)).toEqual(b.node.chain.map((blk) => blk.hash));
  });
});

describe('partition and heal', () => {
  it('brings four nodes split in two back to one tip without losing an acknowledged transaction', async () => {
    const nodes = (await net.createNodes(4)) as [MemoryNode, MemoryNode, MemoryNode, MemoryNode];
    const [a, b, c, d] = nodes;
    net.connectAll(nodes);
    net.start();
    await net.settle();

    const acknowledged: string[] = [];
    acknowledged.push(await submit(a, { sender: 'alice', recipient: 'bob', amount: 1 }));
    await net.settle();
    for (const n of nodes) expect(pendingTransactions(n), n.name).toEqual([acknowledged[0]]);

    net.partition([a, b], [c, d]);
    acknowledged.push(await submit(a, { sender: 'alice', recipient: 'erin', amount: 2 }));
    acknowledged.push(await submit(c, { sender: 'carol', recipient: 'frank', amount: 3 }));
    acknowledged.push(await submit(d, { sender: 'dave', recipient: 'grace', amount: 4 }));
    await net.settle();
    // Gossip stayed on each side.
    expect(pendingTransactions(b)).toEqual(acknowledged.slice(0, 2));
    expect(pendingTransactions(c)).toEqual([acknowledged[0], acknowledged[2], acknowledged[3]]);

    // Two blocks on one side, three on the other, each pushed within its side.
    for (const n of [a, b, c, d, c]) {
      await net.mine(n);
      await net.settle();
    }
    expect(a.node.tip.hash).toBe(b.node.tip.hash);
    expect(c.node.tip.hash).toBe(d.node.tip.hash);
    expect(a.node.tip.hash).not.toBe(c.node.tip.hash);
    expect([a.node.chain.length, c.node.chain.length]).toEqual([3, 4]);

    net.heal();
    const outcome = await net.resolve(a);
    expect(outcome.replaced).toBe(true);
    expect(reportOf(outcome.peers, c).status).toBe('adopted');
    expect(reportOf(outcome.peers, d).status).toBe('not-chosen');
    expect(reportOf(outcome.peers, b).status).toBe('not-longer');
    // The transaction only A's side mined went back; the one both sides mined did not.
    expect(outcome.returned).toBe(1);
    expect(pendingTransactions(a)).toEqual([acknowledged[1]]);
    await net.settle();
    for (const n of [b, c, d]) {
      await net.resolve(n);
      await net.settle();
    }
    const tip = c.node.tip.hash;
    for (const n of nodes) expect(n.node.tip.hash, n.name).toBe(tip);
    // Each acknowledged transaction is in the common chain, or pending somewhere, and never twice.
    for (const tx of acknowledged) {
      const inChain = count(chainTransactions(c), tx);
      expect(inChain, tx).toBeLessThanOrEqual(1);
      if (inChain === 0)
        expect(
          nodes.some((n) => count(pendingTransactions(n), tx) === 1),
          tx,
        ).toBe(true);
      for (const n of nodes)
        expect(count(chainTransactions(n), tx) + count(pendingTransactions(n), tx)).toBeLessThanOrEqual(1);
    }

    // One more block from the node holding the returned transaction settles everything.
    const last = await net.mine(a);
    await net.settle();
    for (const n of nodes) {
      expect(n.node.tip.hash, n.name).toBe(last.hash);
      expect(pendingTransactions(n), n.name).toEqual([]);
      for (const tx of acknowledged) expect(count(chainTransactions(n), tx), `${n.name} ${tx}`).toBe(1);
    }
  });
});

describe('lying and failing peers', () => {
  /** A block after `n`'s tip whose proof does not solve the puzzle (everything else well formed). */
  function brokenBlockAfter(n: MemoryNode): Block {
    const template = net.profile.blockTemplate(n.node.viewAt(n.node.chain.length), 'f'.repeat(32), [], 0);
    let proof = 0;
    while (checkProof(template.puzzle, String(proof))) proof++;
    return template.seal(proof, [], net.now);
  }

  /** A blockforge-protocol liar: claims `height` blocks, then serves `blocks` after the fork point. */
  function statusLiar(n: MemoryNode, height: number, blocks: readonly Block[]): LiarHandler {
    const forkHeight = n.node.chain.length;
    return ({ method, path }) => {
      if (method === 'GET' && path === '/peer/status') {
        return {
          status: 200,
          body: {
            node_id: 'e'.repeat(32),
            profile: net.profile.name,
            ...net.profile.params,
            height,
            work: String(height),
            tip: 'f'.repeat(64),
            genesis: n.node.chain[0]?.hash,
          },
        };
      }
      if (method === 'POST' && path === '/peer/locate') return { status: 200, body: { common: forkHeight, height } };
      if (method === 'GET' && path.startsWith('/blocks?')) {
        const from = Number(new URLSearchParams(path.slice(path.indexOf('?') + 1)).get('from'));
        const page = from === forkHeight + 1 ? blocks.map((blk) => writeJson(blk.json)) : [];
        return { status: 200, body: `{"blocks":[${page.join(',')}],"height":${height}}` };
      }
      return { status: 404, body: { error: 'not found' } };
    };
  }

  it('does not adopt from a peer claiming far more work whose blocks break the proof of work, and bans it', async () => {
    const h = await net.createNode('H');
    await net.mineMany(h, 2);
    const before = h.node.chain.map((blk) => blk.hash);
    const liar = net.addLiar(net.allocateAddress().address, statusLiar(h, 1_000, [brokenBlockAfter(h)]));
    h.network.registerPeers([liar]);

    const outcome = await net.resolve(h);
    expect(outcome.replaced).toBe(false);
    expect(reportOf(outcome.peers, liar)).toMatchObject({
      status: 'invalid',
      code: ErrorCode.ProofOfWork,
      misbehaved: true,
    });
    expect(h.node.chain.map((blk) => blk.hash)).toEqual(before);
    expect(healthOf(h, liar).status).toBe('banned');

    // Banned: the next round does not even ask it.
    const asked = net.log.filter((r) => r.to === liar).length;
    const again = await net.resolve(h);
    expect(reportOf(again.peers, liar).status).toBe('banned');
    expect(net.log.filter((r) => r.to === liar).length).toBe(asked);
    expect(h.node.chain.map((blk) => blk.hash)).toEqual(before);
  });

  it('still adopts an honest longer chain beside the liar', async () => {
    const [h, p] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    await net.mineMany(h, 1);
    const honest = await net.mineMany(p, 3);
    const liar = net.addLiar(net.allocateAddress().address, statusLiar(h, 1_000, [brokenBlockAfter(h)]));
    h.network.registerPeers([liar, p.address]);

    const outcome = await net.resolve(h);
    expect(reportOf(outcome.peers, liar).status).toBe('invalid');
    expect(reportOf(outcome.peers, p).status).toBe('adopted');
    expect(h.node.tip.hash).toBe(honest[2]?.hash);
  });

  it('refuses a tutorial-style /chain whose length is inflated (LENGTH_MISMATCH)', async () => {
    const h = await net.createNode('H');
    await net.mineMany(h, 1);
    // A valid longer chain (it would win), served with a lie in "length".
    const s = await net.createNode('S');
    await net.mineMany(s, 3);
    const chain = s.node.blocksJson().toString('utf8');
    const liar = net.addLiar(net.allocateAddress().address, tutorialPeer(`{"chain":${chain},"length":50}`));
    const before = h.node.tip.hash;
    h.network.registerPeers([liar]);

    const outcome = await net.resolve(h);
    expect(outcome.replaced).toBe(false);
    expect(reportOf(outcome.peers, liar)).toMatchObject({ status: 'invalid', code: ErrorCode.LengthMismatch });
    expect(h.node.tip.hash).toBe(before);
    expect(h.node.chain.length).toBe(2);
    expect(healthOf(h, liar).kind).toBe('tutorial');
    expect(healthOf(h, liar).status).toBe('banned');
  });

  it('reports a peer sending an oversized status as too-large and bans it', async () => {
    const h = await net.createNode('H');
    const liar = net.addLiar(net.allocateAddress().address, () => ({
      status: 200,
      body: { node_id: 'e'.repeat(32), padding: 'x'.repeat(100_000) },
    }));
    h.network.registerPeers([liar]);

    const outcome = await net.resolve(h);
    expect(reportOf(outcome.peers, liar)).toMatchObject({
      status: 'too-large',
      code: ErrorCode.PeerTooLarge,
      misbehaved: true,
    });
    expect(healthOf(h, liar).status).toBe('banned');
  });

  it('reports an unreachable peer as unreachable, backs off and does not ban it', async () => {
    const [h, p] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    await net.mineMany(p, 2);
    const nobody = net.allocateAddress().address;
    h.network.registerPeers([nobody, p.address]);
    net.partition([h], [p]);

    const outcome = await net.resolve(h);
    expect(outcome.replaced).toBe(false);
    for (const peer of [nobody, p.address]) {
      expect(reportOf(outcome.peers, peer)).toMatchObject({
        status: 'unreachable',
        code: ErrorCode.PeerUnreachable,
        misbehaved: false,
      });
      const health = healthOf(h, peer);
      expect(health.status).toBe('failing');
      expect(health.bannedUntil).toBeNull();
      expect(health.failures).toBe(1);
    }
    expect(h.node.chain.length).toBe(1);

    // Not banned: once the link is back, the same peer's chain is adopted.
    net.heal();
    const healed = await net.resolve(h);
    expect(reportOf(healed.peers, p).status).toBe('adopted');
    expect(reportOf(healed.peers, nobody).status).toBe('unreachable');
    expect(h.node.tip.hash).toBe(p.node.tip.hash);
    expect(healthOf(h, p.address).status).toBe('ok');
  });
});

describe('who becomes a peer', () => {
  it('learns a node that says hello only once its address answers as that node, apart from registrations', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    // B registers A and says hello: A dials B back at the address it claims and learns it.
    b.network.registerPeers([a.address]);
    net.start(b);
    await net.settle();
    expect(healthOf(a, b.address)).toMatchObject({ origin: 'learned', kind: 'blockforge' });
    expect(healthOf(b, a.address).origin).toBe('registered');

    // A stranger saying hello with 254 made-up ports: nothing answers there, nothing is stored.
    for (let port = 1; port <= 254; port++) {
      const answer = await a.app.inject({
        method: 'POST',
        url: '/peer/hello',
        payload: { sender: { node_id: '7'.repeat(32), port } },
        remoteAddress: '10.0.0.250',
      });
      expect(JSON.parse(answer.body).added).toBe(false);
    }
    await net.settle();
    expect(a.network.peers.map((p) => p.key)).toEqual([b.address]);
    // The user's own registrations are not crowded out.
    const registered = Array.from({ length: 255 }, (_, k) => `10.1.${k >> 8}.${k & 255}:9000`);
    expect(a.network.registerPeers(registered)).toHaveLength(256);

    // Learned peers live in memory only: after a restart A keeps what the user registered.
    const again = await net.restart(a);
    expect(again.network.peers.map((p) => p.key)).toEqual(registered);
  });

  it('drops a learned peer that keeps failing; a registered one is only backed off', async () => {
    const [a, b, c] = (await net.createNodes(3)) as [MemoryNode, MemoryNode, MemoryNode];
    b.network.registerPeers([a.address]);
    net.start(b);
    await net.settle();
    expect(healthOf(a, b.address).origin).toBe('learned');
    a.network.registerPeers([c.address]);
    net.partition([a], [b, c]);
    // One failure is not enough (a short partition must not cut the two apart for good)...
    const outcome = await net.resolve(a);
    expect(reportOf(outcome.peers, b).status).toBe('unreachable');
    expect(healthOf(a, b.address)).toMatchObject({ status: 'failing', origin: 'learned' });
    // ... five in a row are.
    for (let k = 0; k < 4; k++) await net.resolve(a);
    expect(a.network.peers.map((p) => p.key)).toEqual([c.address]);
    expect(healthOf(a, c.address)).toMatchObject({ status: 'failing', origin: 'registered', failures: 5 });
  });

  it('says hello again to a peer behind it, so a peer that dropped it learns it back', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    a.network.registerPeers([b.address]);
    net.start(a);
    await net.settle();
    expect(healthOf(b, a.address).origin).toBe('learned');
    // Apart long enough for B to drop A, while A mines on.
    net.partition([a], [b]);
    for (let k = 0; k < 5; k++) await net.resolve(b);
    expect(b.network.peers).toEqual([]);
    await net.mineMany(a, 2);
    net.heal();
    // A's sync sees B behind and says hello: B learns A again, and its next sync takes A's chain.
    await net.resolve(a);
    await net.settle();
    expect(healthOf(b, a.address).origin).toBe('learned');
    expect(reportOf((await net.resolve(b)).peers, a).status).toBe('adopted');
    expect(b.node.tip.hash).toBe(a.node.tip.hash);
  });

  it('never bans a peer that a pushed block or transaction only names', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    a.network.registerPeers([b.address]);
    // From a stranger, claiming to be B (its advertised URL, then its port from B's host).
    const forged = { index: 2, timestamp: 1.5, transactions: [], proof: 1, previous_hash: a.node.tip.hash };
    for (const sender of [
      { node_id: b.node.nodeId, port: 1, advertise: `http://${b.address}` },
      { node_id: b.node.nodeId, port: b.port },
    ]) {
      const block = await a.app.inject({
        method: 'POST',
        url: '/peer/blocks',
        payload: { block: forged, sender },
        remoteAddress: b.host,
      });
      expect(block.statusCode).toBe(422);
      const tx = await a.app.inject({
        method: 'POST',
        url: '/peer/transactions',
        payload: { id: 'a'.repeat(32), transaction: { sender: '0', recipient: 'x', amount: 1 }, sender },
        remoteAddress: b.host,
      });
      expect(tx.statusCode).toBe(400);
    }
    expect(healthOf(a, b.address).status).not.toBe('banned');
    // B's real chain is still taken.
    await net.mineMany(b, 2);
    expect(reportOf((await net.resolve(a)).peers, b).status).toBe('adopted');
  });
});

describe('peers running other rules', () => {
  it('shows a peer on other rules as incompatible in its health, not ok', async () => {
    const [a] = (await net.createNodes(1)) as [MemoryNode];
    const other = net.addLiar(net.allocateAddress().address, ({ path }) =>
      path === '/peer/status'
        ? { status: 200, body: { node_id: '9'.repeat(32), profile: 'master', difficulty: 1, height: 9, work: '9' } }
        : { status: 404, body: 'Not Found' },
    );
    a.network.registerPeers([other]);
    const outcome = await net.resolve(a);
    expect(reportOf(outcome.peers, other).status).toBe('incompatible');
    expect(healthOf(a, other)).toMatchObject({ status: 'incompatible', lastError: expect.stringMatching(/master/) });
    expect(a.node.chain.length).toBe(1);
  });
});

describe('what the review found', () => {
  /** A block after `n`'s tip, valid, holding `txs` (any JSON, as a tutorial node stores it). */
  function validBlockAfter(n: MemoryNode, txs: Transaction[] = []): Block {
    const template = net.profile.blockTemplate(n.node.viewAt(n.node.chain.length), 'f'.repeat(32), [], 0);
    const { proof } = searchProof(template.puzzle, 0, 1e8);
    return template.seal(proof as number, txs, net.now);
  }

  /** A transaction as a tutorial node stores whatever its client sent. */
  function junk(amount: JsonValue): Transaction {
    const json = { sender: 'a', recipient: 'b', amount } as unknown as JsonObject;
    Object.setPrototypeOf(json, null);
    const canonical = canonicalJson(json);
    return { json, canonical, id: canonical };
  }

  it('keeps resolving when a peer answers its status with objects where text belongs', async () => {
    const [h, p] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    await net.mineMany(p, 2);
    const odd = net.addLiar(net.allocateAddress().address, ({ path }) =>
      path === '/peer/status'
        ? { status: 200, body: { node_id: '9'.repeat(32), profile: {}, difficulty: [], height: 5 } }
        : { status: 404, body: 'Not Found' },
    );
    h.network.registerPeers([odd, p.address]);
    const answer = await net.call(h, 'GET', '/nodes/resolve');
    expect(answer.status).toBe(200);
    const outcome = JSON.parse(answer.text) as { peers: PeerReport[] };
    expect(reportOf(outcome.peers, odd).status).toBe('incompatible');
    expect(reportOf(outcome.peers, p).status).toBe('adopted');
  });

  it('does not ban a tutorial peer for a chain its own rules accept, and reads deep junk as Python writes it', async () => {
    const [h] = (await net.createNodes(1)) as [MemoryNode];
    // A tutorial chain whose tip pays a reward of 2: the tutorial's valid_chain checks only links and
    // proofs (seed's proof does not cover the contents), so an honest tutorial node may relay it.
    const s = await net.createNode('S');
    await net.mineMany(s, 2);
    const chain = s.node.chain.map((b) => parseJson(writeJson(b.json)) as JsonObject);
    const txs = (chain[2] as JsonObject).transactions as JsonObject[];
    (txs[txs.length - 1] as JsonObject).amount = JsonNumber.int(2);
    const odd = net.addLiar(
      net.allocateAddress().address,
      tutorialPeer(`{"chain":[${chain.map((b) => writeJson(b)).join(',')}],"length":3}`),
    );
    h.network.registerPeers([odd]);
    const outcome = await net.resolve(h);
    expect(reportOf(outcome.peers, odd)).toMatchObject({
      status: 'invalid',
      code: 'REWARD_INVALID',
      misbehaved: false,
    });
    expect(healthOf(h, odd).status).not.toBe('banned');

    // 70 levels of nesting in an amount (Python reads and writes them): a valid chain, adopted.
    let deep: JsonValue = JsonNumber.int(1);
    for (let k = 0; k < 70; k++) deep = [deep];
    const t = await net.createNode('T');
    const block = validBlockAfter(t, [junk(deep)]);
    const text = `{"chain":[${[...t.node.chain, block].map((b) => writeJson(b.json)).join(',')}],"length":2}`;
    const deepPeer = net.addLiar(net.allocateAddress().address, tutorialPeer(text));
    h.network.registerPeers([deepPeer]);
    expect(reportOf((await net.resolve(h)).peers, deepPeer).status).toBe('adopted');
    expect(h.node.tip.hash).toBe(block.hash);
  });

  it('takes a pushed block holding NaN and -Infinity, as a tutorial chain may', async () => {
    const [h] = (await net.createNodes(1)) as [MemoryNode];
    const block = validBlockAfter(h, [junk(JsonNumber.float(Number.NaN)), junk(JsonNumber.float(-Infinity))]);
    const text = writeJson(block.json);
    expect(text).toContain('NaN');
    const answer = await h.app.inject({
      method: 'POST',
      url: '/peer/blocks',
      payload: `{"block":${text},"sender":{"node_id":"${'b'.repeat(32)}","port":1}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(JSON.parse(answer.body)).toEqual({ status: 'appended' });
    expect(h.node.tip.hash).toBe(block.hash);
  });

  it('bans a peer that delivers less work than it claimed', async () => {
    const h = await net.createNode('H');
    const s = await net.createNode('S');
    const blocks = await net.mineMany(s, 2);
    const liar = net.addLiar(net.allocateAddress().address, ({ method, path }) => {
      if (path === '/peer/status') {
        return {
          status: 200,
          body: { node_id: 'e'.repeat(32), profile: net.profile.name, ...net.profile.params, height: 3, work: '1000' },
        };
      }
      if (method === 'POST' && path === '/peer/locate') return { status: 200, body: { common: 1, height: 3 } };
      if (path.startsWith('/blocks?')) {
        return { status: 200, body: `{"blocks":[${blocks.map((b) => writeJson(b.json)).join(',')}],"height":3}` };
      }
      return { status: 404, body: 'Not Found' };
    });
    h.network.registerPeers([liar]);
    // The blocks are valid, but less work than claimed is a lie: the peer is banned, nothing adopted.
    const outcome = await net.resolve(h);
    expect(reportOf(outcome.peers, liar)).toMatchObject({ status: 'bad-response', misbehaved: true });
    expect(healthOf(h, liar).status).toBe('banned');
  });

  it('lets an honest address be learned although a stranger claimed it with another node id', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    const stranger = await a.app.inject({
      method: 'POST',
      url: '/peer/hello',
      payload: { sender: { node_id: '7'.repeat(32), port: 1, advertise: `http://${b.address}` } },
      remoteAddress: '10.0.0.250',
    });
    expect(JSON.parse(stranger.body).added).toBe(false);
    const honest = await a.app.inject({
      method: 'POST',
      url: '/peer/hello',
      payload: { sender: { node_id: b.node.nodeId, port: b.port } },
      remoteAddress: b.host,
    });
    expect(JSON.parse(honest.body).added).toBe(true);
  });

  it('does not learn a second address for a peer it already has (localhost and 127.0.0.1)', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    a.network.registerPeers([b.address]);
    await net.resolve(a); // A learns B's node id
    // B answers at another address too (another spelling of its host), and says hello from there.
    const alias = net.addLiar(net.allocateAddress().address, () => ({
      status: 200,
      body: { node_id: b.node.nodeId, profile: net.profile.name, ...net.profile.params, height: 1 },
    }));
    const hello = await a.app.inject({
      method: 'POST',
      url: '/peer/hello',
      payload: { sender: { node_id: b.node.nodeId, port: 1, advertise: `http://${alias}` } },
      remoteAddress: alias.slice(0, alias.lastIndexOf(':')),
    });
    expect(JSON.parse(hello.body).added).toBe(true);
    expect(a.network.peers.map((p) => p.key)).toEqual([b.address]);
  });

  it('does not let a hello naming a failing peer reset its backoff, unless that peer answers', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    a.network.registerPeers([b.address]);
    net.partition([a], [b]);
    await net.resolve(a);
    expect(healthOf(a, b.address)).toMatchObject({ status: 'failing', failures: 1 });
    // A stranger names B: B is still cut off, so nothing changes.
    const stranger = await a.app.inject({
      method: 'POST',
      url: '/peer/hello',
      payload: { sender: { node_id: b.node.nodeId, port: b.port } },
      remoteAddress: b.host,
    });
    expect(JSON.parse(stranger.body).added).toBe(false);
    expect(healthOf(a, b.address)).toMatchObject({ status: 'failing', failures: 1 });
    // B is back and says so: checked, and healthy again.
    net.heal();
    net.advance(60);
    const back = await a.app.inject({
      method: 'POST',
      url: '/peer/hello',
      payload: { sender: { node_id: b.node.nodeId, port: b.port } },
      remoteAddress: b.host,
    });
    expect(JSON.parse(back.body).added).toBe(true);
    expect(healthOf(a, b.address)).toMatchObject({ status: 'ok', failures: 0 });
  });

  it('shares one round between callers resolving at the same time', async () => {
    const [h] = (await net.createNodes(1)) as [MemoryNode];
    let fetched = 0;
    const peer = net.addLiar(
      net.allocateAddress().address,
      tutorialPeer(`{"chain":[${writeJson(h.node.chain[0]?.json as JsonObject)}],"length":1}`, () => fetched++),
    );
    h.network.registerPeers([peer]);
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => net.call(h, 'GET', '/nodes/resolve')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(fetched).toBe(1);
  });
});

describe('what the red team found', () => {
  it('does not treat a learned peer that stops answering as a blockforge node as a tutorial node', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    b.network.registerPeers([a.address]);
    net.start(b);
    await net.settle();
    expect(healthOf(a, b.address).origin).toBe('learned');
    // B's address now answers like a tutorial node with a huge junk /chain.
    await net.remove(b);
    let chainAsked = 0;
    net.addLiar(
      b.address,
      tutorialPeer(`{"chain":[${'0,'.repeat(999)}0],"length":1000}`, () => chainAsked++),
    );
    const outcome = await net.resolve(a);
    expect(reportOf(outcome.peers, b.address)).toMatchObject({ misbehaved: true });
    expect(chainAsked).toBe(0);
    expect(healthOf(a, b.address).status).toBe('banned');
  });

  it('bans a tutorial peer whose chain holds something that is not a block', async () => {
    const [a] = (await net.createNodes(1)) as [MemoryNode];
    const junk = net.addLiar(
      net.allocateAddress().address,
      tutorialPeer(`{"chain":[${'0,'.repeat(99)}0],"length":100}`),
    );
    a.network.registerPeers([junk]);
    expect(reportOf((await net.resolve(a)).peers, junk)).toMatchObject({ misbehaved: true });
    expect(healthOf(a, junk).status).toBe('banned');
  });

  it('does not ban a peer whose first page no longer links to the fork point (it moved meanwhile)', async () => {
    const [a, s] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    await net.mineMany(s, 3); // another branch: block 2 of it does not link to anything of A's but genesis
    await net.mineMany(a, 1);
    const pages = s.node.chain.slice(2).map((b) => writeJson(b.json));
    const moved = net.addLiar(net.allocateAddress().address, ({ method, path }) => {
      if (path === '/peer/status') {
        return {
          status: 200,
          body: { node_id: 'e'.repeat(32), profile: net.profile.name, ...net.profile.params, height: 4, work: '4' },
        };
      }
      // It says it shares our block 2, then serves a branch that does not build on it.
      if (method === 'POST' && path === '/peer/locate') return { status: 200, body: { common: 2, height: 4 } };
      if (path.startsWith('/blocks?')) return { status: 200, body: `{"blocks":[${pages.join(',')}],"height":4}` };
      return { status: 404, body: 'Not Found' };
    });
    a.network.registerPeers([moved]);
    const outcome = await net.resolve(a);
    expect(reportOf(outcome.peers, moved)).toMatchObject({ status: 'moved', misbehaved: false });
    expect(healthOf(a, moved).status).toBe('failing');
    // Once is no one's fault; sync after sync, it is a peer serving pages that never link.
    await net.resolve(a);
    const third = await net.resolve(a);
    expect(reportOf(third.peers, moved)).toMatchObject({ status: 'moved', misbehaved: true });
    expect(healthOf(a, moved).status).toBe('banned');
  });

  it('relays to a peer whose node id a stranger claims', async () => {
    const [a, c] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    a.network.registerPeers([c.address]);
    net.start(a);
    await net.settle();
    const id = 'c'.repeat(32);
    const pushed = await a.app.inject({
      method: 'POST',
      url: '/peer/transactions',
      payload: {
        id,
        transaction: { sender: 's', recipient: 'r', amount: 1 },
        sender: { node_id: c.node.nodeId, port: 9 },
      },
      remoteAddress: '10.0.0.250',
    });
    expect(JSON.parse(pushed.body)).toEqual({ status: 'added' });
    await net.settle();
    expect(c.node.pendingTransactions.length).toBe(1);
  });

  it('removes a peer that turns out to be this node itself', async () => {
    const [a] = (await net.createNodes(1)) as [MemoryNode];
    const alias = net.addLiar(net.allocateAddress().address, () => ({
      status: 200,
      body: { node_id: a.node.nodeId, height: 1 },
      headers: { 'x-blockforge-node-id': a.node.nodeId },
    }));
    a.network.registerPeers([alias]);
    const outcome = await net.resolve(a);
    expect(reportOf(outcome.peers, alias).status).toBe('self');
    expect(a.network.peers).toEqual([]);
  });

  it('refuses a hello that is not an object, and a body with a byte-order mark', async () => {
    const [a] = (await net.createNodes(1)) as [MemoryNode];
    for (const payload of ['[1]', 'null', '{}']) {
      const res = await a.app.inject({ method: 'POST', url: '/peer/hello', payload });
      expect(res.statusCode, payload).toBe(400);
    }
    const bom = await a.app.inject({
      method: 'POST',
      url: '/transactions/new',
      payload: '\ufeff{"sender": "a", "recipient": "b", "amount": 1}',
    });
    expect(bom.statusCode).toBe(400);
    expect(JSON.parse(bom.body).code).toBe('INVALID_JSON');
  });
});

describe('what the second red-team pass found', () => {
  it('bans a tutorial peer whose chain its own valid_chain could not read ([{}, {}, ...])', async () => {
    const [a] = (await net.createNodes(1)) as [MemoryNode];
    const junk = net.addLiar(
      net.allocateAddress().address,
      tutorialPeer(`{"chain":[${'{},'.repeat(99)}{}],"length":100}`),
    );
    a.network.registerPeers([junk]);
    expect(reportOf((await net.resolve(a)).peers, junk)).toMatchObject({ misbehaved: true });
    expect(healthOf(a, junk).status).toBe('banned');
  });

  it('pushes a block on to the peer a stranger names as its sender', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    net.connect(a, b);
    net.start(a, b);
    await net.settle();
    // A valid next block on A's tip, pushed by a stranger naming B as its sender.
    const template = net.profile.blockTemplate(a.node.viewAt(a.node.chain.length), 'f'.repeat(32), [], 0);
    const { proof } = searchProof(template.puzzle, 0, 1e8);
    const next = template.seal(proof as number, [], net.now);
    const pushed = await a.app.inject({
      method: 'POST',
      url: '/peer/blocks',
      payload: `{"block":${writeJson(next.json)},"sender":{"node_id":"${'e'.repeat(32)}","port":1,"advertise":"http://${b.address}"}}`,
      headers: { 'content-type': 'application/json' },
      remoteAddress: '10.0.0.250',
    });
    expect(JSON.parse(pushed.body)).toEqual({ status: 'appended' });
    await net.settle();
    expect(b.node.tip.hash).toBe(next.hash);
  });

  it('reads at most two pushed blocks at once (503 BUSY beyond)', async () => {
    const [a] = (await net.createNodes(1)) as [MemoryNode];
    const big = `{"block":{"x":[${'{},'.repeat(500_000)}{}]},"sender":{"node_id":"${'e'.repeat(32)}","port":1}}`;
    const answers = await Promise.all(
      [1, 2, 3, 4].map(() =>
        a.app.inject({
          method: 'POST',
          url: '/peer/blocks',
          payload: big,
          headers: { 'content-type': 'application/json' },
        }),
      ),
    );
    const statuses = answers.map((r) => r.statusCode).sort();
    expect(statuses).toContain(503);
    const busy = answers.find((r) => r.statusCode === 503);
    expect(JSON.parse(busy?.body ?? '{}').code).toBe('BUSY');
    expect(busy?.headers['retry-after']).toBe('1');
    // Nothing stays counted: one at a time is read again.
    const after = await a.app.inject({
      method: 'POST',
      url: '/peer/blocks',
      payload: big,
      headers: { 'content-type': 'application/json' },
    });
    expect(after.statusCode).toBe(422);
  });
});

describe('a full table of learned peers', () => {
  it('makes room for a newcomer ahead of the lowest one, never touching registered peers', async () => {
    const [a, c] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    const registered = net.allocateAddress().address;
    a.network.registerPeers([registered]);
    // 64 nodes that answer as blockforge nodes at height 1 fill the learned table.
    for (let k = 0; k < 64; k++) {
      const id = k.toString(16).padStart(32, '0');
      const address = net.addLiar(net.allocateAddress().address, () => ({
        status: 200,
        body: { node_id: id, profile: net.profile.name, ...net.profile.params, height: 1 },
      }));
      const [host, port] = [
        address.slice(0, address.lastIndexOf(':')),
        Number(address.slice(address.lastIndexOf(':') + 1)),
      ];
      const hello = await a.app.inject({
        method: 'POST',
        url: '/peer/hello',
        payload: { sender: { node_id: id, port } },
        remoteAddress: host,
      });
      expect(JSON.parse(hello.body).added).toBe(true);
    }
    expect(a.network.peers.length).toBe(65);
    // An honest node ahead of them says hello: one of them makes room.
    await net.mineMany(c, 2);
    const hello = await a.app.inject({
      method: 'POST',
      url: '/peer/hello',
      payload: { sender: { node_id: c.node.nodeId, port: c.port } },
      remoteAddress: c.host,
    });
    expect(JSON.parse(hello.body).added).toBe(true);
    expect(a.network.peers.map((p) => p.key)).toContain(c.address);
    expect(a.network.peers.map((p) => p.key)).toContain(registered);
    expect(a.network.peers.length).toBe(65);
  });
});
