/**
 * Coins typed by a learner, read exactly: `1.5` coins is 150,000,000 base units, parsed with bigint
 * (never a float, which would turn 0.1 + 0.2 into 0.30000000000000004). No DOM here: unit tests run it.
 */

import { UNITS_PER_COIN } from '../../src/core/ledger/genesis.js';
import { MAX_U63 } from '../../src/core/ledger/transaction.js';

/** Decimal places of a coin (1 coin = 10^8 base units). */
export const COIN_DECIMALS = 8;

/** Why a text is not an amount of coins. */
export type CoinsProblem = 'empty' | 'syntax' | 'decimals' | 'range' | 'zero';

/** An amount of coins, read: its base units, or why not. */
export type CoinsResult =
  | { readonly ok: true; readonly units: bigint }
  | { readonly ok: false; readonly problem: CoinsProblem };

const COINS = /^([0-9]+)(?:\.([0-9]+))?$/;

/**
 * Reads `text` (coins, a dot for decimals, at most 8 decimal places) as base units. Refuses an empty
 * text, signs, exponents, commas, more than 8 decimals and anything above 2^63 - 1 base units; zero
 * only when `allowZero`.
 */
export function parseCoins(text: string, allowZero = false): CoinsResult {
  const trimmed = text.trim();
  if (trimmed === '') return { ok: false, problem: 'empty' };
  const match = COINS.exec(trimmed);
  if (!match) return { ok: false, problem: 'syntax' };
  const whole = match[1] as string;
  const fraction = match[2] ?? '';
  if (fraction.length > COIN_DECIMALS) return { ok: false, problem: 'decimals' };
  // Digits beyond what 2^63 can hold would only be refused below; stop a huge text early.
  if (whole.replace(/^0+/, '').length > 12) return { ok: false, problem: 'range' };
  const units = BigInt(whole) * UNITS_PER_COIN + BigInt(fraction.padEnd(COIN_DECIMALS, '0'));
  if (units > MAX_U63) return { ok: false, problem: 'range' };
  if (units === 0n && !allowZero) return { ok: false, problem: 'zero' };
  return { ok: true, units };
}

/** Base units as coins, exactly: `150000000` → `1.5`, `1000` → `0.00001`, `0` → `0`. */
export function formatCoins(units: bigint): string {
  const negative = units < 0n;
  const abs = negative ? -units : units;
  const whole = abs / UNITS_PER_COIN;
  const fraction = (abs % UNITS_PER_COIN).toString().padStart(COIN_DECIMALS, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/** A string of base units from the node (`"150000000"`) as bigint, or null if it is not one. */
export function unitsOf(value: unknown): bigint | null {
  return typeof value === 'string' && /^(0|[1-9][0-9]{0,18})$/.test(value) ? BigInt(value) : null;
}
