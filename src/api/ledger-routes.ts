/**
 * The HTTP API of a profile with accounts and headers (the ledger, docs/ledger-protocol.md): signed
 * payments in (`POST /transactions`), accounts, transactions with their merkle proofs, headers for a
 * headers-first sync, and the genesis a wallet signs for. Each group is registered only when the
 * node's profile has the capability it needs (`profile.accounts`, `profile.headers`); the routes
 * read a profile's data only through those capabilities, never its JSON fields.
 */

import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Block, Transaction } from '../core/block.js';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue, newJsonObject, writeJson } from '../core/json.js';
import { genesisFileJson } from '../core/ledger/genesis.js';
import { isLedgerProfile, MIN_FEE } from '../core/ledger/ledger-profile.js';
import type { AccountRules, HeaderRules } from '../core/profile.js';
import type { BlockforgeNode } from '../node/blockforge-node.js';
import type { NodeServices } from '../node/open-node.js';
import { ERROR_SCHEMA, errorBody, sendError, sendJson, statusOf } from './errors.js';
import { BODY_JUDGED_BY_HANDLER, errorResponses } from './routes.js';

/** Default `limit` of `GET /accounts/:address/transactions`. */
export const ACCOUNT_HISTORY_DEFAULT = 50;
/** Largest `limit` of `GET /accounts/:address/transactions`. */
export const MAX_ACCOUNT_HISTORY = 500;
/** Default `limit` of `GET /headers`. */
export const HEADERS_DEFAULT = 500;
/** Largest `limit` of `GET /headers`. */
export const MAX_HEADERS = 2_000;
/** Most bytes of one `GET /headers` answer (at least one header is always sent). */
export const MAX_HEADERS_BYTES = 1024 * 1024;

const TX_ID = /^[0-9a-f]{64}$/;

/** Amounts are strings of base units: no client reads them as floats (docs section "Conventions"). */
const units = { type: 'string', pattern: '^(0|[1-9][0-9]*)$' } as const;
const hex64 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;

const paymentSchema = {
  type: 'object',
  description: 'A signed payment (docs/ledger-protocol.md section 3)',
  required: ['chain', 'from', 'to', 'amount', 'fee', 'nonce', 'sig'],
  properties: {
    chain: { ...hex64, description: 'the chain id (the genesis block hash, GET /genesis)' },
    from: { ...hex64, description: "the sender's Ed25519 public key" },
    to: { type: 'string', description: "the recipient's address (bech32m, lower case)" },
    amount: { ...units, description: 'base units (1 coin = 10^8), at least 1' },
    fee: { ...units, description: `base units, at least ${MIN_FEE}` },
    nonce: { ...units, description: "the sender's next nonce (GET /accounts/:address, next_nonce)" },
    sig: { type: 'string', pattern: '^[0-9a-f]{128}$', description: 'Ed25519 signature of the 113-byte message' },
  },
} as const;

const paymentExample = {
  chain: '9c1e0f6a2b3d4c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6',
  from: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  to: 'bfd1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9',
  amount: '150000000',
  fee: '1000',
  nonce: '0',
  sig: '0'.repeat(128),
};

const transactionDetails = {
  type: 'object',
  description: "the profile's description of a transaction: id, kind (payment or reward), from, to, amount, fee...",
  additionalProperties: true,
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['payment', 'reward'] },
    from: { type: 'string' },
    to: { type: 'string' },
    amount: units,
    fee: units,
    nonce: units,
  },
} as const;

const addressParams = {
  type: 'object',
  required: ['address'],
  properties: {
    address: { type: 'string', description: "an address of this network (bech32m, lower case, GET /genesis's hrp)" },
  },
} as const;

