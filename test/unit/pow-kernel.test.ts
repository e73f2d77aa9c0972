/**
 * Every proof-of-work kernel returns exactly what the node:crypto reference returns: the smallest
 * valid proof of a range (or none, with the same tries), across profiles, difficulties and the
 * places where the proof's digit count changes, up to 2^53 - 1.
 */

import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { JsonNumber } from '../../src/core/json.js';
import { checkProof, type PowChallenge, powDigest, searchProof } from '../../src/core/pow.js';
import { createTsKernel, digitSegments, type PowKernel } from '../../src/core/pow-kernel.js';
import { loadKernel } from '../../src/node/kernels.js';
import { ProofMiner } from '../../src/node/miner.js';
import { loadNative } from '../../src/node/native.js';
import { mulberry32 as rng } from '../support/random.js';
import { vectorList } from '../support/vectors.js';

const WASM_URL = new URL('../../dist/kernel/pow.wasm', import.meta.url);
const WORKER_URL = new URL('../../dist/node/pow-worker.js', import.meta.url);

// The native kernel where the addon is built and the CPU has SHA instructions (native-kernel.test.ts
// fails when it is missing, and also checks its portable C path).
const kernels: PowKernel[] = [
  ...(loadNative()?.features().sha ? [loadKernel('native', WASM_URL)] : []),
  loadKernel('wasm', WASM_URL),
  createTsKernel(),
];

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('digitSegments', () => {
  it('splits at powers of ten', () => {
    expect(digitSegments(5, 12)).toEqual([
      [5, 10],
      [10, 12],
    ]);
    expect(digitSegments(99_990, 100_010)).toEqual([
      [99_990, 100_000],
      [100_000, 100_010],
    ]);
    expect(digitSegments(2 ** 53 - 10, 2 ** 53 - 1)).toEqual([[2 ** 53 - 10, 2 ** 53 - 1]]);
    expect(digitSegments(7, 7)).toEqual([]);
  });
});

describe.each(kernels.map((k) => [k.name, k] as const))('%s kernel', (_name, kernel) => {
  it('gives the seed proof sequence of the vectors', () => {
    for (const c of vectorList('pow-seed.json', 'cases')) {
      const v = c as { last_proof: JsonNumber; proof: JsonNumber; digest: string };
      const challenge = { prefix: v.last_proof.text, suffix: '', difficulty: 4 };
      const found = kernel.scan(challenge, 0, 1_000_000);
      expect(String(found.proof)).toBe(v.proof.text);
      expect(found.tries).toBe(Number(v.proof.text) + 1);
      expect(powDigest(challenge, String(found.proof))).toBe(v.digest);
    }
  });

  it('agrees with node:crypto on random challenges of both profiles', () => {
    const random = rng(7);
    for (let k = 0; k < 60; k++) {
      const lastProof = String(Math.floor(random() * 10 ** (1 + (k % 16))));
      const challenge: PowChallenge = {
        prefix: lastProof,
        suffix: k % 2 === 0 ? '' : sha(`block ${k}`), // master: previous block's hash after the proof
        difficulty: 1 + (k % 3),
      };
      const from = Math.floor(random() * 10 ** (k % 7));
      const to = from + 1 + Math.floor(random() * 3000);
      expect(kernel.scan(challenge, from, to), `${JSON.stringify(challenge)} [${from}, ${to})`).toEqual(
        searchProof(challenge, from, to),
      );
    }
  });

  it.each([
    [0, 120],
    [5, 15],
    [90, 110],
    [99_950, 100_050],
    [999_999_950, 1_000_000_050],
    [10 ** 15 - 60, 10 ** 15 + 60],
    [2 ** 53 - 200, 2 ** 53 - 1],
  ])('agrees across the digit-count change in [%d, %d)', (from, to) => {
    for (const difficulty of [1, 2]) {
      for (const prefix of ['9', '100', '9007199254740991']) {
        const challenge = { prefix, suffix: '', difficulty };
        expect(kernel.scan(challenge, from, to)).toEqual(searchProof(challenge, from, to));
        const master = { prefix, suffix: sha(prefix), difficulty };
        expect(kernel.scan(master, from, to)).toEqual(searchProof(master, from, to));
      }
    }
  });

  it('agrees with node:crypto on ledger-header challenges: digits past the first block, long messages, a target', () => {
    const random = rng(11);
    for (let k = 0; k < 40; k++) {
      // A ledger header's canonical JSON cut at its nonce: the digits start in block 2 (or later),
      // the message is up to 5 blocks, and a candidate must also be at or below the target.
      const prefix = `{"height": ${k + 2}, "merkle": "${sha(`m${k}`)}", ${'x'.repeat(k * 3)}"nonce": `;
      const suffix = `, "parent": "${sha(`p${k}`)}", "target": "...", "time": 1800000000, "version": 1}`.slice(
        0,
        40 + ((k * 7) % 60),
      );
      const target = `0${Math.floor(random() * 16).toString(16)}${'f'.repeat(62)}`;
      const challenge: PowChallenge = { prefix, suffix, difficulty: 1, ...(k % 2 === 0 ? { target } : {}) };
      const from = Math.floor(random() * 10 ** (k % 8));
      const to = from + 1 + Math.floor(random() * 2000);
      expect(kernel.scan(challenge, from, to), `${k}: [${from}, ${to})`).toEqual(searchProof(challenge, from, to));
    }
  });

  it('reports no proof, with every proof tried, when a range has none', () => {
    for (let difficulty = 5; difficulty <= 12; difficulty++) {
      const challenge = { prefix: '35293', suffix: '', difficulty };
      const reference = searchProof(challenge, 1_000, 41_000);
      expect(kernel.scan(challenge, 1_000, 41_000)).toEqual(reference);
    }
  });

  it('finds a difficulty-5 proof that node:crypto confirms is the smallest', () => {
    const challenge = { prefix: '146502', suffix: '', difficulty: 5 };
    const found = kernel.scan(challenge, 0, 20_000_000);
    expect(found.proof).not.toBeNull();
    expect(checkProof(challenge, String(found.proof))).toBe(true);
    expect(searchProof(challenge, 0, found.proof as number).proof).toBeNull();
  });
});

describe('ProofMiner with the WebAssembly kernel', () => {
  const miner = new ProofMiner({
    threads: 2,
    workerUrl: WORKER_URL,
    wasmUrl: WASM_URL,
    kernel: 'wasm',
    chunkSize: 50_000,
  });
  afterAll(() => miner.close());

  it('returns the sequential answer for master-profile challenges at difficulty 4', async () => {
    expect(miner.kernel).toBe('wasm');
    for (let k = 0; k < 5; k++) {
      const challenge = { prefix: String(1000 + k), suffix: sha(`prev ${k}`), difficulty: 4 };
      const found = await miner.search(challenge);
      expect(found.proof).toBe(searchProof(challenge, 0, 10_000_000).proof);
    }
  });

  it('reports progress and a rate', async () => {
    const seen: number[] = [];
    const found = await miner.search(
      { prefix: '77', suffix: '', difficulty: 5 },
      { onProgress: (p) => seen.push(p.hashes) },
    );
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(found.rate).toBeGreaterThan(0);
  });
});
