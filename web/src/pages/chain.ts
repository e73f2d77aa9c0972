/**
 * Chain: the blocks as linked cards, newest first. Each card names its own hash and the hash it
 * points back to; the link below it shows that previous_hash equals the older card's hash.
 */

import { h, replace, rich } from '../dom.js';
import { ago, count, dateTime, shortHash } from '../format.js';
import { messages } from '../i18n.js';
import { minePanel } from '../mine-panel.js';
import { type ChainBlock, state, subscribe } from '../store.js';

const t = messages(
  'chain',
  {
    title: 'Chain',
    genesisTitle: 'Block #1 (genesis)',
    blockTitle: 'Block #{index}',
    hash: 'hash',
    genesisNothingBefore: ' (genesis: nothing before it)',
    transactions: 'transactions',
    linked: '{link} of #{index} = hash of #{prev} ({hash})',
    notLinked: '{link} of #{index} does not match the hash of #{prev}',
    listLabel: 'Blocks, newest first',
    showOlder: 'Show older blocks',
    lead: 'Every block stores the hash of the block before it ({link}). Change anything in a block and its hash changes, so the next block no longer points to it: that is what makes the chain tamper-evident. Open a block to see how its hash and {proof} are computed.',
    summaryOne: '{n} block, newest first.',
    summaryMany: '{n} blocks, newest first.',
  },
  {
    title: '链',
    genesisTitle: '区块 #1（创世区块）',
    blockTitle: '区块 #{index}',
    hash: '哈希',
    genesisNothingBefore: '（创世区块：它之前什么都没有）',
    transactions: '交易数',
    linked: '#{index} 的 {link} = #{prev} 的哈希（{hash}）',
    notLinked: '#{index} 的 {link} 与 #{prev} 的哈希不一致',
    listLabel: '区块，最新的在前',
    showOlder: '显示更早的区块',
    lead: '每个区块都保存着前一个区块的哈希（{link}）。改动区块里的任何内容，它的哈希就会改变，下一个区块便不再指向它：正因如此，链上的篡改无法隐藏。打开一个区块，看看它的哈希和 {proof} 是怎样算出来的。',
    summaryOne: '共 {n} 个区块，最新的在前。',
    summaryMany: '共 {n} 个区块，最新的在前。',
  },
);

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
          h(
            'a',
            { href: `#/block/${block.index}` },
            genesis ? t('genesisTitle') : t('blockTitle', { index: String(block.index) }),
          ),
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
        h('dt', null, t('hash')),
        h('dd', null, h('code', { class: 'hash', title: block.hash }, shortHash(block.hash, 16))),
        h('dt', null, h('code', null, 'previous_hash')),
        h(
          'dd',
          null,
          genesis
            ? h('code', null, block.previousHash, h('span', { class: 'muted' }, t('genesisNothingBefore')))
            : h('code', { class: 'hash prev', title: block.previousHash }, shortHash(block.previousHash, 16)),
        ),
        h('dt', null, h('code', null, 'proof')),
        h('dd', null, h('code', null, block.proof)),
        h('dt', null, t('transactions')),
        h('dd', null, count(block.txCount)),
      ),
    ),
    genesis
      ? null
      : h(
          'p',
          { class: `link ${linked ? 'ok' : 'bad'}` },
          h('span', { 'aria-hidden': 'true' }, '↓ '),
          rich(
            linked
              ? t('linked', {
                  link: linkField(),
                  index: String(block.index),
                  prev: String(block.index - 1),
                  hash: shortHash(block.previousHash, 8),
                })
              : t('notLinked', { link: linkField(), index: String(block.index), prev: String(block.index - 1) }),
          ),
        ),
  );
}

/** The field that links a block to its parent: the ledger header's `parent`, the tutorial's `previous_hash`. */
function linkField(): string {
  return state.info?.profile === 'ledger' ? '`parent`' : '`previous_hash`';
}

/** Renders the chain page into `main`; returns its cleanup. */
export function renderChain(main: HTMLElement): () => void {
  const list = h('ol', { class: 'chain', reversed: true, 'aria-label': t('listLabel') });
  const summary = h('p', { class: 'muted' });
  const more = h('button', { type: 'button', class: 'secondary' }, t('showOlder'));
  let shown = PAGE;
  const mine = minePanel();
  const lead = h('p', { class: 'lead' });

  main.append(h('h1', { tabindex: '-1' }, t('title')), lead, mine.el, summary, list, more);

  const render = (): void => {
    const proof = state.info?.profile === 'ledger' ? '`nonce`' : '`proof`';
    replace(lead, rich(t('lead', { link: linkField(), proof })));
    const chain = state.chain;
    const from = Math.max(0, chain.length - shown);
    const cards: HTMLElement[] = [];
    for (let k = chain.length - 1; k >= from; k--) cards.push(card(chain[k]!, chain[k - 1]));
    replace(list, cards);
    replace(summary, t(chain.length === 1 ? 'summaryOne' : 'summaryMany', { n: count(chain.length) }));
    more.hidden = from === 0;
  };
  more.addEventListener('click', () => {
    shown += PAGE;
    render();
  });

  const off = subscribe(['chain', 'info'], render);
  render();
  return () => {
    off();
    mine.dispose();
  };
}
