/**
 * The wallet (ledger networks): a key made or imported in the browser, kept in IndexedDB as a
 * keystore encrypted with a passphrase (the CLI's format, exportable as its file), the account's
 * balance and next nonce live, and a payment signed here: the 113-byte message, the signature, the
 * browser's verdict (the core's `verifyPayment`) and the node's (its answer to POST /transactions,
 * as it sent it), then pending, then confirmed with its confirmations counting up. The secret key
 * never leaves the page: only signed payments are sent.
 */

import './wallet.css';
import { BlockforgeError } from '../../../src/core/errors.js';
import { keystoreJson, type UnlockedKey } from '../../../src/core/ledger/keystore.js';
import { toHex } from '../../../src/core/sha256.js';
import { ApiError, getJson, requestText } from '../api.js';
import { type Child, h, labelCells, replace, rich } from '../dom.js';
import { shortHash } from '../format.js';
import { formatNumber, messages } from '../i18n.js';
import { subscribe } from '../store.js';
import { type CoinsProblem, formatCoins, parseCoins, unitsOf } from '../wallet-coins.js';
import { IndexedDbKeyStore } from '../wallet-idb.js';
import {
  importKey,
  type KeyStore,
  keysOf,
  makeKey,
  type StoredKey,
  unlockStored,
  WalletKeyError,
} from '../wallet-keys.js';
import { loadWalletNetwork, type WalletNetwork, whenLedger } from '../wallet-network.js';
import {
  checkPastedPayment,
  forgeSignature,
  type MessagePart,
  messageParts,
  type SignedPayment,
  signNewPayment,
} from '../wallet-payment.js';

