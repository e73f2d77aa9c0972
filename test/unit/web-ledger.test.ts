/**
 * The explorer's ledger pages, their pure parts: leading zero bits, the merkle tree drawn, the
 * tamper box's verdicts and Re-mine (the worker's search run here), the mempool's next-block
 * selection, the search box's classification, the difficulty chart's columns.
 */

import { describe, expect, it } from 'vitest';
import { hashJson } from '../../src/core/canonical.js';
import { JsonNumber, type JsonObject, parseJson } from '../../src/core/json.js';
import { MAX_TARGET, workOf } from '../../src/core/ledger/asert.js';
import { fromHex, makeHeader } from '../../src/core/ledger/codec.js';
import { targetForExpectedHashes, targetHex } from '../../src/core/ledger/genesis.js';
import { merkleRoot } from '../../src/core/ledger/merkle.js';
import { zerosOfTarget } from '../../src/core/pow.js';
import { toHex } from '../../src/core/sha256.js';
import { prettyJson } from '../../web/src/format.js';

/*
 * The page modules use the DOM's types, which this project's Node typecheck does not have: they are
 * loaded at run time (as test/unit/web-i18n.test.ts loads them) and typed here by what is used.
 */
interface MerkleNode {
  readonly hash: Uint8Array;
  readonly leaf?: number;
  readonly left?: MerkleNode;
  readonly right?: MerkleNode;
}
interface Verdict {
  readonly code: string;
  readonly rule: string | null;
}
interface CopyReport {
  readonly own: Verdict | null;
  readonly next?: Verdict | null;
}
type RemineMessage =
  | { readonly type: 'progress' | 'exhausted'; readonly hashes: number }
  | { readonly type: 'found'; readonly nonce: number; readonly hashes: number };
interface RemineJob {
  readonly prefix: string;
  readonly suffix: string;
  readonly target: string;
  readonly difficulty: number;
}
interface PendingPayment {
  readonly id: string;
  readonly sender: string;
  readonly to: string;
  readonly nonce: bigint;
  readonly amount: bigint;
  readonly fee: bigint;
  readonly bytes: number;
}
interface AccountAtTip {
  readonly balance: bigint;
  readonly nonce: bigint;
}
interface LedgerBlockModule {
  leadingZeroBits(hex: string): number;
  log2Big(n: bigint): number;
  merkleTree(ids: readonly string[]): MerkleNode | null;
  merkleRootHex(tree: MerkleNode | null): string;
  nonceSplit(header: JsonObject): { prefix: string; suffix: string };
  copyMerkle(copy: JsonObject, hrp: string): string | null;
  LedgerCopyChecker: new (
    profile: unknown,
    chain: readonly JsonObject[],
    n: number,
  ) => { check(text: string): CopyReport };
}

const load = <T>(path: string): Promise<T> => import(new URL(path, import.meta.url).href) as Promise<T>;
const { leadingZeroBits, log2Big, merkleTree, merkleRootHex, nonceSplit, copyMerkle, LedgerCopyChecker } =
  await load<LedgerBlockModule>('../../web/src/pages/ledger-block.ts');
const { remine } = await load<{ remine(job: RemineJob, report: (m: RemineMessage) => void): void }>(
  '../../web/src/remine-worker.ts',
);
const { rateBucket, selectNextBlock } = await load<{
  rateBucket(rate: number): number;
  selectNextBlock(
    pending: readonly PendingPayment[],
    accounts: ReadonlyMap<string, AccountAtTip>,
    roomBytes: number,
    maxCount?: number,
  ): PendingPayment[];
}>('../../web/src/pages/mempool.ts');
const { classifySearch } = await load<{ classifySearch(input: string): { kind: string } }>('../../web/src/search.ts');
const { difficultySeries } = await load<{
  difficultySeries(headers: readonly { height: number; time: number; target: bigint }[]): {
    heights: number[];
    bits: number[];
    gaps: number[];
  };
}>('../../web/src/pages/difficulty.ts');

import { LedgerChain, pay, testProfile, testWallet } from '../support/ledger.js';

