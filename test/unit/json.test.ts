/**
 * The strict, lossless JSON parser against hostile input: everything malformed is refused with a
 * stable code and a position, duplicate keys and deep nesting are refused, prototype keys stay
 * plain data, and valid input means what JSON.parse says it means (with number text kept).
 */
import { describe, expect, it } from 'vitest';
import { statusOf } from '../../src/api/errors.js';
import { canonicalJson } from '../../src/core/canonical.js';
import { BlockforgeError, ErrorCode, type ErrorCodeValue } from '../../src/core/errors.js';
import {
  fromPlain,
  isJsonObject,
  JsonNumber,
  type JsonObject,
  type JsonValue,
  parseJson,
  writeJson,
} from '../../src/core/json.js';
import { mulberry32 } from '../support/random.js';

/** Parses `text`, expecting a BlockforgeError with `code`; returns the error. */
function refuse(text: string, code: ErrorCodeValue = ErrorCode.InvalidJson): BlockforgeError {
  let thrown: unknown;
  try {
    parseJson(text);
  } catch (err) {
    thrown = err;
  }
  expect(thrown, `expected ${JSON.stringify(text.slice(0, 80))} to be refused`).toBeInstanceOf(BlockforgeError);
  const err = thrown as BlockforgeError;
  expect(err.code, JSON.stringify(text.slice(0, 80))).toBe(code);
  expect(statusOf(err.code)).toBe(400);
  return err;
}

/** The position an error message reports. */
function positionOf(err: BlockforgeError): number {
  const m = /at position (\d+)$/.exec(err.message);
  expect(m, err.message).not.toBeNull();
  return Number(m?.[1]);
}

/** Read as a computed key: an own data property of a prototype-less object, not the accessor. */
const PROTO = '__proto__';

const obj = (v: JsonValue): JsonObject => {
  if (!isJsonObject(v)) throw new Error('expected an object');
  return v;
};

