/**
 * The peer protocol through Fastify inject: status, block pages, fork-point location, pushed blocks
 * and transactions (appended, known, ahead, invalid: refused, nobody banned), hello (verified by dialing
 * back); plus the locator and
 * the peer registry's backoff and bans.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Block } from '../../src/core/block.js';
import { parseJson, writeJson } from '../../src/core/json.js';
import { createProfile } from '../../src/core/profiles.js';
import type { BlockforgeNode } from '../../src/node/blockforge-node.js';
import { parsePeerAddress } from '../../src/node/peer-address.js';
import { buildLocator, type PeerNetwork } from '../../src/node/peer-network.js';
import { MAX_BACKOFF_SECONDS, PeerRegistry } from '../../src/node/peer-registry.js';
import { extendChain } from '../support/forge.js';
import { cleanupAll } from '../support/harness.js';
import { inProcessNode } from '../support/in-process.js';

const profile = createProfile('seed', { difficulty: 2 });

/** Blocks extending `base` (forged here, as another node would). */
function extend(base: readonly Block[], count: number, node = 'f'.repeat(32)): Block[] {
  return extendChain(
    profile,
    base,
    Array.from({ length: count }, () => []),
    node,
  );
}

let app: FastifyInstance;
let node: BlockforgeNode;
let network: PeerNetwork;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ app, node, network, close } = await inProcessNode({ profile }));
  for (let k = 0; k < 4; k++) await node.mine();
});
afterAll(async () => {
  await close();
  await cleanupAll();
});

const post = (url: string, payload: unknown, remoteAddress = '127.0.0.9') =>
  app.inject({
    method: 'POST',
    url,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    headers: { 'content-type': 'application/json' },
    remoteAddress,
  });

describe('serving peers', () => {
  it('tells its status', async () => {
    const status = JSON.parse((await app.inject({ url: '/peer/status' })).body);
    expect(status).toEqual({
      node_id: node.nodeId,
      profile: 'seed',
      difficulty: 2,
      height: 5,
      work: '5',
      tip: node.tip.hash,
      genesis: node.chain[0]?.hash,
    });
  });

  it('serves blocks by range, bounded', async () => {
    const page = JSON.parse((await app.inject({ url: '/blocks?from=2&limit=2' })).body);
    expect(page.height).toBe(5);
    expect(page.blocks.map((b: { index: number }) => b.index)).toEqual([2, 3]);
    expect(JSON.parse((await app.inject({ url: '/blocks?from=5&limit=100' })).body).blocks.length).toBe(1);
    expect(JSON.parse((await app.inject({ url: '/blocks?from=99' })).body).blocks).toEqual([]);
    expect((await app.inject({ url: '/blocks?limit=501' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/blocks?from=0' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/blocks?from=abc' })).statusCode).toBe(400);
  });

  it('finds the fork point from a locator', async () => {
    const chain = node.chain;
    const locator = buildLocator(chain).map((l) => ({ index: l.index, hash: l.hash }));
    expect(JSON.parse((await post('/peer/locate', { locator })).body)).toEqual({ common: 5, height: 5 });
    // Another chain sharing our first 3 blocks.
    const fork = extend(chain.slice(0, 3), 4, 'e'.repeat(32));
    const forkLocator = buildLocator(fork).map((l) => ({ index: l.index, hash: l.hash }));
    expect(JSON.parse((await post('/peer/locate', { locator: forkLocator })).body).common).toBe(3);
    expect(JSON.parse((await post('/peer/locate', { locator: [] })).body).common).toBe(0);
    expect((await post('/peer/locate', { locator: 'x' })).statusCode).toBe(400);
    expect(
      (await post('/peer/locate', { locator: Array.from({ length: 200 }, () => ({ index: 1, hash: 'x' })) }))
        .statusCode,
    ).toBe(400);
  });
});

