/**
 * The ledger's wire forms (docs/ledger-protocol.md sections 3 and 4): headers, payments, rewards
 * and blocks, decoded from untrusted JSON into typed values (rule L1, shape) and encoded back.
 * Every field has one spelling (lowercase hex, amounts without leading zeros, canonical addresses),
 * so a transaction or block has one JSON form and one hash.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import type { Block, Transaction } from '../block.js';
import { canonicalJson, sha256Hex } from '../canonical.js';
import { describe } from '../describe.js';
import { BlockforgeError, ChainRuleError, ErrorCode, type ErrorCodeValue } from '../errors.js';
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue, newJsonObject } from '../json.js';
import { toHex } from '../sha256.js';
import { workOf } from './asert.js';
import { parseUnits, targetHex } from './genesis.js';
import { encodeAddress, parseAddress } from './keys.js';
import { merkleRoot } from './merkle.js';
import { type PaymentFields, paymentId } from './transaction.js';

/** The header version this code reads and writes. */
export const HEADER_VERSION = 1;

/** Bytes to hex-decode: 64 hex to 32 bytes, and so on. */
export function fromHex(hex: string): Uint8Array {
  // From char codes through a table: no substring and no parseInt per byte (measured: a 10,000-
  // payment block's non-signature validation 557 -> 482 ms).
  if (hex.length % 2 !== 0) throw new RangeError(`odd hex length ${hex.length}`);
  const out = new Uint8Array(hex.length >> 1);
  for (let k = 0; k < out.length; k++) {
    out[k] = ((HEX_VALUE[hex.charCodeAt(2 * k)] as number) << 4) | (HEX_VALUE[hex.charCodeAt(2 * k + 1)] as number);
  }
  return out;
}

/** Value of each ASCII hex digit by char code (0 elsewhere; callers pass checked hex). */
const HEX_VALUE = (() => {
  const table = new Uint8Array(128);
  for (let d = 0; d < 10; d++) table[0x30 + d] = d;
  for (let d = 0; d < 6; d++) {
    table[0x61 + d] = 10 + d;
    table[0x41 + d] = 10 + d;
  }
  return table;
})();

const HEX64 = /^[0-9a-f]{64}$/;
const HEX128 = /^[0-9a-f]{128}$/;

/** A block header, decoded. */
export class LedgerHeader {
  constructor(
    readonly height: number,
    /** The parent's hash (64 zeros for the genesis). */
    readonly parent: string,
    readonly merkle: string,
    readonly time: number,
    readonly target: bigint,
    readonly nonce: number,
    /** sha256 of the header's canonical JSON. */
    readonly hash: string,
    readonly json: JsonObject,
  ) {}

  /** The parent's hash, or null for a genesis header. */
  get parentHash(): string | null {
    return this.height === 1 ? null : this.parent;
  }

  /** Expected hashes to meet this header's target. */
  get work(): bigint {
    return workOf(this.target);
  }
}

/** The header JSON for these fields. */
export function headerJson(fields: {
  height: number;
  parent: string;
  merkle: string;
  time: number;
  target: bigint;
  nonce: number;
}): JsonObject {
  const out = newJsonObject();
  out.height = JsonNumber.int(fields.height);
  out.merkle = fields.merkle;
  out.nonce = JsonNumber.int(fields.nonce);
  out.parent = fields.parent;
  out.target = targetHex(fields.target);
  out.time = JsonNumber.int(fields.time);
  out.version = JsonNumber.int(HEADER_VERSION);
  return out;
}

/** A header built from trusted fields (forging), hashed. */
export function makeHeader(fields: Parameters<typeof headerJson>[0]): LedgerHeader {
  const json = headerJson(fields);
  return new LedgerHeader(
    fields.height,
    fields.parent,
    fields.merkle,
    fields.time,
    fields.target,
    fields.nonce,
    sha256Hex(canonicalJson(json)),
    json,
  );
}

