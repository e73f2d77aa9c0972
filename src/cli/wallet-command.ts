/**
 * `blockforge wallet ...`: a ledger wallet on the command line. The key lives in a keystore file
 * (docs/ledger-protocol.md section 11) and never leaves this process: payments are signed here and
 * only the signed JSON goes to the node. `verify-payment` is a light client: it trusts the node for
 * nothing it can check itself (every header from the genesis, the transaction's id, its inclusion
 * proof).
 */

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BlockforgeError, ChainRuleError, ErrorCode } from '../core/errors.js';
import { isJsonObject, type JsonValue, writeJson } from '../core/json.js';
import {
  clientTxError,
  decodeCoinbase,
  decodePayment,
  fromHex,
  LedgerHeader,
  type LedgerTransaction,
  Payment,
  paymentJson,
} from '../core/ledger/codec.js';
import { DEVNET, parseGenesis, UNITS_PER_COIN } from '../core/ledger/genesis.js';
import { encodeAddress, newSecretKey, parseAddress } from '../core/ledger/keys.js';
import {
  createKeystore,
  type Keystore,
  keystoreJson,
  parseKeystore,
  type UnlockedKey,
  unlockKeystore,
} from '../core/ledger/keystore.js';
import { createLedgerProfile, type LedgerProfile, MEDIAN_TIME_SPAN } from '../core/ledger/ledger-profile.js';
import { verifyInclusion } from '../core/ledger/merkle.js';
import { type PaymentFields, paymentId, signPayment, verifyPayment } from '../core/ledger/transaction.js';
import type { BlockHeader, HeaderChainView, HeaderRules } from '../core/profile.js';
import { coins, formatCoins, parseCoins, readGenesisFile } from './genesis-command.js';
import { AnswerReader, CliError, DEFAULT_TIMEOUT_MS, nodeBaseUrl, requestJson } from './http-client.js';

import { DEFAULT_NODE_URL, DEFAULT_WALLET_FILE } from './options.js';

export { DEFAULT_NODE_URL, DEFAULT_WALLET_FILE };
/** The environment variable a wallet's passphrase may come from (scripts, tests). */
export const PASSPHRASE_ENV = 'BLOCKFORGE_PASSPHRASE';
/** Most headers `GET /headers` serves in one page. */
export const HEADERS_PAGE = 2000;
/**
 * The most `wallet send` pays as a fee without `--fee` (0.001 coin, in base units). Without `--fee`
 * the fee is the node's `min_fee`, a number the node (or anything between it and us) chooses: above
 * this cap the wallet refuses rather than sign away what a hostile node asks.
 */
export const MAX_NODE_FEE = 100_000n;
/** An explicit `--fee` above this (1 coin), or above the amount, needs `--yes`: a typo costs coins. */
export const FEE_NEEDS_YES = UNITS_PER_COIN;
/** Default time `wallet verify-payment` may take, every request included (`--timeout`). */
export const DEFAULT_VERIFY_TIMEOUT_MS = 120_000;

/** Options every wallet command has. */
export interface WalletOptions {
  /** The keystore file. */
  wallet: string;
  /** The node's URL. */
  node: string;
  /** One JSON object on stdout instead of text. */
  json?: boolean;
}

/** Options of `wallet new`. */
export interface WalletNewOptions extends WalletOptions {
  hrp?: string;
  /** False with `--no-passphrase`. */
  passphrase: boolean;
  force?: boolean;
}

/** Options of `wallet send`. */
export interface SendOptions extends WalletOptions {
  to: string;
  amount: string;
  fee?: string;
  /** Pays a `--fee` above {@link FEE_NEEDS_YES} or above the amount. */
  yes?: boolean;
}

/** Options of `wallet history`. */
export interface HistoryOptions extends WalletOptions {
  limit: number;
}

/** Options of `wallet verify-payment`. */
export interface VerifyPaymentOptions extends WalletOptions {
  genesis?: string;
  confirmations?: number;
  /** A total header work below this (a decimal integer) is an error; default 0. */
  minWork?: string;
  /** Milliseconds the whole check may take (default {@link DEFAULT_VERIFY_TIMEOUT_MS}). */
  timeout?: number;
}

/** Prints a command's result: one JSON object with `--json`, else the text. */
function print(options: WalletOptions, json: Record<string, unknown>, text: string): void {
  console.log(options.json ? JSON.stringify(json) : text);
}

// ---- The keystore file. ----

