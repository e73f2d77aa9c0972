/**
 * Ed25519 verification at OpenSSL's speed with noble-strict's verdicts. OpenSSL (node:crypto)
 * verifies about 10x faster than `@noble/curves` here (bench/ed25519.mjs: ~9,000/s against ~850/s
 * on one core), but the two disagree on crafted signatures: OpenSSL accepts small-order public keys,
 * and refuses some signatures with a small-order part in R or A that noble's cofactored check
 * accepts. A consensus rule must give one verdict on every node and in the browser (which runs
 * noble), so: a key that noble would refuse outright (non-canonical y, or the y of a small-order
 * point) is refused; OpenSSL's accept is then noble's accept; OpenSSL's refusal goes to noble.
 * test/unit/ed25519-agreement.test.ts checks this against the published edge cases.
 *
 * In front of it, the process's signature cache (as Bitcoin Core's sigcache): the signature pool
 * (signature-pool.ts) verifies a page's signatures on every core ahead of validation and records
 * the valid ones here, and the verifier the node gives the ledger profile (`verifySignatureFast`)
 * answers from it, so that validation, synchronous and in the core, stays what it was.
 */

import { createPublicKey, hash, verify as opensslVerify, randomBytes } from 'node:crypto';
import { verifySignature as nobleVerify } from '../core/ledger/keys.js';

/** p = 2^255 - 19, little endian. */
const P_LE = Buffer.from('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex');

/**
 * The y coordinates (little endian) of the 8 points of small order: the 5 values of y they have.
 * With either sign bit, each encodes a small-order point or a non-canonical "negative zero".
 */
const SMALL_ORDER_Y = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000', // identity
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // (0, -1), order 2
  '0000000000000000000000000000000000000000000000000000000000000000', // (+-sqrt(-1), 0), order 4
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
]);

/** Whether noble-strict could accept anything under `publicKey`: y canonical (< p) and not small order. */
export function publicKeyPasses(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 32) return false;
  const y = Buffer.from(publicKey);
  y[31] = (y[31] as number) & 0x7f;
  for (let k = 31; k >= 0; k--) {
    const a = y[k] as number;
    const p = P_LE[k] as number;
    if (a !== p) {
      if (a > p) return false;
      break;
    }
    if (k === 0) return false; // y = p
  }
  return !SMALL_ORDER_Y.has(y.toString('hex'));
}

/**
 * noble-strict's verdict on `signature` of `message` by `publicKey`, through OpenSSL where it
 * accepts (the common case: honest signatures), through noble where it refuses. No cache: what the
 * signature pool's threads run, and the single-thread rate bench/ledger.mjs divides by.
 */
export function verifySignatureUncached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || !publicKeyPasses(publicKey)) return false;
  try {
    // A JWK import costs ~6 us, a DER one ~75 us (bench/ed25519.mjs): keys are not worth caching.
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') },
      format: 'jwk',
    });
    if (opensslVerify(null, message, key, signature)) return true;
  } catch {
    // A key OpenSSL cannot import: noble decides.
  }
  return nobleVerify(signature, message, publicKey);
}

/**
 * noble-strict's verdict on `signature` of `message` by `publicKey`: `true` at once when the
 * process's signature cache ({@link sharedSignatureCache}) holds the triple (the signature pool put
 * it there, having verified it on another thread ahead of validation); the pool's verdict when the
 * triple is in a batch the pool is verifying now (waiting for it if a worker is on it, or taking it
 * if none has started it); else {@link verifySignatureUncached}. The cache and the pool hold only
 * verdicts of that same function, so the verdict is the same either way. The node gives this
 * function to the ledger profile.
 */
export function verifySignatureFast(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  const cache = sharedSignatureCache;
  if (signature.length === 64 && publicKey.length === 32) {
    // In flight first: found by the signature's bytes and compared whole, no hash to compute.
    const flight = cache.tracking > 0 ? cache.flightOf(signature, message, publicKey) : undefined;
    if (flight) return verdictInFlight(flight, () => verifySignatureUncached(signature, message, publicKey));
    const key = signatureCacheKey(cache.salt, signature, message, publicKey);
    if (cache.size > 0 && cache.has(key)) return true;
    // A valid signature checked here (a payment entering the mempool) is remembered: its block is
    // then validated without checking it again (one SHA-256 of the triple against a verify).
    const valid = verifySignatureUncached(signature, message, publicKey);
    if (valid) cache.add(key);
    return valid;
  }
  return verifySignatureUncached(signature, message, publicKey);
}

