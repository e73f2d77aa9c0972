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
  /**
   * A 256-bit target (64 lowercase hex) the digest, read as a big-endian integer, must not exceed
   * (the ledger's rule). `difficulty` is then the target's leading hex zeros (at least 1): kernels
   * find digests with that many zeros, and each candidate is checked against the target.
   */
  readonly target?: string;
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

/** True when `digest` meets the challenge: its leading zeros, and its target when it has one. */
export function meetsChallenge(challenge: PowChallenge, digest: string): boolean {
  if (!meetsDifficulty(digest, challenge.difficulty)) return false;
  // Equal-length lowercase hex compares as the numbers it writes.
  return challenge.target === undefined || digest <= challenge.target;
}

/** True when `proofText` (decimal integer text) solves `challenge`. */
export function checkProof(challenge: PowChallenge, proofText: string): boolean {
  return meetsChallenge(challenge, powDigest(challenge, proofText));
}

/**
 * The leading hex zeros every digest at or below `target` has (at least 1, the kernels' least):
 * what a kernel searches for before a candidate is compared with the target itself.
 */
export function zerosOfTarget(target: string): number {
  let zeros = 0;
  while (zeros < 64 && target[zeros] === '0') zeros++;
  return Math.min(64, Math.max(1, zeros));
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
  const { prefix, suffix, target } = challenge;
  for (let proof = from; proof < to; proof++) {
    const digest = oneShotHash('sha256', prefix + proof + suffix, 'hex');
    if (digest.startsWith(zeros) && (target === undefined || digest <= target)) {
      return { proof, tries: proof - from + 1 };
    }
  }
  return { proof: null, tries: to - from };
}
