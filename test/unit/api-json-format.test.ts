/**
 * JSON for people and for programs: every JSON answer ends with a newline; `?pretty` and terminal
 * clients (curl, Wget, HTTPie) get it indented as Python's `json.dumps(indent=2)` would, with
 * every number kept as written; browsers and programs get it compact.
 */

import { spawnSync } from 'node:child_process';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prettyJson } from '../../src/api/server.js';
import { cleanupAll } from '../support/harness.js';
import { inProcessNode } from '../support/in-process.js';

let app: FastifyInstance;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ app, close } = await inProcessNode());
  // A block with a transaction whose amount is the float 3.0 (JSON.parse would make it 3).
  const tx = await app.inject({
    method: 'POST',
    url: '/transactions/new',
    payload: '{"sender": "alice", "recipient": "bob", "amount": 3.0}',
  });
  expect(tx.statusCode).toBe(201);
  expect((await app.inject({ url: '/mine' })).statusCode).toBe(200);
  await app.inject({
    method: 'POST',
    url: '/transactions/new',
    payload: '{"sender": "a", "recipient": "b", "amount": 1e2}',
  });
});
afterAll(async () => {
  await close();
  await cleanupAll();
});

const CURL = { 'user-agent': 'curl/8.0' };
const BROWSER = {
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
};

describe('prettyJson', () => {
  it("lays JSON out as Python's json.dumps(indent=2), copying strings and numbers verbatim", () => {
    const compact = '{"a":[3.0,1e+16,-0.0,NaN,-Infinity],"s":"x\\":{[,]} \\\\","e":[],"o":{},"n":{"k":[{}]}}';
    expect(prettyJson(compact).toString()).toBe(
      [
        '{',
        '  "a": [',
        '    3.0,',
        '    1e+16,',
        '    -0.0,',
        '    NaN,',
        '    -Infinity',
        '  ],',
        '  "s": "x\\":{[,]} \\\\",',
        '  "e": [],',
        '  "o": {},',
        '  "n": {',
        '    "k": [',
        '      {}',
        '    ]',
        '  }',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('re-indents text that already has whitespace, and keeps UTF-8 intact', () => {
    expect(prettyJson(Buffer.from('{ "k" : [ 1 , "é\u{1f600}" ] , "e" : [ ] }\n')).toString()).toBe(
      '{\n  "k": [\n    1,\n    "é\u{1f600}"\n  ],\n  "e": []\n}\n',
    );
    expect(prettyJson('5').toString()).toBe('5\n');
    expect(prettyJson('"a b"').toString()).toBe('"a b"\n');
  });

  it.skipIf(spawnSync('python3', ['--version']).status !== 0)(
    'gives what Python prints for a whole chain',
    async () => {
      const chain = (await app.inject({ url: '/chain' })).body;
      const python = spawnSync(
        'python3',
        ['-c', 'import json,sys; sys.stdout.write(json.dumps(json.loads(sys.stdin.read()), indent=2) + "\\n")'],
        { input: chain, encoding: 'utf8' },
      );
      expect(python.status).toBe(0);
      expect(prettyJson(chain).toString()).toBe(python.stdout);
    },
  );
});

describe('JSON answers', () => {
  it.each([
    ['?pretty', '/chain?pretty', {}],
    ['?pretty=1 after another parameter', '/chain?x=1&pretty=1', {}],
    ['curl', '/chain', CURL],
    ['Wget', '/chain', { 'user-agent': 'Wget/1.21.4' }],
    ['HTTPie', '/chain', { 'user-agent': 'HTTPie/3.2.2' }],
  ])('are indented for %s, and parse as the compact answer does', async (_name, url, headers) => {
    const compact = await app.inject({ url: '/chain' });
    const pretty = await app.inject({ url, headers });
    expect(pretty.statusCode).toBe(200);
    expect(pretty.body).toMatch(/^\{\n {2}"chain": \[\n {4}\{\n {6}"index": 1,\n/);
    expect(pretty.body.endsWith('\n}\n')).toBe(true);
    expect(JSON.parse(pretty.body)).toEqual(JSON.parse(compact.body));
    expect(Number(pretty.headers['content-length'])).toBe(Buffer.byteLength(pretty.body));
  });

  it('keep every number as written when indented', async () => {
    const chain = await app.inject({ url: '/chain?pretty' });
    expect(chain.body).toContain('"amount": 3.0\n');
    const pending = await app.inject({ url: '/transactions/pending', headers: CURL });
    expect(pending.body).toContain('"amount": 100.0\n');
  });

  it.each([
    ['a browser', BROWSER],
    ['no user agent', {}],
    ['a program', { 'user-agent': 'python-requests/2.31' }],
    ['a user agent that merely mentions curl', { 'user-agent': 'Mozilla/5.0 curl/8.0' }],
  ])('are compact for %s', async (_name, headers) => {
    const res = await app.inject({ url: '/chain', headers });
    expect(res.body).toMatch(/^\{"chain":\[\{"index":1,/);
    expect(res.body.endsWith('}\n')).toBe(true);
    expect(res.body.slice(0, -1)).not.toContain('\n');
  });

  it.each([
    ['GET', '/chain'],
    ['GET', '/blocks/1'],
    ['GET', '/transactions/pending'],
    ['GET', '/nodes'],
    ['GET', '/mining'],
    ['GET', '/peer/status'],
    ['GET', '/openapi.json'],
    ['POST', '/transactions/new'],
    ['GET', '/nope'],
    ['DELETE', '/chain'],
    ['GET', '/blocks/abc'],
    ['GET', '/blocks/%E0%A4%A'],
    ['GET', `/blocks/${'1'.repeat(101)}`],
    ['POST', '/nodes/register'],
  ])('end with one newline, compact or pretty: %s %s', async (method, url) => {
    const payload = method === 'POST' ? '{"sender": "a", "recipient": "b", "amount": 2}' : undefined;
    for (const headers of [BROWSER, CURL]) {
      const res = await app.inject({ method: method as 'GET', url, payload, headers });
      expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
      expect(res.body.endsWith('\n')).toBe(true);
      expect(res.body.endsWith('\n\n')).toBe(false);
      expect(() => JSON.parse(res.body)).not.toThrow();
    }
  });
});
