/**
 * `POST /transactions/new` validation (seed profile): every body the API must refuse with a 400,
 * and what it stores for the bodies it accepts. Bodies are given as the JSON text a client sends.
 */
import { describe, expect, it } from 'vitest';
import { statusOf } from '../../src/api/errors.js';
import type { Transaction } from '../../src/core/block.js';
import { canonicalJson } from '../../src/core/canonical.js';
import { BlockforgeError, ErrorCode, type ErrorCodeValue } from '../../src/core/errors.js';
import { JsonNumber, type JsonValue, parseJson } from '../../src/core/json.js';
import { createProfile } from '../../src/core/profiles.js';

const seed = createProfile('seed');

/** Parses a client body (JSON text) and validates it as a transaction. */
const submit = (text: string): Transaction => seed.parseTransaction(parseJson(text));

/** Builds a body from its fields, each given as JSON text (omit a field with undefined). */
function body(fields: { sender?: string; recipient?: string; amount?: string; [extra: string]: string | undefined }) {
  const parts = Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${JSON.stringify(k)}: ${v}`);
  return `{${parts.join(', ')}}`;
}

const ok = { sender: '"alice"', recipient: '"bob"', amount: '5' };

/** Expects `input` to be refused with a 400 BlockforgeError; returns the error. */
function refuse(input: string, code: ErrorCodeValue, field: string | undefined): BlockforgeError {
  let thrown: unknown;
  try {
    submit(input);
  } catch (err) {
    thrown = err;
  }
  const label = input.slice(0, 100);
  expect(thrown, `expected ${label} to be refused`).toBeInstanceOf(BlockforgeError);
  const err = thrown as BlockforgeError;
  expect(statusOf(err.code), label).toBe(400);
  expect(err.code, `${label}: ${err.message}`).toBe(code);
  expect(err.field, label).toBe(field);
  expect(err.message.length).toBeGreaterThan(0);
  expect(err.message.length).toBeLessThan(300);
  return err;
}

describe('a body that is not an object', () => {
  const cases: [string, string][] = [
    ['array', '[{"sender":"a","recipient":"b","amount":1}]'],
    ['empty array', '[]'],
    ['string', '"sender=a&recipient=b&amount=1"'],
    ['empty string', '""'],
    ['null', 'null'],
    ['number', '5'],
    ['float', '5.0'],
    ['boolean', 'true'],
  ];
  for (const [label, text] of cases) {
    it(`refuses a JSON ${label} with INVALID_BODY`, () => {
      const err = refuse(text, ErrorCode.InvalidBody, undefined);
      expect(err.message).toMatch(/must be a JSON object/);
    });
  }
});

describe('missing fields', () => {
  for (const field of ['sender', 'recipient', 'amount'] as const) {
    it(`names a missing ${field}`, () => {
      const err = refuse(body({ ...ok, [field]: undefined }), ErrorCode.MissingValues, field);
      expect(err.message.startsWith('Missing values')).toBe(true);
      expect(err.message).toContain(field);
      for (const other of ['sender', 'recipient', 'amount'].filter((f) => f !== field)) {
        expect(err.message).not.toContain(other);
      }
    });
  }

  it('names several missing fields together', () => {
    const err = refuse(body({ recipient: '"bob"' }), ErrorCode.MissingValues, 'sender');
    expect(err.message).toBe('Missing values: sender, amount');
    const two = refuse(body({ sender: '"alice"' }), ErrorCode.MissingValues, 'recipient');
    expect(two.message).toBe('Missing values: recipient, amount');
  });

  it('names all three for an empty object', () => {
    const err = refuse('{}', ErrorCode.MissingValues, 'sender');
    expect(err.message).toBe('Missing values: sender, recipient, amount');
  });

  it('does not mistake near-miss keys for the real ones', () => {
    refuse(body({ Sender: '"alice"', recipient: '"bob"', amount: '5' }), ErrorCode.MissingValues, 'sender');
    refuse(body({ sender: '"alice"', 'recipient ': '"bob"', amount: '5' }), ErrorCode.MissingValues, 'recipient');
    refuse(body({ sender: '"alice"', recipient: '"bob"', amounts: '5' }), ErrorCode.MissingValues, 'amount');
  });

  it('counts a present null as present (a type error, not a missing value)', () => {
    refuse(body({ ...ok, amount: 'null' }), ErrorCode.InvalidTransaction, 'amount');
  });
});

describe('sender and recipient must be non-empty strings', () => {
  const wrong = ['null', '0', '1', '-1.5', 'true', 'false', '[]', '["alice"]', '{}', '{"name":"alice"}'];
  for (const field of ['sender', 'recipient'] as const) {
    for (const value of wrong) {
      it(`refuses ${field} = ${value}`, () => {
        const err = refuse(body({ ...ok, [field]: value }), ErrorCode.InvalidTransaction, field);
        expect(err.message).toContain(`${field} must be a string`);
      });
    }
    it(`refuses an empty ${field}`, () => {
      const err = refuse(body({ ...ok, [field]: '""' }), ErrorCode.InvalidTransaction, field);
      expect(err.message).toContain('must not be empty');
    });
  }

  it('does not echo a long offending value back', () => {
    const long = 'x'.repeat(5000);
    const tooLong = refuse(body({ ...ok, recipient: JSON.stringify(long) }), ErrorCode.InvalidTransaction, 'recipient');
    expect(tooLong.message).not.toContain('x'.repeat(41));
    const wrongType = refuse(body({ ...ok, amount: JSON.stringify(long) }), ErrorCode.InvalidTransaction, 'amount');
    expect(wrongType.message).not.toContain('x'.repeat(41));
  });
});

describe('the 1000-character limit counts characters, not UTF-16 units', () => {
  const astral = '\u{1f600}';
  for (const field of ['sender', 'recipient'] as const) {
    it(`accepts a ${field} of exactly 1000 characters and refuses 1001`, () => {
      const tx = submit(body({ ...ok, [field]: JSON.stringify('a'.repeat(1000)) }));
      expect(tx.json[field]).toBe('a'.repeat(1000));
      const err = refuse(
        body({ ...ok, [field]: JSON.stringify('a'.repeat(1001)) }),
        ErrorCode.InvalidTransaction,
        field,
      );
      expect(err.message).toContain('at most 1000 characters');
    });

    it(`accepts 1000 astral characters (2000 UTF-16 units) as a ${field}, refuses 1001`, () => {
      const thousand = astral.repeat(1000);
      expect(thousand.length).toBe(2000);
      expect(submit(body({ ...ok, [field]: JSON.stringify(thousand) })).json[field]).toBe(thousand);
      // Written as \\u escape pairs, too.
      const escaped = `"${'\\ud83d\\ude00'.repeat(1000)}"`;
      expect(submit(body({ ...ok, [field]: escaped })).json[field]).toBe(thousand);
      refuse(body({ ...ok, [field]: JSON.stringify(astral.repeat(1001)) }), ErrorCode.InvalidTransaction, field);
      // 999 astral + 2 BMP = 1001 characters in 2000 units.
      refuse(body({ ...ok, [field]: JSON.stringify(`${astral.repeat(999)}ab`) }), ErrorCode.InvalidTransaction, field);
    });
  }

  it('counts a lone surrogate as one character', () => {
    expect(submit(body({ ...ok, sender: `"${'\\ud800'.repeat(1000)}"` })).json.sender).toBe('\ud800'.repeat(1000));
    refuse(body({ ...ok, sender: `"${'\\udc00'.repeat(1001)}"` }), ErrorCode.InvalidTransaction, 'sender');
  });
});

describe('amount must be a finite number greater than 0', () => {
  const wrongType = ['"5"', '"5.0"', '"1e3"', '""', '"abc"', 'true', 'false', 'null', '[]', '[5]', '{}', '{"value":5}'];
  for (const value of wrongType) {
    it(`refuses amount = ${value} (not a number)`, () => {
      const err = refuse(body({ ...ok, amount: value }), ErrorCode.InvalidTransaction, 'amount');
      expect(err.message).toContain('amount must be a number');
    });
  }

  const notPositive = ['0', '-0', '0.0', '-0.0', '0e5', '-1', '-1.5', '-5e-324', '1e-400', '1e400', '-1e400', '1E+309'];
  for (const value of notPositive) {
    it(`refuses amount = ${value}`, () => {
      const err = refuse(body({ ...ok, amount: value }), ErrorCode.InvalidTransaction, 'amount');
      expect(err.message).toContain('finite number greater than 0');
    });
  }

  // [source, Python's text, isInteger]
  const accepted: [string, string, boolean][] = [
    ['5', '5', true],
    ['1', '1', true],
    ['3.0', '3.0', false],
    ['5e-324', '5e-324', false],
    ['1e+16', '1e+16', false],
    ['1e16', '1e+16', false],
    ['10000000000000000.0', '1e+16', false],
    ['1E2', '100.0', false],
    ['0.1', '0.1', false],
    ['0.00001', '1e-05', false],
    ['1.7976931348623157e308', '1.7976931348623157e+308', false],
    ['123456789012345678901234567890', '123456789012345678901234567890', true],
  ];
  for (const [source, text, isInteger] of accepted) {
    it(`accepts amount = ${source}, stored as Python's ${text}`, () => {
      const tx = submit(body({ ...ok, amount: source }));
      const amount = tx.json.amount;
      expect(amount).toBeInstanceOf(JsonNumber);
      expect((amount as JsonNumber).text).toBe(text);
      expect((amount as JsonNumber).isInteger).toBe(isInteger);
      expect(tx.canonical).toBe(`{"amount": ${text}, "recipient": "bob", "sender": "alice"}`);
    });
  }
});

