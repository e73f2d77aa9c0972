/**
 * The explorer of a ledger node in Simplified Chinese, in a real browser (Debian's chromium through
 * playwright-core) against a real ledger node process on an easy genesis, with mined blocks, confirmed
 * payments and pending ones: every page a ledger node has (the ledger block page also after an edit
 * in its tamper box and after Re-mine, the transaction page, the wallet, forks, network, mempool,
 * difficulty, ...) shows no English word beyond data (hashes, addresses, numbers, code) and names
 * kept as they are, with no console errors. Screenshots of every page at desktop and phone width,
 * light and dark, in English and Chinese go to test-artifacts/ledger-<page>-<lang>-<width>-<theme>.png.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type JsonObject, writeJson } from '../../src/core/json.js';
import { genesisFileJson, targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { createLedgerProfile, type LedgerProfile } from '../../src/core/ledger/ledger-profile.js';
import {
  type BrowserSession,
  browserAvailability,
  englishWords,
  expectCleanSession,
  launchBrowser,
  screenshot,
  VIEWPORTS,
  visibleText,
} from '../support/browser.js';
import { call, cleanupAll, type RunningNode, startNode, tempDir } from '../support/harness.js';
import { pay, testGenesis, testWallet } from '../support/ledger.js';

/** The browser globals used by the callbacks given to page.evaluate (this file has no DOM library). */
interface BrowserElement {
  readonly textContent: string | null;
  readonly parentElement: BrowserElement | null;
  closest(selector: string): BrowserElement | null;
  checkVisibility(options?: object): boolean;
  getAttribute(name: string): string | null;
}
declare const document: {
  readonly body: unknown;
  readonly title: string;
  readonly documentElement: { readonly lang: string; readonly scrollWidth: number };
  querySelectorAll(selector: string): Iterable<BrowserElement>;
  createTreeWalker(
    root: unknown,
    what: number,
  ): { nextNode(): { textContent: string | null; parentElement: BrowserElement | null } | null };
};
declare const localStorage: { setItem(key: string, value: string): void; removeItem(key: string): void };

const availability = browserAvailability();

const alice = testWallet(1);
const bob = testWallet(2);
const miner = testWallet(3);

/** About 4,096 hashes a block (the browser's Re-mine finds one in a fraction of a second). */
const spec = testGenesis([[alice, 1_000_000_000_000n]], {
  initialTarget: targetForExpectedHashes(4096n),
  blockTime: 2,
  halfLife: 20,
  maturity: 2,
  time: Math.floor(Date.now() / 1000) - 60,
});

/** Words kept as they are in every language: names, formats, protocols (as test/browser/i18n.test.ts). */
const ALLOWED = [
  'blockforge',
  'OpenAPI',
  'openapi.json',
  'JSON',
  'SHA-256',
  'Ed25519',
  'ASERT',
  'API',
  'curl',
  'HTTP',
  'Web Crypto',
  'Web Worker',
  'Server-Sent Events',
  'IndexedDB',
  'English',
  'Python',
  'ASCII',
  'KiB',
  'MiB',
  'GiB',
  'seed',
  'master',
  'ledger',
  'testnet',
  'GET',
  'RFC',
  'sha256',
  'log2',
  'TypeScript',
];

let profile: LedgerProfile;
let session: BrowserSession;
let node: RunningNode;
/** A confirmed payment's id (from GET /accounts/<bob>/transactions). */
let txId = '';
/** Words the node itself shows (its id, its kernel's name, its network): data, not text of the page. */
let data: string[] = [];

/** Every page of a ledger node: name, route, and what shows it has drawn its data. */
const PAGES: readonly (readonly [string, string, string | null])[] = [
  ['overview', '', null],
  ['chain', '#/chain', null],
  ['block', '#/block/2', '[data-testid="merkle-tree"]'],
  ['tx', '#/tx/TX_ID', null],
  ['wallet', '#/wallet', null],
  ['forks', '#/forks', null],
  ['network', '#/network', null],
  ['mempool', '#/mempool', '[data-testid="mempool"]'],
  ['difficulty', '#/difficulty', '[data-testid="difficulty-chart"] .uplot'],
  ['peers', '#/peers', null],
  ['transactions', '#/transactions', null],
  ['address', '#/address/ADDRESS', null],
];

