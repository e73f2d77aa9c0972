/**
 * Consensus is not policy, against the tutorial's own node (test/support/tutorial-node.py): a chain
 * that an honest Python tutorial node mined is valid whatever JSON its clients posted as transaction
 * values (amounts -1.5e-3, "5", 0, true, null, NaN, Infinity, -Infinity, a 400-digit int; sender
 * "0", "" or an object; an object, a list or null as recipient). In both profiles blockforge adopts
 * such a chain without banning the peer, keeps every value byte for byte (every block hash it reports
 * is the one Python's `json` and `hashlib` compute), mines on top of it, and the Python node adopts
 * that back; blockforge's own `POST /transactions/new` still refuses each of those values with a 400
 * and an error `code`.
 */

import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/core/canonical.js';
import { isJsonObject, type JsonValue, parseJson } from '../../src/core/json.js';
import { call, cleanupAll, type RunningNode, startNode, startTutorialNode } from '../support/harness.js';

afterAll(cleanupAll);

/** Low, so the Python miner (and blockforge's) takes milliseconds. Both sides must agree on it. */
const DIFFICULTY = 2;

/** A 400-digit integer: a Python int, far beyond a double (JS `Number` reads it as Infinity). */
const BIG_INT = '1234567890'.repeat(40);

/**
 * Transactions as raw JSON bodies, as a tutorial client may post them (the non-finite literals are
 * only expressible as raw text). Each junk value appears at least once.
 */
const JUNK = [
  '{"sender": "alice", "recipient": "bob", "amount": -1.5e-3}',
  '{"sender": "alice", "recipient": "bob", "amount": "5"}',
  '{"sender": "alice", "recipient": "bob", "amount": 0}',
  '{"sender": "alice", "recipient": "bob", "amount": true}',
  '{"sender": "alice", "recipient": "bob", "amount": null}',
  '{"sender": "alice", "recipient": "bob", "amount": NaN}',
  '{"sender": "alice", "recipient": "bob", "amount": Infinity}',
  '{"sender": "alice", "recipient": "bob", "amount": -Infinity}',
  `{"sender": "alice", "recipient": "bob", "amount": ${BIG_INT}}`,
  '{"sender": "0", "recipient": "bob", "amount": 5}',
  '{"sender": "", "recipient": "bob", "amount": 5}',
  '{"sender": {"name": "alice", "n": [1, 2.50, NaN, -Infinity]}, "recipient": "bob", "amount": 5}',
  '{"sender": "alice", "recipient": {"to": "bob", "memo": null}, "amount": 5}',
  '{"sender": "alice", "recipient": ["bob", 1e2, false], "amount": 5}',
  '{"sender": "alice", "recipient": null, "amount": 5}',
];

/** Python's own hashes of every block of a `/chain` text: `sha256(json.dumps(block, sort_keys=True))`. */
const PYTHON_HASHES = [
  'import hashlib, json, sys',
  "chain = json.loads(sys.stdin.read())['chain']",
  'print(json.dumps([hashlib.sha256(json.dumps(b, sort_keys=True).encode()).hexdigest() for b in chain]))',
].join('\n');

function pythonHashes(chainText: string): string[] {
  return JSON.parse(execFileSync('python3', ['-c', PYTHON_HASHES], { input: chainText, encoding: 'utf8' }));
}

async function post(node: RunningNode, path: string, body: string) {
  return call(`${node.url}${path}`, { body, headers: { 'content-type': 'application/json' } });
}

/** A `/chain` answer read losslessly (NaN and Infinity included), with its raw text. */
async function chainOf(node: RunningNode): Promise<{ text: string; blocks: JsonValue[]; length: number }> {
  const answer = await call(`${node.url}/chain`);
  expect(answer.status).toBe(200);
  const value = parseJson(answer.text, { nonFinite: true });
  if (!isJsonObject(value) || !Array.isArray(value.chain)) throw new Error(`not a /chain answer: ${answer.text}`);
  return { text: answer.text, blocks: value.chain, length: Number(canonicalJson(value.length as JsonValue)) };
}

/** Python's json.dumps(sort_keys=True) of each block: equal lists mean the same blocks, byte for byte. */
function canonicalBlocks(blocks: JsonValue[]): string[] {
  return blocks.map((block) => canonicalJson(block));
}

/** Every hash blockforge reports (`/blocks/:index/hash`) equals what Python computes for its chain. */
async function expectSameHashes(forge: RunningNode, pythonChainText: string, height: number): Promise<void> {
  const expected = pythonHashes(pythonChainText);
  expect(expected).toHaveLength(height);
  const reported = await Promise.all(
    expected.map(async (_hash, k) => {
      const answer = await call(`${forge.url}/blocks/${k + 1}/hash`);
      expect(answer.status, answer.text).toBe(200);
      return answer.json().hash as string;
    }),
  );
  expect(reported).toEqual(expected);
}

