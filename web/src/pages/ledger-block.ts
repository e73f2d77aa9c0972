/**
 * A ledger block, explained: its header fields, its hash against its target (leading zero bits, and
 * the hashes a target means), the merkle tree of its transactions drawn from their ids, and a
 * tamper box that re-checks an edited copy with the node's own rules (the ledger profile built from
 * GET /genesis, run in the browser). Re-mine searches a nonce for the edited copy in a Web Worker:
 * the copy becomes valid again, and the next block's `parent` link breaks.
 */

import './ledger-block.css';
import { canonicalJson, hashJson } from '../../../src/core/canonical.js';
import { BranchValidator } from '../../../src/core/chain.js';
import { BlockforgeError } from '../../../src/core/errors.js';
import {
  isJsonObject,
  JsonNumber,
  type JsonObject,
  type JsonValue,
  newJsonObject,
  parseJson,
} from '../../../src/core/json.js';
import { workOf } from '../../../src/core/ledger/asert.js';
import {
  clientTxError,
  decodeCoinbase,
  decodePayment,
  fromHex,
  type LedgerBlock,
  type LedgerTransaction,
  merkleOf,
  Payment,
} from '../../../src/core/ledger/codec.js';
import { type GenesisSpec, parseGenesis } from '../../../src/core/ledger/genesis.js';
import { createLedgerProfile, type LedgerProfile } from '../../../src/core/ledger/ledger-profile.js';
import { leafHash, nodeHash } from '../../../src/core/ledger/merkle.js';
import { zerosOfTarget } from '../../../src/core/pow.js';
import type { ChainView } from '../../../src/core/profile.js';
import { sha256Bytes, toHex } from '../../../src/core/sha256.js';
import { getLossless } from '../api.js';
import { type Child, h, replace, rich } from '../dom.js';
import { prettyJson } from '../format.js';
import { formatDateTime, formatNumber, messages, onLanguageChange } from '../i18n.js';
import type { RemineJob, RemineMessage } from '../remine-worker.js';
import { state, subscribe } from '../store.js';

