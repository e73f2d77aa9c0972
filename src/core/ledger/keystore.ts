/**
 * The wallet keystore (docs/ledger-protocol.md section 11): the JSON file that holds one Ed25519
 * secret key, read and written by both the CLI wallet (Node) and the browser wallet. That is why
 * this module is pure: no `node:` imports, no file system; scrypt comes from `@noble/hashes`,
 * AES-256-GCM from `@noble/ciphers` (the same audited family; WebCrypto's is missing on plain-http
 * pages), randomness from `globalThis.crypto.getRandomValues`, present everywhere.
 *
 * Version 1, encrypted:
 * ```
 * {"blockforge_keystore": 1, "network": "bfd", "address": "bfd1...", "public_key": "<64 hex>",
 *  "encrypted": true,
 *  "kdf": {"name": "scrypt", "n": 32768, "r": 8, "p": 1, "salt": "<64 hex>"},
 *  "cipher": {"name": "aes-256-gcm", "iv": "<24 hex>", "ciphertext": "<96 hex: 32-byte key + 16-byte tag>"}}
 * ```
 * or, unencrypted (`--no-passphrase`), `"encrypted": false` and `"secret_key": "<64 hex>"` in place
 * of `kdf` and `cipher`.
 *
 * The AES key is scrypt(NFC-normalized UTF-8 passphrase, salt, n, r, p, 32 bytes). The GCM
 * additional data is the UTF-8 of `address`: `address` is checked against `public_key` on parse,
 * so neither can be swapped for another account's without the tag failing.
 */

import { gcm } from '@noble/ciphers/aes.js';
import { scryptAsync } from '@noble/hashes/scrypt.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';
import { describe } from '../describe.js';
import { BlockforgeError, ErrorCode } from '../errors.js';
import { JsonNumber, type JsonValue } from '../json.js';
import { addressOf, parseAddress, publicKeyOf } from './keys.js';

/** The keystore format version this code reads and writes. */
export const KEYSTORE_VERSION = 1;

/** scrypt's `n` for new keystores (2^15: about 0.2 s and 32 MiB in Node, a little more in a browser). */
export const DEFAULT_SCRYPT_N = 32_768;
/** scrypt's `r` for new keystores. */
export const DEFAULT_SCRYPT_R = 8;
/** scrypt's `p` for new keystores. */
export const DEFAULT_SCRYPT_P = 1;

// Bounds on a file's scrypt parameters. A keystore is untrusted input (downloaded, mailed, edited):
// without bounds one line of JSON could make the wallet allocate gigabytes or spin for hours. Each
// parameter has a range, and together they are capped too, since n = 2^20, r = 32, p = 16 are each
// in range but would need 4 GiB and about 2,000 times the default work.
const MIN_LOG_N = 10;
const MAX_LOG_N = 20;
const MAX_R = 32;
const MAX_P = 16;
/** Most memory scrypt may use (128·r·n bytes): 256 MiB, 8 times the default's, fine in a browser tab. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024;
/** Most work (n·r·p): 16 times the default, a few seconds in Node. */
const MAX_SCRYPT_WORK = 16 * DEFAULT_SCRYPT_N * DEFAULT_SCRYPT_R * DEFAULT_SCRYPT_P;

const SECRET_KEY_BYTES = 32;
const PUBLIC_KEY_BYTES = 32;
const SALT_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** bech32 strings are at most 90 characters (BIP 173). */
const MAX_ADDRESS_LENGTH = 90;

/** The scrypt parameters of an encrypted keystore. */
export interface KeystoreKdf {
  name: 'scrypt';
  /** CPU/memory cost: a power of two, 2^10 to 2^20. */
  n: number;
  /** Block size, 1 to 32. */
  r: number;
  /** Parallelism, 1 to 16. */
  p: number;
  /** 32 bytes, lowercase hex. */
  salt: string;
}

/** The cipher of an encrypted keystore. */
export interface KeystoreCipher {
  name: 'aes-256-gcm';
  /** 12 bytes, lowercase hex. */
  iv: string;
  /** The 32-byte secret key encrypted, then the 16-byte tag: 48 bytes, lowercase hex. */
  ciphertext: string;
}

