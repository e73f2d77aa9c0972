/**
 * The peer network of one node, a service beside it: the peer list (its one owner), blocks and
 * transactions pushed to peers as they happen, chains synced incrementally (find the fork point,
 * fetch only the blocks after it, in pages), a sync at start and every interval, the inbound peer
 * protocol, and per-peer health with backoff and bans. It reaches the node through the narrow
 * {@link ChainNode} interface and peers through a {@link PeerTransport}, so the whole of it runs
 * in-process on an in-memory network in tests. Tutorial peers (only the five routes) are pulled
 * from with the full `/chain` download and never pushed to (see `peer-kinds.ts`).
 *
 * Wire protocol (JSON; see README "Peer protocol"):
 * - `GET /peer/status` -> `{node_id, profile, <params>, height, work, tip, genesis}`
 * - `POST /peer/locate` `{locator: [{index, hash}, ...]}` -> `{common, height}`
 * - `GET /blocks?from=I&limit=N` -> `{blocks: [...], height}`
 * - `POST /peer/blocks` `{block, sender}`; `POST /peer/transactions` `{id, transaction, sender}`;
 *   `POST /peer/hello` `{sender}`, where `sender` is `{node_id, port, advertise?}`;
 * - `GET /peer/addresses` -> `{peers: [{address, node_id}, ...]}`: the peers this node has reached
 *   (peer exchange, see `peer-exchange.ts`).
 */

import { EventEmitter } from 'node:events';
import type { Block, Transaction } from '../core/block.js';
import type { ValidatedBranch } from '../core/chain.js';
import { BlockforgeError, ChainRuleError, ErrorCode } from '../core/errors.js';
import { fromPlain, isJsonObject, JsonNumber, type JsonObject, type JsonValue, writeJson } from '../core/json.js';
import type { NodeLogger, OfferResult, Reorg } from './blockforge-node.js';
import type { NodeEvents } from './node-events.js';
import {
  canonicalHost,
  hostScope,
  isSelfAddress,
  localHosts,
  type PeerAddress,
  parsePeerAddress,
} from './peer-address.js';
import {
  httpTransport,
  NODE_ID_HEADER,
  type PeerRequestLimits,
  type PeerSession,
  type PeerTransport,
} from './peer-client.js';
import { PeerError } from './peer-error.js';
import {
  CandidateQueue,
  EXCHANGE_BURST,
  EXCHANGE_INTERVAL_S,
  EXCHANGE_REFILL_S,
  type LearnedVia,
  MAX_SHARED_PEERS,
  type PeerCandidate,
  RateLimiter,
  readExchangeAnswer,
  remoteKey,
} from './peer-exchange.js';
import {
  blockforgePeers,
  type FetchedBranch,
  type LocalChain,
  MAX_LOCATOR,
  misbehaving,
  NotThisKind,
  type PeerContext,
  type PeerKindAdapter,
  type Probe,
  parseJsonAnswer,
  precheck,
  SMALL_ANSWER_BYTES,
  SYNC_DEADLINE_MS,
  tutorialPeers,
} from './peer-kinds.js';
import { type PeerHealth, PeerRegistry } from './peer-registry.js';
import type { PeerStore } from './storage.js';

/** What the network needs of the node: its chain, and the few ways it may change it. */
export interface ChainNode extends LocalChain {
  readonly events: NodeEvents;
  readonly tip: Block;
  /** Wire JSON list of blocks `[from, to)` (0-based), UTF-8. */
  blocksJson(from?: number, to?: number): Buffer;
  /** A pushed block, decoded and handled by the node's rules. */
  offerBlock(value: JsonValue, peer?: string): OfferResult;
  /**
   * Switches to a validated branch if it has more work. `texts[k]`, where given, is block k's text
   * exactly as `writeJson` writes its JSON (stored as it is, not written again).
   */
  adoptBranch(
    forkHeight: number,
    branch: ValidatedBranch,
    peer?: string,
    texts?: readonly (string | undefined)[],
  ): Reorg | null;
  /** Adds a transaction (parsed by the profile's policy) to the mempool. */
  submitTransaction(
    tx: Transaction,
    origin?: { id?: string; peer?: string; source?: 'client' | 'peer' },
  ): Promise<number>;
}

/** Options of the peer network. */
export interface NetworkOptions {
  /** The port this node serves on (to refuse registering itself, and to tell peers). */
  readonly port: number;
  /** Milliseconds between automatic syncs; 0 disables them. */
  readonly syncIntervalMs: number;
  /** How peers reach this node (sent to them, so they add us back); else they use our IP and port. */
  readonly advertise?: string;
  /** How long a peer that sent invalid data is ignored, in seconds. */
  readonly banSeconds: number;
  /** Limits on every request to a peer. */
  readonly peerLimits: PeerRequestLimits;
  /**
   * Whether peers are asked for the peers they know, and told ours (peer exchange; default true).
   * Off, a node neither asks nor lists (its answer is empty) and learns only the peers that say
   * hello: with it off everywhere, the topology is what the users registered (a line, a ring).
   */
  readonly peerExchange?: boolean;
  /**
   * Most peers one block or transaction is pushed to (picked at random among those that take
   * pushes); {@link PUSH_FANOUT} unless given (`Infinity`: all of them).
   */
  readonly pushFanout?: number;
  /**
   * How much of a long branch is adopted at once while it is fetched (blocks and bytes of page
   * text); `ADOPT_EVERY_BLOCKS` and `ADOPT_EVERY_BYTES` unless given (tests give smaller parts).
   */
  readonly adoptEvery?: { readonly blocks: number; readonly bytes: number };
}

/** Default peer limits: a few seconds, and room for a chain of ~100k blocks. */
export const DEFAULT_PEER_LIMITS: PeerRequestLimits = {
  connectTimeoutMs: 2_000,
  totalTimeoutMs: 5_000,
  maxBytes: 32 * 1024 * 1024,
};

/** Most peers the user may register (each is fetched on every resolve). */
export const MAX_PEERS = 256;

/**
 * Most peers learned from hellos and pushes, apart from the registered ones (so strangers cannot
 * crowd out the user's peers): kept in memory only, each dropped on its first failure.
 */
export const MAX_LEARNED_PEERS = 64;

/**
 * Most learned peers at one IP address (loopback apart: nodes of `blockforge class` share it): one
 * machine answering as many nodes on many ports cannot fill the table, and so cut this node off
 * from the honest ones.
 */
export const MAX_LEARNED_PER_HOST = 4;

/**
 * Failures in a row after which a learned peer is dropped: with the backoff between attempts
 * (2, 4, 8, 16 s) about half a minute of being unreachable.
 */
const LEARNED_MAX_FAILURES = 5;

/** Syncs in a row with a peer whose chain "moved" before that peer counts as misbehaving. */
const MAX_MOVED_SYNCS = 3;

