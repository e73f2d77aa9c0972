/**
 * The miner's hash-rate cap (`blockforge node --hashrate`): the limiter's rule on a simulated clock
 * (exact), then the real thread pool and the inline solver against the wall clock (a shared, noisy
 * machine: the upper bound is tight, the lower bound loose), and the flag's parser.
 */

import { InvalidArgumentError } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { hashrateOption } from '../../src/cli/options.js';
import { BlockforgeError } from '../../src/core/errors.js';
import { type PowChallenge, searchProof } from '../../src/core/pow.js';
import { HashRateLimiter, InlineSolver, type MiningProgress, ProofMiner } from '../../src/node/miner.js';
import { inProcessNode, WORKER_URL } from '../support/in-process.js';

const CAP = 2_000;

/** A difficulty-3 challenge whose smallest proof is between `low` and `high` (found by scanning). */
function challengeNeeding(low: number, high: number, salt: string): { challenge: PowChallenge; proof: number } {
  for (let k = 0; ; k++) {
    const challenge = { prefix: `${salt}-${k}`, suffix: '', difficulty: 3 };
    const { proof } = searchProof(challenge, 0, high);
    if (proof !== null && proof >= low) return { challenge, proof };
  }
}

/** Hashes in the busiest window of `windowMs` over `(time, hashes)` events. */
function busiestWindow(events: readonly { at: number; hashes: number }[], windowMs: number): number {
  let best = 0;
  let sum = 0;
  let first = 0;
  for (const event of events) {
    sum += event.hashes;
    while ((events[first] as { at: number }).at <= event.at - windowMs) {
      sum -= (events[first] as { hashes: number }).hashes;
      first++;
    }
    best = Math.max(best, sum);
  }
  return best;
}

describe('HashRateLimiter on a simulated clock', () => {
  it('starts at most the cap in any second, at the cap on average, timers late or not', () => {
    const limiter = new HashRateLimiter(CAP, 0);
    const size = limiter.chunkSize;
    expect(size).toBe(20); // 10 ms of hashing at 2,000/s
    const starts: { at: number; hashes: number }[] = [];
    let now = 0;
    let seed = 7;
    // A greedy dispatcher whose timers fire 0-4 ms late, with now and then a 60 ms stall.
    while (now < 20_000) {
      const wait = limiter.delay(size, now);
      if (wait > 0) {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        now += Math.ceil(wait) + (seed % 5) + (seed % 97 === 0 ? 60 : 0);
        continue;
      }
      limiter.take(size, now);
      starts.push({ at: now, hashes: size });
    }
    expect(busiestWindow(starts, 1000)).toBeLessThanOrEqual(CAP);
    const total = starts.reduce((sum, s) => sum + s.hashes, 0);
    // Lateness is made up for: 20 s at the cap, less only what the stalls cost beyond the catch-up.
    expect(total / 20).toBeGreaterThan(0.97 * CAP);
    expect(total / 20).toBeLessThanOrEqual(CAP);
  });

  it('does not save up a long pause into a burst', () => {
    const limiter = new HashRateLimiter(CAP, 0);
    limiter.take(limiter.chunkSize, 0);
    // Ten idle seconds later: a few chunks at once (the catch-up), then the pace again.
    let now = 10_000;
    let burst = 0;
    while (limiter.delay(limiter.chunkSize, now) === 0) {
      limiter.take(limiter.chunkSize, now);
      burst += limiter.chunkSize;
    }
    expect(burst).toBeLessThanOrEqual(0.05 * CAP + limiter.chunkSize);
    now += limiter.delay(limiter.chunkSize, now);
    expect(limiter.delay(limiter.chunkSize, now)).toBe(0);
  });

  it('gives chunks of one hash at tiny caps and refuses caps that are not whole positive numbers', () => {
    expect(new HashRateLimiter(3, 0).chunkSize).toBe(1);
    expect(new HashRateLimiter(50_000_000, 0, 131_072).chunkSize).toBe(131_072);
    for (const bad of [0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1e13]) {
      expect(() => new HashRateLimiter(bad, 0)).toThrow(BlockforgeError);
    }
    // The pool checks the cap before it starts any thread.
    expect(() => new ProofMiner({ threads: 1, workerUrl: WORKER_URL, hashrate: 0 })).toThrow(/hash rate cap/);
    expect(() => new InlineSolver({ hashrate: 2.5 })).toThrow(/hash rate cap/);
  });
});

