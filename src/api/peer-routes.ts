/**
 * The peer protocol: what blockforge nodes ask each other for (status, fork point, block pages) and
 * push to each other (blocks, transactions, hello). Tutorial nodes do not have these routes; a
 * blockforge node falls back to the tutorial's `/chain` with them.
 */

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { fromPlain, type JsonValue, writeJson } from '../core/json.js';
import { MAX_PEER_BLOCK_BYTES, PAGE_BYTES } from '../node/limits.js';
import type { NodeServices } from '../node/open-node.js';
import { EXCHANGE_BURST, MAX_SHARED_PEERS } from '../node/peer-exchange.js';
import { MAX_LOCATOR, SYNC_PAGE } from '../node/peer-network.js';
import { ERROR_SCHEMA, sendJson } from './errors.js';
import { BODY_JUDGED_BY_HANDLER, errorResponses } from './routes.js';

/**
 * Largest pushed body: the largest block accepted from a peer (16 MiB of canonical JSON, never less
 * on the wire) and a MiB for its envelope.
 */
const BLOCK_PUSH_LIMIT = MAX_PEER_BLOCK_BYTES + 1024 * 1024;

/**
 * Pushed blocks read at once: each big body is parsed whole before its shape can be judged, so a
 * flood of them must queue at the door, not in memory (one more gets 503 with Retry-After).
 */
const MAX_PUSHES_IN_FLIGHT = 2;

const sender = {
  type: 'object',
  description: 'who is pushing: its node id, the port it serves on, and optionally its URL',
  required: ['node_id'],
  properties: {
    node_id: { type: 'string', pattern: '^[0-9a-f]{32}$' },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    advertise: { type: 'string', description: 'http(s)://host:port to be reached at, instead of the address seen' },
  },
} as const;

/** A sender for the examples. */
const senderExample = { node_id: '4f1c2b8e9d0a4b6c8e2f1a3b5c7d9e0f', port: 5001 };

/** A block for the examples (a seed-profile block 2). */
const blockExample = {
  index: 2,
  timestamp: 1700000000.5,
  transactions: [{ sender: '0', recipient: senderExample.node_id, amount: 1 }],
  proof: 35293,
  previous_hash: '<hash of block 1>',
};

/** Errors any pushed body may get. */
const BODY_ERRORS = {
  400: 'INVALID_BODY and the like: the body is not JSON, has a repeated key, or misses what the route needs',
  413: "the body is over the route's size limit",
};

function body(request: FastifyRequest): JsonValue {
  if (request.body === undefined) throw new BlockforgeError(ErrorCode.InvalidBody, 'the request needs a JSON body');
  return request.body as JsonValue;
}

