/**
 * The peer network on loopback, without `/nodes/resolve`: nodes started with `--peer` agree by
 * themselves (push and periodic sync), a transaction spreads as it is accepted, a restarted node
 * catches up from its persisted peers, blocks spread by push alone with periodic sync off, a
 * tutorial (Python) node is pulled from and its 404s on push routes are no fault, and peers that
 * send invalid blocks (pulled or pushed) are banned.
 *
 * Every node: `--sync-interval 1 --difficulty 3 --threads 1 --advertise http://127.0.0.1:<port>`.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { isJsonObject, JsonNumber, type JsonValue, parseJson, writeJson } from '../../src/core/json.js';
import { checkProof } from '../../src/core/pow.js';
import { createTutorialProfile } from '../../src/core/profiles.js';
import {
  blockHashes,
  type ChainView,
  chainAt,
  mineAt,
  nodesAt,
  type PeerEntry,
  peerEntry,
  pendingAt,
  postTxAt,
  type Tx,
  txKey,
  waitFor,
} from '../support/chain-watch.js';
import { call, cleanupAll, freePort, type RunningNode, startNode, startTutorialNode } from '../support/harness.js';

const DIFFICULTY = 3;
const profile = createTutorialProfile('seed', { difficulty: DIFFICULTY });
/** Bound for anything that should happen within a few sync intervals. */
const SPREAD_MS = 15_000;
const RUN = Date.now().toString(36);

const servers: Server[] = [];

afterAll(async () => {
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await cleanupAll();
});

/** Netloc a node is stored under by its peers. */
const addr = (node: { port: number }): string => `127.0.0.1:${node.port}`;

interface PeerNodeOptions {
  peers?: readonly { url: string }[];
  syncInterval?: number;
  port?: number;
  dataDir?: string;
}

/** A blockforge node with the peer-network flags; `peers` become `--peer` flags. */
async function startPeerNode(options: PeerNodeOptions = {}): Promise<RunningNode> {
  const port = options.port ?? (await freePort());
  return startNode({
    port,
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    args: [
      '--sync-interval',
      String(options.syncInterval ?? 1),
      '--difficulty',
      String(DIFFICULTY),
      '--threads',
      '1',
      '--advertise',
      `http://127.0.0.1:${port}`,
      ...(options.peers ?? []).flatMap((peer) => ['--peer', peer.url]),
    ],
  });
}

/** Waits until every node serves the very same `/chain`; fails with each node's length and tip. */
async function waitConverged(what: string, nodes: readonly RunningNode[], timeoutMs = SPREAD_MS): Promise<ChainView> {
  let last = '';
  return waitFor(
    what,
    async () => {
      const views = await Promise.all(nodes.map((node) => chainAt(node.url)));
      if (views.every((view) => view.text === views[0]!.text)) return views[0];
      last = views
        .map((view, k) => `${addr(nodes[k]!)}: length ${view.length} tip ${view.tip.slice(0, 12)}`)
        .join(', ');
      return undefined;
    },
    { timeoutMs, describe: () => last },
  );
}

async function waitPending(node: RunningNode, tx: Tx, timeoutMs = SPREAD_MS): Promise<void> {
  await waitFor(
    `${tx.sender} pending on ${addr(node)}`,
    async () => (await pendingAt(node.url)).some((p) => txKey(p) === txKey(tx)),
    { timeoutMs },
  );
}

async function waitPeer(
  node: RunningNode,
  address: string,
  check: (entry: PeerEntry) => boolean,
  what: string,
  timeoutMs = SPREAD_MS,
): Promise<PeerEntry> {
  let last = '';
  return waitFor(
    `${address} on ${addr(node)}: ${what}`,
    async () => {
      const entry = await peerEntry(node.url, address);
      last = JSON.stringify(entry ?? (await nodesAt(node.url)));
      return entry && check(entry) ? entry : undefined;
    },
    { timeoutMs, describe: () => last },
  );
}

