#!/usr/bin/env node
/**
 * Soak: three blockforge node processes on 127.0.0.1 for a bounded time (default 10 minutes), each
 * with its own temporary data folder, registered to each other (`--peer`), auto sync on with a short
 * `--sync-interval`, at a low difficulty. During the run:
 * - a steady transaction load, `POST /transactions/new` spread over the nodes at random, each
 *   transaction with a sender and recipient of its own (`soak-<run>-s<seq>`, `soak-<run>-r<seq>`);
 *   every one answered 201 is recorded as acknowledged, with the node that acknowledged it;
 * - `GET /mine` and `GET /nodes/resolve` on random nodes now and then (several may overlap);
 * - one node killed with SIGKILL and restarted on the same data folder and port every `--kill-every`
 *   seconds (60 by default, a quarter of the run for runs under 4 minutes), the nodes in turn;
 * - each node's resident memory (VmRSS of /proc/<pid>/status) sampled periodically.
 * Requests to a node that is down fail, as they should: they are counted as expected failures. A
 * failure of a node that was up when the request was sent and stayed up is counted as unexpected.
 *
 * At the end the load stops, every answer in flight is awaited, and the nodes converge: each runs
 * `GET /nodes/resolve` in turn until their `/peer/status` tips agree (bounded by
 * `--converge-seconds`). Two tips at the same height are a fork tie, which the protocol keeps by
 * design (on equal work the chain seen first stays): one block is then mined on one of them to
 * break it, and counted ("tie-break blocks"). Then:
 * (a) every acknowledged transaction is in the agreed chain exactly once, or, if it is not in the
 *     chain, pending on at least one node; none is lost (neither in the chain nor pending
 *     anywhere), none is in the chain twice, and no transaction of the run is in the chain twice or
 *     with other values than it was sent with;
 * (b) all three nodes have the same chain: the same tip hash and height in `/peer/status`, and
 *     each node's `GET /chain` valid under the core's rules (every link and proof checked) with the
 *     same block hashes, its last one the tip (whether the answers are also byte-identical is
 *     reported, and where they first differ);
 * (c) resident memory does not grow without bound: within each process lifetime (a restart starts
 *     a new one) with enough samples, the mean of the last third of the samples is at most
 *     `--rss-growth` (1.5) times the mean of the middle third (the first third is warm-up);
 * (d) no 5xx answer, no node exiting by itself, every restart ready.
 * One summary table is printed (`--json`: then the summary as one JSON object too); the exit code
 * is 0 when every check passes, 1 otherwise. Every node is stopped on exit (Ctrl-C included) and
 * the temporary folders are removed (`--keep-data` keeps them, and prints where). The nodes run a
 * copy of dist/ taken at the start (in bench/.cache, removed at the end), so a rebuild of dist/
 * during the run changes nothing.
 *
 * Usage: node bench/soak.mjs [--minutes N | --seconds N] [--rate TX_PER_S (30)] [--kill-every S]
 *          [--down S] [--mine-every S (3)] [--resolve-every S (5)] [--sample-every S]
 *          [--difficulty N (3)] [--sync-interval S (2)] [--converge-seconds S (60)]
 *          [--rss-growth X (1.5)] [--keep-data] [--json]
 */

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort } from './support.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = join(here, '..');
const HOST = '127.0.0.1';
const NODE_COUNT = 3;
/** Transaction requests in flight at once; past it a scheduled transaction is skipped (and counted). */
const MAX_TX_IN_FLIGHT = 256;
/** `/mine` and `/nodes/resolve` requests in flight at once (each kind). */
const MAX_OTHER_IN_FLIGHT = 3;
const TX_TIMEOUT_MS = 15_000;
const MINE_TIMEOUT_MS = 120_000;
const RESOLVE_TIMEOUT_MS = 60_000;
const READY_TIMEOUT_MS = 60_000;
/** Fewest samples in a process lifetime for its growth to be judged. */
const MIN_GROWTH_SAMPLES = 9;
/** Lines of each node's output kept for diagnostics. */
const TAIL_LINES = 200;

const USAGE = `Usage: node bench/soak.mjs [--minutes N | --seconds N] [--rate TX_PER_S] [--kill-every S] [--down S]
         [--mine-every S] [--resolve-every S] [--sample-every S] [--difficulty N] [--sync-interval S]
         [--converge-seconds S] [--rss-growth X] [--keep-data] [--json]`;

// ---- options ------------------------------------------------------------------------------

function parseOptions(argv) {
  const numeric = new Set([
    '--minutes',
    '--seconds',
    '--rate',
    '--kill-every',
    '--down',
    '--mine-every',
    '--resolve-every',
    '--sample-every',
    '--difficulty',
    '--sync-interval',
    '--converge-seconds',
    '--rss-growth',
  ]);
  const flags = new Set(['--json', '--keep-data', '--help']);
  const values = {};
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    if (flags.has(arg)) {
      values[arg] = true;
    } else if (numeric.has(arg)) {
      const value = Number(argv[k + 1]);
      if (argv[k + 1] === undefined || !Number.isFinite(value) || value <= 0) {
        throw new Error(`${arg} needs a positive number\n${USAGE}`);
      }
      values[arg] = value;
      k++;
    } else {
      throw new Error(`unknown argument ${arg}\n${USAGE}`);
    }
  }
  if (values['--help']) return { help: true };
  if (values['--minutes'] !== undefined && values['--seconds'] !== undefined) {
    throw new Error('give --minutes or --seconds, not both');
  }
  const seconds = values['--seconds'] ?? (values['--minutes'] ?? 10) * 60;
  const killEvery = values['--kill-every'] ?? (seconds >= 240 ? 60 : Math.max(10, seconds / 4));
  const difficulty = values['--difficulty'] ?? 3;
  if (!Number.isInteger(difficulty) || difficulty > 6) throw new Error('--difficulty must be an integer from 1 to 6');
  return {
    seconds,
    rate: values['--rate'] ?? 30,
    killEvery,
    down: values['--down'] ?? Math.min(2, killEvery / 4),
    mineEvery: values['--mine-every'] ?? 3,
    resolveEvery: values['--resolve-every'] ?? 5,
    sampleEvery: values['--sample-every'] ?? Math.min(5, Math.max(1, seconds / 120)),
    difficulty,
    syncInterval: values['--sync-interval'] ?? 2,
    convergeSeconds: values['--converge-seconds'] ?? 60,
    rssGrowth: values['--rss-growth'] ?? 1.5,
    keepData: values['--keep-data'] === true,
    json: values['--json'] === true,
  };
}