const schemas = {
  submit: {
    summary: 'Send a signed payment (acknowledged once it is on disk)',
    description:
      "The payment is checked by the node's policy, which names the field at fault: its shape, the chain " +
      `id, the signature, a fee of at least ${MIN_FEE} base units, the nonce (the next one, or a few ahead) ` +
      "and the balance (with the sender's other pending payments). A payment with the nonce of a pending one " +
      'and a higher fee replaces it. Build and sign one with `blockforge wallet send`.',
    body: { ...paymentSchema, examples: [paymentExample] },
    response: {
      202: {
        type: 'object',
        properties: {
          id: { ...hex64, description: 'the transaction id' },
          status: { type: 'string', const: 'pending' },
          expected_block: { type: 'integer', description: 'height of the block it is expected in' },
        },
      },
      ...errorResponses({
        400:
          'INVALID_BODY, INVALID_JSON, INVALID_TRANSACTION, INVALID_ADDRESS, WRONG_CHAIN, BAD_SIGNATURE, ' +
          'FEE_TOO_LOW, NONCE_TOO_LOW, NONCE_TOO_HIGH, INSUFFICIENT_FUNDS (field names the field at fault)',
        409: 'ALREADY_PENDING: this very payment is already waiting',
        413: 'the body is larger than 1 MiB',
      }),
      503: { ...ERROR_SCHEMA, description: 'MEMPOOL_FULL: the pending list is full until a block is mined' },
    },
  },
  account: {
    summary: 'One account: balance, locked rewards, nonce, and the effect of pending payments',
    params: addressParams,
    response: {
      200: {
        type: 'object',
        properties: {
          address: { type: 'string' },
          balance: { ...units, description: 'spendable at the tip' },
          locked: { ...units, description: 'rewards not yet mature' },
          nonce: { ...units, description: "the nonce of the account's next payment in a block" },
          pending_balance: { ...units, description: 'the balance once the pending payments are mined' },
          next_nonce: { ...units, description: 'the nonce to sign the next payment with' },
          height: { type: 'integer', description: 'the tip height these figures are at' },
        },
      },
      ...errorResponses({
        400: 'INVALID_ADDRESS: not an address of this network (a typo fails the checksum), or not in lower case',
      }),
    },
  },
  accountTransactions: {
    summary: "One account's transactions, newest first: pending ones, then confirmed ones",
    params: addressParams,
    querystring: {
      type: 'object',
      properties: {
        limit: { type: 'integer', minimum: 1, maximum: MAX_ACCOUNT_HISTORY, default: ACCOUNT_HISTORY_DEFAULT },
      },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          address: { type: 'string' },
          transactions: {
            type: 'array',
            items: {
              ...transactionDetails,
              properties: {
                ...transactionDetails.properties,
                status: { type: 'string', enum: ['pending', 'confirmed'] },
                height: { type: 'integer' },
                block_hash: { type: 'string' },
                confirmations: { type: 'integer', description: 'blocks from its block to the tip, both counted' },
              },
            },
          },
        },
      },
      ...errorResponses({
        400: `INVALID_ADDRESS, or BAD_REQUEST: limit is not an integer from 1 to ${MAX_ACCOUNT_HISTORY}`,
      }),
    },
  },
  transaction: {
    summary: 'One transaction by id: pending, or confirmed with its block and merkle inclusion proof',
    params: {
      type: 'object',
      required: ['id'],
      properties: { id: { ...hex64, description: 'the transaction id, 64 lowercase hex digits' } },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          id: { type: 'string' },
          status: { type: 'string', enum: ['pending', 'confirmed'] },
          transaction: { type: 'object', additionalProperties: true, description: 'as sent and stored' },
          details: transactionDetails,
          height: { type: 'integer' },
          block_hash: { type: 'string' },
          confirmations: { type: 'integer' },
          index: { type: 'integer', description: 'its position in the block (0: the reward)' },
          proof: {
            type: 'object',
            description: "RFC 6962 audit path of the id to the header's merkle root",
            properties: {
              index: { type: 'integer' },
              size: { type: 'integer' },
              path: { type: 'array', items: { type: 'string' } },
              root: { type: 'string' },
            },
          },
        },
      },
      ...errorResponses({
        400: 'BAD_REQUEST: the id is not 64 lowercase hex digits',
        404: 'NOT_FOUND: no pending or confirmed transaction has this id',
      }),
    },
  },
  headers: {
    summary: 'Block headers by height, for a headers-first sync',
    description: `At most limit headers and ${MAX_HEADERS_BYTES / 1024 / 1024} MiB from height "from" (1 = genesis); an empty list past the tip.`,
    querystring: {
      type: 'object',
      properties: {
        from: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, default: 1 },
        limit: { type: 'integer', minimum: 1, maximum: MAX_HEADERS, default: HEADERS_DEFAULT },
      },
    },
    response: {
      200: {
        type: 'object',
        properties: {
          headers: { type: 'array', items: { type: 'object', additionalProperties: true } },
          height: { type: 'integer', description: 'the tip height' },
        },
      },
      ...errorResponses({ 400: 'BAD_REQUEST: from or limit is not an integer in its range' }),
    },
  },
  genesis: {
    summary: 'What a wallet needs to sign for this network: chain id, address prefix, least fee, genesis file',
    response: {
      200: {
        type: 'object',
        properties: {
          chain_id: { ...hex64, description: 'the genesis block hash: every payment signs it' },
          network: { type: 'string' },
          hrp: { type: 'string', description: 'the prefix of addresses' },
          min_fee: { ...units, description: 'the least fee this node takes, base units' },
          genesis: { type: 'object', additionalProperties: true, description: 'the genesis file' },
        },
      },
    },
  },
};