/** Reads a non-negative JSON integer of at most 2^53 - 1, or null. */
function safeInt(value: JsonValue | undefined): number | null {
  if (!(value instanceof JsonNumber) || !/^(0|[1-9][0-9]{0,15})$/.test(value.text)) return null;
  const n = Number(value.text);
  return Number.isSafeInteger(n) ? n : null;
}

const HEADER_KEYS = ['height', 'merkle', 'nonce', 'parent', 'target', 'time', 'version'];

/** Rule L1 for a header: exactly its seven keys, each of its type and spelling. */
export function decodeHeader(value: JsonValue | undefined, position: number): LedgerHeader {
  const bad = (message: string): ChainRuleError => new ChainRuleError(ErrorCode.HeaderInvalid, position, message);
  if (!isJsonObject(value)) throw bad(`the header must be an object (got ${describe(value)})`);
  const keys = Object.keys(value);
  if (keys.length !== HEADER_KEYS.length || !HEADER_KEYS.every((k) => value[k] !== undefined)) {
    throw bad(`the header must have exactly the keys ${HEADER_KEYS.join(', ')} (L1)`);
  }
  const version = safeInt(value.version);
  if (version !== HEADER_VERSION) throw bad(`header version must be ${HEADER_VERSION} (L1)`);
  const height = safeInt(value.height);
  if (height === null || height < 1) throw bad('header height must be an integer >= 1 (L1)');
  const time = safeInt(value.time);
  if (time === null) throw bad('header time must be a non-negative integer of seconds (L1)');
  const nonce = safeInt(value.nonce);
  if (nonce === null) throw bad('header nonce must be an integer from 0 to 2^53 - 1 (L1)');
  const { parent, merkle, target } = value;
  for (const [name, hex] of [
    ['parent', parent],
    ['merkle', merkle],
    ['target', target],
  ] as const) {
    if (typeof hex !== 'string' || !HEX64.test(hex)) throw bad(`header ${name} must be 64 lowercase hex digits (L1)`);
  }
  const targetValue = BigInt(`0x${target as string}`);
  if (targetValue === 0n) throw bad('header target must not be zero (L1)');
  return new LedgerHeader(
    height,
    parent as string,
    merkle as string,
    time,
    targetValue,
    nonce,
    sha256Hex(canonicalJson(value)),
    value,
  );
}

/** What kind of ledger transaction. */
export type LedgerTransaction = Payment | Coinbase;

/** A signed payment, decoded; its signature is checked by rule L9 (see `verifyPaymentSignature`). */
export class Payment implements Transaction {
  readonly kind = 'payment' as const;
  constructor(
    readonly json: JsonObject,
    readonly canonical: string,
    readonly id: string,
    readonly fields: PaymentFields,
    readonly signature: Uint8Array,
    /** The chain id it names (64 hex). */
    readonly chain: string,
    /** The sender's public key (64 hex). */
    readonly fromKey: string,
    /** The sender's address on this network. */
    readonly sender: string,
    /** The recipient's address. */
    readonly to: string,
  ) {}
  get amount(): bigint {
    return this.fields.amount;
  }
  get fee(): bigint {
    return this.fields.fee;
  }
  get nonce(): bigint {
    return this.fields.nonce;
  }
}

/** A block reward (and, in the genesis, an allocation). */
export class Coinbase implements Transaction {
  readonly kind = 'coinbase' as const;
  constructor(
    readonly json: JsonObject,
    readonly canonical: string,
    readonly id: string,
    /** The height it names. */
    readonly height: number,
    readonly to: string,
    readonly amount: bigint,
  ) {}
}

const PAYMENT_KEYS = ['amount', 'chain', 'fee', 'from', 'nonce', 'sig', 'to'];
const COINBASE_KEYS = ['amount', 'coinbase', 'to'];

const CB_TAG = new TextEncoder().encode('BFCB1');

