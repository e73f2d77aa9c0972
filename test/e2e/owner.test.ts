/**
 * The owner's controls as a real process: `--admin-token-file` (a token made at first start, printed
 * that once, kept in the data folder), `POST /shutdown` (only with a token), and the startup line's
 * word on LAN discovery (never started here: these nodes listen on 127.0.0.1, and a test must not
 * send multicast on the machine's real interfaces).
 */

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, call, cleanupAll, freePort, startNode, tempDir } from '../support/harness.js';

afterAll(cleanupAll);

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('--admin-token-file', () => {
  it('makes a token at first start, prints it that once, and keeps using it', async () => {
    const dataDir = tempDir();
    const port = await freePort();
    const first = await startNode({ port, dataDir, args: ['--admin-token-file', '--difficulty', '2'] });
    const file = join(dataDir, 'admin-token');
    const token = readFileSync(file, 'utf8').trim();
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // Readable by the owner only.
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.output()).toContain(`admin token (made now, kept in ${file}; printed this once): ${token}`);
    expect(first.output()).toContain('control routes need the admin token');
    const refused = await call(`${first.url}/mine`);
    expect(refused.status).toBe(401);
    expect(refused.json()).toMatchObject({ statusCode: 401, code: 'ADMIN_TOKEN_REQUIRED' });
    expect((await call(`${first.url}/mine`, { headers: bearer(token) })).status).toBe(200);
    expect(await first.stop()).toBe(0);

    // Started again: the same token, not printed again.
    const again = await startNode({ port, dataDir, args: ['--admin-token-file', '--difficulty', '2'] });
    expect(again.output()).not.toContain(token);
    expect(again.output()).toContain(`admin token: the one in ${file}`);
    expect((await call(`${again.url}/mine`, { headers: bearer(token) })).status).toBe(200);
    expect((await call(`${again.url}/chain`)).json().length).toBe(3);
  });

  it('takes a file of its own, and refuses a file without a token, or both flags', async () => {
    const file = join(tempDir(), 'token.txt');
    writeFileSync(file, 'short\n');
    const port = String(await freePort());
    const run = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [CLI, 'node', '--host', '127.0.0.1', '--port', port, '--data-dir', tempDir(), ...args],
        {
          encoding: 'utf8',
          timeout: 20_000,
        },
      );
    const bad = run('--admin-token-file', file);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe(
      `blockforge: --admin-token-file ${file}: it does not hold an admin token (16 to 256 visible ASCII characters on one line): fix or delete it [INVALID_OPTION]`,
    );
    const folder = tempDir();
    expect(run('--admin-token-file', folder).stderr.trim()).toBe(
      `blockforge: --admin-token-file ${folder}: not a file [INVALID_OPTION]`,
    );
    // A token made at a start that then fails (the port is taken) was still shown.
    const blocker = await startNode();
    const made = join(tempDir(), 'made-token');
    const failed = spawnSync(
      process.execPath,
      [
        CLI,
        'node',
        '--host',
        '127.0.0.1',
        '--port',
        String(blocker.port),
        '--data-dir',
        tempDir(),
        '--admin-token-file',
        made,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(failed.status).toBe(1);
    expect(failed.stdout).toContain(`printed this once): ${readFileSync(made, 'utf8').trim()}`);
    const both = run('--admin-token', 'a'.repeat(20), '--admin-token-file', file);
    expect(both.status).toBe(1);
    expect(both.stderr).toContain('give --admin-token or --admin-token-file, not both');

    const own = join(tempDir(), 'teacher-token');
    writeFileSync(own, ' my-own-token-0123456789 \r\n', { mode: 0o644 });
    const node = await startNode({ args: ['--admin-token-file', own] });
    expect(node.output()).toContain(`admin token: the one in ${own}`);
    expect(node.output()).toContain(`warning: ${own} can be read by other users of this machine (chmod 600 it)`);
    expect((await call(`${node.url}/nodes/resolve`, { headers: bearer('my-own-token-0123456789') })).status).toBe(200);
    expect((await call(`${node.url}/nodes/resolve`, { headers: bearer('my-own-token-012345678') })).json().code).toBe(
      'ADMIN_TOKEN_INVALID',
    );
  });
});

describe('POST /shutdown', () => {
  it('stops a node cleanly for its owner, and for no one else', async () => {
    const token = 'shutdown-token-0123456789';
    const node = await startNode({ args: ['--admin-token', token] });
    for (const headers of [{}, bearer('another-token-0123456789')]) {
      const refused = await call(`${node.url}/shutdown`, { method: 'POST', headers });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(node.proc.exitCode).toBeNull();
    const exited = new Promise<number | null>((resolve) => node.proc.once('exit', (code) => resolve(code)));
    const answer = await call(`${node.url}/shutdown`, { method: 'POST', headers: bearer(token) });
    expect(answer.status).toBe(202);
    expect(answer.json()).toEqual({ message: 'Shutting down' });
    expect(await exited).toBe(0);
    // The data folder was closed cleanly: its lock is gone, and it opens again at once.
    expect(existsSync(join(node.dataDir, 'blockforge.pid'))).toBe(false);
    const again = await startNode({ dataDir: node.dataDir, args: ['--admin-token', token] });
    expect((await call(`${again.url}/chain`)).json().length).toBe(1);
  });

  it('does not exist on a node without a token (anyone could stop it)', async () => {
    const node = await startNode();
    const answer = await call(`${node.url}/shutdown`, { method: 'POST' });
    expect(answer.status).toBe(404);
    expect(answer.json().code).toBe('NOT_FOUND');
    expect(node.proc.exitCode).toBeNull();
  });
});

describe('LAN discovery at start', () => {
  it('is off for the tutorial profiles unless asked, and says why it cannot run on loopback', async () => {
    const seed = await startNode();
    expect(seed.output()).not.toMatch(/discovery|mDNS/);
    const asked = await startNode({ args: ['--discover'] });
    expect(asked.output()).toContain('LAN discovery off (listening on 127.0.0.1 only: use --host 0.0.0.0)');
    const ledger = await startNode({ args: ['--profile', 'ledger'] });
    expect(ledger.output()).toContain('LAN discovery off (listening on 127.0.0.1 only');
    const tutorialLike = await startNode({ args: ['--profile', 'ledger', '--no-auto-sync'] });
    expect(tutorialLike.output()).toContain('LAN discovery off (--no-auto-sync)');
    const off = await startNode({ args: ['--profile', 'ledger', '--no-discover'] });
    expect(off.output()).not.toMatch(/discovery|mDNS/);
  });
});
