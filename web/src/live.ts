/**
 * The node's event stream (`GET /events`, Server-Sent Events) applied to the page's state: blocks
 * mined here, from curl or adopted from a peer appear without a reload. EventSource reconnects by
 * itself; every (re)connect reloads the state, since events sent while disconnected are lost.
 */

import { isJsonObject, parseJson } from '../../src/core/json.js';
import { shortHash, text } from './format.js';
import { messages } from './i18n.js';
import { type ChainReplaced, reorgNotice } from './reorg.js';
import {
  addActivity,
  changed,
  loadAll,
  loadChain,
  loadPeers,
  loadPending,
  type MiningProgress,
  type ReorgEventView,
  state,
  toChainBlock,
} from './store.js';

const t = messages(
  'live',
  {
    blockAdded: 'Block #{index} added: proof {proof}, {txs}, hash {hash}',
    blockAddedFromPeer: 'Block #{index} added from peer {peer}: proof {proof}, {txs}, hash {hash}',
    txOne: '{n} transaction',
    txMany: '{n} transactions',
    txPending: 'Transaction pending: {sender} → {recipient}, amount {amount}',
    chainReplaced: 'Chain replaced by a longer valid chain: height {height}{ours}, {returned} back to pending',
    chainReplacedFrom:
      'Chain replaced by a longer valid chain from {peer}: height {height}{ours}, {returned} back to pending',
    oursDropped: ', {n} of our blocks dropped',
  },
  {
    blockAdded: '已添加区块 #{index}：`proof` {proof}，{txs}，哈希 {hash}',
    blockAddedFromPeer: '已添加来自节点 {peer} 的区块 #{index}：`proof` {proof}，{txs}，哈希 {hash}',
    txOne: '{n} 笔交易',
    txMany: '{n} 笔交易',
    txPending: '新的待处理交易：{sender} → {recipient}，金额 {amount}',
    chainReplaced: '链已被一条更长的有效链替换：高度 {height}{ours}，{returned}退回待处理列表',
    chainReplacedFrom: '链已被来自 {peer} 的一条更长的有效链替换：高度 {height}{ours}，{returned}退回待处理列表',
    oursDropped: '，丢弃了我们的 {n} 个区块',
  },
);

/** `n transaction(s)` in the page's language. */
function transactions(n: number): string {
  return t(n === 1 ? 'txOne' : 'txMany', { n });
}

/** Opens the stream. Returns a function that closes it. */
export function connectLive(): () => void {
  const source = new EventSource('/events');

  const setLive = (live: typeof state.live): void => {
    if (state.live === live) return;
    state.live = live;
    changed('live');
  };

  let loaded = false;
  source.addEventListener('hello', (event) => {
    const hello = JSON.parse((event as MessageEvent<string>).data) as { node_id?: string };
    if (hello.node_id) state.nodeId = hello.node_id;
    setLive('live');
    loaded = true;
    void loadAll().catch(() => setLive('offline'));
  });

  source.addEventListener('error', () => {
    setLive(source.readyState === EventSource.CLOSED ? 'offline' : 'connecting');
    // No stream (a proxy that buffers it, a node at its stream limit): show the state anyway.
    if (!loaded) {
      loaded = true;
      void loadAll().catch(() => setLive('offline'));
    }
  });

  source.addEventListener('block', (event) => {
    const data = parseJson((event as MessageEvent<string>).data, { nonFinite: true });
    if (!isJsonObject(data)) return;
    const block = toChainBlock(data.block ?? null);
    const tip = state.chain[state.chain.length - 1];
    if (tip && block.index === tip.index + 1 && block.previousHash === tip.hash) {
      state.chain = [...state.chain, block];
      changed('chain');
    } else {
      void loadChain();
    }
    // Its transactions left the mempool (all of them when mined here; maybe not all from a peer).
    void loadPending();
    const peer = data.source === 'peer' ? String(data.peer ?? '') : null;
    const vars = {
      index: String(block.index),
      proof: block.proof,
      txs: transactions(block.txCount),
      hash: shortHash(block.hash, 10),
    };
    addActivity(
      () => (peer === null ? t('blockAdded', vars) : t('blockAddedFromPeer', { ...vars, peer })),
      `#/block/${block.index}`,
    );
  });

  source.addEventListener('transaction', (event) => {
    const data = parseJson((event as MessageEvent<string>).data, { nonFinite: true });
    if (!isJsonObject(data) || !isJsonObject(data.transaction ?? null)) return;
    const tx = data.transaction as (typeof state.pending)[number];
    state.pending = [...state.pending, tx];
    changed('pending');
    const vars = { sender: text(tx.sender), recipient: text(tx.recipient), amount: text(tx.amount) };
    addActivity(() => t('txPending', vars), '#/transactions');
  });

  source.addEventListener('chain-replaced', (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as ChainReplaced;
    // What the page had before: the banner counts our dropped blocks and names what came back.
    const previousHeight = state.chain.length > 0 ? state.chain.length : null;
    const pendingBefore = state.pending;
    addActivity(() => {
      const vars = {
        height: data.height,
        ours: previousHeight === null ? '' : t('oursDropped', { n: previousHeight - data.common }),
        returned: transactions(data.returned),
      };
      return data.peer ? t('chainReplacedFrom', { ...vars, peer: data.peer }) : t('chainReplaced', vars);
    }, '#/chain');
    void loadChain();
    // Without the new pending list the banner still gives the node's counts, with no names.
    void loadPending()
      .catch(() => undefined)
      .then(() => {
        const notice = reorgNotice(data, previousHeight, pendingBefore, state.pending);
        if (notice) {
          state.reorg = notice;
          changed('reorg');
        }
      });
  });

  // The forks page: a reorg, block by block, and stale blocks the node keeps (issue 11).
  source.addEventListener('reorg', (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as Omit<ReorgEventView, 'time'>;
    state.reorgEvents = [{ ...data, time: Date.now() / 1000 }, ...state.reorgEvents].slice(0, 20);
    changed('forks');
  });
  source.addEventListener('stale', () => {
    state.staleSeen++;
    changed('forks');
  });

  source.addEventListener('peers', () => {
    void loadPeers();
  });

  source.addEventListener('mining', (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as { mining: boolean; rate: number };
    state.mining = data.mining;
    state.lastRate = data.rate;
    if (!data.mining) state.progress = null;
    changed('mining');
  });

  source.addEventListener('mining-progress', (event) => {
    state.progress = JSON.parse((event as MessageEvent<string>).data) as MiningProgress;
    changed('mining');
  });

  return () => source.close();
}
