/** One address: its net amount (received minus sent, summed exactly by the node) and its history. */

import { isJsonObject, type JsonObject, type JsonValue } from '../../../src/core/json.js';
import { getLossless } from '../api.js';
import { h, labelCells, replace } from '../dom.js';
import { count, dateTime, num, text } from '../format.js';
import { subscribe } from '../store.js';

function row(tx: JsonObject, address: string): HTMLElement {
  const outgoing = tx.sender === address;
  const incoming = tx.recipient === address;
  const direction = outgoing && incoming ? 'to itself' : outgoing ? 'sent' : 'received';
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
        ? h('span', { class: 'muted' }, 'pending')
        : h('a', { href: `#/block/${text(block)}` }, `#${text(block)}`),
    ),
    h('td', null, block === null ? '' : dateTime(num(tx.timestamp))),
    h('td', null, direction),
    h(
      'td',
      null,
      other === '0'
        ? h('span', { class: 'muted' }, 'mining reward')
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
            h('th', { scope: 'col' }, 'Block'),
            h('th', { scope: 'col' }, 'Time'),
            h('th', { scope: 'col' }, 'Direction'),
            h('th', { scope: 'col' }, 'Other party'),
            h('th', { scope: 'col', class: 'num' }, 'Amount'),
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
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  main.append(
    h('h1', { tabindex: '-1' }, 'Address'),
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
          h('dt', null, 'Net amount'),
          h('dd', { 'data-testid': 'net' }, text(answer.net), h('small', null, 'received − sent, in mined blocks')),
        ),
        h('div', { class: 'stat' }, h('dt', null, 'Received'), h('dd', null, text(answer.received))),
        h('div', { class: 'stat' }, h('dt', null, 'Sent'), h('dd', null, text(answer.sent))),
        h(
          'div',
          { class: 'stat' },
          h('dt', null, 'Transactions'),
          h('dd', null, count(total), h('small', null, 'in mined blocks')),
        ),
        h(
          'div',
          { class: 'stat' },
          h('dt', null, 'Pending'),
          h('dd', null, pending.length === 0 ? '0' : `${count(pending.length)} (net ${text(answer.pending_net)})`),
        ),
      ),
      h(
        'p',
        { class: 'muted small' },
        'The tutorial keeps no balances and never checks that a sender has the amount: the net amount is only what the chain says went in and out.',
      ),
      pending.length > 0 ? [h('h2', null, 'Pending'), table('Pending transactions', pending, address)] : null,
      h('h2', null, 'History'),
      txs.length === 0
        ? h('p', { class: 'muted' }, 'No mined transaction involves this address yet.')
        : table('Mined transactions, newest first', txs, address),
      total > txs.length
        ? h('p', { class: 'muted small' }, `The ${count(txs.length)} most recent of ${count(total)}.`)
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
