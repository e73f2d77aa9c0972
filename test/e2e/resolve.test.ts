/**
 * Consensus end to end, on real node processes: `/nodes/resolve` between honest blockforge nodes
 * (two and three of them), against every kind of hostile peer (hangs, trickles, floods, lies,
 * forgeries, garbage), and the mempool reconciliation when a node switches chains. Everything
 * listens on 127.0.0.1. Nodes run at difficulty 3 with one proof-of-work thread.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProfile } from '../../src/core/profiles.js';
import type { PeerReport } from '../../src/node/peer-network.js';
import { type Answer, call, cleanupAll, type RunningNode, startNode } from '../support/harness.js';
import {
  deepNestingPeer,
  endlessPeer,
  errorPeer,
  FORGERY_CODE,
  forgedChainPeer,
  garbagePeer,
  type HostilePeer,
  hangingPeer,
  hugeLengthPeer,
  invalidUtf8Peer,
  lyingLengthPeer,
  resettingPeer,
  staticPeer,
  tricklingPeer,
  wrongShapePeer,
} from '../support/hostile-peers.js';

const DIFFICULTY = 3;
const profile = createProfile('seed', { difficulty: DIFFICULTY });
/** `--peer-timeout` of the nodes that face hostile peers, in seconds. */
const PEER_TIMEOUT_S = 2;
/** Upper bound for a resolve with hanging peers: 2 s of peer timeout, plus room for a loaded CI box. */
const RESOLVE_BOUND_MS = 8_000;

const nodes: RunningNode[] = [];
const hostile: HostilePeer[] = [];

afterAll(async () => {
  await Promise.all(hostile.map((peer) => peer.close()));
  await cleanupAll();
});

async function start(extra: string[] = []): Promise<RunningNode> {
  const node = await startNode({
    args: ['--difficulty', String(DIFFICULTY), '--threads', '1', '--no-auto-sync', ...extra],
  });
  nodes.push(node);
  return node;
}

/** Netloc a node is stored under by its peers. */
const addr = (node: RunningNode): string => `127.0.0.1:${node.port}`;

async function mine(node: RunningNode, count = 1): Promise<void> {
  for (let k = 0; k < count; k++) {
    const answer = await call(`${node.url}/mine`);
    expect(answer.status, answer.text).toBe(200);
  }
}

async function chainText(node: RunningNode): Promise<string> {
  const answer = await call(`${node.url}/chain`);
  expect(answer.status).toBe(200);
  return answer.text;
}

interface ChainBody {
  chain: { index: number; previous_hash: string | number; transactions: Tx[] }[];
  length: number;
}

async function chainOf(node: RunningNode): Promise<ChainBody> {
  return JSON.parse(await chainText(node)) as ChainBody;
}

async function register(node: RunningNode, urls: string[]): Promise<void> {
  const answer = await call(`${node.url}/nodes/register`, { body: { nodes: urls } });
  expect(answer.status, answer.text).toBe(201);
}

async function resolve(node: RunningNode): Promise<{ answer: Answer; ms: number; reports: Map<string, PeerReport> }> {
  const started = performance.now();
  const answer = await call(`${node.url}/nodes/resolve`, { timeoutMs: 30_000 });
  const ms = performance.now() - started;
  expect(answer.status, answer.text).toBe(200);
  const reports = new Map<string, PeerReport>();
  for (const report of answer.json().peers as PeerReport[]) reports.set(report.peer, report);
  return { answer, ms, reports };
}

interface Tx {
  sender: string;
  recipient: string;
  amount: number;
}

async function postTx(node: RunningNode, tx: Tx): Promise<void> {
  const answer = await call(`${node.url}/transactions/new`, { body: tx });
  expect(answer.status, answer.text).toBe(201);
}

async function pending(node: RunningNode): Promise<Tx[]> {
  const answer = await call(`${node.url}/transactions/pending`);
  expect(answer.status).toBe(200);
  const body = answer.json() as { transactions: Tx[]; count: number };
  expect(body.count).toBe(body.transactions.length);
  return body.transactions;
}

const byContent = (txs: Tx[]): string[] => txs.map((tx) => JSON.stringify(tx)).sort();

