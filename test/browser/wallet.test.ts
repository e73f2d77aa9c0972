/**
 * The explorer's wallet and transaction pages in a real browser (Debian's chromium through
 * playwright-core) against a real ledger node process: a key made in the page (kept in IndexedDB,
 * encrypted; exported as the CLI's keystore file), mined coins received, a payment signed in the
 * page, pending then confirmed with its confirmations counting up, a forged signature refused with
 * the node's own message, the merkle root recomputed in the browser equal to the header's, and a
 * CLI keystore imported. Every test also asserts that the page logged no console error, threw
 * nothing, had no failed request it did not ask for and reached nothing beyond 127.0.0.1.
 * Screenshots at desktop and phone width go to test-artifacts/.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeJson } from '../../src/core/json.js';
import { genesisFileJson, targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { createKeystore, keystoreJson, parseKeystore } from '../../src/core/ledger/keystore.js';
import {
  type BrowserSession,
  browserAvailability,
  expectCleanSession,
  launchBrowser,
  screenshot,
  VIEWPORTS,
} from '../support/browser.js';
import { call, cleanupAll, freePort, type RunningNode, startNode, tempDir } from '../support/harness.js';
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
declare const indexedDB: {
  open(name: string): {
    result: {
      transaction(store: string): {
        objectStore(store: string): { getAll(): { result: unknown[]; onsuccess: () => void } };
      };
    };
    onsuccess: () => void;
  };
};

const availability = browserAvailability();

/** The key imported from a CLI keystore file: its coins come from the genesis allocation. */
const imported = testWallet(21);
const IMPORT_PASSPHRASE = 'import pass';
const PAGE_PASSPHRASE = 'correct horse battery';
const ALLOCATION = 100n * 100_000_000n;

let session: BrowserSession;
let node: RunningNode;
let page: Page;
let port: number;
let genesisFile: string;
let keystoreFile: string;
/** The address of the key made in the page. */
let made: string;
/** The payment signed in the page. */
let paymentId: string;
let paymentBody: string;

/** Opens a page of the explorer and waits until its event stream is connected. */
async function open(route: string, target: Page = page): Promise<void> {
  await target.goto(`${node.url}/${route}`);
  // In any language: the state is the class.
  await target.locator('#live.live:not(.connecting):not(.offline)').waitFor({ timeout: 10_000 });
}

async function mine(count = 1): Promise<void> {
  for (let k = 0; k < count; k++) {
    const answer = await call(`${node.url}/mine`);
    expect(answer.status, answer.text).toBeLessThan(300);
  }
}

async function account(
  address: string,
): Promise<{ balance: string; locked: string; next_nonce: string; height: number }> {
  return (await call(`${node.url}/accounts/${address}`)).json();
}

const ledgerArgs = (miner: string): string[] => [
  '--profile',
  'ledger',
  '--genesis',
  genesisFile,
  '--miner-address',
  miner,
  '--threads',
  '1',
];

/** Unlocks the stored key `address` on the wallet page. */
async function unlock(address: string, passphrase: string, target: Page = page): Promise<void> {
  await target.locator(`[id="unlock-${address}"]`).fill(passphrase);
  await target
    .locator('li', { has: target.locator(`[id="unlock-${address}"]`) })
    .getByRole('button', { name: 'Unlock' })
    .click();
  await expect.poll(() => target.getByTestId('wallet-address').textContent(), { timeout: 20_000 }).toBe(address);
}

/** The visible text and labels of the page's main part (not the shared header and footer), without code (identifiers, JSON, hashes, addresses). */
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