/** The fields every keystore has. */
interface KeystoreCommon {
  blockforge_keystore: 1;
  /** The network's address prefix (hrp), e.g. `bfd`. */
  network: string;
  /** The bech32m address of `public_key` on `network`. */
  address: string;
  /** The Ed25519 public key, 32 bytes, lowercase hex. */
  public_key: string;
}

/** A keystore whose secret key is encrypted under a passphrase. */
export interface EncryptedKeystore extends KeystoreCommon {
  encrypted: true;
  kdf: KeystoreKdf;
  cipher: KeystoreCipher;
}

/** A keystore whose secret key is in the clear (`--no-passphrase`). */
export interface UnencryptedKeystore extends KeystoreCommon {
  encrypted: false;
  /** The Ed25519 secret key, 32 bytes, lowercase hex. */
  secret_key: string;
}

/** A keystore file's JSON, as {@link parseKeystore} returns it: `encrypted` tells the two kinds apart. */
export type Keystore = EncryptedKeystore | UnencryptedKeystore;

/** A keystore's key, decrypted by {@link unlockKeystore}. */
export interface UnlockedKey {
  /** The Ed25519 secret key (32 bytes). */
  secretKey: Uint8Array;
  /** Its public key (32 bytes). */
  publicKey: Uint8Array;
  /** Its address on `network`. */
  address: string;
  /** The network's address prefix (hrp). */
  network: string;
}

/** Options of {@link createKeystore}: for test vectors; real keystores take the defaults. */
export interface CreateKeystoreOptions {
  /** scrypt's `n` (default 2^15); a power of two, 2^10 to 2^20. */
  n?: number;
  /** 32 bytes of salt (default: random). */
  salt?: Uint8Array;
  /** 12 bytes of GCM nonce (default: random). */
  iv?: Uint8Array;
}

const fail = (field: string, message: string, cause?: unknown): BlockforgeError =>
  new BlockforgeError(ErrorCode.InvalidBody, `keystore ${field}: ${message}`, { field, cause });

/** A plain object from `JSON.parse` or `parseJson` (not an array, a JsonNumber or a class instance). */
function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype;
}

/** {@link describe}, also for JS numbers (from `JSON.parse`) and anything else a caller passes. */
function describeValue(value: unknown): string {
  if (typeof value === 'number') return `number ${value}`;
  if (
    value === undefined ||
    value === null ||
    typeof value === 'boolean' ||
    typeof value === 'string' ||
    value instanceof JsonNumber ||
    Array.isArray(value) ||
    isRecord(value)
  ) {
    return describe(value as JsonValue);
  }
  return `a ${typeof value}`;
}

/** An own property only, so `{}`'s inherited `constructor` or `toString` never count as fields. */
function get(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Refuses keys outside `allowed`, so a typo or a field from a newer format is not silently dropped. */
function onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], prefix: string, what: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw fail(`${prefix}${key}`, `is not a field of ${what}`);
  }
}

function present(obj: Record<string, unknown>, key: string, field: string): unknown {
  const value = get(obj, key);
  if (value === undefined) throw fail(field, 'is missing');
  return value;
}

/** An integer, from `JSON.parse` (a number) or `parseJson` (a JsonNumber); `null` if it is not one. */
function integerOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (value instanceof JsonNumber && value.isInteger && /^-?[0-9]{1,16}$/.test(value.text)) {
    const n = Number(value.text);
    return Number.isSafeInteger(n) ? n : null;
  }
  return null;
}

function intField(obj: Record<string, unknown>, key: string, field: string, min: number, max: number): number {
  const value = present(obj, key, field);
  const n = integerOf(value);
  if (n === null) throw fail(field, `must be an integer (got ${describeValue(value)})`);
  if (n < min || n > max) throw fail(field, `must be from ${min} to ${max} (got ${n})`);
  return n;
}

function hexField(obj: Record<string, unknown>, key: string, field: string, bytes: number): string {
  const value = present(obj, key, field);
  if (typeof value !== 'string' || value.length !== bytes * 2 || !/^[0-9a-f]*$/.test(value)) {
    throw fail(field, `must be ${bytes} bytes as ${bytes * 2} lowercase hex digits (got ${describeValue(value)})`);
  }
  return value;
}

