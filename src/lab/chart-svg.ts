/**
 * The attack lab's charts as standalone SVG documents: one renderer shared by the explorer's lab page
 * (inline SVG) and the CLI (the docs' chart files), so both draw the same picture from the same run.
 * Pure TypeScript: no Node import and no DOM, the text is built and escaped here.
 *
 * Colours are given twice on purpose: as presentation attributes (`color="#2563eb"`, drawn with
 * `currentColor`; `fill` on texts), so a file on its own renders anywhere, and as classes that a
 * page's stylesheet overrides to follow its theme (CSS rules beat presentation attributes): `color`
 * of `bf-c0`..`bf-c7` (series), `bf-fg`, `bf-muted`, `bf-grid`; `fill` of `bf-text`, `bf-muted-text`
 * (title, subtitle, legend) and `bf-bg` (the white background, absent when transparent).
 *
 * A value a scale cannot place (not finite, or <= 0 on a log scale) is left out: a line breaks there,
 * a point is not drawn. Lines are clipped to the plot area by hand (no `clipPath`, whose ids would
 * clash between charts inlined in one page).
 */

import { doubleSpendExact, majorityBlocks, nakamoto, rosenfeld, selfishShare, selfishThreshold } from './odds.js';
import type { DoubleSpendReport, FindZReport, MajorityReport, SelfishReport, TieRule } from './report.js';

/** A point of a line. */
export interface ChartPoint {
  readonly x: number;
  readonly y: number;
}

/** A point with an optional vertical interval (a simulated rate and its confidence interval). */
export interface IntervalPoint extends ChartPoint {
  readonly low?: number;
  readonly high?: number;
}

/**
 * A colour: an index into {@link CHART_PALETTE} (the page restyles it by class), `fg` (text),
 * `muted` (secondary lines), or a literal `#rgb`/`#rrggbb` (kept as is by any theme).
 */
export type ChartColor = number | 'fg' | 'muted' | `#${string}`;

/** How a line is stroked. */
export type LineStyle = 'solid' | 'dashed' | 'dotted';

/** A formula curve. */
export interface LineSeries {
  readonly kind: 'line';
  /** Its legend entry when the spec has no explicit legend; none when absent. */
  readonly label?: string;
  readonly points: readonly ChartPoint[];
  readonly color?: ChartColor;
  readonly style?: LineStyle;
  /** Stroke width in pixels (default 2). */
  readonly width?: number;
  /** Also draw a small dot at each point (for curves known only at a few x). */
  readonly markers?: boolean;
}

/** Measured values: points with vertical interval bars. */
export interface PointSeries {
  readonly kind: 'points';
  readonly label?: string;
  readonly points: readonly IntervalPoint[];
  readonly color?: ChartColor;
  /** `ring` is a hollow circle, for printed values beside computed ones. */
  readonly shape?: 'circle' | 'ring' | 'square';
}

/** A series of a chart. */
export type ChartSeries = LineSeries | PointSeries;

/** An axis. */
export interface AxisSpec {
  readonly label: string;
  /** `log` is base 10; values <= 0 are left out. Default `linear`. */
  readonly scale?: 'linear' | 'log';
  /** The range; found from the data when absent (a log bound <= 0 is ignored). */
  readonly min?: number;
  readonly max?: number;
  /** Ticks at whole numbers only. */
  readonly integer?: boolean;
  /** The tick labels' text (default: plain decimals, powers of ten as 10⁻³ on a log scale). */
  readonly format?: (value: number) => string;
}

/** A reference line across the plot (e.g. a threshold), with an optional label. */
export interface ChartMarker {
  readonly axis: 'x' | 'y';
  readonly value: number;
  readonly label?: string;
  readonly color?: ChartColor;
  readonly style?: LineStyle;
}

/** One entry of the legend: a colour swatch, a line style or a point. */
export interface LegendEntry {
  readonly label: string;
  readonly kind: 'swatch' | 'line' | 'points';
  readonly color?: ChartColor;
  readonly style?: LineStyle;
  /** For `points`: the mark, and whether an interval bar goes through it (default: circle, bar). */
  readonly shape?: 'circle' | 'ring' | 'square';
  readonly bar?: boolean;
}

/** Everything {@link renderChart} draws. */
export interface ChartSpec {
  readonly title: string;
  /** A second line under the title (the run's settings). */
  readonly subtitle?: string;
  readonly x: AxisSpec;
  readonly y: AxisSpec;
  readonly series: readonly ChartSeries[];
  readonly markers?: readonly ChartMarker[];
  /** The legend, below the plot; by default one entry per labelled series. */
  readonly legend?: readonly LegendEntry[];
  /** Pixels (default 720). */
  readonly width?: number;
  /** Pixels of title, plot and axes (default 420); the legend's rows add to it. */
  readonly height?: number;
  /** `white` (default: a file readable in any viewer) or `transparent` (inline in a themed page). */
  readonly background?: 'white' | 'transparent';
}

/**
 * The series colours, picked to read on white and on the explorer's dark background alike; the
 * explorer brightens them a little in its dark theme (classes `bf-c0`..`bf-c7`).
 */
export const CHART_PALETTE: readonly string[] = [
  '#2563eb',
  '#d97706',
  '#15803d',
  '#b91c1c',
  '#7c3aed',
  '#0e7490',
  '#be185d',
  '#4d7c0f',
];

const FG = '#1b1f24';
const MUTED = '#5b6470';
const GRID = '#e3e7ec';
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Noto Sans CJK SC', sans-serif";

/**
 * `text` safe inside XML text and attribute values: the five special characters escaped, and the
 * characters XML 1.0 forbids (most control characters, lone surrogates) dropped, so a hostile label
 * can neither inject markup nor make the document unparseable.
 */
export function escapeXml(text: string): string {
  let kept = '';
  // for...of walks code points: a lone surrogate comes alone and is dropped with the controls.
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    const allowed =
      c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
    if (allowed) kept += ch;
  }
  return kept
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A coordinate, two decimals at most (the callers never pass a non-finite one). */
function px(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(r === 0 ? 0 : r);
}

/** Rough width of `text` in pixels at `size`: enough to lay out a legend without measuring. */
function textWidth(text: string, size: number): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    w += c >= 0x2e80 ? 1 : c === 32 ? 0.3 : 0.6;
  }
  return w * size;
}

