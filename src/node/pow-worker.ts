/**
 * Worker thread of the proof-of-work pool: scans the chunks of proofs it is handed and reports
 * the first valid proof in each (or none). Stateless, so a pool can hand any chunk to any worker.
 */

import { parentPort } from 'node:worker_threads';
import { searchProof } from '../core/pow.js';
import type { ChunkRequest, ChunkResult } from './miner.js';

if (!parentPort) throw new Error('pow-worker must run as a worker thread');
const port = parentPort;
port.on('message', (request: ChunkRequest) => {
  const { proof, tries } = searchProof(request.challenge, request.from, request.to);
  const result: ChunkResult = { jobId: request.jobId, from: request.from, proof, tries };
  port.postMessage(result);
});
