/**
 * The proof-of-work engine: a warm pool of worker threads that claim ascending chunks of proofs
 * and keep the smallest hit, so the answer equals the tutorial's sequential count from 0 while
 * the event loop stays free. A search can be cancelled; it stops when the chunks in flight end
 * (each is sized to take a few milliseconds). An optional hash-rate cap paces the chunks, so a node
 * can be given a share of hash power whatever machine it runs on (the attack lab's nodes).
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { MAX_PROOF, type PowChallenge, searchProof } from '../core/pow.js';
import type { KernelName } from '../core/pow-kernel.js';
import { defaultKernelName, nativeKernelProblem } from './kernels.js';
import { MAX_HASHRATE } from './limits.js';

/** What each worker is started with. */
export interface WorkerSetup {
  readonly kernel: KernelName;
  /** Location of the compiled WebAssembly kernel (href), when not the default. */
  readonly wasmUrl?: string;
}

/**
 * Proofs per chunk for each kernel: about 10 ms of work at its single-thread rate (measured:
 * native ~45 M/s on seed's one-block message (~6 ms a chunk), ~25 M/s on master's two blocks
 * (~10 ms); wasm ~12 M/s, ts ~2 M/s, crypto ~1.5 M/s), so a cancelled search stops within a few
 * chunks' time at most, and small searches finish in the first round of chunks.
 */
const CHUNK_SIZE: Record<KernelName, number> = { native: 262_144, wasm: 131_072, ts: 16_384, crypto: 16_384 };

/** Time between chunks under a cap: chunks hold about this much of the capped rate (one proof at least). */
const PACE_MS = 10;

/**
 * Lateness the limiter makes up for: a timer that fires a little late (or a short pause between two
 * searches) does not lower the rate, while a long pause is not saved up into a burst.
 */
const CATCH_UP_MS = 50;

/** The window over which the cap holds. */
const WINDOW_MS = 1000;

export { MAX_HASHRATE };

/**
 * Caps the hashes started per second. Two rules, both applied before each chunk:
 * - pacing: chunk after chunk, the next one may start `size / rate` seconds after the previous one
 *   (timer lateness made up for, up to {@link CATCH_UP_MS}), so the hashes come evenly, not in a
 *   burst at the start of every second;
 * - a sliding window: the chunks started within the last second, with this one, total at most
 *   `rate`, so the cap holds over any second-long window whatever the pacing made up for.
 *
 * It counts hashes when their chunk starts (a chunk may end early at a hit: then fewer were
 * computed), and keeps its state across searches, so back-to-back searches share one budget.
 * Times are milliseconds from any monotonic clock (`performance.now()`), passed in.
 */
export class HashRateLimiter {
  /** Proofs per chunk under this cap: about {@link PACE_MS} of hashing, at least 1. */
  readonly chunkSize: number;
  private next: number;
  /** Chunks started within the window, oldest first, and the hashes they hold. */
  private readonly started: { at: number; size: number }[] = [];
  private inWindow = 0;

  constructor(
    readonly rate: number,
    now: number,
    maxChunk = Number.MAX_SAFE_INTEGER,
  ) {
    if (!Number.isSafeInteger(rate) || rate < 1 || rate > MAX_HASHRATE) {
      throw new BlockforgeError(
        ErrorCode.InvalidOption,
        `the hash rate cap must be a whole number of hashes per second from 1 to ${MAX_HASHRATE} (got ${rate})`,
      );
    }
    this.chunkSize = Math.max(1, Math.min(maxChunk, Math.floor((rate * PACE_MS) / 1000)));
    // No credit from before the limiter existed: the first chunk starts at once, the next on pace.
    this.next = now;
  }

  /** Milliseconds to wait before a chunk of `size` proofs may start at `now` (0: now). */
  delay(size: number, now: number): number {
    this.expire(now);
    let wait = Math.max(0, this.next - now);
    if (this.inWindow + size > this.rate) {
      // Until enough of the window's oldest chunks have left it.
      let left = this.inWindow;
      for (const chunk of this.started) {
        left -= chunk.size;
        if (left + size <= this.rate) {
          wait = Math.max(wait, chunk.at + WINDOW_MS - now);
          break;
        }
      }
    }
    return wait;
  }

