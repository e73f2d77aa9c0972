/**
 * A real browser for the explorer's tests: Debian's chromium driven by playwright-core (its own
 * browser downloads cannot be used here), headless, with a fresh profile each launch and no
 * traffic anywhere but 127.0.0.1. Without chromium the suite skips loudly, or fails under CI.
 */

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Where tests keep their screenshots (gitignored). */
export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Flags for a quiet, offline, headless chromium in a container. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

/** Phone and desktop viewports the pages are checked at. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 860 },
  phone: { width: 390, height: 844 },
} as const;

/**
 * The chromium binary: $CHROMIUM_PATH when set (and then only it), else Debian's. The real binary
 * is preferred over the /usr/bin/chromium wrapper script, which only adds flags we pass ourselves.
 */
export function findChromium(): string | null {
  const override = process.env.CHROMIUM_PATH;
  const candidates = override ? [override] : ['/usr/lib/chromium/chromium', '/usr/bin/chromium'];
  for (const path of candidates) if (existsSync(path)) return path;
  return null;
}

/**
 * Whether the browser tests can run. Without chromium they are skipped with a loud message, except
 * under CI (CI=true), where a missing browser is a failure: .ci/run installs it.
 */
export function browserAvailability(): { path: string | null; skip: boolean; message: string } {
  const path = findChromium();
  if (path) return { path, skip: false, message: '' };
  const message =
    `chromium not found (looked at ${process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium, /usr/bin/chromium'}): ` +
    'the browser tests of the block explorer need it. Install it with `apt-get install -y chromium`.';
  if (process.env.CI === 'true') return { path: null, skip: false, message };
  console.warn(`\n${'!'.repeat(100)}\n!! SKIPPING THE BROWSER TESTS: ${message}\n${'!'.repeat(100)}\n`);
  return { path: null, skip: true, message };
}

/** A browser session and what it saw. */
export interface BrowserSession {
  readonly context: BrowserContext;
  /** Console errors, uncaught page errors and failed requests, as text, from every page. */
  readonly problems: string[];
  /** Requests that tried to leave 127.0.0.1 (blocked). */
  readonly outside: string[];
  /**
   * Answers with a 4xx/5xx status, as `400 POST /transactions/new`. Kept apart from `problems`
   * (where chromium also logs them) because a test that submits bad input expects exactly these.
   */
  readonly httpErrors: string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

/**
 * Launches chromium with a fresh profile folder; `locale` sets the browser's language (its
 * `navigator.languages` and Accept-Language), English (en-US) unless given.
 */
export async function launchBrowser(
  executablePath: string,
  options: { readonly locale?: string } = {},
): Promise<BrowserSession> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'blockforge-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORTS.desktop,
    colorScheme: 'light',
    locale: options.locale ?? 'en-US',
    reducedMotion: 'reduce',
    timeout: 30_000,
  });
  const problems: string[] = [];
  const outside: string[] = [];
  const httpErrors: string[] = [];
  // No live internet: anything not on this machine is refused and recorded.
  await context.route(
    (url) => !['127.0.0.1', 'localhost'].includes(url.hostname) && url.protocol !== 'data:',
    async (route) => {
      outside.push(route.request().url());
      await route.abort();
    },
  );
  const watch = (page: Page): void => {
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      // Chromium's line for an error status; the 'response' listener records those precisely.
      if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return;
      problems.push(`console error on ${page.url()}: ${msg.text()}`);
    });
    page.on('response', (response) => {
      if (response.status() >= 400) {
        httpErrors.push(`${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
      }
    });
    page.on('pageerror', (err) => problems.push(`page error on ${page.url()}: ${err.message}`));
    page.on('requestfailed', (request) => {
      // A stream closed by navigating away is not a failure of the page.
      const failure = request.failure()?.errorText ?? '';
      if (request.url().endsWith('/events') && failure.includes('ERR_ABORTED')) return;
      problems.push(`request failed: ${request.method()} ${request.url()} ${failure}`);
    });
  };
  context.on('page', watch);
  for (const page of context.pages()) watch(page);
  return {
    context,
    problems,
    outside,
    httpErrors,
    async newPage(viewport = VIEWPORTS.desktop) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as test-artifacts/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  // From the top: a full-page capture taken while scrolled draws the sticky header mid-page.
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The browser globals {@link visibleText}'s callback uses (this file has no DOM library). */
interface PageElement {
  readonly parentElement: PageElement | null;
  closest(selector: string): PageElement | null;
  checkVisibility(options?: object): boolean;
  getAttribute(name: string): string | null;
}
declare const document: {
  readonly body: unknown;
  readonly title: string;
  querySelectorAll(selector: string): Iterable<PageElement>;
  createTreeWalker(
    root: unknown,
    what: number,
  ): { nextNode(): { textContent: string | null; parentElement: PageElement | null } | null };
};

/**
 * A page's visible text and labels (the title, text nodes, `aria-label` and `placeholder`, and with
 * `titles` also `title` attributes), without code (`code`, `pre`: identifiers, JSON, hashes) or
 * options not chosen: what a reader of the page sees, for the "no English left" checks.
 */
export async function visibleText(page: Page, options: { titles?: boolean } = {}): Promise<string> {
  return page.evaluate((titles) => {
    const out: string[] = [document.title];
    // 4 = NodeFilter.SHOW_TEXT
    const walker = document.createTreeWalker(document.body, 4);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || el.closest('code, pre, script, style, textarea, option:not(:checked)')) continue;
      if (!el.checkVisibility({ visibilityProperty: true }) && !el.closest('.visually-hidden')) continue;
      out.push(n.textContent ?? '');
    }
    const attributes = titles ? ['aria-label', 'placeholder', 'title'] : ['aria-label', 'placeholder'];
    for (const el of document.querySelectorAll(attributes.map((a) => `[${a}]`).join(', '))) {
      for (const a of attributes) out.push(el.getAttribute(a) ?? '');
    }
    return out.join('\n');
  }, options.titles === true);
}

/**
 * The English words (3 letters or more) left in `text` once URLs and paths, data (bech32 addresses,
 * hashes and ids, whole or shortened) and the `allowed` tokens (names kept in every language) are
 * taken out.
 */
export function englishWords(text: string, allowed: readonly string[]): string[] {
  let rest = text.replace(/https?:\/\/\S+/g, ' ').replace(/(?:^|\s)\/[\w\-.:/]+/g, ' ');
  rest = rest.replace(/\b[a-z]{1,10}1[02-9ac-hj-np-z]{20,}\b/g, ' ').replace(/\b[0-9a-f]{8,}\b/gi, ' ');
  rest = rest.replace(/\b[0-9a-f]{4,}…[0-9a-f]{2,}\b/gi, ' ');
  for (const token of [...allowed].sort((a, b) => b.length - a.length)) rest = rest.split(token).join(' ');
  return [...new Set(rest.match(/[A-Za-z]{3,}/g) ?? [])];
}

/**
 * After each browser test: the session logged no console error, threw nothing, had no failed
 * request, reached nothing beyond 127.0.0.1 and (unless `httpErrors` is false) got no error answer
 * the test did not take out itself. Empties the lists for the next test.
 */
export function expectCleanSession(session: BrowserSession, options: { httpErrors?: boolean } = {}): void {
  const problems = session.problems.splice(0);
  const outside = session.outside.splice(0);
  expect(problems, 'console errors, page errors and failed requests').toEqual([]);
  expect(outside, 'requests beyond 127.0.0.1').toEqual([]);
  if (options.httpErrors !== false) {
    expect(session.httpErrors.splice(0), 'error answers the test did not ask for').toEqual([]);
  }
}
