/**
 * The learner's whole journey in a real browser (Debian's chromium through playwright-core), in
 * English and in Chinese: a wallet imported into the page (a keystore file whose key the genesis
 * funds), a payment signed in the page, mined on node A and shown confirmed; meanwhile node B, on
 * the same genesis but not peered, mines a longer branch without it. Peered, A switches to B's
 * branch: the wallet, the transaction page and the forks page, open the whole time and never
 * reloaded, show the reorg and the payment back in the mempool; A mines again and the payment is
 * confirmed in the new block, its confirmations counting up. No console errors; screenshots at
 * desktop and phone width in test-artifacts/reorg-payment-*.png.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeJson } from '../../src/core/json.js';
import { genesisFileJson, targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { createKeystore, keystoreJson } from '../../src/core/ledger/keystore.js';
import {
  type BrowserSession,
  browserAvailability,
  expectCleanSession,
  launchBrowser,
  screenshot,
  VIEWPORTS,
} from '../support/browser.js';
import { call, cleanupAll, type RunningNode, startNode, tempDir } from '../support/harness.js';
import { testGenesis, testWallet } from '../support/ledger.js';

/** Browser globals of the callbacks given to page.evaluate (this file is typechecked without the DOM). */
declare const window: Record<string, unknown>;
interface BrowserNode {
  readonly textContent: string | null;
  readonly parentElement: {
    closest(selector: string): unknown;
    checkVisibility(options: object): boolean;
  } | null;
}
declare const document: {
  readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number };
  getElementById(id: string): unknown;
  createTreeWalker(root: unknown, filter: number): { nextNode(): BrowserNode | null };
  querySelectorAll(selector: string): Iterable<{ getAttribute(name: string): string | null }>;
};

const availability = browserAvailability();

/** The page's key (imported from a keystore file) and who it pays. */
const payer = testWallet(41);
const payee = testWallet(42);
const minerA = testWallet(43);
const minerB = testWallet(44);
const PASSPHRASE = 'reorg journey';
const ALLOCATION = 100n * 100_000_000n;

/** What the pages say, in each language, at each step. */
const WORDS = {
  en: {
    confirmedIn: (block: number, n: number) => `Confirmed in block ${block}: ${n} confirmation${n === 1 ? '' : 's'}.`,
    returned: (block: number) => `Back in the mempool: a reorg replaced block ${block}, which held it`,
    wasIn: (block: number) => `It was first confirmed in block ${block}, which a reorg replaced.`,
    txConfirmed: 'confirmed',
    txReturned: 'back in the mempool',
    txReorgPending: (block: number) => `Block #${block} (`,
    txReorgMoved: (old: number, block: number) => new RegExp(`block #${old} .*it is now in block #${block}`),
    merkleEqual: (block: number) => `equal: the transaction is in block #${block}`,
  },
  'zh-CN': {
    confirmedIn: (block: number, n: number) => `已在区块 ${block} 中确认：${n} 个确认。`,
    returned: (block: number) => `已退回交易池：一次重组用另一条分支替换了包含它的区块 ${block}`,
    wasIn: (block: number) => `它最初在区块 ${block} 中确认，该区块已被重组替换。`,
    txConfirmed: '已确认',
    txReturned: '已退回交易池',
    txReorgPending: (block: number) => `包含这笔交易的区块 #${block}（`,
    txReorgMoved: (old: number, block: number) => new RegExp(`区块 #${old}（.*现在它在区块 #${block} 中`),
    merkleEqual: (block: number) => `相等：这笔交易在区块 #${block} 中`,
  },
} as const;

type Locale = keyof typeof WORDS;

const key = (n: RunningNode): string => `127.0.0.1:${n.port}`;

async function mine(n: RunningNode): Promise<void> {
  const answer = await call(`${n.url}/mine`);
  expect(answer.status, answer.text).toBeLessThan(300);
}

