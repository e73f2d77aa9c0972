/**
 * Route handlers. The tutorial's five routes keep its paths, status codes, field names and
 * messages; extras are read-only. Responses are written with the core's JSON writer so numbers
 * keep their Python form (a Python peer parses each back to the same int or float).
 */

import type { FastifyInstance, FastifySchema, FastifySchemaCompiler } from 'fastify';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { fromPlain, isJsonObject, type JsonValue, newJsonObject, writeJson } from '../core/json.js';
import type { NodeServices } from '../node/open-node.js';
import { ERROR_SCHEMA, sendJson } from './errors.js';

/** Longest list `/nodes/register` takes in one call. */
/**
 * Route config of the routes that change what the node does (mine, add or remove peers, resolve):
 * a node started with `--admin-token` answers them only with `Authorization: Bearer TOKEN`
 * (server.ts). Reading and submitting transactions stay open, as on a public node.
 */
export const ADMIN = { admin: true } as const;

export const MAX_REGISTER_ITEMS = 256;

const REGISTER_ERROR = 'Error: Please supply a valid list of nodes';

/**
 * Route options for a body its handler judges: the schema documents the body (OpenAPI, Swagger UI's
 * "Try it out") and validates nothing. Fastify's Ajv would coerce types before the handler runs
 * (`true` becoming "true", "5" becoming 5), so the profile would accept what no client sent; and the
 * body's numbers are the core's lossless `JsonNumber` objects, which no JSON-schema "number" matches.
 * For routes whose only input is the body (the compiler applies to every part of the request).
 */
export const BODY_JUDGED_BY_HANDLER: { attachValidation: true; validatorCompiler: FastifySchemaCompiler<unknown> } = {
  attachValidation: true,
  validatorCompiler: () => () => true,
};

/**
 * Documented error answers: each status with the one error shape and what causes it, e.g.
 * `errorResponses({ 404: 'no such block' })`.
 */
export function errorResponses(
  causes: Record<number, string>,
): Record<number, typeof ERROR_SCHEMA & { description: string }> {
  const out: Record<number, typeof ERROR_SCHEMA & { description: string }> = {};
  for (const [status, description] of Object.entries(causes)) out[Number(status)] = { ...ERROR_SCHEMA, description };
  return out;
}

/** The 400 and 413 every JSON body may get before its fields are looked at. */
const BODY_ERRORS = {
  400: 'the body is not JSON, has a repeated key, is not an object, or a field is invalid (the message says which)',
  413: 'the body is larger than 1 MiB',
};

const peerAddressExample = 'http://127.0.0.1:5001';

const block = {
  type: 'object',
  description: 'A block as the tutorial builds it',
  properties: {
    index: { type: 'integer', minimum: 1 },
    timestamp: { type: 'number', description: 'Unix seconds (float)' },
    transactions: { type: 'array', items: { $ref: 'transaction#' } },
    proof: { type: 'integer', minimum: 0 },
    previous_hash: { description: 'hash of the previous block (genesis: 1 in seed, "1" in master)' },
  },
} as const;

const transaction = {
  $id: 'transaction',
  type: 'object',
  properties: {
    sender: { type: 'string', minLength: 1, maxLength: 1000 },
    recipient: { type: 'string', minLength: 1, maxLength: 1000 },
    amount: { type: 'number', exclusiveMinimum: 0 },
  },
} as const;

/**
 * Request bodies are declared for documentation and checked to be objects by Fastify; the field
 * rules (messages, reserved sender, number forms) belong to the rule profile, which validates them.
 */
