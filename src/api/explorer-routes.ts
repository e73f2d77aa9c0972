/**
 * Read-only routes the block explorer needs beyond the tutorial's: the node's own view of one
 * block's hash and proof of work (the page recomputes both in the browser and compares), and one
 * address's history with its net amount.
 */

import type { FastifyInstance } from 'fastify';
import { canonicalJson } from '../core/canonical.js';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { fromPlain, JsonNumber, type JsonValue, newJsonObject, writeJson } from '../core/json.js';
import { meetsDifficulty, powDigest } from '../core/pow.js';
import { isTutorialProfile } from '../core/tutorial-profile.js';
import type { BlockforgeNode } from '../node/blockforge-node.js';
import { sendJson } from './errors.js';
import { errorResponses } from './routes.js';

/** Most history entries one `/addresses` answer lists (the most recent first). */
export const MAX_ADDRESS_HISTORY = 1000;

const txSchema = {
  type: 'object',
  properties: {
    block: { type: ['integer', 'null'], description: 'index of the block holding it; null while pending' },
    timestamp: { type: ['number', 'null'], description: "the block's timestamp; null while pending" },
    sender: { type: 'string' },
    recipient: { type: 'string' },
    amount: { type: 'number' },
  },
} as const;

/**
 * An exact decimal: `digits * 10^scale`. Amounts are summed exactly because float addition would
 * show a learner 0.30000000000000004 for 0.1 + 0.2.
 */
interface Decimal {
  readonly digits: bigint;
  readonly scale: number;
}

const ZERO: Decimal = { digits: 0n, scale: 0 };

/** The exact value of a number's Python text (`5`, `2.5`, `1e+16`, `1.5e-07`). */
export function decimalOf(text: string): Decimal {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text);
  if (!match) throw new RangeError(`not a finite number: ${text}`);
  const [, sign, whole, fraction = '', exponent = '0'] = match;
  const digits = BigInt(`${sign}${whole}${fraction}`);
  return { digits, scale: Number(exponent) - fraction.length };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.min(a.scale, b.scale);
  return [a.digits * 10n ** BigInt(a.scale - scale), b.digits * 10n ** BigInt(b.scale - scale), scale];
}

/**
 * What an amount adds to a sum: its exact value, or nothing for what is not a finite number (a
 * tutorial peer's chain may hold any JSON a client posted: `"5"`, `null`, `NaN`).
 */
function amountOf(value: JsonValue | undefined): Decimal {
  if (!(value instanceof JsonNumber)) return ZERO;
  return /^-?\d/.test(value.text) ? decimalOf(value.text) : ZERO;
}

/** `a + b`, exactly. */
export function addDecimal(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return { digits: x + y, scale };
}

/** `a - b`, exactly. */
export function subtractDecimal(a: Decimal, b: Decimal): Decimal {
  return addDecimal(a, { digits: -b.digits, scale: b.scale });
}

/** Plain decimal text without exponent or trailing zeros: `7`, `-0.5`, `10000000000000000`. */
export function formatDecimal(d: Decimal): string {
  const negative = d.digits < 0n;
  let digits = (negative ? -d.digits : d.digits).toString();
  let text: string;
  if (d.scale >= 0) {
    text = digits === '0' ? '0' : digits + '0'.repeat(d.scale);
  } else {
    const places = -d.scale;
    digits = digits.padStart(places + 1, '0');
    const whole = digits.slice(0, digits.length - places);
    const fraction = digits.slice(digits.length - places).replace(/0+$/, '');
    text = fraction === '' ? whole : `${whole}.${fraction}`;
  }
  return negative && text !== '0' ? `-${text}` : text;
}

