/**
 * Loads a proof-of-work kernel by name. The WebAssembly kernel is compiled from assembly/pow.ts
 * during `npm ci` (`npm run build`) to dist/kernel/pow.wasm, next to this module's build output; the
 * native kernel is the optional addon built by `npm ci` (src/node/native.ts), used only where the CPU
 * has SHA-256 instructions (its portable C path is slower than the WebAssembly kernel: measured
 * ~4 M/s against ~11 M/s on one thread).
 */

import { readFileSync } from 'node:fs';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import {
  createNativeKernel,
  createTsKernel,
  createWasmKernel,
  cryptoKernel,
  type KernelName,
  type PowKernel,
} from '../core/pow-kernel.js';
import { loadNative, type NativeBinding, nativeUnavailableReason } from './native.js';

/** Where the compiled WebAssembly kernel is, relative to this module in dist/. */
export const DEFAULT_WASM_URL = new URL('../kernel/pow.wasm', import.meta.url);

/** Compiled modules, per file: compiling once per thread is enough. */
const modules = new Map<string, WebAssembly.Module>();

/** Loads the native addon (or says why not); injectable for tests. */
export type NativeLoader = () => NativeBinding | null;

/** Why the native kernel cannot run on this thread, or null when it can. */
export function nativeKernelProblem(native: NativeLoader = loadNative): string | null {
  const binding = native();
  if (binding === null) {
    return native === loadNative
      ? (nativeUnavailableReason() ?? 'the native addon is unavailable')
      : 'the native addon is unavailable';
  }
  const features = binding.features();
  if (!features.sha) return `the CPU (${features.arch}) has no SHA-256 instructions the native kernel uses`;
  return null;
}

/**
 * The kernel a miner runs when none is named: `native` where the addon loads and the CPU has SHA-256
 * instructions (measured ~4x the WebAssembly kernel on one thread), else `wasm`.
 */
export function defaultKernelName(native: NativeLoader = loadNative): KernelName {
  return nativeKernelProblem(native) === null ? 'native' : 'wasm';
}

/**
 * Returns kernel `name`; `wasmUrl` locates the compiled module (tests run from the sources). Throws
 * (INVALID_OPTION) when the native kernel cannot run here, saying why.
 */
export function loadKernel(
  name: KernelName,
  wasmUrl: URL = DEFAULT_WASM_URL,
  native: NativeLoader = loadNative,
): PowKernel {
  if (name === 'crypto') return cryptoKernel;
  if (name === 'ts') return createTsKernel();
  if (name === 'native') {
    const problem = nativeKernelProblem(native);
    if (problem !== null) throw new BlockforgeError(ErrorCode.InvalidOption, `no native kernel: ${problem}`);
    return createNativeKernel(native() as NativeBinding);
  }
  let module = modules.get(wasmUrl.href);
  if (!module) {
    module = new WebAssembly.Module(readFileSync(wasmUrl));
    modules.set(wasmUrl.href, module);
  }
  return createWasmKernel(module);
}

/** A kernel loaded by {@link loadKernelWithFallback}. */
export interface LoadedKernel {
  readonly kernel: PowKernel;
  /** Why the kernel asked for is not the one loaded (null when it is). */
  readonly fallback: string | null;
}

/**
 * Loads `name`, or the next kernel that loads: `native`, then `wasm` (a runtime without WebAssembly
 * SIMD, a module not built), then `ts`, which always loads. Says why when it falls back.
 */
export function loadKernelWithFallback(
  name: KernelName,
  wasmUrl: URL = DEFAULT_WASM_URL,
  native: NativeLoader = loadNative,
): LoadedKernel {
  const order: KernelName[] = name === 'native' ? ['native', 'wasm', 'ts'] : name === 'wasm' ? ['wasm', 'ts'] : [name];
  const problems: string[] = [];
  for (const candidate of order) {
    try {
      const kernel = loadKernel(candidate, wasmUrl, native);
      return { kernel, fallback: problems.length === 0 ? null : `${problems.join('; ')}: using ${candidate}` };
    } catch (err) {
      problems.push(`${candidate}: ${(err as Error).message}`);
    }
  }
  // Unreachable for the names above (`ts` always loads); a lone `crypto` or `ts` cannot fail.
  throw new BlockforgeError(ErrorCode.Internal, `no proof-of-work kernel loads (${problems.join('; ')})`);
}