/** Reads and checks the keystore at `file`. */
export function loadKeystore(file: string): Keystore {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(
        'WALLET_NOT_FOUND',
        `no wallet at ${file}: make one with blockforge wallet new (or name yours with --wallet FILE)`,
      );
    }
    throw new CliError('CANNOT_READ', `cannot read the wallet ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError('INVALID_WALLET', `${file} is not a wallet: it is not JSON`);
  }
  try {
    return parseKeystore(value);
  } catch (err) {
    throw new CliError('INVALID_WALLET', `${file} is not a valid wallet: ${(err as Error).message}`);
  }
}

/**
 * Writes a keystore readable by its owner only (mode 0600). Without `force` an existing file is
 * never touched; with it, the new file replaces the old one in one rename.
 */
function writeKeystore(file: string, text: string, force: boolean): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  try {
    if (!force) {
      writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
      return;
    }
    const temp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, text, { mode: 0o600, flag: 'wx' });
      renameSync(temp, file);
    } finally {
      rmSync(temp, { force: true });
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw walletExists(file);
    throw new CliError('CANNOT_WRITE', `cannot write ${file}: ${(err as Error).message}`);
  }
}

const walletExists = (file: string): CliError =>
  new CliError(
    'WALLET_EXISTS',
    `${file} exists: pass --force to replace it (its key and coins are lost unless you keep a copy), or choose another file with --wallet`,
  );

// ---- Passphrases. ----

/**
 * Reads a line from the terminal without echoing it (raw mode): Enter ends it, Backspace erases,
 * Ctrl-C or Ctrl-D on an empty line cancels. The prompt goes to stderr, so stdout stays the result.
 */
function promptHidden(question: string): Promise<string> {
  const input = process.stdin;
  process.stderr.write(question);
  input.setRawMode(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003' || (ch === '\u0004' && value === '')) {
          finish();
          reject(new CliError('CANCELLED', 'cancelled: nothing was done'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = Array.from(value).slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** The passphrase of a new wallet: from the environment, or asked twice on the terminal. */
async function newPassphrase(): Promise<string> {
  const env = process.env[PASSPHRASE_ENV];
  if (env !== undefined) {
    if (env === '')
      throw new CliError('NO_PASSPHRASE', `${PASSPHRASE_ENV} is empty: set a passphrase, or use --no-passphrase`);
    return env;
  }
  if (!process.stdin.isTTY) {
    throw new CliError(
      'NO_PASSPHRASE',
      `no terminal to ask a passphrase on: set ${PASSPHRASE_ENV}, or use --no-passphrase for an unencrypted wallet`,
    );
  }
  const first = await promptHidden('Passphrase for the new wallet: ');
  if (first === '') {
    throw new CliError(
      'NO_PASSPHRASE',
      'the passphrase is empty: type one, or use --no-passphrase for an unencrypted wallet',
    );
  }
  const second = await promptHidden('The same passphrase again: ');
  if (first !== second) throw new CliError('PASSPHRASE_MISMATCH', 'the two passphrases differ: nothing was written');
  return first;
}

/** The key of a wallet: unlocked with the passphrase from the environment or the terminal. */
async function unlockWallet(keystore: Keystore, file: string): Promise<UnlockedKey> {
  let passphrase: string | null = null;
  if (keystore.encrypted) {
    const env = process.env[PASSPHRASE_ENV];
    if (env !== undefined) passphrase = env;
    else if (process.stdin.isTTY) passphrase = await promptHidden(`Passphrase of ${file}: `);
    else {
      throw new CliError(
        'NO_PASSPHRASE',
        `the wallet ${file} is encrypted and there is no terminal to ask its passphrase on: set ${PASSPHRASE_ENV}`,
      );
    }
  }
  try {
    return await unlockKeystore(keystore, passphrase);
  } catch (err) {
    if (err instanceof BlockforgeError && err.code === ErrorCode.WrongPassphrase) {
      throw new CliError(err.code, `${file}: wrong passphrase (or the file was altered)`);
    }
    throw err;
  }
}

// ---- The network, as the node describes it. ----

/** A network as `GET /genesis` describes it, with the profile rebuilt here from its genesis file. */
export interface NodeNetwork {
  /** The chain id the node claims. */
  readonly claimedChainId: string;
  /** The profile of the node's genesis file (its `chainId` is computed here). */
  readonly profile: LedgerProfile;
  readonly minFee: bigint;
}

/** Asks the node which network it is on (`GET /genesis`). */
export async function fetchNetwork(base: string, timeoutMs?: number): Promise<NodeNetwork> {
  const answer = await requestJson(base, '/genesis', timeoutMs === undefined ? {} : { timeoutMs });
  return parseNetwork(answer.json);
}

/** A node's answer to `GET /genesis`, read and its genesis file rebuilt into a profile. */
function parseNetwork(json: JsonValue): NodeNetwork {
  const reader = new AnswerReader('GET /genesis', json);
  const claimedChainId = reader.string('chain_id');
  let profile: LedgerProfile;
  try {
    profile = createLedgerProfile(parseGenesis(reader.object().genesis ?? null));
  } catch (err) {
    throw new CliError(
      'NODE_BAD_RESPONSE',
      `the node's genesis file (GET /genesis) is not valid: ${(err as Error).message}`,
    );
  }
  return { claimedChainId, profile, minFee: reader.units('min_fee') };
}

