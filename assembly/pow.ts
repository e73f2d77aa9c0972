// Proof-of-work kernel (AssemblyScript -> WebAssembly SIMD): SHA-256 of
// `prefix || decimal(proof) || suffix` for 4 proofs at once (4 lanes of i32), returning the first
// proof whose digest starts with `difficulty` hex zeros.
//
// Layout of the work, and why:
// - The caller writes the padded message (1 to 3 blocks) with the decimal digits of the first proof.
//   All proofs of one call have the same number of digits (the caller splits ranges at powers of 10),
//   so the padding and the length never change within a call.
// - Proofs are taken in groups of 100 that share every digit but the last two. Within a group only
//   the word(s) holding those two digits change, so the rounds before that word are computed once per
//   group; the four lanes are the four consecutive values of the last two digits, read from a
//   per-group table with one v128 load. After a group the upper digits are incremented in place
//   (ASCII, with carry): no allocation, no number formatting per attempt.
// - Later blocks (master's message is two blocks) have a fixed message schedule: W+K is computed once
//   per call and only the rounds run per attempt.
// - Only the first digest word is needed to test difficulty <= 8 (the second for <= 16, ...).

import {
  compressFixed, compressFrom, ha, hb, hc, hd, he, hf, hg, hh, K,
  sa, sb, sc, sd, se, sf, sg, sh,
} from './sha256-unrolled.generated';

// Memory map (one 64 KiB page is plenty).
const MSG: usize = 0; // padded message from the block holding the digits, up to 5 blocks (320 bytes)
const TABLE1: usize = 512; // 100 x u32: contribution of the two last digits to word w1
const TABLE2: usize = 1024; // 100 x u32: ... to word w2 (when the digits straddle two words)
const WV: usize = 2048; // 16 x v128 message words of block 1 (per step)
const WK2: usize = 4096; // 64 x u32: W+K of block 2 (fixed per call)
const WK3: usize = 4352; // 64 x u32: W+K of block 3 (fixed per call)
const BASE: usize = 4608; // 16 x v128: block-1 words of the current group as splats
const WK4: usize = 5632; // 64 x u32: W+K of block 4 (fixed per call)
const WK5: usize = 5888; // 64 x u32: W+K of block 5 (fixed per call)
const STATE: usize = 6144; // 8 x u32: the state block 1 starts from (IV, or a midstate)



/** Address of the message buffer, for the caller to write into. */
export function messagePtr(): usize {
  return MSG;
}

/**
 * Address of the start state (8 u32): the caller writes the SHA-256 state after the message's
 * blocks that come before the digits (a ledger header's first block), or the IV.
 */
export function statePtr(): usize {
  return STATE;
}

@inline function bigEndianWord(ptr: usize): u32 {
  return bswap<u32>(load<u32>(ptr));
}

/** Scalar SHA-256 rounds [from, to) on `state` (8 x u32 at `st`) with words at `w` (u32 x 64). */
function scalarRounds(st: usize, w: usize, from: i32, to: i32): void {
  let a = load<u32>(st), b = load<u32>(st, 4), c = load<u32>(st, 8), d = load<u32>(st, 12);
  let e = load<u32>(st, 16), f = load<u32>(st, 20), g = load<u32>(st, 24), h = load<u32>(st, 28);
  for (let t = from; t < to; t++) {
    const s1 = rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25);
    const ch = (e & f) ^ (~e & g);
    const t1 = h + s1 + ch + unchecked(K[t]) + load<u32>(w + (<usize>t << 2));
    const s0 = rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22);
    const maj = (a & b) ^ (a & c) ^ (b & c);
    h = g; g = f; f = e; e = d + t1;
    d = c; c = b; b = a; a = t1 + s0 + maj;
  }
  store<u32>(st, a); store<u32>(st, b, 4); store<u32>(st, c, 8); store<u32>(st, d, 12);
  store<u32>(st, e, 16); store<u32>(st, f, 20); store<u32>(st, g, 24); store<u32>(st, h, 28);
}

const SCRATCH_W: usize = 5120; // 64 x u32 scalar schedule
const SCRATCH_ST: usize = 5376; // 8 x u32 scalar state

