/** Display formats: hashes, times, rates, counts, and JSON with numbers as the chain holds them. */

import { isJsonObject, JsonNumber, type JsonValue } from '../../src/core/json.js';
import { currentLanguage, formatDateTime, formatNumber, messages } from './i18n.js';

const t = messages(
  'format',
  {
    seconds: '{n} s',
    minutes: '{n} min',
    hours: '{n} h',
    justNow: 'just now',
    ago: '{time} ago',
    inFuture: 'in {time}',
  },
  {
    seconds: '{n} 秒',
    minutes: '{n} 分钟',
    hours: '{n} 小时',
    justNow: '刚刚',
    ago: '{time}前',
    inFuture: '{time}后',
  },
);

/** The first `n` hex characters of a hash and an ellipsis. */
export function shortHash(hash: string, n = 12): string {
  return hash.length > n ? `${hash.slice(0, n)}…` : hash;
}

/** 12,345 (in the page's language). */
export function count(n: number): string {
  return formatNumber(n);
}

/** A hash rate with its unit: `3.2 MH/s`. */
export function rate(hashesPerSecond: number): string {
  if (!Number.isFinite(hashesPerSecond) || hashesPerSecond <= 0) return '—';
  const units = ['H/s', 'kH/s', 'MH/s', 'GH/s'];
  let value = hashesPerSecond;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = value >= 100 ? 0 : 1;
  return `${formatNumber(value, { minimumFractionDigits: digits, maximumFractionDigits: digits })} ${units[unit]}`;
}

const fixed = (value: number, digits: number): string =>
  formatNumber(value, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: false });

/** Seconds, short: `0.42 s`, `12 s`, `3 min`. */
export function seconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 10) return t('seconds', { n: fixed(s, 2) });
  if (s < 120) return t('seconds', { n: fixed(Math.round(s), 0) });
  if (s < 7200) return t('minutes', { n: fixed(Math.round(s / 60), 0) });
  return t('hours', { n: fixed(s / 3600, 1) });
}

/** How long ago Unix time `t` (seconds) was: `just now`, `5 s ago`, `3 min ago`. */
export function ago(time: number, now = Date.now() / 1000): string {
  const d = Math.max(0, now - time);
  if (d < 2) return t('justNow');
  return t('ago', { time: seconds(d) });
}

/** How far in the future Unix time `t` (seconds) is: `in 3 s`. */
export function inFuture(time: number, now = Date.now() / 1000): string {
  return t('inFuture', { time: seconds(Math.max(0, time - now)) });
}

/** Local date and time of Unix time `t` (seconds), in the page's language. */
export function dateTime(time: number): string {
  return formatDateTime(new Date(time * 1000));
}

/** Local time of day of Unix time `t` (seconds), in the page's language. */
export function timeOfDay(time: number): string {
  return new Intl.DateTimeFormat(currentLanguage(), { timeStyle: 'medium' }).format(new Date(time * 1000));
}

/** A JSON number's value as a JS number (display only). */
export function num(value: JsonValue | undefined): number {
  return value instanceof JsonNumber ? value.toNumber() : Number.NaN;
}

/** A JSON value's text as the chain holds it (numbers keep `5.0` vs `5`). */
export function text(value: JsonValue | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (value instanceof JsonNumber) return value.text;
  return JSON.stringify(value);
}

/** Indented JSON for reading, numbers written as their Python text, keys in their wire order. */
export function prettyJson(value: JsonValue, indent = ''): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof JsonNumber) return value.text;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + prettyJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (!isJsonObject(value)) return String(value);
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${prettyJson(value[k] as JsonValue, inner)}`).join(',\n')}\n${indent}}`;
}