describe('pushed blocks and transactions', () => {
  it('appends a block that extends the tip, and knows it afterwards', async () => {
    const [next] = extend(node.chain, 1).slice(-1) as [Block];
    const body = `{"block":${writeJson(next.json)},"sender":{"node_id":"${'a'.repeat(32)}","port":7001}}`;
    expect(JSON.parse((await post('/peer/blocks', body)).body)).toEqual({ status: 'appended' });
    expect(node.tip.hash).toBe(next.hash);
    expect(JSON.parse((await post('/peer/blocks', body)).body)).toEqual({ status: 'known' });
    // The sender is not added on its word: nothing answers at 127.0.0.9:7001 as that node.
    expect(network.peers.map((p) => p.key)).not.toContain('127.0.0.9:7001');
  });

  it('says ahead for a block past the tip (and a sync with the sender starts)', async () => {
    const blocks = extend(node.chain, 2);
    const last = blocks[blocks.length - 1] as Block;
    const answer = await post('/peer/blocks', {
      block: JSON.parse(writeJson(last.json)),
      sender: { node_id: 'b'.repeat(32), port: 7002 },
    });
    expect(JSON.parse(answer.body)).toEqual({ status: 'ahead' });
  });

  it('refuses an invalid block with the rule it breaks, and bans nobody for it', async () => {
    network.registerPeers(['127.0.0.10:7003']);
    const height = node.chain.length;
    const [next] = extend(node.chain, 1).slice(-1) as [Block];
    const forged = parseJson(writeJson(next.json)) as Record<string, unknown>;
    forged.proof = parseJson('12345');
    const sender = { node_id: 'c'.repeat(32), port: 7003 };
    const answer = await post(
      '/peer/blocks',
      `{"block":${writeJson(forged as never)},"sender":${JSON.stringify(sender)}}`,
      '127.0.0.10',
    );
    expect(answer.statusCode).toBe(422);
    expect(JSON.parse(answer.body).code).toBe('PROOF_OF_WORK');
    expect(node.chain.length).toBe(height);
    // Who pushed cannot be proven (a connection's port is not the peer's): the peer it names is
    // not banned, and a valid block with the same claim is taken.
    const health = network.health().find((h) => h.address === '127.0.0.10:7003');
    expect(health).toBeDefined();
    expect(health?.status).not.toBe('banned');
    const valid = `{"block":${writeJson(next.json)},"sender":${JSON.stringify(sender)}}`;
    expect(JSON.parse((await post('/peer/blocks', valid, '127.0.0.10')).body)).toEqual({ status: 'appended' });
    expect(node.chain.length).toBe(height + 1);
  });

  it('does not let a push get another peer banned by claiming its address', async () => {
    network.registerPeers(['http://honest-peer.example:7100']);
    const [next] = extend(node.chain, 1).slice(-1) as [Block];
    const forged = parseJson(writeJson(next.json)) as Record<string, unknown>;
    forged.proof = parseJson('54321');
    // From 127.0.0.12, claiming to be an honest peer elsewhere.
    const sender = { node_id: 'f'.repeat(32), port: 1, advertise: 'http://honest-peer.example:7100' };
    const answer = await post(
      '/peer/blocks',
      `{"block":${writeJson(forged as never)},"sender":${JSON.stringify(sender)}}`,
      '127.0.0.12',
    );
    expect(answer.statusCode).toBe(422);
    const honest = network.health().find((h) => h.address === 'honest-peer.example:7100');
    // Still registered, and not banned.
    expect(honest).toBeDefined();
    expect(honest?.status).not.toBe('banned');
  });

  it('adds a pushed transaction once per gossip id', async () => {
    const id = '1'.repeat(32);
    const body = {
      id,
      transaction: { sender: 'p', recipient: 'q', amount: 2.5 },
      sender: { node_id: 'd'.repeat(32), port: 7004 },
    };
    const before = node.pendingTransactions.length;
    expect(JSON.parse((await post('/peer/transactions', body)).body)).toEqual({ status: 'added' });
    expect(JSON.parse((await post('/peer/transactions', body)).body)).toEqual({ status: 'known' });
    expect(node.pendingTransactions.length).toBe(before + 1);
    expect(writeJson(node.pendingTransactions.at(-1)?.json as never)).toBe(
      '{"sender":"p","recipient":"q","amount":2.5}',
    );
  });

  it('refuses invalid pushed transactions and ids, and bans nobody for them', async () => {
    network.registerPeers(['127.0.0.11:7005']);
    const sender = { node_id: 'e'.repeat(32), port: 7005 };
    expect(
      (await post('/peer/transactions', { id: 'x', transaction: { sender: 'a', recipient: 'b', amount: 1 }, sender }))
        .statusCode,
    ).toBe(400);
    const bad = await post(
      '/peer/transactions',
      { id: '2'.repeat(32), transaction: { sender: '0', recipient: 'b', amount: 1 }, sender },
      '127.0.0.11',
    );
    expect(bad.statusCode).toBe(400);
    expect(JSON.parse(bad.body).code).toBe('RESERVED_SENDER');
    const named = network.health().find((h) => h.address === '127.0.0.11:7005');
    expect(named).toBeDefined();
    expect(named?.status).not.toBe('banned');
  });

  it('adds a peer that says hello only once its address answers as that node', async () => {
    // A node that answers /peer/status as node 3333...: its hello is verified by dialing back.
    const id = '3'.repeat(32);
    const server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        req.url === '/peer/status' ? JSON.stringify({ node_id: id, profile: 'seed', difficulty: 2, height: 1 }) : '{}',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    try {
      const answer = JSON.parse((await post('/peer/hello', { sender: { node_id: id, port } }, '127.0.0.1')).body);
      expect(answer).toMatchObject({ node_id: node.nodeId, added: true });
      expect(network.health().find((h) => h.address === `127.0.0.1:${port}`)).toMatchObject({ origin: 'learned' });
      // The same claim from another node id: the address does not answer as it.
      const liar = JSON.parse(
        (await post('/peer/hello', { sender: { node_id: '5'.repeat(32), port: port + 1 } }, '127.0.0.1')).body,
      );
      expect(liar.added).toBe(false);
    } finally {
      server.close();
    }
    // Made-up ports and advertised URLs that nothing answers at are not stored.
    const before = network.peers.length;
    for (let k = 0; k < 5; k++) {
      const made = JSON.parse(
        (await post('/peer/hello', { sender: { node_id: '4'.repeat(32), port: 7100 + k } })).body,
      );
      expect(made.added).toBe(false);
    }
    await post('/peer/hello', { sender: { node_id: '6'.repeat(32), port: 1, advertise: 'http://127.0.0.13:7007' } });
    expect(network.peers.length).toBe(before);
    // Itself: not added.
    const self = JSON.parse(
      (await post('/peer/hello', { sender: { node_id: node.nodeId, port: 5999 } }, '127.0.0.1')).body,
    );
    expect(self.added).toBe(false);
  });
});

