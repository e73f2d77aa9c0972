/**
 * The wallet keystore (docs/ledger-protocol.md section 11): a known-answer vector that plain scrypt
 * and AES-256-GCM (OpenSSL, through node:crypto) also open, round trips with and without a
 * passphrase, and refusals: a wrong passphrase, any altered field, hostile scrypt parameters (quickly,
 * before any work), and every missing or mistyped field, named.
 */

import { createDecipheriv, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { BlockforgeError, ErrorCode } from '../../src/core/errors.js';
import { parseJson } from '../../src/core/json.js';
import { addressOf, publicKeyOf } from '../../src/core/ledger/keys.js';
import {
  createKeystore,
  type Keystore,
  keystoreJson,
  parseKeystore,
  unlockKeystore,
} from '../../src/core/ledger/keystore.js';
import { toHex } from '../../src/core/sha256.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

// RFC 8032 section 7.1, TEST 1 and TEST 2.
const SECRET = bytes('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a';
const OTHER_SECRET = bytes('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb');

const PASSPHRASE = 'correct horse';
/** Cheap scrypt for tests (2^10): about 30 ms instead of 200. */
const FAST = { n: 1024 };
const VECTOR_OPTIONS = { n: 1024, salt: new Uint8Array(32).fill(0x01), iv: new Uint8Array(12).fill(0x02) };
const VECTOR_TEXT = readFileSync(new URL('../fixtures/ledger/keystore-vector.json', import.meta.url), 'utf8');

/** A deep copy of the vector as `JSON.parse` gives it, for editing. */
const vector = (): Record<string, unknown> => JSON.parse(VECTOR_TEXT) as Record<string, unknown>;

/** `obj` with the field at a dotted `path` set to `value`, or deleted when `value` is undefined. */
function edit(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const keys = path.split('.');
  let target = obj;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return obj;
}

/** Flips the last hex digit of a hex string (keeps it lowercase hex of the same length). */
const flip = (hex: string): string => hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');

function refusal(fn: () => unknown): BlockforgeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BlockforgeError);
    return err as BlockforgeError;
  }
  throw new Error('not refused');
}

async function asyncRefusal(promise: Promise<unknown>): Promise<BlockforgeError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(BlockforgeError);
    return err as BlockforgeError;
  }
  throw new Error('not refused');
}

describe('known-answer vector (test/fixtures/ledger/keystore-vector.json)', () => {
  it('is what createKeystore writes, byte for byte, and unlocks to the RFC 8032 key', async () => {
    const keystore = await createKeystore(SECRET, 'bfd', PASSPHRASE, VECTOR_OPTIONS);
    expect(keystoreJson(keystore)).toBe(VECTOR_TEXT);

    const unlocked = await unlockKeystore(parseKeystore(JSON.parse(VECTOR_TEXT)), PASSPHRASE);
    expect(toHex(unlocked.secretKey)).toBe(toHex(SECRET));
    expect(toHex(unlocked.publicKey)).toBe(PUBLIC);
    expect(unlocked.address).toBe(addressOf('bfd', bytes(PUBLIC)));
    expect(unlocked.network).toBe('bfd');
  });

  it('opens with plain scrypt and AES-256-GCM (OpenSSL), the address as additional data', () => {
    // Another implementation reads the file: the format is exactly what the docs say, nothing more.
    const file = JSON.parse(VECTOR_TEXT);
    const key = scryptSync(PASSPHRASE, bytes(file.kdf.salt), 32, { N: file.kdf.n, r: file.kdf.r, p: file.kdf.p });
    const sealed = bytes(file.cipher.ciphertext);
    const decipher = createDecipheriv('aes-256-gcm', key, bytes(file.cipher.iv));
    decipher.setAAD(new TextEncoder().encode(file.address));
    decipher.setAuthTag(sealed.subarray(32));
    const secret = new Uint8Array([...decipher.update(sealed.subarray(0, 32)), ...decipher.final()]);
    expect(toHex(secret)).toBe(toHex(SECRET));
  });

  it('parses the same from JSON.parse and from the lossless parseJson', () => {
    expect(parseKeystore(parseJson(VECTOR_TEXT))).toEqual(parseKeystore(JSON.parse(VECTOR_TEXT)));
    expect(keystoreJson(parseKeystore(parseJson(VECTOR_TEXT)))).toBe(VECTOR_TEXT);
  });
});

