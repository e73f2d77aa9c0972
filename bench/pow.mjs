#!/usr/bin/env node
// Proof-of-work speed, all in one run (npm run bench:pow): the tutorial's Python loop, OpenSSL's
// SHA-256 on 16-byte messages, node:crypto per attempt, the TypeScript kernel, the WebAssembly
// kernel and the native kernel (native/, SHA instructions) on one thread and on all cores, against
// the SHA-NI ceiling measured in the same run. Machines are shared and noisy: read the ratios.
//
// Each figure counts attempts at a difficulty no proof in range meets, so every kernel does the
// same work: one SHA-256 of f"{last_proof}{proof}" per attempt (seed profile, 10-digit proofs: one
// 64-byte block, one compression per attempt). The native kernel is also timed on the master
// profile (the previous hash after the proof: two blocks, two compressions per attempt).
//
// The ceiling: `openssl speed -evp sha256 -bytes 16384` bytes/s / 64 = compressions per second on
// one core with the CPU's SHA instructions (one long message: OpenSSL's best case), measured before
// and after the kernels, the higher of the two kept.
// - the goal's ratio (issue 13): hashes/s / ceiling, as the issue's table divides (10.8 M/s / 27.0
//   M/s = 0.40 for the WebAssembly kernel); goal >= 0.8 for the native kernel on one thread;
// - beside it, the per-compression efficiency: hashes/s x compressions per hash (after the
//   midstate) / ceiling. Pools are divided by threads x ceiling (per core).
//
// Usage: node bench/pow.mjs [--json]   (BENCH_SECONDS=n per figure, default 3)
// As a module: `runPow(options)` returns the figures, `formatPow(result)` the lines.

import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { searchProof } from '../dist/core/pow.js';
import { createTsKernel } from '../dist/core/pow-kernel.js';
import { loadKernel, nativeKernelProblem } from '../dist/node/kernels.js';
import { ProofMiner } from '../dist/node/miner.js';
import { loadNative } from '../dist/node/native.js';

const LAST_PROOF = '35293';
const START = 1_000_000_000; // 10-digit proofs: one digit count for the whole run
const SEED_HARD = { prefix: LAST_PROOF, suffix: '', difficulty: 16 };
const MASTER_HARD = { prefix: LAST_PROOF, suffix: 'f'.repeat(64), difficulty: 16 };
/** The goal the issue sets: native on one thread >= 0.8 of the SHA-NI ceiling (hashes/s / compressions/s). */
export const GOAL_VS_CEILING = 0.8;

/** Compressions per attempt after the midstate: the blocks from the one holding the digits. */
function compressionsPerHash(challenge) {
  const encoder = new TextEncoder();
  const prefix = encoder.encode(challenge.prefix).length;
  const length = prefix + String(START).length + encoder.encode(challenge.suffix).length;
  return Math.ceil((length + 9) / 64) - Math.floor(prefix / 64);
}

/**
 * Runs `scan(from, to)` in rising chunks for about `seconds`; returns attempts per second of wall
 * time and per second of this process's CPU time (what `openssl speed` counts: its user time).
 */
function timeScan(scan, chunk, seconds) {
  scan(START, START + chunk); // warm-up (and JIT tiering)
  let tried = 0;
  const begin = performance.now();
  const cpu = process.cpuUsage();
  while (performance.now() - begin < seconds * 1000) {
    scan(START + tried, START + tried + chunk);
    tried += chunk;
  }
  const used = process.cpuUsage(cpu);
  return { rate: tried / ((performance.now() - begin) / 1000), cpuRate: tried / ((used.user + used.system) / 1e6) };
}

/** The proof-of-work pool on a search no proof ends, stopped after `seconds`. */
async function timePool(threads, kernel, seconds) {
  const miner = new ProofMiner({ threads, kernel });
  await miner.search({ prefix: '1', suffix: '', difficulty: 3 }); // warm the threads
  let last = { rate: 0, hashes: 0 };
  const controller = new AbortController();
  // The process's CPU time covers every thread: hashes per CPU second is the rate per busy core.
  const cpu = process.cpuUsage();
  const search = miner.search(SEED_HARD, { signal: controller.signal, onProgress: (p) => (last = p) });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const used = process.cpuUsage(cpu);
  // Cancellation latency: abort, then time a trivial search that needs the threads back.
  const aborted = performance.now();
  controller.abort(new Error('bench over'));
  await search.catch(() => undefined);
  await miner.search({ prefix: '2', suffix: '', difficulty: 1 });
  const cancelMs = performance.now() - aborted;
  const ran = miner.kernel;
  await miner.close();
  return { rate: last.rate, cpuRate: last.hashes / ((used.user + used.system) / 1e6), cancelMs, kernel: ran };
}

