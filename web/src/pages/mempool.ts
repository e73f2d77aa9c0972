/**
 * The mempool as a picture (as mempool.space draws it): each pending transaction a box sized by its
 * bytes and coloured by its fee per byte, and what the next block will take. For the ledger, the
 * template's policy: each sender's payments in nonce order from its next nonce while its balance
 * covers them, the highest fee per byte first across senders, within the byte cap; for the tutorial
 * profiles, every pending transaction, oldest first. Redrawn on every transaction and block event.
 */

import './mempool.css';
import { canonicalJson } from '../../../src/core/canonical.js';
import { blockSize, clientTxError, decodePayment, makeCoinbase, makeHeader } from '../../../src/core/ledger/codec.js';
import { encodeAddress } from '../../../src/core/ledger/keys.js';
import { MAX_BLOCK_TRANSACTIONS, MAX_LEDGER_BLOCK_BYTES } from '../../../src/core/ledger/ledger-profile.js';
import { MAX_U63 } from '../../../src/core/ledger/transaction.js';
import { getJson } from '../api.js';
import { type Child, h, replace, rich } from '../dom.js';
import { text } from '../format.js';
import { formatNumber, messages, onLanguageChange } from '../i18n.js';
import { state, subscribe } from '../store.js';
import { loadLedgerNetwork } from './ledger-block.js';

const t = messages(
  'mempool',
  {
    title: 'Mempool',
    lead: 'Transactions waiting for a block. Each box is one transaction: its area is its size in bytes, its colour its fee per byte.',
    leadTutorial:
      'Transactions waiting for a block. Each box is one transaction, its area its size in bytes. Tutorial transactions carry no fee: the next block takes them all, oldest first.',
    loading: 'Loading…',
    empty: 'No transaction is pending. Send one from the wallet page and it appears here at once.',
    pending: 'pending',
    bytes: 'bytes',
    nextCount: 'in the next block',
    nextFees: 'fees of the next block',
    nextTitle: 'The next block',
    nextLeadLedger:
      'What this node’s block template takes now: the highest fee per byte first, each sender’s payments in `nonce` order from its next `nonce` while its balance covers them, within {cap} bytes.',
    nextLeadTutorial: 'Every pending transaction, oldest first.',
    waitingTitle: 'Still waiting',
    waitingLead:
      'Not in the next block: a `nonce` gap before them, a balance that does not cover them, or no room left.',
    waitingNone: 'Nothing: the next block takes every pending transaction.',
    legend: 'Fee per byte (base units)',
    boxTitle: '{id}: {bytes} bytes, fee {fee} ({rate} per byte)',
    boxTitleTutorial: '{sender} → {recipient}, amount {amount}: {bytes} bytes',
    colId: 'transaction',
    colFrom: 'from',
    colNonce: '`nonce`',
    colBytes: 'bytes',
    colFee: 'fee',
    colRate: 'fee / byte',
    colNext: 'next block',
    colSender: 'sender',
    colRecipient: 'recipient',
    colAmount: 'amount',
    yes: 'yes',
    no: 'no',
    error: 'The mempool could not be read: {error}',
    unreadable: 'unreadable transaction: {error}',
  },
  {
    title: '交易池',
    lead: '等待打包进区块的交易。每个方块是一笔交易：面积表示字节大小，颜色表示每字节手续费。',
    leadTutorial:
      '等待打包进区块的交易。每个方块是一笔交易，面积表示字节大小。教程交易不带手续费：下一个区块会按先来后到全部打包。',
    loading: '加载中…',
    empty: '当前没有待处理的交易。在钱包页发送一笔，它会立刻出现在这里。',
    pending: '笔待处理',
    bytes: '字节',
    nextCount: '笔进入下一个区块',
    nextFees: '下一个区块的手续费',
    nextTitle: '下一个区块',
    nextLeadLedger:
      '本节点的区块模板此刻会选取的交易：每字节手续费最高的优先；同一付款方的转账从其下一个 `nonce` 起按顺序、在余额足够时依次选入；总大小不超过 {cap} 字节。',
    nextLeadTutorial: '所有待处理交易，按先来后到。',
    waitingTitle: '仍在等待',
    waitingLead: '不在下一个区块里：前面缺了 `nonce`、余额不够，或者区块已没有空间。',
    waitingNone: '没有：下一个区块会打包所有待处理交易。',
    legend: '每字节手续费（基本单位）',
    boxTitle: '{id}：{bytes} 字节，手续费 {fee}（每字节 {rate}）',
    boxTitleTutorial: '{sender} → {recipient}，金额 {amount}：{bytes} 字节',
    colId: '交易',
    colFrom: '付款方',
    colNonce: '`nonce`',
    colBytes: '字节',
    colFee: '手续费',
    colRate: '每字节手续费',
    colNext: '下一个区块',
    colSender: '发送方',
    colRecipient: '接收方',
    colAmount: '金额',
    yes: '是',
    no: '否',
    error: '无法读取交易池：{error}',
    unreadable: '无法解析的交易：{error}',
  },
);

