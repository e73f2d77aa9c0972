/** Display formats: hashes, times, rates, counts, and JSON with numbers as the chain holds them. */

import { isJsonObject, JsonNumber, type JsonValue } from '../../src/core/json.js';

/** The first `n` hex characters of a hash and an ellipsis. */
export function shortHash(hash: string, n = 12): string {
  return hash.length > n ? `${hash.slice(0, n)}…` : hash;
}

/** 12,345 */
export function count(n: number): string {
  return n.toLocaleString('en-US');
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
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** Seconds, short: `0.42 s`, `12 s`, `3 min`. */
export function seconds(s: number): string {
  if (!Number.isFinite(s)) return '—';
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** How long ago Unix time `t` (seconds) was: `just now`, `5 s ago`, `3 min ago`. */
export function ago(t: number, now = Date.now() / 1000): string {
  const d = Math.max(0, now - t);
  if (d < 2) return 'just now';
  return `${seconds(d)} ago`;
}

/** Local date and time of Unix time `t` (seconds). */
export function dateTime(t: number): string {
  return new Date(t * 1000).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
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
