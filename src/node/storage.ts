/**
 * Durable state in one SQLite file (WAL, synchronous=FULL): blocks, pending transactions, peers
 * and the node's identity. Every method that changes state is one SQLite transaction, so a
 * `kill -9` at any moment leaves either the old state or the new one. Values are stored as their
 * wire JSON; the node re-validates the chain when it opens the file.
 */

import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Block, Transaction } from '../core/block.js';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { writeJson } from '../core/json.js';

/** What a data folder was created for; a node refuses to open it with other rules. */
export interface StoreIdentity {
  readonly profile: string;
  readonly difficulty: number;
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
`;

/** File name of the database inside a data folder. */
export const DATABASE_FILE = 'blockforge.db';

/** The SQLite store of one node. */
export class ChainStore {
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
        if (existing !== undefined) {
          const profile = get.get('profile')?.value;
          const difficulty = Number(get.get('difficulty')?.value);
          if (profile !== identity.profile || difficulty !== identity.difficulty) {
            throw new BlockforgeError(
              ErrorCode.DataDirMismatch,
              `the data folder ${dataDir} holds a chain of profile ${profile} at difficulty ${difficulty}; ` +
                `start with --profile ${profile} --difficulty ${difficulty}, or use another --data-dir`,
            );
          }
          return existing;
        }
        const id = randomUUID().replaceAll('-', '');
        put.run('node_id', id);
        put.run('profile', identity.profile);
        put.run('difficulty', String(identity.difficulty));
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

  /** Stored peers, in the order they were added. */
  loadPeers(): PeerRow[] {
    return this.db.prepare<[], PeerRow>('SELECT address, added_at AS addedAt FROM peers ORDER BY rowid').all();
  }

  /** Stores the genesis block of a new chain (the store must be empty). */
  initGenesis(genesis: Block, text: string = writeJson(genesis.json)): void {
    this.stmt.insertBlock.run(genesis.index, genesis.hash, text);
  }

  /** Adds pending transactions in one commit; returns their row ids in order. */
  addPending(txs: readonly Transaction[]): number[] {
    return this.addPendingTx(txs);
  }

  /** Appends a forged block and removes the pending rows it consumed, in one commit. */
  appendBlock(block: Block, consumedPendingIds: readonly number[], text: string = writeJson(block.json)): void {
    this.db.transaction(() => {
      this.stmt.insertBlock.run(block.index, block.hash, text);
      for (const id of consumedPendingIds) this.stmt.deletePending.run(id);
    })();
  }

  /**
   * Replaces every block above height `keep` with `blocks` (their wire JSON in `texts`) and the
   * whole mempool with `pending`, in one commit. Returns the new pending row ids.
   */
  replaceChain(
    keep: number,
    blocks: readonly Block[],
    pending: readonly Transaction[],
    texts: readonly string[] = blocks.map((b) => writeJson(b.json)),
  ): number[] {
    return this.db.transaction((): number[] => {
      this.stmt.deleteBlocksAbove.run(keep);
      blocks.forEach((block, k) => {
        this.stmt.insertBlock.run(block.index, block.hash, texts[k] as string);
      });
      this.stmt.deleteAllPending.run();
      return pending.map((tx) => Number(this.stmt.insertPending.run(writeJson(tx.json)).lastInsertRowid));
    })();
  }

  /** Adds peers (already validated) in one commit; existing ones are kept as they are. */
  addPeers(addresses: readonly string[], now: number): void {
    this.db.transaction(() => {
      for (const address of addresses) this.stmt.insertPeer.run(address, now);
    })();
  }

  /** Closes the database (checkpointing the WAL). */
  close(): void {
    if (this.db.open) this.db.close();
  }
}
