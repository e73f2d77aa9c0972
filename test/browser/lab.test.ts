/**
 * The attack lab page in a real browser (Debian's chromium through playwright-core) against a real
 * node process serving the built explorer: the formula charts drawn with no file; a double-spend run
 * (built here from the closed forms, as `blockforge lab double-spend --json` writes one) opened with
 * the file input draws its points and a table whose values are the file's; several files at once and
 * a dropped file; broken and hostile files get a message, never an exception or markup; in zh-CN no
 * English word is left beyond the allow-list of the other i18n tests; the charts follow the theme.
 * No console errors; screenshots in test-artifacts/lab-*.png.
 */

import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  confirmationsFor,
  doubleSpendExact,
  majorityBlocks,
  nakamoto,
  rosenfeld,
  selfishShare,
  selfishThreshold,
  WHITEPAPER,
  whitepaperCells,
  wilsonInterval,
} from '../../src/lab/odds.js';
import type {
  DoubleSpendReport,
  FindZReport,
  LiveReport,
  MajorityReport,
  ProtocolReport,
  SelfishReport,
} from '../../src/lab/report.js';
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
import { cleanupAll, type RunningNode, startNode } from '../support/harness.js';

/** The browser globals used by the callbacks given to page.evaluate (this file has no DOM library). */
interface BrowserElement {
  readonly textContent: string | null;
  readonly parentElement: BrowserElement | null;
  closest(selector: string): BrowserElement | null;
  checkVisibility(options?: object): boolean;
  getAttribute(name: string): string | null;
}
declare const window: Record<string, unknown>;
declare const document: {
  readonly body: unknown;
  readonly title: string;
  readonly documentElement: { readonly lang: string; readonly scrollWidth: number };
  querySelector(selector: string): BrowserElement | null;
  querySelectorAll(selector: string): Iterable<BrowserElement>;
  createTreeWalker(
    root: unknown,
    what: number,
  ): { nextNode(): { textContent: string | null; parentElement: BrowserElement | null } | null };
};
declare function getComputedStyle(el: unknown): { fill: string; color: string };
declare class DataTransfer {
  readonly items: { add(file: unknown): void };
}
declare class File {
  constructor(parts: string[], name: string, options: { type: string });
}

const availability = browserAvailability();

/** The lab page needs no mining: the node only serves the explorer. */
const NODE_ARGS = ['--difficulty', '3', '--kernel', 'crypto', '--threads', '1'];

/** Words kept as they are in every language: names, formats, protocols (as test/browser/i18n.test.ts). */
const ALLOWED = [
  'blockforge',
  'OpenAPI',
  'openapi.json',
  'JSON',
  'SHA-256',
  'API',
  'curl',
  'HTTP',
  'Web Crypto',
  'Server-Sent Events',
  'English',
  'Python',
  'ASCII',
  'KiB',
  'MiB',
  'GiB',
  'seed',
  'master',
  'ledger',
];

/**
 * A double-spend run as the CLI writes it: the formulas from src/lab/odds.ts, the simulated
 * successes a little off the exact probability (as sampling makes them), 0 where the attack is rare.
 */
function doubleSpendRun(): DoubleSpendReport {
  const rows = [];
  for (const q of [0.1, 0.3]) {
    for (let z = 0; z <= 10; z++) {
      const trials = 2000;
      const giveUp = Math.max(20, 2 * z);
      const exact = doubleSpendExact(q, z, 'honest', giveUp);
      const successes = Math.round(exact * trials * (1 + 0.06 * Math.sin(7 * z + 10 * q)));
      rows.push({
        attacker: q,
        confirmations: z,
        trials,
        successes,
        rate: successes / trials,
        interval: wilsonInterval(successes, trials),
        nakamoto: nakamoto(q, z),
        rosenfeld: rosenfeld(q, z),
        exact,
        exactUnbounded: doubleSpendExact(q, z, 'honest'),
        giveUp,
        blocksPerTrial: 3 + 2.1 * z,
      });
    }
  }
  return {
    kind: 'double-spend',
    seed: 2024,
    tie: 'honest',
    rows,
    whitepaper: whitepaperCells().map(([attacker, confirmations, printed]) => ({
      attacker,
      confirmations,
      nakamoto: nakamoto(attacker, confirmations),
      printed,
    })),
    seconds: 84.2,
  };
}