/** The network for signing: the node's, its chain id checked against its own genesis file. */
async function signingNetwork(base: string): Promise<NodeNetwork> {
  const network = await fetchNetwork(base);
  if (network.profile.chainId !== network.claimedChainId) {
    throw new CliError(
      'CHAIN_ID_MISMATCH',
      `the node at ${base} claims chain id ${network.claimedChainId}, but its genesis file hashes to ${network.profile.chainId}: nothing was signed`,
    );
  }
  return network;
}

// ---- wallet new / address ----

/** `wallet new`: a new key in a new keystore file. */
export async function runWalletNew(options: WalletNewOptions): Promise<number> {
  const file = options.wallet;
  // Before any question: a wallet is never replaced by accident.
  if (!options.force && existsSync(file)) throw walletExists(file);
  let hrp: string;
  let source: string;
  if (options.hrp !== undefined) {
    if (!/^[a-z]{1,10}$/.test(options.hrp)) {
      throw new CliError('INVALID_OPTION', '--hrp must be 1-10 letters a-z (an address prefix, like bfd)');
    }
    hrp = options.hrp;
    source = '--hrp';
  } else {
    const base = nodeBaseUrl(options.node);
    try {
      const network = await fetchNetwork(base, 3_000);
      hrp = network.profile.genesis.hrp;
      source = `network ${network.profile.genesis.network} of the node at ${base}`;
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      hrp = DEVNET.hrp;
      source = `devnet's: the node at ${base} did not say (${err.code}); choose with --hrp`;
    }
  }
  const passphrase = options.passphrase ? await newPassphrase() : null;
  const keystore = await createKeystore(newSecretKey(), hrp, passphrase);
  writeKeystore(file, keystoreJson(keystore), options.force === true);
  if (passphrase === null) {
    console.error(
      `blockforge: warning: ${file} is NOT encrypted (--no-passphrase): anyone who can read the file can spend its coins`,
    );
  }
  print(
    options,
    { address: keystore.address, network: hrp, wallet: file, encrypted: keystore.encrypted },
    `${keystore.address}\n  a new wallet in ${file} (${keystore.encrypted ? 'encrypted with your passphrase' : 'unencrypted'}; address prefix ${hrp}, ${source})`,
  );
  return 0;
}

/** `wallet address`: the wallet's address (no passphrase needed). */
export function runWalletAddress(options: WalletOptions): number {
  const keystore = loadKeystore(options.wallet);
  print(
    options,
    { address: keystore.address, network: keystore.network, wallet: options.wallet, encrypted: keystore.encrypted },
    keystore.address,
  );
  return 0;
}

// ---- wallet balance / history ----

/** `wallet balance [ADDRESS]`: an account's balances, in coins. */
export async function runWalletBalance(address: string | undefined, options: WalletOptions): Promise<number> {
  const who = address ?? loadKeystore(options.wallet).address;
  const base = nodeBaseUrl(options.node);
  const path = `/accounts/${encodeURIComponent(who)}`;
  const answer = await requestJson(base, path);
  const r = new AnswerReader(`GET ${path}`, answer.json);
  const balance = r.units('balance');
  const locked = r.units('locked');
  const pending = r.units('pending_balance');
  const nonce = r.units('nonce');
  const nextNonce = r.units('next_nonce');
  const height = r.int('height');
  print(
    options,
    {
      address: r.string('address'),
      balance: balance.toString(),
      locked: locked.toString(),
      pending_balance: pending.toString(),
      nonce: nonce.toString(),
      next_nonce: nextNonce.toString(),
      height,
      coins: { balance: formatCoins(balance), locked: formatCoins(locked), pending_balance: formatCoins(pending) },
    },
    [
      `${r.string('address')} (node ${base}, height ${height})`,
      `  balance          ${coins(balance)}`,
      `  locked           ${coins(locked)} (block rewards still maturing)`,
      `  pending balance  ${coins(pending)} (once the pending payments are mined)`,
      `  next nonce       ${nextNonce}`,
    ].join('\n'),
  );
  return 0;
}

