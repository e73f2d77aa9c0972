/**
 * The OpenAPI document as a client reads it: request bodies with their types, required fields and
 * an example Swagger UI's "Try it out" fills in; every documented 4xx in the one error shape. And
 * the schemas only document: a body Fastify's validator would coerce (`true` into "true", "5" into
 * 5, a string into a list) reaches the node's policy as it was sent, so its messages stay its own.
 */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlockforgeError } from '../../src/core/errors.js';
import { parseJson } from '../../src/core/json.js';
import type { BlockforgeNode } from '../../src/node/blockforge-node.js';
import { cleanupAll } from '../support/harness.js';
import { inProcessNode } from '../support/in-process.js';

let app: FastifyInstance;
let node: BlockforgeNode;
let close: () => Promise<void>;

interface Operation {
  summary?: string;
  requestBody?: {
    required?: boolean;
    content: Record<string, { schema: JsonSchema; example?: unknown; examples?: unknown }>;
  };
  responses: Record<string, { description?: string; content?: Record<string, { schema: JsonSchema }> }>;
}
interface JsonSchema {
  type?: string | string[];
  required?: string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
}
let doc: { paths: Record<string, Record<string, Operation>> };

beforeAll(async () => {
  ({ app, node, close } = await inProcessNode());
  doc = JSON.parse((await app.inject({ url: '/openapi.json' })).body);
});
afterAll(async () => {
  await close();
  await cleanupAll();
});

function operation(path: string, method: string): Operation {
  const op = doc.paths[path]?.[method];
  if (!op) throw new Error(`${method.toUpperCase()} ${path} is not documented`);
  return op;
}

function jsonBody(op: Operation) {
  const media = op.requestBody?.content['application/json'];
  if (!media) throw new Error('no JSON request body');
  return media;
}

const ERROR_FIELDS = ['statusCode', 'code', 'error', 'message', 'field'];

describe('OpenAPI: the tutorial routes', () => {
  it('types POST /transactions/new: three required fields and an example', () => {
    const op = operation('/transactions/new', 'post');
    expect(op.requestBody?.required).toBe(true);
    const body = jsonBody(op);
    expect(body.schema.type).toBe('object');
    expect(body.schema.required).toEqual(['sender', 'recipient', 'amount']);
    expect(body.schema.properties?.sender?.type).toBe('string');
    expect(body.schema.properties?.recipient?.type).toBe('string');
    expect(body.schema.properties?.amount?.type).toBe('number');
    expect(body.example).toEqual({ sender: 'alice', recipient: 'bob', amount: 5 });
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['201', '400', '413']));
  });

  it('types POST /nodes/register: a required list of strings and an example', () => {
    const body = jsonBody(operation('/nodes/register', 'post'));
    expect(body.schema.required).toEqual(['nodes']);
    expect(body.schema.properties?.nodes?.type).toBe('array');
    expect(body.schema.properties?.nodes?.items?.type).toBe('string');
    expect(body.example).toEqual({ nodes: ['http://127.0.0.1:5001'] });
    expect(Object.keys(operation('/nodes/register', 'post').responses)).toEqual(
      expect.arrayContaining(['201', '400', '413']),
    );
  });

  it('documents every 4xx answer with the error shape and its cause', () => {
    let documented = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(methods)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (!/^4\d\d$/.test(status)) continue;
          documented++;
          const where = `${method.toUpperCase()} ${path} ${status}`;
          expect(response.description, where).toBeTruthy();
          expect(response.description, where).not.toBe('Default Response');
          const schema = response.content?.['application/json']?.schema;
          expect(Object.keys(schema?.properties ?? {}), where).toEqual(ERROR_FIELDS);
        }
      }
    }
    expect(documented).toBeGreaterThanOrEqual(15);
  });

  it('gives every request body a type, its required fields and an example, on every route', () => {
    const withBody = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op.requestBody)
        .map(([method, op]) => [`${method.toUpperCase()} ${path}`, op] as const),
    );
    expect(withBody.map(([name]) => name).sort()).toEqual([
      'POST /nodes/register',
      'POST /peer/blocks',
      'POST /peer/hello',
      'POST /peer/locate',
      'POST /peer/transactions',
      'POST /transactions/new',
    ]);
    for (const [name, op] of withBody) {
      const body = jsonBody(op);
      expect(body.schema.type, name).toBe('object');
      expect(body.schema.required?.length, name).toBeGreaterThan(0);
      expect(body.example, name).toBeDefined();
      // A body route can always get 400 (not JSON, not an object) and 413 (too large).
      expect(Object.keys(op.responses), name).toEqual(expect.arrayContaining(['400', '413']));
    }
  });
});

