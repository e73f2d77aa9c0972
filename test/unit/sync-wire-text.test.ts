/**
 * The text a sync stores for a block, sliced from the page it came in, is exactly what `writeJson`
 * writes for the block's JSON: `wireText` accepts a slice only when it is that text (checked on
 * random values and on random respellings of them), and `pageTexts` slices a real page's blocks.
 */

import { describe, expect, it } from 'vitest';
import type { Block } from '../../src/core/block.js';
import { validateBranch } from '../../src/core/chain.js';
import { type JsonValue, parseJson, writeJson } from '../../src/core/json.js';
import { createProfile } from '../../src/core/profiles.js';
import { pageTexts, wireText } from '../../src/node/peer-kinds.js';
import { extendChain } from '../support/forge.js';

/** xorshift32: the same values on every run. */
function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const NUMBERS = [
  '0',
  '-0',
  '7',
  '-42',
  '12345678901234567890',
  '1.5',
  '1.50',
  '5.0',
  '0.1',
  '1e5',
  '1E+16',
  '1e-7',
  '0.0001',
  '0.00001',
  '1700000000.123456',
  '-2.5e-3',
  'NaN',
  'Infinity',
  '-Infinity',
];
const CHARS = [
  'a',
  'Z',
  ' ',
  '"',
  '\\',
  '/',
  '\n',
  '\t',
  '\u0001',
  '\u001f',
  'é',
  '渡',
  '☕',
  '😀',
  '\ud800',
  '\udc00',
  '\u2028',
];
const KEYS = ['index', 'a', 'b', '0', '1', '42', '__proto__', 'previous_hash', 'x y', 'é', '"', '10', '01'];

/** A random JSON value (numbers and strings from lists that include every special spelling). */
function randomValue(next: () => number, depth = 0): JsonValue {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const kind = depth >= 4 ? Math.floor(next() * 4) : Math.floor(next() * 6);
  switch (kind) {
    case 0:
      return pick([null, true, false]);
    case 1:
      return parseJson(pick(NUMBERS), { nonFinite: true });
    case 2:
    case 3: {
      let s = '';
      const length = Math.floor(next() * 8);
      for (let k = 0; k < length; k++) s += pick(CHARS);
      return s;
    }
    case 4:
      return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
    default: {
      const text = `{${[...new Set(Array.from({ length: Math.floor(next() * 5) }, () => pick(KEYS)))]
        .map((key) => `${JSON.stringify(key)}:${writeJson(randomValue(next, depth + 1))}`)
        .join(',')}}`;
      return parseJson(text, { nonFinite: true, maxDepth: 100 });
    }
  }
}

