/**
 * A whole chain as peers serve it (`GET /chain`: `{"chain": [...], "length": n}`), validated.
 * The length is counted; a `length` field that disagrees with the count is a lie, not a hint.
 */

import type { Block } from './block.js';
import { ChainRuleError, ErrorCode } from './errors.js';
import { isJsonObject, JsonNumber, type JsonValue } from './json.js';
import type { RuleProfile } from './profile.js';
import { describe } from './tutorial-profile.js';

/**
 * Checks the envelope of a `/chain` response and returns its blocks, unvalidated: `chain` must be
 * a list and `length` an integer equal to its real count. A bare list of blocks is accepted as is.
 * Throws a ChainRuleError (CHAIN_ENVELOPE, LENGTH_MISMATCH).
 */
export function chainEnvelope(value: JsonValue): JsonValue[] {
  if (Array.isArray(value)) return value;
  if (!isJsonObject(value) || !Array.isArray(value.chain)) {
    throw new ChainRuleError(
      ErrorCode.ChainEnvelope,
      0,
      `expected {"chain": [...], "length": n} (got ${describe(value)}${isJsonObject(value) ? ' without a "chain" list' : ''})`,
    );
  }
  const { chain, length } = value;
  if (!(length instanceof JsonNumber) || !length.isInteger) {
    throw new ChainRuleError(ErrorCode.LengthMismatch, 0, `"length" must be an integer (got ${describe(length)})`);
  }
  if (length.text !== String(chain.length)) {
    throw new ChainRuleError(
      ErrorCode.LengthMismatch,
      0,
      `"length" says ${length.text} but the chain has ${chain.length} blocks`,
    );
  }
  return chain;
}

/**
 * Validates a `/chain` response (or a bare list of blocks) under `profile`: the envelope, the
 * `length` field against the real count, then every block. Throws a ChainRuleError.
 */
export function validateChainResponse(profile: RuleProfile, value: JsonValue): Block[] {
  return profile.validateBlocks(null, chainEnvelope(value));
}