// ---- The policy, pure (unit-tested). ----

/** A pending payment as the picture and the selection see it. */
export interface PendingPayment {
  readonly id: string;
  readonly sender: string;
  readonly to: string;
  readonly nonce: bigint;
  readonly amount: bigint;
  readonly fee: bigint;
  /** Length of its canonical JSON. */
  readonly bytes: number;
}

/** A sender's account at the tip. */
export interface AccountAtTip {
  readonly balance: bigint;
  readonly nonce: bigint;
}

/** Fee per byte of a payment (the template's measure). */
export function feeRate(tx: Pick<PendingPayment, 'fee' | 'bytes'>): number {
  return Number(tx.fee) / tx.bytes;
}

/**
 * The payments the ledger's template takes for the next block (docs/ledger-protocol.md section 10):
 * each sender's payments in nonce order from its next nonce (of two with one nonce, the higher fee),
 * stopping at a gap or where its balance would not cover the next; across senders the highest fee
 * per byte first (comparing each sender's next payment; ties: the one pending first); a payment
 * that does not fit in `roomBytes` ends its sender's run; at most `maxCount` payments.
 */
export function selectNextBlock(
  pending: readonly PendingPayment[],
  accounts: ReadonlyMap<string, AccountAtTip>,
  roomBytes: number,
  maxCount = MAX_BLOCK_TRANSACTIONS - 1,
): PendingPayment[] {
  const order = new Map<PendingPayment, number>();
  const bySender = new Map<string, PendingPayment[]>();
  pending.forEach((tx, k) => {
    order.set(tx, k);
    const list = bySender.get(tx.sender);
    if (list) list.push(tx);
    else bySender.set(tx.sender, [tx]);
  });
  const runs: PendingPayment[][] = [];
  for (const [sender, list] of bySender) {
    const account = accounts.get(sender) ?? { balance: 0n, nonce: 0n };
    const byNonce = new Map<bigint, PendingPayment>();
    for (const tx of list) {
      const seen = byNonce.get(tx.nonce);
      if (!seen || tx.fee > seen.fee) byNonce.set(tx.nonce, tx);
    }
    const run: PendingPayment[] = [];
    let balance = account.balance;
    for (let nonce = account.nonce; ; nonce++) {
      const tx = byNonce.get(nonce);
      if (!tx || tx.amount + tx.fee > balance) break;
      balance -= tx.amount + tx.fee;
      run.push(tx);
    }
    if (run.length > 0) runs.push(run);
  }
  const chosen: PendingPayment[] = [];
  let bytes = 0;
  while (runs.length > 0 && chosen.length < maxCount) {
    let best = 0;
    for (let k = 1; k < runs.length; k++) {
      const a = (runs[k] as PendingPayment[])[0] as PendingPayment;
      const b = (runs[best] as PendingPayment[])[0] as PendingPayment;
      const ra = feeRate(a);
      const rb = feeRate(b);
      if (ra > rb || (ra === rb && (order.get(a) ?? 0) < (order.get(b) ?? 0))) best = k;
    }
    const run = runs[best] as PendingPayment[];
    const tx = run.shift() as PendingPayment;
    if (bytes + tx.bytes + 2 > roomBytes) {
      runs.splice(best, 1);
      continue;
    }
    chosen.push(tx);
    bytes += tx.bytes + 2;
    if (run.length === 0) runs.splice(best, 1);
  }
  return chosen;
}

/** The fee-rate buckets of the picture's colours (base units per byte, lower bounds). */
export const RATE_BUCKETS = [0, 1, 2, 5, 10, 20, 50, 100, 500] as const;

/** The bucket index of a fee rate. */
export function rateBucket(rate: number): number {
  let bucket = 0;
  for (let k = 0; k < RATE_BUCKETS.length; k++) if (rate >= (RATE_BUCKETS[k] as number)) bucket = k;
  return bucket;
}

/** Side of a transaction's box in pixels: its area is proportional to its bytes. */
export function boxSide(bytes: number): number {
  return Math.round(Math.min(120, Math.max(14, Math.sqrt(bytes) * 2.4)));
}

// ---- The page. ----

/** Room for payments in a ledger block: the cap less an empty block with the largest reward. */
function ledgerRoom(hrp: string): number {
  const beneficiary = encodeAddress(hrp, new Uint8Array(20));
  const empty = makeCoinbase(2, beneficiary, MAX_U63, hrp);
  const probe = makeHeader({
    height: Number.MAX_SAFE_INTEGER,
    parent: '0'.repeat(64),
    merkle: '0'.repeat(64),
    time: Number.MAX_SAFE_INTEGER,
    target: (1n << 256n) - 1n,
    nonce: Number.MAX_SAFE_INTEGER,
  });
  return MAX_LEDGER_BLOCK_BYTES - blockSize(probe, [empty]);
}