function noCrash(node: RunningNode): void {
  expect(node.output(), node.output()).not.toMatch(/Uncaught|TypeError|RangeError|"level":60/);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('three nodes started with --peer (A <- B <- C), no /nodes/resolve', () => {
  let a: RunningNode;
  let b: RunningNode;
  let c: RunningNode;

  it('agree after mining on A, then after mining on C', async () => {
    a = await startPeerNode();
    b = await startPeerNode({ peers: [a] });
    c = await startPeerNode({ peers: [b] });

    await mineAt(a.url, 2);
    const fromA = await chainAt(a.url);
    expect(fromA.length).toBe(3);
    expect((await waitConverged('A, B and C on A chain', [a, b, c])).text).toBe(fromA.text);

    // C's block reaches A, which was never told about anyone: B and C introduced themselves.
    await mineAt(c.url, 1);
    const fromC = await chainAt(c.url);
    expect(fromC.length).toBe(4);
    expect(fromC.chain.slice(0, 3)).toEqual(fromA.chain);
    expect((await waitConverged('A, B and C on C chain', [a, b, c])).text).toBe(fromC.text);
    expect((await nodesAt(a.url)).nodes).toContain(addr(b));
    expect((await nodesAt(b.url)).nodes).toEqual(expect.arrayContaining([addr(a), addr(c)]));
  });

  it('serve the peer routes of the contract: /peer/status, /blocks, GET /nodes health', async () => {
    const view = await chainAt(a.url);
    const hashes = blockHashes(view.text);
    const status = await call(`${a.url}/peer/status`);
    expect(status.status, status.text).toBe(200);
    expect(status.json()).toMatchObject({
      profile: 'seed',
      difficulty: DIFFICULTY,
      height: view.length,
      tip: hashes.at(-1),
      genesis: hashes[0],
    });
    expect(status.json().node_id).toMatch(/^[0-9a-f]{32}$/);

    const page = await call(`${a.url}/blocks?from=2&limit=2`);
    expect(page.status, page.text).toBe(200);
    expect(page.json()).toEqual({ blocks: view.chain.slice(1, 3), height: view.length });

    // `height` is B's height as A last saw it: it catches up within a few sync intervals.
    const entry = await waitPeer(a, addr(b), (e) => e.status === 'ok' && e.height === view.length, 'ok, height');
    expect(entry).toMatchObject({ status: 'ok', kind: 'blockforge', failures: 0, height: view.length });
    expect(entry.lastSeen).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(entry.lastSeen).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    const nodes = await nodesAt(a.url);
    expect(nodes.count).toBe(nodes.nodes.length);
  });

  it('a transaction posted to C becomes pending on A; once mined on A it leaves every mempool', async () => {
    const tx: Tx = { sender: `carol-${RUN}`, recipient: 'alice', amount: 2.5 };
    expect(await postTxAt(c.url, tx)).toBe(201);
    await waitPending(a, tx);
    await waitPending(b, tx);

    await mineAt(a.url, 1);
    const mined = await chainAt(a.url);
    expect(mined.chain.at(-1)!.transactions.map(txKey)).toContain(txKey(tx));
    await waitConverged('A, B and C on the block with the transaction', [a, b, c]);
    for (const node of [a, b, c]) {
      expect((await pendingAt(node.url)).map(txKey), addr(node)).not.toContain(txKey(tx));
    }
  });

  it('a node stopped while the others mine catches up by itself after a restart (peers persisted)', async () => {
    expect(await c.stop()).toBe(0);
    await mineAt(a.url, 2);
    const ahead = await waitConverged('A and B while C is down', [a, b]);

    // No --peer this time: C must remember B from its data folder.
    c = await startNode({
      port: c.port,
      dataDir: c.dataDir,
      args: ['--sync-interval', '1', '--difficulty', String(DIFFICULTY), '--threads', '1', '--advertise', c.url],
    });
    expect((await nodesAt(c.url)).nodes).toContain(addr(b));
    await waitFor('restarted C to catch up', async () => (await chainAt(c.url)).text === ahead.text, {
      timeoutMs: SPREAD_MS,
    });
    for (const node of [a, b, c]) noCrash(node);
  });
});

describe('push alone (--sync-interval 0: no periodic sync)', () => {
  it('a block and a transaction cross a line of three nodes', async () => {
    const p = await startPeerNode({ syncInterval: 0 });
    const q = await startPeerNode({ syncInterval: 0, peers: [p] });
    const r = await startPeerNode({ syncInterval: 0, peers: [q] });
    // The start-up syncs are over once each node has said hello (P learns Q, Q learns R).
    await waitFor('P to know Q and Q to know R', async () => {
      const [np, nq] = await Promise.all([nodesAt(p.url), nodesAt(q.url)]);
      return np.nodes.includes(addr(q)) && nq.nodes.includes(addr(r));
    });

    await mineAt(p.url, 1);
    const mined = await chainAt(p.url);
    expect((await waitConverged('Q and R to get P block by push', [p, q, r])).text).toBe(mined.text);

    const tx: Tx = { sender: `rita-${RUN}`, recipient: 'pete', amount: 9 };
    expect(await postTxAt(r.url, tx)).toBe(201);
    await waitPending(p, tx);

    // And back: a block mined at the end that P never registered reaches P.
    await mineAt(r.url, 1);
    const back = await chainAt(r.url);
    expect(back.chain.at(-1)!.transactions.map(txKey)).toContain(txKey(tx));
    expect((await waitConverged('P and Q to get R block by push', [p, q, r])).text).toBe(back.text);
  });
});

describe('a tutorial (Python) node as a peer', () => {
  it('is pulled from; its 404s on push routes do not make it failing or banned', async () => {
    const tutorial = await startTutorialNode({ difficulty: DIFFICULTY });
    await mineAt(tutorial.url, 3);
    const pythonChain = (await call(`${tutorial.url}/chain`)).json();
    expect(pythonChain.length).toBe(4);

    const d = await startPeerNode({ peers: [tutorial] });
    await waitFor('D to adopt the tutorial chain', async () => {
      const view = await chainAt(d.url);
      return JSON.stringify(view.chain) === JSON.stringify(pythonChain.chain);
    });
    await waitPeer(d, addr(tutorial), (e) => e.kind === 'tutorial' && e.status === 'ok', 'kind tutorial, status ok');

    // D mines: it would push to its peers; the tutorial node answers 404 to every push route.
    await mineAt(d.url, 1);
    const dChain = await chainAt(d.url);
    expect(dChain.length).toBe(5);
    for (let k = 0; k < 6; k++) {
      await sleep(500);
      const entry = await peerEntry(d.url, addr(tutorial));
      expect(entry, JSON.stringify(entry)).toMatchObject({ kind: 'tutorial', status: 'ok', failures: 0 });
    }
    // The tutorial node got nothing pushed (it has no such route) and kept its chain.
    expect((await call(`${tutorial.url}/chain`)).json()).toEqual(pythonChain);

    // It is still pulled from: its now longer fork replaces D's.
    await mineAt(tutorial.url, 2);
    const longer = (await call(`${tutorial.url}/chain`)).json();
    expect(longer.length).toBe(6);
    await waitFor('D to adopt the longer tutorial chain', async () => {
      const view = await chainAt(d.url);
      return JSON.stringify(view.chain) === JSON.stringify(longer.chain);
    });
    const entry = await waitPeer(d, addr(tutorial), (e) => e.height === 6, 'height 6');
    expect(entry).toMatchObject({ kind: 'tutorial', status: 'ok', failures: 0 });
    noCrash(d);
  });
});

/** A peer this test controls: answers the read routes from a fixed chain, records every request. */
interface FakePeer {
  readonly url: string;
  readonly address: string;
  readonly requests: string[];
}

async function fakePeer(chainText: string): Promise<FakePeer> {
  const body = parseJson(chainText);
  if (!isJsonObject(body) || !Array.isArray(body.chain)) throw new Error('not a chain');
  const blocks = body.chain;
  const hashes = blockHashes(chainText);
  const requests: string[] = [];
  const nodeId = 'f'.repeat(32);
  const send = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(text);
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      if (req.method === 'GET' && url.pathname === '/chain') return send(res, 200, chainText);
      if (req.method === 'GET' && url.pathname === '/blocks') {
        const from = Number(url.searchParams.get('from') ?? 1);
        const limit = Number(url.searchParams.get('limit') ?? 100);
        const page = blocks.slice(from - 1, from - 1 + limit) as JsonValue[];
        return send(res, 200, `{"blocks":${writeJson(page)},"height":${blocks.length}}`);
      }
      if (req.method === 'GET' && url.pathname === '/peer/status') {
        const status = {
          node_id: nodeId,
          profile: 'seed',
          difficulty: DIFFICULTY,
          height: blocks.length,
          tip: hashes.at(-1),
          genesis: hashes[0],
        };
        return send(res, 200, JSON.stringify(status));
      }
      // README "Peer protocol": the fork point; this peer shares no block with anyone.
      if (req.method === 'POST' && url.pathname === '/peer/locate') {
        return send(res, 200, JSON.stringify({ common: 0, height: blocks.length }));
      }
      if (req.method === 'POST' && url.pathname === '/peer/hello') {
        return send(res, 200, JSON.stringify({ node_id: nodeId, height: blocks.length, added: false }));
      }
      send(res, 404, '{"error":"Not Found"}');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, address: `127.0.0.1:${port}`, requests };
}