/** A reward's id: `sha256("BFCB1" || u64be(height) || to account id || u64be(amount))`. */
export function coinbaseId(height: number, toId: Uint8Array, amount: bigint): string {
  const data = new Uint8Array(CB_TAG.length + 8 + toId.length + 8);
  const view = new DataView(data.buffer);
  data.set(CB_TAG, 0);
  view.setBigUint64(CB_TAG.length, BigInt(height));
  data.set(toId, CB_TAG.length + 8);
  view.setBigUint64(CB_TAG.length + 8 + toId.length, amount);
  return toHex(sha256(data));
}

/** An error about a transaction: a chain rule (in a block) or a client's mistake (policy). */
export type TxErrorFactory = (code: ErrorCodeValue, message: string, field?: string) => BlockforgeError;

/** Errors inside a block at `position` name the block and the transaction. */
export function blockTxError(position: number, index: number, rule: string): TxErrorFactory {
  return (code, message) =>
    new ChainRuleError(
      // In a block, a malformed transaction breaks a chain rule: the chain-rule code, as the tutorial's.
      code === ErrorCode.InvalidTransaction || code === ErrorCode.InvalidAddress ? ErrorCode.TransactionInvalid : code,
      position,
      `transaction ${index}: ${message}${/\(L\d+\)$/.test(message) ? '' : ` (${rule})`}`,
    );
}

/** Errors for a client name the field. */
export const clientTxError: TxErrorFactory = (code, message, field) =>
  new BlockforgeError(code, message, field === undefined ? {} : { field });

/** Rule L1 for a payment: its seven keys, each of its type and one spelling. */
export function decodePayment(value: JsonValue, hrp: string, error: TxErrorFactory): Payment {
  const invalid = (message: string, field?: string): BlockforgeError =>
    error(ErrorCode.InvalidTransaction, message, field);
  if (!isJsonObject(value)) throw invalid(`a payment must be a JSON object (got ${describe(value)})`);
  for (const key of Object.keys(value)) {
    if (!PAYMENT_KEYS.includes(key))
      throw invalid(`unknown field "${key.slice(0, 40)}" (a payment has ${PAYMENT_KEYS.join(', ')})`, key);
  }
  for (const key of PAYMENT_KEYS) if (value[key] === undefined) throw invalid(`"${key}" is missing`, key);
  const { chain, from, to, sig } = value;
  if (typeof chain !== 'string' || !HEX64.test(chain)) {
    throw invalid('"chain" must be the genesis hash, 64 lowercase hex digits', 'chain');
  }
  if (typeof from !== 'string' || !HEX64.test(from)) {
    throw invalid('"from" must be the sender\'s public key, 64 lowercase hex digits', 'from');
  }
  if (typeof sig !== 'string' || !HEX128.test(sig)) {
    throw invalid('"sig" must be an Ed25519 signature, 128 lowercase hex digits', 'sig');
  }
  if (typeof to !== 'string') throw invalid('"to" must be an address', 'to');
  let toId: Uint8Array;
  try {
    toId = parseAddress(hrp, to);
  } catch (err) {
    throw error(ErrorCode.InvalidAddress, `"to": ${(err as Error).message}`, 'to');
  }
  // One spelling per address (bech32m also reads upper case): one JSON form per payment.
  if (encodeAddress(hrp, toId) !== to) throw invalid('"to" must be written in lower case', 'to');
  const units = (field: 'amount' | 'fee' | 'nonce'): bigint => {
    const n = parseUnits(value[field]);
    if (n === null) {
      throw invalid(
        `"${field}" must be a string of decimal digits, 0 to 2^63 - 1, without leading zeros (got ${describe(value[field])})`,
        field,
      );
    }
    return n;
  };
  const fields: PaymentFields = {
    chain: fromHex(chain),
    from: fromHex(from),
    to: toId,
    amount: units('amount'),
    fee: units('fee'),
    nonce: units('nonce'),
  };
  const signature = fromHex(sig);
  const sender = encodeAddress(hrp, sha256(fields.from).slice(0, 20));
  return new Payment(
    value,
    canonicalJson(value),
    paymentId(fields, signature),
    fields,
    signature,
    chain,
    from,
    sender,
    to,
  );
}

