/**
 * Lossless, strict JSON for untrusted input.
 *
 * Why not `JSON.parse`: it turns `5.0` and `5` into the same JS number, and block hashes depend on
 * that difference (Python prints `5.0` vs `5`). Why not the `lossless-json` package, which keeps
 * number text: measured on a 10,000-block `/chain` response (3.2 MB) it parsed in 100-170 ms
 * against 6.5 ms for `JSON.parse` (it builds strings one character at a time), and it silently
 * accepts a repeated key when both values are equal, which our API must reject. This parser keeps
 * number text, rejects every duplicate key, bounds nesting depth (no stack overflow on
 * `[[[[...`), and slices strings without escapes in one step (bench: `npm run bench`).
 *
 * Numbers become {@link JsonNumber}s carrying the text Python would print for them, so the rest
 * of the code never sees a lossy JS number for data that is hashed.
 */

import { BlockforgeError, ErrorCode } from './errors.js';
import { pyFloatRepr } from './py-number.js';

/** A JSON number, kept as the text Python's `json.dumps` prints for it (`5`, `5.0`, `1e+16`). */
export class JsonNumber {
  /** Canonical (Python) text of the number. */
  readonly text: string;
  /** True when Python parses the source as an `int` (no fraction, no exponent). */
  readonly isInteger: boolean;
  /** `Number(text)`, once computed (private: invisible to equality checks and serializers). */
  #value: number | undefined;

  private constructor(text: string, isInteger: boolean, value: number | undefined) {
    this.text = text;
    this.isInteger = isInteger;
    this.#value = value;
  }

  /** From JSON number source text, as Python's `json.loads` would read it. */
  static fromSource(source: string): JsonNumber {
    return JsonNumber.fromLiteral(source, INTEGER_SOURCE.test(source));
  }

  /**
   * From a JSON number literal already known to be well-formed (the parser's entry point), with
   * whether it is an int literal, and (floats) whether the caller knows it to be Python's repr
   * already. Most floats on the wire are already the repr (Python peers print them that way):
   * those keep their source text without recomputing it.
   */
  static fromLiteral(source: string, isInteger: boolean, isRepr = false): JsonNumber {
    if (isInteger) return new JsonNumber(source === '-0' ? '0' : source, true, undefined);
    // `isRepr`: the parser has already shown `source` to be the repr (value computed on demand).
    if (isRepr) return new JsonNumber(source, false, undefined);
    const value = Number(source);
    return new JsonNumber(floatText(source, value), false, value);
  }

  /** A Python `int` with the given exact value. */
  static int(value: number | bigint): JsonNumber {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
      // String(-0) is '0', as Python prints int 0.
      return new JsonNumber(String(value), true, value === 0 ? 0 : value);
    }
    return new JsonNumber(value.toString(), true, undefined);
  }

  /** A Python `float` with the given value (as `time.time()` returns). */
  static float(value: number): JsonNumber {
    // Straight to repr: String(-0) is '0', which would lose the sign Python prints ('-0.0').
    return new JsonNumber(pyFloatRepr(value), false, value);
  }

  /** The value as a JS number (may round: use only for comparisons, never for hashing). */
  toNumber(): number {
    let value = this.#value;
    if (value === undefined) {
      value = Number(this.text);
      this.#value = value;
    }
    return value;
  }

  toJSON(): never {
    // Guard against accidental JSON.stringify, which would lose the int/float distinction.
    throw new TypeError('JsonNumber must be serialized with writeJson/canonicalJson');
  }
}

/**
 * Python's repr of the float `value` read from the literal `source`. Fast path: a literal without
 * exponent that JS prints back unchanged is already the repr, because both languages print the
 * shortest round-tripping digits, and both print positionally from 1e-4 up to (at least) 1e16 (a
 * literal with a fraction that prints back unchanged is not an integer, so it is below 2^53).
 * `5.0` (JS prints `5`) is also kept: Python prints integral floats below 1e16 with `.0`.
 */