function literalField<T extends string>(obj: Record<string, unknown>, key: string, field: string, expected: T): T {
  const value = present(obj, key, field);
  if (value !== expected) {
    throw fail(
      field,
      `must be ${JSON.stringify(expected)}, the only one this blockforge knows (got ${describeValue(value)})`,
    );
  }
  return expected;
}

function objectField(obj: Record<string, unknown>, key: string, field: string): Record<string, unknown> {
  const value = present(obj, key, field);
  if (!isRecord(value)) throw fail(field, `must be an object (got ${describeValue(value)})`);
  return value;
}

function checkHrp(hrp: unknown): string {
  // The same rule as a genesis file's hrp (src/core/ledger/genesis.ts).
  if (typeof hrp !== 'string' || !/^[a-z]{1,10}$/.test(hrp)) {
    throw fail('network', `must be a network's address prefix, 1-10 letters a-z (got ${describeValue(hrp)})`);
  }
  return hrp;
}

/** The scrypt bounds of this module: each parameter in range and, together, memory and work capped. */
function checkScrypt(n: number, r: number, p: number): void {
  if (n < 2 ** MIN_LOG_N || n > 2 ** MAX_LOG_N || (n & (n - 1)) !== 0) {
    throw fail('kdf.n', `must be a power of two from 2^${MIN_LOG_N} to 2^${MAX_LOG_N} (got ${n})`);
  }
  if (128 * r * n > MAX_SCRYPT_MEMORY) {
    throw fail(
      'kdf',
      `n = ${n} and r = ${r} would need ${(128 * r * n) / 2 ** 20} MiB of memory; at most ${MAX_SCRYPT_MEMORY / 2 ** 20} MiB (128·r·n bytes)`,
    );
  }
  if (n * r * p > MAX_SCRYPT_WORK) {
    throw fail('kdf', `n·r·p = ${n * r * p} is too much work; at most ${MAX_SCRYPT_WORK}`);
  }
}

function parseKdf(kdf: Record<string, unknown>): KeystoreKdf {
  onlyKeys(kdf, ['name', 'n', 'r', 'p', 'salt'], 'kdf.', 'kdf');
  const name = literalField(kdf, 'name', 'kdf.name', 'scrypt');
  // n's range here only keeps the number sane; checkScrypt says what a valid n is.
  const n = intField(kdf, 'n', 'kdf.n', 1, Number.MAX_SAFE_INTEGER);
  const r = intField(kdf, 'r', 'kdf.r', 1, MAX_R);
  const p = intField(kdf, 'p', 'kdf.p', 1, MAX_P);
  checkScrypt(n, r, p);
  const salt = hexField(kdf, 'salt', 'kdf.salt', SALT_BYTES);
  return { name, n, r, p, salt };
}

function parseCipher(cipher: Record<string, unknown>): KeystoreCipher {
  onlyKeys(cipher, ['name', 'iv', 'ciphertext'], 'cipher.', 'cipher');
  const name = literalField(cipher, 'name', 'cipher.name', 'aes-256-gcm');
  const iv = hexField(cipher, 'iv', 'cipher.iv', IV_BYTES);
  const ciphertext = hexField(cipher, 'ciphertext', 'cipher.ciphertext', SECRET_KEY_BYTES + TAG_BYTES);
  return { name, iv, ciphertext };
}

const COMMON_KEYS = ['blockforge_keystore', 'network', 'address', 'public_key', 'encrypted'] as const;
const ENCRYPTED_KEYS = [...COMMON_KEYS, 'kdf', 'cipher'];
const UNENCRYPTED_KEYS = [...COMMON_KEYS, 'secret_key'];

/**
 * Checks an untrusted keystore (a file's JSON, from `JSON.parse` or the lossless `parseJson`) and
 * returns it as a fresh {@link Keystore}. Strict: every field present with its type, no unknown
 * field, hex lowercase and of its exact length, scrypt's parameters bounded (n a power of two 2^10
 * to 2^20, r 1 to 32, p 1 to 16, and at most 256 MiB and 16 times the default work together) so a
 * hostile file cannot make the wallet burn minutes or gigabytes, and `address` the address of
 * `public_key` on `network`. Cheap: derives no key and decrypts nothing.
 *
 * Throws INVALID_BODY naming the field at fault (`field`: e.g. `kdf.n`, `cipher.iv`).
 */