describe('round trips', () => {
  it('encrypted: random salt and nonce, the file text unlocks to the key', async () => {
    const a = await createKeystore(SECRET, 'bfd', PASSPHRASE, FAST);
    const b = await createKeystore(SECRET, 'bfd', PASSPHRASE, FAST);
    expect(a.encrypted).toBe(true);
    if (!a.encrypted || !b.encrypted) return;
    expect(a.kdf.salt).not.toBe(b.kdf.salt);
    expect(a.cipher.iv).not.toBe(b.cipher.iv);
    expect(keystoreJson(a)).not.toContain(toHex(SECRET));

    const unlocked = await unlockKeystore(parseKeystore(JSON.parse(keystoreJson(a))), PASSPHRASE);
    expect(toHex(unlocked.secretKey)).toBe(toHex(SECRET));
    expect(toHex(unlocked.publicKey)).toBe(PUBLIC);
  });

  it('unencrypted: the key in the clear, no passphrase needed (one given is ignored)', async () => {
    const keystore = await createKeystore(SECRET, 'bft', null);
    const text = keystoreJson(keystore);
    expect(JSON.parse(text)).toEqual({
      blockforge_keystore: 1,
      network: 'bft',
      address: addressOf('bft', bytes(PUBLIC)),
      public_key: PUBLIC,
      encrypted: false,
      secret_key: toHex(SECRET),
    });
    for (const passphrase of [null, 'anything']) {
      const unlocked = await unlockKeystore(parseKeystore(JSON.parse(text)), passphrase);
      expect(toHex(unlocked.secretKey)).toBe(toHex(SECRET));
      expect(unlocked.address).toBe(addressOf('bft', bytes(PUBLIC)));
    }
  });

  it('takes scrypt n = 2^15, r = 8, p = 1 by default', async () => {
    const keystore = await createKeystore(SECRET, 'bfd', PASSPHRASE);
    expect(keystore.encrypted && keystore.kdf).toMatchObject({ name: 'scrypt', n: 32_768, r: 8, p: 1 });
    expect(toHex((await unlockKeystore(keystore, PASSPHRASE)).secretKey)).toBe(toHex(SECRET));
  });

  it('reads a passphrase the same composed or decomposed (NFC), as a browser and a terminal may type it', async () => {
    const keystore = await createKeystore(SECRET, 'bfd', 'caf\u00e9', FAST);
    expect(toHex((await unlockKeystore(keystore, 'cafe\u0301')).secretKey)).toBe(toHex(SECRET));
  });

  it('writes fields in the documented order whatever order it was given them in', () => {
    const file = vector();
    const shuffled = Object.fromEntries(Object.entries(file).reverse());
    shuffled.kdf = Object.fromEntries(Object.entries(file.kdf as object).reverse());
    expect(keystoreJson(shuffled as unknown as Keystore)).toBe(VECTOR_TEXT);
    expect(VECTOR_TEXT.endsWith('}\n')).toBe(true);
  });
});

