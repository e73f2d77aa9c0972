/**
 * The tutorial profiles' one-pass chain scanner (src/core/tutorial-scan.ts) against the general
 * path (parseJson + validateChainResponse): on every text, a scanner that answers gives the
 * general path's verdict (length and tip), and on anything it does not take it answers null.
 * Chains are mined here with hostile values and written in every JSON layout a peer may use,
 * then mutated byte by byte.
 */

import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { hashJson, pyString } from '../../src/core/canonical.js';
import { validateChainResponse } from '../../src/core/chain.js';
import { type HashBatch, validateChainText as validateWith } from '../../src/core/chain-scan.js';
import { BlockforgeError } from '../../src/core/errors.js';
import { isJsonObject, JsonNumber, type JsonValue, parseJson } from '../../src/core/json.js';
import { MAX_PROOF, searchProof } from '../../src/core/pow.js';
import { createTutorialProfile, type TutorialProfile } from '../../src/core/tutorial-profile.js';
import { ChainScanPool } from '../../src/node/chain-scan-pool.js';
import { cryptoHashBatch } from '../../src/node/hash-batch.js';
import { mulberry32 } from '../support/random.js';

const encoder = new TextEncoder();
const validateChainText = (profile: TutorialProfile, bytes: Uint8Array) =>
  validateWith(profile, bytes, { hashBatch: cryptoHashBatch });
const num = (text: string): JsonNumber => JsonNumber.fromSource(text);

/** A block's JSON in the tutorial's key order (values already JSON). */
function blockValue(
  index: number,
  timestamp: JsonNumber,
  transactions: JsonValue[],
  proof: JsonNumber,
  previousHash: JsonValue,
): JsonValue {
  return { index: JsonNumber.int(index), timestamp, transactions, proof, previous_hash: previousHash };
}

/** Mines a valid chain under `profile` whose blocks carry `txs[k]` (the reward appended). */
function mine(profile: TutorialProfile, txs: JsonValue[][], timestamps?: string[]): JsonValue[] {
  const genesisPrev = profile.name === 'master' ? '1' : JsonNumber.int(1);
  const chain: JsonValue[] = [
    blockValue(1, num(timestamps?.[0] ?? '1795620000.25'), [], JsonNumber.int(100), genesisPrev),
  ];
  for (let k = 0; k < txs.length; k++) {
    const parent = chain[chain.length - 1] as { proof: JsonNumber };
    const parentHash = hashJson(chain[chain.length - 1] as JsonValue);
    const { proof } = searchProof(
      {
        prefix: parent.proof.text,
        suffix: profile.powIncludesPreviousHash ? parentHash : '',
        difficulty: profile.difficulty,
      },
      0,
      MAX_PROOF,
    );
    const reward: JsonValue = { sender: '0', recipient: 'f'.repeat(32), amount: JsonNumber.int(1) };
    chain.push(
      blockValue(
        k + 2,
        num(timestamps?.[k + 1] ?? `${1795620001 + k}.5`),
        [...(txs[k] as JsonValue[]), reward],
        JsonNumber.int(proof as number),
        parentHash,
      ),
    );
  }
  return chain;
}

interface Layout {
  sort: boolean;
  indent: string | null;
  comma: string;
  colon: string;
  /** Strings as Python's ensure_ascii writes them, else raw UTF-8 (JSON.stringify). */
  ascii: boolean;
}