export function parseKeystore(value: unknown): Keystore {
  if (!isRecord(value)) throw fail('file', `must be a JSON object (got ${describeValue(value)})`);

  // The version first: a newer file should say "newer version", not "unknown field".
  const version = get(value, 'blockforge_keystore');
  if (version === undefined) throw fail('blockforge_keystore', 'is missing: this is not a blockforge keystore');
  if (integerOf(version) !== KEYSTORE_VERSION) {
    throw fail(
      'blockforge_keystore',
      `is ${describeValue(version)}: this blockforge reads keystore version ${KEYSTORE_VERSION} only`,
    );
  }
  // Then `encrypted`, which decides the other fields.
  const encrypted = present(value, 'encrypted', 'encrypted');
  if (typeof encrypted !== 'boolean') {
    throw fail('encrypted', `must be true or false (got ${describeValue(encrypted)})`);
  }
  onlyKeys(
    value,
    encrypted ? ENCRYPTED_KEYS : UNENCRYPTED_KEYS,
    '',
    encrypted ? 'an encrypted keystore' : 'an unencrypted keystore',
  );

  const network = checkHrp(present(value, 'network', 'network'));
  const address = present(value, 'address', 'address');
  if (typeof address !== 'string' || address.length > MAX_ADDRESS_LENGTH) {
    throw fail('address', `must be an address (got ${describeValue(address)})`);
  }
  try {
    parseAddress(network, address);
  } catch (err) {
    throw fail('address', (err as Error).message, err);
  }
  const publicKey = hexField(value, 'public_key', 'public_key', PUBLIC_KEY_BYTES);
  if (addressOf(network, hexToBytes(publicKey)) !== address) {
    throw fail('address', 'is not the address of public_key: the file was altered');
  }
  const common = { blockforge_keystore: KEYSTORE_VERSION, network, address, public_key: publicKey } as const;

  if (!encrypted) {
    const secretKey = hexField(value, 'secret_key', 'secret_key', SECRET_KEY_BYTES);
    return { ...common, encrypted: false, secret_key: secretKey };
  }
  const kdf = parseKdf(objectField(value, 'kdf', 'kdf'));
  const cipher = parseCipher(objectField(value, 'cipher', 'cipher'));
  return { ...common, encrypted: true, kdf, cipher };
}

/** The AES-256 key of a passphrase: scrypt over its NFC UTF-8, so a browser and a terminal agree on "é". */
async function deriveKey(passphrase: string, kdf: KeystoreKdf): Promise<Uint8Array> {
  return await scryptAsync(utf8ToBytes(passphrase.normalize('NFC')), hexToBytes(kdf.salt), {
    N: kdf.n,
    r: kdf.r,
    p: kdf.p,
    dkLen: 32,
    // The bounds above already cap memory; this is noble's own guard, set just above them.
    maxmem: MAX_SCRYPT_MEMORY + 128 * kdf.r * (kdf.p + 1),
  });
}

function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/**
 * A new keystore for `secretKey` on the network whose address prefix is `hrp`, encrypted under
 * `passphrase` (scrypt n = 2^15, r = 8, p = 1; AES-256-GCM), or unencrypted when `passphrase` is
 * null. Salt and nonce are random unless `options` gives them (test vectors only: a fixed salt
 * and nonce make two keystores of one passphrase share a key and nonce).
 *
 * Throws RangeError for a secret key, salt or nonce of the wrong length, INVALID_BODY for an
 * invalid `hrp` (`field` `network`), `options.n` (`kdf.n`) or an empty passphrase (`passphrase`).
 */
