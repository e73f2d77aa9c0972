/**
 * The peer network of one node: blocks and transactions pushed to peers as they happen, chains
 * synced incrementally (find the fork point, fetch only the blocks after it, in pages), a sync at
 * start and every interval, and per-peer health with backoff and bans. Tutorial peers (only the five
 * routes) are pulled from with the full `/chain` download and never pushed to.
 *
 * Wire protocol (JSON; see README "Peer protocol"):
 * - `GET /peer/status` -> `{node_id, profile, difficulty, height, tip, genesis}`
 * - `POST /peer/locate` `{locator: [{index, hash}, ...]}` -> `{common, height}`
 * - `GET /blocks?from=I&limit=N` -> `{blocks: [...], height}`
 * - `POST /peer/blocks` `{block, sender}`; `POST /peer/transactions` `{id, transaction, sender}`;
 *   `POST /peer/hello` `{sender}`, where `sender` is `{node_id, port, advertise?}`.
 */

import type { Block } from '../core/block.js';
import { hashJson } from '../core/canonical.js';
import { chainEnvelope } from '../core/chain.js';
import { BlockforgeError, ChainRuleError, ErrorCode } from '../core/errors.js';
import {
  fromPlain,
  isJsonObject,
  JsonNumber,
  type JsonObject,
  type JsonValue,
  parseJson,
  writeJson,
} from '../core/json.js';
import type { BlockforgeNode, NodeLogger } from './blockforge-node.js';
import { isSelfAddress, localHosts, type PeerAddress, parsePeerAddress } from './peer-address.js';
import { NODE_ID_HEADER, type PeerRequestLimits, peerGet, peerPost } from './peer-client.js';
import { type PeerHealth, PeerRegistry } from './peer-registry.js';

/** Options of the peer network. */
export interface NetworkOptions {
  /** Milliseconds between automatic syncs; 0 disables them. */
  readonly syncIntervalMs: number;
  /** How peers reach this node (sent to them, so they add us back); else they use our IP and port. */
  readonly advertise?: string;
  /** How long a peer that sent invalid data is ignored, in seconds. */
  readonly banSeconds: number;
}

/** Blocks per page when syncing (and the most `GET /blocks` serves at once). */
export const SYNC_PAGE = 500;
/** Entries a locator may have. */
export const MAX_LOCATOR = 128;
/** Most blocks one sync may fetch. */
const MAX_SYNC_BLOCKS = 2_000_000;
/** Time one sync with one peer may take, all pages included. */
const SYNC_DEADLINE_MS = 120_000;
/** Pushes in flight at once, and queued before the oldest are dropped. */
const PUSH_CONCURRENCY = 8;
const PUSH_QUEUE = 2_000;
/** Small answers (status, locate, hello): a peer sending more is misbehaving. */
const SMALL_ANSWER_BYTES = 64 * 1024;

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

/** What a probe learned about a peer. */
interface Probe {
  readonly peer: PeerAddress;
  report: PeerReport;
  /** Height to sync towards (0 when unknown or failed). */
  readonly height: number;
  /** A tutorial peer's whole chain, validated (only when longer than ours). */
  readonly fullChain?: Block[];
}

const STATUS_OF_CODE: Record<string, string> = {
  [ErrorCode.PeerUnreachable]: 'unreachable',
  [ErrorCode.PeerTimeout]: 'timeout',
  [ErrorCode.PeerTooLarge]: 'too-large',
  [ErrorCode.PeerHttpStatus]: 'http-error',
  [ErrorCode.PeerBadResponse]: 'bad-response',
  [ErrorCode.InvalidJson]: 'bad-response',
  [ErrorCode.DuplicateKey]: 'bad-response',
  [ErrorCode.JsonTooDeep]: 'bad-response',
  [ErrorCode.PeerIsSelf]: 'self',
};

