/**
 * Every route against hostile input (Fastify inject, no sockets): each bad request gets a 4xx in
 * the one error shape, with a clear message, and changes nothing.
 */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BlockforgeNode } from '../../src/node/blockforge-node.js';
import type { PeerNetwork } from '../../src/node/peer-network.js';
import { cleanupAll } from '../support/harness.js';
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

const VALID = '{"sender": "alice", "recipient": "bob", "amount": 5}';

async function postTx(
  payload: string | Buffer,
  headers: Record<string, string> = { 'content-type': 'application/json' },
) {
  return app.inject({ method: 'POST', url: '/transactions/new', payload, headers });
}

/** Asserts the one error shape and returns the body. */
function expectError(
  res: { statusCode: number; body: string; headers: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const body = JSON.parse(res.body);
  expect(body).toMatchObject({ statusCode: status, code, error: expect.any(String), message: expect.any(String) });
  expect(body.message.length).toBeGreaterThan(5);
  return body;
}

describe('POST /transactions/new', () => {
  it('accepts the tutorial request and answers as the tutorial does', async () => {
    // Whatever ran before: the promise names the block after the tip, and one transaction is added.
    const next = node.chain.length + 1;
    const before = node.pendingTransactions.length;
    const res = await postTx(VALID);
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body)).toEqual({ message: `Transaction will be added to Block ${next}` });
    expect(node.pendingTransactions.length).toBe(before + 1);
  });

  it.each([
    ['no content type', {}],
    ['text/plain', { 'content-type': 'text/plain' }],
    ['json with charset', { 'content-type': 'application/json; charset=utf-8' }],
    ['form content type', { 'content-type': 'application/x-www-form-urlencoded' }],
  ])('accepts a JSON body sent with %s', async (_name, headers) => {
    const before = node.pendingTransactions.length;
    const res = await postTx(VALID, headers);
    expect(res.statusCode).toBe(201);
    expect(node.pendingTransactions.length).toBe(before + 1);
  });

  const bad: [string, string | Buffer, number, string][] = [
    ['an empty body', '', 400, 'INVALID_BODY'],
    ['a blank body', '  \n ', 400, 'INVALID_BODY'],
    ['invalid JSON', '{"sender": "a",', 400, 'INVALID_JSON'],
    ['trailing data', `${VALID} x`, 400, 'INVALID_JSON'],
    ['single quotes', "{'sender': 'a'}", 400, 'INVALID_JSON'],
    ['NaN', '{"sender": "a", "recipient": "b", "amount": NaN}', 400, 'INVALID_JSON'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400, 'INVALID_JSON'],
    ['a duplicate key', '{"sender": "a", "sender": "b", "recipient": "c", "amount": 1}', 400, 'DUPLICATE_KEY'],
    [
      'a duplicate key with the same value',
      '{"sender": "a", "sender": "a", "recipient": "c", "amount": 1}',
      400,
      'DUPLICATE_KEY',
    ],
    ['deep nesting', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, 400, 'JSON_TOO_DEEP'],
    ['a list', '[]', 400, 'INVALID_BODY'],
    ['a string', '"hello"', 400, 'INVALID_BODY'],
    ['a number', '5', 400, 'INVALID_BODY'],
    ['null', 'null', 400, 'INVALID_BODY'],
    ['an empty object', '{}', 400, 'MISSING_VALUES'],
    ['no amount', '{"sender": "a", "recipient": "b"}', 400, 'MISSING_VALUES'],
    ['no sender', '{"recipient": "b", "amount": 1}', 400, 'MISSING_VALUES'],
    ['a null recipient', '{"sender": "a", "recipient": null, "amount": 1}', 400, 'INVALID_TRANSACTION'],
    ['a numeric sender', '{"sender": 5, "recipient": "b", "amount": 1}', 400, 'INVALID_TRANSACTION'],
    ['a list recipient', '{"sender": "a", "recipient": ["b"], "amount": 1}', 400, 'INVALID_TRANSACTION'],
    ['an empty sender', '{"sender": "", "recipient": "b", "amount": 1}', 400, 'INVALID_TRANSACTION'],
    [
      'a 1001-character recipient',
      `{"sender": "a", "recipient": "${'r'.repeat(1001)}", "amount": 1}`,
      400,
      'INVALID_TRANSACTION',
    ],
    ['a string amount', '{"sender": "a", "recipient": "b", "amount": "5"}', 400, 'INVALID_TRANSACTION'],
    ['a boolean amount', '{"sender": "a", "recipient": "b", "amount": true}', 400, 'INVALID_TRANSACTION'],
    ['a null amount', '{"sender": "a", "recipient": "b", "amount": null}', 400, 'INVALID_TRANSACTION'],
    ['a zero amount', '{"sender": "a", "recipient": "b", "amount": 0}', 400, 'INVALID_TRANSACTION'],
    ['a negative amount', '{"sender": "a", "recipient": "b", "amount": -5}', 400, 'INVALID_TRANSACTION'],
    ['a negative zero amount', '{"sender": "a", "recipient": "b", "amount": -0.0}', 400, 'INVALID_TRANSACTION'],
    ['an infinite amount', '{"sender": "a", "recipient": "b", "amount": 1e400}', 400, 'INVALID_TRANSACTION'],
    ['the reserved sender', '{"sender": "0", "recipient": "b", "amount": 1}', 400, 'RESERVED_SENDER'],
  ];
  it.each(bad)('refuses %s and changes nothing', async (_name, payload, status, code) => {
    const pending = node.pendingTransactions.length;
    const chain = node.chain.length;
    const body = expectError(await postTx(payload), status, code);
    expect(node.pendingTransactions.length).toBe(pending);
    expect(node.chain.length).toBe(chain);
    if (code === 'MISSING_VALUES') expect(body.message).toMatch(/^Missing values: /);
  });

  it('names every missing field', async () => {
    const body = expectError(await postTx('{"sender": "a"}'), 400, 'MISSING_VALUES');
    expect(body.message).toBe('Missing values: recipient, amount');
    expect(body.field).toBe('recipient');
  });

  it('refuses a body over 1 MiB with 413', async () => {
    const big = `{"sender": "a", "recipient": "b", "amount": 1, "pad": "${'x'.repeat(1024 * 1024)}"}`;
    const pending = node.pendingTransactions.length;
    expectError(await postTx(big), 413, 'BODY_TOO_LARGE');
    expect(node.pendingTransactions.length).toBe(pending);
  });

  it('keeps the number form it was sent (Python reads back the same int or float)', async () => {
    await postTx('{"sender": "f", "recipient": "b", "amount": 1e2}');
    await postTx('{"sender": "i", "recipient": "b", "amount": 3.0}');
    const pending = (await app.inject({ url: '/transactions/pending' })).body;
    expect(pending).toContain('{"sender":"f","recipient":"b","amount":100.0}');
    expect(pending).toContain('{"sender":"i","recipient":"b","amount":3.0}');
  });
});