/** The attribute and class of a colour. */
function colorOf(color: ChartColor | undefined, fallback: number): { value: string; cls: string } {
  if (color === 'fg') return { value: FG, cls: 'bf-fg' };
  if (color === 'muted') return { value: MUTED, cls: 'bf-muted' };
  if (typeof color === 'string') return { value: /^#[0-9a-f]{3}([0-9a-f]{3})?$/i.test(color) ? color : FG, cls: '' };
  const k = Number.isInteger(color) ? (color as number) : fallback;
  const i = ((k % CHART_PALETTE.length) + CHART_PALETTE.length) % CHART_PALETTE.length;
  return { value: CHART_PALETTE[i] as string, cls: `bf-c${i}` };
}

function dashOf(style: LineStyle | undefined): string {
  if (style === 'dashed') return ' stroke-dasharray="7 4"';
  if (style === 'dotted') return ' stroke-dasharray="1.5 3.5" stroke-linecap="round"';
  return '';
}

const SUPERSCRIPT: Record<string, string> = {
  '-': '⁻',
  '0': '⁰',
  '1': '¹',
  '2': '²',
  '3': '³',
  '4': '⁴',
  '5': '⁵',
  '6': '⁶',
  '7': '⁷',
  '8': '⁸',
  '9': '⁹',
};

/** 10⁻³ for 0.001 (1 and 10 as such). */
function powerOfTen(exponent: number): string {
  if (exponent === 0) return '1';
  if (exponent === 1) return '10';
  return `10${[...String(exponent)].map((c) => SUPERSCRIPT[c] ?? c).join('')}`;
}

/** A number as short plain text: up to 4 significant digits, no exponent above 1e-6. */
function plain(v: number): string {
  if (!Number.isFinite(v)) return '?';
  return v === 0 ? '0' : String(Number(v.toPrecision(4)));
}

/** The largest "nice" step (1, 2 or 5 times a power of ten) giving about `count` steps over `span`. */
function niceStep(span: number, count: number): number {
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

/** An axis once its range is known. */
interface AxisModel {
  readonly log: boolean;
  readonly min: number;
  readonly max: number;
  readonly ticks: readonly number[];
  readonly label: (v: number) => string;
}

const isPlaceable = (log: boolean) => (v: number) => Number.isFinite(v) && (!log || v > 0);

function linearAxis(spec: AxisSpec, values: readonly number[], ticksWanted: number): AxisModel {
  const finite = values.filter(isPlaceable(false));
  let lo = finite.length > 0 ? Math.min(...finite) : 0;
  let hi = finite.length > 0 ? Math.max(...finite) : 1;
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.5;
    lo -= pad;
    hi += pad;
  }
  let step = niceStep(hi - lo, ticksWanted);
  let min = Number.isFinite(spec.min) ? (spec.min as number) : Math.floor(lo / step) * step;
  let max = Number.isFinite(spec.max) ? (spec.max as number) : Math.ceil(hi / step) * step;
  if (!(max > min)) {
    min = Math.floor(lo / step) * step;
    max = Math.ceil(hi / step) * step;
  }
  step = niceStep(max - min, ticksWanted);
  if (spec.integer) step = Math.max(1, Math.round(step));
  const ticks: number[] = [];
  for (let k = Math.ceil(min / step - 1e-9); k <= Math.floor(max / step + 1e-9); k++) {
    ticks.push(Number((k * step).toPrecision(12)));
  }
  const digits = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  const label = spec.format ?? ((v: number) => (v === 0 ? '0' : v.toFixed(Math.min(digits, 12))));
  return { log: false, min, max, ticks, label };
}

function logAxis(spec: AxisSpec, values: readonly number[]): AxisModel {
  const positive = values.filter(isPlaceable(true));
  const lo = positive.length > 0 ? Math.min(...positive) : 0.1;
  const hi = positive.length > 0 ? Math.max(...positive) : 1;
  let min =
    Number.isFinite(spec.min) && (spec.min as number) > 0 ? (spec.min as number) : 10 ** Math.floor(Math.log10(lo));
  let max =
    Number.isFinite(spec.max) && (spec.max as number) > 0 ? (spec.max as number) : 10 ** Math.ceil(Math.log10(hi));
  if (!(max > min)) {
    min = 10 ** Math.floor(Math.log10(lo));
    max = Math.max(10 ** Math.ceil(Math.log10(hi)), min * 10);
  }
  const first = Math.ceil(Math.log10(min) - 1e-9);
  const last = Math.floor(Math.log10(max) + 1e-9);
  const every = Math.max(1, Math.ceil((last - first + 1) / 9));
  let ticks: number[] = [];
  for (let e = first; e <= last; e += every) ticks.push(10 ** e);
  if (ticks.length < 2) {
    // Less than a decade: 1, 2 and 5 times the powers of ten in range, else the ends.
    ticks = [];
    for (let e = first - 1; e <= last; e++) {
      for (const d of [1, 2, 5]) {
        const v = Number((d * 10 ** e).toPrecision(12));
        if (v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9)) ticks.push(v);
      }
    }
    if (ticks.length < 2) ticks = [min, max];
  }
  const label =
    spec.format ??
    ((v: number) => {
      const e = Math.log10(v);
      return Math.abs(e - Math.round(e)) < 1e-9 ? powerOfTen(Math.round(e)) : plain(v);
    });
  return { log: true, min, max, ticks, label };
}

function axisModel(spec: AxisSpec, values: readonly number[], ticksWanted: number): AxisModel {
  return spec.scale === 'log' ? logAxis(spec, values) : linearAxis(spec, values, ticksWanted);
}

/** An axis mapped onto pixels. */
interface Scale extends AxisModel {
  /** The pixel of `v` (possibly outside the plot), or null where the scale cannot place it. */
  at(v: number | undefined): number | null;
  /** Whether `v` lies within the axis range. */
  inside(v: number): boolean;
}

