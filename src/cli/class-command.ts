/**
 * `blockforge class --nodes N`: N local nodes for a demo on one laptop (or a test), each its own
 * process with its own port (`--port`, `--port`+1, ...) and data folder (`<data-dir>/<port>`), wired
 * together (each node is started with `--peer` of every node before it, so their hellos make a full
 * mesh), their URLs printed; Ctrl-C stops them all cleanly. Other flags go to every node as given
 * (`--host`, `--profile`, `--difficulty`, `--admin-token`, ...): the node command checks them.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Parsed options of `blockforge class`. */
export interface ClassOptions {
  nodes: number;
  port: number;
  host: string;
  dataDir: string;
}

/** Longest wait for one node's ready line (a ledger node re-validates its chain at start). */
const READY_TIMEOUT_MS = 60_000;
/** Longest wait for the nodes to stop after SIGTERM before they are killed. */
const STOP_TIMEOUT_MS = 15_000;

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
}

/** Starts the class; resolves with the exit code once the nodes have stopped. */
export async function runClass(options: ClassOptions, passThrough: readonly string[]): Promise<number> {
  // One token file for every node would be one token for the class: each node makes its own.
  const fileAt = passThrough.indexOf('--admin-token-file');
  const fileGiven = fileAt >= 0 && passThrough[fileAt + 1] !== undefined && !passThrough[fileAt + 1]?.startsWith('-');
  if (fileGiven || passThrough.some((a) => a.startsWith('--admin-token-file='))) {
    console.error(
      'blockforge: class gives each node its own token file: use --admin-token-file without a file name (or --admin-token)',
    );
    return 1;
  }
  const children: ChildProcess[] = [];
  let stopping: Promise<void> | null = null;
  const stopAll = (): Promise<void> => {
    stopping ??= Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              resolve();
              return;
            }
            const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      ),
    ).then(() => undefined);
    return stopping;
  };
  let interrupted = false;
  const onSignal = (): void => {
    if (!interrupted) console.error('stopping the class...');
    interrupted = true;
    void stopAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  try {
    const started: Started[] = [];
    for (let k = 0; k < options.nodes; k++) {
      if (interrupted) break;
      const port = options.port + k;
      const host = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
      const peers = started.flatMap((s) => ['--peer', s.url]);
      const args = [
        MAIN,
        'node',
        '--port',
        String(port),
        '--host',
        options.host,
        '--data-dir',
        join(options.dataDir, String(port)),
        ...peers,
        ...passThrough,
      ];
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const { url, tokenLine } = await ready(child, port, host);
      started.push({ child, url, port });
      // A token made at this start (--admin-token-file) is printed by the node only this once.
      console.log(`node ${k + 1}: ${url}${tokenLine ? `  (${tokenLine})` : ''}`);
    }
    if (!interrupted) {
      console.log(
        `${started.length} nodes running, data in ${options.dataDir}; the explorer of each is at its URL. Ctrl-C stops them all.`,
      );
    }
    // Until a signal, or until a node dies on its own (then the class stops: it is no longer whole).
    await Promise.race([
      new Promise<void>((resolve) => {
        for (const { child, port } of started) {
          child.once('exit', (code, signal) => {
            if (!interrupted)
              console.error(`the node on port ${port} stopped (${signal ?? `exit ${code}`}): stopping the class`);
            resolve();
          });
        }
      }),
      new Promise<void>((resolve) => {
        const check = setInterval(() => {
          if (interrupted) {
            clearInterval(check);
            resolve();
          }
        }, 100);
      }),
    ]);
    await stopAll();
    return interrupted ? 0 : 1;
  } catch (err) {
    console.error(`blockforge: ${(err as Error).message}`);
    await stopAll();
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  }
}

/**
 * Resolves with the node's URL (and the admin token line it printed, if any) once it printed its
 * ready line; rejects with its error if it exits.
 */
function ready(child: ChildProcess, port: number, host: string): Promise<{ url: string; tokenLine: string | null }> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(
      () => reject(new Error(`the node on port ${port} did not start within 60 s`)),
      READY_TIMEOUT_MS,
    );
    const onOut = (chunk: Buffer): void => {
      out += chunk.toString('utf8');
      if (out.includes('blockforge node ready at ')) {
        clearTimeout(timer);
        child.stdout?.off('data', onOut);
        // Keep draining both streams: a node's logs must never fill a pipe and stall it.
        child.stdout?.resume();
        const tokenLine = /^admin token.*$/m.exec(out)?.[0] ?? null;
        resolve({ url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`, tokenLine });
      }
    };
    child.stdout?.on('data', onOut);
    child.stderr?.on('data', (chunk: Buffer) => {
      if (err.length < 4096) err += chunk.toString('utf8');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      const reason = err.trim().split('\n').slice(0, 3).join('\n') || `exit ${code}`;
      reject(new Error(`the node on port ${port} did not start: ${reason}`));
    });
  });
}