describe('POST /nodes/register', () => {
  const register = (payload: string) =>
    app.inject({ method: 'POST', url: '/nodes/register', payload, headers: { 'content-type': 'application/json' } });

  const bad: [string, string][] = [
    ['no body', ''],
    ['no nodes', '{}'],
    ['nodes as a string', '{"nodes": "http://localhost:5001"}'],
    ['nodes as null', '{"nodes": null}'],
    ['an empty string', '{"nodes": [""]}'],
    ['a number', '{"nodes": [5]}'],
    ['null in the list', '{"nodes": [null]}'],
    ['a scheme only', '{"nodes": ["http://"]}'],
    ['no port', '{"nodes": ["localhost"]}'],
    ['port 0', '{"nodes": ["localhost:0"]}'],
    ['port 70000', '{"nodes": ["localhost:70000"]}'],
    ['another scheme', '{"nodes": ["ftp://host:21"]}'],
    ['a path', '{"nodes": ["http://host:1/chain"]}'],
    ['credentials', '{"nodes": ["http://user:pw@host:1"]}'],
    ['a query', '{"nodes": ["http://host:1/?x=1"]}'],
    ['spaces', '{"nodes": [" host:1"]}'],
    ['a bad IPv4', '{"nodes": ["999.1.1.1:80"]}'],
    ['a bad IPv6', '{"nodes": ["[::zz]:80"]}'],
    ['this node itself', '{"nodes": ["http://127.0.0.1:5999"]}'],
    ['this node as localhost', '{"nodes": ["localhost:5999"]}'],
    ['one bad entry among good ones', '{"nodes": ["http://good-host:5001", "bad"]}'],
    ['too many entries', JSON.stringify({ nodes: Array.from({ length: 300 }, (_, k) => `h${k}:1`) })],
  ];
  it.each(bad)('refuses %s with the tutorial message and adds nothing', async (_name, payload) => {
    const before = network.peers.length;
    const body = expectError(await register(payload), 400, payload === '' ? 'INVALID_BODY' : 'INVALID_NODES');
    if (payload !== '') expect(body.message).toMatch(/^Error: Please supply a valid list of nodes/);
    expect(network.peers.length).toBe(before);
  });

  // The in-process node serves on port 5999: each spelling of this host with that port is itself.
  it.each([
    '127.0.0.1:5999',
    '[::ffff:127.0.0.1]:5999',
    '[::ffff:7f00:1]:5999',
    '[0:0:0:0:0:0:0:1]:5999',
    '[::1]:5999',
    'http://0x7f000001:5999',
    '127.1:5999',
    '2130706433:5999',
    '0177.0.0.1:5999',
    'localhost.:5999',
    '[::]:5999',
  ])('refuses %s as this node itself', async (address) => {
    const before = network.peers.length;
    const body = expectError(await register(JSON.stringify({ nodes: [address] })), 400, 'INVALID_NODES');
    expect(body.message).toMatch(/^Error: Please supply a valid list of nodes \(item 1: .* is this node itself\)$/);
    expect(network.peers.length).toBe(before);
  });

  it('adds valid addresses in the tutorial form', async () => {
    const res = await register(
      '{"nodes": ["http://192.168.0.5:5000", "other-host:5001", "https://secure.example:443/", "[::1]:6000"]}',
    );
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body)).toEqual({
      message: 'New nodes have been added',
      total_nodes: ['192.168.0.5:5000', 'other-host:5001', 'https://secure.example:443', '[::1]:6000'],
    });
    // Registering again is harmless.
    const again = await register('{"nodes": ["192.168.0.5:5000"]}');
    expect(JSON.parse(again.body).total_nodes.length).toBe(4);
    const listed = JSON.parse((await app.inject({ url: '/nodes' })).body);
    expect(listed.count).toBe(4);
  });
});

