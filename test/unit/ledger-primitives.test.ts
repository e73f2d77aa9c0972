/**
 * The ledger profile's first pieces (docs/ledger-protocol.md): the RFC 6962 merkle tree against the
 * Certificate Transparency known-answer roots, inclusion proofs and their refusal of tampering, and
 * ASERT's targets (exact on schedule and at whole half-lives) and its recovery after the hash rate
 * changes fourfold, simulated.
 */

import { describe, expect, it } from 'vitest';
import { asertTarget, MAX_TARGET, workOf } from '../../src/core/ledger/asert.js';
import { inclusionProof, merkleRoot, verifyInclusion } from '../../src/core/ledger/merkle.js';
import { toHex } from '../../src/core/sha256.js';
import { mulberry32 } from '../support/random.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

// The leaves and roots of RFC 6962's reference tests (Certificate Transparency, merkle_tree_test).
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'];
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('merkle tree (RFC 6962)', () => {
  it('gives the reference roots for 1 to 8 leaves, and SHA-256("") for none', () => {
    for (let n = 1; n <= 8; n++)
      expect(toHex(merkleRoot(LEAVES.slice(0, n).map(bytes))), `${n} leaves`).toBe(ROOTS[n - 1]);
    expect(toHex(merkleRoot([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('does not admit the duplicated-last-leaf mutation (CVE-2012-2459)', () => {
    const ids = [1, 2, 3].map((k) => bytes(String(k).repeat(64)));
    expect(toHex(merkleRoot(ids))).not.toBe(toHex(merkleRoot([...ids, ids[2] as Uint8Array])));
  });

  it('proves every entry of trees of 1 to 40 entries, and refuses what was tampered with', () => {
    for (let n = 1; n <= 40; n++) {
      const ids = Array.from({ length: n }, (_, k) => bytes(k.toString(16).padStart(64, '0')));
      const root = merkleRoot(ids);
      for (let k = 0; k < n; k++) {
        const proof = inclusionProof(ids, k);
        expect(verifyInclusion(ids[k] as Uint8Array, proof, root), `${k} of ${n}`).toBe(true);
        // Another entry, another index, or a flipped sibling: refused. (The tree's size is known from
        // the block; a proof does not authenticate it.)
        expect(verifyInclusion(ids[(k + 1) % n] as Uint8Array, proof, root) && n > 1).toBe(false);
        if (n > 1) expect(verifyInclusion(ids[k] as Uint8Array, { ...proof, index: (k + 1) % n }, root)).toBe(false);
        if (proof.path.length > 0) {
          const path = proof.path.map((p) => p.slice());
          const first = path[0] as Uint8Array;
          first[0] = (first[0] as number) ^ 1;
          expect(verifyInclusion(ids[k] as Uint8Array, { ...proof, path }, root)).toBe(false);
        }
      }
    }
  });
});

describe('ASERT', () => {
  const anchor = { anchorTarget: 1n << 240n, anchorHeight: 1, anchorTime: 1_000_000, blockTime: 60, halfLife: 600 };
  const at = (parentHeight: number, parentTime: number): bigint => asertTarget({ ...anchor, parentHeight, parentTime });

  it('keeps the target on schedule, doubles it one half-life behind, halves it one ahead', () => {
    // Block h is due at anchorTime + (h - 1) * blockTime: a parent on time gives the anchor's target.
    expect(at(11, 1_000_000 + 10 * 60)).toBe(1n << 240n);
    expect(at(11, 1_000_000 + 10 * 60 + 600)).toBe(1n << 241n);
    expect(at(11, 1_000_000 + 10 * 60 - 600)).toBe(1n << 239n);
    expect(at(11, 1_000_000 + 10 * 60 + 6000)).toBe(1n << 250n);
  });

  it('follows 2^x between whole half-lives within 0.013%', () => {
    for (let seconds = -600; seconds <= 600; seconds += 7) {
      const got = Number(at(11, 1_000_000 + 10 * 60 + seconds) >> 200n) / 2 ** 40;
      const exact = 2 ** (seconds / 600);
      expect(Math.abs(got / exact - 1), `${seconds} s`).toBeLessThan(0.00013);
    }
  });

  it('stays within 1 .. 2^256 - 1', () => {
    expect(at(2, 1_000_000 + 10_000_000)).toBe(MAX_TARGET);
    expect(at(100_000, 1_000_000)).toBe(1n);
  });

  it('brings the mean block time back within 15% of target within 50 blocks after a 4x hash-rate change', () => {
    for (const factor of [4, 0.25]) {
      const means: number[] = [];
      for (let seed = 1; seed <= 20; seed++) {
        const random = mulberry32(seed);
        // Hashes per second that make the anchor's target one block a minute.
        let rate = Number(workOf(anchor.anchorTarget)) / 60;
        let height = 1;
        let time = anchor.anchorTime;
        const intervals: number[] = [];
        for (let k = 0; k < 400; k++) {
          if (k === 200) rate *= factor;
          const target = at(height, time);
          const seconds = Math.max(1, Math.round((-Math.log(1 - random()) * Number(workOf(target))) / rate));
          time += seconds;
          height++;
          intervals.push(seconds);
        }
        // From 50 blocks after the change on.
        const after = intervals.slice(250, 400);
        means.push(after.reduce((a, b) => a + b, 0) / after.length);
      }
      const mean = means.reduce((a, b) => a + b, 0) / means.length;
      expect(Math.abs(mean / 60 - 1), `hash rate x${factor}: mean ${mean.toFixed(1)} s`).toBeLessThan(0.15);
    }
  });
});
