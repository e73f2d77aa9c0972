#!/usr/bin/env node
/**
 * The ledger profile's costs, all measured in one run, each against a reference measured in the
 * same run (machines are shared and noisy: ratios, not absolute claims alone):
 *
 * 1. Signature verification: payments verified per second with `verifyPayment` (the profile's verify
 *    path), on one core and on all cores (worker_threads, one per `os.availableParallelism()`),
 *    with the profile's default verifier (@noble/curves, as in the browser) and with the node's
 *    OpenSSL-backed one (dist/node/ed25519-verify.js, when the build has it). Best of several runs.
 * 2. Full block validation: a chain of blocks of 1,000 payments each (1,000 funded senders, the
 *    most a genesis file may list), validated from parsed JSON with `BranchValidator`, on one core
 *    and on all cores (each worker validating its own copy: aggregate throughput). Median of the
 *    per-block rates; against the bare verify rate of the same verifier (how much of validation is
 *    signatures).
 * 3. Signed ingest: `POST /transactions` on a real `--profile ledger` node process, autocannon
 *    with a distinct pre-signed payment per request (1,000 senders x nonces 0..16, the mempool's
 *    window), only 202s counted; against the tutorial profile's unsigned `POST /transactions/new`
 *    on a `seed` node with the same autocannon settings (10 connections, one distinct body per
 *    request through `setupRequest`, a warm-up and a calibration run of the same size, then a run
 *    sized to last ~8 s). Also against the bare verify rates of part 1: which verifier the node
 *    process runs shows in them.
 * 5. A full block: one block of 10,000 transactions (9,999 payments + the reward; issue 13's goal),
 *    validated the node's way: the precheck (the profile lists the block's signature checks, the
 *    signature pool verifies them on `os.availableParallelism()` worker threads and this thread
 *    into the signature cache) then `validateBranch` with the node's verifier (which finds them
 *    cached); against the single-thread verify rate (`verifySignatureUncached`, OpenSSL with
 *    noble's verdicts) measured in the same rounds: ratio = (10,000 / time) / (single rate x cores),
 *    goal 0.8. Also the pool with workers only (this thread waiting), and inline (no pool: what a
 *    node validated before). Rounds interleaved, medians, the cache emptied before each.
 * 4. Headers-first sync: a fresh node A syncing node B's 10,000-block ledger chain (written into
 *    B's data folder with ChainStore; blocks with only their reward, so this is the sync's own
 *    cost, not signatures) with `POST /nodes/register` + `GET /nodes/resolve`, timed to A's
 *    "resolve finished" log line, against the bare download (`GET /headers` pages of 2,000, then
 *    `GET /blocks` pages of 500, parsed and validated in this process with HeaderValidator and
 *    BranchValidator: the lower bound a sync can reach). Both go through one TCP proxy that
 *    timestamps requests, for the headers phase's share.
 *
 * Payments are signed with node:crypto (Ed25519 is deterministic: the bytes `signPayment` makes,
 * checked on the first one), blocks forged through the profile's own template at the easiest
 * target (`targetForExpectedHashes(1n)`), all on one genesis (fixed time in the past).
 *
 * Environment:
 * - BENCH_QUICK=1: small sizes, a smoke run of ~20 s. The whole run stops (and cleans up) past a
 *   hard limit (300 s, quick 90 s). Everything stays on 127.0.0.1.
 * - BENCH_LEDGER_PARTS=1,2,3,4,5: the parts to run (1 and 2 share the verify figures).
 * - BENCH_LEDGER_CPU_PROF=DIR: every node process started writes a V8 CPU profile into DIR.
 * - BENCH_LEDGER_SYNC_PAYMENT_BLOCKS=n: the sync chain starts with n blocks of 1,000 payments.
 *
 * Usage: node bench/ledger.mjs [--json]   (after `npx tsc -p tsconfig.build.json` or `npm run build`)
 * As a module: `runLedger({ quick, parts, log })` returns the figures, `formatLedger(result)` the table;
 * part 5's are `result.block` (`ratio`, `goal`, `single`, `pool.ms`, `inline.ms`: see measureFullBlock).
 */

import { spawn } from 'node:child_process';
import { createPrivateKey, sign as opensslSign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { sha256 } from '@noble/hashes/sha2.js';
import autocannon from 'autocannon';
import { BranchValidator, EMPTY_STATE, HeaderValidator, OverlayState, validateBranch } from '../dist/core/chain.js';
import { parseJson, writeJson } from '../dist/core/json.js';
import { clientTxError, decodePayment, fromHex, paymentJson } from '../dist/core/ledger/codec.js';
import { genesisFileJson, parseGenesis, targetForExpectedHashes } from '../dist/core/ledger/genesis.js';
import { addressOf, parseAddress, publicKeyOf, verifySignature } from '../dist/core/ledger/keys.js';
import { createLedgerProfile } from '../dist/core/ledger/ledger-profile.js';
import { signedMessage, signPayment, verifyPayment } from '../dist/core/ledger/transaction.js';
import { MAX_PROOF, searchProof } from '../dist/core/pow.js';
import { ChainStore } from '../dist/node/storage.js';
import { freePort } from './support.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const CLI = join(root, 'dist/cli/main.js');
const HOST = '127.0.0.1';
const CONNECTIONS = 10;
/** Senders funded at genesis: the most a genesis file may list (MAX_ALLOCATIONS). */
const SENDERS = 1_000;
/** Nonces 0..16: the mempool holds a payment at most 16 nonces past the sender's next one. */
const NONCE_WINDOW = 16;
/** A fixed genesis time in the past: block times stay behind the node's clock (no future blocks). */
const GENESIS_TIME = 1_700_000_000;
const BLOCK_TIME = 10;
const FEE = 1_000n;
/** BENCH_LEDGER_CPU_PROF=DIR: every node process started writes a V8 CPU profile into DIR. */
const PROFILE_ARGS = process.env.BENCH_LEDGER_CPU_PROF
  ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_LEDGER_CPU_PROF]
  : [];

/** Sizes of a full run and of a smoke run (BENCH_QUICK=1). */
const SIZES = {
  full: {
    verifyNoble: 800, // payments per verify run with noble (~1 s on one core)
    verifyFast: 8_000, // with the OpenSSL-backed verifier
    verifyRuns: 3,
    blocks: 10, // blocks of `SENDERS` payments, validated
    nobleBlocks: 3, // of them, validated with noble too (one core)
    validateRuns: 2,
    nonces: NONCE_WINDOW + 1, // signed ingest pool: SENDERS x nonces
    ingestWarm: 2_000,
    ingestSeconds: 8,
    syncBlocks: 10_000,
    syncRuns: 2,
    bareRuns: 3,
    blockRounds: 5, // part 5: rounds of (single rate, inline, pool, pool without this thread)
    hardLimitMs: 300_000,
  },
  quick: {
    verifyNoble: 150,
    verifyFast: 1_500,
    verifyRuns: 2,
    blocks: 2,
    nobleBlocks: 1,
    validateRuns: 1,
    nonces: 3,
    ingestWarm: 500,
    ingestSeconds: 2,
    syncBlocks: 1_000,
    syncRuns: 1,
    bareRuns: 1,
    blockRounds: 1,
    hardLimitMs: 90_000,
  },
};

