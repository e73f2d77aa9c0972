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
import { h, replace, rich } from '../dom.js';
import { count, dateTime, prettyJson } from '../format.js';
import { messages } from '../i18n.js';
import { state, subscribe } from '../store.js';
import { CopyChecker, type CopyReport, leadingZeros, powMessage, sha256 } from '../verify.js';
import { ledgerBlockRoute } from './ledger-block.js';

const t = messages(
  'block',
  {
    leadingZerosTitle: '{n} leading zeros',
    holds: 'holds',
    broken: 'broken',
    refuse: 'The node would refuse this chain: ',
    valid: 'Valid: ',
    accept: 'the node would accept the chain with this copy in place.',
    copyHash: 'Hash of this copy: ',
    breaks: ' — breaks ',
    genesisTitle: 'Block #1 (genesis)',
    blockTitle: 'Block #{n}',
    loading: 'Loading…',
    noSuchBlock: 'There is no block #{n}: the chain has {count} blocks.',
    backToChain: 'Back to the chain',
    cannotCheck: 'This page cannot check the {profile} profile: {reason}',
    viaWebCrypto: 'Web Crypto (crypto.subtle)',
    viaOwn: "this page's own SHA-256 (Web Crypto needs https or localhost)",
    ownSha: "this page's own SHA-256",
    neighbours: 'Neighbouring blocks',
    previousLink: '← Block #{n}',
    chain: 'Chain',
    nextLink: 'Block #{n} →',
    powHolds: 'its proof of work holds (the digest starts with {d} zeros)',
    isGenesis: 'it is the genesis block, which every node creates for itself and nobody mines',
    nextNames: 'block #{next} names its hash as previous_hash',
    and: ', and ',
    resetCopy: 'Reset the copy',
    checkCopy: 'Check my copy',
    allValid: 'Valid. ',
    mismatch: 'Something does not match. ',
    recomputed: 'Your browser recomputed it: {parts}.',
    section1: '1. The block',
    minedOne: 'Mined {date}. {n} transaction; the last one of a mined block is the miner\'s reward (sender "0").',
    minedMany: 'Mined {date}. {n} transactions; the last one of a mined block is the miner\'s reward (sender "0").',
    genesisOrigin:
      "The genesis block: nobody mined it. Every node creates one for itself when it first starts, with no transactions, proof {proof} by convention and previous_hash {previous}; this one is dated {date}. Nodes started apart have different genesis blocks (their timestamps differ), so their chains share no block until one adopts the other's.",
    blockJson: 'Block JSON',
    section2: '2. What is hashed',
    canonicalHelp:
      'Python\'s json.dumps(block, sort_keys=True): keys in sorted order, ", " and ": " between items, characters outside ASCII escaped, numbers exactly as the chain holds them (5 and 5.0 differ).',
    canonicalLabel: 'Canonical string',
    section3: '3. The hash',
    browserHash: 'SHA-256 of the text above, computed by your browser with {via}',
    nodeSays: 'The node says',
    same: ' the same',
    different: ' different!',
    unavailable: 'unavailable',
    nextPrevious: "Block #{next}'s previous_hash",
    nextBlock: 'Block #{next}',
    linksHere: ' links here',
    notLinksHere: ' does not link here',
    notMinedYet: 'not mined yet: the next block will carry this hash as its previous_hash',
    section4: '4. The proof of work',
    minerTriedWithHash:
      'The miner tried proofs 0, 1, 2, … until the SHA-256 of the previous proof, this proof and the previous hash started with {d} zeros. It found {proof} ({tries} tries).',
    minerTried:
      'The miner tried proofs 0, 1, 2, … until the SHA-256 of the previous proof followed by this proof started with {d} zeros. It found {proof} ({tries} tries).',
    message: 'Message',
    powDigest: 'SHA-256, computed by your browser with {via}',
    zerosNeeded: ' {zeros} leading zeros, {d} needed',
    genesisPow:
      'Nothing to check: the genesis block is not mined, nobody searched for its proof. Every node creates it for itself with proof {proof} by convention and previous_hash {previous}. Every other block proves work on top of the one before it.',
    section5: '5. Try to tamper with it',
    tamperHelp:
      "Edit this copy (change an amount, the proof, a recipient) and see which rule breaks. Your copy stays in the browser; the node is never changed. The verdict comes from the node's own validation code, run here.",
    copyLabel: 'A copy of block #{n} (JSON)',
  },
  {
    leadingZerosTitle: '{n} 个前导零',
    holds: '成立',
    broken: '不成立',
    refuse: '节点会拒绝这条链：',
    valid: '有效：',
    accept: '把这份副本放回链中，节点会接受这条链。',
    copyHash: '这份副本的哈希：',
    breaks: ' —— 违反了 ',
    genesisTitle: '区块 #1（创世区块）',
    blockTitle: '区块 #{n}',
    loading: '加载中…',
    noSuchBlock: '没有区块 #{n}：这条链只有 {count} 个区块。',
    backToChain: '返回链',
    cannotCheck: '本页无法检查 {profile} 规则集：{reason}',
    viaWebCrypto: 'Web Crypto（`crypto.subtle`）',
    viaOwn: '本页自带的 SHA-256 实现（Web Crypto 需要 `https` 或 `localhost`）',
    ownSha: '本页自带的 SHA-256 实现',
    neighbours: '相邻区块',
    previousLink: '← 区块 #{n}',
    chain: '链',
    nextLink: '区块 #{n} →',
    powHolds: '它的工作量证明成立（摘要以 {d} 个零开头）',
    isGenesis: '它是创世区块，由每个节点自己创建，无需挖矿',
    nextNames: '区块 #{next} 把它的哈希记为 `previous_hash`',
    and: '，并且',
    resetCopy: '还原副本',
    checkCopy: '检查我的副本',
    allValid: '有效。',
    mismatch: '有些地方对不上。',
    recomputed: '你的浏览器重新计算过：{parts}。',
    section1: '1. 区块',
    minedOne: '挖出于 {date}。{n} 笔交易；挖出的区块中最后一笔交易是矿工的奖励（发送方为 `"0"`）。',
    minedMany: '挖出于 {date}。{n} 笔交易；挖出的区块中最后一笔交易是矿工的奖励（发送方为 `"0"`）。',
    genesisOrigin:
      '创世区块：没有人挖出它。每个节点第一次启动时都会自己创建一个创世区块，其中没有交易，按约定 `proof` 为 {proof}、`previous_hash` 为 {previous}；这一个的时间是 {date}。分别启动的节点有不同的创世区块（时间戳不同），所以它们的链没有任何共同区块，直到一方采用另一方的链。',
    blockJson: '区块 JSON',
    section2: '2. 被哈希的内容',
    canonicalHelp:
      'Python 的 `json.dumps(block, sort_keys=True)`：键按顺序排列，项之间用 `", "` 和 `": "` 分隔，ASCII 以外的字符被转义，数字与链上保存的完全一致（`5` 和 `5.0` 不同）。',
    canonicalLabel: '规范字符串',
    section3: '3. 哈希',
    browserHash: '上面这段文本的 SHA-256，由你的浏览器用 {via} 计算',
    nodeSays: '节点给出的结果',
    same: ' 一致',
    different: ' 不一致！',
    unavailable: '无法获取',
    nextPrevious: '区块 #{next} 的 `previous_hash`',
    nextBlock: '区块 #{next}',
    linksHere: ' 指向这里',
    notLinksHere: ' 没有指向这里',
    notMinedYet: '尚未挖出：下一个区块会把这个哈希记为它的 `previous_hash`',
    section4: '4. 工作量证明',
    minerTriedWithHash:
      '矿工依次尝试 `proof` 0、1、2……直到“上一个 `proof`、这个 `proof` 和上一个区块的哈希”的 SHA-256 以 {d} 个零开头。它找到了 {proof}（尝试了 {tries} 次）。',
    minerTried:
      '矿工依次尝试 `proof` 0、1、2……直到“上一个 `proof` 后接这个 `proof`”的 SHA-256 以 {d} 个零开头。它找到了 {proof}（尝试了 {tries} 次）。',
    message: '消息',
    powDigest: 'SHA-256，由你的浏览器用 {via} 计算',
    zerosNeeded: ' {zeros} 个前导零，需要 {d} 个',
    genesisPow:
      '无需检查：创世区块不是挖出来的，没有人为它搜索 `proof`。每个节点都自己创建它，按约定 `proof` 为 {proof}、`previous_hash` 为 {previous}。其他每个区块都在前一个区块的基础上证明工作量。',
    section5: '5. 试着篡改它',
    tamperHelp:
      '编辑这份副本（改一个金额、`proof` 或接收方），看看哪条规则被打破。副本只留在浏览器里，节点上的数据永远不会被修改。结论来自节点自己的验证代码，在这里运行。',
    copyLabel: '区块 #{n} 的副本（JSON）',
  },
);

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
      { class: zeros >= needed ? 'zeros' : 'zeros short', title: t('leadingZerosTitle', { n: zeros }) },
      hex.slice(0, zeros),
    ),
    hex.slice(zeros),
  );
}