/** A set that forgets its oldest entries past `capacity` (gossip dedup). */
class RecentSet {
  private readonly items = new Set<string>();
  constructor(private readonly capacity: number) {}
  has(key: string): boolean {
    return this.items.has(key);
  }
  add(key: string): void {
    this.items.add(key);
    if (this.items.size > this.capacity) this.items.delete(this.items.values().next().value as string);
  }
}

const misbehaving = (message: string): BlockforgeError =>
  new BlockforgeError(ErrorCode.PeerBadResponse, message, { statusCode: 502, peerMisbehaved: true });

/** The peer network of one node. */
export class PeerNetwork {
  readonly registry: PeerRegistry;
  private readonly seenBlocks = new RecentSet(4_096);
  private readonly seenTransactions = new RecentSet(65_536);
  private readonly selfHosts = localHosts();
  private readonly smallLimits: PeerRequestLimits;
  private rounds: Promise<unknown> = Promise.resolve();
  private roundRunning = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly pushQueue: (() => Promise<void>)[] = [];
  private pushing = 0;
  private started = false;
  private stopped = false;

  constructor(
    private readonly node: BlockforgeNode,
    private readonly options: NetworkOptions,
    private readonly logger: NodeLogger,
    clock: () => number,
  ) {
    this.registry = new PeerRegistry(options.banSeconds, clock);
    this.smallLimits = { ...node.peerLimits, maxBytes: SMALL_ANSWER_BYTES };
    for (const peer of node.peers) this.registry.track(peer);
  }

  /** What this node tells peers about itself. */
  private get sender(): JsonObject {
    return fromPlain({
      node_id: this.node.nodeId,
      port: this.node.port,
      ...(this.options.advertise ? { advertise: this.options.advertise } : {}),
    }) as JsonObject;
  }

  /** Starts pushing, says hello to the peers, syncs now and then every interval. */
  start(): void {
    if (this.started) return;
    this.started = true;
    // Peers registered since construction (--peer): tracked before any hello can come back.
    for (const peer of this.node.peers) this.registry.track(peer);
    const { events } = this.node;
    events.on('block', ({ block, peer }) => this.announceBlock(block, peer));
    events.on('chain-replaced', ({ peer }) => this.announceBlock(this.node.tip, peer));
    events.on('transaction', ({ tx, id, peer }) => {
      this.seenTransactions.add(id);
      this.broadcast('/peer/transactions', { id, transaction: tx.json, sender: this.sender }, peer);
    });
    events.on('peers', () => {
      // New peers get a hello (so they add us back); the next sync round pulls from them. No sync
      // here: the tutorial's "register, then resolve" still shows the chain being replaced.
      for (const peer of this.node.peers) {
        if (!this.registry.get(peer.key)) {
          this.registry.track(peer);
          void this.hello(peer);
        }
      }
    });
    void Promise.all(this.node.peers.map((peer) => this.hello(peer))).then(() => this.periodic());
    if (this.options.syncIntervalMs > 0) {
      this.timer = setInterval(() => this.periodic(), this.options.syncIntervalMs);
      this.timer.unref();
    }
  }

  /** Stops the timer and drops queued pushes. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.pushQueue.length = 0;
  }

  /** Peer health for `GET /nodes`. */
  health(): PeerHealth[] {
    for (const peer of this.node.peers) this.registry.track(peer);
    return this.registry.health();
  }

  // ---- sync -------------------------------------------------------------------------------

  /** `/nodes/resolve`: a sync round with every peer that is not banned. */
  resolve(): Promise<ResolveOutcome> {
    for (const peer of this.node.peers) this.registry.track(peer);
    return this.syncRound(this.node.peers, true);
  }

  private periodic(): void {
    if (this.stopped || this.roundRunning) return;
    const due = this.node.peers.filter((p) => {
      this.registry.track(p);
      return this.registry.isAvailable(p.key);
    });
    if (due.length > 0) void this.syncRound(due, false).catch(() => undefined);
  }

  /** Syncs with `peer` soon (it showed it is ahead). */
  private syncSoon(peer: PeerAddress): void {
    if (!this.stopped) void this.syncRound([peer], false).catch(() => undefined);
  }