const schemas = {
  mine: {
    summary: 'Mine a block: proof of work, then the reward and every pending transaction',
    response: {
      200: {
        type: 'object',
        properties: {
          message: { type: 'string', const: 'New Block Forged' },
          index: { type: 'integer' },
          transactions: { type: 'array', items: { $ref: 'transaction#' } },
          proof: { type: 'integer' },
          previous_hash: { type: 'string' },
          tries: { type: 'integer', description: 'proofs tried counting from 0 (proof + 1)' },
          seconds: { type: 'number' },
        },
      },
    },
  },
  newTransaction: {
    summary: 'Add a transaction to the next block (acknowledged once it is on disk)',
    description:
      'The fields are checked by the node\'s policy, which names the field at fault: "Missing values: amount", ' +
      'a sender or recipient that is not a non-empty string, an amount that is not a number > 0 (booleans and ' +
      'numeric strings included), or the sender "0", reserved for mining rewards. The amount is kept as sent: ' +
      '5 and 5.0 are different numbers to the block hash.',
    body: {
      type: 'object',
      required: ['sender', 'recipient', 'amount'],
      properties: {
        sender: {
          type: 'string',
          minLength: 1,
          maxLength: 1000,
          description: 'non-empty, at most 1000 characters, not "0"',
        },
        recipient: { type: 'string', minLength: 1, maxLength: 1000, description: 'non-empty, at most 1000 characters' },
        amount: { type: 'number', exclusiveMinimum: 0, description: 'a finite number > 0, kept as written (5 or 5.0)' },
      },
      examples: [{ sender: 'alice', recipient: 'bob', amount: 5 }],
    },
    response: {
      201: {
        type: 'object',
        properties: { message: { type: 'string', examples: ['Transaction will be added to Block 2'] } },
      },
      ...errorResponses({
        ...BODY_ERRORS,
        400:
          'MISSING_VALUES ("Missing values: amount"), INVALID_TRANSACTION, RESERVED_SENDER, or a body that is not a JSON object; ' +
          'SIGNED_TRANSACTIONS_ONLY on a network of accounts (send a signed payment to POST /transactions)',
      }),
      503: { ...ERROR_SCHEMA, description: 'MEMPOOL_FULL: the pending list is full until a block is mined' },
    },
  },
  chain: {
    summary: 'The whole chain',
    response: {
      200: {
        type: 'object',
        properties: { chain: { type: 'array', items: block }, length: { type: 'integer' } },
      },
    },
  },
  register: {
    summary: 'Register peers: http(s)://host:port or host:port; all or nothing',
    body: {
      type: 'object',
      required: ['nodes'],
      properties: {
        nodes: {
          type: 'array',
          maxItems: MAX_REGISTER_ITEMS,
          items: { type: 'string', description: 'http(s)://host:port or host:port' },
          description: `peer addresses, at most ${MAX_REGISTER_ITEMS}; none is added if one is invalid or this node itself`,
        },
      },
      examples: [{ nodes: [peerAddressExample] }],
    },
    response: {
      201: {
        type: 'object',
        properties: { message: { type: 'string' }, total_nodes: { type: 'array', items: { type: 'string' } } },
      },
      ...errorResponses({
        ...BODY_ERRORS,
        400: 'INVALID_NODES: "Error: Please supply a valid list of nodes", saying which item is wrong',
      }),
    },
  },
  removePeer: {
    summary: 'Remove a peer',
    description:
      'The peer as GET /nodes lists it (or as it was registered), URL-encoded: 127.0.0.1%3A5001 or ' +
      'http%3A%2F%2Fhost%3A5001. It is forgotten at once, on disk too; a peer that says hello again ' +
      'may come back as a learned peer.',
    params: {
      type: 'object',
      required: ['peer'],
      properties: {
        peer: { type: 'string', minLength: 1, examples: ['127.0.0.1:5001'] },
      },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          message: { type: 'string', const: 'Peer removed' },
          total_nodes: { type: 'array', items: { type: 'string' } },
        },
      },
      ...errorResponses({
        400: 'INVALID_NODES: not a peer address (http(s)://host:port or host:port)',
        404: "NOT_FOUND: the address is not one of this node's peers",
        // Fastify's router refuses longer path parameters before the route runs.
        414: 'URI_TOO_LONG: a path parameter over 1,000 characters (no peer address is longer)',
      }),
    },
  },
  resolve: {
    summary: 'Consensus: adopt the valid peer chain with the most work, if it has more than ours (the longest, here)',
    response: {
      200: {
        type: 'object',
        properties: {
          message: { type: 'string' },
          chain: { type: 'array', items: block },
          new_chain: { type: 'array', items: block },
          length: { type: 'integer' },
          returned: { type: 'integer', description: 'transactions of our dropped blocks back in the mempool' },
          dropped: { type: 'integer', description: 'pending transactions the adopted blocks already hold' },
          peers: { type: 'array', items: { type: 'object', additionalProperties: true } },
        },
      },
    },
  },
  blockByIndex: {
    summary: 'One block by its index (1 = genesis)',
    params: {
      type: 'object',
      required: ['index'],
      properties: { index: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
    },
    response: {
      200: block,
      ...errorResponses({
        400: 'BAD_REQUEST: the index is not an integer >= 1',
        404: 'NOT_FOUND: past the tip',
      }),
    },
  },
  pending: {
    summary: 'Transactions waiting for the next block',
    response: {
      200: {
        type: 'object',
        properties: { transactions: { type: 'array', items: { $ref: 'transaction#' } }, count: { type: 'integer' } },
      },
    },
  },
  nodes: {
    summary: 'Registered peers and their health',
    response: {
      200: {
        type: 'object',
        properties: {
          nodes: { type: 'array', items: { type: 'string' } },
          count: { type: 'integer' },
          peers: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                address: { type: 'string' },
                status: { type: 'string', enum: ['new', 'ok', 'failing', 'banned', 'incompatible'] },
                kind: { type: 'string', enum: ['blockforge', 'tutorial', 'unknown'] },
                origin: {
                  type: 'string',
                  enum: ['registered', 'learned'],
                  description:
                    'registered by a user (kept on disk), or learned from a peer that said hello (verified by dialing back; in memory)',
                },
                lastSeen: { type: ['number', 'null'] },
                failures: { type: 'integer' },
                retryAt: { type: ['number', 'null'] },
                bannedUntil: { type: ['number', 'null'] },
                lastError: { type: ['string', 'null'] },
                height: { type: ['integer', 'null'] },
                nodeId: { type: ['string', 'null'] },
              },
            },
          },
        },
      },
    },
  },
  mining: {
    summary: 'Whether the node is mining, and its last hash rate',
    response: {
      200: {
        type: 'object',
        properties: {
          mining: { type: 'boolean' },
          last_rate: { type: 'number' },
          threads: { type: 'integer' },
          kernel: { type: 'string', description: 'proof-of-work kernel: native, wasm, ts or crypto' },
          hashrate: {
            type: ['integer', 'null'],
            description: 'the --hashrate cap in hashes per second (null: none)',
          },
          difficulty: { type: 'integer' },
          profile: { type: 'string' },
        },
      },
    },
  },
} satisfies Record<string, FastifySchema & { summary?: string }>;

