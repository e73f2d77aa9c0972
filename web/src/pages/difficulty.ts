/**
 * Difficulty over height. For the ledger, from GET /headers pages: each block's target as log2 of
 * the hashes it takes on average, and the seconds since its parent, with the block time aimed at;
 * ASERT's retargets show as steps of the target line. For the tutorial profiles, the difficulty is
 * fixed: the page says so and shows it.
 */

import './difficulty.css';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { isJsonObject, JsonNumber, type JsonValue } from '../../../src/core/json.js';
import { workOf } from '../../../src/core/ledger/asert.js';
import { getLossless } from '../api.js';
import { h, replace } from '../dom.js';
import { formatNumber, messages, onLanguageChange } from '../i18n.js';
import { state, subscribe } from '../store.js';
import { expectedHashesText, type LedgerNetwork, loadLedgerNetwork, log2Big } from './ledger-block.js';

const t = messages(
  'difficulty',
  {
    title: 'Difficulty',
    loading: 'Loading…',
    lead: 'The ledger retargets every block with ASERT: for each {halfLife} s the chain runs behind its schedule of one block every {blockTime} s, the target doubles (blocks get easier); for each {halfLife} s ahead, it halves.',
    current: 'expected hashes of the next block',
    currentBits: 'log2 of expected hashes',
    blockTime: 'block time aimed at',
    meanTime: 'mean block time (last {n})',
    retargets: 'target changes',
    seconds: '{n} s',
    chartTitle: 'Target and block time over height',
    seriesHeight: 'height',
    seriesBits: 'target: log2(expected hashes)',
    seriesTime: 'seconds since the parent',
    seriesAim: 'block time aimed at',
    axisBits: 'log2(hashes)',
    axisSeconds: 'seconds',
    tooFew: 'The chart needs two mined blocks (the genesis is not mined). Mine a few from the overview page.',
    tableTitle: 'The last blocks',
    colHeight: 'height',
    colTime: 'seconds since the parent',
    colBits: 'log2(expected hashes)',
    colChange: 'target change',
    easier: '×{f} easier',
    harder: '×{f} harder',
    same: 'same',
    fixedTitle: 'Fixed difficulty',
    fixed:
      'This node runs the tutorial’s {profile} rules: the difficulty is fixed. Every proof needs {zeros} leading hex zeros, about {hashes} hashes a block, whatever the hash rate: blocks come as fast as miners find them. Only the ledger profile retargets.',
    error: 'The headers could not be read: {error}',
  },
  {
    title: '难度',
    loading: '加载中…',
    lead: '账本每个区块都用 ASERT 调整难度：链的进度每落后“每 {blockTime} 秒一个区块”的计划 {halfLife} 秒，目标值翻倍（出块更容易）；每超前 {halfLife} 秒，目标值减半。',
    current: '下一个区块的预期哈希次数',
    currentBits: '预期哈希次数的 log2',
    blockTime: '目标出块时间',
    meanTime: '平均出块时间（最近 {n} 个）',
    retargets: '目标值变化次数',
    seconds: '{n} 秒',
    chartTitle: '目标值与出块时间随高度的变化',
    seriesHeight: '高度',
    seriesBits: '目标值：log2(预期哈希次数)',
    seriesTime: '距父区块的秒数',
    seriesAim: '目标出块时间',
    axisBits: 'log2(哈希次数)',
    axisSeconds: '秒',
    tooFew: '图表至少需要两个挖出的区块（创世区块不是挖出来的）。可以在概览页挖几个。',
    tableTitle: '最近的区块',
    colHeight: '高度',
    colTime: '距父区块的秒数',
    colBits: 'log2(预期哈希次数)',
    colChange: '目标值变化',
    easier: '容易 {f} 倍',
    harder: '难 {f} 倍',
    same: '不变',
    fixedTitle: '固定难度',
    fixed:
      '本节点运行教程的 {profile} 规则：难度是固定的。每个证明都需要 {zeros} 个前导十六进制零，平均每个区块约 {hashes} 次哈希，与算力无关：矿工找得多快，区块就出得多快。只有账本（ledger）配置会调整难度。',
    error: '无法读取区块头：{error}',
  },
);

/** One header as the chart reads it. */
export interface HeaderPoint {
  readonly height: number;
  readonly time: number;
  readonly target: bigint;
}

/** The chart's columns: heights 2.., log2 of expected hashes, seconds since the parent. */
export function difficultySeries(headers: readonly HeaderPoint[]): {
  heights: number[];
  bits: number[];
  gaps: number[];
} {
  const heights: number[] = [];
  const bits: number[] = [];
  const gaps: number[] = [];
  for (let k = 1; k < headers.length; k++) {
    const header = headers[k] as HeaderPoint;
    const parent = headers[k - 1] as HeaderPoint;
    heights.push(header.height);
    bits.push(log2Big(workOf(header.target)));
    gaps.push(header.time - parent.time);
  }
  return { heights, bits, gaps };
}

