/**
 * One error shape for every error, also those Fastify and Node's HTTP parser make themselves:
 * a slow client's 408, oversized headers, bytes that are not HTTP, bad URL encoding, overlong path
 * parameters, schema validation, body limits (naming the route's real limit), and 503s (with
 * `Retry-After` when the mempool is full). Raw sockets against an in-process server.
 */

import { connect } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { BlockforgeError, ErrorCode } from '../../src/core/errors.js';
import { createProfile } from '../../src/core/profiles.js';
import { closeNode, type NodeServices, openNode } from '../../src/node/open-node.js';
import { cleanupAll, tempDir } from '../support/harness.js';
import { WORKER_URL } from '../support/in-process.js';
import { rawExchange } from '../support/raw-socket.js';

const REQUEST_TIMEOUT_MS = 400;

let services: NodeServices;
let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  services = openNode({
    dataDir: tempDir(),
    profile: createProfile('seed', { difficulty: 2 }),
    port: 5999,
    miner: { threads: 1, workerUrl: WORKER_URL },
  });
  app = await buildServer(services, { requestTimeoutMs: REQUEST_TIMEOUT_MS });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
});
afterAll(async () => {
  await app.close();
  await closeNode(services);
  await cleanupAll();
});

/** Writes raw bytes (in parts, `pauseMs` apart), returns all the server sent until it closed. */
function raw(parts: (string | Buffer)[], options: { pauseMs?: number; waitMs?: number } = {}): Promise<string> {
  return rawExchange(port, parts, options);
}

/** Status line, headers and parsed JSON body of a raw HTTP/1.1 answer, in the one error shape. */
function expectErrorAnswer(answer: string, status: number, code: string) {
  const [head = '', body = ''] = answer.split('\r\n\r\n');
  expect(head, answer).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
  expect(head.toLowerCase()).toContain('content-type: application/json');
  expect(body.endsWith('\n')).toBe(true);
  const length = /content-length: (\d+)/i.exec(head)?.[1];
  expect(Number(length)).toBe(Buffer.byteLength(body));
  const json = JSON.parse(body);
  expect(json).toMatchObject({ statusCode: status, code, error: expect.any(String), message: expect.any(String) });
  return { head, json };
}

