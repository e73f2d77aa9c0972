/**
 * A merkle inclusion proof, walked step by step for the transaction page: the leaf hash, then at
 * each level the sibling from the proof, on which side it sits, and the parent hash computed from
 * the two (RFC 9162 section 2.1.3.2, the same walk as the core's `verifyInclusion`, with the core's
 * `leafHash` and `nodeHash`). No DOM here: unit tests run it against the core's trees.
 */

import { fromHex } from '../../src/core/ledger/codec.js';
import { type InclusionProof, leafHash, nodeHash, verifyInclusion } from '../../src/core/ledger/merkle.js';
import { toHex } from '../../src/core/sha256.js';

/** One level of the path: our hash so far, the sibling, and their parent. */
export interface ProofStep {
  /** 1 for the level above the leaf. */
  readonly level: number;
  /** The hash carried up from below (ours). */
  readonly ours: string;
  readonly sibling: string;
  /** Where the sibling sits: `left` means parent = nodeHash(sibling, ours). */
  readonly side: 'left' | 'right';
  readonly parent: string;
}

/** The whole walk. */
export interface ProofWalk {
  readonly leaf: string;
  readonly steps: readonly ProofStep[];
  /** The root the walk arrives at, or null when the proof does not fit its index and size. */
  readonly root: string | null;
}

/** The proof as the node sends it (GET /transactions/:id): hex path. */
export interface ProofJson {
  readonly index: number;
  readonly size: number;
  readonly path: readonly string[];
  readonly root?: string;
}

/** The core's proof from the node's JSON. */
export function proofOf(json: ProofJson): InclusionProof {
  return { index: json.index, size: json.size, path: json.path.map(fromHex) };
}

/** Walks `proof` from the leaf of `id` (64 hex) up. */
export function walkProof(id: string, json: ProofJson): ProofWalk {
  const entry = fromHex(id);
  const leaf = leafHash(entry);
  const { index, size } = json;
  const steps: ProofStep[] = [];
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) {
    return { leaf: toHex(leaf), steps, root: null };
  }
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  let fits = true;
  json.path.forEach((hex, k) => {
    if (!fits) return;
    if (sn === 0) {
      fits = false;
      return;
    }
    const sibling = fromHex(hex);
    const ours = r;
    let side: 'left' | 'right';
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(sibling, r);
      side = 'left';
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, sibling);
      side = 'right';
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
    steps.push({ level: k + 1, ours: toHex(ours), sibling: hex, side, parent: toHex(r) });
  });
  return { leaf: toHex(leaf), steps, root: fits && sn === 0 ? toHex(r) : null };
}

/** The core's verdict: `verifyInclusion(id, proof, root)`. */
export function includes(id: string, json: ProofJson, root: string): boolean {
  return /^[0-9a-f]{64}$/.test(root) && verifyInclusion(fromHex(id), proofOf(json), fromHex(root));
}
