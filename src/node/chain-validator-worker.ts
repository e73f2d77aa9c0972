/**
 * Worker thread of the chain validator: hashes the batches of blocks it is handed and checks
 * their links and proofs of work (checkHashBatch, the core's own code). Stateless, so a pool can
 * hand any batch to any worker.
 */

import { parentPort } from 'node:worker_threads';
import { checkHashBatch } from '../core/tutorial-profile.js';
import { type HashRequest, type HashResponse, unpackBatch } from './chain-validator.js';

if (!parentPort) throw new Error('chain-validator-worker must run as a worker thread');
const port = parentPort;
port.on('message', (request: HashRequest) => {
  let response: HashResponse;
  try {
    response = { id: request.id, result: checkHashBatch(request.rules, unpackBatch(request.batch)) };
  } catch (err) {
    response = { id: request.id, error: (err as Error).message };
  }
  port.postMessage(response);
});