// ---- small helpers ------------------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.now();
/** `seconds` (in ms) scattered over [0.5, 1.5) times it. */
const jitter = (seconds) => seconds * 1000 * (0.5 + Math.random());
const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;
const mb = (kb) => (kb === null || kb === undefined ? '-' : `${(kb / 1024).toFixed(1)} MB`);
const secs = (ms) => `${(ms / 1000).toFixed(1)} s`;
const bump = (counts, key, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};
const countsText = (counts) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([key, n]) => `${key} ${n}`)
    .join(', ');

/** Aligned columns; the first row is the header. */
function table(rows, indent = '  ') {
  const widths = [];
  for (const row of rows) {
    row.forEach((cell, k) => {
      widths[k] = Math.max(widths[k] ?? 0, String(cell).length);
    });
  }
  return rows.map((row) =>
    `${indent}${row.map((cell, k) => (k === row.length - 1 ? String(cell) : String(cell).padEnd(widths[k]))).join('  ')}`.trimEnd(),
  );
}

// ---- the run's state ----------------------------------------------------------------------

const runId = randomBytes(4).toString('hex');
const nodes = [];
const dirs = new Set();
/** Every request still in flight (awaited before the checks). */
const inFlight = new Set();
/** Per endpoint label: requests sent, answers by status, failures by error code. */
const endpoints = new Map();
/** sender -> { node, seq, at } for every transaction answered 201. */
const acknowledged = new Map();
const tally = {
  txScheduled: 0,
  txSkipped: 0,
  txInFlight: 0,
  mineInFlight: 0,
  resolveInFlight: 0,
  kills: 0,
  restarts: [],
  restartFailures: [],
  crashes: [],
  stopProblems: [],
};
let phase = 'setup';
let loadStartedAt = 0;

function endpoint(label) {
  let stat = endpoints.get(label);
  if (!stat) {
    stat = { sent: 0, statuses: {}, errors: {}, unexpected: 0, unexpectedSamples: [], errorBodies: [] };
    endpoints.set(label, stat);
  }
  return stat;
}

/** Keeps `promise` in the in-flight set until it settles. */
function track(promise) {
  inFlight.add(promise);
  void promise.finally(() => inFlight.delete(promise));
  return promise;
}

// ---- HTTP ---------------------------------------------------------------------------------

