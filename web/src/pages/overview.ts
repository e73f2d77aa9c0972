/** Overview: the node at a glance, a chart of recent blocks, the Mine button and live activity. */

import { blockChart } from '../chart.js';
import { h, replace } from '../dom.js';
import { ago, count, dateTime, rate, shortHash } from '../format.js';
import { minePanel } from '../mine-panel.js';
import { state, subscribe } from '../store.js';

function stat(label: string, value: Node | string, hint?: string): HTMLElement {
  return h('div', { class: 'stat' }, h('dt', null, label), h('dd', null, value, hint ? h('small', null, hint) : null));
}

/** Renders the overview into `main`; returns its cleanup. */
export function renderOverview(main: HTMLElement): () => void {
  const stats = h('dl', { class: 'stats' });
  const chartBox = h('div', { class: 'chart', role: 'img', 'aria-label': 'Chart of recent blocks' });
  const chartNote = h('p', { class: 'muted small' });
  const feed = h('ol', { class: 'feed' });
  const mine = minePanel();
  const intro = h('p', { class: 'lead' });

  main.append(
    h('h1', { tabindex: '-1' }, 'Overview'),
    intro,
    stats,
    mine.el,
    h('section', { class: 'card' }, h('h2', null, 'Recent blocks'), chartNote, chartBox),
    h(
      'section',
      { class: 'card' },
      h('h2', null, 'Live activity'),
      h(
        'p',
        { class: 'muted small' },
        'What happens on this node while the page is open: blocks mined here or with curl, transactions, chains adopted from peers.',
      ),
      feed,
    ),
  );

  const renderStats = (): void => {
    const tip = state.chain[state.chain.length - 1];
    const info = state.info;
    if (info) {
      const rule = info.profile === 'master' ? 'sha256(last_proof + proof + last_hash)' : 'sha256(last_proof + proof)';
      replace(
        intro,
        `This node follows the tutorial's ${info.profile} rules: a block is valid when ${rule} starts with ${info.difficulty} zeros and its previous_hash is the hash of the block before it.`,
      );
    }
    replace(
      stats,
      stat('Height', h('a', { href: '#/chain' }, count(state.chain.length)), 'blocks'),
      stat('Profile', info?.profile ?? '…'),
      stat('Difficulty', info ? String(info.difficulty) : '…', 'leading zeros'),
      stat(
        'Last block',
        tip ? h('a', { href: `#/block/${tip.index}` }, tip.index === 1 ? 'genesis' : `#${tip.index}`) : '…',
        tip ? `${ago(tip.timestamp)} · ${dateTime(tip.timestamp)}` : undefined,
      ),
      stat('Pending', h('a', { href: '#/transactions' }, count(state.pending.length)), 'transactions'),
      stat('Peers', h('a', { href: '#/peers' }, count(state.peers.length))),
      stat(
        'Mining rate',
        state.mining ? 'mining…' : rate(state.lastRate),
        info?.threads
          ? `${info.threads} thread${info.threads === 1 ? '' : 's'}${info.kernel ? `, ${info.kernel} kernel` : ''}`
          : 'last search',
      ),
      stat(
        'Node id',
        state.nodeId
          ? h(
              'a',
              { href: `#/address/${encodeURIComponent(state.nodeId)}`, title: state.nodeId },
              h('code', null, shortHash(state.nodeId, 8)),
            )
          : '…',
        'its mining rewards go here',
      ),
    );
  };

  let chart: ReturnType<typeof blockChart> | null = null;
  const renderChart = (): void => {
    const mined = state.chain.length - 1;
    replace(
      chartNote,
      mined > 0
        ? 'Line: seconds between one block and the next. Bars: tries the proof took (the miner counts up from 0, so tries = proof + 1).'
        : 'No block mined yet: press Mine and watch the chart grow.',
    );
    if (!chart) chart = blockChart(chartBox, state.chain);
    else chart.update(state.chain);
  };

  const renderFeed = (): void => {
    if (state.activity.length === 0) {
      replace(
        feed,
        h('li', { class: 'muted' }, 'Nothing yet. Mine a block or post a transaction (here or with curl).'),
      );
      return;
    }
    replace(
      feed,
      state.activity.map((a) =>
        h(
          'li',
          null,
          h('time', null, new Date(a.time * 1000).toLocaleTimeString('en-GB')),
          ' ',
          a.href ? h('a', { href: a.href }, a.text) : a.text,
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