  /** Rounds run one at a time; each adopts the longest valid chain strictly longer than ours. */
  private syncRound(peers: readonly PeerAddress[], manual: boolean): Promise<ResolveOutcome> {
    const run = this.rounds.then(() => this.round(peers, manual));
    this.rounds = run.catch(() => undefined);
    return run;
  }

  private async round(peers: readonly PeerAddress[], manual: boolean): Promise<ResolveOutcome> {
    this.roundRunning = true;
    try {
      const before = this.node.chain.length;
      const probes = await Promise.all(
        peers.map(async (peer): Promise<Probe> => {
          if (this.registry.isBanned(peer.key)) {
            return { peer, height: 0, report: { peer: peer.key, status: 'banned', ms: 0 } };
          }
          return this.probe(peer);
        }),
      );
      // Longest first; on a tie, the peer registered first.
      const candidates = probes
        .filter((p) => p.height > before)
        .sort((a, b) => b.height - a.height || peers.indexOf(a.peer) - peers.indexOf(b.peer));
      let replaced = false;
      let adopted: Probe | null = null;
      let returned = 0;
      let dropped = 0;
      for (const candidate of candidates) {
        if (this.stopped || candidate.height <= this.node.chain.length) break;
        const started = performance.now();
        try {
          const chain = candidate.fullChain ?? (await this.fetchIncremental(candidate.peer, candidate.height));
          const outcome = this.node.adoptChain(chain, candidate.peer.key);
          if (outcome) {
            replaced = true;
            adopted = candidate;
            returned = outcome.returned;
            dropped = outcome.dropped;
            candidate.report = {
              ...candidate.report,
              length: chain.length,
              ms: candidate.report.ms + Math.round(performance.now() - started),
            };
            break;
          }
        } catch (err) {
          candidate.report = this.failure(
            candidate.peer,
            err,
            candidate.report.ms + Math.round(performance.now() - started),
          );
        }
      }
      const reports = probes.map((p): PeerReport => {
        if (p === adopted) return { ...p.report, status: 'adopted' };
        if (p.report.status !== 'valid') return p.report;
        return { ...p.report, status: p.height > before ? 'not-chosen' : 'not-longer' };
      });
      if (manual || replaced) {
        this.logger.info(
          { replaced, height: this.node.chain.length, peers: reports.map((r) => `${r.peer}:${r.status}`) },
          manual ? 'resolve finished' : 'sync finished',
        );
      }
      return { replaced, chain: this.node.chain, peers: reports, returned, dropped };
    } finally {
      this.roundRunning = false;
    }
  }

  /** Learns a peer's height: `/peer/status`, or for a tutorial node its whole `/chain`. */
  private async probe(peer: PeerAddress): Promise<Probe> {
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    try {
      let response: Awaited<ReturnType<typeof peerGet>>;
      try {
        response = await peerGet(`${peer.baseUrl}/peer/status`, this.smallLimits, {
          [NODE_ID_HEADER]: this.node.nodeId,
        });
      } catch (err) {
        if (
          err instanceof BlockforgeError &&
          err.code === ErrorCode.PeerHttpStatus &&
          err.peerMisbehaved === false &&
          /HTTP 40[45]/.test(err.message)
        ) {
          return await this.probeTutorial(peer, started);
        }
        throw err;
      }
      if (response.headers[NODE_ID_HEADER] === this.node.nodeId) {
        throw new BlockforgeError(ErrorCode.PeerIsSelf, 'this address is this node itself', { peerMisbehaved: false });
      }
      let status: JsonObject | null;
      try {
        status = parseJsonAnswer(response.body);
      } catch {
        status = null;
      }
      const height = status?.height;
      if (
        !status ||
        !(height instanceof JsonNumber) ||
        !/^[1-9][0-9]{0,15}$/.test(height.text) ||
        typeof status.node_id !== 'string'
      ) {
        // Not blockforge's status: some tutorial-protocol nodes answer every path. Use /chain.
        return await this.probeTutorial(peer, started);
      }
      if (status.node_id === this.node.nodeId) {
        throw new BlockforgeError(ErrorCode.PeerIsSelf, 'this address is this node itself', { peerMisbehaved: false });
      }
      const count = Number(height.text);
      this.registry.succeeded(peer.key, { kind: 'blockforge', height: count, nodeId: status.node_id });
      const profile = this.node.profile;
      if (
        status.profile !== profile.name ||
        String((status.difficulty as JsonNumber | undefined)?.text) !== String(profile.difficulty)
      ) {
        return {
          peer,
          height: 0,
          report: {
            peer: peer.key,
            status: 'incompatible',
            length: count,
            reason: `runs ${String(status.profile)} at difficulty ${(status.difficulty as JsonNumber | undefined)?.text}, we run ${profile.name} at ${profile.difficulty}`,
            ms: ms(),
          },
        };
      }
      return { peer, height: count, report: { peer: peer.key, status: 'valid', length: count, ms: ms() } };
    } catch (err) {
      return { peer, height: 0, report: this.failure(peer, err, ms()) };
    }
  }