describe('a capped ProofMiner', () => {
  const capped = new ProofMiner({ threads: 2, workerUrl: WORKER_URL, hashrate: CAP });
  const free = new ProofMiner({ threads: 2, workerUrl: WORKER_URL });
  afterAll(async () => {
    await capped.close();
    await free.close();
  });

  it('mines at the cap, never above it, and finds the smallest proof', async () => {
    expect(capped.hashrate).toBe(CAP);
    expect(free.hashrate).toBeNull();
    const { challenge, proof } = challengeNeeding(5_000, 7_000, 'pool');
    const found = await capped.search(challenge);
    expect(found.proof).toBe(proof);
    expect(found.tries).toBe(proof + 1);
    expect((await free.search(challenge)).proof).toBe(proof);
    // Over ~3 s: at most the cap (plus the first chunk and at most 50 ms of catch-up), at least 85% of it.
    expect(found.rate).toBeLessThanOrEqual(CAP * 1.03);
    expect(found.rate).toBeGreaterThan(CAP * 0.85);
    expect(capped.lastRate).toBe(found.rate);
  });

  it('holds the cap over every second-long window across back-to-back searches', async () => {
    const events: { at: number; hashes: number }[] = [];
    const started = performance.now();
    let total = 0;
    for (let k = 0; total < 3 * CAP; k++) {
      const { challenge, proof } = challengeNeeding(800, 2_500, `window-${k}`);
      let previous = 0;
      const found = await capped.search(challenge, {
        onProgress: (p: MiningProgress) => {
          events.push({ at: performance.now(), hashes: p.hashes - previous });
          previous = p.hashes;
        },
      });
      expect(found.proof).toBe(proof);
      total += found.hashes;
    }
    const seconds = (performance.now() - started) / 1000;
    // Events are chunk ends, a little after their starts: a chunk at either edge may fall inside.
    expect(busiestWindow(events, 1000)).toBeLessThanOrEqual(CAP + 2 * 20);
    expect(total / seconds).toBeLessThanOrEqual(CAP * 1.03);
    expect(total / seconds).toBeGreaterThan(CAP * 0.8);
  });

  it('leaves an uncapped search as fast as before', async () => {
    const { challenge, proof } = challengeNeeding(5_000, 7_000, 'fast');
    const found = await free.search(challenge);
    expect(found.proof).toBe(proof);
    // Thousands of hashes in far less than the capped second.
    expect(found.seconds).toBeLessThan(0.5);
  });
});

describe('a capped InlineSolver', () => {
  it('mines at the cap and finds the smallest proof', async () => {
    const { challenge, proof } = challengeNeeding(5_000, 7_000, 'inline');
    const solver = new InlineSolver({ hashrate: CAP });
    const found = await solver.search(challenge);
    expect(found.proof).toBe(proof);
    expect(found.rate).toBeLessThanOrEqual(CAP * 1.03);
    expect(found.rate).toBeGreaterThan(CAP * 0.85);
    expect(solver.hashrate).toBe(CAP);
    expect(new InlineSolver().hashrate).toBeNull();
  });
});

describe('--hashrate', () => {
  it('reads whole numbers and k, M, G suffixes', () => {
    expect(hashrateOption('2000')).toBe(2000);
    expect(hashrateOption('20k')).toBe(20_000);
    expect(hashrateOption('1.5M')).toBe(1_500_000);
    expect(hashrateOption('2G')).toBe(2_000_000_000);
  });

  it('refuses anything else with one line naming the flag', () => {
    for (const bad of ['0', '-5', '1.5', 'fast', '', '2m', '1e3', '20 k', '0.0001k', '2000G']) {
      expect(() => hashrateOption(bad)).toThrow(InvalidArgumentError);
      expect(() => hashrateOption(bad)).toThrow(/^--hashrate must be a whole number of hashes per second/);
    }
  });
});

describe('GET /mining', () => {
  it('shows the cap a node mines under, and null without one', async () => {
    const capped = await inProcessNode({ solver: new InlineSolver({ hashrate: 5000 }) });
    const free = await inProcessNode({ solver: new InlineSolver() });
    try {
      expect((await capped.app.inject({ url: '/mining' })).json()).toMatchObject({ hashrate: 5000 });
      expect((await free.app.inject({ url: '/mining' })).json()).toMatchObject({ hashrate: null });
    } finally {
      await capped.close();
      await free.close();
    }
  });
});
