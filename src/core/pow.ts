/**
 * Proof of work, profile-neutral: a profile turns "the block after `prev`" into a
 * {@link PowChallenge}; a proof is valid when SHA-256(prefix + decimal(proof) + suffix), in hex,
 * starts with `difficulty` zeros. Seed: prefix = last proof, suffix = "". Master: suffix = hash of
 * the previous block.
 */

import { hash as oneShotHash } from 'node:crypto';
import { BlockforgeError, ErrorCode } from './errors.js';

/** What a miner must solve for the next block. */
export interface PowChallenge {
  /** Text before the proof's decimal digits. */
  readonly prefix: string;
  /** Text after the proof's decimal digits. */
  readonly suffix: string;
  /** Leading hex zeros required (1..64). */
  readonly difficulty: number;
}

/** Largest proof a search will try: proofs are JS numbers in the search (2^53 - 1). */
export const MAX_PROOF = Number.MAX_SAFE_INTEGER;

const ZEROS = '0'.repeat(64);

/** Checks a difficulty value: an integer from 1 to 64 hex zeros. */
export function assertDifficulty(difficulty: number): number {
  if (!Number.isInteger(difficulty) || difficulty < 1 || difficulty > 64) {
    throw new BlockforgeError(
      ErrorCode.InvalidOption,
      `difficulty must be an integer from 1 to 64 (got ${difficulty})`,
    );
  }
  return difficulty;
}

/** Hex SHA-256 of the proof-of-work message for `proofText` (a decimal integer). */
export function powDigest(challenge: PowChallenge, proofText: string): string {
  return oneShotHash('sha256', challenge.prefix + proofText + challenge.suffix, 'hex');
}

/** True when `digest` starts with `difficulty` hex zeros. */
export function meetsDifficulty(digest: string, difficulty: number): boolean {
  return digest.startsWith(ZEROS.slice(0, difficulty));
}

/** True when `proofText` (decimal integer text) solves `challenge`. */
export function checkProof(challenge: PowChallenge, proofText: string): boolean {
  return meetsDifficulty(powDigest(challenge, proofText), challenge.difficulty);
}

/** Result of a proof search over a range. */
export interface SearchResult {
  /** The smallest valid proof in the range, or null if none. */
  readonly proof: number | null;
  /** Number of proofs tried. */
  readonly tries: number;
}

/**
 * Scans `[from, to)` in ascending order and returns the first valid proof: the tutorial's miner,
 * counting up. Plain `node:crypto`; the reference every faster kernel is checked against.
 */
export function searchProof(challenge: PowChallenge, from: number, to: number): SearchResult {
  const zeros = ZEROS.slice(0, challenge.difficulty);
  const { prefix, suffix } = challenge;
  for (let proof = from; proof < to; proof++) {
    if (oneShotHash('sha256', prefix + proof + suffix, 'hex').startsWith(zeros)) {
      return { proof, tries: proof - from + 1 };
    }
  }
  return { proof: null, tries: to - from };
}
