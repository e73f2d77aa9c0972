/**
 * The native proof-of-work kernel (native/, the C addon) returns exactly what the node:crypto
 * reference returns, on its SHA-instruction path and on its portable C path (forced), for the
 * tutorial's challenges and the ledger's headers, across digit-count changes and block boundaries;
 * its batch SHA-256 equals node:crypto's; hostile arguments throw, never crash; and a miner without
 * the addon falls back to the WebAssembly kernel and says so.
 *
 * The addon is built by `npm ci` (scripts/build-native.mjs). A missing addon fails these tests,
 * unless `BLOCKFORGE_NO_NATIVE` is set (then they are skipped, and the fallback tests still run).
 */

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { JsonNumber } from '../../src/core/json.js';
import { targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { checkProof, MAX_PROOF, type PowChallenge, powDigest, searchProof } from '../../src/core/pow.js';
import { createNativeKernel, type PowKernel } from '../../src/core/pow-kernel.js';
import { createTutorialProfile } from '../../src/core/profiles.js';
import { defaultKernelName, loadKernel, loadKernelWithFallback, nativeKernelProblem } from '../../src/node/kernels.js';
import { ProofMiner } from '../../src/node/miner.js';
import { loadNative, type NativeBinding, nativeDisabled, nativeUnavailableReason } from '../../src/node/native.js';
import { LedgerChain, TEST_GENESIS_TIME, testProfile, testWallet } from '../support/ledger.js';
import { mulberry32 as rng } from '../support/random.js';
import { vectorList } from '../support/vectors.js';

const WASM_URL = new URL('../../dist/kernel/pow.wasm', import.meta.url);
const WORKER_URL = new URL('../../dist/node/pow-worker.js', import.meta.url);
const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const skip = nativeDisabled();
const binding = skip ? null : loadNative();

/** The addon, or a failure naming why it is missing (CI builds it: a missing one is a bug there). */
function need(): NativeBinding {
  if (binding === null) throw new Error(`the native addon did not load: ${nativeUnavailableReason()}`);
  return binding;
}

const sha = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');

/** The kernel on the CPU's path and on the forced portable path (created lazily: `need` may fail). */
const paths: [string, () => PowKernel][] = [
  ['native (CPU instructions)', () => createNativeKernel(need())],
  ['native (portable C)', () => createNativeKernel(need(), { portable: true })],
];

/** A ledger header challenge from the ledger profile's own template, with its target. */
function ledgerChallenge(expectedHashes: bigint, seconds: number): PowChallenge {
  const profile = testProfile([], { initialTarget: targetForExpectedHashes(expectedHashes) });
  const chain = new LedgerChain(profile);
  return profile.blockTemplate(chain.view, testWallet(1).address, [], TEST_GENESIS_TIME + seconds).puzzle;
}

describe.skipIf(skip)('the native addon', () => {
  it('is built and loads (npm ci builds it)', () => {
    expect(binding, String(nativeUnavailableReason())).not.toBeNull();
  });

  it('reports the CPU features it uses', () => {
    const features = need().features();
    expect(typeof features.sha).toBe('boolean');
    expect(['x64', 'arm64', 'other']).toContain(features.arch);
    // On a Linux x86-64 machine whose CPU has the SHA extensions, the addon must find them.
    let cpuinfo = '';
    try {
      cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      // Not Linux: nothing to compare with.
    }
    if (features.arch === 'x64' && /\bsha_ni\b/.test(cpuinfo)) {
      expect(features).toEqual({ sha: true, arch: 'x64', impl: 'sha-ni' });
    }
    if (features.arch === 'arm64' && /\bsha2\b/.test(cpuinfo)) {
      expect(features).toEqual({ sha: true, arch: 'arm64', impl: 'armv8-sha2' });
    }
  });
});

describe.skipIf(skip).each(paths)('%s', (_name, make) => {
  const kernel = (): PowKernel => make();

  it('gives the seed proof sequence of the vectors', () => {
    const k = kernel();
    for (const c of vectorList('pow-seed.json', 'cases')) {
      const v = c as { last_proof: JsonNumber; proof: JsonNumber; digest: string };
      const challenge = { prefix: v.last_proof.text, suffix: '', difficulty: 4 };
      const found = k.scan(challenge, 0, 1_000_000);
      expect(String(found.proof)).toBe(v.proof.text);
      expect(found.tries).toBe(Number(v.proof.text) + 1);
      expect(powDigest(challenge, String(found.proof))).toBe(v.digest);
    }
  });

  it('agrees with node:crypto on seed and master challenges, difficulty 0 to 6', () => {
    const k = kernel();
    const random = rng(13);
    for (let n = 0; n < 140; n++) {
      const profile = createTutorialProfile(n % 2 === 0 ? 'seed' : 'master', { difficulty: 1 + (n % 6) });
      const lastProof = String(Math.floor(random() * 10 ** (1 + (n % 16))));
      const base = profile.powChallengeFor(lastProof, sha(`block ${n}`));
      // Difficulty 0 (every proof) is below what a profile allows, but the kernel must get it right.
      const challenge = { ...base, difficulty: n % 7 };
      const from = Math.floor(random() * 10 ** (n % 9));
      const to = from + 1 + Math.floor(random() * (n % 7 >= 4 ? 40_000 : 3000));
      expect(k.scan(challenge, from, to), `${JSON.stringify(challenge)} [${from}, ${to})`).toEqual(
        searchProof(challenge, from, to),
      );
    }
  });

  it.each([
    [0, 130],
    [5, 15],
    [9, 11],
    [90, 110],
    [99, 101],
    [990, 1_010],
    [999_950, 1_000_050],
    [999_999, 1_000_001],
    [999_999_950, 1_000_000_050],
    [10 ** 15 - 60, 10 ** 15 + 60],
    [2 ** 53 - 300, 2 ** 53 - 1],
  ])('agrees across the digit-count change in [%d, %d)', (from, to) => {
    const k = kernel();
    for (const difficulty of [0, 1, 2]) {
      for (const prefix of ['9', '100', '9007199254740991']) {
        const seed = { prefix, suffix: '', difficulty };
        expect(k.scan(seed, from, to)).toEqual(searchProof(seed, from, to));
        const master = { prefix, suffix: sha(prefix), difficulty };
        expect(k.scan(master, from, to)).toEqual(searchProof(master, from, to));
      }
    }
  });

  it('agrees wherever the digits fall against the 64-byte blocks (split digits, split tail)', () => {
    const k = kernel();
    // Prefix lengths put the digits across the first block boundary, the last two digits on both
    // sides of it, and later boundaries; suffixes give 1 to 4 blocks after the digits.
    for (let length = 40; length <= 140; length++) {
      for (const [from, to] of [
        [0, 40],
        [95, 160],
        [1_234_567, 1_235_067],
        [2 ** 53 - 120, 2 ** 53 - 1],
      ] as const) {
        const challenge = {
          prefix: 'p'.repeat(length),
          suffix: 's'.repeat((length * 7) % 150),
          difficulty: 1 + (length % 2),
        };
        expect(k.scan(challenge, from, to), `prefix ${length}, [${from}, ${to})`).toEqual(
          searchProof(challenge, from, to),
        );
      }
    }
  });

  it('agrees on long messages, and past the 32 blocks it takes (the TypeScript kernel takes over)', () => {
    const k = kernel();
    for (const blocks of [5, 31, 32, 33, 40]) {
      const challenge = { prefix: 'x'.repeat(30), suffix: 'y'.repeat(blocks * 64 - 60), difficulty: 1 };
      expect(k.scan(challenge, 500, 900), `${blocks} blocks`).toEqual(searchProof(challenge, 500, 900));
    }
  });

  it("agrees on the ledger profile's header challenges and targets", () => {
    const k = kernel();
    const random = rng(17);
    for (let n = 0; n < 24; n++) {
      const expected = [1n, 2n, 17n, 300n, 5_000n][n % 5] as bigint;
      const challenge = ledgerChallenge(expected, 10 + n);
      expect(challenge.target).toBeDefined();
      const from = Math.floor(random() * 10 ** (n % 10));
      const to = from + 1 + Math.floor(random() * 20_000);
      expect(k.scan(challenge, from, to), `${n}: [${from}, ${to})`).toEqual(searchProof(challenge, from, to));
    }
    // A target that most digests with its leading zeros miss: the kernel's candidates are re-checked.
    const strict = { ...ledgerChallenge(1n, 99), difficulty: 2, target: `00${'0'.repeat(2)}${'f'.repeat(60)}` };
    expect(k.scan(strict, 0, 300_000)).toEqual(searchProof(strict, 0, 300_000));
  });

  it('finds a difficulty-5 proof node:crypto confirms is the smallest, from values near 2^53 too', () => {
    const k = kernel();
    const challenge = { prefix: '146502', suffix: '', difficulty: 5 };
    const found = k.scan(challenge, 0, 20_000_000);
    expect(found.proof).not.toBeNull();
    expect(checkProof(challenge, String(found.proof))).toBe(true);
    expect(searchProof(challenge, 0, found.proof as number).proof).toBeNull();
    const high = { prefix: '1', suffix: sha('high'), difficulty: 4 };
    const start = MAX_PROOF - 3_000_000;
    const big = k.scan(high, start, MAX_PROOF);
    expect(big).toEqual(searchProof(high, start, (big.proof ?? MAX_PROOF - 1) + 1));
  });
});

describe.skipIf(skip)('the addon scan on hostile arguments', () => {
  const message = (): Uint8Array => {
    const bytes = new Uint8Array(64);
    bytes.set(new TextEncoder().encode('12345'));
    bytes[5] = 0x80;
    bytes[63] = 40;
    return bytes;
  };
  const mid = new Uint32Array(8);

  it('takes a well-formed call', () => {
    expect(need().scan(message(), mid, 1, 0, 5, 10, 0)).toBe(0);
    expect(need().scan(message(), mid, 1, 0, 5, 0, 0)).toBe(-1);
  });

  it.each([
    ['a non-Uint8Array message', () => need().scan([1, 2] as unknown as Uint8Array, mid, 1, 0, 5, 10, 1), TypeError],
    [
      'a Uint16Array message',
      () => need().scan(new Uint16Array(32) as unknown as Uint8Array, mid, 1, 0, 5, 1, 1),
      TypeError,
    ],
    ['a short midstate', () => need().scan(message(), new Uint32Array(7), 1, 0, 5, 10, 1), RangeError],
    [
      'a midstate of bytes',
      () => need().scan(message(), new Uint8Array(32) as unknown as Uint32Array, 1, 0, 5, 10, 1),
      TypeError,
    ],
    ['zero blocks', () => need().scan(message(), mid, 0, 0, 5, 10, 1), RangeError],
    ['33 blocks', () => need().scan(new Uint8Array(33 * 64), mid, 33, 0, 5, 10, 1), RangeError],
    ['more blocks than bytes', () => need().scan(message(), mid, 2, 0, 5, 10, 1), RangeError],
    ['digits past the message', () => need().scan(message(), mid, 1, 62, 5, 10, 1), RangeError],
    ['17 digits', () => need().scan(new Uint8Array(64).fill(0x31), mid, 1, 0, 17, 10, 1), RangeError],
    ['a non-digit in the digits', () => need().scan(message(), mid, 1, 0, 6, 10, 1), RangeError],
    ['a count past the digit count', () => need().scan(message(), mid, 1, 0, 5, 100_000 - 12_345 + 1, 1), RangeError],
    ['a fractional count', () => need().scan(message(), mid, 1, 0, 5, 1.5, 1), RangeError],
    ['a NaN count', () => need().scan(message(), mid, 1, 0, 5, Number.NaN, 1), RangeError],
    ['a string count', () => need().scan(message(), mid, 1, 0, 5, '10' as unknown as number, 1), TypeError],
    ['difficulty 65', () => need().scan(message(), mid, 1, 0, 5, 10, 65), RangeError],
    ['a negative digit position', () => need().scan(message(), mid, 1, -1, 5, 10, 1), RangeError],
    ['a non-boolean portable', () => need().scan(message(), mid, 1, 0, 5, 10, 1, 1 as unknown as boolean), TypeError],
    ['too few arguments', () => (need().scan as unknown as (...a: unknown[]) => number)(message(), mid, 1), TypeError],
  ])('throws on %s', (_what, call, type) => {
    expect(call).toThrow(type);
  });
});

describe.skipIf(skip)('sha256Batch', () => {
  /** Slices of the given lengths, hashed in one call, each compared with node:crypto. */
  function check(lengths: readonly number[], portable: boolean, seed: number): void {
    const random = rng(seed);
    const total = lengths.reduce((a, b) => a + b, 0);
    const data = new Uint8Array(total);
    for (let k = 0; k < total; k++) data[k] = Math.floor(random() * 256);
    const ends = new Uint32Array(lengths.length);
    let end = 0;
    lengths.forEach((length, k) => {
      end += length;
      ends[k] = end;
    });
    const out = new Uint8Array(32 * lengths.length);
    need().sha256Batch(data, ends, out, portable);
    let start = 0;
    lengths.forEach((length, k) => {
      const expected = sha(data.subarray(start, start + length));
      expect(Buffer.from(out.subarray(32 * k, 32 * k + 32)).toString('hex'), `slice ${k} (${length} bytes)`).toBe(
        expected,
      );
      start += length;
    });
  }

  for (const portable of [false, true]) {
    const path = portable ? 'portable C' : 'CPU instructions';
    it(`equals node:crypto at the padding boundaries (${path})`, () => {
      check([0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 121, 127, 128, 129, 0, 191, 192, 300, 1000], portable, 1);
    });
    it(`equals node:crypto on random lengths 0..300 (${path})`, () => {
      const random = rng(portable ? 3 : 5);
      check(
        Array.from({ length: 400 }, () => Math.floor(random() * 301)),
        portable,
        7,
      );
    });
  }

  it('takes an empty batch, and slices of a Buffer', () => {
    need().sha256Batch(new Uint8Array(0), new Uint32Array(0), new Uint8Array(0));
    const out = Buffer.alloc(64);
    need().sha256Batch(Buffer.from('abcdef'), new Uint32Array([3, 6]), out);
    expect(out.subarray(0, 32).toString('hex')).toBe(sha('abc'));
    expect(out.subarray(32).toString('hex')).toBe(sha('def'));
  });

  it.each([
    [
      'data not a typed array',
      () => need().sha256Batch('abc' as unknown as Uint8Array, new Uint32Array([3]), new Uint8Array(32)),
      TypeError,
    ],
    [
      'ends of the wrong type',
      () => need().sha256Batch(new Uint8Array(3), new Uint16Array([3]) as unknown as Uint32Array, new Uint8Array(32)),
      TypeError,
    ],
    [
      'ends as a plain array',
      () => need().sha256Batch(new Uint8Array(3), [3] as unknown as Uint32Array, new Uint8Array(32)),
      TypeError,
    ],
    [
      'out as a Uint32Array',
      () => need().sha256Batch(new Uint8Array(3), new Uint32Array([3]), new Uint32Array(8) as unknown as Uint8Array),
      TypeError,
    ],
    [
      'ends past the data',
      () => need().sha256Batch(new Uint8Array(3), new Uint32Array([4]), new Uint8Array(32)),
      RangeError,
    ],
    [
      'decreasing ends',
      () => need().sha256Batch(new Uint8Array(9), new Uint32Array([5, 4]), new Uint8Array(64)),
      RangeError,
    ],
    [
      'a short out',
      () => need().sha256Batch(new Uint8Array(9), new Uint32Array([4, 9]), new Uint8Array(63)),
      RangeError,
    ],
    [
      'out overlapping data',
      () => {
        const buffer = new Uint8Array(100);
        need().sha256Batch(buffer.subarray(0, 50), new Uint32Array([10]), buffer.subarray(40, 72));
      },
      RangeError,
    ],
    [
      'a missing argument',
      () => (need().sha256Batch as unknown as (...a: unknown[]) => void)(new Uint8Array(3), new Uint32Array([3])),
      TypeError,
    ],
    [
      'a non-boolean portable',
      () =>
        need().sha256Batch(new Uint8Array(3), new Uint32Array([3]), new Uint8Array(32), 'yes' as unknown as boolean),
      TypeError,
    ],
  ])('throws on %s', (_what, call, type) => {
    expect(call).toThrow(type);
  });

  it('takes a detached buffer as empty', () => {
    const data = new Uint8Array(16);
    structuredClone(data.buffer, { transfer: [data.buffer] });
    expect(() => need().sha256Batch(data, new Uint32Array([1]), new Uint8Array(32))).toThrow(RangeError);
    need().sha256Batch(data, new Uint32Array([0]), new Uint8Array(32));
  });
});

describe('falling back without the native kernel', () => {
  const fakeBinding = (sha: boolean): NativeBinding => ({
    scan: () => -1,
    sha256Batch: () => undefined,
    features: () => ({ sha, arch: 'x64', impl: sha ? 'sha-ni' : 'portable' }),
  });

  it('loadKernel refuses native when the addon is missing or the CPU lacks SHA instructions', () => {
    expect(() => loadKernel('native', WASM_URL, () => null)).toThrow(/no native kernel/);
    expect(() => loadKernel('native', WASM_URL, () => fakeBinding(false))).toThrow(/no SHA-256 instructions/);
    expect(nativeKernelProblem(() => null)).toMatch(/unavailable/);
    expect(nativeKernelProblem(() => fakeBinding(true))).toBeNull();
  });

  it('falls back to wasm and says why; wasm falls back to ts', () => {
    const missing = loadKernelWithFallback('native', WASM_URL, () => null);
    expect(missing.kernel.name).toBe('wasm');
    expect(missing.fallback).toMatch(/^native: .*using wasm$/);
    const noSha = loadKernelWithFallback('native', WASM_URL, () => fakeBinding(false));
    expect(noSha.kernel.name).toBe('wasm');
    const neither = loadKernelWithFallback('native', new URL('./no-such.wasm', WASM_URL), () => null);
    expect(neither.kernel.name).toBe('ts');
    expect(neither.fallback).toMatch(/native: .*; wasm: .*: using ts$/);
    expect(loadKernelWithFallback('crypto').fallback).toBeNull();
  });

  it('defaults to native only where it runs with SHA instructions', () => {
    expect(defaultKernelName(() => null)).toBe('wasm');
    expect(defaultKernelName(() => fakeBinding(false))).toBe('wasm');
    expect(defaultKernelName(() => fakeBinding(true))).toBe('native');
  });

  it('a pool asked for native without the addon runs wasm, and reports it (BLOCKFORGE_NO_NATIVE=1)', () => {
    const script = `
      const { ProofMiner } = await import(${JSON.stringify(new URL('../../dist/node/miner.js', import.meta.url).href)});
      const kernels = [];
      for (const kernel of ['native', undefined]) {
        const miner = new ProofMiner({ threads: 1, ...(kernel ? { kernel } : {}) });
        const found = await miner.search({ prefix: '100', suffix: '', difficulty: 3 });
        kernels.push({ kernel: miner.kernel, note: miner.kernelNote, proof: found.proof });
        await miner.close();
      }
      console.log(JSON.stringify(kernels));
    `;
    // A file, not `--input-type=module -e`: the pool's threads would inherit that flag and fail.
    const dir = mkdtempSync(join(tmpdir(), 'blockforge-native-'));
    const file = join(dir, 'fallback.mjs');
    writeFileSync(file, script);
    const child = spawnSync(process.execPath, [file], {
      encoding: 'utf8',
      env: { ...process.env, BLOCKFORGE_NO_NATIVE: '1' },
      timeout: 60_000,
    });
    rmSync(dir, { recursive: true, force: true });
    expect(child.status, child.stderr).toBe(0);
    const proof = searchProof({ prefix: '100', suffix: '', difficulty: 3 }, 0, 1_000_000).proof;
    const [asked, plain] = JSON.parse(child.stdout) as { kernel: string; note: string | null; proof: number }[];
    expect(asked).toMatchObject({ kernel: 'wasm', proof });
    expect(asked?.note).toMatch(/BLOCKFORGE_NO_NATIVE.*using wasm/);
    expect(plain).toEqual({ kernel: 'wasm', note: null, proof });
  });

  it('`blockforge pow --kernel native` mines with wasm when the addon is off', () => {
    const child = spawnSync(process.execPath, [CLI, 'pow', '--last-proof', '100', '--kernel', 'native'], {
      encoding: 'utf8',
      env: { ...process.env, BLOCKFORGE_NO_NATIVE: '1' },
      timeout: 60_000,
    });
    expect(child.status, child.stderr).toBe(0);
    expect(child.stdout).toMatch(/wasm kernel/);
  });

  it('a thread that cannot load its kernel falls back and the pool reports the one it runs', async () => {
    const miner = new ProofMiner({
      threads: 1,
      kernel: 'wasm',
      workerUrl: WORKER_URL,
      wasmUrl: new URL('./no-such.wasm', WASM_URL),
    });
    try {
      const challenge = { prefix: '7', suffix: '', difficulty: 2 };
      const found = await miner.search(challenge);
      expect(found.proof).toBe(searchProof(challenge, 0, 100_000).proof);
      expect(miner.kernel).toBe('ts');
      expect(miner.kernelNote).toMatch(/^wasm: .*using ts$/);
    } finally {
      await miner.close();
    }
  });
});

describe.skipIf(skip)('ProofMiner with the native kernel', () => {
  const miner = new ProofMiner({
    threads: 2,
    workerUrl: WORKER_URL,
    wasmUrl: WASM_URL,
    kernel: 'native',
    chunkSize: 50_000,
  });
  afterAll(() => miner.close());

  it('returns the sequential answer for seed and master challenges, and is the default', async () => {
    need();
    expect(defaultKernelName()).toBe(need().features().sha ? 'native' : 'wasm');
    expect(miner.kernel).toBe(need().features().sha ? 'native' : 'wasm');
    for (let k = 0; k < 6; k++) {
      const challenge = { prefix: String(1000 + k), suffix: k % 2 === 0 ? '' : sha(`prev ${k}`), difficulty: 4 };
      const found = await miner.search(challenge);
      expect(found.proof).toBe(searchProof(challenge, 0, 10_000_000).proof);
    }
  });
});
