/**
 * The lab's SVG charts (src/lab/chart-svg.ts): well-formed documents, points where the scales put
 * them (linear and log), text escaped, values a scale cannot place left out (never `NaN` or
 * `Infinity` in the output), lines clipped to the plot, and the builders' charts of realistic runs.
 */

import { describe, expect, it } from 'vitest';
import {
  type ChartSpec,
  doubleSpendChart,
  doubleSpendFormulaChart,
  escapeXml,
  findZChart,
  majorityChart,
  renderChart,
  selfishChart,
  selfishFormulaChart,
} from '../../src/lab/chart-svg.js';
import {
  confirmationsFor,
  doubleSpendExact,
  majorityBlocks,
  nakamoto,
  rosenfeld,
  selfishShare,
  selfishThreshold,
  WHITEPAPER,
  wilsonInterval,
} from '../../src/lab/odds.js';
import type { DoubleSpendReport, FindZReport, MajorityReport, SelfishReport } from '../../src/lab/report.js';

/** Opening, closing and self-closing tags of `svg`, checked to nest; throws on the first problem. */
function checkWellFormed(svg: string): void {
  const body = svg.replace(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n/, '');
  expect(body.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
  const stack: string[] = [];
  let last = 0;
  for (const m of body.matchAll(/<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<>]*")*)\s*(\/?)>/g)) {
    const between = body.slice(last, m.index);
    // Text between tags: no markup character left raw, every & an entity.
    expect(between, `text before <${m[2]}>`).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot|apos);)/);
    last = (m.index ?? 0) + m[0].length;
    const [, closing, name, , selfClosing] = m;
    if (selfClosing) continue;
    if (closing) expect(stack.pop(), `</${name}>`).toBe(name);
    else stack.push(name as string);
  }
  expect(body.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
}

