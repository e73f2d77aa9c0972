/**
 * One ledger transaction (`#/tx/ID`): pending or confirmed, its block and confirmations (live), who
 * paid whom, the fee, its signature checked in the browser with the core's `verifyPayment`, and its
 * merkle inclusion proof drawn as the path from the leaf to the root, recomputed here with the
 * core's `leafHash` and `nodeHash` and compared with the merkle root of the block's header (GET
 * /headers), which is what a light client trusts.
 */

import './tx.css';
import { isJsonObject, type JsonValue, writeJson } from '../../../src/core/json.js';
import { ApiError, getJson, getLossless } from '../api.js';
import { type Child, h, replace, rich } from '../dom.js';
import { shortHash } from '../format.js';
import { messages } from '../i18n.js';
import { subscribe } from '../store.js';
import { formatCoins, unitsOf } from '../wallet-coins.js';
import { loadWalletNetwork, type WalletNetwork, whenLedger } from '../wallet-network.js';
import { checkPastedPayment } from '../wallet-payment.js';
import { includes, type ProofJson, walkProof } from '../wallet-proof.js';

const t = messages(
  'tx',
  {
    title: 'Transaction',
    badId: '"{id}" is not a transaction id: an id is 64 lowercase hex digits.',
    notFound: 'The node knows no pending or confirmed transaction with this id.',
    cannotLoad: 'Cannot load this transaction: {error}',
    status: 'Status',
    pending: 'pending',
    confirmed: 'confirmed',
    pendingHint: 'Waiting in the mempool for a miner to include it in a block.',
    returned: 'back in the mempool',
    reorgTitle: 'Moved by a reorg',
    reorgPending:
      'Block #{n} ({hash}), which held this transaction, was replaced by a reorg: the node switched to a branch with more work, and the transaction went back to the mempool. It waits there to be mined again.',
    reorgMoved:
      'It was first in block #{old} ({hash}), which a reorg replaced; it is now in block #{n}, with its proof drawn again below.',
    block: 'Block',
    blockLink: 'Block #{n}',
    position: 'Position in the block',
    positionReward: '{n} (the reward comes first)',
    confirmations: 'Confirmations',
    confirmationsHint: 'blocks from its block to the tip, both counted',
    kind: 'Kind',
    payment: 'payment',
    reward: 'block reward',
    from: 'From',
    to: 'To',
    amount: 'Amount',
    fee: 'Fee',
    nonce: '`nonce`',
    coins: '{n} coins',
    sigTitle: 'Signature, checked in your browser',
    sigOk:
      'valid: `verifyPayment` (the core’s code, run here) accepts the signature of these 113 bytes by the sender’s key',
    sigBad: 'invalid: `verifyPayment` (the core’s code, run here) refuses this signature',
    sigUnreadable: 'cannot be read as a payment: {code}: {message}',
    idOk: '`sha256(message ‖ signature)` is this id',
    idBad: '`sha256(message ‖ signature)` is `{computed}`, not this id',
    rewardSig:
      'A block reward has no signature: the miner writes it into the block, and every node checks its amount against the reward schedule and the fees.',
    message: 'Signed message (113 bytes)',
    signature: 'Signature',
    proofTitle: 'Merkle inclusion proof',
    proofLead:
      'The block’s header holds only the merkle root of its transactions. With the sibling hashes of the node’s proof ({n} here), anyone can recompute the root from this id alone: hash the leaf, then at each level hash it with the sibling, left or right as the proof says. Recomputed here with the core’s merkle code, from the leaf at the bottom to the root at the top.',
    proofPending: 'A pending transaction is in no block yet: it has no proof.',
    leaf: 'leaf = `sha256(0x00 ‖ id)`',
    level: 'level {n}',
    ours: 'ours',
    sibling: 'sibling (from the proof)',
    parent: '`sha256(0x01 ‖ left ‖ right)`',
    computedRoot: 'Root recomputed in your browser',
    headerRoot: 'Merkle root in the header of block #{n} (`GET /headers`)',
    equal: 'equal: the transaction is in block #{n}',
    notEqual: 'not equal: this proof does not put the transaction in block #{n}',
    proofBroken: 'the proof does not fit its index {index} and size {size}',
    verifyInclusion: 'verifyInclusion(id, proof, header root): {verdict}',
    yes: 'true',
    no: 'false',
    treeSize: 'Tree: {size} transactions, this one at index {index}',
    raw: 'As stored',
  },
  {
    title: '交易',
    badId: '"{id}" 不是交易 ID：交易 ID 是 64 个小写十六进制数字。',
    notFound: '节点不知道有这个 ID 的待处理或已确认交易。',
    cannotLoad: '无法加载这笔交易：{error}',
    status: '状态',
    pending: '待处理',
    confirmed: '已确认',
    pendingHint: '正在交易池中等待矿工把它打包进区块。',
    returned: '已退回交易池',
    reorgTitle: '被重组移动',
    reorgPending:
      '包含这笔交易的区块 #{n}（{hash}）已被一次重组替换：节点切换到了工作量更多的分支，这笔交易退回了交易池，正在那里等待重新打包。',
    reorgMoved: '它最初在区块 #{old}（{hash}）中，该区块已被重组替换；现在它在区块 #{n} 中，下面重新画出了它的证明。',
    block: '区块',
    blockLink: '区块 #{n}',
    position: '在区块中的位置',
    positionReward: '{n}（奖励排在最前）',
    confirmations: '确认数',
    confirmationsHint: '从它所在的区块到链顶的区块数，两端都计入',
    kind: '类型',
    payment: '付款',
    reward: '区块奖励',
    from: '付款方',
    to: '收款方',
    amount: '金额',
    fee: '手续费',
    nonce: '`nonce`',
    coins: '{n} 币',
    sigTitle: '签名（在你的浏览器中检查）',
    sigOk: '有效：`verifyPayment`（核心代码，在此运行）确认这 113 个字节的签名来自付款方的密钥',
    sigBad: '无效：`verifyPayment`（核心代码，在此运行）拒绝这个签名',
    sigUnreadable: '无法作为付款读取：{code}：{message}',
    idOk: '`sha256(消息 ‖ 签名)` 等于这个 ID',
    idBad: '`sha256(消息 ‖ 签名)` 是 `{computed}`，不是这个 ID',
    rewardSig: '区块奖励没有签名：矿工把它写进区块，每个节点都会按奖励计划和手续费检查它的金额。',
    message: '签名的消息（113 字节）',
    signature: '签名',
    proofTitle: '默克尔包含证明',
    proofLead:
      '区块头里只有交易的默克尔根。借助节点证明中的兄弟哈希（这里共 {n} 个），任何人仅凭这个 ID 就能重新算出根：先对叶子求哈希，然后在每一层按证明所说的左右位置与兄弟哈希一起求哈希。这里用核心的默克尔代码重新计算，叶子在最下面，根在最上面。',
    proofPending: '待处理的交易还不在任何区块中：它没有证明。',
    leaf: '叶子 = `sha256(0x00 ‖ ID)`',
    level: '第 {n} 层',
    ours: '我们的',
    sibling: '兄弟（来自证明）',
    parent: '`sha256(0x01 ‖ 左 ‖ 右)`',
    computedRoot: '在你的浏览器中重新计算的根',
    headerRoot: '区块 #{n} 区块头中的默克尔根（`GET /headers`）',
    equal: '相等：这笔交易在区块 #{n} 中',
    notEqual: '不相等：这个证明不能说明这笔交易在区块 #{n} 中',
    proofBroken: '这个证明与它的索引 {index} 和大小 {size} 不符',
    verifyInclusion: 'verifyInclusion(ID, 证明, 区块头的根)：{verdict}',
    yes: 'true',
    no: 'false',
    treeSize: '树：{size} 笔交易，这一笔的索引为 {index}',
    raw: '存储的原样',
  },
);

