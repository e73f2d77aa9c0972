/**
 * The tutorial's rules (`seed`: the blog post's node; `master`: the tutorial repository's later
 * revision) as one parameterised {@link RuleProfile}. The two differ only in data: the genesis
 * `previous_hash` (int `1` vs string `"1"`) and whether the proof-of-work message ends with the
 * previous block's hash.
 *
 * Chain rules are what an honest tutorial node can produce, and no more: the hash link and proof of
 * work (the tutorial's own `valid_chain`), plus the structure a tutorial node always writes itself
 * (block keys, index sequence, genesis, three keys per transaction, and the one reward it appends
 * last). The values of a transaction are whatever JSON a client posted to a tutorial node (any
 * type; `NaN` and `Infinity` included) and are hashed as Python does. What blockforge accepts from
 * its own clients is policy, far stricter: {@link TutorialProfile.parseTransaction}.
 */

import type { Block, StateDiff, StateView, Transaction } from './block.js';
import { NO_CHANGES } from './block.js';
import { canonicalJson, pyString, pyStringBody, sha256Hex } from './canonical.js';
import type { ChainTextScanner } from './chain-scan.js';
import { describe } from './describe.js';
import { BlockforgeError, ChainRuleError, ErrorCode, type ErrorCodeValue } from './errors.js';
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue } from './json.js';
import { PROFILE_NAMES, type TUTORIAL_PROFILE_NAMES } from './names.js';
import { assertDifficulty, type PowChallenge } from './pow.js';
import type { BlockTemplate, ChainView, RuleProfile } from './profile.js';
import { tutorialChainScanner } from './tutorial-scan.js';

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
  /** Policy: longest sender/recipient accepted from a client, in characters. */
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

/** Policy options of a tutorial profile (they never change which chains are valid). */
export interface TutorialPolicy {
  /**
   * Largest block this node forges, in canonical bytes ({@link Block.size}); pending transactions
   * past it wait for the next block. Well under what peers accept, so any block blockforge forges
   * can be synced.
   */
  readonly maxBlockBytes: number;
}

/** Default forging cap: 4 MiB, an eighth of the 32 MiB a peer answer may have. */
export const DEFAULT_MAX_BLOCK_BYTES = 4 * 1024 * 1024;

/** A tutorial profile: the generic interface plus the tutorial-only tools of `blockforge pow` and the explorer. */
export interface TutorialProfile extends RuleProfile, ChainTextScanner {
  /** Leading hex zeros a proof of work needs. */
  readonly difficulty: number;
  /** Whether the proof-of-work message ends with the previous block's hash (master). */
  readonly powIncludesPreviousHash: boolean;
  /** The puzzle from the previous block's proof (decimal text) and hash, for tools that have only those. */
  powChallengeFor(lastProof: string, lastHash: string): PowChallenge;
}

/** True for a tutorial profile (the tools that show the tutorial's puzzle step by step ask). */
export function isTutorialProfile(profile: RuleProfile): profile is TutorialProfile {
  return typeof (profile as Partial<TutorialProfile>).powChallengeFor === 'function';
}

const BLOCK_KEYS = ['index', 'timestamp', 'transactions', 'proof', 'previous_hash'] as const;
const TX_KEYS = ['sender', 'recipient', 'amount'] as const;

/** `'0'.repeat(d)` for every difficulty d (1..64). */
const ZERO_PREFIXES = Array.from({ length: 65 }, (_, d) => '0'.repeat(d));

// ---- the one canonical encoder (forging and validating alike) ------------------------------------

const H_INDEX = '{"index": ';
const H_PREV = ', "previous_hash": ';
const H_PROOF = ', "proof": ';
const H_TIME = ', "timestamp": ';
const H_TXS = ', "transactions": [';
const T_AMOUNT = '{"amount": ';
const T_RECIPIENT = ', "recipient": ';
const T_SENDER = ', "sender": ';

