/**
 * ASERT difficulty (aserti3-2d, as Bitcoin Cash runs it; docs/ledger-protocol.md section 6): the
 * next target from the parent and a fixed anchor only, exponential in how far the chain is ahead of
 * or behind its schedule. Integer-only, so every implementation gets the same target bit for bit.
 */

/** The largest target (the easiest puzzle): 2^256 - 1. */
export const MAX_TARGET = (1n << 256n) - 1n;

/** What ASERT needs of the chain. */
export interface AsertInput {
  /** The anchor block's target (the ledger: its genesis' `initial_target`). */
  readonly anchorTarget: bigint;
  /** The anchor block's height and time (seconds). */
  readonly anchorHeight: number;
  readonly anchorTime: number;
  /** The parent of the block whose target is computed. */
  readonly parentHeight: number;
  readonly parentTime: number;
  /** Target seconds between blocks. */
  readonly blockTime: number;
  /** Seconds of schedule drift that double (or halve) the target. */
  readonly halfLife: number;
}

/** `a / b` rounded toward negative infinity (BigInt division truncates toward zero). */
function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

/** The target of the block after the parent, clamped to 1..{@link MAX_TARGET}. */
export function asertTarget(input: AsertInput): bigint {
  const { anchorTarget, blockTime, halfLife } = input;
  if (!(anchorTarget >= 1n && anchorTarget <= MAX_TARGET)) throw new RangeError('anchor target out of range');
  if (!Number.isSafeInteger(blockTime) || blockTime < 1) throw new RangeError('block time must be >= 1 s');
  if (!Number.isSafeInteger(halfLife) || halfLife < 1) throw new RangeError('half-life must be >= 1 s');
  const timeDiff = BigInt(input.parentTime - input.anchorTime);
  const heightDiff = BigInt(input.parentHeight - input.anchorHeight);
  // 16.16 fixed point: how many half-lives the parent is behind (positive) or ahead of its schedule.
  // The schedule is counted from the anchor's own time (Bitcoin Cash counts from the anchor's parent
  // and adds one block; the same schedule, one block shifted).
  const exponent = floorDiv((timeDiff - BigInt(blockTime) * heightDiff) * 65536n, BigInt(halfLife));
  const shifts = exponent >> 16n; // arithmetic: floors
  const frac = exponent & 0xffffn;
  // 2^(frac / 65536) * 65536, by the cubic approximation aserti3-2d specifies (error < 0.013%).
  const factor =
    65536n + ((195766423245049n * frac + 971821376n * frac * frac + 5127n * frac * frac * frac + (1n << 47n)) >> 48n);
  // Far off schedule (times an attacker chose) the result is a clamp: decided before a shift by up
  // to 2^30 bits is computed (Bitcoin Cash's implementation does the same).
  if (shifts > 256n) return MAX_TARGET;
  if (shifts < -256n) return 1n;
  let target = anchorTarget * factor;
  target = shifts < 0n ? target >> -shifts : target << shifts;
  target >>= 16n;
  if (target < 1n) return 1n;
  return target > MAX_TARGET ? MAX_TARGET : target;
}

/** A block's work: the expected hashes to meet `target`, `floor(2^256 / (target + 1))`. */
export function workOf(target: bigint): bigint {
  return (1n << 256n) / (target + 1n);
}
