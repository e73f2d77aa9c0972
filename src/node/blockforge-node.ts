/**
 * A blockforge node: the chain, its state, the mempool and mining, kept in memory for reads and
 * written through to SQLite before any change is acknowledged. It knows nothing of peers (the peer
 * network is a service beside it: `peer-network.ts`) and nothing of any profile's JSON: the rules
 * come from the profile it is given, and this class only sequences I/O around them.
 */

import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Block, StateDiff, StateView, Transaction } from '../core/block.js';
import { blockTooLarge, OverlayState, type ValidatedBranch, validateBranch } from '../core/chain.js';
import { BlockforgeError, ChainRuleError, ErrorCode } from '../core/errors.js';
import { type JsonValue, parseJson, writeJson } from '../core/json.js';
import type { ChainView, RuleProfile } from '../core/profile.js';
import { GroupCommit } from './group-commit.js';
import { MAX_PEER_BLOCK_BYTES } from './limits.js';
import { Mempool } from './mempool.js';
import { type MinerOptions, type MiningResult, ProofMiner, type ProofSolver } from './miner.js';
import { type BlockRef, MAX_REORG_LIST, NodeEvents } from './node-events.js';
import { reconcileMempool } from './reconcile.js';
import { MAX_SIGHTINGS, StaleBlocks, type StaleSource } from './stale-blocks.js';
import { ChainStore, type PeerStore, type StoredBlock } from './storage.js';

