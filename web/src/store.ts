/**
 * What the page knows about the node, loaded over the API and kept current by the event stream
 * (live.ts). Pages subscribe to the topics they show and redraw only those parts.
 */

import { hashJson } from '../../src/core/canonical.js';
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue } from '../../src/core/json.js';
import { getJson, getLossless, nodeIdSeen } from './api.js';
import { messages } from './i18n.js';

const t = messages('store', { notAnObject: 'a block is not a JSON object' }, { notAnObject: '区块不是 JSON 对象' });

/** A block as the pages show it. */
export interface ChainBlock {
  readonly index: number;
  readonly json: JsonObject;
  /** Its hash, computed in the browser (SHA-256 of the canonical JSON). */
  readonly hash: string;
  readonly timestamp: number;
  readonly proof: string;
  /** `previous_hash` as text (`1` for a seed genesis). */
  readonly previousHash: string;
  readonly txCount: number;
}

/** One peer, with whatever health the node reports (fields may be missing on older nodes). */
export interface PeerView {
  readonly address: string;
  readonly status?: string;
  readonly lastSeen?: number | string | null;
  readonly failures?: number;
  readonly [key: string]: unknown;
}

/** One peer's line of a `/nodes/resolve` report. */
export interface PeerReportView {
  readonly peer: string;
  /** `adopted`, `not-longer`, `not-chosen`, `incompatible`, `banned`, or a failure (`timeout`, ...). */
  readonly status: string;
  readonly length?: number;
  readonly code?: string;
  readonly misbehaved?: boolean;
  readonly reason?: string;
  readonly ms?: number;
}

/**
 * A chain adopted from a peer with another genesis block (`chain-replaced` with `common` 0): every
 * block this node had was dropped. What the warning banner shows.
 */
export interface ReorgNotice {
  /** The peer the chain came from, when the node said. */
  readonly peer: string | null;
  /** Height of the adopted chain. */
  readonly height: number;
  /** Our blocks that were dropped (genesis included), or null when the page did not know our chain. */
  readonly droppedBlocks: number | null;
  /** Transactions of the dropped blocks that went back to pending, as the node counted them. */
  readonly returned: number;
  /** Pending transactions that left the pending list because the adopted chain holds them. */
  readonly alreadyIncluded: number;
  /** The transactions pending now that were not before: those that came back. */
  readonly transactions: readonly JsonObject[];
  /** Unix seconds when the page learned of it. */
  readonly time: number;
}

/** A block named by height and hash (the `reorg` event's lists). */
export interface BlockRefView {
  readonly height: number;
  readonly hash: string;
}

/** The node's `reorg` event: a switch to another branch, block by block (the forks page animates it). */
export interface ReorgEventView {
  readonly fork: { readonly height: number; readonly hash: string | null };
  readonly dropped: readonly BlockRefView[];
  readonly dropped_count: number;
  readonly added: readonly BlockRefView[];
  readonly added_count: number;
  readonly returned: readonly string[];
  readonly returned_count: number;
  readonly old_tip: BlockRefView & { readonly work: string };
  readonly new_tip: BlockRefView & { readonly work: string };
  readonly peer?: string;
  /** Unix seconds when the page received it. */
  readonly time: number;
}

/** A running proof-of-work search. */
export interface MiningProgress {
  readonly index: number;
  readonly hashes: number;
  readonly seconds: number;
  readonly rate: number;
  readonly expected: number;
}

/** The node's rules and identity. */
export interface NodeInfo {
  readonly profile: string;
  readonly difficulty: number;
  readonly threads?: number;
  readonly kernel?: string;
}

/** One line of the activity feed. */
export interface Activity {
  readonly time: number;
  /** Its text, in the language shown when it is drawn (the feed redraws on a language change). */
  readonly text: () => string;
  /** Page to open for it, e.g. `#/block/5`. */
  readonly href?: string;
}

/** Connection to the event stream. */
export type LiveState = 'connecting' | 'live' | 'offline';

/** Everything the page shows. */
export interface State {
  info: NodeInfo | null;
  nodeId: string | null;
  chain: ChainBlock[];
  pending: JsonObject[];
  peers: PeerView[];
  mining: boolean;
  lastRate: number;
  progress: MiningProgress | null;
  live: LiveState;
  activity: Activity[];
  /** The last `/nodes/resolve` report this page received, per peer: what health alone cannot say. */
  peerReports: Record<string, PeerReportView>;
  /** The last switch to a chain with another genesis block, until dismissed. */
  reorg: ReorgNotice | null;
  /** Reorgs received while the page is open, newest first (the forks page; at most 20). */
  reorgEvents: ReorgEventView[];
  /** Stale blocks the node announced while the page is open (the forks page redraws on each). */
  staleSeen: number;
}

/** The parts of the state pages subscribe to. */
export type Topic = 'info' | 'chain' | 'pending' | 'peers' | 'mining' | 'live' | 'activity' | 'reorg' | 'forks';

/** The page's one state. */
export const state: State = {
  info: null,
  nodeId: null,
  chain: [],
  pending: [],
  peers: [],
  mining: false,
  lastRate: 0,
  progress: null,
  live: 'connecting',
  activity: [],
  peerReports: {},
  reorg: null,
  reorgEvents: [],
  staleSeen: 0,
};

