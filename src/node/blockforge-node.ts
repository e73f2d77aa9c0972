/**
 * A blockforge node: the chain, the mempool and the peers, kept in memory for reads and written
 * through to SQLite before any change is acknowledged. The rules come from the profile it is
 * given; this class only sequences I/O around them.
 */

import { availableParallelism } from 'node:os';
import type { Block, Transaction } from '../core/block.js';
import { validateChainResponse } from '../core/chain.js';
import { BlockforgeError, ChainRuleError, ErrorCode } from '../core/errors.js';
import { isJsonObject, JsonNumber, parseJson, writeJson } from '../core/json.js';
import type { RuleProfile } from '../core/profile.js';
import { GroupCommit } from './group-commit.js';
import { type MinerOptions, type MiningResult, ProofMiner } from './miner.js';
import { NodeEvents } from './node-events.js';
import { isSelfAddress, localHosts, type PeerAddress, parsePeerAddress } from './peer-address.js';
import { NODE_ID_HEADER, type PeerRequestLimits, peerGet } from './peer-client.js';
import { reconcileMempool } from './reconcile.js';
import { ChainStore } from './storage.js';

/** The logging a node does (pino's shape). */
export interface NodeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Unix time in seconds with sub-millisecond digits, like Python's `time.time()`. */
function nowSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

const silentLogger: NodeLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Options for {@link BlockforgeNode.open}. */
export interface NodeOptions {
  /** Folder of this node's database. */
  readonly dataDir: string;
  /** The consensus rules. */
  readonly profile: RuleProfile;
  /** The port this node serves on (to refuse registering itself as a peer). */
  readonly port: number;
  /** Limits on every request to a peer. */
  readonly peerLimits?: Partial<PeerRequestLimits>;
  /** Proof-of-work pool options. */
  readonly miner?: MinerOptions;
  readonly logger?: NodeLogger;
  /** Unix time in seconds (a float); replaceable in tests. */
  readonly clock?: () => number;
}

/** Default peer limits: a few seconds, and room for a chain of ~100k blocks. */
export const DEFAULT_PEER_LIMITS: PeerRequestLimits = {
  connectTimeoutMs: 2_000,
  totalTimeoutMs: 5_000,
  maxBytes: 32 * 1024 * 1024,
};

/**
 * Most pending transactions a node holds (a block of them is ~17 MB of JSON, within what peers
 * accept). Past it, new transactions get 503 until a block is mined.
 */
export const MAX_PENDING = 250_000;

/** Most peers a node keeps (each is fetched on every resolve). */
export const MAX_PEERS = 256;

/** A block this node forged, with how it was found. */
export interface MinedBlock {
  readonly block: Block;
  readonly mining: MiningResult;
}

/** What happened with one peer during a resolve. */
export interface PeerReport {
  readonly peer: string;
  /** `adopted`, `not-longer`, `not-chosen`, or the failure: `invalid`, `unreachable`, ... */
  readonly status: string;
  /** Blocks the peer's chain has (counted, never read from the peer), when it was received. */
  readonly length?: number;
  /** Error code, when the peer failed. */
  readonly code?: string;
  /** Whether the peer misbehaved (sent something an honest node never sends). */
  readonly misbehaved?: boolean;
  readonly reason?: string;
  readonly ms: number;
}

/** Outcome of {@link BlockforgeNode.resolve}. */
export interface ResolveOutcome {
  readonly replaced: boolean;
  readonly chain: readonly Block[];
  readonly peers: readonly PeerReport[];
  /** Pending transactions returned from dropped blocks / dropped as already mined. */
  readonly returned: number;
  readonly dropped: number;
}

interface PendingEntry {
  readonly id: number;
  readonly tx: Transaction;
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

/** One blockforge node. */
export class BlockforgeNode {
  readonly profile: RuleProfile;
  readonly nodeId: string;
  readonly dataDir: string;
  readonly port: number;
  readonly peerLimits: PeerRequestLimits;
  /** Changes, announced after they are on disk. */
  readonly events = new NodeEvents();
  private readonly store: ChainStore;
  private readonly miner: ProofMiner;
  private readonly logger: NodeLogger;
  private readonly clock: () => number;
  private readonly ingest: GroupCommit<Transaction, number>;
  private readonly selfHosts = localHosts();
  private blocks: Block[];
  private blockTexts: string[];
  private pending: PendingEntry[];
  private peerList: PeerAddress[];
  private mineQueue: Promise<unknown> = Promise.resolve();
  private mining: AbortController | null = null;
  private closed = false;