const t = messages(
  'ledger-block',
  {
    title: 'Block #{n}',
    titleGenesis: 'Block #1 (genesis)',
    loading: 'Loading…',
    noBlock: 'There is no block #{n}: the chain has {count} blocks.',
    backToChain: 'Back to the chain',
    cannotCheck: 'This page cannot check this network: {error}',
    previous: '← Block #{n}',
    next: 'Block #{n} →',
    neighbours: 'Neighbouring blocks',
    headerTitle: 'Header',
    headerLead:
      'The header is what is hashed and mined. It commits to the transactions through the merkle root, and to the chain through its parent.',
    height: 'height',
    parent: 'parent',
    parentGenesis: '64 zeros: the genesis has no parent',
    merkle: 'merkle root',
    time: 'time',
    target: 'target',
    nonce: 'nonce',
    version: 'version',
    hash: 'header hash (computed here)',
    txCount: 'transactions',
    size: 'size',
    bytes: '{n} bytes',
    powTitle: 'Proof of work: the hash against the target',
    powLead:
      'The header hash, read as a 256-bit number, must be at most the target. A hash meets a target with probability (target + 1) / 2^256, so a miner tries about {hashes} hashes on average (the block’s work).',
    powGenesis: 'The genesis block needs no proof of work: its hash is fixed by the genesis file.',
    hashBits: 'The hash starts with {n} zero bits',
    targetBits: 'The target starts with {n} zero bits',
    expected: 'expected hashes',
    meets: 'hash ≤ target: the proof of work holds',
    fails: 'hash > target: the proof of work fails',
    bitsExplain:
      'Every hash with more than {n} leading zero bits meets this target; with exactly {n}, the bits after them decide.',
    merkleTitle: 'Merkle tree',
    merkleLead:
      'Each leaf is sha256(0x00 ‖ transaction id), each inner node sha256(0x01 ‖ left ‖ right) (RFC 6962). Change one transaction and every node above it changes, up to the root in the header.',
    merkleOk: 'The root computed here equals the header’s merkle root.',
    merkleBad: 'The root computed here differs from the header’s merkle root.',
    merkleTooBig: 'This block has {n} transactions: the tree is not drawn above {max}.',
    merkleEmpty: 'No transactions: the root is sha256 of nothing.',
    root: 'root',
    leafReward: 'tx {n} · reward',
    leafPayment: 'tx {n} · payment',
    txTitle: 'Transactions',
    colIndex: '#',
    colId: 'id',
    colKind: 'kind',
    colFrom: 'from',
    colTo: 'to',
    colAmount: 'amount',
    colFee: 'fee',
    kindReward: 'reward',
    kindPayment: 'payment',
    tamperTitle: 'Tamper with a copy',
    tamperLead:
      'Edit this copy of the block (change an amount, the time, the nonce…). The browser re-checks it with the node’s own rules, against the blocks before it, and names the rule it breaks. The node’s chain is not touched.',
    tamperLabel: 'Block JSON (an editable copy)',
    check: 'Check my copy',
    reset: 'Reset the copy',
    remine: 'Re-mine',
    stop: 'Stop',
    remineHelp:
      'Re-mine recomputes the merkle root of the copy’s transactions and searches a nonce whose hash meets the block’s target, in a Web Worker with the core’s TypeScript kernel.',
    notJson: 'This copy is not JSON:',
    coreSays: 'the core’s words:',
    ruleL1: 'shape: the block, its header or a payment has not exactly its keys, each of its type and spelling',
    ruleL2: 'height: the height is not the parent’s plus one',
    ruleL3: 'link: `parent` is not the parent’s header hash',
    ruleL4: 'target: `target` is not what ASERT gives after this parent',
    ruleL5: 'proof of work: the header hash is above `target`',
    ruleL6: 'time: `time` is not after the median time of the last 11 blocks',
    ruleL7: 'merkle root: `merkle` is not the root over the transactions’ ids',
    ruleL8: 'reward: the reward is missing, misplaced, or pays more than the block reward plus the fees',
    ruleL9: 'signature: a payment names another chain, or its signature is not its sender’s',
    ruleL10: 'nonce: a payment’s `nonce` is not its sender’s next one',
    ruleL11: 'balance: a sender’s balance does not cover `amount + fee`',
    ruleL12: 'size: too many transactions, or too many bytes of canonical JSON',
    ownOk: 'Block #{n} passes every rule on its own (checked against blocks #1 to #{prev}).',
    ownOkGenesis: 'Block #1 is this network’s genesis block.',
    ownBad: 'The node would refuse this block:',
    rule: 'rule {rule}',
    ruleExplained: 'rule {rule}: {what}',
    nextOk: 'Block #{next} still follows it.',
    nextBad: 'Block #{next} now breaks a rule:',
    nextBadLead:
      'Its parent is the hash of the original block #{n}. Fixing one block breaks every later one: each would have to be re-mined, faster than the rest of the network mines new blocks.',
    copyHash: 'Hash of this copy',
    labelled: '{label}: ',
    copyBits: '{n} leading zero bits (the target has {target})',
    strip: 'The chain from block #{n} with this copy in place',
    stripOk: '#{n} valid',
    stripBad: '#{n} refused',
    stripFollows: '#{n} follows a refused block',
    mining: 'Searching… {hashes} hashes in {seconds} s ({rate} hashes/s)',
    found: 'Found nonce {nonce} after {hashes} hashes in {seconds} s ({rate} hashes/s).',
    stopped: 'Stopped after {hashes} hashes.',
    exhausted: 'No nonce up to 2^53 − 1 meets this target.',
    cannotRemine: 'Re-mine needs a copy with a header object and a 64-hex target: {error}',
    workerFailed: 'The worker failed: {error}',
  },
  {
    title: '区块 #{n}',
    titleGenesis: '区块 #1（创世区块）',
    loading: '加载中…',
    noBlock: '没有区块 #{n}：链上共有 {count} 个区块。',
    backToChain: '返回区块链',
    cannotCheck: '本页无法校验这个网络：{error}',
    previous: '← 区块 #{n}',
    next: '区块 #{n} →',
    neighbours: '相邻区块',
    headerTitle: '区块头',
    headerLead: '区块头是被哈希和挖矿的部分。它通过默克尔根承诺所有交易，通过父哈希连接到链上。',
    height: '高度',
    parent: '父区块',
    parentGenesis: '64 个零：创世区块没有父区块',
    merkle: '默克尔根',
    time: '时间',
    target: '目标值',
    nonce: '随机数',
    version: '版本',
    hash: '区块头哈希（在此计算）',
    txCount: '交易数',
    size: '大小',
    bytes: '{n} 字节',
    powTitle: '工作量证明：哈希与目标值',
    powLead:
      '区块头哈希按 256 位整数读取，必须不大于目标值。一个哈希满足目标值的概率是 (目标值 + 1) / 2^256，因此矿工平均要尝试约 {hashes} 次哈希（即该区块的工作量）。',
    powGenesis: '创世区块不需要工作量证明：它的哈希由创世文件确定。',
    hashBits: '哈希以 {n} 个零比特开头',
    targetBits: '目标值以 {n} 个零比特开头',
    expected: '预期哈希次数',
    meets: '哈希 ≤ 目标值：工作量证明成立',
    fails: '哈希 > 目标值：工作量证明不成立',
    bitsExplain: '前导零比特多于 {n} 个的哈希都满足这个目标值；恰好 {n} 个时，由其后的比特决定。',
    merkleTitle: '默克尔树',
    merkleLead:
      '每个叶子是 sha256(0x00 ‖ 交易 id)，每个内部节点是 sha256(0x01 ‖ 左 ‖ 右)（RFC 6962）。改动任意一笔交易，它上方的每个节点都会改变，直到区块头里的根。',
    merkleOk: '在此计算出的根与区块头中的默克尔根一致。',
    merkleBad: '在此计算出的根与区块头中的默克尔根不一致。',
    merkleTooBig: '该区块有 {n} 笔交易：超过 {max} 笔时不绘制默克尔树。',
    merkleEmpty: '没有交易：根是空输入的 sha256。',
    root: '根',
    leafReward: '交易 {n} · 奖励',
    leafPayment: '交易 {n} · 转账',
    txTitle: '交易',
    colIndex: '#',
    colId: 'id',
    colKind: '类型',
    colFrom: '付款方',
    colTo: '收款方',
    colAmount: '金额',
    colFee: '手续费',
    kindReward: '奖励',
    kindPayment: '转账',
    tamperTitle: '篡改一份副本',
    tamperLead:
      '编辑这个区块的副本（改金额、时间、随机数……）。浏览器会用节点自己的规则、对照它之前的区块重新校验，并指出它违反了哪条规则。节点上的链不会被改动。',
    tamperLabel: '区块 JSON（可编辑的副本）',
    check: '校验副本',
    reset: '重置副本',
    remine: '重新挖矿',
    stop: '停止',
    remineHelp:
      '“重新挖矿”会重新计算副本中交易的默克尔根，并在 Web Worker 中用核心代码的 TypeScript 内核搜索一个随机数，使哈希满足该区块的目标值。',
    notJson: '这个副本不是 JSON：',
    coreSays: '核心代码的原话：',
    ruleL1: '格式：区块、区块头或某笔付款的键不完全正确，或者类型、写法不对',
    ruleL2: '高度：高度不等于父区块的高度加一',
    ruleL3: '链接：`parent` 不是父区块的区块头哈希',
    ruleL4: '目标值：`target` 不是 ASERT 在这个父区块之后给出的值',
    ruleL5: '工作量证明：区块头哈希大于 `target`',
    ruleL6: '时间：`time` 不晚于最近 11 个区块时间的中位数',
    ruleL7: '默克尔根：`merkle` 不是由各笔交易 id 算出的根',
    ruleL8: '奖励：奖励交易缺失、位置不对，或者超出区块奖励加手续费',
    ruleL9: '签名：某笔付款属于另一条链，或者签名不是付款方的',
    ruleL10: '序号：某笔付款的 `nonce` 不是付款方的下一个',
    ruleL11: '余额：付款方的余额不够支付 `amount + fee`',
    ruleL12: '大小：交易太多，或者规范 JSON 的字节数太多',
    ownOk: '区块 #{n} 单独看符合所有规则（对照区块 #1 到 #{prev} 校验）。',
    ownOkGenesis: '区块 #1 是这个网络的创世区块。',
    ownBad: '节点会拒绝这个区块：',
    rule: '规则 {rule}',
    ruleExplained: '规则 {rule}：{what}',
    nextOk: '区块 #{next} 仍然接在它后面。',
    nextBad: '区块 #{next} 现在违反了规则：',
    nextBadLead:
      '它的父哈希是原来区块 #{n} 的哈希。修好一个区块，会让之后的每个区块都失效：每一个都得重新挖矿，而且要比网络上其他人挖出新区块更快。',
    copyHash: '副本的哈希',
    labelled: '{label}：',
    copyBits: '{n} 个前导零比特（目标值有 {target} 个）',
    strip: '把这个副本放进链后，从区块 #{n} 开始的链',
    stripOk: '#{n} 有效',
    stripBad: '#{n} 被拒绝',
    stripFollows: '#{n} 接在被拒绝的区块之后',
    mining: '搜索中… {seconds} 秒内 {hashes} 次哈希（每秒 {rate} 次）',
    found: '找到随机数 {nonce}：{seconds} 秒内尝试了 {hashes} 次哈希（每秒 {rate} 次）。',
    stopped: '已停止，共尝试 {hashes} 次哈希。',
    exhausted: '2^53 − 1 以内没有满足该目标值的随机数。',
    cannotRemine: '重新挖矿需要一个带区块头对象和 64 位十六进制目标值的副本：{error}',
    workerFailed: 'Worker 出错：{error}',
  },
);

