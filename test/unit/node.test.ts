/**
 * The node layer's parts on their own: mempool reconciliation, peer addresses, group commit,
 * the SQLite store's atomic operations, and the proof-of-work pool.
 */

import { afterAll, describe, expect, it } from 'vitest';
import type { Block, Transaction } from '../../src/core/block.js';
import { BlockforgeError } from '../../src/core/errors.js';
import { parseJson } from '../../src/core/json.js';
import { searchProof } from '../../src/core/pow.js';
import { createProfile } from '../../src/core/profiles.js';
import { BlockforgeNode } from '../../src/node/blockforge-node.js';
import { GroupCommit } from '../../src/node/group-commit.js';
import { ProofMiner } from '../../src/node/miner.js';
import { isSelfAddress, localHosts, parsePeerAddress } from '../../src/node/peer-address.js';
import { reconcileMempool } from '../../src/node/reconcile.js';
import { ChainStore } from '../../src/node/storage.js';
import { extendChain, storedBlock } from '../support/forge.js';
import { cleanupAll, tempDir } from '../support/harness.js';
import { WORKER_URL } from '../support/in-process.js';

afterAll(cleanupAll);

const profile = createProfile('seed', { difficulty: 1 });
const tx = (sender: string, amount = 1): Transaction =>
  profile.parseTransaction(parseJson(`{"sender": "${sender}", "recipient": "r", "amount": ${amount}}`));

/** A chain of blocks holding the given transactions, built on `base`. */
function extend(base: Block[], blocksTxs: Transaction[][], node = 'n'.repeat(32), t0 = 1000): Block[] {
  return extendChain(profile, base, blocksTxs, node, t0);
}

/** Never returned to the mempool after a reorg: rewards (and whatever policy refuses). */
const excluded = (t: Transaction): boolean => !profile.returnsToMempool(t);

describe('reconcileMempool', () => {
  const genesis = [profile.createGenesis(1)];
  const common = extend(genesis, [[tx('c1')]]);

  it('returns dropped transactions the adopted chain lacks, and drops pending ones it has', () => {
    const ours = extend(common, [[tx('a'), tx('b')]], 'o'.repeat(32));
    const theirs = extend(common, [[tx('b')], [tx('p')]], 't'.repeat(32), 5000);
    const result = reconcileMempool(ours, theirs, [tx('p'), tx('q')], excluded);
    expect(result.common).toBe(2);
    // a came back (b is in their chain, rewards never come back); p is now mined, q stays.
    expect(result.pending.map((t) => t.json.sender)).toEqual(['a', 'q']);
    expect(result.returned).toBe(1);
    expect(result.dropped).toBe(1);
  });

  it('compares as a multiset: two identical payments stay two', () => {
    const ours = extend(common, [[tx('x'), tx('x')]], 'o'.repeat(32));
    const theirs = extend(common, [[tx('x')], []], 't'.repeat(32), 5000);
    const result = reconcileMempool(ours, theirs, [], excluded);
    expect(result.pending.map((t) => t.json.sender)).toEqual(['x']);
  });

  it('tells amounts 5 and 5.0 apart, as Python does', () => {
    const ours = extend(common, [[tx('y', 5)]], 'o'.repeat(32));
    const theirs = extend(common, [[tx('y', 5.0)], []], 't'.repeat(32), 5000);
    expect(tx('y', 5).canonical).toBe(tx('y', 5).canonical);
    const result = reconcileMempool(ours, theirs, [], excluded);
    expect(result.pending.map((t) => t.json.sender)).toEqual([]);
    const float = profile.parseTransaction(parseJson('{"sender": "y", "recipient": "r", "amount": 5.0}'));
    const theirsFloat = extend(common, [[float], []], 't'.repeat(32), 5000);
    expect(reconcileMempool(ours, theirsFloat, [], excluded).pending.length).toBe(1);
  });

  it('handles a different genesis (nothing in common)', () => {
    const ours = extend([profile.createGenesis(2)], [[tx('m')]]);
    const theirs = extend(genesis, [[], []]);
    const result = reconcileMempool(ours, theirs, [tx('k')], excluded);
    expect(result.common).toBe(0);
    expect(result.pending.map((t) => t.json.sender)).toEqual(['m', 'k']);
  });
});

describe('parsePeerAddress', () => {
  it.each([
    ['http://localhost:5000', 'localhost:5000', 'http://localhost:5000'],
    ['http://localhost:5000/', 'localhost:5000', 'http://localhost:5000'],
    ['192.168.0.5:5000', '192.168.0.5:5000', 'http://192.168.0.5:5000'],
    ['HTTP://Node-A.Example:80', 'node-a.example:80', 'http://node-a.example:80'],
    ['https://secure:8443', 'https://secure:8443', 'https://secure:8443'],
    ['[::1]:5000', '[::1]:5000', 'http://[::1]:5000'],
  ])('accepts %s', (input, key, baseUrl) => {
    expect(parsePeerAddress(input)).toMatchObject({ key, baseUrl });
  });

  it.each([
    '',
    'localhost',
    'http://localhost',
    ':5000',
    'localhost:',
    'localhost:0',
    'localhost:65536',
    'a b:1',
    'x:1/y',
    'http://x:1?q',
    '-bad-:1',
    '1.2.3.999:1',
    'x'.repeat(1001),
  ])('refuses %j', (input) => {
    expect(() => parsePeerAddress(input)).toThrow(BlockforgeError);
  });

  it('recognises this node itself', () => {
    const hosts = localHosts();
    expect(isSelfAddress(parsePeerAddress('127.0.0.1:5000'), 5000, hosts)).toBe(true);
    expect(isSelfAddress(parsePeerAddress('127.0.0.2:5000'), 5000, hosts)).toBe(true);
    expect(isSelfAddress(parsePeerAddress('localhost:5000'), 5000, hosts)).toBe(true);
    expect(isSelfAddress(parsePeerAddress('localhost:5001'), 5000, hosts)).toBe(false);
    expect(isSelfAddress(parsePeerAddress('remote-host:5000'), 5000, hosts)).toBe(false);
  });
});

