/**
 * A ledger payment's bytes (docs/ledger-protocol.md section 3): the 113-byte message its sender
 * signs, which names the chain (so a signature is good on one network only) and the nonce (so it is
 * good once), and its id, the hash of the message and the signature.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { toHex } from '../sha256.js';
import { ACCOUNT_ID_BYTES, sign, verifySignature } from './keys.js';

/** The fields a payment's sender signs. */
export interface PaymentFields {
  /** The chain id: the genesis block's hash (32 bytes). */
  readonly chain: Uint8Array;
  /** The sender's public key (32 bytes). */
  readonly from: Uint8Array;
  /** The recipient's account id (20 bytes). */
  readonly to: Uint8Array;
  readonly amount: bigint;
  readonly fee: bigint;
  readonly nonce: bigint;
}

const TAG = new TextEncoder().encode('BFTX1');

/** The first bytes of every signed message, "BFTX1" (a copy: callers may write it into their buffers). */
export function signedMessageTag(): Uint8Array {
  return TAG.slice();
}

/** Bytes of the signed message. */
export const SIGNED_BYTES = TAG.length + 32 + 32 + ACCOUNT_ID_BYTES + 8 + 8 + 8;

/** The largest amount, fee or nonce: 2^63 - 1. */
export const MAX_U63 = (1n << 63n) - 1n;

/** The message a payment's sender signs: "BFTX1" || chain || from || to || amount || fee || nonce. */
export function signedMessage(fields: PaymentFields): Uint8Array {
  const { chain, from, to, amount, fee, nonce } = fields;
  if (chain.length !== 32 || from.length !== 32 || to.length !== ACCOUNT_ID_BYTES) {
    throw new RangeError('chain and from are 32 bytes, to is 20');
  }
  if (amount < 0n || amount > MAX_U63 || fee < 0n || fee > MAX_U63 || nonce < 0n || nonce > MAX_U63) {
    throw new RangeError('amounts, fees and nonces are 0 .. 2^63 - 1');
  }
  // Built twice per payment of a block (its id, its signature): no lists or iterators on the way.
  const out = new Uint8Array(SIGNED_BYTES);
  out.set(TAG, 0);
  out.set(chain, 5);
  out.set(from, 37);
  out.set(to, 69);
  const view = new DataView(out.buffer);
  view.setBigUint64(89, amount);
  view.setBigUint64(97, fee);
  view.setBigUint64(105, nonce);
  return out;
}

/** The sender's signature of a payment. */
export function signPayment(fields: PaymentFields, secretKey: Uint8Array): Uint8Array {
  return sign(signedMessage(fields), secretKey);
}

/** An Ed25519 verifier: noble-strict's verdict (`verifySignature`), or the node's faster one with the same verdicts. */
export type SignatureVerifier = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean;

/** Whether `signature` is the sender's (`fields.from`) signature of the payment. */
export function verifyPayment(
  fields: PaymentFields,
  signature: Uint8Array,
  verify: SignatureVerifier = verifySignature,
): boolean {
  return verify(signature, signedMessage(fields), fields.from);
}

/** A payment's id: `hex(sha256(message || signature))`. */
export function paymentId(fields: PaymentFields, signature: Uint8Array): string {
  const message = signedMessage(fields);
  const data = new Uint8Array(message.length + signature.length);
  data.set(message);
  data.set(signature, message.length);
  return toHex(sha256(data));
}
