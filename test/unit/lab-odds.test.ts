import { describe, expect, it } from 'vitest';
import {
  attackerProgress,
  confirmationsFor,
  doubleSpendExact,
  majorityBlocks,
  meanInterval,
  nakamoto,
  normalQuantile,
  raceWin,
  ratioInterval,
  rosenfeld,
  selfishShare,
  selfishThreshold,
  WHITEPAPER,
  whitepaperCells,
  wilsonInterval,
} from '../../src/lab/odds.js';
import { LabRandom } from '../../src/lab/random.js';

/**
 * The double spend's probability computed another way: the exact law of the whole game, step by
 * step, over the states (honest blocks, attacker blocks) before the merchant ships and the
 * attacker's lead after, until what is left undecided is below 1e-15.
 */
function bruteForce(q: number, n: number, tie: 'honest' | 'attacker', giveUp: number): number {
  const p = 1 - q;
  const bonus = tie === 'attacker' ? 1 : 0;
  let win = 0;
  // Before shipping: mass over attacker counts m for each honest count h.
  let before = new Map<number, number>([[0, 1]]);
  const leads = new Map<number, number>();
  const ship = (m: number, mass: number): void => {
    const lead = m + bonus - n;
    if (lead >= 1) win += mass;
    else if (lead > -giveUp) leads.set(lead, (leads.get(lead) ?? 0) + mass);
  };
  if (n === 0) ship(0, 1);
  else {
    for (let step = 0; step < 20_000 && before.size > 0; step++) {
      const next = new Map<number, number>();
      for (const [key, mass] of before) {
        const h = Math.floor(key / 100_000);
        const m = key % 100_000;
        // attacker block
        next.set(h * 100_000 + m + 1, (next.get(h * 100_000 + m + 1) ?? 0) + mass * q);
        // honest block
        if (h + 1 === n) ship(m, mass * p);
        else next.set((h + 1) * 100_000 + m, (next.get((h + 1) * 100_000 + m) ?? 0) + mass * p);
      }
      before = new Map([...next].filter(([, v]) => v > 1e-18));
    }
  }
  let walk = leads;
  for (let step = 0; step < 200_000; step++) {
    const next = new Map<number, number>();
    let left = 0;
    for (const [lead, mass] of walk) {
      if (lead + 1 >= 1) win += mass * q;
      else next.set(lead + 1, (next.get(lead + 1) ?? 0) + mass * q);
      if (lead - 1 > -giveUp) next.set(lead - 1, (next.get(lead - 1) ?? 0) + mass * p);
    }
    for (const v of next.values()) left += v;
    walk = next;
    if (left < 1e-15) break;
  }
  return win;
}

describe('Nakamoto (whitepaper section 11)', () => {
  it("reproduces the whitepaper's table for q = 0.1 and 0.3 to its 7 printed decimals", () => {
    const cells = whitepaperCells();
    expect(cells).toHaveLength(22);
    for (const [q, z, printed] of cells) expect(nakamoto(q, z).toFixed(7), `q=${q} z=${z}`).toBe(printed.toFixed(7));
  });

  it("reproduces the whitepaper's 'P < 0.001' table", () => {
    for (const [q, z] of WHITEPAPER.risk001) expect(confirmationsFor(nakamoto, q, 0.001)).toBe(z);
  });

  it('is 1 when the attacker has as much power as the honest network', () => {
    expect(nakamoto(0.5, 10)).toBe(1);
    expect(nakamoto(0.6, 1)).toBe(1);
  });
});

