/**
 * Validating a whole `/chain` text in one pass, without building its blocks: what `blockforge
 * verify` and any reader that needs only the verdict (length, tip) run. A profile may offer a
 * scanner ({@link ChainTextScanner}) for the shapes its chains usually have; the scanner answers
 * "valid" only when every rule holds, and `null` whenever it is not sure (an unusual shape, an
 * escape, a broken rule), and then the general path (parseJson + validateChainResponse) decides
 * and names the rule. So a scanner can only make the common case fast, never change a verdict.
 */

import type { Block } from './block.js';
import { validateChainResponse } from './chain.js';
import { parseJson } from './json.js';
import type { RuleProfile } from './profile.js';

/**
 * SHA-256 of many messages in one call: message k is `data[ends[k-1] .. ends[k])` (`ends[-1]` is
 * 0), its digest goes to `out[32k .. 32k+32)`. Given by the caller (src/node/hash-batch.ts: the
 * native addon's, one call for a whole chain, else node:crypto per message), so this module needs no
 * crypto of its own (the explorer type-checks the core against a browser shim of node:crypto).
 */
export type HashBatch = (data: Uint8Array, ends: Uint32Array, out: Uint8Array) => void;

/** What a valid chain is, for a reader that needs only the verdict. */
export interface ChainSummary {
  /** Number of blocks, genesis included. */
  readonly length: number;
  /** The last block's hash (lowercase hex). */
  readonly tipHash: string;
  /** Whether the one-pass scanner decided (false: the general path did). */
  readonly scanned: boolean;
}

/**
 * A run of blocks of a chain text scanned apart (on another thread), from a block's start to
 * where the next part starts or the chain list ends. Its blocks' own rules are checked; its first
 * block's link and proof of work need the block before it, and are checked by the scan that takes
 * the part (which also checks that the part starts where its own blocks end).
 */
export interface ChainSegment {
  /** Byte offset of its first block. */
  readonly start: number;
  /** Byte offset where it stopped: the next part's start, or just after the chain list. */
  readonly end: number;
  /** Whether it read the chain list's closing bracket. */
  readonly closed: boolean;
  /** Position (index) of its first block, and how many blocks it has. */
  readonly firstPosition: number;
  readonly count: number;
  /** Byte offset of its first block's previous_hash (64 hex digits). */
  readonly firstPrevAt: number;
  /** Byte ranges of its first and last blocks' proofs. */
  readonly firstProofStart: number;
  readonly firstProofEnd: number;
  readonly lastProofStart: number;
  readonly lastProofEnd: number;
  /** Its last block's hash (lowercase hex). */
  readonly tipHash: string;
}

/** A profile that can validate a chain's text in one pass. */
export interface ChainTextScanner {
  /**
   * The summary of the `/chain` text `bytes` (UTF-8) when it is a valid chain under this profile's
   * rules; `null` when not sure (the general path then decides). Never throws on any input.
   * `parts`: runs of blocks already scanned apart ({@link scanChainPart}), in order, taken where the
   * scan meets their starts at a block boundary (else scanned again here).
   */
  scanChainText(
    bytes: Uint8Array,
    hashBatch: HashBatch,
    parts?: readonly ChainSegment[],
  ): Omit<ChainSummary, 'scanned'> | null;
  /** Scans the blocks from `start` to `stopAt` (a later part's start) or the chain list's end; null when not sure. */
  scanChainPart?(bytes: Uint8Array, start: number, stopAt: number, hashBatch: HashBatch): ChainSegment | null;
  /** A likely block start at or after `from` (0: the first block), to split a text into parts (-1: none). */
  partStartNear?(bytes: Uint8Array, from: number): number;
}

/** True when `profile` offers a one-pass scanner. */
export function hasChainScanner(profile: RuleProfile): profile is RuleProfile & ChainTextScanner {
  return typeof (profile as Partial<ChainTextScanner>).scanChainText === 'function';
}

// ignoreBOM keeps a leading BOM in the text (as readFileSync does), so parseJson refuses it.
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Validates the `/chain` text `bytes` under `profile`: the profile's one-pass scanner when it has
 * one and is sure, else the general path (which throws the ChainRuleError or parse error that names
 * what is wrong). `nonFinite`: read `NaN`/`Infinity` as Python does (data a tutorial node wrote).
 */
export function validateChainText(
  profile: RuleProfile,
  bytes: Uint8Array,
  options: { hashBatch: HashBatch; nonFinite?: boolean },
): ChainSummary {
  if (hasChainScanner(profile)) {
    const summary = profile.scanChainText(bytes, options.hashBatch);
    if (summary) return { ...summary, scanned: true };
  }
  const blocks = validateChainResponse(
    profile,
    parseJson(decoder.decode(bytes), { nonFinite: options.nonFinite ?? true }),
  );
  const tip = blocks[blocks.length - 1] as Block;
  return { length: blocks.length, tipHash: tip.hash, scanned: false };
}