function floatText(source: string, value: number): string {
  if ((value >= 1e-4 || value <= -1e-4) && source.indexOf('e') < 0 && source.indexOf('E') < 0) {
    const js = String(value);
    if (js === source) return source;
    if (
      value < 1e16 &&
      value > -1e16 &&
      source.length === js.length + 2 &&
      source.endsWith('.0') &&
      source.startsWith(js)
    ) {
      return source;
    }
  }
  return pyFloatRepr(value);
}

const INTEGER_SOURCE = /^-?(?:0|[1-9][0-9]*)$/;

/** The ints 0..9, shared by every parse (a JsonNumber is immutable). */
const DIGITS: readonly JsonNumber[] = Array.from({ length: 10 }, (_, d) => JsonNumber.int(d));

/** An object parsed from JSON; created without a prototype so keys like `__proto__` are inert. */
export interface JsonObject {
  [key: string]: JsonValue;
}
/** Any JSON value, numbers kept lossless. */
export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;

/**
 * Creates an empty prototype-less object. Made from `{}` rather than `Object.create(null)`, which
 * V8 keeps in (slow) dictionary mode: this one keeps fast properties, about 3x cheaper to fill,
 * read and list, and still has no prototype, so `__proto__` is a plain key.
 */
export function newJsonObject(): JsonObject {
  const obj = {};
  Object.setPrototypeOf(obj, null);
  return obj as JsonObject;
}

/** True for a JSON object (not an array, not a number). */
export function isJsonObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumber);
}

/** Limits for {@link parseJson}. */
export interface ParseOptions {
  /** Deepest nesting of arrays/objects accepted. A block is 4 deep; default 64. */
  maxDepth?: number;
  /**
   * Accept `NaN`, `Infinity` and `-Infinity`, as Python's `json` reads (and writes) them: for data a
   * tutorial peer wrote (its clients' values are stored as they came). Off for clients' requests.
   */
  nonFinite?: boolean;
}

/** Python's json module refuses ints longer than this (CPython's int/str digit limit). */
const MAX_INT_DIGITS = 4300;

/**
 * Parses untrusted JSON text strictly (RFC 8259): numbers lossless, duplicate keys rejected,
 * depth bounded. Throws a {@link BlockforgeError} with a position on any defect.
 */
export function parseJson(text: string, options: ParseOptions = {}): JsonValue {
  const parser = new Parser(text, options.maxDepth ?? 64, options.nonFinite ?? false);
  // A UTF-8 BOM is not JSON; Python's json.loads refuses it too.
  const value = parser.parseValue(0);
  parser.skipWs();
  if (parser.i < parser.n) parser.fail(ErrorCode.InvalidJson, 'unexpected data after the value');
  return value;
}

type ParseErrorCode = typeof ErrorCode.InvalidJson | typeof ErrorCode.DuplicateKey | typeof ErrorCode.JsonTooDeep;

/** Slots of the key cache (a power of two). */
const KEY_CACHE_SIZE = 256;
/** Longest key kept in the key cache. */
const KEY_CACHE_MAX = 32;
/**
 * Recently seen object keys, by a hash of length and end characters, shared by every parse (keys
 * are immutable strings; each thread has its own module instance). A chain repeats the same
 * handful of keys thousands of times: a hit reuses the (already internalized) string instead of
 * slicing a new one that V8 would then have to internalize again to use it as a property name.
 */
const keyCache: (string | undefined)[] = new Array(KEY_CACHE_SIZE).fill(undefined);

/**
 * The parser's state. A class rather than closures over locals: one allocation per parse, and
 * the position is a field V8 keeps in a register-friendly in-object slot.
 */
class Parser {
  readonly text: string;
  readonly n: number;
  readonly maxDepth: number;
  readonly nonFinite: boolean;
  i = 0;
  /** Elements of the arrays being parsed (see parseArray), and its height. */
  readonly stack: JsonValue[] = [];
  top = 0;
  constructor(text: string, maxDepth: number, nonFinite: boolean) {
    this.text = text;
    this.n = text.length;
    this.maxDepth = maxDepth;
    this.nonFinite = nonFinite;
  }

