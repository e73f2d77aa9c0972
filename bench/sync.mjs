#!/usr/bin/env node
/**
 * Peer sync: what the peer network (src/node/peer-network.ts) costs against the tutorial's way of
 * catching up (download the whole `/chain`, parse it, validate it), on real node processes over
 * 127.0.0.1, with the bytes counted by a TCP proxy (node:net) in front of the node served from.
 *
 * 1. Fresh sync: a node started empty with `--peer <proxy of A>` syncs A's 20,000-block chain
 *    (status, locate, pages of 500 blocks); time until its /peer/status says 20,000 and the bytes
 *    through the proxy, against fetching A's `/chain` through the proxy, parsing it and validating
 *    it with the core (validateChainResponse): both end with a fully validated chain.
 * 2. One block behind: B (`--no-auto-sync`, so only the call moves it) is in sync with A; A mines
 *    one block (`GET /mine`); B catches up with `GET /nodes/resolve`. Bytes through the proxy and
 *    the call's time, at 2,000 and 20,000 blocks, against a full `/chain` at each length.
 * 3. Propagation: five nodes in a line (node i `--peer` node i-1, `--sync-interval 60` so only
 *    the push moves blocks); mine on node 1, time until node 5's height increases. Median of runs.
 *
 * Every node runs `--difficulty 2` (the chain is built in-process with the core at difficulty 2
 * and written into A's data folder with ChainStore, under the identity the node is started with).
 *
 * Usage: node bench/sync.mjs [--blocks 20000] [--short 2000] [--runs 5 (fresh syncs and /chain downloads)]
 *   [--fresh-only (part 1 only)] [--cpu-prof DIR (each fresh node B writes a V8 CPU profile into DIR)]
 *   [--node-import FILE (each fresh node B runs `node --import FILE`: a measurement hook)] [--json]
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BranchValidator, validateChainResponse } from '../dist/core/chain.js';
import { parseJson, writeJson } from '../dist/core/json.js';
import { MAX_PROOF, searchProof } from '../dist/core/pow.js';
import { createProfile } from '../dist/core/profiles.js';
import { ChainStore } from '../dist/node/storage.js';
import { freePort } from './support.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '../dist/cli/main.js');
const HOST = '127.0.0.1';
const PROFILE = 'seed';
const DIFFICULTY = 2;
/** The whole run is stopped (and cleaned up) past this. */
const HARD_LIMIT_MS = 240_000;
/** Polling intervals and bounds. */
const SYNC_POLL_MS = 10;
const PROPAGATION_POLL_MS = 5;
const PROPAGATION_LIMIT_MS = 10_000;
const WAIT_LIMIT_MS = 60_000;

// ---- resources: everything started is tracked and stopped at the end --------------------------

const children = new Set();
const proxies = new Set();
const dirs = new Set();
/** Keep-alive agent for the bench's direct requests to nodes (polling every few ms). */
const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 });

function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `blockforge-bench-sync-${prefix}-`));
  dirs.add(dir);
  return dir;
}

