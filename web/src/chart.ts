/**
 * The overview's chart of recent blocks (uPlot): the time between consecutive blocks and the
 * tries each proof took (proof + 1: the tutorial's miner counts up from 0).
 */

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { seconds } from './format.js';
import { formatNumber, messages } from './i18n.js';
import type { ChainBlock } from './store.js';

const t = messages(
  'chart',
  {
    block: 'block',
    gapSeries: 'seconds since the previous block',
    triesSeries: 'tries (proof + 1)',
    secondsAxis: 'seconds',
    triesAxis: 'tries',
  },
  {
    block: '区块',
    gapSeries: '距上一个区块的秒数',
    triesSeries: '尝试次数',
    secondsAxis: '秒',
    triesAxis: '尝试次数',
  },
);

/** Blocks the chart shows. */
export const CHART_BLOCKS = 30;

function series(chain: readonly ChainBlock[]): uPlot.AlignedData {
  const recent = chain.slice(-CHART_BLOCKS - 1);
  const xs: number[] = [];
  const gaps: (number | null)[] = [];
  const tries: (number | null)[] = [];
  for (let k = 1; k < recent.length; k++) {
    const block = recent[k]!;
    const prev = recent[k - 1]!;
    xs.push(block.index);
    gaps.push(Math.max(0, block.timestamp - prev.timestamp));
    const proof = Number(block.proof);
    tries.push(Number.isFinite(proof) ? proof + 1 : null);
  }
  return [xs, gaps, tries];
}

/** 1.2M, 350k, 900: tick labels that fit beside the plot. */
function compact(n: number): string {
  if (n >= 1e6) return `${Number((n / 1e6).toFixed(1))}M`;
  if (n >= 1e3) return `${Number((n / 1e3).toFixed(1))}k`;
  return String(n);
}

/** A chart in `target`, resized with it. */
export function blockChart(
  target: HTMLElement,
  chain: readonly ChainBlock[],
): { update(chain: readonly ChainBlock[]): void; destroy(): void } {
  const width = (): number => Math.max(260, target.clientWidth);
  const style = getComputedStyle(document.documentElement);
  const accent = style.getPropertyValue('--accent').trim() || '#2563eb';
  const second = style.getPropertyValue('--accent-2').trim() || '#d97706';
  const axisColor = style.getPropertyValue('--muted').trim() || '#666';
  const bars = uPlot.paths.bars?.({ size: [0.6, 40] });
  const plot = new uPlot(
    {
      width: width(),
      height: 220,
      scales: {
        // Half a block of room at each end, so the first and last bars are whole.
        x: {
          time: false,
          range: (_u, min, max) => (Number.isFinite(min) && Number.isFinite(max) ? [min - 0.5, max + 0.5] : [0, 1]),
        },
        s: { auto: true },
        // Bars start at zero, or two similar proofs would look ten times apart.
        tries: { range: (_u, _min, max) => [0, Number.isFinite(max) && max > 0 ? max * 1.1 : 1] },
      },
      series: [
        { label: t('block') },
        {
          label: t('gapSeries'),
          scale: 's',
          stroke: accent,
          width: 2,
          points: { show: true, size: 5 },
          value: (_u, v) => (v === null ? '—' : seconds(v)),
        },
        {
          label: t('triesSeries'),
          scale: 'tries',
          stroke: second,
          fill: `${second}55`,
          ...(bars ? { paths: bars } : {}),
          value: (_u, v) => (v === null ? '—' : formatNumber(v)),
        },
      ],
      axes: [
        {
          stroke: axisColor,
          label: t('block'),
          incrs: [1, 2, 5, 10, 20, 50, 100],
          values: (_u, ticks) => ticks.map((t) => `#${t}`),
        },
        { scale: 's', stroke: axisColor, label: t('secondsAxis'), size: 50 },
        {
          scale: 'tries',
          side: 1,
          stroke: axisColor,
          label: t('triesAxis'),
          size: 70,
          grid: { show: false },
          values: (_u, ticks) => ticks.map(compact),
        },
      ],
      legend: { live: false },
      cursor: { drag: { x: false, y: false } },
    },
    series(chain),
    target,
  );
  let shown = width();
  // Only on a real width change: resizing the plot must not feed back into the observer.
  const observer = new ResizeObserver(() => {
    const next = width();
    if (next === shown) return;
    shown = next;
    plot.setSize({ width: next, height: 220 });
  });
  observer.observe(target);
  return {
    update(next) {
      plot.setData(series(next));
    },
    destroy() {
      observer.disconnect();
      plot.destroy();
    },
  };
}
