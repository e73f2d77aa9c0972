#!/usr/bin/env node
/**
 * Builds (or reuses) a valid `seed` chain for the validation benchmark, mined with blockforge's own
 * multi-threaded ProofMiner and forged by the core profile, and saves it as a `/chain` response at
 * bench/.cache/chain-seed-<N>-d<D>.json (gitignored).
 *
 * Seed proofs depend only on the previous proof, so a chain of N blocks costs about N * 16^D hashes
 * whatever the blocks carry: at D=4 that is ~655M hashes for 10,000 blocks. Each block carries two
 * client transactions (one with a float amount, one with non-ASCII names) plus the reward.
 *
 * Usage: node bench/make-chain.mjs [--blocks N] [--difficulty D] [--force]
 * As a module: `ensureChain({ blocks, difficulty })` returns { file, blocks, difficulty, cached, seconds }.
 */

import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BranchValidator } from '../dist/core/chain.js';
import { parseJson, writeJson } from '../dist/core/json.js';
import { createProfile } from '../dist/core/profiles.js';
import { ProofMiner } from '../dist/node/miner.js';

const here = dirname(fileURLToPath(import.meta.url));
export const CACHE_DIR = join(here, '.cache');

/** Bench defaults. Difficulty 4 is the tutorial's; see the header for its cost. */
export const DEFAULT_BLOCKS = 10_000;
export const DEFAULT_DIFFICULTY = 4;

/** Where the chain of `blocks` blocks at `difficulty` is cached. */
export function chainFile(blocks, difficulty) {
  return join(CACHE_DIR, `chain-seed-${blocks}-d${difficulty}.json`);
}

/** Deterministic client transactions for block `i` (validated by the profile like a POST would be). */
function transactionsFor(profile, i) {
  const bodies = [
    `{"sender":"alice-${i % 97}","recipient":"bob","amount":${(i % 1000) + 0.25}}`,
    `{"sender":"Zoë ${i % 13}","recipient":"渡辺 ☕ ${i % 7}","amount":${(i % 50) + 1}}`,
  ];
  return bodies.map((text) => profile.parseTransaction(parseJson(text)));
}

/**
 * Mines a fresh chain of `blocks` blocks at `difficulty` and writes it to the cache.
 * @returns {Promise<{ file: string, seconds: number, hashes: number }>}
 */
export async function buildChain({ blocks, difficulty, log = () => {} }) {
  const profile = createProfile('seed', { difficulty });
  const miner = new ProofMiner();
  const started = performance.now();
  let hashes = 0;
  const nodeId = 'b1f0c2d3e4f5a6b7c8d9e0f1a2b3c4d5';
  const baseTime = 1_700_000_000.123456;
  const texts = [];
  try {
    const genesis = profile.createGenesis(baseTime);
    texts.push(writeJson(genesis.json));
    // The chain so far, as the profile's rules see it: each block is built on its view.
    const chain = new BranchValidator(profile, null).add([genesis.json]);
    let lastLog = started;
    for (let i = 2; i <= blocks; i++) {
      const template = profile.blockTemplate(chain.view, nodeId);
      const result = await miner.search(template.puzzle);
      hashes += result.hashes;
      const block = template.seal(result.proof, transactionsFor(profile, i), baseTime + i * 9.871 + (i % 1000) / 1e6);
      texts.push(writeJson(block.json));
      chain.add([block.json]);
      const now = performance.now();
      if (now - lastLog > 10_000) {
        lastLog = now;
        log(
          `  mined ${i}/${blocks} blocks in ${((now - started) / 1000).toFixed(0)} s (${(hashes / ((now - started) / 1000) / 1e6).toFixed(1)} M hashes/s)`,
        );
      }
    }
  } finally {
    await miner.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const file = chainFile(blocks, difficulty);
  mkdirSync(CACHE_DIR, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  // The node's own /chain format.
  writeFileSync(tmp, `{"chain":[${texts.join(',')}],"length":${texts.length}}`);
  renameSync(tmp, file);
  return { file, seconds, hashes };
}

/**
 * Returns the cached chain, mining it first if needed.
 * @returns {Promise<{ file: string, blocks: number, difficulty: number, cached: boolean, seconds: number, hashes: number }>}
 */
export async function ensureChain({
  blocks = DEFAULT_BLOCKS,
  difficulty = DEFAULT_DIFFICULTY,
  force = false,
  log = () => {},
} = {}) {
  const file = chainFile(blocks, difficulty);
  if (!force && existsSync(file)) return { file, blocks, difficulty, cached: true, seconds: 0, hashes: 0 };
  log(`mining a ${blocks}-block seed chain at difficulty ${difficulty} (~${blocks} x 16^${difficulty} hashes)...`);
  const built = await buildChain({ blocks, difficulty, log });
  log(
    `mined ${blocks} blocks in ${built.seconds.toFixed(1)} s (${(built.hashes / built.seconds / 1e6).toFixed(1)} M hashes/s) -> ${file}`,
  );
  return { file, blocks, difficulty, cached: false, seconds: built.seconds, hashes: built.hashes };
}

/** Parses `--name value` integer options. */
export function intArg(argv, name, fallback) {
  const k = argv.indexOf(name);
  if (k < 0) return fallback;
  const value = Number(argv[k + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} needs a positive integer`);
  return value;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const argv = process.argv.slice(2);
  const result = await ensureChain({
    blocks: intArg(argv, '--blocks', DEFAULT_BLOCKS),
    difficulty: intArg(argv, '--difficulty', DEFAULT_DIFFICULTY),
    force: argv.includes('--force'),
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify(result));
}
