/**
 * Durable state in one SQLite file (WAL, synchronous=FULL): blocks, the profile's chain state with
 * each block's diff (to undo it in a reorg), pending transactions, peers and the node's identity.
 * Every method that changes state is one SQLite transaction, so a `kill -9` at any moment leaves
 * either the old state or the new one. Values are stored as their wire JSON; the node re-validates
 * the chain when it opens the file.
 */

import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Block, StateDiff, Transaction } from '../core/block.js';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { writeJson } from '../core/json.js';

/**
 * What a data folder was created for: the profile's name and its network parameters (the
 * tutorial's: `difficulty`); a node refuses to open it with other rules.
 */
export interface StoreIdentity {
  readonly profile: string;
  readonly params: Readonly<Record<string, number | string>>;
}

/** Where the peer list is kept: the peer network's view of the store. */
export interface PeerStore {
  loadPeers(): PeerRow[];
  addPeers(addresses: readonly string[], now: number): void;
  removePeer(address: string): void;
}

/** A block written with its wire JSON and what it changed in the state. */
export interface StoredBlock {
  readonly block: Block;
  readonly text: string;
  readonly diff: StateDiff;
}

/** A pending transaction row. */
export interface PendingRow {
  readonly id: number;
  readonly json: string;
}

/** A peer row. */
export interface PeerRow {
  readonly address: string;
  readonly addedAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS blocks (height INTEGER PRIMARY KEY, hash TEXT NOT NULL, json TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS pending (id INTEGER PRIMARY KEY AUTOINCREMENT, json TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS peers (address TEXT PRIMARY KEY, added_at REAL NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS state (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS diffs (height INTEGER PRIMARY KEY, json TEXT NOT NULL) STRICT;
`;

/** File name of the database inside a data folder. */
export const DATABASE_FILE = 'blockforge.db';

/** The SQLite store of one node. */
export class ChainStore implements PeerStore {
  readonly nodeId: string;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly stmt: {
    insertBlock: Database.Statement<[number, string, string]>;
    deleteBlocksAbove: Database.Statement<[number]>;
    insertPending: Database.Statement<[string]>;
    deletePending: Database.Statement<[number]>;
    deleteAllPending: Database.Statement<[]>;
    insertPeer: Database.Statement<[string, number]>;
    deletePeer: Database.Statement<[string]>;
    putState: Database.Statement<[string, string]>;
    deleteState: Database.Statement<[string]>;
    insertDiff: Database.Statement<[number, string]>;
    deleteDiffsAbove: Database.Statement<[number]>;
  };

  /** Compiled once: on the ingest path, wrapping a new function per batch showed up in profiles. */
  private readonly addPendingTx: (txs: readonly Transaction[]) => number[];

  private constructor(db: Database.Database, path: string, nodeId: string) {
    this.db = db;
    this.path = path;
    this.nodeId = nodeId;
    this.stmt = {
      insertBlock: db.prepare('INSERT INTO blocks (height, hash, json) VALUES (?, ?, ?)'),
      deleteBlocksAbove: db.prepare('DELETE FROM blocks WHERE height > ?'),
      insertPending: db.prepare('INSERT INTO pending (json) VALUES (?)'),
      deletePending: db.prepare('DELETE FROM pending WHERE id = ?'),
      deleteAllPending: db.prepare('DELETE FROM pending'),
      insertPeer: db.prepare('INSERT OR IGNORE INTO peers (address, added_at) VALUES (?, ?)'),
      deletePeer: db.prepare('DELETE FROM peers WHERE address = ?'),
      putState: db.prepare('INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)'),
      deleteState: db.prepare('DELETE FROM state WHERE key = ?'),
      insertDiff: db.prepare('INSERT INTO diffs (height, json) VALUES (?, ?)'),
      deleteDiffsAbove: db.prepare('DELETE FROM diffs WHERE height > ?'),
    };
    const insertPending = this.stmt.insertPending;
    this.addPendingTx = db.transaction((txs: readonly Transaction[]): number[] =>
      txs.map((tx) => Number(insertPending.run(writeJson(tx.json)).lastInsertRowid)),
    );
  }

  /**
   * Opens (creating if needed) the store in `dataDir`. A new store records `identity` and a new
   * node id; an existing one must have been created with the same identity.
   */
  static open(dataDir: string, identity: StoreIdentity): ChainStore {
    mkdirSync(dataDir, { recursive: true });
    const path = join(dataDir, DATABASE_FILE);
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      // FULL: a commit is fsynced before it returns, so an acknowledged write survives power loss,
      // not only kill -9. Group commit (see TransactionIngest) keeps this to one fsync per batch.
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      const get = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
      const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      const nodeId = db.transaction((): string => {
        const existing = get.get('node_id')?.value;
        const keys = Object.keys(identity.params);
        if (existing !== undefined) {
          const profile = get.get('profile')?.value;
          const stored = keys.map((key) => [key, get.get(key)?.value] as const);
          if (profile !== identity.profile || stored.some(([key, value]) => value !== String(identity.params[key]))) {
            const flags = stored.map(([key, value]) => ` --${key} ${value ?? '?'}`).join('');
            const said = stored.map(([key, value]) => `${key} ${value ?? '?'}`).join(', ');
            throw new BlockforgeError(
              ErrorCode.DataDirMismatch,
              `the data folder ${dataDir} holds a chain of profile ${profile}${said ? ` at ${said}` : ''}; ` +
                `start with --profile ${profile}${flags}, or use another --data-dir`,
            );
          }
          return existing;
        }
        const id = randomUUID().replaceAll('-', '');
        put.run('node_id', id);
        put.run('profile', identity.profile);
        for (const key of keys) put.run(key, String(identity.params[key]));
        return id;
      })();
      return new ChainStore(db, path, nodeId);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** Stored blocks' JSON, genesis first. */
  loadBlocks(): string[] {
    return this.db
      .prepare<[], { json: string }>('SELECT json FROM blocks ORDER BY height')
      .all()
      .map((row) => row.json);
  }

  /** Stored pending transactions, oldest first. */
  loadPending(): PendingRow[] {
    return this.db.prepare<[], PendingRow>('SELECT id, json FROM pending ORDER BY id').all();
  }

  /** The stored chain state. */
  loadState(): Map<string, string> {
    const rows = this.db.prepare<[], { key: string; value: string }>('SELECT key, value FROM state').all();
    return new Map(rows.map((row) => [row.key, row.value]));
  }

  /** Each stored block's state diff, by height (blocks that changed nothing have none). */
  loadDiffs(): Map<number, StateDiff> {
    const rows = this.db.prepare<[], { height: number; json: string }>('SELECT height, json FROM diffs').all();
    return new Map(rows.map((row) => [row.height, JSON.parse(row.json) as StateDiff]));
  }

  /** Rewrites the whole state and every diff (the chain, re-validated at start, disagreed with them). */
  resetState(state: ReadonlyMap<string, string>, diffs: readonly StateDiff[]): void {
    this.db.transaction(() => {
      this.db.exec('DELETE FROM state; DELETE FROM diffs;');
      for (const [key, value] of state) this.stmt.putState.run(key, value);
      diffs.forEach((diff, k) => {
        if (diff.length > 0) this.stmt.insertDiff.run(k + 1, JSON.stringify(diff));
      });
    })();
  }

  /** Stored peers, in the order they were added. */
  loadPeers(): PeerRow[] {
    return this.db.prepare<[], PeerRow>('SELECT address, added_at AS addedAt FROM peers ORDER BY rowid').all();
  }

  /** Stores the genesis block of a new chain (the store must be empty). */
  initGenesis(genesis: StoredBlock): void {
    this.db.transaction(() => this.writeBlock(genesis))();
  }

  /** Adds pending transactions in one commit; returns their row ids in order. */
  addPending(txs: readonly Transaction[]): number[] {
    return this.addPendingTx(txs);
  }

  /** Appends a block, applies its state diff and removes the pending rows it consumed, in one commit. */
  appendBlock(stored: StoredBlock, consumedPendingIds: readonly number[]): void {
    this.db.transaction(() => {
      this.writeBlock(stored);
      for (const id of consumedPendingIds) this.stmt.deletePending.run(id);
    })();
  }

  /**
   * A reorg in one commit: undoes the state diffs of the blocks above height `keep` (`undone`, tip
   * first), replaces those blocks with `blocks` (applying their diffs), and the whole mempool with
   * `pending`. Returns the new pending row ids.
   */
  replaceChain(
    keep: number,
    undone: readonly StateDiff[],
    blocks: readonly StoredBlock[],
    pending: readonly Transaction[],
  ): number[] {
    return this.db.transaction((): number[] => {
      for (const diff of undone) {
        for (let k = diff.length - 1; k >= 0; k--) {
          const change = diff[k] as StateDiff[number];
          this.setState(change.key, change.before);
        }
      }
      this.stmt.deleteBlocksAbove.run(keep);
      this.stmt.deleteDiffsAbove.run(keep);
      for (const stored of blocks) this.writeBlock(stored);
      this.stmt.deleteAllPending.run();
      return pending.map((tx) => Number(this.stmt.insertPending.run(writeJson(tx.json)).lastInsertRowid));
    })();
  }

  /** Inside a transaction: one block, its diff, and its diff applied to the state. */
  private writeBlock({ block, text, diff }: StoredBlock): void {
    this.stmt.insertBlock.run(block.height, block.hash, text);
    if (diff.length === 0) return;
    this.stmt.insertDiff.run(block.height, JSON.stringify(diff));
    for (const change of diff) this.setState(change.key, change.after);
  }

  private setState(key: string, value: string | null): void {
    if (value === null) this.stmt.deleteState.run(key);
    else this.stmt.putState.run(key, value);
  }

  /** Adds peers (already validated) in one commit; existing ones are kept as they are. */
  addPeers(addresses: readonly string[], now: number): void {
    this.db.transaction(() => {
      for (const address of addresses) this.stmt.insertPeer.run(address, now);
    })();
  }

  /** Removes a peer (no-op when absent). */
  removePeer(address: string): void {
    this.stmt.deletePeer.run(address);
  }

  /** Closes the database (checkpointing the WAL). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