function routeOf(route: string): string {
  return route.replace('TX_ID', txId).replace('ADDRESS', encodeURIComponent(alice.address));
}

/** Opens a page of the explorer and waits until its event stream is connected and it has drawn. */
async function open(page: Page, route: string, ready: string | null): Promise<void> {
  await page.goto(`${node.url}/${routeOf(route)}`);
  await page.locator('#live.live:not(.connecting):not(.offline)').waitFor({ timeout: 10_000 });
  await page.locator('main h1').waitFor();
  if (ready) await page.locator(ready).first().waitFor({ timeout: 15_000 });
  await page.waitForLoadState('networkidle', { timeout: 3_000 }).catch(() => undefined);
  // Pages that load in steps: let the last answer draw.
  await page.waitForTimeout(300);
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

/** Sets the language and theme the page starts in (local storage, as the switches keep them). */
async function choose(page: Page, lang: 'en' | 'zh-CN', theme: 'light' | 'dark'): Promise<void> {
  // A JSON answer of the node: its origin's storage, without a page whose requests a reload would cut.
  await page.goto(`${node.url}/mining`);
  await page.evaluate(
    ([l, th]) => {
      localStorage.setItem('blockforge.lang', l as string);
      localStorage.setItem('blockforge.theme', th as string);
    },
    [lang, theme],
  );
}

describe.skipIf(availability.skip)('ledger explorer in Chinese (chromium, zh-CN)', () => {
  beforeAll(async () => {
    if (!availability.path) throw new Error(availability.message);
    profile = createLedgerProfile(spec);
    const file = join(tempDir(), 'genesis.json');
    writeFileSync(file, writeJson(genesisFileJson(spec)));
    [node, session] = await Promise.all([
      startNode({
        args: ['--profile', 'ledger', '--genesis', file, '--miner-address', miner.address, '--threads', '1'],
      }),
      launchBrowser(availability.path, { locale: 'zh-CN' }),
    ]);
    // Block 2 with two payments (a merkle tree of three leaves), blocks 3 to 5 empty, then two
    // payments ready for the next block and one waiting for a missing nonce.
    await submit(pay(profile, alice, bob.address, 5_000n, { nonce: 0n, fee: 2_000n }));
    await submit(pay(profile, alice, bob.address, 7_000n, { nonce: 1n, fee: 1_000n }));
    for (let k = 0; k < 4; k++) await mine();
    await submit(pay(profile, alice, bob.address, 1_000n, { nonce: 2n, fee: 1_500n }));
    await submit(pay(profile, alice, bob.address, 1_000n, { nonce: 3n, fee: 9_000n }));
    await submit(pay(profile, alice, bob.address, 1_000n, { nonce: 5n, fee: 50_000n }));
    const history = (await call(`${node.url}/accounts/${encodeURIComponent(bob.address)}/transactions`)).json() as {
      transactions: { id: string; status: string }[];
    };
    txId = history.transactions.find((tx) => tx.status === 'confirmed')?.id ?? '';
    expect(txId).toMatch(/^[0-9a-f]{64}$/);
    const mined = await call(`${node.url}/mining`);
    const nodeId = mined.headers.get('x-blockforge-node-id') ?? '';
    const kernel = (mined.json() as { kernel?: string }).kernel;
    data = [nodeId, ...(kernel ? [kernel] : [])].filter((word) => word !== '');
  });

  afterEach(() => expectCleanSession(session));

  afterAll(async () => {
    await session?.close();
    await cleanupAll();
  });

  it('shows every page of a ledger node in Chinese, with no English word left', { timeout: 180_000 }, async () => {
    const page = await session.newPage();
    const found: Record<string, string[]> = {};
    const check = async (name: string): Promise<void> => {
      const text = await visibleText(page, { titles: true });
      const words = englishWords(text, [...data, ...ALLOWED]);
      if (process.env.DUMP_TEXT) console.log(`--- ${name}\n${text}`);
      // Each word with the line it was found in, so a failure says where to look.
      if (words.length > 0) {
        found[name] = words.map((word) => {
          const line = text.split('\n').find((l) => new RegExp(`\\b${word}\\b`).test(l)) ?? '';
          return `${word}: ${line.trim().slice(0, 160)}`;
        });
      }
    };
    for (const [name, route, ready] of PAGES) {
      await open(page, route, ready);
      expect(await page.evaluate(() => document.documentElement.lang), name).toBe('zh-CN');
      await check(name);
    }

    // The ledger block page after an edit in its tamper box, then after Re-mine.
    await open(page, '#/block/2', '[data-testid="merkle-tree"]');
    const editor = page.getByTestId('ledger-tamper');
    const original = await editor.inputValue();
    const edited = original.replace(/"amount": "\d+"/, '"amount": "1"');
    expect(edited).not.toBe(original);
    await editor.fill(edited);
    const verdict = page.getByTestId('ledger-verdict');
    await expect.poll(() => verdict.textContent()).toContain('MERKLE_MISMATCH');
    await check('block, tampered');
    await screenshot(page, 'ledger-block-tampered-zh-desktop-light');
    await page.getByTestId('remine').click();
    await page.getByTestId('remine-found').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('ledger-next-verdict').textContent()).toContain('PREVIOUS_HASH_MISMATCH');
    await check('block, re-mined');
    await screenshot(page, 'ledger-block-remined-zh-desktop-light');

    // A pending payment's page, and a search that finds nothing.
    const pending = (await call(`${node.url}/accounts/${encodeURIComponent(bob.address)}/transactions`)).json() as {
      transactions: { id: string; status: string }[];
    };
    const pendingId = pending.transactions.find((tx) => tx.status === 'pending')?.id ?? '';
    await open(page, `#/tx/${pendingId}`, null);
    await check('tx, pending');
    const input = page.getByTestId('search-input');
    await input.fill('999');
    await input.press('Enter');
    await page.getByTestId('search-message').waitFor();
    await check('search, not found');

    expect(found, 'English words left on pages in Chinese').toEqual({});
    await page.close();
  });

  it('renders every page at desktop and phone width, light and dark, in English and Chinese (screenshots kept)', {
    timeout: 600_000,
  }, async () => {
    const wide: string[] = [];
    for (const [width, viewport] of Object.entries(VIEWPORTS)) {
      const page = await session.newPage(viewport);
      for (const lang of ['en', 'zh-CN'] as const) {
        for (const theme of ['light', 'dark'] as const) {
          await choose(page, lang, theme);
          for (const [name, route, ready] of PAGES) {
            await open(page, route, ready);
            const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
            if (scroll > viewport.width) wide.push(`${name} ${lang} ${width} ${theme}: ${scroll}px`);
            await screenshot(page, `ledger-${name}-${lang === 'en' ? 'en' : 'zh'}-${width}-${theme}`);
          }
          // The tamper box and Re-mine, in this theme and width.
          await open(page, '#/block/2', '[data-testid="merkle-tree"]');
          const editor = page.getByTestId('ledger-tamper');
          await editor.fill((await editor.inputValue()).replace(/"amount": "\d+"/, '"amount": "1"'));
          await page.getByTestId('remine').click();
          await page.getByTestId('remine-found').waitFor({ timeout: 60_000 });
          await screenshot(page, `ledger-block-remined-${lang === 'en' ? 'en' : 'zh'}-${width}-${theme}`);
        }
      }
      await page.evaluate(() => {
        localStorage.removeItem('blockforge.lang');
        localStorage.removeItem('blockforge.theme');
      });
      await page.close();
    }
    expect(wide, 'pages wider than the screen').toEqual([]);
  });
});
