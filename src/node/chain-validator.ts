/**
 * Chain validation on several threads, for long peer chains. The calling thread runs every rule
 * that needs no hashing (shapes, transactions, rewards) and builds the blocks, exactly as the
 * profile's own validateBlocks does, while worker threads hash the blocks in batches as they are
 * handed out and check the links and proofs of work. The outcome is the same as
 * `profile.validateBlocks` (the reference, used as is for short lists and for profiles without
 * split hashing): the same blocks and hashes, or the same error for the same block.
 *
 * Usage (one validator per node, closed with it):
 *   const validator = new ChainValidator();
 *   const blocks = await validator.validateChainResponse(profile, parseJson(body)); // or
 *   const more = await validator.validateBlocks(profile, tip, values);
 *   await validator.close();
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Block } from '../core/block.js';
import { chainEnvelope } from '../core/chain.js';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import type { JsonValue } from '../core/json.js';
import type { RuleProfile } from '../core/profile.js';
import { chainHashing, type HashBatch, type HashBatchResult, type HashRules } from '../core/tutorial-profile.js';

/**
 * A {@link HashBatch} as sent to a worker: each list joined into one string, with the lengths to
 * cut it again. Copying a few long strings between threads costs a fraction of copying hundreds of
 * short ones (measured: structured-cloning the lists cost the calling thread about as much as the
 * hashing it hands off).
 */
export interface PackedBatch {
  readonly from: number;
  readonly canonicals: string;
  readonly canonicalLengths: Int32Array;
  readonly proofs: string;
  readonly proofLengths: Int32Array;
  /** The previous_hash strings joined; a length of -1 stands for null. */
  readonly previousHashes: string;
  readonly previousHashLengths: Int32Array;
  readonly prevProof: string | null;
}

/** Message to a validation worker. */
export interface HashRequest {
  readonly id: number;
  readonly rules: HashRules;
  readonly batch: PackedBatch;
}

/** Packs a batch for a worker (see {@link PackedBatch}). */
export function packBatch(batch: HashBatch): PackedBatch {
  const m = batch.canonicals.length;
  const canonicalLengths = new Int32Array(m);
  const proofLengths = new Int32Array(m);
  const previousHashLengths = new Int32Array(m);
  const hashes: string[] = [];
  for (let j = 0; j < m; j++) {
    canonicalLengths[j] = (batch.canonicals[j] as string).length;
    proofLengths[j] = (batch.proofs[j] as string).length;
    const claimed = batch.previousHashes[j] ?? null;
    if (claimed === null) previousHashLengths[j] = -1;
    else {
      previousHashLengths[j] = claimed.length;
      hashes.push(claimed);
    }
  }
  return {
    from: batch.from,
    canonicals: batch.canonicals.join(''),
    canonicalLengths,
    proofs: batch.proofs.join(''),
    proofLengths,
    previousHashes: hashes.join(''),
    previousHashLengths,
    prevProof: batch.prevProof,
  };
}

/** The batch a {@link PackedBatch} was made from. */
export function unpackBatch(packed: PackedBatch): HashBatch {
  const m = packed.canonicalLengths.length;
  const canonicals: string[] = new Array(m);
  const proofs: string[] = new Array(m);
  const previousHashes: (string | null)[] = new Array(m);
  let c = 0;
  let p = 0;
  let h = 0;
  for (let j = 0; j < m; j++) {
    const cl = packed.canonicalLengths[j] as number;
    canonicals[j] = packed.canonicals.slice(c, c + cl);
    c += cl;
    const pl = packed.proofLengths[j] as number;
    proofs[j] = packed.proofs.slice(p, p + pl);
    p += pl;
    const hl = packed.previousHashLengths[j] as number;
    if (hl < 0) previousHashes[j] = null;
    else {
      previousHashes[j] = packed.previousHashes.slice(h, h + hl);
      h += hl;
    }
  }
  return { from: packed.from, canonicals, proofs, previousHashes, prevProof: packed.prevProof };
}

/** A validation worker's answer. */
export interface HashResponse {
  readonly id: number;
  readonly result?: HashBatchResult;
  readonly error?: string;
}