describe.skipIf(availability.skip)('wallet and transaction pages (chromium, ledger node)', () => {
  beforeAll(async () => {
    if (!availability.path) throw new Error(availability.message);
    const dir = tempDir();
    const spec = testGenesis([[imported, ALLOCATION]], {
      initialTarget: targetForExpectedHashes(1n),
      maturity: 2,
      time: Math.floor(Date.now() / 1000) - 1000,
    });
    genesisFile = join(dir, 'genesis.json');
    writeFileSync(genesisFile, writeJson(genesisFileJson(spec)));
    keystoreFile = join(dir, 'imported.json');
    writeFileSync(keystoreFile, keystoreJson(await createKeystore(imported.secretKey, 'bft', IMPORT_PASSPHRASE)));
    // A fixed port: the page's origin, so the browser's IndexedDB survives the node's restart.
    port = await freePort();
    [node, session] = await Promise.all([
      startNode({ port, args: ledgerArgs(imported.address) }),
      launchBrowser(availability.path),
    ]);
    page = await session.newPage();
  });

  afterEach(() => expectCleanSession(session));

  afterAll(async () => {
    await session?.close();
    await cleanupAll();
  });

  it('says on a tutorial node that the wallet needs a ledger network, and how to start one', async () => {
    const tutorial = await startNode({ args: ['--difficulty', '2'] });
    try {
      await page.goto(`${tutorial.url}/#/wallet`);
      await page.locator('#live', { hasText: 'Live' }).waitFor({ timeout: 10_000 });
      const card = page.getByTestId('needs-ledger');
      await card.waitFor();
      expect(await card.textContent()).toContain('blockforge node --profile ledger');
      await page.goto(`${tutorial.url}/#/tx/${'0'.repeat(64)}`);
      await page.getByTestId('needs-ledger').waitFor();
      await page.goto('about:blank');
    } finally {
      await tutorial.stop();
    }
  });

  it('makes a key in the page, keeps it encrypted in IndexedDB, and exports it as a CLI keystore file', async () => {
    await open('#/wallet');
    await page.locator('#make-pass').fill(PAGE_PASSPHRASE);
    await page.locator('#make-again').fill(`${PAGE_PASSPHRASE}!`);
    await page.getByRole('button', { name: 'Make a key' }).click();
    await expect.poll(() => page.locator('#make-again-error').textContent()).toBe('The two passphrases differ.');
    await page.locator('#make-again').fill(PAGE_PASSPHRASE);
    await page.getByRole('button', { name: 'Make a key' }).click();
    const address = page.getByTestId('wallet-address');
    await address.waitFor({ timeout: 20_000 });
    made = (await address.textContent()) ?? '';
    expect(made).toMatch(/^bft1[02-9ac-hj-np-z]{38}$/);

    // What IndexedDB holds: the keystore, encrypted, no secret key.
    const stored = (await page.evaluate(
      () =>
        new Promise((resolve) => {
          const request = indexedDB.open('blockforge-wallet');
          request.onsuccess = () => {
            const all = request.result.transaction('keys').objectStore('keys').getAll();
            all.onsuccess = () => resolve(all.result as never);
          };
        }),
    )) as { address: string; keystore: Record<string, unknown> }[];
    expect(stored.map((s) => s.address)).toEqual([made]);
    expect(stored[0]?.keystore.encrypted).toBe(true);
    expect(stored[0]?.keystore).not.toHaveProperty('secret_key');

    // The export is the CLI's keystore format.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('wallet-export').click()]);
    const file = parseKeystore(JSON.parse(readFileSync((await download.path()) as string, 'utf8')));
    expect(file.address).toBe(made);
    expect(file.encrypted).toBe(true);
    expect(file).toEqual(stored[0]?.keystore);

    // A new account: nothing yet.
    await expect.poll(() => page.getByTestId('wallet-balance').textContent()).toBe('0 coins');
    expect(await page.getByTestId('wallet-nonce').textContent()).toBe('0');
  });

  it('receives mined coins: the node restarted to mine to the address made in the page', async () => {
    await page.goto('about:blank');
    await node.stop();
    node = await startNode({ port, dataDir: node.dataDir, args: ledgerArgs(made) });
    await open('#/wallet');
    // The key is still in the browser; the page asks for its passphrase again.
    await page.getByTestId('stored-address').first().waitFor();
    expect(await page.getByTestId('stored-address').allTextContents()).toEqual([made]);
    await page.locator(`[id="unlock-${made}"]`).fill('wrong passphrase');
    await page.getByRole('button', { name: 'Unlock' }).click();
    await expect
      .poll(() => page.locator(`[id="unlock-${made}-error"]`).textContent(), { timeout: 20_000 })
      .toContain('WRONG_PASSPHRASE');
    await unlock(made, PAGE_PASSPHRASE);

    await mine(1);
    await expect.poll(() => page.getByTestId('wallet-locked').textContent()).toBe('50 coins');
    expect(await page.getByTestId('wallet-balance').textContent()).toBe('0 coins');
    // Maturity 2: the reward of block 2 is spendable once block 4 is mined.
    await mine(2);
    const figures = await account(made);
    expect(BigInt(figures.balance)).toBeGreaterThan(0n);
    await expect.poll(() => page.getByTestId('wallet-height').textContent()).toBe(String(figures.height));
    expect(await page.getByTestId('wallet-balance').textContent()).toBe(
      `${BigInt(figures.balance) / 100_000_000n} coins`,
    );
    await expect.poll(() => page.getByTestId('wallet-history-table').locator('tbody tr').count()).toBe(3);
  });

  it('signs a payment in the page: the 113 bytes, the signature, both verdicts, then pending and confirmed live', async () => {
    const posts: string[] = [];
    const onRequest = (request: { method(): string; url(): string; postData(): string | null }) => {
      if (request.method() !== 'GET')
        posts.push(`${request.method()} ${new URL(request.url()).pathname} ${request.postData()}`);
    };
    page.on('request', onRequest);
    await page.evaluate(() => {
      window.marker = 5;
    });
    // Amounts are checked before anything is signed.
    await page.locator('#pay-to').fill(imported.address);
    await page.locator('#pay-amount').fill('1.123456789');
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await expect.poll(() => page.locator('#pay-amount-error').textContent()).toContain('At most 8 decimal places');
    await page.locator('#pay-to').fill(`${imported.address.slice(0, -1)}x`);
    await page.locator('#pay-amount').fill('1.5');
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await expect.poll(() => page.locator('#pay-to-error').textContent()).toContain('Not an address of this network');
    expect(await page.locator('#pay-fee').inputValue()).toBe('0.00001');
    expect(await page.getByTestId('amount-units').textContent()).toBe('150000000 base units');

    await page.locator('#pay-to').fill(imported.address);
    await page.getByRole('button', { name: 'Sign and send' }).click();
    const nodeVerdict = page.getByTestId('signed-node-verdict');
    await expect.poll(() => nodeVerdict.textContent()).toMatch(/202 accepted: pending, expected in block 5/);
    const message = (await page.getByTestId('signed-message').textContent()) ?? '';
    expect(message).toMatch(/^[0-9a-f]{226}$/);
    expect(Buffer.from(message.slice(0, 10), 'hex').toString()).toBe('BFTX1');
    expect(await page.getByTestId('signed-signature').textContent()).toMatch(/^[0-9a-f]{128}$/);
    expect(await page.getByTestId('signed-browser-verdict').textContent()).toContain('valid: verifyPayment');
    paymentId = (await page.getByTestId('signed-id').textContent()) ?? '';
    paymentBody = (await page.getByTestId('signed-json').textContent()) ?? '';

    // The node holds the very payment the page shows, with the id the browser computed.
    const held = (await call(`${node.url}/transactions/${paymentId}`)).json();
    expect(held.status).toBe('pending');
    expect(held.details).toMatchObject({
      from: made,
      to: imported.address,
      amount: '150000000',
      fee: '1000',
      nonce: '0',
    });
    expect(JSON.parse(paymentBody)).toEqual(held.transaction);
    // The only thing the page sent: the signed payment (no secret key, nothing else).
    expect(posts).toEqual([`POST /transactions ${paymentBody}`]);
    expect(Object.keys(JSON.parse(paymentBody)).sort()).toEqual([
      'amount',
      'chain',
      'fee',
      'from',
      'nonce',
      'sig',
      'to',
    ]);

    const status = page.getByTestId('sent-status');
    await expect.poll(() => status.getAttribute('data-status')).toBe('pending');
    await expect.poll(() => page.getByTestId('wallet-nonce').textContent()).toBe('1');
    await screenshot(page, 'wallet-signed-desktop');

    await mine(1);
    await expect.poll(() => status.textContent()).toContain('Confirmed in block 5: 1 confirmation.');
    await mine(1);
    await expect.poll(() => status.textContent()).toContain('Confirmed in block 5: 2 confirmations.');
    expect(await page.evaluate(() => window.marker)).toBe(5);
    page.off('request', onRequest);
  });

  it("refuses a forged signature pasted into the advanced box, with the node's own message", async () => {
    await page.getByText('Advanced: paste a signed payment JSON').click();
    await page.getByTestId('fill-forged').click();
    const forged = await page.locator('#paste-json').inputValue();
    expect(JSON.parse(forged).sig).not.toBe(JSON.parse(paymentBody).sig);
    await page.getByRole('button', { name: 'Check and send as is' }).click();
    const verdict = page.getByTestId('pasted-node-verdict');
    await expect.poll(() => verdict.textContent()).toContain('BAD_SIGNATURE');
    // What the node answers to the same bytes.
    const answer = await call(`${node.url}/transactions`, {
      body: forged,
      headers: { 'content-type': 'application/json' },
    });
    expect(answer.status).toBe(400);
    const refusal = answer.json();
    expect(refusal.code).toBe('BAD_SIGNATURE');
    expect(await verdict.textContent()).toBe(`✘ 400 BAD_SIGNATURE (field ${refusal.field}): ${refusal.message}`);
    expect(await page.getByTestId('pasted-browser-verdict').textContent()).toContain('invalid: verifyPayment');
    expect(session.httpErrors.splice(0)).toEqual(['400 POST /transactions']);
    await screenshot(page, 'wallet-forged-desktop');
  });

  it("recomputes the merkle root in the browser, equal to the header's, with confirmations live", async () => {
    await page.getByTestId('sent-link').click();
    await page.waitForURL(/#\/tx\//);
    const verdict = page.getByTestId('merkle-verdict');
    await expect.poll(() => verdict.getAttribute('data-equal'), { timeout: 10_000 }).toBe('true');
    const tx = (await call(`${node.url}/transactions/${paymentId}`)).json();
    const header = (await call(`${node.url}/headers?from=${tx.height}&limit=1`)).json().headers[0];
    expect(await page.getByTestId('header-root').locator('code.hex').textContent()).toBe(header.merkle);
    expect(await page.getByTestId('computed-root').locator('code.hex').textContent()).toBe(header.merkle);
    expect(tx.proof.root).toBe(header.merkle);
    expect(await verdict.textContent()).toContain(`equal: the transaction is in block #${tx.height}`);
    expect(await page.getByTestId('merkle-path').locator('.merkle-level').count()).toBe(tx.proof.path.length + 1);
    expect(await page.getByTestId('tx-sig-verdict').getAttribute('data-valid')).toBe('true');
    expect(await page.getByTestId('tx-status').textContent()).toBe('confirmed');
    expect(await page.getByTestId('tx-fee').textContent()).toBe('0.00001 coins');
    expect(await page.getByTestId('tx-amount').textContent()).toBe('1.5 coins');
    expect(await page.getByTestId('tx-block').getAttribute('href')).toBe(`#/block/${tx.height}`);
    const before = Number(await page.getByTestId('tx-confirmations').textContent());
    expect(before).toBe(tx.confirmations);
    await mine(1);
    await expect.poll(() => page.getByTestId('tx-confirmations').textContent()).toBe(String(before + 1));
    await screenshot(page, 'tx-desktop');

    const phone = await session.newPage(VIEWPORTS.phone);
    await open(`#/tx/${paymentId}`, phone);
    await expect.poll(() => phone.getByTestId('merkle-verdict').getAttribute('data-equal')).toBe('true');
    expect(
      await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
    ).toBe(true);
    await screenshot(phone, 'tx-phone');
    await phone.close();
  });

  it('imports a keystore file made by the CLI code, whose genesis coins and the payment show', async () => {
    // A new page load (not a same-document hash change): the key made here is locked again.
    await page.goto('about:blank');
    await open('#/wallet');
    await page.getByTestId('stored-address').first().waitFor();
    await page.locator('#import-file').setInputFiles(keystoreFile);
    await page.locator('#import-pass').fill('not it');
    await page.getByRole('button', { name: 'Import' }).click();
    await expect
      .poll(() => page.locator('#import-pass-error').textContent(), { timeout: 20_000 })
      .toContain('WRONG_PASSPHRASE');
    await page.locator('#import-pass').fill(IMPORT_PASSPHRASE);
    await page.getByRole('button', { name: 'Import' }).click();
    await expect
      .poll(() => page.getByTestId('wallet-address').textContent(), { timeout: 20_000 })
      .toBe(imported.address);
    await expect.poll(() => page.getByTestId('wallet-balance').textContent()).toBe('101.5 coins');
    expect((await account(imported.address)).balance).toBe(String(ALLOCATION + 150_000_000n));

    const phone = await session.newPage(VIEWPORTS.phone);
    await open('#/wallet', phone);
    await phone.getByTestId('stored-address').first().waitFor();
    expect((await phone.getByTestId('stored-address').allTextContents()).sort()).toEqual(
      [made, imported.address].sort(),
    );
    await unlock(made, PAGE_PASSPHRASE, phone);
    await expect.poll(() => phone.getByTestId('wallet-balance').textContent()).not.toBe('—');
    expect(
      await phone.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth),
    ).toBe(true);
    await screenshot(phone, 'wallet-phone');
    await phone.close();
    await screenshot(page, 'wallet-imported-desktop');
  });

  it('shows the wallet and the transaction page in Chinese, with no English word left', async () => {
    await page.goto('about:blank');
    await open('#/wallet');
    await unlock(imported.address, IMPORT_PASSPHRASE);
    await page.locator('#pay-to').fill(made);
    await page.locator('#pay-amount').fill('0.25');
    await page.getByRole('button', { name: 'Sign and send' }).click();
    await expect.poll(() => page.getByTestId('signed-node-verdict').textContent()).toContain('202 accepted');
    const id = (await page.getByTestId('signed-id').textContent()) ?? '';
    await page.locator('#language-switch').selectOption('zh-CN');
    await expect.poll(() => page.locator('main h1').textContent()).toBe('钱包');
    // The session survives the redraw: still unlocked, the payment still shown.
    expect(await page.getByTestId('wallet-address').textContent()).toBe(imported.address);
    await expect.poll(() => page.getByTestId('sent-status').textContent()).toContain('待处理');
    expect(englishWords(await visibleText(page)), 'wallet page').toEqual([]);
    await screenshot(page, 'wallet-zh-desktop');
    await mine(1);
    await expect.poll(() => page.getByTestId('sent-status').textContent()).toContain('1 个确认');
    await open(`#/tx/${id}`);
    await expect.poll(() => page.getByTestId('merkle-verdict').getAttribute('data-equal')).toBe('true');
    expect(englishWords(await visibleText(page)), 'transaction page').toEqual([]);
    await screenshot(page, 'tx-zh-desktop');
    await page.locator('#language-switch').selectOption('en');
  });
});
