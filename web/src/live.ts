/**
 * The node's event stream (`GET /events`, Server-Sent Events) applied to the page's state: blocks
 * mined here, from curl or adopted from a peer appear without a reload. EventSource reconnects by
 * itself; every (re)connect reloads the state, since events sent while disconnected are lost.
 */

import { isJsonObject, parseJson } from '../../src/core/json.js';
import { shortHash, text } from './format.js';
import { type ChainReplaced, reorgNotice } from './reorg.js';
import {
  addActivity,
  changed,
  loadAll,
  loadChain,
  loadPeers,
  loadPending,
  type MiningProgress,
  state,
  toChainBlock,
} from './store.js';

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
    const from = data.source === 'peer' ? ` from peer ${String(data.peer ?? '')}` : '';
    addActivity(
      `Block #${block.index} added${from}: proof ${block.proof}, ${block.txCount} transaction${block.txCount === 1 ? '' : 's'}, hash ${shortHash(block.hash, 10)}`,
      `#/block/${block.index}`,
    );
  });

  source.addEventListener('transaction', (event) => {
    const data = parseJson((event as MessageEvent<string>).data, { nonFinite: true });
    if (!isJsonObject(data) || !isJsonObject(data.transaction ?? null)) return;
    const tx = data.transaction as (typeof state.pending)[number];
    state.pending = [...state.pending, tx];
    changed('pending');
    addActivity(
      `Transaction pending: ${text(tx.sender)} → ${text(tx.recipient)}, amount ${text(tx.amount)}`,
      '#/transactions',
    );
  });

  source.addEventListener('chain-replaced', (event) => {
    const data = JSON.parse((event as MessageEvent<string>).data) as ChainReplaced;
    // What the page had before: the banner counts our dropped blocks and names what came back.
    const previousHeight = state.chain.length > 0 ? state.chain.length : null;
    const pendingBefore = state.pending;
    const ours = previousHeight === null ? '' : `, ${previousHeight - data.common} of our blocks dropped`;
    addActivity(
      `Chain replaced by a longer valid chain${data.peer ? ` from ${data.peer}` : ''}: height ${data.height}${ours}, ${data.returned} transaction${data.returned === 1 ? '' : 's'} back to pending`,
      '#/chain',
    );
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
