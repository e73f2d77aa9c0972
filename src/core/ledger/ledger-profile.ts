/**
 * The `ledger` profile (docs/ledger-protocol.md): signed payments between accounts with balances
 * and nonces, a header the proof of work covers (with the merkle root of the transactions), ASERT
 * retargeting and most-work fork choice, on the same seam as the tutorial profiles. One rule per
 * function (L1-L12, named as in the spec), composed by `decodeBlock` (context-free) and
 * `connectBlock` (in context), as lodestar composes its state transition.
 */

import type { Block, StateChange, StateDiff, StateView, Transaction } from '../block.js';
import { canonicalJson } from '../canonical.js';
import { describe } from '../describe.js';
import { BlockforgeError, ChainRuleError, ErrorCode } from '../errors.js';
import { isJsonObject, JsonNumber, type JsonValue, newJsonObject } from '../json.js';
import { zerosOfTarget } from '../pow.js';
import type {
  AccountRules,
  BlockHeader,
  BlockTemplate,
  ChainView,
  HeaderChainView,
  HeaderRules,
  RuleProfile,
  SignatureCheck,
} from '../profile.js';
import { toHex } from '../sha256.js';
import { asertTarget, workOf } from './asert.js';
import {
  blockJson,
  blockSize,
  blockTxError,
  Coinbase,
  clientTxError,
  decodeCoinbase,
  decodeHeader,
  decodePayment,
  fromHex,
  LedgerBlock,
  LedgerHeader,
  type LedgerTransaction,
  makeCoinbase,
  makeHeader,
  merkleOf,
  Payment,
} from './codec.js';
import { blockReward, DEVNET, type GenesisSpec, maxTargetOf, parseUnits, targetHex } from './genesis.js';
import { encodeAddress, parseAddress } from './keys.js';
import { inclusionProof } from './merkle.js';
import { MAX_U63, SIGNED_BYTES, type SignatureVerifier, signedMessageTag, verifyPayment } from './transaction.js';

/** L12: most transactions in a block (the reward included). */
export const MAX_BLOCK_TRANSACTIONS = 10_000;
/** L12: most canonical bytes of a block. */
export const MAX_LEDGER_BLOCK_BYTES = 4 * 1024 * 1024;
/** L6: blocks whose median time a new block must pass. */
export const MEDIAN_TIME_SPAN = 11;
/** Policy: seconds a block may be dated ahead of this node's clock. */
export const MAX_FUTURE_SECONDS = 120;
/** Policy: least fee of a payment this node takes, in base units. */
export const MIN_FEE = 1_000n;
/** Policy: how far past an account's next nonce a payment may wait for the gap to fill. */
export const NONCE_WINDOW = 16n;

/** The ledger profile, with its network and chain id. */
export interface LedgerProfile extends RuleProfile {
  readonly genesis: GenesisSpec;
  /** The genesis block's hash: every payment signs it. */
  readonly chainId: string;
  readonly headers: HeaderRules;
  readonly accounts: AccountRules;
}

/** Whether a profile is the ledger's. */
export function isLedgerProfile(profile: RuleProfile): profile is LedgerProfile {
  return profile.name === 'ledger' && 'chainId' in profile;
}

// ---- State: `a/<address>` -> {"balance", "nonce"}; `l/<unlock height>` -> {"amount", "to"}. ----

/** An account's balance and next nonce. */
export interface Account {
  readonly balance: bigint;
  readonly nonce: bigint;
}

const EMPTY_ACCOUNT: Account = { balance: 0n, nonce: 0n };
const accountKey = (address: string): string => `a/${address}`;
const lockKey = (height: number): string => `l/${height}`;

/** Reads an account from the state (values written by this profile only). */
export function readAccount(state: StateView, address: string): Account {
  const text = state.get(accountKey(address));
  if (text === undefined) return EMPTY_ACCOUNT;
  const value = JSON.parse(text) as { balance: string; nonce: string };
  return { balance: BigInt(value.balance), nonce: BigInt(value.nonce) };
}

function accountText(account: Account): string | null {
  if (account.balance === 0n && account.nonce === 0n) return null;
  return `{"balance": "${account.balance}", "nonce": "${account.nonce}"}`;
}

/** A locked reward, from the state. */
export function readLock(state: StateView, unlockHeight: number): { to: string; amount: bigint } | null {
  const text = state.get(lockKey(unlockHeight));
  if (text === undefined) return null;
  const value = JSON.parse(text) as { amount: string; to: string };
  return { to: value.to, amount: BigInt(value.amount) };
}

/**
 * Changes to the state, gathered into a diff (each key once: its first `before`, last `after`).
 * Accounts are kept decoded while a block is applied, and written as text once, in {@link diff}: a
 * block reads and writes each sender's and recipient's account once per payment, and decoding and
 * encoding them each time was ~6% of a 10,000-payment block's validation (bench/ledger.mjs part 5).
 */