/** `text` respelled by one random edit that keeps it valid JSON (often the same values). */
function respell(text: string, next: () => number): string {
  const at = Math.floor(next() * (text.length + 1));
  const edits: (() => string)[] = [
    () => `${text.slice(0, at)} ${text.slice(at)}`, // whitespace (inside a string it changes the value)
    () => ` ${text}\n`,
    () => text.replace(/"a/, '"\\u0061'),
    () => text.replace('/', '\\/'),
    () => text.replace(/:1\.5\b/, ':1.50'),
    () => text.replace(/:7\b/, ':7.0'),
    () => text.replace(/:0\b/, ':-0'),
    () => text.replace(/\\n/, '\\u000a'),
    () => text.replace(/\{"0":([^,{}[\]]*),"1":/, '{"1":$1,"0":'), // integer keys out of order
  ];
  return (edits[Math.floor(next() * edits.length)] as () => string)();
}

describe('wireText', () => {
  it('accepts writeJson text of any value, at any position', () => {
    const next = random(7);
    for (let k = 0; k < 3000; k++) {
      const value = randomValue(next);
      const text = writeJson(value);
      expect(wireText(value, text, 0)).toBe(text.length);
      expect(wireText(value, `[9,${text},1]`, 3)).toBe(3 + text.length);
    }
  });

  it('accepts a text only when it is exactly what writeJson writes for its values', () => {
    const next = random(11);
    let respelled = 0;
    let accepted = 0;
    for (let k = 0; k < 5000; k++) {
      const original = writeJson(randomValue(next));
      const text = respell(original, next);
      let value: JsonValue;
      try {
        value = parseJson(text, { nonFinite: true, maxDepth: 100 });
      } catch {
        continue; // an edit inside an escape: not JSON any more
      }
      const end = wireText(value, text, 0);
      if (end === text.length) {
        accepted++;
        expect(text).toBe(writeJson(value));
      } else {
        respelled++;
        expect(text).not.toBe(writeJson(value));
      }
    }
    // Both sides were exercised.
    expect(respelled).toBeGreaterThan(1000);
    expect(accepted).toBeGreaterThan(100);
  });

  it('refuses the spellings another writer may use for the same values', () => {
    const cases: [string, string][] = [
      ['{"a": 1}', 'a space after the colon'],
      ['{"a":1.50}', 'a trailing zero'],
      ['{"a":1e5}', 'an exponent where Python writes 100000.0'],
      ['{"a":-0}', 'minus zero, an int 0'],
      ['{"a":"\\u0041"}', 'an escape JSON.stringify does not write'],
      ['{"a":"\\/"}', 'an escaped slash'],
      ['{"b":1,"1":2}', 'keys Object.keys lists in another order'],
      ['[1 ,2]', 'a space before a comma'],
    ];
    for (const [text, why] of cases) {
      const value = parseJson(text);
      expect(wireText(value, text, 0), why).toBe(-1);
      expect(writeJson(value), why).not.toBe(text);
    }
  });
});

describe('pageTexts', () => {
  const profile = createProfile('seed', { difficulty: 1 });
  const genesis = profile.createGenesis(1_700_000_000.5);
  const txs = Array.from({ length: 40 }, (_, i) =>
    i % 2
      ? []
      : [profile.parseTransaction(parseJson(`{"sender":"Zoë \\"${i}\\"\\n","recipient":"渡辺 ☕","amount":${i}.25}`))],
  );
  const blocks = extendChain(profile, [genesis], txs, 'f'.repeat(32), 1_700_000_001);

  /** The page a blockforge node serves for blocks 2.. (its `/blocks` answer). */
  const page = `{"blocks":[${blocks
    .slice(1)
    .map((b) => writeJson(b.json))
    .join(',')}],"height":${blocks.length}}`;

  function validated(body: string): Block[] {
    const values = (parseJson(body) as { blocks: JsonValue[] }).blocks;
    return validateBranch(profile, { height: 1, state: { get: () => undefined }, block: () => genesis }, values).blocks;
  }

  it("slices every block of a blockforge node's page, each the text writeJson writes", () => {
    const texts: (string | undefined)[] = [];
    const branch = validated(page);
    pageTexts(page, branch, 0, texts);
    expect(texts.length).toBe(branch.length);
    texts.forEach((text, k) => {
      expect(text).toBe(writeJson((branch[k] as Block).json));
    });
  });

  it('leaves to writeJson the blocks from the first one spelled otherwise, and whole pages of other writers', () => {
    const respaced = page.replace('"index":12,', '"index": 12,');
    const branch = validated(respaced);
    const texts: (string | undefined)[] = [];
    pageTexts(respaced, branch, 0, texts);
    const odd = branch.findIndex((b) => b.height === 12);
    expect(texts.slice(0, odd).every((t, k) => t === writeJson((branch[k] as Block).json))).toBe(true);
    expect(texts.slice(odd).every((t) => t === undefined)).toBe(true);

    const other = page.replace('{"blocks":[', '{"from":2,"blocks":[');
    const none: (string | undefined)[] = [];
    pageTexts(other, validated(other), 0, none);
    expect(none.every((t) => t === undefined)).toBe(true);
  });
});
