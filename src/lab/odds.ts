/**
 * The closed forms the lab's simulations are checked against, and the statistics that put an interval
 * around a simulated rate. Pure arithmetic (no Node import): the explorer's lab page draws the same
 * curves with this module.
 *
 * Notation as in the papers: q is the attacker's share of the hash power, p = 1 - q the honest share;
 * z (Nakamoto) or n (Rosenfeld) the confirmations the merchant waits for, the payment's block being
 * the first. Derivations are in docs/lab.md.
 */

/** Who wins when both branches carry the same work. */
export type Tie = 'honest' | 'attacker';

function assertShare(q: number): void {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`an attacker share must be in [0, 1], got ${q}`);
}

function assertCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`${name} must be a whole number >= 0, got ${n}`);
}

/**
 * Nakamoto's probability that an attacker with share `q` ever catches up from `z` blocks behind,
 * exactly as the whitepaper's C function `AttackerSuccessProbability` computes it (section 11): the
 * attacker's progress while the honest chain finds z blocks is approximated by a Poisson variable of
 * mean z·q/p, and catching up from k behind has probability (q/p)^k.
 */
export function nakamoto(q: number, z: number): number {
  assertShare(q);
  assertCount('z', z);
  const p = 1 - q;
  // The paper's catch-up probability is 1 when q >= p (its C code assumes q < p and would exceed 1).
  if (q >= p) return 1;
  if (q === 0) return z === 0 ? 1 : 0;
  // The C code's 1 - sum(...) is rewritten as a sum of positive terms, P(K > z) plus
  // sum_{k<=z} P(K = k) (q/p)^(z-k), each Poisson term in logs: 1 - sum loses everything below
  // 1e-16 and exp(-lambda) underflows past lambda = 745, which long tables reach.
  const lambda = z * (q / p);
  const logRatio = Math.log(q / p);
  const logLambda = Math.log(lambda);
  let logTerm = -lambda; // log P(K = 0)
  let sum = 0;
  for (let k = 0; ; k++) {
    if (k > 0) logTerm += logLambda - Math.log(k);
    const term = Math.exp(k <= z ? logTerm + (z - k) * logRatio : logTerm);
    sum += term;
    if (k > z && k > lambda && term < sum * 1e-17) break;
  }
  return Math.min(1, sum);
}

/**
 * `log t[m]`, m = 0..upTo, where t[m] = P(the attacker has found exactly m blocks when the honest
 * network finds its n-th) = C(m+n-1, m) p^n q^m, the negative binomial law (Rosenfeld, section 3).
 * Built by its ratio t[m]/t[m-1] = q(m+n-1)/m, in logs so that p^n does not underflow.
 */
function logProgress(q: number, n: number, upTo: number): number[] {
  const p = 1 - q;
  const out: number[] = [];
  let lt = n === 0 ? 0 : n * Math.log(p);
  for (let m = 0; m <= upTo; m++) {
    if (m > 0) lt = n === 0 ? Number.NEGATIVE_INFINITY : lt + Math.log((q * (m + n - 1)) / m);
    out.push(lt);
  }
  return out;
}

/** `t[m]` of {@link logProgress}, as probabilities, m = 0..upTo. */
export function attackerProgress(q: number, n: number, upTo: number): number[] {
  return logProgress(q, n, upTo).map(Math.exp);
}

/**
 * The success probability of a double spend where the merchant ships after `n` honest blocks, the
 * attacker starts `bonus` blocks ahead and wins once strictly ahead, giving up `giveUp` behind:
 * P(M > n - bonus) + sum_{m <= n - bonus} t[m] raceWin(m + bonus - n), a sum of positive terms (no
 * 1 - sum, which would lose every value below 1e-16).
 */
function doubleSpendSum(q: number, n: number, bonus: number, giveUp: number): number {
  if (n - bonus < 0 || q === 1) return 1;
  if (q === 0) return 0;
  return raceSum(q, n, bonus, giveUp);
}

function raceSum(q: number, n: number, bonus: number, giveUp: number): number {
  const p = 1 - q;
  const last = n - bonus;
  const logRatio = Math.log(q / p);
  let lt = n === 0 ? 0 : n * Math.log(p);
  let sum = 0;
  const mean = (n * q) / p;
  for (let m = 0; ; m++) {
    if (m > 0) {
      if (n === 0) break;
      lt += Math.log((q * (m + n - 1)) / m);
    }
    const lead = m + bonus - n;
    let term: number;
    if (lead >= 1) term = Math.exp(lt);
    else if (!Number.isFinite(giveUp) && q < p) term = Math.exp(lt + (1 - lead) * logRatio);
    else term = Math.exp(lt) * raceWin(q, lead, giveUp);
    sum += term;
    if (m > last && m > mean && term < sum * 1e-17) break;
  }
  return Math.max(0, Math.min(1, sum));
}

