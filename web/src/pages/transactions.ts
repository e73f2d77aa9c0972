/**
 * Transactions: the form the tutorial's POST /transactions/new takes (every field checked here with
 * the node's own policy, so all problems show at once; then sent anyway, and the node's answer shown
 * at the field it names), the pending list, and a way to an address's history.
 */

import { clientTxError, decodePayment } from '../../../src/core/ledger/codec.js';
import type { RuleProfile } from '../../../src/core/profile.js';
import { createProfile } from '../../../src/core/profiles.js';
import { type ApiError, postJson } from '../api.js';
import { type Child, h, labelCells, replace, rich } from '../dom.js';
import { count, text } from '../format.js';
import { transactionBody } from '../forms.js';
import { messages } from '../i18n.js';
import { minePanel } from '../mine-panel.js';
import { state, subscribe } from '../store.js';
import { TRANSACTION_FIELDS, type TransactionField, transactionFieldErrors } from '../tx-check.js';
import { formatCoins } from '../wallet-coins.js';
import { type LedgerNetwork, loadLedgerNetwork } from './ledger-block.js';

const t = messages(
  'transactions',
  {
    title: 'Transactions',
    lead: 'A transaction waits in the pending list until a block is mined; mining seals all of them into the block, with the miner\'s reward (sender "0") last.',
    sender: 'Sender',
    senderHint: 'Any non-empty text; "0" is reserved for mining rewards.',
    recipient: 'Recipient',
    recipientHint: 'Any non-empty text, e.g. someone-other-address.',
    amount: 'Amount',
    amountHint: 'A number greater than 0 (5 and 5.0 are different numbers to the hash).',
    send: 'Send transaction',
    newTransaction: 'New transaction',
    formHelp:
      "This page checks every field with the node's own rules and shows every problem at once, then sends the form anyway: POST /transactions/new, where the node decides, and keeps the transaction, on disk, until the next block is mined.",
    answer: '{message}.',
    pending: 'Pending',
    lookupTitle: 'An address',
    address: 'Address',
    lookupPlaceholder: 'e.g. someone-other-address',
    showHistory: 'Show history',
    nothingPending: 'Nothing pending. Send a transaction, here or with curl.',
    waitingOne: '{n} transaction waiting for block #{next}.',
    waitingMany: '{n} transactions waiting for block #{next}.',
    leadLedger:
      'On this ledger network a payment is signed with its sender’s key: make a key and send one on the wallet page. A payment waits in the pending list (the mempool) until a block takes it; the mempool page draws them by fee rate.',
    toWallet: 'Wallet',
    toMempool: 'Mempool',
    id: 'Transaction',
    fee: 'Fee',
    unreadable: 'A pending payment this page cannot read:',
  },
  {
    title: '交易',
    lead: '交易在待处理列表（内存池）中等待，直到有区块被挖出；挖矿会把它们全部封装进这个区块，最后一笔是矿工的奖励（发送方为 `"0"`）。',
    sender: '发送方',
    senderHint: '任意非空文本；`"0"` 保留给挖矿奖励。',
    recipient: '接收方',
    recipientHint: '任意非空文本，例如 `someone-other-address`。',
    amount: '金额',
    amountHint: '大于 0 的数字（对哈希来说，`5` 和 `5.0` 是不同的数）。',
    send: '发送交易',
    newTransaction: '新交易',
    formHelp:
      '本页先用节点自己的规则检查每个字段，一次列出所有问题，然后照样提交表单：`POST /transactions/new`，由节点做出决定，并把交易保存在磁盘上，直到下一个区块被挖出。',
    answer: '{message}。',
    pending: '待处理交易',
    lookupTitle: '查询地址',
    address: '地址',
    lookupPlaceholder: '要查询的地址',
    showHistory: '查看历史',
    nothingPending: '没有待处理交易。可以在这里或用 curl 发送一笔交易。',
    waitingOne: '{n} 笔交易等待打包进区块 #{next}。',
    waitingMany: '{n} 笔交易等待打包进区块 #{next}。',
    leadLedger:
      '在这个账本网络上，付款要用付款方的私钥签名：请在钱包页面创建密钥并发送付款。付款在待处理列表（内存池）中等待，直到某个区块把它打包；内存池页面按手续费率把它们画出来。',
    toWallet: '钱包',
    toMempool: '内存池',
    id: '交易',
    fee: '手续费',
    unreadable: '本页无法读取的一笔待处理付款：',
  },
);