describe('leading zero bits', () => {
  it('counts 4 per zero hex digit and the next digit’s zero bits', () => {
    expect(leadingZeroBits('f'.repeat(64))).toBe(0);
    expect(leadingZeroBits(`8${'0'.repeat(63)}`)).toBe(0);
    expect(leadingZeroBits(`7${'f'.repeat(63)}`)).toBe(1);
    expect(leadingZeroBits(`1${'f'.repeat(63)}`)).toBe(3);
    expect(leadingZeroBits(`0f${'f'.repeat(62)}`)).toBe(4);
    expect(leadingZeroBits(`007f${'f'.repeat(60)}`)).toBe(9);
    expect(leadingZeroBits('0'.repeat(64))).toBe(256);
    expect(leadingZeroBits(`00000${'A'.repeat(59)}`)).toBe(20);
  });

  it('matches a target’s expected hashes: 2^k hashes for k zero bits', () => {
    for (const k of [1, 8, 20, 33]) {
      const target = targetHex(targetForExpectedHashes(1n << BigInt(k)));
      expect(leadingZeroBits(target)).toBe(k);
      expect(log2Big(workOf(BigInt(`0x${target}`)))).toBeCloseTo(k, 6);
    }
    expect(log2Big(1n << 200n)).toBeCloseTo(200, 9);
    expect(log2Big(workOf(MAX_TARGET))).toBe(0);
  });
});

describe('merkle tree drawn', () => {
  it('has the core’s root for every size, leaves in block order', () => {
    for (let n = 1; n <= 9; n++) {
      const ids = Array.from({ length: n }, (_, k) => hashJson(JsonNumber.int(k)));
      const tree = merkleTree(ids);
      expect(merkleRootHex(tree)).toBe(toHex(merkleRoot(ids.map(fromHex))));
      const leaves: number[] = [];
      const walk = (node: NonNullable<typeof tree>): void => {
        if (node.leaf !== undefined) leaves.push(node.leaf);
        if (node.left) walk(node.left);
        if (node.right) walk(node.right);
      };
      if (tree) walk(tree);
      expect(leaves).toEqual(Array.from({ length: n }, (_, k) => k));
    }
    expect(merkleRootHex(merkleTree([]))).toBe(toHex(merkleRoot([])));
  });
});

describe('Re-mine', () => {
  it('splits a header around its nonce and finds a nonce meeting the target', () => {
    const target = targetForExpectedHashes(256n);
    const header = makeHeader({
      height: 5,
      parent: 'ab'.repeat(32),
      merkle: 'cd'.repeat(32),
      time: 1_800_000_000,
      target,
      nonce: 77,
    });
    const { prefix, suffix } = nonceSplit(header.json);
    expect(`${prefix}77${suffix}`).toBe(
      `{"height": 5, "merkle": "${'cd'.repeat(32)}", "nonce": 77, "parent": "${'ab'.repeat(32)}", "target": "${targetHex(target)}", "time": 1800000000, "version": 1}`,
    );
    const messages: RemineMessage[] = [];
    const hex = targetHex(target);
    remine({ prefix, suffix, target: hex, difficulty: zerosOfTarget(hex) }, (m) => messages.push(m));
    const found = messages.at(-1);
    expect(found?.type).toBe('found');
    if (found?.type !== 'found') return;
    const mined = makeHeader({
      height: 5,
      parent: 'ab'.repeat(32),
      merkle: 'cd'.repeat(32),
      time: 1_800_000_000,
      target,
      nonce: found.nonce,
    });
    expect(mined.hash <= hex).toBe(true);
    // The smallest such nonce: every one before it fails.
    for (let nonce = 0; nonce < found.nonce; nonce++) {
      expect(
        makeHeader({ height: 5, parent: 'ab'.repeat(32), merkle: 'cd'.repeat(32), time: 1_800_000_000, target, nonce })
          .hash > hex,
      ).toBe(true);
    }
    expect(found.hashes).toBe(found.nonce + 1);
  });
});

