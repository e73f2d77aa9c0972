/**
 * What a node announces as it changes: the API streams these to browsers (Server-Sent Events) and
 * the peer layer pushes blocks and transactions to peers. Listeners run after the change is on disk.
 */

import { EventEmitter } from 'node:events';
import type { Block, Transaction } from '../core/block.js';
import type { StaleSource } from './stale-blocks.js';

/** A block named by its height and hash. */
export interface BlockRef {
  readonly height: number;
  readonly hash: string;
}

/** A chain's tip and total work. */
export interface TipRef extends BlockRef {
  readonly work: bigint;
}

/** Most entries each list of a {@link ReorgEvent} names (the counts are whole). */
export const MAX_REORG_LIST = 1_000;

/**
 * A switch to another branch, in full: the fork point (height 0 and hash null when even the
 * genesis differs), our blocks dropped and the branch's blocks added (height and hash each, the
 * ones nearest the fork first, at most {@link MAX_REORG_LIST} each; the counts are whole), the
 * transactions of the dropped blocks that are back in the mempool (ids, same bound), the tips
 * before and after.
 */
export interface ReorgEvent {
  readonly fork: { readonly height: number; readonly hash: string | null };
  readonly dropped: readonly BlockRef[];
  readonly droppedCount: number;
  readonly added: readonly BlockRef[];
  readonly addedCount: number;
  readonly returned: readonly string[];
  readonly returnedCount: number;
  readonly oldTip: TipRef;
  readonly newTip: TipRef;
  readonly peer?: string;
}

/** A block this node validated and keeps off its chain (see `stale-blocks.ts`). */
export interface StaleEvent {
  readonly block: BlockRef;
  readonly parent: string | null;
  readonly work: bigint;
  readonly source: StaleSource;
  readonly peer?: string;
}

/** Events and their payloads. */
export interface NodeEventMap {
  /** A block was appended: forged here (`mined`) or received from a peer (`peer`). */
  block: [{ block: Block; source: 'mined' | 'peer'; peer?: string }];
  /** A transaction entered the mempool (from a client or a peer). */
  transaction: [{ tx: Transaction; id: string; source: 'client' | 'peer'; peer?: string }];
  /**
   * The chain was replaced by one with more work: `previous` and `height` are the heights before and
   * after, `common` the blocks both share (0: another genesis), `returned` the transactions of our
   * dropped blocks back in the mempool, `dropped` the pending ones the adopted blocks already hold.
   */
  'chain-replaced': [
    { height: number; previous: number; common: number; returned: number; dropped: number; peer?: string },
  ];
  /** The chain switched branches (emitted with `chain-replaced`, after it): what changed, block by block. */
  reorg: [ReorgEvent];
  /** Blocks were kept as stale (validated, not on our chain): a sibling or a losing branch, not a reorg's. */
  stale: [StaleEvent];
  /** The peer list or a peer's health changed. */
  peers: [{ peers: readonly string[] }];
  /** A proof-of-work search started or ended. */
  mining: [{ mining: boolean; rate: number }];
  /** A running search's progress, at most a few times a second. */
  'mining-progress': [{ index: number; hashes: number; seconds: number; rate: number; expected: number }];
}

/** A typed event emitter for {@link NodeEventMap}. */
export class NodeEvents extends EventEmitter<NodeEventMap> {
  constructor() {
    super();
    // Every open browser tab holds a listener; the default cap of 10 would warn on a classroom.
    this.setMaxListeners(0);
  }
}