class StateWriter implements StateView {
  private readonly changes = new Map<string, { before: string | null; after: string | null }>();
  /** Accounts read or written, decoded. */
  private readonly accounts = new Map<string, Account>();
  /** Addresses whose account was written since its text was: their `after` is made by {@link flush}. */
  private readonly written = new Set<string>();
  constructor(private readonly base: StateView) {}
  get(key: string): string | undefined {
    if (this.written.size > 0 && key.startsWith('a/')) this.flush();
    const change = this.changes.get(key);
    if (change) return change.after ?? undefined;
    return this.base.get(key);
  }
  set(key: string, value: string | null): void {
    if (key.startsWith('a/')) {
      this.flush();
      this.accounts.delete(key.slice(2));
    }
    this.record(key).after = value;
  }
  account(address: string): Account {
    let account = this.accounts.get(address);
    if (account === undefined) {
      account = readAccount(this, address);
      this.accounts.set(address, account);
    }
    return account;
  }
  putAccount(address: string, account: Account): void {
    this.record(accountKey(address));
    this.accounts.set(address, account);
    this.written.add(address);
  }
  diff(): StateDiff {
    this.flush();
    const out: StateChange[] = [];
    for (const [key, { before, after }] of this.changes) if (before !== after) out.push({ key, before, after });
    return out;
  }
  private record(key: string): { before: string | null; after: string | null } {
    let change = this.changes.get(key);
    if (!change) {
      const before = this.base.get(key) ?? null;
      change = { before, after: before };
      this.changes.set(key, change);
    }
    return change;
  }
  /** Writes the text of the accounts written since the last flush. */
  private flush(): void {
    for (const address of this.written) {
      const change = this.changes.get(accountKey(address));
      if (change) change.after = accountText(this.accounts.get(address) as Account);
    }
    this.written.clear();
  }
}

// ---- The rules. ----

