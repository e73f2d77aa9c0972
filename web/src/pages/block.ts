/**
 * One block, explained: its JSON, the canonical text that is hashed, the hash and the
 * proof-of-work digest, recomputed by the browser (Web Crypto) and compared with the node's. The
 * tamper lab re-checks an edited copy with the node's own rules and names the rule it breaks.
 */

import { canonicalJson } from '../../../src/core/canonical.js';
import type { JsonObject } from '../../../src/core/json.js';
import { createTutorialProfile } from '../../../src/core/profiles.js';
import type { TutorialProfile } from '../../../src/core/tutorial-profile.js';
import { getJson } from '../api.js';
import { h, replace } from '../dom.js';
import { count, dateTime, prettyJson } from '../format.js';
import { state, subscribe } from '../store.js';
import { CopyChecker, type CopyReport, leadingZeros, powMessage, sha256 } from '../verify.js';

interface NodeHash {
  index: number;
  hash: string;
  canonical: string;
  pow: { message: string; digest: string; difficulty: number; valid: boolean } | null;
}

/** A digest with its leading zeros marked. */
function digestView(hex: string, needed: number, testId: string): HTMLElement {
  const zeros = leadingZeros(hex);
  return h(
    'code',
    { class: 'hash digest', 'data-testid': testId },
    h(
      'mark',
      { class: zeros >= needed ? 'zeros' : 'zeros short', title: `${zeros} leading zeros` },
      hex.slice(0, zeros),
    ),
    hex.slice(zeros),
  );
}

function mark(ok: boolean): HTMLElement {
  return h('span', { class: ok ? 'tick ok' : 'tick bad', 'aria-label': ok ? 'holds' : 'broken' }, ok ? '✓' : '✗');
}

function reportView(report: CopyReport): HTMLElement[] {
  const out: HTMLElement[] = [];
  out.push(
    report.verdict
      ? h(
          'p',
          { class: 'verdict bad', 'data-testid': 'tamper-verdict' },
          h('strong', null, 'The node would refuse this chain: '),
          h('code', null, report.verdict.code),
          ` ${report.verdict.message}`,
        )
      : h(
          'p',
          { class: 'verdict ok', 'data-testid': 'tamper-verdict' },
          h('strong', null, 'Valid: '),
          'the node would accept the chain with this copy in place.',
        ),
  );
  if (report.hash)
    out.push(h('p', { class: 'small' }, 'Hash of this copy: ', h('code', { class: 'hash' }, report.hash)));
  if (report.checks.length > 0) {
    out.push(
      h(
        'ul',
        { class: 'checks' },
        report.checks.map((c) =>
          h(
            'li',
            { class: c.ok ? 'ok' : 'bad' },
            mark(c.ok),
            ' ',
            c.label,
            c.ok ? null : h('span', null, ' — breaks ', h('code', null, c.rule)),
            h('div', { class: 'detail small' }, c.detail),
          ),
        ),
      ),
    );
  }
  return out;
}