// ---- small helpers ---------------------------------------------------------------------------

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Wall-clock milliseconds, sub-millisecond, comparable across worker threads. */
const wallNow = () => performance.timeOrigin + performance.now();
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const max = (values) => values.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
const min = (values) => values.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY);

/**
 * The node's verifier (OpenSSL-backed, noble's verdicts) without its signature cache, or null when
 * this build has none: parts 1, 2 and 4 verify the same signatures over and over, which the cache
 * would answer without verifying.
 */
async function loadFastVerifier() {
  try {
    const module = await import('../dist/node/ed25519-verify.js');
    if (typeof module.verifySignatureUncached === 'function') return module.verifySignatureUncached;
    return typeof module.verifySignatureFast === 'function' ? module.verifySignatureFast : null;
  } catch {
    return null;
  }
}

async function verifierNamed(name) {
  if (name === 'noble') return verifySignature;
  const fast = await loadFastVerifier();
  if (!fast) throw new Error('no fast verifier in this build');
  return fast;
}

// ---- the network: deterministic wallets, one genesis for every part -------------------------

/** PKCS#8 prefix of a raw 32-byte Ed25519 secret key (the RFC 8032 seed). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A deterministic wallet: secret key = sha256("blockforge-bench-ledger/" + i). */
function wallet(i, hrp) {
  const secretKey = sha256(new TextEncoder().encode(`blockforge-bench-ledger/${i}`));
  const publicKey = publicKeyOf(secretKey);
  const keyObject = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
  return { secretKey, publicKey, keyObject, address: addressOf(hrp, publicKey) };
}

/**
 * A signed payment's JSON text. Signed with node:crypto (OpenSSL): Ed25519 signatures are
 * deterministic (RFC 8032), so they are the bytes `signPayment` makes, ~10x sooner (the first one is
 * checked against `signPayment`).
 */
function signedPaymentText(w, fields, hrp) {
  const signature = new Uint8Array(opensslSign(null, signedMessage(fields), w.keyObject));
  return writeJson(paymentJson(fields, signature, hrp));
}

function genesisSpec(wallets) {
  return {
    network: 'benchnet',
    hrp: 'bft',
    blockTime: BLOCK_TIME,
    halfLife: 10 * BLOCK_TIME,
    initialTarget: targetForExpectedHashes(1n), // every header hash meets it: no mining cost
    reward: 50_0000_0000n,
    halvingInterval: 0,
    maturity: 10,
    time: GENESIS_TIME,
    allocations: wallets.map((w) => ({ address: w.address, amount: 1_000_000_0000_0000n })),
  };
}

/**
 * Forges blocks on top of `base` (a chain: blocks, diffs) through the profile's own template, one
 * block per list of payments (all of which must be selected), exactly on the block-time schedule
 * (so ASERT keeps the initial target). Blocks are connected with `connectBlock` only: the payments
 * were signed here, so their signatures are not verified again while building.
 */
function forge(profile, base, paymentLists, miner) {
  const blocks = [...base.blocks];
  const diffs = [...base.diffs];
  const state = new OverlayState(EMPTY_STATE);
  for (const diff of diffs) state.apply(diff);
  const view = {
    height: blocks.length,
    state,
    block(h) {
      const block = blocks[h - 1];
      if (!block || h > this.height) throw new RangeError(`no block ${h}`);
      return block;
    },
  };
  for (const payments of paymentLists) {
    const time = GENESIS_TIME + BLOCK_TIME * view.height;
    const template = profile.blockTemplate(view, miner, payments, time);
    const { proof } = searchProof(template.puzzle, 0, MAX_PROOF);
    const block = template.seal(proof, payments, time);
    if (block.transactions.length !== payments.length + 1) {
      throw new Error(`the template took ${block.transactions.length - 1} of ${payments.length} payments`);
    }
    const diff = profile.connectBlock(block, view);
    state.apply(diff);
    blocks.push(block);
    diffs.push(diff);
    view.height++;
  }
  return { blocks, diffs };
}

/** A block's most transactions (L12), the reward included. */
const MAX_TXS = 10_000;

/** The first `count` payments of `texts` (every sender's nonce 0, then nonce 1, ...), decoded. */
function decodedFull(texts, hrp, count) {
  if (texts.length < count) throw new Error(`${texts.length} payments signed, ${count} needed`);
  return texts.slice(0, count).map((text) => decodePayment(parseJson(text), hrp, clientTxError));
}

// ---- worker threads: verify loops, validation loops -------------------------------------------

/**
 * A worker: `init` with a task, answers `ready`; then each `run` is timed and answered with
 * `done` (start and end in wall-clock ms, so runs of several workers add up).
 */
function workerMain() {
  let task = null;
  parentPort.on('message', async (message) => {
    try {
      if (message.type === 'init') {
        task = await setUpTask(message);
        parentPort.postMessage({ type: 'ready' });
      } else if (message.type === 'run') {
        parentPort.postMessage({ type: 'done', ...task.run() });
      }
    } catch (err) {
      parentPort.postMessage({ type: 'error', message: err.stack ?? String(err) });
    }
  });
}

async function setUpTask(message) {
  const verify = await verifierNamed(message.verifier);
  if (message.task === 'verify') {
    const payments = message.payments;
    const once = () => {
      for (const { fields, signature } of payments) {
        if (!verifyPayment(fields, signature, verify)) throw new Error('a valid signature was refused');
      }
    };
    once(); // warm-up
    return {
      run() {
        const start = wallNow();
        once();
        return { start, end: wallNow(), count: payments.length };
      },
    };
  }
  if (message.task === 'validate') {
    const spec = parseGenesis(parseJson(message.genesisText));
    const profile = createLedgerProfile(spec, { verifySignature: verify });
    const parseAll = () => message.blockTexts.map((text) => parseJson(text));
    let values = parseAll();
    return {
      run() {
        const validator = new BranchValidator(profile, null).add([values[0]]); // the genesis, untimed
        const perBlock = [];
        let txs = 0;
        const start = wallNow();
        for (let k = 1; k < values.length; k++) {
          const t0 = performance.now();
          validator.add([values[k]]);
          perBlock.push({ ms: performance.now() - t0, txs: values[k].transactions.length - 1 });
          txs += values[k].transactions.length - 1;
        }
        const end = wallNow();
        values = parseAll(); // fresh JSON for the next run (the blocks keep theirs)
        return { start, end, count: txs, perBlock };
      },
    };
  }
  throw new Error(`unknown task ${message.task}`);
}

/** A pool of `n` workers running this file. */
function startWorkers(n) {
  const workers = [];
  for (let k = 0; k < n; k++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { ledgerBenchWorker: true } });
    worker.unref();
    workers.push(worker);
  }
  return workers;
}

function ask(worker, message, answer) {
  return new Promise((resolve, reject) => {
    const settle = (fn, value) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      fn(value);
    };
    const onMessage = (reply) => {
      if (reply.type === 'error') settle(reject, new Error(`worker: ${reply.message}`));
      else if (reply.type === answer) settle(resolve, reply);
    };
    const onError = (err) => settle(reject, err);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.postMessage(message);
  });
}

