/**
 * The peer list of a node (its one owner: the peer network loads it from storage and adds to it
 * through here) and each peer's health, in memory: when each peer was last seen, how often it failed in a row (with an
 * exponential backoff before the next automatic attempt), what kind of node it is (blockforge, or a
 * tutorial node with only the five routes), and bans for peers that sent invalid data.
 */

import type { PeerAddress } from './peer-address.js';

/** What kind of node a peer turned out to be. */
export type PeerKind = 'blockforge' | 'tutorial' | 'unknown';

/**
 * How a peer came to be known: `registered` by the user (kept, persisted), or `learned` from a peer
 * that said hello or pushed and whose address answered as that node (kept in memory, evicted on its
 * first failure, never counted against the registered ones).
 */
export type PeerOrigin = 'registered' | 'learned';

/** Health of one peer, as `GET /nodes` shows it. */
export interface PeerHealth {
  readonly address: string;
  readonly status: 'ok' | 'failing' | 'banned' | 'new' | 'incompatible';
  readonly kind: PeerKind;
  readonly origin: PeerOrigin;
  /** Unix seconds of the last successful exchange, or null. */
  readonly lastSeen: number | null;
  /** Failures in a row. */
  readonly failures: number;
  /** Unix seconds before which automatic sync skips it (backoff), or null. */
  readonly retryAt: number | null;
  /** Unix seconds when its ban ends, or null. */
  readonly bannedUntil: number | null;
  /** Why it was banned or last failed. */
  readonly lastError: string | null;
  /** Its chain height when last seen. */
  readonly height: number | null;
  readonly nodeId: string | null;
}

/**
 * A peer's chain as its last status showed it (`/peer/status`; a tutorial peer's `/chain`): what the
 * network view compares with ours. Hashes and parameters are the peer's claims, not checked.
 */
export interface PeerTip {
  readonly height: number;
  /** Its tip's hash, when it said (or its chain showed). */
  readonly hash: string | null;
  /** Its chain's total work, a decimal integer, when known. */
  readonly work: string | null;
  /** Its genesis block's hash, when known. */
  readonly genesis: string | null;
  /** Its rules: the profile's name and parameters, as text (tutorial peers: unknown). */
  readonly profile: string | null;
  readonly params: Readonly<Record<string, string>>;
  /** Unix seconds when it was seen. */
  readonly seenAt: number;
}

interface PeerState {
  address: PeerAddress;
  /** Why it cannot be synced with (it runs other rules), or null. */
  incompatible: string | null;
  kind: PeerKind;
  origin: PeerOrigin;
  lastSeen: number | null;
  failures: number;
  retryAt: number | null;
  bannedUntil: number | null;
  lastError: string | null;
  height: number | null;
  nodeId: string | null;
  tip: PeerTip | null;
}

/** Longest backoff between automatic attempts at a failing peer, in seconds. */
export const MAX_BACKOFF_SECONDS = 300;

/** Health records of a node's peers. */
export class PeerRegistry {
  private readonly states = new Map<string, PeerState>();

  /**
   * @param banSeconds how long a peer that sent invalid data is ignored
   * @param clock Unix seconds
   */
  constructor(
    private readonly banSeconds: number,
    private readonly clock: () => number,
  ) {}

  /**
   * Starts tracking `address` (no-op when already tracked, except that registering a learned peer
   * makes it a registered one).
   */
  track(address: PeerAddress, origin: PeerOrigin = 'registered'): void {
    const known = this.states.get(address.key);
    if (known) {
      if (origin === 'registered') known.origin = 'registered';
      return;
    }
    this.states.set(address.key, {
      address,
      kind: 'unknown',
      origin,
      incompatible: null,
      lastSeen: null,
      failures: 0,
      retryAt: null,
      bannedUntil: null,
      lastError: null,
      height: null,
      nodeId: null,
      tip: null,
    });
  }

  /** Tracked peer addresses, in the order they were added. */
  addresses(): PeerAddress[] {
    return [...this.states.values()].map((s) => s.address);
  }

  /** Number of tracked peers of `origin`. */
  count(origin: PeerOrigin): number {
    let n = 0;
    for (const state of this.states.values()) if (state.origin === origin) n++;
    return n;
  }

  /** How the peer came to be known (undefined when it is not tracked). */
  originOf(key: string): PeerOrigin | undefined {
    return this.states.get(key)?.origin;
  }

  /** Stops tracking `key`; true if it was tracked. */
  remove(key: string): boolean {
    return this.states.delete(key);
  }

