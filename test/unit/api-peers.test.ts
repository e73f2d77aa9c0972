/**
 * `DELETE /nodes/:peer` through Fastify inject: a peer removed by the address `GET /nodes` lists
 * (URL-encoded) or as it was typed, gone from the list and from disk; 404 for an address that is
 * not a peer, 400 for one that cannot be; documented in the OpenAPI document.
 */

import { afterEach, describe, expect, it } from 'vitest';
import { cleanupAll, tempDir } from '../support/harness.js';
import { inProcessNode } from '../support/in-process.js';

type InProcess = Awaited<ReturnType<typeof inProcessNode>>;

let open: InProcess[] = [];

async function start(dataDir = tempDir()): Promise<InProcess & { dataDir: string }> {
  const node = await inProcessNode({ dataDir });
  open.push(node);
  return { ...node, dataDir };
}

afterEach(async () => {
  for (const node of open.splice(0)) await node.close();
  await cleanupAll();
});

/** Nothing listens on these; the in-process network is not started, so nobody dials them anyway. */
const PEERS = ['127.0.0.1:1', 'http://127.0.0.1:2', 'https://peer.invalid:443'];

async function registered(app: InProcess['app']): Promise<string[]> {
  const res = await app.inject({ method: 'POST', url: '/nodes/register', payload: JSON.stringify({ nodes: PEERS }) });
  expect(res.statusCode).toBe(201);
  return JSON.parse(res.body).total_nodes;
}

async function listed(app: InProcess['app']): Promise<string[]> {
  return JSON.parse((await app.inject({ url: '/nodes' })).body).nodes;
}

function del(app: InProcess['app'], peer: string) {
  return app.inject({ method: 'DELETE', url: `/nodes/${peer}` });
}

describe('DELETE /nodes/:peer', () => {
  it('removes a peer given as GET /nodes lists it, URL-encoded, and answers with the peers left', async () => {
    const { app } = await start();
    expect(await registered(app)).toEqual(['127.0.0.1:1', '127.0.0.1:2', 'https://peer.invalid:443']);

    const res = await del(app, '127.0.0.1%3A1');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(res.body)).toEqual({
      message: 'Peer removed',
      total_nodes: ['127.0.0.1:2', 'https://peer.invalid:443'],
    });
    expect(await listed(app)).toEqual(['127.0.0.1:2', 'https://peer.invalid:443']);

    // An https key keeps its scheme; encoded slashes do not split the path.
    const https = await del(app, encodeURIComponent('https://peer.invalid:443'));
    expect(https.statusCode).toBe(200);
    expect(JSON.parse(https.body).total_nodes).toEqual(['127.0.0.1:2']);
  });

  it('takes the address as it was registered too (http://host:port is the same peer as host:port)', async () => {
    const { app } = await start();
    await registered(app);
    const res = await del(app, 'http%3A%2F%2F127.0.0.1%3A2');
    expect(res.statusCode).toBe(200);
    expect(await listed(app)).toEqual(['127.0.0.1:1', 'https://peer.invalid:443']);
    const peers = JSON.parse((await app.inject({ url: '/nodes' })).body);
    expect(peers.count).toBe(2);
    expect(peers.peers.map((p: { address: string }) => p.address)).toEqual(['127.0.0.1:1', 'https://peer.invalid:443']);
  });

  it('answers 404 NOT_FOUND for an address that is not a peer, changing nothing', async () => {
    const { app } = await start();
    await registered(app);
    for (const peer of ['127.0.0.1%3A3', 'https%3A%2F%2F127.0.0.1%3A1']) {
      const res = await del(app, peer);
      expect(res.statusCode, peer).toBe(404);
      expect(JSON.parse(res.body)).toMatchObject({
        statusCode: 404,
        code: 'NOT_FOUND',
        error: 'Not Found',
        field: 'peer',
        message: expect.stringContaining('is not a peer of this node'),
      });
    }
    // Removed twice: the second time it is not a peer any more.
    expect((await del(app, '127.0.0.1%3A1')).statusCode).toBe(200);
    expect((await del(app, '127.0.0.1%3A1')).statusCode).toBe(404);
    expect(await listed(app)).toEqual(['127.0.0.1:2', 'https://peer.invalid:443']);
  });

  it('answers 400 INVALID_NODES for what cannot be a peer address', async () => {
    const { app } = await start();
    await registered(app);
    for (const peer of ['not%20a%20peer', '127.0.0.1%3A99999', 'ftp%3A%2F%2Fhost%3A21', 'host', '%5B%3A%3Azz%5D%3A1']) {
      const res = await del(app, peer);
      expect(res.statusCode, peer).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ statusCode: 400, code: 'INVALID_NODES', field: 'peer' });
    }
    expect(await listed(app)).toHaveLength(3);
  });

  it('forgets the peer on disk: a restarted node does not have it', async () => {
    const first = await start();
    await registered(first.app);
    expect((await del(first.app, '127.0.0.1%3A2')).statusCode).toBe(200);
    await first.close();
    open = open.filter((n) => n !== first);
    const again = await start(first.dataDir);
    expect(await listed(again.app)).toEqual(['127.0.0.1:1', 'https://peer.invalid:443']);
  });

  it('is documented in the OpenAPI document, with its 400, 404 and 414', async () => {
    const { app } = await start();
    const doc = JSON.parse((await app.inject({ url: '/openapi.json' })).body);
    const op = doc.paths['/nodes/{peer}']?.delete;
    expect(op, 'DELETE /nodes/{peer}').toBeDefined();
    expect(op.summary).toBe('Remove a peer');
    expect(op.parameters).toEqual([expect.objectContaining({ name: 'peer', in: 'path', required: true })]);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '404', '414']);
    for (const status of ['400', '404', '414']) {
      const schema = op.responses[status].content['application/json'].schema;
      expect(Object.keys(schema.properties)).toEqual(['statusCode', 'code', 'error', 'message', 'field']);
    }
    // GET on a peer's path is the API's 405, naming DELETE.
    const wrong = await app.inject({ url: '/nodes/127.0.0.1%3A1' });
    expect(wrong.statusCode).toBe(405);
    expect(wrong.headers.allow).toBe('DELETE');
  });
});