function scaleOf(model: AxisModel, from: number, to: number): Scale {
  const t = (v: number): number => (model.log ? Math.log10(v) : v);
  const t0 = t(model.min);
  const t1 = t(model.max);
  const placeable = isPlaceable(model.log);
  return {
    ...model,
    at(v) {
      if (v === undefined || !placeable(v)) return null;
      const p = from + ((t(v) - t0) / (t1 - t0)) * (to - from);
      return Number.isFinite(p) ? p : null;
    },
    inside(v) {
      const span = Math.abs(t1 - t0) * 1e-9;
      return placeable(v) && t(v) >= t0 - span && t(v) <= t1 + span;
    },
  };
}

interface Rect {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
}

/** The part of segment a-b inside `r` (Liang-Barsky), or null. */
function clipSegment(
  ax: number,
  ay: number,
  bx: number,
  by: number,
  r: Rect,
): readonly [number, number, number, number] | null {
  let t0 = 0;
  let t1 = 1;
  const dx = bx - ax;
  const dy = by - ay;
  const p = [-dx, dx, -dy, dy];
  const q = [ax - r.left, r.right - ax, ay - r.top, r.bottom - ay];
  for (let k = 0; k < 4; k++) {
    const pk = p[k] as number;
    const qk = q[k] as number;
    if (pk === 0) {
      if (qk < 0) return null;
    } else {
      const t = qk / pk;
      if (pk < 0) {
        if (t > t1) return null;
        if (t > t0) t0 = t;
      } else {
        if (t < t0) return null;
        if (t < t1) t1 = t;
      }
    }
  }
  return [ax + t0 * dx, ay + t0 * dy, ax + t1 * dx, ay + t1 * dy];
}

function allValues(spec: ChartSpec, axis: 'x' | 'y'): number[] {
  const out: number[] = [];
  for (const s of spec.series) {
    for (const p of s.points) {
      out.push(p[axis]);
      if (axis === 'y' && s.kind === 'points') {
        const ip = p as IntervalPoint;
        if (ip.low !== undefined) out.push(ip.low);
        if (ip.high !== undefined) out.push(ip.high);
      }
    }
  }
  for (const m of spec.markers ?? []) if (m.axis === axis) out.push(m.value);
  return out;
}

function lineSvg(s: LineSeries, x: Scale, y: Scale, r: Rect, index: number): string {
  const color = colorOf(s.color, index);
  const pts = s.points.map((p) => {
    const a = x.at(p.x);
    const b = y.at(p.y);
    return a === null || b === null ? null : ([a, b] as const);
  });
  let d = '';
  let pen: readonly [number, number] | null = null;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1];
    const b = pts[i];
    if (!a || !b) {
      pen = null;
      continue;
    }
    const seg = clipSegment(a[0], a[1], b[0], b[1], r);
    if (!seg) {
      pen = null;
      continue;
    }
    if (!pen || Math.abs(pen[0] - seg[0]) > 1e-6 || Math.abs(pen[1] - seg[1]) > 1e-6) {
      d += `M${px(seg[0])} ${px(seg[1])}`;
    }
    d += `L${px(seg[2])} ${px(seg[3])}`;
    pen = [seg[2], seg[3]];
  }
  const dots =
    s.markers === true
      ? s.points
          .filter((p) => x.inside(p.x) && y.inside(p.y))
          .map(
            (p) =>
              `<circle cx="${px(x.at(p.x) as number)}" cy="${px(y.at(p.y) as number)}" r="2.5" fill="currentColor"/>`,
          )
          .join('')
      : '';
  if (d === '' && dots === '') return '';
  const label = s.label === undefined ? '' : ` data-label="${escapeXml(s.label)}"`;
  const path =
    d === ''
      ? ''
      : `<path d="${d}" fill="none" stroke="currentColor" stroke-width="${px(s.width ?? 2)}" stroke-linejoin="round"${dashOf(s.style)}/>`;
  return `<g class="bf-series bf-line ${color.cls}" color="${color.value}"${label}>${path}${dots}</g>`;
}

function pointsSvg(s: PointSeries, x: Scale, y: Scale, r: Rect, index: number): string {
  const color = colorOf(s.color, index);
  const parts: string[] = [];
  for (const p of s.points) {
    if (!x.inside(p.x)) continue;
    const cx = x.at(p.x) as number;
    const cy = y.inside(p.y) ? (y.at(p.y) as number) : null;
    let bar = '';
    if (p.high !== undefined && y.at(p.high) !== null) {
      // A low bound the scale cannot place (0 on a log scale) runs the bar to the bottom.
      const lowPx = p.low === undefined ? (cy ?? y.at(p.high)) : (y.at(p.low) ?? r.bottom);
      const highPx = y.at(p.high) as number;
      const top = Math.max(r.top, Math.min(lowPx as number, highPx));
      const bottom = Math.min(r.bottom, Math.max(lowPx as number, highPx));
      if (top <= bottom) {
        bar = `<line x1="${px(cx)}" y1="${px(top)}" x2="${px(cx)}" y2="${px(bottom)}" stroke="currentColor" stroke-width="1.5"/>`;
        if (top > r.top)
          bar += `<line x1="${px(cx - 4)}" y1="${px(top)}" x2="${px(cx + 4)}" y2="${px(top)}" stroke="currentColor" stroke-width="1.5"/>`;
        if (bottom < r.bottom)
          bar += `<line x1="${px(cx - 4)}" y1="${px(bottom)}" x2="${px(cx + 4)}" y2="${px(bottom)}" stroke="currentColor" stroke-width="1.5"/>`;
      }
    }
    let dot = '';
    if (cy !== null) {
      if (s.shape === 'square') {
        dot = `<rect class="bf-dot" x="${px(cx - 3.5)}" y="${px(cy - 3.5)}" width="7" height="7" fill="currentColor"/>`;
      } else if (s.shape === 'ring') {
        dot = `<circle class="bf-dot" cx="${px(cx)}" cy="${px(cy)}" r="4" fill="none" stroke="currentColor" stroke-width="1.8"/>`;
      } else {
        dot = `<circle class="bf-dot" cx="${px(cx)}" cy="${px(cy)}" r="3.5" fill="currentColor"/>`;
      }
    }
    if (bar === '' && dot === '') continue;
    const data = [`data-x="${escapeXml(String(p.x))}"`];
    if (Number.isFinite(p.y)) data.push(`data-y="${escapeXml(String(p.y))}"`);
    if (p.low !== undefined && Number.isFinite(p.low)) data.push(`data-low="${escapeXml(String(p.low))}"`);
    if (p.high !== undefined && Number.isFinite(p.high)) data.push(`data-high="${escapeXml(String(p.high))}"`);
    parts.push(`<g class="bf-point" ${data.join(' ')}>${bar}${dot}</g>`);
  }
  if (parts.length === 0) return '';
  const label = s.label === undefined ? '' : ` data-label="${escapeXml(s.label)}"`;
  return `<g class="bf-series bf-points ${color.cls}" color="${color.value}"${label}>${parts.join('')}</g>`;
}

