/**
 * The explorer's server side through Fastify inject: the built page and its files, the OpenAPI
 * document and Swagger UI, `/blocks/:index/hash`, `/addresses`, and that the API's 404/405
 * answers are unchanged around them.
 */

import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_WEB_ROOT, registerExplorer } from '../../src/api/explorer.js';
import { addDecimal, decimalOf, formatDecimal, subtractDecimal } from '../../src/api/explorer-routes.js';
import { hashJson } from '../../src/core/canonical.js';
import type { BlockforgeNode } from '../../src/node/blockforge-node.js';
import type { PeerNetwork } from '../../src/node/peer-network.js';
import { cleanupAll, tempDir } from '../support/harness.js';
import { inProcessNode } from '../support/in-process.js';

let app: FastifyInstance;
let node: BlockforgeNode;
let network: PeerNetwork;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ app, node, network, close } = await inProcessNode());
});
afterAll(async () => {
  await close();
  await cleanupAll();
});

function expectErrorShape(res: { statusCode: number; body: string }, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  const body = JSON.parse(res.body);
  expect(body).toMatchObject({ statusCode: status, code, error: expect.any(String), message: expect.any(String) });
  return body;
}

describe('the web app', () => {
  it('is built into dist/web (npm run build runs Vite)', () => {
    expect(existsSync(join(DEFAULT_WEB_ROOT, 'index.html'))).toBe(true);
    expect(readdirSync(join(DEFAULT_WEB_ROOT, 'assets')).some((f) => f.endsWith('.js'))).toBe(true);
  });

  it('serves its page at / with a strict content security policy', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(String(res.headers['content-security-policy'])).toContain("script-src 'self'");
    expect(res.body).toContain('<main id="main"');
    // Every script, style sheet and icon the page loads is under the explorer's prefix, on this node.
    const loads = [...res.body.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(loads.length).toBeGreaterThanOrEqual(3);
    for (const ref of loads) expect(ref).toMatch(/^\/explorer\//);
    expect((await app.inject({ method: 'GET', url: '/explorer/' })).body).toBe(res.body);
  });

  it('serves each asset with its type and a long cache (names carry a content hash)', async () => {
    const page = (await app.inject({ method: 'GET', url: '/' })).body;
    const script = /src="(\/explorer\/assets\/[^"]+\.js)"/.exec(page)?.[1] as string;
    const style = /href="(\/explorer\/assets\/[^"]+\.css)"/.exec(page)?.[1] as string;
    const js = await app.inject({ method: 'GET', url: script });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.headers['cache-control']).toContain('immutable');
    const css = await app.inject({ method: 'GET', url: style });
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const head = await app.inject({ method: 'HEAD', url: script });
    expect(head.statusCode).toBe(200);
    const icon = await app.inject({ method: 'GET', url: '/explorer/favicon.svg' });
    expect(icon.headers['content-type']).toBe('image/svg+xml');
  });

  it('leaves the API 404 and 405 answers as they were', async () => {
    expectErrorShape(await app.inject({ method: 'GET', url: '/explorer/nope.js' }), 404, 'NOT_FOUND');
    expectErrorShape(await app.inject({ method: 'GET', url: '/explorer/../package.json' }), 404, 'NOT_FOUND');
    expectErrorShape(await app.inject({ method: 'GET', url: '/no/such/route' }), 404, 'NOT_FOUND');
    const post = await app.inject({ method: 'POST', url: '/', payload: '{}' });
    expectErrorShape(post, 405, 'METHOD_NOT_ALLOWED');
    expect(post.headers.allow).toBe('GET, HEAD');
    expectErrorShape(await app.inject({ method: 'DELETE', url: '/events' }), 405, 'METHOD_NOT_ALLOWED');
    const head = await app.inject({ method: 'HEAD', url: '/events' });
    expect(head.statusCode).toBe(405);
    expect(head.headers.allow).toBe('GET');
    expectErrorShape(await app.inject({ method: 'POST', url: '/chain', payload: '{}' }), 405, 'METHOD_NOT_ALLOWED');
    expect((await app.inject({ method: 'GET', url: '/chain' })).statusCode).toBe(200);
  });

  it('says how to build it when dist/web is missing, in the error shape', async () => {
    const bare = Fastify();
    registerExplorer(bare, { node, network }, { webRoot: join(tempDir(), 'nothing-here') });
    await bare.ready();
    const res = await bare.inject({ method: 'GET', url: '/' });
    expect(expectErrorShape(res, 503, 'EXPLORER_NOT_BUILT').message).toContain('npm run build');
    await bare.close();
  });

  it('serves only the files that were in the folder at start (no path is read from the request)', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(join(root, 'assets', 'a-123.js'), 'export {};');
    const bare = Fastify();
    registerExplorer(bare, { node, network }, { webRoot: root });
    await bare.ready();
    writeFileSync(join(root, 'assets', 'late.js'), 'export {};');
    expect((await bare.inject({ method: 'GET', url: '/explorer/assets/a-123.js' })).body).toBe('export {};');
    expect((await bare.inject({ method: 'GET', url: '/explorer/assets/late.js' })).statusCode).toBe(404);
    await bare.close();
  });
});

