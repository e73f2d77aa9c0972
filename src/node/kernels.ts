/**
 * Loads a proof-of-work kernel by name. The WebAssembly kernel is compiled from assembly/pow.ts
 * during `npm ci` (`npm run build`) to dist/kernel/pow.wasm, next to this module's build output.
 */

import { readFileSync } from 'node:fs';
import { createTsKernel, createWasmKernel, cryptoKernel, type KernelName, type PowKernel } from '../core/pow-kernel.js';

/** Where the compiled WebAssembly kernel is, relative to this module in dist/. */
export const DEFAULT_WASM_URL = new URL('../kernel/pow.wasm', import.meta.url);

/** Compiled modules, per file: compiling once per thread is enough. */
const modules = new Map<string, WebAssembly.Module>();

/** Returns kernel `name`; `wasmUrl` locates the compiled module (tests run from the sources). */
export function loadKernel(name: KernelName, wasmUrl: URL = DEFAULT_WASM_URL): PowKernel {
  if (name === 'crypto') return cryptoKernel;
  if (name === 'ts') return createTsKernel();
  let module = modules.get(wasmUrl.href);
  if (!module) {
    module = new WebAssembly.Module(readFileSync(wasmUrl));
    modules.set(wasmUrl.href, module);
  }
  return createWasmKernel(module);
}