/** Waits until `check` is true (polling), failing after `ms`. */
async function eventually(what: string, check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('resolve between honest blockforge nodes', () => {
  it('two nodes: the longer chain is adopted byte for byte, then both ways', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    await mine(a, 3);
    const aText = await chainText(a);
    expect(JSON.parse(aText).length).toBe(4);
    expect(await chainText(b)).not.toBe(aText); // each node has its own genesis

    await register(b, [a.url]);
    const first = await resolve(b);
    const body = first.answer.json();
    expect(body.message).toBe('Our chain was replaced');
    expect(body.length).toBe(4);
    expect(body.new_chain).toEqual(JSON.parse(aText).chain);
    expect(first.reports.get(addr(a))).toMatchObject({ status: 'adopted', length: 4 });
    expect(await chainText(b)).toBe(aText);

    const second = await resolve(b);
    expect(second.answer.json().message).toBe('Our chain is authoritative');
    expect(second.answer.json().chain).toEqual(JSON.parse(aText).chain);
    expect(second.reports.get(addr(a))).toMatchObject({ status: 'not-longer', length: 4 });
    expect(await chainText(b)).toBe(aText);

    await register(a, [b.url]);
    await mine(b, 2);
    const bText = await chainText(b);
    const third = await resolve(a);
    expect(third.answer.json().message).toBe('Our chain was replaced');
    expect(third.reports.get(addr(b))).toMatchObject({ status: 'adopted', length: 6 });
    expect(await chainText(a)).toBe(bText);
    // B extended A's chain: A's first four blocks are unchanged.
    expect(JSON.parse(bText).chain.slice(0, 4)).toEqual(JSON.parse(aText).chain);
  });

  it('three nodes: the longest chain wins everywhere', async () => {
    const trio = await Promise.all([start(), start(), start()]);
    const [x, y, z] = trio as [RunningNode, RunningNode, RunningNode];
    await Promise.all([mine(x, 1), mine(y, 3), mine(z, 2)]);
    const winner = await chainText(y);
    for (const node of trio)
      await register(
        node,
        trio.filter((other) => other !== node).map((other) => other.url),
      );

    const rx = await resolve(x);
    expect(rx.answer.json().message).toBe('Our chain was replaced');
    expect(rx.reports.get(addr(y))?.status).toBe('adopted');
    expect(rx.reports.get(addr(z))).toMatchObject({ status: 'not-chosen', length: 3 });
    const ry = await resolve(y);
    expect(ry.answer.json().message).toBe('Our chain is authoritative');
    const rz = await resolve(z);
    expect(rz.answer.json().message).toBe('Our chain was replaced');
    for (const node of trio) expect(await chainText(node)).toBe(winner);
    for (const node of trio) expect((await resolve(node)).answer.json().message).toBe('Our chain is authoritative');
  });
});