describe('tamper box', () => {
  const alice = testWallet(1);
  const miner = testWallet(2);
  const profile = testProfile([[alice, 1_000_000n]], { initialTarget: targetForExpectedHashes(64n) });
  const chain = new LedgerChain(profile);
  chain.mine([pay(profile, alice, miner.address, 500n)], miner.address);
  chain.mine([], miner.address);
  chain.mine([], miner.address);
  const blocks = chain.blocks.map((b) => b.json);

  it('finds an unedited block valid, and its successor still following it', () => {
    const report = new LedgerCopyChecker(profile, blocks, 2).check(prettyJson(blocks[1] as JsonObject));
    expect(report.own).toBeNull();
    expect(report.next).toBeNull();
    expect(new LedgerCopyChecker(profile, blocks, 4).check(prettyJson(blocks[3] as JsonObject)).next).toBeUndefined();
  });

  it('names the rule an edit breaks, and after Re-mine the next block’s parent link', () => {
    const checker = new LedgerCopyChecker(profile, blocks, 3);
    const copy = parseJson(prettyJson(blocks[2] as JsonObject)) as JsonObject;
    const reward = (copy.transactions as JsonObject[])[0] as JsonObject;
    reward.amount = '1';
    const broken = checker.check(prettyJson(copy));
    expect(broken.own?.code).toBe('MERKLE_MISMATCH');
    expect(broken.own?.rule).toBe('L7');

    const header = copy.header as JsonObject;
    const merkle = copyMerkle(copy, profile.genesis.hrp);
    expect(merkle).not.toBeNull();
    header.merkle = merkle as string;
    const target = header.target as string;
    let nonce = -1;
    remine({ ...nonceSplit(header), target, difficulty: zerosOfTarget(target) }, (m) => {
      if (m.type === 'found') nonce = m.nonce;
    });
    header.nonce = JsonNumber.int(nonce);
    const fixed = checker.check(prettyJson(copy));
    expect(fixed.own).toBeNull();
    expect(fixed.next?.code).toBe('PREVIOUS_HASH_MISMATCH');
    expect(fixed.next?.rule).toBe('L3');
  });

  it('says what is not JSON, and names a broken proof of work', () => {
    const checker = new LedgerCopyChecker(profile, blocks, 2);
    expect(checker.check('{"header": ').own?.code).toBe('NOT_JSON');
    const copy = parseJson(prettyJson(blocks[1] as JsonObject)) as JsonObject;
    const header = copy.header as JsonObject;
    // A nonce whose hash is above the target (64 expected hashes: most are).
    for (let nonce = 0; ; nonce++) {
      header.nonce = JsonNumber.int(nonce);
      if (hashJson(header) > (header.target as string)) break;
    }
    expect(checker.check(prettyJson(copy)).own?.code).toBe('PROOF_OF_WORK');
  });
});

