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
import { pyString, sha256Hex } from './canonical.js';
import { BlockforgeError, ChainRuleError, ErrorCode, type ErrorCodeValue } from './errors.js';
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue, newJsonObject } from './json.js';
import { assertDifficulty, checkProof, type PowChallenge } from './pow.js';
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

/** Builds the tutorial profile described by `spec` at `difficulty`. */
export function tutorialProfile(spec: TutorialProfileSpec, difficulty: number): RuleProfile {
  assertDifficulty(difficulty);
  const rewardAmountText = String(spec.rewardAmount);

  const makeTransaction = (sender: string, recipient: string, amount: JsonNumber): Transaction => {
    const json = newJsonObject();
    json.sender = sender;
    json.recipient = recipient;
    json.amount = amount;
    return {
      json,
      canonical: `{"amount": ${amount.text}, "recipient": ${pyString(recipient)}, "sender": ${pyString(sender)}}`,
    };
  };

  const makeBlock = (fields: BlockFields): Block => {
    const json = newJsonObject();
    json.index = JsonNumber.int(fields.index);
    json.timestamp = fields.timestamp;
    json.transactions = fields.transactions.map((tx) => tx.json);
    json.proof = fields.proof;
    json.previous_hash = fields.previousHash;
    const prevText = typeof fields.previousHash === 'string' ? pyString(fields.previousHash) : fields.previousHash.text;
    // Keys in sorted order, exactly as json.dumps(sort_keys=True) writes them.
    const canonical =
      `{"index": ${fields.index}, "previous_hash": ${prevText}, "proof": ${fields.proof.text}, ` +
      `"timestamp": ${fields.timestamp.text}, "transactions": [${fields.transactions
        .map((tx) => tx.canonical)
        .join(', ')}]}`;
    return { index: fields.index, hash: sha256Hex(canonical), json, transactions: fields.transactions };
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

  const parseChainTransaction = (value: JsonValue, position: number, k: number): Transaction => {
    const where = `transaction ${k + 1}`;
    const fail = (message: string): never => {
      throw new ChainRuleError(ErrorCode.TransactionInvalid, position, `${where}: ${message}`);
    };
    if (!isJsonObject(value)) return fail(`must be an object (got ${describe(value)})`);
    const keyProblem = exactKeys(value, TX_KEYS);
    if (keyProblem) fail(keyProblem);
    const problem =
      stringProblem('sender', value.sender) ??
      stringProblem('recipient', value.recipient) ??
      amountProblem(value.amount);
    if (problem) fail(problem);
    return makeTransaction(value.sender as string, value.recipient as string, value.amount as JsonNumber);
  };

  const parseBlockFields = (value: JsonValue, position: number): BlockFields => {
    const shape = (message: string): never => {
      throw new ChainRuleError(ErrorCode.BlockShape, position, message);
    };
    if (!isJsonObject(value)) return shape(`block must be an object (got ${describe(value)})`);
    const keyProblem = exactKeys(value, BLOCK_KEYS);
    if (keyProblem) shape(keyProblem);
    const { index, timestamp, transactions, proof } = value;
    if (!(index instanceof JsonNumber) || !index.isInteger) {
      return shape(`index must be an integer (got ${describe(index)})`);
    }
    if (index.text !== String(position)) {
      throw new ChainRuleError(
        ErrorCode.IndexSequence,
        position,
        `index is ${index.text} but block ${position} of the chain must have index ${position}`,
      );
    }
    if (!(timestamp instanceof JsonNumber) || !Number.isFinite(timestamp.toNumber())) {
      return shape(`timestamp must be a finite number (got ${describe(timestamp)})`);
    }
    if (!(proof instanceof JsonNumber) || !proof.isInteger || proof.text.startsWith('-')) {
      throw new ChainRuleError(
        ErrorCode.ProofFormat,
        position,
        `proof must be a non-negative integer (got ${describe(proof)})`,
      );
    }
    if (!Array.isArray(transactions)) {
      return shape(`transactions must be a list (got ${describe(transactions)})`);
    }
    const previousHash = value.previous_hash;
    if (typeof previousHash !== 'string' && !(previousHash instanceof JsonNumber)) {
      return shape(`previous_hash must be a string (got ${describe(previousHash)})`);
    }
    return {
      index: position,
      timestamp,
      transactions: transactions.map((tx, k) => parseChainTransaction(tx, position, k)),
      proof,
      previousHash,
    };
  };

  const checkGenesis = (fields: BlockFields): void => {
    const fail = (message: string): never => {
      throw new ChainRuleError(ErrorCode.GenesisInvalid, 1, `genesis ${message}`);
    };
    const expected = spec.genesisPreviousHash;
    const actual = fields.previousHash;
    const same =
      typeof expected === 'string'
        ? actual === expected
        : actual instanceof JsonNumber && actual.text === expected.text;
    if (!same) {
      fail(
        `previous_hash must be ${typeof expected === 'string' ? JSON.stringify(expected) : expected.text} in the ${spec.name} profile (got ${describe(actual)})`,
      );
    }
    if (fields.proof.text !== String(spec.genesisProof)) {
      fail(`proof must be ${spec.genesisProof} (got ${fields.proof.text})`);
    }
    if (fields.transactions.length !== 0) fail('must have no transactions');
  };

  const checkReward = (fields: BlockFields): void => {
    const txs = fields.transactions;
    const fail = (message: string): never => {
      throw new ChainRuleError(ErrorCode.RewardInvalid, fields.index, message);
    };
    const rewards = txs.filter((tx) => tx.json.sender === spec.rewardSender).length;
    if (rewards !== 1) {
      fail(`a mined block must have exactly one reward transaction (sender "${spec.rewardSender}"), found ${rewards}`);
    }
    const last = txs[txs.length - 1] as Transaction;
    if (last.json.sender !== spec.rewardSender) fail('the reward transaction must be the last one');
    const amount = last.json.amount as JsonNumber;
    if (amount.text !== rewardAmountText) {
      fail(`the reward amount must be ${rewardAmountText} (got ${amount.text})`);
    }
  };

  const validateBlocks = (prev: Block | null, blocks: readonly JsonValue[]): Block[] => {
    const out: Block[] = [];
    let last = prev;
    if (!last && blocks.length === 0) {
      throw new ChainRuleError(
        ErrorCode.ChainEmpty,
        0,
        'the chain has no blocks (a chain starts with its genesis block)',
      );
    }
    for (const value of blocks) {
      const position = last ? last.index + 1 : 1;
      const fields = parseBlockFields(value, position);
      if (!last) {
        checkGenesis(fields);
      } else {
        if (fields.previousHash !== last.hash) {
          throw new ChainRuleError(
            ErrorCode.PreviousHashMismatch,
            position,
            `previous_hash ${describe(fields.previousHash)} is not the hash of block ${last.index} (${last.hash})`,
          );
        }
        if (!checkProof(powChallenge(last), fields.proof.text)) {
          throw new ChainRuleError(
            ErrorCode.ProofOfWork,
            position,
            `proof ${fields.proof.text} does not give ${difficulty} leading zeros on block ${last.index}'s proof (${spec.name} profile)`,
          );
        }
        checkReward(fields);
      }
      const block = makeBlock(fields);
      out.push(block);
      last = block;
    }
    return out;
  };

  const clientError = (code: ErrorCodeValue, message: string, field?: string): BlockforgeError =>
    new BlockforgeError(code, message, field === undefined ? {} : { field });

  return {
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