function mark(ok: boolean): HTMLElement {
  return h('span', { class: ok ? 'tick ok' : 'tick bad', 'aria-label': ok ? t('holds') : t('broken') }, ok ? '✓' : '✗');
}

function reportView(report: CopyReport): HTMLElement[] {
  const out: HTMLElement[] = [];
  out.push(
    report.verdict
      ? h(
          'p',
          { class: 'verdict bad', 'data-testid': 'tamper-verdict' },
          h('strong', null, t('refuse')),
          h('code', null, report.verdict.code),
          ` ${report.verdict.message}`,
        )
      : h('p', { class: 'verdict ok', 'data-testid': 'tamper-verdict' }, h('strong', null, t('valid')), t('accept')),
  );
  if (report.hash) out.push(h('p', { class: 'small' }, t('copyHash'), h('code', { class: 'hash' }, report.hash)));
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
            rich(c.label),
            c.ok ? null : h('span', null, t('breaks'), h('code', null, c.rule)),
            h('div', { class: 'detail small' }, rich(c.detail)),
          ),
        ),
      ),
    );
  }
  return out;
}

/** Renders block `n` into `main`; returns its cleanup. */
export function renderBlock(main: HTMLElement, n: number): () => void {
  // The ledger's block page (issue 11); waits for the profile when it is not known yet.
  const ledger = ledgerBlockRoute(main, n, renderBlock);
  if (ledger) return ledger;
  const body = h('div', { class: 'block-page' });
  main.append(h('h1', { tabindex: '-1' }, n === 1 ? t('genesisTitle') : t('blockTitle', { n: String(n) })), body);
  replace(body, h('p', { class: 'muted' }, t('loading')));

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
        h('p', { class: 'error' }, t('noSuchBlock', { n: String(n), count: count(chain.length) })),
        h('p', null, h('a', { href: '#/chain' }, t('backToChain'))),
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
        h('p', { class: 'error' }, t('cannotCheck', { profile: info.profile, reason: (err as Error).message })),
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
    const via = browserHash.via === 'Web Crypto' ? t('viaWebCrypto') : t('viaOwn');

    const nav = h(
      'nav',
      { class: 'pager', 'aria-label': t('neighbours') },
      prev ? h('a', { href: `#/block/${n - 1}` }, t('previousLink', { n: String(n - 1) })) : h('span'),
      h('a', { href: '#/chain' }, t('chain')),
      next ? h('a', { href: `#/block/${n + 1}` }, t('nextLink', { n: String(n + 1) })) : h('span'),
    );

    // The tutorial's genesis previous_hash as the profile writes it: 1 (seed) or "1" (master).
    const genesisPrevious =
      typeof block.json.previous_hash === 'string' ? `"${block.previousHash}"` : block.previousHash;
    const verdictParts: string[] = [];
    if (prev) verdictParts.push(t('powHolds', { d }));
    else verdictParts.push(t('isGenesis'));
    if (next) verdictParts.push(t('nextNames', { next: String(n + 1) }));
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
    const reset = h('button', { type: 'button', class: 'secondary' }, t('resetCopy'));
    reset.addEventListener('click', () => {
      lab.value = prettyJson(block.json);
      runLab();
    });
    const checkButton = h('button', { type: 'button', class: 'primary' }, t('checkCopy'));
    checkButton.addEventListener('click', runLab);

    replace(
      body,
      nav,
      h(
        'section',
        { class: `verdict-box ${allOk ? 'ok' : 'bad'}`, role: 'status', 'data-testid': 'block-verdict' },
        h('strong', null, allOk ? t('allValid') : t('mismatch')),
        rich(t('recomputed', { parts: verdictParts.join(t('and')) })),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('section1')),
        h(
          'p',
          { class: 'muted small', 'data-testid': 'block-origin' },
          rich(
            prev
              ? t(block.txCount === 1 ? 'minedOne' : 'minedMany', {
                  date: dateTime(block.timestamp),
                  n: count(block.txCount),
                })
              : t('genesisOrigin', {
                  proof: block.proof,
                  previous: genesisPrevious,
                  date: dateTime(block.timestamp),
                }),
          ),
        ),
        h('pre', { class: 'json', tabindex: '0', 'aria-label': t('blockJson') }, prettyJson(block.json)),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('section2')),
        h('p', { class: 'muted small' }, rich(t('canonicalHelp'))),
        h(
          'pre',
          { class: 'canonical', tabindex: '0', 'aria-label': t('canonicalLabel'), 'data-testid': 'canonical' },
          canonical,
        ),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('section3')),
        h(
          'dl',
          { class: 'kv' },
          h('dt', null, rich(t('browserHash', { via }))),
          h('dd', null, h('code', { class: 'hash', 'data-testid': 'browser-hash' }, browserHash.hex)),
          h('dt', null, t('nodeSays')),
          h(
            'dd',
            null,
            nodeHash
              ? [
                  h('code', { class: 'hash', 'data-testid': 'node-hash' }, nodeHash.hash),
                  ' ',
                  mark(hashMatchesNode),
                  hashMatchesNode ? t('same') : t('different'),
                ]
              : h('span', { class: 'error' }, nodeError ?? t('unavailable')),
          ),
          h(
            'dt',
            null,
            rich(next ? t('nextPrevious', { next: String(n + 1) }) : t('nextBlock', { next: String(n + 1) })),
          ),
          h(
            'dd',
            null,
            next
              ? [
                  h('code', { class: 'hash' }, next.previousHash),
                  ' ',
                  mark(nextLinks === true),
                  nextLinks ? t('linksHere') : t('notLinksHere'),
                ]
              : h('span', { class: 'muted' }, rich(t('notMinedYet'))),
          ),
        ),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('section4')),
        prev && message !== null && powDigest
          ? [
              h(
                'p',
                null,
                rich(
                  t(profile.powIncludesPreviousHash ? 'minerTriedWithHash' : 'minerTried', {
                    d,
                    proof: block.proof,
                    tries: count(Number(block.proof) + 1),
                  }),
                ),
              ),
              h(
                'dl',
                { class: 'kv' },
                h('dt', null, t('message')),
                h(
                  'dd',
                  null,
                  h('code', { class: 'hash', 'data-testid': 'pow-message' }, message),
                  h(
                    'div',
                    { class: 'small muted' },
                    h(
                      'code',
                      null,
                      `= last_proof ${prev.proof} + proof ${block.proof}${profile.powIncludesPreviousHash ? ` + last_hash ${prev.hash.slice(0, 12)}…` : ''}`,
                    ),
                  ),
                ),
                h('dt', null, t('powDigest', { via: powDigest.via === 'Web Crypto' ? 'Web Crypto' : t('ownSha') })),
                h(
                  'dd',
                  null,
                  digestView(powDigest.hex, d, 'pow-digest'),
                  ' ',
                  mark(powOk === true),
                  t('zerosNeeded', { zeros: leadingZeros(powDigest.hex), d }),
                ),
                nodeHash?.pow
                  ? [
                      h('dt', null, t('nodeSays')),
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
              rich(t('genesisPow', { proof: block.proof, previous: genesisPrevious })),
            ),
      ),
      h(
        'section',
        { class: 'card' },
        h('h2', null, t('section5')),
        h('p', { id: 'tamper-help', class: 'muted small' }, rich(t('tamperHelp'))),
        h('label', { for: 'tamper-json' }, t('copyLabel', { n: String(n) })),
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