/**
 * Transaction id to the height of the block holding it, over the chain as it is now: built on the
 * first lookup, extended with the blocks added since, cut back on a reorg. A lookup is then a map
 * read, not a scan of the chain.
 */
class TransactionIndex {
  private readonly heights = new Map<string, number>();
  /** The blocks indexed, 1..length: their transactions are in {@link heights}. */
  private readonly indexed: Block[] = [];

  constructor(private readonly node: BlockforgeNode) {}

  /** The block and position holding transaction `id`, or undefined. */
  find(id: string): { block: Block; index: number } | undefined {
    this.sync();
    const height = this.heights.get(id);
    if (height === undefined) return undefined;
    const block = this.indexed[height - 1] as Block;
    const index = block.transactions.findIndex((tx) => tx.id === id);
    return index < 0 ? undefined : { block, index };
  }

  /** Forgets the blocks above `height` (a reorg replaced them). */
  truncate(height: number): void {
    while (this.indexed.length > height) {
      const block = this.indexed.pop() as Block;
      // An id held twice (two equal genesis allocations) keeps the lower height while it stands.
      for (const tx of block.transactions) if (this.heights.get(tx.id) === block.height) this.heights.delete(tx.id);
    }
  }

  private sync(): void {
    const chain = this.node.chain;
    // The indexed blocks still on the chain: a reorg we were not told of shows as another hash at a
    // height; walking down from the top costs the depth of the reorg, and nothing when there was none.
    let keep = Math.min(this.indexed.length, chain.length);
    while (keep > 0 && (this.indexed[keep - 1] as Block).hash !== (chain[keep - 1] as Block).hash) keep--;
    this.truncate(keep);
    for (let h = this.indexed.length + 1; h <= chain.length; h++) {
      const block = chain[h - 1] as Block;
      for (const tx of block.transactions) if (!this.heights.has(tx.id)) this.heights.set(tx.id, h);
      this.indexed.push(block);
    }
  }
}

/**
 * A query integer the schema has validated, checked again: Fastify's Ajv coerces a digit string too
 * long for a double (`limit=999...9`, `from=1e400`) to Infinity and lets it through its bounds.
 */
function queryInt(value: number, name: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new BlockforgeError(ErrorCode.BadRequest, `${name} must be an integer from ${min} to ${max}`, {
      field: name,
    });
  }
  return value;
}

/** A JSON object body, or 400 INVALID_BODY. */
function objectBody(body: unknown): JsonObject {
  const value = body as JsonValue | undefined;
  if (value === undefined || !isJsonObject(value)) {
    throw new BlockforgeError(
      ErrorCode.InvalidBody,
      'the body must be a signed payment, a JSON object with chain, from, to, amount, fee, nonce and sig',
    );
  }
  return value;
}