function legendSwatch(entry: LegendEntry, x: number, y: number): string {
  if (entry.kind === 'swatch') {
    return `<rect x="${px(x + 5)}" y="${px(y - 10)}" width="12" height="12" rx="2" fill="currentColor"/>`;
  }
  if (entry.kind === 'points') {
    const bar =
      entry.bar === false
        ? ''
        : `<line x1="${px(x + 11)}" y1="${px(y - 11)}" x2="${px(x + 11)}" y2="${px(y + 3)}" stroke="currentColor" stroke-width="1.5"/>`;
    if (entry.shape === 'ring') {
      return `${bar}<circle cx="${px(x + 11)}" cy="${px(y - 4)}" r="4" fill="none" stroke="currentColor" stroke-width="1.8"/>`;
    }
    if (entry.shape === 'square') {
      return `${bar}<rect x="${px(x + 7.5)}" y="${px(y - 7.5)}" width="7" height="7" fill="currentColor"/>`;
    }
    return `${bar}<circle cx="${px(x + 11)}" cy="${px(y - 4)}" r="3.5" fill="currentColor"/>`;
  }
  return `<line x1="${px(x)}" y1="${px(y - 4)}" x2="${px(x + 22)}" y2="${px(y - 4)}" stroke="currentColor" stroke-width="2"${dashOf(entry.style)}/>`;
}

/**
 * Renders `spec` as a standalone SVG document (an XML declaration, then one `<svg>` with width,
 * height and viewBox). The plot area is the `rect.bf-plot`; each drawn point is a `g.bf-point` with
 * its values in `data-x`, `data-y`, `data-low`, `data-high`. Never throws on odd data and never
 * writes `NaN` or `Infinity`: what a scale cannot place is left out.
 */
