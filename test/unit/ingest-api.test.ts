/**
 * Ingest through the API under a concurrent burst: valid and hostile bodies interleaved in the same
 * event-loop turns (so they share group commits). Every 201 is in the mempool and on disk (the node
 * reopened on its folder has exactly them, in order), every hostile body gets its 4xx in the one
 * error shape, and none of them leaves a trace in the mempool or the database.
 */

import { afterAll, describe, expect, it } from 'vitest';
import { cleanupAll, tempDir } from '../support/harness.js';
import { inProcessNode } from '../support/in-process.js';

afterAll(async () => {
  await cleanupAll();
});

const HOSTILE: [string, string, number, string][] = [
  ['invalid JSON', '{"sender": "a",', 400, 'INVALID_JSON'],
  ['a duplicate key', '{"sender": "a", "sender": "b", "recipient": "c", "amount": 1}', 400, 'DUPLICATE_KEY'],
  ['a list', '[]', 400, 'INVALID_BODY'],
  ['no amount', '{"sender": "a", "recipient": "b"}', 400, 'MISSING_VALUES'],
  ['a string amount', '{"sender": "a", "recipient": "b", "amount": "5"}', 400, 'INVALID_TRANSACTION'],
  ['the reward sender', '{"sender": "0", "recipient": "b", "amount": 5}', 400, 'RESERVED_SENDER'],
  ['deep nesting', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, 400, 'JSON_TOO_DEEP'],
  ['too large', `{"sender": "${'a'.repeat(1024 * 1024)}", "recipient": "b", "amount": 5}`, 413, 'BODY_TOO_LARGE'],
];

describe('POST /transactions/new under a concurrent burst', () => {
  it('stores every 201 (in order, across a reopen) and answers every hostile body in the error shape', async () => {
    const dataDir = tempDir();
    const first = await inProcessNode({ dataDir });
    const valid = Array.from({ length: 60 }, (_, k) => `{"sender": "s${k}", "recipient": "r", "amount": ${k + 1}}`);
    const bodies: (string | [string, string, number, string])[] = valid.flatMap((body, k) =>
      k % 8 === 0 ? [body, HOSTILE[(k / 8) % HOSTILE.length] as [string, string, number, string]] : [body],
    );
    const answers = await Promise.all(
      bodies.map((body) =>
        first.app.inject({
          method: 'POST',
          url: '/transactions/new',
          payload: typeof body === 'string' ? body : body[1],
          headers: { 'content-type': 'application/json' },
        }),
      ),
    );
    let created = 0;
    bodies.forEach((body, k) => {
      const answer = answers[k];
      if (!answer) throw new Error('no answer');
      if (typeof body === 'string') {
        expect(answer.statusCode, answer.body).toBe(201);
        expect(JSON.parse(answer.body)).toEqual({ message: 'Transaction will be added to Block 2' });
        expect(answer.body.endsWith('\n')).toBe(true);
        created++;
        return;
      }
      const [name, , status, code] = body;
      expect(answer.statusCode, name).toBe(status);
      const error = JSON.parse(answer.body);
      expect(error, name).toMatchObject({
        statusCode: status,
        code,
        error: expect.any(String),
        message: expect.any(String),
      });
    });
    expect(created).toBe(valid.length);
    const senders = (txs: readonly { json: Record<string, unknown> }[]) => txs.map((tx) => tx.json.sender);
    const expected = valid.map((_, k) => `s${k}`);
    expect(senders(first.node.pendingTransactions)).toEqual(expected);
    await first.close();

    const second = await inProcessNode({ dataDir });
    try {
      expect(senders(second.node.pendingTransactions)).toEqual(expected);
      const pending = await second.app.inject({ method: 'GET', url: '/transactions/pending' });
      expect(JSON.parse(pending.body).count).toBe(valid.length);
    } finally {
      await second.close();
    }
  });
});
