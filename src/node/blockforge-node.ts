/**
 * A blockforge node: the chain, the mempool and the peers, kept in memory for reads and written
 * through to SQLite before any change is acknowledged. The rules come from the profile it is
 * given; this class only sequences I/O around them.
 */

import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Block, Transaction } from '../core/block.js';
import { hashJson } from '../core/canonical.js';
import { BlockforgeError, ChainRuleError, ErrorCode } from '../core/errors.js';
import { isJsonObject, JsonNumber, type JsonValue, parseJson, writeJson } from '../core/json.js';
import type { RuleProfile } from '../core/profile.js';
import { GroupCommit } from './group-commit.js';
import { type MinerOptions, type MiningResult, ProofMiner } from './miner.js';
import { NodeEvents } from './node-events.js';
import { isSelfAddress, localHosts, type PeerAddress, parsePeerAddress } from './peer-address.js';
import type { PeerRequestLimits } from './peer-client.js';
import { type NetworkOptions, PeerNetwork, type ResolveOutcome } from './peer-network.js';
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

const OPEN_LIST = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE_LIST = Buffer.from(']');

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
  /** Peer network options (sync interval, advertised address, ban time). */
  readonly network?: Partial<NetworkOptions>;
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

/** A transaction on its way into the mempool, with where it came from. */
interface IncomingTransaction {
  readonly tx: Transaction;
  readonly id: string;
  readonly source: 'client' | 'peer';
  readonly peer?: string;
}

interface PendingEntry {
  readonly id: number;
  readonly tx: Transaction;
}

/** One blockforge node. */
export class BlockforgeNode {
  readonly profile: RuleProfile;
  readonly nodeId: string;
  readonly dataDir: string;
  readonly port: number;
  readonly peerLimits: PeerRequestLimits;
  /** Changes, announced after they are on disk. */
  readonly events = new NodeEvents();
  /** Sync, push and peer health (started by {@link BlockforgeNode.startNetwork}). */
  readonly network: PeerNetwork;
  private readonly store: ChainStore;
  private readonly miner: ProofMiner;
  private readonly logger: NodeLogger;
  private readonly clock: () => number;
  private readonly ingest: GroupCommit<IncomingTransaction, number>;
  private readonly selfHosts = localHosts();
  private blocks: Block[];
  /** Each block's wire JSON, UTF-8: `/chain` and block pages are copies of these, not re-encodings. */
  private blockBuffers: Buffer[];
  /** The whole chain as a JSON list, built on first use after each change (`/chain`, resolve). */
  private chainBuffer: Buffer | null = null;
  private pending: PendingEntry[];
  private peerList: PeerAddress[];
  private mineQueue: Promise<unknown> = Promise.resolve();
  private mining: AbortController | null = null;
  private closed = false;

  private constructor(
    options: NodeOptions,
    store: ChainStore,
    blocks: Block[],
    texts: readonly string[],
    pending: PendingEntry[],
  ) {
    this.profile = options.profile;
    this.dataDir = options.dataDir;
    this.port = options.port;
    this.peerLimits = { ...DEFAULT_PEER_LIMITS, ...options.peerLimits };
    this.store = store;
    this.nodeId = store.nodeId;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? nowSeconds;
    this.blocks = blocks;
    this.blockBuffers = texts.map((t) => Buffer.from(t, 'utf8'));
    this.pending = pending;
    this.peerList = store.loadPeers().map((row) => parsePeerAddress(row.address));
    this.miner = new ProofMiner({ threads: availableParallelism(), ...options.miner });
    this.ingest = new GroupCommit((items) => {
      const ids = this.store.addPending(items.map((item) => item.tx));
      items.forEach((item, k) => {
        this.pending.push({ id: ids[k] as number, tx: item.tx });
      });
      for (const item of items) this.events.emit('transaction', item);
      // Acknowledged after the commit: the block they are promised to is the next one.
      const next = this.tip.index + 1;
      return items.map(() => next);
    });
    this.network = new PeerNetwork(
      this,
      { syncIntervalMs: 10_000, banSeconds: 300, ...options.network },
      this.logger,
      this.clock,
    );
  }