// ---- Pure helpers (unit-tested). ----

/** Leading zero bits of a hex string (a hash or a target), 4 per `0` digit plus the next digit's. */
export function leadingZeroBits(hex: string): number {
  let bits = 0;
  for (const digit of hex.toLowerCase()) {
    const value = Number.parseInt(digit, 16);
    if (Number.isNaN(value)) break;
    if (value === 0) {
      bits += 4;
      continue;
    }
    bits += Math.clz32(value) - 28;
    break;
  }
  return bits;
}

/** log2 of a positive bigint, to about 15 significant digits. */
export function log2Big(n: bigint): number {
  if (n <= 0n) return Number.NEGATIVE_INFINITY;
  const bits = n.toString(2).length;
  if (bits <= 53) return Math.log2(Number(n));
  const shift = bits - 53;
  return Math.log2(Number(n >> BigInt(shift))) + shift;
}

/** Expected hashes to meet `target`, as text: digits up to 2^53, else a power of two. */
export function expectedHashesText(target: bigint): string {
  const work = workOf(target);
  if (work <= BigInt(Number.MAX_SAFE_INTEGER)) return formatNumber(Number(work));
  return `2^${log2Big(work).toFixed(1)}`;
}

/** A node of a block's merkle tree (RFC 6962's split), with its hash. */
export interface MerkleNode {
  readonly hash: Uint8Array;
  /** Index of the transaction, for a leaf. */
  readonly leaf?: number;
  readonly left?: MerkleNode;
  readonly right?: MerkleNode;
}

/** The merkle tree over transaction ids (64 hex each); null for none (the root is sha256 of nothing). */
export function merkleTree(ids: readonly string[]): MerkleNode | null {
  if (ids.length === 0) return null;
  const build = (from: number, to: number): MerkleNode => {
    if (to - from === 1) return { hash: leafHash(fromHex(ids[from] as string)), leaf: from };
    let k = 1;
    while (k * 2 < to - from) k *= 2;
    const left = build(from, from + k);
    const right = build(from + k, to);
    return { hash: nodeHash(left.hash, right.hash), left, right };
  };
  return build(0, ids.length);
}