/** Time one peer's sync may take within a `/nodes/resolve`, all pages included. */
const MANUAL_SYNC_DEADLINE_MS = 30_000;

/**
 * Automatic rounds between two hellos to every registered blockforge peer (a minute at the default
 * interval): a peer that missed or dropped our hello (its checks were busy, it restarted) learns us
 * again.
 */
const HELLO_EVERY_ROUNDS = 6;

/** Fewest seconds between two syncs a peer's pushes may trigger (each peer one at a time). */
const PUSH_SYNC_INTERVAL_S = 2;

/** Seconds before an address that failed the dial-back check may be checked again. */
const VERIFY_RETRY_S = 30;

/** Dial-back checks in flight at once: a flood of hellos cannot make this node dial out without bound. */
const MAX_VERIFYING = 16;

/**
 * Candidates (from peer exchange and discovery) checked at once: half the dial-back budget, so the
 * hellos of nodes that found us still get checked while a long listing is worked through.
 */
const MAX_CANDIDATE_CHECKS = MAX_VERIFYING / 2;

/** Peers asked for their peers every {@link HELLO_EVERY_ROUNDS} rounds (besides the registered ones). */
const EXCHANGES_PER_ROUND = 2;

/**
 * Below this many peers a node also asks the peers it learns for theirs (a node that knows few is
 * still finding the network); above it only its registered peers and a few each minute.
 */
const FEW_PEERS = 8;

/**
 * Peers a block or transaction is pushed to, at most (picked at random; each receiver relays it the
 * same way). Measured on 30 hosts (docs/network.md): pushing to all 29 cost each node ~43 KB and
 * ~53 ms of CPU per block; a few random ones reach everyone in two or three hops.
 */
export const PUSH_FANOUT = 8;

/** Pushes in flight at once, and queued before the oldest are dropped. */
const PUSH_CONCURRENCY = 8;
const PUSH_QUEUE = 2_000;

export { buildLocator, MAX_LOCATOR, SYNC_PAGE } from './peer-kinds.js';

/** What happened with one peer during a sync round. */
export interface PeerReport {
  readonly peer: string;
  /** `adopted`, `not-longer`, `not-chosen`, `banned`, `incompatible`, or a failure (`invalid`, `timeout`, ...). */
  readonly status: string;
  /** Blocks the peer's chain has (counted or reported), when known. */
  readonly length?: number;
  readonly code?: string;
  readonly misbehaved?: boolean;
  readonly reason?: string;
  readonly ms: number;
}

/** Outcome of a sync round (`/nodes/resolve`, periodic sync). */
export interface ResolveOutcome {
  readonly replaced: boolean;
  readonly chain: readonly Block[];
  readonly peers: readonly PeerReport[];
  readonly returned: number;
  readonly dropped: number;
}

/** Events of the network (streamed to browsers beside the node's). */
export interface NetworkEventMap {
  /** The peer list changed. */
  peers: [{ peers: readonly string[] }];
}

/** One peer's probe within a round. */
interface RoundEntry {
  readonly peer: PeerAddress;
  readonly adapter: PeerKindAdapter;
  report: PeerReport;
  /** Set when the probe succeeded and the peer is compatible. */
  probe?: Probe;
}

const STATUS_OF_CODE: Record<string, string> = {
  [ErrorCode.PeerUnreachable]: 'unreachable',
  [ErrorCode.PeerTimeout]: 'timeout',
  [ErrorCode.PeerTooLarge]: 'too-large',
  [ErrorCode.PeerHttpStatus]: 'http-error',
  [ErrorCode.PeerBadResponse]: 'bad-response',
  [ErrorCode.PeerChainMoved]: 'moved',
  [ErrorCode.InvalidJson]: 'bad-response',
  [ErrorCode.DuplicateKey]: 'bad-response',
  [ErrorCode.JsonTooDeep]: 'bad-response',
  [ErrorCode.PeerIsSelf]: 'self',
};

/** A set that remembers at least its last `capacity / 2` entries, at most `capacity` (gossip dedup). */
class RecentSet {
  // Two generations, dropped whole: deleting a Set's oldest entry one at a time leaves holes at its
  // front that every later lookup walks over (measured: ~21 us per new transaction once 65,536
  // had passed, against 0.08 us this way).
  private current = new Set<string>();
  private previous = new Set<string>();
  constructor(private readonly capacity: number) {}
  has(key: string): boolean {
    return this.current.has(key) || this.previous.has(key);
  }
  add(key: string): void {
    this.current.add(key);
    if (this.current.size >= this.capacity / 2) {
      this.previous = this.current;
      this.current = new Set();
    }
  }
}

/**
 * Whether an error from a peer's data means the peer misbehaved: a peer error says so itself; a
 * chain rule broken by its blocks is misbehaviour (an honest node of our kind never sends one).
 */
function misbehaved(err: BlockforgeError, kind: PeerKindAdapter['kind']): boolean {
  if (err instanceof PeerError) return err.misbehaved;
  if (!(err instanceof ChainRuleError)) return false;
  // A tutorial node adopts any chain its `valid_chain` passes (links and proofs of work only), so
  // an honest one may relay a chain that breaks our other rules (a genesis of other rules too):
  // only those two, and a lying envelope, count against it.
  return kind !== 'tutorial' || TUTORIAL_FAULTS.has(err.code);
}

/** Chain rule failures a tutorial peer is to blame for (see {@link misbehaved}). */
const TUTORIAL_FAULTS = new Set<string>([
  ErrorCode.PreviousHashMismatch,
  ErrorCode.ProofOfWork,
  ErrorCode.LengthMismatch,
  ErrorCode.ChainEnvelope,
  ErrorCode.ChainEmpty,
]);

/** Failures of this node itself (its disk, its shutdown): never held against the peer it was syncing with. */
const LOCAL_FAULTS = new Set<string>([
  ErrorCode.StorageFull,
  ErrorCode.StorageCorrupt,
  ErrorCode.DataDirReadOnly,
  ErrorCode.ShuttingDown,
  ErrorCode.Internal,
]);

