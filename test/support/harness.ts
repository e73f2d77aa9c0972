/**
 * Real processes on real sockets for end-to-end tests: blockforge nodes (the built CLI in dist/)
 * and the Python tutorial node (test/support/tutorial-node.py), each on a free loopback port with
 * its own temporary data folder.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built CLI (npm test builds before running the suite). */
export const CLI = join(ROOT, 'dist/cli/main.js');
/** The Python tutorial node used as the reference peer. */
export const TUTORIAL_NODE = join(ROOT, 'test/support/tutorial-node.py');

const cleanups: (() => void)[] = [];

/** A fresh temporary folder, removed by {@link cleanupAll}. */
export function tempDir(prefix = 'blockforge-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A node process under test. */
export interface RunningNode {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly proc: ChildProcess;
  /** Everything the process printed so far (stdout + stderr). */
  output(): string;
  /** SIGTERM, then wait for exit (SIGKILL after 5 s). Resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, no chance to clean up; resolves once the process is gone. */
  kill9(): Promise<void>;
}

const running = new Set<RunningNode>();

/**
 * Wraps a spawned node process as a {@link RunningNode} (stopped by {@link cleanupAll}) and resolves
 * once its output matches `readyPattern`; rejects if it exits first or is not ready within 20 s.
 * `url` defaults to `http://127.0.0.1:<port>`.
 */
export function trackProcess(
  proc: ChildProcess,
  port: number,
  dataDir: string,
  readyPattern: RegExp,
  url = `http://127.0.0.1:${port}`,
): Promise<RunningNode> {
  let output = '';
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const node: RunningNode = {
    url,
    port,
    dataDir,
    proc,
    output: () => output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        const code = await exited;
        clearTimeout(timer);
        running.delete(node);
        return code;
      }
      running.delete(node);
      return proc.exitCode;
    },
    async kill9() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
      running.delete(node);
    },
  };
  running.add(node);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node at ${url} did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (readyPattern.test(output)) {
        clearTimeout(timer);
        resolve(node);
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`node at ${url} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** Options for {@link startNode}. */
export interface StartNodeOptions {
  /** Extra CLI arguments after `node`. */
  args?: string[];
  /** Reuse a data folder (restart tests). */
  dataDir?: string;
  port?: number;
}

/** Starts `blockforge node` on 127.0.0.1 and waits for its ready line. */
export async function startNode(options: StartNodeOptions = {}): Promise<RunningNode> {
  const port = options.port ?? (await freePort());
  const dataDir = options.dataDir ?? tempDir();
  const proc = spawn(
    process.execPath,
    [
      CLI,
      'node',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--log-level',
      'warn',
      ...(options.args ?? []),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return trackProcess(proc, port, dataDir, /blockforge node ready at/);
}

/** Starts the Python tutorial node on 127.0.0.1. */
export async function startTutorialNode(
  options: { profile?: 'seed' | 'master'; difficulty?: number } = {},
): Promise<RunningNode> {
  const port = await freePort();
  const proc = spawn(
    'python3',
    [
      TUTORIAL_NODE,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--profile',
      options.profile ?? 'seed',
      '--difficulty',
      String(options.difficulty ?? 4),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return trackProcess(proc, port, '', /ready http:/);
}

/** Stops every process and removes every temp folder this file created. */
export async function cleanupAll(): Promise<void> {
  await Promise.all([...running].map((node) => node.kill9()));
  for (const cleanup of cleanups.splice(0)) cleanup();
}

/** An HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test convenience; tests assert on the shape
  json(): any;
}

/** Sends a request and reads the whole answer. `body` objects are JSON-encoded. */
export async function call(
  url: string,
  init: { method?: string; body?: string | object; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  const body = init.body === undefined || typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
  const headers = { ...(typeof init.body === 'object' ? { 'content-type': 'application/json' } : {}), ...init.headers };
  const response = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
    signal: AbortSignal.timeout(init.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}
