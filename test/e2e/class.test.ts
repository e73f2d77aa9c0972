/**
 * `blockforge class --nodes 5`: five real node processes on consecutive ports, wired together (a
 * block mined on the first reaches the last), and Ctrl-C (SIGINT) stops them all cleanly: exit 0,
 * every port closed.
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, tempDir, trackProcess } from '../support/harness.js';

const CLI = join(import.meta.dirname, '../../dist/cli/main.js');

afterAll(async () => {
  await cleanupAll();
});

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Five consecutive free ports (probed; a race with another test is retried by the caller's luck). */
async function freeRun(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 40_000);
    const taken = await Promise.all(Array.from({ length: count }, (_, k) => listening(base + k)));
    if (!taken.some(Boolean)) return base;
  }
  throw new Error('no run of free ports');
}

async function height(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/chain`);
  return ((await res.json()) as { length: number }).length;
}

describe('blockforge class', () => {
  it('starts 5 nodes wired together, and Ctrl-C stops them all cleanly', async () => {
    const port = await freeRun(5);
    const dataDir = tempDir('blockforge-class-');
    const proc = spawn(
      process.execPath,
      [
        CLI,
        'class',
        '--nodes',
        '5',
        '--port',
        String(port),
        '--data-dir',
        dataDir,
        '--difficulty',
        '1',
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const run = await trackProcess(proc, port, dataDir, /5 nodes running/);
    for (let k = 0; k < 5; k++) expect(run.output()).toContain(`node ${k + 1}: http://127.0.0.1:${port + k}`);
    for (let k = 0; k < 5; k++) expect(await listening(port + k)).toBe(true);

    // Wired: a block mined on the first node reaches the last (pushed through the mesh).
    expect((await fetch(`http://127.0.0.1:${port}/mine`)).status).toBe(200);
    const deadline = Date.now() + 15_000;
    while ((await height(port + 4)) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await height(port + 4)).toBe(2);

    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    for (let k = 0; k < 5; k++) expect(await listening(port + k)).toBe(false);
  });

  it('gives each node its own admin token with --admin-token-file, and shows each once', async () => {
    const port = await freeRun(2);
    const dataDir = tempDir('blockforge-class-');
    const args = [CLI, 'class', '--nodes', '2', '--port', String(port), '--data-dir', dataDir, '--difficulty', '1'];
    const proc = spawn(process.execPath, [...args, '--admin-token-file'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run = await trackProcess(proc, port, dataDir, /2 nodes running/);
    const tokens = [0, 1].map((k) => readFileSync(join(dataDir, String(port + k), 'admin-token'), 'utf8').trim());
    expect(tokens[0]).not.toBe(tokens[1]);
    for (let k = 0; k < 2; k++) {
      expect(run.output()).toContain(`node ${k + 1}: http://127.0.0.1:${port + k}  (admin token (made now,`);
      expect(run.output()).toContain(tokens[k]);
      const mine = (token: string) =>
        fetch(`http://127.0.0.1:${port + k}/mine`, { headers: { authorization: `Bearer ${token}` } });
      expect((await mine(tokens[1 - k] as string)).status).toBe(401);
      expect((await mine(tokens[k] as string)).status).toBe(200);
    }
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill('SIGINT');
    expect(await exited).toBe(0);
    // One file for the whole class would be one token for everyone: refused.
    const shared = spawn(process.execPath, [...args, '--admin-token-file', join(dataDir, 'one')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    shared.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    expect(await new Promise((resolve) => shared.once('exit', resolve))).toBe(1);
    expect(err).toContain('class gives each node its own token file');
  });

  it('refuses a bad count, and stops what it started when a node cannot start', async () => {
    const bad = spawn(process.execPath, [CLI, 'class', '--nodes', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    bad.stderr.on('data', (c: Buffer) => {
      err += c.toString();
    });
    expect(await new Promise((resolve) => bad.once('exit', resolve))).toBe(1);
    expect(err).toContain('--nodes');

    // A flag the node refuses: the first node does not start; the class says why and exits 1.
    const refused = spawn(process.execPath, [CLI, 'class', '--nodes', '2', '--port', '1', '--difficulty', '99'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let why = '';
    refused.stderr.on('data', (c: Buffer) => {
      why += c.toString();
    });
    expect(await new Promise((resolve) => refused.once('exit', resolve))).toBe(1);
    expect(why).toContain('did not start');
    expect(why).toContain('--difficulty');

    // The second node's port is taken: the first, already running, is stopped too.
    const port = await freeRun(2);
    const blocker = createServer().listen(port + 1, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    try {
      const proc = spawn(
        process.execPath,
        [
          CLI,
          'class',
          '--nodes',
          '2',
          '--port',
          String(port),
          '--data-dir',
          tempDir('blockforge-class-'),
          '--difficulty',
          '1',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      proc.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      proc.stderr.on('data', (c: Buffer) => {
        out += c.toString();
      });
      expect(await new Promise((resolve) => proc.once('exit', resolve))).toBe(1);
      expect(out).toContain(`node 1: http://127.0.0.1:${port}`);
      expect(out).toContain(`the node on port ${port + 1} did not start`);
      expect(await listening(port)).toBe(false);
    } finally {
      blocker.close();
    }
  });
});
