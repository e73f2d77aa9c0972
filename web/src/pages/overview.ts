/** Overview: the node at a glance, a chart of recent blocks, the Mine button and live activity. */

import { isJsonObject } from '../../../src/core/json.js';
import { blockChart } from '../chart.js';
import { h, replace, rich } from '../dom.js';
import { ago, count, dateTime, rate, shortHash, timeOfDay } from '../format.js';
import { messages } from '../i18n.js';
import { minePanel } from '../mine-panel.js';
import { type ChainBlock, state, subscribe } from '../store.js';
import { expectedHashesText } from './ledger-block.js';

const t = messages(
  'overview',
  {
    title: 'Overview',
    chartLabel: 'Chart of recent blocks',
    recentBlocks: 'Recent blocks',
    liveActivity: 'Live activity',
    activityNote:
      'What happens on this node while the page is open: blocks mined here or with curl, transactions, chains adopted from peers.',
    intro:
      "This node follows the tutorial's {profile} rules: a block is valid when {rule} starts with {zeros} zeros and its previous_hash is the hash of the block before it.",
    introLedger:
      'This node follows the ledger rules: accounts with balances and nonces, payments signed with Ed25519, and a block is valid when its header hash is at most its `target` (retargeted by ASERT after every block) and its `parent` is the hash of the header before it.',
    expectedHashes: 'expected hashes a block',
    chartNoteLedger:
      'Line: seconds between one block and the next. Bars: the header’s `nonce` + 1 (the tries, for a miner that counts up from 0).',
    height: 'Height',
    blocks: 'blocks',
    profile: 'Profile',
    difficulty: 'Difficulty',
    leadingZeros: 'leading zeros',
    lastBlock: 'Last block',
    genesis: 'genesis',
    pending: 'Pending',
    transactions: 'transactions',
    peers: 'Peers',
    miningRate: 'Mining rate',
    mining: 'mining…',
    threadOne: '{n} thread',
    threadMany: '{n} threads',
    threadsKernel: '{threads}, {kernel} kernel',
    lastSearch: 'last search',
    nodeId: 'Node id',
    rewardsHere: 'its mining rewards go here',
    chartNote:
      'Line: seconds between one block and the next. Bars: tries the proof took (the miner counts up from 0, so tries = proof + 1).',
    chartEmpty: 'No block mined yet: press Mine and watch the chart grow.',
    feedEmpty: 'Nothing yet. Mine a block or post a transaction (here or with curl).',
  },
  {
    title: '概览',
    chartLabel: '最近区块的图表',
    recentBlocks: '最近的区块',
    liveActivity: '实时动态',
    activityNote: '页面打开期间这个节点上发生的事：在这里或用 curl 挖出的区块、交易、从其他节点采用的链。',
    intro:
      '这个节点遵循教程的 {profile} 规则：当 {rule} 以 {zeros} 个零开头，并且区块的 `previous_hash` 等于前一个区块的哈希时，这个区块才有效。',
    introLedger:
      '这个节点遵循账本（ledger）规则：账户有余额和 `nonce`，付款用 Ed25519 签名；当区块头哈希不大于它的 `target`（每个区块之后由 ASERT 重新调整），并且它的 `parent` 等于前一个区块头的哈希时，这个区块才有效。',
    expectedHashes: '每个区块预期的哈希次数',
    chartNoteLedger:
      '折线：相邻两个区块之间的秒数。柱形：区块头的 `nonce` + 1（对从 0 开始往上数的矿工来说，就是尝试次数）。',
    height: '高度',
    blocks: '个区块',
    profile: '规则集',
    difficulty: '难度',
    leadingZeros: '个前导零',
    lastBlock: '最新区块',
    genesis: '创世区块',
    pending: '待处理',
    transactions: '笔交易',
    peers: '节点',
    miningRate: '挖矿速度',
    mining: '挖矿中…',
    threadOne: '{n} 个线程',
    threadMany: '{n} 个线程',
    threadsKernel: '{threads}，{kernel} 内核',
    lastSearch: '上一次搜索',
    nodeId: '节点 ID',
    rewardsHere: '它的挖矿奖励发到这里',
    chartNote:
      '折线：相邻两个区块之间的秒数。柱形：找到 `proof` 所用的尝试次数（矿工从 0 开始往上数，所以尝试次数 = `proof + 1`）。',
    chartEmpty: '还没有挖出区块：点击“挖矿”，看着图表增长。',
    feedEmpty: '还没有动态。挖一个区块，或者提交一笔交易（在这里或用 curl）。',
  },
);

/** The target of a ledger block's header, or null (a tutorial block, or none yet). */
function ledgerTargetOf(block: ChainBlock | undefined): bigint | null {
  const header = block?.json.header;
  if (!isJsonObject(header) || typeof header.target !== 'string' || !/^[0-9a-f]{64}$/.test(header.target)) return null;
  return BigInt(`0x${header.target}`);
}