const t = messages(
  'wallet',
  {
    title: 'Wallet',
    lead: 'A wallet is a key pair. The secret key signs payments; the address, made from the public key, receives them. This page makes and keeps the key in your browser: it is stored in `IndexedDB` encrypted with your passphrase, and never sent to the node, which only ever receives signed payments.',
    cannotLoad: 'The wallet cannot load this network: {error}',
    keyTitle: 'Your key',
    unlocked: 'Unlocked in this tab',
    address: 'Address',
    publicKey: 'Public key',
    export: 'Export keystore file',
    exportHint: 'The same file `blockforge wallet` reads and writes: encrypted with your passphrase.',
    lock: 'Lock',
    storedKeys: 'Keys stored in this browser',
    noStored: 'No key for this network is stored in this browser yet.',
    passphrase: 'Passphrase',
    repeat: 'Passphrase again',
    unlock: 'Unlock',
    remove: 'Remove',
    removeConfirm: 'Remove this key from the browser? Without an exported file its coins are lost.',
    makeTitle: 'Make a new key',
    makeHint: 'A random `Ed25519` key made by your browser; the passphrase encrypts it (`scrypt`, then `AES-256-GCM`).',
    make: 'Make a key',
    importTitle: 'Import a keystore file',
    importHint:
      'A file from `blockforge wallet new` or from this page. Give its passphrase (for an unencrypted file: the passphrase to keep it under here).',
    file: 'Keystore file',
    import: 'Import',
    working: 'Deriving the key from the passphrase (scrypt)…',
    noFile: 'Choose a keystore file first.',
    passphraseEmpty: 'Choose a passphrase: the key is stored encrypted with it.',
    passphraseMismatch: 'The two passphrases differ.',
    otherNetwork: 'This keystore is for addresses "{theirs}1…"; this network’s are "{ours}1…".',
    notJson: 'This file is not JSON ({reason}).',
    needPassphrase: 'This file is not encrypted: give a passphrase to keep it encrypted in this browser.',
    keyError: '{code}: {message}',
    accountTitle: 'Account',
    balance: 'Balance',
    locked: 'Locked rewards',
    lockedHint: 'mature after {n} blocks',
    pendingBalance: 'Balance once pending payments are mined',
    nextNonce: 'Next `nonce`',
    atHeight: 'At height',
    coins: '{n} coins',
    units: '{n} base units',
    sendTitle: 'Send a payment',
    to: 'To (address)',
    amount: 'Amount (coins)',
    fee: 'Fee (coins)',
    feeHint: 'This node takes at least {min} coins ({units} base units).',
    amountHint: '1 coin = 100,000,000 base units; read exactly, never as a floating-point number.',
    send: 'Sign and send',
    empty: 'Type an amount of coins, e.g. 1.5.',
    syntax: 'Coins are digits with at most one dot, e.g. 1.5 (no sign, comma or exponent).',
    decimals: 'At most 8 decimal places: 1 coin is 100,000,000 base units.',
    range: 'Too large: at most 92,233,720,368.54775807 coins.',
    zero: 'Send at least 1 base unit (0.00000001 coins).',
    badAddress: 'Not an address of this network: {message}',
    signedTitle: 'What you signed',
    signedLead:
      'The signature covers these 113 bytes: a tag, the chain id (so it is good on this network only), your public key, the recipient, the amount, the fee and the nonce (so it is good once), each number as 8 bytes big-endian.',
    part: 'Part',
    bytes: 'Bytes',
    hex: 'Hex',
    partTag: 'tag `BFTX1`',
    partChain: 'chain id',
    partFrom: 'from (public key)',
    partTo: 'to (account id)',
    partAmount: 'amount',
    partFee: 'fee',
    partNonce: '`nonce`',
    message: 'Message (113 bytes)',
    signature: '`Ed25519` signature (64 bytes)',
    txId: 'Transaction id: `sha256(message ‖ signature)`',
    sentJson: 'JSON sent to `POST /transactions`',
    browserVerdict: 'Your browser’s verdict',
    nodeVerdict: 'The node’s verdict',
    browserOk: 'valid: `verifyPayment` (the core’s code, run here) accepts this signature',
    browserBad: 'invalid: `verifyPayment` (the core’s code, run here) refuses this signature',
    nodeWaiting: 'waiting for the node…',
    accepted: '{status} accepted: pending, expected in block {block}',
    refused: '{status} {code}: {message}',
    refusedField: '{status} {code} (field {field}): {message}',
    statusTitle: 'Your payment',
    pending: 'Pending: waiting to be mined.',
    confirmed: 'Confirmed in block {block}: {n} confirmations.',
    confirmedOne: 'Confirmed in block {block}: 1 confirmation.',
    gone: 'The node no longer knows this payment (replaced or dropped).',
    returned:
      'Back in the mempool: a reorg replaced block {block}, which held it, with another branch. Waiting to be mined again.',
    wasIn: 'It was first confirmed in block {block}, which a reorg replaced.',
    statusReturned: 'back in the mempool',
    openTx: 'Open transaction {id}',
    historyTitle: 'History',
    noHistory: 'No transactions yet.',
    kind: 'Kind',
    id: 'Id',
    fromTo: 'From → to',
    status: 'Status',
    confirmations: 'Confirmations',
    payment: 'payment',
    reward: 'reward',
    statusPending: 'pending',
    statusConfirmed: 'confirmed',
    advancedTitle: 'Advanced: paste a signed payment JSON',
    advancedLead:
      'Sent to the node exactly as pasted. Change one digit of a signature and both verdicts turn: the browser’s check and the node’s refusal.',
    pasteLabel: 'Signed payment JSON',
    fillForged: 'Paste my last payment with its signature altered',
    checkSend: 'Check and send as is',
    pastedUnreadable: 'cannot be read as a payment: {code}: {message}',
    pastedEmpty: 'Paste a payment JSON first.',
  },
  {
    title: '钱包',
    lead: '钱包就是一对密钥。私钥为付款签名；由公钥生成的地址用来收款。本页面在你的浏览器里生成并保存密钥：它以你的口令加密后存放在 `IndexedDB` 中，绝不会发送给节点——节点只会收到已签名的付款。',
    cannotLoad: '钱包无法加载这个网络：{error}',
    keyTitle: '你的密钥',
    unlocked: '已在此标签页中解锁',
    address: '地址',
    publicKey: '公钥',
    export: '导出密钥库文件',
    exportHint: '与 `blockforge wallet` 读写的文件相同：已用你的口令加密。',
    lock: '锁定',
    storedKeys: '保存在此浏览器中的密钥',
    noStored: '此浏览器中还没有保存这个网络的密钥。',
    passphrase: '口令',
    repeat: '再次输入口令',
    unlock: '解锁',
    remove: '删除',
    removeConfirm: '要从浏览器中删除这个密钥吗？如果没有导出文件，它的币将无法找回。',
    makeTitle: '生成新密钥',
    makeHint: '由浏览器随机生成的 `Ed25519` 密钥；口令用来加密它（先 `scrypt`，再 `AES-256-GCM`）。',
    make: '生成密钥',
    importTitle: '导入密钥库文件',
    importHint:
      '来自 `blockforge wallet new` 或本页面的文件。请输入它的口令（未加密的文件：输入在这里保存它所用的口令）。',
    file: '密钥库文件',
    import: '导入',
    working: '正在用口令派生密钥（scrypt）…',
    noFile: '请先选择一个密钥库文件。',
    passphraseEmpty: '请设置口令：密钥会用它加密保存。',
    passphraseMismatch: '两次输入的口令不一致。',
    otherNetwork: '这个密钥库属于地址前缀为 "{theirs}1…" 的网络；本网络的前缀是 "{ours}1…"。',
    notJson: '这个文件不是 JSON（{reason}）。',
    needPassphrase: '这个文件没有加密：请输入一个口令，以便在此浏览器中加密保存它。',
    keyError: '{code}：{message}',
    accountTitle: '账户',
    balance: '余额',
    locked: '锁定中的奖励',
    lockedHint: '{n} 个区块后成熟',
    pendingBalance: '待处理付款被打包后的余额',
    nextNonce: '下一个 `nonce`',
    atHeight: '所在高度',
    coins: '{n} 币',
    units: '{n} 基本单位',
    sendTitle: '发送付款',
    to: '收款地址',
    amount: '金额（币）',
    fee: '手续费（币）',
    feeHint: '此节点至少收取 {min} 币（{units} 基本单位）。',
    amountHint: '1 币 = 100,000,000 基本单位；按精确值读取，绝不当作浮点数。',
    send: '签名并发送',
    empty: '请输入币的数量，例如 1.5。',
    syntax: '币数由数字和最多一个小数点组成，例如 1.5（不能有符号、逗号或指数）。',
    decimals: '最多 8 位小数：1 币等于 100,000,000 基本单位。',
    range: '数额太大：最多 92,233,720,368.54775807 币。',
    zero: '至少发送 1 个基本单位（0.00000001 币）。',
    badAddress: '不是本网络的地址：{message}',
    signedTitle: '你签名的内容',
    signedLead:
      '签名覆盖这 113 个字节：一个标签、链 ID（因此只在本网络有效）、你的公钥、收款方、金额、手续费和 `nonce`（因此只能使用一次），每个数字都是 8 字节大端序。',
    part: '部分',
    bytes: '字节数',
    hex: '十六进制',
    partTag: '标签 `BFTX1`',
    partChain: '链 ID',
    partFrom: '付款方（公钥）',
    partTo: '收款方（账户 ID）',
    partAmount: '金额',
    partFee: '手续费',
    partNonce: '`nonce`',
    message: '消息（113 字节）',
    signature: '`Ed25519` 签名（64 字节）',
    txId: '交易 ID：`sha256(消息 ‖ 签名)`',
    sentJson: '发送给 `POST /transactions` 的 JSON',
    browserVerdict: '浏览器的判定',
    nodeVerdict: '节点的判定',
    browserOk: '有效：`verifyPayment`（核心代码，在此运行）接受这个签名',
    browserBad: '无效：`verifyPayment`（核心代码，在此运行）拒绝这个签名',
    nodeWaiting: '正在等待节点…',
    accepted: '{status} 已接受：待处理，预计进入区块 {block}',
    refused: '{status} {code}：{message}',
    refusedField: '{status} {code}（字段 {field}）：{message}',
    statusTitle: '你的付款',
    pending: '待处理：等待被打包。',
    confirmed: '已在区块 {block} 中确认：{n} 个确认。',
    confirmedOne: '已在区块 {block} 中确认：1 个确认。',
    gone: '节点已不再知道这笔付款（被替换或丢弃）。',
    returned: '已退回交易池：一次重组用另一条分支替换了包含它的区块 {block}。正在等待重新打包。',
    wasIn: '它最初在区块 {block} 中确认，该区块已被重组替换。',
    statusReturned: '已退回交易池',
    openTx: '打开交易 {id}',
    historyTitle: '历史记录',
    noHistory: '还没有交易。',
    kind: '类型',
    id: 'ID',
    fromTo: '付款方 → 收款方',
    status: '状态',
    confirmations: '确认数',
    payment: '付款',
    reward: '奖励',
    statusPending: '待处理',
    statusConfirmed: '已确认',
    advancedTitle: '高级：粘贴一笔已签名付款的 JSON',
    advancedLead: '按粘贴的原样发送给节点。改动签名中的一个数字，两个判定都会改变：浏览器的检查和节点的拒绝。',
    pasteLabel: '已签名付款的 JSON',
    fillForged: '粘贴我上一笔付款，并篡改其签名',
    checkSend: '检查并原样发送',
    pastedUnreadable: '无法作为付款读取：{code}：{message}',
    pastedEmpty: '请先粘贴一笔付款的 JSON。',
  },
);

