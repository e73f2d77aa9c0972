/**
 * The proof-of-work engine: a warm pool of worker threads that claim ascending chunks of proofs
 * and keep the smallest hit, so the answer equals the tutorial's sequential count from 0 while
 * the event loop stays free. A search can be cancelled; it stops when the chunks in flight end
 * (each is sized to take a few milliseconds).
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { MAX_PROOF, type PowChallenge, searchProof } from '../core/pow.js';
import type { KernelName } from '../core/pow-kernel.js';

/** What each worker is started with. */
export interface WorkerSetup {
  readonly kernel: KernelName;
  /** Location of the compiled WebAssembly kernel (href), when not the default. */
  readonly wasmUrl?: string;
}

/**
 * Proofs per chunk for each kernel: about 10 ms of work at its single-thread rate (measured:
 * wasm ~12 M/s, ts ~2 M/s, crypto ~1.5 M/s), so a cancelled search stops within a few chunks'
 * time at most, and small searches finish in the first round of chunks.
 */
const CHUNK_SIZE: Record<KernelName, number> = { wasm: 131_072, ts: 16_384, crypto: 16_384 };

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
  /** Kernel the threads run; default `wasm`. */
  kernel?: KernelName;
  /** Worker script (the compiled pow-worker.js next to this module by default). */
  workerUrl?: URL;
  /** Compiled WebAssembly kernel (dist/kernel/pow.wasm by default). */
  wasmUrl?: URL;
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
  /** Finds the smallest proof that solves `challenge`. */
  search(challenge: PowChallenge, options?: SearchOptions): Promise<MiningResult>;
  close(): Promise<void>;
}

/**
 * A solver on the calling thread, one search after the other: for in-process tests at low
 * difficulty, where starting worker threads would cost more than the search. Deterministic.
 */
export class InlineSolver implements ProofSolver {
  readonly threads = 1;
  readonly kernel = 'crypto';
  lastRate = 0;
  private closed = false;

  async search(challenge: PowChallenge, options: SearchOptions = {}): Promise<MiningResult> {
    const started = performance.now();
    let from = 0;
    for (;;) {
      // One turn of the event loop between chunks, so a search can be aborted.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.closed) throw new BlockforgeError(ErrorCode.ShuttingDown, 'the miner is shut down');
      options.signal?.throwIfAborted();
      const to = Math.min(from + 65_536, MAX_PROOF);
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
  /** The kernel the threads run (`ts` if the WebAssembly kernel could not load). */
  kernel: KernelName;
  private readonly chunkSize: number;
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private job: Job | null = null;
  private nextJobId = 1;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Rate of the last finished search, hashes per second. */
  lastRate = 0;

  constructor(options: MinerOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(this.threads) || this.threads < 1 || this.threads > 256) {
      throw new BlockforgeError(
        ErrorCode.InvalidOption,
        `threads must be an integer from 1 to 256 (got ${this.threads})`,
      );
    }
    this.kernel = options.kernel ?? 'wasm';
    this.chunkSize = options.chunkSize ?? CHUNK_SIZE[this.kernel];
    const url = options.workerUrl ?? new URL('./pow-worker.js', import.meta.url);
    const setup: WorkerSetup = { kernel: this.kernel, ...(options.wasmUrl ? { wasmUrl: options.wasmUrl.href } : {}) };
    for (let k = 0; k < this.threads; k++) {
      const worker = new Worker(url, { workerData: setup });
      worker.unref();
      worker.on('message', (message: ChunkResult | { type: 'kernel'; name: KernelName }) => {
        if ('type' in message) this.kernel = message.name;
        else this.onResult(worker, message);
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
      const worker = this.idle.pop() as Worker;
      const from = job.next;
      const to = Math.min(from + this.chunkSize, MAX_PROOF);
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
    const job = this.job;
    this.job = null;
    job?.reject(new BlockforgeError(ErrorCode.ShuttingDown, 'the miner is shut down'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
