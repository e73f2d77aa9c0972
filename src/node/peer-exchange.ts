/**
 * Peer exchange: blockforge nodes tell each other which peers they know (`GET /peer/addresses`), so a
 * node given one address (a teacher's node) learns the whole network from it. What is learned this
 * way is only a candidate: the network dials each one back (`/peer/status`, the node id it was listed
 * with) before it becomes a learned peer, in the same bounded table as the peers learned from hellos.
 *
 * Bounds (README "Limits"): an answer lists at most {@link MAX_SHARED_PEERS} peers (~100 bytes each,
 * read with the 64 KiB cap of small answers); a node asks one peer at most every
 * {@link EXCHANGE_INTERVAL_S} seconds and answers each remote address at most
 * {@link EXCHANGE_BURST} times in a row, then one every {@link EXCHANGE_REFILL_S} seconds (429 beyond);
 * at most {@link MAX_CANDIDATES} candidates wait for their check, checked a few at a time.
 */

import { isIP } from 'node:net';
import { isJsonObject, type JsonObject } from '../core/json.js';
import { type PeerAddress, parsePeerAddress } from './peer-address.js';
import { misbehaving } from './peer-kinds.js';

/** Most peers one exchange answer lists, and most an asker takes from one answer. */
export const MAX_SHARED_PEERS = 64;

/** Seconds before the same peer is asked for its peers again. */
export const EXCHANGE_INTERVAL_S = 60;

/**
 * Exchanges one remote address may ask in a row (a classroom on one laptop is one address: 50 nodes
 * of `blockforge class` asking the first one at start), then one every {@link EXCHANGE_REFILL_S}.
 */
export const EXCHANGE_BURST = 64;
export const EXCHANGE_REFILL_S = 1;

/** Candidates waiting for their dial-back check; the oldest are dropped beyond it. */
export const MAX_CANDIDATES = 256;

/** How a learned peer came to be known. */
export type LearnedVia = 'hello' | 'exchange' | 'discovery';

/** An address to check: a peer's listing or a discovery announcement, not yet verified. */
export interface PeerCandidate {
  readonly address: PeerAddress;
  /** The node id it was listed with: the dial-back must find this node there. */
  readonly nodeId: string;
  readonly via: Exclude<LearnedVia, 'hello'>;
}

/**
 * An exchange answer, `{peers: [{address, node_id}, ...]}`, read from a peer: a malformed answer is
 * the peer's fault; entries that cannot be peers (a bad address or id) are skipped one by one, and at
 * most {@link MAX_SHARED_PEERS} are taken.
 */
export function readExchangeAnswer(answer: JsonObject): { address: PeerAddress; nodeId: string }[] {
  const list = answer.peers;
  if (!Array.isArray(list)) throw misbehaving('peer exchange answer has no "peers" list');
  const out: { address: PeerAddress; nodeId: string }[] = [];
  for (const entry of list.slice(0, MAX_SHARED_PEERS)) {
    if (!isJsonObject(entry) || typeof entry.address !== 'string' || typeof entry.node_id !== 'string') continue;
    if (!/^[0-9a-f]{32}$/.test(entry.node_id) || entry.address.length > 300) continue;
    try {
      out.push({ address: parsePeerAddress(entry.address), nodeId: entry.node_id });
    } catch {
      // Not an address: skipped (a peer on a newer version may list kinds we do not know).
    }
  }
  return out;
}

/** Candidates in arrival order, one per address, bounded (the oldest go first when it is full). */
export class CandidateQueue {
  private readonly queue = new Map<string, PeerCandidate>();

  constructor(private readonly capacity = MAX_CANDIDATES) {}

  get size(): number {
    return this.queue.size;
  }

  /** Adds a candidate unless its address is already waiting; returns whether it was added. */
  push(candidate: PeerCandidate): boolean {
    if (this.queue.has(candidate.address.key)) return false;
    if (this.queue.size >= this.capacity) this.queue.delete(this.queue.keys().next().value as string);
    this.queue.set(candidate.address.key, candidate);
    return true;
  }

  /** The oldest candidate, removed. */
  shift(): PeerCandidate | undefined {
    const first = this.queue.entries().next();
    if (first.done) return undefined;
    this.queue.delete(first.value[0]);
    return first.value[1];
  }

  clear(): void {
    this.queue.clear();
  }
}

/**
 * A token bucket per key (a remote address): `burst` requests at once, then one every `refillSeconds`.
 * At most `maxKeys` buckets are kept: beyond it the bucket least recently refilled is forgotten
 * (a forgotten key starts full again, so the bound costs at most one burst per forgotten key).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly refillSeconds: number,
    private readonly clock: () => number,
    private readonly maxKeys = 4_096,
  ) {
    if (!(burst >= 1) || !(refillSeconds > 0)) throw new RangeError('RateLimiter: burst >= 1 and refill > 0');
  }

  /** Takes one token for `key`: true if it had one, else false and the request should be refused. */
  take(key: string): boolean {
    const now = this.clock();
    const known = this.buckets.get(key);
    // A clock stepping back refills nothing (and never refuses for the length of the step).
    const tokens = known
      ? Math.min(this.burst, known.tokens + Math.max(0, now - known.at) / this.refillSeconds)
      : this.burst;
    // Re-inserted so the Map's order is least recently used first.
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: now });
      return false;
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    return true;
  }
}

/**
 * The rate-limit key of a remote address: an IPv4 address (also written `::ffff:a.b.c.d`) as it is,
 * an IPv6 address by its /64 (one host may use any address of its /64, so counting addresses would
 * let it ask without limit).
 */
export function remoteKey(remote: string | undefined): string {
  if (remote === undefined) return 'unknown';
  const lower = remote.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
  if (isIP(lower) !== 6) return lower;
  // Expand "::" so the first four groups are the /64.
  const [head = '', tail] = lower.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
