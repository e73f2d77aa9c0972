/**
 * Transactions: the form the tutorial's POST /transactions/new takes (every field checked here with
 * the node's own policy, so all problems show at once; then sent anyway, and the node's answer shown
 * at the field it names), the pending list, and a way to an address's history.
 */

import type { RuleProfile } from '../../../src/core/profile.js';
import { createProfile } from '../../../src/core/profiles.js';
import { type ApiError, postJson } from '../api.js';
import { h, labelCells, replace } from '../dom.js';
import { count, text } from '../format.js';
import { transactionBody } from '../forms.js';
import { minePanel } from '../mine-panel.js';
import { state, subscribe } from '../store.js';
import { TRANSACTION_FIELDS, type TransactionField, transactionFieldErrors } from '../tx-check.js';

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

function field(name: string, label: string, hint: string, attrs: Record<string, string> = {}): [HTMLElement, Field] {
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
  const [senderBox, sender] = field('sender', 'Sender', 'Any non-empty text; "0" is reserved for mining rewards.');
  const [recipientBox, recipient] = field('recipient', 'Recipient', 'Any non-empty text, e.g. someone-other-address.');
  const [amountBox, amount] = field(
    'amount',
    'Amount',
    'A number greater than 0 (5 and 5.0 are different numbers to the hash).',
    { inputmode: 'decimal' },
  );
  const fields: Record<TransactionField, Field> = { sender, recipient, amount };
  const formError = h('p', { class: 'field-error', role: 'alert' });
  const formStatus = h('p', { class: 'ok', role: 'status', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Send transaction');
  const form = h(
    'form',
    { class: 'card form', 'aria-labelledby': 'tx-form-title', novalidate: true },
    h('h2', { id: 'tx-form-title' }, 'New transaction'),
    h(
      'p',
      { class: 'muted small' },
      "This page checks every field with the node's own rules and shows every problem at once, then sends the form anyway: POST /transactions/new, where the node decides, and keeps the transaction, on disk, until the next block is mined.",
    ),
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
      formStatus.textContent = `${answer.message}.`;
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

  const pendingTitle = h('h2', { id: 'pending-title' }, 'Pending');
  const pendingNote = h('p', { class: 'muted small' });
  const pendingBody = h('tbody');
  const pendingTable = h(
    'table',
    { class: 'table stack', 'aria-labelledby': 'pending-title', 'data-testid': 'pending' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', { scope: 'col' }, 'Sender'),
        h('th', { scope: 'col' }, 'Recipient'),
        h('th', { scope: 'col', class: 'num' }, 'Amount'),
      ),
    ),
    pendingBody,
  );
  const mine = minePanel();

  const lookupInput = h('input', {
    id: 'address-lookup',
    name: 'address',
    autocomplete: 'off',
    placeholder: 'e.g. someone-other-address',
  });
  const lookup = h(
    'form',
    { class: 'card form', 'aria-labelledby': 'lookup-title' },
    h('h2', { id: 'lookup-title' }, 'An address'),
    h('div', { class: 'field' }, h('label', { for: 'address-lookup' }, 'Address'), lookupInput),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'secondary' }, 'Show history')),
  );
  lookup.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = lookupInput.value;
    if (value !== '') location.hash = `#/address/${encodeURIComponent(value)}`;
  });

  main.append(
    h('h1', { tabindex: '-1' }, 'Transactions'),
    h(
      'p',
      { class: 'lead' },
      'A transaction waits in the pending list until a block is mined; mining seals all of them into the block, with the miner\'s reward (sender "0") last.',
    ),
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

  const render = (): void => {
    const next = (state.chain[state.chain.length - 1]?.index ?? 0) + 1;
    replace(
      pendingNote,
      state.pending.length === 0
        ? 'Nothing pending. Send a transaction, here or with curl.'
        : `${count(state.pending.length)} transaction${state.pending.length === 1 ? '' : 's'} waiting for block #${next}.`,
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
  const off = subscribe(['pending', 'chain'], render);
  render();
  return () => {
    off();
    mine.dispose();
  };
}
