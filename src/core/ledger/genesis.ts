/**
 * A ledger network's definition (docs/ledger-protocol.md section 1): the genesis file, parsed
 * strictly (it is untrusted input: a user may hand-edit it), and the built-in `devnet` that every
 * `blockforge node --profile ledger` joins without setup.
 */

import { describe } from '../describe.js';
import { BlockforgeError, ErrorCode } from '../errors.js';
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue, newJsonObject } from '../json.js';
import { MAX_TARGET } from './asert.js';
import { encodeAddress, parseAddress } from './keys.js';
import { MAX_U63 } from './transaction.js';

/** Base units in one coin. */
export const UNITS_PER_COIN = 100_000_000n;

/** A network's parameters, checked. */
export interface GenesisSpec {
  /** Network name (`devnet`). */
  readonly network: string;
  /** Human-readable prefix of its addresses. */
  readonly hrp: string;
  /** Target seconds between blocks. */
  readonly blockTime: number;
  /** ASERT half-life in seconds. */
  readonly halfLife: number;
  /** Target of the first mined block (block 2), ASERT's anchor. */
  readonly initialTarget: bigint;
  /** Reward of the first blocks, in base units. */
  readonly reward: bigint;
  /** Blocks between halvings (0: never). */
  readonly halvingInterval: number;
  /** Blocks a reward stays locked. */
  readonly maturity: number;
  /** The genesis block's time (seconds). */
  readonly time: number;
  /** Balances at genesis, in file order. */
  readonly allocations: readonly { readonly address: string; readonly amount: bigint }[];
}

/** Most allocations a genesis file may list (its block obeys the block size rule too). */
export const MAX_ALLOCATIONS = 1_000;

/** `floor((2^256 - 1) / n)`: the target at which a block takes about `n` hashes. */
export function targetForExpectedHashes(n: bigint): bigint {
  if (n < 1n) throw new RangeError('expected hashes must be at least 1');
  return MAX_TARGET / n;
}

/**
 * The easiest target a block may have: 16 times the initial target (at most 2^256 - 1). ASERT may
 * ease the target after the hash rate drops (up to 16x) but never to nothing: an idle network
 * that wakes up mines at this floor, not for free, until it is back on its schedule.
 */
export function maxTargetOf(spec: GenesisSpec): bigint {
  const limit = spec.initialTarget * 16n;
  return limit > MAX_TARGET ? MAX_TARGET : limit;
}

/** A target as 64 lowercase hex. */
export function targetHex(target: bigint): string {
  return target.toString(16).padStart(64, '0');
}

/**
 * The built-in network: a block every 10 s, an easy start (about 2^20 hashes a block, a second of
 * one laptop core), 50 coins a block halving every 100,000 blocks, no allocations (coins are mined).
 */
export const DEVNET: GenesisSpec = Object.freeze({
  network: 'devnet',
  hrp: 'bfd',
  blockTime: 10,
  halfLife: 100,
  initialTarget: targetForExpectedHashes(1n << 20n),
  reward: 50n * UNITS_PER_COIN,
  halvingInterval: 100_000,
  maturity: 10,
  time: 1_764_547_200, // 2025-12-01T00:00:00Z
  allocations: Object.freeze([]),
});

const fail = (field: string, message: string): BlockforgeError =>
  new BlockforgeError(ErrorCode.InvalidGenesis, `genesis ${field}: ${message}`, { field });

function intField(obj: JsonObject, field: string, min: number, max: number): number {
  const value = obj[field];
  if (!(value instanceof JsonNumber) || !value.isInteger || !/^-?[0-9]{1,16}$/.test(value.text)) {
    throw fail(field, `must be an integer (got ${describe(value)})`);
  }
  const n = Number(value.text);
  if (n < min || n > max) throw fail(field, `must be from ${min} to ${max} (got ${n})`);
  return n;
}

/** An amount: a string of decimal digits, without leading zeros, at most 2^63 - 1. */
export function parseUnits(value: JsonValue | undefined): bigint | null {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,18})$/.test(value)) return null;
  const n = BigInt(value);
  return n <= MAX_U63 ? n : null;
}

function unitsField(obj: JsonObject, field: string, label = field): bigint {
  const n = parseUnits(obj[field]);
  if (n === null) {
    throw fail(
      label,
      `must be a string of base units, 0 to 2^63 - 1, without leading zeros (got ${describe(obj[field])})`,
    );
  }
  return n;
}