  private constructor(options: NodeOptions, store: ChainStore, blocks: Block[], pending: PendingEntry[]) {
    this.profile = options.profile;
    this.dataDir = options.dataDir;
    this.port = options.port;
    this.peerLimits = { ...DEFAULT_PEER_LIMITS, ...options.peerLimits };
    this.store = store;
    this.nodeId = store.nodeId;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? nowSeconds;
    this.blocks = blocks;
    this.blockTexts = blocks.map((b) => writeJson(b.json));
    this.pending = pending;
    this.peerList = store.loadPeers().map((row) => parsePeerAddress(row.address));
    this.miner = new ProofMiner({ threads: availableParallelism(), ...options.miner });
    this.ingest = new GroupCommit((txs) => {
      const ids = this.store.addPending(txs);
      txs.forEach((tx, k) => {
        this.pending.push({ id: ids[k] as number, tx });
      });
      for (const tx of txs) this.events.emit('transaction', { tx, source: 'client' });
      // Acknowledged after the commit: the block they are promised to is the next one.
      const next = this.tip.index + 1;
      return txs.map(() => next);
    });
  }

  /**
   * Opens the node in `options.dataDir`, creating a genesis block for a new chain, or loading and
   * re-validating the stored one.
   */
  static open(options: NodeOptions): BlockforgeNode {
    const { profile } = options;
    const store = ChainStore.open(options.dataDir, { profile: profile.name, difficulty: profile.difficulty });
    try {
      const texts = store.loadBlocks();
      let blocks: Block[];
      if (texts.length === 0) {
        const genesis = profile.createGenesis((options.clock ?? nowSeconds)());
        store.initGenesis(genesis);
        blocks = [genesis];
      } else {
        try {
          blocks = profile.validateBlocks(
            null,
            texts.map((t) => parseJson(t)),
          );
        } catch (err) {
          throw new BlockforgeError(
            ErrorCode.DataDirMismatch,
            `the chain stored in ${options.dataDir} is not valid under the ${profile.name} profile: ${(err as Error).message}`,
            { cause: err },
          );
        }
      }
      const pending = store
        .loadPending()
        .map((row) => ({ id: row.id, tx: profile.parseTransaction(parseJson(row.json)) }));
      return new BlockforgeNode(options, store, blocks, pending);
    } catch (err) {
      store.close();
      throw err;
    }
  }

  /** The chain, genesis first. */
  get chain(): readonly Block[] {
    return this.blocks;
  }

  /** The last block. */
  get tip(): Block {
    return this.blocks[this.blocks.length - 1] as Block;
  }

  /** Pending transactions, oldest first. */
  get pendingTransactions(): readonly Transaction[] {
    return this.pending.map((entry) => entry.tx);
  }

  /** Registered peers, in the order they were added. */
  get peers(): readonly PeerAddress[] {
    return this.peerList;
  }

  /** Whether a proof-of-work search is running, and the last search's rate. */
  get miningStatus(): { mining: boolean; lastRate: number; threads: number; kernel: string } {
    return {
      mining: this.mining !== null,
      lastRate: this.miner.lastRate,
      threads: this.miner.threads,
      kernel: this.miner.kernel,
    };
  }

  /** Wire JSON of blocks `[from, to)` (0-based), joined by commas: cached, so `/chain` is cheap. */
  blocksJson(from = 0, to = this.blocks.length): string {
    return this.blockTexts.slice(from, to).join(',');
  }

  /**
   * Adds a validated transaction to the mempool. Resolves, once it is on disk, with the index of
   * the block it is expected in.
   */
  submitTransaction(tx: Transaction): Promise<number> {
    this.assertOpen();
    if (this.pending.length + this.ingest.queued >= MAX_PENDING) {
      throw new BlockforgeError(
        ErrorCode.MempoolFull,
        `the node already holds ${MAX_PENDING} pending transactions; mine a block first`,
        { statusCode: 503 },
      );
    }
    return this.ingest.submit(tx);
  }

  /**
   * Mines the next block: proof of work off the main thread, then the reward and every pending
   * transaction forged into a block, appended in one commit. Concurrent calls queue: each gets
   * its own block. If the chain changes during the search, it starts again on the new tip.
   */
  mine(): Promise<MinedBlock> {
    this.assertOpen();
    const run = this.mineQueue.then(() => this.mineOnce());
    this.mineQueue = run.catch(() => undefined);
    return run;
  }

