import { describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../src/core/canonical.js';
import { validateChainResponse } from '../../src/core/chain.js';
import { ChainRuleError, ErrorCode } from '../../src/core/errors.js';
import {
  isJsonObject,
  JsonNumber,
  type JsonObject,
  type JsonValue,
  parseJson,
  writeJson,
} from '../../src/core/json.js';
import { powDigest, searchProof } from '../../src/core/pow.js';
import { createProfile } from '../../src/core/profiles.js';
import { vector, vectorList } from '../support/vectors.js';

const obj = (v: JsonValue | undefined): JsonObject => {
  if (!isJsonObject(v)) throw new Error('expected an object');
  return v;
};
const str = (v: JsonValue | undefined): string => {
  if (typeof v !== 'string') throw new Error('expected a string');
  return v;
};

describe('canonical-hash vectors', () => {
  const cases = vectorList('canonical-hash.json', 'cases').map(obj);
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(20));
  for (const c of cases) {
    const json = str(c.json);
    it(`canonicalises ${json.slice(0, 60)}`, () => {
      const value = parseJson(json);
      const canonical = canonicalJson(value);
      expect(canonical).toBe(str(c.canonical));
      expect(sha256Hex(canonical)).toBe(str(c.sha256));
    });
  }
});

describe('pow-seed vectors', () => {
  const cases = vectorList('pow-seed.json', 'cases').map(obj);
  const seed = createProfile('seed');
  it('has the six-step sequence from the spec', () => {
    expect(cases.map((c) => (c.proof as JsonNumber).text)).toEqual([
      '35293',
      '35089',
      '119678',
      '146502',
      '43538',
      '85724',
    ]);
  });
  for (const c of cases) {
    const lastProof = (c.last_proof as JsonNumber).text;
    it(`finds the smallest proof after ${lastProof}`, () => {
      const challenge = { prefix: lastProof, suffix: '', difficulty: Number(seed.params.difficulty) };
      const result = searchProof(challenge, 0, 1_000_000);
      expect(String(result.proof)).toBe((c.proof as JsonNumber).text);
      expect(result.tries).toBe(Number(result.proof) + 1);
      expect(powDigest(challenge, String(result.proof))).toBe(str(c.digest));
    });
  }
});

describe.each(['seed', 'master'] as const)('chain-%s vector', (name) => {
  const file = `chain-${name}.json`;
  const profile = createProfile(name);
  const fresh = (): JsonObject => vector(file);

  it('is valid, with the expected block hashes', () => {
    const v = fresh();
    const blocks = validateChainResponse(profile, v);
    expect(blocks.map((b) => b.hash)).toEqual((v.block_hashes as JsonValue[]).map(str));
    // The typed blocks hash the same as the generic canonical serializer says.
    for (const b of blocks) expect(sha256Hex(canonicalJson(b.json))).toBe(b.hash);
  });

  it('is rejected by the other profile', () => {
    const other = createProfile(name === 'seed' ? 'master' : 'seed');
    expect(() => validateChainResponse(other, fresh())).toThrow(ChainRuleError);
  });

  const blocksOf = (v: JsonObject): JsonObject[] => (v.chain as JsonValue[]).map(obj);
  const expectCode = (v: JsonObject, code: string, blockIndex: number): void => {
    try {
      validateChainResponse(profile, v);
    } catch (err) {
      expect(err).toBeInstanceOf(ChainRuleError);
      expect((err as ChainRuleError).code).toBe(code);
      expect((err as ChainRuleError).blockIndex).toBe(blockIndex);
      return;
    }
    throw new Error(`expected ${code}`);
  };

  it('fails when an amount is changed (the next block no longer links)', () => {
    const v = fresh();
    const tx = obj((obj(blocksOf(v)[2]).transactions as JsonValue[])[0]);
    tx.amount = JsonNumber.fromSource('5.0'); // 5 -> 5.0: same value in JS, another hash in Python
    expectCode(v, ErrorCode.PreviousHashMismatch, 4);
  });

  it('fails when a proof is changed', () => {
    const v = fresh();
    const b = blocksOf(v)[3] as JsonObject;
    b.proof = JsonNumber.int(Number((b.proof as JsonNumber).text) + 1);
    expectCode(v, ErrorCode.ProofOfWork, 4);
  });

  it('fails when the genesis block is changed', () => {
    const v = fresh();
    const g = blocksOf(v)[0] as JsonObject;
    g.timestamp = JsonNumber.fromSource('1795620000.5');
    expectCode(v, ErrorCode.PreviousHashMismatch, 2);
    const w = fresh();
    obj((w.chain as JsonValue[])[0]).proof = JsonNumber.int(101);
    expectCode(w, ErrorCode.GenesisInvalid, 1);
  });

  it('fails when a block is removed', () => {
    const v = fresh();
    (v.chain as JsonValue[]).splice(2, 1);
    v.length = JsonNumber.int(4);
    expectCode(v, ErrorCode.IndexSequence, 3);
  });

  it('fails when length is inflated', () => {
    const v = fresh();
    v.length = JsonNumber.int(999999);
    expectCode(v, ErrorCode.LengthMismatch, 0);
  });

  it('fails when the reward is doubled or changed', () => {
    const v = fresh();
    const last = blocksOf(v)[4] as JsonObject;
    const txs = last.transactions as JsonValue[];
    obj(txs[0]).amount = JsonNumber.int(2);
    expectCode(v, ErrorCode.RewardInvalid, 5);
  });

  it('round-trips through the wire format unchanged', () => {
    const v = fresh();
    const blocks = validateChainResponse(profile, v);
    const again = parseJson(writeJson({ chain: blocks.map((b) => b.json), length: JsonNumber.int(blocks.length) }));
    expect(validateChainResponse(profile, again).map((b) => b.hash)).toEqual(blocks.map((b) => b.hash));
  });
});
