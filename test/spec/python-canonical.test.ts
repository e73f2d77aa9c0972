/**
 * Property tests against CPython itself: thousands of random JSON texts, doubles and strings, all
 * answered by ONE python3 process per property (stdlib only), compared byte for byte with ours.
 * Every generator is seeded, so a failure reproduces exactly.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { canonicalJson, compareCodePoints, sha256Hex } from '../../src/core/canonical.js';
import { BlockforgeError } from '../../src/core/errors.js';
import { JsonNumber, parseJson } from '../../src/core/json.js';
import { pyFloatRepr } from '../../src/core/py-number.js';

// ---------------------------------------------------------------------------------------------
// Deterministic randomness.

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  float(): number {
    return this.next();
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }
  u32(): number {
    return Math.floor(this.next() * 2 ** 32) >>> 0;
  }
  digits(count: number, leadingNonZero = false): string {
    let s = '';
    for (let k = 0; k < count; k++) s += String(k === 0 && leadingNonZero ? this.int(1, 9) : this.int(0, 9));
    return s;
  }
}

// ---------------------------------------------------------------------------------------------
// Talking to CPython.

/**
 * Runs `script` in one python3 process, feeding `lines` (one per line, UTF-8) on stdin, and returns
 * its stdout split into lines. The script must print exactly one line per input line.
 */
function runPython(script: string, lines: readonly string[]): string[] {
  const result = spawnSync('python3', ['-I', '-S', '-c', script], {
    input: `${lines.join('\n')}\n`,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`python3 exited with ${result.status}: ${result.stderr}`);
  const out = result.stdout.split('\n');
  if (out[out.length - 1] === '') out.pop();
  expect(out.length).toBe(lines.length);
  return out;
}

// Reads one JSON-encoded text per line (so any newline or control character in the text survives),
// answers [json.dumps(json.loads(text), sort_keys=True), sha256 hex] or ["ERROR", message].
const PY_CANONICAL = `
import hashlib, json, sys
data = sys.stdin.buffer.read().decode('utf-8')
out = []
for line in data.split('\\n')[:-1]:
    text = json.loads(line)
    try:
        dumped = json.dumps(json.loads(text), sort_keys=True)
        out.append(json.dumps([dumped, hashlib.sha256(dumped.encode('utf-8')).hexdigest()]))
    except Exception as e:
        out.append(json.dumps(['ERROR', type(e).__name__ + ': ' + str(e)[:200]]))
sys.stdout.write('\\n'.join(out) + '\\n')
`;

// One 16-hex-digit IEEE 754 bit pattern per line -> repr(float).
const PY_FLOAT_REPR = `
import struct, sys
out = [repr(struct.unpack('>d', bytes.fromhex(h))[0]) for h in sys.stdin.read().split()]
sys.stdout.write('\\n'.join(out) + '\\n')
`;

// One JSON list of strings per line -> the list's indices in sorted() order, and for every pair
// (a, b) of consecutive items the sign of the comparison.
const PY_SORT = `
import json, sys
data = sys.stdin.buffer.read().decode('utf-8')
out = []
for line in data.split('\\n')[:-1]:
    items = json.loads(line)
    order = sorted(range(len(items)), key=lambda i: items[i])
    signs = [(a > b) - (a < b) for a, b in zip(items, items[1:])]
    out.append(json.dumps([order, signs]))
sys.stdout.write('\\n'.join(out) + '\\n')
`;

import { mulberry32 } from '../support/random.js';

// ---------------------------------------------------------------------------------------------
// Random JSON texts.

const SHORT_ESCAPES: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };

/** One random character (1 or 2 UTF-16 units), as the decoded string holds it. */
function randomChar(rng: Rng): string {
  const kind = rng.int(0, 11);
  switch (kind) {
    case 0:
    case 1:
    case 2:
      return String.fromCharCode(rng.int(0x20, 0x7e));
    case 3:
      return rng.pick(['"', '\\', '/', "'", ' ']);
    case 4:
      return String.fromCharCode(rng.bool(0.9) ? rng.int(0x00, 0x1f) : 0x7f);
    case 5:
      return String.fromCharCode(rng.int(0x80, 0xff));
    case 6:
      return String.fromCharCode(rng.int(0x100, 0xd7ff));
    case 7:
      return String.fromCharCode(rng.int(0xe000, 0xffff));
    case 8:
    case 9:
      return String.fromCodePoint(rng.bool(0.3) ? rng.pick([0x10000, 0x1f600, 0x10ffff]) : rng.int(0x10000, 0x10ffff));
    default:
      // A lone surrogate (written to the text as a \\u escape only: raw ones cannot be UTF-8).
      return String.fromCharCode(rng.int(0xd800, 0xdfff));
  }
}