describe('buildLocator', () => {
  it('is dense near the tip, exponential further back, and always ends at genesis', () => {
    const chain = Array.from({ length: 20_000 }, (_, k) => ({ index: k + 1, hash: `h${k + 1}` }) as unknown as Block);
    const indexes = buildLocator(chain).map((l) => l.index);
    expect(indexes.slice(0, 10)).toEqual([20000, 19999, 19998, 19997, 19996, 19995, 19994, 19993, 19992, 19991]);
    expect(indexes.at(-1)).toBe(1);
    expect(indexes.length).toBeLessThan(30);
    expect(buildLocator(chain.slice(0, 1)).map((l) => l.index)).toEqual([1]);
  });
});

describe('PeerRegistry', () => {
  it('backs off exponentially, forgives on success, and bans for a while', () => {
    let now = 1000;
    const registry = new PeerRegistry(60, () => now);
    const peer = parsePeerAddress('h:1');
    registry.track(peer);
    expect(registry.health()[0]?.status).toBe('new');
    registry.failed(peer.key, 'down');
    expect(registry.isAvailable(peer.key)).toBe(false);
    now += 2;
    expect(registry.isAvailable(peer.key)).toBe(true);
    for (let k = 0; k < 20; k++) registry.failed(peer.key, 'down');
    expect((registry.health()[0]?.retryAt as number) - now).toBe(MAX_BACKOFF_SECONDS);
    registry.succeeded(peer.key, { kind: 'blockforge', height: 7 });
    expect(registry.health()[0]).toMatchObject({ status: 'ok', failures: 0, height: 7, kind: 'blockforge' });
    registry.ban(peer.key, 'forged block');
    expect(registry.isAvailable(peer.key)).toBe(false);
    expect(registry.health()[0]).toMatchObject({ status: 'banned', lastError: 'forged block' });
    now += 61;
    expect(registry.isBanned(peer.key)).toBe(false);
    registry.markTutorial(peer.key);
    expect(registry.acceptsPush(peer.key)).toBe(true); // already known as blockforge
  });
});