  /** Failures in a row of the peer (0 when unknown). */
  failuresOf(key: string): number {
    return this.states.get(key)?.failures ?? 0;
  }

  /** What kind of node the peer turned out to be. */
  kindOf(key: string): PeerKind {
    return this.states.get(key)?.kind ?? 'unknown';
  }

  /** The tracked address for `key`, if any. */
  get(key: string): PeerAddress | undefined {
    return this.states.get(key)?.address;
  }

  /** The tracked peer that said it is node `nodeId`, if any (one node reached at two addresses). */
  findByNodeId(nodeId: string): PeerAddress | undefined {
    for (const state of this.states.values()) if (state.nodeId === nodeId) return state.address;
    return undefined;
  }

  /** A successful exchange with the peer. */
  succeeded(
    key: string,
    info: { kind?: PeerKind; height?: number; nodeId?: string; tip?: Omit<PeerTip, 'seenAt'> } = {},
  ): void {
    const state = this.states.get(key);
    if (!state) return;
    state.lastSeen = this.clock();
    state.failures = 0;
    state.retryAt = null;
    // A ban's reason stays while the ban lasts (a push to it may still succeed meanwhile).
    if (state.bannedUntil === null || state.bannedUntil <= this.clock()) state.lastError = null;
    if (info.kind) state.kind = info.kind;
    if (info.height !== undefined) state.height = info.height;
    if (info.nodeId !== undefined) state.nodeId = info.nodeId;
    if (info.tip !== undefined) state.tip = { ...info.tip, seenAt: this.clock() };
  }

  /** The peer's chain as last seen, or null. */
  tipOf(key: string): PeerTip | null {
    return this.states.get(key)?.tip ?? null;
  }

  /** Marks the peer as one without blockforge's routes (a tutorial node): pulled from, never pushed to. */
  markTutorial(key: string): void {
    const state = this.states.get(key);
    if (state && state.kind === 'unknown') state.kind = 'tutorial';
  }

  /** Records whether the peer runs rules we cannot sync with (`reason`), or not (null). */
  setIncompatible(key: string, reason: string | null): void {
    const state = this.states.get(key);
    if (state) state.incompatible = reason;
  }

  /** Records the height a peer was seen at. */
  sawHeight(key: string, height: number): void {
    const state = this.states.get(key);
    if (state) state.height = height;
  }

  /**
   * The peer failed (unreachable, slow): back off exponentially before trying it again. Returns
   * how many times in a row it has failed.
   */
  failed(key: string, reason: string): number {
    const state = this.states.get(key);
    if (!state) return 0;
    state.failures++;
    state.lastError = reason;
    state.retryAt = this.clock() + Math.min(2 ** state.failures, MAX_BACKOFF_SECONDS);
    return state.failures;
  }

  /** The peer sent invalid data: ignore it for a while. */
  ban(key: string, reason: string): void {
    const state = this.states.get(key);
    if (!state) return;
    state.bannedUntil = this.clock() + this.banSeconds;
    state.lastError = reason;
  }

  /** True while the peer is banned. */
  isBanned(key: string): boolean {
    const until = this.states.get(key)?.bannedUntil;
    return until !== null && until !== undefined && until > this.clock();
  }

  /** True when automatic sync and push may contact the peer now (not banned, not backing off). */
  isAvailable(key: string): boolean {
    const state = this.states.get(key);
    if (!state || this.isBanned(key)) return false;
    return state.retryAt === null || state.retryAt <= this.clock();
  }

  /** True when pushes should go to the peer (it has blockforge's routes, as far as we know). */
  acceptsPush(key: string): boolean {
    return this.isAvailable(key) && this.states.get(key)?.kind !== 'tutorial';
  }

  /** Health of every peer. */
  health(): PeerHealth[] {
    const now = this.clock();
    return [...this.states.values()].map((s) => ({
      address: s.address.key,
      origin: s.origin,
      status:
        s.bannedUntil !== null && s.bannedUntil > now
          ? 'banned'
          : s.failures > 0
            ? 'failing'
            : s.incompatible !== null
              ? 'incompatible'
              : s.lastSeen === null
                ? 'new'
                : 'ok',
      kind: s.kind,
      lastSeen: s.lastSeen,
      failures: s.failures,
      retryAt: s.retryAt,
      bannedUntil: s.bannedUntil !== null && s.bannedUntil > now ? s.bannedUntil : null,
      lastError: s.incompatible ?? s.lastError,
      height: s.height,
      nodeId: s.nodeId,
    }));
  }
}