/** The attributes of one element's opening tag. */
function attrs(element: string): Record<string, string> {
  return Object.fromEntries([...element.matchAll(/\s([\w:-]+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

function plotRect(svg: string): { left: number; top: number; width: number; height: number } {
  const rect = /<rect class="bf-plot[^>]*>/.exec(svg)?.[0];
  expect(rect).toBeDefined();
  const a = attrs(rect as string);
  return { left: Number(a.x), top: Number(a.y), width: Number(a.width), height: Number(a.height) };
}

/** Centres of the drawn dots, in order. */
function dots(svg: string): { x: number; y: number }[] {
  return [...svg.matchAll(/<circle class="bf-dot"[^>]*>/g)].map((m) => {
    const a = attrs(m[0]);
    return { x: Number(a.cx), y: Number(a.cy) };
  });
}

function noBadNumbers(svg: string): void {
  expect(svg).not.toMatch(/NaN|Infinity|undefined/);
}

const base = (over: Partial<ChartSpec>): ChartSpec => ({
  title: 'test',
  x: { label: 'x', min: 0, max: 1 },
  y: { label: 'y', min: 0, max: 1 },
  series: [],
  ...over,
});

/** A double-spend report as the CLI writes it: formulas from odds.ts, successes near the exact rate. */
function doubleSpendReport(): DoubleSpendReport {
  const rows = [];
  for (const q of [0.1, 0.3]) {
    for (let z = 0; z <= 10; z += 2) {
      const trials = 4000;
      const giveUp = 40;
      const exact = doubleSpendExact(q, z, 'honest', giveUp);
      const successes = Math.round(exact * trials * (z % 4 === 0 ? 1.02 : 0.97));
      rows.push({
        attacker: q,
        confirmations: z,
        trials,
        successes,
        rate: successes / trials,
        interval: wilsonInterval(successes, trials),
        nakamoto: nakamoto(q, z),
        rosenfeld: rosenfeld(q, z),
        exact,
        exactUnbounded: doubleSpendExact(q, z, 'honest'),
        giveUp,
        blocksPerTrial: 14.2,
      });
    }
  }
  return { kind: 'double-spend', seed: 42, tie: 'honest', rows, whitepaper: [], seconds: 31.5 };
}

describe('renderChart', () => {
  it('writes a standalone, well-formed SVG document with size, viewBox, title, axes and legend', () => {
    const svg = renderChart(
      base({
        title: 'A title',
        subtitle: 'settings',
        series: [
          {
            kind: 'line',
            label: 'curve',
            points: [
              { x: 0, y: 0 },
              { x: 1, y: 1 },
            ],
          },
          { kind: 'points', label: 'measured', points: [{ x: 0.5, y: 0.5, low: 0.4, high: 0.6 }] },
        ],
      }),
    );
    checkWellFormed(svg);
    noBadNumbers(svg);
    const root = attrs(/<svg [^>]*>/.exec(svg)?.[0] as string);
    expect(root.width).toBe('720');
    expect(root.viewBox).toBe(`0 0 720 ${root.height}`);
    expect(Number(root.height)).toBeGreaterThan(420);
    expect(svg).toContain('<title>A title</title>');
    expect(svg).toContain('<desc>settings</desc>');
    expect(svg).toContain('<rect class="bf-bg"');
    expect(svg).toMatch(/<g class="bf-legend"[^>]*>.*>curve<.*>measured</s);
    // Ticks 0, 0.2, ..., 1 on both axes.
    expect([...svg.matchAll(/text-anchor="middle" font-size="11">([^<]*)</g)].map((m) => m[1])).toEqual([
      '0',
      '0.2',
      '0.4',
      '0.6',
      '0.8',
      '1.0',
    ]);
  });

  it('leaves the background out when asked for a transparent one', () => {
    expect(renderChart(base({ background: 'transparent' }))).not.toContain('bf-bg');
  });

  it('puts a point at 1e-3 on a log axis from 1e-7 to 1 at 4/7 of the height', () => {
    const svg = renderChart(
      base({
        y: { label: 'p', scale: 'log', min: 1e-7, max: 1 },
        series: [{ kind: 'points', points: [{ x: 0.5, y: 1e-3 }] }],
      }),
    );
    const plot = plotRect(svg);
    const [dot] = dots(svg);
    expect(dot).toBeDefined();
    expect((plot.top + plot.height - (dot?.y as number)) / plot.height).toBeCloseTo(4 / 7, 3);
    expect(dot?.x).toBeCloseTo(plot.left + plot.width / 2, 1);
    // Decade ticks, written as powers of ten.
    for (const label of ['1', '10⁻¹', '10⁻³', '10⁻⁷']) expect(svg).toContain(`>${label}</text>`);
  });

  it('puts linear points in proportion, and places intervals', () => {
    const svg = renderChart(
      base({
        x: { label: 'x', min: 10, max: 20 },
        y: { label: 'y', min: -1, max: 3 },
        series: [{ kind: 'points', points: [{ x: 12.5, y: 0, low: -1, high: 1 }] }],
      }),
    );
    const plot = plotRect(svg);
    const [dot] = dots(svg);
    expect(((dot?.x as number) - plot.left) / plot.width).toBeCloseTo(0.25, 3);
    expect((plot.top + plot.height - (dot?.y as number)) / plot.height).toBeCloseTo(0.25, 3);
    const point = /<g class="bf-point" ([^>]*)>/.exec(svg)?.[1];
    expect(point).toBe('data-x="12.5" data-y="0" data-low="-1" data-high="1"');
  });

  it('escapes <, &, quotes and drops control characters in every text', () => {
    const nasty = 'a <b>&"c\'\u0001</svg><script>';
    const svg = renderChart(
      base({
        title: nasty,
        subtitle: nasty,
        x: { label: nasty, min: 0, max: 1 },
        y: { label: nasty, min: 0, max: 1 },
        series: [
          {
            kind: 'line',
            label: nasty,
            points: [
              { x: 0, y: 0 },
              { x: 1, y: 1 },
            ],
          },
        ],
        markers: [{ axis: 'x', value: 0.5, label: nasty }],
      }),
    );
    checkWellFormed(svg);
    expect(svg).not.toContain('<b>');
    expect(svg).not.toContain('<script>');
    expect(svg).not.toContain('\u0001');
    expect(svg).toContain('a &lt;b&gt;&amp;&quot;c&apos;&lt;/svg&gt;&lt;script&gt;');
    expect(escapeXml('x\ud800y\u{1f600}')).toBe('xy\u{1f600}');
  });

  it('refuses values <= 0 on a log scale gracefully: the point left out, the line broken, no NaN', () => {
    const svg = renderChart(
      base({
        y: { label: 'p', scale: 'log', min: 1e-7, max: 1 },
        series: [
          {
            kind: 'points',
            points: [
              { x: 0.1, y: 0 },
              { x: 0.2, y: -1 },
              { x: 0.3, y: Number.NaN },
              { x: 0.4, y: Number.POSITIVE_INFINITY },
              { x: 0.5, y: 1e-3 },
              { x: Number.NaN, y: 0.5 },
            ],
          },
          {
            kind: 'line',
            points: [
              { x: 0, y: 0.1 },
              { x: 0.2, y: 0.01 },
              { x: 0.4, y: 0 },
              { x: 0.6, y: 0.01 },
              { x: 0.8, y: 0.1 },
            ],
          },
        ],
        markers: [
          { axis: 'y', value: 0, label: 'zero' },
          { axis: 'y', value: 1e-2, label: 'one percent' },
        ],
      }),
    );
    checkWellFormed(svg);
    noBadNumbers(svg);
    expect(dots(svg)).toHaveLength(1);
    const path = /<path d="([^"]*)"/.exec(svg)?.[1] as string;
    expect(path.match(/M/g)).toHaveLength(2);
    expect(svg).not.toContain('>zero<');
    expect(svg).toContain('>one percent<');
  });

  it('survives a log axis given bounds <= 0, and an axis with no data', () => {
    const svg = renderChart(
      base({
        y: { label: 'p', scale: 'log', min: -1, max: 0 },
        series: [{ kind: 'points', points: [{ x: 0.5, y: 0.02 }] }],
      }),
    );
    checkWellFormed(svg);
    noBadNumbers(svg);
    expect(dots(svg)).toHaveLength(1);
    const empty = renderChart({ title: 't', x: { label: 'x' }, y: { label: 'y', scale: 'log' }, series: [] });
    checkWellFormed(empty);
    noBadNumbers(empty);
  });

  it('runs an interval whose low bound is 0 on a log axis down to the bottom, without a dot', () => {
    const svg = renderChart(
      base({
        y: { label: 'p', scale: 'log', min: 1e-6, max: 1 },
        series: [{ kind: 'points', points: [{ x: 0.5, y: 0, low: 0, high: 1e-3 }] }],
      }),
    );
    noBadNumbers(svg);
    expect(dots(svg)).toHaveLength(0);
    const plot = plotRect(svg);
    const bar = attrs((/<g class="bf-point"[^>]*><line [^>]*>/.exec(svg)?.[0] ?? '').replace(/^<g[^>]*>/, ''));
    expect(Number(bar.y2)).toBeCloseTo(plot.top + plot.height, 1);
    expect((plot.top + plot.height - Number(bar.y1)) / plot.height).toBeCloseTo(3 / 6, 3);
  });

  it('clips lines to the plot area', () => {
    const svg = renderChart(
      base({
        series: [
          {
            kind: 'line',
            points: [
              { x: -1, y: -1 },
              { x: 2, y: 2 },
            ],
          },
        ],
      }),
    );
    const plot = plotRect(svg);
    const numbers = (/<path d="([^"]*)"/.exec(svg)?.[1] ?? '').match(/-?[\d.]+/g)?.map(Number);
    expect(numbers).toEqual([plot.left, plot.top + plot.height, plot.left + plot.width, plot.top]);
  });
});

describe('the lab charts', () => {
  it('draws a double-spend run: three formula lines and the simulated points per share, log scale', () => {
    const report = doubleSpendReport();
    const svg = renderChart(doubleSpendChart(report));
    checkWellFormed(svg);
    noBadNumbers(svg);
    expect(svg.match(/class="bf-series bf-line/g)).toHaveLength(6);
    const points = [...svg.matchAll(/<g class="bf-point" data-x="([^"]*)" data-y="([^"]*)"/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    expect(points).toEqual(report.rows.map((r) => [r.confirmations, r.rate]));
    for (const text of ['q = 0.1', 'q = 0.3', 'Nakamoto', 'Rosenfeld', 'simulated, 95% interval', 'seed 42']) {
      expect(svg).toContain(text);
    }
    // A point at its rate on the log axis: the axis runs from a power of ten up to 1.
    const spec = doubleSpendChart(report);
    expect(spec.y.scale).toBe('log');
    expect(spec.y.max).toBe(1);
    expect(Math.log10(spec.y.min as number) % 1).toBe(-0);
  });

  it('takes its texts from a label dictionary (the explorer passes Chinese)', () => {
    const svg = renderChart(
      doubleSpendChart(doubleSpendReport(), {
        doubleSpendTitle: '双重支付',
        shareLegend: '攻击者 q = {q}',
        tieHonest: '平局归诚实链',
      }),
    );
    expect(svg).toContain('<title>双重支付</title>');
    expect(svg).toContain('攻击者 q = 0.3');
    expect(svg).toContain('平局归诚实链');
  });

  it('draws the formula charts with no run', () => {
    for (const spec of [doubleSpendFormulaChart(), selfishFormulaChart()]) {
      const svg = renderChart(spec);
      checkWellFormed(svg);
      noBadNumbers(svg);
      expect(svg).not.toContain('bf-point');
    }
    expect(doubleSpendFormulaChart().series).toHaveLength(12);
    expect(selfishFormulaChart().markers?.map((m) => m.value)).toEqual([1 / 3, 0.25, 0]);
  });

  it('draws a selfish-mining run: closed form per gamma, honest line, points, thresholds', () => {
    const rows = [];
    for (const gamma of [0, 0.5]) {
      for (const alpha of [0.2, 0.3, 0.4]) {
        const closedForm = selfishShare(alpha, gamma);
        const share = closedForm + 0.004;
        rows.push({
          alpha,
          gamma,
          mined: 110_000,
          mainChain: 100_000,
          pool: Math.round(share * 100_000),
          share,
          interval: { low: share - 0.01, high: share + 0.01, confidence: 0.95 },
          closedForm,
          threshold: selfishThreshold(gamma),
          orphaned: 10_000,
        });
      }
    }
    const report: SelfishReport = { kind: 'selfish', seed: 9, rows, seconds: 2 };
    const spec = selfishChart(report);
    const svg = renderChart(spec);
    checkWellFormed(svg);
    noBadNumbers(svg);
    expect(svg.match(/class="bf-point"/g)).toHaveLength(6);
    expect(spec.markers?.map((m) => m.value)).toEqual([1 / 3, 0.25]);
    expect(svg).toContain('γ = 0.5: α &gt; 0.250');
    // The closed form's curve passes through the closed form's value at alpha = 0.3.
    const curve = spec.series.find((s) => s.kind === 'line' && s.color === 1);
    expect(curve?.points.find((p) => p.x === 0.3)?.y).toBeCloseTo(selfishShare(0.3, 0.5), 12);
    // A hostile gamma (outside [0, 1]) is left out, not thrown.
    const odd = selfishChart({ ...report, rows: rows.map((r) => ({ ...r, gamma: 2 })) });
    noBadNumbers(renderChart(odd));
  });

  it('draws a majority run in block intervals with the expected curve', () => {
    const rows = [0.51, 0.7, 0.9].map((attacker) => {
      const expectedSeconds = majorityBlocks(attacker, 3) * 600;
      const meanSeconds = expectedSeconds * 1.03;
      return {
        attacker,
        depth: 3,
        trials: 300,
        meanSeconds,
        interval: { low: meanSeconds * 0.9, high: meanSeconds * 1.1, confidence: 0.95 },
        medianSeconds: meanSeconds * 0.8,
        expectedSeconds,
        attackerBlocks: 20,
      };
    });
    const report: MajorityReport = { kind: 'majority', seed: 1, blockTime: 600, rows, seconds: 1 };
    const spec = majorityChart(report);
    const svg = renderChart(spec);
    checkWellFormed(svg);
    noBadNumbers(svg);
    const ys = [...svg.matchAll(/<g class="bf-point" data-x="[^"]*" data-y="([^"]*)"/g)].map((m) => Number(m[1]));
    expect(ys).toEqual(rows.map((r) => r.meanSeconds / 600));
    expect(spec.y.scale).toBe('log');
    expect(svg).toContain('one block interval = 600 s');
  });

  it('draws a find-z run with the whitepaper printed values as rings', () => {
    const report: FindZReport = {
      kind: 'find-z',
      risk: 0.001,
      tie: 'honest',
      rows: WHITEPAPER.risk001.map(([q, z]) => ({
        attacker: q,
        nakamoto: confirmationsFor(nakamoto, q, 0.001),
        whitepaper: q === 0.45 ? null : z,
        rosenfeld: confirmationsFor(rosenfeld, q, 0.001),
        exact: confirmationsFor((a, b) => doubleSpendExact(a, b, 'honest'), q, 0.001),
      })),
    };
    const svg = renderChart(findZChart(report));
    checkWellFormed(svg);
    noBadNumbers(svg);
    // Seven printed values plotted (the 0.45 row has none), and the legend's ring.
    expect(svg.match(/<circle class="bf-dot"[^>]*r="4" fill="none"/g)).toHaveLength(7);
    expect(svg).toMatch(/<g class="bf-legend".*r="4" fill="none".*whitepaper \(as printed\)/s);
    expect(svg).toContain('Confirmations needed for a risk below 0.001');
  });
});
