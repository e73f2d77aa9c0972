/**
 * One data folder, one node, within a process: a second open of a folder in use is refused with
 * DATA_DIR_LOCKED (naming the folder and the holder's pid) and does not disturb the holder; a pid
 * file left by a dead node, or naming a pid reused by another process, never blocks an open.
 * (Two processes, and `kill -9`: test/e2e/storage-lock.test.ts.)
 */

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { Block } from '../../src/core/block.js';
import { parseJson } from '../../src/core/json.js';
import { createProfile } from '../../src/core/profiles.js';
import { BlockforgeNode } from '../../src/node/blockforge-node.js';
import { PID_FILE } from '../../src/node/data-lock.js';
import { InlineSolver } from '../../src/node/miner.js';
import { ChainStore, DATABASE_FILE } from '../../src/node/storage.js';
import { extendChain, storedBlock, thrownError } from '../support/forge.js';
import { cleanupAll, tempDir } from '../support/harness.js';

afterAll(cleanupAll);

const identity = { profile: 'seed', params: { difficulty: 1 } };
const profile = createProfile('seed', { difficulty: 1 });
const tx = (sender: string) =>
  profile.parseTransaction(parseJson(`{"sender": "${sender}", "recipient": "r", "amount": 1}`));

describe('data folder lock (one process)', () => {
  it('refuses a second store on a folder in use, naming the folder and the pid, and leaves the first working', () => {
    const dir = tempDir();
    const first = ChainStore.open(dir, identity);
    const chain = extendChain(profile, [profile.createGenesis(1)], [[tx('a')]]);
    first.initGenesis(storedBlock(chain[0] as Block));

    const err = thrownError(() => ChainStore.open(dir, identity));
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(err.message).toBe(
      `the data folder ${dir} is in use by another blockforge node (pid ${process.pid}, this process); ` +
        'stop it or use another --data-dir',
    );
    expect(err.message).not.toContain('\n');

    // The refused open closed its own connection: the holder's lock, pid file and writes are intact.
    expect(readFileSync(join(dir, PID_FILE), 'utf8').trim()).toBe(String(process.pid));
    first.appendBlock(storedBlock(chain[1] as Block), []);
    first.addPending([tx('p')]);
    expect(thrownError(() => ChainStore.open(dir, identity)).code).toBe('DATA_DIR_LOCKED');
    expect(first.loadBlocks().length).toBe(2);

    // Closing releases the folder (and forgets the pid): the same process opens it again.
    first.close();
    expect(existsSync(join(dir, PID_FILE))).toBe(false);
    const again = ChainStore.open(dir, identity);
    expect(again.nodeId).toBe(first.nodeId);
    expect(again.loadBlocks().length).toBe(2);
    expect(again.loadPending().map((row) => JSON.parse(row.json).sender)).toEqual(['p']);
    again.close();
  });

  it('keeps the WAL index in memory while locked: no -shm file beside the database', () => {
    const dir = tempDir();
    const store = ChainStore.open(dir, identity);
    store.addPending([tx('a')]);
    expect(readdirSync(dir).sort()).toEqual([DATABASE_FILE, `${DATABASE_FILE}-wal`, PID_FILE]);
    store.close();
    // Closed cleanly: the WAL is checkpointed and removed.
    expect(readdirSync(dir)).toEqual([DATABASE_FILE]);
  });

  it('refuses a second node in the same process with DATA_DIR_LOCKED', async () => {
    const dir = tempDir();
    const options = { dataDir: dir, profile, solver: new InlineSolver() };
    const node = BlockforgeNode.open(options);
    await node.submitTransaction(tx('kept'));
    const err = thrownError(() => BlockforgeNode.open({ ...options, solver: new InlineSolver() }));
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(err.message).toContain(dir);
    // The first node still writes, mines and reads.
    await node.submitTransaction(tx('after'));
    const { block } = await node.mine();
    expect(block.height).toBe(2);
    await node.close();
    const reopened = BlockforgeNode.open({ ...options, solver: new InlineSolver() });
    expect(reopened.chain.length).toBe(2);
    expect(reopened.nodeId).toBe(node.nodeId);
    await reopened.close();
  });

  it('says "another process" when the holder left no pid (a tool holding the database)', () => {
    const dir = tempDir();
    ChainStore.open(dir, identity).close();
    const tool = new Database(join(dir, DATABASE_FILE));
    tool.pragma('locking_mode = EXCLUSIVE');
    tool.exec('BEGIN EXCLUSIVE; COMMIT');
    const err = thrownError(() => ChainStore.open(dir, identity));
    expect(err.code).toBe('DATA_DIR_LOCKED');
    expect(err.message).toBe(
      `the data folder ${dir} is in use by another process (its database is locked); stop it or use another --data-dir`,
    );
    tool.close();
    ChainStore.open(dir, identity).close();
  });

  it('ignores a pid file left by a dead node, or naming a pid now used by a live process', () => {
    const dir = tempDir();
    ChainStore.open(dir, identity).close();
    // pid 1 is alive (and not a blockforge node): the file decides nothing, the lock does.
    for (const stale of ['1', '999999999', 'garbage']) {
      writeFileSync(join(dir, PID_FILE), `${stale}\n`);
      const store = ChainStore.open(dir, identity);
      expect(readFileSync(join(dir, PID_FILE), 'utf8').trim()).toBe(String(process.pid));
      store.close();
    }
  });
});
