/**
 * The seam between the node and the rules it runs. A profile is one object the node is given; the
 * node only calls this interface, so a new kind of chain (signed transactions, a header with a merkle
 * root, a retargeting difficulty, state) is a new implementation in the core, not branches in the
 * node. Shaped after lodestar's state transition (small named rules composed per block) and
 * ethereumjs' pluggable consensus.
 *
 * Chain rules (what any honest node of this kind can produce: accepted from peers) are
 * {@link RuleProfile.decodeBlock} and {@link RuleProfile.connectBlock}. Policy (what this node accepts
 * from its own clients and puts in its own blocks: strict) is {@link RuleProfile.parseTransaction},
 * {@link RuleProfile.admitTransaction} and what {@link BlockTemplate.seal} selects.
 */

import type { Block, StateDiff, StateView, Transaction } from './block.js';
import type { JsonObject, JsonValue } from './json.js';
import type { PowChallenge } from './pow.js';

/** The chain a new block extends, as far as a rule may look: its ancestors and the state after them. */
export interface ChainView {
  /** Height of the block being extended (0: nothing, the next block is a genesis). */
  readonly height: number;
  /** The block at `height` (1-based) on this branch; callers ask only for 1..{@link height}. */
  block(height: number): Block;
  /** The state after block {@link height}. */
  readonly state: StateView;
}

/** What a miner solves, and how the solved block is built. */
export interface BlockTemplate {
  /** The proof-of-work puzzle of the next block. */
  readonly puzzle: PowChallenge;
  /** Hashes a search is expected to take (for progress displays). */
  readonly expectedHashes: number;
  /**
   * The block once `proof` solves {@link puzzle}, with the transactions the profile selects from
   * `pending` (oldest first) under its policy: a transaction it leaves out stays pending. A profile
   * whose puzzle commits to the contents selects when the template is made and ignores `pending`.
   */
  seal(proof: number, pending: readonly Transaction[], timestampSeconds: number): Block;
}

/** A block's header: what a proof of work covers, checked before the block's body is fetched. */
export interface BlockHeader {
  readonly height: number;
  readonly hash: string;
  readonly parentHash: string | null;
  readonly work: bigint;
  /** The header as served on `/headers`. */
  readonly json: JsonObject;
}

/** A chain of headers as far as a header rule may look back. */
export interface HeaderChainView {
  /** Height of the header being extended (at least 1: the genesis is never fetched as a header). */
  readonly height: number;
  /** The header at `height` (1-based) on this branch; callers ask only for 1..{@link height}. */
  header(height: number): BlockHeader;
}

/**
 * Header rules of a profile whose proof of work commits to a block's contents through a header
 * (the ledger): a sync checks a branch's headers, and so its work, before it downloads any body.
 */
export interface HeaderRules {
  /** The header of a decoded block. */
  headerOf(block: Block): BlockHeader;
  /** Context-free header rules (shape, hash, proof of work). Throws a ChainRuleError. */
  decodeHeader(value: JsonValue, position: number): BlockHeader;
  /** Header rules in context (height, link, target, time). Throws a ChainRuleError. */
  connectHeader(header: BlockHeader, parent: HeaderChainView): void;
}

/** Account queries of a profile with balances (the ledger), for the API. */
export interface AccountRules {
  /** Checks an address from a client; returns it as the profile writes it. Throws INVALID_ADDRESS. */
  parseAddress(text: string): string;
  /** An account as the API shows it: its state at the tip and the effect of pending transactions. */
  describeAccount(address: string, tip: ChainView, pending: readonly Transaction[]): JsonObject;
  /** Whether `tx` moves coins from or to `address`. */
  involves(tx: Transaction, address: string): boolean;
  /** A transaction's fields as the API shows them (sender address, amount, fee...). */
  describeTransaction(tx: Transaction): JsonObject;
  /** The merkle inclusion proof of `block`'s transaction `index`, as the API serves it. */
  inclusionProof(block: Block, index: number): JsonObject;
}