  /**
   * Opens the node in `options.dataDir`, creating a genesis block for a new chain, or loading and
   * re-validating the stored one.
   */
  static open(options: NodeOptions): BlockforgeNode {
    const { profile } = options;
    const store = ChainStore.open(options.dataDir, { profile: profile.name, difficulty: profile.difficulty });
    try {
      let texts = store.loadBlocks();
      let blocks: Block[];
      if (texts.length === 0) {
        const genesis = profile.createGenesis((options.clock ?? nowSeconds)());
        texts = [writeJson(genesis.json)];
        store.initGenesis(genesis, texts[0]);
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
      return new BlockforgeNode(options, store, blocks, texts, pending);
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

  /** Wire JSON list of blocks `[from, to)` (0-based), UTF-8; the whole chain's is cached until it changes. */
  blocksJson(from = 0, to = this.blocks.length): Buffer {
    const whole = from === 0 && to >= this.blocks.length;
    if (whole && this.chainBuffer) return this.chainBuffer;
    const parts: Buffer[] = [OPEN_LIST];
    for (let k = from; k < to; k++) {
      if (k > from) parts.push(COMMA);
      parts.push(this.blockBuffers[k] as Buffer);
    }
    parts.push(CLOSE_LIST);
    const out = Buffer.concat(parts);
    if (whole) this.chainBuffer = out;
    return out;
  }

  /**
   * Adds a validated transaction to the mempool. Resolves, once it is on disk, with the index of
   * the block it is expected in.
   */
  submitTransaction(tx: Transaction, origin: { id?: string; peer?: string } = {}): Promise<number> {
    this.assertOpen();
    if (this.pending.length + this.ingest.queued >= MAX_PENDING) {
      throw new BlockforgeError(
        ErrorCode.MempoolFull,
        `the node already holds ${MAX_PENDING} pending transactions; mine a block first`,
        { statusCode: 503 },
      );
    }
    const item: IncomingTransaction = {
      tx,
      // Gossip id: lets peers drop a transaction they already relayed (transactions have no id).
      id: origin.id ?? randomUUID().replaceAll('-', ''),
      source: origin.peer === undefined ? 'client' : 'peer',
      ...(origin.peer === undefined ? {} : { peer: origin.peer }),
    };
    return this.ingest.submit(item);
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
      const text = writeJson(block.json);
      this.store.appendBlock(
        block,
        taken.map((entry) => entry.id),
        text,
      );
      this.pushBlock(block, text);
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
   * Switches to `blocks` (a whole chain, already validated) in one commit, reconciling the mempool,
   * if it is strictly longer than ours now. Returns what happened, or null when it is not longer.
   */
  adoptChain(blocks: Block[], peer?: string): { returned: number; dropped: number } | null {
    if (this.closed || blocks.length <= this.blocks.length) return null;
    this.ingest.flush();
    const reconciliation = reconcileMempool(
      this.blocks,
      blocks,
      this.pending.map((entry) => entry.tx),
      (tx) => this.profile.isReward(tx),
    );
    const { common } = reconciliation;
    const added = blocks.slice(common);
    const texts = added.map((b) => writeJson(b.json));
    const ids = this.store.replaceChain(common, added, reconciliation.pending, texts);
    this.blocks = blocks;
    this.blockBuffers = [...this.blockBuffers.slice(0, common), ...texts.map((t) => Buffer.from(t, 'utf8'))];
    this.chainBuffer = null;
    this.pending = reconciliation.pending.map((tx, k) => ({ id: ids[k] as number, tx }));
    // A search on the old tip is now useless: stop it, the miner restarts on the new tip.
    this.mining?.abort(new BlockforgeError(ErrorCode.Internal, 'chain replaced'));
    const change = {
      height: blocks.length,
      common,
      returned: reconciliation.returned,
      dropped: reconciliation.dropped,
    };
    this.logger.info({ ...change, peer }, 'chain replaced');
    // The peer it came from has these blocks already: the network does not push them back to it.
    this.events.emit('chain-replaced', peer === undefined ? change : { ...change, peer });
    return { returned: reconciliation.returned, dropped: reconciliation.dropped };
  }

  /**
   * A block a peer pushed (untrusted JSON). Appends it when it extends our tip (one commit; its
   * transactions leave the mempool; a running search restarts on it). Says `known` for a block we
   * have, `ahead` when it shows the peer has blocks we lack (the caller syncs), `stale` for a
   * competing block that is not longer. Throws a ChainRuleError when it breaks a rule.
   */
  offerBlock(value: JsonValue, peer?: string): 'appended' | 'known' | 'ahead' | 'stale' {
    this.assertOpen();
    if (!isJsonObject(value)) {
      throw new ChainRuleError(ErrorCode.BlockShape, 0, 'a pushed block must be a JSON object');
    }
    const index = value.index;
    if (!(index instanceof JsonNumber) || !index.isInteger || !/^[1-9][0-9]{0,15}$/.test(index.text)) {
      throw new ChainRuleError(ErrorCode.BlockShape, 0, 'a pushed block needs a positive integer index');
    }
    const height = Number(index.text);
    const tip = this.tip;
    if (height <= tip.index) {
      return hashJson(value) === (this.blocks[height - 1] as Block).hash ? 'known' : 'stale';
    }
    if (height > tip.index + 1 || value.previous_hash !== tip.hash) return 'ahead';
    const [block] = this.profile.validateBlocks(tip, [value]);
    this.appendValidated(block as Block, peer);
    return 'appended';
  }

  /** Appends a validated block that extends the tip, removing its transactions from the mempool. */
  private appendValidated(block: Block, peer?: string): void {
    this.ingest.flush();
    const inBlock = new Map<string, number>();
    for (const tx of block.transactions) inBlock.set(tx.canonical, (inBlock.get(tx.canonical) ?? 0) + 1);
    const consumed: number[] = [];
    const kept: PendingEntry[] = [];
    for (const entry of this.pending) {
      const count = inBlock.get(entry.tx.canonical) ?? 0;
      if (count > 0) {
        inBlock.set(entry.tx.canonical, count - 1);
        consumed.push(entry.id);
      } else {
        kept.push(entry);
      }
    }
    const text = writeJson(block.json);
    this.store.appendBlock(block, consumed, text);
    this.pushBlock(block, text);
    this.pending = kept;
    this.mining?.abort(new BlockforgeError(ErrorCode.Internal, 'a peer extended the chain'));
    this.logger.info({ index: block.index, peer, txs: block.transactions.length }, 'block received');
    this.events.emit('block', peer === undefined ? { block, source: 'peer' } : { block, source: 'peer', peer });
  }

  /** Starts automatic sync and push (the CLI does; in-process tests may not). */
  startNetwork(): void {
    this.network.start();
  }

  /**
   * The tutorial's consensus, hardened and incremental: every peer that is not banned is asked for
   * its height (a tutorial peer for its whole chain), and the longest valid chain strictly longer
   * than ours is adopted atomically, fetching only the blocks after the fork point.
   */
  resolve(): Promise<ResolveOutcome> {
    this.assertOpen();
    return this.network.resolve();
  }

  /** Appends a stored block to the in-memory chain. */
  private pushBlock(block: Block, text: string): void {
    this.blocks.push(block);
    this.blockBuffers.push(Buffer.from(text, 'utf8'));
    this.chainBuffer = null;
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new BlockforgeError(ErrorCode.ShuttingDown, 'the node is shutting down', { statusCode: 503 });
    }
  }

  /** Commits queued writes, stops mining and closes the database. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.network.stop();
    this.ingest.flush();
    this.closed = true;
    this.mining?.abort(new BlockforgeError(ErrorCode.ShuttingDown, 'the node is shutting down', { statusCode: 503 }));
    await this.miner.close();
    this.store.close();
  }
}