/** An address from a client, as the profile writes it, or 400 INVALID_ADDRESS naming the field. */
function parseAddress(accounts: AccountRules, text: string): string {
  // Bech32m also reads an all upper case address; the state knows the lower case spelling only,
  // so an upper case one would show an empty account instead of the one meant.
  if (text !== text.toLowerCase()) {
    throw new BlockforgeError(ErrorCode.InvalidAddress, 'addresses are written in lower case', { field: 'address' });
  }
  try {
    return accounts.parseAddress(text);
  } catch (err) {
    if (err instanceof BlockforgeError) {
      throw new BlockforgeError(err.code, err.message, { field: 'address', cause: err });
    }
    throw err;
  }
}

/** A transaction's description with where it is. */
function located(
  accounts: AccountRules,
  tx: Transaction,
  where: { block: Block; tipHeight: number } | null,
): JsonObject {
  const out = accounts.describeTransaction(tx);
  if (where === null) {
    out.status = 'pending';
    return out;
  }
  out.status = 'confirmed';
  out.height = JsonNumber.int(where.block.height);
  out.block_hash = where.block.hash;
  out.confirmations = JsonNumber.int(where.tipHeight - where.block.height + 1);
  return out;
}

function registerAccountRoutes(app: FastifyInstance, node: BlockforgeNode, accounts: AccountRules): void {
  const index = new TransactionIndex(node);
  // A reorg cuts the index back to the fork point at once (a lookup would find it out anyway).
  const onReplaced = ({ common }: { common: number }): void => index.truncate(common);
  node.events.on('chain-replaced', onReplaced);
  app.addHook('onClose', async () => {
    node.events.off('chain-replaced', onReplaced);
  });

  app.post('/transactions', { schema: schemas.submit, ...BODY_JUDGED_BY_HANDLER }, async (request, reply) => {
    const tx = node.profile.parseTransaction(objectBody(request.body));
    const expected = await node.submitTransaction(tx);
    const out = newJsonObject();
    out.id = tx.id;
    out.status = 'pending';
    out.expected_block = JsonNumber.int(expected);
    return sendJson(reply, 202, writeJson(out));
  });

  app.get('/accounts/:address', { schema: schemas.account, ...BODY_JUDGED_BY_HANDLER }, async (request, reply) => {
    const address = parseAddress(accounts, (request.params as { address: string }).address);
    const account = accounts.describeAccount(address, node.tipView(), node.pendingTransactions);
    return sendJson(reply, 200, writeJson(account));
  });

  app.get('/accounts/:address/transactions', { schema: schemas.accountTransactions }, async (request, reply) => {
    const address = parseAddress(accounts, (request.params as { address: string }).address);
    const limit = queryInt((request.query as { limit: number }).limit, 'limit', 1, MAX_ACCOUNT_HISTORY);
    const list: JsonObject[] = [];
    const pending = node.pendingTransactions;
    for (let k = pending.length - 1; k >= 0 && list.length < limit; k--) {
      const tx = pending[k] as Transaction;
      if (accounts.involves(tx, address)) list.push(located(accounts, tx, null));
    }
    const chain = node.chain;
    const tipHeight = chain.length;
    // From the tip down, so the answer stops at `limit` without reading older blocks.
    for (let h = tipHeight; h >= 1 && list.length < limit; h--) {
      const block = chain[h - 1] as Block;
      const txs = block.transactions;
      for (let t = txs.length - 1; t >= 0 && list.length < limit; t--) {
        const tx = txs[t] as Transaction;
        if (accounts.involves(tx, address)) list.push(located(accounts, tx, { block, tipHeight }));
      }
    }
    const out = newJsonObject();
    out.address = address;
    out.transactions = list;
    return sendJson(reply, 200, writeJson(out));
  });

  app.get('/transactions/:id', { schema: schemas.transaction, ...BODY_JUDGED_BY_HANDLER }, async (request, reply) => {
    const { id } = request.params as { id: string };
    if (id === 'new') return methodNotAllowed(reply, request.method, '/transactions/new', 'POST');
    if (!TX_ID.test(id)) {
      throw new BlockforgeError(
        ErrorCode.BadRequest,
        `${JSON.stringify(id.slice(0, 100))} is not a transaction id: an id is 64 lowercase hex digits`,
        { field: 'id' },
      );
    }
    const found = index.find(id);
    if (found) {
      const { block, index: position } = found;
      const tx = block.transactions[position] as Transaction;
      const out = newJsonObject();
      out.id = tx.id;
      out.status = 'confirmed';
      out.transaction = tx.json;
      out.details = accounts.describeTransaction(tx);
      out.height = JsonNumber.int(block.height);
      out.block_hash = block.hash;
      out.confirmations = JsonNumber.int(node.chain.length - block.height + 1);
      out.index = JsonNumber.int(position);
      out.proof = accounts.inclusionProof(block, position);
      return sendJson(reply, 200, writeJson(out));
    }
    const tx = node.pendingTransactions.find((p) => p.id === id);
    if (!tx) {
      throw new BlockforgeError(ErrorCode.NotFound, `no pending or confirmed transaction has the id ${id}`, {
        field: 'id',
      });
    }
    const out = newJsonObject();
    out.id = tx.id;
    out.status = 'pending';
    out.transaction = tx.json;
    out.details = accounts.describeTransaction(tx);
    return sendJson(reply, 200, writeJson(out));
  });
}