describe('mempool: the next block', () => {
  const tx = (id: string, sender: string, nonce: bigint, fee: bigint, bytes = 300, amount = 10n): PendingPayment => ({
    id,
    sender,
    to: 'x',
    nonce,
    amount,
    fee,
    bytes,
  });
  const accounts = (entries: [string, bigint, bigint][]): Map<string, AccountAtTip> =>
    new Map(entries.map(([s, balance, nonce]) => [s, { balance, nonce }]));
  const ids = (list: readonly PendingPayment[]): string[] => list.map((p) => p.id);

  it('takes the highest fee per byte first, each sender in nonce order', () => {
    const pending = [
      tx('a0', 'a', 0n, 1000n),
      tx('a1', 'a', 1n, 9000n),
      tx('b0', 'b', 0n, 3000n),
      tx('c0', 'c', 0n, 3000n, 150),
    ];
    const next = selectNextBlock(
      pending,
      accounts([
        ['a', 10n ** 9n, 0n],
        ['b', 10n ** 9n, 0n],
        ['c', 10n ** 9n, 0n],
      ]),
      1e6,
    );
    // c0 (20/byte), b0 (10/byte), then a's run: a0 (3.3/byte) must come before a1 despite a1's fee.
    expect(ids(next)).toEqual(['c0', 'b0', 'a0', 'a1']);
  });

  it('starts at the sender’s next nonce, stops at a gap or where the balance runs out', () => {
    const pending = [
      tx('a1', 'a', 1n, 1000n),
      tx('a2', 'a', 2n, 1000n),
      tx('a4', 'a', 4n, 1000n),
      tx('b0', 'b', 0n, 1000n),
    ];
    expect(
      ids(
        selectNextBlock(
          pending,
          accounts([
            ['a', 10n ** 9n, 1n],
            ['b', 10n ** 9n, 0n],
          ]),
          1e6,
        ),
      ).sort(),
    ).toEqual(['a1', 'a2', 'b0']);
    // b can pay one (1010) but not two.
    const two = [tx('b0', 'b', 0n, 1000n), tx('b1', 'b', 1n, 1000n)];
    expect(ids(selectNextBlock(two, accounts([['b', 2019n, 0n]]), 1e6))).toEqual(['b0']);
    // A sender the page knows nothing of has nonce 0 and nothing to spend.
    expect(selectNextBlock([tx('z0', 'z', 0n, 1000n)], new Map(), 1e6)).toEqual([]);
  });

  it('of two with one nonce takes the higher fee; the byte cap ends only that sender’s run', () => {
    const pending = [tx('a0', 'a', 0n, 1000n), tx('a0+', 'a', 0n, 5000n), tx('a1', 'a', 1n, 1000n)];
    expect(ids(selectNextBlock(pending, accounts([['a', 10n ** 9n, 0n]]), 1e6))).toEqual(['a0+', 'a1']);
    // Room for 700 bytes: a0 (500) fits, a1 (500) does not and ends a's run; b0 (100) still fits.
    const capped = [tx('a0', 'a', 0n, 50_000n, 500), tx('a1', 'a', 1n, 50_000n, 500), tx('b0', 'b', 0n, 1000n, 100)];
    expect(
      ids(
        selectNextBlock(
          capped,
          accounts([
            ['a', 10n ** 9n, 0n],
            ['b', 10n ** 9n, 0n],
          ]),
          700,
        ),
      ),
    ).toEqual(['a0', 'b0']);
    // At most maxCount payments.
    expect(
      selectNextBlock(
        capped,
        accounts([
          ['a', 10n ** 9n, 0n],
          ['b', 10n ** 9n, 0n],
        ]),
        1e6,
        1,
      ),
    ).toHaveLength(1);
  });

  it('colours by fee-rate bucket', () => {
    expect(rateBucket(0)).toBe(0);
    expect(rateBucket(3.3)).toBe(2);
    expect(rateBucket(10)).toBe(4);
    expect(rateBucket(1e6)).toBe(8);
  });
});

describe('search box', () => {
  it('classifies heights, hashes, addresses', () => {
    expect(classifySearch('  ')).toEqual({ kind: 'empty' });
    expect(classifySearch('7')).toEqual({ kind: 'height', height: 7 });
    expect(classifySearch('#12 ')).toEqual({ kind: 'height', height: 12 });
    expect(classifySearch('0')).toEqual({ kind: 'invalid', text: '0' });
    const hash = 'AB'.repeat(32);
    expect(classifySearch(hash)).toEqual({ kind: 'hash', hash: hash.toLowerCase() });
    expect(classifySearch(`0x${'0'.repeat(64)}`)).toEqual({ kind: 'hash', hash: '0'.repeat(64) });
    const address = testWallet(3).address;
    expect(classifySearch(address)).toEqual({ kind: 'address', address });
    // A tutorial node id (32 hex) is an address, not a hash.
    expect(classifySearch('a'.repeat(32))).toEqual({ kind: 'address', address: 'a'.repeat(32) });
    expect(classifySearch('two words')).toEqual({ kind: 'invalid', text: 'two words' });
    expect(classifySearch('9'.repeat(17)).kind).toBe('invalid');
  });
});

describe('difficulty chart', () => {
  it('has one point per mined block: log2 of expected hashes and the seconds since the parent', () => {
    const target = targetForExpectedHashes(1n << 10n);
    const series = difficultySeries([
      { height: 1, time: 100, target },
      { height: 2, time: 112, target },
      { height: 3, time: 115, target: target / 2n },
    ]);
    expect(series.heights).toEqual([2, 3]);
    expect(series.gaps).toEqual([12, 3]);
    expect(series.bits[0]).toBeCloseTo(10, 6);
    expect(series.bits[1]).toBeCloseTo(11, 6);
  });
});