describe('Rosenfeld (2014)', () => {
  it('gives his published figures: 2q at one confirmation, 0.059% for q = 0.1 and n = 6', () => {
    expect(rosenfeld(0.1, 1)).toBeCloseTo(0.2, 12);
    expect(rosenfeld(0.25, 1)).toBeCloseTo(0.5, 12);
    expect(rosenfeld(0.1, 6)).toBeCloseTo(0.00059141216, 10);
    expect(rosenfeld(0.5, 6)).toBe(1);
  });

  it("is his formula as printed, and the lab's rule with the tie going to the attacker", () => {
    const binomial = (a: number, b: number): number => {
      let c = 1;
      for (let i = 1; i <= b; i++) c = (c * (a - b + i)) / i;
      return c;
    };
    for (const q of [0.05, 0.1, 0.2, 0.3, 0.45]) {
      const p = 1 - q;
      for (const n of [1, 2, 3, 6, 10, 30]) {
        let sum = 0;
        for (let m = 0; m <= n; m++) sum += binomial(m + n - 1, m) * (p ** n * q ** m - q ** n * p ** m);
        expect(rosenfeld(q, n), `q=${q} n=${n}`).toBeCloseTo(1 - sum, 12);
        expect(doubleSpendExact(q, n, 'attacker')).toBeCloseTo(rosenfeld(q, n), 12);
      }
    }
  });

  it('stays exact far in the tails, where 1 - sum would round to 0 or below', () => {
    // Positive everywhere and falling with z, far past exp(-lambda)'s underflow (lambda > 745).
    let previous = 1;
    for (const z of [100, 300, 900, 1000, 2000]) {
      const v = nakamoto(0.45, z);
      expect(v).toBeGreaterThan(0);
      expect(v).toBeLessThan(previous);
      previous = v;
    }
    expect(rosenfeld(0.3, 200)).toBeGreaterThan(0);
    expect(doubleSpendExact(0.45, 1500, 'honest')).toBeGreaterThan(0);
    expect(doubleSpendExact(0.45, 1500, 'honest')).toBeLessThan(rosenfeld(0.45, 1500));
    // Reference values computed with 60-digit arithmetic (mpmath): Nakamoto at q = 0.45 for 1e-9 is
    // first met at z = 1069; Rosenfeld at q = 0.05 for 1e-17 at 23.
    expect(confirmationsFor(nakamoto, 0.45, 1e-9)).toBe(1069);
    expect(confirmationsFor(nakamoto, 0.05, 1e-15)).toBeLessThan(25);
    expect(nakamoto(1e-19, 3)).toBeGreaterThanOrEqual(0);
  });
});