/** Writes `value` in `layout` (numbers as their text: the layouts differ only in JSON syntax). */
function write(value: JsonValue, layout: Layout, depth = 0): string {
  const nl = (d: number): string => (layout.indent === null ? '' : `\n${layout.indent.repeat(d)}`);
  if (value === null || typeof value === 'boolean') return String(value);
  if (value instanceof JsonNumber) return value.text;
  if (typeof value === 'string') return layout.ascii ? pyString(value) : JSON.stringify(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => nl(depth + 1) + write(v, layout, depth + 1)).join(layout.comma)}${nl(depth)}]`;
  }
  const keys = Object.keys(value);
  if (layout.sort) keys.sort();
  if (keys.length === 0) return '{}';
  return `{${keys
    .map((k) => `${nl(depth + 1)}${JSON.stringify(k)}${layout.colon}${write(value[k] as JsonValue, layout, depth + 1)}`)
    .join(layout.comma)}${nl(depth)}}`;
}

const LAYOUTS: Record<string, Layout> = {
  compact: { sort: false, indent: null, comma: ',', colon: ':', ascii: false },
  flask: { sort: true, indent: null, comma: ',', colon: ':', ascii: true },
  pythonDumps: { sort: false, indent: null, comma: ', ', colon: ': ', ascii: true },
  canonical: { sort: true, indent: null, comma: ', ', colon: ': ', ascii: true },
  indented: { sort: false, indent: '  ', comma: ',', colon: ': ', ascii: false },
  tabs: { sort: true, indent: '\t', comma: ' ,\r\n', colon: ' : ', ascii: false },
};

function envelope(chain: JsonValue[], bare = false): JsonValue {
  return bare ? chain : { chain, length: JsonNumber.int(chain.length) };
}

type Verdict = { valid: true; length: number; tip: string } | { valid: false; code: string };

function general(profile: TutorialProfile, text: string): Verdict {
  try {
    const blocks = validateChainResponse(profile, parseJson(text, { nonFinite: true }));
    return { valid: true, length: blocks.length, tip: (blocks[blocks.length - 1] as { hash: string }).hash };
  } catch (err) {
    if (!(err instanceof BlockforgeError)) throw err;
    return { valid: false, code: err.code };
  }
}

/** Asserts the scanner's answer on `text` agrees with the general path; returns it. */
function agree(profile: TutorialProfile, text: string | Uint8Array, hashBatch: HashBatch = cryptoHashBatch) {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text;
  const fast = profile.scanChainText(bytes, hashBatch);
  const slow = general(profile, new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes));
  if (fast !== null) expect(slow).toEqual({ valid: true, length: fast.length, tip: fast.tipHash });
  return { fast, slow };
}

const seed = createTutorialProfile('seed', { difficulty: 2 }) as TutorialProfile;
const master = createTutorialProfile('master', { difficulty: 2 }) as TutorialProfile;

/** Client values a tutorial node stores as they came (strings and numbers of every form). */
const PLAIN_TXS: JsonValue[][] = [
  [{ sender: 'alice', recipient: 'bob', amount: num('5') }],
  [
    { sender: 'Zoë', recipient: '渡辺 ☕', amount: num('2.25') },
    { sender: 'emoji 🎉 pair', recipient: 'tab\tnew\nline "quoted" back\\slash /', amount: num('1e5') },
  ],
  [
    { sender: 'del \u007f and \u0001 \u001f', recipient: 'x', amount: num('-0') },
    { sender: 'y', recipient: 'z', amount: num('5.0') },
    { sender: 'big', recipient: 'int', amount: num('123456789012345678901234567890') },
  ],
  [
    { amount: num('1E-7'), recipient: 'order', sender: 'keys' },
    { sender: '0', recipient: 'not the last one', amount: num('0.1') },
    { sender: 'neg', recipient: 'exp', amount: num('-2.5e+300') },
    { sender: 'short', recipient: 'float', amount: num('0.0001') },
    { sender: '', recipient: ' ', amount: num('17.000000000000004') },
  ],
  [],
];

describe('one-pass chain scanner', () => {
  for (const profile of [seed, master]) {
    const chain = mine(profile, PLAIN_TXS);
    for (const [name, layout] of Object.entries(LAYOUTS)) {
      it(`${profile.name}: a valid chain written ${name} is scanned, with the general path's verdict`, () => {
        for (const bare of [false, true]) {
          const text = write(envelope(chain, bare), layout);
          const { fast, slow } = agree(profile, text);
          expect(slow.valid).toBe(true);
          expect(fast).not.toBeNull();
          const summary = validateChainText(profile, encoder.encode(text));
          expect(summary.scanned).toBe(true);
          expect(summary.length).toBe(chain.length);
        }
      });
    }
  }

  it('answers null on values it leaves to the general path, which still decides', () => {
    const odd: JsonValue[][] = [
      [{ sender: 'list', recipient: 'amount', amount: [JsonNumber.int(1), null] }],
      [{ sender: 'nan', recipient: 'x', amount: JsonNumber.float(Number.NaN) }],
      [{ sender: true, recipient: { nested: 'object' }, amount: num('1') }],
      [{ sender: '\ud83c', recipient: 'lone surrogate', amount: num('1') }],
    ];
    for (const txs of odd) {
      const chain = mine(seed, [txs]);
      const text = write(envelope(chain), LAYOUTS.compact as Layout);
      const { fast, slow } = agree(seed, text);
      expect(fast).toBeNull();
      expect(slow.valid).toBe(true);
      const summary = validateChainText(seed, encoder.encode(text));
      expect(summary).toMatchObject({ scanned: false, length: 2 });
    }
  });

  it('answers null on every broken rule; validateChainText throws the general path code', () => {
    const chain = mine(seed, PLAIN_TXS.slice(0, 3));
    const base = write(envelope(chain), LAYOUTS.compact as Layout);
    const breaks: [string, (text: string) => string, string][] = [
      [
        'PROOF_OF_WORK',
        (t) => t.replace(/"proof":(\d+),"previous_hash":"[0-9a-f]{4}/, (m, p) => m.replace(p, String(Number(p) + 1))),
        '',
      ],
      ['length', (t) => t.replace(`"length":${chain.length}`, `"length":${chain.length + 1}`), 'LENGTH_MISMATCH'],
      ['genesis proof', (t) => t.replace('"proof":100', '"proof":101'), 'GENESIS_INVALID'],
      ['an amount', (t) => t.replace('"amount":5}', '"amount":6}'), 'PREVIOUS_HASH_MISMATCH'],
      [
        'a reward',
        (t) =>
          t.replace(
            /"sender":"0","recipient":"f{32}","amount":1}\],"proof":(\d+),"previous_hash":"([0-9a-f]+)"}\]/,
            (m) => m.replace('"amount":1}', '"amount":2}'),
          ),
        'REWARD_INVALID',
      ],
      ['an index', (t) => t.replace('"index":3', '"index":4'), 'INDEX_SEQUENCE'],
      ['a duplicate key', (t) => t.replace('"index":2,', '"index":2,"index":2,'), 'DUPLICATE_KEY'],
      ['a missing key', (t) => t.replace('"index":2,', ''), 'BLOCK_SHAPE'],
      ['trailing data', (t) => `${t} x`, 'INVALID_JSON'],
      ['a BOM', (t) => `\ufeff${t}`, 'INVALID_JSON'],
      ['an empty chain', () => '{"chain":[],"length":0}', 'CHAIN_EMPTY'],
    ];
    for (const [name, edit, code] of breaks) {
      const text = edit(base);
      expect(text, name).not.toBe(base);
      const { fast, slow } = agree(seed, text);
      expect(fast, name).toBeNull();
      expect(slow.valid, name).toBe(false);
      if (code) expect((slow as { code: string }).code, name).toBe(code);
      let thrown: unknown;
      try {
        validateChainText(seed, encoder.encode(text));
      } catch (err) {
        thrown = err;
      }
      expect(thrown, name).toBeInstanceOf(BlockforgeError);
      expect((thrown as BlockforgeError).code, name).toBe((slow as { code: string }).code);
    }
  });

  it('never answers other than the general path on 3,000 mutated texts', () => {
    const random = mulberry32(7);
    const alphabet = ' \t\n\r{}[]:,"\\0123456789.eE+-abcfnrtu\u00e9\u6e21';
    for (const profile of [seed, master]) {
      const chain = mine(profile, PLAIN_TXS.slice(0, 3));
      const texts = Object.values(LAYOUTS).map((l) => write(envelope(chain), l));
      let answered = 0;
      for (let k = 0; k < 1500; k++) {
        let text = texts[k % texts.length] as string;
        const edits = 1 + Math.floor(random() * 3);
        for (let e = 0; e < edits; e++) {
          const at = Math.floor(random() * text.length);
          const ch = alphabet[Math.floor(random() * alphabet.length)] as string;
          const kind = random();
          if (kind < 0.4) text = text.slice(0, at) + ch + text.slice(at + 1);
          else if (kind < 0.7) text = text.slice(0, at) + ch + text.slice(at);
          else text = text.slice(0, at) + text.slice(at + 1);
        }
        if (agree(profile, text).fast !== null) answered++;
      }
      // Some mutations are harmless (whitespace, key order): those are still scanned.
      expect(answered).toBeGreaterThan(0);
    }
  });

  it('keeps verdicts on random bytes in strings and on a text cut anywhere', () => {
    const chain = mine(seed, PLAIN_TXS.slice(0, 2));
    const text = write(envelope(chain), LAYOUTS.compact as Layout);
    const bytes = encoder.encode(text);
    const random = mulberry32(11);
    for (let k = 0; k < 400; k++) {
      const copy = bytes.slice();
      copy[Math.floor(random() * copy.length)] = Math.floor(random() * 256);
      agree(seed, copy);
    }
    for (let cut = 0; cut < bytes.length; cut += 7) expect(agree(seed, bytes.subarray(0, cut)).fast).toBeNull();
  });

  it('reads timestamps of every form as Python prints them', () => {
    const stamps = [
      '1795620000',
      '1795620000.0',
      '1795620001.123456789',
      '1.7956200015e9',
      '17956200020E-1',
      '-0.0',
      '0.00001',
    ];
    const chain = mine(seed, [[], [], [], [], [], []], stamps);
    const { fast, slow } = agree(seed, write(envelope(chain), LAYOUTS.compact as Layout));
    expect(slow.valid).toBe(true);
    expect(fast).not.toBeNull();
  });

  it('hashes through any batch hasher, in one call per kind of message', () => {
    const chain = mine(master, PLAIN_TXS);
    const bytes = encoder.encode(write(envelope(chain), LAYOUTS.indented as Layout));
    const calls: number[] = [];
    const counting: HashBatch = (data, ends, out) => {
      calls.push(ends.length);
      cryptoHashBatch(data, ends, out);
    };
    const summary = master.scanChainText(bytes, counting);
    expect(summary?.length).toBe(chain.length);
    expect(calls).toEqual([chain.length, chain.length - 1]);
    // The genesis block alone: nothing to check but its own rule.
    const one = encoder.encode(write(envelope(chain.slice(0, 1)), LAYOUTS.compact as Layout));
    expect(master.scanChainText(one, cryptoHashBatch)?.length).toBe(1);
    // A wrong hasher is caught: the links no longer hold, and the scanner does not answer.
    const zeros: HashBatch = (_data, _ends, out) => out.fill(0);
    expect(master.scanChainText(bytes, zeros)).toBeNull();
    expect(isJsonObject(parseJson(new TextDecoder().decode(bytes)))).toBe(true);
  });
});