describe.each(['seed', 'master'] as const)('junk transaction values from a Python tutorial node (%s)', (profile) => {
  it('blockforge adopts, extends and hands back the chain, and still refuses the values itself', async () => {
    const [python, forge] = await Promise.all([
      startTutorialNode({ profile, difficulty: DIFFICULTY }),
      startNode({ args: ['--profile', profile, '--difficulty', String(DIFFICULTY), '--no-auto-sync'] }),
    ]);

    // The Python node takes every value as it came and mines it, over two blocks.
    const half = Math.ceil(JUNK.length / 2);
    for (const [k, tx] of JUNK.entries()) {
      const answer = await post(python, '/transactions/new', tx);
      expect(answer.status, `${tx} -> ${answer.text}`).toBe(201);
      if (k === half - 1 || k === JUNK.length - 1) expect((await call(`${python.url}/mine`)).status).toBe(200);
    }
    const pythonChain = await chainOf(python);
    expect(pythonChain.length).toBe(3);
    for (const literal of ['NaN', 'Infinity', '-Infinity', BIG_INT, '-0.0015', '"5"', 'null', 'true']) {
      expect(pythonChain.text).toContain(`"amount": ${literal}`);
    }

    // blockforge adopts it from the peer, and does not hold it against the peer.
    expect((await post(forge, '/nodes/register', JSON.stringify({ nodes: [python.url] }))).status).toBe(201);
    const resolved = await call(`${forge.url}/nodes/resolve`);
    expect(resolved.status, resolved.text).toBe(200);
    const report = parseJson(resolved.text, { nonFinite: true }) as { message: string; peers: JsonValue[] };
    const peerReport = report.peers[0] as Record<string, JsonValue>;
    expect(report.message, resolved.text.slice(-600)).toBe('Our chain was replaced');
    expect(peerReport.status, resolved.text.slice(-600)).toBe('adopted');
    expect(peerReport.misbehaved ?? false).toBe(false);
    const nodes = await call(`${forge.url}/nodes`);
    expect(nodes.status).toBe(200);
    expect(nodes.json().peers).toHaveLength(1);
    expect(nodes.json().peers[0].status).not.toBe('banned');
    expect(nodes.json().peers[0].bannedUntil ?? null).toBeNull();

    // Same blocks, byte for byte, and the hashes blockforge reports are Python's.
    const adopted = await chainOf(forge);
    expect(adopted.length).toBe(3);
    expect(canonicalBlocks(adopted.blocks)).toEqual(canonicalBlocks(pythonChain.blocks));
    await expectSameHashes(forge, pythonChain.text, 3);

    // blockforge mines a normal transaction on top of the junk blocks...
    const normal = await post(forge, '/transactions/new', '{"sender": "carol", "recipient": "dave", "amount": 2.5}');
    expect(normal.status, normal.text).toBe(201);
    const mined = await call(`${forge.url}/mine`);
    expect(mined.status, mined.text).toBe(200);
    const forgeChain = await chainOf(forge);
    expect(forgeChain.length).toBe(4);
    expect(canonicalBlocks(forgeChain.blocks.slice(0, 3))).toEqual(canonicalBlocks(pythonChain.blocks));

    // ...and the Python node, checking with its own json and hashlib, adopts that chain.
    const register = JSON.stringify({ nodes: [`127.0.0.1:${forge.port}`] });
    expect((await post(python, '/nodes/register', register)).status).toBe(201);
    const back = await call(`${python.url}/nodes/resolve`);
    expect(back.status, back.text.slice(0, 300)).toBe(200);
    expect(back.text).toContain('"message": "Our chain was replaced"');
    const pythonAfter = await chainOf(python);
    expect(pythonAfter.length).toBe(4);
    expect(canonicalBlocks(pythonAfter.blocks)).toEqual(canonicalBlocks(forgeChain.blocks));
    await expectSameHashes(forge, pythonAfter.text, 4);

    // blockforge's own API still refuses every one of those values from its clients.
    for (const tx of JUNK) {
      const answer = await post(forge, '/transactions/new', tx);
      expect(answer.status, `${tx} -> ${answer.status} ${answer.text}`).toBe(400);
      expect(answer.json().code, `${tx} -> ${answer.text}`).toMatch(/^[A-Z_]+$/);
    }
    const pending = await call(`${forge.url}/transactions/pending`);
    expect(pending.json().count).toBe(0);

    await Promise.all([python.stop(), forge.stop()]);
  });
});