  fail(code: ParseErrorCode, what: string): never {
    throw new BlockforgeError(code, `Invalid JSON: ${what} at position ${this.i}`);
  }

  skipWs(): void {
    const text = this.text;
    let i = this.i;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  parseValue(depth: number): JsonValue {
    this.skipWs();
    const i = this.i;
    if (i >= this.n) return this.fail(ErrorCode.InvalidJson, 'unexpected end');
    const c = this.text.charCodeAt(i);
    if (c === 0x22) return this.parseString();
    if (c === 0x7b) return this.parseObject(depth);
    if (c === 0x5b) return this.parseArray(depth);
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
    const text = this.text;
    if (c === 0x74 && text.startsWith('true', i)) {
      this.i = i + 4;
      return true;
    }
    if (c === 0x66 && text.startsWith('false', i)) {
      this.i = i + 5;
      return false;
    }
    if (c === 0x6e && text.startsWith('null', i)) {
      this.i = i + 4;
      return null;
    }
    if (this.nonFinite) {
      if (c === 0x4e && text.startsWith('NaN', i)) {
        this.i = i + 3;
        return JsonNumber.float(Number.NaN);
      }
      if (c === 0x49 && text.startsWith('Infinity', i)) {
        this.i = i + 8;
        return JsonNumber.float(Number.POSITIVE_INFINITY);
      }
    }
    return this.fail(ErrorCode.InvalidJson, 'unexpected character');
  }

  private parseObject(depth: number): JsonObject {
    // Precondition: text[i] === '{'.
    if (depth >= this.maxDepth) this.fail(ErrorCode.JsonTooDeep, `nesting deeper than ${this.maxDepth}`);
    const text = this.text;
    this.i++;
    const obj = newJsonObject();
    this.skipWs();
    if (text.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return obj;
    }
    for (;;) {
      this.skipWs();
      if (text.charCodeAt(this.i) !== 0x22) this.fail(ErrorCode.InvalidJson, 'expected a quoted key');
      const keyPos = this.i;
      const key = this.parseKey();
      // No prototype and no undefined values: "has key" is "reads as defined".
      if (obj[key] !== undefined) {
        this.i = keyPos;
        this.fail(ErrorCode.DuplicateKey, `duplicate key ${JSON.stringify(key)}`);
      }
      this.skipWs();
      if (text.charCodeAt(this.i) !== 0x3a) this.fail(ErrorCode.InvalidJson, "expected ':'");
      this.i++;
      obj[key] = this.parseValue(depth + 1);
      this.skipWs();
      const d = text.charCodeAt(this.i);
      if (d === 0x2c) {
        this.i++;
        continue;
      }
      if (d === 0x7d) {
        this.i++;
        return obj;
      }
      this.fail(ErrorCode.InvalidJson, "expected ',' or '}'");
    }
  }

  private parseArray(depth: number): JsonValue[] {
    // Precondition: text[i] === '['.
    if (depth >= this.maxDepth) this.fail(ErrorCode.JsonTooDeep, `nesting deeper than ${this.maxDepth}`);
    const text = this.text;
    this.i++;
    this.skipWs();
    if (text.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return [];
    }
    // Elements go on the parser's stack (nested arrays above their parent's), then into an array
    // of exactly their count: an array grown by push keeps room for 16 or more, and a parsed chain
    // has thousands of short lists that all survive into the validated blocks.
    const stack = this.stack;
    const base = this.top;
    for (;;) {
      const value = this.parseValue(depth + 1);
      stack[this.top++] = value;
      this.skipWs();
      const d = text.charCodeAt(this.i);
      if (d === 0x2c) {
        this.i++;
        continue;
      }
      if (d === 0x5d) {
        this.i++;
        const arr = stack.slice(base, this.top);
        this.top = base;
        return arr;
      }
      this.fail(ErrorCode.InvalidJson, "expected ',' or ']'");
    }
  }

  /** A key: a string, taken from the key cache when it is one seen before. */
  private parseKey(): string {
    // Precondition: text[i] === '"'.
    const text = this.text;
    const start = this.i + 1;
    let i = start;
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      // Escapes, controls, the end of input (NaN): the general path decides.
      if (!(c >= 0x20 && c !== 0x5c)) return this.parseString();
      i++;
    }
    const len = i - start;
    this.i = i + 1;
    if (len === 0 || len > KEY_CACHE_MAX) return text.slice(start, i);
    const slot = (len * 7 + text.charCodeAt(start) * 31 + text.charCodeAt(i - 1)) & (KEY_CACHE_SIZE - 1);
    const cached = keyCache[slot];
    if (cached !== undefined && cached.length === len) {
      // Compared by hand: String.prototype.startsWith costs more than the whole key on short keys.
      let k = 0;
      while (k < len && cached.charCodeAt(k) === text.charCodeAt(start + k)) k++;
      if (k === len) return cached;
    }
    // A slice of 13+ characters points into `text`: cache a copy, or the cache would keep a
    // (possibly huge) request body alive after the parse.
    const key = len < 13 ? text.slice(start, i) : ` ${text.slice(start, i)}`.slice(1);
    keyCache[slot] = key;
    return key;
  }