describe('chain scan in parts', () => {
  it('stitches parts only when they reach the end, and checks every cut', () => {
    const chain = mine(
      seed,
      Array.from({ length: 12 }, () => []),
    );
    const text = write(envelope(chain), LAYOUTS.compact as Layout);
    const bytes = encoder.encode(text);
    const whole = seed.scanChainText(bytes, cryptoHashBatch);
    const first = seed.partStartNear?.(bytes, 0) as number;
    const cut = seed.partStartNear?.(bytes, bytes.length >> 1) as number;
    expect(first).toBeGreaterThan(0);
    expect(cut).toBeGreaterThan(first);
    const head = seed.scanChainPart?.(bytes, first, cut, cryptoHashBatch);
    const tail = seed.scanChainPart?.(bytes, cut, bytes.length + 1, cryptoHashBatch);
    expect(head?.closed).toBe(false);
    expect(tail?.closed).toBe(true);
    if (!head || !tail) throw new Error('parts');
    expect(seed.scanChainText(bytes, cryptoHashBatch, [head, tail])).toEqual(whole);
    // A head alone: the blocks after it would be read by the stitching scan without the checks
    // at the cut, so it is not sure.
    expect(seed.scanChainText(bytes, cryptoHashBatch, [head])).toBeNull();
    // A part claiming another tip: the next cut's link fails.
    const third = seed.partStartNear?.(bytes, cut + 1) as number;
    const middle = seed.scanChainPart?.(bytes, cut, third, cryptoHashBatch);
    const last = seed.scanChainPart?.(bytes, third, bytes.length + 1, cryptoHashBatch);
    if (!middle || !last) throw new Error('parts');
    expect(seed.scanChainText(bytes, cryptoHashBatch, [head, middle, last])).toEqual(whole);
    expect(seed.scanChainText(bytes, cryptoHashBatch, [head, { ...middle, tipHash: head.tipHash }, last])).toBeNull();
    // A part not starting where the previous one ends is not taken.
    expect(seed.scanChainText(bytes, cryptoHashBatch, [head, last])).toBeNull();
  });
});

