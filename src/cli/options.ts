/** Parsers for command-line values: each refuses bad input with a message naming the option. */

import { InvalidArgumentError } from 'commander';
import { parsePeerAddress } from '../node/peer-address.js';

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
