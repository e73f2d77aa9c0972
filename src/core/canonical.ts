/**
 * Python-compatible canonical JSON: byte-identical to `json.dumps(value, sort_keys=True)` with
 * its defaults (`ensure_ascii=True`, separators `", "` and `": "`). Block hashes are the SHA-256
 * of this text, so every byte here is protocol.
 */

import { createHash } from 'node:crypto';
import { JsonNumber, type JsonValue } from './json.js';

/** Characters printed as-is by Python's ensure_ascii encoder: U+0020..U+007E except `"` and `\`. */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** Python's `json.dumps` text for a string (ensure_ascii). */
export function pyString(s: string): string {
  if (PLAIN_ASCII.test(s)) return `"${s}"`;
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0x20 && c <= 0x7e) {
      if (c === 0x22) out += '\\"';
      else if (c === 0x5c) out += '\\\\';
      else out += s[k];
      continue;
    }
    switch (c) {
      case 0x0a:
        out += '\\n';
        break;
      case 0x0d:
        out += '\\r';
        break;
      case 0x09:
        out += '\\t';
        break;
      case 0x08:
        out += '\\b';
        break;
      case 0x0c:
        out += '\\f';
        break;
      default:
        // Every other code unit (controls, U+007F and above, each half of a surrogate pair).
        out += `\\u${c.toString(16).padStart(4, '0')}`;
    }
  }
  return `${out}"`;
}

/**
 * Orders strings by Unicode code point, as Python's `sorted` does. JS's default order compares
 * UTF-16 code units, which puts astral characters (surrogates, U+D800..U+DFFF) before U+E000..U+FFFF.
 * A lone surrogate (JSON can carry one as a `\uXXXX` escape) is its own code point for Python, so it
 * sorts below U+E000 and below every astral character.
 */
export function compareCodePoints(a: string, b: string): number {
  const len = Math.min(a.length, b.length);
  for (let k = 0; k < len; k++) {
    const x = a.charCodeAt(k);
    const y = b.charCodeAt(k);
    if (x === y) continue;
    if (x < 0xd800 || y < 0xd800) return x - y;
    // Both units are U+D800 or above. Unit k-1 is the same in both strings; if it is a high
    // surrogate, a low surrogate at k completes an astral character that started at k-1.
    const prevHigh = k > 0 && isHighSurrogate(a.charCodeAt(k - 1));
    const xCompletes = prevHigh && isLowSurrogate(x);
    const yCompletes = prevHigh && isLowSurrogate(y);
    // Astral character (>= U+10000) against the lone high surrogate it would otherwise be.
    if (xCompletes !== yCompletes) return xCompletes ? 1 : -1;
    // Same high surrogate: the low surrogates decide.
    if (xCompletes) return x - y;
    return codePointFrom(a, k, x) - codePointFrom(b, k, y);
  }
  return a.length - b.length;
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** The code point starting at unit `k` of `s` (whose unit is `c`); a lone surrogate is itself. */
function codePointFrom(s: string, k: number, c: number): number {
  if (isHighSurrogate(c)) {
    const d = s.charCodeAt(k + 1);
    if (isLowSurrogate(d)) return 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
  }
  return c;
}

/** `json.dumps(value, sort_keys=True)`, byte for byte. */
export function canonicalJson(value: JsonValue): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return pyString(value);
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) {
    let out = '[';
    for (let k = 0; k < value.length; k++) {
      if (k > 0) out += ', ';
      out += canonicalJson(value[k] as JsonValue);
    }
    return `${out}]`;
  }
  const keys = Object.keys(value).sort(compareCodePoints);
  let out = '{';
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k] as string;
    if (k > 0) out += ', ';
    out += `${pyString(key)}: ${canonicalJson(value[key] as JsonValue)}`;
  }
  return `${out}}`;
}

/** Lowercase hex SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The protocol's hash of any JSON value: SHA-256 of its canonical text. */
export function hashJson(value: JsonValue): string {
  return sha256Hex(canonicalJson(value));
}