const PART_LABELS: Record<MessagePart, Parameters<typeof t>[0]> = {
  tag: 'partTag',
  chain: 'partChain',
  from: 'partFrom',
  to: 'partTo',
  amount: 'partAmount',
  fee: 'partFee',
  nonce: 'partNonce',
};

/** The node's answer to a POST, as it sent it. */
interface NodeVerdict {
  readonly status: number;
  readonly ok: boolean;
  readonly code?: string;
  readonly message?: string;
  readonly field?: string;
  readonly expectedBlock?: number;
}

/** A payment sent from this page and what became of it. */
interface Sent {
  readonly payment: SignedPayment;
  node: NodeVerdict | null;
  /** From GET /transactions/:id. */
  status: 'pending' | 'confirmed' | 'gone' | null;
  height?: number;
  /** The hash of the block that holds it, to see a reorg replace that block. */
  blockHash?: string;
  confirmations?: number;
  /** The height of the block that held it before a reorg replaced that block. */
  reorgedFrom?: number;
}

/** GET /accounts/:address. */
interface AccountView {
  readonly address: string;
  readonly balance: string;
  readonly locked: string;
  readonly nonce: string;
  readonly pending_balance: string;
  readonly next_nonce: string;
  readonly height: number;
}

/** One line of GET /accounts/:address/transactions. */
interface HistoryLine {
  readonly id: string;
  readonly kind: 'payment' | 'reward';
  readonly from?: string;
  readonly to: string;
  readonly amount: string;
  readonly fee?: string;
  readonly status: 'pending' | 'confirmed';
  readonly height?: number;
  readonly confirmations?: number;
}

// The page's session, kept across redraws (a language switch redraws the page): the unlocked key
// lives in this tab's memory only, until Lock or the tab closes.
let store: KeyStore | null = null;
let session: { key: UnlockedKey; stored: StoredKey | undefined } | null = null;
let lastSent: Sent | null = null;
let lastPasted: Sent | null = null;

function keyStore(): KeyStore {
  store ??= new IndexedDbKeyStore();
  return store;
}

