/**
 * The warning banner for a chain adopted from a peer with another genesis block: every block this
 * node had is gone, and some transactions are pending again. Shown above every page until dismissed,
 * because it can happen while any page is open (a sync in the background, Resolve, another node).
 */

import { h, replace } from './dom.js';
import { text } from './format.js';
import { messages, onLanguageChange } from './i18n.js';
import { reorgSentences } from './reorg.js';
import { changed, state, subscribe } from './store.js';

const t = messages(
  'reorg-banner',
  {
    dismiss: 'Dismiss',
    listLabel: 'Transactions back in the pending list',
    amount: ', amount ',
    more: 'and {n} more',
    seePending: 'See the pending list',
    seeChain: 'See the chain',
  },
  {
    dismiss: '关闭',
    listLabel: '退回待处理列表的交易',
    amount: '，金额 ',
    more: '还有 {n} 笔',
    seePending: '查看待处理列表',
    seeChain: '查看链',
  },
);

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
    const dismiss = h('button', { type: 'button', class: 'secondary' }, t('dismiss'));
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
              { class: 'reorg-txs', 'aria-label': t('listLabel') },
              txs
                .slice(0, LISTED)
                .map((tx) =>
                  h(
                    'li',
                    null,
                    h('code', null, text(tx.sender)),
                    ' → ',
                    h('code', null, text(tx.recipient)),
                    t('amount'),
                    h('code', null, text(tx.amount)),
                  ),
                ),
              txs.length > LISTED ? h('li', { class: 'muted' }, t('more', { n: txs.length - LISTED })) : null,
            )
          : null,
        h(
          'div',
          { class: 'row' },
          h('a', { href: '#/transactions' }, t('seePending')),
          h('a', { href: '#/chain' }, t('seeChain')),
          dismiss,
        ),
      ),
    );
  };
  const off = subscribe(['reorg'], render);
  const offLanguage = onLanguageChange(render);
  render();
  return () => {
    off();
    offLanguage();
  };
}
