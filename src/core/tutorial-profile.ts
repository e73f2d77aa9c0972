/**
 * The tutorial's rules (`seed`: the blog post's node; `master`: the tutorial repository's later
 * revision), as one parameterised implementation of {@link RuleProfile}. The two differ only in
 * data: the genesis `previous_hash` (int `1` vs string `"1"`) and whether the proof-of-work message
 * ends with the previous block's hash.
 *
 * Beyond the tutorial's own `valid_chain` (hash links and proof of work), a chain must have the
 * shape honest tutorial nodes produce: exact keys, genesis form, consecutive indexes, well-formed
 * transactions and exactly one reward (sender "0", amount 1) closing every mined block.
 */

import type { Block, Transaction } from './block.js';
import { pyString, pyStringBody, sha256Hex } from './canonical.js';
import { BlockforgeError, ChainRuleError, ErrorCode, type ErrorCodeValue } from './errors.js';
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue } from './json.js';
import { assertDifficulty, type PowChallenge } from './pow.js';
import type { RuleProfile } from './profile.js';

/** The data that makes one tutorial profile. */
export interface TutorialProfileSpec {
  readonly name: string;
  readonly summary: string;
  /** `previous_hash` of the genesis block: int 1 (seed) or string "1" (master). */
  readonly genesisPreviousHash: JsonNumber | string;
  /** `proof` of the genesis block. */
  readonly genesisProof: number;
  /** Whether the proof-of-work message is followed by the previous block's hash (master). */
  readonly powIncludesPreviousHash: boolean;
  /** Leading hex zeros unless the user picks another difficulty. */
  readonly defaultDifficulty: number;
  /** Sender that marks a reward ("newly minted"). */
  readonly rewardSender: string;
  /** Reward amount (int). */
  readonly rewardAmount: number;
  /** Longest sender/recipient accepted, in characters. */
  readonly maxStringLength: number;
}

/** The blog post's node: genesis `previous_hash` 1, proof of work over the two proofs. */
export const SEED_SPEC: TutorialProfileSpec = {
  name: 'seed',
  summary: "the tutorial blog post's node: sha256(f'{last_proof}{proof}')",
  genesisPreviousHash: JsonNumber.int(1),
  genesisProof: 100,
  powIncludesPreviousHash: false,
  defaultDifficulty: 4,
  rewardSender: '0',
  rewardAmount: 1,
  maxStringLength: 1000,
};

/** The tutorial repository's later revision: genesis `"1"`, previous block's hash in the proof. */
export const MASTER_SPEC: TutorialProfileSpec = {
  ...SEED_SPEC,
  name: 'master',
  summary: "the tutorial repository's master revision: sha256(f'{last_proof}{proof}{last_hash}')",
  genesisPreviousHash: '1',
  powIncludesPreviousHash: true,
};

const BLOCK_KEYS = ['index', 'timestamp', 'transactions', 'proof', 'previous_hash'] as const;
const TX_KEYS = ['sender', 'recipient', 'amount'] as const;

/** Parsed fields of a tutorial block (after shape checks, before link/proof checks). */
interface BlockFields {
  readonly index: number;
  readonly timestamp: JsonNumber;
  readonly transactions: readonly Transaction[];
  readonly proof: JsonNumber;
  readonly previousHash: JsonNumber | string;
}

/** `'0'.repeat(d)` for every difficulty d (1..64). */
const ZERO_PREFIXES = Array.from({ length: 65 }, (_, d) => '0'.repeat(d));

/**
 * The proof-of-work test: sha256(last proof, proof[, last hash]) in hex starts with `difficulty`
 * zeros. (Hex, not the raw digest, which would be cheaper: the explorer runs this code in the
 * browser on a node:crypto shim that only makes hex.)
 */
function powHolds(
  difficulty: number,
  includesPreviousHash: boolean,
  lastProofText: string,
  proofText: string,
  lastHash: string,
): boolean {
  const digest = sha256Hex(includesPreviousHash ? lastProofText + proofText + lastHash : lastProofText + proofText);
  return digest.startsWith(ZERO_PREFIXES[difficulty] as string);
}

/** A block's JSON object, keys in the order the tutorial builds it, without a prototype. */
function blockJson(
  index: JsonNumber,
  timestamp: JsonNumber,
  transactions: JsonValue[],
  proof: JsonNumber,
  previousHash: JsonNumber | string,
): JsonObject {
  // A literal then setPrototypeOf: one allocation, fast properties (see newJsonObject).
  const json = { index, timestamp, transactions, proof, previous_hash: previousHash };
  Object.setPrototypeOf(json, null);
  return json as JsonObject;
}