export function renderChart(spec: ChartSpec): string {
  const width = Number.isFinite(spec.width) && (spec.width as number) >= 200 ? (spec.width as number) : 720;
  const height = Number.isFinite(spec.height) && (spec.height as number) >= 160 ? (spec.height as number) : 420;
  const xModel = axisModel(spec.x, allValues(spec, 'x'), Math.max(3, Math.round(width / 90)));
  const yModel = axisModel(spec.y, allValues(spec, 'y'), Math.max(3, Math.round(height / 70)));

  const yLabels = yModel.ticks.map((v) => yModel.label(v));
  const tickWidth = Math.max(0, ...yLabels.map((s) => textWidth(s, 11)));
  const titleBottom = spec.subtitle ? 50 : 34;
  const rect: Rect = {
    left: Math.round(34 + tickWidth + 8),
    top: titleBottom + 12,
    right: width - 20,
    bottom: height - 50,
  };
  const x = scaleOf(xModel, rect.left, rect.right);
  const y = scaleOf(yModel, rect.bottom, rect.top);
  const plotW = rect.right - rect.left;
  const plotH = rect.bottom - rect.top;

  // The legend flows in rows under the x axis' label.
  const entries: LegendEntry[] = spec.legend
    ? [...spec.legend]
    : spec.series.flatMap((s, i) =>
        s.label === undefined
          ? []
          : [
              {
                label: s.label,
                kind: s.kind === 'line' ? 'line' : 'points',
                color: s.color ?? i,
                ...(s.kind === 'line' && s.style ? { style: s.style } : {}),
                ...(s.kind === 'points'
                  ? {
                      shape: s.shape ?? 'circle',
                      bar: s.points.some((p) => p.low !== undefined || p.high !== undefined),
                    }
                  : {}),
              } satisfies LegendEntry,
            ],
      );
  const legend: string[] = [];
  let lx = rect.left;
  let row = 0;
  for (const [i, entry] of entries.entries()) {
    const w = 28 + textWidth(entry.label, 12) + 16;
    if (lx > rect.left && lx + w > width - 10) {
      lx = rect.left;
      row++;
    }
    const ly = height + 8 + row * 20;
    const color = colorOf(entry.color ?? 'fg', i);
    legend.push(
      `<g class="bf-legend-entry ${color.cls}" color="${color.value}">${legendSwatch(entry, lx, ly)}` +
        `<text x="${px(lx + 28)}" y="${px(ly)}" fill="${FG}" class="bf-text">${escapeXml(entry.label)}</text></g>`,
    );
    lx += w;
  }
  const total = entries.length > 0 ? height + (row + 1) * 20 + 6 : height;

  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="bf-chart" width="${px(width)}" height="${px(total)}" ` +
      `viewBox="0 0 ${px(width)} ${px(total)}" role="img" aria-label="${escapeXml(spec.title)}" ` +
      `font-family="${escapeXml(FONT)}" font-size="12">`,
  );
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  if (spec.subtitle) out.push(`<desc>${escapeXml(spec.subtitle)}</desc>`);
  if ((spec.background ?? 'white') === 'white') {
    out.push(`<rect class="bf-bg" x="0" y="0" width="${px(width)}" height="${px(total)}" fill="#ffffff"/>`);
  }
  out.push(
    `<text class="bf-title bf-text" x="${px(rect.left)}" y="24" font-size="15" font-weight="600" fill="${FG}">${escapeXml(spec.title)}</text>`,
  );
  if (spec.subtitle) {
    out.push(
      `<text class="bf-subtitle bf-muted-text" x="${px(rect.left)}" y="42" fill="${MUTED}">${escapeXml(spec.subtitle)}</text>`,
    );
  }

  // Grid and ticks.
  const grid: string[] = [];
  const labels: string[] = [];
  for (const [k, v] of yModel.ticks.entries()) {
    const p = y.at(v);
    if (p === null || !y.inside(v)) continue;
    grid.push(`<line x1="${px(rect.left)}" y1="${px(p)}" x2="${px(rect.right)}" y2="${px(p)}"/>`);
    labels.push(
      `<text x="${px(rect.left - 6)}" y="${px(p + 4)}" text-anchor="end" font-size="11">${escapeXml(yLabels[k] as string)}</text>`,
    );
  }
  for (const v of xModel.ticks) {
    const p = x.at(v);
    if (p === null || !x.inside(v)) continue;
    grid.push(`<line x1="${px(p)}" y1="${px(rect.top)}" x2="${px(p)}" y2="${px(rect.bottom)}"/>`);
    labels.push(
      `<text x="${px(p)}" y="${px(rect.bottom + 16)}" text-anchor="middle" font-size="11">${escapeXml(xModel.label(v))}</text>`,
    );
  }
  out.push(`<g class="bf-grid" color="${GRID}" stroke="currentColor" stroke-width="1">${grid.join('')}</g>`);
  out.push(
    `<rect class="bf-plot bf-muted" color="${MUTED}" x="${px(rect.left)}" y="${px(rect.top)}" width="${px(plotW)}" height="${px(plotH)}" fill="none" stroke="currentColor" stroke-width="1"/>`,
  );
  out.push(`<g class="bf-ticks bf-muted" color="${MUTED}" fill="currentColor">${labels.join('')}</g>`);
  out.push(
    `<g class="bf-axis-labels bf-fg" color="${FG}" fill="currentColor" font-size="13">` +
      `<text class="bf-x-label" x="${px(rect.left + plotW / 2)}" y="${px(rect.bottom + 38)}" text-anchor="middle">${escapeXml(spec.x.label)}</text>` +
      `<text class="bf-y-label" x="0" y="0" text-anchor="middle" transform="translate(16 ${px(rect.top + plotH / 2)}) rotate(-90)">${escapeXml(spec.y.label)}</text>` +
      '</g>',
  );

  // Markers under the series, so the data stays on top.
  let labelled = 0;
  for (const [i, m] of (spec.markers ?? []).entries()) {
    const color = colorOf(m.color ?? 'muted', i);
    const dash = dashOf(m.style ?? 'dashed');
    if (m.axis === 'x') {
      if (!x.inside(m.value)) continue;
      const p = x.at(m.value) as number;
      let text = '';
      if (m.label) {
        const right = p > rect.left + plotW * 0.7;
        text = `<text x="${px(right ? p - 4 : p + 4)}" y="${px(rect.top + 14 + 14 * labelled++)}" font-size="11" fill="currentColor"${right ? ' text-anchor="end"' : ''}>${escapeXml(m.label)}</text>`;
      }
      out.push(
        `<g class="bf-marker ${color.cls}" color="${color.value}"><line x1="${px(p)}" y1="${px(rect.top)}" x2="${px(p)}" y2="${px(rect.bottom)}" stroke="currentColor" stroke-width="1.5"${dash}/>${text}</g>`,
      );
    } else {
      if (!y.inside(m.value)) continue;
      const p = y.at(m.value) as number;
      const text = m.label
        ? `<text x="${px(rect.right - 4)}" y="${px(p - 4)}" font-size="11" fill="currentColor" text-anchor="end">${escapeXml(m.label)}</text>`
        : '';
      out.push(
        `<g class="bf-marker ${color.cls}" color="${color.value}"><line x1="${px(rect.left)}" y1="${px(p)}" x2="${px(rect.right)}" y2="${px(p)}" stroke="currentColor" stroke-width="1.5"${dash}/>${text}</g>`,
      );
    }
  }

  // Lines first, points over them.
  for (const [i, s] of spec.series.entries()) if (s.kind === 'line') out.push(lineSvg(s, x, y, rect, i));
  for (const [i, s] of spec.series.entries()) if (s.kind === 'points') out.push(pointsSvg(s, x, y, rect, i));

  if (legend.length > 0) out.push(`<g class="bf-legend" font-size="12">${legend.join('')}</g>`);
  out.push('</svg>');
  return `${out.filter((s) => s !== '').join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------
// The lab's charts.

/**
 * Every text the lab's chart builders write, in English by default ({@link ENGLISH_CHART_LABELS});
 * the explorer passes its Chinese catalog. `{name}` placeholders are filled by the builders.
 */
export interface ChartLabels {
  readonly doubleSpendTitle: string;
  readonly doubleSpendFormulaTitle: string;
  /** `{tie}` is {@link ChartLabels.tieHonest} or {@link ChartLabels.tieAttacker}. */
  readonly doubleSpendSubtitle: string;
  readonly tieHonest: string;
  readonly tieAttacker: string;
  readonly confirmationsAxis: string;
  readonly probabilityAxis: string;
  readonly shareLegend: string;
  readonly nakamotoLegend: string;
  readonly rosenfeldLegend: string;
  readonly exactLegend: string;
  readonly labRuleLegend: string;
  readonly simulatedLegend: string;
  readonly formulaSubtitle: string;
  readonly findZTitle: string;
  readonly findZSubtitle: string;
  readonly shareAxis: string;
  readonly confirmationsNeededAxis: string;
  readonly whitepaperLegend: string;
  readonly selfishTitle: string;
  readonly selfishFormulaTitle: string;
  readonly selfishSubtitle: string;
  readonly poolShareAxis: string;
  readonly revenueAxis: string;
  readonly gammaLegend: string;
  readonly closedFormLegend: string;
  readonly honestLegend: string;
  readonly thresholdLegend: string;
  readonly thresholdMarker: string;
  readonly majorityTitle: string;
  readonly majoritySubtitle: string;
  readonly majorityShareAxis: string;
  readonly intervalsAxis: string;
  readonly depthLegend: string;
  readonly expectedLegend: string;
  readonly meanLegend: string;
}

/** The builders' texts in English. */
export const ENGLISH_CHART_LABELS: ChartLabels = {
  doubleSpendTitle: 'Double spend: chance the payment is reversed',
  doubleSpendFormulaTitle: 'Double spend: the formulas',
  doubleSpendSubtitle: '{tie}; simulated: {trials} trials a point, seed {seed}',
  tieHonest: 'a tie stays with the honest chain',
  tieAttacker: 'a tie goes to the attacker',
  confirmationsAxis: 'confirmations z (the payment’s block is the first)',
  probabilityAxis: 'probability of success (log scale)',
  shareLegend: 'q = {q}',
  nakamotoLegend: 'Nakamoto (whitepaper)',
  rosenfeldLegend: 'Rosenfeld (a tie wins for the attacker)',
  exactLegend: 'exact, under the run’s rule',
  labRuleLegend: 'exact, under the lab’s rule (a tie stays honest)',
  simulatedLegend: 'simulated, {confidence}% interval',
  formulaSubtitle: 'Formulas only: no simulation. Open a lab run to see simulated points.',
  findZTitle: 'Confirmations needed for a risk below {risk}',
  findZSubtitle: '{tie}',
  shareAxis: 'attacker share q',
  confirmationsNeededAxis: 'confirmations z',
  whitepaperLegend: 'whitepaper (as printed)',
  selfishTitle: 'Selfish mining: the pool’s share of the main chain',
  selfishFormulaTitle: 'Selfish mining: the closed form',
  selfishSubtitle: 'seed {seed}',
  poolShareAxis: 'pool share α',
  revenueAxis: 'pool’s share of main-chain blocks',
  gammaLegend: 'γ = {gamma}',
  closedFormLegend: 'Eyal and Sirer’s closed form',
  honestLegend: 'honest mining (share = α)',
  thresholdLegend: 'threshold: selfish mining pays beyond it',
  thresholdMarker: 'γ = {gamma}: α > {alpha}',
  majorityTitle: 'Majority attack: time until the attacker’s branch wins',
  majoritySubtitle: 'one block interval = {blockTime} s; seed {seed}',
  majorityShareAxis: 'attacker share q',
  intervalsAxis: 'time, in block intervals',
  depthLegend: '{depth} blocks deep',
  expectedLegend: 'expected: (depth + 1) / (2q − 1)',
  meanLegend: 'simulated mean, {confidence}% interval',
};

function fill(template: string, vars: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const v = vars[name];
    return v === undefined ? whole : typeof v === 'number' ? plain(v) : v;
  });
}

