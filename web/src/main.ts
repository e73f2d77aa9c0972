/**
 * The block explorer: a hash router over the pages, the header (nav, search, language and theme
 * switches, live indicator), and the event stream. Routes live in the fragment (`#/block/3`) so no
 * page path can clash with the API. Every text comes from a catalog: a language switch redraws the
 * header, the footer and the current page, without a reload.
 */

import './style.css';
import { h, replace } from './dom.js';
import {
  currentLanguage,
  initLanguage,
  LANGUAGE_NAMES,
  LANGUAGES,
  type Lang,
  messages,
  onLanguageChange,
  setLanguage,
} from './i18n.js';
import { connectLive } from './live.js';
import { renderAddress } from './pages/address.js';
import { renderBlock } from './pages/block.js';
import { renderChain } from './pages/chain.js';
import { renderDifficulty } from './pages/difficulty.js';
import { renderForks } from './pages/forks.js';
import { renderLab } from './pages/lab.js';
import { renderMempool } from './pages/mempool.js';
import { renderNetwork } from './pages/network.js';
import { renderOverview } from './pages/overview.js';
import { renderPeers } from './pages/peers.js';
import { renderTransactions } from './pages/transactions.js';
import { renderTx } from './pages/tx.js';
import { renderWallet } from './pages/wallet.js';
import { mountReorgBanner } from './reorg-banner.js';
import { mountSearch } from './search.js';
import { state, subscribe } from './store.js';

const t = messages(
  'main',
  {
    appName: 'blockforge explorer',
    brandSub: 'explorer',
    skip: 'Skip to content',
    navLabel: 'Main',
    overview: 'Overview',
    chain: 'Chain',
    transactions: 'Transactions',
    mempool: 'Mempool',
    wallet: 'Wallet',
    peers: 'Peers',
    network: 'Network',
    forks: 'Forks',
    difficulty: 'Difficulty',
    lab: 'Lab',
    labTitle: 'Attack lab',
    apiDocs: 'API docs',
    block: 'Block #{n}',
    transaction: 'Transaction',
    address: 'Address',
    notFound: 'Not found',
    noSuchPage: 'No such page. ',
    goOverview: 'Go to the overview.',
    live: 'Live',
    connecting: 'Connecting…',
    offline: 'Offline',
    liveTitle: 'Updates arrive as they happen (Server-Sent Events from GET /events)',
    offlineTitle: 'Not receiving updates; retrying',
    language: 'Language',
    theme: 'Theme',
    themeSystem: 'System',
    themeLight: 'Light',
    themeDark: 'Dark',
    footer:
      'The node of the tutorial "build your own blockchain step by step". Everything here uses the node\'s HTTP API: ',
  },
  {
    appName: 'blockforge 区块浏览器',
    brandSub: '区块浏览器',
    skip: '跳到正文',
    navLabel: '主导航',
    overview: '概览',
    chain: '链',
    transactions: '交易',
    mempool: '内存池',
    wallet: '钱包',
    peers: '对等节点',
    network: '网络',
    forks: '分叉',
    difficulty: '难度',
    lab: '实验室',
    labTitle: '攻击实验室',
    apiDocs: 'API 文档',
    block: '区块 #{n}',
    transaction: '交易',
    address: '地址',
    notFound: '页面不存在',
    noSuchPage: '没有这个页面。',
    goOverview: '返回概览。',
    live: '实时',
    connecting: '连接中…',
    offline: '离线',
    liveTitle: '更新实时到达（来自 GET /events 的 Server-Sent Events）',
    offlineTitle: '没有收到更新；正在重试',
    language: '语言',
    theme: '主题',
    themeSystem: '跟随系统',
    themeLight: '浅色',
    themeDark: '深色',
    footer: '教程《一步一步构建你自己的区块链》中的节点。这里的一切都通过节点的 HTTP API 完成：',
  },
);