/** The peer network of one node. */
export class PeerNetwork {
  /** The peer list and each peer's health. */
  readonly registry: PeerRegistry;
  readonly events = new EventEmitter<NetworkEventMap>();
  private readonly options: NetworkOptions;
  private readonly transport: PeerTransport;
  private readonly context: PeerContext;
  private readonly manualContext: PeerContext;
  /** Automatic rounds run so far (every few, registered peers get a hello again). */
  private periodicRounds = 0;
  private readonly seenBlocks = new RecentSet(4_096);
  private readonly seenTransactions = new RecentSet(65_536);
  private readonly selfHosts = localHosts();
  private rounds: Promise<unknown> = Promise.resolve();
  private roundRunning = false;
  /** The `/nodes/resolve` round running now, shared by every caller. */
  private manualRound: Promise<ResolveOutcome> | null = null;
  /** Syncs in a row whose chain moved underneath, per peer (reset when a sync with it completes). */
  private readonly moved = new Map<string, number>();
  /** Peers whose pushes have a sync waiting or running. */
  private readonly pushSyncs = new Set<string>();
  /** When each peer's last push-triggered sync ended. */
  private readonly lastPushSync = new Map<string, number>();
  /** Dial-back checks of unknown senders in flight, by address. */
  private readonly verifying = new Map<string, Promise<boolean>>();
  /** When an address last failed the dial-back check. */
  private readonly verifyFailed = new Map<string, number>();
  /** Addresses listed by peers or found on the LAN, waiting for their dial-back check. */
  private readonly candidates = new CandidateQueue();
  /** When a candidate's address last failed its check. */
  private readonly candidateFailed = new Map<string, number>();
  /** When each peer was last asked for its peers. */
  private readonly lastExchange = new Map<string, number>();
  /** Exchange answers per remote address (`/peer/addresses`). */
  private readonly exchangeLimiter: RateLimiter;
  private timer: NodeJS.Timeout | null = null;
  private readonly pushQueue: (() => Promise<void>)[] = [];
  private pushing = 0;
  /** The connections pushes reuse (null: a transport without sessions; undefined: not opened yet). */
  private pushSession: PeerSession | null | undefined;
  private started = false;
  private stopped = false;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(
    private readonly node: ChainNode,
    private readonly store: PeerStore,
    options: Partial<Omit<NetworkOptions, 'peerLimits'>> & {
      port: number;
      peerLimits?: Partial<PeerRequestLimits>;
    },
    private readonly logger: NodeLogger,
    private readonly clock: () => number,
    transport: PeerTransport = httpTransport,
  ) {
    this.options = {
      syncIntervalMs: 10_000,
      banSeconds: 300,
      pushFanout: PUSH_FANOUT,
      ...options,
      peerLimits: { ...DEFAULT_PEER_LIMITS, ...options.peerLimits },
    };
    this.transport = transport;
    this.registry = new PeerRegistry(this.options.banSeconds, clock);
    this.exchangeLimiter = new RateLimiter(EXCHANGE_BURST, EXCHANGE_REFILL_S, clock);
    this.context = {
      transport,
      limits: this.options.peerLimits,
      smallLimits: { ...this.options.peerLimits, maxBytes: SMALL_ANSWER_BYTES },
      syncDeadlineMs: SYNC_DEADLINE_MS,
      local: node,
      clock,
      logger,
      ...(this.options.adoptEvery ? { adoptEvery: this.options.adoptEvery } : {}),
    };
    // A resolve someone waits for gives each peer's sync less time: a peer serving a long chain
    // slowly must not hold the answer for minutes (the automatic rounds go on with it).
    this.manualContext = { ...this.context, syncDeadlineMs: MANUAL_SYNC_DEADLINE_MS };
    for (const row of store.loadPeers()) this.registry.track(parsePeerAddress(row.address), 'registered');
  }

  /** Peers, in the order they were added. */
  get peers(): readonly PeerAddress[] {
    return this.registry.addresses();
  }

  /** What this node tells peers about itself. */
  private get sender(): JsonObject {
    return fromPlain({
      node_id: this.node.nodeId,
      port: this.options.port,
      ...(this.options.advertise ? { advertise: this.options.advertise } : {}),
    }) as JsonObject;
  }

  /** Starts pushing, says hello to the peers, syncs now and then every interval. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const { events } = this.node;
    const onBlock = ({ block, peer }: { block: Block; peer?: string }): void => this.announceBlock(block, peer);
    const onReplaced = ({ peer }: { peer?: string }): void => this.announceBlock(this.node.tip, peer);
    const onTransaction = ({ tx, id, peer }: { tx: Transaction; id: string; peer?: string }): void => {
      this.seenTransactions.add(id);
      // To every peer: a transaction a push missed has no other way to a mempool (blocks do: the sync).
      this.broadcast(
        '/peer/transactions',
        { id, transaction: tx.json, sender: this.sender },
        peer,
        Number.POSITIVE_INFINITY,
      );
    };
    events.on('block', onBlock);
    events.on('chain-replaced', onReplaced);
    events.on('transaction', onTransaction);
    this.unsubscribe.push(
      () => events.off('block', onBlock),
      () => events.off('chain-replaced', onReplaced),
      () => events.off('transaction', onTransaction),
    );
    void Promise.all(this.peers.map((peer) => this.hello(peer))).then(() => this.periodic());
    if (this.options.syncIntervalMs > 0) {
      this.timer = setInterval(() => this.periodic(), this.options.syncIntervalMs);
      this.timer.unref();
    }
  }

  /** Stops the timer, listeners and queued pushes. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const off of this.unsubscribe.splice(0)) off();
    this.pushQueue.length = 0;
    this.candidates.clear();
    this.pushSession?.close();
  }

  /** Peer health for `GET /nodes`. */
  health(): PeerHealth[] {
    return this.registry.health();
  }

  // ---- the peer list -----------------------------------------------------------------------

  /**
   * Validates and stores peer addresses, all or nothing. Returns every peer's key afterwards.
   * Throws INVALID_NODES naming the first bad entry.
   */
  registerPeers(inputs: readonly string[]): string[] {
    const parsed = inputs.map((input, k) => {
      try {
        const address = parsePeerAddress(input);
        if (isSelfAddress(address, this.options.port, this.selfHosts)) {
          throw new BlockforgeError(ErrorCode.InvalidNodes, `${address.key} is this node itself`, { field: 'nodes' });
        }
        return address;
      } catch (err) {
        const message = err instanceof BlockforgeError ? err.message : String(err);
        throw new BlockforgeError(
          ErrorCode.InvalidNodes,
          `Error: Please supply a valid list of nodes (item ${k + 1}: ${message})`,
          { field: 'nodes' },
        );
      }
    });
    const added: PeerAddress[] = [];
    const seen = new Set<string>();
    for (const address of parsed) {
      if (this.registry.originOf(address.key) !== 'registered' && !seen.has(address.key)) {
        seen.add(address.key);
        added.push(address);
      }
    }
    if (this.registry.count('registered') + added.length > MAX_PEERS) {
      throw new BlockforgeError(
        ErrorCode.InvalidNodes,
        `Error: Please supply a valid list of nodes (a node keeps at most ${MAX_PEERS} peers)`,
        { field: 'nodes' },
      );
    }
    if (added.length > 0) {
      this.store.addPeers(
        added.map((a) => a.key),
        this.clock(),
      );
      for (const address of added) this.registry.track(address, 'registered');
      this.logger.info({ peers: added.map((a) => a.key) }, 'peers added');
      this.events.emit('peers', { peers: this.peers.map((p) => p.key) });
      // New peers get a hello (so they add us back); the next sync round pulls from them. No sync
      // here: the tutorial's "register, then resolve" still shows the chain being replaced.
      if (this.started && !this.stopped) for (const address of added) void this.hello(address);
    }
    return this.peers.map((p) => p.key);
  }

