/**
 * Proof-of-work kernels: interchangeable implementations of "the smallest valid proof in
 * [from, to)". All return exactly what {@link searchProof} (plain node:crypto) returns; the tests
 * cross-check every kernel against it.
 *
 * - `crypto`: node:crypto per attempt (the reference).
 * - `ts`: plain TypeScript SHA-256, the message built once and the proof's decimal digits
 *   incremented in place, blocks after the first precomputed.
 * - `wasm`: the WebAssembly SIMD kernel (assembly/pow.ts), 4 proofs per step.
 * - `native`: the optional C addon (native/) with the CPU's SHA-256 instructions, 2 proofs per step;
 *   the fastest where it is built and the CPU has them. The core stays pure: the node loads the
 *   addon and passes it in ({@link NativeScanBinding}).
 *
 * Ranges are split at powers of ten so that, within a piece, every proof has the same number of
 * digits and the message has the same length.
 */

import { meetsChallenge, type PowChallenge, powDigest, type SearchResult, searchProof } from './pow.js';
import { SHA256_IV, sha256Compress } from './sha256.js';

/** A proof search implementation. */
export interface PowKernel {
  readonly name: KernelName;
  /** The smallest valid proof in `[from, to)` (integers, 0 <= from <= to <= 2^53 - 1). */
  scan(challenge: PowChallenge, from: number, to: number): SearchResult;
}

import type { KernelName } from './names.js';

export { KERNEL_NAMES, type KernelName } from './names.js';

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

/**
 * A kernel from its search over one piece of `[from, to)` whose proofs all have the same number of
 * digits (the smallest valid proof of the piece, or null): pieces in order, the first hit wins.
 */
function segmentedKernel(
  name: KernelName,
  scanSegment: (challenge: PowChallenge, from: number, to: number) => number | null,
): PowKernel {
  return {
    name,
    scan(challenge, from, to) {
      for (const [a, b] of digitSegments(from, to)) {
        const proof = scanSegment(challenge, a, b);
        if (proof !== null) return { proof, tries: proof - from + 1 };
      }
      return { proof: null, tries: to - from };
    },
  };
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
    // The blocks before the one where the digits start never change: hashed once (the midstate).
    const first = Math.floor(digitPos / 64);
    const midstate = new Uint32Array(SHA256_IV);
    for (let block = 0; block < first; block++) sha256Compress(midstate, bytes, block * 64, w);
    for (let proof = from; proof < to; proof++) {
      state.set(midstate);
      for (let block = first; block < blocks; block++) sha256Compress(state, bytes, block * 64, w);
      if (
        meets(word) &&
        (challenge.target === undefined || meetsChallenge(challenge, powDigest(challenge, String(proof))))
      ) {
        return proof;
      }
      incrementDigits(bytes, digitPos, digits);
    }
    return null;
  };
  return segmentedKernel('ts', scanSegment);
}

/** Exports of the compiled assembly/pow.ts module. */
interface WasmExports {
  readonly memory: WebAssembly.Memory;
  messagePtr(): number;
  statePtr(): number;
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
  const statePtr = wasm.statePtr();
  const w = new Uint32Array(64);