  parseString(): string {
    // Precondition: text[i] === '"'.
    const text = this.text;
    const n = this.n;
    let i = this.i + 1;
    const start = i;
    // Fast path: no escapes, no control characters.
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return text.slice(start, i);
      }
      // Escapes, controls and the end of input (NaN) leave the fast path.
      if (!(c >= 0x20 && c !== 0x5c)) break;
      i++;
    }
    let out = text.slice(start, i);
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        this.i = i + 1;
        return out;
      }
      if (c < 0x20) {
        this.i = i;
        this.fail(ErrorCode.InvalidJson, 'control character in string');
      }
      if (c !== 0x5c) {
        const runStart = i;
        while (i < n) {
          const d = text.charCodeAt(i);
          if (d === 0x22 || d === 0x5c || d < 0x20) break;
          i++;
        }
        out += text.slice(runStart, i);
        continue;
      }
      const e = text.charCodeAt(i + 1);
      switch (e) {
        case 0x22:
          out += '"';
          break;
        case 0x5c:
          out += '\\';
          break;
        case 0x2f:
          out += '/';
          break;
        case 0x62:
          out += '\b';
          break;
        case 0x66:
          out += '\f';
          break;
        case 0x6e:
          out += '\n';
          break;
        case 0x72:
          out += '\r';
          break;
        case 0x74:
          out += '\t';
          break;
        case 0x75: {
          const hex = text.slice(i + 2, i + 6);
          if (!HEX4.test(hex)) {
            this.i = i;
            this.fail(ErrorCode.InvalidJson, 'bad \\u escape');
          }
          out += String.fromCharCode(Number.parseInt(hex, 16));
          i += 4;
          break;
        }
        default:
          this.i = i;
          this.fail(ErrorCode.InvalidJson, 'bad escape');
      }
      i += 2;
    }
    this.i = i;
    return this.fail(ErrorCode.InvalidJson, 'unterminated string');
  }

  private parseNumber(): JsonNumber {
    const text = this.text;
    const start = this.i;
    let i = start;
    if (text.charCodeAt(i) === 0x2d) {
      i++;
      if (this.nonFinite && text.startsWith('Infinity', i)) {
        this.i = i + 8;
        return JsonNumber.float(Number.NEGATIVE_INFINITY);
      }
    }
    const intStart = i;
    let c = text.charCodeAt(i);
    if (c === 0x30) {
      c = text.charCodeAt(++i);
    } else if (c >= 0x31 && c <= 0x39) {
      do c = text.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    } else {
      this.i = i;
      this.fail(ErrorCode.InvalidJson, 'bad number');
    }
    const intDigits = i - intStart;
    let isInteger = true;
    let fractionStart = 0;
    if (c === 0x2e) {
      isInteger = false;
      fractionStart = i + 1;
      c = text.charCodeAt(++i);
      if (!(c >= 0x30 && c <= 0x39)) {
        this.i = i;
        this.fail(ErrorCode.InvalidJson, 'bad number');
      }
      do c = text.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    }
    if (c === 0x65 || c === 0x45) {
      fractionStart = 0;
      isInteger = false;
      c = text.charCodeAt(++i);
      if (c === 0x2b || c === 0x2d) c = text.charCodeAt(++i);
      if (!(c >= 0x30 && c <= 0x39)) {
        this.i = i;
        this.fail(ErrorCode.InvalidJson, 'bad number');
      }
      do c = text.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    }
    this.i = i;
    // One shared object per digit: `[0,0,0,...]` would otherwise cost an object per 2 bytes of input.
    if (isInteger && i - start === 1) return DIGITS[text.charCodeAt(start) - 0x30] as JsonNumber;
    if (isInteger && intDigits > MAX_INT_DIGITS) this.fail(ErrorCode.InvalidJson, 'integer too long');
    const source = text.slice(start, i);
    if (fractionStart > 0 && this.isShortFloat(intStart, intDigits, fractionStart, i)) {
      return JsonNumber.fromLiteral(source, false, true);
    }
    return JsonNumber.fromLiteral(source, isInteger);
  }

  /**
   * True when the float literal `text[intStart - sign .. end)` (digits, `.`, digits; no exponent)
   * is already Python's repr of its value, decided from the text alone: at most 15 significant
   * digits (every such decimal survives decimal -> double -> 15 digits, so no other decimal of
   * 15 digits or fewer has the same double: it is the shortest), no trailing zero in the fraction
   * unless the fraction is exactly `0` (`5.0`), and the value in Python's positional range
   * [1e-4, 1e16). Longer literals (a `time.time()` timestamp has 16 or 17 digits) take the
   * general path.
   */
  private isShortFloat(intStart: number, intDigits: number, fractionStart: number, end: number): boolean {
    const text = this.text;
    const fractionDigits = end - fractionStart;
    const last = text.charCodeAt(end - 1);
    if (text.charCodeAt(intStart) !== 0x30) {
      // Integer part 1-9...: every digit is significant; `N.0` is fine, other trailing zeros are not.
      if (intDigits + fractionDigits > 15) return false;
      return last !== 0x30 || fractionDigits === 1;
    }
    // 0.xxx: significant digits start after the fraction's leading zeros; at most three of those.
    if (last === 0x30) return false; // 0.0, 0.10, ...: general path
    let k = fractionStart;
    while (text.charCodeAt(k) === 0x30) k++;
    return k - fractionStart <= 3 && end - k <= 15;
  }
}