describe('malformed JSON is refused with INVALID_JSON and a position', () => {
  // [label, text, position of the defect]
  const cases: [string, string, number][] = [
    ['empty input', '', 0],
    ['whitespace only', ' \n\t\r ', 5],
    ['trailing comma in array', '[1,2,]', 5],
    ['trailing comma in object', '{"a":1,}', 7],
    ['leading comma', '[,1]', 1],
    ['double comma', '[1,,2]', 3],
    ['missing comma', '[1 2]', 3],
    ['missing colon', '{"a" 1}', 5],
    ['missing value', '{"a":}', 5],
    ['unquoted key', '{a:1}', 1],
    ['number key', '{1:2}', 1],
    ['single-quoted string', "'abc'", 0],
    ['single-quoted key', "{'a':1}", 1],
    ['leading zero', '01', 1],
    ['leading zero in array', '[01]', 2],
    ['negative leading zero', '-01', 2],
    ['double zero', '00', 1],
    ['plus sign', '+1', 0],
    ['leading dot', '.5', 0],
    ['negative leading dot', '-.5', 1],
    ['trailing dot', '1.', 2],
    ['trailing dot before exponent', '1.e5', 2],
    ['empty exponent', '1e', 2],
    ['signed empty exponent', '1e+', 3],
    ['lone minus', '-', 1],
    ['double minus', '--1', 1],
    ['hex', '0x10', 1],
    ['underscore digits', '1_000', 1],
    ['NaN', 'NaN', 0],
    ['Infinity', 'Infinity', 0],
    ['-Infinity', '-Infinity', 1],
    ['bare word', 'hello', 0],
    ['capitalised True', 'True', 0],
    ['None', 'None', 0],
    ['truncated true', 'tru', 0],
    ['truncated null', 'nul', 0],
    ['undefined', 'undefined', 0],
    ['true with suffix', 'truex', 4],
    ['unterminated string', '"abc', 4],
    ['unterminated string after escape', '"ab\\n', 5],
    ['unterminated escape', '"ab\\', 3],
    ['unterminated array', '[1,2', 4],
    ['unterminated object', '{"a":1', 6],
    ['unterminated key', '{"a', 3],
    ['lone open bracket', '[', 1],
    ['lone open brace', '{', 1],
    ['lone close bracket', ']', 0],
    ['raw newline in string', '"a\nb"', 2],
    ['raw tab in string', '"a\tb"', 2],
    ['raw NUL in string', '"a\u0000b"', 2],
    ['raw U+001F in string', '"\u001f"', 1],
    ['raw control after an escape', '"\\n\u0001"', 3],
    ['raw control in key', '{"a\u0002":1}', 3],
    ['bad escape \\x', '"\\x41"', 1],
    ["bad escape \\'", '"\\\'"', 1],
    ['bad escape \\U', '"\\U0041"', 1],
    ['bad escape \\0', '"\\0"', 1],
    ['short \\u at end', '"\\u12"', 1],
    ['short \\u before more text', '"\\u12 x"', 1],
    ['non-hex \\u', '"\\u00G0"', 1],
    ['signed \\u', '"\\u+123"', 1],
    ['BOM', '\ufeff{}', 0],
    ['BOM after whitespace', ' \ufeff1', 1],
    ['trailing data', '{} {}', 3],
    ['trailing number', '1 2', 2],
    ['trailing bracket', '[]]', 2],
    ['trailing word', '"a"x', 3],
    ['two values', 'nullnull', 4],
    ['comment', '[1] // hi', 4],
    ['block comment', '/* x */ 1', 0],
    ['form feed is not whitespace', '\f1', 0],
    ['vertical tab is not whitespace', '\u000b1', 0],
    ['no-break space is not whitespace', '\u00a01', 0],
    ['line separator is not whitespace', '[1,\u20282]', 3],
  ];

  for (const [label, text, position] of cases) {
    it(`refuses ${label}: ${JSON.stringify(text)}`, () => {
      const err = refuse(text);
      expect(err.message).toMatch(/^Invalid JSON: .+ at position \d+$/);
      expect(positionOf(err)).toBe(position);
      // JSON.parse agrees these are not JSON (we are never more lenient than the RFC).
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
    });
  }

  it('does not echo huge input in the error message', () => {
    const err = refuse(`["${'x'.repeat(100_000)}", 1,]`);
    expect(err.message.length).toBeLessThan(200);
  });
});

describe('duplicate keys are refused with DUPLICATE_KEY', () => {
  const cases: [string, string, number][] = [
    ['different values', '{"a":1,"a":2}', 7],
    ['equal values', '{"a":1,"a":1}', 7],
    ['equal object values', '{"a":{},"a":{}}', 8],
    ['equal nulls, with whitespace', '{ "a" : null , "a" : null }', 15],
    ['nested object', '{"x":{"b":true,"b":true}}', 15],
    ['object inside an array', '[1,{"k":"v","z":0,"k":"v"}]', 18],
    ['same key written with an escape', '{"a":1,"\\u0061":1}', 7],
    ['astral key, raw and escaped', '{"\u{1f600}":1,"\\ud83d\\ude00":1}', 8],
    ['__proto__ twice', '{"__proto__":1,"__proto__":1}', 15],
    ['empty key twice', '{"":1,"":1}', 6],
  ];
  for (const [label, text, position] of cases) {
    it(`refuses ${label}`, () => {
      const err = refuse(text, ErrorCode.DuplicateKey);
      expect(err.message).toContain('duplicate key');
      expect(positionOf(err)).toBe(position);
    });
  }

  it('accepts the same key in different objects and keys differing only in case', () => {
    expect(canonicalJson(parseJson('[{"a":1},{"a":1},{"a":{"a":1}},{"a":1,"A":1}]'))).toBe(
      '[{"a": 1}, {"a": 1}, {"a": {"a": 1}}, {"A": 1, "a": 1}]',
    );
  });
});