/** Options for {@link ChainValidator}. */
export interface ChainValidatorOptions {
  /** Worker threads; default one per core but one (the calling thread works too), at least 1. */
  threads?: number;
  /** Blocks per batch handed to a worker. */
  batchSize?: number;
  /** Lists shorter than this are validated on the calling thread alone. */
  minBlocks?: number;
  /** Worker script (the compiled chain-validator-worker.js next to this module by default). */
  workerUrl?: URL;
}

interface Waiting {
  readonly resolve: (r: HashBatchResult) => void;
  readonly reject: (e: unknown) => void;
}

/** A pool of hashing threads that validates chains with the calling thread. */
export class ChainValidator {
  readonly threads: number;
  private readonly batchSize: number;
  private readonly minBlocks: number;
  private readonly workers: Worker[] = [];
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private nextWorker = 0;
  private closed = false;

  constructor(options: ChainValidatorOptions = {}) {
    this.threads = options.threads ?? Math.max(1, availableParallelism() - 1);
    if (!Number.isInteger(this.threads) || this.threads < 1 || this.threads > 256) {
      throw new BlockforgeError(
        ErrorCode.InvalidOption,
        `threads must be an integer from 1 to 256 (got ${this.threads})`,
      );
    }
    this.batchSize = options.batchSize ?? 256;
    this.minBlocks = options.minBlocks ?? 512;
    const url = options.workerUrl ?? new URL('./chain-validator-worker.js', import.meta.url);
    for (let k = 0; k < this.threads; k++) {
      const worker = new Worker(url);
      worker.unref();
      worker.on('message', (response: HashResponse) => this.onResponse(response));
      worker.on('error', (err) => this.failAll(err));
      this.workers.push(worker);
    }
  }

  /**
   * `profile.validateBlocks(prev, blocks)`, with the hashing on the worker threads: resolves with
   * the same blocks or rejects with the same error.
   */
  async validateBlocks(profile: RuleProfile, prev: Block | null, blocks: readonly JsonValue[]): Promise<Block[]> {
    const hashing = chainHashing(profile);
    if (!hashing || this.closed || blocks.length < this.minBlocks) return profile.validateBlocks(prev, blocks);
    const { rules } = hashing;
    const results: Promise<HashBatchResult>[] = [];
    const chain = hashing.startDeferred(prev, blocks, this.batchSize, (batch) => {
      results.push(this.hash(rules, batch));
    });
    return chain.finish(await Promise.all(results));
  }

  /** `validateChainResponse(profile, value)` (src/core/chain.ts), with the hashing on the worker threads. */
  async validateChainResponse(profile: RuleProfile, value: JsonValue): Promise<Block[]> {
    return this.validateBlocks(profile, null, chainEnvelope(value));
  }

  /** Stops the threads; validations under way reject with SHUTTING_DOWN. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.failAll(new BlockforgeError(ErrorCode.ShuttingDown, 'the chain validator is shut down', { statusCode: 503 }));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private hash(rules: HashRules, batch: HashBatch): Promise<HashBatchResult> {
    return new Promise<HashBatchResult>((resolve, reject) => {
      if (this.closed) {
        reject(new BlockforgeError(ErrorCode.ShuttingDown, 'the chain validator is shut down', { statusCode: 503 }));
        return;
      }
      const id = this.nextId++;
      this.waiting.set(id, { resolve, reject });
      const worker = this.workers[this.nextWorker++ % this.workers.length] as Worker;
      const request: HashRequest = { id, rules, batch: packBatch(batch) };
      worker.postMessage(request);
    });
  }

  private onResponse(response: HashResponse): void {
    const waiting = this.waiting.get(response.id);
    if (!waiting) return;
    this.waiting.delete(response.id);
    if (response.result) waiting.resolve(response.result);
    else {
      waiting.reject(
        new BlockforgeError(ErrorCode.Internal, `chain validation thread failed: ${response.error}`, {
          statusCode: 500,
        }),
      );
    }
  }

  private failAll(err: unknown): void {
    const error =
      err instanceof BlockforgeError
        ? err
        : new BlockforgeError(ErrorCode.Internal, `chain validation thread failed: ${(err as Error).message}`, {
            statusCode: 500,
          });
    for (const waiting of this.waiting.values()) waiting.reject(error);
    this.waiting.clear();
  }
}
