/**
 * Chain: the blocks as linked cards, newest first. Each card names its own hash and the hash it
 * points back to; the link below it shows that previous_hash equals the older card's hash.
 */

import { h, replace } from '../dom.js';
import { ago, count, dateTime, shortHash } from '../format.js';
import { minePanel } from '../mine-panel.js';
import { type ChainBlock, state, subscribe } from '../store.js';

/** Cards shown before "Show older blocks". */
const PAGE = 25;

function card(block: ChainBlock, older: ChainBlock | undefined): HTMLElement {
  const genesis = block.index === 1;
  const linked = older ? block.previousHash === older.hash : genesis;
  return h(
    'li',
    { class: 'block-item' },
    h(
      'article',
      {
        class: `block-card${genesis ? ' genesis' : ''}`,
        'aria-labelledby': `block-${block.index}-title`,
        'data-index': block.index,
      },
      h(
        'header',
        null,
        h(
          'h2',
          { id: `block-${block.index}-title` },
          h('a', { href: `#/block/${block.index}` }, genesis ? 'Block #1 (genesis)' : `Block #${block.index}`),
        ),
        h(
          'time',
          { datetime: new Date(block.timestamp * 1000).toISOString(), title: dateTime(block.timestamp) },
          ago(block.timestamp),
        ),
      ),
      h(
        'dl',
        null,
        h('dt', null, 'hash'),
        h('dd', null, h('code', { class: 'hash', title: block.hash }, shortHash(block.hash, 16))),
        h('dt', null, 'previous_hash'),
        h(
          'dd',
          null,
          genesis
            ? h('code', null, block.previousHash, h('span', { class: 'muted' }, ' (genesis: nothing before it)'))
            : h('code', { class: 'hash prev', title: block.previousHash }, shortHash(block.previousHash, 16)),
        ),
        h('dt', null, 'proof'),
        h('dd', null, h('code', null, block.proof)),
        h('dt', null, 'transactions'),
        h('dd', null, count(block.txCount)),
      ),
    ),
    genesis
      ? null
      : h(
          'p',
          { class: `link ${linked ? 'ok' : 'bad'}` },
          h('span', { 'aria-hidden': 'true' }, '↓ '),
          linked
            ? `previous_hash of #${block.index} = hash of #${block.index - 1} (${shortHash(block.previousHash, 8)})`
            : `previous_hash of #${block.index} does not match the hash of #${block.index - 1}`,
        ),
  );
}

/** Renders the chain page into `main`; returns its cleanup. */
export function renderChain(main: HTMLElement): () => void {
  const list = h('ol', { class: 'chain', reversed: true, 'aria-label': 'Blocks, newest first' });
  const summary = h('p', { class: 'muted' });
  const more = h('button', { type: 'button', class: 'secondary' }, 'Show older blocks');
  let shown = PAGE;
  const mine = minePanel();

  main.append(
    h('h1', { tabindex: '-1' }, 'Chain'),
    h(
      'p',
      { class: 'lead' },
      'Every block stores the hash of the block before it (previous_hash). Change anything in a block and its hash changes, so the next block no longer points to it: that is what makes the chain tamper-evident. Open a block to see how its hash and proof are computed.',
    ),
    mine.el,
    summary,
    list,
    more,
  );

  const render = (): void => {
    const chain = state.chain;
    const from = Math.max(0, chain.length - shown);
    const cards: HTMLElement[] = [];
    for (let k = chain.length - 1; k >= from; k--) cards.push(card(chain[k]!, chain[k - 1]));
    replace(list, cards);
    replace(summary, `${count(chain.length)} block${chain.length === 1 ? '' : 's'}, newest first.`);
    more.hidden = from === 0;
  };
  more.addEventListener('click', () => {
    shown += PAGE;
    render();
  });

  const off = subscribe(['chain'], render);
  render();
  return () => {
    off();
    mine.dispose();
  };
}