  const scanSegment = (challenge: PowChallenge, from: number, to: number): number | null => {
    const text = String(from);
    const message = layout(challenge, text);
    // The blocks before the one holding the digits never change: hashed here once (the midstate),
    // the kernel starts from it (a ledger header's digits are in its second block).
    const first = Math.floor(message.digitPos / 64);
    const blocks = message.blocks - first;
    const digitPos = message.digitPos - first * 64;
    if (message.digits < 2 || blocks > 5 || digitPos + message.digits > 64) {
      const result = fallback.scan(challenge, from, to);
      return result.proof;
    }
    const midstate = new Uint32Array(SHA256_IV);
    for (let block = 0; block < first; block++) sha256Compress(midstate, message.bytes, block * 64, w);
    new Uint32Array(wasm.memory.buffer, statePtr, 8).set(midstate);
    let start = from;
    while (start < to) {
      const count = Math.min(to - start, WASM_MAX_COUNT);
      const memory = new Uint8Array(wasm.memory.buffer, base, 320);
      memory.fill(0);
      const bytes = start === from ? message.bytes : layout(challenge, String(start)).bytes;
      memory.set(bytes.subarray(first * 64));
      const offset = wasm.scan(blocks, digitPos, message.digits, count, challenge.difficulty);
      if (offset < 0) {
        start += count;
        continue;
      }
      const found = start + offset;
      // A digest with the target's leading zeros may still be above the target: go on after it.
      if (challenge.target === undefined || meetsChallenge(challenge, powDigest(challenge, String(found))))
        return found;
      start = found + 1;
    }
    return null;
  };

  return segmentedKernel('wasm', scanSegment);
}

/**
 * The native addon's scan, as the core sees it (the node loads the addon, src/node/native.ts). Same
 * contract as the WebAssembly kernel's `scan`: `message` is the padded message from the block holding
 * the proof's first digit (`blocks` x 64 bytes), the first proof's digits at `digitPos`, `midstate`
 * the SHA-256 state after the blocks before it; returns the offset of the first of `count`
 * consecutive proofs whose digest starts with `difficulty` hex zeros, or -1. The addon throws on an
 * argument it cannot take (a count past the digit count's last proof among them). `portable` forces
 * its plain C path (tests).
 */
export interface NativeScanBinding {
  scan(
    message: Uint8Array,
    midstate: Uint32Array,
    blocks: number,
    digitPos: number,
    digits: number,
    count: number,
    difficulty: number,
    portable?: boolean,
  ): number;
}

/** Most blocks after the midstate the addon takes (native/src: MAX_BLOCKS); longer messages go to `ts`. */
const NATIVE_MAX_BLOCKS = 32;

/** Options of {@link createNativeKernel}. */
export interface NativeKernelOptions {
  /** Run the addon's portable C path even where the CPU has SHA instructions (tests). */
  readonly portable?: boolean;
}

/**
 * The native kernel over a loaded addon. It takes every piece (digits anywhere, proofs below 100,
 * up to {@link NATIVE_MAX_BLOCKS} blocks after the midstate); longer messages go to the TypeScript
 * kernel.
 */
export function createNativeKernel(binding: NativeScanBinding, options: NativeKernelOptions = {}): PowKernel {
  const portable = options.portable === true;
  const fallback = createTsKernel();
  const w = new Uint32Array(64);

  const scanSegment = (challenge: PowChallenge, from: number, to: number): number | null => {
    const message = layout(challenge, String(from));
    // The blocks before the one holding the digits never change: hashed here once (the midstate).
    const first = Math.floor(message.digitPos / 64);
    const blocks = message.blocks - first;
    const digitPos = message.digitPos - first * 64;
    if (blocks > NATIVE_MAX_BLOCKS) return fallback.scan(challenge, from, to).proof;
    const midstate = new Uint32Array(SHA256_IV);
    for (let block = 0; block < first; block++) sha256Compress(midstate, message.bytes, block * 64, w);
    let start = from;
    while (start < to) {
      // The addon counts in 64 bits: a whole piece in one call (the miner's chunks are small anyway).
      const count = to - start;
      const bytes = start === from ? message.bytes : layout(challenge, String(start)).bytes;
      const offset = binding.scan(
        bytes.subarray(first * 64),
        midstate,
        blocks,
        digitPos,
        message.digits,
        count,
        challenge.difficulty,
        portable,
      );
      if (offset < 0) return null;
      const found = start + offset;
      // A digest with the target's leading zeros may still be above the target: go on after it.
      if (challenge.target === undefined || meetsChallenge(challenge, powDigest(challenge, String(found))))
        return found;
      start = found + 1;
    }
    return null;
  };

  return segmentedKernel('native', scanSegment);
}
