/**
 * The fastest batched SHA-256 this machine has: the native addon's (the CPU's SHA instructions,
 * one call for a whole batch) when it is built, else node:crypto per message.
 */

import type { HashBatch } from '../core/chain-scan.js';
import { cryptoHashBatch } from './crypto-hash-batch.js';
import { loadNative } from './native.js';

let best: HashBatch | null = null;

export { cryptoHashBatch };

/** The native batch hasher when the addon loads, else {@link cryptoHashBatch}; chosen once. */
export function bestHashBatch(): HashBatch {
  if (best === null) {
    const native = loadNative();
    best = native ? (data, ends, out) => native.sha256Batch(data, ends, out) : cryptoHashBatch;
  }
  return best;
}

/** Which batch hasher {@link bestHashBatch} is: `native` or `crypto`. */
export function hashBatchName(): 'native' | 'crypto' {
  return bestHashBatch() === cryptoHashBatch ? 'crypto' : 'native';
}
