/**
 * Signatures verified on every core, beside validation. The core's validation stays synchronous
 * and verifies every signature through the verifier it was given (`verifySignatureFast`,
 * ed25519-verify.ts), which also asks the process's signature cache (`sharedSignatureCache`) and
 * the batch this pool is verifying:
 *
 * - a profile lists the checks a page of untrusted blocks needs (`RuleProfile.signatureChecks`);
 * - {@link SignaturePool.submit} packs them into one `SharedArrayBuffer` (one message a worker per
 *   batch, not one per signature) with a state per check, and returns: the precheck does not wait.
 *   The `os.availableParallelism()` workers claim chunks from the last one down (an atomic counter:
 *   a slow or descheduled thread takes fewer, which matters on a shared machine), and each check
 *   with a compare-and-swap;
 * - validation then runs on the calling thread: the verifier finds each check's verdict in the
 *   batch (by the signature's bytes, the triple compared whole: no hash on this thread), waits for
 *   the worker on it, or claims it and verifies it itself. Validation's own work (decoding,
 *   hashing, the state: ~0.4x the single-thread verify time of a 10,000-payment block, measured in
 *   bench/ledger.mjs part 5) so runs beside the workers instead of after them: on 2 cores, 0.57-0.61
 *   of "single verify rate x cores" (medians of 5-6 rounds) against 0.50 with the precheck awaited
 *   first and 0.37 inline;
 * - when the batch is done, the valid triples go into the cache (a page offered again is not
 *   verified again).
 *
 * A worker that crashes, exits or hangs costs only time: what it left is verified on the calling
 * thread. Small batches are left to validation (see {@link DEFAULT_INLINE_BELOW}). Workers start
 * on the first batch large enough, are `unref()`ed (they never keep a process alive), and stop
 * with {@link SignaturePool.close}.
 */

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { JsonValue } from '../core/json.js';
import type { RuleProfile, SignatureCheck } from '../core/profile.js';
import {
  CHECK_PENDING,
  CHECK_REFUSED,
  CHECK_VALID,
  CHECK_WORKING,
  type Flight,
  SIGNATURE_KEY_BYTES,
  type SignatureCache,
  sharedSignatureCache,
  signatureCacheKey,
  verdictInFlight,
  verifySignatureUncached,
} from './ed25519-verify.js';

/** What a worker is started with. */
export interface WorkerSetup {
  /** The cache's key salt: a worker computes the cache key of each triple it finds valid. */
  readonly salt: Uint8Array;
}

/** A batch handed to a worker. */
export interface BatchMessage {
  readonly id: number;
  readonly batch: SharedArrayBuffer;
}

/** A worker's answer: no chunk of batch `id` is left to claim, and it verified `verified` checks. */
export interface DoneMessage {
  readonly type: 'done';
  readonly id: number;
  readonly verified: number;
}

/**
 * Batches of fewer checks are left to validation's inline verifies. Measured on 2 cores (shared,
 * load 3-4), a batch handed over and then verified in order the way validation asks (best of 15):
 * 8 checks 0.84-0.88x inline's speed, 16: 0.70x, 32: 0.77-0.92x, 64: 0.58-0.76x, 128: 0.99-1.16x,
 * 2,048: 1.12-1.16x (the workers wake in ~1 ms and the key hashing and packing cost ~2 us a check,
 * so the pool gains only past ~100 checks).
 */
export const DEFAULT_INLINE_BELOW = 128;

/** Checks a thread claims at a time: ~3 ms of verifying, so threads end within ~3 ms of each other. */
export const DEFAULT_CHUNK = 32;

/** How long the pool waits for its workers past the calling thread's own share before it takes over. */
const WORKER_GRACE_MS = 5_000;

/** After this many worker deaths the pool stops starting workers: everything is verified inline. */
const MAX_WORKER_FAILURES = 8;

