/**
 * Rule profiles: the consensus rules a node runs, given to the node as one object. The node layer
 * only calls this interface, so a new profile (signed transactions, a merkle-root header,
 * difficulty retargeting) is a new implementation here, not branches in the node.
 */

import type { Block, Transaction } from './block.js';
import { BlockforgeError, ErrorCode } from './errors.js';
import type { JsonValue } from './json.js';
import type { PowChallenge } from './pow.js';
import { MASTER_SPEC, SEED_SPEC, type TutorialProfileSpec, tutorialProfile } from './tutorial-profile.js';

/** What a miner hands to {@link RuleProfile.forgeBlock}. */
export interface ForgeInput {
  /** The current tip; the new block extends it. */
  readonly prev: Block;
  /** The proof that solves `powChallenge(prev)`. */
  readonly proof: number;
  /** Pending transactions to include, in order. */
  readonly pending: readonly Transaction[];
  /** This node's id: the recipient of the mining reward. */
  readonly nodeId: string;
  /** Unix seconds (a float, as Python's `time.time()`). */
  readonly timestampSeconds: number;
}

/** The consensus rules of a chain. Pure: no I/O, no clock (times are passed in). */
export interface RuleProfile {
  /** Profile name as given on the command line (`seed`, `master`). */
  readonly name: string;
  /** One line for humans: where the rules come from. */
  readonly summary: string;
  /** Leading hex zeros a proof of work needs. */
  readonly difficulty: number;
  /** A fresh genesis block created at `timestampSeconds`. */
  createGenesis(timestampSeconds: number): Block;
  /**
   * Validates a transaction a client submitted (untrusted JSON). Throws a 400
   * {@link BlockforgeError} naming the field at fault.
   */
  parseTransaction(value: JsonValue): Transaction;
  /** True for the reward (newly minted) transaction, which never sits in the mempool. */
  isReward(tx: Transaction): boolean;
  /** The proof-of-work puzzle for the block after `prev`. */
  powChallenge(prev: Block): PowChallenge;
  /**
   * The same puzzle from the previous block's proof (decimal text) and hash, for tools that have
   * only those (`blockforge pow`).
   */
  powChallengeFor(lastProof: string, lastHash: string): PowChallenge;
  /** Whether the puzzle depends on the previous block's hash (so a tool must be given it). */
  readonly powNeedsPreviousHash: boolean;
  /** Builds the block after `input.prev`, adding the mining reward as the profile places it. */
  forgeBlock(input: ForgeInput): Block;
  /**
   * Fully validates untrusted blocks. With `prev` null, `blocks` is a whole chain starting at
   * genesis; otherwise it extends the trusted block `prev`. Throws a ChainRuleError naming the
   * first block that breaks a rule, and which rule.
   */
  validateBlocks(prev: Block | null, blocks: readonly JsonValue[]): Block[];
}

/** Names accepted by {@link createProfile}. */
export const PROFILE_NAMES = ['seed', 'master'] as const;
/** A built-in profile name. */
export type ProfileName = (typeof PROFILE_NAMES)[number];

const SPECS: Record<ProfileName, TutorialProfileSpec> = { seed: SEED_SPEC, master: MASTER_SPEC };

/** Options for {@link createProfile}. */
export interface ProfileOptions {
  /** Leading hex zeros; the tutorial's 4 when omitted. */
  difficulty?: number;
}

/** Returns the built-in profile `name` with the given options. */
export function createProfile(name: string, options: ProfileOptions = {}): RuleProfile {
  if (!(PROFILE_NAMES as readonly string[]).includes(name)) {
    throw new BlockforgeError(
      ErrorCode.UnknownProfile,
      `unknown profile "${name}" (choose one of: ${PROFILE_NAMES.join(', ')})`,
    );
  }
  const spec = SPECS[name as ProfileName];
  return tutorialProfile(spec, options.difficulty ?? spec.defaultDifficulty);
}
