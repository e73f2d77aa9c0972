/**
 * `blockforge genesis --out FILE`: writes a ledger network's genesis file (docs/ledger-protocol.md
 * section 1), checked by the same parser a node reads it with. Also what the other ledger commands
 * share: amounts of coins read and written exactly (bigint base units, never floats) and a genesis
 * file read from disk.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { BlockforgeError } from '../core/errors.js';
import { isJsonObject, JsonNumber, type JsonValue, parseJson } from '../core/json.js';
import {
  DEVNET,
  type GenesisSpec,
  genesisFileJson,
  parseGenesis,
  targetForExpectedHashes,
  UNITS_PER_COIN,
} from '../core/ledger/genesis.js';
import { parseAddress } from '../core/ledger/keys.js';
import { createLedgerProfile } from '../core/ledger/ledger-profile.js';
import { MAX_U63 } from '../core/ledger/transaction.js';
import { CliError } from './http-client.js';

/** Decimal places of a coin: 1 base unit is 0.00000001 coin. */
export const COIN_DECIMALS = 8;

/**
 * An amount of coins written in decimal (`1.5`, `100`, `0.00001`), as base units, exactly: at most
 * {@link COIN_DECIMALS} decimals, no sign, exponent, hex or leading zeros, and at most 2^63 - 1 base
 * units. `name` names the option in the message. Throws INVALID_AMOUNT.
 */
export function parseCoins(text: string, name = 'amount'): bigint {
  const match = /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(text);
  if (!match) {
    throw new CliError(
      'INVALID_AMOUNT',
      `${name}: ${JSON.stringify(text.slice(0, 40))} is not an amount of coins: write digits with an optional decimal point, like 1.5`,
    );
  }
  const whole = match[1] as string;
  const fraction = match[2] ?? '';
  if (fraction.length > COIN_DECIMALS) {
    throw new CliError(
      'INVALID_AMOUNT',
      `${name}: ${text} has ${fraction.length} decimals; at most ${COIN_DECIMALS} (1 base unit is 0.00000001 coin)`,
    );
  }
  if (whole.length > 19) throw new CliError('INVALID_AMOUNT', `${name}: ${text} coins is too large`);
  const units = BigInt(whole) * UNITS_PER_COIN + BigInt(fraction.padEnd(COIN_DECIMALS, '0'));
  if (units > MAX_U63) {
    throw new CliError(
      'INVALID_AMOUNT',
      `${name}: ${text} coins is more than 2^63 - 1 base units (${formatCoins(MAX_U63)} coins)`,
    );
  }
  return units;
}

/** Base units written as coins, exactly, without trailing zeros: 1250000000n is `12.5`. */
export function formatCoins(units: bigint): string {
  const sign = units < 0n ? '-' : '';
  const abs = units < 0n ? -units : units;
  const whole = abs / UNITS_PER_COIN;
  const fraction = (abs % UNITS_PER_COIN).toString().padStart(COIN_DECIMALS, '0').replace(/0+$/, '');
  return `${sign}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/** `12.5 coins`, `1 coin`. */
export function coins(units: bigint): string {
  return `${formatCoins(units)} ${units === UNITS_PER_COIN ? 'coin' : 'coins'}`;
}

/** Reads and checks a genesis file. Throws INVALID_GENESIS naming the file and what is wrong. */
export function readGenesisFile(file: string): GenesisSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError('INVALID_GENESIS', `cannot read the genesis file ${file}: ${(err as Error).message}`);
  }
  try {
    return parseGenesis(parseJson(text));
  } catch (err) {
    throw new CliError('INVALID_GENESIS', `${file}: ${(err as Error).message}`);
  }
}

/** JSON with a 2-space indent and `"key": value`, numbers as their text (a lossless value). */
export function indentJson(value: JsonValue, depth = 0): string {
  const pad = '  '.repeat(depth + 1);
  const end = '  '.repeat(depth);
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return JSON.stringify(value);
  if (value instanceof JsonNumber) return value.text;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => pad + indentJson(v, depth + 1)).join(',\n')}\n${end}]`;
  }
  if (!isJsonObject(value)) throw new TypeError('not JSON');
  const keys = Object.keys(value);
  if (keys.length === 0) return '{}';
  return `{\n${keys.map((k) => `${pad}${JSON.stringify(k)}: ${indentJson(value[k] as JsonValue, depth + 1)}`).join(',\n')}\n${end}}`;
}

/** Parsed options of `blockforge genesis`. */
export interface GenesisOptions {
  out: string;
  name?: string;
  hrp?: string;
  blockTime?: number;
  halfLife?: number;
  expectedHashes?: string;
  reward?: string;
  halvingInterval?: number;
  maturity?: number;
  alloc?: string[];
  time?: number;
  force?: boolean;
  json?: boolean;
}

/** The default network name of a new genesis file. */
export const DEFAULT_NETWORK_NAME = 'localnet';