describe('errors made by Node and Fastify, not by a route', () => {
  it('answers a client that sends headers and then stalls with 408 REQUEST_TIMEOUT', async () => {
    const started = Date.now();
    const answer = await raw([
      'POST /transactions/new HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sen',
    ]);
    const { head, json } = expectErrorAnswer(answer, 408, 'REQUEST_TIMEOUT');
    expect(json.message).toContain(`${REQUEST_TIMEOUT_MS / 1000} s`);
    expect(head.toLowerCase()).toContain('connection: close');
    // The limit holds: not Node's 30 s check interval on top of it.
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS * 5);
    expect(answer).toContain('"code":"REQUEST_TIMEOUT"');
  });

  it('answers a client that stalls inside its headers with 408 REQUEST_TIMEOUT', async () => {
    const answer = await raw(['GET /chain HTTP/1.1\r\nHost: x\r\nX-Slow: ']);
    expectErrorAnswer(answer, 408, 'REQUEST_TIMEOUT');
  });

  it('answers headers over the limit with 431 in the one shape', async () => {
    const answer = await raw([`GET /chain HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`]);
    const { json } = expectErrorAnswer(answer, 431, 'HEADERS_TOO_LARGE');
    expect(json.message).toContain('16 KiB');
  });

  it('answers bytes that are not HTTP with 400 BAD_REQUEST', async () => {
    expectErrorAnswer(await raw(['GARBAGE\r\n\r\n']), 400, 'BAD_REQUEST');
  });

  it('answers a chunked body past the limit with 413 naming the limit', async () => {
    const head = 'POST /transactions/new HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = Buffer.alloc(256 * 1024, 0x20);
    const parts: (string | Buffer)[] = [head];
    for (let k = 0; k < 5; k++) parts.push(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
    parts.push('0\r\n\r\n');
    const { json } = expectErrorAnswer(await raw(parts), 413, 'BODY_TOO_LARGE');
    expect(json.message).toContain('1 MiB limit');
  });

  it('names the 17 MiB limit of POST /peer/blocks, not the server-wide 1 MiB', async () => {
    const answer = await raw([
      'POST /peer/blocks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 40000000\r\n\r\n{',
    ]);
    const { json } = expectErrorAnswer(answer, 413, 'BODY_TOO_LARGE');
    expect(json.message).toContain('17 MiB');
    expect(json.message).not.toContain('1 MiB');
  });

  it.each([
    ['bad percent-encoding', '/blocks/%E0%A4%A', 400, 'BAD_REQUEST'],
    ['a path parameter over 1,000 characters', `/blocks/${'1'.repeat(1001)}`, 414, 'URI_TOO_LONG'],
    ['a parameter failing the schema', '/blocks/abc', 400, 'BAD_REQUEST'],
    ['a query failing the schema', '/blocks?from=0', 400, 'BAD_REQUEST'],
  ])('answers %s in the one shape', async (_name, url, status, code) => {
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(status);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ statusCode: status, code, error: expect.any(String), message: expect.any(String) });
    expect(res.headers['x-blockforge-node-id']).toBe(services.node.nodeId);
    expect(res.body.endsWith('\n')).toBe(true);
  });

  it('names the field a schema error is about', async () => {
    expect(JSON.parse((await app.inject({ url: '/blocks/abc' })).body).field).toBe('index');
    expect(JSON.parse((await app.inject({ url: '/blocks?from=0' })).body).field).toBe('from');
  });

  it('asks a client to come back later when the mempool is full (Retry-After)', async () => {
    const spy = vi.spyOn(services.node, 'submitTransaction').mockImplementation(() => {
      throw new BlockforgeError(ErrorCode.MempoolFull, 'the mempool is full (250000 transactions); mine a block');
    });
    try {
      const res = await app.inject({
        method: 'POST',
        url: '/transactions/new',
        payload: '{"sender": "a", "recipient": "b", "amount": 1}',
      });
      expect(res.statusCode).toBe(503);
      expect(JSON.parse(res.body)).toMatchObject({ statusCode: 503, code: 'MEMPOOL_FULL' });
      expect(res.headers['retry-after']).toBe('10');
    } finally {
      spy.mockRestore();
    }
    // Other errors carry no Retry-After.
    expect((await app.inject({ url: '/nope' })).headers['retry-after']).toBeUndefined();
  });
});

describe('while closing', () => {
  it('answers requests that arrive on an open connection with 503 SHUTTING_DOWN in the one shape', async () => {
    const own = openNode({
      dataDir: tempDir(),
      profile: createProfile('seed', { difficulty: 2 }),
      port: 5998,
      miner: { threads: 1, workerUrl: WORKER_URL },
    });
    const server = await buildServer(own);
    await server.listen({ port: 0, host: '127.0.0.1' });
    const socket = connect((server.server.address() as { port: number }).port, '127.0.0.1');
    socket.on('error', () => undefined);
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('utf8');
    });
    const gone = new Promise((r) => socket.once('close', r));
    await new Promise((r) => socket.once('connect', r));
    // A request in flight keeps the connection open while the server closes; the one pipelined
    // behind it arrives after closing began.
    const body = '{"sender": "a", "recipient": "b", "amount": 1}';
    socket.write(`POST /transactions/new HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n{`);
    await new Promise((r) => setTimeout(r, 50));
    const closed = server.close();
    await new Promise((r) => setTimeout(r, 50));
    socket.write(`${body.slice(1)}GET /chain HTTP/1.1\r\nHost: x\r\n\r\n`);
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
    socket.destroy();
    await closed;
    await closeNode(own);
    expect(answer.startsWith('HTTP/1.1 201'), answer).toBe(true);
    expectErrorAnswer(answer.slice(answer.indexOf('HTTP/1.1', 5)), 503, 'SHUTTING_DOWN');
  });
});