/**
 * Rosenfeld's exact probability ("Analysis of hashrate-based double spending", 2014, eq. 1):
 * r = 1 - sum_{m=0}^{n} C(m+n-1, m) (p^n q^m - q^n p^m) for q < p, else 1. In his model the attacker
 * succeeds once its branch is as long as the honest one (a tie goes to the attacker). Computed as the
 * same sum of positive terms as {@link doubleSpendExact} with the tie to the attacker.
 */
export function rosenfeld(q: number, n: number): number {
  assertShare(q);
  assertCount('n', n);
  if (q >= 1 - q) return 1;
  return doubleSpendSum(q, n, 1, Number.POSITIVE_INFINITY);
}

/**
 * Probability that a race the attacker is `lead` blocks ahead in (negative: behind) ends with the
 * attacker strictly ahead (lead >= 1) before it falls `giveUp` blocks behind (lead <= -giveUp). Each
 * next block is the attacker's with probability q: the gambler's ruin. `giveUp` may be Infinity.
 */
export function raceWin(q: number, lead: number, giveUp: number): number {
  assertShare(q);
  if (lead >= 1) return 1;
  if (lead <= -giveUp) return 0;
  const p = 1 - q;
  if (!Number.isFinite(giveUp)) return q >= p ? 1 : (q / p) ** (1 - lead);
  // Start i steps above the losing end, win at N.
  const i = lead + giveUp;
  const N = 1 + giveUp;
  if (q === p) return i / N;
  if (q === 0) return 0;
  if (p === 0) return 1;
  const r = p / q;
  // (1 - r^i) / (1 - r^N), rewritten with r^-1 when r > 1 so nothing overflows.
  if (r > 1) return (r ** (i - N) * (1 - r ** -i)) / (1 - r ** -N);
  return (1 - r ** i) / (1 - r ** N);
}

/**
 * The exact success probability of the lab's double spend: the attacker starts its private branch
 * when the honest network starts on the payment's block, the merchant ships once the honest branch
 * has `n` blocks, and the attacker wins if its branch then ever has strictly more work than the
 * honest one, giving up `giveUp` blocks behind. A tie that goes to the attacker is the same race with
 * the attacker one block ahead from the start (how the lab runs it: a block mined in advance).
 */
export function doubleSpendExact(q: number, n: number, tie: Tie, giveUp = Number.POSITIVE_INFINITY): number {
  assertShare(q);
  assertCount('n', n);
  if (!(giveUp >= 1)) throw new RangeError(`giveUp must be >= 1, got ${giveUp}`);
  // m attacker blocks when the merchant ships: the lead is m + bonus - n; from m = n - bonus + 1 on
  // the attacker is ahead already and wins.
  return doubleSpendSum(q, n, tie === 'attacker' ? 1 : 0, giveUp);
}

/**
 * The least number of confirmations for which `probability(q, z)` is below `risk` (the
 * whitepaper's second table, for P < 0.001). Throws past `limit`.
 */
export function confirmationsFor(
  probability: (q: number, z: number) => number,
  q: number,
  risk: number,
  limit = 100_000,
): number {
  // Below 1e-15 the tables need tens of thousands of confirmations, each a long sum: refused.
  if (!(risk >= 1e-15 && risk < 1)) throw new RangeError(`risk must be from 1e-15 to 1, got ${risk}`);
  if (q >= 0.5) throw new RangeError('no number of confirmations is safe against half of the hash power or more');
  for (let z = 0; z <= limit; z++) if (probability(q, z) < risk) return z;
  throw new RangeError(`more than ${limit} confirmations needed`);
}

/**
 * Eyal and Sirer's relative revenue of a selfish pool of share `alpha` with tie-breaking advantage
 * `gamma` ("Majority is not enough", 2014, eq. 8), valid for alpha < 1/2.
 */
export function selfishShare(alpha: number, gamma: number): number {
  assertShare(alpha);
  assertShare(gamma);
  const a = alpha;
  return (a * (1 - a) ** 2 * (4 * a + gamma * (1 - 2 * a)) - a ** 3) / (1 - a * (1 + (2 - a) * a));
}

/** The least pool share for which selfish mining beats honest mining: (1 - gamma) / (3 - 2 gamma). */
export function selfishThreshold(gamma: number): number {
  assertShare(gamma);
  return (1 - gamma) / (3 - 2 * gamma);
}

/**
 * Expected block intervals (of the whole network) for an attacker of share q > 1/2 starting `depth`
 * blocks behind to get strictly ahead: a random walk with drift q - p = 2q - 1 a block, from -depth to
 * +1 (Wald's identity).
 */