/** A check's state in a pool batch (an Int32Array in shared memory): not started. */
export const CHECK_PENDING = 0;
/** Verified: valid. */
export const CHECK_VALID = 1;
/** Verified: refused. */
export const CHECK_REFUSED = 2;
/** A thread is verifying it. */
export const CHECK_WORKING = 3;

/** A triple in a batch the pool is verifying: its state is `state[index]`. */
export interface Flight {
  readonly state: Int32Array;
  readonly index: number;
  /** The triple as packed: signature (64) | public key (32) | message, from `at` to `end` of `data`. */
  readonly data?: Uint8Array;
  readonly at?: number;
  readonly end?: number;
}

/** Waits of 5 ms for a worker on a check, at most: then it is taken as dead, and verified here. */
const FLIGHT_WAITS = 40;

/**
 * The verdict of a check in flight: the pool's if a thread has it (waiting up to ~200 ms for a
 * worker on it: Node lets the main thread `Atomics.wait`), else `verify()`'s, claimed first so that
 * no worker verifies it too.
 */
export function verdictInFlight(flight: Flight, verify: () => boolean): boolean {
  const { state, index } = flight;
  for (let waits = 0; ; ) {
    const now = Atomics.load(state, index);
    if (now === CHECK_VALID) return true;
    if (now === CHECK_REFUSED) return false;
    if (now === CHECK_PENDING) {
      if (Atomics.compareExchange(state, index, CHECK_PENDING, CHECK_WORKING) !== CHECK_PENDING) continue;
      const ok = verify();
      Atomics.store(state, index, ok ? CHECK_VALID : CHECK_REFUSED);
      Atomics.notify(state, index);
      return ok;
    }
    if (waits++ >= FLIGHT_WAITS) return verify();
    Atomics.wait(state, index, CHECK_WORKING, 5);
  }
}

// ---- The signature cache (as Bitcoin Core's sigcache: cuckoocache.h, sigcache.cpp). ----

/** Bytes of a cache key: SHA-256. */
export const SIGNATURE_KEY_BYTES = 32;
/** Slots probed for a key: a full bucket drops its oldest-written slot in turn. */
const BUCKET = 8;

/**
 * The cache key of a triple: `SHA-256(salt || signature || message || publicKey)`. Only triples
 * with a 64-byte signature and a 32-byte key are ever cached or looked up (any other is refused),
 * so the message between them is unambiguous; the salt is random per process, so no peer can
 * craft triples whose keys collide in this node's table.
 */
export function signatureCacheKey(
  salt: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): Uint8Array {
  const data = new Uint8Array(salt.length + signature.length + message.length + publicKey.length);
  data.set(salt, 0);
  data.set(signature, salt.length);
  data.set(message, salt.length + signature.length);
  data.set(publicKey, salt.length + signature.length + message.length);
  return hash('sha256', data, 'buffer');
}

/** Options of {@link SignatureCache}. */
export interface SignatureCacheOptions {
  /**
   * Most entries (rounded up to a power of two). Memory is exactly 33 bytes an entry, allocated
   * up front: the default 262,144 entries take 8.25 MiB (Bitcoin Core's default is 32 MiB).
   */
  readonly maxEntries?: number;
  /** The key salt (random when omitted; the pool's threads are given the same one). */
  readonly salt?: Uint8Array;
}

/** Default entries: 26 blocks of 10,000 payments, or two pages of a sync of the largest blocks. */
export const DEFAULT_SIGNATURE_CACHE_ENTRIES = 1 << 18;

/**
 * A bounded set of signature triples known to be valid, by their salted SHA-256 (only `true`
 * verdicts are ever stored: a refused signature is verified again each time, and refused again).
 * A fixed table of `maxEntries` 32-byte keys (open addressing, buckets of 8 slots, lossy: a full
 * bucket overwrites its slots in turn), so its memory is fixed whatever peers send. A lost entry
 * only costs a verify again.
 */
export class SignatureCache {
  readonly salt: Uint8Array;
  /** Slots in the table (a power of two). */
  readonly capacity: number;
  private readonly mask: number;
  // Allocated on the first add: every process (and thread) that imports this module has a cache.
  private keys = new Uint8Array(0);
  private used = new Uint8Array(0);
  private victims = new Uint8Array(0);
  private count = 0;
  /** Checks in batches the pool is verifying now, by key (latin1). */
  private readonly flights = new Map<string, Flight>();

  constructor(options: SignatureCacheOptions = {}) {
    const wanted = Math.max(BUCKET, Math.floor(options.maxEntries ?? DEFAULT_SIGNATURE_CACHE_ENTRIES));
    let capacity = BUCKET;
    while (capacity < wanted) capacity *= 2;
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.salt = options.salt ? Uint8Array.from(options.salt) : new Uint8Array(randomBytes(32));
  }