/**
 * 405 for `path`, which another method serves: a parametric GET route (`/transactions/:id`) would
 * otherwise take `GET /transactions/new` for an id, where the server answers 405 on other networks.
 */
function methodNotAllowed(reply: FastifyReply, method: string, path: string, allow: string): FastifyReply {
  reply.header('allow', allow);
  return sendError(
    reply,
    errorBody(
      statusOf(ErrorCode.MethodNotAllowed),
      ErrorCode.MethodNotAllowed,
      `${method} is not allowed on ${path}; use ${allow}`,
    ),
  );
}

function registerHeaderRoutes(app: FastifyInstance, node: BlockforgeNode, headers: HeaderRules): void {
  app.get('/headers', { schema: schemas.headers }, async (request, reply) => {
    const query = request.query as { from: number; limit: number };
    const from = queryInt(query.from, 'from', 1, Number.MAX_SAFE_INTEGER);
    const limit = queryInt(query.limit, 'limit', 1, MAX_HEADERS);
    const chain = node.chain;
    const parts: string[] = [];
    // The envelope's bytes, then each header and its comma: the answer stays within the cap.
    let bytes = `{"headers":[],"height":${chain.length}}`.length;
    for (let h = from; h <= chain.length && parts.length < limit; h++) {
      const text = writeJson(headers.headerOf(chain[h - 1] as Block).json);
      bytes += text.length + (parts.length > 0 ? 1 : 0);
      if (bytes > MAX_HEADERS_BYTES && parts.length > 0) break;
      parts.push(text);
    }
    return sendJson(reply, 200, `{"headers":[${parts.join(',')}],"height":${chain.length}}`);
  });
}

/**
 * Registers the routes of the capabilities `node`'s profile has: accounts (`POST /transactions`,
 * `/accounts/...`, `GET /transactions/:id`, and `GET /genesis` for the ledger) and headers
 * (`GET /headers`). Nothing for a profile with neither (the tutorial's).
 */
export function registerLedgerRoutes(app: FastifyInstance, { node }: NodeServices): void {
  const { profile } = node;
  if (profile.accounts) registerAccountRoutes(app, node, profile.accounts);
  if (profile.headers) registerHeaderRoutes(app, node, profile.headers);
  if (profile.accounts && isLedgerProfile(profile)) {
    const out = newJsonObject();
    out.chain_id = profile.chainId;
    out.network = profile.genesis.network;
    out.hrp = profile.genesis.hrp;
    out.min_fee = MIN_FEE.toString();
    out.genesis = genesisFileJson(profile.genesis);
    // The network never changes under a running node: written once.
    const json = writeJson(out);
    app.get('/genesis', { schema: schemas.genesis }, async (_request, reply) => sendJson(reply, 200, json));
  }
}