  /** A tutorial node: download its whole chain (the only way it offers), validate it if longer. */
  private async probeTutorial(peer: PeerAddress, started: number): Promise<Probe> {
    this.registry.markTutorial(peer.key);
    const ms = (): number => Math.round(performance.now() - started);
    const response = await peerGet(`${peer.baseUrl}/chain`, this.node.peerLimits, {
      [NODE_ID_HEADER]: this.node.nodeId,
    });
    if (response.headers[NODE_ID_HEADER] === this.node.nodeId) {
      throw new BlockforgeError(ErrorCode.PeerIsSelf, 'this address is this node itself', { peerMisbehaved: false });
    }
    let value: JsonValue;
    try {
      value = parseJson(response.body, { maxDepth: 16 });
    } catch (err) {
      throw misbehaving(`answer is not valid JSON: ${(err as Error).message}`);
    }
    const chain = chainEnvelope(value);
    this.registry.succeeded(peer.key, { height: chain.length });
    // A chain that cannot win is not worth validating (the tutorial does the same).
    if (chain.length <= this.node.chain.length) {
      return {
        peer,
        height: chain.length,
        report: { peer: peer.key, status: 'valid', length: chain.length, ms: ms() },
      };
    }
    const blocks = this.node.profile.validateBlocks(null, chain);
    return {
      peer,
      height: blocks.length,
      fullChain: blocks,
      report: { peer: peer.key, status: 'valid', length: blocks.length, ms: ms() },
    };
  }