  private async mineOnce(): Promise<MinedBlock> {
    for (;;) {
      this.assertOpen();
      const prev = this.tip;
      const controller = new AbortController();
      this.mining = controller;
      this.events.emit('mining', { mining: true, rate: this.miner.lastRate });
      let mining: MiningResult;
      try {
        let shown = 0;
        const expected = 16 ** this.profile.difficulty;
        mining = await this.miner.search(this.profile.powChallenge(prev), {
          signal: controller.signal,
          onProgress: (p) => {
            // Throttled: browsers watching the node need a few updates a second, not one per chunk.
            if (p.seconds - shown < 0.25) return;
            shown = p.seconds;
            this.events.emit('mining-progress', { index: prev.index + 1, ...p, expected });
          },
        });
      } catch (err) {
        if (controller.signal.aborted && !this.closed) continue; // the chain changed: mine on the new tip
        throw err;
      } finally {
        this.mining = null;
        this.events.emit('mining', { mining: false, rate: this.miner.lastRate });
      }
      if (this.tip !== prev) continue;
      // Transactions still in the group-commit queue are not acknowledged yet: commit them first
      // so they land in this block, as they would on the tutorial node.
      this.ingest.flush();
      const taken = this.pending;
      const block = this.profile.forgeBlock({
        prev,
        proof: mining.proof,
        pending: taken.map((entry) => entry.tx),
        nodeId: this.nodeId,
        timestampSeconds: this.clock(),
      });
      this.store.appendBlock(
        block,
        taken.map((entry) => entry.id),
      );
      this.blocks.push(block);
      this.blockTexts.push(writeJson(block.json));
      this.pending = [];
      this.events.emit('block', { block, source: 'mined' });
      this.logger.info(
        {
          index: block.index,
          proof: mining.proof,
          tries: mining.tries,
          seconds: mining.seconds,
          txs: block.transactions.length,
        },
        'block forged',
      );
      return { block, mining };
    }
  }

  /**
   * Validates and stores peer addresses, all or nothing. Returns every peer's key afterwards.
   * Throws INVALID_NODES naming the first bad entry.
   */
  registerPeers(inputs: readonly string[]): string[] {
    this.assertOpen();
    const parsed = inputs.map((input, k) => {
      try {
        const address = parsePeerAddress(input);
        if (isSelfAddress(address, this.port, this.selfHosts)) {
          throw new BlockforgeError(ErrorCode.InvalidNodes, `${address.key} is this node itself`, { field: 'nodes' });
        }
        return address;
      } catch (err) {
        const message = err instanceof BlockforgeError ? err.message : String(err);
        throw new BlockforgeError(
          ErrorCode.InvalidNodes,
          `Error: Please supply a valid list of nodes (item ${k + 1}: ${message})`,
          {
            field: 'nodes',
          },
        );
      }
    });
    const known = new Set(this.peerList.map((p) => p.key));
    const added: PeerAddress[] = [];
    for (const address of parsed) {
      if (!known.has(address.key)) {
        known.add(address.key);
        added.push(address);
      }
    }
    if (this.peerList.length + added.length > MAX_PEERS) {
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
      this.peerList = [...this.peerList, ...added];
      this.logger.info({ peers: added.map((a) => a.key) }, 'peers added');
      this.events.emit('peers', { peers: this.peerList.map((p) => p.key) });
    }
    return this.peerList.map((p) => p.key);
  }

  /**
   * The tutorial's consensus, hardened: fetch every peer's `/chain` concurrently within the peer
   * limits, validate fully, and adopt the longest valid chain strictly longer than ours,
   * atomically, reconciling the mempool. Peers that fail are reported, never fatal.
   */
  async resolve(): Promise<ResolveOutcome> {
    this.assertOpen();
    const peers = this.peerList;
    const fetched = await Promise.all(peers.map((peer) => this.fetchChain(peer)));
    // Take the longest valid candidate; on a tie, the first peer registered wins.
    let best: { index: number; blocks: Block[] } | null = null;
    fetched.forEach((f, index) => {
      if (f.blocks && (!best || f.blocks.length > best.blocks.length)) best = { index, blocks: f.blocks };
    });
    let replaced = false;
    let returned = 0;
    let dropped = 0;
    const chosen = best as { index: number; blocks: Block[] } | null;
    const before = this.blocks.length;
    // Re-checked now: our chain may have grown while the peers answered.
    if (chosen && chosen.blocks.length > before && !this.closed) {
      const outcome = this.adopt(chosen.blocks);
      replaced = true;
      returned = outcome.returned;
      dropped = outcome.dropped;
    }
    const reports = fetched.map((f, index): PeerReport => {
      if (!f.blocks) return f.report;
      const status =
        replaced && index === chosen?.index ? 'adopted' : f.blocks.length > before ? 'not-chosen' : 'not-longer';
      return { ...f.report, status };
    });
    this.logger.info(
      { replaced, height: this.blocks.length, peers: reports.map((r) => `${r.peer}:${r.status}`) },
      'resolve finished',
    );
    return { replaced, chain: this.blocks, peers: reports, returned, dropped };
  }

