/**
 * The part of `node:crypto` that the core's pure modules use (`createHash('sha256')` and
 * `hash('sha256', ..., 'hex')`), for the browser bundle. vite.config.ts aliases `node:crypto` to
 * this file so the explorer runs the node's own canonical-JSON and chain-validation code, not a
 * copy that could drift from it.
 */

import { sha256HexSync } from './sha256.js';

function assertSha256(algorithm: string): void {
  if (algorithm !== 'sha256') throw new Error(`only sha256 is available in the browser (asked for ${algorithm})`);
}

/** A hash object collecting UTF-8 text (the only input the core gives it). */
export interface BrowserHash {
  update(text: string, encoding?: 'utf8'): BrowserHash;
  digest(encoding: 'hex'): string;
}

/** `crypto.createHash('sha256')`, for text input and hex output. */
export function createHash(algorithm: string): BrowserHash {
  assertSha256(algorithm);
  let text = '';
  const self: BrowserHash = {
    update(more) {
      text += more;
      return self;
    },
    digest() {
      return sha256HexSync(text);
    },
  };
  return self;
}

/** `crypto.hash('sha256', text, 'hex')`. */
export function hash(algorithm: string, text: string, _encoding?: 'hex'): string {
  assertSha256(algorithm);
  return sha256HexSync(text);
}
