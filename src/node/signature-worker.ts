/**
 * Worker thread of the signature pool (signature-pool.ts): verifies the chunks of a shared batch it
 * claims, writing each verdict (and each valid triple's cache key) into the batch itself, and says
 * `done` once no chunk is left. Stateless between batches.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { type BatchMessage, type DoneMessage, verifyClaimedChunks, type WorkerSetup } from './signature-pool.js';

if (!parentPort) throw new Error('signature-worker must run as a worker thread');
const port = parentPort;
const salt = Uint8Array.from((workerData as WorkerSetup).salt);

port.on('message', (message: BatchMessage) => {
  const verified = verifyClaimedChunks(message.batch, salt);
  const done: DoneMessage = { type: 'done', id: message.id, verified };
  port.postMessage(done);
});
