/**
 * A payment as the learner sees it: the 113-byte message the sender signs, cut into its parts, the
 * Ed25519 signature, the id, and the browser's own verdict (the core's `verifyPayment`). Built and
 * checked with the node's code (src/core/ledger), not a copy. No DOM here: unit tests run it.
 */

import { BlockforgeError } from '../../src/core/errors.js';
import { type JsonObject, parseJson, writeJson } from '../../src/core/json.js';
import { clientTxError, decodePayment, fromHex, paymentJson } from '../../src/core/ledger/codec.js';
import { parseAddress } from '../../src/core/ledger/keys.js';
import {
  type PaymentFields,
  paymentId,
  SIGNED_BYTES,
  signedMessage,
  signPayment,
  verifyPayment,
} from '../../src/core/ledger/transaction.js';
import { toHex } from '../../src/core/sha256.js';

/** A payment signed (or pasted), with everything the page shows about it. */
export interface SignedPayment {
  readonly fields: PaymentFields;
  /** The 113-byte message, hex (226 digits). */
  readonly messageHex: string;
  readonly signatureHex: string;
  /** `sha256(message || signature)`, computed here. */
  readonly id: string;
  /** The JSON the node receives. */
  readonly json: JsonObject;
  /** Its text, as POSTed. */
  readonly body: string;
  /** The browser's verdict: the core's `verifyPayment`. */
  readonly browserValid: boolean;
}

/** The parts of the signed message, in order: name and byte length. */
export const MESSAGE_PARTS = [
  ['tag', 5],
  ['chain', 32],
  ['from', 32],
  ['to', 20],
  ['amount', 8],
  ['fee', 8],
  ['nonce', 8],
] as const;

/** One part of {@link MESSAGE_PARTS}. */
export type MessagePart = (typeof MESSAGE_PARTS)[number][0];

/** The message hex cut into its parts. */
export function messageParts(messageHex: string): { part: MessagePart; hex: string }[] {
  const out: { part: MessagePart; hex: string }[] = [];
  let at = 0;
  for (const [part, bytes] of MESSAGE_PARTS) {
    out.push({ part, hex: messageHex.slice(at, at + bytes * 2) });
    at += bytes * 2;
  }
  return out;
}

/** What the page needs of the network: GET /genesis's chain id and address prefix. */
export interface NetworkIds {
  readonly chainId: string;
  readonly hrp: string;
}

function describeSigned(fields: PaymentFields, signature: Uint8Array, json: JsonObject, body: string): SignedPayment {
  const message = signedMessage(fields);
  if (message.length !== SIGNED_BYTES) throw new Error('the signed message is not 113 bytes');
  return {
    fields,
    messageHex: toHex(message),
    signatureHex: toHex(signature),
    id: paymentId(fields, signature),
    json,
    body,
    browserValid: verifyPayment(fields, signature),
  };
}

/**
 * Signs a payment in the browser. `to` is checked with the core's `parseAddress` (a typo fails its
 * checksum: INVALID_ADDRESS with the core's message).
 */
export function signNewPayment(
  network: NetworkIds,
  secretKey: Uint8Array,
  publicKey: Uint8Array,
  to: string,
  amount: bigint,
  fee: bigint,
  nonce: bigint,
): SignedPayment {
  const fields: PaymentFields = {
    chain: fromHex(network.chainId),
    from: publicKey,
    to: parseAddress(network.hrp, to.trim()),
    amount,
    fee,
    nonce,
  };
  const signature = signPayment(fields, secretKey);
  const json = paymentJson(fields, signature, network.hrp);
  return describeSigned(fields, signature, json, writeJson(json));
}

/** A pasted payment: decoded and checked in the browser, or why it cannot be read. */
export type PastedPayment =
  | { readonly ok: true; readonly payment: SignedPayment }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * Reads a pasted payment JSON as the node reads it (the core's `decodePayment`) and checks its
 * signature; the text itself is what the page POSTs, unchanged.
 */
export function checkPastedPayment(text: string, hrp: string): PastedPayment {
  try {
    const payment = decodePayment(parseJson(text), hrp, clientTxError);
    return { ok: true, payment: describeSigned(payment.fields, payment.signature, payment.json, text) };
  } catch (err) {
    if (err instanceof BlockforgeError) return { ok: false, code: err.code, message: err.message };
    return { ok: false, code: 'INVALID_JSON', message: (err as Error).message };
  }
}

/** The payment JSON with its signature altered (one hex digit changed): a forgery to paste. */
export function forgeSignature(body: string): string {
  return body.replace(/"sig":\s*"([0-9a-f])/, (_whole, first: string) => {
    const flipped = ((Number.parseInt(first, 16) + 1) % 16).toString(16);
    return `"sig":"${flipped}`;
  });
}
