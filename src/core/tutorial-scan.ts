/**
 * The tutorial profiles' one-pass chain scanner ({@link ChainTextScanner}): reads a `/chain` text
 * as bytes, writes each block's canonical text (`json.dumps(block, sort_keys=True)`) and each
 * proof-of-work message into two flat buffers as it goes, hashes them all in two batched calls,
 * then checks links and proofs on the digests. No JSON values, no Block objects, no strings per
 * block: where the general path spent its time (a CPU profile of verify: garbage collection, the
 * parser's objects, one hash call per message).
 *
 * It takes the shapes tutorial chains have (any key order, any JSON whitespace, senders and
 * recipients that are strings, amounts that are numbers) and is strict about everything else: on
 * anything it does not handle itself (`NaN`, a list as an amount, a `-0` proof, a key written with
 * an escape) or any broken rule it answers `null`, and the general path decides with the exact
 * error. Its verdicts are checked against the general path's in test/unit/chain-scan.test.ts.
 */

import { pyStringBody } from './canonical.js';
import type { ChainSegment, ChainTextScanner, HashBatch } from './chain-scan.js';
import { JsonNumber } from './json.js';

/** What the scanner needs of a tutorial profile (all data: see TutorialProfileSpec). */
export interface TutorialScanRules {
  /** Leading hex zeros of a proof-of-work digest. */
  readonly difficulty: number;
  /** Genesis `previous_hash`: the string `"1"` (master) or the int `1` (seed). */
  readonly genesisPreviousHash: { readonly isString: boolean; readonly text: string };
  /** Genesis `proof`, as text. */
  readonly genesisProofText: string;
  /** Whether the proof-of-work message ends with the previous block's hash (master). */
  readonly powIncludesPreviousHash: boolean;
  /** Sender of the reward transaction. */
  readonly rewardSender: string;
  /** Reward amount, as its canonical text. */
  readonly rewardAmountText: string;
}

/** Thrown inside the scan when it is not sure; caught at the top (never escapes). */
const NOT_SURE = Object.freeze({ notSure: true });

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const H_INDEX = ascii('{"index": ');
const H_PREV = ascii(', "previous_hash": ');
const H_PROOF = ascii(', "proof": ');
const H_TIME = ascii(', "timestamp": ');
const H_TXS = ascii(', "transactions": [');
const T_AMOUNT = ascii('{"amount": ');
const T_RECIPIENT = ascii(', "recipient": ');
const T_SENDER = ascii(', "sender": ');

// Keys, as the bytes between their quotes.
const K_INDEX = ascii('index');
const K_TIMESTAMP = ascii('timestamp');
const K_TRANSACTIONS = ascii('transactions');
const K_PROOF = ascii('proof');
const K_PREVIOUS_HASH = ascii('previous_hash');
const K_SENDER = ascii('sender');
const K_RECIPIENT = ascii('recipient');
const K_AMOUNT = ascii('amount');
const K_CHAIN = ascii('chain');
const K_LENGTH = ascii('length');
const BLOCK_KEYS = [K_INDEX, K_TIMESTAMP, K_TRANSACTIONS, K_PROOF, K_PREVIOUS_HASH];
const TX_KEYS = [K_SENDER, K_RECIPIENT, K_AMOUNT];
const ENVELOPE_KEYS = [K_CHAIN, K_LENGTH];

// Value kinds.
/** A string printed as-is (U+0020..U+007E but `"` and `\`): its bytes are its canonical body. */
const PLAIN = 1;
/** A string with escapes or non-ASCII: decoded, its canonical body in `text`. */
const ESCAPED = 2;
/** A number: its canonical (Python) text in `text`. */
const NUMBER = 3;

/** Bytes kept free before a block's transactions for its other fields (a usual block needs ~130). */
const TX_RESERVE = 256;

const HEX = ascii('0123456789abcdef');
/** Python refuses ints longer than this (see json.ts). */
const MAX_INT_DIGITS = 4300;

/** One captured value (a block field or a transaction field). */
class Slot {
  kind = 0;
  /** Input range: a PLAIN string's body, a number's source. */
  start = 0;
  end = 0;
  /** A NUMBER's canonical text; '' when its source digits are (plain digits). */
  text = '';
  isInt = false;
  /** A NUMBER read by `number` when its text had to be computed (its value is cached there). */
  number: JsonNumber | null = null;
  /** A NUMBER's value is finite. */
  finite = true;
  /** An ESCAPED string's canonical body: `body[0 .. length)`. */
  body: Uint8Array = new Uint8Array(64);
  length = 0;
}

/**
 * Writes code point `cp` at `at` as Python's ensure_ascii encoder does (`\"`, `\\`, the short
 * escapes, `\u00XX` for other controls and DEL, `\uXXXX` lowercase beyond ASCII, a surrogate
 * pair beyond U+FFFF); returns the end. `buffer` has 12 bytes free at `at`.
 */