/** Sets up a timed task on every worker (each its own copy of the data, warmed up). */
async function initWorkers(workers, init) {
  await Promise.all(workers.map((w) => ask(w, { type: 'init', ...init }, 'ready')));
}

/**
 * One timed run on `workers` at once: the aggregate rate (every worker's items over the span from
 * the first start to the last end) and each worker's answer.
 */
async function runOnce(workers) {
  const answers = await Promise.all(workers.map((w) => ask(w, { type: 'run' }, 'done')));
  const span = max(answers.map((a) => a.end)) - min(answers.map((a) => a.start));
  const count = answers.reduce((sum, a) => sum + a.count, 0);
  return { rate: (count / span) * 1000, ms: span, answers };
}

/**
 * `rounds` rounds of a run on one worker, then on all of them: interleaved, so that both see the
 * same machine (it is shared: another process taking a core shows in both, not in one).
 */
async function oneAndAll(workers, init, rounds) {
  await initWorkers(workers, init);
  const one = [];
  const all = [];
  for (let r = 0; r < rounds; r++) {
    one.push(await runOnce(workers.slice(0, 1)));
    if (workers.length > 1) all.push(await runOnce(workers));
  }
  return { one, all: workers.length > 1 ? all : one };
}

// ---- processes, proxy and HTTP (as bench/sync.mjs) ------------------------------------------

const children = new Set();
const proxies = new Set();
const dirs = new Set();
const keepAlive = new Agent({ keepAlive: true, maxSockets: 16 });

function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `blockforge-bench-ledger-${prefix}-`));
  dirs.add(dir);
  return dir;
}

async function cleanup() {
  await Promise.all([...children].map((child) => child.stop()));
  for (const proxy of proxies) proxy.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** Starts `blockforge node ...args` on 127.0.0.1; resolves once it is listening. */
async function startNode({ args, name, logLevel = 'warn' }) {
  const port = await freePort();
  const proc = spawn(
    process.execPath,
    [
      ...PROFILE_ARGS,
      CLI,
      'node',
      '--host',
      HOST,
      '--port',
      String(port),
      '--threads',
      '1',
      '--log-level',
      logLevel,
      ...args,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  const node = {
    name,
    port,
    url: `http://${HOST}:${port}`,
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
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s:\n${output}`)), 60_000);
    const onData = (chunk) => {
      output += chunk.toString();
      if (output.length > 400_000) output = output.slice(-200_000);
      if (/blockforge node ready at/.test(output)) {
        clearTimeout(timer);
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

/** A TCP proxy in front of `targetPort` that timestamps each request line (wall-clock ms). */
function startProxy(targetPort) {
  return new Promise((resolve, reject) => {
    const sockets = new Set();
    const proxy = {
      requests: [],
      reset() {
        this.requests = [];
      },
      close() {
        for (const socket of sockets) socket.destroy();
        server.close();
        proxies.delete(proxy);
      },
    };
    const server = createServer({ noDelay: true }, (client) => {
      const upstream = createConnection({ host: HOST, port: targetPort, noDelay: true });
      sockets.add(client);
      sockets.add(upstream);
      client.on('data', (chunk) => {
        const match = /^(GET|POST|PUT|DELETE) (\S+) HTTP\//.exec(
          chunk.toString('latin1', 0, Math.min(chunk.length, 200)),
        );
        if (match) proxy.requests.push({ at: Date.now(), method: match[1], path: match[2] });
      });
      client.pipe(upstream);
      upstream.pipe(client);
      const done = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      for (const socket of [client, upstream]) {
        socket.on('error', done);
        socket.on('close', done);
      }
    });
    server.on('error', reject);
    server.listen(0, HOST, () => {
      proxy.url = `http://${HOST}:${server.address().port}`;
      proxies.add(proxy);
      resolve(proxy);
    });
  });
}

/** One HTTP request; resolves with { status, text, ms }. */
function request(url, { method = 'GET', body, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const headers = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const req = httpRequest(url, { method, agent: keepAlive, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode,
          text: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - started,
        });
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${url}: no answer in ${timeoutMs} ms`)), timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

async function getText(url) {
  const res = await request(url);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${res.text.slice(0, 300)}`);
  return res.text;
}

// ---- 1 + 2: signatures and block validation ---------------------------------------------------

async function measureVerify({ workers, verifier, payments, runs, log }) {
  const { one, all } = await oneAndAll(workers, { task: 'verify', verifier, payments }, runs);
  const result = {
    verifier,
    perRun: payments.length,
    oneCore: max(one.map((r) => r.rate)),
    allCores: max(all.map((r) => r.rate)),
  };
  log(
    `  verify (${verifier}): 1 core ${Math.round(result.oneCore)}/s, ${workers.length} cores ${Math.round(result.allCores)}/s (best of ${runs} runs of ${payments.length} per worker)`,
  );
  return result;
}

async function measureValidation({ workers, verifier, genesisText, blockTexts, runs, log }) {
  const init = { task: 'validate', verifier, genesisText, blockTexts };
  const summarize = (results) => {
    // Median over every block of every run of one worker's rate; aggregate over the whole span.
    const blockRates = results.flatMap((r) =>
      r.answers.flatMap((a) => a.perBlock.map((b) => (b.txs / b.ms) * 1000 * r.answers.length)),
    );
    return { perBlockMedian: median(blockRates), whole: max(results.map((r) => r.rate)) };
  };
  const runsOf = await oneAndAll(workers, init, runs);
  const one = summarize(runsOf.one);
  const all = workers.length > 1 ? summarize(runsOf.all) : one;
  const txs = (blockTexts.length - 1) * SENDERS;
  log(
    `  validate ${blockTexts.length - 1} blocks, ${txs} payments (${verifier}): 1 core ${Math.round(one.perBlockMedian)} tx/s (whole chain ${Math.round(one.whole)}), ${workers.length} cores ${Math.round(all.perBlockMedian)} tx/s (whole ${Math.round(all.whole)})`,
  );
  return { verifier, blocks: blockTexts.length - 1, txs, oneCore: one, allCores: all };
}

// ---- 5: a full block, the node's way (precheck on the signature pool, then validateBranch) -------

/** The signature pool and the verifier's cache from this build, or null when it has none. */
async function loadSignaturePool() {
  try {
    const pool = await import('../dist/node/signature-pool.js');
    const verify = await import('../dist/node/ed25519-verify.js');
    if (typeof pool.SignaturePool !== 'function' || typeof verify.verifySignatureUncached !== 'function') return null;
    return { ...pool, ...verify };
  } catch {
    return null;
  }
}

/**
 * One block of `blockText` (MAX_BLOCK_TRANSACTIONS transactions) validated on top of the genesis:
 * inline (the node's verifier, cache empty), and through the precheck on a pool with and without
 * this thread's share; the single-thread verify rate of its payments in the same rounds.
 */
