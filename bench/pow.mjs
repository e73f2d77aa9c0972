// Proof-of-work speed, all in one run (npm run bench:pow): the tutorial's Python loop, OpenSSL's
// SHA-256 on 16-byte messages, node:crypto per attempt, the TypeScript kernel, and the WebAssembly
// kernel on one thread and on all cores. Prints hashes/s and the ratios the issue sets as goals.
//
// Each figure counts attempts at a difficulty no proof in range meets, so every kernel does the
// same work: one SHA-256 of f"{last_proof}{proof}" per attempt (seed profile).

import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { searchProof } from '../dist/core/pow.js';
import { createTsKernel } from '../dist/core/pow-kernel.js';
import { loadKernel } from '../dist/node/kernels.js';
import { ProofMiner } from '../dist/node/miner.js';

const LAST_PROOF = '35293';
const START = 1_000_000_000; // 10-digit proofs: one digit count for the whole run
const HARD = { prefix: LAST_PROOF, suffix: '', difficulty: 16 };
const seconds = Number(process.env.BENCH_SECONDS ?? 3);

/** Runs `scan(from, to)` in rising chunks for about `seconds`; returns attempts per second. */
function timeScan(scan, chunk) {
  scan(START, START + chunk); // warm-up (and JIT tiering)
  let tried = 0;
  const begin = performance.now();
  while (performance.now() - begin < seconds * 1000) {
    scan(START + tried, START + tried + chunk);
    tried += chunk;
  }
  return tried / ((performance.now() - begin) / 1000);
}

/** The proof-of-work pool on a search no proof ends, stopped after `seconds`. */
async function timePool(threads) {
  const miner = new ProofMiner({ threads, kernel: 'wasm' });
  await miner.search({ prefix: '1', suffix: '', difficulty: 3 }); // warm the threads
  let last = { rate: 0 };
  const controller = new AbortController();
  const search = miner.search(HARD, { signal: controller.signal, onProgress: (p) => (last = p) });
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  // Cancellation latency: abort, then time a trivial search that needs the threads back.
  const aborted = performance.now();
  controller.abort(new Error('bench over'));
  await search.catch(() => undefined);
  await miner.search({ prefix: '2', suffix: '', difficulty: 1 });
  const cancelMs = performance.now() - aborted;
  await miner.close();
  return { rate: last.rate, cancelMs };
}

function pythonLoop() {
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

function opensslRate() {
  const result = spawnSync('openssl', ['speed', '-seconds', String(seconds), '-bytes', '16', '-evp', 'sha256'], {
    encoding: 'utf8',
    timeout: (seconds + 30) * 1000,
  });
  if (result.status !== 0) return null;
  // Last line: "sha256  137398.37k" = thousands of bytes per second at 16 bytes per hash.
  const match = /sha256\s+([\d.]+)k\s*$/m.exec(result.stdout);
  return match ? (Number(match[1]) * 1000) / 16 : null;
}

const cores = availableParallelism();
console.log(`proof-of-work bench: seed profile, 10-digit proofs, ${seconds} s per figure, ${cores} cores\n`);

const rows = [];
const python = pythonLoop();
rows.push(['Python tutorial loop (1 core)', python]);
const openssl = opensslRate();
rows.push(['openssl speed -evp sha256 -bytes 16 (1 core)', openssl]);
rows.push(['node:crypto per attempt (1 thread)', timeScan((a, b) => searchProof(HARD, a, b), 50_000)]);
const ts = createTsKernel();
rows.push(['TypeScript kernel (1 thread)', timeScan((a, b) => ts.scan(HARD, a, b), 50_000)]);
const wasm = loadKernel('wasm');
rows.push(['WASM SIMD kernel, in process (1 thread)', timeScan((a, b) => wasm.scan(HARD, a, b), 500_000)]);
const one = await timePool(1);
rows.push(['WASM SIMD kernel, pool of 1 thread', one.rate]);
const all = await timePool(cores);
rows.push([`WASM SIMD kernel, pool of ${cores} threads`, all.rate]);

const fmt = (x) => (x === null ? 'n/a' : `${(x / 1e6).toFixed(2)} M/s`);
const ratio = (x, y) => (x === null || y === null || y === 0 ? 'n/a' : `${(x / y).toFixed(2)}x`);
console.log(
  `${'kernel'.padEnd(48)} ${'hashes/s'.padStart(12)} ${'vs OpenSSL'.padStart(11)} ${'vs Python'.padStart(10)}`,
);
for (const [name, rate] of rows) {
  console.log(
    `${name.padEnd(48)} ${fmt(rate).padStart(12)} ${ratio(rate, openssl).padStart(11)} ${ratio(rate, python).padStart(10)}`,
  );
}
console.log('\ngoals on 2 cores:');
console.log(`  one thread >= 1.1x OpenSSL single core:   ${ratio(one.rate, openssl)}`);
console.log(`  all cores  >= 1.7x one thread:            ${ratio(all.rate, one.rate)}`);
console.log(`  all cores  >= 10x the Python loop:        ${ratio(all.rate, python)}`);
console.log(
  `  cancellation (abort to threads free):     ${one.cancelMs.toFixed(1)} ms (1 thread), ${all.cancelMs.toFixed(1)} ms (${cores} threads)`,
);
