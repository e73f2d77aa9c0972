/**
 * One data folder, one node. The lock is SQLite's own lock on the database file, held for as long
 * as the connection is open (`locking_mode = EXCLUSIVE`): it is an fcntl lock, so the kernel drops it
 * when the holder dies, even by `kill -9`, and a pid reused by another process cannot keep it. A
 * small `blockforge.pid` file, written by the holder, only names the holder in the refusal message;
 * it never decides anything (a stale one from a killed node is simply overwritten).
 *
 * Nothing in this process may open and close the database file outside SQLite while the lock is
 * held: fcntl locks belong to the process, and closing any descriptor of the file drops them all.
 */

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BlockforgeError, ErrorCode } from '../core/errors.js';

/** File naming the process holding a data folder (informative only). */
export const PID_FILE = 'blockforge.pid';

/** How long a refused opener waits for the holder's pid file to name a live process (just locked). */
const PID_WAIT_MS = 250;

/**
 * Takes the exclusive lock on `db` (a fresh connection, before its first access) or throws
 * DATA_DIR_LOCKED naming the holder; then records this process as the holder. With WAL, exclusive
 * mode set before the first access also keeps the WAL index in memory: no `-shm` file.
 */
export function lockDatabase(db: Database.Database, dataDir: string): void {
  // No waiting: a second node must be refused at once, not after a timeout.
  db.pragma('busy_timeout = 0');
  db.pragma('locking_mode = EXCLUSIVE');
  try {
    // The lock is taken lazily otherwise: an empty write transaction takes it now, and exclusive
    // mode keeps it after the commit until the connection closes.
    db.exec('BEGIN EXCLUSIVE; COMMIT');
  } catch (err) {
    if (err instanceof Database.SqliteError && err.code.startsWith('SQLITE_BUSY')) {
      throw new BlockforgeError(ErrorCode.DataDirLocked, lockedMessage(dataDir), { cause: err });
    }
    throw err;
  }
  writeHolder(dataDir);
}

/** Forgets the holder's pid file (before the lock is released, so it never names a later holder). */
export function releaseHolder(dataDir: string): void {
  const path = join(dataDir, PID_FILE);
  try {
    if (readPid(path) === process.pid) rmSync(path, { force: true });
  } catch {
    // Informative only: a pid file that cannot be removed is overwritten by the next holder.
  }
}

/** Writes this process's pid, atomically (a reader never sees half a number). */
function writeHolder(dataDir: string): void {
  const path = join(dataDir, PID_FILE);
  const temp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, `${process.pid}\n`);
    renameSync(temp, path);
  } catch {
    // Informative only (a full disk, say): the lock is what keeps other nodes out.
    rmSync(temp, { force: true });
  }
}

function lockedMessage(dataDir: string): string {
  const pid = holderPid(join(dataDir, PID_FILE));
  const advice = 'stop it or use another --data-dir';
  if (pid === null) {
    return `the data folder ${dataDir} is in use by another process (its database is locked); ${advice}`;
  }
  const who = pid === process.pid ? `pid ${pid}, this process` : `pid ${pid}`;
  return `the data folder ${dataDir} is in use by another blockforge node (${who}); ${advice}`;
}

/**
 * The pid in the pid file if that process is alive. The holder writes it right after locking, so
 * a refused opener may see no file, or a dead node's, for a moment: it waits a little for a live one.
 */
function holderPid(path: string): number | null {
  const deadline = Date.now() + PID_WAIT_MS;
  for (;;) {
    const pid = readPid(path);
    if (pid !== null && isAlive(pid)) return pid;
    if (Date.now() >= deadline) return null;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}

function readPid(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