const listeners = new Map<Topic, Set<() => void>>();

/** Calls `fn` whenever one of `topics` changes; returns the unsubscribe function. */
export function subscribe(topics: readonly Topic[], fn: () => void): () => void {
  for (const topic of topics) {
    let set = listeners.get(topic);
    if (!set) {
      set = new Set();
      listeners.set(topic, set);
    }
    set.add(fn);
  }
  return () => {
    for (const topic of topics) listeners.get(topic)?.delete(fn);
  };
}

/** Tells the subscribers of `topics` (each listener once). */
export function changed(...topics: Topic[]): void {
  const fns = new Set<() => void>();
  for (const topic of topics) for (const fn of listeners.get(topic) ?? []) fns.add(fn);
  for (const fn of fns) fn();
}

/** A block of the chain, with its hash computed here. */
export function toChainBlock(json: JsonValue): ChainBlock {
  if (!isJsonObject(json)) throw new Error(t('notAnObject'));
  // A ledger block: `{header: {height, time, nonce, parent, ...}, transactions}`, hashed by its header.
  const header = json.header;
  if (isJsonObject(header)) {
    const int = (value: JsonValue | undefined): number => (value instanceof JsonNumber ? value.toNumber() : Number.NaN);
    const height = int(header.height);
    return {
      index: height,
      json,
      hash: hashJson(header),
      timestamp: int(header.time),
      proof: header.nonce instanceof JsonNumber ? header.nonce.text : String(header.nonce),
      previousHash: height === 1 ? '0' : String(header.parent),
      txCount: Array.isArray(json.transactions) ? json.transactions.length : 0,
    };
  }
  const index = json.index instanceof JsonNumber ? json.index.toNumber() : Number.NaN;
  const previous = json.previous_hash;
  return {
    index,
    json,
    hash: hashJson(json),
    timestamp: json.timestamp instanceof JsonNumber ? json.timestamp.toNumber() : Number.NaN,
    proof: json.proof instanceof JsonNumber ? json.proof.text : String(json.proof),
    previousHash:
      typeof previous === 'string' ? previous : previous instanceof JsonNumber ? previous.text : String(previous),
    txCount: Array.isArray(json.transactions) ? json.transactions.length : 0,
  };
}

/**
 * Adds a line to the activity feed (the 30 most recent are kept). Give a function to have the line
 * follow the language switch.
 */
export function addActivity(text: string | (() => string), href?: string): void {
  const line = typeof text === 'string' ? () => text : text;
  state.activity = [{ time: Date.now() / 1000, text: line, ...(href ? { href } : {}) }, ...state.activity].slice(0, 30);
  changed('activity');
}

/** Loads the whole chain. */
export async function loadChain(): Promise<void> {
  const answer = await getLossless('/chain');
  const chain = isJsonObject(answer) && Array.isArray(answer.chain) ? answer.chain : [];
  state.chain = chain.map(toChainBlock);
  changed('chain');
}

/** Loads the pending transactions. */
export async function loadPending(): Promise<void> {
  const answer = await getLossless('/transactions/pending');
  const txs = isJsonObject(answer) && Array.isArray(answer.transactions) ? answer.transactions : [];
  state.pending = txs.filter(isJsonObject);
  changed('pending');
}

/** Loads the peers, with their health where the node reports it. */
export async function loadPeers(): Promise<void> {
  const answer = await getJson<{ nodes?: unknown[]; peers?: unknown[] }>('/nodes');
  state.peers = normalizePeers(answer);
  changed('peers');
}

/** `/nodes` answers `{nodes: [...]}` and, on newer nodes, `{peers: [{address, status, ...}]}`. */
export function normalizePeers(answer: { nodes?: unknown[]; peers?: unknown[] }): PeerView[] {
  if (Array.isArray(answer.peers)) {
    return answer.peers
      .map((p): PeerView | null => {
        if (typeof p === 'string') return { address: p };
        if (p && typeof p === 'object') {
          const record = p as Record<string, unknown>;
          const address = record.address ?? record.peer ?? record.key ?? record.url;
          return typeof address === 'string' ? ({ ...record, address } as PeerView) : null;
        }
        return null;
      })
      .filter((p): p is PeerView => p !== null);
  }
  return (answer.nodes ?? []).filter((n): n is string => typeof n === 'string').map((address) => ({ address }));
}

/** Loads the node's rules and mining status. */
export async function loadMining(): Promise<void> {
  const answer = await getJson<{
    mining: boolean;
    last_rate: number;
    threads?: number;
    kernel?: string;
    difficulty: number;
    profile: string;
  }>('/mining');
  state.info = {
    profile: answer.profile,
    difficulty: answer.difficulty,
    ...(answer.threads === undefined ? {} : { threads: answer.threads }),
    ...(answer.kernel === undefined ? {} : { kernel: answer.kernel }),
  };
  state.nodeId = state.nodeId ?? nodeIdSeen();
  state.mining = answer.mining;
  state.lastRate = answer.last_rate;
  changed('info', 'mining');
}

/** Loads everything (at start, and after the event stream reconnects: events may have been missed). */
export async function loadAll(): Promise<void> {
  await Promise.all([loadMining(), loadChain(), loadPending(), loadPeers()]);
}