/** A formula evaluated where it may refuse its input (a file's odd share): NaN, left out of the chart. */
function safe(f: () => number): number {
  try {
    return f();
  } catch {
    return Number.NaN;
  }
}

/** Distinct values in ascending order. */
function distinct(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** Lowest power of ten at or under the smallest positive value, within [10^-floor, 10^-1]. */
function logFloor(values: readonly number[], deepest = 12): number {
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  if (positive.length === 0) return 1e-3;
  const e = Math.floor(Math.log10(Math.min(...positive)) + 1e-9);
  return 10 ** Math.max(-deepest, Math.min(-1, e));
}

function percent(confidence: number | undefined): number {
  return Number.isFinite(confidence) ? Math.round((confidence as number) * 1000) / 10 : 95;
}

function trialsText(trials: readonly number[]): string {
  if (trials.length === 0) return '0';
  const lo = Math.min(...trials);
  const hi = Math.max(...trials);
  return lo === hi ? plain(lo) : `${plain(lo)}–${plain(hi)}`;
}

function tieText(tie: TieRule, L: ChartLabels): string {
  return tie === 'attacker' ? L.tieAttacker : L.tieHonest;
}

function styleLegend(L: ChartLabels, exactLabel: string, confidence: number): LegendEntry[] {
  return [
    { label: L.nakamotoLegend, kind: 'line', color: 'fg', style: 'solid' },
    { label: exactLabel, kind: 'line', color: 'fg', style: 'dashed' },
    { label: L.rosenfeldLegend, kind: 'line', color: 'fg', style: 'dotted' },
    ...(Number.isFinite(confidence)
      ? [{ label: fill(L.simulatedLegend, { confidence }), kind: 'points', color: 'fg' } satisfies LegendEntry]
      : []),
  ];
}

/**
 * A double-spend run (`blockforge lab double-spend --json`): x the confirmations, y the probability
 * on a log scale; per attacker share (one colour each) Nakamoto's formula (solid), the exact
 * probability under the run's rule (dashed, what the simulation estimates), Rosenfeld's (dotted),
 * and the simulated rates with their Wilson intervals.
 */
export function doubleSpendChart(report: DoubleSpendReport, labels?: Partial<ChartLabels>): ChartSpec {
  const L = { ...ENGLISH_CHART_LABELS, ...labels };
  const shares = distinct(report.rows.map((r) => r.attacker));
  const zs = report.rows.map((r) => r.confirmations);
  const series: ChartSeries[] = [];
  for (const [i, q] of shares.entries()) {
    const rows = report.rows.filter((r) => r.attacker === q).sort((a, b) => a.confirmations - b.confirmations);
    const line = (pick: (r: (typeof rows)[number]) => number, style: LineStyle): LineSeries => ({
      kind: 'line',
      color: i,
      style,
      markers: rows.length < 3,
      points: rows.map((r) => ({ x: r.confirmations, y: pick(r) })),
    });
    series.push(
      line((r) => r.nakamoto, 'solid'),
      line((r) => r.exact, 'dashed'),
      line((r) => r.rosenfeld, 'dotted'),
    );
    series.push({
      kind: 'points',
      color: i,
      points: rows.map((r) => ({ x: r.confirmations, y: r.rate, low: r.interval.low, high: r.interval.high })),
    });
  }
  const floor = logFloor(
    report.rows.flatMap((r) => [r.rate, r.interval.high, r.nakamoto, r.exact, r.rosenfeld]),
    10,
  );
  const zMin = zs.length > 0 ? Math.min(...zs) : 0;
  const zMax = zs.length > 0 ? Math.max(...zs) : 10;
  return {
    title: L.doubleSpendTitle,
    subtitle: fill(L.doubleSpendSubtitle, {
      tie: tieText(report.tie, L),
      trials: trialsText(report.rows.map((r) => r.trials)),
      seed: String(report.seed),
    }),
    x: { label: L.confirmationsAxis, integer: true, min: zMin - 0.5, max: zMax + 0.5 },
    y: { label: L.probabilityAxis, scale: 'log', min: floor, max: 1 },
    series,
    legend: [
      ...shares.map((q, i) => ({ label: fill(L.shareLegend, { q }), kind: 'swatch', color: i }) satisfies LegendEntry),
      ...styleLegend(L, L.exactLegend, percent(report.rows[0]?.interval.confidence)),
    ],
  };
}

/** Options of {@link doubleSpendFormulaChart}. */
export interface DoubleSpendFormulaOptions {
  /** Attacker shares (default 0.1, 0.2, 0.3, 0.4). */
  readonly shares?: readonly number[];
  /** Confirmations 0..this (default 10). */
  readonly maxConfirmations?: number;
  /** The lab's tie rule (default `honest`: the node keeps the branch it saw first). */
  readonly tie?: TieRule;
}

/**
 * The double-spend formulas alone (no run): per attacker share, Nakamoto's, Rosenfeld's and the exact
 * probability under the lab's rule (an attacker who never gives up).
 */
export function doubleSpendFormulaChart(
  options: DoubleSpendFormulaOptions = {},
  labels?: Partial<ChartLabels>,
): ChartSpec {
  const L = { ...ENGLISH_CHART_LABELS, ...labels };
  const shares = options.shares ?? [0.1, 0.2, 0.3, 0.4];
  const last = Math.max(1, Math.floor(options.maxConfirmations ?? 10));
  const tie = options.tie ?? 'honest';
  const zs = Array.from({ length: last + 1 }, (_, z) => z);
  const series: ChartSeries[] = [];
  const values: number[] = [];
  for (const [i, q] of shares.entries()) {
    const curve = (f: (z: number) => number, style: LineStyle): LineSeries => {
      const points = zs.map((z) => ({ x: z, y: safe(() => f(z)) }));
      values.push(...points.map((p) => p.y));
      return { kind: 'line', color: i, style, points };
    };
    series.push(
      curve((z) => nakamoto(q, z), 'solid'),
      curve((z) => doubleSpendExact(q, z, tie), 'dashed'),
      curve((z) => rosenfeld(q, z), 'dotted'),
    );
  }
  return {
    title: L.doubleSpendFormulaTitle,
    subtitle: L.formulaSubtitle,
    x: { label: L.confirmationsAxis, integer: true, min: 0, max: last },
    y: { label: L.probabilityAxis, scale: 'log', min: logFloor(values, 8), max: 1 },
    series,
    legend: [
      ...shares.map((q, i) => ({ label: fill(L.shareLegend, { q }), kind: 'swatch', color: i }) satisfies LegendEntry),
      ...styleLegend(L, L.labRuleLegend, Number.NaN),
    ],
  };
}

/**
 * A find-z run (`blockforge lab double-spend --find-z --risk P --json`): the confirmations each
 * formula asks for per attacker share, and the whitepaper's printed table beside Nakamoto's.
 */
export function findZChart(report: FindZReport, labels?: Partial<ChartLabels>): ChartSpec {
  const L = { ...ENGLISH_CHART_LABELS, ...labels };
  const rows = [...report.rows].sort((a, b) => a.attacker - b.attacker);
  const zValues = rows.flatMap((r) => [r.nakamoto, r.rosenfeld, r.exact, r.whitepaper ?? Number.NaN]);
  const finite = zValues.filter((v) => Number.isFinite(v) && v > 0);
  const log = finite.length > 0 && Math.max(...finite) / Math.min(...finite) > 20;
  const qs = rows.map((r) => r.attacker);
  const line = (pick: (r: (typeof rows)[number]) => number, label: string, color: number, style: LineStyle) =>
    ({
      kind: 'line',
      label,
      color,
      style,
      markers: true,
      points: rows.map((r) => ({ x: r.attacker, y: pick(r) })),
    }) satisfies LineSeries;
  return {
    title: fill(L.findZTitle, { risk: report.risk }),
    subtitle: fill(L.findZSubtitle, { tie: tieText(report.tie, L) }),
    x: {
      label: L.shareAxis,
      min: qs.length > 0 ? Math.max(0, Math.min(...qs) - 0.025) : 0,
      max: qs.length > 0 ? Math.min(1, Math.max(...qs) + 0.025) : 0.5,
    },
    y: log
      ? { label: L.confirmationsNeededAxis, scale: 'log' }
      : { label: L.confirmationsNeededAxis, min: 0, integer: true },
    series: [
      line((r) => r.nakamoto, L.nakamotoLegend, 0, 'solid'),
      line((r) => r.exact, L.exactLegend, 1, 'dashed'),
      line((r) => r.rosenfeld, L.rosenfeldLegend, 2, 'dotted'),
      {
        kind: 'points',
        label: L.whitepaperLegend,
        color: 3,
        shape: 'ring',
        points: rows.flatMap((r) => (r.whitepaper === null ? [] : [{ x: r.attacker, y: r.whitepaper }])),
      },
    ],
  };
}

/** The closed form of selfish mining over alpha in [0, 0.5] for one gamma. */
function selfishCurve(gamma: number, color: number): LineSeries {
  const points: ChartPoint[] = [];
  for (let k = 0; k <= 100; k++) {
    const alpha = k / 200;
    points.push({ x: alpha, y: safe(() => selfishShare(alpha, gamma)) });
  }
  return { kind: 'line', color, style: 'solid', points };
}

const HONEST_LINE: LineSeries = {
  kind: 'line',
  color: 'muted',
  style: 'solid',
  width: 1.5,
  points: [
    { x: 0, y: 0 },
    { x: 0.5, y: 0.5 },
  ],
};

function selfishLegend(L: ChartLabels, gammas: readonly number[], confidence: number): LegendEntry[] {
  return [
    ...gammas.map(
      (gamma, i) => ({ label: fill(L.gammaLegend, { gamma }), kind: 'swatch', color: i }) satisfies LegendEntry,
    ),
    { label: L.closedFormLegend, kind: 'line', color: 'fg', style: 'solid' },
    ...(Number.isFinite(confidence)
      ? [{ label: fill(L.simulatedLegend, { confidence }), kind: 'points', color: 'fg' } satisfies LegendEntry]
      : []),
    { label: L.honestLegend, kind: 'line', color: 'muted', style: 'solid' },
    { label: L.thresholdLegend, kind: 'line', color: 'fg', style: 'dashed' },
  ];
}

function thresholdMarker(L: ChartLabels, gamma: number, threshold: number, color: number): ChartMarker {
  return {
    axis: 'x',
    value: threshold,
    color,
    style: 'dashed',
    label: fill(L.thresholdMarker, { gamma, alpha: Number.isFinite(threshold) ? threshold.toFixed(3) : '?' }),
  };
}

/**
 * A selfish-mining run (`blockforge lab selfish --json`): x the pool's share alpha, y its share of
 * the main chain; per gamma Eyal and Sirer's closed form and the simulated shares with their
 * intervals; the honest line y = alpha and each gamma's threshold.
 */
export function selfishChart(report: SelfishReport, labels?: Partial<ChartLabels>): ChartSpec {
  const L = { ...ENGLISH_CHART_LABELS, ...labels };
  const gammas = distinct(report.rows.map((r) => r.gamma));
  const series: ChartSeries[] = [HONEST_LINE];
  const markers: ChartMarker[] = [];
  for (const [i, gamma] of gammas.entries()) {
    const rows = report.rows.filter((r) => r.gamma === gamma).sort((a, b) => a.alpha - b.alpha);
    series.push(selfishCurve(gamma, i), {
      kind: 'points',
      color: i,
      points: rows.map((r) => ({ x: r.alpha, y: r.share, low: r.interval.low, high: r.interval.high })),
    });
    markers.push(thresholdMarker(L, gamma, rows[0]?.threshold ?? safe(() => selfishThreshold(gamma)), i));
  }
  return {
    title: L.selfishTitle,
    subtitle: fill(L.selfishSubtitle, { seed: String(report.seed) }),
    x: { label: L.poolShareAxis, min: 0, max: 0.5 },
    y: { label: L.revenueAxis, min: 0, max: 1 },
    series,
    markers,
    legend: selfishLegend(L, gammas, percent(report.rows[0]?.interval.confidence)),
  };
}

/** The selfish-mining closed form alone (no run), for each gamma (default 0, 0.5, 1). */
export function selfishFormulaChart(
  options: { readonly gammas?: readonly number[] } = {},
  labels?: Partial<ChartLabels>,
): ChartSpec {
  const L = { ...ENGLISH_CHART_LABELS, ...labels };
  const gammas = options.gammas ?? [0, 0.5, 1];
  return {
    title: L.selfishFormulaTitle,
    subtitle: L.formulaSubtitle,
    x: { label: L.poolShareAxis, min: 0, max: 0.5 },
    y: { label: L.revenueAxis, min: 0, max: 1 },
    series: [HONEST_LINE, ...gammas.map((gamma, i) => selfishCurve(gamma, i))],
    markers: gammas.map((gamma, i) =>
      thresholdMarker(
        L,
        gamma,
        safe(() => selfishThreshold(gamma)),
        i,
      ),
    ),
    legend: selfishLegend(L, gammas, Number.NaN),
  };
}

/**
 * A majority run (`blockforge lab majority --json`): x the attacker's share, y the time until its
 * branch wins in block intervals (log scale when the values span more than a factor 20); per depth
 * the expectation (depth + 1) / (2q - 1) and the simulated means with their intervals.
 */
export function majorityChart(report: MajorityReport, labels?: Partial<ChartLabels>): ChartSpec {
  const L = { ...ENGLISH_CHART_LABELS, ...labels };
  const unit = Number.isFinite(report.blockTime) && report.blockTime > 0 ? report.blockTime : 1;
  const depths = distinct(report.rows.map((r) => r.depth));
  const qs = report.rows.map((r) => r.attacker);
  const xMin = qs.length > 0 ? Math.max(0.5, Math.floor((Math.min(...qs) - 0.05) * 20) / 20) : 0.5;
  const xMax = qs.length > 0 ? Math.min(1, Math.ceil((Math.max(...qs) + 0.05) * 20) / 20) : 1;
  const values = report.rows.flatMap((r) => [
    r.meanSeconds / unit,
    r.interval.low / unit,
    r.interval.high / unit,
    r.expectedSeconds / unit,
  ]);
  const positive = values.filter((v) => Number.isFinite(v) && v > 0);
  const log = positive.length > 0 && Math.max(...positive) / Math.min(...positive) > 20;
  const series: ChartSeries[] = [];
  for (const [i, depth] of depths.entries()) {
    const rows = report.rows.filter((r) => r.depth === depth).sort((a, b) => a.attacker - b.attacker);
    const points: ChartPoint[] = [];
    for (let k = 0; k <= 160; k++) {
      const q = xMin + ((xMax - xMin) * k) / 160;
      if (q > 0.5) points.push({ x: q, y: safe(() => majorityBlocks(q, depth)) });
    }
    series.push({ kind: 'line', color: i, style: 'solid', points });
    series.push({
      kind: 'points',
      color: i,
      points: rows.map((r) => ({
        x: r.attacker,
        y: r.meanSeconds / unit,
        low: r.interval.low / unit,
        high: r.interval.high / unit,
      })),
    });
  }
  const yMax = positive.length > 0 ? Math.max(...positive) : 10;
  const yMin = positive.length > 0 ? Math.min(...positive) : 1;
  return {
    title: L.majorityTitle,
    subtitle: fill(L.majoritySubtitle, { blockTime: unit, seed: String(report.seed) }),
    x: { label: L.majorityShareAxis, min: xMin, max: xMax },
    y: log
      ? {
          label: L.intervalsAxis,
          scale: 'log',
          min: 10 ** Math.floor(Math.log10(yMin)),
          max: 10 ** Math.ceil(Math.log10(yMax)),
        }
      : { label: L.intervalsAxis, min: 0, max: yMax * 1.1 },
    series,
    legend: [
      ...depths.map(
        (depth, i) => ({ label: fill(L.depthLegend, { depth }), kind: 'swatch', color: i }) satisfies LegendEntry,
      ),
      { label: L.expectedLegend, kind: 'line', color: 'fg', style: 'solid' },
      {
        label: fill(L.meanLegend, { confidence: percent(report.rows[0]?.interval.confidence) }),
        kind: 'points',
        color: 'fg',
      },
    ],
  };
}
