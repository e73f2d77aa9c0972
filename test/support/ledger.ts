/**
 * Ledger test networks: deterministic keys, an easy genesis (target 2^256 / 1: any hash meets it, but
 * the search still asks for one leading hex zero, so ~16 hashes a block), signed
 * payments and blocks forged through the profile's own template, as a node forges them.
 */

import type { Block, Transaction } from '../../src/core/block.js';
import { BranchValidator } from '../../src/core/chain.js';
import type { JsonNumber, JsonObject } from '../../src/core/json.js';
import { type GenesisSpec, targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { addressOf, publicKeyOf } from '../../src/core/ledger/keys.js';
import { createLedgerProfile, type LedgerProfile } from '../../src/core/ledger/ledger-profile.js';
import { MAX_PROOF, searchProof } from '../../src/core/pow.js';
import type { ChainView } from '../../src/core/profile.js';

/** A test key. */
export interface TestWallet {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly address: string;
}

/** A deterministic wallet: secret key = 32 bytes of `seed`. */
export function testWallet(seed: number, hrp = 'bft'): TestWallet {
  const secretKey = new Uint8Array(32).fill(seed);
  const publicKey = publicKeyOf(secretKey);
  return { secretKey, publicKey, address: addressOf(hrp, publicKey) };
}

/** Genesis time of test networks. */
export const TEST_GENESIS_TIME = 1_800_000_000;

/** A test network: easy blocks, 1 coin = 10^8, given allocations (in base units). */
export function testGenesis(
  allocations: readonly [TestWallet, bigint][] = [],
  overrides: Partial<GenesisSpec> = {},
): GenesisSpec {
  return {
    network: 'testnet',
    hrp: 'bft',
    blockTime: 10,
    halfLife: 100,
    initialTarget: targetForExpectedHashes(1n),
    reward: 50_0000_0000n,
    halvingInterval: 0,
    maturity: 10,
    time: TEST_GENESIS_TIME,
    allocations: allocations.map(([w, amount]) => ({ address: w.address, amount })),
    ...overrides,
  };
}

/** A signed payment's JSON (the lab's helper: the same fields a wallet signs). */
export { signedPayment as pay } from '../../src/lab/lab-world.js';

/** Forges the block after `parent` with what the template selects from `pending`, dated `time`. */
export function forgeBlock(
  profile: LedgerProfile,
  parent: ChainView,
  pending: readonly Transaction[],
  miner: string,
  time: number,
): Block {
  const template = profile.blockTemplate(parent, miner, pending, time);
  const { proof } = searchProof(template.puzzle, 0, MAX_PROOF);
  return template.seal(proof as number, pending, time);
}

/** A ledger chain under construction, validated as it grows. */
export class LedgerChain {
  readonly validator: BranchValidator;
  constructor(
    readonly profile: LedgerProfile,
    base: readonly Block[] = [profile.createGenesis(0)],
  ) {
    this.validator = new BranchValidator(profile, null).add(base.map((b) => b.json));
  }
  get blocks(): Block[] {
    return this.validator.result.blocks;
  }
  get view(): ChainView {
    return this.validator.view;
  }
  /** Mines the next block with these payments (JSON), `seconds` after the tip. */
  mine(payments: readonly JsonObject[], miner: string, seconds = 10): Block {
    const txs = payments.map((p) => this.profile.parseTransaction(p));
    const tip = this.blocks[this.blocks.length - 1] as Block;
    const time = Number(((tip.json.header as JsonObject).time as JsonNumber).text) + seconds;
    const block = forgeBlock(this.profile, this.view, txs, miner, time);
    this.validator.add([block.json]);
    return block;
  }
}

/** The ledger profile of a test network. */
export function testProfile(
  allocations: readonly [TestWallet, bigint][] = [],
  overrides: Partial<GenesisSpec> = {},
): LedgerProfile {
  return createLedgerProfile(testGenesis(allocations, overrides));
}