async function tip(n: RunningNode): Promise<string> {
  return (await call(`${n.url}/forks?limit=1`)).json().tip;
}

async function txOn(n: RunningNode, id: string): Promise<{ status: string; height?: number; block_hash?: string }> {
  return (await call(`${n.url}/transactions/${id}`)).json();
}

/** Opens `route` of the explorer served by `n` in `target` and waits for its event stream. */
async function open(target: Page, n: RunningNode, route: string): Promise<void> {
  await target.goto(`${n.url}/${route}`);
  await target.locator('#live.live:not(.connecting):not(.offline)').waitFor({ timeout: 10_000 });
  // A reload would clear this: it proves the page follows the events by itself.
  await target.evaluate(() => {
    window.notReloaded = true;
  });
}

/** The visible text of the page's main part, without code (identifiers, hashes, addresses). */
async function visibleText(target: Page): Promise<string> {
  return target.evaluate(() => {
    const out: string[] = [];
    const walker = document.createTreeWalker(document.getElementById('main'), 4);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('code, pre, script, style, textarea, option')) continue;
      if (!el.checkVisibility({ visibilityProperty: true })) continue;
      out.push(n.textContent ?? '');
    }
    for (const el of document.querySelectorAll('main [aria-label], main [placeholder]')) {
      out.push(el.getAttribute('aria-label') ?? '', el.getAttribute('placeholder') ?? '');
    }
    return out.join('\n');
  });
}

/** Words of three letters or more left once names kept in every language and hex are taken out. */
function englishWords(text: string): string[] {
  let rest = text;
  for (const token of ['blockforge', 'JSON', 'ledger', 'bft1…', 'English']) rest = rest.split(token).join(' ');
  rest = rest.replace(/\b[0-9a-f]{8,}\b/gi, ' ');
  return [...new Set(rest.match(/[A-Za-z]{3,}/g) ?? [])];
}