type NavKey =
  | 'overview'
  | 'chain'
  | 'transactions'
  | 'mempool'
  | 'wallet'
  | 'peers'
  | 'network'
  | 'forks'
  | 'difficulty'
  | 'lab';

/** The nav, in order; the API docs link comes last. */
const NAV: readonly (readonly [NavKey, string])[] = [
  ['overview', '#/'],
  ['chain', '#/chain'],
  ['transactions', '#/transactions'],
  ['mempool', '#/mempool'],
  ['wallet', '#/wallet'],
  ['peers', '#/peers'],
  ['network', '#/network'],
  ['forks', '#/forks'],
  ['difficulty', '#/difficulty'],
  ['lab', '#/lab'],
];

interface Route {
  /** The page's title, in the language shown when it is asked. */
  title(): string;
  /** Nav entry this page belongs to. */
  readonly nav: string;
  render(main: HTMLElement): () => void;
}

function page(key: NavKey, render: (main: HTMLElement) => () => void): Route {
  const nav = NAV.find(([k]) => k === key)?.[1] ?? '';
  return { title: () => t(key), nav, render };
}

function route(hash: string): Route {
  const path = hash.replace(/^#/, '') || '/';
  const block = /^\/block\/(\d+)$/.exec(path);
  if (block) {
    const n = Number(block[1]);
    return { title: () => t('block', { n: String(n) }), nav: '#/chain', render: (main) => renderBlock(main, n) };
  }
  const tx = /^\/tx\/([0-9a-f]{64})$/.exec(path);
  if (tx) {
    return { title: () => t('transaction'), nav: '#/wallet', render: (main) => renderTx(main, tx[1] as string) };
  }
  const address = /^\/address\/(.+)$/.exec(path);
  if (address) {
    let value: string;
    try {
      value = decodeURIComponent(address[1] ?? '');
    } catch {
      value = address[1] ?? '';
    }
    return { title: () => t('address'), nav: '#/transactions', render: (main) => renderAddress(main, value) };
  }
  switch (path) {
    case '/':
      return page('overview', renderOverview);
    case '/chain':
      return page('chain', renderChain);
    case '/transactions':
      return page('transactions', renderTransactions);
    case '/peers':
      return page('peers', renderPeers);
    case '/wallet':
      return page('wallet', renderWallet);
    case '/forks':
      return page('forks', renderForks);
    case '/network':
      return page('network', renderNetwork);
    case '/mempool':
      return page('mempool', renderMempool);
    case '/difficulty':
      return page('difficulty', renderDifficulty);
    case '/lab':
      // A short nav label keeps the phone's nav at two rows; the title says what it is.
      return { ...page('lab', renderLab), title: () => t('labTitle') };
    default:
      return {
        title: () => t('notFound'),
        nav: '',
        render: (main) => {
          main.append(
            h('h1', { tabindex: '-1' }, t('notFound')),
            h('p', null, t('noSuchPage'), h('a', { href: '#/' }, t('goOverview'))),
          );
          return () => undefined;
        },
      };
  }
}

// The theme: the system's (no attribute), or the one chosen, kept in local storage.
const THEME_KEY = 'blockforge.theme';
const THEMES = ['system', 'light', 'dark'] as const;
type Theme = (typeof THEMES)[number];

function storedTheme(): Theme {
  try {
    const value = localStorage.getItem(THEME_KEY);
    return (THEMES as readonly string[]).includes(value ?? '') ? (value as Theme) : 'system';
  } catch {
    return 'system';
  }
}

function applyTheme(theme: Theme, remember: boolean): void {
  if (theme === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', theme);
  if (!remember) return;
  try {
    if (theme === 'system') localStorage.removeItem(THEME_KEY);
    else localStorage.setItem(THEME_KEY, theme);
  } catch {
    // Storage may be off (private mode): the choice lasts for this page only.
  }
}

// Before anything is drawn: the theme and the language.
applyTheme(storedTheme(), false);
initLanguage();

const main = document.getElementById('main') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;
const live = document.getElementById('live') as HTMLElement;
const tools = document.getElementById('tools') as HTMLElement;
let cleanup: (() => void) | null = null;
let current: Route = route(location.hash);

function renderNav(): void {
  nav.setAttribute('aria-label', t('navLabel'));
  replace(
    nav,
    NAV.map(([key, href]) => h('a', { href }, t(key))),
    h('a', { href: '/docs', class: 'ext' }, t('apiDocs')),
  );
  markNav();
}

function markNav(): void {
  for (const link of nav.querySelectorAll('a')) {
    if (link.getAttribute('href') === current.nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function show(focus: boolean): void {
  // Fragments that are not routes (none are linked, but a user may type one) keep the page.
  if (location.hash !== '' && !location.hash.startsWith('#/')) return;
  current = route(location.hash);
  cleanup?.();
  main.replaceChildren();
  cleanup = current.render(main);
  document.title = `${current.title()} · ${t('appName')}`;
  markNav();
  // After a navigation, move focus to the new page's heading so screen readers announce it.
  if (focus) main.querySelector<HTMLElement>('h1')?.focus();
}

function renderLive(): void {
  live.className = `live ${state.live}`;
  replace(live, h('span', { class: 'dot', 'aria-hidden': 'true' }), t(state.live));
  live.title = state.live === 'live' ? t('liveTitle') : t('offlineTitle');
}

/** The header's texts outside the nav, and the footer. */
function renderChrome(): void {
  const skip = document.getElementById('skip');
  if (skip) skip.textContent = t('skip');
  const sub = document.getElementById('brand-sub');
  if (sub) sub.textContent = t('brandSub');
  const foot = document.getElementById('foot');
  if (foot) {
    replace(
      foot,
      t('footer'),
      h('a', { href: '/docs' }, t('apiDocs')),
      ' · ',
      h('a', { href: '/openapi.json' }, 'openapi.json'),
      ' · ',
      h('a', { href: '/chain' }, '/chain'),
    );
  }
  renderTools();
}

/** The language and theme switches (rebuilt on a language change, so their labels follow). */
function renderTools(): void {
  const language = h(
    'select',
    { id: 'language-switch', class: 'compact-select' },
    LANGUAGES.map((lang) =>
      h('option', { value: lang, lang, selected: lang === currentLanguage() }, LANGUAGE_NAMES[lang]),
    ),
  );
  language.addEventListener('change', () => setLanguage(language.value as Lang));
  const chosen = storedTheme();
  const theme = h(
    'select',
    { id: 'theme-switch', class: 'compact-select' },
    THEMES.map((value) =>
      h(
        'option',
        { value, selected: value === chosen },
        t(value === 'system' ? 'themeSystem' : value === 'light' ? 'themeLight' : 'themeDark'),
      ),
    ),
  );
  theme.addEventListener('change', () => {
    applyTheme(theme.value as Theme, true);
    // The chart reads its colours when drawn: redraw the page in the new theme.
    show(false);
  });
  replace(
    tools,
    h('label', { class: 'switch' }, h('span', null, t('language')), language),
    h('label', { class: 'switch' }, h('span', null, t('theme')), theme),
  );
}

document.getElementById('skip')?.addEventListener('click', (event) => {
  // A plain #main link would change the route.
  event.preventDefault();
  main.querySelector<HTMLElement>('h1')?.focus();
});

onLanguageChange(() => {
  const switchHadFocus = document.activeElement?.id === 'language-switch';
  renderChrome();
  renderNav();
  renderLive();
  show(false);
  if (switchHadFocus) document.getElementById('language-switch')?.focus();
});

window.addEventListener('hashchange', () => show(true));
subscribe(['live'], renderLive);
renderChrome();
renderNav();
renderLive();
mountSearch(document.getElementById('search') as HTMLElement);
mountReorgBanner(document.getElementById('notices') as HTMLElement);
show(false);
// The stream's hello loads the state (and reloads it after every reconnect).
connectLive();
