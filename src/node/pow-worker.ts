/**
 * Worker thread of the proof-of-work pool: scans the chunks of proofs it is handed with its kernel
 * and reports the first valid proof in each (or none). Stateless between chunks, so a pool can hand
 * any chunk to any worker.
 */

import { parentPort, workerData } from 'node:worker_threads';
import type { KernelName, PowKernel } from '../core/pow-kernel.js';
import { loadKernel } from './kernels.js';
import type { ChunkRequest, ChunkResult, WorkerSetup } from './miner.js';

if (!parentPort) throw new Error('pow-worker must run as a worker thread');
const port = parentPort;
const setup = workerData as WorkerSetup;

let kernel: PowKernel;
try {
  kernel = loadKernel(setup.kernel as KernelName, setup.wasmUrl ? new URL(setup.wasmUrl) : undefined);
} catch (err) {
  // A runtime without WebAssembly SIMD still mines, with the TypeScript kernel.
  kernel = loadKernel('ts');
  port.postMessage({ type: 'kernel', name: kernel.name, error: (err as Error).message });
}

port.on('message', (request: ChunkRequest) => {
  const { proof, tries } = kernel.scan(request.challenge, request.from, request.to);
  const result: ChunkResult = { jobId: request.jobId, from: request.from, proof, tries };
  port.postMessage(result);
});
