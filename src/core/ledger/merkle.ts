/**
 * The merkle tree of a block's transactions, RFC 6962's (docs/ledger-protocol.md section 5): leaves
 * and inner nodes hashed with different one-byte prefixes, so no two trees share a root by a
 * duplicated leaf (the CVE-2012-2459 mutation Bitcoin's tree admits), and inclusion proofs (audit
 * paths) that a light client checks against a header's root. Plain TypeScript SHA-256: the same code
 * runs in the browser.
 */

import { sha256Bytes } from '../sha256.js';

const LEAF = 0x00;
const NODE = 0x01;

/** `sha256(prefix || parts...)`. */
function hashWith(prefix: number, ...parts: readonly Uint8Array[]): Uint8Array {
  let length = 1;
  for (const part of parts) length += part.length;
  const data = new Uint8Array(length);
  data[0] = prefix;
  let offset = 1;
  for (const part of parts) {
    data.set(part, offset);
    offset += part.length;
  }
  return sha256Bytes(data);
}

/** The leaf hash of an entry (a transaction id's 32 bytes). */
export function leafHash(entry: Uint8Array): Uint8Array {
  return hashWith(LEAF, entry);
}

/** The hash of an inner node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return hashWith(NODE, left, right);
}

/** The largest power of two smaller than `n` (n > 1): where RFC 6962 splits a list. */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 6962's MTH over leaf hashes. */
function rootOfLeaves(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256Bytes(new Uint8Array(0));
  if (leaves.length === 1) return leaves[0] as Uint8Array;
  const k = split(leaves.length);
  return nodeHash(rootOfLeaves(leaves.slice(0, k)), rootOfLeaves(leaves.slice(k)));
}

/** The root over `entries` (transaction ids, 32 bytes each), in order. */
export function merkleRoot(entries: readonly Uint8Array[]): Uint8Array {
  return rootOfLeaves(entries.map(leafHash));
}

/** An inclusion proof: the entry's index, the tree's size, and the sibling hashes from the leaf up. */
export interface InclusionProof {
  readonly index: number;
  readonly size: number;
  readonly path: readonly Uint8Array[];
}

/** The audit path of entry `index` (RFC 6962 section 2.1.1). */
export function inclusionProof(entries: readonly Uint8Array[], index: number): InclusionProof {
  if (!Number.isInteger(index) || index < 0 || index >= entries.length) {
    throw new RangeError(`no entry ${index} in a tree of ${entries.length}`);
  }
  const leaves = entries.map(leafHash);
  const path: Uint8Array[] = [];
  const walk = (from: number, to: number, m: number): void => {
    const n = to - from;
    if (n <= 1) return;
    const k = split(n);
    if (m < k) {
      walk(from, from + k, m);
      path.push(rootOfLeaves(leaves.slice(from + k, to)));
    } else {
      walk(from + k, to, m - k);
      path.push(rootOfLeaves(leaves.slice(from, from + k)));
    }
  };
  walk(0, leaves.length, index);
  return { index, size: entries.length, path };
}

/**
 * Whether `proof` shows `entry` at its index in a tree of its size whose root is `root` (RFC 9162
 * section 2.1.3.2, the verification of RFC 6962's audit paths).
 */
export function verifyInclusion(entry: Uint8Array, proof: InclusionProof, root: Uint8Array): boolean {
  const { index, size, path } = proof;
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leafHash(entry);
  for (const p of path) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.length === root.length && r.every((byte, k) => byte === root[k]);
}
