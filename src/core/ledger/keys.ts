/**
 * Keys and addresses of the ledger profile (docs/ledger-protocol.md section 2): Ed25519 keys (RFC
 * 8032, `@noble/curves`: audited, the same code in Node and the browser), an account id that is the
 * first 20 bytes of the public key's SHA-256, and its bech32m address (BIP 350) with the network's
 * prefix, so a mistyped address fails its checksum.
 */

import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bech32m } from '@scure/base';
import { BlockforgeError, ErrorCode } from '../errors.js';

/** Bytes of an account id. */
export const ACCOUNT_ID_BYTES = 20;

/** A new random secret key (32 bytes), made where it is used: a node never sees one. */
export function newSecretKey(): Uint8Array {
  return ed25519.utils.randomSecretKey();
}

/** The public key (32 bytes) of a secret key. */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

/** The account id of a public key: `sha256(pubkey)[0..20]`. */
export function accountId(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) throw new RangeError('an Ed25519 public key is 32 bytes');
  return sha256(publicKey).slice(0, ACCOUNT_ID_BYTES);
}

/** The address of an account id on the network whose prefix is `hrp`. */
export function encodeAddress(hrp: string, id: Uint8Array): string {
  if (id.length !== ACCOUNT_ID_BYTES) throw new RangeError(`an account id is ${ACCOUNT_ID_BYTES} bytes`);
  return bech32m.encode(hrp, bech32m.toWords(id));
}

/** The address of a public key. */
export function addressOf(hrp: string, publicKey: Uint8Array): string {
  return encodeAddress(hrp, accountId(publicKey));
}

/**
 * The account id an address names, on the network whose prefix is `hrp`. Throws INVALID_ADDRESS
 * saying what is wrong: a bad checksum (a typo), another network's prefix, or another length.
 */
export function parseAddress(hrp: string, address: string): Uint8Array {
  let decoded: { prefix: string; words: number[] };
  try {
    decoded = bech32m.decode(address as `${string}1${string}`);
  } catch (err) {
    throw new BlockforgeError(
      ErrorCode.InvalidAddress,
      `${JSON.stringify(address.slice(0, 100))} is not an address (${(err as Error).message}): check it for a typo`,
    );
  }
  if (decoded.prefix !== hrp) {
    throw new BlockforgeError(
      ErrorCode.InvalidAddress,
      `the address is for the network "${decoded.prefix}", this one is "${hrp}"`,
    );
  }
  const id = bech32m.fromWords(decoded.words);
  if (id.length !== ACCOUNT_ID_BYTES) {
    throw new BlockforgeError(
      ErrorCode.InvalidAddress,
      `the address holds ${id.length} bytes, not ${ACCOUNT_ID_BYTES}`,
    );
  }
  return id;
}

/** Ed25519 signature (64 bytes) of `message`. */
export function sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed25519.sign(message, secretKey);
}

/**
 * Whether `signature` is `publicKey`'s Ed25519 signature of `message`, strictly as RFC 8032 says
 * (canonical S; not the looser ZIP 215 rules), so every node agrees on every signature.
 */
export function verifySignature(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}