function legend(): HTMLElement {
  return h(
    'div',
    { class: 'mempool-legend' },
    h('span', { class: 'small muted' }, t('legend')),
    RATE_BUCKETS.map((low, k) =>
      h(
        'span',
        { class: 'legend-item' },
        h('span', { class: `swatch rate-${k}`, 'aria-hidden': 'true' }),
        k + 1 < RATE_BUCKETS.length
          ? `${formatNumber(low)}–${formatNumber(RATE_BUCKETS[k + 1] as number)}`
          : `≥ ${formatNumber(low)}`,
      ),
    ),
  );
}

function paymentBox(tx: PendingPayment, inNext: boolean): HTMLElement {
  const side = boxSide(tx.bytes);
  const rate = feeRate(tx);
  return h('a', {
    href: `#/tx/${tx.id}`,
    class: `tx-box rate-${rateBucket(rate)}${inNext ? ' next' : ''}`,
    style: `width:${side}px;height:${side}px`,
    title: t('boxTitle', { id: tx.id.slice(0, 12), bytes: tx.bytes, fee: tx.fee.toString(), rate: rate.toFixed(1) }),
    'aria-label': t('boxTitle', {
      id: tx.id.slice(0, 12),
      bytes: tx.bytes,
      fee: tx.fee.toString(),
      rate: rate.toFixed(1),
    }),
    'data-testid': 'tx-box',
  });
}

function stats(items: [string, string][]): HTMLElement {
  return h(
    'dl',
    { class: 'stats' },
    items.map(([label, value]) => h('div', { class: 'stat' }, h('dt', null, label), h('dd', null, value))),
  );
}