/** Pieces of the block being encoded, reused (written by index, never emptied: see encodeBlock). */
const parts: string[] = [];
/** Where each transaction's text starts in the block's canonical text. */
const txStarts: number[] = [];

/** Characters {@link pushValue} wrote, since its caller last reset it (summed per transaction). */
let pushedLength = 0;

/**
 * Writes the canonical text of a transaction value into `parts` from `n`, and returns the next
 * free slot: a string as its quotes and body in separate pieces (no new string per value), a number
 * as its text, anything else (a client's list, object, boolean, null) through the generic encoder.
 */
function pushValue(value: JsonValue, n: number): number {
  if (typeof value === 'string') {
    const body = pyStringBody(value);
    parts[n] = '"';
    parts[n + 1] = body;
    parts[n + 2] = '"';
    pushedLength += body.length + 2;
    return n + 3;
  }
  const text = value instanceof JsonNumber ? value.text : canonicalJson(value);
  parts[n] = text;
  pushedLength += text.length;
  return n + 1;
}

/** Canonical text of a `previous_hash` value. */
function previousHashText(previousHash: JsonValue): string {
  return typeof previousHash === 'string' ? pyString(previousHash) : canonicalJson(previousHash);
}

/**
 * `json.dumps(block, sort_keys=True)` of a tutorial block; each transaction's own canonical text is
 * a slice of it ({@link transactionText}). Joined once from a reused list of pieces: no ropes to flatten before hashing, and
 * no per-block array growth (young-generation GC was half of validation time before).
 */
function encodeBlock(
  indexText: string,
  prevText: string,
  proofText: string,
  timestampText: string,
  txs: readonly JsonObject[],
): string {
  parts[0] = H_INDEX;
  parts[1] = indexText;
  parts[2] = H_PREV;
  parts[3] = prevText;
  parts[4] = H_PROOF;
  parts[5] = proofText;
  parts[6] = H_TIME;
  parts[7] = timestampText;
  parts[8] = H_TXS;
  let n = 9;
  let length = 0;
  for (let k = 0; k < n; k++) length += (parts[k] as string).length;
  const count = txs.length;
  for (let t = 0; t < count; t++) {
    const tx = txs[t] as JsonObject;
    if (t > 0) {
      parts[n++] = ', ';
      length += 2;
    }
    txStarts[t] = length;
    pushedLength = 0;
    parts[n++] = T_AMOUNT;
    n = pushValue(tx.amount as JsonValue, n);
    parts[n++] = T_RECIPIENT;
    n = pushValue(tx.recipient as JsonValue, n);
    parts[n++] = T_SENDER;
    n = pushValue(tx.sender as JsonValue, n);
    parts[n++] = '}';
    length += T_AMOUNT.length + T_RECIPIENT.length + T_SENDER.length + 1 + pushedLength;
  }
  parts[n++] = ']}';
  if (parts.length !== n) parts.length = n;
  return parts.join('');
}

/**
 * Transaction `t`'s own canonical text within `canonical`, the text {@link encodeBlock} just made
 * (a slice: no copy). Read before the next encodeBlock, which reuses the starts.
 */
function transactionText(canonical: string, t: number, count: number): string {
  const end = t + 1 < count ? (txStarts[t + 1] as number) - 2 : canonical.length - 2;
  return canonical.slice(txStarts[t] as number, end);
}

/** A block's JSON object, keys in the order the tutorial builds it, without a prototype. */
function blockJson(
  index: JsonNumber,
  timestamp: JsonNumber,
  transactions: JsonValue[],
  proof: JsonNumber,
  previousHash: JsonValue,
): JsonObject {
  // A literal then setPrototypeOf: one allocation, fast properties (see newJsonObject).
  const json = { index, timestamp, transactions, proof, previous_hash: previousHash };
  Object.setPrototypeOf(json, null);
  return json as JsonObject;
}