export function majorityBlocks(q: number, depth: number): number {
  assertShare(q);
  assertCount('depth', depth);
  if (q <= 0.5) return Number.POSITIVE_INFINITY;
  return (depth + 1) / (2 * q - 1);
}

/** The whitepaper's own tables (section 11), as printed. */
export const WHITEPAPER = {
  /** q = 0.1, z = 0..10. */
  q10: [
    1.0, 0.2045873, 0.0509779, 0.0131722, 0.0034552, 0.0009137, 0.0002428, 0.0000647, 0.0000173, 0.0000046, 0.0000012,
  ],
  /** q = 0.3, z = 0, 5, ..., 50. */
  q30: [
    1.0, 0.1773523, 0.0416605, 0.0101008, 0.0024804, 0.0006132, 0.0001522, 0.0000379, 0.0000095, 0.0000024, 0.0000006,
  ],
  /** Solving for P < 0.001: [q, z]. */
  risk001: [
    [0.1, 5],
    [0.15, 8],
    [0.2, 11],
    [0.25, 15],
    [0.3, 24],
    [0.35, 41],
    [0.4, 89],
    [0.45, 340],
  ],
} as const;

/** The whitepaper's table cells: [q, z, printed]. */
export function whitepaperCells(): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const [z, v] of WHITEPAPER.q10.entries()) out.push([0.1, z, v]);
  for (const [k, v] of WHITEPAPER.q30.entries()) out.push([0.3, 5 * k, v]);
  return out;
}

/** The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`a quantile needs p in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const poly = (k: readonly number[], x: number): number => k.reduce((acc, v) => acc * x + v, 0);
  if (p < low) {
    const x = Math.sqrt(-2 * Math.log(p));
    return poly(c, x) / (poly(d, x) * x + 1);
  }
  if (p > 1 - low) {
    const x = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, x) / (poly(d, x) * x + 1);
  }
  const x = p - 0.5;
  const r = x * x;
  return (poly(a, r) * x) / (poly(b, r) * r + 1);
}

/** An interval. */
export interface Bounds {
  readonly low: number;
  readonly high: number;
  readonly confidence: number;
}

function zOf(confidence: number): number {
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return normalQuantile(1 - (1 - confidence) / 2);
}

/**
 * Wilson's score interval for a rate of `successes` in `trials`: unlike the normal approximation it
 * stays inside [0, 1] and is not empty at 0 successes, which rare events (a double spend against six
 * confirmations) need.
 */
export function wilsonInterval(successes: number, trials: number, confidence = 0.95): Bounds {
  if (!(trials > 0)) throw new RangeError('an interval needs at least one trial');
  const z = zOf(confidence);
  const phat = successes / trials;
  const z2 = z * z;
  const centre = (phat + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z / (1 + z2 / trials)) * Math.sqrt((phat * (1 - phat)) / trials + z2 / (4 * trials * trials));
  // At 0 or all successes one end is exactly 0 or 1 (the formula reaches it up to rounding).
  return {
    low: successes === 0 ? 0 : Math.max(0, centre - half),
    high: successes === trials ? 1 : Math.min(1, centre + half),
    confidence,
  };
}

/** Mean of `values` with its normal-approximation interval. */
export function meanInterval(values: readonly number[], confidence = 0.95): { mean: number } & Bounds {
  const n = values.length;
  if (n < 2) throw new RangeError('an interval needs at least two values');
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const half = zOf(confidence) * Math.sqrt(variance / n);
  return { mean, low: mean - half, high: mean + half, confidence };
}

/**
 * The ratio sum(x) / sum(y) over independent cycles (x_i, y_i) with its interval (the delta method:
 * the regenerative estimator of a long-run share, e.g. a pool's blocks over main-chain blocks, each
 * cycle ending when every node agrees again).
 */
export function ratioInterval(
  x: readonly number[],
  y: readonly number[],
  confidence = 0.95,
): { ratio: number } & Bounds {
  const n = x.length;
  if (n < 2 || y.length !== n) throw new RangeError('a ratio interval needs at least two paired cycles');
  const sx = x.reduce((s, v) => s + v, 0);
  const sy = y.reduce((s, v) => s + v, 0);
  if (sy <= 0) throw new RangeError('the denominator sums to 0');
  const ratio = sx / sy;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((x[i] as number) - ratio * (y[i] as number)) ** 2;
  const se = Math.sqrt(ss / (n - 1)) / ((sy / n) * Math.sqrt(n));
  const half = zOf(confidence) * se;
  // A share: the normal approximation may reach past [0, 1] on few or long cycles.
  return { ratio, low: Math.max(0, ratio - half), high: Math.min(1, ratio + half), confidence };
}
