/**
 * Mempool reconciliation when a node switches to another chain: transactions of our dropped
 * blocks that the adopted blocks lack go back to pending (rewards excepted), and pending
 * transactions the adopted blocks now contain are dropped. Transactions are compared by id as a
 * multiset (the tutorial's have no id but their canonical JSON: two identical payments stay two).
 */

import type { Block, Transaction } from '../core/block.js';

/** Result of {@link reconcileMempool}. */
export interface Reconciliation {
  /** Number of leading blocks both chains share (0 when even the genesis differs). */
  readonly common: number;
  /** The pending list after the switch: returned transactions first (oldest first), then ours. */
  readonly pending: Transaction[];
  /** Transactions that went back to pending from our dropped blocks. */
  readonly returned: number;
  /** Pending transactions dropped because the adopted chain has them. */
  readonly dropped: number;
}

/** Computes the mempool after replacing `ours` with `theirs`. Pure. */
export function reconcileMempool(
  ours: readonly Block[],
  theirs: readonly Block[],
  pending: readonly Transaction[],
  isReward: (tx: Transaction) => boolean,
): Reconciliation {
  let common = 0;
  const limit = Math.min(ours.length, theirs.length);
  while (common < limit && ours[common]?.hash === theirs[common]?.hash) common++;

  const candidates: Transaction[] = [];
  for (let k = common; k < ours.length; k++) {
    for (const tx of (ours[k] as Block).transactions) if (!isReward(tx)) candidates.push(tx);
  }
  const fromBlocks = candidates.length;
  candidates.push(...pending);
  // Nothing to return or drop (a fresh node adopting a chain): skip counting the adopted blocks.
  if (candidates.length === 0) return { common, pending: [], returned: 0, dropped: 0 };

  // What the adopted blocks contain, counted.
  const inAdopted = new Map<string, number>();
  for (let k = common; k < theirs.length; k++) {
    for (const tx of (theirs[k] as Block).transactions) {
      if (!isReward(tx)) inAdopted.set(tx.id, (inAdopted.get(tx.id) ?? 0) + 1);
    }
  }
  const kept: Transaction[] = [];
  let returned = 0;
  let dropped = 0;
  candidates.forEach((tx, k) => {
    const count = inAdopted.get(tx.id) ?? 0;
    if (count > 0) {
      inAdopted.set(tx.id, count - 1);
      if (k >= fromBlocks) dropped++;
      return;
    }
    if (k < fromBlocks) returned++;
    kept.push(tx);
  });
  return { common, pending: kept, returned, dropped };
}