describe('resolve against hostile peers', () => {
  let honest: RunningNode;
  let sourceText: string;
  /** Every hostile peer, by the status (and misbehaved flag / code) the report must give it. */
  const expected: { peer: HostilePeer; status: string[]; misbehaved?: boolean; code?: string }[] = [];

  beforeAll(async () => {
    const source = await start();
    honest = await start();
    // The forgeries are built from a real 6-block chain: longer than the honest node's 4.
    await postTx(source, { sender: 'mallory', recipient: 'mallory-2', amount: 5 });
    await Promise.all([mine(source, 5), mine(honest, 3)]);
    sourceText = await chainText(source);
    expect(JSON.parse(sourceText).length).toBe(6);
    await source.stop(); // only its chain is needed
    nodes.splice(nodes.indexOf(source), 1);

    const longLie = sourceText.replace(/"length":6}\n?$/, '"length":999999}');
    expect(longLie).not.toBe(sourceText);
    const add = async (
      peer: Promise<HostilePeer>,
      status: string[],
      misbehaved?: boolean,
      code?: string,
    ): Promise<void> => {
      const p = await peer;
      hostile.push(p);
      expected.push({
        peer: p,
        status,
        ...(misbehaved === undefined ? {} : { misbehaved }),
        ...(code ? { code } : {}),
      });
    };
    // Several slow peers: fetched one after another they would take 5 x 2 s, over the bound.
    for (const name of ['hang', 'hang-2', 'hang-3']) await add(hangingPeer(name), ['timeout'], false, 'PEER_TIMEOUT');
    for (const name of ['trickle', 'trickle-2']) {
      await add(tricklingPeer(200, name), ['timeout'], false, 'PEER_TIMEOUT');
    }
    await add(garbagePeer(), ['bad-response'], true, 'PEER_BAD_RESPONSE');
    // 32 MB over loopback normally beats the 2 s limit; on a starved machine it may time out.
    await add(endlessPeer(), ['too-large', 'timeout']);
    await add(hugeLengthPeer(), ['too-large'], true, 'PEER_TOO_LARGE');
    await add(lyingLengthPeer(sourceText), ['invalid'], true, 'LENGTH_MISMATCH');
    await add(staticPeer('liar-long', longLie), ['invalid'], true, 'LENGTH_MISMATCH');
    for (const forgery of ['proof-of-work', 'previous-hash', 'tampered-amount'] as const) {
      await add(forgedChainPeer(sourceText, forgery, profile), ['invalid'], true, FORGERY_CODE[forgery]);
    }
    await add(errorPeer(), ['http-error'], false, 'PEER_HTTP_STATUS');
    await add(resettingPeer(), ['unreachable'], false, 'PEER_UNREACHABLE');
    await add(invalidUtf8Peer(), ['bad-response'], true, 'PEER_BAD_RESPONSE');
    // Answers every path with 1 MB of nesting: on /peer/status that is over the small-answer cap.
    await add(deepNestingPeer(), ['bad-response', 'too-large'], true);
    await add(wrongShapePeer(), ['invalid'], true, 'CHAIN_ENVELOPE');
  });

  it('answers within the peer timeout, adopts the honest chain and reports every hostile peer', async () => {
    const b = await start(['--peer-timeout', String(PEER_TIMEOUT_S)]);
    await mine(b, 1);
    await register(b, [...hostile.map((p) => p.url), honest.url]);
    const honestText = await chainText(honest);
    // Connections each peer had before this resolve: earlier tests contacted them too.
    const before = new Map(hostile.map((p) => [p, p.connections()]));

    const { answer, ms, reports } = await resolve(b);
    expect(ms).toBeLessThan(RESOLVE_BOUND_MS);
    expect(answer.json().message).toBe('Our chain was replaced');
    expect(await chainText(b)).toBe(honestText);
    expect(reports.size).toBe(hostile.length + 1);
    expect(reports.get(addr(honest))).toMatchObject({ status: 'adopted', length: 4 });

    for (const { peer, status, misbehaved, code } of expected) {
      const report = reports.get(peer.address);
      expect(report, peer.name).toBeDefined();
      expect(status, `${peer.name}: ${JSON.stringify(report)}`).toContain(report?.status);
      if (misbehaved !== undefined) expect(report?.misbehaved, `${peer.name} misbehaved`).toBe(misbehaved);
      if (code) expect(report?.code, `${peer.name} code`).toBe(code);
      expect(report?.ms, `${peer.name} ms`).toBeLessThan(RESOLVE_BOUND_MS);
      expect(peer.connections(), `${peer.name} was contacted`).toBeGreaterThan(before.get(peer) ?? 0);
    }
    const endless = reports.get(hostile.find((p) => p.name === 'endless')?.address ?? '');
    if (endless?.status === 'too-large') expect(endless.misbehaved).toBe(true);
    // The slow peers were cut off by the peer timeout, not waited on.
    for (const name of ['hang', 'hang-2', 'hang-3', 'trickle', 'trickle-2']) {
      const report = reports.get(hostile.find((p) => p.name === name)?.address ?? '') as PeerReport;
      expect(report.ms, name).toBeGreaterThanOrEqual(PEER_TIMEOUT_S * 1000 - 100);
    }
    // ... and the node hung up on every one of them (no connection left open).
    for (const name of ['hang', 'hang-2', 'hang-3', 'trickle', 'trickle-2', 'endless', 'huge-content-length']) {
      const peer = hostile.find((p) => p.name === name) as HostilePeer;
      await eventually(`${name} disconnected`, () => peer.openSockets() === 0);
    }
    const flood = hostile.find((p) => p.name === 'endless') as HostilePeer;
    expect(flood.bytesSent()).toBeLessThan(200 * 1024 * 1024);
  });

  it('with only hostile peers, keeps its chain and still answers 200 in time', async () => {
    const c = await start(['--peer-timeout', String(PEER_TIMEOUT_S)]);
    await mine(c, 2);
    await register(
      c,
      hostile.map((p) => p.url),
    );
    const before = await chainText(c);
    // Two resolves at once: both answer, neither changes anything.
    const [one, two] = await Promise.all([resolve(c), resolve(c)]);
    for (const { answer, ms, reports } of [one, two]) {
      expect(ms).toBeLessThan(RESOLVE_BOUND_MS);
      expect(answer.json().message).toBe('Our chain is authoritative');
      expect(answer.json().chain).toEqual(JSON.parse(before).chain);
      expect(reports.size).toBe(hostile.length);
      for (const report of reports.values()) {
        expect(['adopted', 'valid', 'not-chosen'], JSON.stringify(report)).not.toContain(report.status);
      }
    }
    expect(await chainText(c)).toBe(before);
  });

  it('a peer claiming "length": 999999 with one block never replaces a real chain', async () => {
    const d = await start(['--peer-timeout', String(PEER_TIMEOUT_S)]);
    await mine(d, 1);
    const liar = hostile.find((p) => p.name === 'liar') as HostilePeer;
    await register(d, [liar.url]);
    const before = await chainText(d);
    const { answer, reports } = await resolve(d);
    expect(answer.json().message).toBe('Our chain is authoritative');
    expect(answer.json().length).toBe(2);
    expect(reports.get(liar.address)?.status).not.toBe('adopted');
    expect(reports.get(liar.address)?.misbehaved).toBe(true);
    expect(await chainText(d)).toBe(before);
  });
});

