/**
 * `blockforge lab double-spend --live`: the double spend with real node processes, real payments and
 * real, capped mining. A majority attacker reverses the merchant's payment; a 10% attacker against
 * six confirmations does not. What happened is read off the honest node's own API after the run
 * (its chain, its stale blocks, balances), not taken from the report alone; and every run, even
 * one that fails, leaves no process and no folder behind.
 *
 * Odds of a wrong outcome (the simulated lab's exact formula, odds.ts): q = 0.1 with z = 6 reverses
 * the payment with probability 1.1e-4; q = 0.75 with z = 2 and a give-up at 20 blocks fails with
 * probability 2.5e-10, and reaches the merchant's six-block-deep publication within seconds.
 */

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BlockforgeError } from '../../src/core/errors.js';
import { LIVE_ADDRESSES, type LiveRun, runLiveDoubleSpend } from '../../src/lab/live.js';
import { CLI, call, cleanupAll, tempDir } from '../support/harness.js';

afterAll(cleanupAll);

/** Processes whose command line names `text` (Linux: /proc). */
function processesNaming(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/**
 * The confirmations the merchant saw when it shipped: at least the ones it waits for, more when
 * the honest node mined again before the merchant looked.
 */
function shippedAfter(run: LiveRun): number {
  const line = run.events.find((e) => e.startsWith('merchant ships'));
  return Number(/^merchant ships after (\d+) confirmations$/.exec(line ?? '')?.[1]);
}

/** Runs to the end with the nodes kept, so the test can question the honest node; `check` then runs. */
async function liveRun(
  options: Omit<Parameters<typeof runLiveDoubleSpend>[0], 'keep' | 'cliPath' | 'dataRoot'>,
  check: (run: LiveRun, honest: string) => Promise<void>,
): Promise<LiveRun> {
  const dataRoot = tempDir('blockforge-live-test-');
  const lines: string[] = [];
  const run = await runLiveDoubleSpend({ ...options, keep: true, cliPath: CLI, dataRoot }, (line) => lines.push(line));
  const honest = new URL(run.forksUrl).origin;
  try {
    expect(run.events).toEqual(lines);
    await check(run, honest);
  } finally {
    await run.stop();
  }
  // Stopped for good: nothing listens, nothing runs, nothing is left on disk.
  await expect(call(`${honest}/peer/status`, { timeoutMs: 2_000 })).rejects.toThrow();
  expect(processesNaming(dataRoot)).toEqual([]);
  expect(readdirSync(dataRoot)).toEqual([]);
  return run;
}

describe('the live double spend', () => {
  it('succeeds for a majority attacker: the honest node reorgs to the conflicting payment', async () => {
    const run = await liveRun(
      { attacker: 0.75, confirmations: 2, totalHashrate: 20_000, blockSeconds: 0.5, giveUp: 20, timeoutSeconds: 60 },
      async (run, honest) => {
        expect(run.outcome).toBe('reversed');
        expect(run.hashrates).toEqual({ honest: 5_000, attacker: 15_000 });
        expect(run.forksUrl).toBe(`${honest}/#/forks`);
        expect(shippedAfter(run)).toBeGreaterThanOrEqual(2);
        expect(run.events).toContain('honest node reorgs: payment gone, conflicting payment confirmed in block 2');

        // The honest node's own state: the merchant's payment is gone, the conflicting one confirmed.
        const payment = await call(`${honest}/transactions/${run.payment}`);
        expect(payment.status).toBe(404);
        const conflicting = (await call(`${honest}/transactions/${run.conflicting}`)).json();
        expect(conflicting).toMatchObject({ status: 'confirmed', height: 2 });
        expect(conflicting.details.to).toBe(LIVE_ADDRESSES.attacker);
        const merchant = (await call(`${honest}/accounts/${LIVE_ADDRESSES.merchant}`)).json();
        expect(merchant).toMatchObject({ balance: '0', pending_balance: '0' });
        expect((await call(`${honest}/accounts/${LIVE_ADDRESSES.payer}`)).json()).toMatchObject({ nonce: '1' });

        // Its chain is the attacker's: every block after the genesis, up to the published tip, pays
        // the attacker's miner...
        const publication = run.events.filter((e) => e.startsWith('attacker publishes')).at(-1) ?? '';
        const published = Number(/^attacker publishes \d+ blocks \(height (\d+) /.exec(publication)?.[1]);
        expect(run.honestHeight).toBeGreaterThanOrEqual(published);
        const chain = (await call(`${honest}/chain`)).json();
        const rewardsTo = (chain.chain as { transactions: { to: string }[] }[])
          .slice(1, published)
          .map((b) => b.transactions[0]?.to);
        expect(rewardsTo).toHaveLength(published - 1);
        expect(new Set(rewardsTo)).toEqual(new Set([LIVE_ADDRESSES.attacker]));
        // ...and the branch it dropped (the merchant's payment in its first block) is a stale branch
        // in the forks view, forking from the genesis.
        const forks = (await call(`${honest}/forks`)).json();
        const dropped = (forks.blocks as { active: boolean; source?: string; height: number }[]).filter(
          (b) => !b.active && b.source === 'reorg',
        );
        expect(dropped.length).toBeGreaterThanOrEqual(2);
        expect(dropped.map((b) => b.height)).toContain(2);
        expect((forks.tips as { active: boolean; fork_height: number | null }[]).filter((t) => !t.active)).toEqual([
          expect.objectContaining({ fork_height: 1 }),
        ]);
        // The explorer's page is served at the URL the report gives.
        const page = await call(`${honest}/`);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toMatch(/text\/html/);
      },
    );
    expect(run.attackerHeight).toBeGreaterThan(2);
  }, 90_000);

  it('fails for a 10% attacker against six confirmations: the payment stands', async () => {
    const run = await liveRun(
      { attacker: 0.1, confirmations: 6, totalHashrate: 20_000, blockSeconds: 0.5, timeoutSeconds: 60 },
      async (run, honest) => {
        expect(run.outcome).toBe('confirmed');
        expect(run.hashrates).toEqual({ honest: 18_000, attacker: 2_000 });
        expect(shippedAfter(run)).toBeGreaterThanOrEqual(6);
        expect(run.events.some((e) => e.startsWith('attacker publishes'))).toBe(false);
        expect(run.events.at(-1)).toMatch(/^attacker gives up \d+ blocks behind: the payment stands/);

        // The honest node never heard of the attacker or its payment, and the merchant was paid.
        const payment = (await call(`${honest}/transactions/${run.payment}`)).json();
        expect(payment.status).toBe('confirmed');
        expect(payment.confirmations).toBeGreaterThanOrEqual(6);
        expect(payment.details.to).toBe(LIVE_ADDRESSES.merchant);
        expect((await call(`${honest}/transactions/${run.conflicting}`)).status).toBe(404);
        const merchant = (await call(`${honest}/accounts/${LIVE_ADDRESSES.merchant}`)).json();
        expect(merchant.balance).toBe(String(100n * 100_000_000n));
        expect((await call(`${honest}/nodes`)).json().count).toBe(0);
        const forks = (await call(`${honest}/forks`)).json();
        expect((forks.blocks as { active: boolean }[]).every((b) => b.active)).toBe(true);
        // The attacker fell behind by the give-up distance (the simulated lab's default: 7 here).
        expect(run.honestHeight - run.attackerHeight).toBeGreaterThanOrEqual(7);
      },
    );
    expect(run.honestHeight).toBeGreaterThanOrEqual(7);
  }, 90_000);

  it('stops every node it started when a node fails to start', async () => {
    const dataRoot = tempDir('blockforge-live-fail-');
    // The honest node starts for real; the attacker's "node" dies at once.
    const wrapper = join(tempDir(), 'cli.mjs');
    writeFileSync(
      wrapper,
      `if (process.argv.some((a) => a.endsWith('attacker'))) { console.error('no attacker today'); process.exit(3); }\n` +
        `await import(${JSON.stringify(CLI)});\n`,
    );
    const lines: string[] = [];
    const error = await runLiveDoubleSpend(
      { attacker: 0.3, confirmations: 1, cliPath: wrapper, dataRoot, timeoutSeconds: 30 },
      (line) => lines.push(line),
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BlockforgeError);
    expect((error as Error).message).toMatch(/the attacker node exited \(3\) before it was ready: no attacker today/);
    expect(lines).toEqual([]);
    expect(processesNaming(dataRoot)).toEqual([]);
    expect(readdirSync(dataRoot)).toEqual([]);
  }, 60_000);

  it('refuses options that make no run', async () => {
    const run = (options: Partial<Parameters<typeof runLiveDoubleSpend>[0]>) =>
      runLiveDoubleSpend({ attacker: 0.3, confirmations: 2, ...options }, () => {});
    await expect(run({ attacker: 1 })).rejects.toThrow(/share must be between 0 and 1/);
    await expect(run({ confirmations: -1 })).rejects.toThrow(/confirmations/);
    await expect(run({ totalHashrate: 1 })).rejects.toThrow(/total hash rate/);
    await expect(run({ attacker: 0.001, totalHashrate: 100 })).rejects.toThrow(/without any/);
    await expect(run({ giveUp: 0 })).rejects.toThrow(/giveUp/);
  });
});
