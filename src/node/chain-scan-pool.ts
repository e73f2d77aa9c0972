/**
 * A whole chain text validated on every core: the text is cut at block starts into one part per
 * thread; worker threads scan the later parts while this thread scans the first, then the core's
 * scanner stitches them (checking each cut: position, link and proof of work across it). The text
 * is shared with the workers, not copied to each (a SharedArrayBuffer).
 *
 * Measured (bench/validate.mjs, 10,000-block seed chain, 3.4 MB, 2 cores): one thread ~2x the
 * time of two. Below {@link PARALLEL_MIN_BYTES} a part is too small to pay for the messages.
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { type ChainSegment, type ChainSummary, hasChainScanner, validateChainText } from '../core/chain-scan.js';
import type { RuleProfile } from '../core/profile.js';
import { bestHashBatch } from './hash-batch.js';

/** Texts below this many bytes are scanned on one thread (a part must outweigh a message round trip). */
export const PARALLEL_MIN_BYTES = 256 * 1024;

/** What a worker is asked: scan `bytes[start ..]` up to `stopAt` under the named profile. */
export interface ScanJob {
  readonly id: number;
  readonly bytes: Uint8Array;
  readonly start: number;
  readonly stopAt: number;
  readonly profile: string;
  readonly params: Readonly<Record<string, number | string>>;
}

/** A worker's answer. */
export interface ScanReply {
  readonly id: number;
  readonly part: ChainSegment | null;
}

/** Options of {@link ChainScanPool}. */
export interface ChainScanPoolOptions {
  /** Worker threads (default: the cores less this one, at least 1). */
  readonly threads?: number;
  /** The worker module (default: chain-scan-worker.js beside this module in dist/). */
  readonly workerUrl?: URL;
  /** Smallest text split into parts (default {@link PARALLEL_MIN_BYTES}). */
  readonly minParallelBytes?: number;
}

/** Worker threads that scan parts of chain texts. Unreferenced: they never keep a process alive. */
export class ChainScanPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, { worker: Worker; resolve: (part: ChainSegment | null) => void }>();
  private nextId = 1;
  private closed = false;
  private readonly minParallelBytes: number;

  constructor(options: ChainScanPoolOptions = {}) {
    const threads = options.threads ?? Math.max(1, availableParallelism() - 1);
    if (!Number.isInteger(threads) || threads < 0 || threads > 256) throw new RangeError(`threads: ${threads}`);
    this.minParallelBytes = options.minParallelBytes ?? PARALLEL_MIN_BYTES;
    const url = options.workerUrl ?? new URL('./chain-scan-worker.js', import.meta.url);
    for (let k = 0; k < threads; k++) {
      const worker = new Worker(url);
      worker.on('message', (reply: ScanReply) => {
        const entry = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        this.settled(worker);
        entry?.resolve(reply.part);
      });
      // A worker that fails answers nothing: its parts are scanned here (see scan).
      worker.on('error', () => this.dropWorker(worker));
      worker.on('exit', () => this.dropWorker(worker));
      // After the listeners: adding a 'message' listener refs the worker again (Node 20). Idle
      // workers are unreferenced; a job refs its worker until it answers (see ask).
      worker.unref();
      this.workers.push(worker);
    }
  }

  /** Worker threads running. */
  get threads(): number {
    return this.workers.length;
  }

  /**
   * Validates the `/chain` text `bytes` under `profile` as {@link validateChainText} does (same
   * verdicts, same errors), with the parts of a large tutorial chain scanned on the workers.
   */
  async scan(profile: RuleProfile, bytes: Uint8Array): Promise<ChainSummary> {
    const hashBatch = bestHashBatch();
    const workers = this.workers;
    if (
      this.closed ||
      workers.length === 0 ||
      bytes.length < this.minParallelBytes ||
      !hasChainScanner(profile) ||
      !profile.scanChainPart ||
      !profile.partStartNear
    ) {
      return validateChainText(profile, bytes, { hashBatch });
    }
    const shared = toShared(bytes);
    // Cuts: the first block, then a likely block start near each k/(threads + 1) of the text.
    const cuts: number[] = [profile.partStartNear(shared, 0)];
    if ((cuts[0] as number) < 0) return validateChainText(profile, bytes, { hashBatch });
    const parts = workers.length + 1;
    for (let k = 1; k < parts; k++) {
      const cut = profile.partStartNear(shared, Math.floor((shared.length * k) / parts));
      if (cut > (cuts[cuts.length - 1] as number)) cuts.push(cut);
    }
    const end = shared.length + 1; // never met: the last part runs to the chain list's end
    const asked = cuts.slice(1).map((start, k) => this.ask(k, shared, start, cuts[k + 2] ?? end, profile));
    // This thread's part while the workers scan theirs.
    const head = profile.scanChainPart(shared, cuts[0] as number, cuts[1] ?? end, hashBatch);
    const tail = await Promise.all(asked);
    // Stitched only when the parts reach the chain's end (a part that was not sure, or a worker
    // that died, leaves the whole text to the single-thread scan below).
    const done: ChainSegment[] = [];
    for (const part of [head, ...tail]) {
      if (part === null) break;
      done.push(part);
      if (part.closed) break;
    }
    if (done.length > 0 && (done[done.length - 1] as ChainSegment).closed) {
      const summary = profile.scanChainText(shared, hashBatch, done);
      if (summary) return { ...summary, scanned: true };
    }
    // Not sure (a broken rule, an odd shape): the single-thread path decides, and names the rule.
    return validateChainText(profile, bytes, { hashBatch });
  }

  private ask(
    k: number,
    bytes: Uint8Array,
    start: number,
    stopAt: number,
    profile: RuleProfile,
  ): Promise<ChainSegment | null> {
    const worker = this.workers[k % this.workers.length];
    if (!worker) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, { worker, resolve });
      // Referenced while it works: a scan awaiting only its workers must keep the process alive.
      worker.ref();
      const job: ScanJob = { id, bytes, start, stopAt, profile: profile.name, params: profile.params };
      worker.postMessage(job);
    });
  }

  /** Unreferences `worker` once it has no job left (an idle pool never keeps a process alive). */
  private settled(worker: Worker): void {
    for (const entry of this.pending.values()) if (entry.worker === worker) return;
    worker.unref();
  }

  private dropWorker(worker: Worker): void {
    const k = this.workers.indexOf(worker);
    if (k >= 0) this.workers.splice(k, 1);
    // Whatever it was asked is answered "not sure": the stitching scan reads those blocks itself.
    for (const [id, entry] of this.pending) {
      if (entry.worker !== worker) continue;
      this.pending.delete(id);
      entry.resolve(null);
    }
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((w) => w.terminate()));
    for (const entry of this.pending.values()) entry.resolve(null);
    this.pending.clear();
  }
}

/** `bytes` on shared memory (copied once when it is not already). */
function toShared(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length));
  shared.set(bytes);
  return shared;
}