/**
 * One signature a block's validation will verify: `publicKey`'s signature `signature` of `message`.
 * The byte arrays may be views into one shared buffer (read them, do not keep or change them).
 */
export interface SignatureCheck {
  readonly signature: Uint8Array;
  readonly message: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** The consensus rules and block-building policy of one kind of chain. Pure: no I/O, no clock. */
export interface RuleProfile {
  /** Profile name as given on the command line (`seed`, `master`). */
  readonly name: string;
  /** One line for humans: where the rules come from. */
  readonly summary: string;
  /**
   * The parameters two nodes must share to be on one network (the tutorial's: its difficulty), as
   * they are stored with a data folder and sent to peers. Names match the CLI flags that set them.
   */
  readonly params: Readonly<Record<string, number | string>>;

  /** A fresh genesis block created at `timestampSeconds`. */
  createGenesis(timestampSeconds: number): Block;

  /**
   * Chain rule, context-free part: decodes an untrusted block (shape, encoding, hash, work). Throws
   * a ChainRuleError naming `position` (its 1-based place in the chain being read).
   */
  decodeBlock(value: JsonValue, position: number): Block;

  /**
   * Chain rule, in context: checks `block` as the block after `parent` (null: as a genesis block),
   * and returns what it changes in the state. Throws a ChainRuleError naming the block and the rule.
   */
  connectBlock(block: Block, parent: ChainView | null): StateDiff;

  /**
   * Policy: validates a transaction a client submitted (untrusted JSON), strictly. Throws a
   * BlockforgeError naming the field at fault.
   */
  parseTransaction(value: JsonValue): Transaction;

  /**
   * Policy: whether `tx` may join a mempool that already holds `pending`, against the state at the
   * tip (a ledger checks balance and nonce; the tutorial needs nothing). Throws a BlockforgeError.
   * Returns the pending transaction `tx` replaces (the ledger's replacement by fee), if any.
   */
  admitTransaction(tx: Transaction, state: StateView, pending: readonly Transaction[]): Transaction | undefined;

  /**
   * Policy: the pending transactions that a new tip with state `state` makes invalid for good (a
   * ledger: payments whose nonce a block used), dropped from the mempool with the block's commit.
   * Absent: none.
   */
  stalePending?(state: StateView, pending: readonly Transaction[]): readonly Transaction[];

  /**
   * Policy: whether a block (or, in a headers-first sync, its header) that arrives at `nowSeconds`
   * (the node's clock) is taken now. The
   * ledger refuses one dated more than 2 minutes ahead (TIME_TOO_FAR_AHEAD); it may be offered
   * again later. Absent: every block is timely.
   */
  checkArrival?(block: Block | BlockHeader, nowSeconds: number): void;

  /**
   * The signature checks that validating the untrusted block values `values` would make, listed
   * without validating anything else, so that the node can verify them in bulk (worker threads)
   * ahead of validation and have the profile's verifier find the verdicts cached. Tolerant and
   * bounded: a malformed value or transaction is skipped (validation refuses it later), and the
   * work is linear in the values' size. Validation still verifies every signature itself. Absent: the
   * profile verifies no signatures.
   */
  signatureChecks?(values: readonly JsonValue[]): SignatureCheck[];

  /** Header rules, for profiles whose proof of work covers a header (headers-first sync). */
  readonly headers?: HeaderRules;

  /** Account queries, for profiles with balances. */
  readonly accounts?: AccountRules;

  /**
   * Whether a transaction of a block that a reorg dropped goes back to the mempool: re-checked by
   * policy, so rewards and what this node would refuse from a client do not.
   */
  returnsToMempool(tx: Transaction): boolean;

  /**
   * The next block's puzzle and builder, on top of `parent`, paying the reward to `beneficiary`.
   * A profile whose puzzle commits to the contents (the ledger) selects from `pending` here and
   * dates the block `timestampSeconds`; the tutorial's does both when the block is sealed.
   */
  blockTemplate(
    parent: ChainView,
    beneficiary: string,
    pending: readonly Transaction[],
    timestampSeconds: number,
  ): BlockTemplate;
}