  /** Records a chunk of `size` proofs started at `now` (after {@link delay} said 0). */
  take(size: number, now: number): void {
    this.next = Math.max(this.next, now - CATCH_UP_MS) + (size * 1000) / this.rate;
    this.started.push({ at: now, size });
    this.inWindow += size;
  }

  private expire(now: number): void {
    // A chunk started exactly one window ago has left it: windows are half-open, (now - 1 s, now].
    while (this.started.length > 0 && (this.started[0] as { at: number }).at <= now - WINDOW_MS) {
      this.inWindow -= (this.started.shift() as { size: number }).size;
    }
  }
}

/** A worker's message when it runs another kernel than the one it was given, and why. */
export interface KernelFallback {
  readonly type: 'kernel';
  readonly name: KernelName;
  readonly error: string;
}

/** Message to a worker: scan `[from, to)`. */
export interface ChunkRequest {
  readonly jobId: number;
  readonly challenge: PowChallenge;
  readonly from: number;
  readonly to: number;
}

/** A worker's answer for one chunk. */
export interface ChunkResult {
  readonly jobId: number;
  readonly from: number;
  readonly proof: number | null;
  readonly tries: number;
}

/** Outcome of a search. */
export interface MiningResult {
  /** The smallest valid proof. */
  readonly proof: number;
  /** Proofs a sequential miner counting from 0 tries to find it (proof + 1). */
  readonly tries: number;
  /** Hashes actually computed by all threads (>= tries: chunks past the answer also ran). */
  readonly hashes: number;
  readonly seconds: number;
  /** Hashes per second over the search. */
  readonly rate: number;
}

/** Options for {@link ProofMiner}. */
export interface MinerOptions {
  /** Worker threads; default one per core. */
  threads?: number;
  /** Proofs per chunk: small enough that cancelling takes a few ms (default: per kernel). */
  chunkSize?: number;
  /**
   * Kernel the threads run; default `native` where the addon is built and the CPU has SHA-256
   * instructions, else `wasm` (`defaultKernelName`).
   */
  kernel?: KernelName;
  /** Worker script (the compiled pow-worker.js next to this module by default). */
  workerUrl?: URL;
  /** Compiled WebAssembly kernel (dist/kernel/pow.wasm by default). */
  wasmUrl?: URL;
  /** Most hashes per second, over any second (see {@link HashRateLimiter}); no cap when omitted. */
  hashrate?: number;
}

/** Progress of a running search. */
export interface MiningProgress {
  /** Hashes computed so far. */
  readonly hashes: number;
  readonly seconds: number;
  /** Hashes per second so far. */
  readonly rate: number;
}

/** Options of one search. */
export interface SearchOptions {
  readonly signal?: AbortSignal;
  /** Called after each chunk. */
  readonly onProgress?: (progress: MiningProgress) => void;
}

interface Job {
  readonly id: number;
  readonly challenge: PowChallenge;
  readonly started: number;
  next: number;
  best: number | null;
  hashes: number;
  readonly inflight: Set<number>;
  readonly resolve: (r: MiningResult) => void;
  readonly reject: (e: unknown) => void;
  readonly onProgress: ((progress: MiningProgress) => void) | undefined;
}

/** What the node needs of a proof-of-work engine. */
export interface ProofSolver {
  readonly threads: number;
  readonly kernel: string;
  /** Rate of the last finished search, hashes per second. */
  readonly lastRate: number;
  /** The hash-rate cap, hashes per second (none when absent or null). */
  readonly hashrate?: number | null;
  /** Finds the smallest proof that solves `challenge`. */
  search(challenge: PowChallenge, options?: SearchOptions): Promise<MiningResult>;
  close(): Promise<void>;
}

/**
 * A solver on the calling thread, one search after the other: for in-process tests at low
 * difficulty, where starting worker threads would cost more than the search. Deterministic (but
 * for its timing when capped).
 */
export class InlineSolver implements ProofSolver {
  readonly threads = 1;
  readonly kernel = 'crypto';
  readonly hashrate: number | null;
  lastRate = 0;
  private closed = false;
  private readonly limiter: HashRateLimiter | null;

