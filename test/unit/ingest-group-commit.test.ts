/**
 * The ingest path's own parts: group commit (batching, failures)
 * and the mempool's bookkeeping of queued rows (a commit costs its batch, not the whole mempool).
 */

import { describe, expect, it } from 'vitest';
import type { Transaction } from '../../src/core/block.js';
import { newJsonObject } from '../../src/core/json.js';
import { GroupCommit } from '../../src/node/group-commit.js';
import { Mempool } from '../../src/node/mempool.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('GroupCommit', () => {
  it('commits one turn together and answers in order, without a sync step', async () => {
    const commits: number[][] = [];
    const group = new GroupCommit<number, string>((items) => {
      commits.push([...items]);
      return items.map((i) => `ok ${i}`);
    });
    expect(await Promise.all([1, 2, 3].map((i) => group.submit(i)))).toEqual(['ok 1', 'ok 2', 'ok 3']);
    expect(await group.submit(4)).toBe('ok 4');
    expect(commits).toEqual([[1, 2, 3], [4]]);
  });

  it('an explicit flush commits at once (before mining, at shutdown)', async () => {
    const commits: number[][] = [];
    const group = new GroupCommit<number, number>((items) => {
      commits.push([...items]);
      return [...items];
    });
    const a = group.submit(1);
    expect(group.queued).toBe(1);
    group.flush();
    expect(commits).toEqual([[1]]);
    expect(group.queued).toBe(0);
    expect(await a).toBe(1);
    await tick();
    expect(commits).toEqual([[1]]);
  });

  it('rejects every submitter of a failed commit, and calls `failed` with its items', async () => {
    const failedItems: number[][] = [];
    const group = new GroupCommit<number, number>(
      () => {
        throw new Error('disk full');
      },
      (items) => failedItems.push([...items]),
    );
    const results = await Promise.allSettled([group.submit(1), group.submit(2)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(failedItems).toEqual([[1, 2]]);
  });
});

/** A tutorial-like transaction: distinct objects, equal ids for equal text. */
function tx(text: string): Transaction {
  return { json: newJsonObject(), canonical: text, id: text };
}

describe('Mempool rows', () => {
  it('records the rows of a committed batch, in order, however large the mempool', () => {
    const pool = new Mempool();
    const old = Array.from({ length: 1000 }, (_, k) => tx(`old ${k}`));
    for (const t of old) pool.add(t);
    pool.committed(
      old,
      old.map((_, k) => k + 1),
    );
    const batch = [tx('a'), tx('b'), tx('a')];
    for (const t of batch) pool.add(t);
    pool.committed(batch, [1001, 1002, 1003]);
    expect(pool.size).toBe(1003);
    expect(pool.removeIncluded([tx('a')])).toEqual([1001]);
    expect(pool.remove(new Set([batch[1] as Transaction]))).toEqual([1002]);
    expect(pool.removeIncluded([tx('a'), tx('old 5')])).toEqual([6, 1003]);
  });

  it('skips queued entries that a batch does not hold, and still records them later', () => {
    const pool = new Mempool();
    const [a, b, c] = [tx('a'), tx('b'), tx('c')];
    pool.add(a);
    pool.add(b);
    pool.add(c);
    pool.committed([a, c], [1, 3]);
    pool.committed([b], [2]);
    expect(pool.removeIncluded([tx('a'), tx('b'), tx('c')])).toEqual([1, 2, 3]);
    expect(pool.size).toBe(0);
  });

  it('forgets the queued entries of a failed commit, and entries removed before their commit', () => {
    const pool = new Mempool();
    const [a, b, c] = [tx('a'), tx('bb'), tx('ccc')];
    pool.add(a);
    pool.add(b);
    pool.add(c);
    pool.discard([b]);
    expect(pool.transactions).toEqual([a, c]);
    expect(pool.bytes).toBe(4);
    // Removed while queued (no row yet): nothing to delete, and its later commit records nothing.
    expect(pool.remove(new Set([a]))).toEqual([]);
    pool.committed([a, c], [1, 3]);
    expect(pool.removeIncluded([tx('ccc')])).toEqual([3]);
    expect(pool.size).toBe(0);
  });

  it('after a reset, nothing is queued', () => {
    const pool = new Mempool();
    const a = tx('a');
    pool.add(a);
    pool.reset([a], [7]);
    pool.committed([a], [8]);
    expect(pool.removeIncluded([tx('a')])).toEqual([7]);
  });
});