  /**
   * Removes a peer (given as the user typed it or as `GET /nodes` lists it), from memory and from
   * storage. Returns false when it is not a peer. Throws INVALID_NODES for an address that cannot be one.
   */
  removePeer(input: string): boolean {
    let key: string;
    try {
      key = parsePeerAddress(input).key;
    } catch (err) {
      throw new BlockforgeError(ErrorCode.InvalidNodes, (err as Error).message, { field: 'peer' });
    }
    if (!this.registry.get(key)) return false;
    // Storage first: if the write fails (a full disk), the peer stays, in memory as on disk.
    this.store.removePeer(key);
    this.registry.remove(key);
    this.logger.info({ peer: key }, 'peer removed');
    this.events.emit('peers', { peers: this.peers.map((p) => p.key) });
    return true;
  }

  // ---- sync -------------------------------------------------------------------------------

  /**
   * `/nodes/resolve`: a sync round with every peer that is not banned, started at once: it does not
   * wait behind automatic rounds (a peer that never answers cannot hold it hostage), and each of its
   * requests has its own time limit. Adoption is atomic and re-checks the work, so rounds may overlap.
   */
  resolve(): Promise<ResolveOutcome> {
    // Callers asking at the same time share one round: N browsers resolving do not fetch N times.
    if (!this.manualRound) {
      this.manualRound = this.round(this.peers, true).finally(() => {
        this.manualRound = null;
      });
    }
    return this.manualRound;
  }

  private periodic(): void {
    if (this.stopped || this.roundRunning) return;
    if (++this.periodicRounds % HELLO_EVERY_ROUNDS === 0) {
      for (const peer of this.peers) {
        if (this.registry.originOf(peer.key) === 'registered' && this.registry.kindOf(peer.key) === 'blockforge') {
          void this.hello(peer);
        }
      }
      // A few learned peers are asked for theirs too: a node that joined after our registered
      // peers last answered is learned within a minute or two, without asking everyone each time.
      const learned = this.peers.filter(
        (p) =>
          this.registry.originOf(p.key) === 'learned' &&
          this.registry.kindOf(p.key) === 'blockforge' &&
          this.registry.isAvailable(p.key),
      );
      for (let k = 0; k < EXCHANGES_PER_ROUND && learned.length > 0; k++) {
        const [peer] = learned.splice(Math.floor(Math.random() * learned.length), 1);
        void this.exchange(peer as PeerAddress);
      }
    }
    const due = this.peers.filter((p) => this.registry.isAvailable(p.key));
    if (due.length > 0) void this.syncRound(due, false).catch(() => undefined);
  }

  /**
   * Syncs with `peer` soon (its push showed it is ahead): at most one such sync per peer waiting
   * or running, and at most one every {@link PUSH_SYNC_INTERVAL_S} seconds, whatever it pushes.
   */
  private syncSoon(peer: PeerAddress): void {
    if (this.stopped || this.pushSyncs.has(peer.key) || !this.registry.isAvailable(peer.key)) return;
    const last = this.lastPushSync.get(peer.key) ?? Number.NEGATIVE_INFINITY;
    if (this.clock() - last < PUSH_SYNC_INTERVAL_S) return;
    this.pushSyncs.add(peer.key);
    void this.syncRound([peer], false)
      .catch(() => undefined)
      .finally(() => {
        this.pushSyncs.delete(peer.key);
        this.lastPushSync.set(peer.key, this.clock());
      });
  }

  /** Automatic rounds run one at a time; each adopts the valid branch with the most work, if it beats ours. */
  private syncRound(peers: readonly PeerAddress[], manual: boolean): Promise<ResolveOutcome> {
    const run = this.rounds.then(() => this.round(peers, manual));
    this.rounds = run.catch(() => undefined);
    return run;
  }

  private async round(peers: readonly PeerAddress[], manual: boolean): Promise<ResolveOutcome> {
    if (!manual) this.roundRunning = true;
    try {
      const workBefore = this.node.chainWork;
      const entries = await Promise.all(peers.map((peer) => this.probe(peer)));
      // Most work first; on a tie, the peer registered first.
      const candidates = entries
        .filter((e) => e.probe !== undefined && e.probe.work > workBefore)
        .sort((a, b) => {
          const wa = (a.probe as Probe).work;
          const wb = (b.probe as Probe).work;
          return wa === wb ? peers.indexOf(a.peer) - peers.indexOf(b.peer) : wb > wa ? 1 : -1;
        });
      let adopted: RoundEntry | null = null;
      // Parts of a long branch adopted while it was fetched (each one commit), this round.
      const parts: Reorg[] = [];
      for (const candidate of candidates) {
        const probe = candidate.probe as Probe;
        if (this.stopped || probe.work <= this.node.chainWork) break;
        const started = performance.now();
        const partsBefore = parts.length;
        const adoptPart = (part: FetchedBranch): boolean => {
          const done = this.node.adoptBranch(part.forkHeight, part.branch, candidate.peer.key, part.texts);
          if (done) parts.push(done);
          return done !== null;
        };
        try {
          const { forkHeight, branch, texts } = await candidate.adapter.fetchBranch(candidate.peer, probe, {
            ...(manual ? this.manualContext : this.context),
            adoptPart,
          });
          const last =
            branch.blocks.length > 0 ? this.node.adoptBranch(forkHeight, branch, candidate.peer.key, texts) : null;
          if (last) parts.push(last);
          const reorg = parts.length > partsBefore ? mergeReorgs(parts.slice(partsBefore)) : null;
          this.moved.delete(candidate.peer.key);
          if (reorg) {
            adopted = candidate;
            candidate.report = {
              ...candidate.report,
              length: forkHeight + branch.blocks.length,
              ms: candidate.report.ms + Math.round(performance.now() - started),
            };
            break;
          }
        } catch (err) {
          candidate.report = this.failure(
            candidate.peer,
            err,
            candidate.report.ms + Math.round(performance.now() - started),
            candidate.adapter.kind,
          );
          // What was adopted before the failure stays (valid blocks, more work than ours): the
          // round says the chain was replaced, this report what went wrong, and the next
          // candidates may go further.
        }
      }
      // A blockforge peer behind us may not know us (it dropped us while we were apart): a hello
      // makes it add us back, and its next sync pulls our blocks.
      const work = this.node.chainWork;
      for (const e of entries) {
        if (e.probe && e.adapter.takesPushes && !e.probe.incompatible && e.probe.work < work) void this.hello(e.peer);
      }
      const reports = entries.map((e): PeerReport => {
        if (e === adopted) return { ...e.report, status: 'adopted' };
        if (e.report.status !== 'valid') return e.report;
        return { ...e.report, status: (e.probe?.work ?? 0n) > workBefore ? 'not-chosen' : 'not-longer' };
      });
      const replaced = adopted !== null || parts.length > 0;
      // Every switch of this round: a failed candidate's adopted parts, then the next one's.
      const whole = parts.length > 0 ? mergeReorgs(parts) : null;
      if (manual || replaced) {
        this.logger.info(
          { replaced, height: this.node.chain.length, peers: reports.map((r) => `${r.peer}:${r.status}`) },
          manual ? 'resolve finished' : 'sync finished',
        );
      }
      return {
        replaced,
        chain: this.node.chain,
        peers: reports,
        returned: whole?.returned ?? 0,
        dropped: whole?.dropped ?? 0,
      };
    } finally {
      if (!manual) this.roundRunning = false;
    }
  }