function randomString(rng: Rng, maxChars: number): string {
  let s = '';
  const count = rng.int(0, maxChars);
  for (let k = 0; k < count; k++) s += randomChar(rng);
  return s;
}

function hex4(rng: Rng, unit: number): string {
  const h = unit.toString(16).padStart(4, '0');
  return `\\u${rng.bool() ? h : h.toUpperCase()}`;
}

/** A JSON string literal for `s`, escaping each character in a randomly chosen legal way. */
function encodeString(rng: Rng, s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch.length === 2) {
      out += rng.bool() ? ch : hex4(rng, c) + hex4(rng, ch.charCodeAt(1));
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += hex4(rng, c);
    } else if (ch === '"') {
      out += rng.bool(0.8) ? '\\"' : hex4(rng, c);
    } else if (ch === '\\') {
      out += rng.bool(0.8) ? '\\\\' : hex4(rng, c);
    } else if (ch === '/') {
      out += rng.pick(['/', '\\/', hex4(rng, c)]);
    } else if (c < 0x20) {
      const short = SHORT_ESCAPES[c];
      out += short !== undefined && rng.bool(0.7) ? short : hex4(rng, c);
    } else {
      out += rng.bool(0.75) ? ch : hex4(rng, c);
    }
  }
  return `${out}"`;
}

const SPECIAL_NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '0.0',
  '-0.0',
  '0e0',
  '-0E-0',
  '1.0',
  '5.0',
  '1E5',
  '1e5',
  '1e-7',
  '1E+2',
  '1e05',
  '5e-324',
  '-5e-324',
  '4.9e-324',
  '2.4e-324',
  '2.5e-324',
  '2.5000000000000001e-324',
  '1e-400',
  '-1e-400',
  '2.2250738585072014e-308',
  '2.2250738585072011e-308',
  '1.7976931348623157e308',
  '-1.7976931348623157E308',
  '1.7976931348623158e308',
  '1e400',
  '-1e400',
  '0.1',
  '0.30000000000000004',
  '1e16',
  '1e15',
  '9999999999999998.0',
  '999999999999999.9',
  '1e-4',
  '0.0001',
  '0.00001',
  '1.5e-7',
  '123456789012345678',
  '123456789012345678.0',
  '9007199254740993',
  '9007199254740993.0',
  '18446744073709551616',
  '-18446744073709551616',
  '1e22',
  '1e23',
  '8.41e21',
  '1506280664.717925',
  '0.000000000000000000000000000000000000000000000000001',
  '100000000000000000000000000000000000000000.0',
];

/** A random JSON number literal (source text). */
function randomNumber(rng: Rng): string {
  const sign = rng.bool(0.3) ? '-' : '';
  const intPart = (): string => (rng.bool(0.2) ? '0' : rng.digits(rng.int(1, 20), true));
  switch (rng.int(0, 9)) {
    case 0:
      return rng.pick(SPECIAL_NUMBERS);
    case 1:
      return sign + String(rng.int(0, 1_000_000));
    case 2:
      // Big ints, now and then right at CPython's 4300-digit limit.
      return sign + (rng.bool(0.02) ? rng.digits(4300, true) : rng.digits(rng.int(16, 400), true));
    case 3:
      return `${sign}${intPart()}.${rng.digits(rng.int(1, 20))}`;
    case 4: {
      const frac = rng.bool() ? `.${rng.digits(rng.int(1, 18))}` : '';
      const exp = `${rng.pick(['e', 'E'])}${rng.pick(['', '+', '-'])}${rng.bool(0.1) ? '0' : ''}${rng.int(0, 340)}`;
      return `${sign}${rng.int(0, 9)}${frac}${exp}`;
    }
    case 5: {
      // Long mantissas: correct rounding of many digits.
      return `${sign}${intPart()}.${rng.digits(rng.int(20, 60))}${rng.bool() ? `e${rng.int(-330, 310)}` : ''}`;
    }
    case 6:
    case 7: {
      // A random double printed with many digits, in whatever notation toPrecision picks.
      const x = randomFiniteDouble(rng);
      return x.toPrecision(rng.int(1, 25));
    }
    case 8: {
      // A double in the positional range, printed fixed.
      const x = (rng.float() - 0.5) * 10 ** rng.int(-6, 17);
      return x.toFixed(rng.int(1, 20));
    }
    default:
      return `${sign}${rng.digits(rng.int(1, 17), true)}.0`;
  }
}

