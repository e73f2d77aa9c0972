/**
 * The kept-alive sessions of the HTTP peer transport (`httpTransport.session`), against a real local
 * server: requests share a peer's few connections, and a request waiting for one of them is not
 * taken for a peer that cannot be reached (the connect limit counts from when a connection is made).
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePeerAddress } from '../../src/node/peer-address.js';
import { httpTransport } from '../../src/node/peer-client.js';

let server: Server | null = null;
afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = null;
});

/** A server answering every request after `delayMs`, counting the connections it was given. */
async function slowServer(delayMs: number): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  server = createServer((_request, response) => {
    setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'), delayMs);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

describe('peer sessions', () => {
  it('queues requests for a busy connection without calling it a connect timeout', async () => {
    const { port, connections } = await slowServer(150);
    const session = httpTransport.session?.(1) as NonNullable<ReturnType<NonNullable<typeof httpTransport.session>>>;
    const peer = parsePeerAddress(`127.0.0.1:${port}`);
    const limits = { connectTimeoutMs: 100, totalTimeoutMs: 5_000, maxBytes: 1024 };
    try {
      // Four requests on one connection: the last waits ~450 ms for it, past the 100 ms connect limit.
      const outcomes = await Promise.all(
        Array.from({ length: 4 }, () =>
          session.request(peer, { method: 'POST', path: '/peer/blocks', body: '{}' }, limits).then(
            (answer) => answer.status,
            (err: Error) => err.message,
          ),
        ),
      );
      expect(outcomes).toEqual([200, 200, 200, 200]);
      expect(connections()).toBe(1);
    } finally {
      session.close();
    }
  });
});
