/**
 * Batched SHA-256 on node:crypto, in a module of its own: what `blockforge verify` uses for a small
 * file without loading the native addon's loader (start-up time: see bench/startup.mjs).
 */

import { hash } from 'node:crypto';
import type { HashBatch } from '../core/chain-scan.js';

/** {@link HashBatch} on node:crypto: one one-shot `hash` per message. */
export const cryptoHashBatch: HashBatch = (data, ends, out) => {
  let start = 0;
  for (let k = 0; k < ends.length; k++) {
    const end = ends[k] as number;
    out.set(hash('sha256', data.subarray(start, end), 'buffer'), 32 * k);
    start = end;
  }
};