const view = new DataView(new ArrayBuffer(8));

function doubleFromBits(hi: number, lo: number): number {
  view.setUint32(0, hi >>> 0);
  view.setUint32(4, lo >>> 0);
  return view.getFloat64(0);
}

function bitsHex(x: number): string {
  view.setFloat64(0, x);
  return view.getUint32(0).toString(16).padStart(8, '0') + view.getUint32(4).toString(16).padStart(8, '0');
}

function randomFiniteDouble(rng: Rng): number {
  for (;;) {
    const x = doubleFromBits(rng.u32(), rng.u32());
    if (Number.isFinite(x)) return x;
  }
}

function randomWs(rng: Rng): string {
  if (rng.bool(0.7)) return '';
  let s = '';
  const count = rng.int(1, 3);
  for (let k = 0; k < count; k++) s += rng.pick([' ', '\t', '\n', '\r']);
  return s;
}

const TRICKY_KEYS = ['', 'a', 'A', 'b', '__proto__', 'constructor', 'toString', '0', '10', '9', 'é', '\u{1f600}'];

/** A random JSON text for a random value (depth-bounded; keys unique after decoding). */
function randomJson(rng: Rng, depth: number): string {
  const ws = (): string => randomWs(rng);
  const roll = depth >= 5 ? rng.int(2, 9) : rng.int(0, 9);
  if (roll === 0) {
    const keys = new Set<string>();
    const count = rng.int(0, 7);
    const parts: string[] = [];
    for (let k = 0; k < count; k++) {
      const key = rng.bool(0.2) ? rng.pick(TRICKY_KEYS) : randomString(rng, 6);
      if (keys.has(key)) continue;
      keys.add(key);
      parts.push(`${ws()}${encodeString(rng, key)}${ws()}:${randomJson(rng, depth + 1)}`);
    }
    return `${ws()}{${parts.length === 0 ? ws() : parts.join(',')}}${ws()}`;
  }
  if (roll === 1) {
    const parts: string[] = [];
    const count = rng.int(0, 6);
    for (let k = 0; k < count; k++) parts.push(randomJson(rng, depth + 1));
    return `${ws()}[${parts.length === 0 ? ws() : parts.join(',')}]${ws()}`;
  }
  let scalar: string;
  if (roll <= 4) scalar = encodeString(rng, randomString(rng, 12));
  else if (roll <= 8) scalar = randomNumber(rng);
  else scalar = rng.pick(['true', 'false', 'null']);
  return `${ws()}${scalar}${ws()}`;
}

// ---------------------------------------------------------------------------------------------