describe("the lab's exact probability", () => {
  it('agrees with the exact law of the game computed step by step, for both tie rules and give-up distances', () => {
    for (const tie of ['honest', 'attacker'] as const) {
      for (const [q, n, d] of [
        [0.1, 0, 5],
        [0.1, 1, 4],
        [0.1, 6, 10],
        [0.3, 2, 9],
        [0.3, 6, 20],
        [0.45, 3, 30],
        [0.6, 2, 6],
        [0.5, 2, 8],
      ] as const) {
        expect(doubleSpendExact(q, n, tie, d), `${tie} q=${q} n=${n} d=${d}`).toBeCloseTo(bruteForce(q, n, tie, d), 10);
      }
    }
  });

  it('is q/p with no confirmation when a tie goes to the honest branch, and below Rosenfeld otherwise', () => {
    expect(doubleSpendExact(0.1, 0, 'honest')).toBeCloseTo(0.1 / 0.9, 14);
    for (const n of [1, 2, 6]) expect(doubleSpendExact(0.3, n, 'honest')).toBeLessThan(rosenfeld(0.3, n));
  });

  it('falls as the attacker gives up sooner, and approaches the unbounded value', () => {
    const unbounded = doubleSpendExact(0.3, 3, 'honest');
    let previous = 0;
    for (const d of [2, 4, 8, 16, 32, 64]) {
      const v = doubleSpendExact(0.3, 3, 'honest', d);
      expect(v).toBeGreaterThan(previous);
      expect(v).toBeLessThanOrEqual(unbounded);
      previous = v;
    }
    expect(unbounded - previous).toBeLessThan(1e-12);
  });

  it('takes the whole negative binomial law (it sums to 1)', () => {
    const t = attackerProgress(0.3, 6, 400);
    expect(t.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
  });

  it('refuses nonsense', () => {
    expect(() => doubleSpendExact(1.5, 1, 'honest')).toThrow(RangeError);
    expect(() => doubleSpendExact(0.1, -1, 'honest')).toThrow(RangeError);
    expect(() => doubleSpendExact(0.1, 1.5, 'honest')).toThrow(RangeError);
    expect(() => doubleSpendExact(0.1, 1, 'honest', 0)).toThrow(RangeError);
    expect(() => confirmationsFor(nakamoto, 0.5, 0.001)).toThrow(RangeError);
  });
});

describe('the race (gambler ruin)', () => {
  it('is 1 ahead, 0 at the give-up line, (q/p)^(1-lead) with no line', () => {
    expect(raceWin(0.3, 1, 5)).toBe(1);
    expect(raceWin(0.3, -5, 5)).toBe(0);
    expect(raceWin(0.3, -2, Number.POSITIVE_INFINITY)).toBeCloseTo((0.3 / 0.7) ** 3, 14);
    expect(raceWin(0.5, 0, 3)).toBeCloseTo(3 / 4, 14);
    // A long line with r > 1 does not overflow.
    expect(raceWin(0.01, 0, 5000)).toBeCloseTo(0.01 / 0.99, 12);
  });
});

describe('selfish mining (Eyal and Sirer)', () => {
  it('pays exactly the pool share at the threshold, and the thresholds of the paper', () => {
    expect(selfishThreshold(0)).toBeCloseTo(1 / 3, 14);
    expect(selfishThreshold(0.5)).toBeCloseTo(1 / 4, 14);
    expect(selfishThreshold(1)).toBe(0);
    for (const gamma of [0, 0.25, 0.5, 0.75]) {
      const t = selfishThreshold(gamma);
      expect(selfishShare(t, gamma)).toBeCloseTo(t, 12);
      expect(selfishShare(t + 0.05, gamma)).toBeGreaterThan(t + 0.05);
      expect(selfishShare(Math.max(0.01, t - 0.05), gamma)).toBeLessThan(Math.max(0.01, t - 0.05));
    }
  });
});

describe('majority', () => {
  it('takes (depth + 1) / (2q - 1) blocks on average', () => {
    expect(majorityBlocks(0.75, 6)).toBeCloseTo(14, 12);
    expect(majorityBlocks(0.5, 6)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('intervals', () => {
  it('Wilson: inside [0, 1], not empty at 0 successes, the textbook values', () => {
    const zero = wilsonInterval(0, 100);
    expect(zero.low).toBe(0);
    expect(wilsonInterval(7, 7).high).toBe(1);
    expect(zero.high).toBeCloseTo(0.037, 3);
    const half = wilsonInterval(50, 100);
    expect(half.low).toBeCloseTo(0.4038, 4);
    expect(half.high).toBeCloseTo(0.5962, 4);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.005)).toBeCloseTo(-2.575829, 6);
  });

  it('covers the true rate about 95% of the time (seeded)', () => {
    const random = new LabRandom(9);
    let covered = 0;
    for (let run = 0; run < 2000; run++) {
      let s = 0;
      for (let k = 0; k < 200; k++) if (random.chance(0.05)) s++;
      const i = wilsonInterval(s, 200);
      if (0.05 >= i.low && 0.05 <= i.high) covered++;
    }
    expect(covered / 2000).toBeGreaterThan(0.93);
    expect(covered / 2000).toBeLessThan(0.975);
  });

  it('mean and ratio intervals', () => {
    const m = meanInterval([1, 2, 3, 4, 5]);
    expect(m.mean).toBe(3);
    expect(m.high - m.mean).toBeCloseTo(1.959964 * Math.sqrt(2.5 / 5), 5);
    const r = ratioInterval([1, 2, 3], [2, 4, 6]);
    expect(r.ratio).toBe(0.5);
    expect(r.high - r.low).toBeCloseTo(0, 12);
    expect(() => ratioInterval([1], [1])).toThrow(RangeError);
  });
});

describe('seeded randomness', () => {
  it('replays the same stream for the same seed, another for another seed, uniform and exponential', () => {
    const a = new LabRandom(42);
    const b = new LabRandom(42);
    const c = new LabRandom(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(xs);
    const r = new LabRandom(1);
    let sum = 0;
    let expSum = 0;
    let low = 1;
    let high = 0;
    for (let k = 0; k < 100_000; k++) {
      const u = r.next();
      low = Math.min(low, u);
      high = Math.max(high, u);
      sum += u;
      expSum += r.exponential(600);
    }
    expect(low).toBeGreaterThanOrEqual(0);
    expect(high).toBeLessThan(1);
    expect(sum / 100_000).toBeCloseTo(0.5, 2);
    expect(expSum / 100_000 / 600).toBeCloseTo(1, 1);
    expect(() => new LabRandom(-1)).toThrow(RangeError);
  });
});