/** A transaction's JSON object, keys in the order the tutorial builds it, without a prototype. */
function transactionJson(sender: JsonValue, recipient: JsonValue, amount: JsonValue): JsonObject {
  const json = { sender, recipient, amount };
  Object.setPrototypeOf(json, null);
  return json as JsonObject;
}

/**
 * True when `value`'s own enumerable keys are exactly `order`, in that order, and it has no
 * prototype: then it can serve as a block's or transaction's JSON as it is. Walks the keys with
 * for-in, which V8 serves from the shape's enum cache without allocating.
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

/** The block `json` with its decoded parts: what the encoder and the rules need. */
function makeBlock(json: JsonObject, height: number, txJson: readonly JsonObject[], prevText: string): Block {
  const canonical = encodeBlock(
    String(height),
    prevText,
    (json.proof as JsonNumber).text,
    (json.timestamp as JsonNumber).text,
    txJson,
  );
  const count = txJson.length;
  const transactions: Transaction[] = new Array(count);
  for (let t = 0; t < count; t++) {
    const text = transactionText(canonical, t, count);
    transactions[t] = { json: txJson[t] as JsonObject, canonical: text, id: text };
  }
  const previousHash = json.previous_hash as JsonValue;
  return {
    height,
    hash: sha256Hex(canonical),
    parentHash: height === 1 ? null : typeof previousHash === 'string' ? previousHash : prevText,
    work: 1n,
    json,
    transactions,
    size: canonical.length,
  };
}

// ---- chain rules: one rule, one function --------------------------------------------------------

const shapeError = (position: number, message: string): ChainRuleError =>
  new ChainRuleError(ErrorCode.BlockShape, position, message);

/**
 * Rule "transaction shape": an object with exactly sender, recipient and amount, of any JSON
 * values (a tutorial node stores what its client sent). Returns the JSON for the block: the input
 * itself when it already is what the tutorial builds (keys in order, no prototype).
 */
function decodeTransactionJson(value: JsonValue | undefined, position: number, t: number): JsonObject {
  if (!isJsonObject(value)) {
    throw new ChainRuleError(
      ErrorCode.TransactionInvalid,
      position,
      `transaction ${t + 1}: must be an object (got ${describe(value)})`,
    );
  }
  if (keysInOrder(value, TX_KEYS)) return value;
  const keyProblem = exactKeys(value, TX_KEYS);
  if (keyProblem)
    throw new ChainRuleError(ErrorCode.TransactionInvalid, position, `transaction ${t + 1}: ${keyProblem}`);
  return transactionJson(value.sender as JsonValue, value.recipient as JsonValue, value.amount as JsonValue);
}

/**
 * Rule "block shape": exact keys; index a positive integer; timestamp a finite number; proof a
 * non-negative integer; transactions a list of well-formed transactions; previous_hash a string
 * (or the genesis' number).
 */