  private async fetchChain(peer: PeerAddress): Promise<{ blocks: Block[] | null; report: PeerReport }> {
    const started = performance.now();
    const ms = (): number => Math.round(performance.now() - started);
    try {
      const response = await peerGet(`${peer.baseUrl}/chain`, this.peerLimits, { [NODE_ID_HEADER]: this.nodeId });
      if (response.headers[NODE_ID_HEADER] === this.nodeId) {
        throw new BlockforgeError(ErrorCode.PeerIsSelf, 'this address is this node itself', { peerMisbehaved: false });
      }
      let value: ReturnType<typeof parseJson>;
      try {
        value = parseJson(response.body, { maxDepth: 16 });
      } catch (err) {
        throw new BlockforgeError(ErrorCode.PeerBadResponse, `answer is not valid JSON: ${(err as Error).message}`, {
          peerMisbehaved: true,
        });
      }
      // A chain that cannot win is not worth validating (the tutorial does the same), unless its
      // `length` field disagrees with the count: that is a lie, reported as one by validation.
      const count = isJsonObject(value) && Array.isArray(value.chain) ? value.chain.length : -1;
      const claimed = isJsonObject(value) ? value.length : undefined;
      const honestLength = claimed instanceof JsonNumber && claimed.text === String(count);
      if (count >= 0 && count <= this.blocks.length && honestLength) {
        return { blocks: null, report: { peer: peer.key, status: 'not-longer', length: count, ms: ms() } };
      }
      const blocks = validateChainResponse(this.profile, value);
      return { blocks, report: { peer: peer.key, status: 'valid', length: blocks.length, ms: ms() } };
    } catch (err) {
      if (!(err instanceof BlockforgeError)) throw err;
      const report: PeerReport = {
        peer: peer.key,
        status: err instanceof ChainRuleError ? 'invalid' : (STATUS_OF_CODE[err.code] ?? 'failed'),
        code: err.code,
        misbehaved: err.peerMisbehaved ?? false,
        reason: err.message,
        ms: ms(),
      };
      this.logger.warn({ peer: peer.key, code: err.code, reason: err.message }, 'peer skipped');
      return { blocks: null, report };
    }
  }

  /** Switches to `blocks` (already validated, longer than ours) in one commit. */
  private adopt(blocks: Block[]): { returned: number; dropped: number } {
    this.ingest.flush();
    const reconciliation = reconcileMempool(
      this.blocks,
      blocks,
      this.pending.map((entry) => entry.tx),
      (tx) => this.profile.isReward(tx),
    );
    const { common } = reconciliation;
    const ids = this.store.replaceChain(common, blocks.slice(common), reconciliation.pending);
    this.blocks = blocks;
    this.blockTexts = [...this.blockTexts.slice(0, common), ...blocks.slice(common).map((b) => writeJson(b.json))];
    this.pending = reconciliation.pending.map((tx, k) => ({ id: ids[k] as number, tx }));
    // A search on the old tip is now useless: stop it, the miner restarts on the new tip.
    this.mining?.abort(new BlockforgeError(ErrorCode.Internal, 'chain replaced'));
    const change = {
      height: blocks.length,
      common,
      returned: reconciliation.returned,
      dropped: reconciliation.dropped,
    };
    this.logger.info(change, 'chain replaced');
    this.events.emit('chain-replaced', change);
    return { returned: reconciliation.returned, dropped: reconciliation.dropped };
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new BlockforgeError(ErrorCode.ShuttingDown, 'the node is shutting down', { statusCode: 503 });
    }
  }

  /** Commits queued writes, stops mining and closes the database. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.ingest.flush();
    this.closed = true;
    this.mining?.abort(new BlockforgeError(ErrorCode.ShuttingDown, 'the node is shutting down', { statusCode: 503 }));
    await this.miner.close();
    this.store.close();
  }
}
