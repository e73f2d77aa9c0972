/**
 * A chain adopted from a peer, as the page explains it. The node's `chain-replaced` event says how
 * many blocks both chains share (`common`), how many transactions went back to pending
 * (`returned`) and how many pending ones the adopted chain already holds (`dropped`); the page
 * knows the chain and the pending list it had before, and reloads the pending list after, so it
 * can name the transactions that came back. No DOM here, so unit tests run it.
 */

import { canonicalJson } from '../../src/core/canonical.js';
import type { JsonObject } from '../../src/core/json.js';
import type { ReorgNotice } from './store.js';

/** The `chain-replaced` event's data. */
export interface ChainReplaced {
  readonly height: number;
  /** The node's height before the switch (newer nodes send it). */
  readonly previous?: number;
  readonly common: number;
  readonly returned: number;
  readonly dropped: number;
  readonly peer?: string;
}

/**
 * The transactions in `after` that were not in `before`, counted as a multiset (two equal
 * transactions pending are two), in `after`'s order.
 */
export function newlyPending(before: readonly JsonObject[], after: readonly JsonObject[]): JsonObject[] {
  const counts = new Map<string, number>();
  for (const tx of before) {
    const key = canonicalJson(tx);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const out: JsonObject[] = [];
  for (const tx of after) {
    const key = canonicalJson(tx);
    const left = counts.get(key) ?? 0;
    if (left > 0) counts.set(key, left - 1);
    else out.push(tx);
  }
  return out;
}

/**
 * The banner's notice for a chain switch, or null when the chains share a block (an ordinary
 * fork: the activity feed says it). `previousHeight` is the height the page knew before the
 * event, or null if it had not loaded the chain yet.
 */
export function reorgNotice(
  event: ChainReplaced,
  previousHeight: number | null,
  pendingBefore: readonly JsonObject[],
  pendingAfter: readonly JsonObject[],
  time = Date.now() / 1000,
): ReorgNotice | null {
  if (event.common !== 0) return null;
  // The node's own figure when it sends one; else what the page knew.
  const before = event.previous ?? previousHeight;
  return {
    peer: event.peer ?? null,
    height: event.height,
    droppedBlocks: before === null ? null : Math.max(0, before - event.common),
    returned: event.returned,
    alreadyIncluded: event.dropped,
    transactions: newlyPending(pendingBefore, pendingAfter),
    time,
  };
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** The banner's sentences, in order (the title first). */
export function reorgSentences(notice: ReorgNotice): string[] {
  const from = notice.peer ? ` from ${notice.peer}` : '';
  const out = [
    'This node switched to a chain with another genesis block.',
    `The chain${from} has ${plural(notice.height, 'block', 'blocks')} and shares none with ours: ${
      notice.droppedBlocks === null
        ? 'every block we had was dropped, our own genesis block included'
        : notice.droppedBlocks === 1
          ? 'the only block we had, our genesis block, was dropped'
          : `all ${plural(notice.droppedBlocks, 'block', 'blocks')} we had were dropped, our own genesis block included`
    }.`,
  ];
  out.push(
    notice.returned === 0
      ? 'No transaction of the dropped blocks went back to pending (mining rewards never do).'
      : `${plural(notice.returned, 'transaction', 'transactions')} of the dropped blocks went back to pending, to be mined again (mining rewards never do)${notice.transactions.length > 0 ? ':' : '.'}`,
  );
  if (notice.alreadyIncluded > 0) {
    out.push(
      `${plural(notice.alreadyIncluded, 'pending transaction', 'pending transactions')} left the pending list: the adopted chain already holds ${notice.alreadyIncluded === 1 ? 'it' : 'them'}.`,
    );
  }
  return out;
}
