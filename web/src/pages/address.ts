/** One address: its net amount (received minus sent, summed exactly by the node) and its history. */

import { isJsonObject, type JsonObject, type JsonValue } from '../../../src/core/json.js';
import { getLossless } from '../api.js';
import { h, labelCells, replace } from '../dom.js';
import { count, dateTime, num, text } from '../format.js';
import { messages } from '../i18n.js';
import { subscribe } from '../store.js';

const t = messages(
  'address',
  {
    title: 'Address',
    toItself: 'to itself',
    sent: 'sent',
    received: 'received',
    pendingTx: 'pending',
    miningReward: 'mining reward',
    block: 'Block',
    time: 'Time',
    direction: 'Direction',
    otherParty: 'Other party',
    amount: 'Amount',
    loading: 'Loading…',
    netAmount: 'Net amount',
    netHint: 'received − sent, in mined blocks',
    receivedTitle: 'Received',
    sentTitle: 'Sent',
    transactions: 'Transactions',
    inMinedBlocks: 'in mined blocks',
    pending: 'Pending',
    pendingNet: '{n} (net {net})',
    noBalances:
      'The tutorial keeps no balances and never checks that a sender has the amount: the net amount is only what the chain says went in and out.',
    pendingLabel: 'Pending transactions',
    history: 'History',
    noHistory: 'No mined transaction involves this address yet.',
    minedLabel: 'Mined transactions, newest first',
    mostRecent: 'The {n} most recent of {total}.',
  },
  {
    title: '地址',
    toItself: '转给自己',
    sent: '转出',
    received: '转入',
    pendingTx: '待处理',
    miningReward: '挖矿奖励',
    block: '区块',
    time: '时间',
    direction: '方向',
    otherParty: '对方',
    amount: '金额',
    loading: '加载中…',
    netAmount: '净额',
    netHint: '转入 − 转出，仅计已挖出的区块',
    receivedTitle: '转入',
    sentTitle: '转出',
    transactions: '交易',
    inMinedBlocks: '笔，在已挖出的区块中',
    pending: '待处理',
    pendingNet: '{n}（净额 {net}）',
    noBalances: '教程的链不记录余额，也从不检查发送方是否有这么多钱：净额只是链上记录的转入与转出之差。',
    pendingLabel: '待处理交易',
    history: '历史',
    noHistory: '已挖出的区块中还没有涉及这个地址的交易。',
    minedLabel: '已挖出的交易，最新的在前',
    mostRecent: '共 {total} 笔，这里显示最近的 {n} 笔。',
  },
);

function row(tx: JsonObject, address: string): HTMLElement {
  const outgoing = tx.sender === address;
  const incoming = tx.recipient === address;
  const direction = outgoing && incoming ? t('toItself') : outgoing ? t('sent') : t('received');
  const other = outgoing ? tx.recipient : tx.sender;
  const block = tx.block;
  const sign = outgoing && !incoming ? '−' : incoming && !outgoing ? '+' : '±';
  return h(
    'tr',
    null,
    h(
      'td',
      null,
      block === null
        ? h('span', { class: 'muted' }, t('pendingTx'))
        : h('a', { href: `#/block/${text(block)}` }, `#${text(block)}`),
    ),
    h('td', null, block === null ? '' : dateTime(num(tx.timestamp))),
    h('td', null, direction),
    h(
      'td',
      null,
      other === '0'
        ? h('span', { class: 'muted' }, t('miningReward'))
        : h('a', { href: `#/address/${encodeURIComponent(String(other))}`, class: 'address' }, String(other)),
    ),
    h(
      'td',
      { class: `num ${sign === '+' ? 'in' : sign === '−' ? 'out' : ''}` },
      h('code', null, `${sign}${text(tx.amount)}`),
    ),
  );
}

function table(label: string, txs: JsonValue[], address: string): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    labelCells(
      h(
        'table',
        { class: 'table stack', 'aria-label': label },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', { scope: 'col' }, t('block')),
            h('th', { scope: 'col' }, t('time')),
            h('th', { scope: 'col' }, t('direction')),
            h('th', { scope: 'col' }, t('otherParty')),
            h('th', { scope: 'col', class: 'num' }, t('amount')),
          ),
        ),
        h(
          'tbody',
          null,
          txs.filter(isJsonObject).map((tx) => row(tx, address)),
        ),
      ),
    ),
  );
}

/** Renders the address page into `main`; returns its cleanup. */
export function renderAddress(main: HTMLElement, address: string): () => void {
  const body = h('div', null, h('p', { class: 'muted' }, t('loading')));
  main.append(
    h('h1', { tabindex: '-1' }, t('title')),
    h('p', null, h('code', { class: 'hash address-title' }, address)),
    body,
  );
  let disposed = false;

  const load = async (): Promise<void> => {
    let answer: JsonValue;
    try {
      answer = await getLossless(`/addresses?address=${encodeURIComponent(address)}`);
    } catch (err) {
      if (!disposed) replace(body, h('p', { class: 'error', role: 'alert' }, (err as Error).message));
      return;
    }
    if (disposed || !isJsonObject(answer)) return;
    const txs = Array.isArray(answer.transactions) ? answer.transactions : [];
    const pending = Array.isArray(answer.pending) ? answer.pending : [];
    const total = num(answer.count);
    replace(
      body,
      h(
        'dl',
        { class: 'stats' },
        h(
          'div',
          { class: 'stat' },
          h('dt', null, t('netAmount')),
          h('dd', { 'data-testid': 'net' }, text(answer.net), h('small', null, t('netHint'))),
        ),
        h('div', { class: 'stat' }, h('dt', null, t('receivedTitle')), h('dd', null, text(answer.received))),
        h('div', { class: 'stat' }, h('dt', null, t('sentTitle')), h('dd', null, text(answer.sent))),
        h(
          'div',
          { class: 'stat' },
          h('dt', null, t('transactions')),
          h('dd', null, count(total), h('small', null, t('inMinedBlocks'))),
        ),
        h(
          'div',
          { class: 'stat' },
          h('dt', null, t('pending')),
          h(
            'dd',
            null,
            pending.length === 0 ? '0' : t('pendingNet', { n: count(pending.length), net: text(answer.pending_net) }),
          ),
        ),
      ),
      h('p', { class: 'muted small' }, t('noBalances')),
      pending.length > 0 ? [h('h2', null, t('pending')), table(t('pendingLabel'), pending, address)] : null,
      h('h2', null, t('history')),
      txs.length === 0 ? h('p', { class: 'muted' }, t('noHistory')) : table(t('minedLabel'), txs, address),
      total > txs.length
        ? h('p', { class: 'muted small' }, t('mostRecent', { n: count(txs.length), total: count(total) }))
        : null,
    );
  };

  const off = subscribe(['chain', 'pending'], () => void load());
  void load();
  return () => {
    disposed = true;
    off();
  };
}