/** L6: the median of the last {@link MEDIAN_TIME_SPAN} headers' times (fewer near genesis). */
export function medianTimePast(view: HeaderChainView, header: (h: number) => LedgerHeader): number {
  const times: number[] = [];
  for (let h = view.height; h >= 1 && times.length < MEDIAN_TIME_SPAN; h--) times.push(header(h).time);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

/** The target of the block after `parent` (L4): block 2 has the initial target; then ASERT anchored at block 2. */
export function nextTarget(spec: GenesisSpec, parentHeight: number, header: (h: number) => LedgerHeader): bigint {
  if (parentHeight < 2) return spec.initialTarget;
  const anchor = header(2);
  const parent = header(parentHeight);
  const target = asertTarget({
    anchorTarget: spec.initialTarget,
    anchorHeight: 2,
    anchorTime: anchor.time,
    parentHeight,
    parentTime: parent.time,
    blockTime: spec.blockTime,
    halfLife: spec.halfLife,
  });
  // The easiest target allowed (see maxTargetOf). Bigints: no Math.min.
  const limit = maxTargetOf(spec);
  if (target > limit) return limit;
  return target;
}

function ruleHeight(header: LedgerHeader, parent: HeaderChainView): void {
  if (header.height !== parent.height + 1) {
    throw new ChainRuleError(
      ErrorCode.IndexSequence,
      parent.height + 1,
      `height is ${header.height}, the block after ${parent.height} must be ${parent.height + 1} (L2)`,
    );
  }
}

function ruleLink(header: LedgerHeader, parentHash: string): void {
  if (header.parent !== parentHash) {
    throw new ChainRuleError(
      ErrorCode.PreviousHashMismatch,
      header.height,
      `parent is ${header.parent.slice(0, 16)}..., the block before has hash ${parentHash.slice(0, 16)}... (L3)`,
    );
  }
}

function ruleTarget(header: LedgerHeader, expected: bigint): void {
  if (header.target !== expected) {
    throw new ChainRuleError(
      ErrorCode.TargetMismatch,
      header.height,
      `target is ${targetHex(header.target)}, the retarget (ASERT) gives ${targetHex(expected)} (L4)`,
    );
  }
}

function ruleProofOfWork(header: LedgerHeader, position: number): void {
  // Equal-length lowercase hex compares as the 256-bit numbers it writes.
  if (header.hash > targetHex(header.target)) {
    throw new ChainRuleError(
      ErrorCode.ProofOfWork,
      position,
      `header hash ${header.hash.slice(0, 16)}... is above its target ${targetHex(header.target).slice(0, 16)}... (L5)`,
    );
  }
}

function ruleTime(header: LedgerHeader, median: number): void {
  if (header.time <= median) {
    throw new ChainRuleError(
      ErrorCode.TimeTooEarly,
      header.height,
      `time ${header.time} is not after ${median}, the median time of the last ${MEDIAN_TIME_SPAN} blocks (L6)`,
    );
  }
}

function ruleMerkle(header: LedgerHeader, transactions: readonly Transaction[], position: number): void {
  const root = merkleOf(transactions);
  if (root !== header.merkle) {
    throw new ChainRuleError(
      ErrorCode.MerkleMismatch,
      position,
      `merkle root is ${header.merkle.slice(0, 16)}..., the transactions give ${root.slice(0, 16)}... (L7)`,
    );
  }
}

function ruleSignature(
  tx: Payment,
  chainId: string,
  position: number,
  index: number,
  verify: SignatureVerifier | undefined,
): void {
  if (tx.chain !== chainId) {
    throw new ChainRuleError(
      ErrorCode.SignatureInvalid,
      position,
      `transaction ${index} is signed for chain ${tx.chain.slice(0, 16)}..., not this one (L9)`,
    );
  }
  if (!verifyPayment(tx.fields, tx.signature, verify)) {
    throw new ChainRuleError(
      ErrorCode.SignatureInvalid,
      position,
      `transaction ${index} has a signature that is not its sender's (L9)`,
    );
  }
}

/** L12; `size` null: checked before the transactions are read (the count alone already breaks it). */
function ruleSize(count: number, size: number | null, position: number): void {
  if (count > MAX_BLOCK_TRANSACTIONS || (size !== null && size > MAX_LEDGER_BLOCK_BYTES)) {
    throw new ChainRuleError(
      ErrorCode.BlockTooLarge,
      position,
      `${count} transactions${size === null ? '' : ` and ${size} bytes`}: a block holds at most ${MAX_BLOCK_TRANSACTIONS} transactions and ${MAX_LEDGER_BLOCK_BYTES} bytes (L12)`,
    );
  }
}

function ruleNonce(tx: Payment, account: Account, height: number, index: number): void {
  if (tx.nonce !== account.nonce) {
    throw new ChainRuleError(
      ErrorCode.NonceMismatch,
      height,
      `transaction ${index}: nonce ${tx.nonce}, the sender's next nonce is ${account.nonce} (L10)`,
    );
  }
}

function ruleBalance(tx: Payment, account: Account, height: number, index: number): void {
  if (account.balance < tx.amount + tx.fee) {
    throw new ChainRuleError(
      ErrorCode.BalanceInsufficient,
      height,
      `transaction ${index}: spends ${tx.amount + tx.fee} base units, the sender has ${account.balance} spendable (L11)`,
    );
  }
}

function ruleRewardAmount(block: LedgerBlock, spec: GenesisSpec, fees: bigint): void {
  const reward = block.transactions[0] as Coinbase;
  const allowed = blockReward(spec, block.height) + fees;
  if (reward.amount > allowed) {
    throw new ChainRuleError(
      ErrorCode.RewardInvalid,
      block.height,
      `the reward pays ${reward.amount}, at most the block reward plus fees, ${allowed}, is allowed (L8)`,
    );
  }
}

/** Adds `amount` to `address`'s balance; a balance over 2^63 - 1 breaks L11. */
function credit(state: StateWriter, address: string, amount: bigint, height: number): void {
  const account = state.account(address);
  const balance = account.balance + amount;
  if (balance > MAX_U63) {
    throw new ChainRuleError(
      ErrorCode.BalanceInsufficient,
      height,
      `${address} would hold more than 2^63 - 1 base units (L11)`,
    );
  }
  state.putAccount(address, { balance, nonce: account.nonce });
}

// ---- Signature checks listed ahead of validation (RuleProfile.signatureChecks). ----

/** Hex digit values by char code (-1: not a lowercase hex digit, the only spelling L1 allows). */
const HEX_VALUE = new Int8Array(128).fill(-1);
for (let k = 0; k < 16; k++) HEX_VALUE['0123456789abcdef'.charCodeAt(k)] = k;

/**
 * Writes the bytes of `hex` (exactly `bytes` bytes of lowercase hex) into `out` at `offset`; false
 * if it is anything else. Per char code, without the substrings codec's `fromHex` makes: the
 * listing runs over every payment of a sync page before validation does.
 */
function hexInto(hex: JsonValue | undefined, bytes: number, out: Uint8Array, offset: number): boolean {
  if (typeof hex !== 'string' || hex.length !== 2 * bytes) return false;
  for (let k = 0; k < bytes; k++) {
    const hi = hex.charCodeAt(2 * k);
    const lo = hex.charCodeAt(2 * k + 1);
    const h = hi < 128 ? (HEX_VALUE[hi] as number) : -1;
    const l = lo < 128 ? (HEX_VALUE[lo] as number) : -1;
    if (h < 0 || l < 0) return false;
    out[offset + k] = (h << 4) | l;
  }
  return true;
}

/** Bytes of one listed check in the arena: signature, public key, message. */
const CHECK_BYTES = 64 + 32 + SIGNED_BYTES;
const MESSAGE_TAG = signedMessageTag();

/**
 * The signatures that rule L9 would verify in `values` (untrusted blocks): each payment (every
 * transaction after the first) that names `chainId` and whose fields decode, with the message it
 * signs. Nothing else is checked, and what does not decode is skipped (L1 refuses it later). Bounded:
 * a block listing more than {@link MAX_BLOCK_TRANSACTIONS} is skipped whole (L12 refuses it), so the
 * work is linear in the values' size.
 */
function listSignatureChecks(values: readonly JsonValue[], chainId: string, hrp: string): SignatureCheck[] {
  const chain = new Uint8Array(32);
  hexInto(chainId, 32, chain, 0);
  // Recipients repeat within a page (bech32m decoding is ~a fifth of the listing's cost): decoded once.
  const recipients = new Map<string, Uint8Array | null>();
  const recipient = (to: string): Uint8Array | null => {
    let id = recipients.get(to);
    if (id === undefined) {
      try {
        id = parseAddress(hrp, to);
      } catch {
        id = null;
      }
      recipients.set(to, id);
    }
    return id;
  };
  const checks: SignatureCheck[] = [];
  for (const value of values) {
    if (!isJsonObject(value)) continue;
    const list = value.transactions;
    if (!Array.isArray(list) || list.length < 2 || list.length > MAX_BLOCK_TRANSACTIONS) continue;
    // One buffer per block for all its checks: views, not thousands of small arrays.
    const arena = new Uint8Array((list.length - 1) * CHECK_BYTES);
    const view = new DataView(arena.buffer);
    let used = 0;
    for (let k = 1; k < list.length; k++) {
      const tx = list[k] as JsonValue;
      if (!isJsonObject(tx) || tx.chain !== chainId || typeof tx.to !== 'string') continue;
      const at = used * CHECK_BYTES;
      const message = at + 64 + 32;
      if (!hexInto(tx.sig, 64, arena, at) || !hexInto(tx.from, 32, arena, at + 64)) continue;
      const to = recipient(tx.to);
      const amount = parseUnits(tx.amount);
      const fee = parseUnits(tx.fee);
      const nonce = parseUnits(tx.nonce);
      if (to === null || to.length !== 20 || amount === null || fee === null || nonce === null) continue;
      // "BFTX1" || chain || from || to || amount || fee || nonce (transaction.ts, signedMessage).
      let offset = message;
      arena.set(MESSAGE_TAG, offset);
      offset += MESSAGE_TAG.length;
      arena.set(chain, offset);
      offset += 32;
      arena.copyWithin(offset, at + 64, at + 96);
      offset += 32;
      arena.set(to, offset);
      offset += 20;
      view.setBigUint64(offset, amount);
      view.setBigUint64(offset + 8, fee);
      view.setBigUint64(offset + 16, nonce);
      checks.push({
        signature: arena.subarray(at, at + 64),
        publicKey: arena.subarray(at + 64, at + 96),
        message: arena.subarray(message, message + SIGNED_BYTES),
      });
      used++;
    }
  }
  return checks;
}

// ---- The profile. ----

/** Options of {@link createLedgerProfile}. */
export interface LedgerOptions {
  /** Policy: largest block this node forges, in canonical bytes (at most the rule's 4 MiB). */
  readonly maxBlockBytes?: number;
  /**
   * The Ed25519 verifier (noble-strict by default, as in the browser). The node passes its
   * OpenSSL-backed one, which gives the same verdicts ~10x faster (src/node/ed25519-verify.ts).
   */
  readonly verifySignature?: SignatureVerifier;
}

function headerOfBlock(block: Block): LedgerHeader {
  if (!(block instanceof LedgerBlock)) throw new TypeError('not a ledger block');
  return block.header;
}

function asLedgerHeader(header: BlockHeader): LedgerHeader {
  if (!(header instanceof LedgerHeader)) throw new TypeError('not a ledger header');
  return header;
}

/** The ledger profile for the network `spec` (the built-in devnet when omitted). */
export function createLedgerProfile(spec: GenesisSpec = DEVNET, options: LedgerOptions = {}): LedgerProfile {
  const maxBlockBytes = Math.min(options.maxBlockBytes ?? MAX_LEDGER_BLOCK_BYTES, MAX_LEDGER_BLOCK_BYTES);
  const hrp = spec.hrp;

  // The genesis block: the allocations as rewards of height 1, no proof of work (rules section 4).
  const allocations = spec.allocations.map((a) => makeCoinbase(1, a.address, a.amount, hrp));
  const genesisHeader = makeHeader({
    height: 1,
    parent: '0'.repeat(64),
    merkle: merkleOf(allocations),
    time: spec.time,
    target: spec.initialTarget,
    nonce: 0,
  });
  const genesis = new LedgerBlock(
    genesisHeader,
    allocations,
    blockJson(genesisHeader, allocations),
    blockSize(genesisHeader, allocations),
  );
  const chainId = genesis.hash;
  const maxTarget = maxTargetOf(spec);

  const headerRules: HeaderRules = {
    headerOf: headerOfBlock,
    decodeHeader(value, position) {
      const header = decodeHeader(value, position);
      if (header.height === 1) {
        if (header.hash !== chainId) {
          throw new ChainRuleError(ErrorCode.GenesisInvalid, position, "the genesis header is not this network's");
        }
        return header;
      }
      // The easiest target any block may have is known without context: a header claiming an
      // easier one (and so next to no work) is refused before anything else is looked at.
      if (header.target > maxTarget) {
        throw new ChainRuleError(
          ErrorCode.TargetMismatch,
          position,
          `target ${targetHex(header.target).slice(0, 16)}... is easier than this network allows, ${targetHex(maxTarget).slice(0, 16)}... (L4)`,
        );
      }
      ruleProofOfWork(header, position);
      return header;
    },
    connectHeader(value, parent) {
      const header = asLedgerHeader(value);
      const at = (h: number): LedgerHeader => asLedgerHeader(parent.header(h));
      ruleHeight(header, parent);
      ruleLink(header, at(parent.height).hash);
      ruleTarget(header, nextTarget(spec, parent.height, at));
      ruleTime(header, medianTimePast(parent, at));
    },
  };

  const headerView = (view: ChainView): HeaderChainView => ({
    height: view.height,
    header: (h) => headerOfBlock(view.block(h)),
  });

  /** Context-free rules of a block (L1, L5, L7, L8's shape, L9, L12). */
  const decodeBlock = (value: JsonValue, position: number): LedgerBlock => {
    if (!isJsonObject(value)) {
      throw new ChainRuleError(
        ErrorCode.BlockShape,
        position,
        `a block must be an object (got ${describe(value)}) (L1)`,
      );
    }
    const keys = Object.keys(value);
    const list = value.transactions;
    if (keys.length !== 2 || !Array.isArray(list) || value.header === undefined) {
      throw new ChainRuleError(
        ErrorCode.BlockShape,
        position,
        'a block has exactly the keys "header" and "transactions" (a list) (L1)',
      );
    }
    const header = headerRules.decodeHeader(value.header as JsonValue, position) as LedgerHeader;
    const at = position > 0 ? position : header.height;
    if (header.height === 1) {
      // decodeHeader checked its hash: this is our genesis, whose transactions the merkle root fixes.
      if (list.length !== genesis.transactions.length || canonicalJson(value) !== canonicalJson(genesis.json)) {
        throw new ChainRuleError(ErrorCode.GenesisInvalid, at, "the genesis block is not this network's");
      }
      return genesis;
    }
    if (list.length === 0) {
      throw new ChainRuleError(ErrorCode.RewardInvalid, at, 'the first transaction must be the reward (L8)');
    }
    if (list.length > MAX_BLOCK_TRANSACTIONS) ruleSize(list.length, null, at);
    const transactions: LedgerTransaction[] = [];
    for (let k = 0; k < list.length; k++) {
      const item = list[k] as JsonValue;
      const error = blockTxError(at, k + 1, k === 0 ? 'L8' : 'L1');
      if (k === 0) {
        const reward = decodeCoinbase(item, hrp, error);
        if (reward.height !== header.height) {
          throw error(
            ErrorCode.RewardInvalid,
            `the reward names height ${reward.height}, the block is ${header.height} (L8)`,
          );
        }
        transactions.push(reward);
        continue;
      }
      if (isJsonObject(item) && item.coinbase !== undefined) {
        throw error(ErrorCode.RewardInvalid, 'only the first transaction may be a reward (L8)');
      }
      transactions.push(decodePayment(item, hrp, error));
    }
    const size = blockSize(header, transactions);
    ruleSize(transactions.length, size, at);
    ruleMerkle(header, transactions, at);
    // L9 (signatures) is checked by connectBlock, after the header's rules in context: verifying up
    // to 10,000 signatures costs seconds, and a block must first show the network's real work.
    return new LedgerBlock(header, transactions, value, size, at);
  };

  /** The state changes of a block (L8's amount, L10, L11), after maturity unlocks. */
  const applyBlock = (block: LedgerBlock, state: StateView): StateDiff => {
    const writer = new StateWriter(state);
    const height = block.height;
    if (height === 1) {
      for (const tx of block.transactions) credit(writer, (tx as Coinbase).to, (tx as Coinbase).amount, height);
      return writer.diff();
    }
    // 1. Rewards that mature at this height become spendable.
    const unlocked = readLock(writer, height);
    if (unlocked) {
      writer.set(lockKey(height), null);
      // Every block at this height unlocks it, so it must never make a block invalid: what would take
      // the balance past 2^63 - 1 is burned (a payment over it is refused instead: L11).
      const account = writer.account(unlocked.to);
      const room = MAX_U63 - account.balance;
      writer.putAccount(unlocked.to, {
        balance: account.balance + (unlocked.amount < room ? unlocked.amount : room),
        nonce: account.nonce,
      });
    }
    // 2. Payments, in order.
    let fees = 0n;
    for (let k = 1; k < block.transactions.length; k++) {
      const tx = block.transactions[k] as Payment;
      const account = writer.account(tx.sender);
      ruleNonce(tx, account, height, k + 1);
      ruleBalance(tx, account, height, k + 1);
      writer.putAccount(tx.sender, { balance: account.balance - tx.amount - tx.fee, nonce: account.nonce + 1n });
      credit(writer, tx.to, tx.amount, height);
      fees += tx.fee;
    }
    // 3. The reward: at most reward + fees, locked until it matures.
    ruleRewardAmount(block, spec, fees);
    const reward = block.transactions[0] as Coinbase;
    if (reward.amount > 0n) {
      if (spec.maturity === 0) credit(writer, reward.to, reward.amount, height);
      else writer.set(lockKey(height + spec.maturity), `{"amount": "${reward.amount}", "to": "${reward.to}"}`);
    }
    return writer.diff();
  };

  const asBlock = (block: Block): LedgerBlock => {
    if (!(block instanceof LedgerBlock)) throw new TypeError('not a ledger block');
    return block;
  };

  /** Policy checks of a payment a client sent: chain, signature, fee, amount. */
  const parsePayment = (value: JsonValue): Payment => {
    if (isJsonObject(value) && value.coinbase !== undefined) {
      throw new BlockforgeError(ErrorCode.InvalidTransaction, 'rewards are made by miners, not sent to a node', {
        field: 'coinbase',
      });
    }
    const tx = decodePayment(value, hrp, clientTxError);
    if (tx.chain !== chainId) {
      throw new BlockforgeError(
        ErrorCode.WrongChain,
        `this payment is signed for chain ${tx.chain}, this network (${spec.network}) is chain ${chainId}: sign it again with this chain id`,
        { field: 'chain' },
      );
    }
    if (!verifyPayment(tx.fields, tx.signature, options.verifySignature)) {
      throw new BlockforgeError(
        ErrorCode.BadSignature,
        'the signature is not the sender\'s signature of this payment: sign the payment\'s 113-byte message (docs/ledger-protocol.md section 3) with the key of "from"',
        { field: 'sig' },
      );
    }
    if (tx.fee < MIN_FEE) {
      throw new BlockforgeError(
        ErrorCode.FeeTooLow,
        `the fee is ${tx.fee} base units; this node takes payments with a fee of at least ${MIN_FEE}`,
        { field: 'fee' },
      );
    }
    if (tx.amount === 0n) {
      throw new BlockforgeError(ErrorCode.InvalidTransaction, 'the amount must be at least 1 base unit', {
        field: 'amount',
      });
    }
    return tx;
  };

  const admitTransaction = (
    value: Transaction,
    state: StateView,
    pending: readonly Transaction[],
  ): Transaction | undefined => {
    if (!(value instanceof Payment)) {
      throw new BlockforgeError(ErrorCode.InvalidTransaction, 'only payments wait in the mempool');
    }
    const tx = value;
    const account = readAccount(state, tx.sender);
    if (tx.nonce < account.nonce) {
      throw new BlockforgeError(
        ErrorCode.NonceTooLow,
        `nonce ${tx.nonce} is used: the sender's next nonce is ${account.nonce} (a payment is good once; sign a new one with nonce ${account.nonce})`,
        { field: 'nonce' },
      );
    }
    if (tx.nonce > account.nonce + NONCE_WINDOW) {
      throw new BlockforgeError(
        ErrorCode.NonceTooHigh,
        `nonce ${tx.nonce} is too far ahead: the sender's next nonce is ${account.nonce}, and a payment may wait at most ${NONCE_WINDOW} nonces ahead`,
        { field: 'nonce' },
      );
    }
    let replaced: Payment | undefined;
    let committed = 0n;
    for (const other of pendingOf(pending, tx.sender)) {
      if (other.nonce < account.nonce) continue; // used by a block already: leaves with stalePending
      if (other.id === tx.id) {
        throw new BlockforgeError(ErrorCode.AlreadyPending, `payment ${tx.id} is already pending`);
      }
      if (other.nonce === tx.nonce) {
        // A replacement pays at least the minimum fee more: each one is a commit and a relay.
        if (tx.fee < other.fee + MIN_FEE) {
          throw new BlockforgeError(
            ErrorCode.FeeTooLow,
            `payment ${other.id} with nonce ${tx.nonce} is pending with a fee of ${other.fee}: a replacement must pay at least ${other.fee + MIN_FEE}`,
            { field: 'fee' },
          );
        }
        replaced = other;
        continue;
      }
      committed += other.amount + other.fee;
    }
    if (account.balance < committed + tx.amount + tx.fee) {
      const available = account.balance > committed ? account.balance - committed : 0n;
      throw new BlockforgeError(
        ErrorCode.InsufficientFunds,
        `this payment spends ${tx.amount + tx.fee} base units (amount plus fee); the sender has ${account.balance} spendable${committed > 0n ? `, ${committed} of it promised to pending payments` : ''}, so at most ${available} is left`,
        { field: 'amount' },
      );
    }
    const recipient = readAccount(state, tx.to);
    if (recipient.balance + tx.amount > MAX_U63) {
      throw new BlockforgeError(
        ErrorCode.InvalidTransaction,
        `the recipient would hold more than 2^63 - 1 base units (it has ${recipient.balance})`,
        { field: 'amount' },
      );
    }
    return replaced;
  };

  /**
   * Payments for the next block (policy): each sender's nonces in order from its next nonce, as far
   * as its balance goes; across senders, the highest fee per byte first; within the byte cap.
   */
  const selectPayments = (state: StateView, pending: readonly Transaction[], roomBytes: number): Payment[] => {
    const bySender = paymentsBySender(pending);
    // Each sender's run of consecutive nonces it can afford (what it receives in the block is not
    // counted: simpler, and never wrong).
    const queues: Payment[][] = [];
    for (const [sender, list] of bySender) {
      const account = readAccount(state, sender);
      const byNonce = new Map<bigint, Payment>();
      for (const tx of list) {
        const seen = byNonce.get(tx.nonce);
        if (!seen || tx.fee > seen.fee) byNonce.set(tx.nonce, tx);
      }
      const run: Payment[] = [];
      let balance = account.balance;
      for (let nonce = account.nonce; ; nonce++) {
        const tx = byNonce.get(nonce);
        if (!tx || tx.amount + tx.fee > balance) break;
        balance -= tx.amount + tx.fee;
        run.push(tx);
      }
      if (run.length > 0) queues.push(run.reverse()); // popped from the end, lowest nonce first
    }
    const rate = (tx: Payment): number => Number(tx.fee) / tx.canonical.length;
    const heap = new PaymentHeap(rate);
    for (const queue of queues) heap.push(queue);
    const chosen: Payment[] = [];
    let bytes = 0;
    // What each recipient receives in the block so far: no balance may pass 2^63 - 1 (L11).
    const received = new Map<string, bigint>();
    while (heap.size > 0 && chosen.length < MAX_BLOCK_TRANSACTIONS - 1) {
      const queue = heap.pop();
      const tx = queue.pop() as Payment;
      // A payment that does not fit ends its sender's run (the later nonces would not be valid).
      if (bytes + tx.canonical.length + 2 > roomBytes) continue;
      const incoming = (received.get(tx.to) ?? 0n) + tx.amount;
      if (readAccount(state, tx.to).balance + incoming > MAX_U63) continue;
      received.set(tx.to, incoming);
      chosen.push(tx);
      bytes += tx.canonical.length + 2;
      if (queue.length > 0) heap.push(queue);
    }
    return chosen;
  };

  const blockTemplate = (
    parent: ChainView,
    beneficiary: string,
    pending: readonly Transaction[],
    timestampSeconds: number,
  ): BlockTemplate => {
    try {
      parseAddress(hrp, beneficiary);
    } catch (err) {
      throw new BlockforgeError(
        ErrorCode.InvalidOption,
        `the miner's address ${JSON.stringify(beneficiary.slice(0, 100))} is not a ${spec.network} address: ${(err as Error).message}`,
      );
    }
    const headers = headerView(parent);
    const at = (h: number): LedgerHeader => headerOfBlock(parent.block(h));
    const height = parent.height + 1;
    const target = nextTarget(spec, parent.height, at);
    const time = Math.max(Math.floor(timestampSeconds), medianTimePast(headers, at) + 1);
    // Room for the payments: the cap less an empty block with the largest reward it can carry.
    const empty = makeCoinbase(height, beneficiary, MAX_U63, hrp);
    const probe = makeHeader({
      height,
      parent: parent.block(parent.height).hash,
      merkle: '0'.repeat(64),
      time,
      target,
      nonce: Number.MAX_SAFE_INTEGER,
    });
    const room = maxBlockBytes - blockSize(probe, [empty]);
    const payments = selectPayments(parent.state, pending, room);
    let fees = 0n;
    for (const tx of payments) fees += tx.fee;
    const claim = blockReward(spec, height) + fees;
    const reward = makeCoinbase(height, beneficiary, claim < MAX_U63 ? claim : MAX_U63, hrp);
    const transactions: LedgerTransaction[] = [reward, ...payments];
    const fields = { height, parent: at(parent.height).hash, merkle: merkleOf(transactions), time, target };
    const text = canonicalJson(makeHeader({ ...fields, nonce: 0 }).json);
    const marker = '"nonce": 0, ';
    const cut = text.indexOf(marker) + '"nonce": '.length;
    const hex = targetHex(target);
    const work = workOf(target);
    return {
      puzzle: { prefix: text.slice(0, cut), suffix: text.slice(cut + 1), difficulty: zerosOfTarget(hex), target: hex },
      expectedHashes: work > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(work),
      seal(proof) {
        const header = makeHeader({ ...fields, nonce: proof });
        return new LedgerBlock(header, transactions, blockJson(header, transactions), blockSize(header, transactions));
      },
    };
  };

  const accounts: AccountRules = {
    parseAddress(text) {
      const id = parseAddress(hrp, text);
      // One spelling per account (bech32m also reads upper case): the state is keyed by it.
      if (encodeAddress(hrp, id) !== text) {
        throw new BlockforgeError(ErrorCode.InvalidAddress, 'write the address in lower case', { field: 'address' });
      }
      return text;
    },
    describeAccount(address, tip, pending) {
      const account = readAccount(tip.state, address);
      let locked = 0n;
      for (let h = tip.height + 1; h <= tip.height + spec.maturity; h++) {
        const lock = readLock(tip.state, h);
        if (lock && lock.to === address) locked += lock.amount;
      }
      let outgoing = 0n;
      let incoming = 0n;
      let nextNonce = account.nonce;
      const nonces = new Set<bigint>();
      for (const tx of pending) {
        if (!(tx instanceof Payment)) continue;
        if (tx.sender === address) {
          outgoing += tx.amount + tx.fee;
          nonces.add(tx.nonce);
        }
        if (tx.to === address) incoming += tx.amount;
      }
      while (nonces.has(nextNonce)) nextNonce++;
      const out = newJsonObject();
      out.address = address;
      out.balance = account.balance.toString();
      out.locked = locked.toString();
      out.nonce = account.nonce.toString();
      out.pending_balance = (account.balance - outgoing + incoming).toString();
      out.next_nonce = nextNonce.toString();
      out.height = JsonNumber.int(tip.height);
      return out;
    },
    involves(tx, address) {
      if (tx instanceof Payment) return tx.sender === address || tx.to === address;
      return tx instanceof Coinbase && tx.to === address;
    },
    describeTransaction(tx) {
      const out = newJsonObject();
      out.id = tx.id;
      if (tx instanceof Payment) {
        out.kind = 'payment';
        out.from = tx.sender;
        out.to = tx.to;
        out.amount = tx.amount.toString();
        out.fee = tx.fee.toString();
        out.nonce = tx.nonce.toString();
      } else if (tx instanceof Coinbase) {
        out.kind = 'reward';
        out.to = tx.to;
        out.amount = tx.amount.toString();
      }
      return out;
    },
    inclusionProof(block, index) {
      const ledgerBlock = asBlock(block);
      const proof = inclusionProof(
        ledgerBlock.transactions.map((tx) => fromHex(tx.id)),
        index,
      );
      const out = newJsonObject();
      out.index = JsonNumber.int(proof.index);
      out.size = JsonNumber.int(proof.size);
      out.path = proof.path.map(toHex);
      out.root = ledgerBlock.header.merkle;
      return out;
    },
  };

  return {
    name: 'ledger',
    summary: `signed payments, balances, header proof of work, ASERT, most work (network ${spec.network})`,
    params: { network: spec.network, genesis: chainId },
    genesis: spec,
    chainId,
    headers: headerRules,
    accounts,

    createGenesis: () => genesis,
    decodeBlock,
    signatureChecks: (values) => listSignatureChecks(values, chainId, hrp),

    connectBlock(value: Block, parent: ChainView | null): StateDiff {
      const block = asBlock(value);
      if (!parent || parent.height === 0) {
        if (block !== genesis && block.hash !== chainId) {
          throw new ChainRuleError(ErrorCode.GenesisInvalid, 1, 'a chain starts with its genesis block');
        }
        return applyBlock(genesis, { get: () => undefined });
      }
      headerRules.connectHeader(block.header, headerView(parent));
      for (let k = 1; k < block.transactions.length; k++) {
        ruleSignature(block.transactions[k] as Payment, chainId, block.position, k + 1, options.verifySignature);
      }
      return applyBlock(block, parent.state);
    },

    parseTransaction: parsePayment,
    admitTransaction,
    returnsToMempool(tx) {
      // What a reorg drops comes back only if this node would take it from a client (a peer's block
      // may hold a fee below our minimum, and the mempool is reloaded through the same policy).
      if (!(tx instanceof Payment)) return false;
      try {
        parsePayment(tx.json);
        return true;
      } catch {
        return false;
      }
    },

    stalePending(state, pending) {
      // Per sender, in nonce order: a nonce a block used can never be valid again, and what the
      // balance no longer covers (the account was spent by a block) waits for nothing: dropped.
      const stale: Transaction[] = [];
      const bySender = paymentsBySender(pending);
      for (const [sender, list] of bySender) {
        const account = readAccount(state, sender);
        list.sort((a, b) => (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0));
        let committed = 0n;
        for (const tx of list) {
          if (tx.nonce < account.nonce || committed + tx.amount + tx.fee > account.balance) {
            stale.push(tx);
            continue;
          }
          committed += tx.amount + tx.fee;
        }
      }
      return stale;
    },

    checkArrival(item, nowSeconds) {
      const header = item instanceof LedgerHeader ? item : headerOfBlock(item as Block);
      if (header.time > nowSeconds + MAX_FUTURE_SECONDS) {
        throw new ChainRuleError(
          ErrorCode.TimeTooFarAhead,
          header.height,
          `time ${header.time} is more than ${MAX_FUTURE_SECONDS} s ahead of this node's clock (${Math.floor(nowSeconds)}); offer it again later`,
        );
      }
    },

    blockTemplate,
  };
}

/** The payments among `pending`, grouped by sender, each group in list order. */
function paymentsBySender(pending: readonly Transaction[]): Map<string, Payment[]> {
  const bySender = new Map<string, Payment[]>();
  for (const tx of pending) {
    if (!(tx instanceof Payment)) continue;
    const list = bySender.get(tx.sender);
    if (list) list.push(tx);
    else bySender.set(tx.sender, [tx]);
  }
  return bySender;
}

/** The pending payments of each sender, indexed once per mempool list and extended as it grows. */
interface SenderIndex {
  seen: number;
  last: Transaction | undefined;
  readonly bySender: Map<string, Payment[]>;
}

const senderIndexes = new WeakMap<readonly Transaction[], SenderIndex>();

/**
 * `sender`'s payments among `pending`. Admission asks this for every new payment; a scan of the
 * whole mempool each time cost ~77 ns per pending entry (bench/ledger.mjs), ~19 ms at its limit.
 * The index follows a list that only grows at its end (the mempool's, between blocks); a list that
 * changed otherwise (shorter, or another last entry where the index stopped) is indexed afresh.
 */
function pendingOf(pending: readonly Transaction[], sender: string): readonly Payment[] {
  let index = senderIndexes.get(pending);
  if (!index || index.seen > pending.length || (index.seen > 0 && pending[index.seen - 1] !== index.last)) {
    index = { seen: 0, last: undefined, bySender: new Map() };
    senderIndexes.set(pending, index);
  }
  for (; index.seen < pending.length; index.seen++) {
    const tx = pending[index.seen];
    if (!(tx instanceof Payment)) continue;
    const list = index.bySender.get(tx.sender);
    if (list) list.push(tx);
    else index.bySender.set(tx.sender, [tx]);
  }
  index.last = pending[pending.length - 1];
  return index.bySender.get(sender) ?? [];
}

/** A max-heap of senders' payment runs by the fee rate of each run's next payment. */
class PaymentHeap {
  private readonly items: Payment[][] = [];
  constructor(private readonly rate: (tx: Payment) => number) {}
  get size(): number {
    return this.items.length;
  }
  private key(k: number): number {
    const queue = this.items[k] as Payment[];
    return this.rate(queue[queue.length - 1] as Payment);
  }
  push(queue: Payment[]): void {
    const items = this.items;
    items.push(queue);
    let k = items.length - 1;
    while (k > 0) {
      const up = (k - 1) >> 1;
      if (this.key(up) >= this.key(k)) break;
      [items[up], items[k]] = [items[k] as Payment[], items[up] as Payment[]];
      k = up;
    }
  }
  pop(): Payment[] {
    const items = this.items;
    const top = items[0] as Payment[];
    const last = items.pop() as Payment[];
    if (items.length > 0) {
      items[0] = last;
      let k = 0;
      for (;;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let best = k;
        if (l < items.length && this.key(l) > this.key(best)) best = l;
        if (r < items.length && this.key(r) > this.key(best)) best = r;
        if (best === k) break;
        [items[best], items[k]] = [items[k] as Payment[], items[best] as Payment[]];
        k = best;
      }
    }
    return top;
  }
}
