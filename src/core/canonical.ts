/**
 * Python-compatible canonical JSON: byte-identical to `json.dumps(value, sort_keys=True)` with
 * its defaults (`ensure_ascii=True`, separators `", "` and `": "`). Block hashes are the SHA-256
 * of this text, so every byte here is protocol.
 */

import { hash } from 'node:crypto';
import { JsonNumber, type JsonValue } from './json.js';

/** Characters printed as-is by Python's ensure_ascii encoder: U+0020..U+007E except `"` and `\`. */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

const HEX_DIGITS = '0123456789abcdef';

/** Python's `json.dumps` text for a string (ensure_ascii). */
export function pyString(s: string): string {
  return `"${pyStringBody(s)}"`;
}

/**
 * What goes between the quotes of {@link pyString}: `s` itself (no allocation) when it has only
 * characters printed as-is, else `s` escaped. Lets callers write the quotes into a larger template.
 */
export function pyStringBody(s: string): string {
  // Fast path (a compiled regular expression beats a charCodeAt loop here, measured).
  if (PLAIN_ASCII.test(s)) return s;
  // Chains repeat their names (senders, recipients): escaped ones are remembered.
  const known = escapedCache.get(s);
  if (known !== undefined) return known;
  // A string of 13+ characters may be a slice of a (large) request body: cache a copy, so the
  // cache never keeps a body alive.
  const own = s.length < 13 ? s : ` ${s}`.slice(1);
  const escaped = escapeString(own);
  if (escapedCache.size >= ESCAPED_CACHE_SIZE) escapedCache.clear();
  escapedCache.set(own, escaped);
  return escaped;
}

/** Most strings {@link escapedCache} holds before it starts again. */
const ESCAPED_CACHE_SIZE = 1024;
/** Escaped text of recently seen strings that need escaping (bounded; strings are immutable). */
const escapedCache = new Map<string, string>();

function escapeString(s: string): string {
  let out = '';
  let run = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    // Flush the run of plain characters before k, then the escape for c.
    if (run < k) out += s.slice(run, k);
    run = k + 1;
    switch (c) {
      case 0x22:
        out += '\\"';
        break;
      case 0x5c:
        out += '\\\\';
        break;
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
        // Every other code unit (controls, U+007F and above, each half of a surrogate pair), in
        // lowercase hex as Python writes it.
        out += `\\u${HEX_DIGITS[c >> 12]}${HEX_DIGITS[(c >> 8) & 15]}${HEX_DIGITS[(c >> 4) & 15]}${HEX_DIGITS[c & 15]}`;
    }
  }
  if (run < s.length) out += s.slice(run);
  return out;
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

/**
 * Lowercase hex SHA-256 of the UTF-8 bytes of `text`. The one-shot `crypto.hash` (Node >= 20.12)
 * costs about half of createHash().update().digest() on the short texts of a chain.
 */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/** The protocol's hash of any JSON value: SHA-256 of its canonical text. */
export function hashJson(value: JsonValue): string {
  return sha256Hex(canonicalJson(value));
}