describe('nesting depth is bounded', () => {
  it('refuses 100k nested arrays with JSON_TOO_DEEP, not a stack overflow', () => {
    const err = refuse('['.repeat(100_000), ErrorCode.JsonTooDeep);
    expect(positionOf(err)).toBe(64);
    refuse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, ErrorCode.JsonTooDeep);
  });

  it('refuses 100k nested objects with JSON_TOO_DEEP', () => {
    refuse(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`, ErrorCode.JsonTooDeep);
  });

  it('accepts exactly maxDepth levels (default 64) and refuses one more', () => {
    const nested = (d: number): string => `${'['.repeat(d)}1${']'.repeat(d)}`;
    expect(canonicalJson(parseJson(nested(64)))).toBe(nested(64));
    refuse(nested(65), ErrorCode.JsonTooDeep);
    const mixed = (d: number): string => `${'[{"k":'.repeat(d)}1${'}]'.repeat(d)}`;
    expect(() => parseJson(mixed(32))).not.toThrow();
    refuse(mixed(33), ErrorCode.JsonTooDeep);
  });

  it('honours a custom maxDepth', () => {
    expect(canonicalJson(parseJson('[[1]]', { maxDepth: 2 }))).toBe('[[1]]');
    expect(() => parseJson('[[[1]]]', { maxDepth: 2 })).toThrow(BlockforgeError);
    expect(() => parseJson('{"a":{}}', { maxDepth: 1 })).toThrow(/nesting deeper than 1/);
    // Scalars have no depth.
    expect(parseJson('"x"', { maxDepth: 0 })).toBe('x');
    try {
      parseJson('[]', { maxDepth: 0 });
      expect.unreachable();
    } catch (err) {
      expect((err as BlockforgeError).code).toBe(ErrorCode.JsonTooDeep);
    }
  });
});

describe('prototype keys are plain data', () => {
  it('stores __proto__ and constructor as own properties of a prototype-less object', () => {
    const v = obj(parseJson('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'));
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor']);
    expect(Object.hasOwn(v, '__proto__')).toBe(true);
    const proto = v[PROTO] as JsonValue;
    expect(isJsonObject(proto) && proto.polluted).toBe(true);
    expect(Object.getPrototypeOf(v)).toBeNull(); // reading did not set anything either
    // Nothing leaked into the shared prototypes.
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, 'polluted')).toBe(false);
    expect(canonicalJson(v)).toBe(
      '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
    );
  });

  it('keeps nested prototype keys and Object.prototype method names as data', () => {
    const text =
      '{"a":{"__proto__":{"x":1}},"toString":"s","hasOwnProperty":1,"valueOf":[],"__defineGetter__":null,"prototype":{}}';
    const v = obj(parseJson(text));
    expect(Object.keys(v).sort()).toEqual(
      ['__defineGetter__', 'a', 'hasOwnProperty', 'prototype', 'toString', 'valueOf'].sort(),
    );
    expect(v.toString).toBe('s');
    const a = obj(v.a as JsonValue);
    expect(Object.getPrototypeOf(a)).toBeNull();
    expect(Object.keys(a)).toEqual(['__proto__']);
    expect(obj(a[PROTO] as JsonValue).x).toBeInstanceOf(JsonNumber);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    // Survives the wire format.
    expect(canonicalJson(parseJson(writeJson(v)))).toBe(canonicalJson(v));
    expect(writeJson(a)).toBe('{"__proto__":{"x":1}}');
  });
});

describe('numbers', () => {
  it('keeps Python text for each number form', () => {
    const cases: [string, string, boolean][] = [
      ['0', '0', true],
      ['-0', '0', true],
      ['5', '5', true],
      ['5.0', '5.0', false],
      ['1E5', '100000.0', false],
      ['1e-7', '1e-07', false],
      ['-0.0', '-0.0', false],
      ['5e-324', '5e-324', false],
      ['1.7976931348623157e308', '1.7976931348623157e+308', false],
      ['1e16', '1e+16', false],
      ['123456789012345678901234567890', '123456789012345678901234567890', true],
      ['1e400', 'Infinity', false],
      ['-1e400', '-Infinity', false],
    ];
    for (const [source, text, isInteger] of cases) {
      const n = parseJson(source);
      expect(n, source).toBeInstanceOf(JsonNumber);
      expect((n as JsonNumber).text, source).toBe(text);
      expect((n as JsonNumber).isInteger, source).toBe(isInteger);
    }
  });

  it('accepts ints up to 4300 digits and refuses longer ones (CPython limit)', () => {
    const max = '9'.repeat(4300);
    expect((parseJson(max) as JsonNumber).text).toBe(max);
    expect((parseJson(`-${max}`) as JsonNumber).text).toBe(`-${max}`);
    const err = refuse(`1${max}`);
    expect(err.message).toContain('integer too long');
    refuse(`-1${max}`);
    refuse(`[1, ${'1'.repeat(10_000)}]`);
    // The limit is on ints: a float literal with many digits is a float for Python too.
    expect((parseJson(`${'1'.repeat(5000)}.0`) as JsonNumber).text).toBe('Infinity');
    expect((parseJson(`0.${'1'.repeat(5000)}`) as JsonNumber).text).toBe('0.1111111111111111');
  });

  it('JsonNumber.toJSON throws, so JSON.stringify cannot silently lose the int/float distinction', () => {
    const v = parseJson('{"amount": 5.0}');
    expect(() => JSON.stringify(v)).toThrow(TypeError);
    expect(() => JSON.stringify([JsonNumber.int(1)])).toThrow(/writeJson/);
    expect(() => JsonNumber.float(1.5).toJSON()).toThrow(TypeError);
  });

  it('JsonNumber constructors print Python text', () => {
    expect(JsonNumber.int(5).text).toBe('5');
    expect(JsonNumber.int(10n ** 30n).text).toBe(`1${'0'.repeat(30)}`);
    expect(() => JsonNumber.int(2 ** 53)).toThrow(RangeError);
    expect(() => JsonNumber.int(1.5)).toThrow(RangeError);
    expect(JsonNumber.float(5).text).toBe('5.0');
    expect(JsonNumber.float(1506280664.717925).text).toBe('1506280664.717925');
    expect(JsonNumber.float(1e21).text).toBe('1e+21');
    expect(JsonNumber.float(-0).text).toBe('-0.0');
  });
});

describe('strings', () => {
  it('decodes every escape', () => {
    expect(parseJson('"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0041\\u00e9\\u00E9\\ud83d\\ude00\\udc00"')).toBe(
      '"\\/\b\f\n\r\tA\u00e9\u00e9\u{1f600}\udc00',
    );
    // Raw non-ASCII and U+007F pass through; escapes and raw text mix.
    expect(parseJson('"\u007f\u00e9\u{1f600}x\\ny"')).toBe('\u007f\u00e9\u{1f600}x\ny');
  });
});

// -----------------------------------------------------------------------------------------------
// Agreement with JSON.parse on random valid input.

function randomText(rand: () => number, depth: number): string {
  const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const ws = (): string => pick(['', '', '', ' ', '\n', '\t', '\r\n  ']);
  const str = (): string => {
    let s = '';
    const n = int(0, 8);
    for (let k = 0; k < n; k++) {
      s += pick([
        String.fromCharCode(int(0x20, 0x7e)),
        String.fromCharCode(int(0, 0x1f)),
        String.fromCharCode(int(0x80, 0xffff)),
        String.fromCodePoint(int(0x10000, 0x10ffff)),
        '__proto__',
        '"',
        '\\',
      ]);
    }
    // JSON.stringify escapes what must be escaped (and lone surrogates); sometimes escape more.
    const quoted = JSON.stringify(s);
    return rand() < 0.3
      ? quoted.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
      : quoted;
  };
  const num = (): string =>
    pick([
      () => String(int(-1000, 1000)),
      () => '-0',
      () => '-0.0',
      () => `${int(0, 99)}.${int(0, 999)}`,
      () => `${int(1, 9)}e${int(-30, 30)}`,
      () => `-${int(1, 9)}.${int(0, 9)}E+${int(0, 300)}`,
      () => String(rand() * 10 ** int(-10, 30)),
      () => `${int(1, 9)}${'0'.repeat(int(15, 40))}`,
    ])();
  const r = depth > 4 ? int(2, 6) : int(0, 6);
  if (r === 0) {
    const keys = new Set<string>();
    const parts: string[] = [];
    for (let k = int(0, 5); k > 0; k--) {
      const key = rand() < 0.15 ? pick(['"__proto__"', '"constructor"', '"toString"']) : str();
      const decoded = JSON.parse(key) as string;
      if (keys.has(decoded)) continue;
      keys.add(decoded);
      parts.push(`${ws()}${key}${ws()}:${randomText(rand, depth + 1)}`);
    }
    return `${ws()}{${parts.join(',')}${ws()}}${ws()}`;
  }
  if (r === 1) {
    const parts: string[] = [];
    for (let k = int(0, 5); k > 0; k--) parts.push(randomText(rand, depth + 1));
    return `${ws()}[${parts.join(',')}${ws()}]${ws()}`;
  }
  if (r <= 3) return ws() + str() + ws();
  if (r <= 5) return ws() + num() + ws();
  return ws() + pick(['true', 'false', 'null']) + ws();
}

/** Plain JS value of a parse result (JsonNumber -> number), -0 folded into 0 on both sides. */
function toPlain(v: JsonValue): unknown {
  if (v instanceof JsonNumber) return v.toNumber() + 0;
  if (Array.isArray(v)) return v.map(toPlain);
  if (isJsonObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      Object.defineProperty(out, k, {
        value: toPlain(v[k] as JsonValue),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}

function foldNegativeZero(v: unknown): unknown {
  if (typeof v === 'number') return v + 0;
  if (Array.isArray(v)) return v.map(foldNegativeZero);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v)) {
      Object.defineProperty(out, k, {
        value: foldNegativeZero((v as Record<string, unknown>)[k]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}

describe('random valid input', () => {
  const rand = mulberry32(20240611);
  const texts = Array.from({ length: 2000 }, () => randomText(rand, 0));

  it('means what JSON.parse says it means', () => {
    let containers = 0;
    for (const text of texts) {
      const ours = parseJson(text);
      if (typeof ours === 'object' && ours !== null && !(ours instanceof JsonNumber)) containers++;
      expect(toPlain(ours), text).toEqual(foldNegativeZero(JSON.parse(text)));
    }
    expect(containers).toBeGreaterThan(400);
  });

  it('writeJson output re-parses to the same value and canonical form', () => {
    for (const text of texts) {
      const value = parseJson(text);
      const wire = writeJson(value);
      const again = parseJson(wire);
      expect(canonicalJson(again), text).toBe(canonicalJson(value));
      expect(writeJson(again)).toBe(wire);
      expect(foldNegativeZero(JSON.parse(wire))).toEqual(toPlain(value));
    }
  });

  it('writeJson keeps int/float text and escapes lone surrogates', () => {
    const value = parseJson('{"b":[5,5.0,1e2,-0,-0.0,1e16],"a":"\\ud800\\u0000\u{1f600}","__proto__":null}');
    const wire = writeJson(value);
    expect(wire).toBe('{"b":[5,5.0,100.0,0,-0.0,1e+16],"a":"\\ud800\\u0000\u{1f600}","__proto__":null}');
    expect(canonicalJson(parseJson(wire))).toBe(
      '{"__proto__": null, "a": "\\ud800\\u0000\\ud83d\\ude00", "b": [5, 5.0, 100.0, 0, -0.0, 1e+16]}',
    );
  });

  it('fromPlain builds values that serialize like Python', () => {
    const v = fromPlain({ index: 1, timestamp: 1506280664.5, amount: 3, ratio: 0.5, big: 10n ** 20n, none: null });
    expect(canonicalJson(v)).toBe(
      '{"amount": 3, "big": 100000000000000000000, "index": 1, "none": null, "ratio": 0.5, "timestamp": 1506280664.5}',
    );
  });
});