async function measureFullBlock({ profile, genesisText, blockText, cores, rounds, log }) {
  const m = await loadSignaturePool();
  if (!m) {
    log('  (no signature pool in this build: part 5 skipped)');
    return null;
  }
  const { SignaturePool, createSignaturePrecheck, verifySignatureUncached, sharedSignatureCache } = m;
  const genesisView = new BranchValidator(profile, null).add([parseJson(genesisText)]).view;
  const checks = profile.signatureChecks([parseJson(blockText)]);
  const txs = parseJson(blockText).transactions.length;
  if (checks.length !== txs - 1) throw new Error(`listed ${checks.length} checks for ${txs - 1} payments`);
  // The listing timed apart, inside the precheck (the profile's own function, wrapped).
  let listMs = 0;
  const timed = Object.create(profile);
  timed.signatureChecks = (values) => {
    const t0 = performance.now();
    const out = profile.signatureChecks(values);
    listMs = performance.now() - t0;
    return out;
  };
  // pool: the node's precheck (returns once the batch is handed over; validation runs beside the
  // workers); serial: the precheck awaited until every signature is verified (this thread sharing).
  const variants = { pool: { overlap: true }, serial: { overlap: false } };
  const pools = Object.fromEntries(Object.keys(variants).map((k) => [k, new SignaturePool()]));
  const single = () => {
    const t0 = performance.now();
    for (const c of checks) {
      if (!verifySignatureUncached(c.signature, c.message, c.publicKey))
        throw new Error('a valid signature was refused');
    }
    return (checks.length / (performance.now() - t0)) * 1000;
  };
  const inline = () => {
    sharedSignatureCache.clear();
    const value = parseJson(blockText);
    const t0 = performance.now();
    validateBranch(profile, genesisView, [value]);
    return { ms: performance.now() - t0 };
  };
  const viaPool = async (k) => {
    const pool = pools[k];
    sharedSignatureCache.clear();
    let report = null;
    const precheck = createSignaturePrecheck(timed, pool, { ...variants[k], onBatch: (r) => (report = r) });
    const value = parseJson(blockText);
    const t0 = performance.now();
    await precheck([value]);
    const t1 = performance.now();
    validateBranch(profile, genesisView, [value]);
    const t2 = performance.now();
    await pool.idle();
    if (!report || report.valid !== checks.length)
      throw new Error(`the pool found ${report?.valid} of ${checks.length} valid`);
    return { ms: t2 - t0, precheckMs: t1 - t0, listMs, verifyMs: t1 - t0 - listMs, validateMs: t2 - t1, report };
  };
  try {
    // Warm-up (untimed): the workers start, every path is compiled.
    for (const k of Object.keys(pools)) await viaPool(k);
    inline();
    const singles = [];
    const inlines = [];
    const runs = { pool: [], serial: [] };
    // Per round, each figure against the single rate measured just before it (the machine's load
    // changes within seconds): the ratios are per round, their median reported.
    const ratios = { pool: [], serial: [], inline: [] };
    const rateOfRun = (ms) => (txs / ms) * 1000;
    for (let r = 0; r < rounds; r++) {
      let one = single();
      singles.push(one);
      inlines.push(inline());
      ratios.inline.push(rateOfRun(inlines.at(-1).ms) / (one * cores));
      for (const k of Object.keys(variants)) {
        one = single();
        singles.push(one);
        runs[k].push(await viaPool(k));
        ratios[k].push(rateOfRun(runs[k].at(-1).ms) / (one * cores));
      }
      log(
        `  round ${r + 1}: single ${Math.round(singles.at(-1))}/s, inline ${inlines.at(-1).ms.toFixed(0)} ms, pool ${runs.pool.at(-1).ms.toFixed(0)} ms (precheck ${runs.pool.at(-1).precheckMs.toFixed(0)}, validate ${runs.pool.at(-1).validateMs.toFixed(0)}), serial ${runs.serial.at(-1).ms.toFixed(0)} ms (list ${runs.serial.at(-1).listMs.toFixed(0)}, verify ${runs.serial.at(-1).verifyMs.toFixed(0)}, validate ${runs.serial.at(-1).validateMs.toFixed(0)})`,
      );
    }
    const pick = (list) => [...list].sort((x, y) => x.ms - y.ms)[Math.floor((list.length - 1) / 2)];
    const singleRate = median(singles);
    const rateOf = (ms) => (txs / ms) * 1000;
    const pool = pick(runs.pool);
    const serial = pick(runs.serial);
    const inlineRun = pick(inlines);
    const result = {
      txs,
      cores,
      threads: pools.pool.threads,
      single: singleRate,
      singles,
      goal: 0.8,
      pool: { ...pool, rate: rateOf(pool.ms) },
      serial: { ...serial, rate: rateOf(serial.ms) },
      inline: { ...inlineRun, rate: rateOf(inlineRun.ms) },
      ratio: median(ratios.pool),
      ratioSerial: median(ratios.serial),
      ratioInline: median(ratios.inline),
      ratios,
      rounds,
    };
    log(
      `  full block of ${txs} transactions: pool ${pool.ms.toFixed(0)} ms, ratio ${result.ratio.toFixed(2)} (goal ${result.goal}); inline ${inlineRun.ms.toFixed(0)} ms (${result.ratioInline.toFixed(2)}); single verify ${Math.round(singleRate)}/s`,
    );
    return result;
  } finally {
    for (const pool of Object.values(pools)) await pool.close();
    sharedSignatureCache.clear();
  }
}

// ---- 3: signed ingest against unsigned -------------------------------------------------------

/**
 * One autocannon run of `amount` POSTs to `url`, each with the next body of `nextBody()` (built by
 * setupRequest: one distinct body per request). Returns the answers by status and the rate of `ok`.
 */
function cannon({ url, amount, nextBody, ok }) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // Timed to the last answer: autocannon reports on its next 1 s sample tick after that.
    let last = t0;
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        method: 'POST',
        timeout: 10,
        amount,
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest(req) {
              req.body = nextBody();
              return req;
            },
          },
        ],
      },
      (err, result) => {
        clearTimeout(limit);
        if (err) {
          reject(err);
          return;
        }
        const seconds = (last - t0) / 1000;
        const stats = result.statusCodeStats ?? {};
        const accepted = Number(stats[ok]?.count ?? 0);
        const answered = Object.values(stats).reduce((sum, s) => sum + Number(s.count), 0);
        resolve({
          rate: accepted / seconds,
          accepted,
          answered,
          statuses: Object.fromEntries(Object.entries(stats).map(([k, s]) => [k, s.count])),
          errors: result.errors,
          timeouts: result.timeouts,
          seconds,
          p50: result.latency.p50,
          p99: result.latency.p99,
        });
      },
    );
    instance.on('response', () => {
      last = performance.now();
    });
    const limit = setTimeout(() => instance.stop(), 120_000);
  });
}

/**
 * A warm-up and a calibration run (`warm` requests each: a cold node is several times slower), then
 * a main run sized from the calibration's rate to last about `seconds` (at most `available`
 * requests). A fixed count, not a duration: every request is answered before the count is read.
 */