  /**
   * Fetches the blocks a blockforge peer has after our common prefix, in pages, each validated
   * against the block before it. Returns the whole candidate chain (our prefix + its blocks).
   */
  private async fetchIncremental(peer: PeerAddress, height: number): Promise<Block[]> {
    const deadline = performance.now() + SYNC_DEADLINE_MS;
    const ours = this.node.chain.slice();
    const locator = buildLocator(ours);
    const located = parseJsonAnswer(
      (
        await peerPost(
          `${peer.baseUrl}/peer/locate`,
          writeJson(fromPlain({ locator: locator.map((l) => ({ index: l.index, hash: l.hash })) })),
          this.smallLimits,
          { [NODE_ID_HEADER]: this.node.nodeId },
        )
      ).body,
    );
    const common = located.common;
    const commonIndex = common instanceof JsonNumber && /^[0-9]{1,16}$/.test(common.text) ? Number(common.text) : -1;
    if (commonIndex !== 0 && !locator.some((l) => l.index === commonIndex)) {
      throw misbehaving('/peer/locate answered an index that is not in our locator');
    }
    const target = Math.min(height, commonIndex + MAX_SYNC_BLOCKS);
    const fetched: Block[] = [];
    let prev: Block | null = commonIndex > 0 ? (ours[commonIndex - 1] as Block) : null;
    const fetchPage = async (from: number): Promise<JsonValue[]> => {
      const limit = Math.min(SYNC_PAGE, target - from + 1);
      const page = parseJsonAnswer(
        (
          await peerGet(`${peer.baseUrl}/blocks?from=${from}&limit=${limit}`, this.node.peerLimits, {
            [NODE_ID_HEADER]: this.node.nodeId,
          })
        ).body,
        64,
      );
      const blocks = page.blocks;
      if (!Array.isArray(blocks) || blocks.length === 0 || blocks.length > limit) {
        throw misbehaving(`/blocks?from=${from} answered ${Array.isArray(blocks) ? blocks.length : 'no'} blocks`);
      }
      return blocks;
    };
    let next = commonIndex + 1;
    let pending = next <= target ? fetchPage(next) : null;
    while (pending) {
      if (performance.now() > deadline) {
        throw new BlockforgeError(ErrorCode.PeerTimeout, `sync took longer than ${SYNC_DEADLINE_MS / 1000} s`, {
          peerMisbehaved: false,
        });
      }
      const blocks = await pending;
      next += blocks.length;
      // Ask for the next page before validating this one: the peer serves while we hash.
      pending = next <= target ? fetchPage(next) : null;
      pending?.catch(() => undefined); // observed below; a failure after an invalid page is moot
      const validated = this.node.profile.validateBlocks(prev, blocks);
      for (const block of validated) fetched.push(block);
      prev = validated[validated.length - 1] as Block;
    }
    this.logger.debug({ peer: peer.key, common: commonIndex, fetched: fetched.length }, 'incremental sync');
    return [...ours.slice(0, commonIndex), ...fetched];
  }

  /** Turns an error from a peer into a report, and updates the peer's health. */
  private failure(peer: PeerAddress, err: unknown, ms: number): PeerReport {
    if (!(err instanceof BlockforgeError)) throw err;
    const misbehaved = err.peerMisbehaved ?? false;
    const status = err instanceof ChainRuleError ? 'invalid' : (STATUS_OF_CODE[err.code] ?? 'failed');
    if (err.code !== ErrorCode.PeerIsSelf) {
      if (misbehaved) this.registry.ban(peer.key, `${err.code}: ${err.message}`);
      else this.registry.failed(peer.key, `${err.code}: ${err.message}`);
    }
    this.logger.warn({ peer: peer.key, code: err.code, reason: err.message }, 'peer skipped');
    return { peer: peer.key, status, code: err.code, misbehaved, reason: err.message, ms };
  }

  // ---- push ------------------------------------------------------------------------------

  private announceBlock(block: Block, except?: string): void {
    if (this.seenBlocks.has(block.hash)) return;
    this.seenBlocks.add(block.hash);
    this.broadcast('/peer/blocks', { block: block.json, sender: this.sender }, except);
  }

