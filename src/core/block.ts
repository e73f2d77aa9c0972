/**
 * The data every layer handles: a block or transaction as decoded by a rule profile, and the
 * profile's chain state as the node stores it. The JSON is kept exactly as it is hashed and served;
 * derived values (hash, canonical text, work) are computed once, by the profile. Layers above the
 * core read only these fields and leave everything profile-specific to the profile.
 */

import type { JsonObject } from './json.js';

/** A transaction decoded by its profile. */
export interface Transaction {
  /** The transaction as it appears in a block. */
  readonly json: JsonObject;
  /** Its canonical encoding (the tutorial's: Python `json.dumps(sort_keys=True)`). */
  readonly canonical: string;
  /**
   * Its identity in the mempool and across reorgs. Compared as a multiset: the tutorial's
   * transactions have no id (their id is their canonical text), so two equal payments share it and
   * stay two.
   */
  readonly id: string;
}

/** A block decoded by its profile (well formed, hashed; its place in a chain is checked apart). */
export interface Block {
  /** 1-based height (genesis is 1). */
  readonly height: number;
  /** The block's hash, lowercase hex. */
  readonly hash: string;
  /** The hash this block names as its parent; null for a genesis block. */
  readonly parentHash: string | null;
  /** Expected hashes its proof of work took: fork choice sums this (the tutorial's is 1 a block). */
  readonly work: bigint;
  /** The block as served on `/chain`. */
  readonly json: JsonObject;
  readonly transactions: readonly Transaction[];
  /**
   * Bytes of its canonical encoding (the tutorial's escapes every non-ASCII character, so this is
   * its length): block size limits are in these bytes, and the wire JSON is never larger.
   */
  readonly size: number;
}

/** Read access to a profile's chain state: text values by key (an account's balance and nonce). */
export interface StateView {
  get(key: string): string | undefined;
}

/** One key a block changed: its value before and after (null: absent). */
export interface StateChange {
  readonly key: string;
  readonly before: string | null;
  readonly after: string | null;
}

/**
 * What connecting a block does to the state, in order. Storage writes every `after`; undoing the
 * block writes every `before`, last change first. The tutorial profiles keep no state: always empty.
 */
export type StateDiff = readonly StateChange[];

/** The empty diff (profiles without state). */
export const NO_CHANGES: StateDiff = Object.freeze([]);
