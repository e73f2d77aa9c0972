/**
 * Stale blocks: blocks this node validated that are not (or no longer) on its chain, kept so the
 * explorer can draw the block tree the node has seen (`GET /forks`). Three ways in: our blocks a
 * reorg dropped (`reorg`), a pushed sibling of one of our blocks that ties our chain's work
 * (`sibling`), and a validated branch that did not beat our chain (`branch`: a sync that lost, or
 * a pushed block whose switch lost a race). In memory only (a restart
 * forgets them: they are not part of the chain and nothing depends on them), bounded by count and
 * by the bytes of their wire JSON, oldest evicted first. A block that is adopted again leaves.
 *
 * Also the arrival times of this run's active blocks (bounded too), so the tree can say when each
 * block was seen; blocks loaded from disk at start have none.
 */

/** Most stale blocks kept. */
export const MAX_STALE_BLOCKS = 1_000;

/**
 * Most bytes of wire JSON (UTF-8) of the stale blocks kept: 16 MiB. A block larger than this on
 * its own is not kept.
 */
export const MAX_STALE_BYTES = 16 * 1024 * 1024;

/** Arrival times of active blocks remembered (the newest). */
export const MAX_SIGHTINGS = 4_096;

/** How a stale block came to be here. */
export type StaleSource = 'reorg' | 'sibling' | 'branch';

/** One stale block. */
export interface StaleBlock {
  readonly height: number;
  readonly hash: string;
  /** Its parent's hash (null: a genesis block of another chain). */
  readonly parent: string | null;
  /** Cumulative work: the fork point's work plus the work of its branch up to and including it. */
  readonly work: bigint;
  /** Unix seconds when this node first saw it (validated it, or mined or received it, for a dropped one). */
  readonly seenAt: number;
  readonly source: StaleSource;
  /** The peer it came from, when known. */
  readonly peer: string | null;
  /** Its wire JSON, UTF-8 (counted against {@link MAX_STALE_BYTES}). */
  readonly json: Buffer;
}

/** Bounds of a {@link StaleBlocks} store. */
export interface StaleLimits {
  readonly maxBlocks: number;
  readonly maxBytes: number;
  /** Arrival times remembered: at least the last this many, at most twice as many. */
  readonly maxSightings: number;
}

/** The stale blocks of one node, oldest first. */
export class StaleBlocks {
  private readonly blocks = new Map<string, StaleBlock>();
  // Two generations, dropped whole: deleting a Map's oldest entry one at a time leaves holes at its
  // front that later lookups walk over (measured: 20-90 ms per 20,000-block sync).
  private sightings = new Map<string, number>();
  private olderSightings = new Map<string, number>();
  private totalBytes = 0;
  private readonly limits: StaleLimits;

  constructor(limits: Partial<StaleLimits> = {}) {
    this.limits = {
      maxBlocks: MAX_STALE_BLOCKS,
      maxBytes: MAX_STALE_BYTES,
      maxSightings: MAX_SIGHTINGS,
      ...limits,
    };
  }

  /** Stale blocks kept. */
  get size(): number {
    return this.blocks.size;
  }

  /** Most blocks kept. */
  get capacity(): number {
    return this.limits.maxBlocks;
  }

  /** Bytes of their wire JSON. */
  get bytes(): number {
    return this.totalBytes;
  }

  /**
   * Keeps `block` (a block already kept is left as it is). Returns whether it was added. Evicts
   * the oldest blocks past the bounds; a block over the byte bound alone is not kept.
   */
  add(block: Omit<StaleBlock, 'seenAt'> & { seenAt?: number }, now: number): boolean {
    if (this.blocks.has(block.hash) || block.json.length > this.limits.maxBytes || this.limits.maxBlocks < 1) {
      return false;
    }
    const seenAt = block.seenAt ?? this.sighting(block.hash) ?? now;
    this.blocks.set(block.hash, { ...block, seenAt });
    this.totalBytes += block.json.length;
    while (this.blocks.size > this.limits.maxBlocks || this.totalBytes > this.limits.maxBytes) {
      const oldest = this.blocks.values().next().value as StaleBlock;
      this.remove(oldest.hash);
    }
    return true;
  }

  /** Forgets a block (it is on the chain again). */
  remove(hash: string): boolean {
    const block = this.blocks.get(hash);
    if (!block) return false;
    this.blocks.delete(hash);
    this.totalBytes -= block.json.length;
    return true;
  }

  has(hash: string): boolean {
    return this.blocks.has(hash);
  }

  get(hash: string): StaleBlock | undefined {
    return this.blocks.get(hash);
  }

  /** Every stale block, oldest first. */
  list(): StaleBlock[] {
    return [...this.blocks.values()];
  }

  /** Notes when an active block arrived (the first time only). */
  sawActive(hash: string, now: number): void {
    if (this.sightings.has(hash) || this.olderSightings.has(hash)) return;
    this.sightings.set(hash, now);
    if (this.sightings.size >= this.limits.maxSightings) {
      this.olderSightings = this.sightings;
      this.sightings = new Map();
    }
  }

  private sighting(hash: string): number | undefined {
    return this.sightings.get(hash) ?? this.olderSightings.get(hash);
  }

  /** When an active block arrived, if this run saw it arrive. */
  seenAt(hash: string): number | null {
    return this.sighting(hash) ?? this.blocks.get(hash)?.seenAt ?? null;
  }
}