const KEYS = [
  'network',
  'hrp',
  'block_time',
  'half_life',
  'initial_target',
  'reward',
  'halving_interval',
  'maturity',
  'time',
  'allocations',
];

/** Parses and checks a genesis file's JSON. Throws INVALID_GENESIS naming the field. */
export function parseGenesis(value: JsonValue): GenesisSpec {
  if (!isJsonObject(value)) throw fail('file', `must be a JSON object (got ${describe(value)})`);
  for (const key of Object.keys(value)) {
    if (!KEYS.includes(key)) throw fail(key, 'is not a genesis field');
  }
  for (const key of KEYS) if (value[key] === undefined) throw fail(key, 'is missing');
  const { network, hrp } = value;
  if (typeof network !== 'string' || !/^[a-z0-9-]{1,32}$/.test(network)) {
    throw fail('network', 'must be 1-32 characters of a-z, 0-9 and -');
  }
  if (typeof hrp !== 'string' || !/^[a-z]{1,10}$/.test(hrp)) throw fail('hrp', 'must be 1-10 letters a-z');
  const blockTime = intField(value, 'block_time', 1, 3600);
  const halfLife = intField(value, 'half_life', 1, 100_000_000);
  const target = value.initial_target;
  if (typeof target !== 'string' || !/^[0-9a-f]{64}$/.test(target) || BigInt(`0x${target}`) === 0n) {
    throw fail('initial_target', 'must be 64 lowercase hex digits, not all zero');
  }
  const reward = unitsField(value, 'reward');
  const halvingInterval = intField(value, 'halving_interval', 0, 2 ** 31);
  const maturity = intField(value, 'maturity', 0, 1000);
  const time = intField(value, 'time', 0, 2 ** 40);
  const list = value.allocations;
  if (!Array.isArray(list) || list.length > MAX_ALLOCATIONS) {
    throw fail('allocations', `must be a list of at most ${MAX_ALLOCATIONS} {"address", "amount"} objects`);
  }
  const seen = new Set<string>();
  let total = 0n;
  const allocations = list.map((entry, k) => {
    const field = `allocations[${k}]`;
    if (!isJsonObject(entry) || Object.keys(entry).length !== 2 || typeof entry.address !== 'string') {
      throw fail(field, 'must be {"address": "...", "amount": "<base units>"}');
    }
    const address = entry.address;
    let id: Uint8Array;
    try {
      id = parseAddress(hrp, address);
    } catch (err) {
      throw fail(field, (err as Error).message);
    }
    // One spelling per account: the state is keyed by the lower-case address.
    if (encodeAddress(hrp, id) !== address) throw fail(field, 'write the address in lower case');
    if (seen.has(address)) throw fail(field, `lists ${address} twice (merge the amounts)`);
    seen.add(address);
    const amount = unitsField(entry, 'amount', `${field}.amount`);
    total += amount;
    if (total > MAX_U63) throw fail('allocations', 'add up to more than 2^63 - 1 base units');
    return { address, amount };
  });
  return {
    network,
    hrp,
    blockTime,
    halfLife,
    initialTarget: BigInt(`0x${target}`),
    reward,
    halvingInterval,
    maturity,
    time,
    allocations,
  };
}

/** The genesis file's JSON for `spec` (what `blockforge genesis` writes). */
export function genesisFileJson(spec: GenesisSpec): JsonObject {
  const out = newJsonObject();
  out.network = spec.network;
  out.hrp = spec.hrp;
  out.block_time = JsonNumber.int(spec.blockTime);
  out.half_life = JsonNumber.int(spec.halfLife);
  out.initial_target = targetHex(spec.initialTarget);
  out.reward = spec.reward.toString();
  out.halving_interval = JsonNumber.int(spec.halvingInterval);
  out.maturity = JsonNumber.int(spec.maturity);
  out.time = JsonNumber.int(spec.time);
  out.allocations = spec.allocations.map((a) => {
    const entry = newJsonObject();
    entry.address = a.address;
    entry.amount = a.amount.toString();
    return entry;
  });
  return out;
}

/** The block reward at `height` (the genesis, height 1, has none): halved every interval. */
export function blockReward(spec: GenesisSpec, height: number): bigint {
  if (height < 2) return 0n;
  if (spec.halvingInterval === 0) return spec.reward;
  const halvings = Math.floor((height - 2) / spec.halvingInterval);
  return halvings >= 64 ? 0n : spec.reward >> BigInt(halvings);
}