  /** The adapter for a peer: what it turned out to be, blockforge until it shows otherwise. */
  private adapterFor(peer: PeerAddress): PeerKindAdapter {
    return this.registry.kindOf(peer.key) === 'tutorial' ? tutorialPeers : blockforgePeers;
  }

  /** Learns a peer's height and work through its adapter (falling back to the tutorial kind). */
  private async probe(peer: PeerAddress): Promise<RoundEntry> {
    let adapter = this.adapterFor(peer);
    if (this.registry.isBanned(peer.key)) {
      return { peer, adapter, report: { peer: peer.key, status: 'banned', ms: 0 } };
    }
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    try {
      let probe: Probe;
      try {
        probe = await adapter.probe(peer, this.context);
      } catch (err) {
        if (!(err instanceof NotThisKind)) throw err;
        // A learned peer was learned by answering as a blockforge node: one that stops doing so is
        // not treated as a tutorial node (whose whole /chain this node would then download).
        if (this.registry.originOf(peer.key) === 'learned') {
          throw misbehaving('a learned peer no longer answers /peer/status as a blockforge node');
        }
        this.registry.markTutorial(peer.key);
        adapter = tutorialPeers;
        probe = await adapter.probe(peer, this.context);
      }
      this.registry.succeeded(peer.key, {
        kind: adapter.kind,
        height: probe.height,
        ...(probe.nodeId ? { nodeId: probe.nodeId } : {}),
        ...(probe.tip ? { tip: probe.tip } : {}),
      });
      this.registry.setIncompatible(peer.key, probe.incompatible ?? null);
      if (probe.incompatible) {
        return {
          peer,
          adapter,
          report: {
            peer: peer.key,
            status: 'incompatible',
            length: probe.height,
            reason: probe.incompatible,
            ms: ms(),
          },
        };
      }
      return { peer, adapter, probe, report: { peer: peer.key, status: 'valid', length: probe.height, ms: ms() } };
    } catch (err) {
      return { peer, adapter, report: this.failure(peer, err, ms(), adapter.kind) };
    }
  }

  /** Turns an error from a peer into a report, and updates the peer's health. */
  private failure(peer: PeerAddress, err: unknown, ms: number, kind: PeerKindAdapter['kind']): PeerReport {
    if (!(err instanceof BlockforgeError)) {
      // A defect of ours met while handling this peer's data: say so, blame no one, keep the round.
      this.logger.error({ peer: peer.key, err }, 'unexpected error while syncing');
      const message = err instanceof Error ? err.message : String(err);
      return { peer: peer.key, status: 'failed', code: ErrorCode.Internal, misbehaved: false, reason: message, ms };
    }
    let bad = misbehaved(err, kind);
    // A chain that moved during one sync is no one's fault; one that "moves" in sync after sync is a
    // peer serving pages that never link (each costing us a download and a parse).
    if (err.code === ErrorCode.PeerChainMoved) {
      const strikes = (this.moved.get(peer.key) ?? 0) + 1;
      this.moved.set(peer.key, strikes);
      if (strikes >= MAX_MOVED_SYNCS) bad = true;
    }
    const status = err instanceof ChainRuleError ? 'invalid' : (STATUS_OF_CODE[err.code] ?? 'failed');
    if (err.code === ErrorCode.PeerIsSelf) this.removeSelf(peer.key);
    else if (!LOCAL_FAULTS.has(err.code)) {
      if (bad) this.registry.ban(peer.key, `${err.code}: ${err.message}`);
      else this.failed(peer.key, `${err.code}: ${err.message}`);
    }
    this.logger.warn({ peer: peer.key, code: err.code, reason: err.message }, 'peer skipped');
    return { peer: peer.key, status, code: err.code, misbehaved: bad, reason: err.message, ms };
  }

  // ---- push ------------------------------------------------------------------------------

  private announceBlock(block: Block, except?: string): void {
    if (this.seenBlocks.has(block.hash)) return;
    this.seenBlocks.add(block.hash);
    this.broadcast('/peer/blocks', { block: block.json, sender: this.sender }, except);
  }

  /**
   * Queues a push of `body` to the peers that take pushes, except `except`: every one of them, or
   * `fanout` of them picked at random when there are more (blocks: each receiver relays it on, so a
   * random few reach the whole network in a few hops, and a node a push missed gets the block at
   * its next sync; see docs/network.md).
   */
  private broadcast(
    path: string,
    body: Record<string, unknown>,
    except?: string,
    fanout = this.options.pushFanout ?? Number.POSITIVE_INFINITY,
  ): void {
    if (!this.started || this.stopped) return;
    const targets = this.peers.filter(
      (peer) => peer.key !== except && this.registry.isAvailable(peer.key) && this.adapterFor(peer).takesPushes,
    );
    if (targets.length === 0) return; // ingest stays cheap without peers: nothing serialized
    // A partial Fisher-Yates shuffle: the first `fanout` entries are a uniform sample.
    for (let k = 0; k < Math.min(fanout, targets.length - 1); k++) {
      const j = k + Math.floor(Math.random() * (targets.length - k));
      [targets[k], targets[j]] = [targets[j] as PeerAddress, targets[k] as PeerAddress];
    }
    const payload = writeJson(fromPlain(body));
    for (const peer of targets.slice(0, fanout)) {
      if (this.pushQueue.length >= PUSH_QUEUE) this.pushQueue.shift();
      this.pushQueue.push(() => this.push(peer, path, payload));
    }
    this.drain();
  }

  private drain(): void {
    while (this.pushing < PUSH_CONCURRENCY && this.pushQueue.length > 0) {
      const job = this.pushQueue.shift() as () => Promise<void>;
      this.pushing++;
      void job().finally(() => {
        this.pushing--;
        this.drain();
      });
    }
  }

  private post(
    peer: PeerAddress,
    path: string,
    body: string,
    transport: PeerTransport = this.transport,
  ): ReturnType<PeerTransport['request']> {
    return transport.request(
      peer,
      { method: 'POST', path, body, headers: { [NODE_ID_HEADER]: this.node.nodeId } },
      this.context.smallLimits,
    );
  }

