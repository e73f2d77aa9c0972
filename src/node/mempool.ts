/**
 * The pending transactions of one node, in arrival order, each with its storage row once committed.
 * Bounded by count and by bytes (canonical bytes, the same measure as block sizes). Transactions
 * are matched by id as a multiset: the tutorial's have no id but their canonical text, so two equal
 * payments are two entries.
 */

import type { Transaction } from '../core/block.js';

/** A pending transaction and its storage row (null while its commit is queued). */
interface Entry {
  readonly tx: Transaction;
  row: number | null;
}

/** Pending transactions, oldest first. */
export class Mempool {
  private entries: Entry[] = [];
  /** The same transactions, kept in step: what profiles and readers are given without copying. */
  private list: Transaction[] = [];
  /**
   * The entries whose commit is queued (row null), in the order they were added: `committed` looks
   * only at these, so a commit costs its own batch, not the whole mempool (a scan from the oldest
   * entry made ingest quadratic: 35 us a request at 50,000 pending).
   */
  private queued: Entry[] = [];
  private byteCount = 0;

  /** Transactions, oldest first (a live read-only view). */
  get transactions(): readonly Transaction[] {
    return this.list;
  }

  get size(): number {
    return this.entries.length;
  }

  /** Canonical bytes of every pending transaction. */
  get bytes(): number {
    return this.byteCount;
  }

  /** Adds a transaction whose commit is queued. */
  add(tx: Transaction): void {
    const entry: Entry = { tx, row: null };
    this.entries.push(entry);
    this.list.push(tx);
    this.queued.push(entry);
    this.byteCount += tx.canonical.length;
  }

  /** Records the storage rows of queued transactions, in the order they were added. */
  committed(txs: readonly Transaction[], rows: readonly number[]): void {
    const queued = this.queued;
    let k = 0;
    let j = 0;
    // Fast path: the batch is the queue's head, in order (a group commit takes everything queued).
    while (k < txs.length && j < queued.length && (queued[j] as Entry).tx === txs[k]) {
      (queued[j] as Entry).row = rows[k] as number;
      k++;
      j++;
    }
    if (k === txs.length) {
      this.queued = j === queued.length ? [] : queued.slice(j);
      return;
    }
    // Otherwise (rare: an entry removed or a batch out of step), each transaction finds its entry.
    const rest = queued.slice(j);
    for (; k < txs.length; k++) {
      const tx = txs[k];
      const at = rest.findIndex((entry) => entry.tx === tx);
      if (at < 0) continue;
      (rest[at] as Entry).row = rows[k] as number;
      rest.splice(at, 1);
    }
    this.queued = rest;
  }

  /** Forgets queued transactions whose commit failed. */
  discard(txs: readonly Transaction[]): void {
    const gone = new Set(txs);
    this.keep((entry) => !(entry.row === null && gone.has(entry.tx)));
  }

  /**
   * Removes the pending transactions a block contains (by id, each at most as often as the block
   * has it) and returns their storage rows.
   */
  removeIncluded(included: readonly Transaction[]): number[] {
    const counts = new Map<string, number>();
    for (const tx of included) counts.set(tx.id, (counts.get(tx.id) ?? 0) + 1);
    const rows: number[] = [];
    this.keep((entry) => {
      const count = counts.get(entry.tx.id) ?? 0;
      if (count === 0) return true;
      counts.set(entry.tx.id, count - 1);
      if (entry.row !== null) rows.push(entry.row);
      return false;
    });
    return rows;
  }

  /** Removes these pending transactions (by identity) and returns their storage rows. */
  remove(txs: ReadonlySet<Transaction>): number[] {
    const rows: number[] = [];
    this.keep((entry) => {
      if (!txs.has(entry.tx)) return true;
      if (entry.row !== null) rows.push(entry.row);
      return false;
    });
    return rows;
  }

  /** Adds a transaction already committed at storage row `row`. */
  addCommitted(tx: Transaction, row: number): void {
    this.entries.push({ tx, row });
    this.list.push(tx);
    this.byteCount += tx.canonical.length;
  }

  /** Replaces every entry (after a reorg): `txs` with their new storage rows. */
  reset(txs: readonly Transaction[], rows: readonly number[]): void {
    this.entries = txs.map((tx, k) => ({ tx, row: rows[k] as number }));
    this.list = [...txs];
    this.queued = [];
    this.byteCount = 0;
    for (const tx of txs) this.byteCount += tx.canonical.length;
  }

  private keep(predicate: (entry: Entry) => boolean): void {
    const entries: Entry[] = [];
    const list: Transaction[] = [];
    let bytes = 0;
    for (const entry of this.entries) {
      if (!predicate(entry)) continue;
      entries.push(entry);
      list.push(entry.tx);
      bytes += entry.tx.canonical.length;
    }
    this.entries = entries;
    this.list = list;
    this.byteCount = bytes;
    if (this.queued.length > 0) {
      const kept = new Set(entries);
      this.queued = this.queued.filter((entry) => kept.has(entry) && entry.row === null);
    }
  }
}
