/**
 * The block explorer in a real browser (Debian's chromium through playwright-core) against a real
 * node process: the tutorial done from the page. Every test also asserts that the page logged no
 * console error, threw nothing, had no failed request and reached nothing beyond 127.0.0.1.
 * Screenshots of every page, desktop and phone width, go to test-artifacts/.
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
import { call, cleanupAll, freePort, type RunningNode, startNode } from '../support/harness.js';

/**
 * The browser globals used by the callbacks given to page.evaluate: those run in chromium, but this
 * file is typechecked for Node, without the DOM library.
 */
interface BrowserElement {
  readonly textContent: string | null;
  readonly tagName: string;
  readonly outerHTML: string;
  readonly labels?: ArrayLike<unknown> | null;
  getAttribute(name: string): string | null;
  getBoundingClientRect(): { left: number; right: number; top: number; bottom: number; width: number; height: number };
  contains(other: unknown): boolean;
}
declare const window: Record<string, unknown>;
declare const document: {
  readonly activeElement: BrowserElement | null;
  readonly body: unknown;
  readonly documentElement: { readonly scrollWidth: number; readonly clientWidth: number };
  querySelector(selector: string): BrowserElement | null;
  querySelectorAll(selector: string): Iterable<BrowserElement>;
  elementFromPoint(x: number, y: number): BrowserElement | null;
};
declare class MutationObserver {
  constructor(callback: () => void);
  observe(target: unknown, options: object): void;
}

const availability = browserAvailability();

/**
 * Difficulty 5 with the slowest kernel on one thread: the first block takes ~888k tries (a few
 * tenths of a second). The progress line does not depend on that: the node reports progress when a
 * search starts (0 tries), so a machine of any speed shows it.
 */
const NODE_ARGS = ['--difficulty', '5', '--kernel', 'crypto', '--threads', '1'];

let session: BrowserSession;
let node: RunningNode;
let page: Page;

/** Opens a page of the explorer and waits until its event stream is connected. */
async function open(route: string, target: Page = page): Promise<void> {
  await target.goto(`${node.url}/${route}`);
  await target.locator('#live', { hasText: 'Live' }).waitFor({ timeout: 10_000 });
}

/** The node's chain, straight from the API. */
async function chain(url = node.url): Promise<{ index: number; previous_hash: string; proof: number }[]> {
  return (await call(`${url}/chain`)).json().chain;
}

