/**
 * Worker thread of the proof-of-work pool: scans the chunks of proofs it is handed with its kernel
 * and reports the first valid proof in each (or none). Stateless between chunks, so a pool can hand
 * any chunk to any worker.
 */

import { parentPort, workerData } from 'node:worker_threads';
import type { KernelName } from '../core/pow-kernel.js';
import { loadKernelWithFallback } from './kernels.js';
import type { ChunkRequest, ChunkResult, KernelFallback, WorkerSetup } from './miner.js';

if (!parentPort) throw new Error('pow-worker must run as a worker thread');
const port = parentPort;
const setup = workerData as WorkerSetup;

// A thread without the native addon still mines with the WebAssembly kernel, and a runtime without
// WebAssembly SIMD with the TypeScript one: the pool is told, so it reports the kernel really run.
const { kernel, fallback } = loadKernelWithFallback(
  setup.kernel as KernelName,
  setup.wasmUrl ? new URL(setup.wasmUrl) : undefined,
);
if (fallback !== null) {
  const message: KernelFallback = { type: 'kernel', name: kernel.name, error: fallback };
  port.postMessage(message);
}

port.on('message', (request: ChunkRequest) => {
  const { proof, tries } = kernel.scan(request.challenge, request.from, request.to);
  const result: ChunkResult = { jobId: request.jobId, from: request.from, proof, tries };
  port.postMessage(result);
});