describe('routes', () => {
  it('answers 404 for an unknown route', async () => {
    expectError(await app.inject({ url: '/nope' }), 404, 'NOT_FOUND');
    expectError(await app.inject({ method: 'POST', url: '/nope', payload: '{}' }), 404, 'NOT_FOUND');
  });

  it.each([
    ['POST', '/mine', 'GET, HEAD'],
    ['DELETE', '/chain', 'GET, HEAD'],
    ['GET', '/transactions/new', 'POST'],
    ['PUT', '/nodes/register', 'POST'],
    ['POST', '/nodes/resolve', 'GET, HEAD'],
    ['PATCH', '/blocks/1', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow', async (method, url, allow) => {
    const res = await app.inject({ method: method as 'GET', url, payload: method === 'GET' ? undefined : '{}' });
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe(allow);
  });

  it('serves blocks by index and refuses bad indexes', async () => {
    const genesis = await app.inject({ url: '/blocks/1' });
    expect(genesis.statusCode).toBe(200);
    expect(JSON.parse(genesis.body)).toMatchObject({ index: 1, proof: 100, previous_hash: 1, transactions: [] });
    expectError(await app.inject({ url: '/blocks/0' }), 400, 'BAD_REQUEST');
    expectError(await app.inject({ url: '/blocks/abc' }), 400, 'BAD_REQUEST');
    expectError(await app.inject({ url: '/blocks/99999' }), 404, 'NOT_FOUND');
  });

  it('serves the chain in the tutorial shape, also with a trailing slash and HEAD', async () => {
    const res = await app.inject({ url: '/chain/' });
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.length).toBe(body.chain.length);
    expect((await app.inject({ method: 'HEAD', url: '/chain' })).statusCode).toBe(200);
  });

  it('mines with the tutorial answer plus tries and seconds', async () => {
    const pending = node.pendingTransactions.length;
    const res = await app.inject({ url: '/mine' });
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(Object.keys(body)).toEqual([
      'message',
      'index',
      'transactions',
      'proof',
      'previous_hash',
      'tries',
      'seconds',
    ]);
    expect(body.message).toBe('New Block Forged');
    expect(body.tries).toBe(body.proof + 1);
    expect(body.transactions.length).toBe(pending + 1);
    expect(body.transactions.at(-1)).toEqual({ sender: '0', recipient: node.nodeId, amount: 1 });
    expect(node.pendingTransactions.length).toBe(0);
  });

  it('answers resolve with no peers as authoritative', async () => {
    const fresh = await inProcessNode();
    const res = await fresh.app.inject({ url: '/nodes/resolve' });
    expect(JSON.parse(res.body)).toMatchObject({ message: 'Our chain is authoritative', peers: [] });
    await fresh.close();
  });
});
