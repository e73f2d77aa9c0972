/**
 * The block explorer: a hash router over the pages, the header's live indicator, and the event
 * stream. Routes live in the fragment (`#/block/3`) so no page path can clash with the API.
 */

import './style.css';
import { h, replace } from './dom.js';
import { connectLive } from './live.js';
import { renderAddress } from './pages/address.js';
import { renderBlock } from './pages/block.js';
import { renderChain } from './pages/chain.js';
import { renderDifficulty } from './pages/difficulty.js';
import { renderForks } from './pages/forks.js';
import { renderMempool } from './pages/mempool.js';
import { renderNetwork } from './pages/network.js';
import { renderOverview } from './pages/overview.js';
import { renderPeers } from './pages/peers.js';
import { renderTransactions } from './pages/transactions.js';
import { renderTx } from './pages/tx.js';
import { renderWallet } from './pages/wallet.js';
import { mountReorgBanner } from './reorg-banner.js';
import { state, subscribe } from './store.js';

interface Route {
  readonly title: string;
  /** Nav entry this page belongs to. */
  readonly nav: string;
  render(main: HTMLElement): () => void;
}

function route(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const block = /^\/block\/(\d+)$/.exec(path);
  if (block) {
    const n = Number(block[1]);
    return { title: `Block #${n}`, nav: '#/chain', render: (main) => renderBlock(main, n) };
  }
  const tx = /^\/tx\/([0-9a-f]{64})$/.exec(path);
  if (tx) return { title: 'Transaction', nav: '#/wallet', render: (main) => renderTx(main, tx[1] as string) };
  const address = /^\/address\/(.+)$/.exec(path);
  if (address) {
    let value: string;
    try {
      value = decodeURIComponent(address[1] ?? '');
    } catch {
      value = address[1] ?? '';
    }
    return { title: 'Address', nav: '#/transactions', render: (main) => renderAddress(main, value) };
  }
  switch (path) {
    case '/':
      return { title: 'Overview', nav: '#/', render: renderOverview };
    case '/chain':
      return { title: 'Chain', nav: '#/chain', render: renderChain };
    case '/transactions':
      return { title: 'Transactions', nav: '#/transactions', render: renderTransactions };
    case '/peers':
      return { title: 'Peers', nav: '#/peers', render: renderPeers };
    case '/wallet':
      return { title: 'Wallet', nav: '#/wallet', render: renderWallet };
    case '/forks':
      return { title: 'Forks', nav: '#/forks', render: renderForks };
    case '/network':
      return { title: 'Network', nav: '#/network', render: renderNetwork };
    case '/mempool':
      return { title: 'Mempool', nav: '#/mempool', render: renderMempool };
    case '/difficulty':
      return { title: 'Difficulty', nav: '#/difficulty', render: renderDifficulty };
    default:
      return {
        title: 'Not found',
        nav: '',
        render: (main) => {
          main.append(
            h('h1', { tabindex: '-1' }, 'Not found'),
            h('p', null, 'No such page. ', h('a', { href: '#/' }, 'Go to the overview.')),
          );
          return () => undefined;
        },
      };
  }
}

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const live = document.getElementById('live') as HTMLElement;
let cleanup: (() => void) | null = null;

function show(focus: boolean): void {
  // Fragments that are not routes (none are linked, but a user may type one) keep the page.
  if (location.hash !== '' && !location.hash.startsWith('#/')) return;
  const r = route(location.hash);
  cleanup?.();
  main.replaceChildren();
  cleanup = r.render(main);
  document.title = `${r.title} · blockforge explorer`;
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === r.nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  // After a navigation, move focus to the new page's heading so screen readers announce it.
  if (focus) main.querySelector<HTMLElement>('h1')?.focus();
}

function renderLive(): void {
  const labels = { live: 'Live', connecting: 'Connecting…', offline: 'Offline' } as const;
  live.className = `live ${state.live}`;
  replace(live, h('span', { class: 'dot', 'aria-hidden': 'true' }), labels[state.live]);
  live.title =
    state.live === 'live'
      ? 'Updates arrive as they happen (Server-Sent Events from GET /events)'
      : 'Not receiving updates; retrying';
}

document.getElementById('skip')?.addEventListener('click', (event) => {
  // A plain #main link would change the route.
  event.preventDefault();
  main.querySelector<HTMLElement>('h1')?.focus();
});

window.addEventListener('hashchange', () => show(true));
subscribe(['live'], renderLive);
renderLive();
mountReorgBanner(document.getElementById('notices') as HTMLElement);
show(false);
// The stream's hello loads the state (and reloads it after every reconnect).
connectLive();