describe('canonicalJson(parseJson(text)) === Python json.dumps(json.loads(text), sort_keys=True)', () => {
  it('agrees with CPython on 4000 random JSON texts, byte for byte and by sha256', () => {
    const rng = new Rng(0x5eed);
    const texts: string[] = [];
    for (let k = 0; k < 4000; k++) {
      // Mostly containers, so keys get sorted at every depth.
      let text = randomJson(rng, 0);
      if (k % 3 !== 2) text = `{${encodeString(rng, 'root')}:${text},${encodeString(rng, '\u{1f600}')}:${text}}`;
      texts.push(text);
    }
    for (const n of SPECIAL_NUMBERS) texts.push(n, `[${n}]`);
    const answers = runPython(
      PY_CANONICAL,
      texts.map((t) => JSON.stringify(t)),
    );
    const mismatches: string[] = [];
    for (let k = 0; k < texts.length; k++) {
      const text = texts[k] as string;
      const [pyText, pySha] = JSON.parse(answers[k] as string) as [string, string];
      if (pyText === 'ERROR') {
        mismatches.push(`#${k} python refused ${JSON.stringify(text).slice(0, 200)}: ${pySha}`);
        continue;
      }
      const ours = canonicalJson(parseJson(text));
      if (ours !== pyText || sha256Hex(ours) !== pySha) {
        mismatches.push(
          `#${k} ${JSON.stringify(text).slice(0, 300)}\n  ours:   ${ours.slice(0, 300)}\n  python: ${pyText.slice(0, 300)}`,
        );
      }
    }
    expect(mismatches.slice(0, 5).join('\n')).toBe('');
    expect(mismatches.length).toBe(0);
    // The generator really produced what it claims to cover.
    const all = texts.join('');
    for (const needle of ['\\ud', '\\u00', '\\"', '\\\\', '\\/', 'E+', 'e-', '-0.0', '5e-324', '\u{1f600}']) {
      expect(all).toContain(needle);
    }
  });

  it('keeps agreeing with itself: Python text re-parsed by us prints the same', () => {
    // Python's output is ASCII-only with \\u escapes (surrogate pairs for astral characters);
    // our parser must read it back to the identical canonical text.
    const rng = new Rng(42);
    const texts = Array.from({ length: 300 }, () => randomJson(rng, 0));
    const answers = runPython(
      PY_CANONICAL,
      texts.map((t) => JSON.stringify(t)),
    );
    for (const answer of answers) {
      const [pyText] = JSON.parse(answer) as [string];
      if (pyText === 'ERROR' || pyText.includes('Infinity')) continue;
      expect(canonicalJson(parseJson(pyText))).toBe(pyText);
    }
  });

  it('refuses nothing that CPython accepts, except NaN/Infinity literals and duplicate keys', () => {
    // Python's json.loads is lenient on exactly these two (NaN/Infinity are a Python extension;
    // a repeated key keeps its last value). Everything else we refuse, Python refuses too, so a
    // Python peer can never send us valid-for-Python JSON that we would choke on.
    const refused = [
      '',
      ' ',
      '[1,]',
      '{"a":1,}',
      "{'a':1}",
      '01',
      '-01',
      '+1',
      '.5',
      '1.',
      '1e',
      '1e+',
      '-',
      '0x10',
      'tru',
      'nul',
      'True',
      '"abc',
      '"a\tb"',
      '"a\nb"',
      '"\\x41"',
      '"\\u12"',
      '"\\u12G4"',
      '\ufeff{}',
      '{} {}',
      '[] x',
      '\f1',
      '\u00a01',
      `${'1'.repeat(4301)}`,
      `-${'1'.repeat(4301)}`,
    ];
    const lenient = ['NaN', '-Infinity', 'Infinity', '{"a":1,"a":1}', '{"a":1,"a":2}'];
    for (const text of [...refused, ...lenient]) {
      expect(() => parseJson(text), JSON.stringify(text)).toThrow(BlockforgeError);
    }
    const answers = runPython(
      PY_CANONICAL,
      [...refused, ...lenient].map((t) => JSON.stringify(t)),
    );
    const verdicts = answers.map((a) => (JSON.parse(a) as string[])[0] === 'ERROR');
    expect(verdicts).toEqual([...refused.map(() => true), ...lenient.map(() => false)]);
    // And at the limit both accept: 4300 digits is still an int for CPython.
    const atLimit = `-${'7'.repeat(4300)}`;
    const [pyAtLimit] = runPython(PY_CANONICAL, [JSON.stringify(atLimit)]);
    expect(JSON.parse(pyAtLimit as string)[0]).toBe(canonicalJson(parseJson(atLimit)));
    expect(parseJson(atLimit)).toBeInstanceOf(JsonNumber);
  });
});

