/**
 * Ed25519 verification at OpenSSL's speed with noble-strict's verdicts. OpenSSL (node:crypto)
 * verifies about 10x faster than `@noble/curves` here (bench/ed25519.mjs: ~9,000/s against ~850/s
 * on one core), but the two disagree on crafted signatures: OpenSSL accepts small-order public keys,
 * and refuses some signatures with a small-order part in R or A that noble's cofactored check
 * accepts. A consensus rule must give one verdict on every node and in the browser (which runs
 * noble), so: a key that noble would refuse outright (non-canonical y, or the y of a small-order
 * point) is refused; OpenSSL's accept is then noble's accept; OpenSSL's refusal goes to noble.
 * test/unit/ed25519-agreement.test.ts checks this against the published edge cases.
 */

import { createPublicKey, verify as opensslVerify } from 'node:crypto';
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
 * accepts (the common case: honest signatures), through noble where it refuses.
 */
export function verifySignatureFast(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
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