/** `wallet history [ADDRESS]`: an account's transactions, newest first. */
export async function runWalletHistory(address: string | undefined, options: HistoryOptions): Promise<number> {
  const who = address ?? loadKeystore(options.wallet).address;
  const base = nodeBaseUrl(options.node);
  const path = `/accounts/${encodeURIComponent(who)}/transactions?limit=${options.limit}`;
  const answer = await requestJson(base, path);
  const r = new AnswerReader(`GET ${path}`, answer.json);
  const list = r.list('transactions');
  if (options.json) {
    console.log(writeJson(answer.json));
    return 0;
  }
  const lines = [`${who}: ${list.length} transaction${list.length === 1 ? '' : 's'}, newest first (node ${base})`];
  for (const item of list) {
    const t = new AnswerReader(`GET ${path} (a transaction)`, item);
    const kind = t.string('kind');
    const amount = t.units('amount');
    const status = t.string('status');
    const where = status === 'confirmed' ? `block ${t.int('height')} (${t.int('confirmations')} conf.)` : 'pending';
    let what: string;
    if (kind === 'reward') {
      what = `${t.int('height') === 1 ? 'allocation' : 'reward    '}  +${coins(amount)}`;
    } else {
      const from = t.string('from');
      const to = t.string('to');
      const fee = t.units('fee');
      if (from === who && to === who) what = `to self     -${coins(fee)} (fee)`;
      else if (from === who) what = `sent        -${coins(amount + fee)} to ${to} (fee ${coins(fee)})`;
      else what = `received    +${coins(amount)} from ${from}`;
    }
    lines.push(`  ${where.padEnd(22)} ${what}\n    id ${t.string('id')}`);
  }
  console.log(lines.join('\n'));
  return 0;
}

// ---- wallet send ----

/**
 * Checks a fee given with `--fee` before anything is signed: above {@link FEE_NEEDS_YES} or above
 * the amount it must come with `--yes` (a slip of the decimal point would otherwise pay it).
 * Throws FEE_NOT_CONFIRMED.
 */
export function checkGivenFee(fee: bigint, amount: bigint, yes: boolean): void {
  if (yes) return;
  const over =
    fee > FEE_NEEDS_YES
      ? `more than ${coins(FEE_NEEDS_YES)}`
      : fee > amount
        ? `more than the amount (${coins(amount)})`
        : null;
  if (over !== null) {
    throw new CliError(
      'FEE_NOT_CONFIRMED',
      `--fee ${coins(fee)} is ${over}: nothing was signed; add --yes if you really mean to pay it`,
    );
  }
}

/**
 * The fee when `--fee` is not given: the node's `min_fee`, but only up to {@link MAX_NODE_FEE}. The
 * node (or a proxy on the way) chooses that number, and a wallet that signs whatever it says lets a
 * hostile node spend the sender's coins as fees. Throws FEE_TOO_HIGH above the cap.
 */
export function nodeFee(minFee: bigint, amount: bigint, node: string): bigint {
  if (minFee <= MAX_NODE_FEE) return minFee;
  const yes = minFee > FEE_NEEDS_YES || minFee > amount ? ' --yes' : '';
  throw new CliError(
    'FEE_TOO_HIGH',
    `the node at ${node} asks a fee of ${coins(minFee)} (its min_fee), more than the ${coins(MAX_NODE_FEE)} the wallet pays on a node's word: nothing was signed; pass --fee ${formatCoins(minFee)}${yes} explicitly if you really want to pay that`,
  );
}