/** The root of a tree as 64 hex (sha256 of nothing for an empty tree). */
export function merkleRootHex(tree: MerkleNode | null): string {
  return toHex(tree ? tree.hash : sha256Bytes(new Uint8Array(0)));
}

/** The text before and after a header's nonce digits (its canonical JSON with nonce 0). */
export function nonceSplit(header: JsonObject): { prefix: string; suffix: string } {
  const copy = newJsonObject();
  for (const [key, value] of Object.entries(header)) copy[key] = value;
  copy.nonce = JsonNumber.int(0);
  const text = canonicalJson(copy);
  const marker = '"nonce": 0';
  const at = text.indexOf(marker);
  if (at < 0) throw new Error('the header has no nonce');
  const cut = at + '"nonce": '.length;
  return { prefix: text.slice(0, cut), suffix: text.slice(cut + 1) };
}

// ---- The network, from GET /genesis. ----

/** The ledger network the node runs, with its profile built in the browser. */
export interface LedgerNetwork {
  readonly spec: GenesisSpec;
  readonly profile: LedgerProfile;
  readonly chainId: string;
}

let network: Promise<LedgerNetwork> | null = null;

/** The node's network (GET /genesis once per page load): the same rules the node runs. */
export function loadLedgerNetwork(): Promise<LedgerNetwork> {
  network ??= getLossless('/genesis').then((answer) => {
    if (!isJsonObject(answer)) throw new Error('GET /genesis did not answer an object');
    const spec = parseGenesis(answer.genesis ?? null);
    const profile = createLedgerProfile(spec);
    return { spec, profile, chainId: profile.chainId };
  });
  network.catch(() => {
    network = null;
  });
  return network;
}

/** A rule broken: the node's code, its message, and the rule it names (`L5`). */
export interface Verdict {
  readonly code: string;
  readonly message: string;
  readonly rule: string | null;
}

function verdictOf(err: unknown): Verdict {
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof BlockforgeError ? err.code : 'ERROR';
  const rule = /\((L\d+)\)$/.exec(message)?.[1] ?? null;
  return { code, message, rule };
}

/** What an edited copy of block n does to the chain. */
export interface LedgerCopyReport {
  readonly copy?: JsonObject;
  readonly hash?: string;
  readonly target?: string;
  /** Parse error, or the block's own verdict (null: valid against the blocks before it). */
  readonly own: Verdict | null;
  /** The next block on top of the copy (null: it still follows; undefined: not checked). */
  readonly next?: Verdict | null;
}

/** Re-checks edited copies of block `n` against blocks 1..n-1 (validated once) and block n+1. */
export class LedgerCopyChecker {
  private prefixView: ChainView | null | undefined;

  constructor(
    private readonly profile: LedgerProfile,
    private readonly chain: readonly JsonObject[],
    private readonly n: number,
  ) {}

  private prefix(): ChainView | null {
    if (this.prefixView === undefined) {
      const before = this.chain.slice(0, this.n - 1);
      this.prefixView = before.length > 0 ? new BranchValidator(this.profile, null).add(before).view : null;
    }
    return this.prefixView;
  }

  check(text: string): LedgerCopyReport {
    let copy: JsonValue;
    try {
      copy = parseJson(text);
    } catch (err) {
      return { own: { code: 'NOT_JSON', message: (err as Error).message, rule: null } };
    }
    const header = isJsonObject(copy) && isJsonObject(copy.header ?? null) ? (copy.header as JsonObject) : null;
    const extra = header
      ? { hash: hashJson(header), ...(typeof header.target === 'string' ? { target: header.target } : {}) }
      : {};
    const base = isJsonObject(copy) ? { copy, ...extra } : {};
    const prefix = this.prefix();
    try {
      new BranchValidator(this.profile, prefix).add([copy]);
    } catch (err) {
      return { ...base, own: verdictOf(err) };
    }
    const next = this.chain[this.n];
    if (!next) return { ...base, own: null };
    try {
      new BranchValidator(this.profile, prefix).add([copy, next]);
      return { ...base, own: null, next: null };
    } catch (err) {
      return { ...base, own: null, next: verdictOf(err) };
    }
  }
}

/** The merkle root over a copy's transactions, or null when one is not a well-formed transaction. */
export function copyMerkle(copy: JsonObject, hrp: string): string | null {
  const list = copy.transactions;
  if (!Array.isArray(list)) return null;
  try {
    const txs: LedgerTransaction[] = list.map((tx, k) =>
      k === 0 ? decodeCoinbase(tx, hrp, clientTxError) : decodePayment(tx, hrp, clientTxError),
    );
    return merkleOf(txs);
  } catch {
    return null;
  }
}

// ---- Drawing. ----

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** Most transactions whose tree is drawn. */
export const MAX_TREE_LEAVES = 64;