function pythonLoop(seconds) {
  // The tutorial's loop, verbatim: valid_proof with f-string, encode, sha256, hexdigest, compare.
  const code = `
import hashlib, time, json
def valid_proof(last_proof, proof):
    guess = f'{last_proof}{proof}'.encode()
    guess_hash = hashlib.sha256(guess).hexdigest()
    return guess_hash[:16] == "0000000000000000"
last_proof = ${LAST_PROOF}
proof = ${START}
end = time.perf_counter() + ${seconds}
tried = 0
start = time.perf_counter()
while time.perf_counter() < end:
    for _ in range(100000):
        valid_proof(last_proof, proof)
        proof += 1
    tried += 100000
print(json.dumps({"rate": tried / (time.perf_counter() - start)}))
`;
  const result = spawnSync('python3', ['-c', code], { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  if (result.status !== 0) return null;
  return JSON.parse(result.stdout).rate;
}

/** `openssl speed -evp sha256` at one message size: bytes per second, or null (openssl missing). */
function opensslBytesPerSecond(bytes, seconds) {
  const result = spawnSync(
    'openssl',
    ['speed', '-seconds', String(seconds), '-bytes', String(bytes), '-evp', 'sha256'],
    {
      encoding: 'utf8',
      timeout: (seconds + 30) * 1000,
    },
  );
  if (result.error || result.status !== 0) return null;
  // Last line: "sha256  1747526.06k" = thousands of bytes per second at that size.
  const match = /sha256\s+([\d.]+)k\s*$/m.exec(result.stdout);
  return match ? Number(match[1]) * 1000 : null;
}

/**
 * Runs every figure. Returns:
 * `{ seconds, cores, python, openssl16, ceiling: { bytesPerSecond, compressionsPerSecond, samples } | null,
 *    native: { available, impl, problem }, rows: [{ name, kernel, threads, profile, rate, cpuRate,
 *    compressionsPerHash, vsCeiling, perCompression, cpuVsCeiling }], goals: {
 *    nativeOneThreadVsCeiling, nativeOneThreadCpuVsCeiling, nativeVsWasmOneThread, oneThreadVsOpenssl16, allVsOneThread,
 *    allVsPython, kernel, cancelMs: { one, all } } }`
 * (`rate`: hashes/s of wall time, or null; `cpuRate`: per second of the process's CPU time (all its
 * threads: per busy core);
 * `vsCeiling`: rate / (threads x ceiling), the goal's ratio; `perCompression`: that times
 * compressions per hash; `cpuVsCeiling`: cpuRate / ceiling, both counted in CPU time).
 */
export async function runPow({ seconds = Number(process.env.BENCH_SECONDS ?? 3), python = true, log = () => {} } = {}) {
  const cores = availableParallelism();
  const problem = nativeKernelProblem();
  const binding = loadNative();
  const native = { available: problem === null, impl: binding?.features().impl ?? null, problem };
  log(`proof-of-work bench: 10-digit proofs, ${seconds} s per figure, ${cores} cores`);

  const pythonRate = python ? pythonLoop(seconds) : null;
  const bytes16 = opensslBytesPerSecond(16, seconds);
  const openssl16 = bytes16 === null ? null : bytes16 / 16;
  // The ceiling is measured before the kernels and again after them; the ratios use the higher of
  // the two (the quieter moment of a shared machine: the conservative choice for the ratios).
  const before = opensslBytesPerSecond(16_384, seconds);
  let ceiling =
    before === null ? null : { bytesPerSecond: before, compressionsPerSecond: before / 64, samples: [before / 64] };
  if (ceiling === null) log('openssl is missing or failed: no SHA-NI ceiling in this run');

  const rows = [];
  const ratios = (row) => {
    const c = ceiling?.compressionsPerSecond ?? null;
    row.vsCeiling = c === null || row.rate === null ? null : row.rate / (row.threads * c);
    row.perCompression = row.vsCeiling === null ? null : row.vsCeiling * row.compressionsPerHash;
    row.cpuVsCeiling = c === null || row.cpuRate === null ? null : row.cpuRate / c;
  };
  /** `timing`: `{ rate, cpuRate }`, or null (kernel missing). */
  const add = (name, kernel, threads, challenge, timing) => {
    const row = {
      name,
      kernel,
      threads,
      profile: challenge.suffix === '' ? 'seed' : 'master',
      rate: timing?.rate ?? null,
      cpuRate: timing?.cpuRate ?? null,
      compressionsPerHash: compressionsPerHash(challenge),
    };
    ratios(row);
    rows.push(row);
    log(`  ${name}: ${row.rate === null ? 'n/a' : `${(row.rate / 1e6).toFixed(2)} M/s`}`);
  };

  add(
    'node:crypto per attempt',
    'crypto',
    1,
    SEED_HARD,
    timeScan((a, b) => searchProof(SEED_HARD, a, b), 50_000, seconds),
  );
  const ts = createTsKernel();
  add(
    'TypeScript kernel',
    'ts',
    1,
    SEED_HARD,
    timeScan((a, b) => ts.scan(SEED_HARD, a, b), 50_000, seconds),
  );
  const wasm = loadKernel('wasm');
  add(
    'WASM SIMD kernel, in process',
    'wasm',
    1,
    SEED_HARD,
    timeScan((a, b) => wasm.scan(SEED_HARD, a, b), 500_000, seconds),
  );
  const nativeKernel = native.available ? loadKernel('native') : null;
  const timeNative = (challenge) =>
    nativeKernel === null ? null : timeScan((a, b) => nativeKernel.scan(challenge, a, b), 1_000_000, seconds);
  add('native kernel, in process', 'native', 1, SEED_HARD, timeNative(SEED_HARD));
  add('native kernel, in process, master', 'native', 1, MASTER_HARD, timeNative(MASTER_HARD));

  const wasmOne = await timePool(1, 'wasm', seconds);
  add('WASM SIMD kernel, pool of 1 thread', 'wasm', 1, SEED_HARD, wasmOne);
  const wasmAll = await timePool(cores, 'wasm', seconds);
  add(`WASM SIMD kernel, pool of ${cores} threads`, 'wasm', cores, SEED_HARD, wasmAll);
  const nativeOne = native.available ? await timePool(1, 'native', seconds) : null;
  add('native kernel, pool of 1 thread', 'native', 1, SEED_HARD, nativeOne);
  const nativeAll = native.available ? await timePool(cores, 'native', seconds) : null;
  add(`native kernel, pool of ${cores} threads`, 'native', cores, SEED_HARD, nativeAll);

  const after = ceiling === null ? null : opensslBytesPerSecond(16_384, seconds);
  if (ceiling !== null && after !== null) {
    const best = Math.max(before, after);
    ceiling = { bytesPerSecond: best, compressionsPerSecond: best / 64, samples: [before / 64, after / 64] };
    for (const row of rows) ratios(row);
  }

  const div = (x, y) => (x === null || y === null || y === 0 ? null : x / y);
  const best = nativeOne ?? wasmOne;
  const bestAll = nativeAll ?? wasmAll;
  return {
    seconds,
    cores,
    python: pythonRate,
    openssl16,
    ceiling,
    native,
    rows,
    goals: {
      nativeOneThreadVsCeiling: div(nativeOne?.rate ?? null, ceiling?.compressionsPerSecond ?? null),
      nativeOneThreadCpuVsCeiling: div(nativeOne?.cpuRate ?? null, ceiling?.compressionsPerSecond ?? null),
      nativeVsWasmOneThread: div(nativeOne?.rate ?? null, wasmOne.rate),
      oneThreadVsOpenssl16: div(best.rate, openssl16),
      allVsOneThread: div(bestAll.rate, best.rate),
      allVsPython: div(bestAll.rate, pythonRate),
      kernel: best.kernel,
      cancelMs: { one: best.cancelMs, all: bestAll.cancelMs },
    },
  };
}

const fmt = (x) => (x === null ? 'n/a' : `${(x / 1e6).toFixed(2)} M/s`);
const fx = (x) => (x === null ? 'n/a' : `${x.toFixed(2)}x`);
const f2 = (x) => (x === null ? 'n/a' : x.toFixed(2));

/** Human-readable lines for a result of runPow. */
export function formatPow(r) {
  const lines = [];
  const ceiling = r.ceiling?.compressionsPerSecond ?? null;
  lines.push(
    `SHA-NI ceiling (openssl speed -evp sha256 -bytes 16384, 1 core): ${
      ceiling === null
        ? 'n/a (openssl missing)'
        : `${fmt(ceiling)} compressions (${(r.ceiling.bytesPerSecond / 1e9).toFixed(2)} GB/s; before/after the kernels: ${r.ceiling.samples.map(fmt).join(' / ')})`
    }`,
  );
  lines.push(`native kernel: ${r.native.available ? `yes (${r.native.impl})` : `no (${r.native.problem})`}`);
  lines.push('');
  lines.push(
    `${'kernel'.padEnd(44)} ${'hashes/s'.padStart(11)} ${'vs ceiling'.padStart(10)} ${'per compr.'.padStart(10)} ${'CPU ratio'.padStart(9)} ${'vs OpenSSL16'.padStart(12)} ${'vs Python'.padStart(9)}`,
  );
  const reference = (name, rate) =>
    `${name.padEnd(44)} ${fmt(rate).padStart(11)} ${''.padStart(10)} ${''.padStart(10)} ${''.padStart(9)} ${fx(r.openssl16 === null || rate === null ? null : rate / r.openssl16).padStart(12)} ${fx(r.python === null || rate === null ? null : rate / r.python).padStart(9)}`;
  lines.push(reference('Python tutorial loop (1 core)', r.python));
  lines.push(reference('openssl speed -evp sha256 -bytes 16 (1 core)', r.openssl16));
  for (const row of r.rows) {
    const name = `${row.name}${row.threads === 1 && !row.name.includes('pool') ? ' (1 thread)' : ''}`;
    lines.push(
      `${name.padEnd(44)} ${fmt(row.rate).padStart(11)} ${f2(row.vsCeiling).padStart(10)} ${f2(row.perCompression).padStart(10)} ${(row.cpuVsCeiling === null ? '' : f2(row.cpuVsCeiling)).padStart(9)} ${fx(r.openssl16 === null || row.rate === null ? null : row.rate / r.openssl16).padStart(12)} ${fx(r.python === null || row.rate === null ? null : row.rate / r.python).padStart(9)}`,
    );
  }
  lines.push('');
  lines.push("vs ceiling: hashes/s / (threads x ceiling), the goal's ratio (the issue's table: 10.8 / 27.0 = 0.40);");
  lines.push('per compr.: the same x compressions per hash after the midstate (seed 1, master 2);');
  lines.push('CPU ratio: hashes per CPU second of the process (all threads) / ceiling: per busy core (openssl speed');
  lines.push(
    '  counts its user time too: far less moved by other load on a shared machine than the wall-time columns).',
  );
  lines.push('');
  lines.push(`goals on ${r.cores} cores:`);
  const meets = (x, goal) => (x === null ? '' : x >= goal ? ' [meets]' : ' [below]');
  lines.push(
    `  native, 1 thread >= ${GOAL_VS_CEILING} of the SHA-NI ceiling (wall):  ${f2(r.goals.nativeOneThreadVsCeiling)}${meets(r.goals.nativeOneThreadVsCeiling, GOAL_VS_CEILING)}`,
  );
  lines.push(
    `  ...per CPU second (both in CPU time):              ${f2(r.goals.nativeOneThreadCpuVsCeiling)}${meets(r.goals.nativeOneThreadCpuVsCeiling, GOAL_VS_CEILING)}`,
  );
  lines.push(`  native vs wasm, 1 thread:                  ${fx(r.goals.nativeVsWasmOneThread)}`);
  lines.push(`  one thread (${r.goals.kernel}) >= 1.1x OpenSSL 16 B:   ${fx(r.goals.oneThreadVsOpenssl16)}`);
  lines.push(`  all cores  >= 1.7x one thread:             ${fx(r.goals.allVsOneThread)}`);
  lines.push(`  all cores  >= 10x the Python loop:         ${fx(r.goals.allVsPython)}`);
  lines.push(
    `  cancellation (abort to threads free):      ${r.goals.cancelMs.one.toFixed(1)} ms (1 thread), ${r.goals.cancelMs.all.toFixed(1)} ms (${r.cores} threads)`,
  );
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const json = process.argv.includes('--json');
  const result = await runPow({ log: json ? () => {} : (line) => console.log(line) });
  if (json) console.log(JSON.stringify(result));
  else {
    console.log('');
    for (const line of formatPow(result)) console.log(line);
  }
}
