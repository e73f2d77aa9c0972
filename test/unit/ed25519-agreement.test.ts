/**
 * Where Ed25519 verifiers disagree: @noble/curves in strict RFC 8032 mode (`zip215: false`, what
 * src/core/ledger/keys.ts and the browser use) against node:crypto (OpenSSL 3.0, Node 20), on the
 * edge cases of "Taming the many EdDSAs" (Chalkias, Garillot, Nikolaenko, CCS 2020; vectors of
 * github.com/novifinancial/ed25519-speccheck) and on cases built here: the 8 small-order public keys
 * in all their encodings, non-canonical S, R and A, mixed-order A and R, the RFC 8032 vectors, and
 * flipped bits. Each case asserts what each verifier says as measured, so a library or OpenSSL update
 * that changes a verdict fails here.
 *
 * Measured (noble-strict / OpenSSL):
 * - noble refuses, OpenSSL accepts: a small-order public key (all 8 points, and the non-canonical
 *   encodings y >= p and "negative zero" x = 0 with the sign bit): noble refuses any small-order A,
 *   OpenSSL checks only the equation, which such a key meets with R = -kA.
 * - noble accepts, OpenSSL refuses: a small-order component in A or R (mixed-order A, small or mixed
 *   R): noble checks the cofactored equation [8](R + kA - SB) = 0, OpenSSL the cofactorless one
 *   R = SB - kA and compares encodings.
 * - both refuse: S >= L, a non-canonical R (y >= p or negative zero), any flipped bit.
 *
 * The node gives noble's verdict through OpenSSL (`verifySignatureFast`, as `noblesVerdict` below): refuse a public key
 * that is non-canonical or of small order by its bytes (cheap), accept what OpenSSL accepts (a
 * cofactorless accept is a cofactored accept, and OpenSSL refuses S >= L and non-canonical R), and
 * ask noble when OpenSSL refuses (only invalid or crafted signatures get there).
 */

import { createPublicKey, type KeyObject, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { publicKeyPasses, verifySignatureFast } from '../../src/node/ed25519-verify.js';
import { le32, leNumber } from '../support/ed25519.js';

const Point = ed25519.Point;
const L = Point.Fn.ORDER;
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

/** The challenge k = SHA-512(R || A || M) mod L, over the bytes as sent. */
function challenge(r: Uint8Array, a: Uint8Array, msg: Uint8Array): bigint {
  return leNumber(sha512(concat(r, a, msg))) % L;
}

/** A point from any 32-byte encoding, non-canonical ones included (ZIP 215 decoding). */
const decode = (enc: string) => Point.fromBytes(bytes(enc), true);

function nobleStrict(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  try {
    return ed25519.verify(sig, msg, pub, { zip215: false });
  } catch {
    return false;
  }
}

function keyFromDer(pub: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
}

function keyFromJwk(pub: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pub).toString('base64url') },
    format: 'jwk',
  });
}

/** OpenSSL's verdict; the key is built both ways (DER and JWK), which must agree. */
function openssl(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  const der = nodeVerify(null, msg, keyFromDer(pub), sig);
  const jwk = nodeVerify(null, msg, keyFromJwk(pub), sig);
  if (der !== jwk) throw new Error(`DER key says ${der}, JWK key says ${jwk}`);
  return der;
}

/** noble-strict's verdict, computed through OpenSSL where OpenSSL accepts. */
function noblesVerdict(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  return publicKeyPasses(pub) && (openssl(sig, msg, pub) || nobleStrict(sig, msg, pub));
}

interface Case {
  name: string;
  pub: Uint8Array;
  msg: Uint8Array;
  sig: Uint8Array;
  noble: boolean;
  openssl: boolean;
}

const cases: Case[] = [];
const add = (name: string, pub: Uint8Array, msg: Uint8Array, sig: Uint8Array, noble: boolean, ossl: boolean) =>
  cases.push({ name, pub, msg, sig, noble, openssl: ossl });