/** A JSON object body, or the route's 400. */
function objectBody(
  body: unknown,
  code: typeof ErrorCode.InvalidBody | typeof ErrorCode.InvalidNodes,
  message: string,
) {
  const value = body as JsonValue | undefined;
  if (value === undefined || !isJsonObject(value)) {
    throw new BlockforgeError(code, message);
  }
  return value;
}

/** Registers every route of `node` on `app`. */
export function registerRoutes(app: FastifyInstance, { node, network }: NodeServices): void {
  app.addSchema(transaction);

  app.get('/mine', { schema: schemas.mine, config: ADMIN }, async (_request, reply) => {
    const { block, mining } = await node.mine();
    const out = newJsonObject();
    out.message = 'New Block Forged';
    // The tutorial's answer: the block's fields but its timestamp (a ledger block's: its header
    // and transactions), then its height and hash for profiles whose JSON does not show them.
    for (const [key, value] of Object.entries(block.json)) if (key !== 'timestamp') out[key] = value;
    if (block.json.index === undefined) {
      out.height = fromPlain(block.height);
      out.hash = block.hash;
    }
    out.tries = fromPlain(mining.tries);
    out.seconds = fromPlain(Math.round(mining.seconds * 1e6) / 1e6);
    return sendJson(reply, 200, writeJson(out));
  });

  app.post(
    '/transactions/new',
    { schema: schemas.newTransaction, ...BODY_JUDGED_BY_HANDLER },
    async (request, reply) => {
      // A network of accounts takes signed payments only (POST /transactions, ledger-routes.ts).
      if (node.profile.accounts) {
        throw new BlockforgeError(
          ErrorCode.SignedTransactionsOnly,
          'this network needs signed transactions: send one with `blockforge wallet send --to ADDRESS --amount COINS`, ' +
            'or POST /transactions with a signed payment (docs/ledger-protocol.md section 3)',
        );
      }
      const body = objectBody(
        request.body,
        ErrorCode.InvalidBody,
        'the body must be a JSON object with sender, recipient and amount',
      );
      const tx = node.profile.parseTransaction(body);
      const index = await node.submitTransaction(tx);
      return sendJson(reply, 201, `{"message":"Transaction will be added to Block ${index}"}`);
    },
  );

  app.get('/chain', { schema: schemas.chain }, async (_request, reply) => {
    return sendJson(
      reply,
      200,
      Buffer.concat([Buffer.from('{"chain":'), node.blocksJson(), Buffer.from(`,"length":${node.chain.length}}`)]),
    );
  });

  app.post(
    '/nodes/register',
    { schema: schemas.register, config: ADMIN, ...BODY_JUDGED_BY_HANDLER },
    async (request, reply) => {
      const body = objectBody(request.body, ErrorCode.InvalidNodes, `${REGISTER_ERROR} (send {"nodes": [...]})`);
      const nodes = body.nodes;
      if (!Array.isArray(nodes)) {
        throw new BlockforgeError(ErrorCode.InvalidNodes, `${REGISTER_ERROR} ("nodes" must be a list of strings)`, {
          field: 'nodes',
        });
      }
      if (nodes.length > MAX_REGISTER_ITEMS) {
        throw new BlockforgeError(
          ErrorCode.InvalidNodes,
          `${REGISTER_ERROR} (at most ${MAX_REGISTER_ITEMS} per call)`,
          {
            field: 'nodes',
          },
        );
      }
      const strings = nodes.map((item, k) => {
        if (typeof item !== 'string') {
          throw new BlockforgeError(ErrorCode.InvalidNodes, `${REGISTER_ERROR} (item ${k + 1} is not a string)`, {
            field: 'nodes',
          });
        }
        return item;
      });
      const total = network.registerPeers(strings);
      return sendJson(reply, 201, writeJson(fromPlain({ message: 'New nodes have been added', total_nodes: total })));
    },
  );

  app.get('/nodes/resolve', { schema: schemas.resolve, config: ADMIN }, async (_request, reply) => {
    const outcome = await network.resolve();
    const message = outcome.replaced ? 'Our chain was replaced' : 'Our chain is authoritative';
    const field = outcome.replaced ? 'new_chain' : 'chain';
    const peers = writeJson(fromPlain(outcome.peers));
    return sendJson(
      reply,
      200,
      Buffer.concat([
        Buffer.from(`{"message":${JSON.stringify(message)},"${field}":`),
        node.blocksJson(),
        Buffer.from(
          `,"length":${node.chain.length},"returned":${outcome.returned},"dropped":${outcome.dropped},"peers":${peers}}`,
        ),
      ]),
    );
  });

  app.get('/blocks/:index', { schema: schemas.blockByIndex }, async (request, reply) => {
    const { index } = request.params as { index: number };
    if (index > node.chain.length) {
      throw new BlockforgeError(
        ErrorCode.NotFound,
        `block ${index} does not exist (the chain has ${node.chain.length} blocks)`,
      );
    }
    const list = node.blocksJson(index - 1, index);
    return sendJson(reply, 200, list.subarray(1, list.length - 1));
  });

  app.get('/transactions/pending', { schema: schemas.pending }, async (_request, reply) => {
    const txs = node.pendingTransactions.map((tx) => writeJson(tx.json));
    return sendJson(reply, 200, `{"transactions":[${txs.join(',')}],"count":${txs.length}}`);
  });

  app.get('/nodes', { schema: schemas.nodes }, async (_request, reply) => {
    const nodes = network.peers.map((p) => p.key);
    return sendJson(reply, 200, writeJson(fromPlain({ nodes, count: nodes.length, peers: network.health() })));
  });

  app.get('/mining', { schema: schemas.mining }, async (_request, reply) => {
    const status = node.miningStatus;
    return sendJson(
      reply,
      200,
      writeJson(
        fromPlain({
          mining: status.mining,
          last_rate: status.lastRate,
          threads: status.threads,
          kernel: status.kernel,
          hashrate: status.hashrate,
          ...node.profile.params,
          profile: node.profile.name,
        }),
      ),
    );
  });

  // Last: server.ts answers a wrong method with the Allow of the first route whose pattern matches
  // the path, and /nodes/resolve and /nodes/register must be found before /nodes/:peer.
  app.delete('/nodes/:peer', { schema: schemas.removePeer, config: ADMIN }, async (request, reply) => {
    // Fastify has decoded the parameter: `http%3A%2F%2Fhost%3A5001` arrives as http://host:5001.
    const { peer } = request.params as { peer: string };
    if (!network.removePeer(peer)) {
      throw new BlockforgeError(ErrorCode.NotFound, `${peer} is not a peer of this node`, { field: 'peer' });
    }
    const total = network.peers.map((p) => p.key);
    return sendJson(reply, 200, writeJson(fromPlain({ message: 'Peer removed', total_nodes: total })));
  });
}

/**
 * `POST /shutdown`: the owner stops the node (as Ctrl-C does: storage closed cleanly). Registered
 * only on a node with an admin token, so no one can stop a node whose owner did not set one.
 */
export function registerShutdownRoute(app: FastifyInstance, shutdown: () => void): void {
  app.post(
    '/shutdown',
    {
      schema: {
        summary: 'Stops the node cleanly (only on a node started with an admin token)',
        response: {
          202: { type: 'object', properties: { message: { type: 'string' } } },
          ...errorResponses({ 401: 'ADMIN_TOKEN_REQUIRED or ADMIN_TOKEN_INVALID' }),
        },
      },
      config: ADMIN,
    },
    async (_request, reply) => {
      // Stopped once the answer is out (a stop first would close the connection under it), or once
      // the client is gone without it: the owner asked, the node stops either way.
      let asked = false;
      const stop = (): void => {
        if (asked) return;
        asked = true;
        shutdown();
      };
      reply.raw.once('finish', stop);
      reply.raw.once('close', stop);
      return sendJson(reply, 202, writeJson(fromPlain({ message: 'Shutting down' })));
    },
  );
}