  private async push(peer: PeerAddress, path: string, body: string): Promise<void> {
    try {
      // A peer backed off since this push was queued is not pushed to (one failure per burst).
      if (!this.registry.isAvailable(peer.key)) return;
      // Blocks reuse kept-alive connections (closed when the network stops): a connection per push
      // cost each block its handshakes (see docs/network.md). As many per peer as pushes run at
      // once, so no push waits behind a slow one; two kept open between pushes. Transactions take a
      // connection each: on a kept-alive connection a push sent into a partition sits in the
      // kernel's send buffer and arrives after the heal, when its transaction may be in the chain
      // the receiver just adopted; a tutorial mempool cannot tell it from a new payment (seen in
      // the netns partition test). A late block is harmless: it is known, or stale.
      if (path === '/peer/blocks' && this.pushSession === undefined) {
        this.pushSession = this.transport.session?.(PUSH_CONCURRENCY, 2) ?? null;
      }
      const transport = path === '/peer/blocks' ? this.pushSession : null;
      await this.post(peer, path, body, transport ?? this.transport);
      this.registry.succeeded(peer.key, { kind: 'blockforge' });
    } catch (err) {
      if (!(err instanceof PeerError)) return;
      // A tutorial node has no push routes: not an error, just pull from it.
      if (err.missingRoute) this.registry.markTutorial(peer.key);
      // Any other answer: it refused our data (it may be on another fork); not a failure to reach it.
      else if (err.httpStatus !== undefined) return;
      else this.failed(peer.key, `${err.code}: ${err.message}`);
    }
  }

  /** A peer that turned out to be this node (a name of this host): removed, from storage too. */
  private removeSelf(key: string): void {
    try {
      this.removePeer(key);
      this.logger.info({ peer: key }, 'peer is this node itself: removed');
    } catch {
      // A full disk: it stays, and is found to be this node again next round.
    }
  }

  /** Learned peers at `host` (an IPv6 host counted by its /64, as one machine may use any of it). */
  private learnedAt(host: string): number {
    const key = remoteKey(host);
    let n = 0;
    for (const address of this.registry.addresses()) {
      if (remoteKey(address.host) === key && this.registry.originOf(address.key) === 'learned') n++;
    }
    return n;
  }

  /**
   * Makes room among the learned peers for a newcomer at `height`: a banned one goes first, else the
   * lowest one if the newcomer is higher. So the table cannot be held by nodes that serve nothing
   * (they get banned once they lie) or that stay behind; the registered peers are never touched.
   */
  private evictLearnedFor(claimed: number): boolean {
    // Heights are claims (a status answer): none counts above ours + 1, so a stranger claiming a
    // huge height cannot push out the honest peers; one that lies about it is banned on its sync.
    const ceiling = this.node.chain.length + 1;
    const height = Math.min(claimed, ceiling);
    let victim: { key: string; height: number } | null = null;
    for (const health of this.registry.health()) {
      if (health.origin !== 'learned') continue;
      if (health.status === 'banned') {
        victim = { key: health.address, height: -1 };
        break;
      }
      const h = Math.min(health.height ?? 0, ceiling);
      if (h < height && (victim === null || h < victim.height)) victim = { key: health.address, height: h };
    }
    if (!victim) return false;
    this.registry.remove(victim.key);
    this.logger.info({ peer: victim.key }, 'learned peer replaced by a newcomer');
    return true;
  }

  /**
   * A peer failed (unreachable, slow): it is backed off; a learned peer that keeps failing is dropped
   * (it says hello again when it is back). A few failures in a row, not one: a short partition must
   * not cut two nodes apart for good when only one of them registered the other.
   */
  private failed(key: string, reason: string): void {
    const failures = this.registry.failed(key, reason);
    if (this.registry.originOf(key) !== 'learned' || failures < LEARNED_MAX_FAILURES) return;
    this.registry.remove(key);
    this.logger.info({ peer: key, failures }, 'learned peer dropped');
    this.events.emit('peers', { peers: this.peers.map((p) => p.key) });
  }

  /** Tells `peer` how to reach us, so it adds us back. */
  private async hello(peer: PeerAddress): Promise<void> {
    try {
      const response = await this.post(peer, '/peer/hello', writeJson(fromPlain({ sender: this.sender })));
      const answer = parseJsonAnswer(response.body);
      this.registry.succeeded(peer.key, {
        kind: 'blockforge',
        ...(typeof answer.node_id === 'string' ? { nodeId: answer.node_id } : {}),
      });
      if (this.registry.originOf(peer.key) === 'registered' || this.peers.length < FEW_PEERS) {
        void this.exchange(peer);
      }
    } catch (err) {
      if (err instanceof PeerError && err.missingRoute) this.registry.markTutorial(peer.key);
      // Otherwise the next sync round finds out and records the failure.
    }
  }

  // ---- peer exchange and discovery -----------------------------------------------------------

  /**
   * Asks `peer` for the peers it has reached and queues the new ones for their check. At most once
   * every {@link EXCHANGE_INTERVAL_S} seconds per peer. Advisory: a peer without the route (an older
   * node), slow or with a malformed answer teaches nothing, and is not blamed for it.
   */
  private async exchange(peer: PeerAddress): Promise<void> {
    const now = this.clock();
    const last = this.lastExchange.get(peer.key);
    if (this.stopped || this.options.peerExchange === false) return;
    if (last !== undefined && now - last < EXCHANGE_INTERVAL_S) return;
    this.lastExchange.delete(peer.key);
    if (this.lastExchange.size >= 4 * MAX_SHARED_PEERS) {
      this.lastExchange.delete(this.lastExchange.keys().next().value as string);
    }
    this.lastExchange.set(peer.key, now);
    let listed: ReturnType<typeof readExchangeAnswer>;
    try {
      const response = await this.transport.request(
        peer,
        { method: 'GET', path: '/peer/addresses', headers: { [NODE_ID_HEADER]: this.node.nodeId } },
        this.context.smallLimits,
      );
      listed = readExchangeAnswer(parseJsonAnswer(response.body));
    } catch (err) {
      this.logger.debug({ peer: peer.key, err: (err as Error).message }, 'peer exchange failed');
      return;
    }
    let queued = 0;
    for (const { address, nodeId } of listed) if (this.consider({ address, nodeId, via: 'exchange' }, peer)) queued++;
    if (queued > 0) this.logger.debug({ peer: peer.key, listed: listed.length, queued }, 'peers listed');
    this.checkCandidates();
  }

  /**
   * A node found on the LAN (`discovery.ts`): checked by dialing back like any candidate, then
   * learned and greeted, so it adds us even if it missed our announcement.
   */
  discovered(address: PeerAddress, nodeId: string): void {
    if (this.consider({ address, nodeId, via: 'discovery' }, null)) this.checkCandidates();
  }

