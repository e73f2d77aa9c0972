#!/usr/bin/env node
/**
 * The reference for bench/ingest.mjs: a bare Fastify 5 server with one `POST /transactions/new`
 * route that parses the body as the node does (any Content-Type, UTF-8 checked, the core's lossless
 * `parseJson` from dist/core/json.js, the same 1 MiB body limit) and answers 201 with the node's
 * answer shape, storing nothing, logging nothing. What a node costs beyond this (routing hooks,
 * validation, mempool, the durable commit) is what the ingest ratio shows.
 *
 * Usage: node bench/bare-ingest.mjs [--host H] [--port P]   (prints `ready at http://H:P`)
 */

import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Fastify from 'fastify';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { parseJson } = await import(pathToFileURL(join(root, 'dist/core/json.js')).href);

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const k = argv.indexOf(name);
  return k >= 0 ? argv[k + 1] : fallback;
};
const host = arg('--host', '127.0.0.1');
const port = Number(arg('--port', '0'));

/** The node's body limit (src/api/server.ts BODY_LIMIT). */
const BODY_LIMIT = 1024 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const app = Fastify({ logger: false, bodyLimit: BODY_LIMIT });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
  try {
    done(null, parseJson(utf8.decode(body), { nonFinite: false }));
  } catch (err) {
    done(err, undefined);
  }
});
// The node's answer: the same header (its id: 32 hex digits) and the same body, newline-ended.
const NODE_ID = '0123456789abcdef0123456789abcdef';
app.post('/transactions/new', async (_request, reply) =>
  reply
    .code(201)
    .header('x-blockforge-node-id', NODE_ID)
    .type('application/json; charset=utf-8')
    .send('{"message":"Transaction will be added to Block 2"}\n'),
);

const address = await app.listen({ host, port });
console.log(`ready at ${address}`);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0));
  });
}
