/**
 * The ledger's retarget (docs/ledger-protocol.md section 6) as the profile runs it: `nextTarget`
 * (ASERT anchored at block 2, capped at 16 times the initial target) driven by simulated miners.
 * Block times are exponential, drawn from each block's target and the network's hash rate, with a
 * seeded generator, and averaged over 200 runs, so the figures are stable and the test cannot flake.
 *
 * The goal (issue "ledger profile"): after the hash rate jumps or drops 4x, the mean block time is
 * back within 15% of the target within 50 blocks. Measured, for a 10 s target (200 runs): at
 * equilibrium 10.02 s; blocks 51-100 after the change 9.74 s (4x up) and 10.00 s (4x down); blocks
 * 1-5 after it 2.73 s and 29.6 s, blocks 1-50 6.30 s and 14.03 s.
 */

import { describe, expect, it } from 'vitest';
import { asertTarget, MAX_TARGET, workOf } from '../../src/core/ledger/asert.js';
import type { LedgerHeader } from '../../src/core/ledger/codec.js';
import { makeHeader } from '../../src/core/ledger/codec.js';
import { type GenesisSpec, maxTargetOf, targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { medianTimePast, nextTarget } from '../../src/core/ledger/ledger-profile.js';
import { testGenesis } from '../support/ledger.js';
import { mulberry32 } from '../support/random.js';

/** A devnet-like network: a block every 10 s, half-life 100 s, about 2^32 hashes a block at the start. */
const SPEC: GenesisSpec = testGenesis([], {
  blockTime: 10,
  halfLife: 100,
  initialTarget: targetForExpectedHashes(1n << 32n),
});
/** The hash rate (hashes a second) at which the initial target gives one block per block time. */
const EQUILIBRIUM = Number(workOf(SPEC.initialTarget)) / SPEC.blockTime;

const header = (height: number, time: number): LedgerHeader =>
  makeHeader({ height, parent: '0'.repeat(64), merkle: '0'.repeat(64), time, target: 1n, nonce: 0 });

interface Run {
  /** Seconds each block 2, 3... took (real time, not the timestamps' differences). */
  readonly intervals: number[];
  /** Each block's target. */
  readonly targets: bigint[];
}

/**
 * Mines `blocks` blocks after the genesis at the hash rate `rate(k)` for block k (0: block 2). Each
 * block's time is exponential with mean work(target) / rate; its timestamp is the clock's second,
 * kept after the median of the last 11 as the node's template keeps it (rule L6).
 */
function simulate(seed: number, blocks: number, rate: (k: number) => number, spec = SPEC): Run {
  const random = mulberry32(seed);
  const headers: LedgerHeader[] = [header(1, spec.time)];
  const at = (h: number): LedgerHeader => headers[h - 1] as LedgerHeader;
  const view = {
    get height() {
      return headers.length;
    },
    header: at,
  };
  let clock = spec.time;
  const intervals: number[] = [];
  const targets: bigint[] = [];
  for (let k = 0; k < blocks; k++) {
    const target = nextTarget(spec, headers.length, at);
    const seconds = (-Math.log(1 - random()) * Number(workOf(target))) / rate(k);
    clock += seconds;
    const time = Math.max(Math.floor(clock), medianTimePast(view, at) + 1);
    headers.push(header(headers.length + 1, time));
    intervals.push(seconds);
    targets.push(target);
  }
  return { intervals, targets };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

const RUNS = 200;
const BEFORE = 100;

/**
 * 200 runs of 100 blocks at the equilibrium rate, then 100 at `factor` times it; returns the mean
 * block time over blocks `from`..`to` (1-based) after the change, for each window asked.
 */
function meansAfterChange(factor: number, windows: readonly (readonly [number, number])[]): number[] {
  const sums = windows.map(() => 0);
  for (let seed = 1; seed <= RUNS; seed++) {
    const run = simulate(seed, BEFORE + 100, (k) => (k < BEFORE ? EQUILIBRIUM : EQUILIBRIUM * factor));
    windows.forEach(([from, to], w) => {
      sums[w] = (sums[w] as number) + mean(run.intervals.slice(BEFORE + from - 1, BEFORE + to));
    });
  }
  return sums.map((sum) => sum / RUNS);
}

describe('ASERT in the profile (nextTarget), simulated', () => {
  it('keeps the block time at equilibrium', () => {
    const [got] = meansAfterChange(1, [[1, 100]]) as [number];
    expect(Math.abs(got / SPEC.blockTime - 1)).toBeLessThan(0.05);
  });

  it.each([
    ['jumps 4x', 4],
    ['drops 4x', 0.25],
  ])(
    'brings the mean block time back within 15 percent of target in 50 blocks after the hash rate %s',
    (_name, factor) => {
      const [first, recovered] = meansAfterChange(factor, [
        [1, 5],
        [51, 100],
      ]) as [number, number];
      expect(Math.abs(recovered / SPEC.blockTime - 1)).toBeLessThan(0.15);
      // And the first blocks after the change were far off: the change is real, the recovery is ASERT's.
      expect(Math.abs(first / SPEC.blockTime - 1)).toBeGreaterThan(0.5);
    },
  );
});

describe('the easiest target (maxTargetOf)', () => {
  it('is 16 times the initial target, at most 2^256 - 1', () => {
    expect(maxTargetOf(SPEC)).toBe(SPEC.initialTarget * 16n);
    expect(maxTargetOf({ ...SPEC, initialTarget: MAX_TARGET / 16n + 1n })).toBe(MAX_TARGET);
    expect(maxTargetOf({ ...SPEC, initialTarget: MAX_TARGET })).toBe(MAX_TARGET);
  });

  it('binds four half-lives behind schedule, not before', () => {
    const target = (behind: number): bigint => {
      const headers = [header(1, SPEC.time), header(2, SPEC.time + 50), header(3, SPEC.time + 60 + behind)];
      return nextTarget(SPEC, 3, (h) => headers[h - 1] as LedgerHeader);
    };
    expect(target(0)).toBe(SPEC.initialTarget);
    expect(target(SPEC.halfLife)).toBe(SPEC.initialTarget * 2n);
    expect(target(4 * SPEC.halfLife - 1)).toBeLessThan(maxTargetOf(SPEC));
    expect(target(4 * SPEC.halfLife)).toBe(maxTargetOf(SPEC));
    expect(target(1_000_000)).toBe(maxTargetOf(SPEC));
  });

  it('is as easy as an idle network gets: ASERT alone would go on easing', () => {
    // A network idle for a day: ASERT's own target is the largest there is, the profile's the cap.
    const headers = [header(1, SPEC.time), header(2, SPEC.time + 10), header(3, SPEC.time + 86_400)];
    const uncapped = asertTarget({
      anchorTarget: SPEC.initialTarget,
      anchorHeight: 2,
      anchorTime: SPEC.time + 10,
      parentHeight: 3,
      parentTime: SPEC.time + 86_400,
      blockTime: SPEC.blockTime,
      halfLife: SPEC.halfLife,
    });
    expect(uncapped).toBe(MAX_TARGET);
    expect(nextTarget(SPEC, 3, (h) => headers[h - 1] as LedgerHeader)).toBe(maxTargetOf(SPEC));
  });

  it('holds a network whose hash rate fell 100x at the cap, never past it, until it is back on schedule', () => {
    const cap = maxTargetOf(SPEC);
    // Blocks 2-21 at the equilibrium rate, 60 blocks at a hundredth of it, then the rate is back.
    const run = simulate(7, 700, (k) => (k < 20 || k >= 80 ? EQUILIBRIUM : EQUILIBRIUM / 100));
    expect(run.targets.every((t) => t <= cap)).toBe(true);
    expect(run.targets.slice(22, 80).every((t) => t === cap)).toBe(true);
    // At the cap the 100x weaker network takes 100/16 block times a block, not 100.
    const slow = mean(run.intervals.slice(22, 80)) / SPEC.blockTime;
    expect(slow).toBeGreaterThan(100 / 16 / 1.5);
    expect(slow).toBeLessThan((100 / 16) * 1.5);
    // The rate back, blocks come 16x fast while the chain is behind its schedule, then harden.
    const firstBelow = run.targets.findIndex((t, k) => k >= 80 && t < cap);
    expect(mean(run.intervals.slice(80, firstBelow))).toBeLessThan((SPEC.blockTime / 16) * 1.5);
    expect(firstBelow).toBeGreaterThan(300);
    expect(run.targets[699]).toBeLessThan(cap);
  });
});

describe('the anchor at block 2', () => {
  it('gives block 3 the initial target however late block 2 came after the genesis file', () => {
    const year = 365 * 86_400;
    const headers = [header(1, SPEC.time), header(2, SPEC.time + year)];
    const at = (h: number): LedgerHeader => headers[h - 1] as LedgerHeader;
    expect(nextTarget(SPEC, 1, at)).toBe(SPEC.initialTarget); // block 2
    expect(nextTarget(SPEC, 2, at)).toBe(SPEC.initialTarget); // block 3
    // Anchored at the genesis, the network would start a year behind its schedule: at ASERT's floor
    // (2^256 - 1, here), where every hash is a block, until it had mined a year of blocks.
    const fromGenesis = asertTarget({
      anchorTarget: SPEC.initialTarget,
      anchorHeight: 1,
      anchorTime: SPEC.time,
      parentHeight: 2,
      parentTime: SPEC.time + year,
      blockTime: SPEC.blockTime,
      halfLife: SPEC.halfLife,
    });
    expect(fromGenesis).toBe(MAX_TARGET);
  });

  it('counts the schedule from block 2: a parent on time keeps the initial target', () => {
    const headers = [header(1, SPEC.time), header(2, SPEC.time + 5_000)];
    for (let h = 3; h <= 30; h++) headers.push(header(h, SPEC.time + 5_000 + (h - 2) * SPEC.blockTime));
    for (let parent = 2; parent <= 30; parent++) {
      expect(nextTarget(SPEC, parent, (h) => headers[h - 1] as LedgerHeader)).toBe(SPEC.initialTarget);
    }
  });
});