describe('refusals when unlocking', () => {
  it('refuses a wrong passphrase, or none, with WRONG_PASSPHRASE', async () => {
    const keystore = parseKeystore(vector());
    for (const passphrase of ['correct horse ', 'Correct horse', '']) {
      const err = await asyncRefusal(unlockKeystore(keystore, passphrase));
      expect(err.code).toBe(ErrorCode.WrongPassphrase);
      expect(err.message).toBe('wrong passphrase (or the file was altered)');
    }
    expect((await asyncRefusal(unlockKeystore(keystore, null))).code).toBe(ErrorCode.WrongPassphrase);
  });

  it.each(['cipher.ciphertext', 'cipher.iv', 'kdf.salt'])('refuses an altered %s (the GCM tag fails)', async (path) => {
    const file = vector();
    const [outer, inner] = path.split('.') as [string, string];
    const hex = (file[outer] as Record<string, string>)[inner] as string;
    const keystore = parseKeystore(edit(file, path, flip(hex)));
    expect((await asyncRefusal(unlockKeystore(keystore, PASSPHRASE))).code).toBe(ErrorCode.WrongPassphrase);
  });

  it('refuses an edited address or public_key as they are parsed', () => {
    const otherAddress = addressOf('bfd', publicKeyOf(OTHER_SECRET));
    const address = refusal(() => parseKeystore(edit(vector(), 'address', otherAddress)));
    expect([address.code, address.field]).toEqual([ErrorCode.InvalidBody, 'address']);
    expect(address.message).toMatch(/not the address of public_key/);

    const publicKey = refusal(() => parseKeystore(edit(vector(), 'public_key', toHex(publicKeyOf(OTHER_SECRET)))));
    expect([publicKey.code, publicKey.field]).toEqual([ErrorCode.InvalidBody, 'address']);

    const network = refusal(() => parseKeystore(edit(vector(), 'network', 'bft')));
    expect([network.code, network.field]).toEqual([ErrorCode.InvalidBody, 'address']);
    expect(network.message).toMatch(/"bfd"/);
  });

  it('refuses another account swapped in whole (address and public_key): the address is GCM data', async () => {
    const otherPublic = publicKeyOf(OTHER_SECRET);
    const file = edit(edit(vector(), 'public_key', toHex(otherPublic)), 'address', addressOf('bfd', otherPublic));
    const keystore = parseKeystore(file);
    expect((await asyncRefusal(unlockKeystore(keystore, PASSPHRASE))).code).toBe(ErrorCode.WrongPassphrase);
  });

  it('refuses an unencrypted keystore whose secret key is not public_key', async () => {
    const keystore = await createKeystore(SECRET, 'bfd', null);
    const altered = parseKeystore({ ...keystore, secret_key: toHex(OTHER_SECRET) });
    const err = await asyncRefusal(unlockKeystore(altered, null));
    expect([err.code, err.field]).toEqual([ErrorCode.InvalidBody, 'secret_key']);
  });
});

describe('hostile scrypt parameters', () => {
  const cases: [string, Record<string, number>, string, RegExp][] = [
    ['n = 2^30', { n: 2 ** 30 }, 'kdf.n', /power of two/],
    ['n = 2^21', { n: 2 ** 21 }, 'kdf.n', /power of two/],
    ['n = 2^9', { n: 512 }, 'kdf.n', /power of two/],
    ['n not a power of two', { n: 1536 }, 'kdf.n', /power of two/],
    ['n not a power of two, below 2^10', { n: 1000 }, 'kdf.n', /power of two/],
    ['n = 2^53 + 2', { n: 2 ** 53 + 2 }, 'kdf.n', /integer/],
    ['r = 1000', { r: 1000 }, 'kdf.r', /from 1 to 32/],
    ['r = 0', { r: 0 }, 'kdf.r', /from 1 to 32/],
    ['p = 17', { p: 17 }, 'kdf.p', /from 1 to 16/],
    ['p = 0', { p: 0 }, 'kdf.p', /from 1 to 16/],
    ['n = 2^20 and r = 4 (512 MiB together)', { n: 2 ** 20, r: 4 }, 'kdf', /512 MiB of memory/],
    ['n = 2^20 and r = 32 (4 GiB together)', { n: 2 ** 20, r: 32 }, 'kdf', /4096 MiB of memory/],
    ['n = 2^20, r = 2 and p = 16 (too much work together)', { n: 2 ** 20, r: 2, p: 16 }, 'kdf', /too much work/],
  ];

  it.each(cases)('refuses %s at once, naming the field', async (_, params, field, message) => {
    const file = vector();
    for (const [key, value] of Object.entries(params)) edit(file, `kdf.${key}`, value);
    const start = performance.now();
    const err = refusal(() => parseKeystore(file));
    expect([err.code, err.field]).toEqual([ErrorCode.InvalidBody, field]);
    expect(err.message).toContain(`keystore ${field}:`);
    expect(err.message).toMatch(message);
    // A hand-built object cannot skip the check either: unlocking parses first.
    const unlockErr = await asyncRefusal(unlockKeystore(file as unknown as Keystore, PASSPHRASE));
    expect(unlockErr.field).toBe(field);
    expect(performance.now() - start).toBeLessThan(100);
  });

  it('accepts the bounds themselves', () => {
    for (const params of [
      { n: 1024, r: 1, p: 1 },
      { n: 2 ** 20, r: 1, p: 4 },
      { n: 2 ** 15, r: 32, p: 4 },
    ]) {
      const file = vector();
      for (const [key, value] of Object.entries(params)) edit(file, `kdf.${key}`, value);
      const keystore = parseKeystore(file);
      expect(keystore.encrypted && keystore.kdf).toMatchObject(params);
    }
  });
});

