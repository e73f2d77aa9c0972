/** One address: its net amount (received minus sent, summed exactly by the node) and its history. */

import { isJsonObject, type JsonObject, type JsonValue } from '../../../src/core/json.js';
import { getLossless } from '../api.js';
import { type Child, h, labelCells, replace, rich } from '../dom.js';
import { count, dateTime, num, text } from '../format.js';
import { messages } from '../i18n.js';
import { state, subscribe } from '../store.js';
import { formatCoins, unitsOf } from '../wallet-coins.js';

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
    balance: 'Balance',
    balanceHint: 'spendable at block #{height}',
    locked: 'Locked rewards',
    lockedHint: 'mining rewards not yet mature',
    pendingBalance: 'After the pending payments',
    nextNonce: 'Next `nonce`',
    nextNonceHint: 'to sign the next payment with',
    ledgerNote:
      'A ledger account: the node keeps its balance and `nonce`, and refuses a payment its sender cannot cover. Amounts in coins.',
    transaction: 'Transaction',
    status: 'Status',
    fee: 'Fee',
    confirmedAt: 'block #{height}',
    ledgerHistoryLabel: 'Transactions of this address, pending first, then newest first',
    noLedgerHistory: 'No transaction involves this address yet.',
    genesisAllocation: 'genesis allocation',
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
    balance: '余额',
    balanceHint: '在区块 #{height} 时可花费',
    locked: '锁定的奖励',
    lockedHint: '尚未成熟的挖矿奖励',
    pendingBalance: '待处理付款完成后',
    nextNonce: '下一个 `nonce`',
    nextNonceHint: '用来签名下一笔付款',
    ledgerNote: '这是一个账本账户：节点记录它的余额和 `nonce`，并拒绝付款方余额不够支付的付款。金额以币为单位。',
    transaction: '交易',
    status: '状态',
    fee: '手续费',
    confirmedAt: '区块 #{height}',
    ledgerHistoryLabel: '这个地址的交易，待处理的在前，其余最新的在前',
    noLedgerHistory: '还没有涉及这个地址的交易。',
    genesisAllocation: '创世分配',
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

/** Base units from the node as coins, or the value as it came. */
function coins(value: JsonValue | undefined): string {
  const units = unitsOf(value);
  return units === null ? text(value) : formatCoins(units);
}

/** One transaction of a ledger account (GET /accounts/:address/transactions). */
function ledgerRow(tx: JsonObject, address: string): HTMLElement {
  const outgoing = tx.from === address;
  const incoming = tx.to === address;
  const direction = outgoing && incoming ? t('toItself') : outgoing ? t('sent') : t('received');
  const other = outgoing ? tx.to : tx.from;
  const sign = outgoing && !incoming ? '−' : incoming && !outgoing ? '+' : '±';
  const id = String(tx.id);
  return h(
    'tr',
    null,
    h('td', null, h('a', { href: `#/tx/${id}`, class: 'hash' }, h('code', null, `${id.slice(0, 12)}…`))),
    h(
      'td',
      null,
      tx.status === 'pending'
        ? h('span', { class: 'muted' }, t('pendingTx'))
        : h('a', { href: `#/block/${text(tx.height)}` }, t('confirmedAt', { height: text(tx.height) })),
    ),
    h('td', null, direction),
    h(
      'td',
      null,
      tx.kind === 'reward' || other === undefined
        ? h('span', { class: 'muted' }, text(tx.height) === '1' ? t('genesisAllocation') : t('miningReward'))
        : h('a', { href: `#/address/${encodeURIComponent(String(other))}`, class: 'address' }, String(other)),
    ),
    h(
      'td',
      { class: `num ${sign === '+' ? 'in' : sign === '−' ? 'out' : ''}` },
      h('code', null, `${sign}${coins(tx.amount)}`),
    ),
    h('td', { class: 'num' }, tx.fee === undefined ? '—' : h('code', null, coins(tx.fee))),
  );
}

/** A ledger account: balance, locked rewards, nonce, and its transactions. */
async function ledgerAccount(address: string): Promise<Node[]> {
  const path = `/accounts/${encodeURIComponent(address)}`;
  const [account, history] = await Promise.all([getLossless(path), getLossless(`${path}/transactions?limit=50`)]);
  if (!isJsonObject(account) || !isJsonObject(history)) return [];
  const txs = (Array.isArray(history.transactions) ? history.transactions : []).filter(isJsonObject);
  const stat = (label: Child, value: Child, hint?: string, testId?: string): HTMLElement =>
    h(
      'div',
      { class: 'stat' },
      h('dt', null, label),
      h('dd', testId ? { 'data-testid': testId } : null, value, hint ? h('small', null, hint) : null),
    );
  return [
    h(
      'dl',
      { class: 'stats' },
      stat(t('balance'), coins(account.balance), t('balanceHint', { height: text(account.height) }), 'balance'),
      stat(t('locked'), coins(account.locked), t('lockedHint')),
      stat(t('pendingBalance'), coins(account.pending_balance)),
      stat(rich(t('nextNonce')), h('code', null, text(account.next_nonce)), t('nextNonceHint')),
    ),
    h('p', { class: 'muted small' }, rich(t('ledgerNote'))),
    h('h2', null, t('history')),
    txs.length === 0
      ? h('p', { class: 'muted' }, t('noLedgerHistory'))
      : h(
          'div',
          { class: 'table-wrap' },
          labelCells(
            h(
              'table',
              { class: 'table stack', 'aria-label': t('ledgerHistoryLabel') },
              h(
                'thead',
                null,
                h(
                  'tr',
                  null,
                  h('th', { scope: 'col' }, t('transaction')),
                  h('th', { scope: 'col' }, t('status')),
                  h('th', { scope: 'col' }, t('direction')),
                  h('th', { scope: 'col' }, t('otherParty')),
                  h('th', { scope: 'col', class: 'num' }, t('amount')),
                  h('th', { scope: 'col', class: 'num' }, t('fee')),
                ),
              ),
              h(
                'tbody',
                null,
                txs.map((tx) => ledgerRow(tx, address)),
              ),
            ),
          ),
        ),
  ];
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
    // The node's rules decide what an address is: wait for them.
    if (!state.info) return;
    if (state.info.profile === 'ledger') {
      try {
        const nodes = await ledgerAccount(address);
        if (!disposed) replace(body, nodes);
      } catch (err) {
        if (!disposed) replace(body, h('p', { class: 'error', role: 'alert' }, (err as Error).message));
      }
      return;
    }
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

  const off = subscribe(['chain', 'pending', 'info'], () => void load());
  void load();
  return () => {
    disposed = true;
    off();
  };
}