describe('OpenAPI', () => {
  it('documents every API route from its schema, and none of the page files', async () => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = JSON.parse(res.body);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('blockforge');
    const paths = Object.keys(doc.paths);
    for (const path of [
      '/mine',
      '/transactions/new',
      '/chain',
      '/nodes/register',
      '/nodes/resolve',
      '/blocks/{index}',
      '/transactions/pending',
      '/nodes',
      '/mining',
      '/events',
      '/addresses',
      '/blocks/{index}/hash',
    ]) {
      expect(paths).toContain(path);
    }
    expect(paths.filter((p) => p === '/' || p.startsWith('/explorer') || p.startsWith('/docs'))).toEqual([]);
    // The schemas are the routes' own: the tutorial's request fields and success codes.
    const newTx = doc.paths['/transactions/new'].post;
    expect(Object.keys(newTx.requestBody.content['application/json'].schema.properties)).toEqual([
      'sender',
      'recipient',
      'amount',
    ]);
    expect(Object.keys(newTx.responses)).toEqual(expect.arrayContaining(['201', '400']));
    expect(doc.paths['/mine'].get.summary).toMatch(/Mine a block/);
    for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, { summary?: string }>>)) {
      for (const [method, op] of Object.entries(methods)) {
        expect(op.summary, `${method.toUpperCase()} ${path} has a summary`).toBeTruthy();
      }
    }
  });

  it('serves Swagger UI at /docs from this node', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.body).toContain('swagger-ui');
    expect(res.body).not.toMatch(/https?:\/\/(?!localhost|127\.0\.0\.1)[a-z]/i);
    const spec = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(JSON.parse(spec.body).paths['/chain']).toBeDefined();
  });
});

