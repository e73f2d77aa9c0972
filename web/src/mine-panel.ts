/**
 * The Mine button with live progress: `GET /mine` runs the proof of work on the node; while it
 * searches, the event stream reports tries and rate, shown against the tries expected (16^d).
 */

import { type ApiError, getJson } from './api.js';
import { h, replace, rich } from './dom.js';
import { count, rate, seconds } from './format.js';
import { messages } from './i18n.js';
import { state, subscribe } from './store.js';

const t = messages(
  'mine-panel',
  {
    mine: 'Mine',
    section: 'Mining',
    progressLabel: 'Proof-of-work search',
    progress: 'Mining block #{index}: {tries} tries of ~{expected} expected, {rate}',
    starting: 'Mining: trying proofs 0, 1, 2, … until sha256 starts with {zeros} zeros',
    idleUnknown:
      'Mine a block: the node searches for a proof, then seals the pending transactions and its reward into a block.',
    idle: 'Mine a block: the node tries proofs 0, 1, 2, … until a sha256 digest starts with {zeros} zeros (about {tries} tries), then seals the pending transactions and its reward into a block.',
    resultHead: '{message}: ',
    resultLink: 'block #{index}',
    resultTail: ', proof {proof} after {tries} tries in {time}, {txs}.',
    txOne: '{n} transaction',
    txMany: '{n} transactions',
    failed: 'Mining failed: {reason}',
  },
  {
    mine: '挖矿',
    section: '挖矿',
    progressLabel: '工作量证明搜索',
    progress: '正在挖区块 #{index}：已尝试 {tries} 次，预计约 {expected} 次，{rate}',
    starting: '挖矿中：依次尝试 `proof` 0、1、2……直到 SHA-256 摘要以 {zeros} 个零开头',
    idleUnknown: '挖一个区块：节点搜索一个有效的 `proof`，然后把待处理交易和自己的奖励一起封装进一个区块。',
    idle: '挖一个区块：节点依次尝试 `proof` 0、1、2……直到 SHA-256 摘要以 {zeros} 个零开头（约 {tries} 次尝试），然后把待处理交易和自己的奖励一起封装进一个区块。',
    resultHead: '{message}：',
    resultLink: '区块 #{index}',
    resultTail: '，`proof` 为 {proof}，尝试了 {tries} 次，用时 {time}，{txs}。',
    txOne: '{n} 笔交易',
    txMany: '{n} 笔交易',
    failed: '挖矿失败：{reason}',
  },
);

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
  const button = h('button', { type: 'button', class: 'primary mine-button' }, t('mine'));
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
        'aria-label': t('progressLabel'),
      });
      replace(
        status,
        h(
          'p',
          null,
          p
            ? t('progress', {
                index: String(p.index),
                tries: count(p.hashes),
                expected: count(expected),
                rate: rate(p.rate),
              })
            : rich(t('starting', { zeros: d ?? '?' })),
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
        rich(d === undefined ? t('idleUnknown') : t('idle', { zeros: d, tries: count(16 ** d) })),
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
        t('resultHead', { message: answer.message }),
        h('a', { href: `#/block/${answer.index}` }, t('resultLink', { index: String(answer.index) })),
        rich(
          t('resultTail', {
            proof: String(answer.proof),
            tries: count(answer.tries),
            time: seconds(answer.seconds),
            txs: t(answer.transactions.length === 1 ? 'txOne' : 'txMany', { n: answer.transactions.length }),
          }),
        ),
      );
    } catch (err) {
      result = h('p', { class: 'error', role: 'alert' }, t('failed', { reason: (err as ApiError).message }));
    } finally {
      busy = false;
      render();
    }
  });

  const off = subscribe(['mining', 'info'], render);
  render();
  return { el: h('section', { class: 'mine-panel', 'aria-label': t('section') }, button, status), dispose: off };
}