/** Registers the peer protocol routes of `node`. */
export function registerPeerRoutes(app: FastifyInstance, { node, network }: NodeServices): void {
  let pushesInFlight = 0;
  app.get(
    '/peer/status',
    {
      schema: {
        summary: 'This node for its peers: id, rules, height, tip and genesis hashes',
        response: {
          200: {
            type: 'object',
            properties: {
              node_id: { type: 'string' },
              profile: { type: 'string' },
              difficulty: {
                type: 'integer',
                description: "the profile's parameters, each a key (the tutorial's: difficulty)",
              },
              height: { type: 'integer' },
              work: { type: 'string', description: "the chain's total work, a decimal integer" },
              tip: { type: 'string' },
              genesis: { type: 'string' },
            },
          },
        },
      },
    },
    async (_request, reply) => sendJson(reply, 200, writeJson(network.status())),
  );

  app.get(
    '/peer/addresses',
    {
      schema: {
        summary: 'Peer exchange: the blockforge peers this node has reached, so a new node learns the network',
        description: `At most ${MAX_SHARED_PEERS} peers, most recently seen first; each is checked by the asker (it dials the address and expects that node id) before it becomes a peer. Each remote address may ask ${EXCHANGE_BURST} times at once, then once a second (429 RATE_LIMITED, Retry-After).`,
        response: {
          200: {
            type: 'object',
            properties: {
              peers: {
                type: 'array',
                maxItems: MAX_SHARED_PEERS,
                items: {
                  type: 'object',
                  properties: {
                    address: { type: 'string', description: 'host:port, or https://host:port' },
                    node_id: { type: 'string' },
                  },
                },
              },
            },
            examples: [{ peers: [{ address: '192.168.1.20:5000', node_id: senderExample.node_id }] }],
          },
          ...errorResponses({ 429: 'RATE_LIMITED: this address asked too often; wait Retry-After seconds' }),
        },
      },
    },
    async (request, reply) => sendJson(reply, 200, writeJson(network.sharePeers(request.socket.remoteAddress))),
  );

  app.post(
    '/peer/locate',
    {
      schema: {
        summary: 'Fork point: the highest locator entry whose block this node has',
        body: {
          type: 'object',
          required: ['locator'],
          properties: {
            locator: {
              description: `up to ${MAX_LOCATOR} {index, hash}, highest first`,
              type: 'array',
              maxItems: MAX_LOCATOR,
              items: {
                type: 'object',
                required: ['index', 'hash'],
                properties: { index: { type: 'integer', minimum: 1 }, hash: { type: 'string' } },
              },
            },
          },
          examples: [
            {
              locator: [
                { index: 2, hash: '<hash of block 2>' },
                { index: 1, hash: '<hash of block 1>' },
              ],
            },
          ],
        },
        response: {
          200: { type: 'object', properties: { common: { type: 'integer' }, height: { type: 'integer' } } },
          ...errorResponses(BODY_ERRORS),
        },
      },
      ...BODY_JUDGED_BY_HANDLER,
    },
    async (request, reply) => sendJson(reply, 200, writeJson(network.locate(body(request)))),
  );

  app.get(
    '/blocks',
    {
      schema: {
        summary: `Blocks by range: up to ${SYNC_PAGE} from index "from" (1 = genesis)`,
        querystring: {
          type: 'object',
          properties: {
            from: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 1 },
            limit: { type: 'integer', minimum: 1, maximum: SYNC_PAGE, default: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { blocks: { type: 'array' }, height: { type: 'integer' } },
          },
          ...errorResponses({ 400: 'BAD_REQUEST: from or limit is not an integer in its range' }),
        },
      },
    },
    async (request, reply) => {
      const { from, limit } = request.query as { from: number; limit: number };
      const height = node.chain.length;
      const start = Math.min(from - 1, height);
      // Sized by bytes as well as count, so a page of big blocks stays within what peers accept.
      const end = node.pageEnd(start, limit, PAGE_BYTES);
      return sendJson(
        reply,
        200,
        Buffer.concat([Buffer.from('{"blocks":'), node.blocksJson(start, end), Buffer.from(`,"height":${height}}`)]),
      );
    },
  );

  app.post(
    '/peer/blocks',
    {
      bodyLimit: BLOCK_PUSH_LIMIT,
      onRequest: (request, reply, done) => {
        if (pushesInFlight >= MAX_PUSHES_IN_FLIGHT) {
          reply.header('retry-after', '1');
          done(
            new BlockforgeError(ErrorCode.Busy, `already reading ${pushesInFlight} pushed blocks; push again later`),
          );
          return;
        }
        pushesInFlight++;
        reply.raw.once('close', () => {
          pushesInFlight--;
        });
        void request;
        done();
      },
      schema: {
        summary: 'Push a block: appended if it extends our tip; a sync starts if the sender is ahead',
        body: {
          type: 'object',
          required: ['block'],
          properties: { block: { type: 'object', description: 'a block as the tutorial builds it' }, sender },
          examples: [{ block: blockExample, sender: senderExample }],
        },
        response: {
          200: {
            type: 'object',
            properties: { status: { type: 'string', enum: ['appended', 'known', 'ahead', 'stale'] } },
          },
          ...errorResponses(BODY_ERRORS),
          422: { ...ERROR_SCHEMA, description: 'the block breaks a chain rule (code names it, e.g. PROOF_OF_WORK)' },
        },
      },
      ...BODY_JUDGED_BY_HANDLER,
    },
    async (request, reply) => {
      const status = await network.receiveBlock(body(request), request.socket.remoteAddress);
      return sendJson(reply, 200, writeJson(fromPlain({ status })));
    },
  );

  app.post(
    '/peer/transactions',
    {
      schema: {
        summary: 'Push a transaction, with a gossip id so it is relayed once',
        body: {
          type: 'object',
          required: ['id', 'transaction'],
          properties: {
            id: { type: 'string', pattern: '^[0-9a-f]{32}$', description: 'gossip id: 32 lowercase hex digits' },
            transaction: {
              type: 'object',
              required: ['sender', 'recipient', 'amount'],
              properties: { sender: { type: 'string' }, recipient: { type: 'string' }, amount: { type: 'number' } },
              description: 'judged by the same policy as POST /transactions/new',
            },
            sender,
          },
          examples: [
            {
              id: '0123456789abcdef0123456789abcdef',
              transaction: { sender: 'alice', recipient: 'bob', amount: 5 },
              sender: senderExample,
            },
          ],
        },
        response: {
          200: { type: 'object', properties: { status: { type: 'string', enum: ['added', 'known'] } } },
          ...errorResponses({
            ...BODY_ERRORS,
            400: 'INVALID_BODY (id), or the transaction refused as POST /transactions/new would refuse it',
          }),
          503: { ...ERROR_SCHEMA, description: 'MEMPOOL_FULL' },
        },
      },
      ...BODY_JUDGED_BY_HANDLER,
    },
    async (request, reply) => {
      const status = await network.receiveTransaction(body(request), request.socket.remoteAddress);
      return sendJson(reply, 200, writeJson(fromPlain({ status })));
    },
  );

  app.post(
    '/peer/hello',
    {
      schema: {
        summary: 'A peer says how to reach it; it is added as a peer (so one registration links both ways)',
        body: { type: 'object', required: ['sender'], properties: { sender }, examples: [{ sender: senderExample }] },
        response: {
          200: {
            type: 'object',
            properties: { node_id: { type: 'string' }, height: { type: 'integer' }, added: { type: 'boolean' } },
          },
          ...errorResponses(BODY_ERRORS),
        },
      },
      ...BODY_JUDGED_BY_HANDLER,
    },
    async (request, reply) =>
      sendJson(reply, 200, writeJson(await network.receiveHello(body(request), request.socket.remoteAddress))),
  );
}