/**
 * The node's rules for the form's own check, or null (an unknown profile, or not loaded yet; the
 * node still judges what is sent). The client policy is the profile's, like everything it checks.
 */
function nodeProfile(): RuleProfile | null {
  const info = state.info;
  if (!info) return null;
  try {
    return createProfile(info.profile, { difficulty: info.difficulty });
  } catch {
    return null;
  }
}

function addressLink(address: string): HTMLElement {
  return h('a', { href: `#/address/${encodeURIComponent(address)}`, class: 'address' }, address);
}

interface Field {
  readonly input: HTMLInputElement;
  readonly error: HTMLElement;
}

function field(name: string, label: string, hint: Child, attrs: Record<string, string> = {}): [HTMLElement, Field] {
  const input = h('input', {
    id: `tx-${name}`,
    name,
    autocomplete: 'off',
    'aria-describedby': `tx-${name}-hint tx-${name}-error`,
    ...attrs,
  });
  const error = h('p', { id: `tx-${name}-error`, class: 'field-error', 'data-field': name });
  return [
    h(
      'div',
      { class: 'field' },
      h('label', { for: `tx-${name}` }, label),
      input,
      h('p', { id: `tx-${name}-hint`, class: 'hint' }, hint),
      error,
    ),
    { input, error },
  ];
}