function threads(n: number, kernel: string | undefined): string {
  const text = t(n === 1 ? 'threadOne' : 'threadMany', { n });
  return kernel ? t('threadsKernel', { threads: text, kernel }) : text;
}

function stat(label: string, value: Node | string, hint?: string): HTMLElement {
  return h('div', { class: 'stat' }, h('dt', null, label), h('dd', null, value, hint ? h('small', null, hint) : null));
}

/** Renders the overview into `main`; returns its cleanup. */
export function renderOverview(main: HTMLElement): () => void {
  const stats = h('dl', { class: 'stats' });
  const chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': t('chartLabel') });
  const chartNote = h('p', { class: 'muted small' });
  const feed = h('ol', { class: 'feed' });
  const mine = minePanel();
  const intro = h('p', { class: 'lead' });

  main.append(
    h('h1', { tabindex: '-1' }, t('title')),
    intro,
    stats,
    mine.el,
    h('section', { class: 'card' }, h('h2', null, t('recentBlocks')), chartNote, chartBox),
    h(
      'section',
      { class: 'card' },
      h('h2', null, t('liveActivity')),
      h('p', { class: 'muted small' }, t('activityNote')),
      feed,
    ),
  );

  const renderStats = (): void => {
    const tip = state.chain[state.chain.length - 1];
    const info = state.info;
    const ledgerTarget = ledgerTargetOf(tip);
    if (info?.profile === 'ledger') replace(intro, rich(t('introLedger')));
    else if (info) {
      const rule = info.profile === 'master' ? 'sha256(last_proof + proof + last_hash)' : 'sha256(last_proof + proof)';
      replace(intro, rich(t('intro', { profile: info.profile, rule: `\`${rule}\``, zeros: info.difficulty })));
    }
    replace(
      stats,
      stat(t('height'), h('a', { href: '#/chain' }, count(state.chain.length)), t('blocks')),
      stat(t('profile'), info?.profile ?? '…'),
      info?.profile === 'ledger'
        ? stat(
            t('difficulty'),
            ledgerTarget === null ? '…' : h('a', { href: '#/difficulty' }, expectedHashesText(ledgerTarget)),
            t('expectedHashes'),
          )
        : stat(t('difficulty'), info ? String(info.difficulty) : '…', t('leadingZeros')),
      stat(
        t('lastBlock'),
        tip ? h('a', { href: `#/block/${tip.index}` }, tip.index === 1 ? t('genesis') : `#${tip.index}`) : '…',
        tip ? `${ago(tip.timestamp)} · ${dateTime(tip.timestamp)}` : undefined,
      ),
      stat(t('pending'), h('a', { href: '#/transactions' }, count(state.pending.length)), t('transactions')),
      stat(t('peers'), h('a', { href: '#/peers' }, count(state.peers.length))),
      stat(
        t('miningRate'),
        state.mining ? t('mining') : rate(state.lastRate),
        info?.threads ? threads(info.threads, info.kernel) : t('lastSearch'),
      ),
      stat(
        t('nodeId'),
        state.nodeId
          ? h(
              'a',
              { href: `#/address/${encodeURIComponent(state.nodeId)}`, title: state.nodeId },
              h('code', null, shortHash(state.nodeId, 8)),
            )
          : '…',
        t('rewardsHere'),
      ),
    );
  };

  let chart: ReturnType<typeof blockChart> | null = null;
  const renderChart = (): void => {
    const mined = state.chain.length - 1;
    const note = state.info?.profile === 'ledger' ? t('chartNoteLedger') : t('chartNote');
    replace(chartNote, rich(mined > 0 ? note : t('chartEmpty')));
    if (!chart) chart = blockChart(chartBox, state.chain);
    else chart.update(state.chain);
  };

  const renderFeed = (): void => {
    if (state.activity.length === 0) {
      replace(feed, h('li', { class: 'muted' }, t('feedEmpty')));
      return;
    }
    replace(
      feed,
      state.activity.map((a) =>
        h(
          'li',
          null,
          h('time', null, timeOfDay(a.time)),
          ' ',
          a.href ? h('a', { href: a.href }, rich(a.text())) : rich(a.text()),
        ),
      ),
    );
  };

  const offs = [
    subscribe(['chain', 'pending', 'peers', 'info', 'mining'], renderStats),
    subscribe(['chain'], renderChart),
    subscribe(['activity'], renderFeed),
  ];
  renderStats();
  renderChart();
  renderFeed();
  // "3 s ago" must keep counting.
  const timer = window.setInterval(renderStats, 5000);
  return () => {
    for (const off of offs) off();
    window.clearInterval(timer);
    mine.dispose();
    chart?.destroy();
  };
}
