/**
 * The Mine button with live progress: `GET /mine` runs the proof of work on the node; while it
 * searches, the event stream reports tries and rate, shown against the tries expected (16^d).
 */

import { type ApiError, getJson } from './api.js';
import { h, replace } from './dom.js';
import { count, rate, seconds } from './format.js';
import { state, subscribe } from './store.js';

interface MineAnswer {
  message: string;
  index: number;
  proof: number;
  tries: number;
  seconds: number;
  transactions: unknown[];
}

/** A Mine button and its status line. Call `dispose` when the page goes away. */
export function minePanel(): { el: HTMLElement; dispose: () => void } {
  const status = h('div', { class: 'mine-status', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'button', class: 'primary mine-button' }, 'Mine');
  let busy = false;
  let result: HTMLElement | null = null;

  const render = (): void => {
    button.disabled = busy;
    button.setAttribute('aria-busy', String(busy));
    const d = state.info?.difficulty;
    if (state.mining || busy) {
      const p = state.progress;
      const expected = p?.expected ?? (d === undefined ? 0 : 16 ** d);
      const bar = h('progress', {
        max: expected || 1,
        value: Math.min(p?.hashes ?? 0, expected || 1),
        'aria-label': 'Proof-of-work search',
      });
      replace(
        status,
        h(
          'p',
          null,
          p
            ? `Mining block #${p.index}: ${count(p.hashes)} tries of ~${count(expected)} expected, ${rate(p.rate)}`
            : `Mining: trying proofs 0, 1, 2, … until sha256 starts with ${d ?? '?'} zeros`,
        ),
        bar,
      );
      return;
    }
    if (result) {
      replace(status, result);
      return;
    }
    replace(
      status,
      h(
        'p',
        { class: 'muted' },
        d === undefined
          ? 'Mine a block: the node searches for a proof, then seals the pending transactions and its reward into a block.'
          : `Mine a block: the node tries proofs 0, 1, 2, … until a sha256 digest starts with ${d} zeros (about ${count(16 ** d)} tries), then seals the pending transactions and its reward into a block.`,
      ),
    );
  };

  button.addEventListener('click', async () => {
    busy = true;
    result = null;
    render();
    try {
      const answer = await getJson<MineAnswer>('/mine');
      result = h(
        'p',
        { class: 'ok' },
        `${answer.message}: `,
        h('a', { href: `#/block/${answer.index}` }, `block #${answer.index}`),
        `, proof ${answer.proof} after ${count(answer.tries)} tries in ${seconds(answer.seconds)}, ${answer.transactions.length} transaction${answer.transactions.length === 1 ? '' : 's'}.`,
      );
    } catch (err) {
      result = h('p', { class: 'error', role: 'alert' }, `Mining failed: ${(err as ApiError).message}`);
    } finally {
      busy = false;
      render();
    }
  });

  const off = subscribe(['mining', 'info'], render);
  render();
  return { el: h('section', { class: 'mine-panel', 'aria-label': 'Mining' }, button, status), dispose: off };
}