/** A transaction's JSON object, keys in the order the tutorial builds it, without a prototype. */
function transactionJson(sender: string, recipient: string, amount: JsonNumber): JsonObject {
  const json = { sender, recipient, amount };
  Object.setPrototypeOf(json, null);
  return json as JsonObject;
}

/**
 * True when `value`'s own enumerable keys are exactly `order`, in that order, and it has no
 * prototype: then it can serve as a block's or transaction's JSON as it is. Walks the keys with
 * for-in, which V8 serves from the shape's enum cache without allocating (Object.keys allocates an
 * array per call, and this runs four times per block).
 */
function keysInOrder(value: JsonObject, order: readonly string[]): boolean {
  if (Object.getPrototypeOf(value) !== null) return false;
  let k = 0;
  for (const key in value) {
    if (key !== order[k]) return false;
    k++;
  }
  return k === order.length;
}

// The fixed pieces of a block's and a transaction's canonical text, keys in sorted order.
const H_INDEX = '{"index": ';
const H_PREV = ', "previous_hash": ';
const H_PROOF = ', "proof": ';
const H_TIME = ', "timestamp": ';
const H_TXS = ', "transactions": [';
const HEAD_FIXED = H_INDEX.length + H_PREV.length + H_PROOF.length + H_TIME.length + H_TXS.length;
const T_AMOUNT = '{"amount": ';
const T_RECIPIENT = ', "recipient": "';
const T_SENDER = '", "sender": "';
const T_END = '"}';
const TX_FIXED = T_AMOUNT.length + T_RECIPIENT.length + T_SENDER.length + T_END.length;

/** Canonical text of a transaction: `json.dumps({"sender", "recipient", "amount"}, sort_keys=True)`. */
function transactionCanonical(sender: string, recipient: string, amount: JsonNumber): string {
  return `{"amount": ${amount.text}, "recipient": "${pyStringBody(recipient)}", "sender": "${pyStringBody(sender)}"}`;
}

/** Canonical text of a block, keys in sorted order, from its parts' canonical texts. */
function blockCanonical(
  indexText: string,
  prevText: string,
  proofText: string,
  timestampText: string,
  transactionsText: string,
): string {
  return `{"index": ${indexText}, "previous_hash": ${prevText}, "proof": ${proofText}, "timestamp": ${timestampText}, "transactions": [${transactionsText}]}`;
}

/** Canonical text of a `previous_hash` value. */
function previousHashText(previousHash: JsonNumber | string): string {
  return typeof previousHash === 'string' ? pyString(previousHash) : previousHash.text;
}