/** Registers `/blocks/:index/hash` and `/addresses`. */
export function registerExplorerRoutes(app: FastifyInstance, node: BlockforgeNode): void {
  app.get(
    '/blocks/:index/hash',
    {
      schema: {
        summary: "The node's hash of one block, the canonical text it hashes, and the block's proof of work",
        description:
          'hash = SHA-256 of canonical (Python json.dumps(block, sort_keys=True)); pow is null for the ' +
          'genesis block, which is not mined: message = the text whose SHA-256 (digest) must start with ' +
          'difficulty zeros.',
        params: {
          type: 'object',
          required: ['index'],
          properties: { index: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              index: { type: 'integer' },
              hash: { type: 'string' },
              canonical: { type: 'string' },
              pow: {
                type: ['object', 'null'],
                properties: {
                  message: { type: 'string' },
                  digest: { type: 'string' },
                  difficulty: { type: 'integer' },
                  valid: { type: 'boolean' },
                },
              },
            },
          },
          ...errorResponses({
            400: 'BAD_REQUEST: the index is not an integer >= 1',
            404: 'NOT_FOUND: past the tip',
          }),
        },
      },
    },
    async (request, reply) => {
      const { index } = request.params as { index: number };
      const chain = node.chain;
      const block = chain[index - 1];
      if (!block) {
        throw new BlockforgeError(
          ErrorCode.NotFound,
          `block ${index} does not exist (the chain has ${chain.length} blocks)`,
        );
      }
      const prev = chain[index - 2];
      const profile = node.profile;
      let pow: JsonValue = null;
      // The tutorial's puzzle, shown step by step (other profiles' proofs of work are over a header).
      if (prev && isTutorialProfile(profile)) {
        const challenge = profile.powChallengeFor((prev.json.proof as JsonNumber).text, prev.hash);
        const proof = block.json.proof as JsonNumber;
        const digest = powDigest(challenge, proof.text);
        pow = fromPlain({
          message: challenge.prefix + proof.text + challenge.suffix,
          digest,
          difficulty: challenge.difficulty,
          valid: meetsDifficulty(digest, challenge.difficulty),
        });
      }
      const out = newJsonObject();
      out.index = JsonNumber.int(block.height);
      out.hash = block.hash;
      out.canonical = canonicalJson(block.json);
      out.pow = pow;
      return sendJson(reply, 200, writeJson(out));
    },
  );

  app.get(
    '/addresses',
    {
      schema: {
        summary: "One address's transactions (mined and pending) and its net amount",
        description:
          'Amounts received minus amounts sent, summed exactly (as decimal text) over mined blocks; ' +
          'pending transactions are listed and summed apart. Rewards come from sender "0". ' +
          `transactions lists the most recent first, at most ${MAX_ADDRESS_HISTORY} (count says how many there are).`,
        querystring: {
          type: 'object',
          required: ['address'],
          properties: {
            address: { type: 'string', minLength: 1, maxLength: 1000 },
            limit: { type: 'integer', minimum: 1, maximum: MAX_ADDRESS_HISTORY, default: 200 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              address: { type: 'string' },
              received: { type: 'string', description: 'exact decimal' },
              sent: { type: 'string', description: 'exact decimal' },
              net: { type: 'string', description: 'received - sent, exact decimal' },
              count: { type: 'integer' },
              transactions: { type: 'array', items: txSchema },
              pending: { type: 'array', items: txSchema },
              pending_net: { type: 'string', description: 'what the pending transactions would add' },
            },
          },
          ...errorResponses({ 400: 'BAD_REQUEST: no address, an empty one, or a limit out of range' }),
        },
      },
    },
    async (request, reply) => {
      const { address, limit } = request.query as { address: string; limit: number };
      let received = ZERO;
      let sent = ZERO;
      const history: JsonValue[] = [];
      let count = 0;
      const chain = node.chain;
      // Newest first, so the answer is cut at `limit` without collecting the whole history.
      for (let b = chain.length - 1; b >= 0; b--) {
        const block = chain[b]!;
        const txs = block.transactions;
        for (let t = txs.length - 1; t >= 0; t--) {
          const json = txs[t]!.json;
          const isIn = json.recipient === address;
          const isOut = json.sender === address;
          if (!isIn && !isOut) continue;
          const amount = amountOf(json.amount);
          if (isIn) received = addDecimal(received, amount);
          if (isOut) sent = addDecimal(sent, amount);
          count++;
          if (history.length < limit) history.push(entry(block.height, block.json.timestamp ?? null, json));
        }
      }
      let pendingNet = ZERO;
      const pending: JsonValue[] = [];
      for (const tx of node.pendingTransactions) {
        const { json } = tx;
        const amount = amountOf(json.amount);
        if (json.recipient === address) pendingNet = addDecimal(pendingNet, amount);
        if (json.sender === address) pendingNet = subtractDecimal(pendingNet, amount);
        if ((json.recipient === address || json.sender === address) && pending.length < limit) {
          pending.push(entry(null, null, json));
        }
      }
      const out = newJsonObject();
      out.address = address;
      out.received = formatDecimal(received);
      out.sent = formatDecimal(sent);
      out.net = formatDecimal(subtractDecimal(received, sent));
      out.count = JsonNumber.int(count);
      out.transactions = history;
      out.pending = pending;
      out.pending_net = formatDecimal(pendingNet);
      return sendJson(reply, 200, writeJson(out));
    },
  );
}

function entry(block: number | null, timestamp: JsonValue, tx: { [key: string]: JsonValue }): JsonValue {
  const out = newJsonObject();
  out.block = block === null ? null : JsonNumber.int(block);
  out.timestamp = timestamp;
  out.sender = tx.sender ?? null;
  out.recipient = tx.recipient ?? null;
  // Kept as the block holds it (5 vs 5.0), like every amount the API returns.
  out.amount = tx.amount ?? null;
  return out;
}
