/**
 * The explorer's ledger pages in a real browser (Debian's chromium through playwright-core) against
 * a real ledger node process on an easy genesis: the block page's header, hash against target and
 * merkle tree; the tamper box naming the rule an edit breaks; Re-mine finding a nonce in a Web
 * Worker, after which the next block's parent link breaks; the mempool picture, the difficulty
 * chart, the search box. No console errors; screenshots in test-artifacts/.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashJson } from '../../src/core/canonical.js';
import { type JsonObject, parseJson, writeJson } from '../../src/core/json.js';
import { genesisFileJson, targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { createLedgerProfile, type LedgerProfile } from '../../src/core/ledger/ledger-profile.js';
import {
  type BrowserSession,
  browserAvailability,
  expectCleanSession,
  launchBrowser,
  screenshot,
  VIEWPORTS,
} from '../support/browser.js';
import { call, cleanupAll, type RunningNode, startNode, tempDir } from '../support/harness.js';
import { pay, testGenesis, testWallet } from '../support/ledger.js';

const availability = browserAvailability();

const alice = testWallet(1);
const bob = testWallet(2);
const miner = testWallet(3);

/**
 * About 4,096 hashes a block (a few milliseconds for the node, a fraction of a second for the
 * browser's TypeScript kernel), a block every 2 s with a 20 s half-life (blocks mined back to back
 * run ahead of schedule: the target retargets visibly), alice rich from genesis.
 */
const spec = testGenesis([[alice, 1_000_000_000_000n]], {
  initialTarget: targetForExpectedHashes(4096n),
  blockTime: 2,
  halfLife: 20,
  maturity: 2,
  time: Math.floor(Date.now() / 1000) - 60,
});

let profile: LedgerProfile;
let session: BrowserSession;
let node: RunningNode;
let page: Page;

async function open(route: string): Promise<void> {
  await page.goto(`${node.url}/${route}`);
  await page.locator('#live', { hasText: 'Live' }).waitFor({ timeout: 10_000 });
}

async function mine(): Promise<void> {
  expect((await call(`${node.url}/mine`, { timeoutMs: 60_000 })).status).toBe(200);
}

async function submit(payment: JsonObject): Promise<void> {
  const answer = await call(`${node.url}/transactions`, {
    method: 'POST',
    body: writeJson(payment),
    headers: { 'content-type': 'application/json' },
  });
  expect(answer.status, answer.text).toBe(202);
}

/** The header hash of block `n`, computed as the protocol says. */
async function blockHash(n: number): Promise<string> {
  const block = parseJson((await call(`${node.url}/blocks/${n}`)).text) as JsonObject;
  return hashJson(block.header as JsonObject);
}

