/**
 * The optional native addon (native/, built by `npm ci` through scripts/build-native.mjs): SHA-256
 * with the CPU's SHA instructions, for the proof-of-work scan and batches of hashes. Optional: when
 * it is missing (no compiler at install, `BLOCKFORGE_NO_NATIVE=1`, another platform) or fails to
 * load, {@link loadNative} returns null and the callers use the WebAssembly kernel and node:crypto.
 */

import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeScanBinding } from '../core/pow-kernel.js';

/** What the addon found on this CPU. */
export interface NativeFeatures {
  /** The CPU has SHA-256 instructions the addon uses (x86 SHA extensions, ARMv8 SHA2). */
  readonly sha: boolean;
  /** `x64`, `arm64` or `other`. */
  readonly arch: string;
  /** The code path the addon runs: `sha-ni`, `armv8-sha2` or `portable`. */
  readonly impl: string;
}

/** The addon's functions. Every argument is checked natively: a bad one throws, never crashes. */
export interface NativeBinding extends NativeScanBinding {
  /**
   * SHA-256 of each slice `data[ends[i-1] .. ends[i])` (with `ends[-1] = 0`) into
   * `out[32i .. 32i+32)`. Throws a TypeError on a wrong type, a RangeError when `ends` decrease or
   * pass the data, when `out` is short, or when `out` overlaps `data`. `portable` forces the plain C
   * path (tests).
   */
  sha256Batch(data: Uint8Array, ends: Uint32Array, out: Uint8Array, portable?: boolean): void;
  features(): NativeFeatures;
}

/** The addon's file, under the package root. */
export const NATIVE_PATH = join('native', 'build', 'Release', 'blockforge_native.node');

/**
 * The package root: the nearest folder above this module whose package.json is blockforge's (this
 * module runs as dist/node/native.js, and from src/node/native.ts under the tests).
 */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let k = 0; k < 6; k++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'blockforge') return dir;
      } catch {
        // An unreadable package.json is not ours: keep looking above.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/** True when `BLOCKFORGE_NO_NATIVE` asks for no native code (any value but empty or `0`). */
export function nativeDisabled(): boolean {
  const value = process.env.BLOCKFORGE_NO_NATIVE;
  return value !== undefined && value !== '' && value !== '0';
}

let cached: { binding: NativeBinding | null; reason: string | null } | null = null;

function load(): { binding: NativeBinding | null; reason: string | null } {
  const root = packageRoot();
  if (root === null) return { binding: null, reason: 'the blockforge package root was not found' };
  const file = join(root, NATIVE_PATH);
  if (!existsSync(file)) return { binding: null, reason: `the native addon is not built (${NATIVE_PATH})` };
  try {
    const binding = createRequire(import.meta.url)(file) as NativeBinding;
    const features = binding.features();
    if (typeof features?.sha !== 'boolean' || typeof binding.scan !== 'function') {
      return { binding: null, reason: `${NATIVE_PATH} is not this version's addon` };
    }
    return { binding, reason: null };
  } catch (err) {
    return { binding: null, reason: `the native addon failed to load: ${(err as Error).message}` };
  }
}

/**
 * The native addon, or null when it is not built, fails to load, or `BLOCKFORGE_NO_NATIVE` is set
 * (read on every call, so a test can set it). Never throws; the load is tried once per thread.
 */
export function loadNative(): NativeBinding | null {
  if (nativeDisabled()) return null;
  cached ??= load();
  return cached.binding;
}

/** Why {@link loadNative} returns null (null when it does not). */
export function nativeUnavailableReason(): string | null {
  if (nativeDisabled()) return 'BLOCKFORGE_NO_NATIVE is set';
  cached ??= load();
  return cached.reason;
}