function selfishRun(): SelfishReport {
  const rows = [];
  for (const gamma of [0, 1]) {
    for (const alpha of [0.2, 0.3, 0.4]) {
      const closedForm = selfishShare(alpha, gamma);
      const share = closedForm - 0.003;
      rows.push({
        alpha,
        gamma,
        mined: 120_000,
        mainChain: 100_000,
        pool: Math.round(share * 100_000),
        share,
        interval: { low: share - 0.006, high: share + 0.006, confidence: 0.95 },
        closedForm,
        threshold: selfishThreshold(gamma),
        orphaned: 20_000,
      });
    }
  }
  return { kind: 'selfish', seed: 7, rows, seconds: 12.5 };
}

function majorityRun(): MajorityReport {
  const rows = [0.55, 0.7, 0.85].map((attacker) => {
    const expectedSeconds = majorityBlocks(attacker, 6) * 600;
    const meanSeconds = expectedSeconds * 1.02;
    return {
      attacker,
      depth: 6,
      trials: 400,
      meanSeconds,
      interval: { low: meanSeconds * 0.95, high: meanSeconds * 1.05, confidence: 0.95 },
      medianSeconds: meanSeconds * 0.85,
      expectedSeconds,
      attackerBlocks: 40,
    };
  });
  return { kind: 'majority', seed: 3, blockTime: 600, rows, seconds: 4.1 };
}

const json = (name: string, value: unknown) => ({
  name,
  mimeType: 'application/json',
  buffer: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
});

let session: BrowserSession;
let zhSession: BrowserSession;
let node: RunningNode;
let page: Page;

async function openLab(target: Page = page): Promise<void> {
  await target.goto(`${node.url}/#/lab`);
  await target.locator('[data-testid="lab-formula-double-spend"] svg').waitFor();
}