describe('every field checked, by name', () => {
  const encryptedFields = [
    'blockforge_keystore',
    'network',
    'address',
    'public_key',
    'encrypted',
    'kdf',
    'kdf.name',
    'kdf.n',
    'kdf.r',
    'kdf.p',
    'kdf.salt',
    'cipher',
    'cipher.name',
    'cipher.iv',
    'cipher.ciphertext',
  ];

  it.each(encryptedFields)('refuses a keystore without %s', (path) => {
    const err = refusal(() => parseKeystore(edit(vector(), path, undefined)));
    expect([err.code, err.field]).toEqual([ErrorCode.InvalidBody, path]);
    expect(err.message).toMatch(new RegExp(`^keystore ${path}: is missing`));
  });

  it('refuses an unencrypted keystore without secret_key', async () => {
    const keystore: Record<string, unknown> = { ...(await createKeystore(SECRET, 'bfd', null)) };
    delete keystore.secret_key;
    expect(refusal(() => parseKeystore(keystore)).field).toBe('secret_key');
  });

  const upper = PUBLIC.toUpperCase();
  const mistyped: [string, unknown][] = [
    ['blockforge_keystore', '1'],
    ['blockforge_keystore', 2],
    ['blockforge_keystore', 1.5],
    ['blockforge_keystore', null],
    ['encrypted', 'true'],
    ['encrypted', 1],
    ['network', 'BFD'],
    ['network', ''],
    ['network', 'bfd1'],
    ['network', 7],
    ['address', 12],
    ['address', 'bfd1notanaddress'],
    ['address', 'x'.repeat(91)],
    ['address', addressOf('bft', bytes(PUBLIC))],
    ['public_key', upper],
    ['public_key', PUBLIC.slice(2)],
    ['public_key', `${PUBLIC}00`],
    ['public_key', `${PUBLIC.slice(2)}zz`],
    ['public_key', 5],
    ['kdf', 'scrypt'],
    ['kdf', []],
    ['kdf', null],
    ['kdf.name', 'argon2id'],
    ['kdf.name', 'SCRYPT'],
    ['kdf.n', '1024'],
    ['kdf.n', 1024.5],
    ['kdf.n', -1024],
    ['kdf.r', '8'],
    ['kdf.r', true],
    ['kdf.p', [1]],
    ['kdf.salt', '01'.repeat(31)],
    ['kdf.salt', '0A'.repeat(32)],
    ['kdf.salt', null],
    ['cipher', 'aes-256-gcm'],
    ['cipher.name', 'aes-128-gcm'],
    ['cipher.iv', '02'.repeat(16)],
    ['cipher.iv', 2],
    ['cipher.ciphertext', '00'.repeat(32)],
    ['cipher.ciphertext', 'zz'.repeat(48)],
  ];

  it.each(mistyped)('refuses %s = %j', (path, value) => {
    const err = refusal(() => parseKeystore(edit(vector(), path, value)));
    expect([err.code, err.field]).toEqual([ErrorCode.InvalidBody, path]);
    expect(err.message).toMatch(new RegExp(`^keystore ${path}: `));
  });

  it('says which version it reads when given another', () => {
    expect(refusal(() => parseKeystore(edit(vector(), 'blockforge_keystore', 2))).message).toMatch(/version 1/);
  });

  it('refuses an integer written as a float by the lossless parser (1024.0)', () => {
    const err = refusal(() => parseKeystore(parseJson(VECTOR_TEXT.replace('"n": 1024', '"n": 1024.0'))));
    expect(err.field).toBe('kdf.n');
  });

  it.each([
    ['extra', 'extra', 1],
    ['secret_key', 'secret_key', toHex(SECRET)],
    ['kdf.dklen', 'kdf.dklen', 32],
    ['cipher.tag', 'cipher.tag', '00'.repeat(16)],
    ['__proto__', '__proto__', 1],
  ])('refuses an unknown field %s', (_, path, value) => {
    // JSON.parse makes "__proto__" an own key, as a hostile file would.
    const file =
      path === '__proto__' ? JSON.parse(VECTOR_TEXT.replace('{', '{"__proto__": 1,')) : edit(vector(), path, value);
    const err = refusal(() => parseKeystore(file));
    expect([err.code, err.field]).toEqual([ErrorCode.InvalidBody, path]);
    expect(err.message).toMatch(/is not a field of/);
  });

  it('refuses kdf and cipher in an unencrypted keystore', async () => {
    const keystore = { ...(await createKeystore(SECRET, 'bfd', null)), kdf: vector().kdf };
    expect(refusal(() => parseKeystore(keystore)).field).toBe('kdf');
  });

  it.each([null, [], 'keystore', 1, true, undefined])('refuses %j as a keystore', (value) => {
    expect(refusal(() => parseKeystore(value)).field).toBe('file');
  });
});