describe('GET /blocks/:index/hash', () => {
  it("gives the node's hash, the canonical text it hashes, and the proof of work", async () => {
    await node.mine();
    const res = await app.inject({ method: 'GET', url: '/blocks/2/hash' });
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    const block = node.chain[1]!;
    expect(body.index).toBe(2);
    expect(body.hash).toBe(block.hash);
    expect(hashJson(block.json)).toBe(block.hash);
    expect(body.canonical).toMatch(/^\{"index": 2, "previous_hash": "[0-9a-f]{64}", "proof": \d+, "timestamp": /);
    const genesis = node.chain[0]!;
    expect(body.pow.message).toBe(
      `${(genesis.json.proof as { text: string }).text}${(block.json.proof as { text: string }).text}`,
    );
    expect(body.pow.digest.startsWith('0'.repeat(Number(node.profile.params.difficulty)))).toBe(true);
    expect(body.pow).toMatchObject({ difficulty: node.profile.params.difficulty, valid: true });
  });

  it('has no proof of work for the genesis block, and 404/400 in the error shape', async () => {
    expect(JSON.parse((await app.inject({ method: 'GET', url: '/blocks/1/hash' })).body).pow).toBeNull();
    expectErrorShape(await app.inject({ method: 'GET', url: '/blocks/99/hash' }), 404, 'NOT_FOUND');
    expectErrorShape(await app.inject({ method: 'GET', url: '/blocks/0/hash' }), 400, 'BAD_REQUEST');
    expectErrorShape(
      await app.inject({ method: 'POST', url: '/blocks/1/hash', payload: '{}' }),
      405,
      'METHOD_NOT_ALLOWED',
    );
  });
});

describe('GET /addresses', () => {
  async function post(body: string) {
    const res = await app.inject({ method: 'POST', url: '/transactions/new', payload: body });
    expect(res.statusCode).toBe(201);
  }

  it('lists an address history, newest first, with exact sums and the pending part apart', async () => {
    await post('{"sender": "alice", "recipient": "bob", "amount": 0.1}');
    await post('{"sender": "alice", "recipient": "bob", "amount": 0.2}');
    await post('{"sender": "bob", "recipient": "carol", "amount": 5.0}');
    await node.mine();
    await post('{"sender": "carol", "recipient": "bob", "amount": 1e2}');

    const res = await app.inject({ method: 'GET', url: '/addresses?address=bob' });
    expect(res.statusCode).toBe(200);
    // Amounts are served as the chain holds them: 5.0 stays 5.0 (hence the raw text checks).
    expect(res.body).toContain('"amount":5.0');
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({
      address: 'bob',
      received: '0.3',
      sent: '5',
      net: '-4.7',
      count: 3,
      pending_net: '100',
    });
    expect(body.transactions.map((t: { sender: string }) => t.sender)).toEqual(['bob', 'alice', 'alice']);
    expect(body.transactions[0]).toMatchObject({ block: 3, recipient: 'carol' });
    expect(typeof body.transactions[0].timestamp).toBe('number');
    expect(body.pending).toEqual([{ block: null, timestamp: null, sender: 'carol', recipient: 'bob', amount: 100.0 }]);

    // The miner's rewards: one per mined block.
    const miner = JSON.parse((await app.inject({ method: 'GET', url: `/addresses?address=${node.nodeId}` })).body);
    expect(miner).toMatchObject({ net: String(node.chain.length - 1), count: node.chain.length - 1 });

    const limited = JSON.parse((await app.inject({ method: 'GET', url: '/addresses?address=bob&limit=1' })).body);
    expect(limited.transactions).toHaveLength(1);
    expect(limited.count).toBe(3);
  });

  it('refuses a request without an address, in the error shape', async () => {
    expectErrorShape(await app.inject({ method: 'GET', url: '/addresses' }), 400, 'BAD_REQUEST');
    expectErrorShape(await app.inject({ method: 'GET', url: '/addresses?address=' }), 400, 'BAD_REQUEST');
    expectErrorShape(await app.inject({ method: 'GET', url: '/addresses?address=x&limit=0' }), 400, 'BAD_REQUEST');
  });

  it('sums decimals exactly', () => {
    const sum = (...texts: string[]) => formatDecimal(texts.map(decimalOf).reduce(addDecimal, decimalOf('0')));
    expect(sum('0.1', '0.2')).toBe('0.3');
    expect(sum('1e+16', '1')).toBe('10000000000000001');
    expect(sum('1.5e-07', '0.0001')).toBe('0.00010015');
    expect(sum('-0.0', '0')).toBe('0');
    expect(formatDecimal(subtractDecimal(decimalOf('1'), decimalOf('2.25')))).toBe('-1.25');
    expect(formatDecimal(decimalOf('5.0'))).toBe('5');
    expect(() => decimalOf('inf')).toThrow(RangeError);
  });
});
