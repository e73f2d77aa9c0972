/**
 * The multi-threaded chain validator against the reference (the profile's own validateBlocks):
 * on valid chains and on every kind of defect, alone and combined (so the order in which errors
 * are reported is exercised across batch boundaries), the same blocks and hashes, or the same
 * error: class, code, block and message.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Block } from '../../src/core/block.js';
import type { ChainRuleError } from '../../src/core/errors.js';
import { JsonNumber, type JsonObject, type JsonValue, parseJson, writeJson } from '../../src/core/json.js';
import { searchProof } from '../../src/core/pow.js';
import { createProfile, type RuleProfile } from '../../src/core/profile.js';
import { ChainValidator } from '../../src/node/chain-validator.js';

const WORKER_URL = new URL('../../dist/node/chain-validator-worker.js', import.meta.url);

/** A valid chain of `length` blocks at difficulty 1, as wire text (the node's /chain list). */
function mineChain(profile: RuleProfile, length: number): string {
  let prev = profile.createGenesis(1_700_000_000.25);
  const texts = [writeJson(prev.json)];
  for (let i = 2; i <= length; i++) {
    const found = searchProof(profile.powChallenge(prev), 0, 1_000_000);
    const pending = [];
    for (let t = 0; t < i % 4; t++) {
      const amount = t === 1 ? `${i}.5` : String(i + t);
      const name = t === 2 ? `Zoë "${i}"` : `user-${i}-${t}`;
      pending.push(
        profile.parseTransaction(parseJson(`{"sender":${JSON.stringify(name)},"recipient":"r","amount":${amount}}`)),
      );
    }
    const block = profile.forgeBlock({
      prev,
      proof: found.proof as number,
      pending,
      nodeId: 'b1f0c2d3e4f5a6b7c8d9e0f1a2b3c4d5',
      timestampSeconds: 1_700_000_000.25 + i * 7.125,
    });
    texts.push(writeJson(block.json));
    prev = block;
  }
  return `[${texts.join(',')}]`;
}

type Outcome = { blocks: Block[] } | { error: ChainRuleError | Error };

function summarize(outcome: Outcome): unknown {
  if ('error' in outcome) {
    const e = outcome.error;
    return {
      error: e.constructor.name,
      message: e.message,
      code: (e as ChainRuleError).code,
      blockIndex: (e as ChainRuleError).blockIndex,
    };
  }
  return outcome.blocks.map((b) => ({
    index: b.index,
    hash: b.hash,
    json: writeJson(b.json),
    txs: b.transactions.map((tx) => [writeJson(tx.json), tx.canonical]),
  }));
}

function reference(profile: RuleProfile, prev: Block | null, blocks: JsonValue[]): Outcome {
  try {
    return { blocks: profile.validateBlocks(prev, blocks) };
  } catch (error) {
    return { error: error as Error };
  }
}

async function threaded(
  validator: ChainValidator,
  profile: RuleProfile,
  prev: Block | null,
  blocks: JsonValue[],
): Promise<Outcome> {
  try {
    return { blocks: await validator.validateBlocks(profile, prev, blocks) };
  } catch (error) {
    return { error: error as Error };
  }
}

const obj = (v: JsonValue | undefined): JsonObject => v as JsonObject;
const txsOf = (blocks: JsonValue[], i: number): JsonValue[] => obj(blocks[i]).transactions as JsonValue[];

/** Defects, each applied to a fresh parse of the chain (0-based block positions). */
const DEFECTS: Record<string, (b: JsonValue[]) => void> = {
  'no defect (valid)': () => {},
  'amount 5 -> 5.0 (next block no longer links)': (b) => {
    const tx = obj(txsOf(b, 5)[0]);
    tx.amount = JsonNumber.fromSource(`${(tx.amount as JsonNumber).text}.0`);
  },
  'proof + 1': (b) => {
    obj(b[9]).proof = JsonNumber.int(Number((obj(b[9]).proof as JsonNumber).text) + 1);
  },
  'proof + 1 on the first block after genesis': (b) => {
    obj(b[1]).proof = JsonNumber.int(Number((obj(b[1]).proof as JsonNumber).text) + 1);
  },
  'previous_hash another hex string': (b) => {
    obj(b[12]).previous_hash = 'ab'.repeat(32);
  },
  'previous_hash a number': (b) => {
    obj(b[7]).previous_hash = JsonNumber.int(7);
  },
  'previous_hash with a quote': (b) => {
    obj(b[3]).previous_hash = 'a"b';
  },
  'block removed': (b) => {
    b.splice(6, 1);
  },
  'reward amount 2': (b) => {
    const txs = txsOf(b, 10);
    obj(txs[txs.length - 1]).amount = JsonNumber.int(2);
  },
  'reward amount 2 and proof + 1 on the same block (proof first)': (b) => {
    const txs = txsOf(b, 10);
    obj(txs[txs.length - 1]).amount = JsonNumber.int(2);
    obj(b[10]).proof = JsonNumber.int(Number((obj(b[10]).proof as JsonNumber).text) + 1);
  },
  'reward amount 2 on a block whose predecessor changed (link first)': (b) => {
    obj(b[10]).timestamp = JsonNumber.fromSource('1.5');
    const txs = txsOf(b, 11);
    obj(txs[txs.length - 1]).amount = JsonNumber.int(2);
  },
  'missing key on a block after a changed one (link first)': (b) => {
    obj(b[4]).timestamp = JsonNumber.fromSource('2.5');
    delete obj(b[6]).timestamp;
  },
  'missing key on the block right after a changed one (shape first)': (b) => {
    obj(b[4]).timestamp = JsonNumber.fromSource('2.5');
    delete obj(b[5]).timestamp;
  },
  'empty sender on a block whose proof is wrong (shape first)': (b) => {
    obj(txsOf(b, 15)[0]).sender = '';
    obj(b[15]).proof = JsonNumber.int(Number((obj(b[15]).proof as JsonNumber).text) + 1);
  },
  'empty sender after a wrong proof (proof first)': (b) => {
    obj(b[14]).proof = JsonNumber.int(Number((obj(b[14]).proof as JsonNumber).text) + 1);
    obj(txsOf(b, 15)[0]).sender = '';
  },
  'two broken links': (b) => {
    obj(b[20]).previous_hash = 'cd'.repeat(32);
    obj(b[8]).previous_hash = 'ef'.repeat(32);
  },
  'last block proof + 1': (b) => {
    const last = obj(b[b.length - 1]);
    last.proof = JsonNumber.int(Number((last.proof as JsonNumber).text) + 1);
  },
  'last block changed (valid: nothing links to it)': (b) => {
    obj(b[b.length - 1]).timestamp = JsonNumber.fromSource('3.5');
  },
  'genesis proof changed': (b) => {
    obj(b[0]).proof = JsonNumber.int(101);
  },
  'genesis timestamp changed': (b) => {
    obj(b[0]).timestamp = JsonNumber.fromSource('4.5');
  },
  'block is a list': (b) => {
    b[17] = [];
  },
  'keys in sorted order (valid, not reused)': (b) => {
    const o = obj(b[13]);
    const sorted = Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
    b[13] = sorted as JsonValue;
  },
};