function journey(locale: Locale): void {
  const words = WORDS[locale];
  const shot = (name: string): string => `reorg-payment-${locale === 'en' ? 'en' : 'zh'}-${name}`;
  let session: BrowserSession;
  let a: RunningNode;
  let b: RunningNode;
  let keystoreFile: string;

  beforeAll(async () => {
    if (!availability.path) throw new Error(availability.message);
    const dir = tempDir();
    const genesisFile = join(dir, 'genesis.json');
    const spec = testGenesis([[payer, ALLOCATION]], {
      initialTarget: targetForExpectedHashes(1n),
      maturity: 2,
      time: Math.floor(Date.now() / 1000) - 1000,
    });
    writeFileSync(genesisFile, writeJson(genesisFileJson(spec)));
    keystoreFile = join(dir, 'payer.json');
    writeFileSync(keystoreFile, keystoreJson(await createKeystore(payer.secretKey, 'bft', PASSPHRASE)));
    // One genesis file, two processes, no peer and no periodic sync: the test says when they meet.
    const args = (miner: string): string[] => [
      '--profile',
      'ledger',
      '--genesis',
      genesisFile,
      '--miner-address',
      miner,
      '--threads',
      '1',
      '--sync-interval',
      '0',
    ];
    [a, b, session] = await Promise.all([
      startNode({ args: args(minerA.address) }),
      startNode({ args: args(minerB.address) }),
      launchBrowser(availability.path, { locale }),
    ]);
  });

  afterEach(() => expectCleanSession(session));

  afterAll(async () => {
    await session?.close();
    await cleanupAll();
  });

  it(`goes from a wallet in the page to a payment that survives a reorg (${locale})`, async () => {
    expect((await call(`${a.url}/genesis`)).json()).toEqual((await call(`${b.url}/genesis`)).json());
    const wallet = await session.newPage();
    const tx = await session.newPage(VIEWPORTS.phone);
    const forks = await session.newPage();

    // 1. The wallet: the keystore file imported into the page (kept in IndexedDB, encrypted).
    await open(wallet, a, '#/wallet');
    expect(await wallet.locator('html').getAttribute('lang')).toBe(locale);
    const importForm = wallet.getByTestId('wallet-import');
    await importForm.locator('#import-file').setInputFiles(keystoreFile);
    await importForm.locator('#import-pass').fill(PASSPHRASE);
    await importForm.locator('button[type="submit"]').click();
    await expect
      .poll(() => wallet.getByTestId('wallet-address').textContent(), { timeout: 20_000 })
      .toBe(payer.address);
    await expect.poll(() => wallet.getByTestId('wallet-balance').textContent()).toMatch(/^100\s/);

    // 2. A payment signed in the page, sent to A.
    await wallet.locator('#pay-to').fill(payee.address);
    await wallet.locator('#pay-amount').fill('2.5');
    await wallet.locator('form.wallet-pay button[type="submit"]').click();
    const verdict = wallet.getByTestId('signed-node-verdict');
    await expect.poll(() => verdict.textContent()).toMatch(/^✔ 202 /);
    expect(await wallet.getByTestId('signed-browser-verdict').textContent()).toMatch(/^✔ /);
    const id = (await wallet.getByTestId('signed-id').textContent()) ?? '';
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    const status = wallet.getByTestId('sent-status');
    await expect.poll(() => status.getAttribute('data-status')).toBe('pending');
    expect(await status.getAttribute('data-reorged')).toBe('false');

    // The transaction page (phone) and the forks page, open from now on, never reloaded.
    await open(tx, a, `#/tx/${id}`);
    await expect.poll(() => tx.getByTestId('tx-status').getAttribute('data-status')).toBe('pending');
    await open(forks, a, '#/forks');
    await forks.locator('.fork-tree .blk.active').first().waitFor();

    // 3. Mined on A in block 2: confirmed, 1 confirmation, on both pages.
    await mine(a);
    const first = await txOn(a, id);
    expect(first).toMatchObject({ status: 'confirmed', height: 2 });
    await expect.poll(() => status.textContent()).toContain(words.confirmedIn(2, 1));
    expect(await status.getAttribute('data-status')).toBe('confirmed');
    await expect.poll(() => tx.getByTestId('tx-status').textContent()).toBe(words.txConfirmed);
    await expect.poll(() => tx.getByTestId('tx-confirmations').textContent()).toBe('1');
    expect(await tx.getByTestId('tx-block').getAttribute('href')).toBe('#/block/2');
    await expect.poll(() => tx.getByTestId('merkle-verdict').getAttribute('data-equal')).toBe('true');
    expect(await tx.getByTestId('merkle-verdict').textContent()).toContain(words.merkleEqual(2));
    expect(await tx.getByTestId('tx-reorg').count()).toBe(0);
    await screenshot(wallet, shot('1-confirmed-desktop'));
    await screenshot(tx, shot('1-confirmed-phone'));

    // 4. Meanwhile B, apart, mines a longer branch (blocks 2 to 4) without the payment.
    for (let k = 0; k < 3; k++) await mine(b);
    expect((await call(`${b.url}/transactions/${id}`)).status).toBe(404);
    const branchB = await tip(b);

    // 5. Peered: A learns of B's heavier branch and switches to it.
    expect((await call(`${a.url}/nodes/register`, { body: { nodes: [key(b)] } })).status).toBe(201);
    expect((await call(`${a.url}/nodes/resolve`)).status).toBe(200);
    await expect.poll(() => tip(a), { timeout: 15_000 }).toBe(branchB);
    expect(await txOn(a, id)).toMatchObject({ status: 'pending' });

    // The wallet: back in the mempool because of the reorg, not just "pending".
    await expect.poll(() => status.getAttribute('data-reorged'), { timeout: 15_000 }).toBe('true');
    expect(await status.getAttribute('data-status')).toBe('pending');
    expect(await status.textContent()).toContain(words.returned(2));
    // The transaction page: its block replaced, no stale block number or proof left.
    const reorgNote = tx.getByTestId('tx-reorg');
    await expect.poll(() => reorgNote.textContent(), { timeout: 15_000 }).toContain(words.txReorgPending(2));
    expect(await reorgNote.getAttribute('data-replaced')).toBe(first.block_hash);
    expect(await tx.getByTestId('tx-status').textContent()).toBe(words.txReturned);
    expect(await tx.getByTestId('tx-block').count()).toBe(0);
    expect(await tx.getByTestId('tx-confirmations').count()).toBe(0);
    expect(await tx.getByTestId('merkle-verdict').count()).toBe(0);
    // The forks page: A's block 2 dropped, B's branch active, the reorg told.
    await forks.locator(`.fork-tree .blk.stale[data-hash="${first.block_hash}"]`).waitFor({ timeout: 15_000 });
    await forks.locator(`.fork-tree .blk.active[data-hash="${branchB}"]`).waitFor();
    await forks.getByTestId('reorg-story').waitFor();
    await screenshot(wallet, shot('2-returned-desktop'));
    await screenshot(tx, shot('2-returned-phone'));
    await screenshot(forks, shot('2-forks-desktop'));
    await forks.setViewportSize(VIEWPORTS.phone);
    await screenshot(forks, shot('2-forks-phone'));

    // 6. A mines again: confirmed in the new block 5, then its confirmations count up.
    await mine(a);
    const second = await txOn(a, id);
    expect(second).toMatchObject({ status: 'confirmed', height: 5 });
    expect(second.block_hash).not.toBe(first.block_hash);
    await expect.poll(() => status.textContent()).toContain(words.confirmedIn(5, 1));
    expect(await status.textContent()).toContain(words.wasIn(2));
    await expect.poll(() => tx.getByTestId('tx-confirmations').textContent()).toBe('1');
    expect(await tx.getByTestId('tx-status').textContent()).toBe(words.txConfirmed);
    expect(await tx.getByTestId('tx-block').getAttribute('href')).toBe('#/block/5');
    expect(await reorgNote.textContent()).toMatch(words.txReorgMoved(2, 5));
    await expect.poll(() => tx.getByTestId('merkle-verdict').textContent()).toContain(words.merkleEqual(5));
    expect(await tx.getByTestId('merkle-verdict').getAttribute('data-equal')).toBe('true');
    await mine(a);
    await expect.poll(() => status.textContent()).toContain(words.confirmedIn(5, 2));
    await expect.poll(() => tx.getByTestId('tx-confirmations').textContent()).toBe('2');
    await mine(a);
    await expect.poll(() => status.textContent()).toContain(words.confirmedIn(5, 3));
    await expect.poll(() => tx.getByTestId('tx-confirmations').textContent()).toBe('3');
    // The payee got it on the branch that won.
    expect((await call(`${a.url}/accounts/${payee.address}`)).json().balance).toBe('250000000');

    for (const p of [wallet, tx, forks]) expect(await p.evaluate(() => window.notReloaded)).toBe(true);
    expect(await tx.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(
      true,
    );
    if (locale === 'zh-CN') {
      expect(englishWords(await visibleText(wallet)), 'wallet page').toEqual([]);
      expect(englishWords(await visibleText(tx)), 'transaction page').toEqual([]);
    }
    await screenshot(wallet, shot('3-reconfirmed-desktop'));
    await screenshot(tx, shot('3-reconfirmed-phone'));
    await wallet.setViewportSize(VIEWPORTS.phone);
    await screenshot(wallet, shot('3-reconfirmed-phone'));
    for (const p of [wallet, tx, forks]) await p.close();
  });
}

describe.skipIf(availability.skip)('a payment survives a reorg, in the browser (chromium, two ledger nodes)', () => {
  describe('in English', () => journey('en'));
  describe('in Chinese (zh-CN)', () => journey('zh-CN'));
});