/** The first proof (from 0) that does NOT solve the puzzle after a block with `lastProof`/`lastHash`. */
function badProof(lastProof: number, lastHash: string): number {
  const challenge = profile.powChallengeFor(String(lastProof), lastHash);
  let proof = 0;
  while (checkProof(challenge, String(proof))) proof++;
  return proof;
}

describe('peers that send invalid blocks are banned', () => {
  it('pulled: a peer serving a longer chain with a broken proof of work', async () => {
    // A real 5-block chain, its last proof replaced by one that fails the puzzle.
    const source = await startPeerNode();
    await mineAt(source.url, 4);
    const real = await chainAt(source.url);
    await source.stop();
    const body = parseJson(real.text);
    if (!isJsonObject(body) || !Array.isArray(body.chain)) throw new Error('not a chain');
    const last = body.chain.at(-1);
    if (!isJsonObject(last)) throw new Error('not a block');
    const prev = real.chain.at(-2)!;
    last.proof = JsonNumber.fromSource(String(badProof(prev.proof, blockHashes(real.text).at(-2)!)));
    const forged = writeJson(body);
    expect(forged).not.toBe(real.text);

    const e = await startPeerNode();
    const before = await chainAt(e.url);
    const liar = await fakePeer(forged);
    const registered = await call(`${e.url}/nodes/register`, { body: { nodes: [liar.url] } });
    expect(registered.status, registered.text).toBe(201);

    const entry = await waitPeer(e, liar.address, (p) => p.status === 'banned', 'banned');
    expect(entry.status).toBe('banned');
    // It was banned for what it served, and nothing of it was adopted.
    expect(
      liar.requests.some((r) => /^GET \/(chain|blocks)/.test(r)),
      liar.requests.join(', '),
    ).toBe(true);
    expect((await chainAt(e.url)).text).toBe(before.text);
    // A banned peer is left alone: no more block downloads from it for a few sync intervals.
    const downloads = (): number => liar.requests.filter((r) => /^GET \/(chain|blocks)/.test(r)).length;
    const counted = downloads();
    await sleep(3_000);
    expect(downloads()).toBe(counted);
    expect((await peerEntry(e.url, liar.address))?.status).toBe('banned');
    noCrash(e);
  });

  it('pushed: a block extending our tip with a proof that fails is refused, and no one is banned for it', async () => {
    const e = await startPeerNode();
    const view = await chainAt(e.url);
    const tip = view.chain.at(-1)!;
    const tipHash = view.tip;
    const pusher = await fakePeer(view.text);
    // Well formed, extends E's tip, one reward: only the proof of work is wrong.
    const block = {
      index: tip.index + 1,
      timestamp: Date.now() / 1000,
      transactions: [{ sender: '0', recipient: 'f'.repeat(32), amount: 1 }],
      proof: badProof(tip.proof, tipHash),
      previous_hash: tipHash,
    };
    // README "Peer protocol": `{block, sender: {node_id, port, advertise?}}`; 422 for an invalid block.
    const sender = { node_id: 'f'.repeat(32), port: Number(new URL(pusher.url).port), advertise: pusher.url };
    const pushed = await call(`${e.url}/peer/blocks`, { body: { block, sender } });
    expect(pushed.status, pushed.text).toBe(422);
    expect(JSON.parse(pushed.text).code).toBe('PROOF_OF_WORK');
    expect((await chainAt(e.url)).text).toBe(view.text);
    // Nobody is banned for a push: who pushed cannot be proven (README "Blame"). The address it
    // names answers as that node, so it may be learned as a peer, but never banned for this.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const peers = (await call(`${e.url}/nodes`)).json().peers as { address: string; status: string }[];
    expect(peers.find((p) => p.address === pusher.address)?.status).not.toBe('banned');
    noCrash(e);
  });
});
