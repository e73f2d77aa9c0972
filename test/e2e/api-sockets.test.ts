/**
 * The API on a real socket against abusive clients: malformed HTTP, bodies streamed past the
 * limit, clients that stall, and random bodies on every route. The node answers 4xx (or closes
 * the connection), never 5xx, never hangs, never crashes.
 */

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, cleanupAll, type RunningNode, startNode } from '../support/harness.js';
import { rawExchange } from '../support/raw-socket.js';

let node: RunningNode;

beforeAll(async () => {
  node = await startNode({ args: ['--difficulty', '2'] });
});
afterAll(async () => {
  await node.stop();
  await cleanupAll();
});

/** Writes raw bytes, returns what the server answered before closing (or after `waitMs`). */
function raw(data: string | Buffer, waitMs = 3_000): Promise<string> {
  return rawExchange(node.port, [data], { waitMs, encoding: 'latin1' });
}

const statusOf = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);

describe('abusive HTTP clients', () => {
  it('answers a malformed request line with 400', async () => {
    expect(statusOf(await raw('GARBAGE\r\n\r\n'))).toBe(400);
    expect(statusOf(await raw('GET /chain HTTP/9.9\r\nHost: x\r\n\r\n'))).toBeGreaterThanOrEqual(400);
  });

  it('refuses a chunked body that grows past 1 MiB with 413', async () => {
    const head =
      'POST /transactions/new HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const parts = [Buffer.from(head)];
    for (let k = 0; k < 20; k++)
      parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    parts.push(Buffer.from('0\r\n\r\n'));
    expect(statusOf(await raw(Buffer.concat(parts)))).toBe(413);
  });

  it('refuses a declared Content-Length over 1 MiB without reading it', async () => {
    const answer = await raw(
      'POST /transactions/new HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{',
    );
    expect(statusOf(answer)).toBe(413);
    expect(answer).toContain('BODY_TOO_LARGE');
  });

  it('keeps serving others while a client stalls mid-request', async () => {
    const stalled = connect(node.port, '127.0.0.1');
    stalled.on('error', () => undefined);
    stalled.write('POST /transactions/new HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"sen');
    const answers = await Promise.all([1, 2, 3].map(() => call(`${node.url}/chain`, { timeoutMs: 5_000 })));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    stalled.destroy();
  });

  it('never answers 5xx to random bodies on any route', async () => {
    let seed = 12345;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const pieces = [
      '{',
      '}',
      '[',
      ']',
      '"',
      ':',
      ',',
      'null',
      'true',
      '1e999',
      '-0',
      '"0"',
      '"sender"',
      '"amount"',
      '"nodes"',
      '\\u0000',
      '\u00e9',
      '\ud800',
      ' ',
      '9'.repeat(30),
    ];
    const routes: [string, string][] = [
      ['POST', '/transactions/new'],
      ['POST', '/nodes/register'],
      ['GET', '/chain'],
      ['GET', '/blocks/1'],
      ['PUT', '/mine'],
      ['POST', '/nope'],
    ];
    const statuses = new Set<number>();
    for (let k = 0; k < 300; k++) {
      const length = Math.floor(random() * 12);
      let body = '';
      for (let j = 0; j < length; j++) body += pieces[Math.floor(random() * pieces.length)];
      const [method, url] = routes[k % routes.length] as [string, string];
      const answer = await call(`${node.url}${url}`, { method, body: method === 'GET' ? undefined : body });
      statuses.add(answer.status);
      expect(answer.status, `${method} ${url} ${JSON.stringify(body)}`).toBeLessThan(500);
      if (answer.status >= 400) expect(answer.json()).toHaveProperty('code');
    }
    expect([...statuses].some((s) => s >= 400)).toBe(true);
    // Still alive and consistent.
    expect((await call(`${node.url}/chain`)).json().length).toBeGreaterThanOrEqual(1);
  });
});