function decodeTutorialBlock(value: JsonValue, position: number): Block {
  if (!isJsonObject(value)) throw shapeError(position, `block must be an object (got ${describe(value)})`);
  const inOrder = keysInOrder(value, BLOCK_KEYS);
  if (!inOrder) {
    const keyProblem = exactKeys(value, BLOCK_KEYS);
    if (keyProblem) throw shapeError(position, keyProblem);
  }
  const { index, timestamp, transactions, proof } = value;
  const previousHash = value.previous_hash as JsonValue;
  if (!(index instanceof JsonNumber) || !index.isInteger || !/^[1-9][0-9]{0,15}$/.test(index.text)) {
    throw shapeError(position, `index must be a positive integer (got ${describe(index)})`);
  }
  const height = Number(index.text);
  if (!Number.isSafeInteger(height)) throw shapeError(position, `index ${index.text} is too large`);
  if (position > 0 && height !== position) {
    // Checked here, where the reader knows the position, so a gap is named as such before any
    // later defect of the same block (connectBlock checks it again against the parent).
    throw indexError(position, index.text);
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
  const count = transactions.length;
  const txJson: JsonObject[] = new Array(count);
  let reused = inOrder;
  for (let t = 0; t < count; t++) {
    const input = transactions[t];
    const json = decodeTransactionJson(input, position, t);
    txJson[t] = json;
    if (json !== input) reused = false;
  }
  const json = reused ? value : blockJson(index, timestamp, txJson, proof, previousHash);
  return makeBlock(json, height, txJson, previousHashText(previousHash));
}

const indexError = (position: number, indexText: string): ChainRuleError =>
  new ChainRuleError(
    ErrorCode.IndexSequence,
    position,
    `index is ${indexText} but block ${position} of the chain must have index ${position}`,
  );

/** Builds the tutorial profile described by `spec` at `difficulty`, with forging `policy`. */
export function tutorialProfile(
  spec: TutorialProfileSpec,
  difficulty: number,
  policy: TutorialPolicy = { maxBlockBytes: DEFAULT_MAX_BLOCK_BYTES },
): TutorialProfile {
  assertDifficulty(difficulty);
  const rewardAmountText = String(spec.rewardAmount);
  const genesisProofText = String(spec.genesisProof);
  const zeros = ZERO_PREFIXES[difficulty] as string;

  const powChallengeFor = (lastProof: string, lastHash: string): PowChallenge => ({
    prefix: lastProof,
    suffix: spec.powIncludesPreviousHash ? lastHash : '',
    difficulty,
  });

  /** Rule "genesis": index 1, the profile's previous_hash and proof, no transactions. */
  const ruleGenesis = (block: Block): void => {
    const fail = (message: string): never => {
      throw new ChainRuleError(ErrorCode.GenesisInvalid, 1, `genesis ${message}`);
    };
    if (block.height !== 1) throw indexError(1, String(block.height));
    const actual = block.json.previous_hash as JsonValue;
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
    const proof = block.json.proof as JsonNumber;
    if (proof.text !== genesisProofText) fail(`proof must be ${spec.genesisProof} (got ${proof.text})`);
    if (block.transactions.length !== 0) fail('must have no transactions');
  };

  /** Rule "index sequence": the block after height h has index h + 1. */
  const ruleIndexSequence = (block: Block, parent: Block): void => {
    if (block.height !== parent.height + 1) throw indexError(parent.height + 1, String(block.height));
  };

  /** Rule "link": previous_hash is the parent's hash. */
  const ruleLink = (block: Block, parent: Block): void => {
    if (block.parentHash !== parent.hash) {
      throw new ChainRuleError(
        ErrorCode.PreviousHashMismatch,
        block.height,
        `previous_hash ${describe(block.json.previous_hash)} is not the hash of block ${parent.height} (${parent.hash})`,
      );
    }
  };

  /**
   * Rule "proof of work": sha256(last proof, proof[, last hash]) in hex starts with `difficulty`
   * zeros. (Hex, not the raw digest, which would be cheaper: the explorer runs this code in the
   * browser on a node:crypto shim that only makes hex.)
   */
  const ruleProofOfWork = (block: Block, parent: Block): void => {
    const lastProof = (parent.json.proof as JsonNumber).text;
    const proof = (block.json.proof as JsonNumber).text;
    const digest = sha256Hex(spec.powIncludesPreviousHash ? lastProof + proof + parent.hash : lastProof + proof);
    if (!digest.startsWith(zeros)) {
      throw new ChainRuleError(
        ErrorCode.ProofOfWork,
        block.height,
        `proof ${proof} does not give ${difficulty} leading zeros on block ${parent.height}'s proof (${spec.name} profile)`,
      );
    }
  };

  /**
   * Rule "reward": a mined block ends with the reward its miner appended: sender "0", a string
   * recipient (the miner's id), amount int 1. Earlier transactions may be anything a client posted,
   * sender "0" included: a tutorial node refuses nothing.
   */
  const ruleReward = (block: Block): void => {
    const txs = block.transactions;
    const last = txs[txs.length - 1]?.json;
    let problem: string | null = null;
    if (!last) problem = `a mined block must end with the reward transaction (sender "${spec.rewardSender}")`;
    else if (last.sender !== spec.rewardSender) {
      problem = `the last transaction must be the reward (sender "${spec.rewardSender}")`;
    } else if (typeof last.recipient !== 'string') problem = "the reward's recipient must be the miner's id (a string)";
    else if (!(last.amount instanceof JsonNumber) || last.amount.text !== rewardAmountText) {
      problem = `the reward amount must be ${rewardAmountText} (got ${describe(last.amount)})`;
    }
    if (problem) throw new ChainRuleError(ErrorCode.RewardInvalid, block.height, problem);
  };

  // ---- policy -----------------------------------------------------------------------------------

  const clientError = (code: ErrorCodeValue, message: string, field?: string): BlockforgeError =>
    new BlockforgeError(code, message, field === undefined ? {} : { field });

  /** Policy: a sender/recipient a client may send; returns an error message or null. */
  const stringProblem = (name: string, value: JsonValue | undefined): string | null => {
    if (typeof value !== 'string') return `${name} must be a string (got ${describe(value)})`;
    if (value.length === 0) return `${name} must not be empty`;
    if (value.length > spec.maxStringLength && codePointLength(value) > spec.maxStringLength) {
      return `${name} must be at most ${spec.maxStringLength} characters`;
    }
    return null;
  };

  /** Policy: an amount a client may send; returns an error message or null. */
  const amountProblem = (value: JsonValue | undefined): string | null => {
    if (!(value instanceof JsonNumber)) return `amount must be a number (got ${describe(value)})`;
    const n = value.toNumber();
    if (!Number.isFinite(n) || !(n > 0)) {
      return `amount must be a finite number greater than 0 (got ${value.text})`;
    }
    return null;
  };

  const parseTransaction = (value: JsonValue): Transaction => {
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
  };

  const makeTransaction = (sender: string, recipient: string, amount: JsonNumber): Transaction => {
    const canonical = `${T_AMOUNT}${amount.text}${T_RECIPIENT}"${pyStringBody(recipient)}"${T_SENDER}"${pyStringBody(sender)}"}`;
    return { json: transactionJson(sender, recipient, amount), canonical, id: canonical };
  };

  const forge = (
    parent: Block,
    proof: number,
    transactions: readonly Transaction[],
    timestampSeconds: number,
  ): Block => {
    const height = parent.height + 1;
    const txJson = transactions.map((tx) => tx.json);
    const json = blockJson(
      JsonNumber.int(height),
      JsonNumber.float(timestampSeconds),
      txJson,
      JsonNumber.int(proof),
      parent.hash,
    );
    return makeBlock(json, height, txJson, `"${parent.hash}"`);
  };

  return {
    name: spec.name,
    summary: spec.summary,
    params: { difficulty },
    difficulty,
    powIncludesPreviousHash: spec.powIncludesPreviousHash,
    powChallengeFor,
    // The same rules, read off the text in one pass (verify, whole /chain texts).
    ...tutorialChainScanner({
      difficulty,
      genesisPreviousHash:
        typeof spec.genesisPreviousHash === 'string'
          ? { isString: true, text: spec.genesisPreviousHash }
          : { isString: false, text: spec.genesisPreviousHash.text },
      genesisProofText,
      powIncludesPreviousHash: spec.powIncludesPreviousHash,
      rewardSender: spec.rewardSender,
      rewardAmountText,
    }),

    createGenesis(timestampSeconds) {
      const json = blockJson(
        JsonNumber.int(1),
        JsonNumber.float(timestampSeconds),
        [],
        JsonNumber.int(spec.genesisProof),
        spec.genesisPreviousHash,
      );
      return makeBlock(json, 1, [], previousHashText(spec.genesisPreviousHash));
    },

    decodeBlock: decodeTutorialBlock,

    connectBlock(block: Block, parent: ChainView | null): StateDiff {
      if (!parent || parent.height === 0) {
        ruleGenesis(block);
        return NO_CHANGES;
      }
      const last = parent.block(parent.height);
      ruleIndexSequence(block, last);
      ruleLink(block, last);
      ruleProofOfWork(block, last);
      ruleReward(block);
      return NO_CHANGES;
    },

    parseTransaction,

    admitTransaction(_tx: Transaction, _state: StateView, _pending: readonly Transaction[]): undefined {
      // The tutorial has no balances: anything that passed parseTransaction may wait for a block.
      return undefined;
    },

    returnsToMempool(tx: Transaction): boolean {
      try {
        parseTransaction(tx.json);
        return true;
      } catch {
        return false;
      }
    },

    blockTemplate(parent: ChainView, beneficiary: string): BlockTemplate {
      const last = parent.block(parent.height);
      const reward = makeTransaction(spec.rewardSender, beneficiary, JsonNumber.int(spec.rewardAmount));
      return {
        puzzle: powChallengeFor((last.json.proof as JsonNumber).text, last.hash),
        expectedHashes: 16 ** difficulty,
        // The tutorial's puzzle does not cover the contents: the block takes what is pending when the
        // proof is found, as the tutorial's /mine does, up to the byte cap (the reward always fits).
        seal(proof, pending, timestampSeconds) {
          const chosen = selectWithin(pending, policy.maxBlockBytes - EMPTY_BLOCK_BYTES - reward.canonical.length);
          chosen.push(reward);
          return forge(last, proof, chosen, timestampSeconds);
        },
      };
    },
  };
}

/**
 * Bytes of a block with no transactions, with room for the largest index, proof, timestamp and
 * link texts: what the byte cap must leave besides the transactions.
 */
const EMPTY_BLOCK_BYTES = encodeBlock(
  '9'.repeat(16),
  `"${'f'.repeat(64)}"`,
  '9'.repeat(24),
  '-1.7976931348623157e+308',
  [],
).length;

/** The oldest pending transactions that fit in `budget` canonical bytes (with their separators). */
function selectWithin(pending: readonly Transaction[], budget: number): Transaction[] {
  const chosen: Transaction[] = [];
  let used = 0;
  for (const tx of pending) {
    const bytes = tx.canonical.length + 2;
    if (used + bytes > budget) break;
    used += bytes;
    chosen.push(tx);
  }
  return chosen;
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

const TUTORIAL_SPECS: Record<(typeof TUTORIAL_PROFILE_NAMES)[number], TutorialProfileSpec> = {
  seed: SEED_SPEC,
  master: MASTER_SPEC,
};

/**
 * A tutorial profile (`seed`, `master`) with its tutorial-only tools, for the tools that need them
 * (`blockforge pow`, `blockforge verify`, the explorer's proof-of-work view). Here, apart from the
 * registry (`profiles.ts`), so that those tools do not load the ledger's modules.
 */
export function createTutorialProfile(
  name: string,
  options: { difficulty?: number; maxBlockBytes?: number } = {},
): TutorialProfile {
  if (name === 'ledger') {
    throw new BlockforgeError(
      ErrorCode.UnknownProfile,
      "the ledger profile is not one of the tutorial's (seed, master)",
    );
  }
  if (name !== 'seed' && name !== 'master') {
    throw new BlockforgeError(
      ErrorCode.UnknownProfile,
      `unknown profile "${name}" (choose one of: ${PROFILE_NAMES.join(', ')})`,
    );
  }
  const spec = TUTORIAL_SPECS[name];
  return tutorialProfile(spec, options.difficulty ?? spec.defaultDifficulty, {
    maxBlockBytes: options.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES,
  });
}