// RFC 8032 section 7.1, TESTS 1-3: valid everywhere.
const RFC8032 = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];
for (const [i, v] of RFC8032.entries()) {
  add(`RFC 8032 TEST ${i + 1}: valid`, bytes(v.public), bytes(v.message), bytes(v.signature), true, true);
}

// Flipped bits in the RFC 8032 TEST 2 signature, message and key.
{
  const v = RFC8032[1] as (typeof RFC8032)[number];
  const flip = (h: string, at: number, bit = 1) => {
    const b = bytes(h);
    b[at] = (b[at] as number) ^ bit;
    return b;
  };
  add('TEST 2, a bit of the message flipped', bytes(v.public), flip(v.message, 0), bytes(v.signature), false, false);
  add('TEST 2, a bit of R flipped', bytes(v.public), bytes(v.message), flip(v.signature, 3), false, false);
  add('TEST 2, a bit of S flipped', bytes(v.public), bytes(v.message), flip(v.signature, 40), false, false);
  add('TEST 2, the top bit of S set', bytes(v.public), bytes(v.message), flip(v.signature, 63, 0x80), false, false);
  add('TEST 2, a bit of the public key flipped', flip(v.public, 5), bytes(v.message), bytes(v.signature), false, false);
  add(
    'TEST 2, the sign bit of the public key flipped',
    flip(v.public, 31, 0x80),
    bytes(v.message),
    bytes(v.signature),
    false,
    false,
  );
}

// A public key that is no point: y = 2 has no x on the curve. OpenSSL imports it (DER and JWK
// alike: it does not check a raw key) and refuses the signature; noble refuses to decode it.
{
  const v = RFC8032[1] as (typeof RFC8032)[number];
  const notOnCurve = le32(2n);
  add('a public key not on the curve (y = 2)', notOnCurve, bytes(v.message), bytes(v.signature), false, false);
}

// Non-canonical S: the same (R, S mod L) with S + L and S + 2L, both below 2^256.
for (const [i, v] of RFC8032.entries()) {
  const sig = bytes(v.signature);
  const s = leNumber(sig.subarray(32));
  for (const [label, big] of [
    ['S + L', s + L],
    ['S + 2L', s + 2n * L],
  ] as const) {
    add(
      `TEST ${i + 1} with ${label} (non-canonical S)`,
      bytes(v.public),
      bytes(v.message),
      concat(sig.subarray(0, 32), le32(big)),
      false,
      false,
    );
  }
}