describe.skipIf(availability.skip)('ledger pages of the explorer (chromium)', () => {
  beforeAll(async () => {
    if (!availability.path) throw new Error(availability.message);
    profile = createLedgerProfile(spec);
    const file = join(tempDir(), 'genesis.json');
    writeFileSync(file, writeJson(genesisFileJson(spec)));
    [node, session] = await Promise.all([
      startNode({
        args: ['--profile', 'ledger', '--genesis', file, '--miner-address', miner.address, '--threads', '1'],
      }),
      launchBrowser(availability.path),
    ]);
    page = await session.newPage();
    // Block 2 empty, block 3 with two payments (a merkle tree of three leaves), blocks 4 to 6 empty.
    await mine();
    await submit(pay(profile, alice, bob.address, 5_000n, { nonce: 0n, fee: 2_000n }));
    await submit(pay(profile, alice, bob.address, 7_000n, { nonce: 1n, fee: 1_000n }));
    for (let k = 0; k < 4; k++) await mine();
  });

  afterEach(() => expectCleanSession(session));

  afterAll(async () => {
    await session?.close();
    await cleanupAll();
  });

  it('shows the header, the hash against the target and the merkle tree', async () => {
    await open('#/block/3');
    const header = page.getByTestId('ledger-header');
    await header.waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('header-height').textContent()).toBe('3');
    expect(await page.getByTestId('header-hash').textContent()).toBe(await blockHash(3));
    // 4,096 expected hashes: a target of 12 leading zero bits (ASERT may have moved it a little).
    expect(await page.getByTestId('target-bits').textContent()).toMatch(/target starts with 1[23] zero bits/);
    expect(await page.getByTestId('hash-bits').textContent()).toMatch(/hash starts with \d+ zero bits/);
    expect(await page.getByTestId('ledger-pow').textContent()).toContain('hash ≤ target');
    // The tree: three leaves (the reward, two payments), their inner nodes and the root.
    const tree = page.getByTestId('merkle-tree');
    await tree.waitFor();
    expect(await tree.locator('a.leaf').count()).toBe(3);
    expect(await tree.locator('g.inner').count()).toBe(2);
    expect(await page.getByTestId('merkle-check').getAttribute('class')).toBe('ok');
    // The unedited copy is valid, and block 4 follows it.
    await expect.poll(() => page.getByTestId('ledger-verdict').textContent()).toContain('passes every rule');
    await screenshot(page, 'ledger-block-desktop');
  });

  it('names the rule an edited copy breaks; Re-mine fixes it and breaks the next block’s parent link', async () => {
    await open('#/block/3');
    const editor = page.getByTestId('ledger-tamper');
    await editor.waitFor({ timeout: 15_000 });
    const original = await editor.inputValue();
    // The reward claims less: valid under the rules, but the transaction ids, so the merkle root, change.
    const edited = original.replace(/"amount": "\d+"/, '"amount": "1"');
    expect(edited).not.toBe(original);
    await editor.fill(edited);
    const verdict = page.getByTestId('ledger-verdict');
    await expect.poll(() => verdict.textContent()).toContain('MERKLE_MISMATCH');
    expect(await verdict.textContent()).toContain('L7');

    await page.getByTestId('remine').click();
    await page.getByTestId('remine-found').waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('remine-found').textContent()).toMatch(/Found nonce \d+ after [\d,]+ hashes/);
    await expect.poll(() => verdict.textContent()).toContain('Block #3 passes every rule on its own');
    const next = page.getByTestId('ledger-next-verdict');
    expect(await next.textContent()).toContain('Block #4 now breaks a rule');
    expect(await next.textContent()).toContain('PREVIOUS_HASH_MISMATCH');
    expect(await page.locator('[data-testid="chain-strip"] [data-block="4"]').getAttribute('class')).toContain('bad');
    expect(await page.locator('[data-testid="chain-strip"] [data-block="5"]').getAttribute('class')).toContain(
      'follows',
    );
    // The node's chain is untouched.
    expect(await page.getByTestId('header-hash').textContent()).toBe(await blockHash(3));
    await screenshot(page, 'ledger-block-remined-desktop');
  });

  it('draws the mempool by fee rate and what the next block takes', async () => {
    // Alice's nonces 2 and 3 are next (in nonce order, whatever their fees); nonce 5 waits for 4.
    await submit(pay(profile, alice, bob.address, 1_000n, { nonce: 2n, fee: 1_500n }));
    await submit(pay(profile, alice, bob.address, 1_000n, { nonce: 3n, fee: 9_000n }));
    await submit(pay(profile, alice, bob.address, 1_000n, { nonce: 5n, fee: 50_000n }));
    await open('#/mempool');
    const nextBlock = page.getByTestId('next-block');
    await expect.poll(() => nextBlock.getByTestId('tx-box').count(), { timeout: 15_000 }).toBe(2);
    expect(await page.getByTestId('waiting').getByTestId('tx-box').count()).toBe(1);
    // Live: one more payment fills the gap, and the page redraws without a reload.
    await submit(pay(profile, alice, bob.address, 1_000n, { nonce: 4n, fee: 1_000n }));
    await expect.poll(() => nextBlock.getByTestId('tx-box').count(), { timeout: 15_000 }).toBe(4);
    await screenshot(page, 'ledger-mempool-desktop');
    // A block takes them: the picture empties.
    await mine();
    await expect.poll(() => page.getByTestId('mempool-empty').count(), { timeout: 15_000 }).toBe(1);
  });

  it('charts the target and the block time over height', async () => {
    await open('#/difficulty');
    const chart = page.getByTestId('difficulty-chart');
    await chart.locator('.uplot').waitFor({ timeout: 15_000 });
    const height = (await call(`${node.url}/headers?from=1&limit=1`)).json().height as number;
    // One row per mined block (the genesis is not mined), the newest first.
    expect(await page.locator('[data-testid="difficulty-table"] tbody tr').count()).toBe(Math.min(20, height - 1));
    expect(await page.getByTestId('difficulty-current').textContent()).toMatch(/^[\d,]+$/);
    await screenshot(page, 'ledger-difficulty-desktop');
  });

  it('finds a block by height and by hash, and says what it cannot find', async () => {
    await open('#/mempool');
    const input = page.getByTestId('search-input');
    await input.fill('2');
    await input.press('Enter');
    await page.waitForURL(/#\/block\/2$/);
    await page.getByTestId('ledger-header').waitFor({ timeout: 15_000 });

    await input.fill(await blockHash(4));
    await input.press('Enter');
    await page.waitForURL(/#\/block\/4$/);
    await expect.poll(() => page.getByTestId('header-height').textContent(), { timeout: 15_000 }).toBe('4');

    await input.fill(alice.address);
    await input.press('Enter');
    await page.waitForURL(/#\/address\//);

    await input.fill('999');
    await input.press('Enter');
    // As long as the searches above may take on a loaded machine (the default poll is 1 s: CI missed it).
    await expect
      .poll(() => page.getByTestId('search-message').textContent(), { timeout: 15_000 })
      .toContain('No block #999');
  });

  it('fits a phone', async () => {
    const phone = await session.newPage(VIEWPORTS.phone);
    await phone.goto(`${node.url}/#/block/3`);
    await phone.getByTestId('merkle-tree').waitFor({ timeout: 15_000 });
    await screenshot(phone, 'ledger-block-phone');
    await phone.goto(`${node.url}/#/mempool`);
    await phone.getByTestId('mempool').waitFor();
    await screenshot(phone, 'ledger-mempool-phone');
    await phone.close();
  });
});