async function warmAndRun({ url, nextBody, ok, warm, seconds, available }) {
  const warmUp = await cannon({ url, amount: warm, nextBody, ok });
  const calibration = await cannon({ url, amount: warm, nextBody, ok });
  const amount = Math.max(500, Math.min(available, Math.round(calibration.rate * seconds)));
  const main = await cannon({ url, amount, nextBody, ok });
  return { warmUp, calibration, main, amount };
}

async function measureIngest({ genesisFile, miner, paymentTexts, warm, seconds, log }) {
  // Signed: the pool of distinct payments, in order (all senders' nonce 0, then nonce 1, ...).
  const pool = paymentTexts;
  let used = 0;
  const nextSigned = () => {
    if (used >= pool.length) throw new Error('the pool of signed payments ran out');
    return pool[used++];
  };
  const ledger = await startNode({
    name: 'ledger node (ingest)',
    args: [
      '--profile',
      'ledger',
      '--genesis',
      genesisFile,
      '--miner-address',
      miner,
      '--data-dir',
      tempDir('ingest'),
      '--no-auto-sync',
    ],
  });
  let signed;
  try {
    signed = await warmAndRun({
      url: `${ledger.url}/transactions`,
      nextBody: nextSigned,
      ok: '202',
      warm,
      seconds,
      // setupRequest may build one request per connection that is never sent
      available: pool.length - 2 * warm - 3 * CONNECTIONS,
    });
    signed.pending = JSON.parse(await getText(`${ledger.url}/transactions/pending`)).count;
  } finally {
    await ledger.stop();
  }
  const s = signed.main;
  log(
    `  signed POST /transactions: warm-up ${Math.round(signed.warmUp.rate)}/s, calibration ${Math.round(signed.calibration.rate)}/s, main ${Math.round(s.rate)}/s over ${s.seconds.toFixed(1)} s (${s.accepted} x 202 of ${s.answered}: ${JSON.stringify(s.statuses)}), mempool ${signed.pending}`,
  );

  // Unsigned: the tutorial's transaction with a distinct sender per request.
  let k = 0;
  const nextUnsigned = () =>
    `{"sender": "${(k++).toString(16).padStart(32, '0')}", "recipient": "someone-other-address", "amount": 5}`;
  const seed = await startNode({
    name: 'seed node (ingest)',
    args: ['--data-dir', tempDir('ingest-seed'), '--no-auto-sync'],
  });
  let unsigned;
  try {
    unsigned = await warmAndRun({
      url: `${seed.url}/transactions/new`,
      nextBody: nextUnsigned,
      ok: '201',
      warm,
      seconds,
      available: Number.MAX_SAFE_INTEGER,
    });
  } finally {
    await seed.stop();
  }
  const u = unsigned.main;
  log(
    `  unsigned POST /transactions/new: warm-up ${Math.round(unsigned.warmUp.rate)}/s, calibration ${Math.round(unsigned.calibration.rate)}/s, main ${Math.round(u.rate)}/s over ${u.seconds.toFixed(1)} s (${u.accepted} x 201 of ${u.answered})`,
  );
  return {
    connections: CONNECTIONS,
    warm,
    seconds,
    signed: { ...s, amount: signed.amount, pending: signed.pending, warmRate: signed.warmUp.rate },
    unsigned: { ...u, amount: unsigned.amount, warmRate: unsigned.warmUp.rate },
  };
}

// ---- 4: headers-first sync against the bare download -----------------------------------------

/** Writes `chain` into a new data folder with ChainStore (one commit), as the node stores it. */
function writeDataDir(profile, chain) {
  const dir = tempDir('sync-b');
  const store = ChainStore.open(dir, { profile: profile.name, params: profile.params });
  const stored = (k) => ({ block: chain.blocks[k], text: writeJson(chain.blocks[k].json), diff: chain.diffs[k] });
  try {
    store.initGenesis(stored(0));
    store.replaceChain(
      1,
      [],
      chain.blocks.slice(1).map((_, k) => stored(k + 1)),
      [],
    );
  } finally {
    store.close();
  }
  return dir;
}

/**
 * The bare download through `proxy`: header pages, then block pages (the next one requested before
 * this one is validated, as the node does), parsed and validated here. Returns times in ms.
 */
async function bareDownload(proxy, profile, height) {
  const genesisView = new BranchValidator(profile, null).add([profile.createGenesis(0).json]).view;
  const started = performance.now();
  const headers = new HeaderValidator(profile.headers, genesisView);
  for (let from = 2; from <= height; ) {
    const limit = Math.min(2_000, height - from + 1);
    const page = parseJson(await getText(`${proxy.url}/headers?from=${from}&limit=${limit}`)).headers;
    headers.add(page);
    from += page.length;
  }
  const headersDone = performance.now();
  const bodies = new BranchValidator(profile, genesisView);
  const fetchPage = (from) => getText(`${proxy.url}/blocks?from=${from}&limit=${Math.min(500, height - from + 1)}`);
  let next = 2;
  let pending = fetchPage(next);
  while (pending) {
    const blocks = parseJson(await pending).blocks;
    next += blocks.length;
    pending = next <= height ? fetchPage(next) : null;
    const first = bodies.height + 1;
    bodies.add(blocks);
    const added = bodies.result.blocks;
    for (let h = first; h <= bodies.height; h++) {
      if (added[h - 2].hash !== headers.headers[h - 2].hash) throw new Error(`block ${h} is not its header's`);
    }
  }
  const done = performance.now();
  if (bodies.height !== height) throw new Error(`bare download reached ${bodies.height}, not ${height}`);
  return { ms: done - started, headersMs: headersDone - started, bodiesMs: done - headersDone };
}

/** A fresh node A syncing from B (through `proxy`) with /nodes/register + /nodes/resolve. */
async function nodeSync({ proxy, genesisFile, miner, height }) {
  const a = await startNode({
    name: 'A (fresh)',
    logLevel: 'info', // its "resolve finished" line (pino, Date.now() ms) says when the sync ended
    args: [
      '--profile',
      'ledger',
      '--genesis',
      genesisFile,
      '--miner-address',
      miner,
      '--data-dir',
      tempDir('sync-a'),
      '--no-auto-sync',
    ],
  });
  try {
    const registered = await request(`${a.url}/nodes/register`, {
      method: 'POST',
      body: JSON.stringify({ nodes: [proxy.url] }),
    });
    if (registered.status !== 201) throw new Error(`/nodes/register: HTTP ${registered.status} ${registered.text}`);
    await sleep(50);
    proxy.reset();
    const sentAt = Date.now();
    const resolved = await request(`${a.url}/nodes/resolve`, { timeoutMs: 180_000 });
    const answeredAt = Date.now();
    const status = JSON.parse(await getText(`${a.url}/peer/status`));
    if (status.height !== height) {
      // Seen with pages of many payments: A asks for the next page before it validates this one,
      // and when the validation blocks its event loop past the peer connect timeout (2 s), that
      // request fails as "could not connect" and the whole sync with it.
      throw new Error(
        `A reached ${status.height}, not ${height}: ${resolved.text.slice(-400)}\n${a.output().slice(-2000)}`,
      );
    }
    // Its log line may come after the answer (pino writes to a pipe): wait for it a little.
    let finishedAt = null;
    for (let tries = 0; finishedAt === null && tries < 100; tries++) {
      for (const line of a.output().split('\n')) {
        if (line.includes('"resolve finished"') && JSON.parse(line).time >= sentAt) finishedAt = JSON.parse(line).time;
      }
      if (finishedAt === null) await sleep(20);
    }
    if (finishedAt === null) throw new Error(`A logged no "resolve finished":\n${a.output().slice(-2000)}`);
    const requests = proxy.requests;
    const firstAt = requests[0]?.at ?? sentAt;
    const headersAt = requests.find((r) => r.path.startsWith('/headers'))?.at;
    const blocksAt = requests.find((r) => r.path.startsWith('/blocks'))?.at;
    if (headersAt === undefined || blocksAt === undefined) {
      throw new Error(`A did not sync headers first: ${requests.map((r) => r.path).join(' ')}`);
    }
    return {
      ms: finishedAt - sentAt,
      callMs: answeredAt - sentAt,
      fromFirstRequestMs: finishedAt - firstAt,
      headersMs: blocksAt - headersAt,
      bodiesMs: finishedAt - blocksAt,
      requests: requests.length,
    };
  } finally {
    await a.stop();
  }
}