function writeEscaped(buffer: Uint8Array, at: number, cp: number): number {
  if (cp >= 0x20 && cp < 0x7f) {
    if (cp === 0x22 || cp === 0x5c) buffer[at++] = 0x5c;
    buffer[at++] = cp;
    return at;
  }
  const short =
    cp === 0x0a ? 0x6e : cp === 0x0d ? 0x72 : cp === 0x09 ? 0x74 : cp === 0x08 ? 0x62 : cp === 0x0c ? 0x66 : 0;
  if (short !== 0) {
    buffer[at++] = 0x5c;
    buffer[at++] = short;
    return at;
  }
  if (cp >= 0x10000) {
    const v = cp - 0x10000;
    at = writeU(buffer, at, 0xd800 + (v >> 10));
    return writeU(buffer, at, 0xdc00 + (v & 0x3ff));
  }
  return writeU(buffer, at, cp);
}

function writeU(buffer: Uint8Array, at: number, unit: number): number {
  buffer[at] = 0x5c;
  buffer[at + 1] = 0x75;
  buffer[at + 2] = HEX[(unit >> 12) & 15] as number;
  buffer[at + 3] = HEX[(unit >> 8) & 15] as number;
  buffer[at + 4] = HEX[(unit >> 4) & 15] as number;
  buffer[at + 5] = HEX[unit & 15] as number;
  return at + 6;
}

/**
 * Copies the short constant `bytes` to `buffer` at `at`; returns the end. A loop: for 10-20 bytes
 * it is several times cheaper than a TypedArray `set` call (measured: the sets were ~7 ms of a
 * 10,000-block scan).
 */
function put(buffer: Uint8Array, at: number, bytes: Uint8Array): number {
  for (let k = 0; k < bytes.length; k++) buffer[at + k] = bytes[k] as number;
  return at + bytes.length;
}

function grow(buffer: Uint8Array, need: number): Uint8Array {
  if (need <= buffer.length) return buffer;
  const next = new Uint8Array(Math.max(need, buffer.length * 2));
  next.set(buffer);
  return next;
}

function growU32(buffer: Uint32Array, need: number): Uint32Array {
  if (need <= buffer.length) return buffer;
  const next = new Uint32Array(Math.max(need, buffer.length * 2));
  next.set(buffer);
  return next;
}

/** The scan of one chain text (single use). */
class Scan {
  private i = 0;
  /** Where the scan is in the text. */
  get position(): number {
    return this.i;
  }
  private readonly n: number;
  /** Canonical block texts, back to back. */
  private out: Uint8Array;
  private o = 0;
  /** The current block's transactions' canonical text: `out[txAt .. txAt + t)`. */
  private txAt = 0;
  private t = 0;
  private txCount = 0;
  /** Proof-of-work messages, back to back (block 2's first). */
  private pow: Uint8Array;
  private p = 0;
  private blockEnds: Uint32Array;
  private powEnds: Uint32Array;
  /** Input offset of each block's `previous_hash` body (blocks 2..): compared with the digests. */
  private prevAt: Uint32Array;
  /** Position of the last block read (or taken from a part). */
  count = 0;
  /** Blocks this scan read itself (not taken from parts). */
  own = 0;
  /** A part scan: it starts at a block inside the list and stops at `stopAt`. */
  private segment = false;
  private stopAt = -1;
  /** The chain list's closing bracket was read. */
  closed = false;
  /** A part's first block: where its previous_hash and proof are (checked by the main scan). */
  firstPrevAt = 0;
  firstProofStart = 0;
  firstProofEnd = 0;
  /** Parts scanned apart, in order, and those taken with the proof before each. */
  private parts: readonly ChainSegment[] = [];
  private nextPart = 0;
  private readonly boundaries: { part: ChainSegment; lastProofStart: number; lastProofEnd: number }[] = [];
  lastProofStart = 0;
  lastProofEnd = 0;
  // The last transaction of the current block: the reward rule reads it.
  private lastTxIsReward = false;

  // The current block's fields, and the current transaction's.
  private readonly index = new Slot();
  private readonly timestamp = new Slot();
  private readonly proof = new Slot();
  private readonly prev = new Slot();
  private readonly sender = new Slot();
  private readonly recipient = new Slot();
  private readonly amount = new Slot();

  /** Canonical bodies of the genesis' string previous_hash and of the reward's sender. */
  private readonly genesisBody: string;
  private readonly rewardBody: string;

  constructor(
    private readonly b: Uint8Array,
    private readonly rules: TutorialScanRules,
    /** Bytes this scan reads (a part reads less than the whole text): sizes its buffers. */
    span = b.length,
  ) {
    this.genesisBody = pyStringBody(rules.genesisPreviousHash.text);
    this.rewardBody = pyStringBody(rules.rewardSender);
    this.n = b.length;
    this.out = new Uint8Array(Math.floor(span * 1.125) + 4096);
    const blocks = Math.floor(span / 128) + 16;
    this.pow = new Uint8Array(blocks * 48);
    this.blockEnds = new Uint32Array(blocks);
    this.powEnds = new Uint32Array(blocks);
    this.prevAt = new Uint32Array(blocks);
  }

