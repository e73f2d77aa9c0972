/**
 * The warning banner for a chain adopted from a peer with another genesis block: every block this
 * node had is gone, and some transactions are pending again. Shown above every page until dismissed,
 * because it can happen while any page is open (a sync in the background, Resolve, another node).
 */

import { h, replace } from './dom.js';
import { text } from './format.js';
import { reorgSentences } from './reorg.js';
import { changed, state, subscribe } from './store.js';

/** Most returned transactions listed by name (the count is always given). */
const LISTED = 50;

/** Keeps `container` showing the current notice (or nothing). Returns the unsubscribe function. */
export function mountReorgBanner(container: HTMLElement): () => void {
  const render = (): void => {
    const notice = state.reorg;
    if (!notice) {
      container.replaceChildren();
      return;
    }
    const [title, ...sentences] = reorgSentences(notice);
    const dismiss = h('button', { type: 'button', class: 'secondary' }, 'Dismiss');
    dismiss.addEventListener('click', () => {
      state.reorg = null;
      changed('reorg');
    });
    const txs = notice.transactions;
    replace(
      container,
      h(
        'section',
        { class: 'banner warning', role: 'alert', 'aria-labelledby': 'reorg-title', 'data-testid': 'reorg-banner' },
        h('h2', { id: 'reorg-title' }, title),
        sentences.map((s) => h('p', null, s)),
        txs.length > 0
          ? h(
              'ul',
              { class: 'reorg-txs', 'aria-label': 'Transactions back in the pending list' },
              txs
                .slice(0, LISTED)
                .map((tx) =>
                  h(
                    'li',
                    null,
                    h('code', null, text(tx.sender)),
                    ' → ',
                    h('code', null, text(tx.recipient)),
                    ', amount ',
                    h('code', null, text(tx.amount)),
                  ),
                ),
              txs.length > LISTED ? h('li', { class: 'muted' }, `and ${txs.length - LISTED} more`) : null,
            )
          : null,
        h(
          'div',
          { class: 'row' },
          h('a', { href: '#/transactions' }, 'See the pending list'),
          h('a', { href: '#/chain' }, 'See the chain'),
          dismiss,
        ),
      ),
    );
  };
  const off = subscribe(['reorg'], render);
  render();
  return off;
}