/** GET /transactions/:id. */
interface TxAnswer {
  readonly id: string;
  readonly status: 'pending' | 'confirmed';
  readonly details: {
    readonly kind?: 'payment' | 'reward';
    readonly from?: string;
    readonly to?: string;
    readonly amount?: string;
    readonly fee?: string;
    readonly nonce?: string;
  };
  readonly height?: number;
  readonly block_hash?: string;
  readonly confirmations?: number;
  readonly index?: number;
  readonly proof?: ProofJson & { readonly root: string };
}

const TX_ID = /^[0-9a-f]{64}$/;

const mark = (ok: boolean): Child => h('span', { class: ok ? 'ok' : 'bad', 'aria-hidden': 'true' }, ok ? '✔' : '✘');

/** Renders the tx page into `main`; returns its cleanup. */
export function renderTx(main: HTMLElement, id?: string): () => void {
  return whenLedger(main, t('title'), (inner) => renderLedgerTx(inner, id ?? ''));
}

function renderLedgerTx(main: HTMLElement, id: string): () => void {
  main.append(
    h('h1', { tabindex: '-1' }, t('title')),
    h('p', null, h('code', { class: 'hash', 'data-testid': 'tx-id' }, id)),
  );
  const body = h('div', { class: 'tx-page' });
  main.append(body);
  if (!TX_ID.test(id)) {
    body.append(h('p', { class: 'bad', role: 'alert' }, t('badId', { id: id.slice(0, 100) })));
    return () => undefined;
  }
  let closed = false;
  const summary = h('section', { class: 'card', 'data-testid': 'tx-summary' });
  const signature = h('section', { class: 'card', 'data-testid': 'tx-signature' });
  const proof = h('section', { class: 'card tx-proof', 'data-testid': 'tx-proof' });
  const raw = h('details', { class: 'card' });
  /** The proof drawn for this block hash (a reorg may move the transaction). */
  let proofFor: string | null = null;
  /** The block that held it when last seen confirmed. */
  let seenIn: { height: number; hash: string } | null = null;
  /** The block that held it before a reorg replaced that block (seen while this page was open). */
  let replacedBlock: { height: number; hash: string } | null = null;

  const load = async (network: WalletNetwork): Promise<void> => {
    let answer: TxAnswer;
    let stored: JsonValue | undefined;
    try {
      const lossless = await getLossless(`/transactions/${id}`);
      answer = JSON.parse(writeJson(lossless)) as TxAnswer;
      stored = isJsonObject(lossless) ? lossless.transaction : undefined;
    } catch (err) {
      if (closed) return;
      const text =
        err instanceof ApiError && err.status === 404
          ? t('notFound')
          : t('cannotLoad', { error: (err as Error).message });
      replace(body, h('p', { class: 'bad', role: 'alert', 'data-testid': 'tx-error' }, text));
      return;
    }
    if (closed) return;
    if (!body.contains(summary)) body.append(summary, signature, proof, raw);
    const hash = answer.status === 'confirmed' ? (answer.block_hash ?? null) : null;
    if (seenIn && hash !== seenIn.hash) replacedBlock = seenIn;
    seenIn = hash !== null && answer.height !== undefined ? { height: answer.height, hash } : null;
    drawSummary(answer);
    if (!signature.hasChildNodes()) drawSignature(answer, stored, network);
    if (answer.status === 'confirmed' && answer.proof && answer.height !== undefined) {
      if (proofFor !== answer.block_hash) {
        proofFor = answer.block_hash ?? null;
        await drawProof(answer.id, answer.height, answer.proof);
      }
    } else {
      proofFor = null;
      replace(proof, h('h2', null, t('proofTitle')), h('p', { class: 'muted' }, t('proofPending')));
    }
    if (stored !== undefined) {
      replace(raw, h('summary', null, t('raw')), h('pre', { class: 'wallet-json' }, writeJson(stored)));
    }
  };

  const coins = (units: string | undefined): string => {
    const n = unitsOf(units);
    return n === null ? '—' : t('coins', { n: formatCoins(n) });
  };

  const drawSummary = (a: TxAnswer): void => {
    const d = a.details;
    const confirmed = a.status === 'confirmed';
    const moved = replacedBlock;
    const rows: Child[] = [
      h('dt', null, t('status')),
      h(
        'dd',
        null,
        h(
          'span',
          {
            class: `badge ${confirmed ? 'ok' : moved ? 'returned' : ''}`,
            'data-testid': 'tx-status',
            'data-status': a.status,
          },
          t(confirmed ? 'confirmed' : moved ? 'returned' : 'pending'),
        ),
        confirmed ? null : h('span', { class: 'muted small' }, ' ', t('pendingHint')),
      ),
    ];
    if (moved) {
      const vars = {
        n: confirmed ? (a.height ?? '?') : moved.height,
        old: moved.height,
        hash: shortHash(moved.hash, 16),
      };
      rows.push(
        h('dt', null, t('reorgTitle')),
        h(
          'dd',
          { 'data-testid': 'tx-reorg', 'data-replaced': moved.hash },
          t(confirmed ? 'reorgMoved' : 'reorgPending', vars),
        ),
      );
    }
    if (confirmed && a.height !== undefined) {
      rows.push(
        h('dt', null, t('block')),
        h(
          'dd',
          null,
          h('a', { href: `#/block/${a.height}`, 'data-testid': 'tx-block' }, t('blockLink', { n: a.height })),
        ),
        h('dt', null, t('confirmations')),
        h(
          'dd',
          null,
          h('span', { class: 'num', 'data-testid': 'tx-confirmations' }, String(a.confirmations ?? '—')),
          h('span', { class: 'muted small' }, ' (', t('confirmationsHint'), ')'),
        ),
        h('dt', null, t('position')),
        h('dd', null, a.index === 0 ? t('positionReward', { n: '0' }) : String(a.index ?? '—')),
      );
    }
    rows.push(h('dt', null, t('kind')), h('dd', null, t(d.kind === 'reward' ? 'reward' : 'payment')));
    if (d.from) {
      rows.push(
        h('dt', null, t('from')),
        h('dd', null, h('a', { href: `#/address/${d.from}` }, h('code', { 'data-testid': 'tx-from' }, d.from))),
      );
    }
    if (d.to) {
      rows.push(
        h('dt', null, t('to')),
        h('dd', null, h('a', { href: `#/address/${d.to}` }, h('code', { 'data-testid': 'tx-to' }, d.to))),
      );
    }
    rows.push(h('dt', null, t('amount')), h('dd', { 'data-testid': 'tx-amount' }, coins(d.amount)));
    if (d.fee !== undefined) rows.push(h('dt', null, t('fee')), h('dd', { 'data-testid': 'tx-fee' }, coins(d.fee)));
    if (d.nonce !== undefined) rows.push(h('dt', null, rich(t('nonce'))), h('dd', null, d.nonce));
    replace(summary, h('dl', { class: 'kv' }, rows));
  };

  const drawSignature = (a: TxAnswer, stored: JsonValue | undefined, network: WalletNetwork): void => {
    if (a.details.kind === 'reward') {
      replace(signature, h('h2', null, t('sigTitle')), h('p', { 'data-testid': 'tx-sig-verdict' }, t('rewardSig')));
      return;
    }
    const checked = checkPastedPayment(writeJson(stored ?? null), network.hrp);
    if (!checked.ok) {
      replace(
        signature,
        h('h2', null, t('sigTitle')),
        h(
          'p',
          { class: 'bad', 'data-testid': 'tx-sig-verdict' },
          mark(false),
          ' ',
          t('sigUnreadable', { code: checked.code, message: checked.message }),
        ),
      );
      return;
    }
    const p = checked.payment;
    const idOk = p.id === a.id;
    replace(
      signature,
      h('h2', null, t('sigTitle')),
      h(
        'p',
        {
          class: `verdict-box ${p.browserValid ? 'ok' : 'bad'}`,
          'data-testid': 'tx-sig-verdict',
          'data-valid': String(p.browserValid),
        },
        mark(p.browserValid),
        ' ',
        rich(t(p.browserValid ? 'sigOk' : 'sigBad')),
      ),
      h('p', { class: idOk ? 'ok' : 'bad' }, mark(idOk), ' ', rich(idOk ? t('idOk') : t('idBad', { computed: p.id }))),
      h('h3', null, t('message')),
      h('code', { class: 'hex block' }, p.messageHex),
      h('h3', null, t('signature')),
      h('code', { class: 'hex block' }, p.signatureHex),
    );
  };

  const hashBox = (label: string, hex: string, cls: string, testid?: string): HTMLElement =>
    h(
      'div',
      { class: `merkle-box ${cls}`, ...(testid ? { 'data-testid': testid } : {}) },
      h('span', { class: 'merkle-label' }, rich(label)),
      h('code', { class: 'hex' }, hex),
    );

  const drawProof = async (txId: string, height: number, json: ProofJson & { root: string }): Promise<void> => {
    const headers = await getJson<{ headers: { merkle?: string }[] }>(`/headers?from=${height}&limit=1`);
    if (closed) return;
    const headerRoot = headers.headers[0]?.merkle ?? '';
    const walk = walkProof(txId, json);
    const equal = walk.root !== null && walk.root === headerRoot;
    const verified = includes(txId, json, headerRoot);
    // Drawn from the root down to the leaf, as a tree is drawn: each level's parent sits above its two children.
    const levels: HTMLElement[] = [];
    for (const step of [...walk.steps].reverse()) {
      const oursBox = hashBox(t('ours'), step.ours, 'ours');
      const siblingBox = hashBox(t('sibling'), step.sibling, 'sibling');
      levels.push(
        h(
          'li',
          { class: 'merkle-level', 'data-level': String(step.level) },
          hashBox(`${t('level', { n: step.level })}: ${t('parent')}`, step.parent, 'parent'),
          h('div', { class: 'merkle-pair' }, step.side === 'left' ? [siblingBox, oursBox] : [oursBox, siblingBox]),
        ),
      );
    }
    levels.push(h('li', { class: 'merkle-level leaf' }, hashBox(t('leaf'), walk.leaf, 'ours leaf', 'merkle-leaf')));
    replace(
      proof,
      h('h2', null, t('proofTitle')),
      h('p', { class: 'hint' }, t('proofLead', { n: json.path.length })),
      h('p', { class: 'muted' }, t('treeSize', { size: json.size, index: json.index })),
      h(
        'div',
        { class: 'merkle-roots' },
        hashBox(t('computedRoot'), walk.root ?? '—', equal ? 'root ok' : 'root bad', 'computed-root'),
        hashBox(t('headerRoot', { n: height }), headerRoot, 'root header', 'header-root'),
        h(
          'p',
          {
            class: `verdict-box ${equal ? 'ok' : 'bad'}`,
            'data-testid': 'merkle-verdict',
            'data-equal': String(equal),
          },
          mark(equal),
          ' ',
          walk.root === null
            ? t('proofBroken', { index: json.index, size: json.size })
            : t(equal ? 'equal' : 'notEqual', { n: height }),
        ),
        h(
          'p',
          { class: 'muted small' },
          h('code', null, t('verifyInclusion', { verdict: t(verified ? 'yes' : 'no') })),
        ),
      ),
      h('ol', { class: 'merkle-path', 'data-testid': 'merkle-path', reversed: true }, levels),
    );
  };

  void loadWalletNetwork().then(
    (network) => {
      if (closed) return;
      void load(network);
      off = subscribe(['chain', 'pending'], () => void load(network));
    },
    (err: Error) => {
      if (!closed) body.append(h('p', { class: 'bad', role: 'alert' }, t('cannotLoad', { error: err.message })));
    },
  );
  let off: () => void = () => undefined;

  return () => {
    closed = true;
    off();
  };
}