  /**
   * Queues a candidate unless it is us, already a peer, already waiting or recently failed, or at an
   * address a LAN peer never has: only IP addresses are taken, and loopback ones only from a peer
   * that is itself on loopback (`from`: who listed it). So a listing cannot make this node send
   * requests to this machine's own services, link-local or multicast addresses, or names.
   */
  private consider(candidate: PeerCandidate, from: PeerAddress | null): boolean {
    if (this.stopped || candidate.nodeId === this.node.nodeId) return false;
    const scope = this.scopeOf(candidate.address.host);
    if (scope !== 'ip' && !(scope === 'loopback' && from !== null && this.scopeOf(from.host) === 'loopback'))
      return false;
    if (isSelfAddress(candidate.address, this.options.port, this.selfHosts)) return false;
    const failedAt = this.candidateFailed.get(candidate.address.key);
    if (failedAt !== undefined && this.clock() - failedAt < VERIFY_RETRY_S) return false;
    if (this.registry.get(candidate.address.key) || this.registry.findByNodeId(candidate.nodeId)) return false;
    return this.candidates.push(candidate);
  }

  /** {@link hostScope}, with this machine's own addresses (any interface) as loopback. */
  private scopeOf(host: string): ReturnType<typeof hostScope> {
    const canonical = canonicalHost(host);
    return canonical !== null && this.selfHosts.has(canonical) ? 'loopback' : hostScope(host);
  }

  /**
   * Checks waiting candidates, {@link MAX_CANDIDATE_CHECKS} at a time: each one that answers as the
   * node it was listed as becomes a learned peer (bounded by {@link MAX_LEARNED_PEERS}, never taking
   * a registered peer's place) and gets a hello, so it learns us back.
   */
  private checkCandidates(): void {
    while (!this.stopped && this.candidates.size > 0 && this.verifying.size < MAX_CANDIDATE_CHECKS) {
      const candidate = this.candidates.shift() as PeerCandidate;
      const { address, nodeId, via } = candidate;
      if (this.registry.get(address.key) || this.registry.findByNodeId(nodeId)) continue;
      void this.verify(address, nodeId, via)
        .then((ok) => {
          if (!ok) {
            // By address, whatever id it was listed with: a listing cannot have one address dialed
            // again and again under new ids.
            this.candidateFailed.delete(address.key);
            if (this.candidateFailed.size >= 4096) {
              this.candidateFailed.delete(this.candidateFailed.keys().next().value as string);
            }
            this.candidateFailed.set(address.key, this.clock());
          } else if (this.registry.originOf(address.key) === 'learned') return this.hello(address);
        })
        .finally(() => this.checkCandidates());
    }
  }

  // ---- inbound (called by the API) ---------------------------------------------------------

  /** This node's summary for `/peer/status`: its rules (name and parameters), height, work and ends. */
  status(): JsonObject {
    const chain = this.node.chain;
    const profile = this.node.profile;
    return fromPlain({
      node_id: this.node.nodeId,
      profile: profile.name,
      ...profile.params,
      height: chain.length,
      work: this.node.chainWork.toString(),
      tip: this.node.tip.hash,
      genesis: (chain[0] as Block).hash,
    }) as JsonObject;
  }

  /**
   * `/peer/addresses` (peer exchange): the blockforge peers this node has reached and not given up
   * on (status ok: seen, not failing, banned or on other rules), each with its node id, most
   * recently seen first, at most {@link MAX_SHARED_PEERS}. Each remote address gets
   * {@link EXCHANGE_BURST} answers, then one a second: RATE_LIMITED beyond.
   */
  sharePeers(remote: string | undefined): JsonObject {
    if (!this.exchangeLimiter.take(remoteKey(remote))) {
      throw new BlockforgeError(
        ErrorCode.RateLimited,
        `too many peer exchanges from ${remote ?? 'this address'}: ${EXCHANGE_BURST} at once, then one every ${EXCHANGE_REFILL_S} s`,
      );
    }
    if (this.options.peerExchange === false) return fromPlain({ peers: [] }) as JsonObject;
    // What the asker would take (see consider): loopback peers only to an asker on loopback.
    const askerOnLoopback = remote !== undefined && this.scopeOf(remote) === 'loopback';
    const takes = (key: string): boolean => {
      const scope = this.scopeOf((this.registry.get(key) as PeerAddress).host);
      return scope === 'ip' || (scope === 'loopback' && askerOnLoopback);
    };
    const peers = this.registry
      .health()
      .filter((h) => h.status === 'ok' && h.kind === 'blockforge' && h.nodeId !== null && takes(h.address))
      .sort((a, b) => (b.lastSeen ?? 0) - (a.lastSeen ?? 0))
      .slice(0, MAX_SHARED_PEERS)
      .map((h) => ({ address: h.address, node_id: h.nodeId as string }));
    return fromPlain({ peers }) as JsonObject;
  }

  /** `/peer/locate`: the highest locator entry whose block we have, and our height. */
  locate(value: JsonValue): JsonObject {
    const locator = isJsonObject(value) ? value.locator : undefined;
    if (!Array.isArray(locator) || locator.length > MAX_LOCATOR) {
      throw new BlockforgeError(
        ErrorCode.InvalidBody,
        `locator must be a list of at most ${MAX_LOCATOR} {index, hash}`,
      );
    }
    let common = 0;
    for (const entry of locator) {
      if (!isJsonObject(entry) || !(entry.index instanceof JsonNumber) || typeof entry.hash !== 'string') {
        throw new BlockforgeError(ErrorCode.InvalidBody, 'each locator entry must be {index, hash}');
      }
      const index = Number(entry.index.text);
      if (Number.isSafeInteger(index) && index > common && this.node.chain[index - 1]?.hash === entry.hash)
        common = index;
    }
    return fromPlain({ common, height: this.node.chain.length }) as JsonObject;
  }

  /**
   * `/peer/blocks`: a pushed block. An invalid one is refused with the rule it breaks, and nobody is
   * banned for it: who pushed cannot be proven (the claimed sender is a claim; the connection's port
   * is not the peer's), and the network never bans an address because a message names it. A block
   * that shows a known peer is ahead starts a sync with that peer, which checks for itself.
   */
  async receiveBlock(value: JsonValue, remote: string | undefined): Promise<OfferResult> {
    const body = requireObject(value, 'block');
    const origin = this.originOf(body.sender, remote);
    // The parallel checks first (a ledger's signatures, in a pool), never failing: offerBlock's
    // validation decides.
    if (this.node.precheck) await precheck(this.node, [body.block as JsonValue], this.context);
    // Not told who sent it: a claimed origin would keep the block from being pushed to the peer it
    // names (anyone can name one). Pushing it back to its real sender costs one "known".
    const result = this.node.offerBlock(body.block as JsonValue);
    // Only a block we now have is "seen": one we are still to sync must be announced once adopted.
    if (result === 'known') this.seenBlocks.add(this.node.profile.decodeBlock(body.block as JsonValue, 0).hash);
    if (origin && result === 'ahead') this.syncSoon(origin);
    return result;
  }