  /** Queues a push of `body` to every peer that takes pushes, except `except`. */
  private broadcast(path: string, body: Record<string, unknown>, except?: string): void {
    if (!this.started || this.stopped) return;
    // Serialized once, and only if some peer takes the push (ingest stays cheap without peers).
    let text: string | undefined;
    for (const peer of this.node.peers) {
      this.registry.track(peer);
      if (peer.key === except || !this.registry.acceptsPush(peer.key)) continue;
      text ??= writeJson(fromPlain(body));
      const payload = text;
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

  private async push(peer: PeerAddress, path: string, body: string): Promise<void> {
    try {
      await peerPost(`${peer.baseUrl}${path}`, body, this.smallLimits, { [NODE_ID_HEADER]: this.node.nodeId });
      this.registry.succeeded(peer.key, { kind: 'blockforge' });
    } catch (err) {
      if (!(err instanceof BlockforgeError)) return;
      if (err.code === ErrorCode.PeerHttpStatus && /HTTP 40[45]/.test(err.message)) {
        // A tutorial node has no push routes: not an error, just pull from it.
        this.registry.markTutorial(peer.key);
        return;
      }
      if (err.code === ErrorCode.PeerHttpStatus) return; // it refused our data; it may be on another fork
      this.registry.failed(peer.key, `${err.code}: ${err.message}`);
    }
  }

  /** Tells `peer` how to reach us, so it adds us back. */
  private async hello(peer: PeerAddress): Promise<void> {
    try {
      const response = await peerPost(
        `${peer.baseUrl}/peer/hello`,
        writeJson(fromPlain({ sender: this.sender })),
        this.smallLimits,
        {
          [NODE_ID_HEADER]: this.node.nodeId,
        },
      );
      const answer = parseJsonAnswer(response.body);
      this.registry.succeeded(peer.key, {
        kind: 'blockforge',
        ...(typeof answer.node_id === 'string' ? { nodeId: answer.node_id } : {}),
      });
    } catch (err) {
      if (err instanceof BlockforgeError && err.code === ErrorCode.PeerHttpStatus && /HTTP 40[45]/.test(err.message)) {
        this.registry.markTutorial(peer.key);
      }
      // Otherwise the next sync round finds out and records the failure.
    }
  }

  // ---- inbound (called by the API) ---------------------------------------------------------

  /** This node's summary for `/peer/status`. */
  status(): JsonObject {
    const chain = this.node.chain;
    return fromPlain({
      node_id: this.node.nodeId,
      profile: this.node.profile.name,
      difficulty: this.node.profile.difficulty,
      height: chain.length,
      tip: this.node.tip.hash,
      genesis: (chain[0] as Block).hash,
    }) as JsonObject;
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

  /** `/peer/blocks`: a pushed block. */
  receiveBlock(value: JsonValue, remote: string | undefined): string {
    const body = requireObject(value, 'block');
    const { origin, verified } = this.originOf(body.sender, remote);
    if (origin && this.registry.isBanned(origin.key)) throw bannedError(origin);
    let result: ReturnType<BlockforgeNode['offerBlock']>;
    try {
      result = this.node.offerBlock(body.block as JsonValue, origin?.key);
    } catch (err) {
      if (origin && verified && err instanceof ChainRuleError) {
        this.registry.ban(origin.key, `pushed an invalid block: ${err.message}`);
      }
      throw err;
    }
    // Only a block we now have is "seen": one we are still to sync must be announced once adopted.
    if (result === 'known') this.seenBlocks.add(hashJson(body.block as JsonValue));
    if (origin) {
      this.registry.succeeded(origin.key, { kind: 'blockforge' });
      if (result === 'ahead') this.syncSoon(origin);
    }
    return result;
  }

  /** `/peer/transactions`: a pushed transaction. */
  async receiveTransaction(value: JsonValue, remote: string | undefined): Promise<string> {
    const body = requireObject(value, 'transaction');
    const { origin, verified } = this.originOf(body.sender, remote);
    if (origin && this.registry.isBanned(origin.key)) throw bannedError(origin);
    const id = body.id;
    if (typeof id !== 'string' || !/^[0-9a-f]{32}$/.test(id)) {
      throw new BlockforgeError(ErrorCode.InvalidBody, 'id must be 32 lowercase hex digits', { field: 'id' });
    }
    if (this.seenTransactions.has(id)) return 'known';
    let tx: ReturnType<BlockforgeNode['profile']['parseTransaction']>;
    try {
      tx = this.node.profile.parseTransaction(body.transaction as JsonValue);
    } catch (err) {
      if (origin && verified && err instanceof BlockforgeError) {
        this.registry.ban(origin.key, `pushed an invalid transaction: ${err.message}`);
      }
      throw err;
    }
    this.seenTransactions.add(id);
    await this.node.submitTransaction(tx, { id, ...(origin ? { peer: origin.key } : {}) });
    if (origin) this.registry.succeeded(origin.key, { kind: 'blockforge' });
    return 'added';
  }

  /** `/peer/hello`: a peer tells us how to reach it; we add it (persisted) if we can. */
  receiveHello(value: JsonValue, remote: string | undefined): JsonObject {
    const body = isJsonObject(value) ? value : undefined;
    const { origin } = this.originOf(body?.sender, remote);
    return fromPlain({
      node_id: this.node.nodeId,
      height: this.node.chain.length,
      added: origin !== null,
    }) as JsonObject;
  }

  /**
   * Who sent a push: its advertised URL, or the connection's address with the port it says it
   * serves on. Unknown senders are added as peers (so registering one side is enough). `verified`
   * says the claimed address is the connection's own, so that a bad push may ban it: anyone can
   * claim to be an honest peer in `advertise`, and must not get it banned that way.
   */
  private originOf(
    sender: JsonValue | undefined,
    remote: string | undefined,
  ): { origin: PeerAddress | null; verified: boolean } {
    const none = { origin: null, verified: false };
    if (!isJsonObject(sender) || sender.node_id === this.node.nodeId) return none;
    const remoteHost = remote?.startsWith('::ffff:') ? remote.slice(7) : remote;
    let address: PeerAddress;
    try {
      if (typeof sender.advertise === 'string') {
        address = parsePeerAddress(sender.advertise);
      } else {
        const port = sender.port;
        if (!(port instanceof JsonNumber) || remoteHost === undefined) return none;
        address = parsePeerAddress(`${remoteHost.includes(':') ? `[${remoteHost}]` : remoteHost}:${port.text}`);
      }
    } catch {
      return none;
    }
    if (isSelfAddress(address, this.node.port, this.selfHosts)) return none;
    const loopback = (host: string): boolean => host === 'localhost' || host === '::1' || host.startsWith('127.');
    const verified =
      remoteHost !== undefined &&
      (address.host === remoteHost.toLowerCase() || (loopback(address.host) && loopback(remoteHost)));
    const known = this.registry.get(address.key);
    if (known) return { origin: known, verified };
    // The same node under another address (a proxy, localhost vs 127.0.0.1): not a second peer.
    const sameNode = typeof sender.node_id === 'string' ? this.registry.findByNodeId(sender.node_id) : undefined;
    if (sameNode) return { origin: sameNode, verified: false };
    try {
      this.node.registerPeers([address.key]);
      this.registry.track(address);
      return { origin: address, verified };
    } catch {
      return none; // this node itself, or the peer list is full
    }
  }
}

/** Parses a small JSON object answer from a peer. */
function parseJsonAnswer(body: string, maxDepth = 8): JsonObject {
  let value: JsonValue;
  try {
    value = parseJson(body, { maxDepth });
  } catch (err) {
    throw misbehaving(`answer is not valid JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(value)) throw misbehaving('answer is not a JSON object');
  return value;
}

function requireObject(value: JsonValue, field: string): JsonObject {
  if (!isJsonObject(value) || !Object.hasOwn(value, field)) {
    throw new BlockforgeError(ErrorCode.InvalidBody, `the body must be a JSON object with "${field}"`, { field });
  }
  return value;
}

function bannedError(peer: PeerAddress): BlockforgeError {
  return new BlockforgeError(ErrorCode.PeerBanned, `${peer.key} is banned for sending invalid data`, {
    statusCode: 403,
  });
}

/**
 * Heights to ask a peer about: the last ten blocks one by one, then doubling steps back to genesis.
 * A node one block behind finds the fork point in one round trip with ~20 entries, whatever the
 * chain's length.
 */
export function buildLocator(chain: readonly Block[]): { index: number; hash: string }[] {
  const out: { index: number; hash: string }[] = [];
  let index = chain.length;
  let step = 1;
  while (index >= 1 && out.length < MAX_LOCATOR - 1) {
    out.push({ index, hash: (chain[index - 1] as Block).hash });
    if (out.length >= 10) step *= 2;
    index -= step;
  }
  if (out[out.length - 1]?.index !== 1 && chain.length > 0) out.push({ index: 1, hash: (chain[0] as Block).hash });
  return out;
}