// Small-order public keys: the 8 points' canonical encodings and the 6 non-canonical ones (y >= p,
// or x = 0 with the sign bit). Each gets the signature R = identity, S = 0 on a message whose
// challenge k has kA = identity, so the cofactorless equation R = SB - kA holds: OpenSSL accepts,
// noble-strict refuses any small-order A.
const SMALL_ORDER_KEYS: [string, string][] = [
  ['identity', '0100000000000000000000000000000000000000000000000000000000000000'],
  ['(0, -1), order 2', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ['order 4, y = 0, x even', '0000000000000000000000000000000000000000000000000000000000000000'],
  ['order 4, y = 0, x odd', '0000000000000000000000000000000000000000000000000000000000000080'],
  ['order 8, c717..7a', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'],
  ['order 8, c717..fa', 'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa'],
  ['order 8, 26e8..05', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'],
  ['order 8, 26e8..85', '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85'],
  ['identity, negative zero (non-canonical)', '0100000000000000000000000000000000000000000000000000000000000080'],
  ['(0, -1), negative zero (non-canonical)', 'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'],
  ['identity as y = p + 1 (non-canonical)', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  [
    'identity as y = p + 1, sign bit (non-canonical)',
    'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  ],
  ['order 4 as y = p (non-canonical)', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'],
  ['order 4 as y = p, sign bit (non-canonical)', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'],
];
const IDENTITY = Point.ZERO.toBytes();
for (const [label, enc] of SMALL_ORDER_KEYS) {
  const a = decode(enc);
  const pub = bytes(enc);
  let msg = utf8('small-order key 0');
  for (let n = 1; !a.multiplyUnsafe(challenge(IDENTITY, pub, msg)).is0(); n++) msg = utf8(`small-order key ${n}`);
  add(`small-order key: ${label}`, pub, msg, concat(IDENTITY, le32(0n)), false, true);
}

// Signatures by a real key (RFC 8032 TEST 1's secret) with a crafted R: R = rB + T for a point T of
// small order and S = r + ka. The cofactored equation holds (noble accepts any T), the cofactorless
// one only for T = 0 (OpenSSL also compares R's bytes with the canonical encoding).
{
  const v = RFC8032[0] as (typeof RFC8032)[number];
  const pub = bytes(v.public);
  const a = ed25519.utils.getExtendedPublicKey(bytes(v.secret)).scalar;
  const msg = utf8('a payment');
  const withR = (label: string, rBytes: Uint8Array, r: bigint, noble: boolean, ossl: boolean) => {
    const s = (r + challenge(rBytes, pub, msg) * a) % L;
    add(`real key, R = ${label}`, pub, msg, concat(rBytes, le32(s)), noble, ossl);
  };
  const r = 0x1234567890abcdefn;
  const rB = Point.BASE.multiply(r);
  withR('rB (an ordinary signature)', rB.toBytes(), r, true, true);
  withR('identity (r = 0)', IDENTITY, 0n, true, true);
  withR('identity as y = p + 1 (non-canonical R)', bytes(SMALL_ORDER_KEYS[10]?.[1] as string), 0n, false, false);
  withR('identity, negative zero (non-canonical R)', bytes(SMALL_ORDER_KEYS[8]?.[1] as string), 0n, false, false);
  withR('(0, -1): small order 2', bytes(SMALL_ORDER_KEYS[1]?.[1] as string), 0n, true, false);
  withR('an order-8 point', bytes(SMALL_ORDER_KEYS[4]?.[1] as string), 0n, true, false);
  withR(
    'rB + order-8 point (mixed order)',
    rB.add(decode(SMALL_ORDER_KEYS[4]?.[1] as string)).toBytes(),
    r,
    true,
    false,
  );
  withR('rB + (0, -1) (mixed order)', rB.add(decode(SMALL_ORDER_KEYS[1]?.[1] as string)).toBytes(), r, true, false);
}

// A mixed-order public key A = aB + T (T of order 8), signed honestly with a: SB - kA = R - kT, so
// the cofactorless equation holds only when 8 divides k; the cofactored one always does.
{
  const a = ed25519.utils.getExtendedPublicKey(bytes((RFC8032[1] as (typeof RFC8032)[number]).secret)).scalar;
  const pub = Point.BASE.multiply(a)
    .add(decode(SMALL_ORDER_KEYS[4]?.[1] as string))
    .toBytes();
  const r = 0xfedcba0987654321n;
  const rBytes = Point.BASE.multiply(r).toBytes();
  const signWith = (want: (k: bigint) => boolean, label: string, ossl: boolean) => {
    let n = 0;
    let msg = utf8(`mixed-order key ${n}`);
    while (!want(challenge(rBytes, pub, msg))) msg = utf8(`mixed-order key ${++n}`);
    const s = (r + challenge(rBytes, pub, msg) * a) % L;
    add(`mixed-order key (aB + order-8 point), ${label}`, pub, msg, concat(rBytes, le32(s)), true, ossl);
  };
  signWith((k) => k % 8n !== 0n, 'k not divisible by 8', false);
  signWith((k) => k % 8n === 0n, 'k divisible by 8', true);
}

// The 15 vectors of ed25519-speccheck (cases.json), numbered as in its README's results table.
const SPECCHECK: [string, string, string, string, boolean, boolean][] = [
  [
    '0: S = 0, small A and R, cofactored only',
    '2a66241a42a9ee12994d8068dcf1bb7dfc6637b45450acd43711f637fa5080fc',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000',
    false,
    false,
  ],
  [
    '1: S = 0, small A and R, both equations',
    '8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000',
    false,
    true,
  ],
  [
    '2: small A, mixed R, cofactored only',
    '9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04',
    false,
    false,
  ],
  [
    '3: small A, mixed R, both equations',
    '9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
    'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04',
    false,
    true,
  ],
  [
    '4: mixed A, small R, cofactored only',
    '9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41',
    'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa182ef1a5b928da07fec769cc8a12db6bcf70dab3f3227fa315e9d5e3e01a3405',
    true,
    false,
  ],
  [
    '5: mixed A, small R, both equations',
    'aebf3f2601a0c8c5d39cc7d8911642f740b78168218da8471772b35f9d35b9ab',
    'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43',
    'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa8c4bd45aecaca5b24fb97bc10ac27ac8751a7dfe1baff8b953ec9f5833ca260e',
    true,
    true,
  ],
  [
    '6: prime-order A and R, both equations',
    '9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79',
    'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d',
    '9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009',
    true,
    true,
  ],
  [
    '7: mixed A and R, cofactored only',
    'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c',
    'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d',
    '160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09',
    true,
    false,
  ],
  [
    '8: cofactored, fails if 8k is reduced mod L first',
    'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c',
    'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d',
    '21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405',
    true,
    false,
  ],
  [
    '9: S > L',
    '85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40',
    '442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623',
    'e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514',
    false,
    false,
  ],
  [
    '10: S >> L (top bits set)',
    '85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40',
    '442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623',
    '8ce5b96c8f26d0ab6c47958c9e68b937104cd36e13c33566acd2fe8d38aa19427e71f98a473474f2f13f06f97c20d58cc3f54b8bd0d272f42b695dd7e89a8c22',
    false,
    false,
  ],
  [
    '11: non-canonical R (negative zero), R reduced before hashing',
    '9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41',
    'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff03be9678ac102edcd92b0210bb34d7428d12ffc5df5f37e359941266a4e35f0f',
    false,
    false,
  ],
  [
    '12: non-canonical R (negative zero), R as sent in the hash',
    '9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41',
    'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffca8c5b64cd208982aa38d4936621a4775aa233aa0505711d8fdcfdaa943d4908',
    false,
    false,
  ],
  [
    '13: non-canonical A (negative zero), A reduced before hashing',
    'e96b7021eb39c1a163b6da4e3093dcd3f21387da4cc4572be588fafae23c155b',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04',
    false,
    false,
  ],
  [
    '14: non-canonical A (negative zero), A as sent in the hash',
    '39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f',
    'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
    'a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04',
    false,
    true,
  ],
];
for (const [label, msg, pub, sig, noble, ossl] of SPECCHECK) {
  add(`speccheck ${label}`, bytes(pub), bytes(msg), bytes(sig), noble, ossl);
}

describe('Ed25519 verdicts: noble strict against node:crypto (OpenSSL)', () => {
  it.each(cases)('$name: noble $noble, OpenSSL $openssl', (c) => {
    expect({ noble: nobleStrict(c.sig, c.msg, c.pub), openssl: openssl(c.sig, c.msg, c.pub) }).toEqual({
      noble: c.noble,
      openssl: c.openssl,
    });
  });

  it('differ exactly on small-order keys (OpenSSL accepts) and small-order components (noble accepts)', () => {
    const differ = cases.filter((c) => c.noble !== c.openssl).map((c) => `${c.noble ? 'noble' : 'OpenSSL'}: ${c.name}`);
    expect(differ).toEqual([
      'OpenSSL: small-order key: identity',
      'OpenSSL: small-order key: (0, -1), order 2',
      'OpenSSL: small-order key: order 4, y = 0, x even',
      'OpenSSL: small-order key: order 4, y = 0, x odd',
      'OpenSSL: small-order key: order 8, c717..7a',
      'OpenSSL: small-order key: order 8, c717..fa',
      'OpenSSL: small-order key: order 8, 26e8..05',
      'OpenSSL: small-order key: order 8, 26e8..85',
      'OpenSSL: small-order key: identity, negative zero (non-canonical)',
      'OpenSSL: small-order key: (0, -1), negative zero (non-canonical)',
      'OpenSSL: small-order key: identity as y = p + 1 (non-canonical)',
      'OpenSSL: small-order key: identity as y = p + 1, sign bit (non-canonical)',
      'OpenSSL: small-order key: order 4 as y = p (non-canonical)',
      'OpenSSL: small-order key: order 4 as y = p, sign bit (non-canonical)',
      'noble: real key, R = (0, -1): small order 2',
      'noble: real key, R = an order-8 point',
      'noble: real key, R = rB + order-8 point (mixed order)',
      'noble: real key, R = rB + (0, -1) (mixed order)',
      'noble: mixed-order key (aB + order-8 point), k not divisible by 8',
      'OpenSSL: speccheck 1: S = 0, small A and R, both equations',
      'OpenSSL: speccheck 3: small A, mixed R, both equations',
      'noble: speccheck 4: mixed A, small R, cofactored only',
      'noble: speccheck 7: mixed A and R, cofactored only',
      'noble: speccheck 8: cofactored, fails if 8k is reduced mod L first',
      'OpenSSL: speccheck 14: non-canonical A (negative zero), A as sent in the hash',
    ]);
  });

  it("the key pre-check + OpenSSL + noble on OpenSSL's refusals gives noble's verdict on every case", () => {
    for (const c of cases) expect(noblesVerdict(c.sig, c.msg, c.pub), c.name).toBe(c.noble);
  });

  it("the node's verifier (src/node/ed25519-verify.ts) gives noble's verdict on every case", () => {
    for (const c of cases) expect(verifySignatureFast(c.sig, c.msg, c.pub), c.name).toBe(c.noble);
  });

  it('the key pre-check refuses exactly the keys noble-strict cannot accept (all small-order encodings)', () => {
    for (const [label, enc] of SMALL_ORDER_KEYS) expect(publicKeyPasses(bytes(enc)), label).toBe(false);
    for (const v of RFC8032) expect(publicKeyPasses(bytes(v.public))).toBe(true);
    // y = p - 1 with x odd is (0, -1) negative zero; y = 2^255 - 1 is >= p; both refused.
    expect(publicKeyPasses(bytes(`${'ff'.repeat(31)}7f`))).toBe(false);
    // A key that decodes with y >= p but is not of small order cannot be signed for (its discrete
    // log is unknown); noble refuses its encoding, and so does the pre-check.
    const decoding: number[] = [];
    for (let y = 0; y <= 18; y++) {
      const enc = le32(2n ** 255n - 19n + BigInt(y));
      try {
        decode(hex(enc));
      } catch {
        continue;
      }
      decoding.push(y);
      expect([publicKeyPasses(enc), nobleStrict(new Uint8Array(64), new Uint8Array(0), enc)], `y = p + ${y}`).toEqual([
        false,
        false,
      ]);
    }
    expect(decoding).toEqual([0, 1, 3, 4, 5, 6, 9, 10, 14, 15, 16, 18]);
    expect(() => decode(hex(le32(2n)))).toThrow(); // y = 2: no point (a case above)
  });

  it('agree on random keys: both sign the same bytes, accept them, and refuse any one-byte change', () => {
    for (let n = 0; n < 24; n++) {
      const secret = ed25519.utils.randomSecretKey();
      const pub = ed25519.getPublicKey(secret);
      const msg = Uint8Array.from(Buffer.alloc(113, n));
      const sig = ed25519.sign(msg, secret);
      const secretKey = Buffer.concat([PKCS8_PREFIX, secret]);
      expect(hex(nodeSign(null, msg, { key: secretKey, format: 'der', type: 'pkcs8' }))).toBe(hex(sig));
      expect([nobleStrict(sig, msg, pub), openssl(sig, msg, pub)]).toEqual([true, true]);
      const bad = Uint8Array.from(sig);
      bad[n % 64] = (bad[n % 64] as number) ^ (1 << (n % 8));
      expect([nobleStrict(bad, msg, pub), openssl(bad, msg, pub)]).toEqual([false, false]);
    }
  });
});