/** `wallet send`: signs a payment here and hands it to the node. */
export async function runWalletSend(options: SendOptions): Promise<number> {
  const file = options.wallet;
  const keystore = loadKeystore(file);
  const amount = parseCoins(options.amount, '--amount');
  if (amount === 0n) throw new CliError('INVALID_AMOUNT', '--amount must be more than 0');
  const givenFee = options.fee === undefined ? undefined : parseCoins(options.fee, '--fee');
  if (givenFee !== undefined) checkGivenFee(givenFee, amount, options.yes === true);
  const base = nodeBaseUrl(options.node);
  const network = await signingNetwork(base);
  const { hrp } = network.profile.genesis;
  if (keystore.network !== hrp) {
    throw new CliError(
      'WRONG_NETWORK',
      `the wallet ${file} holds a "${keystore.network}1..." address, the node's network (${network.profile.genesis.network}) uses "${hrp}1...": make a wallet for it (blockforge wallet new --hrp ${hrp} --wallet FILE)`,
    );
  }
  let toId: Uint8Array;
  try {
    toId = parseAddress(hrp, options.to);
  } catch (err) {
    throw new CliError(ErrorCode.InvalidAddress, `--to: ${(err as Error).message}`);
  }
  const to = encodeAddress(hrp, toId);
  // Before the passphrase is asked: nothing is unlocked for a fee the wallet will not pay.
  const fee = givenFee ?? nodeFee(network.minFee, amount, base);
  const key = await unlockWallet(keystore, file);
  const accountPath = `/accounts/${encodeURIComponent(key.address)}`;
  const account = new AnswerReader(`GET ${accountPath}`, (await requestJson(base, accountPath)).json);
  const nonce = account.units('next_nonce');
  const fields: PaymentFields = {
    chain: fromHex(network.profile.chainId),
    from: key.publicKey,
    to: toId,
    amount,
    fee,
    nonce,
  };
  let signature: Uint8Array;
  try {
    signature = signPayment(fields, key.secretKey);
  } finally {
    key.secretKey.fill(0);
  }
  const id = paymentId(fields, signature);
  const body = paymentJson(fields, signature, hrp);
  const answer = new AnswerReader(
    'POST /transactions',
    (await requestJson(base, '/transactions', { method: 'POST', body })).json,
  );
  if (answer.string('id') !== id) {
    throw new CliError(
      'NODE_BAD_RESPONSE',
      `the node took the payment but names it ${answer.string('id')}, not its id ${id}`,
    );
  }
  const expected = answer.int('expected_block');
  print(
    options,
    {
      id,
      status: answer.string('status'),
      expected_block: expected,
      from: key.address,
      to,
      amount: amount.toString(),
      fee: fee.toString(),
      nonce: nonce.toString(),
      chain_id: network.profile.chainId,
    },
    [
      `sent ${coins(amount)} to ${to} (fee ${coins(fee)}, nonce ${nonce})`,
      `  payment ${id}`,
      `  pending; expected in block ${expected}. Once mined: blockforge wallet verify-payment ${id}`,
    ].join('\n'),
  );
  return 0;
}

// ---- wallet verify-payment ----

/**
 * Header rules run over a chain fetched page by page, keeping only the headers the rules look back
 * at (the genesis, block 2 that anchors the target, the last {@link MEDIAN_TIME_SPAN}) and the
 * ones the caller asks to keep: memory stays flat however long the chain.
 */
export class HeaderChecker {
  private readonly kept = new Map<number, BlockHeader>();
  private tip = 0;
  private workSum = 0n;
  private readonly view: HeaderChainView;

  constructor(
    private readonly rules: HeaderRules,
    private readonly keep: ReadonlySet<number> = new Set(),
  ) {
    const kept = this.kept;
    const self = this;
    this.view = {
      get height() {
        return self.tip;
      },
      header(h: number): BlockHeader {
        const header = kept.get(h);
        if (!header) throw new RangeError(`header ${h} was not kept`);
        return header;
      },
    };
  }

  /** Checks `value` as the next header. Throws a ChainRuleError naming it and the rule it breaks. */
  add(value: JsonValue): BlockHeader {
    const position = this.tip + 1;
    const header = this.rules.decodeHeader(value, position);
    if (position === 1) {
      if (header.height !== 1) {
        throw new ChainRuleError(ErrorCode.GenesisInvalid, 1, 'the first header is not a genesis header');
      }
    } else {
      this.rules.connectHeader(header, this.view);
    }
    this.kept.set(position, header);
    const old = position - MEDIAN_TIME_SPAN;
    if (old > 2 && !this.keep.has(old)) this.kept.delete(old);
    this.tip = position;
    this.workSum += header.work;
    return header;
  }

  /** Headers checked so far. */
  get height(): number {
    return this.tip;
  }

  /** Total work of the headers checked so far (the genesis included). */
  get work(): bigint {
    return this.workSum;
  }

  /** A checked header that was kept. */
  header(height: number): BlockHeader | undefined {
    return this.kept.get(height);
  }
}

/** A verdict of verify-payment that is not VALID. */
class Verdict extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
    readonly label = 'INVALID',
    /** True when the payment checks out but something else was asked (enough confirmations). */
    readonly valid = false,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(reason);
  }
}

/** The built-in devnet's chain id, computed on first use: a node on devnet needs no `--genesis`. */
let devnetChainId: string | undefined;
function builtInChainId(): string {
  devnetChainId ??= createLedgerProfile(DEVNET).chainId;
  return devnetChainId;
}

/** Whether the network a payment is checked against came from somewhere other than the node. */
interface NetworkTrust {
  /** True for `--genesis FILE`, or for a node whose genesis is the built-in devnet. */
  readonly pinned: boolean;
  /** The warning line printed when not pinned. */
  readonly warning: string;
}