/** Options of {@link SignaturePool}. */
export interface SignaturePoolOptions {
  /** Worker threads; `os.availableParallelism()` when omitted. 0: everything inline. */
  readonly threads?: number;
  /** The compiled worker module (tests running the TypeScript sources point at dist/). */
  readonly workerUrl?: URL;
  /** The cache to fill; the process's {@link sharedSignatureCache} (which the node's verifier reads) when omitted. */
  readonly cache?: SignatureCache;
  /** Batches below this many checks are verified inline ({@link DEFAULT_INLINE_BELOW}). */
  readonly inlineBelow?: number;
  /** Whether the calling thread verifies chunks too while the workers run (default true). */
  readonly mainShare?: boolean;
  /** Checks claimed at a time ({@link DEFAULT_CHUNK}). */
  readonly chunk?: number;
}

/** What one {@link SignaturePool.verify} did. */
export interface BatchReport {
  readonly checks: number;
  /** Checks found valid (now in the cache). */
  readonly valid: number;
  /** Checks verified by worker threads. */
  readonly inWorkers: number;
  /** Checks verified on the calling thread (its share, validation's, small batches, what failed workers left). */
  readonly inline: number;
  /** Of them, the calling thread's share in {@link SignaturePool.verify}. */
  readonly here?: number;
}

// ---- The shared batch: [next chunk, chunks, chunk size, n] | offsets (n + 1) | states (n) | keyed (n) | keys (32 n) | records. ----

const HEADER_BYTES = 16;

interface BatchLayout {
  readonly n: number;
  readonly control: Int32Array;
  readonly offsets: Uint32Array;
  /** Each check's CHECK_* state (ed25519-verify.ts): claimed with compare-and-swap, so verified once. */
  readonly states: Int32Array;
  /** 1 where a worker wrote the cache key of a valid check into {@link keys}. */
  readonly keyed: Uint8Array;
  readonly keys: Uint8Array;
  readonly data: Uint8Array;
}

function layoutOf(batch: SharedArrayBuffer): BatchLayout {
  const control = new Int32Array(batch, 0, 4);
  const n = control[3] as number;
  const offsets = new Uint32Array(batch, HEADER_BYTES, n + 1);
  const statesAt = HEADER_BYTES + 4 * (n + 1);
  const keyedAt = statesAt + 4 * n;
  const keysAt = keyedAt + n;
  return {
    n,
    control,
    offsets,
    states: new Int32Array(batch, statesAt, n),
    keyed: new Uint8Array(batch, keyedAt, n),
    keys: new Uint8Array(batch, keysAt, SIGNATURE_KEY_BYTES * n),
    data: new Uint8Array(batch, keysAt + SIGNATURE_KEY_BYTES * n),
  };
}

/** Packs `checks` into one shared batch: each record is signature (64) | public key (32) | message. */
function packBatch(checks: readonly SignatureCheck[], chunk: number): SharedArrayBuffer {
  const n = checks.length;
  let dataBytes = 0;
  for (const check of checks) dataBytes += 96 + check.message.length;
  const batch = new SharedArrayBuffer(HEADER_BYTES + 4 * (n + 1) + 4 * n + n + SIGNATURE_KEY_BYTES * n + dataBytes);
  const control = new Int32Array(batch, 0, 4);
  control[0] = 0;
  control[1] = Math.ceil(n / chunk);
  control[2] = chunk;
  control[3] = n;
  const { offsets, states, data } = layoutOf(batch);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const check = checks[i] as SignatureCheck;
    offsets[i] = at;
    if (check.signature.length === 64 && check.publicKey.length === 32) {
      data.set(check.signature, at);
      data.set(check.publicKey, at + 64);
      data.set(check.message, at + 96);
    } else {
      // Refused by the verifier whatever the rest: packed as 64 and 32 bytes it would be another triple.
      states[i] = CHECK_REFUSED;
    }
    at += 96 + check.message.length;
  }
  offsets[n] = at;
  return batch;
}