describe('chain scan on worker threads', () => {
  const workerUrl = new URL('../../dist/node/chain-scan-worker.js', import.meta.url);
  const pools: ChainScanPool[] = [];
  const pool = (threads: number, url = workerUrl): ChainScanPool => {
    const p = new ChainScanPool({ threads, workerUrl: url, minParallelBytes: 0 });
    pools.push(p);
    return p;
  };
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
  });

  /** The pool's answer (summary or error code) and the single-thread one, side by side. */
  async function both(p: ChainScanPool, profile: TutorialProfile, text: string) {
    const bytes = encoder.encode(text);
    const run = async (f: () => unknown) => {
      try {
        const s = (await f()) as { length: number; tipHash: string };
        return { length: s.length, tipHash: s.tipHash };
      } catch (err) {
        return { code: (err as BlockforgeError).code };
      }
    };
    return {
      parallel: await run(() => p.scan(profile, bytes)),
      single: await run(() => validateChainText(profile, bytes)),
    };
  }

  it('gives the single-thread verdicts, cut into 2 and 4 parts, in every layout', async () => {
    const txs = Array.from({ length: 40 }, (_, k) => (PLAIN_TXS[k % PLAIN_TXS.length] as JsonValue[]).slice());
    for (const profile of [seed, master]) {
      const chain = mine(profile, txs);
      for (const threads of [1, 3]) {
        const p = pool(threads);
        for (const layout of Object.values(LAYOUTS)) {
          const { parallel, single } = await both(p, profile, write(envelope(chain), layout));
          expect(single).toMatchObject({ length: chain.length });
          expect(parallel).toEqual(single);
        }
      }
    }
  });

  it('checks the blocks at the cuts: a broken link, proof or index there is caught', async () => {
    const chain = mine(
      seed,
      Array.from({ length: 30 }, () => []),
    );
    const p = pool(3);
    const base = write(envelope(chain), LAYOUTS.compact as Layout);
    const edits: [string, string][] = [];
    for (const k of [8, 12, 16, 20, 24]) {
      const block = chain[k] as { proof: JsonNumber };
      edits.push([`"proof":${block.proof.text},`, `"proof":${Number(block.proof.text) + 1},`]);
      edits.push([`"index":${k + 1},`, `"index":${k + 2},`]);
    }
    for (const [from, to] of edits) {
      const text = base.replace(from, to);
      expect(text).not.toBe(base);
      const { parallel, single } = await both(p, seed, text);
      expect(single).toHaveProperty('code');
      expect(parallel).toEqual(single);
    }
    // A block moved across a cut: the positions no longer follow.
    const swapped = [...chain];
    [swapped[10], swapped[20]] = [swapped[20] as JsonValue, swapped[10] as JsonValue];
    const { parallel, single } = await both(p, seed, write(envelope(swapped), LAYOUTS.compact as Layout));
    expect(single).toHaveProperty('code');
    expect(parallel).toEqual(single);
  });

  it('is not fooled by a cut guessed inside a transaction value', async () => {
    // A string cannot hold `"index"` with raw quotes, but a client's list or object can: a cut
    // guessed there is no block boundary (those blocks go to the general path, same verdict).
    const decoy = (k: number): JsonValue => [JsonNumber.int(k), { index: JsonNumber.int(k + 1) }];
    const txs = Array.from({ length: 60 }, (_, k) => [{ sender: `s${k}`, recipient: decoy(k), amount: num('1') }]);
    const chain = mine(seed, txs as JsonValue[][]);
    const text = write(envelope(chain), LAYOUTS.compact as Layout);
    expect(text).toContain(',{"index":');
    for (const threads of [1, 2, 5]) {
      const { parallel, single } = await both(pool(threads), seed, text);
      expect(single).toMatchObject({ length: chain.length });
      expect(parallel).toEqual(single);
    }
    // Escaped quotes in strings never look like a block start.
    const strings = mine(
      seed,
      Array.from({ length: 30 }, (_, k) => [{ sender: `,{"index":${k}`, recipient: 'x', amount: num('1') }]),
    );
    const { parallel, single } = await both(pool(2), seed, write(envelope(strings), LAYOUTS.compact as Layout));
    expect(parallel).toEqual(single);
  });

  it('keeps a process alive while it scans, never when idle (closed or not)', () => {
    const dist = (path: string): string => JSON.stringify(new URL(`../../dist/${path}`, import.meta.url).href);
    const idle = `import(${dist('node/chain-scan-pool.js')}).then((m) => { new m.ChainScanPool({ threads: 2 }); })`;
    const quiet = spawnSync(process.execPath, ['-e', idle], { timeout: 20_000 });
    expect(quiet.signal).toBeNull();
    expect(quiet.status).toBe(0);
    // A script whose only pending work is the pool's: it waits for the answer, then exits.
    const chain = mine(
      seed,
      Array.from({ length: 40 }, () => []),
    );
    const text = write(envelope(chain), LAYOUTS.compact as Layout);
    const busy = `const [m, p] = await Promise.all([import(${dist('node/chain-scan-pool.js')}), import(${dist('core/profiles.js')})]);
      const pool = new m.ChainScanPool({ threads: 2, minParallelBytes: 0 });
      const summary = await pool.scan(p.createProfile('seed', { difficulty: 2 }), new TextEncoder().encode(process.argv[1]));
      console.log(JSON.stringify(summary));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', busy, text], {
      timeout: 20_000,
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ length: chain.length, scanned: true });
  });

  it('answers alone when its workers die', async () => {
    const dying = new URL('data:text/javascript,process.exit(3)');
    const p = pool(2, dying);
    const chain = mine(
      seed,
      Array.from({ length: 20 }, () => []),
    );
    const { parallel, single } = await both(p, seed, write(envelope(chain), LAYOUTS.compact as Layout));
    expect(parallel).toEqual(single);
    await p.close();
    expect((await both(p, seed, write(envelope(chain), LAYOUTS.compact as Layout))).parallel).toEqual(single);
  });
});