/** One request to `node`; resolves { status, text } or rejects with an error that has a `code`. */
function httpCall(node, method, path, body, timeoutMs) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers = { accept: 'application/json' };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const req = httpRequest(`${node.url}${path}`, { method, agent: node.agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    const timer = setTimeout(() => {
      const err = new Error(`${method} ${path}: no answer within ${timeoutMs} ms`);
      err.code = 'TIMEOUT';
      req.destroy(err);
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(payload);
  });
}

/**
 * A request counted under `label`: the status of an answer, or the code of a failure (then the
 * result is `{ status: 0, error }`). A failure is unexpected when the node was up when the request
 * was sent and was neither killed nor found dead before it failed.
 */
async function call(node, method, path, { body, timeoutMs = TX_TIMEOUT_MS, label = `${method} ${path}` } = {}) {
  const stat = endpoint(label);
  stat.sent++;
  const upAtSend = node.up;
  const epoch = node.epoch;
  const sentAt = now();
  try {
    const res = await httpCall(node, method, path, body, timeoutMs);
    let code = '';
    if (res.status >= 300) {
      try {
        code = JSON.parse(res.text).code ?? '';
      } catch {
        code = 'non-JSON';
      }
      if (stat.errorBodies.length < 5)
        stat.errorBodies.push({ node: node.name, status: res.status, body: res.text.slice(0, 300) });
    }
    bump(stat.statuses, code ? `${res.status} ${code}` : String(res.status));
    return res;
  } catch (err) {
    const code = err.code ?? err.message;
    bump(stat.errors, code);
    if (upAtSend && node.up && node.epoch === epoch) {
      stat.unexpected++;
      if (stat.unexpectedSamples.length < 5) {
        stat.unexpectedSamples.push({
          node: node.name,
          code,
          message: err.message,
          atSeconds: Number(((sentAt - loadStartedAt) / 1000).toFixed(1)),
          ms: Math.round(now() - sentAt),
        });
      }
    }
    return { status: 0, error: code };
  }
}

async function getJson(node, path, label, timeoutMs = 30_000) {
  const res = await call(node, 'GET', path, { label, timeoutMs });
  if (res.status !== 200)
    throw new Error(`${node.name} ${path}: ${res.error ?? `HTTP ${res.status} ${res.text.slice(0, 200)}`}`);
  return { text: res.text, json: JSON.parse(res.text) };
}

// ---- the build the nodes run --------------------------------------------------------------

/** The snapshot of the build: its CLI, and the core's modules the checks use. */
const build = { cli: '', core: null };

/**
 * Copies dist/ (and package.json, which the CLI reads) to bench/.cache/soak-<run>/, and runs every
 * node from that copy: a rebuild of dist/ during the run (it is cleaned first) would otherwise make
 * a restart fail, or mix two builds in one network. Node resolves the dependencies from the
 * repository's node_modules, up the folder tree, as for dist/ itself.
 */
async function snapshotBuild() {
  const dist = join(ROOT, 'dist');
  if (!existsSync(join(dist, 'cli/main.js')) || !existsSync(join(dist, 'kernel/pow.wasm'))) {
    throw new Error('dist/ is not built (or is being rebuilt): build it first (npm run soak does)');
  }
  const dir = join(here, '.cache', `soak-${runId}`);
  dirs.add(dir);
  mkdirSync(dir, { recursive: true });
  cpSync(dist, join(dir, 'dist'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  build.cli = join(dir, 'dist/cli/main.js');
  const load = (file) => import(pathToFileURL(join(dir, 'dist/core', file)).href);
  const [chain, json, profiles] = await Promise.all([load('chain.js'), load('json.js'), load('profiles.js')]);
  build.core = {
    validateChainResponse: chain.validateChainResponse,
    parseJson: json.parseJson,
    createProfile: profiles.createProfile,
  };
}

// ---- node processes -----------------------------------------------------------------------

function makeNode(index, port, dataDir) {
  return {
    index,
    name: `n${index + 1}`,
    port,
    url: `http://${HOST}:${port}`,
    dataDir,
    proc: null,
    agent: null,
    up: false,
    /** Incremented when the node is killed or found dead: answers across it are expected to fail. */
    epoch: 0,
    expectingExit: false,
    lifetimes: [],
    log: { tail: [], warn: {}, error: {}, errorLines: [], other: [], replaced: 0, forged: 0 },
  };
}

/** Handles one line of a node's output: keeps a tail, counts warnings, errors and reorgs. */
function onLine(node, line, stream) {
  if (!line) return;
  node.log.tail.push(line);
  if (node.log.tail.length > TAIL_LINES) node.log.tail.shift();
  if (line.startsWith('{')) {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      entry = null;
    }
    if (entry && typeof entry.level === 'number') {
      const msg = String(entry.msg ?? '');
      if (msg === 'chain replaced') node.log.replaced++;
      if (msg === 'block forged') node.log.forged++;
      if (entry.level >= 50) {
        bump(node.log.error, msg);
        if (node.log.errorLines.length < 10) node.log.errorLines.push(line.slice(0, 1000));
      } else if (entry.level >= 40) {
        bump(node.log.warn, entry.code ? `${msg} (${entry.code})` : msg);
      }
      return;
    }
  }
  if (/blockforge node ready at/.test(line)) return;
  if (stream === 'stderr' && node.log.other.length < 20) node.log.other.push(line.slice(0, 1000));
}

/** Spawns the node's process; resolves once it printed its ready line. */
function spawnNode(node) {
  const peers = nodes.filter((other) => other !== node).flatMap((other) => ['--peer', other.url]);
  const args = [
    build.cli,
    'node',
    '--host',
    HOST,
    '--port',
    String(node.port),
    '--data-dir',
    node.dataDir,
    '--difficulty',
    String(options.difficulty),
    '--threads',
    '1',
    '--sync-interval',
    String(options.syncInterval),
    '--log-level',
    'info',
    ...peers,
  ];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const life = { pid: proc.pid, spawnedAt: now(), readyAt: null, endedAt: null, exit: null, samples: [] };
  node.proc = proc;
  node.lifetimes.push(life);
  node.agent = new Agent({ keepAlive: true, maxSockets: 64 });
  let startup = '';
  return new Promise((resolve, reject) => {
    let ready = false;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${node.name} was not ready within ${READY_TIMEOUT_MS / 1000} s:\n${startup.slice(-2000)}`));
    }, READY_TIMEOUT_MS);
    for (const stream of ['stdout', 'stderr']) {
      let partial = '';
      proc[stream].on('data', (chunk) => {
        const text = partial + chunk.toString('utf8');
        const lines = text.split('\n');
        partial = lines.pop();
        for (const line of lines) {
          if (!ready) {
            startup = `${startup}${line}\n`.slice(-4000);
            if (/blockforge node ready at/.test(line)) {
              ready = true;
              clearTimeout(timer);
              life.readyAt = now();
              node.up = true;
              resolve(life);
            }
          }
          onLine(node, line, stream);
        }
      });
    }
    proc.once('exit', (code, signal) => {
      life.endedAt = now();
      life.exit = signal ?? code;
      node.up = false;
      node.epoch++;
      node.agent.destroy();
      if (!ready) {
        clearTimeout(timer);
        reject(new Error(`${node.name} exited (${signal ?? code}) before it was ready:\n${startup.slice(-2000)}`));
        return;
      }
      if (!node.expectingExit) onCrash(node, life);
    });
  });
}

/** Starts a node, retrying a few times if its port is briefly taken. */
async function startNode(node) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await spawnNode(node);
    } catch (err) {
      if (attempt >= 5 || !/port is in use/.test(err.message)) throw err;
      await sleep(1000);
    }
  }
}

/** A node that exited without being told to: recorded, and restarted while the soak goes on. */
function onCrash(node, life) {
  tally.crashes.push({
    node: node.name,
    pid: life.pid,
    exit: life.exit,
    atSeconds: Number(((life.endedAt - loadStartedAt) / 1000).toFixed(1)),
    phase,
    tail: node.log.tail.slice(-30),
  });
  if (phase === 'load' || phase === 'converge') {
    node.restarting = (async () => {
      await sleep(1000);
      try {
        await startNode(node);
      } catch (err) {
        tally.restartFailures.push({ node: node.name, after: 'crash', error: err.message });
      }
    })();
  }
}

/** SIGKILL, wait for the exit, stay down `options.down` seconds, start again on the same folder. */
async function killAndRestart(node) {
  const proc = node.proc;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  node.expectingExit = true;
  node.up = false;
  node.epoch++;
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  proc.kill('SIGKILL');
  await exited;
  tally.kills++;
  const killedAt = now();
  await sleep(options.down * 1000);
  node.expectingExit = false;
  try {
    const started = now();
    const life = await startNode(node);
    tally.restarts.push({
      node: node.name,
      atSeconds: Number(((killedAt - loadStartedAt) / 1000).toFixed(1)),
      readyMs: Math.round(life.readyAt - started),
    });
  } catch (err) {
    tally.restartFailures.push({ node: node.name, after: 'SIGKILL', error: err.message });
  }
}

/** SIGTERM (clean shutdown), SIGKILL after 5 s; notes a node that needed it. */
async function stopNode(node) {
  const proc = node.proc;
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
  node.expectingExit = true;
  node.up = false;
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(signal ?? code)));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => {
    tally.stopProblems.push(`${node.name} did not exit within 5 s of SIGTERM (killed)`);
    proc.kill('SIGKILL');
  }, 5_000);
  const result = await exited;
  clearTimeout(timer);
  if (result !== 0 && result !== 'SIGKILL') tally.stopProblems.push(`${node.name} exited with ${result} on SIGTERM`);
}

/** Synchronous last resort (process exit, Ctrl-C): every child killed, every folder removed. */
function killEverything() {
  for (const node of nodes) {
    const proc = node.proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      node.expectingExit = true;
      try {
        proc.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  if (!options?.keepData) for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

// ---- memory -------------------------------------------------------------------------------

function readRssKb(pid) {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

function sampleMemory() {
  for (const node of nodes) {
    const life = node.lifetimes[node.lifetimes.length - 1];
    if (!node.up || !life || life.endedAt !== null) continue;
    const kb = readRssKb(life.pid);
    if (kb !== null) life.samples.push({ t: now(), kb });
  }
}

/** last-third mean / middle-third mean of one lifetime's samples, or null with too few. */
function growthOf(samples) {
  if (samples.length < MIN_GROWTH_SAMPLES) return null;
  const third = Math.floor(samples.length / 3);
  const middle = samples.slice(third, 2 * third).map((s) => s.kb);
  const last = samples.slice(samples.length - third).map((s) => s.kb);
  return mean(last) / mean(middle);
}

function memoryReport(node) {
  const all = node.lifetimes.flatMap((life) => life.samples);
  const lifetimes = node.lifetimes.map((life) => ({
    pid: life.pid,
    seconds: Number((((life.endedAt ?? now()) - life.spawnedAt) / 1000).toFixed(1)),
    exit: life.exit,
    samples: life.samples.length,
    firstKb: life.samples[0]?.kb ?? null,
    maxKb: life.samples.length ? Math.max(...life.samples.map((s) => s.kb)) : null,
    lastKb: life.samples[life.samples.length - 1]?.kb ?? null,
    growth: growthOf(life.samples),
  }));
  const judged = lifetimes.filter((l) => l.growth !== null);
  const worst = judged.length ? Math.max(...judged.map((l) => l.growth)) : null;
  return {
    node: node.name,
    port: node.port,
    processes: node.lifetimes.length,
    samples: all.length,
    firstKb: all[0]?.kb ?? null,
    maxKb: all.length ? Math.max(...all.map((s) => s.kb)) : null,
    lastKb: all[all.length - 1]?.kb ?? null,
    judgedLifetimes: judged.length,
    worstGrowth: worst,
    growing: worst !== null && worst > options.rssGrowth,
    lifetimes,
  };
}

// ---- load ---------------------------------------------------------------------------------

const pick = () => nodes[Math.floor(Math.random() * nodes.length)];

function sendTransaction() {
  const seq = ++tally.txScheduled;
  if (tally.txInFlight >= MAX_TX_IN_FLIGHT) {
    tally.txSkipped++;
    return;
  }
  const node = pick();
  const sender = `soak-${runId}-s${seq}`;
  const body = { sender, recipient: `soak-${runId}-r${seq}`, amount: (seq % 997) + 1 };
  tally.txInFlight++;
  track(
    call(node, 'POST', '/transactions/new', { body, label: 'POST /transactions/new' }).then((res) => {
      tally.txInFlight--;
      if (res.status === 201) acknowledged.set(sender, { node: node.name, seq, at: now() });
    }),
  );
}

/** `fn` every ~`seconds` (jittered) until stopped. */
function every(seconds, fn) {
  let timer = null;
  let stopped = false;
  const next = () => {
    timer = setTimeout(() => {
      if (stopped) return;
      fn();
      next();
    }, jitter(seconds));
  };
  next();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

function mineSomewhere() {
  if (tally.mineInFlight >= MAX_OTHER_IN_FLIGHT) return;
  tally.mineInFlight++;
  track(
    call(pick(), 'GET', '/mine', { timeoutMs: MINE_TIMEOUT_MS }).then(() => {
      tally.mineInFlight--;
    }),
  );
}

function resolveSomewhere() {
  if (tally.resolveInFlight >= MAX_OTHER_IN_FLIGHT) return;
  tally.resolveInFlight++;
  track(
    call(pick(), 'GET', '/nodes/resolve', { timeoutMs: RESOLVE_TIMEOUT_MS }).then(() => {
      tally.resolveInFlight--;
    }),
  );
}

/** Kills the nodes in turn every `options.killEvery` seconds until `endAt` (none in the last stretch). */
async function killer(endAt, isStopped) {
  const margin = Math.min(10_000, (options.killEvery * 1000) / 2);
  for (let k = 1; ; k++) {
    const at = loadStartedAt + k * options.killEvery * 1000;
    if (at > endAt - margin) return;
    while (now() < at) {
      if (isStopped()) return;
      await sleep(Math.min(250, at - now()));
    }
    const node = nodes[(k - 1) % nodes.length];
    if (node.restarting) await node.restarting;
    progress(`kill -9 ${node.name} (pid ${node.proc.pid})`);
    await killAndRestart(node);
    progress(`${node.name} restarted (pid ${node.proc.pid})`);
  }
}

let progressLog = () => {};
const progress = (text) => progressLog(`[${((now() - loadStartedAt) / 1000).toFixed(0).padStart(4)} s] ${text}`);

// ---- convergence and checks ---------------------------------------------------------------

/**
 * Resolve on each node in turn until all `/peer/status` tips agree, within `convergeSeconds`. A
 * tie (different tips at the top height) is broken by mining one block on the first tied node.
 */
async function converge() {
  const started = now();
  const rounds = [];
  let tieBreaks = 0;
  for (;;) {
    for (const node of nodes) {
      await call(node, 'GET', '/nodes/resolve', {
        label: 'converge GET /nodes/resolve',
        timeoutMs: RESOLVE_TIMEOUT_MS,
      });
    }
    const statuses = await Promise.all(
      nodes.map((node) =>
        getJson(node, '/peer/status', 'converge GET /peer/status').then(
          (r) => r.json,
          (err) => ({ error: err.message }),
        ),
      ),
    );
    rounds.push(statuses.map((s) => (s.error ? s.error : `${s.height}:${String(s.tip).slice(0, 10)}`)));
    const ok = statuses.every((s) => !s.error);
    if (ok && new Set(statuses.map((s) => `${s.height}:${s.tip}`)).size === 1) {
      return { converged: true, ms: now() - started, rounds: rounds.length, tieBreaks, statuses };
    }
    if (now() - started > options.convergeSeconds * 1000) {
      return { converged: false, ms: now() - started, rounds: rounds.length, tieBreaks, statuses, history: rounds };
    }
    if (ok) {
      const top = Math.max(...statuses.map((s) => s.height));
      const tied = statuses.map((s, k) => ({ ...s, node: nodes[k] })).filter((s) => s.height === top);
      if (new Set(tied.map((s) => s.tip)).size > 1) {
        tieBreaks++;
        progress(`fork tie at height ${top}: mining one block on ${tied[0].node.name}`);
        await call(tied[0].node, 'GET', '/mine', {
          label: 'converge GET /mine (tie-break)',
          timeoutMs: MINE_TIMEOUT_MS,
        });
      }
    }
    await sleep(1000);
  }
}

/**
 * Where two `/chain` answers first differ: the block (by index) whose JSON differs, and the raw text
 * around the first differing character of each answer.
 */
function firstDifference(a, b) {
  const blocksA = a.json.chain;
  const blocksB = b.json.chain;
  let block = null;
  for (let k = 0; k < Math.max(blocksA.length, blocksB.length); k++) {
    if (JSON.stringify(blocksA[k]) !== JSON.stringify(blocksB[k])) {
      block = blocksA[k]?.index ?? blocksB[k]?.index ?? k + 1;
      break;
    }
  }
  let at = 0;
  while (at < a.text.length && a.text[at] === b.text[at]) at++;
  const around = (text) => text.slice(Math.max(0, at - 80), at + 80);
  return { block, offset: at, lengths: [a.text.length, b.text.length], first: around(a.text), second: around(b.text) };
}

/** Transactions of this run in a list of transactions: sender -> the transaction. */
function isOurs(tx) {
  return typeof tx?.sender === 'string' && tx.sender.startsWith(`soak-${runId}-s`);
}

async function finalState(convergence) {
  const chains = [];
  const pendings = [];
  for (const node of nodes) {
    chains.push(await getJson(node, '/chain', 'final GET /chain', 120_000));
    pendings.push(await getJson(node, '/transactions/pending', 'final GET /transactions/pending', 60_000));
  }
  const identical = chains.every((c) => c.text === chains[0].text);
  // Each answer validated with the core (every hash link and proof), its tip hash computed.
  const { createProfile, parseJson, validateChainResponse } = build.core;
  const profile = createProfile('seed', { difficulty: options.difficulty });
  const validated = chains.map((c, k) => {
    const out = { node: nodes[k].name, lengthField: c.json.length, blocks: c.json.chain.length };
    try {
      const blocks = validateChainResponse(profile, parseJson(c.text, { nonFinite: true }));
      return {
        ...out,
        valid: true,
        tip: blocks[blocks.length - 1].hash,
        statusTip: convergence.statuses[k]?.tip,
        hashes: blocks.map((b) => b.hash).join(','),
      };
    } catch (err) {
      return { ...out, valid: false, error: err.message };
    }
  });
  const differences = chains.slice(1).flatMap((c, k) => {
    if (c.text === chains[0].text) return [];
    return [{ nodes: `${nodes[0].name} vs ${nodes[k + 1].name}`, ...firstDifference(chains[0], c) }];
  });
  const chain = chains[0].json.chain;

  // In the agreed chain (node 1's; with (b) passing, everyone's).
  const inChain = new Map();
  const mismatched = [];
  let ourTxsInChain = 0;
  for (const block of chain) {
    for (const tx of block.transactions ?? []) {
      if (!isOurs(tx)) continue;
      ourTxsInChain++;
      const seq = Number(tx.sender.slice(`soak-${runId}-s`.length));
      if (tx.recipient !== `soak-${runId}-r${seq}` || tx.amount !== (seq % 997) + 1) {
        if (mismatched.length < 10) mismatched.push({ block: block.index, tx });
      }
      const entry = inChain.get(tx.sender) ?? { count: 0, blocks: [] };
      entry.count++;
      entry.blocks.push(block.index);
      inChain.set(tx.sender, entry);
    }
  }
  const pendingOn = new Map();
  pendings.forEach((p, k) => {
    for (const tx of p.json.transactions) {
      if (!isOurs(tx)) continue;
      const list = pendingOn.get(tx.sender) ?? [];
      list.push(nodes[k].name);
      pendingOn.set(tx.sender, list);
    }
  });

  let once = 0;
  let pendingOnly = 0;
  const lost = [];
  const duplicated = [];
  for (const [sender, ack] of acknowledged) {
    const entry = inChain.get(sender);
    if (entry?.count === 1) once++;
    else if (entry && entry.count > 1) duplicated.push({ sender, acknowledgedBy: ack.node, blocks: entry.blocks });
    else if (pendingOn.has(sender)) pendingOnly++;
    else {
      const killsOfIt = tally.restarts.filter((r) => r.node === ack.node).map((r) => r.atSeconds);
      lost.push({
        sender,
        acknowledgedBy: ack.node,
        atSeconds: Number(((ack.at - loadStartedAt) / 1000).toFixed(1)),
        killsOfThatNodeAtSeconds: killsOfIt,
      });
    }
  }
  // Any transaction of the run twice in the chain, acknowledged or not (a timed-out request may
  // still have been accepted, but never twice).
  const duplicatedAny = [...inChain.entries()].filter(([, e]) => e.count > 1).length;
  const unacknowledgedInChain = [...inChain.keys()].filter((sender) => !acknowledged.has(sender)).length;
  const stalePending = [...pendingOn.entries()].filter(([sender]) => inChain.has(sender));
  const pendingCounts = Object.fromEntries(pendings.map((p, k) => [nodes[k].name, p.json.count]));

  const peers = [];
  for (const node of nodes) {
    const answer = await getJson(node, '/nodes', 'final GET /nodes');
    for (const peer of answer.json.peers ?? []) {
      if (peer.status === 'banned') peers.push({ node: node.name, peer: peer.address, lastError: peer.lastError });
    }
  }

  return {
    height: chain.length,
    tip: convergence.statuses[0]?.tip ?? null,
    chainBytes: chains[0].text.length,
    identical,
    validated,
    sameChain: validated.every(
      (v) => v.valid && v.hashes === validated[0].hashes && v.tip === v.statusTip && v.lengthField === v.blocks,
    ),
    differences,
    chainLengths: chains.map((c) => c.json.length),
    ourTxsInChain,
    transactions: {
      acknowledged: acknowledged.size,
      inChainOnce: once,
      pendingOnly,
      lost: lost.length,
      duplicated: duplicated.length,
      duplicatedAny,
      mismatched: mismatched.length,
      unacknowledgedInChain,
      stalePending: stalePending.length,
      stalePendingSamples: stalePending
        .slice(0, 5)
        .map(([sender, on]) => ({ sender, pendingOn: on, blocks: inChain.get(sender).blocks })),
      lostSamples: lost.slice(0, 10),
      duplicatedSamples: duplicated.slice(0, 10),
      mismatchedSamples: mismatched,
    },
    pendingCounts,
    bannedPeers: peers,
  };
}

// ---- the run ------------------------------------------------------------------------------

async function runSoak() {
  await snapshotBuild();
  const ports = new Set();
  while (ports.size < NODE_COUNT) ports.add(await freePort());
  for (const port of ports) {
    const dir = mkdtempSync(join(tmpdir(), `blockforge-soak-${port}-`));
    dirs.add(dir);
    nodes.push(makeNode(nodes.length, port, dir));
  }
  await Promise.all(nodes.map((node) => startNode(node)));

  phase = 'load';
  loadStartedAt = now();
  const endAt = loadStartedAt + options.seconds * 1000;
  sampleMemory();
  const sampler = setInterval(sampleMemory, options.sampleEvery * 1000);
  const loadTimer = setInterval(() => {
    const due = Math.floor(((now() - loadStartedAt) / 1000) * options.rate);
    while (tally.txScheduled < due) sendTransaction();
  }, 50);
  const stopMining = every(options.mineEvery, mineSomewhere);
  const stopResolving = every(options.resolveEvery, resolveSomewhere);
  const reporter = setInterval(() => {
    const tx = endpoint('POST /transactions/new');
    progress(
      `tx ${tx.sent} sent, ${acknowledged.size} acknowledged; ${tally.kills} kills; RSS ${nodes
        .map((n) => `${n.name} ${mb(n.lifetimes[n.lifetimes.length - 1].samples.at(-1)?.kb)}${n.up ? '' : ' (down)'}`)
        .join(', ')}`,
    );
  }, 15_000);
  let loadOver = false;
  const killing = killer(endAt, () => loadOver);
  await sleep(Math.max(0, endAt - now()));
  loadOver = true;
  clearInterval(loadTimer);
  stopMining();
  stopResolving();
  clearInterval(reporter);
  const loadMs = now() - loadStartedAt;

  phase = 'drain';
  progress(`load stopped; waiting for ${inFlight.size} requests in flight`);
  await killing;
  while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
  for (const node of nodes) if (node.restarting) await node.restarting;
  for (const node of nodes) if (!node.up) await startNode(node).catch(() => undefined);

  phase = 'converge';
  progress('converging');
  const convergence = await converge();
  progress(convergence.converged ? `converged in ${secs(convergence.ms)}` : 'did not converge');
  const final = await finalState(convergence);
  sampleMemory();
  clearInterval(sampler);

  phase = 'stop';
  await Promise.all(nodes.map(stopNode));
  return summarize({ loadMs, convergence, final });
}

function summarize({ loadMs, convergence, final }) {
  const stat = (label) => endpoint(label);
  const tx = stat('POST /transactions/new');
  const mine = stat('GET /mine');
  const resolve = stat('GET /nodes/resolve');
  const failures = (s) => Object.values(s.errors).reduce((a, b) => a + b, 0);
  const statusesOther = {};
  const fiveHundreds = {};
  const unexpected = {};
  for (const [label, s] of endpoints) {
    for (const [status, n] of Object.entries(s.statuses)) {
      if (status !== '200' && status !== '201') {
        statusesOther[label] ??= {};
        bump(statusesOther[label], status, n);
      }
      if (status.startsWith('5')) {
        fiveHundreds[label] ??= {};
        bump(fiveHundreds[label], status, n);
      }
    }
    if (s.unexpected > 0) unexpected[label] = { count: s.unexpected, samples: s.unexpectedSamples };
  }
  const memory = nodes.map(memoryReport);
  const logErrors = Object.fromEntries(
    nodes.map((n) => [n.name, n.log.error]).filter(([, e]) => Object.keys(e).length),
  );
  const t = final.transactions;
  const checks = {
    transactions: t.lost === 0 && t.duplicated === 0 && t.duplicatedAny === 0 && t.mismatched === 0,
    chainsAgree: convergence.converged && final.sameChain,
    memory: memory.every((m) => !m.growing),
    noServerErrors:
      Object.keys(fiveHundreds).length === 0 && tally.crashes.length === 0 && tally.restartFailures.length === 0,
  };
  const restartMs = tally.restarts.map((r) => r.readyMs);
  return {
    ok: Object.values(checks).every(Boolean),
    checks,
    options,
    runId,
    durationSeconds: Number((loadMs / 1000).toFixed(1)),
    convergeSeconds: Number((convergence.ms / 1000).toFixed(1)),
    convergeRounds: convergence.rounds,
    tieBreakBlocks: convergence.tieBreaks,
    transactions: {
      scheduled: tally.txScheduled,
      skipped: tally.txSkipped,
      sent: tx.sent,
      acknowledged: acknowledged.size,
      answers: tx.statuses,
      failed: tx.sent - (tx.statuses['201'] ?? 0),
      failures: tx.errors,
      byNode: Object.fromEntries(
        nodes.map((n) => [n.name, [...acknowledged.values()].filter((a) => a.node === n.name).length]),
      ),
    },
    mining: {
      requests: mine.sent,
      answers: mine.statuses,
      failures: mine.errors,
      forgedLogged: nodes.reduce((a, n) => a + n.log.forged, 0),
    },
    resolves: { requests: resolve.sent, answers: resolve.statuses, failures: resolve.errors },
    kills: tally.kills,
    restarts: tally.restarts,
    restartReadyMs: restartMs.length ? { min: Math.min(...restartMs), max: Math.max(...restartMs) } : null,
    reorgs: Object.fromEntries(nodes.map((n) => [n.name, n.log.replaced])),
    final: {
      height: final.height,
      tip: final.tip,
      chainBytes: final.chainBytes,
      identicalChains: final.identical,
      differences: final.differences,
      validated: final.validated.map(({ hashes, ...rest }) => ({
        ...rest,
        sameBlocks: hashes === final.validated[0].hashes,
      })),
      chainLengths: final.chainLengths,
      statuses: convergence.statuses,
      history: convergence.history,
      pendingCounts: final.pendingCounts,
      bannedPeers: final.bannedPeers,
    },
    txCheck: t,
    memory,
    nonSuccessStatuses: statusesOther,
    serverErrors: fiveHundreds,
    errorBodies: Object.fromEntries(
      [...endpoints].filter(([, s]) => s.errorBodies.length).map(([label, s]) => [label, s.errorBodies]),
    ),
    unexpectedFailures: unexpected,
    crashes: tally.crashes,
    restartFailures: tally.restartFailures,
    stopProblems: tally.stopProblems,
    nodeLogErrors: logErrors,
    nodeLogErrorLines: Object.fromEntries(
      nodes.filter((n) => n.log.errorLines.length).map((n) => [n.name, n.log.errorLines]),
    ),
    nodeLogWarnings: Object.fromEntries(nodes.map((n) => [n.name, n.log.warn])),
    nodeStderr: Object.fromEntries(nodes.filter((n) => n.log.other.length).map((n) => [n.name, n.log.other])),
    failuresTotal: failures(tx),
  };
}

function formatSummary(s) {
  const o = s.options;
  const pass = (ok) => (ok ? 'PASS' : 'FAIL');
  const tx = s.transactions;
  const t = s.txCheck;
  const answers = (a) => countsText(a) || 'none';
  const failed = (f) => (Object.keys(f).length ? `; failed: ${countsText(f)}` : '');
  const lines = [];
  lines.push(
    `blockforge soak: ${NODE_COUNT} nodes on ${HOST}, difficulty ${o.difficulty}, --sync-interval ${o.syncInterval}; ${o.rate} tx/s, /mine every ~${o.mineEvery} s, /nodes/resolve every ~${o.resolveEvery} s, kill -9 + restart every ${o.killEvery} s (down ${o.down} s), RSS every ${o.sampleEvery} s`,
  );
  lines.push('');
  const rows = [
    ['what', 'result'],
    [
      'duration',
      `${s.durationSeconds} s of load, then ${s.convergeSeconds} s to converge (${s.convergeRounds} resolve rounds, ${s.tieBreakBlocks} tie-break blocks)`,
    ],
    [
      'transactions',
      `${tx.sent} sent, ${tx.acknowledged} acknowledged (201), ${tx.failed} failed${tx.skipped ? `, ${tx.skipped} skipped (too many in flight)` : ''}`,
    ],
    ['  answers / failures', `${answers(tx.answers)}${failed(tx.failures)}`],
    ['  acknowledged by', countsText(tx.byNode)],
    ['mining (GET /mine)', `${s.mining.requests} requests: ${answers(s.mining.answers)}${failed(s.mining.failures)}`],
    ['resolves', `${s.resolves.requests} requests: ${answers(s.resolves.answers)}${failed(s.resolves.failures)}`],
    [
      'kills / restarts',
      `${s.kills} / ${s.restarts.length}${s.restartReadyMs ? ` (ready again ${s.restartReadyMs.min}-${s.restartReadyMs.max} ms after start)` : ''}${s.restartFailures.length ? `, ${s.restartFailures.length} FAILED` : ''}`,
    ],
    ['reorgs ("chain replaced")', countsText(s.reorgs)],
    [
      'final height',
      `${s.final.height} blocks (${(s.final.chainBytes / 1024).toFixed(0)} KiB of /chain), tip ${String(s.final.tip).slice(0, 16)}…; pending ${countsText(s.final.pendingCounts)}`,
    ],
    [
      'other statuses',
      Object.keys(s.nonSuccessStatuses).length
        ? Object.entries(s.nonSuccessStatuses)
            .map(([label, c]) => `${label}: ${countsText(c)}`)
            .join('; ')
        : 'none (every answer 200/201)',
    ],
    [
      'unexpected failures',
      Object.keys(s.unexpectedFailures).length
        ? Object.entries(s.unexpectedFailures)
            .map(([label, u]) => `${label}: ${u.count}`)
            .join('; ')
        : 'none (every failed request went to a node that was down or being killed)',
    ],
    [
      'crashes',
      s.crashes.length ? s.crashes.map((c) => `${c.node} exit ${c.exit} at ${c.atSeconds} s`).join('; ') : 'none',
    ],
    [
      'node error logs',
      Object.keys(s.nodeLogErrors).length
        ? Object.entries(s.nodeLogErrors)
            .map(([n, e]) => `${n}: ${countsText(e)}`)
            .join('; ')
        : 'none',
    ],
  ];
  lines.push(...table(rows));
  lines.push('');
  const memRows = [
    [
      'node',
      'port',
      'processes',
      'RSS first',
      'RSS max',
      'RSS last',
      `growth (worst lifetime, last/middle third; limit x${o.rssGrowth})`,
    ],
  ];
  for (const m of s.memory) {
    memRows.push([
      m.node,
      m.port,
      m.processes,
      mb(m.firstKb),
      mb(m.maxKb),
      mb(m.lastKb),
      m.worstGrowth === null
        ? `n/a (no lifetime with ${MIN_GROWTH_SAMPLES}+ samples)`
        : `x${m.worstGrowth.toFixed(2)} over ${m.judgedLifetimes} lifetime(s) ${m.growing ? 'GROWING' : 'ok'}`,
    ]);
  }
  lines.push(...table(memRows));
  lines.push('');
  const worst = Math.max(...s.memory.map((m) => m.worstGrowth ?? 0));
  const checkRows = [
    ['check', 'result', 'detail'],
    [
      '(a) acknowledged txs: once in chain, or pending',
      pass(s.checks.transactions),
      `${t.acknowledged} acknowledged: ${t.inChainOnce} in the chain once, ${t.pendingOnly} pending only, ${t.lost} lost, ${t.duplicated} in the chain twice; ${t.duplicatedAny} of all sent twice in the chain, ${t.mismatched} altered; ${t.unacknowledgedInChain} unacknowledged ones in the chain; ${t.stalePending} in the chain and still pending`,
    ],
    [
      '(b) chains agree',
      pass(s.checks.chainsAgree),
      s.checks.chainsAgree
        ? `height ${s.final.height}, same tip; every /chain valid, with the same block hashes on all ${NODE_COUNT}${s.final.identicalChains ? ' (byte-identical)' : ' (texts differ: see below)'}`
        : `validated: ${s.final.validated.map((v) => `${v.node} ${v.valid ? `${v.blocks} blocks (length ${v.lengthField}), tip ${v.tip.slice(0, 10)} (status ${String(v.statusTip).slice(0, 10)}), same blocks as n1: ${v.sameBlocks}` : `INVALID ${v.error}`}`).join(', ')}; tips: ${s.final.statuses.map((st, k) => `${nodes[k].name} ${st.error ?? `${st.height}:${String(st.tip).slice(0, 10)}`}`).join(', ')}; /chain identical: ${s.final.identicalChains}`,
    ],
    ['(c) resident memory bounded', pass(s.checks.memory), `worst growth x${worst.toFixed(2)} (limit x${o.rssGrowth})`],
    [
      '(d) no 5xx, no crash, restarts ok',
      pass(s.checks.noServerErrors),
      `${Object.values(s.serverErrors).reduce((a, c) => a + Object.values(c).reduce((x, y) => x + y, 0), 0)} 5xx answers, ${s.crashes.length} crashes, ${s.restartFailures.length} failed restarts`,
    ],
  ];
  lines.push(...table(checkRows));
  lines.push('');
  lines.push(`result: ${s.ok ? 'PASS' : 'FAIL'}`);
  if (t.lostSamples.length) lines.push(`lost (first ${t.lostSamples.length}): ${JSON.stringify(t.lostSamples)}`);
  if (t.duplicatedSamples.length) lines.push(`duplicated: ${JSON.stringify(t.duplicatedSamples)}`);
  if (t.stalePendingSamples.length)
    lines.push(`in the chain and still pending: ${JSON.stringify(t.stalePendingSamples)}`);
  if (Object.keys(s.unexpectedFailures).length)
    lines.push(`unexpected failures: ${JSON.stringify(s.unexpectedFailures)}`);
  if (Object.keys(s.errorBodies).length) lines.push(`error answers (samples): ${JSON.stringify(s.errorBodies)}`);
  if (s.final.bannedPeers.length) lines.push(`banned peers at the end: ${JSON.stringify(s.final.bannedPeers)}`);
  for (const d of s.final.differences) {
    lines.push(
      `/chain ${d.nodes} differ: first at character ${d.offset} (lengths ${d.lengths.join(' / ')}), block ${d.block ?? '(none: the same values, other text)'}:\n    ${JSON.stringify(d.first)}\n    ${JSON.stringify(d.second)}`,
    );
  }
  if (s.final.history) lines.push(`convergence rounds: ${JSON.stringify(s.final.history)}`);
  if (Object.keys(s.nodeLogErrorLines).length) lines.push(`node error lines: ${JSON.stringify(s.nodeLogErrorLines)}`);
  if (Object.keys(s.nodeStderr).length) lines.push(`node stderr: ${JSON.stringify(s.nodeStderr)}`);
  for (const c of s.crashes) lines.push(`crash of ${c.node}: ${c.tail.join('\n')}`);
  if (s.stopProblems.length) lines.push(`at shutdown: ${s.stopProblems.join('; ')}`);
  return lines.join('\n');
}

// ---- main ---------------------------------------------------------------------------------

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  console.error(`soak: ${err.message}`);
  process.exit(1);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
progressLog = (line) => console.error(`soak ${line}`);

process.on('exit', killEverything);
const onSignal = (signal) => {
  console.error(`soak: ${signal}: stopping every node and removing the data folders`);
  killEverything();
  process.exit(130);
};
process.once('SIGINT', () => onSignal('SIGINT'));
process.once('SIGTERM', () => onSignal('SIGTERM'));
process.once('SIGHUP', () => onSignal('SIGHUP'));
const watchdog = setTimeout(
  () => {
    console.error('soak: still running long past its time; stopping');
    killEverything();
    process.exit(1);
  },
  (options.seconds + options.convergeSeconds + 300) * 1000,
);

try {
  const summary = await runSoak();
  console.log(formatSummary(summary));
  if (options.json) console.log(JSON.stringify(summary));
  if (options.keepData) console.log(`data folders kept: ${[...dirs].join(' ')}`);
  process.exitCode = summary.ok ? 0 : 1;
} catch (err) {
  console.error('soak: failed:', err);
  for (const node of nodes) {
    if (node.log.tail.length) console.error(`--- ${node.name} (last lines)\n${node.log.tail.slice(-20).join('\n')}`);
  }
  process.exitCode = 1;
} finally {
  clearTimeout(watchdog);
  await Promise.all(nodes.map((node) => stopNode(node).catch(() => undefined)));
  killEverything();
}