/**
 * Claims chunks of `batch` until none is left, last chunk first (validation on the main thread
 * asks for the checks in order, from the first: the two meet in the middle), and verifies each check
 * no other thread has claimed with {@link verifySignatureUncached}, writing its verdict (and the
 * cache key of a valid one, salted with `salt`: hashed here, not on the validating thread). Run by
 * the workers (and by the calling thread of {@link SignaturePool.verify}). Returns the checks verified.
 */
export function verifyClaimedChunks(batch: SharedArrayBuffer, salt: Uint8Array): number {
  const { n, control, offsets, states, keyed, keys, data } = layoutOf(batch);
  const chunks = control[1] as number;
  const size = control[2] as number;
  let verified = 0;
  for (let claimed = Atomics.add(control, 0, 1); claimed < chunks; claimed = Atomics.add(control, 0, 1)) {
    const c = chunks - 1 - claimed;
    const end = Math.min(n, (c + 1) * size);
    for (let i = end - 1; i >= c * size; i--) {
      if (Atomics.compareExchange(states, i, CHECK_PENDING, CHECK_WORKING) !== CHECK_PENDING) continue;
      const at = offsets[i] as number;
      const next = offsets[i + 1] as number;
      // Copies out of shared memory: OpenSSL reads plain arrays.
      const signature = data.slice(at, at + 64);
      const message = data.slice(at + 96, next);
      const publicKey = data.slice(at + 64, at + 96);
      const ok = verifySignatureUncached(signature, message, publicKey);
      if (ok) {
        keys.set(signatureCacheKey(salt, signature, message, publicKey), i * SIGNATURE_KEY_BYTES);
        keyed[i] = 1; // before the state: a thread that reads VALID reads the key too
      }
      Atomics.store(states, i, ok ? CHECK_VALID : CHECK_REFUSED);
      Atomics.notify(states, i);
      verified++;
    }
  }
  return verified;
}

/** A worker and the batches it has been handed. */
interface PoolWorker {
  readonly worker: Worker;
  /** Each handed batch's wait, by batch id: resolved with the count verified (0 if the worker died). */
  readonly waits: Map<number, (verified: number) => void>;
}

/**
 * A pool of worker threads verifying signatures in bulk into a {@link SignatureCache}. Verdicts are
 * `verifySignatureUncached`'s (noble-strict's, through OpenSSL), so a cached `true` is exactly what
 * the node's verifier would have said.
 */
export class SignaturePool {
  readonly cache: SignatureCache;
  readonly threads: number;
  readonly inlineBelow: number;
  private readonly mainShare: boolean;
  private readonly chunk: number;
  private readonly workerUrl: URL | null;
  private readonly workers: PoolWorker[] = [];
  private readonly batches = new Set<Promise<BatchReport>>();
  private failures = 0;
  private nextId = 1;
  private closed = false;

  constructor(options: SignaturePoolOptions = {}) {
    this.cache = options.cache ?? sharedSignatureCache;
    this.threads = Math.max(0, Math.floor(options.threads ?? availableParallelism()));
    this.inlineBelow = Math.max(1, options.inlineBelow ?? DEFAULT_INLINE_BELOW);
    this.mainShare = options.mainShare ?? true;
    this.chunk = Math.max(1, Math.floor(options.chunk ?? DEFAULT_CHUNK));
    const url = options.workerUrl ?? new URL('./signature-worker.js', import.meta.url);
    // Run from the TypeScript sources (tests), the compiled worker is not beside this module:
    // then there are no workers, and every batch is verified inline.
    this.workerUrl = url.protocol === 'file:' && !existsSync(fileURLToPath(url)) ? null : url;
  }

  /** Worker threads running now. */
  get running(): number {
    return this.workers.length;
  }

  /** Whether batches can go to worker threads (not closed, a worker module, not failing). */
  get usable(): boolean {
    return !this.closed && this.workerUrl !== null && this.threads > 0 && this.failures < MAX_WORKER_FAILURES;
  }

  /**
   * Verifies `checks` and resolves once every verdict is known and the valid ones are in the cache,
   * the calling thread taking a share unless `mainShare` is false. Never rejects: a failed worker's
   * share is verified on this thread. After {@link close}, does nothing.
   */
  verify(checks: readonly SignatureCheck[]): Promise<BatchReport> {
    return this.submit(checks, this.mainShare);
  }

