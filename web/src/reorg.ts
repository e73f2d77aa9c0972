/**
 * A chain adopted from a peer, as the page explains it. The node's `chain-replaced` event says how
 * many blocks both chains share (`common`), how many transactions went back to pending
 * (`returned`) and how many pending ones the adopted chain already holds (`dropped`); the page
 * knows the chain and the pending list it had before, and reloads the pending list after, so it
 * can name the transactions that came back. No DOM here, so unit tests run it.
 */

import { canonicalJson } from '../../src/core/canonical.js';
import type { JsonObject } from '../../src/core/json.js';
import { messages } from './i18n.js';
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

const t = messages(
  'reorg',
  {
    title: 'This node switched to a chain with another genesis block.',
    chainHas: 'The chain has {blocks} and shares none with ours: {dropped}.',
    chainFromHas: 'The chain from {peer} has {blocks} and shares none with ours: {dropped}.',
    blockOne: '{n} block',
    blockMany: '{n} blocks',
    droppedUnknown: 'every block we had was dropped, our own genesis block included',
    droppedOnly: 'the only block we had, our genesis block, was dropped',
    droppedAll: 'all {blocks} we had were dropped, our own genesis block included',
    returnedNone: 'No transaction of the dropped blocks went back to pending (mining rewards never do).',
    returnedListed: '{txs} of the dropped blocks went back to pending, to be mined again (mining rewards never do):',
    returnedSome: '{txs} of the dropped blocks went back to pending, to be mined again (mining rewards never do).',
    txOne: '{n} transaction',
    txMany: '{n} transactions',
    alreadyOne: '{n} pending transaction left the pending list: the adopted chain already holds it.',
    alreadyMany: '{n} pending transactions left the pending list: the adopted chain already holds them.',
  },
  {
    title: '本节点切换到了一条创世区块不同的链。',
    chainHas: '这条链有 {blocks}，与我们的链没有任何共同区块：{dropped}。',
    chainFromHas: '来自 {peer} 的链有 {blocks}，与我们的链没有任何共同区块：{dropped}。',
    blockOne: '{n} 个区块',
    blockMany: '{n} 个区块',
    droppedUnknown: '我们原有的区块全部被丢弃，包括我们自己的创世区块',
    droppedOnly: '我们唯一的区块，也就是我们的创世区块，被丢弃了',
    droppedAll: '我们原有的全部 {blocks}都被丢弃了，包括我们自己的创世区块',
    returnedNone: '被丢弃的区块中没有交易退回待处理列表（挖矿奖励从不退回）。',
    returnedListed: '被丢弃的区块中有 {txs}退回了待处理列表，等待重新打包（挖矿奖励从不退回）：',
    returnedSome: '被丢弃的区块中有 {txs}退回了待处理列表，等待重新打包（挖矿奖励从不退回）。',
    txOne: '{n} 笔交易',
    txMany: '{n} 笔交易',
    alreadyOne: '{n} 笔待处理交易离开了待处理列表：被采用的链中已经包含它。',
    alreadyMany: '{n} 笔待处理交易离开了待处理列表：被采用的链中已经包含它们。',
  },
);

const blocks = (n: number): string => t(n === 1 ? 'blockOne' : 'blockMany', { n });
const transactions = (n: number): string => t(n === 1 ? 'txOne' : 'txMany', { n });

/** The banner's sentences, in order (the title first), in the page's language. */
export function reorgSentences(notice: ReorgNotice): string[] {
  const dropped =
    notice.droppedBlocks === null
      ? t('droppedUnknown')
      : notice.droppedBlocks === 1
        ? t('droppedOnly')
        : t('droppedAll', { blocks: blocks(notice.droppedBlocks) });
  const vars = { blocks: blocks(notice.height), dropped };
  const out = [t('title'), notice.peer ? t('chainFromHas', { ...vars, peer: notice.peer }) : t('chainHas', vars)];
  out.push(
    notice.returned === 0
      ? t('returnedNone')
      : t(notice.transactions.length > 0 ? 'returnedListed' : 'returnedSome', { txs: transactions(notice.returned) }),
  );
  if (notice.alreadyIncluded > 0) {
    out.push(t(notice.alreadyIncluded === 1 ? 'alreadyOne' : 'alreadyMany', { n: notice.alreadyIncluded }));
  }
  return out;
}