/** `--min-work`: a decimal integer of work (expected hashes). */
function parseMinWork(text: string | undefined): bigint {
  if (text === undefined) return 0n;
  if (!/^(0|[1-9][0-9]{0,77})$/.test(text)) {
    throw new CliError(
      'INVALID_OPTION',
      `--min-work must be a whole number of work (expected hashes), like 1000000; not ${JSON.stringify(text.slice(0, 100))}`,
    );
  }
  return BigInt(text);
}

/** `wallet verify-payment ID`: checks that a payment is in the chain with the most work, as a light client. */
export async function runVerifyPayment(id: string, options: VerifyPaymentOptions): Promise<number> {
  if (!/^[0-9a-f]{64}$/.test(id)) {
    throw new CliError(
      'INVALID_ID',
      `${JSON.stringify(id.slice(0, 100))} is not a transaction id (64 lowercase hex digits)`,
    );
  }
  const minWork = parseMinWork(options.minWork);
  const base = nodeBaseUrl(options.node);
  // Filled in by checkPayment once the network is known, for the verdict too (not only VALID).
  const trust: { network?: NetworkTrust } = {};
  // The warning comes after the result, the last line a reader sees: a payment that checks out
  // against a network the node made up proves nothing.
  const warn = (): void => {
    if (trust.network && !trust.network.pinned) console.error(trust.network.warning);
  };
  try {
    const result = await checkPayment(id, base, options, minWork, trust);
    const { tx } = result;
    const isPayment = tx instanceof Payment;
    const what = isPayment
      ? `payment of ${coins(tx.amount)} from ${tx.sender} to ${tx.to} (fee ${coins(tx.fee)}, nonce ${tx.nonce})`
      : `reward of ${coins(tx.amount)} to ${tx.to}`;
    const above = result.confirmations - 1;
    print(
      options,
      {
        valid: true,
        id,
        kind: isPayment ? 'payment' : 'reward',
        height: result.height,
        block_hash: result.blockHash,
        confirmations: result.confirmations,
        confirmations_work: result.confirmationsWork.toString(),
        headers: result.headers,
        work: result.work.toString(),
        min_work: minWork.toString(),
        chain_id: result.chainId,
        network: result.source,
        genesis_pinned: result.pinned,
      },
      [
        `VALID: ${id} is in block ${result.height} (${result.blockHash}), ${result.confirmations} confirmation${result.confirmations === 1 ? '' : 's'} of work ${result.confirmationsWork}, total work ${result.work}`,
        `  ${what}`,
        `  checked here: ${result.headers} headers from the genesis of chain ${result.chainId} (${result.source}): proof of work, links, targets and times`,
        `  and the ${isPayment ? "payment's signature and id" : "reward's id"}, and its inclusion proof against block ${result.height}'s merkle root`,
        `  work counts expected hashes: undoing this ${isPayment ? 'payment' : 'reward'} means redoing ${result.confirmationsWork} of them (its block and the ${above} on top); little work is cheap to fake (ask for more with --min-work N)`,
      ].join('\n'),
    );
    warn();
    return 0;
  } catch (err) {
    if (!(err instanceof Verdict)) throw err;
    const pinned = trust.network ? { genesis_pinned: trust.network.pinned } : {};
    if (options.json) {
      console.log(
        JSON.stringify({ valid: err.valid, id, code: err.code, reason: err.reason, ...err.extra, ...pinned }),
      );
    } else {
      console.error(`${err.label}: ${err.reason} [${err.code}]`);
    }
    warn();
    return 1;
  }
}

interface CheckedPayment {
  tx: LedgerTransaction;
  height: number;
  blockHash: string;
  confirmations: number;
  /** Work of the transaction's block and the blocks on top of it: what undoing it costs. */
  confirmationsWork: bigint;
  headers: number;
  work: bigint;
  chainId: string;
  source: string;
  pinned: boolean;
}