/** Renders block `n` into `main`; returns its cleanup. */
export function renderBlock(main: HTMLElement, n: number): () => void {
  const body = h('div', { class: 'block-page' });
  main.append(h('h1', { tabindex: '-1' }, n === 1 ? 'Block #1 (genesis)' : `Block #${n}`), body);
  replace(body, h('p', { class: 'muted' }, 'Loading…'));

  let shownHash: string | null = null;
  let shownNext: boolean | null = null;
  let disposed = false;

  const render = async (): Promise<void> => {
    const info = state.info;
    const chain = state.chain;
    if (!info || chain.length === 0) return;
    const block = chain[n - 1];
    if (!block) {
      replace(
        body,
        h('p', { class: 'error' }, `There is no block #${n}: the chain has ${count(chain.length)} blocks.`),
        h('p', null, h('a', { href: '#/chain' }, 'Back to the chain')),
      );
      return;
    }
    const prev = chain[n - 2];
    const next = chain[n];
    // Redraw only when this block or its successor changed (a replaced chain), not on every block.
    if (shownHash === block.hash && shownNext === Boolean(next)) return;
    shownHash = block.hash;
    shownNext = Boolean(next);

    let profile: TutorialProfile;
    try {
      profile = createTutorialProfile(info.profile, { difficulty: info.difficulty });
    } catch (err) {
      replace(
        body,
        h('p', { class: 'error' }, `This page cannot check the ${info.profile} profile: ${(err as Error).message}`),
      );
      return;
    }

    const canonical = canonicalJson(block.json);
    const browserHash = await sha256(canonical);
    const message = prev ? powMessage(profile, prev.json, block.json) : null;
    const powDigest = message === null ? null : await sha256(message);
    let nodeHash: NodeHash | null = null;
    let nodeError: string | null = null;
    try {
      nodeHash = await getJson<NodeHash>(`/blocks/${n}/hash`);
    } catch (err) {
      nodeError = (err as Error).message;
    }
    if (disposed) return;

    const d = profile.difficulty;
    const hashMatchesNode = nodeHash?.hash === browserHash.hex;
    const nextLinks = next ? next.previousHash === browserHash.hex : null;
    const powOk = powDigest ? leadingZeros(powDigest.hex) >= d : null;
    const via =
      browserHash.via === 'Web Crypto'
        ? 'Web Crypto (crypto.subtle)'
        : "this page's own SHA-256 (Web Crypto needs https or localhost)";

    const nav = h(
      'nav',
      { class: 'pager', 'aria-label': 'Neighbouring blocks' },
      prev ? h('a', { href: `#/block/${n - 1}` }, `← Block #${n - 1}`) : h('span'),
      h('a', { href: '#/chain' }, 'Chain'),
      next ? h('a', { href: `#/block/${n + 1}` }, `Block #${n + 1} →`) : h('span'),
    );

    // The tutorial's genesis previous_hash as the profile writes it: 1 (seed) or "1" (master).
    const genesisPrevious =
      typeof block.json.previous_hash === 'string' ? `"${block.previousHash}"` : block.previousHash;
    const verdictParts: string[] = [];
    if (prev) verdictParts.push(`its proof of work holds (the digest starts with ${d} zeros)`);
    else verdictParts.push('it is the genesis block, which every node creates for itself and nobody mines');
    if (next) verdictParts.push(`block #${n + 1} names its hash as previous_hash`);
    const allOk = (powOk ?? true) && (nextLinks ?? true) && (nodeHash ? hashMatchesNode : true);

    const lab = h('textarea', {
      id: 'tamper-json',
      rows: 14,
      spellcheck: 'false',
      'aria-describedby': 'tamper-help',
      class: 'code-input',
    });
    lab.value = prettyJson(block.json);
    const labOut = h('div', { 'aria-live': 'polite', 'data-testid': 'tamper-report' });
    let checker: CopyChecker | null = null;
    const runLab = (): void => {
      try {
        checker ??= new CopyChecker(
          profile,
          chain.map((b) => b.json as JsonObject),
          n,
        );
        replace(labOut, reportView(checker.check(lab.value)));
      } catch (err) {
        replace(labOut, h('p', { class: 'error' }, (err as Error).message));
      }
    };
    let timer = 0;
    lab.addEventListener('input', () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(runLab, 200);
    });
    const reset = h('button', { type: 'button', class: 'secondary' }, 'Reset the copy');
    reset.addEventListener('click', () => {
      lab.value = prettyJson(block.json);
      runLab();
    });
    const checkButton = h('button', { type: 'button', class: 'primary' }, 'Check my copy');
    checkButton.addEventListener('click', runLab);

    replace(
      body,
      nav,
      h(
        'section',
        { class: `verdict-box ${allOk ? 'ok' : 'bad'}`, role: 'status', 'data-testid': 'block-verdict' },
        h('strong', null, allOk ? 'Valid. ' : 'Something does not match. '),
        `Your browser recomputed it: ${verdictParts.join(', and ')}.`,
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, '1. The block'),
        h(
          'p',
          { class: 'muted small', 'data-testid': 'block-origin' },
          prev
            ? `Mined ${dateTime(block.timestamp)}. ${count(block.txCount)} transaction${block.txCount === 1 ? '' : 's'}; the last one of a mined block is the miner's reward (sender "0").`
            : `The genesis block: nobody mined it. Every node creates one for itself when it first starts, with no transactions, proof ${block.proof} by convention and previous_hash ${genesisPrevious}; this one is dated ${dateTime(block.timestamp)}. Nodes started apart have different genesis blocks (their timestamps differ), so their chains share no block until one adopts the other's.`,
        ),
        h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Block JSON' }, prettyJson(block.json)),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, '2. What is hashed'),
        h(
          'p',
          { class: 'muted small' },
          'Python\'s json.dumps(block, sort_keys=True): keys in sorted order, ", " and ": " between items, characters outside ASCII escaped, numbers exactly as the chain holds them (5 and 5.0 differ).',
        ),
        h(
          'pre',
          { class: 'canonical', tabindex: '0', 'aria-label': 'Canonical string', 'data-testid': 'canonical' },
          canonical,
        ),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, '3. The hash'),
        h(
          'dl',
          { class: 'kv' },
          h('dt', null, `SHA-256 of the text above, computed by your browser with ${via}`),
          h('dd', null, h('code', { class: 'hash', 'data-testid': 'browser-hash' }, browserHash.hex)),
          h('dt', null, 'The node says'),
          h(
            'dd',
            null,
            nodeHash
              ? [
                  h('code', { class: 'hash', 'data-testid': 'node-hash' }, nodeHash.hash),
                  ' ',
                  mark(hashMatchesNode),
                  hashMatchesNode ? ' the same' : ' different!',
                ]
              : h('span', { class: 'error' }, nodeError ?? 'unavailable'),
          ),
          h('dt', null, next ? `Block #${n + 1}'s previous_hash` : `Block #${n + 1}`),
          h(
            'dd',
            null,
            next
              ? [
                  h('code', { class: 'hash' }, next.previousHash),
                  ' ',
                  mark(nextLinks === true),
                  nextLinks ? ' links here' : ' does not link here',
                ]
              : h(
                  'span',
                  { class: 'muted' },
                  'not mined yet: the next block will carry this hash as its previous_hash',
                ),
          ),
        ),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, '4. The proof of work'),
        prev && message !== null && powDigest
          ? [
              h(
                'p',
                null,
                `The miner tried proofs 0, 1, 2, … until the SHA-256 of ${profile.powIncludesPreviousHash ? 'the previous proof, this proof and the previous hash' : 'the previous proof followed by this proof'} started with ${d} zeros. It found ${block.proof} (${count(Number(block.proof) + 1)} tries).`,
              ),
              h(
                'dl',
                { class: 'kv' },
                h('dt', null, 'Message'),
                h(
                  'dd',
                  null,
                  h('code', { class: 'hash', 'data-testid': 'pow-message' }, message),
                  h(
                    'div',
                    { class: 'small muted' },
                    `= last_proof ${prev.proof} + proof ${block.proof}${profile.powIncludesPreviousHash ? ` + last_hash ${prev.hash.slice(0, 12)}…` : ''}`,
                  ),
                ),
                h('dt', null, `SHA-256, computed by your browser with ${powDigest.via}`),
                h(
                  'dd',
                  null,
                  digestView(powDigest.hex, d, 'pow-digest'),
                  ' ',
                  mark(powOk === true),
                  ` ${leadingZeros(powDigest.hex)} leading zeros, ${d} needed`,
                ),
                nodeHash?.pow
                  ? [
                      h('dt', null, 'The node says'),
                      h(
                        'dd',
                        null,
                        h('code', { class: 'hash' }, nodeHash.pow.digest),
                        ' ',
                        mark(nodeHash.pow.digest === powDigest.hex),
                      ),
                    ]
                  : null,
              ),
            ]
          : h(
              'p',
              { 'data-testid': 'genesis-pow' },
              `Nothing to check: the genesis block is not mined, nobody searched for its proof. Every node creates it for itself with proof ${block.proof} by convention and previous_hash ${genesisPrevious}. Every other block proves work on top of the one before it.`,
            ),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, '5. Try to tamper with it'),
        h(
          'p',
          { id: 'tamper-help', class: 'muted small' },
          "Edit this copy (change an amount, the proof, a recipient) and see which rule breaks. Your copy stays in the browser; the node is never changed. The verdict comes from the node's own validation code, run here.",
        ),
        h('label', { for: 'tamper-json' }, `A copy of block #${n} (JSON)`),
        lab,
        h('div', { class: 'row' }, checkButton, reset),
        labOut,
      ),
    );
    runLab();
  };

  const off = subscribe(['chain', 'info'], () => void render());
  void render();
  return () => {
    disposed = true;
    off();
  };
}
