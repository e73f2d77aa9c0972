/**
 * Proof-of-work kernels: interchangeable implementations of "the smallest valid proof in
 * [from, to)". All return exactly what {@link searchProof} (plain node:crypto) returns; the tests
 * cross-check every kernel against it.
 *
 * - `crypto`: node:crypto per attempt (the reference).
 * - `ts`: plain TypeScript SHA-256, the message built once and the proof's decimal digits
 *   incremented in place, blocks after the first precomputed.
 * - `wasm`: the WebAssembly SIMD kernel (assembly/pow.ts), 4 proofs per step; the fastest.
 *
 * Ranges are split at powers of ten so that, within a piece, every proof has the same number of
 * digits and the message has the same length.
 */

import { type PowChallenge, type SearchResult, searchProof } from './pow.js';

/** A proof search implementation. */
export interface PowKernel {
  readonly name: KernelName;
  /** The smallest valid proof in `[from, to)` (integers, 0 <= from <= to <= 2^53 - 1). */
  scan(challenge: PowChallenge, from: number, to: number): SearchResult;
}

/** Names of the kernels. */
export const KERNEL_NAMES = ['wasm', 'ts', 'crypto'] as const;
/** A kernel name. */
export type KernelName = (typeof KERNEL_NAMES)[number];

/** The reference kernel: node:crypto, one call per attempt. */
export const cryptoKernel: PowKernel = { name: 'crypto', scan: searchProof };

const encoder = new TextEncoder();

/** Splits `[from, to)` into pieces whose proofs all have the same number of decimal digits. */
export function digitSegments(from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  let start = from;
  while (start < to) {
    const digits = String(start).length;
    const limit = digits >= 16 ? to : Math.min(to, 10 ** digits);
    out.push([start, limit]);
    start = limit;
  }
  return out;
}

/** Test of a digest's leading hex zeros on its big-endian 32-bit words. */
function zerosTest(difficulty: number): (word: (k: number) => number) => boolean {
  const fullWords = difficulty >> 3;
  const partialBits = (difficulty & 7) * 4;
  return (word) => {
    for (let k = 0; k < fullWords; k++) if (word(k) !== 0) return false;
    return partialBits === 0 || word(fullWords) >>> (32 - partialBits) === 0;
  };
}

/** The padded SHA-256 message `prefix || digits || suffix`. */
interface Layout {
  readonly bytes: Uint8Array;
  readonly blocks: number;
  readonly digitPos: number;
  readonly digits: number;
}

function layout(challenge: PowChallenge, proofText: string): Layout {
  const prefix = encoder.encode(challenge.prefix);
  const suffix = encoder.encode(challenge.suffix);
  const length = prefix.length + proofText.length + suffix.length;
  const blocks = Math.ceil((length + 9) / 64);
  const bytes = new Uint8Array(blocks * 64);
  bytes.set(prefix, 0);
  bytes.set(encoder.encode(proofText), prefix.length);
  bytes.set(suffix, prefix.length + proofText.length);
  bytes[length] = 0x80;
  // Bit length, big-endian, in the last 8 bytes (messages here are far below 2^32 bits).
  new DataView(bytes.buffer).setUint32(bytes.length - 4, length * 8, false);
  return { bytes, blocks, digitPos: prefix.length, digits: proofText.length };
}

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);
const IV = new Uint32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** SHA-256 compression of the block at `offset` of `bytes` into `state` (8 words), using `w` (64 words). */
function compress(state: Uint32Array, bytes: Uint8Array, offset: number, w: Uint32Array): void {
  for (let t = 0; t < 16; t++) {
    const o = offset + t * 4;
    w[t] =
      ((bytes[o] as number) << 24) |
      ((bytes[o + 1] as number) << 16) |
      ((bytes[o + 2] as number) << 8) |
      (bytes[o + 3] as number);
  }
  for (let t = 16; t < 64; t++) {
    const x = w[t - 15] as number;
    const y = w[t - 2] as number;
    const s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
    const s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
    w[t] = ((w[t - 16] as number) + s0 + (w[t - 7] as number) + s1) | 0;
  }
  let a = state[0] as number;
  let b = state[1] as number;
  let c = state[2] as number;
  let d = state[3] as number;
  let e = state[4] as number;
  let f = state[5] as number;
  let g = state[6] as number;
  let h = state[7] as number;
  for (let t = 0; t < 64; t++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + (K[t] as number) + (w[t] as number)) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = ((state[0] as number) + a) | 0;
  state[1] = ((state[1] as number) + b) | 0;
  state[2] = ((state[2] as number) + c) | 0;
  state[3] = ((state[3] as number) + d) | 0;
  state[4] = ((state[4] as number) + e) | 0;
  state[5] = ((state[5] as number) + f) | 0;
  state[6] = ((state[6] as number) + g) | 0;
  state[7] = ((state[7] as number) + h) | 0;
}