function treeView(tree: MerkleNode, txs: readonly LedgerTransaction[]): SVGSVGElement {
  const col = 104;
  const row = 64;
  const boxW = 92;
  const boxH = 36;
  let depthMax = 0;
  const walk = (node: MerkleNode, depth: number): void => {
    depthMax = Math.max(depthMax, depth);
    if (node.left) walk(node.left, depth + 1);
    if (node.right) walk(node.right, depth + 1);
  };
  walk(tree, 0);
  const width = txs.length * col;
  const height = (depthMax + 1) * row;
  const root = svg('svg', {
    class: 'merkle-tree',
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: 'img',
    'aria-label': t('merkleTitle'),
    'data-testid': 'merkle-tree',
  });
  const edges = svg('g', { class: 'edges' });
  const nodes = svg('g', { class: 'nodes' });
  root.append(edges, nodes);
  // Leaves on the bottom row in block order; each inner node centred over its children.
  const place = (node: MerkleNode, depth: number): { x: number; y: number } => {
    if (node.leaf !== undefined) {
      const x = node.leaf * col + col / 2;
      const y = depthMax * row + boxH / 2 + 8;
      const tx = txs[node.leaf] as LedgerTransaction;
      const link = svg('a', { href: `#/tx/${tx.id}`, class: 'leaf' });
      link.append(
        svg('rect', { x: x - boxW / 2, y: y - boxH / 2, width: boxW, height: boxH, rx: 6 }),
        svg(
          'text',
          { x, y: y - 4, 'text-anchor': 'middle', class: 'label' },
          t(tx.kind === 'coinbase' ? 'leafReward' : 'leafPayment', { n: node.leaf }),
        ),
        svg('text', { x, y: y + 11, 'text-anchor': 'middle', class: 'hex' }, toHex(node.hash).slice(0, 10)),
        svg('title', {}, `leaf ${toHex(node.hash)}\nid ${tx.id}`),
      );
      nodes.append(link);
      return { x, y };
    }
    const a = place(node.left as MerkleNode, depth + 1);
    const b = place(node.right as MerkleNode, depth + 1);
    const x = (a.x + b.x) / 2;
    const y = depth * row + boxH / 2 + 8;
    for (const child of [a, b]) {
      edges.append(svg('line', { x1: x, y1: y + boxH / 2, x2: child.x, y2: child.y - boxH / 2 }));
    }
    const g = svg('g', { class: depth === 0 ? 'inner root' : 'inner' });
    g.append(
      svg('rect', { x: x - boxW / 2, y: y - boxH / 2, width: boxW, height: boxH, rx: 6 }),
      depth === 0 ? svg('text', { x, y: y - 4, 'text-anchor': 'middle', class: 'label' }, t('root')) : '',
      svg(
        'text',
        { x, y: depth === 0 ? y + 11 : y + 4, 'text-anchor': 'middle', class: 'hex' },
        toHex(node.hash).slice(0, 10),
      ),
      svg('title', {}, toHex(node.hash)),
    );
    nodes.append(g);
    return { x, y };
  };
  place(tree, 0);
  return root;
}

/** A hex string with its leading zero digits marked. */
function zerosView(hex: string, testId: string): HTMLElement {
  let zeros = 0;
  while (zeros < hex.length && hex[zeros] === '0') zeros++;
  return h(
    'code',
    { class: 'hash digest', 'data-testid': testId },
    h('mark', { class: 'zeros' }, hex.slice(0, zeros)),
    hex.slice(zeros),
  );
}

function mark(ok: boolean): HTMLElement {
  return h('span', { class: ok ? 'tick ok' : 'tick bad', 'aria-hidden': 'true' }, ok ? '✓' : '✗');
}

const RULES = ['L1', 'L2', 'L3', 'L4', 'L5', 'L6', 'L7', 'L8', 'L9', 'L10', 'L11', 'L12'] as const;

/**
 * A broken rule as the page says it: the node's code, the rule explained in the page's language,
 * then the core's own message (English, with the values it found) shown as data.
 */
function verdictLine(v: Verdict): Child[] {
  if (v.code === 'NOT_JSON') {
    return [t('notJson'), ' ', h('code', { class: 'core-message', 'data-testid': 'verdict-message' }, v.message)];
  }
  const rule = RULES.find((r) => r === v.rule);
  return [
    h('code', { 'data-testid': 'verdict-code' }, v.code),
    v.rule ? ' (' : null,
    rule ? rich(t('ruleExplained', { rule, what: t(`rule${rule}`) })) : v.rule ? t('rule', { rule: v.rule }) : null,
    v.rule ? ')' : null,
    ' ',
    h('span', { class: 'muted small' }, t('coreSays')),
    ' ',
    h('code', { class: 'core-message', 'data-testid': 'verdict-message' }, v.message),
  ];
}

function txRows(txs: readonly LedgerTransaction[]): HTMLTableElement {
  return h(
    'table',
    { class: 'table ledger-txs' },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        h('th', null, t('colIndex')),
        h('th', null, t('colId')),
        h('th', null, t('colKind')),
        h('th', null, t('colFrom')),
        h('th', null, t('colTo')),
        h('th', { class: 'num' }, t('colAmount')),
        h('th', { class: 'num' }, t('colFee')),
      ),
    ),
    h(
      'tbody',
      null,
      txs.map((tx, k) =>
        h(
          'tr',
          null,
          h('td', null, String(k)),
          h('td', null, h('a', { href: `#/tx/${tx.id}`, class: 'hash' }, `${tx.id.slice(0, 12)}…`)),
          h('td', null, t(tx.kind === 'coinbase' ? 'kindReward' : 'kindPayment')),
          h(
            'td',
            null,
            tx instanceof Payment ? h('a', { href: `#/address/${tx.sender}`, class: 'address' }, tx.sender) : '—',
          ),
          h('td', null, h('a', { href: `#/address/${tx.to}`, class: 'address' }, tx.to)),
          h('td', { class: 'num' }, tx.amount.toString()),
          h('td', { class: 'num' }, tx instanceof Payment ? tx.fee.toString() : '—'),
        ),
      ),
    ),
  );
}