describe('GroupCommit', () => {
  it('commits everything submitted in one turn together, answering each in order', async () => {
    const commits: number[][] = [];
    const group = new GroupCommit<number, string>((items) => {
      commits.push(items);
      return items.map((i) => `ok ${i}`);
    });
    const answers = await Promise.all([1, 2, 3].map((i) => group.submit(i)));
    expect(answers).toEqual(['ok 1', 'ok 2', 'ok 3']);
    expect(commits).toEqual([[1, 2, 3]]);
    expect(await group.submit(4)).toBe('ok 4');
    expect(commits.length).toBe(2);
  });

  it('rejects every submitter of a failed commit', async () => {
    const group = new GroupCommit<number, number>(() => {
      throw new Error('disk full');
    });
    const results = await Promise.allSettled([group.submit(1), group.submit(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('ChainStore', () => {
  it('keeps the node id and refuses other rules', () => {
    const dir = tempDir();
    const first = ChainStore.open(dir, { profile: 'seed', params: { difficulty: 4 } });
    const id = first.nodeId;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    first.close();
    const second = ChainStore.open(dir, { profile: 'seed', params: { difficulty: 4 } });
    expect(second.nodeId).toBe(id);
    second.close();
    expect(() => ChainStore.open(dir, { profile: 'master', params: { difficulty: 4 } })).toThrow(/profile seed/);
  });

  it('replaces the chain and the mempool in one commit, or not at all', () => {
    const store = ChainStore.open(tempDir(), { profile: 'seed', params: { difficulty: 1 } });
    const chain = extend([profile.createGenesis(1)], [[tx('a')]]);
    store.initGenesis(storedBlock(chain[0] as Block));
    store.appendBlock(storedBlock(chain[1] as Block), []);
    store.addPending([tx('p')]);
    const other = extend([profile.createGenesis(1)], [[tx('b')], [tx('c')]], 'o'.repeat(32), 9000);
    // A duplicate height makes the commit fail half-way: nothing of it may remain.
    const broken = [other[1] as Block, other[1] as Block];
    expect(() => store.replaceChain(1, [], broken.map(storedBlock), [tx('z')])).toThrow();
    expect(store.loadBlocks().length).toBe(2);
    expect(store.loadPending().map((r) => JSON.parse(r.json).sender)).toEqual(['p']);
    store.replaceChain(1, [], other.slice(1).map(storedBlock), [tx('z')]);
    expect(store.loadBlocks().length).toBe(3);
    expect(store.loadPending().map((r) => JSON.parse(r.json).sender)).toEqual(['z']);
    store.close();
  });

  it('refuses to open a node whose stored chain is corrupt', () => {
    const dir = tempDir();
    const store = ChainStore.open(dir, { profile: 'seed', params: { difficulty: 1 } });
    const chain = extend([profile.createGenesis(1)], [[], []]);
    store.initGenesis(storedBlock(chain[0] as Block));
    store.appendBlock(storedBlock(chain[2] as Block), []); // height 3 stored as the second block: a gap
    store.close();
    expect(() => BlockforgeNode.open({ dataDir: dir, profile, miner: { threads: 1, workerUrl: WORKER_URL } })).toThrow(
      /not valid/,
    );
  });
});

describe('ProofMiner', () => {
  const miner = new ProofMiner({ threads: 2, chunkSize: 1000, workerUrl: WORKER_URL });
  afterAll(() => miner.close());

  it('finds the same smallest proof as a sequential scan, for many challenges', async () => {
    for (let k = 0; k < 30; k++) {
      const challenge = { prefix: String(k * 7919), suffix: k % 2 ? 'abc' : '', difficulty: 3 };
      const expected = searchProof(challenge, 0, 1e8);
      const found = await miner.search(challenge);
      expect(found.proof).toBe(expected.proof);
      expect(found.tries).toBe(expected.tries);
      expect(found.hashes).toBeGreaterThanOrEqual(found.tries);
    }
  });

  it('serves concurrent searches one after another', async () => {
    const challenges = [1, 2, 3].map((k) => ({ prefix: `c${k}`, suffix: '', difficulty: 2 }));
    const found = await Promise.all(challenges.map((c) => miner.search(c)));
    expect(found.map((f) => f.proof)).toEqual(challenges.map((c) => searchProof(c, 0, 1e8).proof));
  });

  it('stops a cancelled search', async () => {
    const controller = new AbortController();
    // Difficulty 12 would take hours: only cancellation ends it.
    const search = miner.search({ prefix: '1', suffix: '', difficulty: 12 }, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled')), 50);
    await expect(search).rejects.toThrow('cancelled');
    expect(miner.busy).toBe(false);
    // The pool is usable again right away.
    const next = await miner.search({ prefix: '100', suffix: '', difficulty: 2 });
    expect(next.proof).toBe(searchProof({ prefix: '100', suffix: '', difficulty: 2 }, 0, 1e6).proof);
  });
});