/** Renders the transactions page into `main`; returns its cleanup. */
export function renderTransactions(main: HTMLElement): () => void {
  const [senderBox, sender] = field('sender', t('sender'), rich(t('senderHint')));
  const [recipientBox, recipient] = field('recipient', t('recipient'), rich(t('recipientHint')));
  const [amountBox, amount] = field('amount', t('amount'), rich(t('amountHint')), { inputmode: 'decimal' });
  const fields: Record<TransactionField, Field> = { sender, recipient, amount };
  const formError = h('p', { class: 'field-error', role: 'alert' });
  const formStatus = h('p', { class: 'ok', role: 'status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, t('send'));
  const form = h(
    'form',
    { class: 'card form', 'aria-labelledby': 'tx-form-title', novalidate: true },
    h('h2', { id: 'tx-form-title' }, t('newTransaction')),
    h('p', { class: 'muted small' }, rich(t('formHelp'))),
    h('div', { class: 'fields' }, senderBox, recipientBox, amountBox),
    formError,
    h('div', { class: 'row' }, submit),
    formStatus,
  );

  const clearErrors = (): void => {
    for (const f of Object.values(fields)) {
      f.input.removeAttribute('aria-invalid');
      f.error.textContent = '';
    }
    formError.textContent = '';
  };

  const showError = (name: TransactionField, message: string): void => {
    const f = fields[name];
    f.input.setAttribute('aria-invalid', 'true');
    f.error.textContent = message;
  };
  const focusFirstError = (): void => {
    const first = TRANSACTION_FIELDS.find((name) => fields[name].input.getAttribute('aria-invalid') === 'true');
    if (first) fields[first].input.focus();
  };

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors();
    formStatus.textContent = '';
    submit.disabled = true;
    const values = [sender.input.value, recipient.input.value, amount.input.value] as const;
    // Every field's problem at once, in the node's words (the node itself stops at the first).
    const profile = nodeProfile();
    if (profile) {
      const problems = transactionFieldErrors(profile, ...values);
      for (const name of TRANSACTION_FIELDS) {
        const message = problems[name];
        if (message !== undefined) showError(name, message);
      }
    }
    // Sent anyway: the node decides, and its answer is what the page shows for the field it names.
    try {
      const answer = await postJson<{ message: string }>('/transactions/new', transactionBody(...values));
      clearErrors();
      formStatus.textContent = t('answer', { message: answer.message });
      amount.input.value = '';
    } catch (err) {
      const apiError = err as ApiError;
      if (apiError.field !== undefined && apiError.field in fields) {
        showError(apiError.field as TransactionField, apiError.message);
      } else {
        formError.textContent = apiError.message;
      }
      focusFirstError();
    } finally {
      submit.disabled = false;
    }
  });

  const pendingTitle = h('h2', { id: 'pending-title' }, t('pending'));
  const pendingNote = h('p', { class: 'muted small' });
  const pendingBody = h('tbody');
  const pendingHead = h('thead');
  const pendingTable = h(
    'table',
    { class: 'table stack', 'aria-labelledby': 'pending-title', 'data-testid': 'pending' },
    pendingHead,
    pendingBody,
  );
  const mine = minePanel();

  const lookupInput = h('input', {
    id: 'address-lookup',
    name: 'address',
    autocomplete: 'off',
    placeholder: t('lookupPlaceholder'),
  });
  const lookup = h(
    'form',
    { class: 'card form', 'aria-labelledby': 'lookup-title' },
    h('h2', { id: 'lookup-title' }, t('lookupTitle')),
    h('div', { class: 'field' }, h('label', { for: 'address-lookup' }, t('address')), lookupInput),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'secondary' }, t('showHistory'))),
  );
  lookup.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = lookupInput.value;
    if (value !== '') location.hash = `#/address/${encodeURIComponent(value)}`;
  });

  const lead = h('p', { class: 'lead' });
  main.append(
    h('h1', { tabindex: '-1' }, t('title')),
    lead,
    h(
      'div',
      { class: 'columns' },
      form,
      h(
        'section',
        { class: 'card' },
        pendingTitle,
        pendingNote,
        h('div', { class: 'table-wrap' }, pendingTable),
        mine.el,
      ),
    ),
    lookup,
  );

  // A ledger node: payments are signed in the wallet (the tutorial's form would be refused), and the
  // pending list shows each payment's id, parties, amount and fee, read with the core's codec.
  let network: LedgerNetwork | null = null;
  let disposed = false;
  const renderPendingLedger = (): void => {
    replace(
      pendingHead,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, t('id')),
        h('th', { scope: 'col' }, t('sender')),
        h('th', { scope: 'col' }, t('recipient')),
        h('th', { scope: 'col', class: 'num' }, t('amount')),
        h('th', { scope: 'col', class: 'num' }, t('fee')),
      ),
    );
    if (!network) {
      replace(pendingBody);
      void loadLedgerNetwork().then((net) => {
        network = net;
        if (!disposed) render();
      });
      return;
    }
    const hrp = network.spec.hrp;
    replace(
      pendingBody,
      state.pending.map((json) => {
        try {
          const p = decodePayment(json, hrp, clientTxError);
          return h(
            'tr',
            null,
            h('td', null, h('a', { href: `#/tx/${p.id}`, class: 'hash' }, h('code', null, `${p.id.slice(0, 12)}…`))),
            h('td', null, addressLink(p.sender)),
            h('td', null, addressLink(p.to)),
            h('td', { class: 'num' }, h('code', null, formatCoins(p.amount))),
            h('td', { class: 'num' }, h('code', null, formatCoins(p.fee))),
          );
        } catch (err) {
          return h('tr', null, h('td', { colspan: 5 }, t('unreadable'), ' ', h('code', null, (err as Error).message)));
        }
      }),
    );
  };

  const render = (): void => {
    const ledger = state.info?.profile === 'ledger';
    form.hidden = ledger;
    replace(
      lead,
      ledger
        ? [
            rich(t('leadLedger')),
            ' ',
            h('a', { href: '#/wallet' }, t('toWallet')),
            ' · ',
            h('a', { href: '#/mempool' }, t('toMempool')),
          ]
        : rich(t('lead')),
    );
    const next = (state.chain[state.chain.length - 1]?.index ?? 0) + 1;
    replace(
      pendingNote,
      state.pending.length === 0
        ? t('nothingPending')
        : t(state.pending.length === 1 ? 'waitingOne' : 'waitingMany', {
            n: count(state.pending.length),
            next: String(next),
          }),
    );
    if (ledger) {
      renderPendingLedger();
      labelCells(pendingTable);
      return;
    }
    replace(
      pendingHead,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, t('sender')),
        h('th', { scope: 'col' }, t('recipient')),
        h('th', { scope: 'col', class: 'num' }, t('amount')),
      ),
    );
    replace(
      pendingBody,
      state.pending.map((tx) =>
        h(
          'tr',
          null,
          h('td', null, addressLink(String(tx.sender))),
          h('td', null, addressLink(String(tx.recipient))),
          h('td', { class: 'num' }, h('code', null, text(tx.amount))),
        ),
      ),
    );
    labelCells(pendingTable);
  };
  const off = subscribe(['pending', 'chain', 'info'], render);
  render();
  return () => {
    disposed = true;
    off();
    mine.dispose();
  };
}