/** Adds one to the ASCII decimal digits `bytes[pos .. pos+n)` in place (no overflow past n digits). */
function incrementDigits(bytes: Uint8Array, pos: number, n: number): void {
  for (let k = pos + n - 1; k >= pos; k--) {
    if ((bytes[k] as number) < 0x39) {
      bytes[k] = (bytes[k] as number) + 1;
      return;
    }
    bytes[k] = 0x30;
  }
}

/** The plain TypeScript kernel. */
export function createTsKernel(): PowKernel {
  const w = new Uint32Array(64);
  const state = new Uint32Array(8);
  const scanSegment = (challenge: PowChallenge, from: number, to: number): number | null => {
    const meets = zerosTest(challenge.difficulty);
    const { bytes, blocks, digitPos, digits } = layout(challenge, String(from));
    const word = (k: number): number => state[k] as number;
    for (let proof = from; proof < to; proof++) {
      state.set(IV);
      for (let block = 0; block < blocks; block++) compress(state, bytes, block * 64, w);
      if (meets(word)) return proof;
      incrementDigits(bytes, digitPos, digits);
    }
    return null;
  };
  return {
    name: 'ts',
    scan(challenge, from, to) {
      for (const [a, b] of digitSegments(from, to)) {
        const proof = scanSegment(challenge, a, b);
        if (proof !== null) return { proof, tries: proof - from + 1 };
      }
      return { proof: null, tries: to - from };
    },
  };
}

/** Exports of the compiled assembly/pow.ts module. */
interface WasmExports {
  readonly memory: WebAssembly.Memory;
  messagePtr(): number;
  scan(blocks: number, digitPos: number, digits: number, count: number, difficulty: number): number;
}

/** Largest count handed to the WASM kernel in one call (it counts in i32). */
const WASM_MAX_COUNT = 2 ** 30;

/**
 * The WebAssembly SIMD kernel, from the compiled module (`dist/kernel/pow.wasm`). Pieces it cannot
 * take (proofs below 100, digits outside the first block, messages over 3 blocks) go to the
 * TypeScript kernel.
 */
export function createWasmKernel(module: WebAssembly.Module): PowKernel {
  const instance = new WebAssembly.Instance(module, {
    env: {
      abort() {
        throw new Error('pow kernel aborted');
      },
    },
  });
  const wasm = instance.exports as unknown as WasmExports;
  const fallback = createTsKernel();
  const base = wasm.messagePtr();

  const scanSegment = (challenge: PowChallenge, from: number, to: number): number | null => {
    const text = String(from);
    const message = layout(challenge, text);
    if (message.digits < 2 || message.blocks > 3 || message.digitPos + message.digits > 64) {
      const result = fallback.scan(challenge, from, to);
      return result.proof;
    }
    let start = from;
    while (start < to) {
      const count = Math.min(to - start, WASM_MAX_COUNT);
      const memory = new Uint8Array(wasm.memory.buffer, base, 192);
      memory.fill(0);
      memory.set(start === from ? message.bytes : layout(challenge, String(start)).bytes);
      const offset = wasm.scan(message.blocks, message.digitPos, message.digits, count, challenge.difficulty);
      if (offset >= 0) return start + offset;
      start += count;
    }
    return null;
  };

  return {
    name: 'wasm',
    scan(challenge, from, to) {
      for (const [a, b] of digitSegments(from, to)) {
        const proof = scanSegment(challenge, a, b);
        if (proof !== null) return { proof, tries: proof - from + 1 };
      }
      return { proof: null, tries: to - from };
    },
  };
}