describe('resolve cannot be held hostage', () => {
  it('answers in time after many pushes announce blocks from a peer that never answers', async () => {
    const hang = await hangingPeer('hang-pushed');
    hostile.push(hang);
    // Auto sync on (pushes trigger syncs), but no periodic round during the test.
    const e = await startNode({
      args: ['--difficulty', String(DIFFICULTY), '--threads', '1', '--peer-timeout', '1', '--sync-interval', '3600'],
    });
    nodes.push(e);
    await register(e, [hang.url]);
    // A well-formed block far above our tip, "from" the hanging peer: each push says it is ahead.
    const ahead = {
      index: 50,
      timestamp: 1.5,
      transactions: [{ sender: '0', recipient: 'r', amount: 1 }],
      proof: 0,
      previous_hash: 'ab'.repeat(32),
    };
    for (let k = 0; k < 10; k++) {
      const answer = await call(`${e.url}/peer/blocks`, {
        body: JSON.stringify({ block: ahead, sender: { node_id: 'c'.repeat(32), port: 1, advertise: hang.url } }),
        headers: { 'content-type': 'application/json' },
      });
      expect(JSON.parse(answer.text)).toEqual({ status: 'ahead' });
    }
    // Before the fix each push queued a sync round of its own (1 s each, in line before the resolve).
    const { answer, ms, reports } = await resolve(e);
    expect(answer.json().message).toBe('Our chain is authoritative');
    expect(reports.get(hang.address)?.status).toBe('timeout');
    expect(ms).toBeLessThan(4_000);
  });
});

describe('mempool reconciliation when a chain is replaced', () => {
  it('returns our dropped-block transactions, drops those already mined, never returns rewards', async () => {
    const [a, b] = await Promise.all([start(), start()]);
    await mine(a, 1);
    await register(b, [a.url]);
    expect((await resolve(b)).answer.json().message).toBe('Our chain was replaced');
    expect(await chainText(b)).toBe(await chainText(a));

    const t1: Tx = { sender: 'alice', recipient: 'bob', amount: 5 };
    const t2: Tx = { sender: 'carol', recipient: 'dave', amount: 2.5 };
    const t3: Tx = { sender: 'erin', recipient: 'frank', amount: 7 };
    const t4: Tx = { sender: 'gina', recipient: 'hal', amount: 1.25 };
    const t5: Tx = { sender: 'ivan', recipient: 'judy', amount: 3 };

    // B: block 3 = [T1, T3, reward]; then T4 and T2 wait in B's mempool.
    await postTx(b, t1);
    await postTx(b, t3);
    await mine(b, 1);
    await postTx(b, t4);
    await postTx(b, t2);
    // A: block 3 = [T1, T2, reward], block 4 = [T5, reward]: longer than B's.
    await postTx(a, t1);
    await postTx(a, t2);
    await mine(a, 1);
    await postTx(a, t5);
    await mine(a, 1);
    expect(byContent(await pending(b))).toEqual(byContent([t4, t2]));

    const { answer, reports } = await resolve(b);
    expect(answer.json().message).toBe('Our chain was replaced');
    expect(reports.get(addr(a))).toMatchObject({ status: 'adopted', length: 4 });
    expect(await chainText(b)).toBe(await chainText(a));

    // T3 was only in B's dropped block: back to pending. T1 is in A's chain: not returned.
    // T2 was pending on B and is in A's chain: dropped. T4 stays. B's reward is gone for good.
    const after = await pending(b);
    expect(byContent(after)).toEqual(byContent([t3, t4]));
    expect(after.some((tx) => tx.sender === '0')).toBe(false);
    expect(await pending(a)).toEqual([]);

    // Mining on B now confirms T3 and T4 once, and nothing twice.
    await mine(b, 1);
    expect(await pending(b)).toEqual([]);
    const chain = await chainOf(b);
    expect(chain.length).toBe(5);
    const mined = chain.chain.flatMap((block) => block.transactions).filter((tx) => tx.sender !== '0');
    expect(byContent(mined)).toEqual(byContent([t1, t2, t5, t3, t4]));
    const rewards = chain.chain.map((block) => block.transactions.filter((tx) => tx.sender === '0').length);
    expect(rewards).toEqual([0, 1, 1, 1, 1]);
  });
});

describe('after all of the above', () => {
  it('every node process is still alive and answers /chain', async () => {
    expect(nodes.length).toBeGreaterThanOrEqual(10);
    for (const node of nodes) {
      expect(node.proc.exitCode, node.output()).toBeNull();
      expect(node.proc.signalCode, node.output()).toBeNull();
      const body = await chainOf(node);
      expect(body.length).toBe(body.chain.length);
      expect(node.output()).not.toMatch(/Uncaught|TypeError|RangeError|"level":60/);
    }
  });
});