  /** `hashrate`: a cap in hashes per second, as {@link ProofMiner}'s. */
  constructor(options: { hashrate?: number } = {}) {
    this.hashrate = options.hashrate ?? null;
    this.limiter = options.hashrate === undefined ? null : new HashRateLimiter(options.hashrate, performance.now());
  }

  async search(challenge: PowChallenge, options: SearchOptions = {}): Promise<MiningResult> {
    const started = performance.now();
    const size = this.limiter ? Math.min(this.limiter.chunkSize, 65_536) : 65_536;
    let from = 0;
    for (;;) {
      // One turn of the event loop between chunks, so a search can be aborted.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.limiter) {
        for (let wait = this.limiter.delay(size, performance.now()); wait > 0; ) {
          await new Promise<void>((resolve) => setTimeout(resolve, Math.ceil(wait)));
          wait = this.limiter.delay(size, performance.now());
        }
      }
      if (this.closed) throw new BlockforgeError(ErrorCode.ShuttingDown, 'the miner is shut down');
      options.signal?.throwIfAborted();
      const to = Math.min(from + size, MAX_PROOF);
      this.limiter?.take(to - from, performance.now());
      const result = searchProof(challenge, from, to);
      if (result.proof !== null) {
        const seconds = (performance.now() - started) / 1000;
        const hashes = from + result.tries;
        this.lastRate = seconds > 0 ? hashes / seconds : 0;
        return { proof: result.proof, tries: result.proof + 1, hashes, seconds, rate: this.lastRate };
      }
      from = to;
      if (from >= MAX_PROOF) throw new BlockforgeError(ErrorCode.Internal, 'no proof below 2^53');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** A warm pool of proof-of-work threads; one search at a time (searches queue). */
export class ProofMiner implements ProofSolver {
  readonly threads: number;
  /**
   * The kernel the threads run: the one asked for, or the one they fell back to (`wasm` when the
   * native kernel cannot run here, `ts` when the WebAssembly kernel could not load).
   */
  kernel: KernelName;
  /** Why {@link kernel} is not the kernel asked for (null when it is). */
  kernelNote: string | null = null;
  private readonly chunkSize: number;
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private job: Job | null = null;
  private nextJobId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Paces the chunks under a hash-rate cap (null: as fast as the threads go). */
  private readonly limiter: HashRateLimiter | null;
  /** The wake-up of a dispatch the limiter held back. */
  private paceTimer: NodeJS.Timeout | null = null;
  /** Rate of the last finished search, hashes per second. */
  lastRate = 0;
  /** The hash-rate cap, hashes per second, or null. */
  readonly hashrate: number | null;

  constructor(options: MinerOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(this.threads) || this.threads < 1 || this.threads > 256) {
      throw new BlockforgeError(
        ErrorCode.InvalidOption,
        `threads must be an integer from 1 to 256 (got ${this.threads})`,
      );
    }
    this.kernel = options.kernel ?? defaultKernelName();
    if (this.kernel === 'native') {
      // Decided here rather than in each thread, so that `kernel` (GET /mining) and the chunk size
      // are right from the start; the threads still fall back on their own if loading fails there.
      const problem = nativeKernelProblem();
      if (problem !== null) {
        this.kernel = 'wasm';
        this.kernelNote = `no native kernel: ${problem}: using wasm`;
      }
    }
    const chunkSize = options.chunkSize ?? CHUNK_SIZE[this.kernel];
    this.hashrate = options.hashrate ?? null;
    // Checked before any thread starts: a bad cap must not leave threads behind.
    this.limiter =
      options.hashrate === undefined ? null : new HashRateLimiter(options.hashrate, performance.now(), chunkSize);
    // Under a cap, chunks of ~10 ms of the capped rate: small enough for an even pace even at a
    // few thousand hashes per second.
    this.chunkSize = this.limiter ? this.limiter.chunkSize : chunkSize;
    const url = options.workerUrl ?? new URL('./pow-worker.js', import.meta.url);
    const setup: WorkerSetup = { kernel: this.kernel, ...(options.wasmUrl ? { wasmUrl: options.wasmUrl.href } : {}) };
    for (let k = 0; k < this.threads; k++) {
      const worker = new Worker(url, { workerData: setup });
      worker.unref();
      worker.on('message', (message: ChunkResult | KernelFallback) => {
        if ('type' in message) {
          this.kernel = message.name;
          this.kernelNote = message.error;
        } else this.onResult(worker, message);
      });
      worker.on('error', (err) => this.onWorkerError(err));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  /** True while a search runs. */
  get busy(): boolean {
    return this.job !== null;
  }

  /**
   * Finds the smallest proof solving `challenge`. Rejects with code SHUTTING_DOWN if the pool
   * closes, or with the signal's reason if `signal` aborts first.
   */
  search(challenge: PowChallenge, options: SearchOptions = {}): Promise<MiningResult> {
    const run = this.queue.then(() => this.start(challenge, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private start(challenge: PowChallenge, options: SearchOptions): Promise<MiningResult> {
    const { signal, onProgress } = options;
    return new Promise<MiningResult>((resolve, reject) => {
      if (this.closed) {
        reject(new BlockforgeError(ErrorCode.ShuttingDown, 'the miner is shut down'));
        return;
      }
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        if (this.job === job) {
          this.job = null;
          job.reject(signal?.reason);
        }
      };
      const job: Job = {
        id: this.nextJobId++,
        challenge,
        started: performance.now(),
        next: 0,
        best: null,
        hashes: 0,
        inflight: new Set(),
        resolve: (r) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(r);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        onProgress,
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.job = job;
      this.dispatch();
    });
  }

  private dispatch(): void {
    const job = this.job;
    if (!job) return;
    while (this.idle.length > 0 && (job.best === null || job.next < job.best) && job.next < MAX_PROOF) {
      const from = job.next;
      const to = Math.min(from + this.chunkSize, MAX_PROOF);
      if (this.limiter) {
        const now = performance.now();
        const wait = this.limiter.delay(to - from, now);
        if (wait > 0) {
          this.wakeAfter(wait);
          break;
        }
        this.limiter.take(to - from, now);
      }
      const worker = this.idle.pop() as Worker;
      job.next = to;
      job.inflight.add(from);
      const request: ChunkRequest = { jobId: job.id, challenge: job.challenge, from, to };
      worker.postMessage(request);
    }
    if (job.inflight.size === 0 && job.best === null && job.next >= MAX_PROOF) {
      this.job = null;
      job.reject(new BlockforgeError(ErrorCode.Internal, 'no proof below 2^53'));
    }
  }

  /** Dispatches again once the limiter allows the next chunk (one wake-up pending at a time). */
  private wakeAfter(ms: number): void {
    if (this.paceTimer !== null) return;
    this.paceTimer = setTimeout(() => {
      this.paceTimer = null;
      this.dispatch();
    }, Math.ceil(ms));
  }

  private onResult(worker: Worker, result: ChunkResult): void {
    this.idle.push(worker);
    const job = this.job;
    if (!job || result.jobId !== job.id) {
      this.dispatch();
      return;
    }
    job.inflight.delete(result.from);
    job.hashes += result.tries;
    if (job.onProgress) {
      const seconds = (performance.now() - job.started) / 1000;
      job.onProgress({ hashes: job.hashes, seconds, rate: seconds > 0 ? job.hashes / seconds : 0 });
    }
    if (result.proof !== null && (job.best === null || result.proof < job.best)) job.best = result.proof;
    const best = job.best;
    // Done when a hit is known and every chunk below it has been scanned.
    if (best !== null && ![...job.inflight].some((from) => from < best)) {
      this.job = null;
      const seconds = (performance.now() - job.started) / 1000;
      const rate = seconds > 0 ? job.hashes / seconds : 0;
      this.lastRate = rate;
      job.resolve({ proof: best, tries: best + 1, hashes: job.hashes, seconds, rate });
      return;
    }
    this.dispatch();
  }

  private onWorkerError(err: Error): void {
    const job = this.job;
    this.job = null;
    job?.reject(new BlockforgeError(ErrorCode.Internal, `proof-of-work thread failed: ${err.message}`));
  }

  /** Stops the threads; a running search rejects with SHUTTING_DOWN. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.paceTimer !== null) clearTimeout(this.paceTimer);
    this.paceTimer = null;
    const job = this.job;
    this.job = null;
    job?.reject(new BlockforgeError(ErrorCode.ShuttingDown, 'the miner is shut down'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