function headerPoint(value: JsonValue): HeaderPoint | null {
  if (!isJsonObject(value)) return null;
  const { height, time, target } = value;
  if (!(height instanceof JsonNumber) || !(time instanceof JsonNumber) || typeof target !== 'string') return null;
  return { height: height.toNumber(), time: time.toNumber(), target: BigInt(`0x${target}`) };
}

/** Every header of the node's chain, page after page. */
async function loadHeaders(): Promise<HeaderPoint[]> {
  const out: HeaderPoint[] = [];
  for (;;) {
    const answer = await getLossless(`/headers?from=${out.length + 1}&limit=2000`);
    if (!isJsonObject(answer) || !Array.isArray(answer.headers)) throw new Error('GET /headers did not answer headers');
    const page = answer.headers.map(headerPoint).filter((p): p is HeaderPoint => p !== null);
    out.push(...page);
    const height = answer.height instanceof JsonNumber ? answer.height.toNumber() : out.length;
    if (page.length === 0 || out.length >= height) return out;
  }
}

function factorText(ratio: number): string {
  return formatNumber(ratio, { maximumFractionDigits: 2 });
}

/** Renders the difficulty page into `main`; returns its cleanup. */
export function renderDifficulty(main: HTMLElement, _arg?: string): () => void {
  const heading = h('h1', { tabindex: '-1' }, t('title'));
  const body = h(
    'div',
    { class: 'difficulty-page', 'data-testid': 'difficulty' },
    h('p', { class: 'muted' }, t('loading')),
  );
  main.append(heading, body);
  let disposed = false;
  let plot: uPlot | null = null;
  let observer: ResizeObserver | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let generation = 0;

  const dropChart = (): void => {
    observer?.disconnect();
    observer = null;
    plot?.destroy();
    plot = null;
  };

  const drawLedger = (net: LedgerNetwork, headers: readonly HeaderPoint[]): void => {
    const { spec } = net;
    const series = difficultySeries(headers);
    const last = headers[headers.length - 1];
    const recent = series.gaps.slice(-20);
    const mean = recent.length > 0 ? recent.reduce((a, b) => a + b, 0) / recent.length : Number.NaN;
    let changes = 0;
    for (let k = 1; k < series.bits.length; k++) if (series.bits[k] !== series.bits[k - 1]) changes++;
    const chartBox = h('div', { class: 'difficulty-chart', 'data-testid': 'difficulty-chart' });
    const rows = [];
    for (let k = series.heights.length - 1; k >= 0 && rows.length < 20; k--) {
      const prevBits = k > 0 ? (series.bits[k - 1] as number) : null;
      const bits = series.bits[k] as number;
      let change = t('same');
      if (prevBits !== null && bits !== prevBits) {
        const ratio = 2 ** Math.abs(bits - prevBits);
        change = bits < prevBits ? t('easier', { f: factorText(ratio) }) : t('harder', { f: factorText(ratio) });
      }
      rows.push(
        h(
          'tr',
          null,
          h('td', null, h('a', { href: `#/block/${series.heights[k]}` }, `#${series.heights[k]}`)),
          h('td', { class: 'num' }, formatNumber(series.gaps[k] as number)),
          h('td', { class: 'num' }, bits.toFixed(3)),
          h('td', null, prevBits === null ? '—' : change),
        ),
      );
    }
    dropChart();
    replace(
      body,
      h(
        'p',
        { class: 'lead' },
        t('lead', { halfLife: formatNumber(spec.halfLife), blockTime: formatNumber(spec.blockTime) }),
      ),
      h(
        'dl',
        { class: 'stats' },
        h(
          'div',
          { class: 'stat' },
          h('dt', null, t('current')),
          h('dd', { 'data-testid': 'difficulty-current' }, last ? expectedHashesText(last.target) : '—'),
        ),
        h(
          'div',
          { class: 'stat' },
          h('dt', null, t('currentBits')),
          h('dd', null, last ? log2Big(workOf(last.target)).toFixed(3) : '—'),
        ),
        h('div', { class: 'stat' }, h('dt', null, t('blockTime')), h('dd', null, t('seconds', { n: spec.blockTime }))),
        h(
          'div',
          { class: 'stat' },
          h('dt', null, t('meanTime', { n: recent.length })),
          h(
            'dd',
            null,
            Number.isFinite(mean) ? t('seconds', { n: formatNumber(mean, { maximumFractionDigits: 1 }) }) : '—',
          ),
        ),
        h('div', { class: 'stat' }, h('dt', null, t('retargets')), h('dd', null, formatNumber(changes))),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('chartTitle')),
        series.heights.length === 0 ? h('p', { class: 'muted' }, t('tooFew')) : chartBox,
      ),
      rows.length === 0
        ? null
        : h(
            'section',
            { class: 'card' },
            h('h2', null, t('tableTitle')),
            h(
              'div',
              { class: 'table-wrap' },
              h(
                'table',
                { class: 'table', 'data-testid': 'difficulty-table' },
                h(
                  'thead',
                  null,
                  h(
                    'tr',
                    null,
                    [t('colHeight'), t('colTime'), t('colBits'), t('colChange')].map((c) => h('th', null, c)),
                  ),
                ),
                h('tbody', null, rows),
              ),
            ),
          ),
    );
    if (series.heights.length === 0) return;
    const style = getComputedStyle(document.documentElement);
    const accent = style.getPropertyValue('--accent').trim() || '#2563eb';
    const second = style.getPropertyValue('--accent-2').trim() || '#d97706';
    const axisColor = style.getPropertyValue('--muted').trim() || '#666';
    const width = (): number => Math.max(260, chartBox.clientWidth);
    const aim = series.heights.map(() => spec.blockTime);
    plot = new uPlot(
      {
        width: width(),
        height: 260,
        scales: {
          x: {
            time: false,
            range: (_u, min, max) => (Number.isFinite(min) && Number.isFinite(max) ? [min - 0.5, max + 0.5] : [0, 1]),
          },
          bits: { auto: true },
          s: { range: (_u, _min, max) => [0, Math.max(spec.blockTime * 2, Number.isFinite(max) ? max * 1.1 : 1)] },
        },
        series: [
          { label: t('seriesHeight') },
          {
            label: t('seriesBits'),
            scale: 'bits',
            stroke: accent,
            width: 2,
            // Steps: a block's target holds from its height until the next one's.
            paths: uPlot.paths.stepped?.({ align: 1 }),
            points: { show: true, size: 5 },
            value: (_u, v) => (v === null ? '—' : v.toFixed(3)),
          },
          {
            label: t('seriesTime'),
            scale: 's',
            stroke: second,
            width: 1.5,
            points: { show: true, size: 4 },
            value: (_u, v) => (v === null ? '—' : t('seconds', { n: v })),
          },
          { label: t('seriesAim'), scale: 's', stroke: axisColor, width: 1, dash: [6, 4], points: { show: false } },
        ],
        axes: [
          { stroke: axisColor, label: t('seriesHeight'), values: (_u, ticks) => ticks.map((v) => `#${v}`) },
          { scale: 'bits', stroke: axisColor, label: t('axisBits'), size: 60 },
          { scale: 's', side: 1, stroke: axisColor, label: t('axisSeconds'), size: 50, grid: { show: false } },
        ],
        legend: { live: false },
        cursor: { drag: { x: false, y: false } },
      },
      [series.heights, series.bits, series.gaps, aim],
      chartBox,
    );
    let shown = width();
    observer = new ResizeObserver(() => {
      const next = width();
      if (next === shown || !plot) return;
      shown = next;
      plot.setSize({ width: next, height: 260 });
    });
    observer.observe(chartBox);
  };

  const drawTutorial = (): void => {
    const info = state.info;
    if (!info) return;
    dropChart();
    const zeros = info.difficulty;
    const hashes = 16 ** zeros;
    replace(
      body,
      h(
        'section',
        { class: 'card', 'data-testid': 'difficulty-fixed' },
        h('h2', null, t('fixedTitle')),
        h('p', { class: 'difficulty-big' }, h('code', null, `${'0'.repeat(zeros)}…`)),
        h(
          'p',
          null,
          t('fixed', {
            profile: info.profile,
            zeros,
            hashes: hashes <= Number.MAX_SAFE_INTEGER ? formatNumber(hashes) : `16^${zeros}`,
          }),
        ),
      ),
    );
  };

  const render = (): void => {
    if (!state.info || disposed) return;
    if (state.info.profile !== 'ledger') {
      drawTutorial();
      return;
    }
    const run = ++generation;
    Promise.all([loadLedgerNetwork(), loadHeaders()])
      .then(([net, headers]) => {
        if (!disposed && run === generation) drawLedger(net, headers);
      })
      .catch((err: unknown) => {
        if (!disposed && run === generation) {
          dropChart();
          replace(body, h('p', { class: 'error' }, t('error', { error: (err as Error).message })));
        }
      });
  };

  // New blocks arrive in bursts while mining: one reload per burst.
  const later = (): void => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(render, 400);
  };
  const unsubscribe = subscribe(['info', 'chain'], later);
  const offLanguage = onLanguageChange(() => {
    heading.textContent = t('title');
    render();
  });
  render();
  return () => {
    disposed = true;
    if (timer) clearTimeout(timer);
    unsubscribe();
    offLanguage();
    dropChart();
  };
}