describe.skipIf(availability.skip)('block explorer (chromium)', () => {
  beforeAll(async () => {
    // Under CI a missing chromium fails the suite here; locally it was skipped with a loud message.
    if (!availability.path) throw new Error(availability.message);
    [node, session] = await Promise.all([startNode({ args: NODE_ARGS }), launchBrowser(availability.path)]);
    page = await session.newPage();
  });

  afterEach(() => expectCleanSession(session));

  afterAll(async () => {
    await session?.close();
    await cleanupAll();
  });

  it('loads the overview without errors and shows the node at a glance', async () => {
    await open('');
    await expect.poll(() => page.locator('.stat', { hasText: 'Height' }).textContent()).toContain('1');
    const stats = await page.locator('.stats').textContent();
    expect(stats).toContain('seed');
    expect(stats).toMatch(/Difficulty\s*5/i);
    expect(await page.title()).toBe('Overview · blockforge explorer');
    expect(await page.locator('.lead').textContent()).toContain('starts with 5 zeros');
  });

  it('mines with the Mine button, shows live progress, and the new block appears linked to the one before', async () => {
    await open('#/chain');
    // Progress lasts a fraction of a second: record every text the status line shows.
    await page.evaluate(() => {
      const seen: string[] = [];
      window.seen = seen;
      new MutationObserver(() => {
        const text = document.querySelector('.mine-status')?.textContent ?? '';
        if (!seen.includes(text)) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    await page.getByRole('button', { name: 'Mine', exact: true }).click();
    await page.locator('article[data-index="2"]').waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.locator('.mine-status').textContent())
      .toMatch(/New Block Forged: block #2, proof \d+/);
    const seen = (await page.evaluate(() => window.seen)) as string[];
    expect(seen.some((text) => /Mining block #2: [\d,]+ tries of ~1,048,576 expected/.test(text))).toBe(true);

    const blocks = await chain();
    expect(blocks).toHaveLength(2);
    // The new card's previous_hash is the genesis card's hash (the first 16 hex characters shown).
    const genesisHash = await page.locator('article[data-index="1"] code.hash').first().textContent();
    const link = await page.locator('article[data-index="2"] code.prev').textContent();
    expect(link?.slice(0, 16)).toBe(blocks[1]?.previous_hash.slice(0, 16));
    expect(genesisHash?.slice(0, 16)).toBe(blocks[1]?.previous_hash.slice(0, 16));
    expect(await page.locator('article[data-index="2"]').textContent()).toContain(String(blocks[1]?.proof));
  });

  it('is usable from the keyboard: Tab reaches Mine, Enter mines', async () => {
    await open('#/chain');
    const mine = page.getByRole('button', { name: 'Mine', exact: true });
    let reached = false;
    for (let k = 0; k < 40 && !reached; k++) {
      await page.keyboard.press('Tab');
      reached = await mine.evaluate((el) => el === document.activeElement);
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    await page.locator('article[data-index="3"]').waitFor({ timeout: 20_000 });
    expect(await chain()).toHaveLength(3);
  });

  it("shows the API's validation errors at the fields, and a valid transaction as pending", async () => {
    await open('#/transactions');
    const sender = page.getByLabel('Sender');
    const recipient = page.getByLabel('Recipient');
    const amount = page.getByLabel('Amount');

    /** Submits with Enter and returns what the node itself answers to the same body. */
    const attempt = async (s: string, r: string, a: string, body: object) => {
      await sender.fill(s);
      await recipient.fill(r);
      await amount.fill(a);
      await amount.press('Enter');
      return (await call(`${node.url}/transactions/new`, { body })).json();
    };

    const missing = await attempt('alice', 'bob', '', { sender: 'alice', recipient: 'bob' });
    expect(missing.message).toBe('Missing values: amount');
    await expect.poll(() => page.locator('#tx-amount-error').textContent()).toBe(missing.message);
    expect(await amount.getAttribute('aria-invalid')).toBe('true');

    const negative = await attempt('alice', 'bob', '-3', { sender: 'alice', recipient: 'bob', amount: -3 });
    await expect.poll(() => page.locator('#tx-amount-error').textContent()).toBe(negative.message);

    const reserved = await attempt('0', 'bob', '3', { sender: '0', recipient: 'bob', amount: 3 });
    expect(reserved.field).toBe('sender');
    await expect.poll(() => page.locator('#tx-sender-error').textContent()).toBe(reserved.message);
    expect(await sender.getAttribute('aria-invalid')).toBe('true');
    // The other fields carry no error.
    expect(await page.locator('#tx-amount-error').textContent()).toBe('');
    expect(await call(`${node.url}/transactions/pending`).then((a) => a.json().count)).toBe(0);

    // Every field wrong: all three errors at once, each in the words the node uses when that field
    // alone is wrong (the node itself names only the first).
    await sender.fill('0');
    await recipient.fill('');
    await amount.fill('-3');
    await page.getByRole('button', { name: 'Send transaction' }).click();
    const alone = {
      sender: (
        await call(`${node.url}/transactions/new`, { body: { sender: '0', recipient: 'bob', amount: 3 } })
      ).json(),
      recipient: (await call(`${node.url}/transactions/new`, { body: { sender: 'alice', amount: 3 } })).json(),
      amount: (
        await call(`${node.url}/transactions/new`, { body: { sender: 'alice', recipient: 'bob', amount: -3 } })
      ).json(),
    };
    const whole = (await call(`${node.url}/transactions/new`, { body: { sender: '0', amount: -3 } })).json();
    expect(whole.field).toBe('recipient');
    expect(whole.message).toBe('Missing values: recipient');
    for (const field of ['sender', 'recipient', 'amount'] as const) {
      expect(alone[field].field).toBe(field);
      await expect
        .poll(() => page.locator(`#tx-${field}-error`).textContent(), { message: field })
        .toBe(alone[field].message);
      expect(await page.locator(`#tx-${field}`).getAttribute('aria-invalid'), field).toBe('true');
    }
    // The form was still sent (its answer may come after the page's own checks are shown), and the
    // keyboard is at the first field in error.
    await expect.poll(() => session.httpErrors.filter((e) => e === '400 POST /transactions/new').length).toBe(4);
    expect(await sender.evaluate((el) => el === document.activeElement)).toBe(true);
    expect(await call(`${node.url}/transactions/pending`).then((a) => a.json().count)).toBe(0);

    await sender.fill('alice');
    await recipient.fill('carol');
    await amount.fill('2.50');
    await page.getByRole('button', { name: 'Send transaction' }).click();
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Transaction will be added' }).count()).toBe(1);
    expect(await page.locator('form .ok[role="status"]').textContent()).toBe('Transaction will be added to Block 4.');
    await expect.poll(() => page.locator('[data-testid="pending"] tbody tr').count()).toBe(1);
    // 2.50 was sent as the number typed; Python prints that float as 2.5.
    expect(await page.locator('[data-testid="pending"] tbody tr').textContent()).toBe('alicecarol2.5');
    expect(await page.getByLabel('Sender').getAttribute('aria-invalid')).toBeNull();
    const pending = (await call(`${node.url}/transactions/pending`)).json();
    expect(pending.transactions).toEqual([{ sender: 'alice', recipient: 'carol', amount: 2.5 }]);
    // The page's four refused submissions, and nothing else; the errors are gone after the success.
    expect(session.httpErrors.splice(0)).toEqual(Array(4).fill('400 POST /transactions/new'));
    for (const field of ['sender', 'recipient', 'amount']) {
      expect(await page.locator(`#tx-${field}-error`).textContent()).toBe('');
    }
  });

  it('updates without a reload when a block is mined and a transaction posted over the API (as with curl)', async () => {
    await open('#/transactions');
    await page.evaluate(() => {
      window.marker = 42;
    });
    const posted = await call(`${node.url}/transactions/new`, {
      body: { sender: 'dave', recipient: 'erin', amount: 7 },
    });
    expect(posted.status).toBe(201);
    await expect.poll(() => page.locator('[data-testid="pending"] tbody tr').count()).toBe(2);

    await page.getByRole('link', { name: 'Chain', exact: true }).first().click();
    await page.locator('article[data-index="3"]').waitFor();
    const mined = (await call(`${node.url}/mine`)).json();
    expect(mined.index).toBe(4);
    await page.locator('article[data-index="4"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('article[data-index="4"]').textContent()).toContain(String(mined.proof));
    expect(await page.locator('article[data-index="4"] dd').nth(3).textContent()).toBe('3');
    expect(await page.evaluate(() => window.marker)).toBe(42);

    await page.getByRole('link', { name: 'Overview' }).first().click();
    await expect.poll(() => page.locator('.feed').textContent()).toContain('Block #4 added');
    expect(await page.locator('.feed').textContent()).toContain('Transaction pending: dave → erin, amount 7');
    expect(await page.evaluate(() => window.marker)).toBe(42);
  });

  it("recomputes the block's hash and proof of work in the browser, equal to the node's, and names what tampering breaks", async () => {
    await open('#/block/2');
    const browserHash = page.getByTestId('browser-hash');
    await browserHash.waitFor();
    const nodeView = (await call(`${node.url}/blocks/2/hash`)).json();
    const blocks = await chain();
    expect(await browserHash.textContent()).toBe(nodeView.hash);
    expect(await page.getByTestId('node-hash').textContent()).toBe(nodeView.hash);
    expect(blocks[2]?.previous_hash).toBe(nodeView.hash);
    expect(await page.getByTestId('canonical').textContent()).toBe(nodeView.canonical);
    expect(await page.getByText(/computed by your browser with Web Crypto/).count()).toBeGreaterThan(0);

    expect(await page.getByTestId('pow-message').textContent()).toBe(nodeView.pow.message);
    const digest = page.getByTestId('pow-digest');
    expect(await digest.textContent()).toBe(nodeView.pow.digest);
    const zeros = await digest.locator('mark').textContent();
    expect(zeros).toMatch(/^0{5,}$/);
    expect(nodeView.pow.digest.startsWith(zeros)).toBe(true);
    expect(await page.getByTestId('block-verdict').textContent()).toMatch(/^Valid\./);

    // Tamper with the copy: a different proof breaks the proof of work.
    const copy = page.getByLabel('A copy of block #2 (JSON)');
    const original = await copy.inputValue();
    expect(await page.getByTestId('tamper-verdict').textContent()).toContain('the node would accept');
    await copy.fill(original.replace(/"proof": (\d+)/, (_m, p: string) => `"proof": ${Number(p) + 1}`));
    await page.getByRole('button', { name: 'Check my copy' }).click();
    await expect.poll(() => page.getByTestId('tamper-verdict').textContent()).toContain('PROOF_OF_WORK');
    // A different timestamp keeps the proof valid but changes the hash: block 3 no longer links here.
    await copy.fill(original.replace(/"timestamp": ([\d.]+)/, '"timestamp": 1.5'));
    await page.getByRole('button', { name: 'Check my copy' }).click();
    await expect.poll(() => page.getByTestId('tamper-verdict').textContent()).toContain('PREVIOUS_HASH_MISMATCH');
    expect(await page.getByTestId('tamper-verdict').textContent()).toContain('block 3');
    await screenshot(page, 'explorer-block-tampered-desktop');
    await page.getByRole('button', { name: 'Reset the copy' }).click();
    await expect.poll(() => page.getByTestId('tamper-verdict').textContent()).toContain('the node would accept');
    // The node's chain is untouched.
    expect((await call(`${node.url}/blocks/2/hash`)).json().hash).toBe(nodeView.hash);
  });

  it('explains the genesis block as the one every node creates for itself, not as mined', async () => {
    await open('#/block/1');
    const origin = page.getByTestId('block-origin');
    await origin.waitFor();
    const said = await origin.textContent();
    expect(said).toMatch(/^The genesis block: nobody mined it\. Every node creates one for itself/);
    expect(said).toContain('proof 100 by convention and previous_hash 1;');
    expect(await page.getByTestId('genesis-pow').textContent()).toContain('the genesis block is not mined');
    expect(await page.locator('main').textContent()).not.toMatch(/miner tried proofs|Mined /);
    expect(await page.getByTestId('block-verdict').textContent()).toContain(
      'it is the genesis block, which every node creates for itself and nobody mines',
    );
    // A mined block still tells its search.
    await open('#/block/2');
    await page.getByTestId('pow-message').waitFor();
    expect(await page.getByTestId('block-origin').textContent()).toMatch(/^Mined /);
    expect(await page.locator('main').textContent()).toContain('The miner tried proofs 0, 1, 2, …');
  });

  it("shows an address's history and net amount", async () => {
    await open(`#/address/carol`);
    await expect.poll(() => page.getByTestId('net').textContent()).toMatch(/^2\.5/);
    expect(await page.locator('table[aria-label^="Mined transactions"] tbody tr').count()).toBe(1);
    expect(await page.locator('table[aria-label^="Mined transactions"] tbody').textContent()).toContain('+2.5');
  });

  it('adds a peer, resolves, shows the per-peer report, and shows the chain that came from the other node', async () => {
    const other = await startNode({ args: ['--difficulty', '5'] });
    for (let k = 0; k < 5; k++) expect((await call(`${other.url}/mine`)).status).toBe(200);
    const theirs = await chain(other.url);
    expect(theirs.length).toBeGreaterThan((await chain()).length);

    await open('#/peers');
    await page.evaluate(() => {
      window.marker = 7;
    });
    await page.getByLabel('Peer addresses').fill(other.url);
    await page.getByRole('button', { name: 'Add peers' }).click();
    await expect
      .poll(() => page.locator('form .ok[role="status"]').textContent())
      .toContain('New nodes have been added');
    const key = other.url.replace('http://', '');
    await expect.poll(() => page.getByTestId('peers').textContent()).toContain(key);

    await page.getByRole('button', { name: 'Resolve', exact: true }).click();
    const report = page.getByTestId('resolve-report');
    await expect
      .poll(() => report.textContent(), { timeout: 15_000 })
      .toMatch(/Our chain (was replaced|is authoritative)/);
    expect(await report.locator('tbody tr').count()).toBe(1);
    expect(await report.locator('tbody tr').textContent()).toContain(key);
    // Adopted now, or already pulled by the node's automatic sync when the peer was added.
    expect(await report.locator('tbody tr .badge').textContent()).toMatch(/^(adopted|not-longer)$/);

    // Their chain has another genesis block: a warning says all our blocks went, and which
    // transactions of them are pending again (the rewards are not).
    const banner = page.getByTestId('reorg-banner');
    await banner.waitFor({ timeout: 10_000 });
    const said = await banner.textContent();
    expect(said).toContain('This node switched to a chain with another genesis block.');
    expect(said).toContain(`The chain from ${key} has ${theirs.length} blocks and shares none with ours`);
    expect(said).toContain('all 4 blocks we had were dropped, our own genesis block included');
    expect(said).toContain('2 transactions of the dropped blocks went back to pending');
    expect(await banner.locator('li').allTextContents()).toEqual([
      'alice → carol, amount 2.5',
      'dave → erin, amount 7',
    ]);
    expect((await call(`${node.url}/transactions/pending`)).json().transactions).toEqual([
      { sender: 'alice', recipient: 'carol', amount: 2.5 },
      { sender: 'dave', recipient: 'erin', amount: 7 },
    ]);
    expect(await banner.getAttribute('role')).toBe('alert');
    await screenshot(page, 'explorer-reorg-banner-desktop');

    await page.getByRole('link', { name: 'Chain', exact: true }).first().click();
    const tip = theirs.length;
    await page.locator(`article[data-index="${tip}"]`).waitFor({ timeout: 10_000 });
    expect(await page.locator(`article[data-index="${tip}"]`).textContent()).toContain(String(theirs[tip - 1]?.proof));
    expect((await chain()).length).toBe(tip);
    expect(await page.evaluate(() => window.marker)).toBe(7);
    // The warning stays on every page until dismissed.
    expect(await page.getByTestId('reorg-banner').count()).toBe(1);
    await page.getByRole('button', { name: 'Dismiss' }).click();
    expect(await page.getByTestId('reorg-banner').count()).toBe(0);

    // A bad address: the node's message, at the field.
    await page.getByRole('link', { name: 'Peers' }).first().click();
    await page.getByLabel('Peer addresses').fill('not a peer');
    await page.getByRole('button', { name: 'Add peers' }).click();
    await expect
      .poll(() => page.locator('#peer-error').textContent())
      .toContain('Error: Please supply a valid list of nodes');
    expect(await page.getByLabel('Peer addresses').getAttribute('aria-invalid')).toBe('true');
    expect(session.httpErrors.splice(0)).toEqual(['400 POST /nodes/register']);
  });

  it('keeps the peers table live (health from polling, an incompatible peer shown as such) and removes peers', async () => {
    await open('#/peers');
    await page.evaluate(() => {
      window.marker = 11;
    });
    const table = page.getByTestId('peers');
    const row = (key: string) => table.locator(`tbody tr[data-peer="${key}"]`);

    // A peer nobody answers at, registered over the API (as with curl): it appears without a reload.
    const dead = `127.0.0.1:${await freePort()}`;
    expect((await call(`${node.url}/nodes/register`, { body: { nodes: [dead] } })).status).toBe(201);
    await row(dead).waitFor({ timeout: 5_000 });
    expect(await row(dead).locator('td').nth(3).textContent()).toBe('—');

    // A resolve over the API records its failure; the node announces no event for health, the page polls.
    const requests: string[] = [];
    const onRequest = (request: { url(): string }) => requests.push(new URL(request.url()).pathname);
    page.on('request', onRequest);
    await call(`${node.url}/nodes/resolve`);
    await expect.poll(() => row(dead).locator('.badge').textContent(), { timeout: 8_000 }).toBe('failing');
    const failures = Number(await row(dead).locator('td').nth(4).textContent());
    expect(failures).toBeGreaterThanOrEqual(1);
    expect(await row(dead).locator('td').nth(5).textContent()).toContain('PEER_UNREACHABLE');
    await call(`${node.url}/nodes/resolve`);
    await expect
      .poll(async () => Number(await row(dead).locator('td').nth(4).textContent()), { timeout: 8_000 })
      .toBeGreaterThan(failures);
    expect(requests.filter((path) => path === '/nodes').length).toBeGreaterThanOrEqual(1);

    // A node with other rules answers, but no sync can use it: its health and the table say so.
    const strange = await startNode({ args: ['--difficulty', '4'] });
    const strangeKey = strange.url.replace('http://', '');
    await page.getByLabel('Peer addresses').fill(strange.url);
    await page.getByRole('button', { name: 'Add peers' }).click();
    await row(strangeKey).waitFor();
    await page.getByRole('button', { name: 'Resolve', exact: true }).click();
    const report = page.getByTestId('resolve-report');
    await expect
      .poll(() => report.locator('tbody tr', { hasText: strangeKey }).locator('.badge').textContent(), {
        timeout: 15_000,
      })
      .toBe('incompatible');
    await expect.poll(() => row(strangeKey).locator('.badge').textContent()).toBe('incompatible');
    expect(await row(strangeKey).locator('td').nth(5).textContent()).toMatch(/other rules: .*difficulty 4/);
    expect(
      (await call(`${node.url}/nodes`)).json().peers.find((p: { address: string }) => p.address === strangeKey),
    ).toMatchObject({ status: 'incompatible' });
    await screenshot(page, 'explorer-peers-live-desktop');

    // Remove, by keyboard-reachable buttons named for screen readers; the table follows.
    const removeDead = page.getByRole('button', { name: `Remove peer ${dead}` });
    await removeDead.click();
    await expect.poll(() => row(dead).count()).toBe(0);
    expect((await call(`${node.url}/nodes`)).json().nodes).not.toContain(dead);
    expect(await page.locator('section[aria-labelledby="peers-title"] [role="status"]').textContent()).toContain(
      `Peer removed: ${dead}.`,
    );
    // The keyboard moves to the next peer's Remove.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(
      `Remove peer ${strangeKey}`,
    );
    await page.keyboard.press('Enter');
    await expect.poll(() => row(strangeKey).count()).toBe(0);
    expect((await call(`${node.url}/nodes`)).json().nodes).not.toContain(strangeKey);
    expect(await page.evaluate(() => window.marker)).toBe(11);

    // Leaving the page stops the polling.
    await page.getByRole('link', { name: 'Overview' }).first().click();
    await page.locator('main h1', { hasText: 'Overview' }).waitFor();
    const before = requests.filter((path) => path === '/nodes').length;
    await page.waitForTimeout(4_000);
    expect(requests.filter((path) => path === '/nodes').length).toBe(before);
    page.off('request', onRequest);
  });

  it('fits the nav in a 390 px wide screen: no sideways scroll, every link on screen and clickable', async () => {
    // The nav wraps rather than scrolls: every link of it must be on screen and tappable.
    const NAV_LINKS = [
      'Overview',
      'Chain',
      'Transactions',
      'Mempool',
      'Wallet',
      'Peers',
      'Network',
      'Forks',
      'Difficulty',
      'Lab',
      'API docs',
    ];
    const view = await session.newPage({ width: 390, height: 844 });
    const routes = ['', '#/chain', '#/block/1', '#/transactions', '#/peers', '#/lab'];
    for (const route of routes) {
      await open(route, view);
      await view.locator('main h1').waitFor();
      expect(await view.evaluate(() => document.documentElement.scrollWidth), route).toBeLessThanOrEqual(390);
      const links = await view.evaluate(() =>
        [...document.querySelectorAll('nav#nav a')].map((a) => {
          const box = a.getBoundingClientRect();
          const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
          return {
            text: a.textContent ?? '',
            left: box.left,
            right: box.right,
            top: box.top,
            bottom: box.bottom,
            onTop: hit !== null && a.contains(hit),
          };
        }),
      );
      expect(links.map((l) => l.text)).toEqual(NAV_LINKS);
      for (const link of links) {
        expect(link.left, `${link.text} on ${route || '/'}`).toBeGreaterThanOrEqual(0);
        expect(link.right, `${link.text} on ${route || '/'}`).toBeLessThanOrEqual(390);
        expect(link.top, `${link.text} on ${route || '/'}`).toBeGreaterThanOrEqual(0);
        expect(link.bottom, `${link.text} on ${route || '/'}`).toBeLessThanOrEqual(844);
        expect(link.onTop, `${link.text} on ${route || '/'} is not covered`).toBe(true);
      }
      for (const name of NAV_LINKS) {
        expect(await view.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).isVisible()).toBe(true);
      }
    }
    // Each page's link works by tap.
    for (const [name, hash] of [
      ['Chain', '#/chain'],
      ['Transactions', '#/transactions'],
      ['Peers', '#/peers'],
      ['Overview', '#/'],
    ] as const) {
      await view.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();
      await expect.poll(() => view.evaluate(() => (window.location as { hash: string }).hash)).toBe(hash);
    }
    await screenshot(view, 'explorer-nav-390');
    await view.close();
  });

  it('serves the API docs (Swagger UI) from the node', async () => {
    await page.goto(`${node.url}/docs`);
    await page.getByText('/transactions/new').first().waitFor({ timeout: 15_000 });
    expect(await page.getByText('/nodes/resolve').count()).toBeGreaterThan(0);
    await screenshot(page, 'docs-desktop');
  });

  it('renders every page readably at desktop and phone width, every control labelled (screenshots kept)', async () => {
    const pages = [
      ['overview', ''],
      ['chain', '#/chain'],
      ['block', '#/block/2'],
      ['transactions', '#/transactions'],
      ['address', '#/address/carol'],
      ['peers', '#/peers'],
    ] as const;
    for (const [viewName, viewport] of Object.entries(VIEWPORTS)) {
      const view = await session.newPage(viewport);
      for (const [name, route] of pages) {
        await open(route, view);
        await view.locator('main h1').waitFor();
        await view.waitForLoadState('networkidle').catch(() => undefined);
        // Nothing wider than the screen: no sideways scrolling of the page itself.
        expect(
          await view.evaluate(() => document.documentElement.scrollWidth),
          `${name} at ${viewName}`,
        ).toBeLessThanOrEqual(viewport.width);
        const unlabelled = await view.evaluate(() =>
          [...document.querySelectorAll('input, textarea, select, button')]
            .filter((el) => {
              const labels = el.labels;
              const name =
                (el.getAttribute('aria-label') ?? '') + (el.tagName === 'BUTTON' ? (el.textContent ?? '') : '');
              return (!labels || labels.length === 0) && name.trim() === '';
            })
            .map((el) => el.outerHTML.slice(0, 80)),
        );
        expect(unlabelled, `${name}: controls without a label`).toEqual([]);
        await screenshot(view, `explorer-${name}-${viewName}`);
      }
      await view.close();
    }
  });
});
