/**
 * The ledger block page's Re-mine button, off the page's thread: the core's plain TypeScript
 * proof-of-work kernel searches a nonce for an edited header (the text before and after the nonce's
 * digits, and the block's target), counting up from 0, and reports its rate as it goes. The page
 * stops a search by terminating the worker.
 */

import { MAX_PROOF, type PowChallenge } from '../../src/core/pow.js';
import { createTsKernel } from '../../src/core/pow-kernel.js';
import { sha256HexSync } from '../../src/core/sha256.js';

/** What the page asks for. */
export interface RemineJob {
  /** Header text up to `"nonce": `. */
  readonly prefix: string;
  /** Header text from `, "parent": `. */
  readonly suffix: string;
  /** The block's target, 64 hex. */
  readonly target: string;
  /** Leading hex zeros every digest at or below the target has (the kernel's prefilter). */
  readonly difficulty: number;
}

/** What the worker reports. */
export type RemineMessage =
  | { readonly type: 'progress'; readonly hashes: number; readonly seconds: number }
  | { readonly type: 'found'; readonly nonce: number; readonly hashes: number; readonly seconds: number }
  | { readonly type: 'exhausted'; readonly hashes: number; readonly seconds: number };

/** Nonces per kernel call: small enough to report the rate a few times a second. */
export const CHUNK = 2048;

/**
 * Searches `job` from nonce 0, calling `report` with progress about every `everyMs` and once with
 * the result. Synchronous: the worker runs it, and a test can.
 */
export function remine(
  job: RemineJob,
  report: (message: RemineMessage) => void,
  now: () => number = () => performance.now(),
  everyMs = 200,
): void {
  const kernel = createTsKernel();
  // The kernel finds digests with the target's leading hex zeros; each is then compared with the
  // target here, with the core's plain SHA-256 (the kernel's own comparison goes through
  // node:crypto, which a worker bundle does not have).
  const challenge: PowChallenge = { prefix: job.prefix, suffix: job.suffix, difficulty: job.difficulty };
  const start = now();
  let last = start;
  let hashes = 0;
  let from = 0;
  while (from < MAX_PROOF) {
    const to = Math.min(MAX_PROOF, from + CHUNK);
    const result = kernel.scan(challenge, from, to);
    hashes += result.tries;
    const t = now();
    if (result.proof !== null) {
      const digest = sha256HexSync(job.prefix + String(result.proof) + job.suffix);
      if (digest <= job.target) {
        report({ type: 'found', nonce: result.proof, hashes, seconds: (t - start) / 1000 });
        return;
      }
      from = result.proof + 1;
    } else {
      from = to;
    }
    if (t - last >= everyMs) {
      last = t;
      report({ type: 'progress', hashes, seconds: (t - start) / 1000 });
    }
  }
  report({ type: 'exhausted', hashes, seconds: (now() - start) / 1000 });
}

interface WorkerScope {
  onmessage: ((event: MessageEvent<RemineJob>) => void) | null;
  postMessage(message: RemineMessage): void;
}

// Only inside a worker (the unit tests import this module to run `remine` directly).
const scope = globalThis as unknown as Partial<WorkerScope> & { WorkerGlobalScope?: unknown };
if (typeof scope.WorkerGlobalScope !== 'undefined') {
  const worker = scope as WorkerScope;
  worker.onmessage = (event) => remine(event.data, (message) => worker.postMessage(message));
}