/** Builds the spec `blockforge genesis` writes; `now` is the default genesis time (seconds). */
export function genesisSpecOf(options: Omit<GenesisOptions, 'out'>, now: number): GenesisSpec {
  const hrp = options.hrp ?? DEVNET.hrp;
  const blockTime = options.blockTime ?? DEVNET.blockTime;
  let initialTarget = DEVNET.initialTarget;
  if (options.expectedHashes !== undefined) {
    if (!/^[1-9][0-9]{0,77}$/.test(options.expectedHashes)) {
      throw new CliError('INVALID_OPTION', '--expected-hashes must be a whole number, at least 1');
    }
    const n = BigInt(options.expectedHashes);
    if (n >= 1n << 256n) throw new CliError('INVALID_OPTION', '--expected-hashes must be below 2^256');
    initialTarget = targetForExpectedHashes(n);
  }
  const allocations: { address: string; amount: bigint }[] = [];
  for (const entry of options.alloc ?? []) {
    const cut = entry.lastIndexOf('=');
    if (cut < 1) {
      throw new CliError('INVALID_OPTION', `--alloc ${JSON.stringify(entry.slice(0, 100))}: write ADDRESS=COINS`);
    }
    const address = entry.slice(0, cut);
    try {
      parseAddress(hrp, address);
    } catch (err) {
      const code = err instanceof BlockforgeError ? err.code : 'INVALID_ADDRESS';
      const hint =
        options.hrp === undefined && /network/.test((err as Error).message) ? ' (set the prefix with --hrp)' : '';
      throw new CliError(code, `--alloc ${address.slice(0, 100)}: ${(err as Error).message}${hint}`);
    }
    allocations.push({ address, amount: parseCoins(entry.slice(cut + 1), `--alloc ${address}`) });
  }
  return {
    network: options.name ?? DEFAULT_NETWORK_NAME,
    hrp,
    blockTime,
    halfLife: options.halfLife ?? 10 * blockTime,
    initialTarget,
    reward: options.reward === undefined ? DEVNET.reward : parseCoins(options.reward, '--reward'),
    halvingInterval: options.halvingInterval ?? DEVNET.halvingInterval,
    maturity: options.maturity ?? DEVNET.maturity,
    time: options.time ?? now,
    allocations,
  };
}

/** Runs `blockforge genesis`; returns the exit code. Throws a {@link CliError} for a user error (main prints it). */
export function runGenesis(options: GenesisOptions): number {
  const draft = genesisSpecOf(options, Math.floor(Date.now() / 1000));
  const json = genesisFileJson(draft);
  // The node's own parser has the last word (names, prefix, ranges, duplicate allocations).
  let spec: GenesisSpec;
  try {
    spec = parseGenesis(json);
  } catch (err) {
    throw new CliError('INVALID_GENESIS', (err as Error).message);
  }
  const { chainId } = createLedgerProfile(spec);
  try {
    writeFileSync(options.out, `${indentJson(json)}\n`, { flag: options.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(
        'FILE_EXISTS',
        `${options.out} exists: pass --force to replace it (nodes started on the old file would be on another network)`,
      );
    }
    throw new CliError('CANNOT_WRITE', `cannot write ${options.out}: ${(err as Error).message}`);
  }
  if (options.json) {
    console.log(
      JSON.stringify({
        file: options.out,
        chain_id: chainId,
        network: spec.network,
        hrp: spec.hrp,
        genesis: JSON.parse(indentJson(json)),
      }),
    );
    return 0;
  }
  const allocated = spec.allocations.reduce((sum, a) => sum + a.amount, 0n);
  const expected = options.expectedHashes ?? (1n << 20n).toString();
  const hashes = expected === '1' ? 'about 1 hash each' : `about ${expected} hashes each`;
  const lines = [
    `wrote ${options.out}: network ${spec.network}, chain id ${chainId}`,
    `  addresses ${spec.hrp}1...; a block every ${spec.blockTime} s, the first ones ${hashes} (ASERT half-life ${spec.halfLife} s)`,
    `  reward ${coins(spec.reward)} a block${spec.halvingInterval > 0 ? `, halving every ${spec.halvingInterval} blocks` : ''}, locked for ${spec.maturity} blocks`,
    `  ${spec.allocations.length} allocation${spec.allocations.length === 1 ? '' : 's'}${spec.allocations.length > 0 ? ` (${coins(allocated)} in all)` : ''}; genesis time ${spec.time} (${new Date(spec.time * 1000).toISOString()})`,
    'start nodes on it (every node of the network needs this same file):',
    `  blockforge node --profile ledger --genesis ${options.out} --port 5000`,
    `  blockforge node --profile ledger --genesis ${options.out} --port 5001 --peer localhost:5000`,
  ];
  console.log(lines.join('\n'));
  return 0;
}