async function checkPayment(
  id: string,
  base: string,
  options: VerifyPaymentOptions,
  minWork: bigint,
  trust: { network?: NetworkTrust },
): Promise<CheckedPayment> {
  // One deadline for the whole check: a node that answers slowly, or a little at a time, cannot keep
  // the client waiting forever (each request still has its own limit too).
  const timeoutMs = options.timeout ?? DEFAULT_VERIFY_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  let progress = `the node at ${base} had not answered everything asked`;
  const outOfTime = (): CliError =>
    new CliError(
      'VERIFY_TIMEOUT',
      `gave up after ${timeoutMs / 1000} s (--timeout): ${progress}; nothing was verified`,
    );
  const get = async (path: string): Promise<JsonValue> => {
    const left = Math.ceil(deadline - performance.now());
    if (left <= 0) throw outOfTime();
    try {
      return (await requestJson(base, path, { timeoutMs: Math.min(DEFAULT_TIMEOUT_MS, left) })).json;
    } catch (err) {
      // Cut short by what was left of the deadline: the whole check ran out of time.
      if (err instanceof CliError && err.code === 'NODE_TIMEOUT' && left < DEFAULT_TIMEOUT_MS) throw outOfTime();
      throw err;
    }
  };

  // 1. What the node says about the transaction.
  const txPath = `/transactions/${id}`;
  let txAnswer: JsonValue;
  try {
    txAnswer = await get(txPath);
  } catch (err) {
    if (err instanceof CliError && err.status === 404) {
      throw new Verdict('NOT_FOUND', `the node at ${base} knows no transaction ${id}`);
    }
    throw err;
  }
  const t = new AnswerReader(`GET ${txPath}`, txAnswer);
  const status = t.string('status');
  if (status === 'pending') {
    throw new Verdict(
      'NOT_CONFIRMED',
      `${id} is pending on the node: not in a block yet (mine one, or wait)`,
      'NOT CONFIRMED',
    );
  }
  if (status !== 'confirmed')
    throw new CliError('NODE_BAD_RESPONSE', `the node says ${id} is ${JSON.stringify(status)}`);
  const height = t.int('height');
  if (height < 1) throw new Verdict('NOT_IN_CHAIN', `the node says ${id} is in block ${height}; blocks start at 1`);
  const blockHash = t.string('block_hash');
  const p = t.field('proof');
  const proofIndex = p.int('index');
  const proofSize = p.int('size');
  const path = p.list('path').map((entry) => {
    if (typeof entry !== 'string' || !/^[0-9a-f]{64}$/.test(entry)) {
      throw new Verdict('INCLUSION_PROOF', 'the inclusion proof holds an entry that is not 64 hex digits');
    }
    return fromHex(entry);
  });

  // 2. The network: the genesis file given, else the node's (its chain id recomputed here). Only a
  // genesis from elsewhere (the file, or the built-in devnet) pins the network: anyone can run a
  // node on a genesis of their own with trivial targets, where every header checks out.
  let profile: LedgerProfile;
  let source: string;
  let pinned: boolean;
  if (options.genesis !== undefined) {
    profile = createLedgerProfile(readGenesisFile(options.genesis));
    source = `genesis file ${options.genesis}`;
    pinned = true;
    trust.network = { pinned, warning: '' };
    // Asked first so that a node of another network is named as such, not as some broken header.
    const claimed = new AnswerReader('GET /genesis', await get('/genesis')).string('chain_id');
    if (claimed !== profile.chainId) {
      throw new Verdict(
        'CHAIN_ID_MISMATCH',
        `the node at ${base} is on chain ${claimed}, not on chain ${profile.chainId} of ${options.genesis}: it serves another network`,
      );
    }
  } else {
    const network = parseNetwork(await get('/genesis'));
    profile = network.profile;
    if (network.claimedChainId !== profile.chainId) {
      throw new Verdict(
        'CHAIN_ID_MISMATCH',
        `the node claims chain id ${network.claimedChainId}, but its genesis file hashes to ${profile.chainId}`,
      );
    }
    const name = profile.genesis.network;
    if (profile.chainId === builtInChainId()) {
      source = 'the built-in devnet';
      pinned = true;
      trust.network = { pinned, warning: '' };
    } else {
      source = `network ${name}, as the node at ${base} describes it`;
      pinned = false;
      trust.network = {
        pinned,
        warning: `blockforge: warning: the genesis of network ${name} (chain ${profile.chainId}) came from the node at ${base} itself: a node can make up a network of its own, where its payments check out; pin the network with --genesis FILE (a genesis file from a source you trust)`,
      };
    }
  }
  const { hrp } = profile.genesis;

  // 3. The transaction: its id recomputed from its fields (and, for a payment, its signature checked).
  const value = t.object().transaction ?? null;
  let tx: LedgerTransaction;
  try {
    tx =
      isJsonObject(value) && value.coinbase !== undefined
        ? decodeCoinbase(value, hrp, clientTxError)
        : decodePayment(value, hrp, clientTxError);
  } catch (err) {
    throw new Verdict('TRANSACTION_INVALID', `the transaction the node sent is malformed: ${(err as Error).message}`);
  }
  if (tx.id !== id) {
    throw new Verdict('TX_ID_MISMATCH', `the transaction the node sent has the id ${tx.id}, not ${id}`);
  }
  if (tx instanceof Payment) {
    if (tx.chain !== profile.chainId) {
      throw new Verdict(
        'WRONG_CHAIN',
        `the payment is signed for chain ${tx.chain}, not this chain ${profile.chainId}`,
      );
    }
    if (!verifyPayment(tx.fields, tx.signature)) {
      throw new Verdict('BAD_SIGNATURE', "the payment's signature is not its sender's");
    }
  } else if (tx.height !== height) {
    throw new Verdict('REWARD_INVALID', `the reward names height ${tx.height}, the node says it is in block ${height}`);
  }

  // 4. Every header from the genesis to the node's tip, checked here. The tip is the height of the
  // node's first answer, fixed: a node claiming ever more blocks would otherwise keep the client
  // asking forever. Every page must bring headers, and the pages are counted: as many as the first
  // page's size needs (an honest node's pages do not shrink), plus one.
  const checker = new HeaderChecker(profile.headers, new Set([height]));
  let tip = 0;
  let pagesLeft = 1;
  let workBelow = 0n;
  do {
    const from = checker.height + 1;
    const limit = tip === 0 ? HEADERS_PAGE : Math.min(HEADERS_PAGE, tip - checker.height);
    if (pagesLeft === 0) {
      throw new Verdict(
        'HEADERS_STALLED',
        `the node's pages of headers keep getting shorter: ${checker.height} of the ${tip} headers it claimed came in as many pages as its first page's size allows`,
      );
    }
    pagesLeft--;
    const pagePath = `/headers?from=${from}&limit=${limit}`;
    const page = new AnswerReader(`GET ${pagePath}`, await get(pagePath));
    const headers = page.list('headers');
    if (tip === 0) {
      tip = page.int('height');
      if (height > tip) {
        throw new Verdict('NOT_IN_CHAIN', `the node says block ${height}, but its chain has ${tip} blocks`);
      }
      pagesLeft = Math.ceil(tip / Math.max(1, headers.length));
    }
    if (headers.length === 0) {
      throw new Verdict(
        'HEADERS_MISSING',
        `the node's headers ended at ${checker.height} (it sent no header ${from}), before the height ${tip} it claimed`,
      );
    }
    for (const header of headers) {
      if (checker.height >= tip) break;
      try {
        checker.add(header);
      } catch (err) {
        if (!(err instanceof ChainRuleError)) throw err;
        throw new Verdict(err.code, `the node's headers break the chain rules: ${err.message}`);
      }
      if (checker.height < height) workBelow = checker.work;
    }
    progress = `the node at ${base} had sent ${checker.height} of the ${tip} headers it claimed`;
  } while (checker.height < tip);

  // 5. The block: its checked header is the one claimed, and the proof leads to its merkle root.
  const header = checker.header(height);
  if (!(header instanceof LedgerHeader)) throw new Error(`header ${height} was not kept`);
  if (header.hash !== blockHash) {
    throw new Verdict(
      'BLOCK_HASH_MISMATCH',
      `the node says block ${height} is ${blockHash}, but the checked header ${height} hashes to ${header.hash}`,
    );
  }
  if (!verifyInclusion(fromHex(id), { index: proofIndex, size: proofSize, path }, fromHex(header.merkle))) {
    throw new Verdict(
      'INCLUSION_PROOF',
      `the inclusion proof does not lead from ${id} to block ${height}'s merkle root ${header.merkle}: the block does not hold this transaction as the node claims`,
    );
  }
  const confirmations = tip - height + 1;
  const work = checker.work;
  const confirmationsWork = work - workBelow;
  const summary = {
    height,
    block_hash: blockHash,
    confirmations,
    confirmations_work: confirmationsWork.toString(),
    work: work.toString(),
  };
  // Work, not the count of blocks, is what a chain costs to forge: a made-up network's blocks cost
  // one hash each.
  if (work < minWork) {
    throw new Verdict(
      'TOO_LITTLE_WORK',
      `the chain holding ${id} has a total work of ${work}, less than the ${minWork} asked (--min-work): so little work is cheap to fake`,
      'NOT ENOUGH WORK',
      false,
      { ...summary, min_work: minWork.toString() },
    );
  }
  if (options.confirmations !== undefined && confirmations < options.confirmations) {
    throw new Verdict(
      'TOO_FEW_CONFIRMATIONS',
      `${id} is in block ${height} and checks out, but has ${confirmations} confirmation${confirmations === 1 ? '' : 's'}, fewer than the ${options.confirmations} asked (--confirmations)`,
      'NOT ENOUGH CONFIRMATIONS',
      true,
      summary,
    );
  }
  return {
    tx,
    height,
    blockHash,
    confirmations,
    confirmationsWork,
    headers: tip,
    work,
    chainId: profile.chainId,
    source,
    pinned,
  };
}