/** Expands 16 big-endian words at `block` into a 64-word schedule at `out`. */
function scalarSchedule(block: usize, out: usize): void {
  for (let t = 0; t < 16; t++) store<u32>(out + (<usize>t << 2), bigEndianWord(block + (<usize>t << 2)));
  for (let t = 16; t < 64; t++) {
    const w15 = load<u32>(out + (<usize>(t - 15) << 2));
    const w2 = load<u32>(out + (<usize>(t - 2) << 2));
    const s0 = rotr<u32>(w15, 7) ^ rotr<u32>(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr<u32>(w2, 17) ^ rotr<u32>(w2, 19) ^ (w2 >>> 10);
    store<u32>(out + (<usize>t << 2), load<u32>(out + (<usize>(t - 16) << 2)) + s0 + load<u32>(out + (<usize>(t - 7) << 2)) + s1);
  }
}

/** W+K of a fixed block, for the later blocks of a message. */
function fixedBlockWK(block: usize, out: usize): void {
  scalarSchedule(block, out);
  for (let t = 0; t < 64; t++) store<u32>(out + (<usize>t << 2), load<u32>(out + (<usize>t << 2)) + unchecked(K[t]));
}

/**
 * Scans `count` consecutive proofs starting at the one whose digits are in the message, and returns
 * the offset of the first valid one, or -1.
 *
 * @param blocks     message blocks from the one holding the digits (1..5); the digits must lie in
 *                   that first block, which starts from the state at STATE
 * @param digitPos   byte offset of the proof's first digit
 * @param digits     number of decimal digits of every proof in this call (>= 2)
 * @param count      proofs to scan (the caller keeps the range within one digit count)
 * @param difficulty leading hex zeros required (1..64)
 */
export function scan(blocks: i32, digitPos: i32, digits: i32, count: i32, difficulty: i32): i32 {
  const lastTwo = digitPos + digits - 2;
  const b1 = lastTwo;
  const b2 = lastTwo + 1;
  const w1 = b1 >> 2;
  const w2 = b2 >> 2;
  const shift1 = 24 - ((b1 & 3) << 3);
  const shift2 = 24 - ((b2 & 3) << 3);
  let low = (i32(load<u8>(MSG + b1)) - 48) * 10 + (i32(load<u8>(MSG + b2)) - 48);

  // Contribution of the last two digits (value v = 0..99) to words w1 and w2.
  for (let v = 0; v < 100; v++) {
    const tens = <u32>(48 + v / 10);
    const ones = <u32>(48 + v % 10);
    if (w1 == w2) {
      store<u32>(TABLE1 + (<usize>v << 2), (tens << shift1) | (ones << shift2));
      store<u32>(TABLE2 + (<usize>v << 2), 0);
    } else {
      store<u32>(TABLE1 + (<usize>v << 2), tens << shift1);
      store<u32>(TABLE2 + (<usize>v << 2), ones << shift2);
    }
  }
  if (blocks >= 2) fixedBlockWK(MSG + 64, WK2);
  if (blocks >= 3) fixedBlockWK(MSG + 128, WK3);
  if (blocks >= 4) fixedBlockWK(MSG + 192, WK4);
  if (blocks >= 5) fixedBlockWK(MSG + 256, WK5);
  // The start state, splat for the feed-forward of block 1.
  sa = i32x4.splat(load<u32>(STATE)); sb = i32x4.splat(load<u32>(STATE, 4));
  sc = i32x4.splat(load<u32>(STATE, 8)); sd = i32x4.splat(load<u32>(STATE, 12));
  se = i32x4.splat(load<u32>(STATE, 16)); sf = i32x4.splat(load<u32>(STATE, 20));
  sg = i32x4.splat(load<u32>(STATE, 24)); sh = i32x4.splat(load<u32>(STATE, 28));

  // Difficulty masks on digest words 0..7.
  const fullWords = difficulty >> 3; // words that must be all zero
  const partialBits = (difficulty & 7) << 2; // leading bits of the next word
  const mask0: u32 = fullWords >= 1 ? 0xffffffff : <u32>(0xffffffff << (32 - partialBits));

  let done = 0;
  while (done < count) {
    // Group template: the last two digits zeroed, the upper digits as they are now.
    store<u8>(MSG + b1, 0);
    store<u8>(MSG + b2, 0);
    scalarSchedule(MSG, SCRATCH_W);
    for (let t = 0; t < 16; t++) {
      v128.store(BASE + (<usize>t << 4), i32x4.splat(load<u32>(SCRATCH_W + (<usize>t << 2))));
    }
    // Rounds before word w1 do not depend on the changing digits: run them once, in scalar.
    memory.copy(SCRATCH_ST, STATE, 32);
    scalarRounds(SCRATCH_ST, SCRATCH_W, 0, w1);
    const pa = i32x4.splat(load<u32>(SCRATCH_ST)), pb = i32x4.splat(load<u32>(SCRATCH_ST, 4));
    const pc = i32x4.splat(load<u32>(SCRATCH_ST, 8)), pd = i32x4.splat(load<u32>(SCRATCH_ST, 12));
    const pe = i32x4.splat(load<u32>(SCRATCH_ST, 16)), pf = i32x4.splat(load<u32>(SCRATCH_ST, 20));
    const pg = i32x4.splat(load<u32>(SCRATCH_ST, 24)), ph = i32x4.splat(load<u32>(SCRATCH_ST, 28));

    for (let t = 0; t < 16; t++) v128.store(WV + (<usize>t << 4), v128.load(BASE + (<usize>t << 4)));
    const groupStart = done; // offset of proof with last two digits == low
    const startStep = low & ~3;
    for (let s = startStep; s < 100; s += 4) {
      if (groupStart + (s - low) >= count) break;
      // Message words of block 1 for the four lanes: only w1 (and w2) differ from the group's.
      v128.store(WV + (<usize>w1 << 4), v128.or(v128.load(BASE + (<usize>w1 << 4)), v128.load(TABLE1 + (<usize>s << 2))));
      if (w2 != w1) {
        v128.store(WV + (<usize>w2 << 4), v128.or(v128.load(BASE + (<usize>w2 << 4)), v128.load(TABLE2 + (<usize>s << 2))));
      }
      compressFrom(
        w1, pa, pb, pc, pd, pe, pf, pg, ph,
        v128.load(WV), v128.load(WV, 16), v128.load(WV, 32), v128.load(WV, 48),
        v128.load(WV, 64), v128.load(WV, 80), v128.load(WV, 96), v128.load(WV, 112),
        v128.load(WV, 128), v128.load(WV, 144), v128.load(WV, 160), v128.load(WV, 176),
        v128.load(WV, 192), v128.load(WV, 208), v128.load(WV, 224), v128.load(WV, 240),
      );
      if (blocks >= 2) compressFixed(WK2);
      if (blocks >= 3) compressFixed(WK3);
      if (blocks >= 4) compressFixed(WK4);
      if (blocks >= 5) compressFixed(WK5);

      // Test: word 0 under its mask (the common case), then the rest only if some lane passed.
      const zero0 = i32x4.eq(v128.and(ha, i32x4.splat(mask0)), i32x4.splat(0));
      if (v128.any_true(zero0)) {
        for (let lane = 0; lane < 4; lane++) {
          const v = s + lane;
          const offset = groupStart + (v - low);
          if (v < low || offset >= count) continue;
          if (laneMeets(lane, fullWords, partialBits)) {
            restoreDigits(b1, b2, v);
            return offset;
          }
        }
      }
    }
    done = groupStart + (100 - low);
    low = 0;
    if (done < count) incrementUpper(digitPos, digits - 2);
  }
  return -1;
}

/** Whether lane `lane` of the digest in ha..hh has `fullWords` zero words then `partialBits` zero bits. */
function laneMeets(lane: i32, fullWords: i32, partialBits: i32): bool {
  for (let k = 0; k < 8; k++) {
    const word = digestLane(k, lane);
    if (k < fullWords) {
      if (word != 0) return false;
      continue;
    }
    if (partialBits == 0) return true;
    return (word >>> (32 - partialBits)) == 0;
  }
  return true;
}

function digestLane(k: i32, lane: i32): u32 {
  const v = k == 0 ? ha : k == 1 ? hb : k == 2 ? hc : k == 3 ? hd : k == 4 ? he : k == 5 ? hf : k == 6 ? hg : hh;
  switch (lane) {
    case 0: return i32x4.extract_lane(v, 0);
    case 1: return i32x4.extract_lane(v, 1);
    case 2: return i32x4.extract_lane(v, 2);
    default: return i32x4.extract_lane(v, 3);
  }
}

/** Writes the two last digits of value `v` back (the message then holds the found proof). */
function restoreDigits(b1: i32, b2: i32, v: i32): void {
  store<u8>(MSG + b1, <u8>(48 + v / 10));
  store<u8>(MSG + b2, <u8>(48 + v % 10));
}

/** Adds one to the `n` ASCII digits at `pos` (the caller guarantees no overflow). */
function incrementUpper(pos: i32, n: i32): void {
  for (let k = pos + n - 1; k >= pos; k--) {
    const c = load<u8>(MSG + k);
    if (c < 57) {
      store<u8>(MSG + k, c + 1);
      return;
    }
    store<u8>(MSG + k, 48);
  }
}
