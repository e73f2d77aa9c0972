/**
 * The data every layer handles: a block or transaction as validated by a rule profile. The JSON is
 * kept exactly as it is hashed and served; derived values (hash, canonical text) are computed once.
 * Layers above the core read only these fields and leave everything profile-specific to the profile.
 */

import type { JsonObject } from './json.js';

/** A transaction that passed its profile's rules. */
export interface Transaction {
  /** The transaction as it appears in a block (key order as the tutorial builds it). */
  readonly json: JsonObject;
  /** Its canonical JSON (Python `json.dumps(sort_keys=True)`): its identity in the mempool. */
  readonly canonical: string;
}

/** A block that passed its profile's rules. */
export interface Block {
  /** 1-based height (genesis is 1). */
  readonly index: number;
  /** The protocol hash of the block (lowercase hex SHA-256 of its canonical JSON). */
  readonly hash: string;
  /** The block as served on `/chain` (key order as the tutorial builds it). */
  readonly json: JsonObject;
  readonly transactions: readonly Transaction[];
}