async function measureSync({ profile, chain, genesisFile, miner, syncRuns, bareRuns, log }) {
  const height = chain.blocks.length;
  const dir = writeDataDir(profile, chain);
  const t0 = performance.now();
  const b = await startNode({
    name: `B (${height} blocks)`,
    args: [
      '--profile',
      'ledger',
      '--genesis',
      genesisFile,
      '--miner-address',
      miner,
      '--data-dir',
      dir,
      '--no-auto-sync',
    ],
  });
  log(`  B started on ${height} blocks in ${((performance.now() - t0) / 1000).toFixed(2)} s (it re-validates them)`);
  const proxy = await startProxy(b.port);
  try {
    const bare = [];
    for (let r = 0; r < bareRuns + 1; r++) {
      const run = await bareDownload(proxy, profile, height);
      if (r > 0) bare.push(run); // the first warms B's pages and this process
      log(
        `  bare download ${r === 0 ? '(warm-up)' : r}: ${(run.ms / 1000).toFixed(3)} s (headers ${(run.headersMs / 1000).toFixed(3)} s)`,
      );
    }
    const syncs = [];
    for (let r = 0; r < syncRuns; r++) {
      const run = await nodeSync({ proxy, genesisFile, miner, height });
      syncs.push(run);
      log(
        `  node sync ${r + 1}: ${(run.ms / 1000).toFixed(3)} s to "resolve finished" (headers ${(run.headersMs / 1000).toFixed(3)} s, ${run.requests} requests; the /nodes/resolve answer ${(run.callMs / 1000).toFixed(3)} s)`,
      );
    }
    const pick = (runs) => [...runs].sort((x, y) => x.ms - y.ms)[Math.floor((runs.length - 1) / 2)];
    return { height, bare: pick(bare), sync: pick(syncs), bares: bare, syncs };
  } finally {
    proxy.close();
    await b.stop();
  }
}

// ---- the run ---------------------------------------------------------------------------------

export async function runLedger({
  quick = process.env.BENCH_QUICK === '1',
  parts = (process.env.BENCH_LEDGER_PARTS ?? '1,2,3,4,5').split(',').map(Number),
  log = () => {},
} = {}) {
  const size = quick ? SIZES.quick : SIZES.full;
  const part = new Set(parts);
  const started = performance.now();
  const loadAtStart = loadavg()[0];
  const cores = availableParallelism();
  const workers = startWorkers(cores);
  try {
    let t = performance.now();
    const fast = await loadFastVerifier();
    const verifiers = fast ? ['noble', 'node'] : ['noble'];
    const nodeVerifier = fast ? 'node' : 'noble';

    // The network: SENDERS funded wallets (+ a miner), one genesis file for every part.
    const hrp = 'bft';
    const wallets = [];
    for (let i = 0; i < SENDERS; i++) wallets.push(wallet(i, hrp));
    const miner = wallet(SENDERS, hrp).address;
    const spec = parseGenesis(genesisFileJson(genesisSpec(wallets)));
    const genesisText = writeJson(genesisFileJson(spec));
    const genesisFile = join(tempDir('genesis'), 'genesis.json');
    writeFileSync(genesisFile, genesisText);
    const profile = createLedgerProfile(spec, fast ? { verifySignature: fast } : {});

    // Payments: every sender, nonces 0..n-1, each to the next sender, in nonce order.
    const chain = fromHex(profile.chainId);
    const recipients = wallets.map((w) => parseAddress(hrp, w.address));
    const texts = [];
    // Part 5's block takes nonces 0..9 of every sender (9,999 payments).
    const nonceCount = Math.max(size.nonces, size.blocks, part.has(5) ? 10 : 0);
    for (let nonce = 0; nonce < nonceCount; nonce++) {
      for (let i = 0; i < SENDERS; i++) {
        const fields = {
          chain,
          from: wallets[i].publicKey,
          to: recipients[(i + 1) % SENDERS],
          amount: 1_0000_0000n,
          fee: FEE,
          nonce: BigInt(nonce),
        };
        texts.push(signedPaymentText(wallets[i], fields, hrp));
        if (texts.length === 1) {
          const reference = writeJson(paymentJson(fields, signPayment(fields, wallets[i].secretKey), hrp));
          if (texts[0] !== reference) throw new Error('node:crypto and signPayment signed differently');
        }
      }
    }
    log(`${SENDERS} wallets, ${texts.length} payments signed in ${((performance.now() - t) / 1000).toFixed(2)} s`);

    // Blocks of SENDERS payments each (nonce b in block b), forged through the template.
    t = performance.now();
    const decoded = texts
      .slice(0, size.blocks * SENDERS)
      .map((text) => decodePayment(parseJson(text), hrp, clientTxError));
    const lists = [];
    for (let b = 0; b < size.blocks; b++) lists.push(decoded.slice(b * SENDERS, (b + 1) * SENDERS));
    const genesis = profile.createGenesis(0);
    const base = { blocks: [genesis], diffs: [profile.connectBlock(genesis, null)] };
    const paymentChain = forge(profile, base, lists, miner);
    const blockTexts = paymentChain.blocks.map((block) => writeJson(block.json));
    log(
      `forged ${size.blocks} blocks of ${SENDERS} payments in ${((performance.now() - t) / 1000).toFixed(2)} s (${(blockTexts.slice(1).reduce((s, x) => s + x.length, 0) / 1e6).toFixed(1)} MB of JSON)`,
    );

    const verifyPayments = decoded.slice(0, size.verifyFast).map((p) => ({ fields: p.fields, signature: p.signature }));
    const verify = {};
    if (part.has(1) || part.has(2)) log('1. signature verification (verifyPayment)');
    for (const verifier of part.has(1) || part.has(2) ? verifiers : []) {
      const count = verifier === 'noble' ? size.verifyNoble : size.verifyFast;
      verify[verifier] = await measureVerify({
        workers,
        verifier,
        payments: verifyPayments.slice(0, count),
        runs: size.verifyRuns,
        log,
      });
    }

    const validation = {};
    if (part.has(2)) log('2. block validation (BranchValidator from parsed JSON)');
    if (part.has(2))
      validation[nodeVerifier] = await measureValidation({
        workers,
        verifier: nodeVerifier,
        genesisText,
        blockTexts,
        runs: size.validateRuns,
        log,
      });
    if (part.has(2) && nodeVerifier !== 'noble') {
      // noble (the in-process default, the browser's): fewer blocks, one core only.
      validation.noble = await measureValidation({
        workers: workers.slice(0, 1),
        verifier: 'noble',
        genesisText,
        blockTexts: blockTexts.slice(0, size.nobleBlocks + 1),
        runs: 1,
        log,
      });
    }
    await Promise.all(workers.map((w) => w.terminate()));

    let block = null;
    if (part.has(5) && fast) {
      log('5. a full block: precheck on the signature pool + validateBranch, against the single verify rate');
      t = performance.now();
      const full = decodedFull(texts, hrp, MAX_TXS - 1);
      const fullChain = forge(profile, base, [full], miner);
      const blockText = writeJson(fullChain.blocks[1].json);
      log(
        `  forged a block of ${full.length + 1} transactions (${(blockText.length / 1e6).toFixed(2)} MB) in ${((performance.now() - t) / 1000).toFixed(2)} s`,
      );
      // The node's own verifier here (with its cache and the pool's batches), as a node runs it.
      const { verifySignatureFast } = await import('../dist/node/ed25519-verify.js');
      block = await measureFullBlock({
        profile: createLedgerProfile(spec, { verifySignature: verifySignatureFast }),
        genesisText: writeJson(genesis.json),
        blockText,
        cores,
        rounds: size.blockRounds,
        log,
      });
    }

    if (part.has(3)) log('3. signed ingest against unsigned');
    const ingest = !part.has(3)
      ? null
      : await measureIngest({
          genesisFile,
          miner,
          paymentTexts: texts.slice(0, size.nonces * SENDERS),
          warm: size.ingestWarm,
          seconds: size.ingestSeconds,
          log,
        });

    let sync = null;
    if (part.has(4)) {
      log('4. headers-first sync');
      t = performance.now();
      // Reward-only blocks by default: the sync's mechanics, not signatures (measured above). With
      // BENCH_LEDGER_SYNC_PAYMENT_BLOCKS=n the chain starts with n of the payment blocks.
      const withPayments = Math.min(Number(process.env.BENCH_LEDGER_SYNC_PAYMENT_BLOCKS ?? 0), size.blocks);
      const start = {
        blocks: paymentChain.blocks.slice(0, 1 + withPayments),
        diffs: paymentChain.diffs.slice(0, 1 + withPayments),
      };
      const empty = [];
      for (let h = start.blocks.length; h < size.syncBlocks; h++) empty.push([]);
      const syncChain = forge(profile, start, empty, miner);
      log(
        `  forged ${syncChain.blocks.length} blocks (${withPayments} with ${SENDERS} payments, the rest a reward only) in ${((performance.now() - t) / 1000).toFixed(2)} s`,
      );
      sync = await measureSync({
        profile,
        chain: syncChain,
        genesisFile,
        miner,
        syncRuns: size.syncRuns,
        bareRuns: size.bareRuns,
        log,
      });
      sync.paymentBlocks = withPayments;
    }

    return {
      quick,
      cores,
      nodeVerifier,
      senders: SENDERS,
      verify,
      validation,
      ingest,
      sync,
      block,
      totalMs: performance.now() - started,
      load: { start: loadAtStart, end: loadavg()[0] },
    };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    keepAlive.destroy();
    await cleanup();
  }
}