/** Posts a payment body as is; resolves with the node's answer, refusals included. */
async function postPayment(body: string): Promise<NodeVerdict> {
  try {
    const text = await requestText('/transactions', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const answer = JSON.parse(text) as { expected_block?: number };
    return {
      status: 202,
      ok: true,
      ...(answer.expected_block === undefined ? {} : { expectedBlock: answer.expected_block }),
    };
  } catch (err) {
    if (err instanceof ApiError) {
      return {
        status: err.status,
        ok: false,
        code: err.code,
        message: err.message,
        ...(err.field === undefined ? {} : { field: err.field }),
      };
    }
    throw err;
  }
}

function nodeVerdictText(verdict: NodeVerdict | null): string {
  if (verdict === null) return t('nodeWaiting');
  if (verdict.ok) return t('accepted', { status: String(verdict.status), block: String(verdict.expectedBlock ?? '?') });
  const vars = { status: String(verdict.status), code: verdict.code ?? '', message: verdict.message ?? '' };
  return verdict.field ? t('refusedField', { ...vars, field: verdict.field }) : t('refused', vars);
}

function keyErrorText(err: unknown): string {
  if (err instanceof WalletKeyError) return t(err.problem, err.detail);
  if (err instanceof BlockforgeError) return t('keyError', { code: err.code, message: err.message });
  return (err as Error).message;
}

function coinsProblem(problem: CoinsProblem): string {
  return t(problem);
}

const mark = (ok: boolean): Child => h('span', { class: ok ? 'ok' : 'bad', 'aria-hidden': 'true' }, ok ? '✔' : '✘');

/** A labelled field of a form. */
function field(
  id: string,
  label: string,
  input: HTMLInputElement | HTMLTextAreaElement,
  hint: Child = null,
): { box: HTMLElement; error: HTMLElement } {
  input.id = id;
  const error = h('p', { id: `${id}-error`, class: 'field-error', role: 'alert' });
  input.setAttribute('aria-describedby', `${id}-error${hint ? ` ${id}-hint` : ''}`);
  const box = h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hint ? h('p', { id: `${id}-hint`, class: 'hint' }, hint) : null,
    error,
  );
  return { box, error };
}