describe('"Try it out" with the documented examples', () => {
  it('POST /transactions/new with its example is accepted', async () => {
    const example = jsonBody(operation('/transactions/new', 'post')).example;
    const res = await app.inject({ method: 'POST', url: '/transactions/new', payload: example as object });
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body).message).toMatch(/^Transaction will be added to Block \d+$/);
  });

  it('POST /nodes/register with its example is accepted', async () => {
    const example = jsonBody(operation('/nodes/register', 'post')).example;
    const res = await app.inject({ method: 'POST', url: '/nodes/register', payload: example as object });
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body).total_nodes).toContain('127.0.0.1:5001');
  });
});

describe('the schemas document; the node judges', () => {
  /** What the node's policy says about `text`, called directly: the message the API must answer. */
  function policy(text: string): { code: string; message: string; field?: string } | 'accepted' {
    try {
      node.profile.parseTransaction(parseJson(text));
      return 'accepted';
    } catch (err) {
      if (!(err instanceof BlockforgeError)) throw err;
      return { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) };
    }
  }

  it.each([
    // Coercible by Ajv (boolean and number to string, numeric string and boolean to number, null to "").
    '{"sender": true, "recipient": "bob", "amount": 5}',
    '{"sender": "alice", "recipient": "bob", "amount": "5"}',
    '{"sender": "alice", "recipient": "bob", "amount": true}',
    '{"sender": "alice", "recipient": null, "amount": 5}',
    '{"sender": "alice", "recipient": "bob", "amount": ["5"]}',
    // Refused by the schema's keywords, judged by the policy with its own words.
    '{"sender": "", "recipient": "bob", "amount": 5}',
    '{"sender": "alice", "recipient": "bob", "amount": -1}',
    '{"sender": "alice", "recipient": "bob"}',
    '{"amount": 5}',
    '{"sender": "0", "recipient": "bob", "amount": 5}',
    '{"sender": "alice", "recipient": "bob", "amount": 5, "extra": 1}',
  ])("POST /transactions/new %s: the policy's own answer", async (payload) => {
    const expected = policy(payload);
    const res = await app.inject({
      method: 'POST',
      url: '/transactions/new',
      payload,
      headers: { 'content-type': 'application/json' },
    });
    if (expected === 'accepted') {
      expect(res.statusCode).toBe(201);
      return;
    }
    expect(res.statusCode).toBe(400);
    const body = JSON.parse(res.body);
    expect({ code: body.code, message: body.message, ...(body.field ? { field: body.field } : {}) }).toEqual(expected);
  });

  it('keeps the tutorial messages word for word', async () => {
    const post = async (payload: string) =>
      JSON.parse((await app.inject({ method: 'POST', url: '/transactions/new', payload })).body);
    expect((await post('{"sender": "a", "recipient": "b"}')).message).toBe('Missing values: amount');
    expect((await post('{"sender": "a"}')).message).toBe('Missing values: recipient, amount');
    const register = async (payload: string) =>
      app.inject({ method: 'POST', url: '/nodes/register', payload, headers: { 'content-type': 'application/json' } });
    // A string is not a list (Ajv would wrap it in one), true is not a string (Ajv would write "true").
    for (const [payload, detail] of [
      ['{"nodes": "127.0.0.1:7001"}', '("nodes" must be a list of strings)'],
      ['{"nodes": [true]}', '(item 1 is not a string)'],
      ['{"nodes": [7001]}', '(item 1 is not a string)'],
    ] as const) {
      const res = await register(payload);
      expect(res.statusCode, payload).toBe(400);
      expect(JSON.parse(res.body).message, payload).toBe(`Error: Please supply a valid list of nodes ${detail}`);
    }
    expect(JSON.parse((await app.inject({ url: '/nodes' })).body).nodes).not.toContain('127.0.0.1:7001');
  });
});