describe('createKeystore arguments', () => {
  it('refuses keys, salts and nonces of the wrong length', async () => {
    await expect(createKeystore(SECRET.subarray(1), 'bfd', PASSPHRASE, FAST)).rejects.toThrow(RangeError);
    await expect(
      createKeystore(SECRET, 'bfd', PASSPHRASE, { ...VECTOR_OPTIONS, salt: new Uint8Array(16) }),
    ).rejects.toThrow(RangeError);
    await expect(
      createKeystore(SECRET, 'bfd', PASSPHRASE, { ...VECTOR_OPTIONS, iv: new Uint8Array(16) }),
    ).rejects.toThrow(RangeError);
  });

  it('refuses a bad network prefix, scrypt n or an empty passphrase, naming them', async () => {
    expect((await asyncRefusal(createKeystore(SECRET, 'BFD', null))).field).toBe('network');
    expect((await asyncRefusal(createKeystore(SECRET, 'bfd', PASSPHRASE, { n: 1536 }))).field).toBe('kdf.n');
    expect((await asyncRefusal(createKeystore(SECRET, 'bfd', PASSPHRASE, { n: 2 ** 21 }))).field).toBe('kdf.n');
    expect((await asyncRefusal(createKeystore(SECRET, 'bfd', '', FAST))).field).toBe('passphrase');
  });
});

describe('purity', () => {
  it('imports nothing from Node, so the browser wallet can use it', () => {
    const source = readFileSync(new URL('../../src/core/ledger/keystore.ts', import.meta.url), 'utf8');
    const specifiers = [...source.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1] as string);
    expect(specifiers.length).toBeGreaterThan(0);
    for (const specifier of specifiers) expect(specifier).toMatch(/^(\.{1,2}\/|@noble\/(hashes|ciphers)\/)/);
    expect(source).not.toMatch(/\brequire\(|\bprocess\.|\bBuffer\b|\bconsole\./);
  });

  it('works without Web Crypto encryption (a page on plain http, where browsers have no crypto.subtle)', async () => {
    const real = globalThis.crypto;
    // Only randomness is left, as on a plain-http page of a classroom's LAN.
    vi.stubGlobal('crypto', { getRandomValues: real.getRandomValues.bind(real) });
    try {
      expect(globalThis.crypto.subtle).toBeUndefined();
      const secret = new Uint8Array(32).fill(7);
      const keystore = await createKeystore(secret, 'bfd', 'pass phrase', { n: 1024 });
      const unlocked = await unlockKeystore(keystore, 'pass phrase');
      expect(toHex(unlocked.secretKey)).toBe(toHex(secret));
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
