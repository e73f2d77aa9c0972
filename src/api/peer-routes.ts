/**
 * The peer protocol: what blockforge nodes ask each other for (status, fork point, block pages) and
 * push to each other (blocks, transactions, hello). Tutorial nodes do not have these routes; a
 * blockforge node falls back to the tutorial's `/chain` with them.
 */

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { fromPlain, type JsonValue, writeJson } from '../core/json.js';
import type { NodeServices } from '../node/open-node.js';
import { MAX_LOCATOR, SYNC_PAGE } from '../node/peer-network.js';
import { sendJson } from './errors.js';

/** Largest pushed block accepted (a block holds at most the mempool's 250,000 transactions). */
const BLOCK_PUSH_LIMIT = 32 * 1024 * 1024;

const sender = {
  type: 'object',
  description: 'who is pushing: its node id, the port it serves on, and optionally its URL',
  properties: { node_id: { type: 'string' }, port: { type: 'integer' }, advertise: { type: 'string' } },
} as const;

function body(request: FastifyRequest): JsonValue {
  if (request.body === undefined) throw new BlockforgeError(ErrorCode.InvalidBody, 'the request needs a JSON body');
  return request.body as JsonValue;
}

/** Registers the peer protocol routes of `node`. */
export function registerPeerRoutes(app: FastifyInstance, { node, network }: NodeServices): void {
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

  app.post(
    '/peer/locate',
    {
      schema: {
        summary: 'Fork point: the highest locator entry whose block this node has',
        body: {
          type: 'object',
          properties: {
            locator: { description: `up to ${MAX_LOCATOR} {index, hash}, highest first`, type: 'array' },
          },
        },
        response: {
          200: { type: 'object', properties: { common: { type: 'integer' }, height: { type: 'integer' } } },
        },
      },
      attachValidation: true,
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
        },
      },
    },
    async (request, reply) => {
      const { from, limit } = request.query as { from: number; limit: number };
      const height = node.chain.length;
      const start = Math.min(from - 1, height);
      return sendJson(
        reply,
        200,
        Buffer.concat([
          Buffer.from('{"blocks":'),
          node.blocksJson(start, Math.min(start + limit, height)),
          Buffer.from(`,"height":${height}}`),
        ]),
      );
    },
  );

  app.post(
    '/peer/blocks',
    {
      bodyLimit: BLOCK_PUSH_LIMIT,
      schema: {
        summary: 'Push a block: appended if it extends our tip; a sync starts if the sender is ahead',
        body: { type: 'object', properties: { block: { type: 'object' }, sender } },
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
      attachValidation: true,
    },
    async (request, reply) => {
      const status = network.receiveBlock(body(request), request.socket.remoteAddress);
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
          properties: { id: { type: 'string' }, transaction: { type: 'object' }, sender },
        },
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
      attachValidation: true,
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
        body: { type: 'object', properties: { sender } },
        response: {
          200: {
            type: 'object',
            properties: { node_id: { type: 'string' }, height: { type: 'integer' }, added: { type: 'boolean' } },
          },
        },
      },
      attachValidation: true,
    },
    async (request, reply) =>
      sendJson(reply, 200, writeJson(network.receiveHello(body(request), request.socket.remoteAddress))),
  );
}