  /**
   * Hands `checks` to the workers and returns at once: until the returned promise resolves, the
   * node's verifier (`verifySignatureFast`) finds each check's verdict in the batch, waits for the
   * worker on it, or verifies it itself (claimed, so no worker does it twice). So validation runs
   * beside the workers instead of after them. Small batches and a pool without workers are
   * verified here, before this returns.
   */
  submit(checks: readonly SignatureCheck[], mainShare = false): Promise<BatchReport> {
    const n = checks.length;
    if (this.closed || n === 0) return Promise.resolve({ checks: n, valid: 0, inWorkers: 0, inline: 0 });
    if (n < this.inlineBelow || !this.startWorkers()) return Promise.resolve(this.inline(checks));
    const batch = packBatch(checks, this.chunk);
    const { states, offsets, data } = layoutOf(batch);
    const cache = this.cache;
    // Well-formed triples only (packBatch refused the others): found by validation's verifier.
    const flights: (Flight | null)[] = [];
    for (let i = 0; i < n; i++) {
      if (states[i] !== CHECK_PENDING) {
        flights.push(null);
        continue;
      }
      const flight: Flight = { state: states, index: i, data, at: offsets[i] as number, end: offsets[i + 1] as number };
      cache.track(flight);
      flights.push(flight);
    }
    const id = this.nextId++;
    const waits = this.workers.map(
      (w) =>
        new Promise<number>((resolve) => {
          w.waits.set(id, resolve);
          const message: BatchMessage = { id, batch };
          w.worker.postMessage(message);
        }),
    );
    const own = mainShare ? verifyClaimedChunks(batch, cache.salt) : 0;
    const done = this.finish(id, batch, checks, flights, waits, own);
    this.batches.add(done);
    void done.finally(() => this.batches.delete(done));
    return done;
  }

  /** Resolves once no batch is in flight. */
  async idle(): Promise<void> {
    while (this.batches.size > 0) await Promise.all([...this.batches]);
  }

  /** Stops the workers (idempotent); later batches are not verified. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    for (const w of workers) for (const settle of w.waits.values()) settle(0);
    await Promise.all(workers.map((w) => w.worker.terminate().catch(() => undefined)));
  }

  private async finish(
    id: number,
    batch: SharedArrayBuffer,
    checks: readonly SignatureCheck[],
    flights: readonly (Flight | null)[],
    waits: readonly Promise<number>[],
    own: number,
  ): Promise<BatchReport> {
    const n = checks.length;
    let timer: NodeJS.Timeout | undefined;
    // Generous: a batch may queue behind another; a worker that hangs past this is dropped.
    const grace = WORKER_GRACE_MS + 2 * n;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), grace);
      timer.unref();
    });
    const answers = await Promise.race([Promise.all(waits), timedOut]);
    clearTimeout(timer);
    if (answers === 'timeout') {
      for (const w of [...this.workers]) if (w.waits.has(id)) this.drop(w, true);
    }
    const { keyed, keys } = layoutOf(batch);
    const cache = this.cache;
    if (this.closed) {
      // Closed mid-batch (the node is stopping): nothing more is verified for it.
      for (const flight of flights) if (flight) cache.untrack(flight);
      return { checks: n, valid: 0, inWorkers: 0, inline: 0 };
    }
    let valid = 0;
    for (let i = 0; i < n; i++) {
      const flight = flights[i];
      const check = checks[i] as SignatureCheck;
      if (!flight) continue;
      // Whatever no thread finished (a worker died or hung on it) is verified here.
      const ok = verdictInFlight(flight, () =>
        verifySignatureUncached(check.signature, check.message, check.publicKey),
      );
      cache.untrack(flight);
      if (ok) {
        // A worker's key (the workers share this cache's salt), or computed here for a check that
        // validation's verifier took.
        cache.add(
          keyed[i] === 1
            ? keys.subarray(i * SIGNATURE_KEY_BYTES, (i + 1) * SIGNATURE_KEY_BYTES)
            : signatureCacheKey(cache.salt, check.signature, check.message, check.publicKey),
        );
        valid++;
      }
    }
    const inWorkers = answers === 'timeout' ? 0 : answers.reduce((sum, k) => sum + k, 0);
    return { checks: n, valid, inWorkers, inline: n - inWorkers, here: own };
  }

  private inline(checks: readonly SignatureCheck[]): BatchReport {
    let valid = 0;
    for (const { signature, message, publicKey } of checks) {
      if (verifySignatureUncached(signature, message, publicKey)) {
        this.cache.add(signatureCacheKey(this.cache.salt, signature, message, publicKey));
        valid++;
      }
    }
    return { checks: checks.length, valid, inWorkers: 0, inline: checks.length };
  }

  /** Starts workers up to {@link threads}; false if there are none to use. */
  private startWorkers(): boolean {
    if (this.workerUrl === null || this.threads === 0) return false;
    while (this.workers.length < this.threads && this.failures < MAX_WORKER_FAILURES) {
      let worker: Worker;
      try {
        const workerData: WorkerSetup = { salt: this.cache.salt };
        worker = new Worker(this.workerUrl, { workerData });
      } catch {
        this.failures++;
        continue;
      }
      worker.unref();
      const entry: PoolWorker = { worker, waits: new Map() };
      worker.on('message', (message: DoneMessage) => {
        if (message.type !== 'done') return;
        const settle = entry.waits.get(message.id);
        entry.waits.delete(message.id);
        settle?.(message.verified);
      });
      // A crash is an 'error' then an 'exit'; either way the batch goes on without this worker.
      worker.on('error', () => this.drop(entry, false));
      worker.on('exit', () => this.drop(entry, false));
      this.workers.push(entry);
    }
    return this.workers.length > 0;
  }