/** Rule L1 for a reward: its three keys. */
export function decodeCoinbase(value: JsonValue, hrp: string, error: TxErrorFactory): Coinbase {
  const invalid = (message: string): BlockforgeError => error(ErrorCode.RewardInvalid, message);
  if (!isJsonObject(value)) throw invalid(`a reward must be a JSON object (got ${describe(value)})`);
  const keys = Object.keys(value);
  if (keys.length !== COINBASE_KEYS.length || !COINBASE_KEYS.every((k) => value[k] !== undefined)) {
    throw invalid(`a reward has exactly the keys ${COINBASE_KEYS.join(', ')}`);
  }
  const height = safeInt(value.coinbase);
  if (height === null || height < 1) throw invalid('"coinbase" must be the block height');
  const amount = parseUnits(value.amount);
  if (amount === null) throw invalid('"amount" must be a string of base units without leading zeros');
  const to = value.to;
  if (typeof to !== 'string') throw invalid('"to" must be an address');
  let toId: Uint8Array;
  try {
    toId = parseAddress(hrp, to);
  } catch (err) {
    throw invalid(`"to": ${(err as Error).message}`);
  }
  if (encodeAddress(hrp, toId) !== to) throw invalid('"to" must be written in lower case');
  return new Coinbase(value, canonicalJson(value), coinbaseId(height, toId, amount), height, to, amount);
}

/** A reward's JSON and decoded form, built from trusted fields (forging, genesis). */
export function makeCoinbase(height: number, to: string, amount: bigint, hrp: string): Coinbase {
  const json = newJsonObject();
  json.amount = amount.toString();
  json.coinbase = JsonNumber.int(height);
  json.to = to;
  return decodeCoinbase(json, hrp, clientTxError);
}

/** The payment JSON for signed fields (wallets build it). */
export function paymentJson(fields: PaymentFields, signature: Uint8Array, hrp: string): JsonObject {
  const json = newJsonObject();
  json.amount = fields.amount.toString();
  json.chain = toHex(fields.chain);
  json.fee = fields.fee.toString();
  json.from = toHex(fields.from);
  json.nonce = fields.nonce.toString();
  json.sig = toHex(signature);
  json.to = encodeAddress(hrp, fields.to);
  return json;
}

/** A decoded ledger block. */
export class LedgerBlock implements Block {
  constructor(
    readonly header: LedgerHeader,
    readonly transactions: readonly LedgerTransaction[],
    readonly json: JsonObject,
    readonly size: number,
    /** Its position in the chain it was read from (errors name it), its height when unknown. */
    readonly position: number = header.height,
  ) {}
  get height(): number {
    return this.header.height;
  }
  get hash(): string {
    return this.header.hash;
  }
  get parentHash(): string | null {
    return this.header.parentHash;
  }
  get work(): bigint {
    return this.header.work;
  }
}

/** The merkle root (64 hex) of transactions, by their ids. */
export function merkleOf(transactions: readonly Transaction[]): string {
  return toHex(merkleRoot(transactions.map((tx) => fromHex(tx.id))));
}

/** A block's JSON from its header and transactions. */
export function blockJson(header: LedgerHeader, transactions: readonly Transaction[]): JsonObject {
  const json = newJsonObject();
  json.header = header.json;
  json.transactions = transactions.map((tx) => tx.json);
  return json;
}

/** Bytes of a block's canonical JSON, from its parts' (no second encoding of every transaction). */
export function blockSize(header: LedgerHeader, transactions: readonly Transaction[]): number {
  // {"header": H, "transactions": [t1, t2]}
  let size = '{"header": '.length + canonicalJson(header.json).length + ', "transactions": ['.length + 2;
  for (let k = 0; k < transactions.length; k++)
    size += (transactions[k] as Transaction).canonical.length + (k > 0 ? 2 : 0);
  return size;
}
