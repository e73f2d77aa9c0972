/**
 * What a node announces as it changes: the API streams these to browsers (Server-Sent Events) and
 * the peer layer pushes blocks and transactions to peers. Listeners run after the change is on disk.
 */

import { EventEmitter } from 'node:events';
import type { Block, Transaction } from '../core/block.js';

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