describe('pyFloatRepr === Python repr(float)', () => {
  it('agrees on 60000 doubles: random bit patterns, subnormals, the positional range and its edges', () => {
    const rng = new Rng(0xf10a7);
    const values: number[] = [];
    // Uniform random bit patterns (mostly huge or tiny exponents).
    while (values.length < 30_000) {
      const x = doubleFromBits(rng.u32(), rng.u32());
      if (Number.isFinite(x)) values.push(x);
    }
    // Subnormals and the smallest normals.
    for (let k = 0; k < 3000; k++) {
      values.push(doubleFromBits((rng.bool() ? 0x80000000 : 0) | rng.int(0, 0x1fffff), rng.u32()));
    }
    // Magnitudes where repr switches between positional and exponent form (1e-5..1e-4, 1e15..1e17).
    for (let k = 0; k < 15_000; k++) {
      const x = (rng.float() + 0.01) * 10 ** rng.int(-8, 20);
      values.push(rng.bool() ? x : -x);
    }
    // Integral doubles (need ".0") and short decimals (few digits, exercising the shortest pick).
    for (let k = 0; k < 6000; k++) {
      values.push(rng.int(-(2 ** 31), 2 ** 31) * 2 ** rng.int(0, 40));
      values.push(Number(`${rng.digits(rng.int(1, 6), true)}e${rng.int(-25, 25)}`));
    }
    // Neighbours (a few ulps either side) of the notation thresholds and of other edges.
    const edges = [1e-5, 1e-4, 1e15, 1e16, 1e17, 2 ** 53, 0.1, 1, 5e-324, 2.2250738585072014e-308, Number.MAX_VALUE];
    for (const e of edges) {
      view.setFloat64(0, e);
      const hi = view.getUint32(0);
      const lo = view.getUint32(4);
      for (let d = -20; d <= 20; d++) {
        const l = lo + d;
        const x = doubleFromBits(l < 0 ? hi - 1 : l > 0xffffffff ? hi + 1 : hi, l >>> 0);
        if (Number.isFinite(x)) values.push(x, -x);
      }
    }
    values.push(0, -0, 9999999999999998, 999999999999999.9, 0.0001, 0.00009999999999999999);

    const answers = runPython(PY_FLOAT_REPR, values.map(bitsHex));
    const mismatches: string[] = [];
    for (let k = 0; k < values.length; k++) {
      const x = values[k] as number;
      const ours = pyFloatRepr(x);
      if (ours !== answers[k]) mismatches.push(`${bitsHex(x)} (${x}): ours ${ours}, python ${answers[k]}`);
    }
    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(values.length).toBeGreaterThan(60_000);
    // JsonNumber.float (used for timestamps) must print the same text.
    for (let k = 0; k < values.length; k += 97) {
      expect(JsonNumber.float(values[k] as number).text).toBe(answers[k]);
    }
  });
});

describe('compareCodePoints === Python sorted() on str', () => {
  it('orders random strings exactly as CPython does (astral, high BMP, lone surrogates)', () => {
    const rng = new Rng(0xc0de);
    // A small alphabet so strings share prefixes and differ in interesting places.
    const alphabet = [
      'a',
      'b',
      '~',
      '\u007f',
      '\u00e9',
      '\ud7ff',
      '\ue000',
      '\uff61',
      '\uffff',
      '\u{10000}',
      '\u{1f600}',
      '\u{1f601}',
      '\u{10ffff}',
      '\ud83d', // lone high surrogate (or, next to a lone low one, half of a new pair)
      '\udbff',
      '\ude00', // lone low surrogate
      '\udc00',
    ];
    const lists: string[][] = [];
    for (let k = 0; k < 400; k++) {
      const list: string[] = [];
      const count = rng.int(2, 25);
      for (let j = 0; j < count; j++) {
        let s = '';
        const len = rng.int(0, 4);
        for (let m = 0; m < len; m++) s += rng.pick(alphabet);
        list.push(s);
      }
      lists.push(list);
    }
    const answers = runPython(
      PY_SORT,
      lists.map((l) => JSON.stringify(l)),
    );
    let pairs = 0;
    for (let k = 0; k < lists.length; k++) {
      const list = lists[k] as string[];
      const [order, signs] = JSON.parse(answers[k] as string) as [number[], number[]];
      const ours = list.map((_, i) => i).sort((i, j) => compareCodePoints(list[i] as string, list[j] as string));
      expect(ours, JSON.stringify(list)).toEqual(order);
      for (let i = 0; i + 1 < list.length; i++) {
        const a = list[i] as string;
        const b = list[i + 1] as string;
        expect(Math.sign(compareCodePoints(a, b)), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(signs[i]);
        expect(Math.sign(compareCodePoints(b, a))).toBe(0 - (signs[i] as number));
        pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(4000);
  });

  it('sorts object keys by code point in canonicalJson (astral after U+FFFF, lone surrogates before U+E000)', () => {
    const text = '{"\\ue000": 1, "\\ud83d\\ude00": 2, "\\udc00": 3, "\\uffff": 4, "z": 5, "\\ud83d": 6}';
    // sorted() by code point: z (U+007A), U+D83D, U+DC00, U+E000, U+FFFF, U+1F600.
    expect(canonicalJson(parseJson(text))).toBe(
      '{"z": 5, "\\ud83d": 6, "\\udc00": 3, "\\ue000": 1, "\\uffff": 4, "\\ud83d\\ude00": 2}',
    );
  });
});

describe('helpers', () => {
  it('really is deterministic (same seed, same texts)', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    expect(Array.from({ length: 20 }, () => randomJson(a, 0))).toEqual(
      Array.from({ length: 20 }, () => randomJson(b, 0)),
    );
  });
});