  /**
   * `/peer/transactions`: a pushed transaction, judged by the same policy as our clients' (a
   * blockforge node relays only what its policy accepted). Refused ones blame nobody (see receiveBlock).
   */
  async receiveTransaction(value: JsonValue, remote: string | undefined): Promise<'added' | 'known'> {
    const body = requireObject(value, 'transaction');
    // Learns the sender if it is a node we can dial back; who it claims to be changes nothing else.
    this.originOf(body.sender, remote);
    const id = body.id;
    if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) {
      throw new BlockforgeError(ErrorCode.InvalidBody, 'id must be 32 lowercase hex digits', { field: 'id' });
    }
    if (this.seenTransactions.has(id)) return 'known';
    const tx = this.node.profile.parseTransaction(body.transaction as JsonValue);
    this.seenTransactions.add(id);
    await this.node.submitTransaction(tx, { id, source: 'peer' }); // no claimed origin: see receiveBlock
    return 'added';
  }

  /**
   * `/peer/hello`: a peer tells us how to reach it. It is added (as a learned peer, in memory) once
   * its address answers `/peer/status` with the node id it claims: an address nobody verified is
   * never stored, so a stranger cannot fill the peer table with made-up ports.
   */
  async receiveHello(value: JsonValue, remote: string | undefined): Promise<JsonObject> {
    const body = requireObject(value, 'sender');
    const claim = this.claimOf(body.sender, remote);
    let added = false;
    if (claim) {
      const known = this.registry.get(claim.address.key);
      // A known peer that was failing says it is back: checked like a stranger (dialing back), so
      // that no one can reset a peer's backoff by naming it.
      added =
        known !== undefined && this.registry.failuresOf(known.key) === 0
          ? true
          : await this.verify(claim.address, claim.nodeId);
    }
    return fromPlain({
      node_id: this.node.nodeId,
      height: this.node.chain.length,
      added,
    }) as JsonObject;
  }

  /**
   * The peer a push comes from, when it is one we know by the address it claims (not by the node id
   * it claims: anyone may name another node's id, and must not stop our relaying to it). An unknown
   * sender is checked by dialing back (in the background) and learned if its address answers as the
   * node it claims to be (one node under two addresses stays one peer: see verify).
   */
  private originOf(sender: JsonValue | undefined, remote: string | undefined): PeerAddress | null {
    const claim = this.claimOf(sender, remote);
    if (!claim) return null;
    const known = this.registry.get(claim.address.key);
    if (known) return known;
    void this.verify(claim.address, claim.nodeId);
    return null;
  }

  /**
   * What a sender says about itself: its advertised URL, or the connection's address with the port
   * it says it serves on, and its node id. Null for ourselves or a malformed claim.
   */
  private claimOf(
    sender: JsonValue | undefined,
    remote: string | undefined,
  ): { address: PeerAddress; nodeId: string } | null {
    if (!isJsonObject(sender) || typeof sender.node_id !== 'string' || sender.node_id === this.node.nodeId) {
      return null;
    }
    if (!/^[0-9a-f]{32}$/.test(sender.node_id)) return null;
    const remoteHost = remote?.startsWith('::ffff:') ? remote.slice(7) : remote;
    let address: PeerAddress;
    try {
      if (typeof sender.advertise === 'string') {
        address = parsePeerAddress(sender.advertise);
      } else {
        const port = sender.port;
        if (!(port instanceof JsonNumber) || remoteHost === undefined) return null;
        address = parsePeerAddress(`${remoteHost.includes(':') ? `[${remoteHost}]` : remoteHost}:${port.text}`);
      }
    } catch {
      return null;
    }
    if (isSelfAddress(address, this.options.port, this.selfHosts)) return null;
    return { address, nodeId: sender.node_id };
  }

  /**
   * Dials `address` back and learns it as a peer if it answers `/peer/status` as node `nodeId`.
   * One check per address at a time; an address that failed is not checked again for a while.
   */
  private verify(address: PeerAddress, nodeId: string, via: LearnedVia = 'hello'): Promise<boolean> {
    // Keyed by the claim, address and node id: a stranger claiming an honest address with another
    // id must not stop that address's own hellos from being checked.
    const claimKey = `${address.key} ${nodeId}`;
    const running = this.verifying.get(claimKey);
    if (running) return running;
    const failedAt = this.verifyFailed.get(claimKey);
    if (
      this.stopped ||
      this.verifying.size >= MAX_VERIFYING ||
      (failedAt !== undefined && this.clock() - failedAt < VERIFY_RETRY_S)
    ) {
      return Promise.resolve(false);
    }
    const check = (async (): Promise<boolean> => {
      let height = 0;
      try {
        const probe = await blockforgePeers.probe(address, this.context);
        if (probe.nodeId !== nodeId) throw new Error('another node answers at that address');
        height = probe.height;
      } catch {
        this.verifyFailed.set(claimKey, this.clock());
        if (this.verifyFailed.size > 4096) this.verifyFailed.delete(this.verifyFailed.keys().next().value as string);
        return false;
      }
      // Already a peer (back after failing: healthy again), at this address or another
      // (localhost and 127.0.0.1): not a second one.
      if (this.registry.get(address.key)) {
        this.registry.succeeded(address.key, { kind: 'blockforge', nodeId });
        return true;
      }
      if (this.registry.findByNodeId(nodeId)) return true;
      if (this.scopeOf(address.host) !== 'loopback' && this.learnedAt(address.host) >= MAX_LEARNED_PER_HOST)
        return false;
      if (this.registry.count('learned') >= MAX_LEARNED_PEERS && !this.evictLearnedFor(height)) return false;
      this.registry.track(address, 'learned');
      this.registry.succeeded(address.key, { kind: 'blockforge', height, nodeId });
      this.logger.info({ peer: address.key, via }, 'peer learned');
      this.events.emit('peers', { peers: this.peers.map((p) => p.key) });
      return true;
    })().finally(() => this.verifying.delete(claimKey));
    this.verifying.set(claimKey, check);
    return check;
  }
}

function requireObject(value: JsonValue, field: string): JsonObject {
  if (!isJsonObject(value) || !Object.hasOwn(value, field)) {
    throw new BlockforgeError(ErrorCode.InvalidBody, `the body must be a JSON object with "${field}"`, { field });
  }
  return value;
}

/** Parts of one branch adopted one after another, as one switch: the first's fork point, the sums. */
function mergeReorgs(parts: readonly Reorg[]): Reorg {
  let returned = 0;
  let dropped = 0;
  for (const part of parts) {
    returned += part.returned;
    dropped += part.dropped;
  }
  return { common: (parts[0] as Reorg).common, returned, dropped };
}