function setError(input: HTMLElement, error: HTMLElement, text: string): void {
  error.textContent = text;
  if (text) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

/** Renders the wallet page into `main`; returns its cleanup. */
export function renderWallet(main: HTMLElement, _arg?: string): () => void {
  return whenLedger(main, t('title'), renderLedgerWallet);
}

function renderLedgerWallet(main: HTMLElement): () => void {
  const heading = h('h1', { tabindex: '-1' }, t('title'));
  const body = h('div', { class: 'wallet-page' });
  main.append(heading, h('p', { class: 'lead' }, rich(t('lead'))), body);
  let closed = false;
  let exportUrl: string | null = null;
  let off: () => void = () => undefined;

  const keyCard = h('section', { class: 'card wallet-key', 'data-testid': 'wallet-key' });
  const accountCard = h('section', { class: 'card wallet-account', 'data-testid': 'wallet-account' });
  const sendCard = h('section', { class: 'card wallet-send', 'data-testid': 'wallet-send' });
  const signedCard = h('section', { class: 'card wallet-signed', 'data-testid': 'wallet-signed' });
  const historyCard = h('section', { class: 'card wallet-history', 'data-testid': 'wallet-history' });
  const advanced = h('details', { class: 'card wallet-advanced', 'data-testid': 'wallet-advanced' });

  void loadWalletNetwork().then(
    (network) => {
      if (closed) return;
      body.append(keyCard, accountCard, sendCard, signedCard, historyCard, advanced);
      start(network);
    },
    (err: Error) => {
      if (!closed) body.append(h('p', { class: 'bad', role: 'alert' }, t('cannotLoad', { error: err.message })));
    },
  );

  function start(network: WalletNetwork): void {
    let account: AccountView | null = null;
    let history: HistoryLine[] | null = null;

    // ---- The key. ----
    const drawKey = async (): Promise<void> => {
      if (exportUrl) URL.revokeObjectURL(exportUrl);
      exportUrl = null;
      if (session) {
        const { key, stored } = session;
        let exportLink: Child = null;
        if (stored) {
          exportUrl = URL.createObjectURL(new Blob([keystoreJson(stored.keystore)], { type: 'application/json' }));
          exportLink = h(
            'p',
            null,
            h(
              'a',
              {
                href: exportUrl,
                download: `blockforge-keystore-${key.address}.json`,
                class: 'button-link',
                'data-testid': 'wallet-export',
              },
              t('export'),
            ),
            ' ',
            h('span', { class: 'hint' }, rich(t('exportHint'))),
          );
        }
        const lock = h('button', { type: 'button' }, t('lock'));
        lock.addEventListener('click', () => {
          session?.key.secretKey.fill(0);
          session = null;
          account = null;
          history = null;
          redraw();
        });
        replace(
          keyCard,
          h('h2', null, t('keyTitle'), ' ', h('span', { class: 'badge ok' }, t('unlocked'))),
          h(
            'dl',
            { class: 'kv' },
            h('dt', null, t('address')),
            h('dd', null, h('code', { class: 'hash', 'data-testid': 'wallet-address' }, key.address)),
            h('dt', null, t('publicKey')),
            h('dd', null, h('code', { class: 'hash' }, toHex(key.publicKey))),
          ),
          exportLink,
          h('p', null, lock),
        );
        return;
      }
      const keys = await keysOf(keyStore(), network.hrp);
      if (closed || session) return;
      const storedList =
        keys.length === 0
          ? h('p', { class: 'muted' }, t('noStored'))
          : h('ul', { class: 'wallet-stored' }, keys.map(storedKeyItem));
      replace(
        keyCard,
        h('h2', null, t('keyTitle')),
        h('h3', null, t('storedKeys')),
        storedList,
        makeForm(),
        importForm(),
      );
    };

    const opened = (key: UnlockedKey, stored: StoredKey | undefined): void => {
      session = { key, stored };
      redraw();
      void refresh();
    };

    const storedKeyItem = (stored: StoredKey): HTMLElement => {
      const pass = h('input', { type: 'password', autocomplete: 'current-password' });
      const { box, error } = field(`unlock-${stored.address}`, t('passphrase'), pass);
      const status = h('p', { class: 'muted', role: 'status' });
      const unlock = h('button', { type: 'submit', class: 'primary' }, t('unlock'));
      const remove = h('button', { type: 'button' }, t('remove'));
      const form = h('form', { class: 'wallet-unlock' }, box, h('div', { class: 'row' }, unlock, remove), status);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        setError(pass, error, '');
        status.textContent = t('working');
        unlock.disabled = true;
        unlockStored(keyStore(), stored.address, pass.value).then(
          (key) => {
            if (!closed) opened(key, stored);
          },
          (err) => {
            status.textContent = '';
            unlock.disabled = false;
            setError(pass, error, keyErrorText(err));
          },
        );
      });
      remove.addEventListener('click', () => {
        if (!window.confirm(t('removeConfirm'))) return;
        void keyStore()
          .remove(stored.address)
          .then(() => drawKey());
      });
      return h('li', null, h('code', { class: 'hash', 'data-testid': 'stored-address' }, stored.address), form);
    };

    const makeForm = (): HTMLElement => {
      const pass = h('input', { type: 'password', autocomplete: 'new-password' });
      const again = h('input', { type: 'password', autocomplete: 'new-password' });
      const p1 = field('make-pass', t('passphrase'), pass);
      const p2 = field('make-again', t('repeat'), again);
      const status = h('p', { class: 'muted', role: 'status' });
      const button = h('button', { type: 'submit', class: 'primary' }, t('make'));
      const form = h(
        'form',
        { class: 'wallet-make', 'data-testid': 'wallet-make' },
        h('h3', null, t('makeTitle')),
        h('p', { class: 'hint' }, rich(t('makeHint'))),
        p1.box,
        p2.box,
        button,
        status,
      );
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        setError(pass, p1.error, '');
        setError(again, p2.error, '');
        status.textContent = t('working');
        button.disabled = true;
        makeKey(keyStore(), network.hrp, pass.value, again.value).then(
          async (key) => {
            const stored = await keyStore().get(key.address);
            if (!closed) opened(key, stored);
          },
          (err) => {
            status.textContent = '';
            button.disabled = false;
            if (err instanceof WalletKeyError && err.problem === 'passphraseMismatch') {
              setError(again, p2.error, keyErrorText(err));
            } else setError(pass, p1.error, keyErrorText(err));
          },
        );
      });
      return form;
    };

    const importForm = (): HTMLElement => {
      const file = h('input', { type: 'file', accept: '.json,application/json' });
      const pass = h('input', { type: 'password', autocomplete: 'current-password' });
      const f1 = field('import-file', t('file'), file);
      const f2 = field('import-pass', t('passphrase'), pass);
      const status = h('p', { class: 'muted', role: 'status' });
      const button = h('button', { type: 'submit', class: 'primary' }, t('import'));
      const form = h(
        'form',
        { class: 'wallet-import', 'data-testid': 'wallet-import' },
        h('h3', null, t('importTitle')),
        h('p', { class: 'hint' }, rich(t('importHint'))),
        f1.box,
        f2.box,
        button,
        status,
      );
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        setError(file, f1.error, '');
        setError(pass, f2.error, '');
        const chosen = file.files?.[0];
        if (!chosen) {
          setError(file, f1.error, t('noFile'));
          return;
        }
        status.textContent = t('working');
        button.disabled = true;
        chosen
          .text()
          .then((text) => importKey(keyStore(), network.hrp, text, pass.value))
          .then(
            async (key) => {
              const stored = await keyStore().get(key.address);
              if (!closed) opened(key, stored);
            },
            (err) => {
              status.textContent = '';
              button.disabled = false;
              const wrongPass = err instanceof BlockforgeError && err.code === 'WRONG_PASSPHRASE';
              const needPass = err instanceof WalletKeyError && err.problem === 'needPassphrase';
              if (wrongPass || needPass) setError(pass, f2.error, keyErrorText(err));
              else setError(file, f1.error, keyErrorText(err));
            },
          );
      });
      return form;
    };

    // ---- The account. ----
    const coinsCell = (units: string | undefined, testid: string): Child => {
      const n = unitsOf(units);
      return h(
        'dd',
        null,
        h('span', { class: 'num', 'data-testid': testid }, n === null ? '—' : t('coins', { n: formatCoins(n) })),
        n === null ? null : h('span', { class: 'muted small' }, ' (', t('units', { n: formatNumber(Number(n)) }), ')'),
      );
    };

    const drawAccount = (): void => {
      if (!session) {
        accountCard.hidden = true;
        return;
      }
      accountCard.hidden = false;
      const a = account;
      replace(
        accountCard,
        h('h2', null, t('accountTitle')),
        h(
          'dl',
          { class: 'kv' },
          h('dt', null, t('balance')),
          coinsCell(a?.balance, 'wallet-balance'),
          h('dt', null, t('locked')),
          coinsCell(a?.locked, 'wallet-locked'),
          h('dd', { class: 'hint' }, t('lockedHint', { n: network.maturity })),
          h('dt', null, t('pendingBalance')),
          coinsCell(a?.pending_balance, 'wallet-pending-balance'),
          h('dt', null, rich(t('nextNonce'))),
          h('dd', null, h('span', { class: 'num', 'data-testid': 'wallet-nonce' }, a?.next_nonce ?? '—')),
          h('dt', null, t('atHeight')),
          h('dd', null, h('span', { class: 'num', 'data-testid': 'wallet-height' }, a ? String(a.height) : '—')),
        ),
      );
    };

    // ---- The send form (built once per unlock, so typing survives refreshes). ----
    let sendFor: string | null = null;
    const drawSend = (): void => {
      if (!session) {
        sendCard.hidden = true;
        sendFor = null;
        return;
      }
      sendCard.hidden = false;
      if (sendFor === session.key.address) return;
      sendFor = session.key.address;
      const to = h('input', {
        type: 'text',
        autocomplete: 'off',
        spellcheck: 'false',
        placeholder: `${network.hrp}1…`,
      });
      const amount = h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off', placeholder: '1.5' });
      const fee = h('input', { type: 'text', inputmode: 'decimal', autocomplete: 'off' });
      fee.value = formatCoins(network.minFee);
      const units = (input: HTMLInputElement, out: HTMLElement, allowZero: boolean): void => {
        const parsed = parseCoins(input.value, allowZero);
        out.textContent = parsed.ok ? t('units', { n: parsed.units.toString() }) : '';
      };
      const amountUnits = h('span', { class: 'muted small', 'data-testid': 'amount-units' });
      const feeUnits = h('span', { class: 'muted small', 'data-testid': 'fee-units' });
      amount.addEventListener('input', () => units(amount, amountUnits, false));
      fee.addEventListener('input', () => units(fee, feeUnits, true));
      units(fee, feeUnits, true);
      const fTo = field('pay-to', t('to'), to);
      const fAmount = field('pay-amount', t('amount'), amount, [t('amountHint'), ' ', amountUnits]);
      const fFee = field('pay-fee', t('fee'), fee, [
        t('feeHint', { min: formatCoins(network.minFee), units: network.minFee.toString() }),
        ' ',
        feeUnits,
      ]);
      const button = h('button', { type: 'submit', class: 'primary' }, t('send'));
      const form = h(
        'form',
        { class: 'wallet-pay' },
        h('div', { class: 'fields' }, fTo.box, fAmount.box, fFee.box),
        button,
      );
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        if (!session) return;
        const a = parseCoins(amount.value);
        const f = parseCoins(fee.value, true);
        setError(amount, fAmount.error, a.ok ? '' : coinsProblem(a.problem));
        setError(fee, fFee.error, f.ok ? '' : coinsProblem(f.problem));
        setError(to, fTo.error, '');
        if (!a.ok || !f.ok) {
          (a.ok ? fee : amount).focus();
          return;
        }
        const key = session.key;
        button.disabled = true;
        // The nonce now, not as last drawn: another payment may have been sent since.
        getJson<AccountView>(`/accounts/${encodeURIComponent(key.address)}`)
          .then(async (fresh) => {
            let payment: SignedPayment;
            try {
              payment = signNewPayment(
                network,
                key.secretKey,
                key.publicKey,
                to.value,
                a.units,
                f.units,
                BigInt(fresh.next_nonce),
              );
            } catch (err) {
              const message = err instanceof Error ? err.message : String(err);
              setError(to, fTo.error, t('badAddress', { message }));
              to.focus();
              return;
            }
            lastSent = { payment, node: null, status: null };
            drawSigned();
            signedCard.scrollIntoView({ block: 'nearest' });
            const sent = lastSent;
            sent.node = await postPayment(payment.body);
            if (sent.node.ok) sent.status = 'pending';
            drawSigned();
            void refresh();
          })
          .catch((err: Error) => {
            setError(to, fTo.error, err.message);
          })
          .finally(() => {
            button.disabled = false;
          });
      });
      replace(sendCard, h('h2', null, t('sendTitle')), form);
    };

    // ---- What was signed, and the two verdicts. ----
    const signedView = (sent: Sent, prefix: string): Child[] => {
      const p = sent.payment;
      const parts = h(
        'table',
        { class: 'table stack wallet-parts' },
        h('thead', null, h('tr', null, h('th', null, t('part')), h('th', null, t('bytes')), h('th', null, t('hex')))),
        h(
          'tbody',
          null,
          messageParts(p.messageHex).map(({ part, hex }) =>
            h(
              'tr',
              { class: `part-${part}` },
              h('td', null, rich(t(PART_LABELS[part]))),
              h('td', { class: 'num' }, String(hex.length / 2)),
              h('td', null, h('code', { class: 'hex' }, hex)),
            ),
          ),
        ),
      );
      return [
        h('div', { class: 'table-wrap' }, labelCells(parts)),
        h('h3', null, t('message')),
        h('code', { class: 'hex block', 'data-testid': `${prefix}-message` }, p.messageHex),
        h('h3', null, rich(t('signature'))),
        h('code', { class: 'hex block', 'data-testid': `${prefix}-signature` }, p.signatureHex),
        h('h3', null, rich(t('txId'))),
        h('code', { class: 'hex block', 'data-testid': `${prefix}-id` }, p.id),
        h('h3', null, rich(t('sentJson'))),
        h('pre', { class: 'wallet-json', 'data-testid': `${prefix}-json` }, p.body),
        h(
          'div',
          { class: 'wallet-verdicts' },
          h(
            'div',
            { class: `verdict-box ${p.browserValid ? 'ok' : 'bad'}` },
            h('h3', null, t('browserVerdict')),
            h(
              'p',
              { 'data-testid': `${prefix}-browser-verdict` },
              mark(p.browserValid),
              ' ',
              rich(t(p.browserValid ? 'browserOk' : 'browserBad')),
            ),
          ),
          nodeBox(sent.node, `${prefix}-node-verdict`),
        ),
      ];
    };

    const nodeBox = (verdict: NodeVerdict | null, testid: string): HTMLElement =>
      h(
        'div',
        { class: `verdict-box ${verdict === null ? '' : verdict.ok ? 'ok' : 'bad'}` },
        h('h3', null, t('nodeVerdict')),
        h(
          'p',
          { 'data-testid': testid, role: 'status' },
          verdict === null ? null : mark(verdict.ok),
          verdict === null ? null : ' ',
          nodeVerdictText(verdict),
        ),
      );

    const statusLine = (sent: Sent): Child => {
      if (!sent.node?.ok) return null;
      const id = sent.payment.id;
      let text: string;
      const reorged = sent.reorgedFrom !== undefined;
      if (sent.status === 'confirmed') {
        const vars = { block: String(sent.height ?? '?'), n: sent.confirmations ?? 0 };
        text = sent.confirmations === 1 ? t('confirmedOne', vars) : t('confirmed', vars);
        if (reorged) text += ` ${t('wasIn', { block: String(sent.reorgedFrom) })}`;
      } else if (sent.status === 'gone') text = t('gone');
      else if (reorged) text = t('returned', { block: String(sent.reorgedFrom) });
      else text = t('pending');
      const badge =
        sent.status === 'confirmed' ? 'statusConfirmed' : reorged ? 'statusReturned' : ('statusPending' as const);
      return h(
        'div',
        { class: 'wallet-status' },
        h('h3', null, t('statusTitle')),
        h(
          'p',
          {
            'data-testid': 'sent-status',
            'data-status': sent.status ?? 'pending',
            'data-reorged': String(reorged),
            role: 'status',
          },
          h('span', { class: `badge ${sent.status === 'confirmed' ? 'ok' : reorged ? 'returned' : ''}` }, t(badge)),
          ' ',
          text,
        ),
        h(
          'p',
          null,
          h('a', { href: `#/tx/${id}`, 'data-testid': 'sent-link' }, t('openTx', { id: shortHash(id, 16) })),
        ),
      );
    };

    const drawSigned = (): void => {
      if (fillButton) fillButton.disabled = lastSent === null;
      if (!lastSent) {
        signedCard.hidden = true;
        return;
      }
      signedCard.hidden = false;
      replace(
        signedCard,
        h('h2', null, t('signedTitle')),
        h('p', { class: 'hint' }, rich(t('signedLead'))),
        signedView(lastSent, 'signed'),
        statusLine(lastSent),
      );
    };

    // ---- History. ----
    const drawHistory = (): void => {
      if (!session) {
        historyCard.hidden = true;
        return;
      }
      historyCard.hidden = false;
      const lines = history;
      if (lines === null || lines.length === 0) {
        replace(
          historyCard,
          h('h2', null, t('historyTitle')),
          h('p', { class: 'muted' }, lines === null ? '…' : t('noHistory')),
        );
        return;
      }
      const table = h(
        'table',
        { class: 'table stack', 'data-testid': 'wallet-history-table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            [t('kind'), t('id'), t('fromTo'), t('amount'), t('status'), t('confirmations')].map((c) =>
              h('th', null, c),
            ),
          ),
        ),
        h(
          'tbody',
          null,
          lines.map((line) =>
            h(
              'tr',
              { 'data-id': line.id },
              h('td', null, t(line.kind === 'reward' ? 'reward' : 'payment')),
              h('td', null, h('a', { href: `#/tx/${line.id}` }, h('code', null, shortHash(line.id, 10)))),
              h(
                'td',
                { class: 'wallet-fromto' },
                line.from ? h('code', null, shortHash(line.from, 14)) : '—',
                ' → ',
                h('code', null, shortHash(line.to, 14)),
              ),
              h('td', { class: 'num' }, formatCoins(unitsOf(line.amount) ?? 0n)),
              h('td', null, t(line.status === 'confirmed' ? 'statusConfirmed' : 'statusPending')),
              h('td', { class: 'num' }, line.confirmations === undefined ? '—' : String(line.confirmations)),
            ),
          ),
        ),
      );
      replace(historyCard, h('h2', null, t('historyTitle')), h('div', { class: 'table-wrap' }, labelCells(table)));
    };

    // ---- Advanced: a pasted payment, posted as is. ----
    let fillButton: HTMLButtonElement | null = null;
    const drawAdvanced = (): void => {
      const area = h('textarea', { rows: 8, spellcheck: 'false', class: 'code-input' });
      if (lastPasted) area.value = lastPasted.payment.body;
      const f = field('paste-json', t('pasteLabel'), area);
      const out = h('div', { class: 'wallet-pasted', 'data-testid': 'pasted-out' });
      const fill = h('button', { type: 'button', 'data-testid': 'fill-forged' }, t('fillForged'));
      fillButton = fill;
      fill.disabled = lastSent === null;
      fill.addEventListener('click', () => {
        if (lastSent) area.value = forgeSignature(lastSent.payment.body);
      });
      const send = h('button', { type: 'submit', class: 'primary' }, t('checkSend'));
      const form = h('form', { class: 'wallet-paste' }, f.box, h('div', { class: 'row' }, fill, send), out);
      const drawPasted = (unreadable: { code: string; message: string } | null, node: NodeVerdict | null): void => {
        if (unreadable) {
          replace(
            out,
            h(
              'div',
              { class: 'wallet-verdicts' },
              h(
                'div',
                { class: 'verdict-box bad' },
                h('h3', null, t('browserVerdict')),
                h(
                  'p',
                  { 'data-testid': 'pasted-browser-verdict' },
                  mark(false),
                  ' ',
                  t('pastedUnreadable', unreadable),
                ),
              ),
              nodeBox(node, 'pasted-node-verdict'),
            ),
          );
        } else if (lastPasted) replace(out, signedView(lastPasted, 'pasted'));
      };
      if (lastPasted) drawPasted(null, lastPasted.node);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const text = area.value;
        if (text.trim() === '') {
          setError(area, f.error, t('pastedEmpty'));
          return;
        }
        setError(area, f.error, '');
        const checked = checkPastedPayment(text, network.hrp);
        let unreadable: { code: string; message: string } | null = null;
        if (checked.ok) {
          lastPasted = { payment: checked.payment, node: null, status: null };
        } else {
          lastPasted = null;
          unreadable = { code: checked.code, message: checked.message };
        }
        drawPasted(unreadable, null);
        send.disabled = true;
        void postPayment(text)
          .then((node) => {
            if (lastPasted) lastPasted.node = node;
            drawPasted(unreadable, node);
            if (node.ok) void refresh();
          })
          .finally(() => {
            send.disabled = false;
          });
      });
      replace(advanced, h('summary', null, t('advancedTitle')), h('p', { class: 'hint' }, t('advancedLead')), form);
    };

    // ---- Live figures: on every block and every pending change. ----
    let running = false;
    let again = false;
    const refresh = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          await refreshOnce();
        } while (again && !closed);
      } finally {
        running = false;
      }
    };
    const refreshOnce = async (): Promise<void> => {
      const sent = lastSent;
      const jobs: Promise<unknown>[] = [];
      if (session) {
        const address = encodeURIComponent(session.key.address);
        jobs.push(
          getJson<AccountView>(`/accounts/${address}`).then((a) => {
            account = a;
          }),
          getJson<{ transactions: HistoryLine[] }>(`/accounts/${address}/transactions?limit=20`).then((answer) => {
            history = answer.transactions;
          }),
        );
      }
      if (sent?.node?.ok) {
        jobs.push(
          getJson<{ status: 'pending' | 'confirmed'; height?: number; block_hash?: string; confirmations?: number }>(
            `/transactions/${sent.payment.id}`,
          ).then(
            (answer) => {
              // Its block no longer on the chain (back to pending, or now in another block): a reorg.
              if (sent.status === 'confirmed' && sent.blockHash !== undefined && answer.block_hash !== sent.blockHash) {
                sent.reorgedFrom = sent.height;
              }
              sent.status = answer.status;
              if (answer.status === 'confirmed') {
                sent.height = answer.height;
                sent.blockHash = answer.block_hash;
                sent.confirmations = answer.confirmations;
              } else {
                delete sent.height;
                delete sent.blockHash;
                delete sent.confirmations;
              }
            },
            (err) => {
              if (err instanceof ApiError && err.status === 404) sent.status = 'gone';
            },
          ),
        );
      }
      await Promise.allSettled(jobs);
      if (closed) return;
      drawAccount();
      drawHistory();
      drawSigned();
    };

    const redraw = (): void => {
      void drawKey();
      drawAccount();
      drawSend();
      drawSigned();
      drawHistory();
    };

    redraw();
    drawAdvanced();
    void refresh();
    off = subscribe(['chain', 'pending'], () => void refresh());
  }

  return () => {
    closed = true;
    off();
    if (exportUrl) URL.revokeObjectURL(exportUrl);
  };
}