// ---- the table -------------------------------------------------------------------------------

const int = (x) => Math.round(x).toLocaleString('en-US');
const ratioText = (x) => `${x.toFixed(x >= 10 ? 1 : 2)}x`;
const pct = (x) => `${Math.round(x * 100)}%`;
const secs = (ms) => `${(ms / 1000).toFixed(2)} s`;
const VERIFIER_NAME = { noble: '@noble/curves', node: "node's verifier (OpenSSL + noble's verdicts)" };

/** Validation rate / bare verify rate, read as the share of validation time that is signatures. */
function sharePhrase(ratio) {
  const share = ratio < 1 ? `signatures ~${pct(ratio)} of the time` : 'signatures ~all of it, within noise';
  return `${ratioText(ratio)} (${share})`;
}

export function formatLedger(r) {
  const rows = [['what', 'measured', 'reference (same run)', 'ratio']];
  const row = (...cells) => rows.push(cells.map(String));
  for (const [name, v] of Object.entries(r.verify)) {
    row(`verifyPayment, ${VERIFIER_NAME[name]}, 1 core`, `${int(v.oneCore)} /s`, '', '');
    row(
      `  ...all ${r.cores} cores (worker_threads)`,
      `${int(v.allCores)} /s`,
      `1 core: ${int(v.oneCore)} /s`,
      ratioText(v.allCores / v.oneCore),
    );
  }
  if (r.verify.node && r.verify.noble) {
    row(
      "  node's verifier vs @noble/curves, 1 core",
      `${int(r.verify.node.oneCore)} /s`,
      `noble: ${int(r.verify.noble.oneCore)} /s`,
      ratioText(r.verify.node.oneCore / r.verify.noble.oneCore),
    );
  }
  for (const [name, v] of Object.entries(r.validation)) {
    const bare = r.verify[name].oneCore;
    row(
      `validate ${v.blocks} blocks x ${r.senders} payments, ${name === 'node' ? "node's verifier" : 'noble'}, 1 core`,
      `${int(v.oneCore.perBlockMedian)} tx/s`,
      `bare verify: ${int(bare)} /s`,
      sharePhrase(v.oneCore.perBlockMedian / bare),
    );
    if (v.allCores !== v.oneCore) {
      row(
        `  ...all ${r.cores} cores, a copy each (aggregate)`,
        `${int(v.allCores.perBlockMedian)} tx/s`,
        `1 core: ${int(v.oneCore.perBlockMedian)} tx/s`,
        ratioText(v.allCores.perBlockMedian / v.oneCore.perBlockMedian),
      );
    }
  }
  const i = r.ingest;
  if (i) {
    row(
      `signed POST /transactions (ledger, 202s), ${i.connections} conn.`,
      `${int(i.signed.rate)} req/s`,
      `unsigned POST /transactions/new (seed, 201s): ${int(i.unsigned.rate)} req/s`,
      ratioText(i.signed.rate / i.unsigned.rate),
    );
    // Which verifier the node process runs is its own business: the ratio to each bare rate shows it.
    for (const [name, v] of Object.entries(r.verify)) {
      row(
        `  ...vs bare verifyPayment, 1 core, ${name === 'node' ? "node's verifier" : 'noble'}`,
        '',
        `${int(v.oneCore)} /s`,
        ratioText(i.signed.rate / v.oneCore),
      );
    }
  }
  const b = r.block;
  if (b) {
    const goalRate = b.goal * b.single * b.cores;
    row(`full block: verify 1 thread (OpenSSL, noble's verdicts)`, `${int(b.single)} /s`, '', '');
    row(
      `full block of ${int(b.txs)} tx: precheck (pool, ${b.threads} workers) + validateBranch beside it`,
      `${secs(b.pool.ms)} (${int(b.pool.rate)} tx/s)`,
      `single x ${b.cores} cores: ${int(b.single * b.cores)} tx/s (goal ${b.goal}: ${int(goalRate)} tx/s)`,
      `${b.ratio.toFixed(2)} (goal ${b.goal})`,
    );
    row(
      '  ...list + hand over / validate (verifying its share)',
      `${b.pool.precheckMs.toFixed(0)} / ${b.pool.validateMs.toFixed(0)} ms`,
      `${int(b.pool.report.inWorkers)} verified in workers, ${int(b.pool.report.inline)} here`,
      '',
    );
    row(
      `  ...precheck awaited (workers + this thread), then validate`,
      `${secs(b.serial.ms)} (${int(b.serial.rate)} tx/s)`,
      `list ${b.serial.listMs.toFixed(0)} / verify ${b.serial.verifyMs.toFixed(0)} / validate ${b.serial.validateMs.toFixed(0)} ms`,
      b.ratioSerial.toFixed(2),
    );
    row(
      `  ...inline only (no pool)`,
      `${secs(b.inline.ms)} (${int(b.inline.rate)} tx/s)`,
      '',
      b.ratioInline.toFixed(2),
    );
  }
  const s = r.sync;
  if (s) {
    row(
      `headers-first sync of ${s.height} blocks, fresh node A`,
      secs(s.sync.ms),
      `bare download + validate here: ${secs(s.bare.ms)}`,
      ratioText(s.sync.ms / s.bare.ms),
    );
    row(
      '  headers phase (share of the whole)',
      `${secs(s.sync.headersMs)} (${pct(s.sync.headersMs / s.sync.ms)})`,
      `${secs(s.bare.headersMs)} (${pct(s.bare.headersMs / s.bare.ms)})`,
      ratioText(s.sync.headersMs / s.bare.headersMs),
    );
    row('  bodies phase', secs(s.sync.bodiesMs), secs(s.bare.bodiesMs), ratioText(s.sync.bodiesMs / s.bare.bodiesMs));
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((x) => x[c].length)));
  const lines = rows.map((cells) =>
    cells
      .map((cell, c) => cell.padEnd(widths[c]))
      .join(' | ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('-|-'));
  const notes = [];
  if (Object.keys(r.verify).length > 0) {
    notes.push(
      "- verify: best of runs, each worker verifying its own list (all cores: every worker's payments over the span from the first start to the last end).",
    );
  }
  if (Object.keys(r.validation).length > 0) {
    notes.push(
      '- validate: median of the per-block rates (every block of every run; all cores: x the worker count); BranchValidator from parsed JSON, the parse not timed. The ratio to the bare verify rate of the same verifier is how much of block validation signatures are.',
    );
  }
  if (i) {
    const bad = i.signed.answered - i.signed.accepted;
    notes.push(
      `- ingest: autocannon, ${i.connections} connections, one distinct body per request through setupRequest (the client shares the machine's cores with the node); a warm-up and a calibration run of ${int(i.warm)} requests each, then a run sized from the calibration's rate to last ~${i.seconds} s. Signed: ${int(i.signed.amount)} requests in ${i.signed.seconds.toFixed(1)} s, ${i.signed.accepted} x 202${bad > 0 ? `, ${bad} other answers ${JSON.stringify(i.signed.statuses)}` : ''}, ${i.signed.errors} errors, p50 ${i.signed.p50} ms, p99 ${i.signed.p99} ms; the node's mempool then held ${i.signed.pending} (warm-up and calibration included). Unsigned: ${int(i.unsigned.amount)} requests in ${i.unsigned.seconds.toFixed(1)} s, ${i.unsigned.accepted} x 201, ${i.unsigned.errors} errors, p50 ${i.unsigned.p50} ms, p99 ${i.unsigned.p99} ms.`,
    );
  }
  if (b) {
    notes.push(
      `- full block: one block of ${int(b.txs)} transactions (nonces 0..9 of ${r.senders} senders) on the genesis, parsed JSON (parse not timed), ${b.rounds} interleaved rounds (median; the signature cache emptied before each): single = verifySignatureUncached over its payments on this thread (rounds: ${b.singles.map((x) => int(x)).join(', ')} /s); ratio = (${int(b.txs)} / time) / (single x ${b.cores} cores), per round with the single rate measured just before, median of rounds (pool: ${b.ratios.pool.map((x) => x.toFixed(2)).join(', ')}; awaited: ${b.ratios.serial.map((x) => x.toFixed(2)).join(', ')}; inline: ${b.ratios.inline.map((x) => x.toFixed(2)).join(', ')}). list = profile.signatureChecks, verify = the pool, validate = validateBranch (with the pool: finding verdicts cached or in the batch, or verifying the checks no worker reached yet).`,
    );
  }
  if (s) {
    notes.push(
      `- sync: ${s.height} blocks (${s.paymentBlocks > 0 ? `${s.paymentBlocks} with ${r.senders} payments, the others with` : 'each with'} only its reward). Node A: GET /nodes/resolve sent -> its "resolve finished" log line (${s.syncs.length > 2 ? 'median' : 'best'} of ${s.syncs.length}; it also stores the chain in SQLite; the call's answer, the whole chain, came ${secs(s.sync.callMs - s.sync.ms)} later). Bare: GET /headers pages of 2,000 then GET /blocks pages of 500 (next page requested before this one is validated), parsed and validated in this process (${s.bares.length > 2 ? 'median' : 'best'} of ${s.bares.length}, after a warm-up run). Both through the same timestamping TCP proxy; the headers phase is first /headers to first /blocks request.`,
    );
  }
  return [
    `Ledger profile${r.quick ? ' (BENCH_QUICK: small sizes, a smoke run)' : ''}: ${r.cores} cores, ${r.senders} funded senders; in-process validation (parts 2 and 4) with ${VERIFIER_NAME[r.nodeVerifier]}`,
    ...lines,
    '',
    ...notes,
    `(whole run ${secs(r.totalMs)}; load average ${r.load.start.toFixed(2)} at the start, ${r.load.end.toFixed(2)} at the end, on ${r.cores} cores: other work on the machine shows in every figure, most in the all-cores ones)`,
  ];
}

// ---- entry points ----------------------------------------------------------------------------

if (!isMainThread && workerData?.ledgerBenchWorker) {
  workerMain();
} else if (isMainThread && process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const quick = process.env.BENCH_QUICK === '1';
  const json = process.argv.includes('--json');
  const limitMs = quick ? SIZES.quick.hardLimitMs : SIZES.full.hardLimitMs;
  const watchdog = setTimeout(() => {
    console.error(`bench:ledger: stopped after ${limitMs / 1000} s`);
    void cleanup().finally(() => process.exit(1));
  }, limitMs);
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const result = await runLedger({ quick, log: json ? () => {} : (line) => console.log(line) });
    if (json) console.log(JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    else console.log(`\n${formatLedger(result).join('\n')}`);
  } catch (err) {
    console.error(err);
    process.exitCode = 1;
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }
}
