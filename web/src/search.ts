/**
 * The header's search box: a block height or hash (→ #/block/N), a transaction id (→ #/tx/ID when
 * GET /transactions/:id knows it, on the ledger), an address (→ #/address/A). What it cannot find
 * it says so, and why.
 */

import './search.css';
import { hashJson } from '../../src/core/canonical.js';
import { isJsonObject, JsonNumber } from '../../src/core/json.js';
import { encodeAddress, parseAddress } from '../../src/core/ledger/keys.js';
import { ApiError, getLossless } from './api.js';
import { h, replace } from './dom.js';
import { text } from './format.js';
import { messages, onLanguageChange } from './i18n.js';
import { loadLedgerNetwork } from './pages/ledger-block.js';
import { state } from './store.js';

const t = messages(
  'search',
  {
    label: 'Search',
    placeholder: 'Block height or hash, transaction id, address',
    go: 'Search',
    searching: 'Searching…',
    empty: 'Type a block height, a block hash, a transaction id or an address.',
    invalid: '“{q}” is not a block height, a hash or an address.',
    noHeight: 'No block #{n}: the chain has {count} blocks.',
    noHash: 'No block or transaction has the hash {q}.',
    noHashTutorial: 'No block has the hash {q} (this node’s profile has no transaction ids).',
    noAddress: '“{q}” is not an address of this network: {error}',
    unknownAddress: 'No transaction of this chain or of the mempool names “{q}”.',
    failed: 'The search failed: {error}',
  },
  {
    label: '搜索',
    placeholder: '区块高度或哈希、交易 id、地址',
    go: '搜索',
    searching: '搜索中…',
    empty: '请输入区块高度、区块哈希、交易 id 或地址。',
    invalid: '“{q}”不是区块高度、哈希或地址。',
    noHeight: '没有区块 #{n}：链上共有 {count} 个区块。',
    noHash: '没有哈希为 {q} 的区块或交易。',
    noHashTutorial: '没有哈希为 {q} 的区块（本节点的配置没有交易 id）。',
    noAddress: '“{q}”不是这个网络的地址：{error}',
    unknownAddress: '链上和交易池中都没有涉及“{q}”的交易。',
    failed: '搜索失败：{error}',
  },
);

/** What a search input is. */
export type SearchQuery =
  | { readonly kind: 'empty' }
  | { readonly kind: 'height'; readonly height: number }
  /** 64 hex: a block hash or a transaction id. */
  | { readonly kind: 'hash'; readonly hash: string }
  | { readonly kind: 'address'; readonly address: string }
  | { readonly kind: 'invalid'; readonly text: string };

/** Classifies what the user typed (pure). */
export function classifySearch(input: string): SearchQuery {
  const q = input.trim();
  if (q === '') return { kind: 'empty' };
  const height = /^#?([0-9]+)$/.exec(q);
  if (height) {
    const n = Number(height[1]);
    return Number.isSafeInteger(n) && n >= 1 ? { kind: 'height', height: n } : { kind: 'invalid', text: q };
  }
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(q)) return { kind: 'hash', hash: q.replace(/^0x/, '').toLowerCase() };
  if (/^[\x21-\x7e]{1,200}$/.test(q)) return { kind: 'address', address: q };
  return { kind: 'invalid', text: q };
}

/** Where a search leads: a route, or a message saying what was not found. */
export type SearchOutcome = { readonly route: string } | { readonly message: string };

/** The ledger block hash `hash`'s height, from GET /headers pages, or null. */
async function ledgerHeightOfHash(hash: string): Promise<number | null> {
  let from = 1;
  for (;;) {
    const answer = await getLossless(`/headers?from=${from}&limit=2000`);
    if (!isJsonObject(answer) || !Array.isArray(answer.headers)) return null;
    for (const header of answer.headers) {
      if (isJsonObject(header) && hashJson(header) === hash) {
        return header.height instanceof JsonNumber ? header.height.toNumber() : null;
      }
    }
    from += answer.headers.length;
    const height = answer.height instanceof JsonNumber ? answer.height.toNumber() : 0;
    if (answer.headers.length === 0 || from > height) return null;
  }
}

/** Resolves a query against the node (its chain as the page holds it, and the API). */
export async function resolveSearch(query: SearchQuery): Promise<SearchOutcome> {
  const ledger = state.info?.profile === 'ledger';
  switch (query.kind) {
    case 'empty':
      return { message: t('empty') };
    case 'invalid':
      return { message: t('invalid', { q: query.text }) };
    case 'height': {
      const length = state.chain.length;
      return query.height <= length
        ? { route: `#/block/${query.height}` }
        : { message: t('noHeight', { n: query.height, count: length }) };
    }
    case 'hash': {
      if (!ledger) {
        const k = state.chain.findIndex((b) => b.hash === query.hash);
        return k >= 0 ? { route: `#/block/${k + 1}` } : { message: t('noHashTutorial', { q: query.hash }) };
      }
      const height = await ledgerHeightOfHash(query.hash);
      if (height !== null) return { route: `#/block/${height}` };
      try {
        await getLossless(`/transactions/${query.hash}`);
        return { route: `#/tx/${query.hash}` };
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return { message: t('noHash', { q: query.hash }) };
        throw err;
      }
    }
    case 'address': {
      if (ledger) {
        const { spec } = await loadLedgerNetwork();
        try {
          const id = parseAddress(spec.hrp, query.address);
          return { route: `#/address/${encodeURIComponent(encodeAddress(spec.hrp, id))}` };
        } catch (err) {
          return { message: t('noAddress', { q: query.address, error: (err as Error).message }) };
        }
      }
      const names = (tx: unknown): boolean =>
        isJsonObject(tx as never) &&
        (text((tx as Record<string, never>).sender) === query.address ||
          text((tx as Record<string, never>).recipient) === query.address);
      const known =
        state.pending.some(names) ||
        state.chain.some((b) => Array.isArray(b.json.transactions) && b.json.transactions.some(names));
      return known
        ? { route: `#/address/${encodeURIComponent(query.address)}` }
        : { message: t('unknownAddress', { q: query.address }) };
    }
  }
}

/** Mounts the search box into `container`. */
export function mountSearch(container: HTMLElement): void {
  const input = h('input', {
    type: 'search',
    name: 'q',
    autocomplete: 'off',
    spellcheck: 'false',
    'data-testid': 'search-input',
  });
  const button = h('button', { type: 'submit', class: 'secondary' });
  const message = h('p', {
    class: 'search-message',
    role: 'status',
    'aria-live': 'polite',
    'data-testid': 'search-message',
  });
  const form = h('form', { class: 'search', role: 'search', 'data-testid': 'search' }, input, button, message);
  const label = (): void => {
    input.placeholder = t('placeholder');
    input.setAttribute('aria-label', t('label'));
    button.textContent = t('go');
  };
  label();
  onLanguageChange(label);
  let run = 0;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const mine = ++run;
    replace(message, t('searching'));
    message.classList.remove('error');
    resolveSearch(classifySearch(input.value))
      .catch((err: unknown) => ({ message: t('failed', { error: (err as Error).message }) }))
      .then((outcome) => {
        if (mine !== run) return;
        if ('route' in outcome) {
          replace(message);
          input.value = '';
          location.hash = outcome.route;
        } else {
          message.classList.add('error');
          replace(message, outcome.message);
        }
      });
  });
  // The message goes when the user types again.
  input.addEventListener('input', () => {
    replace(message);
    message.classList.remove('error');
  });
  container.append(form);
}