const validator = new ChainValidator({ threads: 2, batchSize: 3, minBlocks: 1, workerUrl: WORKER_URL });
afterAll(() => validator.close());

describe.each(['seed', 'master'] as const)('%s profile', (name) => {
  const profile = createProfile(name, { difficulty: 1 });
  const text = mineChain(profile, 30);
  const fresh = (): JsonValue[] => parseJson(text) as JsonValue[];

  for (const [label, defect] of Object.entries(DEFECTS)) {
    it(`matches the reference: ${label}`, async () => {
      const a = fresh();
      defect(a);
      const b = fresh();
      defect(b);
      const want = summarize(reference(profile, null, a));
      expect(summarize(await threaded(validator, profile, null, b))).toEqual(want);
      if (label.includes('(valid')) expect(Array.isArray(want)).toBe(true);
      else expect(want).toHaveProperty('error');
    });
  }

  it('matches the reference when extending a trusted block, valid and broken', async () => {
    const base = profile.validateBlocks(null, fresh().slice(0, 10));
    const prev = base[base.length - 1] as Block;
    for (const defect of [
      () => {},
      (b: JsonValue[]) => {
        obj(b[0]).proof = JsonNumber.int(Number((obj(b[0]).proof as JsonNumber).text) + 1);
      },
      (b: JsonValue[]) => {
        obj(b[0]).previous_hash = '00'.repeat(32);
      },
      (b: JsonValue[]) => {
        const txs = txsOf(b, 0);
        obj(txs[txs.length - 1]).amount = JsonNumber.int(3);
      },
    ]) {
      const a = fresh().slice(10);
      defect(a);
      const b = fresh().slice(10);
      defect(b);
      expect(summarize(await threaded(validator, profile, prev, b))).toEqual(summarize(reference(profile, prev, a)));
    }
  });

  it('matches the reference on random single and double defects', async () => {
    let seed = name === 'seed' ? 7 : 11;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const edits = [
      (b: JsonValue[], i: number) => {
        obj(b[i]).proof = JsonNumber.int(Number((obj(b[i]).proof as JsonNumber).text) + 1);
      },
      (b: JsonValue[], i: number) => {
        obj(b[i]).timestamp = JsonNumber.fromSource(`${i}.75`);
      },
      (b: JsonValue[], i: number) => {
        obj(b[i]).previous_hash = `${i}`;
      },
      (b: JsonValue[], i: number) => {
        const txs = txsOf(b, i);
        if (txs.length > 0) obj(txs[txs.length - 1]).amount = JsonNumber.int(9);
      },
      (b: JsonValue[], i: number) => {
        obj(b[i]).index = JsonNumber.int(i + 7);
      },
    ];
    for (let round = 0; round < 40; round++) {
      const picks = Array.from({ length: 1 + rand(2) }, () => [rand(edits.length), rand(30)] as const);
      const apply = (b: JsonValue[]) => {
        for (const [e, i] of picks) edits[e]?.(b, i);
      };
      const a = fresh();
      apply(a);
      const b = fresh();
      apply(b);
      expect(summarize(await threaded(validator, profile, null, b)), JSON.stringify(picks)).toEqual(
        summarize(reference(profile, null, a)),
      );
    }
  });
});

it('falls back to the calling thread for short lists', async () => {
  const small = new ChainValidator({ threads: 1, workerUrl: WORKER_URL });
  try {
    const profile = createProfile('seed', { difficulty: 1 });
    const blocks = parseJson(mineChain(profile, 5)) as JsonValue[];
    const out = await small.validateBlocks(profile, null, blocks);
    expect(out.map((b) => b.hash)).toEqual(
      profile.validateBlocks(null, parseJson(mineChain(profile, 5)) as JsonValue[]).map((b) => b.hash),
    );
  } finally {
    await small.close();
  }
});