async function cleanup() {
  keepAlive.destroy();
  await Promise.all([...children].map((child) => child.stop()));
  for (const proxy of proxies) proxy.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the chain ---------------------------------------------------------------------------

/** Deterministic client transactions for block `i` (two, as a busy tutorial chain would carry). */
function transactionsFor(profile, i) {
  return [
    `{"sender":"alice-${i % 97}","recipient":"bob","amount":${(i % 1000) + 0.25}}`,
    `{"sender":"Zoë ${i % 13}","recipient":"渡辺 ☕ ${i % 7}","amount":${(i % 50) + 1}}`,
  ].map((text) => profile.parseTransaction(parseJson(text)));
}

/** Mines `count` blocks (genesis included) with the core's reference search. */
function buildChain(profile, count) {
  const nodeId = 'b1f0c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
  const baseTime = 1_700_000_000.123456;
  const blocks = [profile.createGenesis(baseTime)];
  const chain = new BranchValidator(profile, null).add([blocks[0].json]);
  for (let i = 2; i <= count; i++) {
    const template = profile.blockTemplate(chain.view, nodeId);
    const { proof } = searchProof(template.puzzle, 0, MAX_PROOF);
    const block = template.seal(proof, transactionsFor(profile, i), baseTime + i * 9.871 + (i % 1000) / 1e6);
    chain.add([block.json]);
    blocks.push(block);
  }
  return blocks;
}

/**
 * Writes the first `count` blocks into a new data folder with ChainStore, under the identity the
 * node is started with. One commit (replaceChain above the genesis): appendBlock per block would
 * be one fsync each (synchronous=FULL).
 */
function writeDataDir(blocks, count, prefix) {
  const dir = tempDir(prefix);
  const store = ChainStore.open(dir, { profile: PROFILE, params: { difficulty: DIFFICULTY } });
  const stored = (block) => ({ block, text: writeJson(block.json), diff: [] });
  try {
    store.initGenesis(stored(blocks[0]));
    store.replaceChain(1, [], blocks.slice(1, count).map(stored), []);
  } finally {
    store.close();
  }
  return dir;
}

// ---- the byte-counting proxy -------------------------------------------------------------

/** A TCP proxy on a free port in front of `targetPort`, counting bytes both ways. */
function startProxy(targetPort) {
  return new Promise((resolve, reject) => {
    const sockets = new Set();
    const proxy = {
      port: 0,
      up: 0, // client -> node
      down: 0, // node -> client
      connections: 0,
      firstAt: 0,
      /** Request line of each connection's first request (method and path). */
      requests: [],
      get bytes() {
        return this.up + this.down;
      },
      reset() {
        this.up = 0;
        this.down = 0;
        this.connections = 0;
        this.firstAt = 0;
        this.requests = [];
      },
      close() {
        for (const socket of sockets) socket.destroy();
        server.close();
        proxies.delete(proxy);
      },
    };
    // noDelay both sides: a relay with Nagle on would add delayed-ACK stalls (~40 ms) of its own.
    const server = createServer({ noDelay: true }, (client) => {
      proxy.connections++;
      if (!proxy.firstAt) proxy.firstAt = performance.now();
      const upstream = createConnection({ host: HOST, port: targetPort, noDelay: true });
      sockets.add(client);
      sockets.add(upstream);
      let first = true;
      client.on('data', (chunk) => {
        proxy.up += chunk.length;
        if (first) {
          first = false;
          proxy.requests.push(chunk.toString('latin1', 0, Math.min(chunk.length, 80)).split(' HTTP/')[0]);
        }
      });
      upstream.on('data', (chunk) => {
        proxy.down += chunk.length;
      });
      client.pipe(upstream);
      upstream.pipe(client);
      const done = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', done);
      upstream.on('error', done);
      client.on('close', done);
      upstream.on('close', done);
    });
    server.on('error', reject);
    server.listen(0, HOST, () => {
      proxy.port = server.address().port;
      proxy.url = `http://${HOST}:${proxy.port}`;
      proxies.add(proxy);
      resolve(proxy);
    });
  });
}

// ---- nodes -------------------------------------------------------------------------------

/** Starts `blockforge node` on 127.0.0.1 at difficulty 2; resolves once it is listening. */
async function startNode({ dataDir, args = [], name, logLevel = 'warn', nodeFlags = [] }) {
  const port = await freePort();
  const url = `http://${HOST}:${port}`;
  const spawnedAt = performance.now();
  const proc = spawn(
    process.execPath,
    [
      ...nodeFlags,
      CLI,
      'node',
      '--host',
      HOST,
      '--port',
      String(port),
      '--data-dir',
      dataDir,
      '--difficulty',
      String(DIFFICULTY),
      '--threads',
      '1',
      '--log-level',
      logLevel,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  const node = {
    name,
    url,
    port,
    dataDir,
    spawnedAt,
    output: () => output,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      children.delete(node);
    },
  };
  children.add(node);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk.toString();
      if (output.length > 200_000) output = output.slice(-100_000);
      if (/blockforge node ready at/.test(output)) {
        clearTimeout(timer);
        node.readyAt = performance.now();
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before it was ready:\n${output}`));
    });
  });
  return node;
}

/**
 * One HTTP request. Returns { status, text, ms, ttfbMs, size } (size: response body bytes).
 * `agent: false` (a connection of its own) for requests through a proxy.
 */
function request(url, { method = 'GET', agent = keepAlive, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(url, { method, agent, headers: { accept: 'application/json' } }, (res) => {
      const ttfbMs = performance.now() - started;
      const chunks = [];
      let size = 0;
      res.on('data', (chunk) => {
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode,
          text: Buffer.concat(chunks, size).toString('utf8'),
          ms: performance.now() - started,
          ttfbMs,
          size,
        });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`${method} ${url}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

async function getJson(url, options) {
  const res = await request(url, options);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  return { ...res, json: JSON.parse(res.text) };
}

async function height(node) {
  return (await getJson(`${node.url}/peer/status`)).json.height;
}

/** Polls `node`'s height every `everyMs` until it is at least `target`; returns when, or throws. */
async function waitHeight(node, target, { everyMs = SYNC_POLL_MS, limitMs = WAIT_LIMIT_MS } = {}) {
  const started = performance.now();
  // The slowest poll answer: how long the node kept a client waiting (the event loop held by a
  // sync's validation or adoption shows here).
  let slowestMs = 0;
  for (let polls = 0; polls < Math.ceil(limitMs / everyMs) + 10; polls++) {
    const asked = performance.now();
    const h = await height(node);
    slowestMs = Math.max(slowestMs, performance.now() - asked);
    if (h >= target) return { at: performance.now(), height: h, polls, slowestMs };
    if (performance.now() - started > limitMs) break;
    await sleep(everyMs);
  }
  throw new Error(`${node.name} did not reach height ${target} within ${limitMs} ms:\n${node.output().slice(-2000)}`);
}

/** Date.now() of `node`'s last "resolve finished" log line at or after `since` (ms). */
function resolveFinished(node, since) {
  const lines = node.output().split('\n');
  for (let k = lines.length - 1; k >= 0; k--) {
    if (!lines[k].includes('"resolve finished"')) continue;
    const time = JSON.parse(lines[k]).time;
    if (time >= since) return time;
    break;
  }
  throw new Error(`${node.name} logged no "resolve finished" after the call`);
}

/**
 * The tutorial's resolve, done with the core: GET /chain through `proxy`, parse it, validate it.
 * Returns { ms, fetchMs, parseMs, validateMs, bytes, blocks }.
 */
async function tutorialDownload(proxy, profile) {
  proxy.reset();
  const started = performance.now();
  const res = await request(`${proxy.url}/chain`, { agent: false });
  if (res.status !== 200) throw new Error(`/chain: HTTP ${res.status}`);
  const fetched = performance.now();
  const value = parseJson(res.text);
  const parsed = performance.now();
  const blocks = validateChainResponse(profile, value);
  const validated = performance.now();
  await sleep(20); // let the proxy see the connection close
  return {
    ms: validated - started,
    fetchMs: fetched - started,
    parseMs: parsed - fetched,
    validateMs: validated - parsed,
    bytes: proxy.bytes,
    body: res.size,
    blocks: blocks.length,
  };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

// ---- the three measurements ----------------------------------------------------------------

/** 1. A fresh node syncing `a`'s chain through `proxy`, against the tutorial's full download. */
async function freshSync({ proxy, profile, blocks, runs, log, cpuProf, nodeImport }) {
  // The tutorial-style baseline first: GET /chain through the proxy, parse, validate (best-effort
  // fair: median of runs, the first of which also warms A's /chain path).
  const baseline = [];
  for (let k = 0; k < runs; k++) baseline.push(await tutorialDownload(proxy, profile));
  const cold = baseline[0];
  const base = [...baseline].sort((x, y) => x.ms - y.ms)[Math.floor(baseline.length / 2)];
  if (base.blocks !== blocks) throw new Error(`/chain had ${base.blocks} blocks, expected ${blocks}`);
  log(
    `  tutorial-style /chain download: ${(base.ms / 1000).toFixed(3)} s (fetch ${base.fetchMs.toFixed(0)} ms, parse ${base.parseMs.toFixed(0)} ms, validate ${base.validateMs.toFixed(0)} ms), ${mb(base.bytes)}`,
  );

  const syncs = [];
  for (let k = 0; k < runs; k++) {
    proxy.reset();
    const b = await startNode({
      dataDir: tempDir(`fresh-b${k}`),
      args: ['--peer', proxy.url],
      name: `B${k} (fresh)`,
      // Written when B exits (SIGTERM is a clean exit): open it in Chrome DevTools or speedscope.
      nodeFlags: [
        ...(cpuProf ? ['--cpu-prof', '--cpu-prof-dir', cpuProf, '--cpu-prof-name', `fresh-b${k}.cpuprofile`] : []),
        ...(nodeImport ? ['--import', nodeImport] : []),
      ],
    });
    const done = await waitHeight(b, blocks, { everyMs: SYNC_POLL_MS, limitMs: WAIT_LIMIT_MS });
    const bytes = proxy.bytes;
    const connections = proxy.connections;
    if (process.env.BENCH_SYNC_DEBUG) {
      log(`    requests: ${proxy.requests.join(' | ')}`);
      // The sync's window in Unix ms, to line up with what a --node-import hook records.
      log(
        `    window: ${performance.timeOrigin + (proxy.firstAt || b.readyAt)} .. ${performance.timeOrigin + done.at}`,
      );
    }
    const fromFirstRequest = done.at - (proxy.firstAt || b.readyAt);
    const fromSpawn = done.at - b.spawnedAt;
    await b.stop();
    // A /chain download right after each sync: on a shared, noisy machine a ratio is only fair
    // between two measurements taken under the same load.
    const paired = await tutorialDownload(proxy, profile);
    syncs.push({
      fromFirstRequest,
      fromSpawn,
      startup: b.readyAt - b.spawnedAt,
      bytes,
      connections,
      polls: done.polls,
      slowestPollMs: done.slowestMs,
      pairedChainMs: paired.ms,
      ratio: fromFirstRequest / paired.ms,
    });
    log(
      `  fresh sync ${k + 1}/${runs}: ${(fromFirstRequest / 1000).toFixed(3)} s from B's first request to A (${(fromSpawn / 1000).toFixed(3)} s from spawn), ${mb(bytes)} over ${connections} connections; /chain right after: ${(paired.ms / 1000).toFixed(3)} s (${ratio(fromFirstRequest, paired.ms)})`,
    );
  }
  const sync = [...syncs].sort((x, y) => x.fromFirstRequest - y.fromFirstRequest)[Math.floor(syncs.length / 2)];
  const pairedRatio = median(syncs.map((x) => x.ratio));
  return { blocks, baseline: base, cold, baselines: baseline, sync, syncs, pairedRatio };
}

/** 2. B one block behind A catching up with /nodes/resolve, at A's current length. */
async function oneBehind({ a, proxy, profile, rounds, log, label }) {
  const b = await startNode({
    dataDir: tempDir(`behind-${label}`),
    args: ['--peer', proxy.url, '--no-auto-sync'],
    // info: its "resolve finished" line (pino, Date.now() ms) says when the sync work itself ended.
    logLevel: 'info',
    name: `B (${label}, --no-auto-sync)`,
  });
  try {
    const length = await height(a);
    // B gets in sync first (a whole incremental sync through /nodes/resolve).
    proxy.reset();
    const initial = await getJson(`${b.url}/nodes/resolve`, { timeoutMs: 120_000 });
    const initialBytes = proxy.bytes;
    if ((await height(b)) !== length) throw new Error(`B did not sync to ${length}: ${initial.text.slice(0, 300)}`);
    log(
      `  ${label}: B synced ${length} blocks with /nodes/resolve in ${(initial.ms / 1000).toFixed(3)} s, ${mb(initialBytes)} (its report: ${JSON.stringify(initial.json.peers)})`,
    );

    const samples = [];
    for (let r = 0; r < rounds; r++) {
      const mined = await getJson(`${a.url}/mine`);
      const target = mined.json.index;
      await sleep(50); // nothing else is moving: A has no route to B, B does not sync by itself
      proxy.reset();
      let sentAt = Date.now();
      const res = await getJson(`${b.url}/nodes/resolve`, { timeoutMs: 60_000 });
      await sleep(20);
      const workMs = resolveFinished(b, sentAt) - sentAt;
      const peer = res.json.peers?.[0];
      if (res.json.message !== 'Our chain was replaced' || res.json.length !== target || peer?.status !== 'adopted') {
        throw new Error(
          `catch-up did not adopt block ${target}: ${res.text.slice(0, 200)} ... ${JSON.stringify(peer)}`,
        );
      }
      const caughtUp = {
        bytes: proxy.bytes,
        connections: proxy.connections,
        ms: res.ms,
        ttfbMs: res.ttfbMs,
        responseBytes: res.size,
        probeMs: peer.ms,
        workMs,
      };
      // The control: the same call with nothing to fetch (same whole-chain answer, status probe only).
      proxy.reset();
      sentAt = Date.now();
      const noop = await getJson(`${b.url}/nodes/resolve`, { timeoutMs: 60_000 });
      await sleep(20);
      const noopWorkMs = resolveFinished(b, sentAt) - sentAt;
      if (noop.json.message !== 'Our chain is authoritative' || noop.json.length !== target) {
        throw new Error(`the second resolve was not a no-op: ${noop.text.slice(0, 200)}`);
      }
      samples.push({ ...caughtUp, height: target, noopMs: noop.ms, noopBytes: proxy.bytes, noopWorkMs });
    }
    const chain = await tutorialDownload(proxy, profile);
    const pick = (key) => median(samples.map((s) => s[key]));
    const result = {
      label,
      length: samples[samples.length - 1].height,
      bytes: pick('bytes'),
      connections: pick('connections'),
      ms: pick('ms'),
      ttfbMs: pick('ttfbMs'),
      responseBytes: pick('responseBytes'),
      probeMs: pick('probeMs'),
      noopMs: pick('noopMs'),
      noopBytes: pick('noopBytes'),
      workMs: pick('workMs'),
      noopWorkMs: pick('noopWorkMs'),
      samples,
      chain,
    };
    log(
      `  ${label}: one-block catch-up ${result.bytes} B through the proxy (${result.connections} connections), /nodes/resolve ${result.ms.toFixed(1)} ms (first byte ${result.ttfbMs.toFixed(1)} ms, its answer ${mb(result.responseBytes)}; a no-op /nodes/resolve ${result.noopMs.toFixed(1)} ms); B's own sync work ${result.workMs} ms (no-op ${result.noopWorkMs} ms); full /chain ${mb(chain.bytes)}, ${chain.ms.toFixed(0)} ms`,
    );
    return result;
  } finally {
    await b.stop();
  }
}

/** 3. Five nodes in a line; mine on node 1, time until node 5 has the block. */
async function propagation({ chainBlocks, length, runs, log }) {
  const nodes = [];
  nodes.push(
    await startNode({
      dataDir: writeDataDir(chainBlocks, length, 'line-1'),
      args: ['--sync-interval', '60'],
      name: 'line node 1',
    }),
  );
  for (let i = 2; i <= 5; i++) {
    nodes.push(
      await startNode({
        dataDir: tempDir(`line-${i}`),
        args: ['--peer', nodes[i - 2].url, '--sync-interval', '60'],
        name: `line node ${i}`,
      }),
    );
  }
  try {
    for (const node of nodes) await waitHeight(node, length, { everyMs: 20, limitMs: 20_000 });
    // Every node must know its successor (learned from the successor's hello) before pushes flow.
    for (let i = 0; i < 4; i++) {
      for (let tries = 0; ; tries++) {
        const known = await getJson(`${nodes[i].url}/nodes`);
        if (known.json.nodes.some((key) => key.endsWith(`:${nodes[i + 1].port}`))) break;
        if (tries >= 100) throw new Error(`line node ${i + 1} never learned node ${i + 2}`);
        await sleep(50);
      }
    }
    log(`  five nodes in a line, all at height ${length}`);
    const samples = [];
    let expected = length;
    for (let r = 0; r < runs; r++) {
      const last = nodes[4];
      const before = await height(last);
      if (before !== expected) throw new Error(`node 5 is at ${before}, expected ${expected}`);
      const sent = performance.now();
      let mineAnswered = 0;
      const mining = getJson(`${nodes[0].url}/mine`).then((res) => {
        mineAnswered = performance.now();
        return res;
      });
      const arrived = await waitHeight(last, expected + 1, {
        everyMs: PROPAGATION_POLL_MS,
        limitMs: PROPAGATION_LIMIT_MS,
      });
      const mined = await mining;
      expected += 1;
      if (mined.json.index !== expected)
        throw new Error(`node 1 mined block ${mined.json.index}, expected ${expected}`);
      samples.push({
        fromMineRequest: arrived.at - sent,
        fromMineAnswer: arrived.at - mineAnswered,
        mineMs: mineAnswered - sent,
      });
      for (const node of nodes) await waitHeight(node, expected, { everyMs: 10, limitMs: 5_000 });
      await sleep(100);
    }
    const result = {
      runs,
      fromMineAnswer: median(samples.map((s) => s.fromMineAnswer)),
      fromMineRequest: median(samples.map((s) => s.fromMineRequest)),
      mineMs: median(samples.map((s) => s.mineMs)),
      min: Math.min(...samples.map((s) => s.fromMineAnswer)),
      max: Math.max(...samples.map((s) => s.fromMineAnswer)),
      samples,
    };
    log(
      `  propagation over 4 hops, ${runs} runs: median ${result.fromMineAnswer.toFixed(1)} ms after /mine answered (${result.fromMineRequest.toFixed(1)} ms after it was sent)`,
    );
    return result;
  } finally {
    for (const node of nodes.reverse()) await node.stop();
  }
}

/** Part 1 alone (`--fresh-only`): every run, so ratios come from one run of the machine. */
function formatFresh(r) {
  const f = r.fresh;
  const lines = f.syncs.map(
    (s, k) =>
      `  run ${k + 1}: sync ${secs(s.fromFirstRequest)}, /chain right after ${secs(s.pairedChainMs)}: ${ratio(s.fromFirstRequest, s.pairedChainMs)}; ${mb(s.bytes)}, ${s.connections} connections; slowest /peer/status answer during the sync ${msText(s.slowestPollMs)}`,
  );
  return [
    `Fresh sync of ${r.blocks} blocks (${r.profile}, --difficulty ${r.difficulty}), median ${secs(f.sync.fromFirstRequest)} against /chain download+parse+validate median ${secs(f.baseline.ms)} (fetch ${msText(f.baseline.fetchMs)}, parse ${msText(f.baseline.parseMs)}, validate ${msText(f.baseline.validateMs)}): ${ratio(f.sync.fromFirstRequest, f.baseline.ms)}`,
    `  /chain runs: ${f.baselines.map((b) => secs(b.ms)).join(', ')}`,
    ...lines,
    `  median of the paired ratios: ${f.pairedRatio.toFixed(2)}x`,
    `  bytes: sync ${mb(f.sync.bytes)}, /chain ${mb(f.baseline.bytes)}`,
    `(whole run ${secs(r.totalMs)})`,
  ].join('\n');
}

// ---- the run -----------------------------------------------------------------------------

const mb = (bytes) =>
  bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : bytes >= 1e4 ? `${(bytes / 1e3).toFixed(1)} kB` : `${bytes} B`;
const secs = (ms) => `${(ms / 1000).toFixed(3)} s`;
const msText = (ms) => `${ms.toFixed(1)} ms`;
const ratio = (x, y) => `${(x / y).toFixed(x / y >= 100 ? 0 : x / y >= 10 ? 1 : 2)}x`;

export async function runSync({
  blocks = 20_000,
  short = 2_000,
  runs = 5,
  behindRuns = 5,
  lineRuns = 9,
  lineLength = 50,
  freshOnly = false,
  cpuProf = null,
  nodeImport = null,
  log = () => {},
} = {}) {
  if (!(short < blocks) || blocks < lineLength)
    throw new Error(`need --short < --blocks and --blocks >= ${lineLength}`);
  const profile = createProfile(PROFILE, { difficulty: DIFFICULTY });
  const started = performance.now();
  log(`building a ${blocks}-block ${PROFILE} chain at difficulty ${DIFFICULTY} in-process...`);
  const chainBlocks = buildChain(profile, blocks);
  const buildMs = performance.now() - started;
  const dirLong = writeDataDir(chainBlocks, blocks, 'a-long');
  const dirShort = writeDataDir(chainBlocks, short, 'a-short');
  log(`  built in ${secs(buildMs)}, written with ChainStore in ${secs(performance.now() - started - buildMs)}`);

  const out = { difficulty: DIFFICULTY, profile: PROFILE, blocks, short, buildMs };

  // A on the long chain, auto sync on (it takes B's hello and serves it); a proxy in front of it.
  const aLong = await startNode({ dataDir: dirLong, name: `A (${blocks} blocks)` });
  log(`  A started on ${blocks} blocks in ${secs(aLong.readyAt - aLong.spawnedAt)} (it re-validates its stored chain)`);
  const proxyLong = await startProxy(aLong.port);

  log(`1. fresh sync of ${blocks} blocks`);
  out.fresh = await freshSync({ proxy: proxyLong, profile, blocks, runs, log, cpuProf, nodeImport });
  if (freshOnly) {
    await aLong.stop();
    proxyLong.close();
    out.totalMs = performance.now() - started;
    return out;
  }

  log('2. one block behind, /nodes/resolve');
  const aShort = await startNode({ dataDir: dirShort, name: `A (${short} blocks)` });
  const proxyShort = await startProxy(aShort.port);
  out.behindShort = await oneBehind({
    a: aShort,
    proxy: proxyShort,
    profile,
    rounds: behindRuns,
    log,
    label: `${short} blocks`,
  });
  await aShort.stop();
  proxyShort.close();
  out.behindLong = await oneBehind({
    a: aLong,
    proxy: proxyLong,
    profile,
    rounds: behindRuns,
    log,
    label: `${blocks} blocks`,
  });
  await aLong.stop();
  proxyLong.close();

  log('3. propagation across five nodes in a line');
  out.line = await propagation({ chainBlocks, length: lineLength, runs: lineRuns, log });
  out.totalMs = performance.now() - started;
  return out;
}

export function formatSync(r) {
  if (!r.behindShort) return formatFresh(r);
  const rows = [];
  const row = (what, ours, tutorial, ratioText) => rows.push([what, ours, tutorial, ratioText]);
  const speed = (ours, base) => (base >= ours ? `${ratio(base, ours)} faster` : `${ratio(ours, base)} slower`);
  const f = r.fresh;
  row(
    `fresh sync of ${r.blocks} blocks: time`,
    secs(f.sync.fromFirstRequest),
    secs(f.baseline.ms),
    speed(f.sync.fromFirstRequest, f.baseline.ms),
  );
  row('  each sync against a /chain download right after it', '', '', `median ${f.pairedRatio.toFixed(2)}x`);
  row(
    `fresh sync of ${r.blocks} blocks: bytes`,
    mb(f.sync.bytes),
    mb(f.baseline.bytes),
    `${ratio(f.sync.bytes, f.baseline.bytes)} the bytes`,
  );
  for (const b of [r.behindShort, r.behindLong]) {
    row(
      `1 block behind at ${b.length} blocks: bytes`,
      `${b.bytes} B`,
      mb(b.chain.bytes),
      `${ratio(b.chain.bytes, b.bytes)} fewer`,
    );
    row(`1 block behind at ${b.length} blocks: time`, msText(b.ms), msText(b.chain.ms), speed(b.ms, b.chain.ms));
    row('  same call, nothing to fetch (control)', msText(b.noopMs), '', '');
    row("  B's own sync work (its log)", `${b.workMs} ms`, '', `no-op: ${b.noopWorkMs} ms`);
  }
  const bs = r.behindShort;
  const bl = r.behindLong;
  row(
    `1 block behind, ${bs.length} -> ${bl.length} blocks: bytes grow`,
    `x${(bl.bytes / bs.bytes).toFixed(2)}`,
    `x${(bl.chain.bytes / bs.chain.bytes).toFixed(2)}`,
    '',
  );
  const L = r.line;
  row(
    '1 block across 5 nodes in a line (median)',
    msText(L.fromMineAnswer),
    'no push',
    `~${msText(L.fromMineAnswer / 4)} per hop`,
  );
  const widths = [0, 1, 2, 3].map((k) =>
    Math.max(...rows.map((x) => x[k].length), ['', 'blockforge sync', 'tutorial /chain', 'ratio'][k].length),
  );
  const line = (cells) => cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join('  ');
  const pages = Math.ceil((r.blocks - 1) / 500);
  return [
    `Peer sync (${r.profile} profile, --difficulty ${r.difficulty} for every node and for the chain, built in-process in ${secs(r.buildMs)}; 127.0.0.1, bytes counted both ways by a TCP proxy in front of the node served from)`,
    line(['', 'blockforge sync', 'tutorial /chain', 'ratio']),
    ...rows.map(line),
    '',
    `- fresh sync: B started empty with --peer <proxy of A>, timed from its first request to A until its /peer/status says ${r.blocks} (median of ${f.syncs.length}; ${secs(f.sync.fromSpawn)} counting B's process start); ${f.sync.connections} connections (hello, status, locate, then ${pages} page${pages === 1 ? '' : 's'} of 500, up to 4 in flight on connections kept for the sync). B also stores the chain in SQLite; the tutorial-style baseline (GET /chain through the proxy, parseJson, validateChainResponse in this process, median of ${f.baselines.length}) stores nothing: fetch ${msText(f.baseline.fetchMs)}, parse ${msText(f.baseline.parseMs)}, validate ${msText(f.baseline.validateMs)} (the first, cold download: ${secs(f.cold.ms)}). Both end with a fully validated chain.`,
    `- one block behind: B (--no-auto-sync) catches up with GET /nodes/resolve after A's GET /mine (median of ${bs.samples.length}); bytes through the proxy: ${bs.bytes} B at ${bs.length} blocks, ${bl.bytes} B at ${bl.length} blocks (x${(bl.bytes / bs.bytes).toFixed(2)} for ${(bl.length / bs.length).toFixed(1)}x the chain; a full /chain grows x${(bl.chain.bytes / bs.chain.bytes).toFixed(2)}).`,
    `  The call's time includes its tutorial answer, the whole chain (${mb(bs.responseBytes)} at ${bs.length}, ${mb(bl.responseBytes)} at ${bl.length}), which grows with the chain: the control (a second /nodes/resolve, nothing to fetch, ${bs.noopBytes} / ${bl.noopBytes} B through the proxy) takes ${msText(bs.noopMs)} / ${msText(bl.noopMs)}. The catch-up itself, from sending the call to B's "resolve finished" log line (after the fetch, validation and the SQLite commit, before the answer is built; 1 ms resolution), is ${bs.workMs} ms at ${bs.length} and ${bl.workMs} ms at ${bl.length} blocks (a no-op resolve: ${bs.noopWorkMs} / ${bl.noopWorkMs} ms).`,
    `- propagation of one block across five nodes in a line (node i --peer node i-1, --sync-interval 60, so only the push moves it; a tutorial node has no push and learns of a block only on /nodes/resolve), ${L.runs} runs: median ${msText(L.fromMineAnswer)} from node 1's /mine answer to node 5's new height (min ${msText(L.min)}, max ${msText(L.max)}; ${msText(L.fromMineRequest)} from the /mine request, whose own median is ${msText(L.mineMs)}), ~${msText(L.fromMineAnswer / 4)} per hop; node 5 polled every ${PROPAGATION_POLL_MS} ms.`,
    `(whole run ${secs(r.totalMs)})`,
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const intArg = (name, fallback) => {
    const k = argv.indexOf(name);
    if (k < 0) return fallback;
    const value = Number(argv[k + 1]);
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a positive integer`);
    return value;
  };
  const watchdog = setTimeout(() => {
    console.error(`bench:sync: stopped after ${HARD_LIMIT_MS / 1000} s`);
    void cleanup().finally(() => process.exit(1));
  }, HARD_LIMIT_MS);
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const json = argv.includes('--json');
  try {
    const result = await runSync({
      blocks: intArg('--blocks', 20_000),
      short: intArg('--short', 2_000),
      runs: intArg('--runs', 5),
      freshOnly: argv.includes('--fresh-only'),
      cpuProf: argv.includes('--cpu-prof') ? argv[argv.indexOf('--cpu-prof') + 1] : null,
      nodeImport: argv.includes('--node-import') ? argv[argv.indexOf('--node-import') + 1] : null,
      log: json ? () => {} : (line) => console.log(line),
    });
    console.log(json ? JSON.stringify(result) : `\n${formatSync(result)}`);
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }
}