  // ---- lexing -----------------------------------------------------------------------------------

  private ws(): void {
    const b = this.b;
    let i = this.i;
    for (;;) {
      const c = b[i];
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  private expect(c: number): void {
    if (this.b[this.i] !== c) throw NOT_SURE;
    this.i++;
  }

  /** Reads a key (`"name"`, no escapes) and returns which of `names` it is. */
  private key(names: readonly Uint8Array[]): number {
    const b = this.b;
    this.ws();
    if (b[this.i] !== 0x22) throw NOT_SURE;
    const start = this.i + 1;
    // Each name compared in place, closing quote included: the key's bytes are read once.
    for (let k = 0; k < names.length; k++) {
      const name = names[k] as Uint8Array;
      const length = name.length;
      let j = 0;
      while (j < length && b[start + j] === name[j]) j++;
      if (j === length && b[start + length] === 0x22) {
        this.i = start + length + 1;
        this.ws();
        this.expect(0x3a);
        this.ws();
        return k;
      }
    }
    throw NOT_SURE;
  }

  /** Reads a string or a number into `slot`; anything else is not this scanner's. */
  private value(slot: Slot): void {
    const c = this.b[this.i];
    if (c === 0x22) this.string(slot);
    else if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) this.number(slot);
    else throw NOT_SURE;
  }

  private string(slot: Slot): void {
    const b = this.b;
    const n = this.n;
    let i = this.i + 1;
    const start = i;
    for (;;) {
      if (i >= n) throw NOT_SURE;
      const c = b[i] as number;
      if (c === 0x22) break;
      if (c < 0x20 || c > 0x7e || c === 0x5c) {
        this.escaped(slot, start);
        return;
      }
      i++;
    }
    this.i = i + 1;
    slot.kind = PLAIN;
    slot.start = start;
    slot.end = i;
  }

  /**
   * A string with escapes or non-ASCII characters, from `start` (after its opening quote): decoded
   * and written back as Python's `ensure_ascii` encoder prints it, into `slot.body`. Strict: a
   * malformed UTF-8 sequence, an unknown escape or any surrogate escape (lone or paired) is left to
   * the general parser.
   */
  private escaped(slot: Slot, start: number): void {
    const b = this.b;
    const n = this.n;
    let body = slot.body;
    let e = 0;
    let i = start;
    for (;;) {
      if (i >= n) throw NOT_SURE;
      if (e + 12 > body.length) body = slot.body = grow(body, e + 12);
      const c = b[i] as number;
      if (c === 0x22) break;
      if (c >= 0x20 && c < 0x7f && c !== 0x5c) {
        body[e++] = c;
        i++;
        continue;
      }
      let cp: number;
      if (c === 0x5c) {
        const d = b[i + 1];
        i += 2;
        if (d === 0x22 || d === 0x5c || d === 0x2f) cp = d;
        else if (d === 0x62) cp = 0x08;
        else if (d === 0x66) cp = 0x0c;
        else if (d === 0x6e) cp = 0x0a;
        else if (d === 0x72) cp = 0x0d;
        else if (d === 0x74) cp = 0x09;
        else if (d === 0x75) {
          cp = this.hex4(i);
          i += 4;
          if (cp >= 0xd800 && cp <= 0xdfff) {
            // Python writes a character past U+FFFF as an escaped surrogate pair: taken as one
            // code point. A lone surrogate is left to the general parser.
            if (cp > 0xdbff || b[i] !== 0x5c || b[i + 1] !== 0x75) throw NOT_SURE;
            const low = this.hex4(i + 2);
            if (low < 0xdc00 || low > 0xdfff) throw NOT_SURE;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
            i += 6;
          }
        } else throw NOT_SURE;
      } else if (c < 0x80) {
        // A raw control character is not JSON; DEL (0x7f) is escaped below, as Python does.
        if (c < 0x20) throw NOT_SURE;
        cp = c;
        i++;
      } else {
        // UTF-8, strictly (RFC 3629: no overlongs, no surrogates, at most U+10FFFF).
        const c1 = b[i + 1] ?? 0;
        if (c >= 0xc2 && c <= 0xdf) {
          if ((c1 & 0xc0) !== 0x80) throw NOT_SURE;
          cp = ((c & 0x1f) << 6) | (c1 & 0x3f);
          i += 2;
        } else if (c >= 0xe0 && c <= 0xef) {
          const c2 = b[i + 2] ?? 0;
          const low = c === 0xe0 ? 0xa0 : 0x80;
          const high = c === 0xed ? 0x9f : 0xbf;
          if (c1 < low || c1 > high || (c2 & 0xc0) !== 0x80) throw NOT_SURE;
          cp = ((c & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
          i += 3;
        } else if (c >= 0xf0 && c <= 0xf4) {
          const c2 = b[i + 2] ?? 0;
          const c3 = b[i + 3] ?? 0;
          const low = c === 0xf0 ? 0x90 : 0x80;
          const high = c === 0xf4 ? 0x8f : 0xbf;
          if (c1 < low || c1 > high || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) throw NOT_SURE;
          cp = ((c & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
          i += 4;
        } else throw NOT_SURE;
      }
      e = writeEscaped(body, e, cp);
    }
    this.i = i + 1;
    slot.kind = ESCAPED;
    slot.start = start;
    slot.end = i;
    slot.length = e;
  }

  /** The four hex digits at `at` (any case), as a number. */
  private hex4(at: number): number {
    let value = 0;
    for (let k = 0; k < 4; k++) {
      const h = this.b[at + k];
      const v =
        h === undefined
          ? -1
          : h >= 0x30 && h <= 0x39
            ? h - 0x30
            : h >= 0x61 && h <= 0x66
              ? h - 0x57
              : h >= 0x41 && h <= 0x46
                ? h - 0x37
                : -1;
      if (v < 0) throw NOT_SURE;
      value = value * 16 + v;
    }
    return value;
  }

  private number(slot: Slot): void {
    const b = this.b;
    const start = this.i;
    let i = start;
    if (b[i] === 0x2d) i++;
    const intStart = i;
    if (b[i] === 0x30) i++;
    else if (isDigit(b[i])) i = this.skipDigits(i + 1);
    else throw NOT_SURE;
    const intDigits = i - intStart;
    let isInt = true;
    let fractionStart = 0;
    if (b[i] === 0x2e) {
      isInt = false;
      if (!isDigit(b[i + 1])) throw NOT_SURE;
      fractionStart = i + 1;
      i = this.skipDigits(i + 2);
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      isInt = false;
      fractionStart = 0;
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      if (!isDigit(b[i])) throw NOT_SURE;
      i = this.skipDigits(i + 1);
    }
    this.i = i;
    if (i - start > MAX_INT_DIGITS) throw NOT_SURE;
    slot.kind = NUMBER;
    slot.start = start;
    slot.end = i;
    slot.isInt = isInt;
    slot.number = null;
    // Most numbers are their own Python text, decided from the bytes: an int (but `-0`), or a
    // float the general parser also keeps as written (json.ts isShortFloat). No string, no
    // JsonNumber, no dtoa for them (measured: numbers were a quarter of a scan's time).
    if (isInt) {
      slot.text = i - start === 2 && b[start] === 0x2d && b[start + 1] === 0x30 ? '0' : '';
      // Finite unless it has more digits than a double's range (then as Python reads it).
      slot.finite = intDigits <= 300 || Number.isFinite(Number(this.text(start, i)));
      return;
    }
    if (fractionStart > 0 && this.isShortFloat(intStart, intDigits, fractionStart, i)) {
      slot.text = '';
      slot.finite = true;
      return;
    }
    const number = JsonNumber.fromLiteral(this.text(start, i), false);
    slot.text = number.text;
    slot.number = number;
    slot.finite = Number.isFinite(number.toNumber());
  }

  /** json.ts's isShortFloat on the bytes: a float literal that is already Python's repr. */
  private isShortFloat(intStart: number, intDigits: number, fractionStart: number, end: number): boolean {
    const b = this.b;
    const fractionDigits = end - fractionStart;
    const last = b[end - 1];
    if (b[intStart] !== 0x30) {
      if (intDigits + fractionDigits > 15) return false;
      return last !== 0x30 || fractionDigits === 1;
    }
    if (last === 0x30) return false;
    let k = fractionStart;
    while (b[k] === 0x30) k++;
    return k - fractionStart <= 3 && end - k <= 15;
  }

  /** Whether a NUMBER slot's canonical text is `text`. */
  private numberIs(slot: Slot, text: string): boolean {
    return slot.text === '' ? this.sameDigits(slot, text) : slot.text === text;
  }

  /** Reads a non-negative int written with plain digits (no sign: `-0` is left to the general path). */
  private digits(slot: Slot): void {
    const b = this.b;
    const start = this.i;
    let i = start;
    if (b[i] === 0x30) i++;
    else if (isDigit(b[i])) i = this.skipDigits(i + 1);
    else throw NOT_SURE;
    const c = b[i];
    if (c === 0x2e || c === 0x65 || c === 0x45 || i - start > MAX_INT_DIGITS) throw NOT_SURE;
    this.i = i;
    slot.kind = NUMBER;
    slot.isInt = true;
    slot.start = start;
    slot.end = i;
    // Plain digits are their own canonical text: `put` copies the bytes.
    slot.text = '';
  }

  /** The value of a plain-digits slot (exact up to 2^53; only compared with small counts). */
  private digitsValue(slot: Slot): number {
    let v = 0;
    for (let k = slot.start; k < slot.end; k++) v = v * 10 + ((this.b[k] as number) - 0x30);
    return v;
  }

  /** The first offset at or after `i` that holds no ASCII digit. */
  private skipDigits(i: number): number {
    const b = this.b;
    while (isDigit(b[i])) i++;
    return i;
  }

  /** ASCII bytes `[start, end)` as a string. */
  private text(start: number, end: number): string {
    const b = this.b;
    if (end - start <= 24) {
      let s = '';
      for (let k = start; k < end; k++) s += String.fromCharCode(b[k] as number);
      return s;
    }
    return String.fromCharCode.apply(null, b.subarray(start, end) as unknown as number[]);
  }

  /** Whether a plain-digits slot's text is `text`. */
  private sameDigits(slot: Slot, text: string): boolean {
    if (slot.end - slot.start !== text.length) return false;
    for (let k = 0; k < text.length; k++) if (this.b[slot.start + k] !== text.charCodeAt(k)) return false;
    return true;
  }

  /** Whether string `slot`'s canonical body is `body` (canonical text is one-to-one: same string). */
  private sameBody(slot: Slot, body: string): boolean {
    if (slot.kind === ESCAPED) {
      if (slot.length !== body.length) return false;
      for (let k = 0; k < body.length; k++) if (slot.body[k] !== body.charCodeAt(k)) return false;
      return true;
    }
    if (slot.end - slot.start !== body.length) return false;
    for (let k = 0; k < body.length; k++) if (this.b[slot.start + k] !== body.charCodeAt(k)) return false;
    return true;
  }

  // ---- writing canonical text ---------------------------------------------------------------------

  /** Writes `slot`'s canonical text at `at` of `buffer` (sized by the caller); returns the end. */
  private put(buffer: Uint8Array, at: number, slot: Slot): number {
    const b = this.b;
    if (slot.kind === NUMBER && slot.text === '') {
      for (let k = slot.start; k < slot.end; k++) buffer[at++] = b[k] as number;
      return at;
    }
    if (slot.kind === PLAIN) {
      buffer[at++] = 0x22;
      const length = slot.end - slot.start;
      if (length > 32) buffer.set(b.subarray(slot.start, slot.end), at);
      else for (let k = 0; k < length; k++) buffer[at + k] = b[slot.start + k] as number;
      at += length;
      buffer[at++] = 0x22;
      return at;
    }
    if (slot.kind === ESCAPED) {
      buffer[at++] = 0x22;
      const body = slot.body;
      for (let k = 0; k < slot.length; k++) buffer[at++] = body[k] as number;
      buffer[at++] = 0x22;
      return at;
    }
    const text = slot.text;
    for (let k = 0; k < text.length; k++) buffer[at++] = text.charCodeAt(k);
    return at;
  }

  /** Bytes {@link put} writes for `slot` (at most). */
  private size(slot: Slot): number {
    if (slot.kind === ESCAPED) return slot.length + 2;
    return slot.kind === PLAIN || slot.text === '' ? slot.end - slot.start + 2 : slot.text.length;
  }

  // ---- structure ----------------------------------------------------------------------------------

  /** The whole text: `{"chain": [...], "length": n}` (either order) or a bare list. */
  run(): void {
    this.ws();
    const c = this.b[this.i];
    if (c === 0x5b) {
      this.blocks();
    } else if (c === 0x7b) {
      this.i++;
      let seen = 0;
      const lengthSlot = new Slot();
      for (;;) {
        const k = this.key(ENVELOPE_KEYS);
        if (seen & (1 << k)) throw NOT_SURE;
        seen |= 1 << k;
        if (k === 0) this.blocks();
        else {
          this.digits(lengthSlot);
        }
        this.ws();
        if (this.b[this.i] === 0x2c) {
          this.i++;
          continue;
        }
        this.expect(0x7d);
        break;
      }
      if (seen !== 3) throw NOT_SURE;
      if (lengthSlot.end - lengthSlot.start > 16 || this.digitsValue(lengthSlot) !== this.count) throw NOT_SURE;
    } else throw NOT_SURE;
    this.ws();
    if (this.i !== this.n) throw NOT_SURE;
    if (this.count === 0) throw NOT_SURE;
  }

  private blocks(): void {
    this.expect(0x5b);
    this.ws();
    if (this.b[this.i] === 0x5d) {
      this.i++;
      return;
    }
    this.blockList();
  }

  /**
   * The blocks of the chain list from here (a block's start) to its closing bracket. A part scan
   * stops at `stopAt` instead; the main scan takes each part scanned apart when it reaches the
   * part's start exactly (a real block boundary), and scans on by itself if it never does.
   */
  private blockList(): void {
    for (;;) {
      this.ws();
      const parts = this.parts;
      while (this.nextPart < parts.length) {
        const part = parts[this.nextPart] as ChainSegment;
        if (this.i > part.start) {
          this.nextPart = parts.length; // a start that is no block boundary: scan on alone
          break;
        }
        if (this.i < part.start) break;
        if (part.firstPosition !== this.count + 1) throw NOT_SURE;
        this.boundaries.push({ part, lastProofStart: this.lastProofStart, lastProofEnd: this.lastProofEnd });
        this.count = part.firstPosition + part.count - 1;
        this.lastProofStart = part.lastProofStart;
        this.lastProofEnd = part.lastProofEnd;
        this.i = part.end;
        this.nextPart++;
        if (part.closed) return;
      }
      if (this.segment && this.i === this.stopAt && this.own > 0) return;
      this.block(this.count + 1);
      this.ws();
      const c = this.b[this.i];
      if (c === 0x2c) {
        this.i++;
        continue;
      }
      this.expect(0x5d);
      this.closed = true;
      return;
    }
  }

  private block(position: number): void {
    // A main scan reads its own blocks only before the parts it takes: the checks at each cut
    // (finish) assume that order.
    if (this.boundaries.length > 0) throw NOT_SURE;
    this.expect(0x7b);
    const { index, timestamp, proof, prev } = this;
    let seen = 0;
    // The transactions are written straight into `out`, after room for the block's other fields
    // (which come first in canonical order), and moved into place at the end of the block.
    this.txAt = this.o + TX_RESERVE;
    this.t = 0;
    this.txCount = 0;
    this.lastTxIsReward = false;
    for (;;) {
      const k = this.key(BLOCK_KEYS);
      if (seen & (1 << k)) throw NOT_SURE;
      seen |= 1 << k;
      switch (k) {
        case 0:
          this.digits(index);
          break;
        case 1:
          this.number(timestamp);
          break;
        case 2:
          this.transactions();
          break;
        case 3:
          this.digits(proof);
          break;
        default:
          this.value(prev);
      }
      this.ws();
      if (this.b[this.i] === 0x2c) {
        this.i++;
        continue;
      }
      this.expect(0x7d);
      break;
    }
    if (seen !== 31) throw NOT_SURE;
    const rules = this.rules;
    // Rule "index sequence" (and "block shape": a positive integer of at most 16 digits).
    if (index.end - index.start > 16) throw NOT_SURE;
    if (this.segment && this.own === 0) {
      // A part of the chain scanned apart: its first block's index says where it is (the main
      // scan checks that against its own count when it takes the part).
      position = this.digitsValue(index);
      if (position < 1) throw NOT_SURE;
    } else if (this.digitsValue(index) !== position) throw NOT_SURE;
    const j = this.own;
    // Rule "block shape": a finite timestamp.
    if (!timestamp.finite) throw NOT_SURE;
    if (position === 1) {
      // Rule "genesis".
      const g = rules.genesisPreviousHash;
      const prevOk = g.isString
        ? prev.kind !== NUMBER && this.sameBody(prev, this.genesisBody)
        : prev.kind === NUMBER && prev.isInt && this.numberIs(prev, g.text);
      if (!prevOk || !this.sameDigits(proof, rules.genesisProofText) || this.txCount !== 0) throw NOT_SURE;
    } else {
      // Rules "link" and "proof of work" are checked on the digests; here what they need.
      if (prev.kind !== PLAIN || prev.end - prev.start !== 64) throw NOT_SURE;
      // Rule "reward".
      if (!this.lastTxIsReward) throw NOT_SURE;
      if (j === 0) {
        // A part's first block: its link and proof of work need the block before, which the
        // main scan has; they are checked there. (A main scan's first block is the genesis.)
        if (!this.segment) throw NOT_SURE;
        this.firstPrevAt = prev.start;
        this.firstProofStart = proof.start;
        this.firstProofEnd = proof.end;
      } else {
        if (j > this.prevAt.length) {
          this.prevAt = growU32(this.prevAt, j);
          this.powEnds = growU32(this.powEnds, j);
        }
        this.prevAt[j - 1] = prev.start;
        const proofLength = proof.end - proof.start;
        const lastLength = this.lastProofEnd - this.lastProofStart;
        this.pow = grow(this.pow, this.p + lastLength + proofLength + 64);
        const pow = this.pow;
        const b = this.b;
        let p = this.p;
        for (let k = this.lastProofStart; k < this.lastProofEnd; k++) pow[p++] = b[k] as number;
        for (let k = proof.start; k < proof.end; k++) pow[p++] = b[k] as number;
        if (rules.powIncludesPreviousHash) for (let k = prev.start; k < prev.end; k++) pow[p++] = b[k] as number;
        this.p = p;
        this.powEnds[j - 1] = p;
      }
    }
    this.lastProofStart = proof.start;
    this.lastProofEnd = proof.end;
    // The block's canonical text: keys sorted.
    const header = 96 + (index.end - index.start) + this.size(prev) + (proof.end - proof.start) + this.size(timestamp);
    const t = this.t;
    let txAt = this.txAt;
    if (this.o + header > txAt) {
      // Fields longer than the room left: the transactions move right first.
      this.out = grow(this.out, this.o + header + t + 2);
      this.out.copyWithin(this.o + header, txAt, txAt + t);
      txAt = this.o + header;
    }
    const out = this.out;
    let o = this.o;
    o = put(out, o, H_INDEX);
    o = this.put(out, o, index);
    o = put(out, o, H_PREV);
    o = this.put(out, o, prev);
    o = put(out, o, H_PROOF);
    o = this.put(out, o, proof);
    o = put(out, o, H_TIME);
    o = this.put(out, o, timestamp);
    o = put(out, o, H_TXS);
    if (t > 0) {
      out.copyWithin(o, txAt, txAt + t);
      o += t;
    }
    out[o++] = 0x5d;
    out[o++] = 0x7d;
    this.o = o;
    if (j >= this.blockEnds.length) this.blockEnds = growU32(this.blockEnds, j + 1);
    this.blockEnds[j] = o;
    this.own = j + 1;
    this.count = position;
  }

  private transactions(): void {
    this.expect(0x5b);
    this.ws();
    if (this.b[this.i] === 0x5d) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      this.transaction();
      this.ws();
      const c = this.b[this.i];
      if (c === 0x2c) {
        this.i++;
        continue;
      }
      this.expect(0x5d);
      return;
    }
  }

  private transaction(): void {
    this.expect(0x7b);
    const { sender, recipient, amount } = this;
    let seen = 0;
    for (;;) {
      const k = this.key(TX_KEYS);
      if (seen & (1 << k)) throw NOT_SURE;
      seen |= 1 << k;
      this.value(k === 0 ? sender : k === 1 ? recipient : amount);
      this.ws();
      if (this.b[this.i] === 0x2c) {
        this.i++;
        continue;
      }
      this.expect(0x7d);
      break;
    }
    if (seen !== 7) throw NOT_SURE;
    const at = this.txAt;
    this.out = grow(this.out, at + this.t + 48 + this.size(amount) + this.size(recipient) + this.size(sender));
    const tx = this.out;
    let t = at + this.t;
    if (this.txCount > 0) {
      tx[t++] = 0x2c;
      tx[t++] = 0x20;
    }
    t = put(tx, t, T_AMOUNT);
    t = this.put(tx, t, amount);
    t = put(tx, t, T_RECIPIENT);
    t = this.put(tx, t, recipient);
    t = put(tx, t, T_SENDER);
    t = this.put(tx, t, sender);
    tx[t++] = 0x7d;
    this.t = t - at;
    this.txCount++;
    const rules = this.rules;
    this.lastTxIsReward =
      sender.kind !== NUMBER &&
      this.sameBody(sender, this.rewardBody) &&
      recipient.kind !== NUMBER &&
      amount.kind === NUMBER &&
      this.numberIs(amount, rules.rewardAmountText);
  }

  // ---- the rules on digests -----------------------------------------------------------------------

  /** Hashes this scan's own blocks, checks links and proofs (those at parts' starts too); returns the tip's hash. */
  finish(hashBatch: HashBatch): string {
    const own = this.own;
    const boundaries = this.boundaries;
    if (own === 0 && boundaries.length === 0) throw NOT_SURE;
    let tip = '';
    if (own > 0) {
      const digests = new Uint8Array(32 * own);
      hashBatch(this.out.subarray(0, this.o), this.blockEnds.subarray(0, own), digests);
      const powDigests = new Uint8Array(32 * (own - 1));
      if (own > 1) hashBatch(this.pow.subarray(0, this.p), this.powEnds.subarray(0, own - 1), powDigests);
      for (let k = 1; k < own; k++) {
        // Rule "link": the next block's previous_hash is this block's hash, in lowercase hex.
        if (!this.names(this.prevAt[k - 1] as number, digests, 32 * (k - 1))) throw NOT_SURE;
        // Rule "proof of work": `difficulty` leading hex zeros.
        if (!this.enoughZeros(powDigests, 32 * (k - 1))) throw NOT_SURE;
      }
      tip = hex(digests, 32 * (own - 1));
    }
    if (boundaries.length > 0) {
      // Each part's first block against the block before it (the last of the part before); a
      // part that starts at the genesis has none.
      const b = this.b;
      const messages: number[] = [];
      const ends: number[] = [];
      for (const { part, lastProofStart, lastProofEnd } of boundaries) {
        if (part.firstPosition > 1) {
          for (let x = 0; x < 64; x++) if (b[part.firstPrevAt + x] !== tip.charCodeAt(x)) throw NOT_SURE;
          for (let x = lastProofStart; x < lastProofEnd; x++) messages.push(b[x] as number);
          for (let x = part.firstProofStart; x < part.firstProofEnd; x++) messages.push(b[x] as number);
          if (this.rules.powIncludesPreviousHash) for (let x = 0; x < 64; x++) messages.push(tip.charCodeAt(x));
          ends.push(messages.length);
        }
        tip = part.tipHash;
      }
      const boundaryDigests = new Uint8Array(32 * ends.length);
      if (ends.length > 0) hashBatch(Uint8Array.from(messages), Uint32Array.from(ends), boundaryDigests);
      for (let k = 0; k < ends.length; k++) if (!this.enoughZeros(boundaryDigests, 32 * k)) throw NOT_SURE;
    }
    return tip;
  }

  /** Whether the 64 bytes at `at` are the lowercase hex of `digests[d .. d+32)`. */
  private names(at: number, digests: Uint8Array, d: number): boolean {
    const b = this.b;
    for (let j = 0; j < 32; j++) {
      const byte = digests[d + j] as number;
      if (b[at + 2 * j] !== HEX[byte >> 4] || b[at + 2 * j + 1] !== HEX[byte & 15]) return false;
    }
    return true;
  }

  /** Whether the digest at `digests[w ..]` has the profile's leading hex zeros. */
  private enoughZeros(digests: Uint8Array, w: number): boolean {
    const difficulty = this.rules.difficulty;
    const fullBytes = difficulty >> 1;
    for (let j = 0; j < fullBytes; j++) if (digests[w + j] !== 0) return false;
    return (difficulty & 1) === 0 || (digests[w + fullBytes] as number) >> 4 === 0;
  }

  /** Scans the blocks from `start` (a block's `{` inside the chain list) up to `stopAt` or the list's end. */
  runPart(start: number, stopAt: number): void {
    this.segment = true;
    this.stopAt = stopAt;
    this.i = start;
    this.blockList();
    if (!this.closed && this.i !== stopAt) throw NOT_SURE;
  }

  /** Takes `parts` (scanned apart, in order) when the scan reaches their starts. */
  useParts(parts: readonly ChainSegment[]): void {
    this.parts = parts;
  }
}

/** Lowercase hex of `digests[d .. d+32)`. */
function hex(digests: Uint8Array, d: number): string {
  let out = '';
  for (let j = 0; j < 32; j++) {
    const byte = digests[d + j] as number;
    out += String.fromCharCode(HEX[byte >> 4] as number, HEX[byte & 15] as number);
  }
  return out;
}

/** The scanner for a tutorial profile with `rules`. */
export function tutorialChainScanner(rules: TutorialScanRules): ChainTextScanner {
  return {
    scanChainText(bytes, hashBatch, parts = []) {
      try {
        // With parts, this scan reads only what is before the first (usually nothing).
        const scan = new Scan(bytes, rules, parts.length > 0 ? (parts[0] as ChainSegment).start : bytes.length);
        scan.useParts(parts);
        scan.run();
        const tipHash = scan.finish(hashBatch);
        return { length: scan.count, tipHash };
      } catch {
        // NOT_SURE, or anything unforeseen (an allocation refused for a huge text): the general
        // path decides, so no verdict can come from a failure here.
        return null;
      }
    },

    scanChainPart(bytes, start, stopAt, hashBatch) {
      try {
        const scan = new Scan(bytes, rules, stopAt - start);
        scan.runPart(start, stopAt);
        const tipHash = scan.finish(hashBatch);
        return {
          start,
          end: scan.closed ? scanEnd(scan) : stopAt,
          closed: scan.closed,
          firstPosition: scan.count - scan.own + 1,
          count: scan.own,
          firstPrevAt: scan.firstPrevAt,
          firstProofStart: scan.firstProofStart,
          firstProofEnd: scan.firstProofEnd,
          lastProofStart: scan.lastProofStart,
          lastProofEnd: scan.lastProofEnd,
          tipHash,
        };
      } catch {
        return null;
      }
    },

    partStartNear(bytes, from) {
      return from <= 0 ? firstBlockAt(bytes) : blockStartNear(bytes, from);
    },
  };
}

function scanEnd(scan: Scan): number {
  return scan.position;
}

const INDEX_KEY = ascii('"index"');

/**
 * The first offset at or after `from` that looks like the start of a block inside the chain list
 * (`{`, whitespace, `"index"`, after a `,` and whitespace), or -1. Only a guess: a string may hold
 * the same bytes, and then the main scan never meets this offset at a block boundary and scans on
 * by itself.
 */
function blockStartNear(bytes: Uint8Array, from: number): number {
  const n = bytes.length;
  for (let i = Math.max(0, from); i + INDEX_KEY.length < n; i++) {
    if (bytes[i] !== 0x7b) continue;
    let k = i + 1;
    while (isWs(bytes[k])) k++;
    let same = true;
    for (let j = 0; j < INDEX_KEY.length; j++) {
      if (bytes[k + j] !== INDEX_KEY[j]) {
        same = false;
        break;
      }
    }
    if (!same) continue;
    let back = i - 1;
    while (back >= 0 && isWs(bytes[back])) back--;
    if (bytes[back] === 0x2c) return i;
  }
  return -1;
}

/**
 * Where the first block of a chain text is: after `[` (a bare list) or `{"chain": [` (the
 * envelope with `chain` first, as Flask and blockforge write it); -1 otherwise.
 */
function firstBlockAt(bytes: Uint8Array): number {
  let i = 0;
  const skip = (): void => {
    while (isWs(bytes[i])) i++;
  };
  skip();
  if (bytes[i] === 0x7b) {
    i++;
    skip();
    for (let j = 0; j < K_CHAIN_KEY.length; j++) if (bytes[i + j] !== K_CHAIN_KEY[j]) return -1;
    i += K_CHAIN_KEY.length;
    skip();
    if (bytes[i] !== 0x3a) return -1;
    i++;
    skip();
  }
  if (bytes[i] !== 0x5b) return -1;
  i++;
  skip();
  return bytes[i] === 0x7b ? i : -1;
}

const K_CHAIN_KEY = ascii('"chain"');

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