describe.skipIf(availability.skip)('attack lab page (chromium)', () => {
  beforeAll(async () => {
    if (!availability.path) throw new Error(availability.message);
    [node, session, zhSession] = await Promise.all([
      startNode({ args: NODE_ARGS }),
      launchBrowser(availability.path),
      launchBrowser(availability.path, { locale: 'zh-CN' }),
    ]);
    page = await session.newPage();
  });

  afterEach(() => {
    for (const s of [session, zhSession]) expectCleanSession(s);
  });

  afterAll(async () => {
    await Promise.all([session?.close(), zhSession?.close()]);
    await cleanupAll();
  });

  it('draws the formula charts without any file, from the navigation', async () => {
    await page.goto(`${node.url}/`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Lab', exact: true }).click();
    await page.locator('[data-testid="lab-formula-double-spend"] svg').waitFor();
    expect(await page.locator('main h1').textContent()).toBe('Attack lab');
    expect(await page.title()).toBe('Attack lab · blockforge explorer');
    expect(await page.locator('nav#nav a[aria-current="page"]').textContent()).toBe('Lab');
    expect(await page.locator('main .lead code').textContent()).toBe(
      'npx blockforge lab double-spend --attacker 0.1,0.3 --confirmations 0-10 --json > run.json',
    );
    expect(await page.getByLabel('Open a lab run (JSON)').getAttribute('type')).toBe('file');
    expect(await page.getByTestId('lab-status').textContent()).toMatch(/No run opened yet/);

    // Three curves (Nakamoto, exact under the lab's rule, Rosenfeld) for q = 0.1 to 0.4.
    const ds = page.getByTestId('lab-formula-double-spend');
    expect(await ds.locator('.bf-line').count()).toBe(12);
    expect(await ds.locator('.bf-point').count()).toBe(0);
    expect(await ds.locator('.bf-legend').textContent()).toMatch(/q = 0\.1.*q = 0\.4.*Nakamoto.*lab’s rule.*Rosenfeld/);
    expect(await ds.locator('svg').getAttribute('aria-label')).toBe('Double spend: the formulas');
    // The closed form for gamma 0, 0.5 and 1, the honest line, the thresholds.
    const selfish = page.getByTestId('lab-formula-selfish');
    expect(await selfish.locator('.bf-line').count()).toBe(4);
    expect(await selfish.locator('.bf-marker').count()).toBe(3);
    expect(await selfish.textContent()).toContain('γ = 0: α > 0.333');
    expect(await page.getByTestId('lab-formulas').textContent()).toContain('Formulas only');
    await screenshot(page, 'lab-formulas-desktop');
    await page.setViewportSize(VIEWPORTS.phone);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(VIEWPORTS.phone.width);
    await screenshot(page, 'lab-formulas-phone');
    await page.setViewportSize(VIEWPORTS.desktop);
  });

  it('draws an opened double-spend run: its points, and a table with the file’s values', async () => {
    const report = doubleSpendRun();
    await openLab();
    await page.getByLabel('Open a lab run (JSON)').setInputFiles(json('run.json', report));
    const card = page.locator('[data-testid="lab-run"][data-kind="double-spend"]');
    await card.waitFor();
    expect(await page.getByTestId('lab-status').textContent()).toBe('Opened 1 run.');
    expect(await card.locator('h2').textContent()).toBe('Double spend');
    expect(await card.textContent()).toContain('run.json');
    expect(await card.textContent()).toContain('seed 2024');

    // Every row is a point of the chart at its confirmations and rate; a rate of 0 has its interval
    // bar but no dot (a log scale cannot place 0).
    const chart = card.getByTestId('lab-chart-double-spend');
    const points = await chart
      .locator('.bf-point')
      .evaluateAll((els) => els.map((el) => [el.getAttribute('data-x'), el.getAttribute('data-y')]));
    const sorted = [...report.rows].sort((a, b) => a.attacker - b.attacker || a.confirmations - b.confirmations);
    expect(points).toEqual(sorted.map((r) => [String(r.confirmations), String(r.rate)]));
    expect(await chart.locator('.bf-point .bf-dot').count()).toBe(report.rows.filter((r) => r.rate > 0).length);
    expect(report.rows.some((r) => r.rate === 0)).toBe(true);
    expect(await chart.locator('.bf-line').count()).toBe(6);
    expect(await chart.locator('svg').getAttribute('aria-label')).toBe('Double spend: chance the payment is reversed');

    // The table: one row per cell of the run, each value the file's own.
    const table = card.getByTestId('lab-table-double-spend');
    const cells = await table
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) =>
          Object.fromEntries(
            [
              ...(tr as unknown as { querySelectorAll(s: string): Iterable<BrowserElement> }).querySelectorAll('td'),
            ].map((td) => [td.getAttribute('data-col'), td.getAttribute('data-value')]),
          ),
        ),
      );
    expect(cells).toEqual(
      report.rows.map((r) => ({
        attacker: String(r.attacker),
        confirmations: String(r.confirmations),
        trials: String(r.trials),
        successes: String(r.successes),
        rate: String(r.rate),
        interval: `${r.interval.low} ${r.interval.high}`,
        exact: String(r.exact),
        inside: String(r.exact >= r.interval.low && r.exact <= r.interval.high),
        nakamoto: String(r.nakamoto),
        rosenfeld: String(r.rosenfeld),
        giveUp: String(r.giveUp),
      })),
    );
    // And as the reader sees it: q = 0.3, z = 2.
    const row = report.rows.find((r) => r.attacker === 0.3 && r.confirmations === 2);
    const shown = await table
      .locator('tbody tr')
      .nth(report.rows.indexOf(row as (typeof report.rows)[number]))
      .locator('td')
      .allTextContents();
    expect(shown.slice(0, 5)).toEqual([
      '0.3',
      '2',
      '2,000',
      (row?.successes ?? 0).toLocaleString('en-US'),
      String(Number(row?.rate.toPrecision(4))),
    ]);
    expect(shown[8]).toBe(String(Number(row?.nakamoto.toPrecision(4))));
    // The whitepaper's table, recomputed, beside the printed values.
    await card.locator('.lab-whitepaper summary').click();
    expect(await card.getByTestId('lab-table-whitepaper').locator('tbody tr').count()).toBe(22);
    expect(await card.getByTestId('lab-table-whitepaper').locator('tbody tr').first().textContent()).toContain(
      '1.0000000',
    );
    await screenshot(page, 'lab-double-spend-desktop');
    await page.setViewportSize(VIEWPORTS.phone);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(VIEWPORTS.phone.width);
    await screenshot(page, 'lab-double-spend-phone');
    await page.setViewportSize(VIEWPORTS.desktop);

    // Redrawn, not lost, when the language changes (the page keeps what it opened).
    await page.getByLabel('Language').selectOption('zh-CN');
    await page.locator('main h1', { hasText: '攻击实验室' }).waitFor();
    expect(await card.locator('h2').textContent()).toBe('双重支付');
    await page.getByLabel('语言').selectOption('en');
    await page.locator('main h1', { hasText: 'Attack lab' }).waitFor();
  });

  it('opens several files at once, and files dropped on the page', async () => {
    await openLab();
    const before = await page.getByTestId('lab-run').count();
    const findZ: FindZReport = {
      kind: 'find-z',
      risk: 0.001,
      tie: 'honest',
      rows: WHITEPAPER.risk001.map(([q, z]) => ({
        attacker: q,
        nakamoto: confirmationsFor(nakamoto, q, 0.001),
        whitepaper: z,
        rosenfeld: confirmationsFor(rosenfeld, q, 0.001),
        exact: confirmationsFor((a, n) => doubleSpendExact(a, n, 'honest'), q, 0.001),
      })),
    };
    const live: LiveReport = {
      kind: 'live',
      attacker: 0.3,
      confirmations: 2,
      hashrates: { honest: 182_000, attacker: 78_000 },
      outcome: 'reversed',
      payment: 'a'.repeat(64),
      conflicting: 'b'.repeat(64),
      honestHeight: 14,
      attackerHeight: 15,
      seconds: 41.5,
      forksUrl: 'http://127.0.0.1:5001/#/forks',
      events: ['merchant sees the payment in block 12', 'attacker publishes 4 blocks', 'honest node switches branch'],
    };
    await page
      .getByLabel('Open a lab run (JSON)')
      .setInputFiles([
        json('selfish.json', selfishRun()),
        json('majority.json', majorityRun()),
        json('find-z.json', findZ),
        json('live.json', live),
      ]);
    await expect.poll(() => page.getByTestId('lab-run').count()).toBe(before + 4);
    expect(await page.getByTestId('lab-status').textContent()).toBe('Opened 4 runs.');
    const findZCard = page.locator('[data-testid="lab-run"][data-kind="find-z"]');
    expect(await findZCard.getByTestId('lab-table-find-z').locator('tbody tr').count()).toBe(8);
    expect(await findZCard.locator('.bf-point').count()).toBe(8);
    const liveCard = page.locator('[data-testid="lab-run"][data-kind="live"]');
    expect(await liveCard.getByTestId('lab-live').textContent()).toContain('reversed: the double spend worked');
    expect(await liveCard.locator('a').count()).toBe(0);
    const selfish = page.locator('[data-testid="lab-run"][data-kind="selfish"]');
    expect(await selfish.locator('.bf-point').count()).toBe(6);
    expect(await selfish.locator('.bf-marker').count()).toBe(2);
    expect(await selfish.getByTestId('lab-table-selfish').locator('tbody tr').count()).toBe(6);
    const majority = page.locator('[data-testid="lab-run"][data-kind="majority"]');
    expect(await majority.locator('.bf-point').count()).toBe(3);
    expect(
      await majority
        .getByTestId('lab-table-majority')
        .locator('td[data-col="meanSeconds"]')
        .first()
        .getAttribute('data-value'),
    ).toBe(String(majorityRun().rows[0]?.meanSeconds));

    const protocol: ProtocolReport = {
      kind: 'protocol',
      attacks: [
        {
          name: 'replay',
          title: 'Replay a payment <img src=x onerror="window.pwned=1">',
          attempt: 'sent the same signed payment twice',
          code: 'NONCE_USED',
          rule: 'L7 nonce',
          held: true,
          figures: { tries: 2, verdict: 'refused' },
        },
        {
          name: 'seed-precompute',
          title: 'Precompute proofs',
          attempt: 'mined ahead',
          code: null,
          rule: 'tutorial',
          held: false,
          figures: {},
        },
      ],
    };
    const dataTransfer = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'protocol.json', { type: 'application/json' }));
      return dt;
    }, JSON.stringify(protocol));
    await page.dispatchEvent('[data-testid="lab-drop"]', 'drop', { dataTransfer });
    const card = page.locator('[data-testid="lab-run"][data-kind="protocol"]');
    await card.waitFor();
    const rows = card.getByTestId('lab-table-protocol').locator('tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.first().locator('td[data-col="code"]').textContent()).toBe('NONCE_USED');
    expect(await rows.first().locator('td[data-col="held"]').textContent()).toBe('✓ held');
    expect(await rows.nth(1).locator('td[data-col="held"]').textContent()).toBe('✗ broken');
    // A file's strings are text, never markup.
    expect(await rows.first().textContent()).toContain('<img src=x onerror="window.pwned=1">');
    expect(await card.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => window.pwned)).toBeUndefined();

    // Removing a run.
    const count = await page.getByTestId('lab-run').count();
    await card.getByRole('button', { name: 'Remove this run' }).click();
    await expect.poll(() => page.getByTestId('lab-run').count()).toBe(count - 1);
    await screenshot(page, 'lab-several-desktop');
  });

  it('refuses broken and hostile files with a message, never an exception', async () => {
    await openLab();
    const before = await page.getByTestId('lab-run').count();
    const badRate = doubleSpendRun();
    const broken = {
      ...badRate,
      rows: badRate.rows.map((r, i) => (i === 3 ? { ...r, rate: 'high' } : r)),
    };
    await page
      .getByLabel('Open a lab run (JSON)')
      .setInputFiles([
        json('nope.json', '{"kind":"nope"}'),
        json('broken.json', '{"kind": "double-spend", "rows": ['),
        json('rate.json', broken),
        json('empty.json', ''),
        json('null.json', 'null'),
        json('nokind.json', '{"rows": []}'),
        json('proto.json', '{"__proto__": {"kind": "selfish"}, "constructor": 1}'),
        json('deep.json', `${'['.repeat(200_000)}${']'.repeat(200_000)}`),
        json('huge-kind.json', { kind: '`'.repeat(5000) }),
        json('nan.json', '{"kind":"majority","seed":1,"blockTime":NaN,"rows":[],"seconds":1}'),
      ]);
    const items = page.getByTestId('lab-problems').locator('li');
    await expect.poll(() => items.count()).toBe(10);
    const texts = await items.allTextContents();
    expect(texts[0]).toBe(
      'nope.json has kind nope, which this page does not know (it knows double-spend, find-z, selfish, majority, protocol and live).',
    );
    expect(texts[1]).toBe('broken.json is not JSON: the lab writes its runs with --json.');
    expect(texts[2]).toBe('rate.json is not a valid double-spend run: rows[3].rate should be a number from 0 to 1.');
    expect(texts[3]).toMatch(/^empty\.json is not JSON/);
    expect(texts[4]).toMatch(/^null\.json holds no lab run/);
    expect(texts[5]).toMatch(/^nokind\.json has no kind/);
    expect(texts[6]).toMatch(/^proto\.json has no kind/);
    expect(texts[7]).toMatch(/^deep\.json (has no kind|is not JSON|holds no lab run)/);
    expect(texts[8]).toMatch(/^huge-kind\.json has kind '+, which this page does not know/);
    expect(texts[9]).toMatch(/^nan\.json is not JSON/);
    expect(await page.getByTestId('lab-problems').getAttribute('role')).toBe('alert');
    expect(await page.getByTestId('lab-run').count()).toBe(before);
    // The page still works: a good file after the bad ones opens, and the messages go.
    await page.getByLabel('Open a lab run (JSON)').setInputFiles(json('run.json', doubleSpendRun()));
    await expect.poll(() => page.getByTestId('lab-run').count()).toBe(before + 1);
    expect(await items.count()).toBe(0);
    await page.getByLabel('Open a lab run (JSON)').setInputFiles(json('nope.json', '{"kind":"nope"}'));
    await expect.poll(() => items.count()).toBe(1);
    await screenshot(page, 'lab-refused-desktop');
  });

  it('shows the page in Chinese with no English word left, its charts following the theme', async () => {
    const zh = await zhSession.newPage();
    await openLab(zh);
    expect(await zh.locator('main h1').textContent()).toBe('攻击实验室');
    expect(await zh.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
    expect(englishWords(await visibleText(zh), ALLOWED), 'with no run').toEqual([]);
    await zh
      .getByLabel('打开实验室运行结果（JSON）')
      .setInputFiles([
        json('run.json', doubleSpendRun()),
        json('selfish.json', selfishRun()),
        json('majority.json', majorityRun()),
        json('nope.json', '{"kind":"nope"}'),
        json('rate.json', { ...doubleSpendRun(), tie: 'sometimes' }),
      ]);
    await expect.poll(() => zh.getByTestId('lab-run').count()).toBe(3);
    expect(await zh.getByTestId('lab-problems').locator('li').count()).toBe(2);
    expect(await zh.getByTestId('lab-chart-double-spend').locator('svg').getAttribute('aria-label')).toBe(
      '双重支付：付款被撤销的概率',
    );
    expect(englishWords(await visibleText(zh), ALLOWED), 'with runs and refused files').toEqual([]);

    // The charts' text takes the theme's colours (CSS variables), not the file's.
    const fill = () => zh.evaluate(() => getComputedStyle(document.querySelector('.lab-chart .bf-title')).fill);
    for (const scheme of ['light', 'dark'] as const) {
      await zh.emulateMedia({ colorScheme: scheme });
      expect(await fill()).toBe(scheme === 'light' ? 'rgb(27, 31, 36)' : 'rgb(230, 233, 238)');
      for (const [name, viewport] of Object.entries(VIEWPORTS)) {
        await zh.setViewportSize(viewport);
        expect(await zh.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(viewport.width);
        await screenshot(zh, `lab-zh-${name}-${scheme}`);
      }
    }
    await zh.setViewportSize(VIEWPORTS.desktop);
    await zh.getByLabel('主题').selectOption('light');
    expect(await fill()).toBe('rgb(27, 31, 36)');
    await zh.close();
  });
});