  /** Removes a worker that died (or hangs: then it is terminated too), ending its waits. */
  private drop(entry: PoolWorker, terminate: boolean): void {
    const index = this.workers.indexOf(entry);
    if (index < 0) return;
    this.workers.splice(index, 1);
    if (!this.closed) this.failures++;
    for (const settle of entry.waits.values()) settle(0);
    entry.waits.clear();
    if (terminate) void entry.worker.terminate().catch(() => undefined);
  }
}

/** Options of {@link createSignaturePrecheck}. */
export interface PrecheckOptions {
  /**
   * Whether the precheck returns as soon as the batch is handed to the workers, so that validation
   * runs beside them (default true; measured in bench/ledger.mjs part 5), or once it is verified.
   */
  readonly overlap?: boolean;
  /** Called with each batch's report (benches, debug logs). */
  readonly onBatch?: (report: BatchReport) => void;
}

/**
 * The node's precheck (`NodeOptions.precheck`) for `profile`: the signature checks of a page of
 * untrusted blocks (`profile.signatureChecks`), less those already cached, verified by `pool` into
 * the cache the node's verifier reads. Undefined if the profile verifies no signatures. Never
 * rejects: a value the profile cannot list is validation's business.
 */
export function createSignaturePrecheck(
  profile: RuleProfile,
  pool: SignaturePool,
  options: PrecheckOptions = {},
): ((values: readonly JsonValue[]) => Promise<void>) | undefined {
  const list = profile.signatureChecks?.bind(profile);
  if (!list) return undefined;
  return async (values) => {
    let checks: SignatureCheck[];
    try {
      checks = list(values);
    } catch {
      return;
    }
    // Below the threshold, or with no workers, validation's own inline verifies are as fast. A
    // page offered again is verified again, by the workers: looking its checks up in the cache
    // here would cost a hash each on the thread that validates (the one every page waits for).
    if (checks.length < pool.inlineBelow || !pool.usable) return;
    if (options.overlap ?? true) {
      void pool.submit(checks).then((report) => options.onBatch?.(report));
      return;
    }
    options.onBatch?.(await pool.submit(checks, true));
  };
}
