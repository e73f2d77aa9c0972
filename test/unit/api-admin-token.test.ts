/**
 * `--admin-token`: the routes that control a node (mine, register and remove peers, resolve) need
 * `Authorization: Bearer TOKEN`; everything else (reading, submitting transactions, the peer
 * protocol) stays open; without the option every route is open, as in the tutorial.
 */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { createProfile } from '../../src/core/profiles.js';
import { closeNode, type NodeServices, openNode } from '../../src/node/open-node.js';
import { ApiError, requestText } from '../../web/src/api.js';
import { cleanupAll, tempDir } from '../support/harness.js';
import { WORKER_URL } from '../support/in-process.js';

const TOKEN = 'c0ffee-teacher-token-0123456789';

let services: NodeServices;
let app: FastifyInstance;
let open: NodeServices;
let openApp: FastifyInstance;

beforeAll(async () => {
  const node = (port: number) =>
    openNode({
      dataDir: tempDir(),
      profile: createProfile('seed', { difficulty: 1 }),
      port,
      miner: { threads: 1, workerUrl: WORKER_URL },
    });
  services = node(5998);
  app = await buildServer(services, { adminToken: TOKEN });
  open = node(5997);
  openApp = await buildServer(open);
});
afterAll(async () => {
  await app.close();
  await openApp.close();
  await closeNode(services);
  await closeNode(open);
  await cleanupAll();
});

const CONTROL: { method: 'GET' | 'POST' | 'DELETE'; url: string; payload?: string }[] = [
  { method: 'GET', url: '/mine' },
  { method: 'POST', url: '/nodes/register', payload: '{"nodes": ["http://127.0.0.1:1"]}' },
  { method: 'GET', url: '/nodes/resolve' },
  { method: 'DELETE', url: '/nodes/127.0.0.1:1' },
];

describe('--admin-token', () => {
  it('refuses every control route without the token (401, the error shape, nothing done)', async () => {
    const height = services.node.chain.length;
    for (const route of CONTROL) {
      for (const authorization of [
        undefined,
        '',
        'Bearer',
        `Basic ${TOKEN}`,
        `bearer  ${TOKEN}x`,
        `Bearer ${TOKEN.slice(1)}`,
      ]) {
        const res = await app.inject({
          ...route,
          ...(authorization === undefined ? {} : { headers: { authorization } }),
        });
        expect(res.statusCode, `${route.url} ${authorization}`).toBe(401);
        const body = res.json() as { statusCode: number; code: string; error: string; message: string };
        expect(body.statusCode).toBe(401);
        expect(['ADMIN_TOKEN_REQUIRED', 'ADMIN_TOKEN_INVALID']).toContain(body.code);
        expect(body.error).toBe('Unauthorized');
        expect(body.message.length).toBeGreaterThan(10);
        expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      }
    }
    expect(services.node.chain.length).toBe(height);
    expect(services.network.peers.length).toBe(0);
  });

  it('tells a missing token from a wrong one', async () => {
    expect((await app.inject({ method: 'GET', url: '/mine' })).json().code).toBe('ADMIN_TOKEN_REQUIRED');
    const wrong = await app.inject({ method: 'GET', url: '/mine', headers: { authorization: `Bearer ${TOKEN}0` } });
    expect(wrong.json().code).toBe('ADMIN_TOKEN_INVALID');
  });

  it('allows them with the token', async () => {
    const authorization = `Bearer ${TOKEN}`;
    const height = services.node.chain.length;
    const mined = await app.inject({ method: 'GET', url: '/mine', headers: { authorization } });
    expect(mined.statusCode).toBe(200);
    expect(services.node.chain.length).toBe(height + 1);
    const registered = await app.inject({
      method: 'POST',
      url: '/nodes/register',
      headers: { authorization: `bearer ${TOKEN}`, 'content-type': 'application/json' },
      payload: '{"nodes": ["http://127.0.0.1:1"]}',
    });
    expect(registered.statusCode).toBe(201);
    const removed = await app.inject({ method: 'DELETE', url: '/nodes/127.0.0.1:1', headers: { authorization } });
    expect(removed.statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/nodes/resolve', headers: { authorization } })).statusCode).toBe(
      200,
    );
  });

  it('keeps reading, submitting and the peer protocol open', async () => {
    for (const url of ['/chain', '/nodes', '/mining', '/transactions/pending', '/peer/status']) {
      expect((await app.inject({ method: 'GET', url })).statusCode, url).toBe(200);
    }
    const tx = await app.inject({
      method: 'POST',
      url: '/transactions/new',
      headers: { 'content-type': 'application/json' },
      payload: '{"sender": "a", "recipient": "b", "amount": 5}',
    });
    expect(tx.statusCode).toBe(201);
  });

  it('closes nothing on a node started without it (the tutorial routes unchanged)', async () => {
    expect((await openApp.inject({ method: 'GET', url: '/mine' })).statusCode).toBe(200);
    expect((await openApp.inject({ method: 'GET', url: '/nodes/resolve' })).statusCode).toBe(200);
  });

  it("the explorer asks for the token once, keeps it for the tab's session, and sends it", async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    const stored = new Map<string, string>();
    const asked: string[] = [];
    const answers = ['wrong-token-0123456789', TOKEN];
    const g = globalThis as Record<string, unknown>;
    g.sessionStorage = {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => stored.set(k, v),
      removeItem: (k: string) => stored.delete(k),
    };
    g.prompt = (message: string) => {
      asked.push(message);
      return answers.shift() ?? null;
    };
    try {
      // A wrong token first: asked again (saying so), then the right one; the request goes through.
      const mined = JSON.parse(await requestText(`${base}/mine`)) as { index: number };
      expect(mined.index).toBeGreaterThan(1);
      expect(asked).toHaveLength(2);
      expect(asked[0]).toContain('--admin-token');
      expect(asked[1]).toContain('not this node');
      // Kept: the next control request asks nothing.
      await requestText(`${base}/nodes/resolve`);
      expect(asked).toHaveLength(2);
      expect(stored.get('blockforge.adminToken')).toBe(TOKEN);
      // Wrong twice: given up, and the refused token is not kept.
      stored.clear();
      answers.push('wrong-token-0123456789', 'wrong-token-9876543210');
      expect(((await requestText(`${base}/mine`).catch((err: unknown) => err)) as ApiError).code).toBe(
        'ADMIN_TOKEN_INVALID',
      );
      expect(stored.size).toBe(0);
      // A kept token the node refuses (it restarted with another), then a cancel: forgotten.
      stored.set('blockforge.adminToken', 'stale-token-0123456789');
      expect(((await requestText(`${base}/mine`).catch((err: unknown) => err)) as ApiError).code).toBe(
        'ADMIN_TOKEN_INVALID',
      );
      expect(stored.size).toBe(0);
      // A pasted token a header cannot carry is asked again, never sent (no "node did not answer").
      answers.push('\u201cpasted-token-0123456789\u201d', TOKEN);
      const before = asked.length;
      await requestText(`${base}/nodes/resolve`);
      expect(asked.slice(before).map((m) => m.includes('not this node'))).toEqual([false, true]);
      expect(stored.get('blockforge.adminToken')).toBe(TOKEN);
      // Cancelled prompt: the 401 comes back as the error it is.
      stored.clear();
      answers.length = 0;
      const refused = await requestText(`${base}/mine`).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(ApiError);
      expect((refused as ApiError).code).toBe('ADMIN_TOKEN_REQUIRED');
    } finally {
      delete g.sessionStorage;
      delete g.prompt;
    }
  });
});
