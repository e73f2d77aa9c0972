/**
 * Amounts of coins on the command line: read exactly into base units (1 coin = 10^8, no floats on
 * the way) and written back without rounding or trailing zeros.
 */

import { describe, expect, it } from 'vitest';
import { coins, formatCoins, genesisSpecOf, indentJson, parseCoins } from '../../src/cli/genesis-command.js';
import { CliError } from '../../src/cli/http-client.js';
import { checkGivenFee, FEE_NEEDS_YES, MAX_NODE_FEE, nodeFee } from '../../src/cli/wallet-command.js';
import { parseJson } from '../../src/core/json.js';
import { genesisFileJson, parseGenesis } from '../../src/core/ledger/genesis.js';
import { addressOf, publicKeyOf } from '../../src/core/ledger/keys.js';
import { MAX_U63 } from '../../src/core/ledger/transaction.js';

describe('parseCoins', () => {
  it.each([
    ['0', 0n],
    ['1', 100_000_000n],
    ['1.5', 150_000_000n],
    ['1.50000000', 150_000_000n],
    ['0.00000001', 1n],
    ['0.1', 10_000_000n],
    ['12.34567891', 1_234_567_891n],
    ['100', 10_000_000_000n],
    // A float would round this one (0.1 + 0.2 style errors never happen on strings).
    ['92233720368.54775807', MAX_U63],
  ])('reads %s as %s base units', (text, units) => {
    expect(parseCoins(text)).toBe(units);
  });

  it.each([
    ['1.123456789', /9 decimals; at most 8/],
    ['-1', /not an amount of coins/],
    ['1e3', /not an amount of coins/],
    ['0x10', /not an amount of coins/],
    ['', /not an amount of coins/],
    [' 1', /not an amount of coins/],
    ['1.', /not an amount of coins/],
    ['.5', /not an amount of coins/],
    ['01', /not an amount of coins/],
    ['1,5', /not an amount of coins/],
    ['+1', /not an amount of coins/],
    ['Infinity', /not an amount of coins/],
    ['NaN', /not an amount of coins/],
    ['92233720368.54775808', /more than 2\^63 - 1/],
    ['99999999999999999999999', /too large/],
  ])('refuses %j', (text, message) => {
    let error: unknown;
    try {
      parseCoins(text, '--amount');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).code).toBe('INVALID_AMOUNT');
    expect((error as CliError).message).toMatch(message);
    expect((error as CliError).message).toMatch(/^--amount: /);
  });
});

describe('formatCoins', () => {
  it.each([
    [0n, '0'],
    [1n, '0.00000001'],
    [150_000_000n, '1.5'],
    [1_250_000_000n, '12.5'],
    [10_000_000_000n, '100'],
    [9_849_999_000n, '98.49999'],
    [-150_001_000n, '-1.50001'],
    [MAX_U63, '92233720368.54775807'],
  ])('writes %s base units as %s', (units, text) => {
    expect(formatCoins(units)).toBe(text);
  });

  it('round-trips with parseCoins', () => {
    for (const units of [0n, 1n, 99n, 100_000_000n, 123_456_789_012n, MAX_U63]) {
      expect(parseCoins(formatCoins(units))).toBe(units);
    }
  });

  it('says coin or coins', () => {
    expect(coins(100_000_000n)).toBe('1 coin');
    expect(coins(1_250_000_000n)).toBe('12.5 coins');
  });
});

describe('the genesis file blockforge genesis writes', () => {
  it('is what parseGenesis reads back, indented by two spaces', () => {
    const spec = genesisSpecOf({ name: 'classroom', expectedHashes: '1', reward: '12.5', alloc: [] }, 1_800_000_000);
    expect(spec.reward).toBe(1_250_000_000n);
    expect(spec.halfLife).toBe(100);
    const text = indentJson(genesisFileJson(spec));
    expect(text).toContain('\n  "network": "classroom",\n');
    expect(text).toContain('"allocations": []');
    expect(JSON.parse(text).time).toBe(1_800_000_000);
    expect(parseGenesis(parseJson(text))).toEqual(spec);
  });

  it('refuses an allocation without =, or with another network prefix', () => {
    expect(() => genesisSpecOf({ alloc: ['bfd1xyz'] }, 0)).toThrow(/write ADDRESS=COINS/);
    const address = addressOf('bfd', publicKeyOf(new Uint8Array(32).fill(7)));
    expect(genesisSpecOf({ alloc: [`${address}=2.5`] }, 0).allocations).toEqual([{ address, amount: 250_000_000n }]);
    expect(() => genesisSpecOf({ hrp: 'bft', alloc: [`${address}=1`] }, 0)).toThrow(/for the network "bfd"/);
  });
});

describe('the fee wallet send signs', () => {
  const node = 'http://localhost:5000';

  it("takes the node's min_fee up to 0.001 coin, and refuses more with FEE_TOO_HIGH", () => {
    expect(MAX_NODE_FEE).toBe(parseCoins('0.001'));
    expect(nodeFee(1000n, 1n, node)).toBe(1000n);
    expect(nodeFee(MAX_NODE_FEE, 1n, node)).toBe(MAX_NODE_FEE);
    expect(() => nodeFee(MAX_NODE_FEE + 1n, parseCoins('1'), node)).toThrow(
      new CliError(
        'FEE_TOO_HIGH',
        "the node at http://localhost:5000 asks a fee of 0.00100001 coins (its min_fee), more than the 0.001 coins the wallet pays on a node's word: nothing was signed; pass --fee 0.00100001 explicitly if you really want to pay that",
      ),
    );
    // Paying it would need --yes too (above the amount): the hint says so.
    expect(() => nodeFee(MAX_NODE_FEE + 1n, 1n, node)).toThrow(/pass --fee 0\.00100001 --yes explicitly/);
  });

  it('needs --yes for a --fee above 1 coin or above the amount', () => {
    const one = parseCoins('1');
    expect(FEE_NEEDS_YES).toBe(one);
    expect(() => checkGivenFee(one, one, false)).not.toThrow();
    expect(() => checkGivenFee(one + 1n, parseCoins('5'), false)).toThrow(/is more than 1 coin: .*add --yes/);
    expect(() => checkGivenFee(1001n, 1000n, false)).toThrow(/is more than the amount \(0\.00001 coins\)/);
    for (const [fee, amount] of [
      [one + 1n, parseCoins('5')],
      [1001n, 1000n],
    ] as const) {
      expect(() => checkGivenFee(fee, amount, true)).not.toThrow();
      expect(() => checkGivenFee(fee, amount, false)).toThrow(expect.objectContaining({ code: 'FEE_NOT_CONFIRMED' }));
    }
  });
});