  /** Entries held (at most {@link capacity}). */
  get size(): number {
    return this.count;
  }

  /** Bytes the table takes once used: fixed by {@link capacity}, 33 an entry (plus 1 per 8). */
  get bytes(): number {
    return this.capacity * (SIGNATURE_KEY_BYTES + 1) + this.capacity / BUCKET;
  }

  /** Whether `key` (a {@link signatureCacheKey}) is held. */
  has(key: Uint8Array): boolean {
    return this.find(key) >= 0;
  }

  /** Records `key` (a {@link signatureCacheKey} of a triple verified `true`). */
  add(key: Uint8Array): void {
    if (key.length !== SIGNATURE_KEY_BYTES || this.find(key) >= 0) return;
    if (this.used.length === 0) {
      this.keys = new Uint8Array(this.capacity * SIGNATURE_KEY_BYTES);
      this.used = new Uint8Array(this.capacity);
      this.victims = new Uint8Array(this.capacity / BUCKET);
    }
    const start = this.bucketOf(key);
    let slot = -1;
    for (let k = 0; k < BUCKET; k++) {
      if (this.used[start + k] === 0) {
        slot = start + k;
        break;
      }
    }
    if (slot < 0) {
      const b = start / BUCKET;
      const victim = this.victims[b] as number;
      this.victims[b] = (victim + 1) % BUCKET;
      slot = start + victim;
    } else {
      this.used[slot] = 1;
      this.count++;
    }
    this.keys.set(key, slot * SIGNATURE_KEY_BYTES);
  }

  /** Checks in flight (see {@link track}). */
  get tracking(): number {
    return this.flights.size;
  }

  /** Notes that the pool is verifying the triple packed in `flight` (by its signature's bytes). */
  track(flight: Flight): void {
    const { data, at } = flight;
    if (data === undefined || at === undefined) return;
    this.flights.set(latin1(data, at, at + 64), flight);
  }

  /** Forgets a tracked triple (its batch is done), unless another batch has it now. */
  untrack(flight: Flight): void {
    const { data, at } = flight;
    if (data === undefined || at === undefined) return;
    const text = latin1(data, at, at + 64);
    if (this.flights.get(text) === flight) this.flights.delete(text);
  }

  /** Where the pool is verifying this triple, if it is (the whole triple compared, byte for byte). */
  flightOf(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): Flight | undefined {
    const flight = this.flights.get(latin1(signature, 0, 64));
    if (!flight || flight.data === undefined || flight.at === undefined || flight.end === undefined) return undefined;
    const { data, at, end } = flight;
    if (end - at !== 96 + message.length) return undefined;
    for (let k = 0; k < 64; k++) if (data[at + k] !== signature[k]) return undefined;
    for (let k = 0; k < 32; k++) if (data[at + 64 + k] !== publicKey[k]) return undefined;
    for (let k = 0; k < message.length; k++) if (data[at + 96 + k] !== message[k]) return undefined;
    return flight;
  }

  /** Drops every entry. */
  clear(): void {
    this.used.fill(0);
    this.victims.fill(0);
    this.count = 0;
  }

  /** The first slot of `key`'s bucket: its first 4 bytes are uniform (a salted hash). */
  private bucketOf(key: Uint8Array): number {
    const word =
      (key[0] as number) | ((key[1] as number) << 8) | ((key[2] as number) << 16) | ((key[3] as number) << 24);
    return word & this.mask & ~(BUCKET - 1);
  }

  private find(key: Uint8Array): number {
    if (key.length !== SIGNATURE_KEY_BYTES || this.count === 0) return -1;
    const start = this.bucketOf(key);
    const keys = this.keys;
    for (let k = 0; k < BUCKET; k++) {
      const slot = start + k;
      if (this.used[slot] === 0) continue;
      const at = slot * SIGNATURE_KEY_BYTES;
      let same = true;
      for (let b = 0; b < SIGNATURE_KEY_BYTES; b++) {
        if (keys[at + b] !== key[b]) {
          same = false;
          break;
        }
      }
      if (same) return slot;
    }
    return -1;
  }
}

/** Bytes `from` to `to` of `bytes` as a latin1 string (a Map key). */
function latin1(bytes: Uint8Array, from: number, to: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from).toString('latin1');
}

/**
 * The process's signature cache, which {@link verifySignatureFast} reads and the signature pool
 * (src/node/signature-pool.ts) fills: one per process, as Bitcoin Core's, since every node in the
 * process verifies with the same function.
 */
export const sharedSignatureCache = new SignatureCache();