/** The logging a node does (pino's shape). */
export interface NodeLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Unix time in seconds with sub-millisecond digits, like Python's `time.time()`. */
export function nowSeconds(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

const OPEN_LIST = Buffer.from('[');
const COMMA = Buffer.from(',');
const CLOSE_LIST = Buffer.from(']');

/** A logger that drops everything. */
export const silentLogger: NodeLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Options for {@link BlockforgeNode.open}. */
export interface NodeOptions {
  /** Folder of this node's database. */
  readonly dataDir: string;
  /** The consensus rules. */
  readonly profile: RuleProfile;
  /** Who this node's mining rewards pay; its node id when omitted (the tutorial's rule). */
  readonly beneficiary?: string;
  /** Proof-of-work pool options. */
  readonly miner?: MinerOptions;
  /** A proof-of-work solver to use instead of the thread pool (in-process tests). */
  readonly solver?: ProofSolver;
  readonly logger?: NodeLogger;
  /** Unix time in seconds (a float); replaceable in tests. */
  readonly clock?: () => number;
  /**
   * Verifies in bulk, ahead of validation, what can be verified in parallel (signatures);
   * validation still checks everything. The peer network calls it with each page of blocks it
   * fetches and with each pushed block, before validating them; an error it throws fails nothing
   * (it is logged at debug, and validation decides).
   */
  readonly precheck?: (values: readonly JsonValue[]) => Promise<void>;
}

/**
 * Most pending transactions a node holds (a block of them is ~17 MB of JSON, within what peers
 * accept). Past it, or past {@link MAX_PENDING_BYTES}, new transactions get 503 until a block is mined.
 */
export const MAX_PENDING = 250_000;

/** Most canonical bytes of pending transactions a node holds. */
export const MAX_PENDING_BYTES = 64 * 1024 * 1024;

/** A block this node forged, with how it was found. */
export interface MinedBlock {
  readonly block: Block;
  readonly mining: MiningResult;
}

/** What {@link BlockforgeNode.offerBlock} did with a block. */
export type OfferResult = 'appended' | 'known' | 'ahead' | 'stale';

/** What a switch to another branch changed. */
export interface Reorg {
  /** Blocks both chains share (the fork point's height). */
  readonly common: number;
  /** Transactions of our dropped blocks that went back to pending. */
  readonly returned: number;
  /** Pending transactions dropped because the adopted blocks have them. */
  readonly dropped: number;
}

/** A transaction on its way into the mempool, with where it came from. */
interface IncomingTransaction {
  readonly tx: Transaction;
  readonly id: string;
  readonly source: 'client' | 'peer';
  readonly peer?: string;
}

/** The state at the tip, read from memory. */
class MapState implements StateView {
  constructor(readonly map: Map<string, string>) {}
  get(key: string): string | undefined {
    return this.map.get(key);
  }
}

/** One blockforge node. */
export class BlockforgeNode {
  readonly profile: RuleProfile;
  readonly nodeId: string;
  readonly dataDir: string;
  /** Who this node's mining rewards pay. */
  readonly beneficiary: string;
  /** Changes, announced after they are on disk. */
  readonly events = new NodeEvents();
  /** The bulk check run ahead of validation ({@link NodeOptions.precheck}), if any. */
  readonly precheck: ((values: readonly JsonValue[]) => Promise<void>) | undefined;
  /** Validated blocks off our chain (dropped by reorgs, tied siblings, branches that lost), in memory. */
  readonly staleBlocks = new StaleBlocks();
  /** Where the peer network keeps its peer list (the same database). */
  readonly peerStore: PeerStore;
  private readonly store: ChainStore;
  private readonly miner: ProofSolver;
  private readonly logger: NodeLogger;
  private readonly clock: () => number;
  private readonly ingest: GroupCommit<IncomingTransaction, number>;
  private readonly mempool = new Mempool();
  private blocks: Block[];
  /** Each block's wire JSON, UTF-8: `/chain` and block pages are copies of these, not re-encodings. */
  private blockBuffers: Buffer[];
  /** `works[h - 1]`: total work of blocks 1..h (fork choice). */
  private works: bigint[];
  /** `diffs[h - 1]`: what block h changed in the state (undone in a reorg). */
  private diffs: StateDiff[];
  private readonly state: MapState;
  /** The whole chain as a JSON list, built on first use after each change (`/chain`, resolve). */
  private chainBuffer: Buffer | null = null;
  private mineQueue: Promise<unknown> = Promise.resolve();
  private mining: AbortController | null = null;
  private closed = false;

  private constructor(
    options: NodeOptions,
    store: ChainStore,
    branch: ValidatedBranch,
    texts: readonly string[],
    state: Map<string, string>,
  ) {
    this.profile = options.profile;
    this.dataDir = options.dataDir;
    this.store = store;
    this.peerStore = store;
    this.nodeId = store.nodeId;
    this.beneficiary = options.beneficiary ?? this.nodeId;
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? nowSeconds;
    this.precheck = options.precheck;
    this.blocks = branch.blocks;
    this.diffs = branch.diffs;
    this.works = [];
    this.extendWorks(0, branch.blocks);
    this.blockBuffers = texts.map((t) => Buffer.from(t, 'utf8'));
    this.state = new MapState(state);
    this.miner = options.solver ?? new ProofMiner({ threads: availableParallelism(), ...options.miner });
    this.ingest = new GroupCommit(
      (items) => {
        const txs = items.map((item) => item.tx);
        this.mempool.committed(txs, this.store.addPending(txs));
        for (const item of items) this.events.emit('transaction', item);
        // Acknowledged after the commit: the block they are promised to is the next one.
        const next = this.tip.height + 1;
        return items.map(() => next);
      },
      (items) => this.mempool.discard(items.map((item) => item.tx)),
    );
  }

  /**
   * Opens the node in `options.dataDir`, creating a genesis block for a new chain, or loading and
   * re-validating the stored one (and its state).
   */
  static open(options: NodeOptions): BlockforgeNode {
    const { profile } = options;
    const store = ChainStore.open(options.dataDir, { profile: profile.name, params: profile.params });
    try {
      let texts = store.loadBlocks();
      let branch: ValidatedBranch;
      if (texts.length === 0) {
        const genesis = profile.createGenesis((options.clock ?? nowSeconds)());
        const diff = profile.connectBlock(genesis, null);
        texts = [writeJson(genesis.json)];
        store.initGenesis({ block: genesis, text: texts[0] as string, diff });
        branch = { blocks: [genesis], diffs: [diff] };
      } else {
        try {
          branch = validateBranch(
            profile,
            null,
            texts.map((t) => parseJson(t, { nonFinite: true })),
          );
        } catch (err) {
          throw new BlockforgeError(
            ErrorCode.DataDirMismatch,
            `the chain stored in ${options.dataDir} is not valid under the ${profile.name} profile: ${(err as Error).message}`,
            { cause: err },
          );
        }
      }
      // The chain is the truth: the state is what its diffs add up to (rewritten if the stored
      // copy disagrees, which only a damaged file can cause).
      const state = new Map<string, string>();
      for (const diff of branch.diffs) {
        for (const change of diff) {
          if (change.after === null) state.delete(change.key);
          else state.set(change.key, change.after);
        }
      }
      if (!sameState(state, store.loadState())) store.resetState(state, branch.diffs);
      const node = new BlockforgeNode(options, store, branch, texts, state);
      node.reloadMempool();
      return node;
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

  /** Total work of the chain (what fork choice compares). */
  get chainWork(): bigint {
    return this.works[this.works.length - 1] as bigint;
  }

  /** Pending transactions, oldest first. */
  get pendingTransactions(): readonly Transaction[] {
    return this.mempool.transactions;
  }

  /** Whether a proof-of-work search is running, and the last search's rate. */
  get miningStatus(): { mining: boolean; lastRate: number; threads: number; kernel: string; hashrate: number | null } {
    return {
      mining: this.mining !== null,
      lastRate: this.miner.lastRate,
      threads: this.miner.threads,
      kernel: this.miner.kernel,
      hashrate: this.miner.hashrate ?? null,
    };
  }

  /**
   * Our chain up to `height` as the rules see it: its blocks and the state after block `height`
   * (the tip's state with the diffs above it undone).
   */
  viewAt(height: number): ChainView {
    if (!Number.isInteger(height) || height < 0 || height > this.blocks.length) {
      throw new RangeError(`no height ${height} on a chain of ${this.blocks.length} blocks`);
    }
    const blocks = this.blocks;
    // A snapshot: a view outlives awaits (a sync fetching pages, a search), and the chain may move
    // meanwhile. Free for the profiles without state.
    const snapshot = new MapState(new Map(this.state.map));
    let state: StateView = snapshot;
    if (height < blocks.length && this.diffs.slice(height).some((d) => d.length > 0)) {
      const overlay = new OverlayState(snapshot);
      for (let h = blocks.length; h > height; h--) overlay.undo(this.diffs[h - 1] as StateDiff);
      state = overlay;
    }
    return {
      height,
      state,
      block(h: number): Block {
        if (!Number.isInteger(h) || h < 1 || h > height) throw new RangeError(`no block ${h} at or below ${height}`);
        return blocks[h - 1] as Block;
      },
    };
  }

  /**
   * The chain as it is now, with the live state (no copy): for synchronous reads only (an API
   * answer), since it changes with the chain. Use {@link viewAt} across awaits.
   */
  tipView(): ChainView {
    const blocks = this.blocks;
    const height = blocks.length;
    return {
      height,
      state: this.state,
      block(h: number): Block {
        if (!Number.isInteger(h) || h < 1 || h > height) throw new RangeError(`no block ${h} at or below ${height}`);
        return blocks[h - 1] as Block;
      },
    };
  }

  /** Total work of our blocks 1..height (0 for height 0). */
  workAt(height: number): bigint {
    return height === 0 ? 0n : (this.works[height - 1] as bigint);
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
   * Where a page of blocks starting at `from` (0-based) ends: at most `count` blocks and `maxBytes`
   * of wire JSON, but always at least one block (so any block can be served).
   */
  pageEnd(from: number, count: number, maxBytes: number): number {
    const last = Math.min(from + count, this.blocks.length);
    let bytes = 0;
    let end = from;
    while (end < last) {
      bytes += (this.blockBuffers[end] as Buffer).length + 1;
      if (bytes > maxBytes && end > from) break;
      end++;
    }
    return end;
  }

  /**
   * Adds a transaction (already parsed by the profile's policy) to the mempool, if the profile
   * admits it against the tip's state. Resolves, once it is on disk, with the height of the block
   * it is expected in.
   */
  submitTransaction(
    tx: Transaction,
    origin: { id?: string; peer?: string; source?: 'client' | 'peer' } = {},
  ): Promise<number> {
    this.assertOpen();
    if (this.mempool.size >= MAX_PENDING || this.mempool.bytes + tx.canonical.length > MAX_PENDING_BYTES) {
      throw new BlockforgeError(
        ErrorCode.MempoolFull,
        `the mempool is full (at most ${MAX_PENDING} transactions and ${MAX_PENDING_BYTES / 1024 / 1024} MiB); mine a block first`,
      );
    }
    const replaced = this.profile.admitTransaction(tx, this.state, this.mempool.transactions);
    if (replaced) {
      // A replacement by fee (rare): the old row goes and the new one comes in one commit of its
      // own, so a crash leaves one of the two, never neither. Queued rows are committed first.
      this.ingest.flush();
      const gone = new Set([replaced]);
      const rows = this.mempool.remove(gone);
      let row: number;
      try {
        row = this.store.replacePending(rows, tx);
      } catch (err) {
        this.reloadMempool();
        throw err;
      }
      this.mempool.addCommitted(tx, row);
      this.events.emit('transaction', {
        tx,
        id: origin.id ?? randomUUID().replaceAll('-', ''),
        source: origin.source ?? (origin.peer === undefined ? 'client' : 'peer'),
        ...(origin.peer === undefined ? {} : { peer: origin.peer }),
      });
      return Promise.resolve(this.tip.height + 1);
    }
    this.mempool.add(tx);
    const item: IncomingTransaction = {
      tx,
      // Gossip id: lets peers drop a transaction they already relayed.
      id: origin.id ?? randomUUID().replaceAll('-', ''),
      source: origin.source ?? (origin.peer === undefined ? 'client' : 'peer'),
      ...(origin.peer === undefined ? {} : { peer: origin.peer }),
    };
    return this.ingest.submit(item);
  }

  /**
   * Mines the next block: the profile's puzzle solved off the main thread, then the block sealed
   * with what the profile selects from the mempool, appended in one commit. Concurrent calls queue:
   * each gets its own block. If the chain changes during the search, it starts again on the new tip.
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
      const parent = this.viewAt(this.blocks.length);
      // Acknowledged transactions are committed first, so a template that selects them now (the
      // ledger's) sees every one of them.
      this.ingest.flush();
      const template = this.profile.blockTemplate(parent, this.beneficiary, this.mempool.transactions, this.clock());
      const controller = new AbortController();
      this.mining = controller;
      this.events.emit('mining', { mining: true, rate: this.miner.lastRate });
      // Progress from the first moment (0 tries), whatever the hash rate: a fast machine may find
      // the proof before the first throttled update, and a watcher should still see mining start.
      this.events.emit('mining-progress', {
        index: prev.height + 1,
        hashes: 0,
        seconds: 0,
        rate: 0,
        expected: template.expectedHashes,
      });
      let mining: MiningResult;
      try {
        let shown = 0;
        mining = await this.miner.search(template.puzzle, {
          signal: controller.signal,
          onProgress: (p) => {
            // Throttled: browsers watching the node need a few updates a second, not one per chunk.
            if (p.seconds - shown < 0.25) return;
            shown = p.seconds;
            this.events.emit('mining-progress', { index: prev.height + 1, ...p, expected: template.expectedHashes });
          },
        });
      } catch (err) {
        if (controller.signal.aborted && !this.closed) continue; // the chain changed: mine on the new tip
        throw err;
      } finally {
        this.mining = null;
        this.events.emit('mining', { mining: false, rate: this.miner.lastRate });
      }
      this.assertOpen();
      if (this.tip !== prev) continue;
      // Transactions still in the group-commit queue are not acknowledged yet: commit them first
      // so they can land in this block, as they would on the tutorial node.
      this.ingest.flush();
      const block = template.seal(mining.proof, this.mempool.transactions, this.clock());
      // Our own block passes the chain rules like any other (a profile bug must not reach peers).
      const diff = this.profile.connectBlock(block, parent);
      this.appendBlock(block, diff);
      this.events.emit('block', { block, source: 'mined' });
      this.logger.info(
        {
          height: block.height,
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
   * A block a peer pushed (untrusted JSON), decoded by the profile. Appends it when it extends our
   * tip, or switches to it when it makes a fork with more work (one commit either way). Says `known`
   * for a block we have, `ahead` when its parent is unknown and it is higher than our tip (the
   * caller syncs), `stale` for a competing block without more work. Throws a ChainRuleError when it
   * breaks a rule.
   */
  offerBlock(value: JsonValue, peer?: string): OfferResult {
    this.assertOpen();
    const block = this.profile.decodeBlock(value, 0);
    if (block.size > MAX_PEER_BLOCK_BYTES) throw blockTooLarge(block, MAX_PEER_BLOCK_BYTES);
    this.profile.checkArrival?.(block, this.clock());
    const height = block.height;
    const tip = this.tip;
    if (height <= tip.height && this.blocks[height - 1]?.hash === block.hash) return 'known';
    const parentHeight = height - 1;
    const onOurChain = parentHeight >= 1 && this.blocks[parentHeight - 1]?.hash === block.parentHash;
    if (!onOurChain) return height > tip.height ? 'ahead' : 'stale';
    if (parentHeight === tip.height) {
      const diff = this.profile.connectBlock(block, this.viewAt(parentHeight));
      this.appendBlock(block, diff);
      this.logger.info({ height, peer, txs: block.transactions.length }, 'block received');
      this.events.emit('block', peer === undefined ? { block, source: 'peer' } : { block, source: 'peer', peer });
      return 'appended';
    }
    // A sibling of one of our blocks: worth validating only if it would carry more work, or as much
    // (a tie: kept as a stale block, so the fork can be shown).
    const work = this.workAt(parentHeight) + block.work;
    if (work < this.chainWork || this.staleBlocks.has(block.hash)) return 'stale';
    if (work === this.chainWork) {
      try {
        this.keepStale(parentHeight, validateBranch(this.profile, this.viewAt(parentHeight), [value]), 'sibling', peer);
      } catch (err) {
        if (!(err instanceof ChainRuleError)) throw err; // answered 'stale' as before: a tie is never adopted
      }
      return 'stale';
    }
    const branch = validateBranch(this.profile, this.viewAt(parentHeight), [value]);
    return this.adoptBranch(parentHeight, branch, peer) ? 'appended' : 'stale';
  }

  /**
   * Switches to `branch` (validated on top of our block `forkHeight`) in one commit, if our block
   * there is still its parent and the result has strictly more work than our chain (a tie keeps the
   * chain seen first). Undoes the state of our blocks above the fork, applies the branch's, and
   * reconciles the mempool. Returns what changed, or null when nothing did.
   *
   * `texts[k]`, where given, must be exactly `writeJson(branch.blocks[k].json)` (a sync proves it
   * per block against the page it came in: `wireText` in peer-kinds.ts): it is stored and served as
   * it is, instead of being written again (measured in a fresh 20,000-block sync's profile: writing
   * them again took ~175 ms, garbage collection included, of ~830 ms).
   */
  adoptBranch(
    forkHeight: number,
    branch: ValidatedBranch,
    peer?: string,
    texts?: readonly (string | undefined)[],
  ): Reorg | null {
    const first = branch.blocks[0];
    if (this.closed || !first || forkHeight > this.blocks.length) return null;
    const forkHash = forkHeight === 0 ? null : (this.blocks[forkHeight - 1] as Block).hash;
    if (first.parentHash !== forkHash && forkHeight > 0) return null;
    let work = this.workAt(forkHeight);
    for (const block of branch.blocks) work += block.work;
    if (work <= this.chainWork) {
      this.keepStale(forkHeight, branch, 'branch', peer);
      return null;
    }

    this.ingest.flush();
    const previous = this.blocks.length;
    const theirs = [...this.blocks.slice(0, forkHeight), ...branch.blocks];
    const reconciliation = reconcileMempool(
      this.blocks,
      theirs,
      this.mempool.transactions,
      (tx) => !this.profile.returnsToMempool(tx),
    );
    const undone = this.diffs.slice(forkHeight).reverse();
    const stored: StoredBlock[] = branch.blocks.map((block, k) => ({
      block,
      text: texts?.[k] ?? writeJson(block.json),
      diff: branch.diffs[k] as StateDiff,
    }));
    // The state after the switch, to re-admit what is pending (a ledger's nonces and balances).
    const after = new OverlayState(this.state);
    for (const diff of undone) after.undo(diff);
    for (const diff of branch.diffs) after.apply(diff);
    const pending: Transaction[] = [];
    let pendingBytes = 0;
    for (const tx of reconciliation.pending) {
      // The mempool's bounds hold after a switch too: what does not fit is dropped, newest last.
      if (pending.length >= MAX_PENDING || pendingBytes + tx.canonical.length > MAX_PENDING_BYTES) break;
      try {
        const replaced = this.profile.admitTransaction(tx, after, pending);
        if (replaced) {
          const at = pending.indexOf(replaced);
          if (at >= 0) {
            pending.splice(at, 1);
            pendingBytes -= replaced.canonical.length;
          }
        }
        pending.push(tx);
        pendingBytes += tx.canonical.length;
      } catch {
        // No longer valid on this branch (spent, or its nonce used): dropped.
      }
    }
    const rows = this.store.replaceChain(forkHeight, undone, stored, pending);
    const ref = (block: Block): BlockRef => ({ height: block.height, hash: block.hash });
    const back = new Set(reconciliation.pending.slice(0, reconciliation.returned));
    const returned = pending.filter((tx) => back.has(tx)).map((tx) => tx.id);
    const reorg = {
      fork: { height: forkHeight, hash: forkHash },
      dropped: this.blocks.slice(forkHeight, forkHeight + MAX_REORG_LIST).map(ref),
      droppedCount: previous - forkHeight,
      added: branch.blocks.slice(0, MAX_REORG_LIST).map(ref),
      addedCount: branch.blocks.length,
      returned: returned.slice(0, MAX_REORG_LIST),
      returnedCount: returned.length,
      oldTip: { ...ref(this.tip), work: this.chainWork },
      newTip: { ...ref(branch.blocks[branch.blocks.length - 1] as Block), work },
    };
    this.keepDropped(forkHeight);

    for (const diff of undone) undoInto(this.state.map, diff);
    for (const diff of branch.diffs) applyInto(this.state.map, diff);
    this.blocks = theirs;
    this.diffs = [...this.diffs.slice(0, forkHeight), ...branch.diffs];
    this.works.length = forkHeight;
    this.extendWorks(forkHeight, branch.blocks);
    this.blockBuffers = [...this.blockBuffers.slice(0, forkHeight), ...utf8Buffers(stored)];
    this.chainBuffer = null;
    this.mempool.reset(pending, rows);
    const now = this.clock();
    // Sightings are read for the blocks near the tip only (a reorg keeps at most `capacity` of
    // ours as stale blocks, the forks view shows the last 500), so only a branch's last blocks are
    // noted: noting every one (only to evict most from the bounded sightings) took 20-90 ms of a
    // 20,000-block sync.
    const sightedFrom = branch.blocks.length - Math.min(this.staleBlocks.capacity, MAX_SIGHTINGS);
    const anyStale = this.staleBlocks.size > 0;
    for (let k = 0; k < branch.blocks.length; k++) {
      const hash = (branch.blocks[k] as Block).hash;
      if (anyStale) this.staleBlocks.remove(hash);
      if (k >= sightedFrom) this.staleBlocks.sawActive(hash, now);
    }
    // A search on the old tip is now useless: stop it, the miner restarts on the new tip.
    this.mining?.abort(new BlockforgeError(ErrorCode.Internal, 'chain replaced'));
    const change = {
      height: theirs.length,
      previous,
      common: forkHeight,
      returned: reconciliation.returned,
      dropped: reconciliation.dropped,
    };
    this.logger.info({ ...change, peer }, 'chain replaced');
    // The peer it came from has these blocks already: the network does not push them back to it.
    this.events.emit('chain-replaced', peer === undefined ? change : { ...change, peer });
    this.events.emit('reorg', peer === undefined ? reorg : { ...reorg, peer });
    return { common: forkHeight, returned: reconciliation.returned, dropped: reconciliation.dropped };
  }

  /** Keeps our blocks above `forkHeight` as stale blocks (a reorg is dropping them; the nearest the tip if too many). */
  private keepDropped(forkHeight: number): void {
    const now = this.clock();
    const from = Math.max(forkHeight, this.blocks.length - this.staleBlocks.capacity);
    for (let k = from; k < this.blocks.length; k++) {
      const block = this.blocks[k] as Block;
      this.staleBlocks.add(
        {
          height: block.height,
          hash: block.hash,
          parent: block.parentHash,
          work: this.works[k] as bigint,
          source: 'reorg',
          peer: null,
          json: this.blockBuffers[k] as Buffer,
        },
        now,
      );
    }
  }

  /** Keeps a validated branch on top of our block `forkHeight` that is not adopted, and says so. */
  private keepStale(forkHeight: number, branch: ValidatedBranch, source: StaleSource, peer?: string): void {
    const now = this.clock();
    let work = this.workAt(forkHeight);
    const skip = branch.blocks.length - this.staleBlocks.capacity;
    for (const [k, block] of branch.blocks.entries()) {
      work += block.work;
      if (k < skip) continue;
      const entry = {
        height: block.height,
        hash: block.hash,
        parent: block.parentHash,
        work,
        source,
        peer: peer ?? null,
        json: Buffer.from(writeJson(block.json), 'utf8'),
      };
      if (!this.staleBlocks.add(entry, now)) continue;
      this.events.emit('stale', {
        block: { height: block.height, hash: block.hash },
        parent: block.parentHash,
        work,
        source,
        ...(peer === undefined ? {} : { peer }),
      });
    }
  }

  /** Appends a block that extends the tip (validated, with its diff), in one commit. */
  private appendBlock(block: Block, diff: StateDiff): void {
    this.ingest.flush();
    const text = writeJson(block.json);
    const consumed = this.mempool.removeIncluded(block.transactions);
    if (this.profile.stalePending && diff.length > 0) {
      // What the new tip makes invalid for good (a ledger's used nonces) leaves with the block.
      const after = new OverlayState(this.state);
      after.apply(diff);
      const stale = this.profile.stalePending(after, this.mempool.transactions);
      if (stale.length > 0) consumed.push(...this.mempool.remove(new Set(stale)));
    }
    try {
      this.store.appendBlock({ block, text, diff }, consumed);
    } catch (err) {
      // Nothing was written (one transaction), so the block's transactions are still pending on
      // disk: put the mempool back as the disk has it (the flush above left nothing queued).
      this.reloadMempool();
      throw err;
    }
    applyInto(this.state.map, diff);
    this.blocks.push(block);
    this.diffs.push(diff);
    this.extendWorks(this.blocks.length - 1, [block]);
    this.blockBuffers.push(Buffer.from(text, 'utf8'));
    this.chainBuffer = null;
    this.staleBlocks.sawActive(block.hash, this.clock());
    this.mining?.abort(new BlockforgeError(ErrorCode.Internal, 'the chain was extended'));
  }

  /** The mempool as stored: every pending row, in order. */
  private reloadMempool(): void {
    const txs: Transaction[] = [];
    const ids: number[] = [];
    const dropped: number[] = [];
    for (const row of this.store.loadPending()) {
      try {
        txs.push(this.profile.parseTransaction(parseJson(row.json)));
        ids.push(row.id);
      } catch (err) {
        // A row the policy no longer takes (a rule tightened between versions, or a row written by
        // an older bug) must not keep the node from starting: it is dropped, and said so.
        dropped.push(row.id);
        this.logger.warn({ row: row.id, reason: (err as Error).message }, 'pending transaction dropped at load');
      }
    }
    if (dropped.length > 0) this.store.deletePending(dropped);
    this.mempool.reset(txs, ids);
  }

  /** Cumulative works for `blocks` placed after height `from`. */
  private extendWorks(from: number, blocks: readonly Block[]): void {
    let work = this.workAt(from);
    for (const block of blocks) {
      work += block.work;
      this.works.push(work);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BlockforgeError(ErrorCode.ShuttingDown, 'the node is shutting down');
  }

  /** Commits queued writes, stops mining and closes the database. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.ingest.flush();
    this.closed = true;
    this.mining?.abort(new BlockforgeError(ErrorCode.ShuttingDown, 'the node is shutting down'));
    await this.miner.close();
    this.store.close();
  }
}

/**
 * Bytes of the slabs adopted blocks' wire JSON is copied into. A Buffer.from per block drew on
 * Node's 8 KiB pools: ~35 ms for 20,000 blocks, mostly allocating pools; 1 MiB slabs, a few ms.
 */
const SLAB_BYTES = 1024 * 1024;

/** Each block's text as UTF-8, in slabs shared by neighbouring blocks (a big block gets its own). */
function utf8Buffers(stored: readonly StoredBlock[]): Buffer[] {
  const out: Buffer[] = new Array(stored.length);
  let slab = Buffer.alloc(0);
  let used = 0;
  for (let k = 0; k < stored.length; k++) {
    const text = (stored[k] as StoredBlock).text;
    // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
    const most = text.length * 3;
    if (most > SLAB_BYTES / 4) {
      out[k] = Buffer.from(text, 'utf8');
      continue;
    }
    if (used + most > slab.length) {
      slab = Buffer.allocUnsafe(SLAB_BYTES);
      used = 0;
    }
    const length = slab.write(text, used, 'utf8');
    out[k] = slab.subarray(used, used + length);
    used += length;
  }
  return out;
}

function applyInto(map: Map<string, string>, diff: StateDiff): void {
  for (const change of diff) {
    if (change.after === null) map.delete(change.key);
    else map.set(change.key, change.after);
  }
}

function undoInto(map: Map<string, string>, diff: StateDiff): void {
  for (let k = diff.length - 1; k >= 0; k--) {
    const change = diff[k] as StateDiff[number];
    if (change.before === null) map.delete(change.key);
    else map.set(change.key, change.before);
  }
}

function sameState(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [key, value] of a) if (b.get(key) !== value) return false;
  return true;
}