describe('the reward sender "0" is reserved', () => {
  it('refuses sender "0" with RESERVED_SENDER', () => {
    const err = refuse(body({ ...ok, sender: '"0"' }), ErrorCode.ReservedSender, 'sender');
    expect(err.message).toContain('reserved');
    // Written with an escape it is the same string.
    refuse(body({ ...ok, sender: '"\\u0030"' }), ErrorCode.ReservedSender, 'sender');
  });

  it('accepts senders that only look like "0"', () => {
    for (const sender of ['"00"', '" 0"', '"0 "', '"O"', '"\\u0660"']) {
      expect(submit(body({ ...ok, sender })).json.sender).toBe(JSON.parse(sender));
    }
  });
});

describe('an accepted transaction', () => {
  it('ignores extra keys, including prototype names', () => {
    const tx = submit(
      body({
        ...ok,
        amount: '3.0',
        extra: '{"nested": [1, 2]}',
        ['__proto__']: '{"polluted": true}',
        constructor: '1',
        timestamp: '1.5',
      }),
    );
    expect(Object.keys(tx.json)).toEqual(['sender', 'recipient', 'amount']);
    expect(Object.getPrototypeOf(tx.json)).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(tx.canonical).toBe('{"amount": 3.0, "recipient": "bob", "sender": "alice"}');
  });

  it('has a canonical text equal to the generic canonical serializer of its JSON', () => {
    const samples = [
      body(ok),
      body({ sender: '"\\u00e9\\ud83d\\ude00\\"q\\\\"', recipient: '"\\n\\t/"', amount: '1e-7' }),
      body({ sender: '"z"', recipient: JSON.stringify('\u{10ffff}\uffff'), amount: '0.5e-1' }),
    ];
    for (const text of samples) {
      const tx = submit(text);
      expect(tx.canonical).toBe(canonicalJson(tx.json));
    }
    expect(submit(samples[1] as string).canonical).toBe(
      '{"amount": 1e-07, "recipient": "\\n\\t/", "sender": "\\u00e9\\ud83d\\ude00\\"q\\\\"}',
    );
  });

  it('does not share state with the submitted object', () => {
    const value = parseJson(body(ok));
    const tx = seed.parseTransaction(value);
    (value as Record<string, JsonValue>).sender = 'mallory';
    expect(tx.json.sender).toBe('alice');
  });

  it('the master profile applies the same rules', () => {
    const master = createProfile('master');
    expect(master.parseTransaction(parseJson(body(ok))).canonical).toBe(submit(body(ok)).canonical);
    expect(() => master.parseTransaction(parseJson(body({ ...ok, sender: '"0"' })))).toThrow(BlockforgeError);
    expect(() => master.parseTransaction(parseJson(body({ ...ok, amount: '0' })))).toThrow(BlockforgeError);
  });
});