export async function createKeystore(
  secretKey: Uint8Array,
  hrp: string,
  passphrase: string | null,
  options: CreateKeystoreOptions = {},
): Promise<Keystore> {
  if (secretKey.length !== SECRET_KEY_BYTES) throw new RangeError('an Ed25519 secret key is 32 bytes');
  const network = checkHrp(hrp);
  const publicKey = publicKeyOf(secretKey);
  const common = {
    blockforge_keystore: KEYSTORE_VERSION,
    network,
    address: addressOf(network, publicKey),
    public_key: bytesToHex(publicKey),
  } as const;
  if (passphrase === null) return { ...common, encrypted: false, secret_key: bytesToHex(secretKey) };

  if (passphrase.length === 0) {
    throw new BlockforgeError(ErrorCode.InvalidBody, 'the passphrase is empty: use none for an unencrypted keystore', {
      field: 'passphrase',
    });
  }
  const n = options.n ?? DEFAULT_SCRYPT_N;
  if (!Number.isSafeInteger(n)) throw fail('kdf.n', `must be an integer (got ${n})`);
  checkScrypt(n, DEFAULT_SCRYPT_R, DEFAULT_SCRYPT_P);
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const iv = options.iv ?? randomBytes(IV_BYTES);
  if (salt.length !== SALT_BYTES) throw new RangeError(`a keystore's salt is ${SALT_BYTES} bytes`);
  if (iv.length !== IV_BYTES) throw new RangeError(`a keystore's iv is ${IV_BYTES} bytes`);

  const kdf: KeystoreKdf = { name: 'scrypt', n, r: DEFAULT_SCRYPT_R, p: DEFAULT_SCRYPT_P, salt: bytesToHex(salt) };
  const key = await deriveKey(passphrase, kdf);
  let ciphertext: Uint8Array;
  try {
    // @noble/ciphers' AES-GCM, not WebCrypto's: browsers offer `crypto.subtle` only on https or
    // localhost, and a classroom's phones open the explorer over plain http on the LAN.
    ciphertext = gcm(key, iv, utf8ToBytes(common.address)).encrypt(secretKey);
  } finally {
    key.fill(0);
  }
  const cipher: KeystoreCipher = {
    name: 'aes-256-gcm',
    iv: bytesToHex(iv),
    ciphertext: bytesToHex(ciphertext),
  };
  return { ...common, encrypted: true, kdf, cipher };
}

/**
 * The key in a keystore: decrypted with `passphrase` if the keystore is encrypted (for an
 * unencrypted one the passphrase is ignored). Checks the keystore again first (see
 * {@link parseKeystore}), so a hand-built object cannot slip past the scrypt bounds, and checks the
 * secret key's public key against `public_key` after.
 *
 * Throws WRONG_PASSPHRASE when the passphrase is null for an encrypted keystore or does not open
 * it (a wrong passphrase and an altered ciphertext, iv, salt or address look the same to GCM), and
 * INVALID_BODY for a keystore whose secret key is not `public_key`'s.
 */
export async function unlockKeystore(keystore: Keystore, passphrase: string | null): Promise<UnlockedKey> {
  const checked = parseKeystore(keystore);
  let secretKey: Uint8Array;
  if (!checked.encrypted) {
    secretKey = hexToBytes(checked.secret_key);
  } else {
    if (passphrase === null) {
      throw new BlockforgeError(ErrorCode.WrongPassphrase, 'the keystore is encrypted: give its passphrase', {
        field: 'passphrase',
      });
    }
    const key = await deriveKey(passphrase, checked.kdf);
    try {
      secretKey = gcm(key, hexToBytes(checked.cipher.iv), utf8ToBytes(checked.address)).decrypt(
        hexToBytes(checked.cipher.ciphertext),
      );
    } catch (err) {
      throw new BlockforgeError(ErrorCode.WrongPassphrase, 'wrong passphrase (or the file was altered)', {
        field: 'passphrase',
        cause: err,
      });
    }
  }
  const publicKey = publicKeyOf(secretKey);
  if (bytesToHex(publicKey) !== checked.public_key) {
    const field = checked.encrypted ? 'cipher.ciphertext' : 'secret_key';
    throw fail(field, 'holds a secret key that is not the one of public_key: the file was altered');
  }
  return { secretKey, publicKey, address: checked.address, network: checked.network };
}

/**
 * A keystore as file text: checked (see {@link parseKeystore}), fields in the documented order,
 * 2-space indent, trailing newline, so the same keystore always gives the same bytes.
 */
export function keystoreJson(keystore: Keystore): string {
  // parseKeystore builds a fresh object with its fields in the documented order.
  return `${JSON.stringify(parseKeystore(keystore), null, 2)}\n`;
}