const HEX4 = /^[0-9a-fA-F]{4}$/;

/**
 * Serializes a value as compact JSON for the wire (responses, storage). Numbers are written as
 * their Python text, so a Python peer parses each back to the same int or float.
 */
export function writeJson(value: JsonValue): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) {
    let out = '[';
    for (let k = 0; k < value.length; k++) {
      if (k > 0) out += ',';
      out += writeJson(value[k] as JsonValue);
    }
    return `${out}]`;
  }
  let out = '{';
  let first = true;
  for (const key of Object.keys(value)) {
    if (!first) out += ',';
    first = false;
    out += `${JSON.stringify(key)}:${writeJson(value[key] as JsonValue)}`;
  }
  return `${out}}`;
}

/**
 * Converts a plain JS value (numbers as JS numbers: integers become ints, others floats) into a
 * {@link JsonValue}. For building responses; never for data that must keep a peer's number text.
 */
export function fromPlain(value: unknown): JsonValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean' || typeof value === 'string') return value;
  if (value instanceof JsonNumber) return value;
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) ? JsonNumber.int(value) : JsonNumber.float(value);
  }
  if (typeof value === 'bigint') return JsonNumber.int(value);
  if (Array.isArray(value)) return value.map(fromPlain);
  if (typeof value === 'object') {
    const out = newJsonObject();
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v !== undefined) out[k] = fromPlain(v);
    }
    return out;
  }
  throw new TypeError(`cannot convert ${typeof value} to JSON`);
}
