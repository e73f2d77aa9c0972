/**
 * `GET /events` on a real socket: the hello, each node event as it happens (numbers kept as the
 * chain holds them), heartbeats, the cap on open streams, cleanup when a browser goes away, and
 * a server that still closes while streams are open.
 */

import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { registerExplorer } from '../../src/api/explorer.js';
import type { EventHub } from '../../src/api/explorer-events.js';
import { parseJson } from '../../src/core/json.js';
import type { BlockforgeNode } from '../../src/node/blockforge-node.js';
import type { PeerNetwork } from '../../src/node/peer-network.js';
import { cleanupAll, tempDir } from '../support/harness.js';
import { inProcessNode } from '../support/in-process.js';

let node: BlockforgeNode;
let network: PeerNetwork;
let closeNode: () => Promise<void>;
let app: FastifyInstance;
let hub: EventHub;
let base: string;

beforeAll(async () => {
  ({ node, network, close: closeNode } = await inProcessNode());
  // The test's fetch client leaves a spare idle socket behind each aborted stream; close those too.
  app = Fastify({ forceCloseConnections: true });
  hub = registerExplorer(app, { node, network }, { webRoot: tempDir(), events: { heartbeatMs: 100, maxClients: 3 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await app.close();
  await closeNode();
  await cleanupAll();
});

/** Streams a test opened, closed after it whether it passed or not. */
const opened: AbortController[] = [];
afterEach(() => {
  for (const controller of opened.splice(0)) controller.abort();
});

/** An open event stream, read frame by frame. */
async function openStream() {
  const controller = new AbortController();
  opened.push(controller);
  const response = await fetch(`${base}/events`, { signal: controller.signal });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(response.headers.get('x-blockforge-node-id')).toBe(node.nodeId);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const frames: string[] = [];
  /** The next frame matching `test`, within 5 s. */
  const next = async (test: (frame: string) => boolean): Promise<string> => {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const k = frames.findIndex(test);
      if (k >= 0) return frames.splice(0, k + 1).at(-1) as string;
      if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(frames)}`);
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        frames.push(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
      }
    }
  };
  /** The data of the next `name` event. */
  const event = async (name: string): Promise<string> => {
    const frame = await next((f) => f.split('\n').includes(`event: ${name}`));
    return (frame.split('\n').find((line) => line.startsWith('data: ')) as string).slice(6);
  };
  return { next, event, close: () => controller.abort() };
}

async function until(test: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!test()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('GET /events', () => {
  it('says hello with the current state, then streams blocks and transactions as they happen', async () => {
    const stream = await openStream();
    const hello = JSON.parse(await stream.event('hello'));
    expect(hello).toEqual({
      node_id: node.nodeId,
      height: node.chain.length,
      pending: 0,
      profile: 'seed',
      difficulty: node.profile.params.difficulty,
    });

    await node.submitTransaction(
      node.profile.parseTransaction(parseJson('{"sender": "a", "recipient": "b", "amount": 5.0}')),
    );
    const tx = await stream.event('transaction');
    // The amount keeps its float form: the browser hashes what it receives.
    expect(tx).toContain('"transaction":{"sender":"a","recipient":"b","amount":5.0}');
    expect(JSON.parse(tx).source).toBe('client');

    const mined = node.mine();
    const mining = JSON.parse(await stream.event('mining'));
    expect(mining.mining).toBe(true);
    const { block } = await mined;
    // The search ends, then the block is appended and announced.
    expect(JSON.parse(await stream.event('mining')).mining).toBe(false);
    const data = await stream.event('block');
    const event = JSON.parse(data);
    expect(event).toMatchObject({ index: block.height, hash: block.hash, source: 'mined' });
    expect(data).toContain('"amount":5.0');
    expect(event.block.transactions).toHaveLength(2);
    stream.close();
  });

  it('sends heartbeats on an idle stream', async () => {
    const stream = await openStream();
    await stream.event('hello');
    expect(await stream.next((f) => f === ': heartbeat')).toBe(': heartbeat');
    expect(await stream.next((f) => f === ': heartbeat')).toBe(': heartbeat');
    stream.close();
  });

  it('forgets a stream when the browser goes away, and caps how many are open', async () => {
    await until(() => hub.size === 0);
    const listeners = node.events.listenerCount('block');
    const streams = await Promise.all([openStream(), openStream(), openStream()]);
    await Promise.all(streams.map((s) => s.event('hello')));
    expect(hub.size).toBe(3);

    const refused = await fetch(`${base}/events`);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({
      statusCode: 503,
      code: 'TOO_MANY_STREAMS',
      error: 'Service Unavailable',
    });

    for (const s of streams) s.close();
    await until(() => hub.size === 0);
    // One listener per event for the whole hub, not one per browser.
    expect(node.events.listenerCount('block')).toBe(listeners);
    const again = await openStream();
    await again.event('hello');
    again.close();
  });

  it('lets the server close while streams are open', async () => {
    const other = Fastify();
    registerExplorer(other, { node, network }, { webRoot: tempDir() });
    await other.listen({ host: '127.0.0.1', port: 0 });
    const address = other.server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/events`;
    const response = await fetch(url);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const started = Date.now();
    await other.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    // The stream ended cleanly.
    let done = false;
    while (!done) done = (await reader.read()).done;
  });
});
