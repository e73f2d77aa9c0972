/**
 * The forks and network pages in a real browser (Debian's chromium through playwright-core) against
 * two real node processes: apart (not peered), they mine different branches; peered again, one
 * node sees the other's tied block (a fork), then a block with more work, and switches (a reorg).
 * The forks page, open the whole time, shows the fork and then the reorg without a reload; the
 * network page groups the two nodes on one tip. No console errors; screenshots in test-artifacts/.
 */

import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserSession,
  browserAvailability,
  expectCleanSession,
  launchBrowser,
  screenshot,
  VIEWPORTS,
} from '../support/browser.js';
import { call, cleanupAll, type RunningNode, startNode } from '../support/harness.js';

declare const window: Record<string, unknown>;

const availability = browserAvailability();

/** Easy proofs (~4k tries), pushes on, no periodic sync: the test says when nodes meet. */
const NODE_ARGS = ['--difficulty', '3', '--kernel', 'crypto', '--threads', '1', '--sync-interval', '0'];

let session: BrowserSession;
let a: RunningNode;
let b: RunningNode;
let page: Page;

const key = (n: RunningNode): string => `127.0.0.1:${n.port}`;

async function chain(n: RunningNode): Promise<{ hash: string }[]> {
  const forks = (await call(`${n.url}/forks?limit=500`)).json();
  return forks.blocks.filter((blk: { active: boolean }) => blk.active);
}

async function tipHash(n: RunningNode): Promise<string> {
  return (await call(`${n.url}/forks?limit=1`)).json().tip;
}

async function mine(n: RunningNode): Promise<string> {
  expect((await call(`${n.url}/mine`)).status).toBe(200);
  return tipHash(n);
}

/** Waits until `n` lists `peer` among its peers. */
async function waitForPeer(n: RunningNode, peer: RunningNode): Promise<void> {
  await expect
    .poll(async () => (await call(`${n.url}/nodes`)).json().nodes as string[], { timeout: 10_000 })
    .toContain(key(peer));
}

describe.skipIf(availability.skip)('forks and network pages (chromium)', () => {
  beforeAll(async () => {
    if (!availability.path) throw new Error(availability.message);
    [a, b, session] = await Promise.all([
      startNode({ args: NODE_ARGS }),
      startNode({ args: NODE_ARGS }),
      launchBrowser(availability.path),
    ]);
    page = await session.newPage();
  });

  afterEach(() => expectCleanSession(session));

  afterAll(async () => {
    await session?.close();
    await cleanupAll();
  });

  it('shows a fork, then the reorg, live, on the forks page', async () => {
    // One shared history first: B adopts A's chain (genesis and one block), then they part.
    await mine(a);
    expect((await call(`${b.url}/nodes/register`, { body: { nodes: [key(a)] } })).status).toBe(201);
    expect((await call(`${b.url}/nodes/resolve`)).status).toBe(200);
    expect(await tipHash(b)).toBe(await tipHash(a));
    await waitForPeer(a, b);
    expect((await call(`${b.url}/nodes/${encodeURIComponent(key(a))}`, { method: 'DELETE' })).status).toBe(200);
    expect((await call(`${a.url}/nodes/${encodeURIComponent(key(b))}`, { method: 'DELETE' })).status).toBe(200);

    await page.goto(`${b.url}/#/forks`);
    await page.locator('#live', { hasText: /Live|实时/ }).waitFor({ timeout: 10_000 });
    await page.locator('.fork-tree .blk.active').first().waitFor();
    await page.evaluate(() => {
      window.notReloaded = true;
    });

    // Apart: B mines its block 3; A will mine another block 3.
    const ours = await mine(b);
    await page.locator(`.fork-tree .blk.active[data-hash="${ours}"]`).waitFor();

    // Peered again: A learns B from its hello, and pushes its block 3 to B, a sibling of B's with
    // as much work. B keeps it as a stale block: the fork is on the page.
    expect((await call(`${b.url}/nodes/register`, { body: { nodes: [key(a)] } })).status).toBe(201);
    await waitForPeer(a, b);
    const theirs3 = await mine(a);
    await page.locator(`.fork-tree .blk.stale[data-hash="${theirs3}"]`).waitFor({ timeout: 15_000 });
    expect(await page.locator(`.fork-tree .blk.active[data-hash="${ours}"]`).count()).toBe(1);
    // Tips: ours (active), A's block 3, and B's own first genesis, dropped when it first adopted A's chain.
    expect(await page.getByTestId('fork-tips').locator('tbody tr[data-active="false"]').allTextContents()).toEqual([
      expect.stringMatching(/#1/),
      expect.stringMatching(new RegExp(`#3.*${theirs3.slice(0, 16)}.*#2`)),
    ]);
    await screenshot(page, 'forks-fork-desktop');

    // A mines on: its branch has more work. B syncs (from the push, or the resolve) and switches.
    const theirs4 = await mine(a);
    await call(`${b.url}/nodes/resolve`);
    await expect.poll(() => tipHash(b), { timeout: 15_000 }).toBe(theirs4);
    const dropped = page.locator(`.fork-tree .blk.stale.dropped[data-hash="${ours}"]`);
    await dropped.waitFor({ timeout: 15_000 });
    await page.locator(`.fork-tree .blk.active.lit[data-hash="${theirs4}"]`).waitFor();
    await page.locator(`.fork-tree .blk.active[data-hash="${theirs3}"]`).waitFor();
    const story = await page.getByTestId('reorg-story').textContent();
    expect(story).toMatch(/switched branches at block #2/);
    expect(story).toMatch(/1 block dropped, 2 blocks added, 0 transactions back in the mempool/);
    expect(await page.locator('.fork-history > li').count()).toBe(1);
    expect(await page.evaluate(() => window.notReloaded)).toBe(true);
    expect((await chain(b)).map((blk) => blk.hash)).toContain(theirs3);
    await screenshot(page, 'forks-reorg-desktop');
    await page.setViewportSize(VIEWPORTS.phone);
    await screenshot(page, 'forks-reorg-phone');
    await page.setViewportSize(VIEWPORTS.desktop);
  });

  it('shows both nodes on one tip on the network page', async () => {
    await page.goto(`${b.url}/#/network`);
    const same = page.locator('.net-group[data-relation="same"]');
    await expect.poll(() => same.locator(`li[data-peer="${key(a)}"]`).count(), { timeout: 15_000 }).toBe(1);
    expect(await same.textContent()).toContain('This node');
    expect(await page.getByTestId('network-summary').textContent()).toContain('1 of 1 peers');
    await screenshot(page, 'network-desktop');
    await page.setViewportSize(VIEWPORTS.phone);
    await screenshot(page, 'network-phone');
    await page.setViewportSize(VIEWPORTS.desktop);
  });
});
