/** Parsers for command-line values: each refuses bad input with a message naming the option. */

import { join } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { MAX_HASHRATE } from '../node/limits.js';
import { parsePeerAddress } from '../node/peer-address.js';

/** `--log-format` values (src/cli/log-format.ts). */
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

/** Where the wallet is kept unless `--wallet` says otherwise. */
export const DEFAULT_WALLET_FILE = join('.blockforge', 'wallet.json');
/** The node asked unless `--node` says otherwise. */
export const DEFAULT_NODE_URL = 'http://localhost:5000';

/** `--last-proof`: a non-negative decimal integer, as it appears in a block. */
export function lastProofOption(value: string): string {
  if (!/^(0|[1-9][0-9]{0,99})$/.test(value)) {
    throw new InvalidArgumentError('--last-proof must be a non-negative integer (decimal, no leading zeros)');
  }
  return value;
}

/** `--last-hash`: a block hash, 64 lowercase hex digits. */
export function lastHashOption(value: string): string {
  if (!/^[0-9a-f]{64}$/.test(value)) throw new InvalidArgumentError('--last-hash must be 64 lowercase hex digits');
  return value;
}

/** An integer in [min, max]. */
export function intOption(name: string, min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^[0-9]+$/.test(value)) throw new InvalidArgumentError(`${name} must be an integer`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be from ${min} to ${max}`);
    return n;
  };
}

/** A positive number of seconds, returned in milliseconds. */
export function secondsOption(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || n > 3600) {
      throw new InvalidArgumentError(`${name} must be a number of seconds (0 < s <= 3600)`);
    }
    return Math.round(n * 1000);
  };
}

/** Collects a repeatable option into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `--advertise`: a peer address (`http(s)://host:port` or `host:port`). */
export function advertiseOption(value: string): string {
  try {
    return parsePeerAddress(value).baseUrl;
  } catch (err) {
    throw new InvalidArgumentError(`--advertise: ${(err as Error).message}`);
  }
}

const HASHRATE_UNITS: Record<string, number> = { '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9 };

/**
 * `--hashrate`: hashes per second, a whole number or with a k, M or G suffix (`2000`, `20k`,
 * `1.5M`); the result must be a whole number from 1 to the miner's cap.
 */
export function hashrateOption(value: string): number {
  const match = /^([0-9]+(?:\.[0-9]+)?)([kKMG]?)$/.exec(value);
  const n = match
    ? Math.round(Number(match[1]) * (HASHRATE_UNITS[match[2] as string] as number) * 1e6) / 1e6
    : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_HASHRATE) {
    throw new InvalidArgumentError(
      '--hashrate must be a whole number of hashes per second from 1 to 10^12, with k, M or G if you like (2000, 20k, 1.5M)',
    );
  }
  return n;
}

/**
 * `--admin-token`: 16 to 256 visible ASCII characters (it travels in an HTTP header; shorter ones
 * are guessable by anyone on the classroom network who tries).
 */
export function adminTokenOption(value: string): string {
  if (!isAdminToken(value)) {
    throw new InvalidArgumentError(
      '--admin-token must be 16 to 256 visible ASCII characters, no spaces (for example: openssl rand -hex 16)',
    );
  }
  return value;
}

/** Whether `value` can be an admin token (see {@link adminTokenOption}). */
export function isAdminToken(value: string): boolean {
  return /^[\x21-\x7e]{16,256}$/.test(value);
}