// ---- The page. ----

/**
 * The block page's switch (web/src/pages/block.ts calls it first): null when the node's profile is
 * known and not the ledger (the tutorial page goes on); the ledger page's cleanup when it is the
 * ledger; until the profile is known, waits and then calls `render` again.
 */
export function ledgerBlockRoute(
  main: HTMLElement,
  n: number,
  render: (main: HTMLElement, n: number) => () => void,
): (() => void) | null {
  if (state.info) return state.info.profile === 'ledger' ? renderLedgerBlock(main, n) : null;
  main.append(h('p', { class: 'muted' }, t('loading')));
  let inner: (() => void) | null = null;
  const off = subscribe(['info'], () => {
    if (!state.info || inner) return;
    off();
    main.replaceChildren();
    inner = render(main, n);
  });
  return () => {
    off();
    inner?.();
  };
}

/** Renders ledger block `n` into `main`; returns its cleanup. */
export function renderLedgerBlock(main: HTMLElement, n: number): () => void {
  const heading = h('h1', { tabindex: '-1' }, n === 1 ? t('titleGenesis') : t('title', { n }));
  const body = h('div', { class: 'ledger-block' });
  main.append(heading, body);
  replace(body, h('p', { class: 'muted' }, t('loading')));

  let shownKey: string | null = null;
  let disposed = false;
  let worker: Worker | null = null;
  const stopWorker = (): void => {
    worker?.terminate();
    worker = null;
  };

  const render = async (force = false): Promise<void> => {
    const chain = state.chain;
    if (!state.info || chain.length === 0) return;
    const block = chain[n - 1];
    if (!block) {
      shownKey = null;
      replace(
        body,
        h('p', { class: 'error' }, t('noBlock', { n, count: chain.length })),
        h('p', null, h('a', { href: '#/chain' }, t('backToChain'))),
      );
      return;
    }
    const next = chain[n];
    // Redraw only when this block or its successor changed (the tamper box keeps its edits).
    const key = `${hashJson(block.json)}|${next ? hashJson(next.json) : ''}`;
    if (!force && key === shownKey) return;
    shownKey = key;
    let net: LedgerNetwork;
    let decoded: LedgerBlock;
    try {
      net = await loadLedgerNetwork();
      decoded = net.profile.decodeBlock(block.json, n) as LedgerBlock;
    } catch (err) {
      if (!disposed) replace(body, h('p', { class: 'error' }, t('cannotCheck', { error: (err as Error).message })));
      return;
    }
    if (disposed) return;
    stopWorker();
    draw(
      net,
      decoded,
      chain.map((b) => b.json),
    );
  };

  const draw = (net: LedgerNetwork, block: LedgerBlock, chain: readonly JsonObject[]): void => {
    const header = block.header;
    const targetHex = header.json.target as string;
    const ids = block.transactions.map((tx) => tx.id);
    const tree = merkleTree(ids);
    const root = merkleRootHex(tree);
    const genesis = n === 1;

    const pager = h(
      'nav',
      { class: 'pager', 'aria-label': t('neighbours') },
      n > 1 ? h('a', { href: `#/block/${n - 1}` }, t('previous', { n: n - 1 })) : h('span'),
      chain[n] ? h('a', { href: `#/block/${n + 1}` }, t('next', { n: n + 1 })) : h('span'),
    );

    const headerCard = h(
      'section',
      { class: 'card', 'data-testid': 'ledger-header' },
      h('h2', null, t('headerTitle')),
      h('p', { class: 'muted small' }, t('headerLead')),
      h(
        'dl',
        { class: 'kv' },
        h('dt', null, t('height')),
        h('dd', { 'data-testid': 'header-height' }, formatNumber(header.height)),
        h('dt', null, t('parent')),
        h(
          'dd',
          null,
          genesis
            ? h('span', { class: 'muted' }, t('parentGenesis'))
            : h('a', { href: `#/block/${n - 1}`, class: 'hash' }, header.parent),
        ),
        h('dt', null, t('merkle')),
        h('dd', null, h('code', { class: 'hash' }, header.merkle)),
        h('dt', null, t('time')),
        h('dd', null, `${formatDateTime(new Date(header.time * 1000))} (${header.time})`),
        h('dt', null, t('target')),
        h('dd', null, h('code', { class: 'hash' }, targetHex)),
        h('dt', null, t('nonce')),
        h('dd', { 'data-testid': 'header-nonce' }, String(header.nonce)),
        h('dt', null, t('version')),
        h('dd', null, String(header.json.version instanceof JsonNumber ? header.json.version.text : '')),
        h('dt', null, t('hash')),
        h('dd', null, h('code', { class: 'hash', 'data-testid': 'header-hash' }, header.hash)),
        h('dt', null, t('txCount')),
        h('dd', null, formatNumber(block.transactions.length)),
        h('dt', null, t('size')),
        h('dd', null, t('bytes', { n: block.size })),
      ),
    );

    const hashBits = leadingZeroBits(header.hash);
    const targetBits = leadingZeroBits(targetHex);
    const meets = header.hash <= targetHex;
    const powCard = h(
      'section',
      { class: 'card', 'data-testid': 'ledger-pow' },
      h('h2', null, t('powTitle')),
      genesis
        ? h('p', { class: 'muted' }, t('powGenesis'))
        : h('p', { class: 'muted small' }, t('powLead', { hashes: expectedHashesText(header.target) })),
      h(
        'div',
        { class: 'pow-compare' },
        h(
          'div',
          { class: 'pow-row' },
          h('span', { class: 'pow-label' }, t('hash')),
          zerosView(header.hash, 'pow-hash'),
        ),
        h(
          'div',
          { class: 'pow-row' },
          h('span', { class: 'pow-label' }, t('target')),
          zerosView(targetHex, 'pow-target'),
        ),
      ),
      h(
        'ul',
        { class: 'checks' },
        h('li', { 'data-testid': 'hash-bits' }, t('hashBits', { n: hashBits })),
        h('li', { 'data-testid': 'target-bits' }, t('targetBits', { n: targetBits })),
        h(
          'li',
          null,
          t('labelled', { label: t('expected') }),
          h('strong', { 'data-testid': 'expected-hashes' }, expectedHashesText(header.target)),
        ),
        genesis ? null : h('li', { class: meets ? 'ok' : 'bad' }, mark(meets), ' ', t(meets ? 'meets' : 'fails')),
      ),
      h('p', { class: 'muted small' }, t('bitsExplain', { n: targetBits })),
    );

    const merkleCard = h(
      'section',
      { class: 'card', 'data-testid': 'ledger-merkle' },
      h('h2', null, t('merkleTitle')),
      h('p', { class: 'muted small' }, t('merkleLead')),
      tree === null
        ? h('p', { class: 'muted' }, t('merkleEmpty'))
        : block.transactions.length > MAX_TREE_LEAVES
          ? h('p', { class: 'muted' }, t('merkleTooBig', { n: block.transactions.length, max: MAX_TREE_LEAVES }))
          : h('div', { class: 'merkle-wrap', tabindex: '0' }, treeView(tree, block.transactions)),
      h(
        'p',
        { class: root === header.merkle ? 'ok' : 'bad', 'data-testid': 'merkle-check' },
        mark(root === header.merkle),
        ' ',
        t(root === header.merkle ? 'merkleOk' : 'merkleBad'),
        ' ',
        h('code', { class: 'hash' }, root),
      ),
    );

    const txCard = h(
      'section',
      { class: 'card' },
      h('h2', null, t('txTitle')),
      h('div', { class: 'table-wrap' }, txRows(block.transactions)),
    );

    replace(body, pager, headerCard, powCard, merkleCard, txCard, tamperCard(net, block, chain));
  };

  const tamperCard = (net: LedgerNetwork, block: LedgerBlock, chain: readonly JsonObject[]): HTMLElement => {
    const checker = new LedgerCopyChecker(net.profile, chain, n);
    const original = prettyJson(block.json);
    const editor = h('textarea', {
      class: 'code-input',
      rows: 18,
      spellcheck: 'false',
      'aria-label': t('tamperLabel'),
      'data-testid': 'ledger-tamper',
    });
    editor.value = original;
    const out = h('div', { class: 'tamper-out', role: 'status', 'data-testid': 'ledger-tamper-out' });
    const mineStatus = h('p', { class: 'muted small', 'data-testid': 'remine-status', 'aria-live': 'polite' });
    let timer: ReturnType<typeof setTimeout> | null = null;

    const showReport = (): void => {
      const report = checker.check(editor.value);
      const parts: Child[] = [];
      if (report.hash) {
        const bits = leadingZeroBits(report.hash);
        parts.push(
          h(
            'p',
            { class: 'small' },
            t('labelled', { label: t('copyHash') }),
            h('code', { class: 'hash', 'data-testid': 'copy-hash' }, report.hash),
            ' — ',
            t('copyBits', { n: bits, target: report.target ? leadingZeroBits(report.target) : '?' }),
          ),
        );
      }
      parts.push(
        report.own
          ? h(
              'p',
              { class: 'verdict-box bad', 'data-testid': 'ledger-verdict' },
              h('strong', null, t('ownBad')),
              ' ',
              ...verdictLine(report.own),
            )
          : h(
              'p',
              { class: 'verdict-box ok', 'data-testid': 'ledger-verdict' },
              mark(true),
              ' ',
              n === 1 ? t('ownOkGenesis') : t('ownOk', { n, prev: n - 1 }),
            ),
      );
      if (report.next) {
        parts.push(
          h(
            'div',
            { class: 'verdict-box bad', 'data-testid': 'ledger-next-verdict' },
            h('p', null, h('strong', null, t('nextBad', { next: n + 1 })), ' ', ...verdictLine(report.next)),
            h('p', { class: 'small' }, t('nextBadLead', { n })),
          ),
        );
      } else if (report.next === null) {
        parts.push(
          h('p', { class: 'ok', 'data-testid': 'ledger-next-verdict' }, mark(true), ' ', t('nextOk', { next: n + 1 })),
        );
      }
      // The chain from this block to the tip, as the node would see it with the copy in place.
      const strip: HTMLElement[] = [];
      for (let k = n; k <= chain.length; k++) {
        let cls: string;
        let label: string;
        if (k === n) [cls, label] = report.own ? ['bad', t('stripBad', { n: k })] : ['ok', t('stripOk', { n: k })];
        else if (report.own) [cls, label] = ['follows', t('stripFollows', { n: k })];
        else if (k === n + 1)
          [cls, label] = report.next ? ['bad', t('stripBad', { n: k })] : ['ok', t('stripOk', { n: k })];
        else if (report.next) [cls, label] = ['follows', t('stripFollows', { n: k })];
        else [cls, label] = ['ok', t('stripOk', { n: k })];
        strip.push(h('li', { class: `strip-block ${cls}`, 'data-block': k }, label));
        if (strip.length >= 12) break;
      }
      parts.push(
        h('p', { class: 'small muted' }, t('strip', { n })),
        h('ol', { class: 'chain-strip', 'data-testid': 'chain-strip' }, strip),
      );
      replace(out, parts);
    };

    editor.addEventListener('input', () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(showReport, 300);
    });

    const checkButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'ledger-check' }, t('check'));
    checkButton.addEventListener('click', showReport);
    const resetButton = h('button', { type: 'button', class: 'secondary' }, t('reset'));
    resetButton.addEventListener('click', () => {
      stopWorker();
      editor.value = original;
      replace(mineStatus);
      showReport();
    });
    const remineButton = h('button', { type: 'button', class: 'primary', 'data-testid': 'remine' }, t('remine'));
    const stopButton = h('button', { type: 'button', class: 'secondary', hidden: true }, t('stop'));

    const finish = (): void => {
      stopWorker();
      remineButton.disabled = false;
      stopButton.hidden = true;
    };
    const rateOf = (hashes: number, seconds: number): number => (seconds > 0 ? Math.round(hashes / seconds) : 0);

    remineButton.addEventListener('click', () => {
      stopWorker();
      let copy: JsonValue;
      let job: RemineJob;
      let header: JsonObject;
      try {
        copy = parseJson(editor.value);
        if (!isJsonObject(copy) || !isJsonObject(copy.header ?? null)) throw new Error('no "header" object');
        header = copy.header as JsonObject;
        const target = header.target;
        if (typeof target !== 'string' || !/^[0-9a-f]{64}$/.test(target) || /^0+$/.test(target)) {
          throw new Error('"target" is not 64 lowercase hex digits');
        }
        // A miner commits to its transactions first: the root over the copy's transactions.
        const merkle = copyMerkle(copy, net.spec.hrp);
        if (merkle !== null) header.merkle = merkle;
        job = { ...nonceSplit(header), target, difficulty: zerosOfTarget(target) };
      } catch (err) {
        replace(mineStatus, t('cannotRemine', { error: (err as Error).message }));
        return;
      }
      const edited = copy as JsonObject;
      remineButton.disabled = true;
      stopButton.hidden = false;
      let hashes = 0;
      const w = new Worker(new URL('../remine-worker.ts', import.meta.url), { type: 'module' });
      worker = w;
      w.onmessage = (event: MessageEvent<RemineMessage>) => {
        if (worker !== w) return;
        const m = event.data;
        hashes = m.hashes;
        const vars = { hashes: m.hashes, seconds: m.seconds.toFixed(2), rate: rateOf(m.hashes, m.seconds) };
        if (m.type === 'progress') {
          replace(mineStatus, t('mining', vars));
          return;
        }
        finish();
        if (m.type === 'exhausted') {
          replace(mineStatus, t('exhausted'));
          return;
        }
        header.nonce = JsonNumber.int(m.nonce);
        editor.value = prettyJson(edited);
        replace(
          mineStatus,
          h('span', { 'data-testid': 'remine-found' }, t('found', { ...vars, nonce: String(m.nonce) })),
        );
        showReport();
      };
      w.onerror = (event) => {
        finish();
        replace(mineStatus, t('workerFailed', { error: event.message || 'error' }));
      };
      replace(mineStatus, t('mining', { hashes: 0, seconds: '0.00', rate: 0 }));
      w.postMessage(job);
      stopButton.onclick = () => {
        finish();
        replace(mineStatus, t('stopped', { hashes }));
      };
    });

    // The original, checked once: the learner sees the verdict before editing.
    queueMicrotask(showReport);

    return h(
      'section',
      { class: 'card tamper' },
      h('h2', null, t('tamperTitle')),
      h('p', { class: 'muted small' }, t('tamperLead')),
      editor,
      h('div', { class: 'row' }, checkButton, remineButton, stopButton, resetButton),
      h('p', { class: 'muted small' }, t('remineHelp')),
      mineStatus,
      out,
    );
  };

  const unsubscribe = subscribe(['info', 'chain'], () => void render());
  const offLanguage = onLanguageChange(() => {
    heading.textContent = n === 1 ? t('titleGenesis') : t('title', { n });
    void render(true);
  });
  void render();
  return () => {
    disposed = true;
    stopWorker();
    unsubscribe();
    offLanguage();
  };
}
