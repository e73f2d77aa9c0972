/**
 * Helpers for tests that watch several nodes converge: bounded polling, and the node routes the
 * peer-network tests read (`/chain`, `/mine`, `/transactions/*`, `GET /nodes`), by URL so they work
 * for loopback nodes and for nodes inside network namespaces alike.
 */

import { hashJson } from '../../src/core/canonical.js';
import { isJsonObject, parseJson } from '../../src/core/json.js';
import { call } from './harness.js';

/**
 * Polls `probe` every `intervalMs` until it returns something other than `undefined`/`false`, and
 * resolves with it. After `timeoutMs` it throws, naming `what` and the last value `describe` gave.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  options: { timeoutMs?: number; intervalMs?: number; describe?: () => string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = ` (last error: ${(err as Error).message})`;
    }
    if (Date.now() > deadline) {
      const state = options.describe ? `; last seen: ${options.describe()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}${state}${lastError}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}

/** A transaction as posted and as it appears in blocks. */
export interface Tx {
  sender: string;
  recipient: string;
  amount: number;
}

/** A block as `/chain` serves it. */
export interface ChainBlock {
  index: number;
  timestamp: number;
  transactions: Tx[];
  proof: number;
  previous_hash: string | number;
}

/** A node's `/chain`, parsed, with the exact text. */
export interface ChainView {
  readonly text: string;
  readonly length: number;
  readonly chain: ChainBlock[];
  /** Protocol hash of the last block (the tip). */
  readonly tip: string;
}

/** Protocol hash of every block of a `/chain` text (exact: numbers keep their Python form). */
export function blockHashes(chainText: string): string[] {
  const body = parseJson(chainText);
  if (!isJsonObject(body) || !Array.isArray(body.chain)) throw new Error('not a /chain response');
  return body.chain.map((block) => hashJson(block));
}

/** GET `<url>/chain`, parsed. */
export async function chainAt(url: string, timeoutMs = 10_000): Promise<ChainView> {
  const answer = await call(`${url}/chain`, { timeoutMs });
  if (answer.status !== 200) throw new Error(`${url}/chain answered ${answer.status}: ${answer.text.slice(0, 200)}`);
  const body = answer.json() as { chain: ChainBlock[]; length: number };
  return { text: answer.text, length: body.length, chain: body.chain, tip: blockHashes(answer.text).at(-1) ?? '' };
}

/** GET `<url>/mine` `count` times, one after another; throws unless each answers 200. */
export async function mineAt(url: string, count = 1): Promise<void> {
  for (let k = 0; k < count; k++) {
    const answer = await call(`${url}/mine`, { timeoutMs: 60_000 });
    if (answer.status !== 200) throw new Error(`${url}/mine answered ${answer.status}: ${answer.text}`);
  }
}

/** POST `<url>/transactions/new`; resolves with the status (201 = acknowledged). */
export async function postTxAt(url: string, tx: Tx): Promise<number> {
  return (await call(`${url}/transactions/new`, { body: tx })).status;
}

/** GET `<url>/transactions/pending`. */
export async function pendingAt(url: string): Promise<Tx[]> {
  const answer = await call(`${url}/transactions/pending`);
  if (answer.status !== 200) throw new Error(`${url}/transactions/pending answered ${answer.status}`);
  return (answer.json() as { transactions: Tx[] }).transactions;
}

/** One entry of `GET /nodes` `peers`, as the peer-network contract defines it. */
export interface PeerEntry {
  address: string;
  status: 'ok' | 'failing' | 'banned' | string;
  kind: 'blockforge' | 'tutorial' | 'unknown' | string;
  lastSeen: number | null;
  failures: number;
  height: number | null;
  [more: string]: unknown;
}

/** `GET /nodes`. */
export interface NodesView {
  nodes: string[];
  count: number;
  peers?: PeerEntry[];
}

/** GET `<url>/nodes`. */
export async function nodesAt(url: string): Promise<NodesView> {
  const answer = await call(`${url}/nodes`);
  if (answer.status !== 200) throw new Error(`${url}/nodes answered ${answer.status}`);
  return answer.json() as NodesView;
}

/** The `GET /nodes` entry for `address` (`host:port`), if any. */
export async function peerEntry(url: string, address: string): Promise<PeerEntry | undefined> {
  return (await nodesAt(url)).peers?.find((peer) => peer.address === address);
}

/** A transaction's identity for set comparisons. */
export const txKey = (tx: Tx): string => JSON.stringify([tx.sender, tx.recipient, tx.amount]);

/** Every non-reward transaction of a chain, in order. */
export function chainTransactions(chain: readonly ChainBlock[]): Tx[] {
  return chain.flatMap((block) => block.transactions).filter((tx) => tx.sender !== '0');
}