/** Renders the mempool page into `main`; returns its cleanup. */
export function renderMempool(main: HTMLElement, _arg?: string): () => void {
  const heading = h('h1', { tabindex: '-1' }, t('title'));
  const body = h('div', { class: 'mempool-page', 'data-testid': 'mempool' }, h('p', { class: 'muted' }, t('loading')));
  main.append(heading, body);
  let disposed = false;
  let generation = 0;
  // Accounts at the tip, fetched per chain tip (a new block changes balances and nonces).
  let accountsTip = -1;
  const accounts = new Map<string, AccountAtTip>();

  const renderLedger = async (run: number): Promise<void> => {
    const net = await loadLedgerNetwork();
    const hrp = net.spec.hrp;
    const payments: PendingPayment[] = [];
    const problems: string[] = [];
    for (const json of state.pending) {
      try {
        const p = decodePayment(json, hrp, clientTxError);
        payments.push({
          id: p.id,
          sender: p.sender,
          to: p.to,
          nonce: p.nonce,
          amount: p.amount,
          fee: p.fee,
          bytes: p.canonical.length,
        });
      } catch (err) {
        problems.push(t('unreadable', { error: (err as Error).message }));
      }
    }
    if (accountsTip !== state.chain.length) {
      accounts.clear();
      accountsTip = state.chain.length;
    }
    const senders = [...new Set(payments.map((p) => p.sender))].filter((s) => !accounts.has(s));
    await Promise.all(
      senders.map(async (sender) => {
        const a = await getJson<{ balance: string; nonce: string }>(`/accounts/${encodeURIComponent(sender)}`);
        accounts.set(sender, { balance: BigInt(a.balance), nonce: BigInt(a.nonce) });
      }),
    );
    if (disposed || run !== generation) return;
    const room = ledgerRoom(hrp);
    const next = selectNextBlock(payments, accounts, room);
    const inNext = new Set(next);
    const waiting = [...payments].filter((p) => !inNext.has(p)).sort((a, b) => feeRate(b) - feeRate(a));
    let fees = 0n;
    let nextBytes = 0;
    for (const tx of next) {
      fees += tx.fee;
      nextBytes += tx.bytes;
    }
    const totalBytes = payments.reduce((sum, p) => sum + p.bytes, 0);
    replace(
      body,
      h('p', { class: 'lead' }, t('lead')),
      stats([
        [t('pending'), formatNumber(payments.length)],
        [t('bytes'), formatNumber(totalBytes)],
        [t('nextCount'), formatNumber(next.length)],
        [t('nextFees'), formatNumber(Number(fees))],
      ]),
      problems.map((p) => h('p', { class: 'error' }, p)),
      payments.length === 0 ? h('p', { class: 'muted', 'data-testid': 'mempool-empty' }, t('empty')) : null,
      legend(),
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('nextTitle')),
        h('p', { class: 'muted small' }, rich(t('nextLeadLedger', { cap: room }))),
        h(
          'div',
          { class: 'tx-boxes next-block', 'data-testid': 'next-block' },
          next.map((tx) => paymentBox(tx, true)),
        ),
        h('p', { class: 'small muted' }, `${formatNumber(next.length)} · ${formatNumber(nextBytes)} ${t('bytes')}`),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('waitingTitle')),
        waiting.length === 0
          ? h('p', { class: 'muted' }, t('waitingNone'))
          : [
              h('p', { class: 'muted small' }, rich(t('waitingLead'))),
              h(
                'div',
                { class: 'tx-boxes', 'data-testid': 'waiting' },
                waiting.map((tx) => paymentBox(tx, false)),
              ),
            ],
      ),
      payments.length > 0 ? ledgerTable([...next, ...waiting], inNext) : null,
    );
  };

  const ledgerTable = (list: readonly PendingPayment[], inNext: ReadonlySet<PendingPayment>): HTMLElement =>
    h(
      'div',
      { class: 'table-wrap' },
      h(
        'table',
        { class: 'table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            [t('colId'), t('colFrom'), t('colNonce'), t('colBytes'), t('colFee'), t('colRate'), t('colNext')].map((c) =>
              h('th', null, rich(c)),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          list
            .slice(0, 200)
            .map((tx) =>
              h(
                'tr',
                null,
                h('td', null, h('a', { href: `#/tx/${tx.id}`, class: 'hash' }, `${tx.id.slice(0, 12)}…`)),
                h('td', null, h('a', { href: `#/address/${tx.sender}`, class: 'address' }, tx.sender)),
                h('td', { class: 'num' }, tx.nonce.toString()),
                h('td', { class: 'num' }, formatNumber(tx.bytes)),
                h('td', { class: 'num' }, tx.fee.toString()),
                h('td', { class: 'num' }, feeRate(tx).toFixed(1)),
                h('td', null, inNext.has(tx) ? t('yes') : t('no')),
              ),
            ),
        ),
      ),
    );

  const renderTutorial = (): void => {
    const list = state.pending;
    const boxes: Child[] = list.map((tx) => {
      const bytes = canonicalJson(tx).length;
      const side = boxSide(bytes);
      const label = t('boxTitleTutorial', {
        sender: text(tx.sender),
        recipient: text(tx.recipient),
        amount: text(tx.amount),
        bytes,
      });
      return h('span', {
        class: 'tx-box next tutorial',
        style: `width:${side}px;height:${side}px`,
        title: label,
        'aria-label': label,
        role: 'img',
        'data-testid': 'tx-box',
      });
    });
    const totalBytes = list.reduce((sum, tx) => sum + canonicalJson(tx).length, 0);
    replace(
      body,
      h('p', { class: 'lead' }, t('leadTutorial')),
      stats([
        [t('pending'), formatNumber(list.length)],
        [t('bytes'), formatNumber(totalBytes)],
        [t('nextCount'), formatNumber(list.length)],
      ]),
      list.length === 0 ? h('p', { class: 'muted', 'data-testid': 'mempool-empty' }, t('empty')) : null,
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('nextTitle')),
        h('p', { class: 'muted small' }, t('nextLeadTutorial')),
        h('div', { class: 'tx-boxes next-block', 'data-testid': 'next-block' }, boxes),
        list.length === 0
          ? null
          : h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table' },
                h(
                  'thead',
                  null,
                  h(
                    'tr',
                    null,
                    [t('colSender'), t('colRecipient'), t('colAmount'), t('colBytes')].map((c) => h('th', null, c)),
                  ),
                ),
                h(
                  'tbody',
                  null,
                  list.map((tx) =>
                    h(
                      'tr',
                      null,
                      h('td', { class: 'address' }, text(tx.sender)),
                      h('td', { class: 'address' }, text(tx.recipient)),
                      h('td', { class: 'num' }, text(tx.amount)),
                      h('td', { class: 'num' }, formatNumber(canonicalJson(tx).length)),
                    ),
                  ),
                ),
              ),
            ),
      ),
    );
  };

  const render = (): void => {
    if (!state.info) return;
    const run = ++generation;
    if (state.info.profile !== 'ledger') {
      renderTutorial();
      return;
    }
    renderLedger(run).catch((err: unknown) => {
      if (!disposed && run === generation)
        replace(body, h('p', { class: 'error' }, t('error', { error: (err as Error).message })));
    });
  };

  const unsubscribe = subscribe(['info', 'pending', 'chain'], render);
  const offLanguage = onLanguageChange(() => {
    heading.textContent = t('title');
    render();
  });
  render();
  return () => {
    disposed = true;
    unsubscribe();
    offLanguage();
  };
}