/** Builds the tutorial profile described by `spec` at `difficulty`. */
export function tutorialProfile(spec: TutorialProfileSpec, difficulty: number): RuleProfile {
  assertDifficulty(difficulty);
  const rewardAmountText = String(spec.rewardAmount);
  const genesisProofText = String(spec.genesisProof);

  const makeTransaction = (sender: string, recipient: string, amount: JsonNumber): Transaction => ({
    json: transactionJson(sender, recipient, amount),
    canonical: transactionCanonical(sender, recipient, amount),
  });

  const makeBlock = (fields: BlockFields): Block => {
    const txs = fields.transactions;
    const txJson: JsonValue[] = [];
    let txText = '';
    for (let t = 0; t < txs.length; t++) {
      const tx = txs[t] as Transaction;
      txJson.push(tx.json);
      txText = t === 0 ? tx.canonical : `${txText}, ${tx.canonical}`;
    }
    const index = JsonNumber.int(fields.index);
    const json = blockJson(index, fields.timestamp, txJson, fields.proof, fields.previousHash);
    // Keys in sorted order, exactly as json.dumps(sort_keys=True) writes them.
    const canonical = blockCanonical(
      index.text,
      previousHashText(fields.previousHash),
      fields.proof.text,
      fields.timestamp.text,
      txText,
    );
    return { index: fields.index, hash: sha256Hex(canonical), json, transactions: txs };
  };

  const powChallengeFor = (lastProof: string, lastHash: string): PowChallenge => ({
    prefix: lastProof,
    suffix: spec.powIncludesPreviousHash ? lastHash : '',
    difficulty,
  });

  const powChallenge = (prev: Block): PowChallenge => {
    const proof = prev.json.proof;
    if (!(proof instanceof JsonNumber)) throw new TypeError('block without a numeric proof');
    return powChallengeFor(proof.text, prev.hash);
  };

  /** Checks a sender/recipient string; returns an error message or null. */
  const stringProblem = (name: string, value: JsonValue | undefined): string | null => {
    if (typeof value !== 'string') return `${name} must be a string (got ${describe(value)})`;
    if (value.length === 0) return `${name} must not be empty`;
    if (value.length > spec.maxStringLength && codePointLength(value) > spec.maxStringLength) {
      return `${name} must be at most ${spec.maxStringLength} characters`;
    }
    return null;
  };

  /** Checks an amount; returns an error message or null. */
  const amountProblem = (value: JsonValue | undefined): string | null => {
    if (!(value instanceof JsonNumber)) return `amount must be a number (got ${describe(value)})`;
    const n = value.toNumber();
    if (!Number.isFinite(n) || !(n > 0)) {
      return `amount must be a finite number greater than 0 (got ${value.text})`;
    }
    return null;
  };

  const checkGenesis = (actual: JsonNumber | string, proof: JsonNumber, txCount: number): void => {
    const fail = (message: string): never => {
      throw new ChainRuleError(ErrorCode.GenesisInvalid, 1, `genesis ${message}`);
    };
    const expected = spec.genesisPreviousHash;
    const same =
      typeof expected === 'string'
        ? actual === expected
        : actual instanceof JsonNumber && actual.text === expected.text;
    if (!same) {
      fail(
        `previous_hash must be ${typeof expected === 'string' ? JSON.stringify(expected) : expected.text} in the ${spec.name} profile (got ${describe(actual)})`,
      );
    }
    if (proof.text !== genesisProofText) {
      fail(`proof must be ${spec.genesisProof} (got ${proof.text})`);
    }
    if (txCount !== 0) fail('must have no transactions');
  };

  const rewardError = (position: number, rewards: number, last: JsonObject | undefined): ChainRuleError | null => {
    const fail = (message: string) => new ChainRuleError(ErrorCode.RewardInvalid, position, message);
    if (rewards !== 1) {
      return fail(
        `a mined block must have exactly one reward transaction (sender "${spec.rewardSender}"), found ${rewards}`,
      );
    }
    const tx = last as JsonObject;
    if (tx.sender !== spec.rewardSender) return fail('the reward transaction must be the last one');
    const amount = tx.amount as JsonNumber;
    if (amount.text !== rewardAmountText) {
      return fail(`the reward amount must be ${rewardAmountText} (got ${amount.text})`);
    }
    return null;
  };

  const shapeError = (position: number, message: string): ChainRuleError =>
    new ChainRuleError(ErrorCode.BlockShape, position, message);

  const transactionError = (position: number, t: number, message: string): ChainRuleError =>
    new ChainRuleError(ErrorCode.TransactionInvalid, position, `transaction ${t + 1}: ${message}`);

  /**
   * Checks transaction `t` of block `position` of a chain and returns its JSON for the block: the
   * input object itself when it already is what makeTransaction builds (keys in order, no
   * prototype), a new one otherwise. Throws on any defect.
   */
  const chainTransactionJson = (value: JsonValue | undefined, position: number, t: number): JsonObject => {
    if (!isJsonObject(value)) throw transactionError(position, t, `must be an object (got ${describe(value)})`);
    const inOrder = keysInOrder(value, TX_KEYS);
    if (!inOrder) {
      const keyProblem = exactKeys(value, TX_KEYS);
      if (keyProblem) throw transactionError(position, t, keyProblem);
    }
    const { sender, recipient, amount } = value;
    const problem = stringProblem('sender', sender) ?? stringProblem('recipient', recipient) ?? amountProblem(amount);
    if (problem) throw transactionError(position, t, problem);
    return inOrder ? value : transactionJson(sender as string, recipient as string, amount as JsonNumber);
  };

  const linkError = (position: number, previousHash: JsonValue | undefined, lastIndex: number, lastHash: string) =>
    new ChainRuleError(
      ErrorCode.PreviousHashMismatch,
      position,
      `previous_hash ${describe(previousHash)} is not the hash of block ${lastIndex} (${lastHash})`,
    );

  const proofError = (position: number, proofText: string, lastIndex: number) =>
    new ChainRuleError(
      ErrorCode.ProofOfWork,
      position,
      `proof ${proofText} does not give ${difficulty} leading zeros on block ${lastIndex}'s proof (${spec.name} profile)`,
    );

  /**
   * The chain rules, block after block, in the order the checks are reported: shape (keys,
   * index, timestamp, proof format, transactions), then genesis or link, proof of work, reward.
   * Every check is inline and every message is built only on failure.
   *
   * Allocation is kept low, because young-generation GC (which also moves the just-parsed input)
   * was half the time: a block's JSON is the input object itself when it already is what the
   * tutorial builds; a block's canonical text is joined once from a reused list of pieces (no
   * ropes to flatten before hashing); each transaction's canonical text is a slice of it; arrays
   * are allocated at their final size.
   */
  const validateBlocks = (prev: Block | null, blocks: readonly JsonValue[]): Block[] => {
    if (!prev && blocks.length === 0) {
      throw new ChainRuleError(
        ErrorCode.ChainEmpty,
        0,
        'the chain has no blocks (a chain starts with its genesis block)',
      );
    }
    const count = blocks.length;
    const out: Block[] = new Array(count);
    const first = prev ? prev.index + 1 : 1;
    let last = prev;
    // The previous block's proof text and hash: the next block's proof-of-work message and link.
    let lastProofText = '';
    let lastHash = prev ? prev.hash : '';
    // Pieces of the current block's canonical text, and where each transaction's text starts.
    const parts: string[] = [];
    const txStarts: number[] = [];
    for (let k = 0; k < count; k++) {
      const value = blocks[k] as JsonValue;
      const position = first + k;
      if (!isJsonObject(value)) throw shapeError(position, `block must be an object (got ${describe(value)})`);
      const inOrder = keysInOrder(value, BLOCK_KEYS);
      if (!inOrder) {
        const keyProblem = exactKeys(value, BLOCK_KEYS);
        if (keyProblem) throw shapeError(position, keyProblem);
      }
      const { index, timestamp, transactions, proof } = value;
      const previousHash = value.previous_hash;
      if (!(index instanceof JsonNumber) || !index.isInteger) {
        throw shapeError(position, `index must be an integer (got ${describe(index)})`);
      }
      const indexText = String(position);
      if (index.text !== indexText) {
        throw new ChainRuleError(
          ErrorCode.IndexSequence,
          position,
          `index is ${index.text} but block ${position} of the chain must have index ${position}`,
        );
      }
      if (!(timestamp instanceof JsonNumber) || !Number.isFinite(timestamp.toNumber())) {
        throw shapeError(position, `timestamp must be a finite number (got ${describe(timestamp)})`);
      }
      if (!(proof instanceof JsonNumber) || !proof.isInteger || proof.text.charCodeAt(0) === 0x2d) {
        throw new ChainRuleError(
          ErrorCode.ProofFormat,
          position,
          `proof must be a non-negative integer (got ${describe(proof)})`,
        );
      }
      if (!Array.isArray(transactions)) {
        throw shapeError(position, `transactions must be a list (got ${describe(transactions)})`);
      }
      if (typeof previousHash !== 'string' && !(previousHash instanceof JsonNumber)) {
        throw shapeError(position, `previous_hash must be a string (got ${describe(previousHash)})`);
      }
      const proofText = proof.text;
      // After a passing link check previous_hash is the previous block's hash: lowercase hex,
      // nothing to escape (and if the check fails, the text is never used).
      const prevText = last ? `"${lastHash}"` : previousHashText(previousHash);

      // Written by index, never emptied: setting length to 0 would free the array's storage and
      // make every block grow it again.
      parts[0] = H_INDEX;
      parts[1] = indexText;
      parts[2] = H_PREV;
      parts[3] = prevText;
      parts[4] = H_PROOF;
      parts[5] = proofText;
      parts[6] = H_TIME;
      parts[7] = timestamp.text;
      parts[8] = H_TXS;
      let n = 9;
      let length = HEAD_FIXED + indexText.length + prevText.length + proofText.length + timestamp.text.length;

      const txCount = transactions.length;
      const txJson: JsonObject[] = new Array(txCount);
      let rewards = 0;
      let txsReused = true;
      for (let t = 0; t < txCount; t++) {
        const input = transactions[t];
        const json = chainTransactionJson(input, position, t);
        txJson[t] = json;
        if (json !== input) txsReused = false;
        const sender = json.sender as string;
        if (sender === spec.rewardSender) rewards++;
        const amountText = (json.amount as JsonNumber).text;
        const recipientText = pyStringBody(json.recipient as string);
        const senderText = pyStringBody(sender);
        if (t > 0) {
          parts[n++] = ', ';
          length += 2;
        }
        txStarts[t] = length;
        parts[n++] = T_AMOUNT;
        parts[n++] = amountText;
        parts[n++] = T_RECIPIENT;
        parts[n++] = recipientText;
        parts[n++] = T_SENDER;
        parts[n++] = senderText;
        parts[n++] = T_END;
        length += TX_FIXED + amountText.length + recipientText.length + senderText.length;
      }

      if (!last) {
        checkGenesis(previousHash, proof, txCount);
      } else {
        // The trusted block this extends: its proof is known here.
        if (k === 0) lastProofText = powChallenge(last).prefix;
        if (previousHash !== lastHash) throw linkError(position, previousHash, last.index, lastHash);
        if (!powHolds(difficulty, spec.powIncludesPreviousHash, lastProofText, proofText, lastHash)) {
          throw proofError(position, proofText, last.index);
        }
        const reward = rewardError(position, rewards, txJson[txCount - 1]);
        if (reward) throw reward;
      }

      // Keys in sorted order, exactly as json.dumps(sort_keys=True) writes them.
      parts[n++] = ']}';
      if (parts.length !== n) parts.length = n;
      const canonical = parts.join('');
      const hash = sha256Hex(canonical);
      const txs: Transaction[] = new Array(txCount);
      for (let t = 0; t < txCount; t++) {
        const start = txStarts[t] as number;
        const end = t + 1 < txCount ? (txStarts[t + 1] as number) - 2 : canonical.length - 2;
        txs[t] = { json: txJson[t] as JsonObject, canonical: canonical.slice(start, end) };
      }
      const json = txsReused && inOrder ? value : blockJson(index, timestamp, txJson, proof, previousHash);
      const block: Block = { index: position, hash, json, transactions: txs };
      out[k] = block;
      last = block;
      lastProofText = proofText;
      lastHash = hash;
    }
    return out;
  };

  const clientError = (code: ErrorCodeValue, message: string, field?: string): BlockforgeError =>
    new BlockforgeError(code, message, field === undefined ? {} : { field });

  const profileObject: RuleProfile = {
    name: spec.name,
    summary: spec.summary,
    difficulty,

    createGenesis(timestampSeconds) {
      return makeBlock({
        index: 1,
        timestamp: JsonNumber.float(timestampSeconds),
        transactions: [],
        proof: JsonNumber.int(spec.genesisProof),
        previousHash: spec.genesisPreviousHash,
      });
    },

    parseTransaction(value) {
      if (!isJsonObject(value)) {
        throw clientError(
          ErrorCode.InvalidBody,
          `the body must be a JSON object with sender, recipient and amount (got ${describe(value)})`,
        );
      }
      const missing = TX_KEYS.filter((key) => !Object.hasOwn(value, key));
      if (missing.length > 0) {
        throw clientError(ErrorCode.MissingValues, `Missing values: ${missing.join(', ')}`, missing[0]);
      }
      for (const key of ['sender', 'recipient'] as const) {
        const problem = stringProblem(key, value[key]);
        if (problem) throw clientError(ErrorCode.InvalidTransaction, problem, key);
      }
      if (value.sender === spec.rewardSender) {
        throw clientError(
          ErrorCode.ReservedSender,
          `sender "${spec.rewardSender}" is reserved for mining rewards`,
          'sender',
        );
      }
      const problem = amountProblem(value.amount);
      if (problem) throw clientError(ErrorCode.InvalidTransaction, problem, 'amount');
      return makeTransaction(value.sender as string, value.recipient as string, value.amount as JsonNumber);
    },

    isReward(tx) {
      return tx.json.sender === spec.rewardSender;
    },

    powChallenge,
    powChallengeFor,
    powNeedsPreviousHash: spec.powIncludesPreviousHash,

    forgeBlock({ prev, proof, pending, nodeId, timestampSeconds }) {
      const reward = makeTransaction(spec.rewardSender, nodeId, JsonNumber.int(spec.rewardAmount));
      return makeBlock({
        index: prev.index + 1,
        timestamp: JsonNumber.float(timestampSeconds),
        transactions: [...pending, reward],
        proof: JsonNumber.int(proof),
        previousHash: prev.hash,
      });
    },

    validateBlocks,
  };
  return profileObject;
}

/** Says what is wrong with an object's keys, or null when it has exactly `keys`. */
function exactKeys(value: JsonObject, keys: readonly string[]): string | null {
  for (const key of keys) {
    if (!Object.hasOwn(value, key)) return `missing key "${key}"`;
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) return `unexpected key ${JSON.stringify(key.slice(0, 40))}`;
  }
  return null;
}

/** Short description of a value for error messages (never echoes large input). */
export function describe(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'boolean') return `boolean ${value}`;
  if (typeof value === 'string') {
    return value.length > 40
      ? `string ${JSON.stringify(`${value.slice(0, 40)}...`)}`
      : `string ${JSON.stringify(value)}`;
  }
  if (value instanceof JsonNumber)
    return `number ${value.text.length > 40 ? `${value.text.slice(0, 40)}...` : value.text}`;
  if (Array.isArray(value)) return 'a list';
  return 'an object';
}

function codePointLength(s: string): number {
  let count = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff) k++;
    }
    count++;
  }
  return count;
}
