/**
 * The attack lab (`blockforge lab ... --json`) as charts: the reader opens or drops one or more run
 * files, each is checked against the report's shape (src/lab/report.ts), drawn with the same SVG
 * renderer the CLI writes the docs' charts with (src/lab/chart-svg.ts), and listed as a table
 * beside its formulas. Without any file the page still draws the closed forms (src/lab/odds.ts).
 *
 * The files never leave the browser. A file is untrusted: it is parsed and checked into a fresh
 * object of known fields before anything reads it, a broken or hostile one gets a message (never an
 * exception), and its strings only ever become text nodes.
 */

import './lab.css';
import {
  type ChartLabels,
  type ChartSpec,
  doubleSpendChart,
  doubleSpendFormulaChart,
  ENGLISH_CHART_LABELS,
  findZChart,
  majorityChart,
  renderChart,
  selfishChart,
  selfishFormulaChart,
} from '../../../src/lab/chart-svg.js';
import type {
  DoubleSpendReport,
  DoubleSpendRow,
  FindZReport,
  Interval,
  LabReport,
  LiveReport,
  MajorityReport,
  MajorityRow,
  ProtocolAttack,
  ProtocolReport,
  SelfishReport,
  SelfishRow,
  TieRule,
  WhitepaperCell,
} from '../../../src/lab/report.js';
import { type Child, h, labelCells, replace, rich } from '../dom.js';
import { rate as hashRate, seconds as secondsText } from '../format.js';
import { formatNumber, messages } from '../i18n.js';

const CHART_ZH: ChartLabels = {
  doubleSpendTitle: '双重支付：付款被撤销的概率',
  doubleSpendFormulaTitle: '双重支付：公式',
  doubleSpendSubtitle: '{tie}；模拟：每个点 {trials} 次试验，种子 {seed}',
  tieHonest: '平局时诚实链胜出',
  tieAttacker: '平局时攻击者胜出',
  confirmationsAxis: '确认数 z（付款所在的区块算第一个）',
  probabilityAxis: '攻击成功的概率（对数刻度）',
  shareLegend: 'q = {q}',
  nakamotoLegend: '中本聪（白皮书）',
  rosenfeldLegend: '罗森菲尔德（平局算攻击者赢）',
  exactLegend: '精确值，按这次运行的规则',
  labRuleLegend: '精确值，按实验室的规则（平局时诚实链胜出）',
  simulatedLegend: '模拟值，{confidence}% 置信区间',
  formulaSubtitle: '只有公式，没有模拟。打开一次实验室运行的结果，就能看到模拟的点。',
  findZTitle: '风险低于 {risk} 所需的确认数',
  findZSubtitle: '{tie}',
  shareAxis: '攻击者的算力占比 q',
  confirmationsNeededAxis: '确认数 z',
  whitepaperLegend: '白皮书（印刷值）',
  selfishTitle: '自私挖矿：矿池在主链区块中的份额',
  selfishFormulaTitle: '自私挖矿：闭式解',
  selfishSubtitle: '种子 {seed}',
  poolShareAxis: '矿池的算力占比 α',
  revenueAxis: '矿池占主链区块的份额',
  gammaLegend: 'γ = {gamma}',
  closedFormLegend: '埃亚勒与西雷尔的闭式解',
  honestLegend: '诚实挖矿（份额 = α）',
  thresholdLegend: '阈值：超过它，自私挖矿才划算',
  thresholdMarker: 'γ = {gamma}：α > {alpha}',
  majorityTitle: '多数算力攻击：攻击者的分支胜出所需的时间',
  majoritySubtitle: '一个出块间隔 = {blockTime} 秒；种子 {seed}',
  majorityShareAxis: '攻击者的算力占比 q',
  intervalsAxis: '时间（出块间隔数）',
  depthLegend: '深度 {depth} 个区块',
  expectedLegend: '期望值：(d + 1) / (2q − 1)，d 为深度',
  meanLegend: '模拟的平均值，{confidence}% 置信区间',
};

const t = messages(
  'lab',
  {
    ...ENGLISH_CHART_LABELS,
    title: 'Attack lab',
    lead: 'The attack lab runs attacks against blockforge: double spends, selfish mining and majority attacks simulated on real nodes and checked against the papers’ formulas, and protocol attacks tried against the real rules.',
    howTo:
      'Get a run with `npx blockforge lab double-spend --attacker 0.1,0.3 --confirmations 0-10 --json > run.json` and open the file here: it stays in your browser, nothing is sent to the node.',
    openTitle: 'Your runs',
    fileLabel: 'Open a lab run (JSON)',
    dropHint: 'or drop the files here (several at once if you like).',
    loadedOne: 'Opened {n} run.',
    loadedMany: 'Opened {n} runs.',
    problemsTitle: 'Some files could not be opened:',
    noRuns: 'No run opened yet: the formulas below are drawn without any.',
    remove: 'Remove this run',
    fileMeta: 'file',
    seedMeta: 'seed {seed}',
    tookMeta: 'ran for {time}',
    kindDoubleSpend: 'Double spend',
    kindFindZ: 'Confirmations needed',
    kindSelfish: 'Selfish mining',
    kindMajority: 'Majority attack',
    kindProtocol: 'Protocol attacks',
    kindLive: 'Live double spend',
    tieHonest2: 'honest chain',
    tieAttacker2: 'attacker',
    colShare: 'q',
    colConfirmations: 'z',
    colTrials: 'trials',
    colReversed: 'reversed',
    colRate: 'simulated',
    colInterval: '{confidence}% interval',
    colExact: 'exact (run’s rule)',
    colInside: 'exact inside?',
    colNakamoto: 'Nakamoto',
    colRosenfeld: 'Rosenfeld',
    colGiveUp: 'gives up at',
    colWhitepaper: 'whitepaper',
    colPrinted: 'printed',
    colRecomputed: 'recomputed',
    colAlpha: 'α',
    colGamma: 'γ',
    colMined: 'mined',
    colMainChain: 'main chain',
    colPool: 'pool’s',
    colShareSim: 'share',
    colClosedForm: 'closed form',
    colThreshold: 'threshold',
    colOrphaned: 'orphaned',
    colDepth: 'depth',
    colMean: 'mean (intervals)',
    colMedian: 'median (intervals)',
    colExpected: 'expected (intervals)',
    colMeanTime: 'mean time',
    colAttackerBlocks: 'attacker blocks',
    colAttack: 'attack',
    colAttempt: 'what was tried',
    colRule: 'rule',
    colCode: 'error code',
    colHeld: 'defence',
    colFigures: 'figures',
    held: '✓ held',
    broken: '✗ broken',
    yes: 'yes',
    no: 'no',
    none: '—',
    tieRow: 'tie rule: {tie}',
    riskRow: 'risk below {risk}',
    whitepaperTitle: 'The whitepaper’s table, recomputed with its formula',
    liveShare: 'attacker share',
    liveConfirmations: 'confirmations',
    liveHashrates: 'hash rates (honest / attacker)',
    liveOutcome: 'outcome',
    outcomeReversed: 'reversed: the double spend worked',
    outcomeConfirmed: 'confirmed: the payment held',
    outcomeTimeout: 'timed out',
    liveHeights: 'heights (honest / attacker)',
    livePayment: 'payment',
    liveConflicting: 'conflicting payment',
    liveForks: 'forks view',
    liveEvents: 'what happened',
    formulasTitle: 'The formulas',
    formulasLead:
      'Nakamoto’s and Rosenfeld’s double-spend probabilities beside the exact one under the lab’s rule (a tie stays with the honest chain, as a node keeps the branch it saw first), for q = 0.1 to 0.4; and Eyal and Sirer’s selfish-mining share for γ = 0, 0.5 and 1. Formulas only, computed in your browser.',
    chartFailed: 'This chart could not be drawn.',
    notJson: 'is not JSON: the lab writes its runs with `--json`.',
    tooLarge: 'is larger than {mib} MiB: not a lab run.',
    unreadable: 'could not be read.',
    notObject: 'holds no lab run: a run is one JSON object with a `kind`.',
    noKind: 'has no `kind`: a lab run says which attack it ran.',
    unknownKind:
      'has `kind` `{kind}`, which this page does not know (it knows `double-spend`, `find-z`, `selfish`, `majority`, `protocol` and `live`).',
    badField: 'is not a valid `{kind}` run: `{path}` should be {expected}.',
    tooMany: 'holds more than {n} runs.',
    expNumber: 'a finite number',
    expPositive: 'a number above 0',
    expProbability: 'a number from 0 to 1',
    expConfidence: 'a number between 0 and 1',
    expCount: 'a whole number, 0 or more',
    expString: 'a text of at most {n} characters',
    expObject: 'an object',
    expList: 'a list of at most {n} items',
    expTie: '`honest` or `attacker`',
    expOutcome: '`reversed`, `confirmed` or `timeout`',
    expBoolean: '`true` or `false`',
    expCountOrNull: 'a whole number or `null`',
    expStringOrNull: 'a text or `null`',
    expFigure: 'a number or a text',
  },
  {
    ...CHART_ZH,
    title: '攻击实验室',
    lead: '攻击实验室对 blockforge 发起攻击：在真实节点上模拟双重支付、自私挖矿和多数算力攻击，并与论文中的公式对照；协议层面的攻击则直接拿真实的规则来检验。',
    howTo:
      '用 `npx blockforge lab double-spend --attacker 0.1,0.3 --confirmations 0-10 --json > run.json` 得到一次运行的结果，再在这里打开这个文件：文件只留在你的浏览器里，不会发给节点。',
    openTitle: '你的运行结果',
    fileLabel: '打开实验室运行结果（JSON）',
    dropHint: '或者把文件拖到这里（可以一次拖多个）。',
    loadedOne: '已打开 {n} 个运行结果。',
    loadedMany: '已打开 {n} 个运行结果。',
    problemsTitle: '有些文件无法打开：',
    noRuns: '还没有打开任何运行结果：下面的公式不需要运行结果也能画出来。',
    remove: '移除这个运行结果',
    fileMeta: '文件',
    seedMeta: '种子 {seed}',
    tookMeta: '运行了 {time}',
    kindDoubleSpend: '双重支付',
    kindFindZ: '所需的确认数',
    kindSelfish: '自私挖矿',
    kindMajority: '多数算力攻击',
    kindProtocol: '协议攻击',
    kindLive: '实时双重支付',
    tieHonest2: '诚实链',
    tieAttacker2: '攻击者',
    colShare: 'q',
    colConfirmations: 'z',
    colTrials: '试验次数',
    colReversed: '被撤销次数',
    colRate: '模拟值',
    colInterval: '{confidence}% 置信区间',
    colExact: '精确值（这次运行的规则）',
    colInside: '精确值在区间内？',
    colNakamoto: '中本聪',
    colRosenfeld: '罗森菲尔德',
    colGiveUp: '落后多少块放弃',
    colWhitepaper: '白皮书',
    colPrinted: '印刷值',
    colRecomputed: '重新计算',
    colAlpha: 'α',
    colGamma: 'γ',
    colMined: '挖出的区块',
    colMainChain: '主链区块',
    colPool: '矿池的区块',
    colShareSim: '份额',
    colClosedForm: '闭式解',
    colThreshold: '阈值',
    colOrphaned: '孤块',
    colDepth: '深度',
    colMean: '平均值（出块间隔数）',
    colMedian: '中位数（出块间隔数）',
    colExpected: '期望值（出块间隔数）',
    colMeanTime: '平均时间',
    colAttackerBlocks: '攻击者的区块',
    colAttack: '攻击',
    colAttempt: '尝试了什么',
    colRule: '规则',
    colCode: '错误码',
    colHeld: '防御',
    colFigures: '测量值',
    held: '✓ 守住了',
    broken: '✗ 被攻破',
    yes: '是',
    no: '否',
    none: '—',
    tieRow: '平局规则：{tie}',
    riskRow: '风险低于 {risk}',
    whitepaperTitle: '白皮书中的表格，用它的公式重新计算',
    liveShare: '攻击者的算力占比',
    liveConfirmations: '确认数',
    liveHashrates: '算力（诚实节点 / 攻击者）',
    liveOutcome: '结果',
    outcomeReversed: '被撤销：双重支付成功了',
    outcomeConfirmed: '已确认：付款守住了',
    outcomeTimeout: '超时',
    liveHeights: '高度（诚实节点 / 攻击者）',
    livePayment: '付款',
    liveConflicting: '冲突的付款',
    liveForks: '分叉视图',
    liveEvents: '发生了什么',
    formulasTitle: '公式',
    formulasLead:
      '中本聪和罗森菲尔德的双重支付概率，以及按实验室规则（平局时诚实链胜出，因为节点保留先看到的分支）算出的精确值，q 从 0.1 到 0.4；还有埃亚勒与西雷尔给出的自私挖矿份额，γ 取 0、0.5 和 1。这里只有公式，在你的浏览器里计算。',
    chartFailed: '这张图无法绘制。',
    notJson: '不是 JSON：实验室用 `--json` 输出运行结果。',
    tooLarge: '大于 {mib} MiB：不是实验室的运行结果。',
    unreadable: '无法读取。',
    notObject: '里面没有实验室的运行结果：一次运行结果是一个带 `kind` 的 JSON 对象。',
    noKind: '没有 `kind`：实验室的运行结果会写明它运行的是哪种攻击。',
    unknownKind:
      '的 `kind` 是 `{kind}`，本页不认识（它认识 `double-spend`、`find-z`、`selfish`、`majority`、`protocol` 和 `live`）。',
    badField: '不是有效的 `{kind}` 运行结果：`{path}` 应该是{expected}。',
    tooMany: '包含超过 {n} 个运行结果。',
    expNumber: '一个有限的数',
    expPositive: '一个大于 0 的数',
    expProbability: '一个 0 到 1 之间的数',
    expConfidence: '一个介于 0 和 1 之间的数',
    expCount: '一个大于等于 0 的整数',
    expString: '一段最多 {n} 个字符的文本',
    expObject: '一个对象',
    expList: '一个最多 {n} 项的列表',
    expTie: '`honest` 或 `attacker`',
    expOutcome: '`reversed`、`confirmed` 或 `timeout`',
    expBoolean: '`true` 或 `false`',
    expCountOrNull: '一个整数或 `null`',
    expStringOrNull: '一段文本或 `null`',
    expFigure: '一个数或一段文本',
  },
);

type Key = Parameters<typeof t>[0];

/** The chart builders' texts in the page's language. */
function chartLabels(): ChartLabels {
  // Without vars, t() gives the template itself: the builders fill the placeholders.
  return Object.fromEntries(
    (Object.keys(ENGLISH_CHART_LABELS) as (keyof ChartLabels)[]).map((key) => [key, t(key)]),
  ) as unknown as ChartLabels;
}

// ---------------------------------------------------------------------------------------------------
// Reading a file: parse, then check into a fresh object of known fields.

/** Largest file read (a run of thousands of rows is far smaller). */
const MAX_FILE_MIB = 20;
/** Most runs in one file (a JSON array of runs). */
const MAX_RUNS_PER_FILE = 50;
/** Most rows (or attacks, events, figures) in one list. */
const MAX_ITEMS = 5000;
/** Longest string field. */
const MAX_STRING = 10_000;

type Expected =
  | 'expNumber'
  | 'expPositive'
  | 'expProbability'
  | 'expConfidence'
  | 'expCount'
  | 'expString'
  | 'expObject'
  | 'expList'
  | 'expTie'
  | 'expOutcome'
  | 'expBoolean'
  | 'expCountOrNull'
  | 'expStringOrNull'
  | 'expFigure';

/** Why a file was refused, kept as data so it is shown again in the other language. */
export type LabFileProblem =
  | { readonly key: 'notJson' | 'unreadable' | 'notObject' | 'noKind' }
  | { readonly key: 'tooLarge'; readonly mib: number }
  | { readonly key: 'tooMany'; readonly n: number }
  | { readonly key: 'unknownKind'; readonly kind: string }
  | { readonly key: 'badField'; readonly kind: string; readonly path: string; readonly expected: Expected };

/** What checking a file's text gives: its runs, or the first problem found. */
export type LabFileResult =
  | { readonly ok: true; readonly reports: readonly LabReport[] }
  | { readonly ok: false; readonly problem: LabFileProblem };

/** A field that does not have the report's shape: thrown inside the checker, caught at its top. */
class Invalid {
  constructor(
    readonly path: string,
    readonly expected: Expected,
  ) {}
}

type Obj = Readonly<Record<string, unknown>>;

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A field of `o`, its own only (a `__proto__` or `constructor` key of a hostile file is just absent). */
function get(o: Obj, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new Invalid(path, 'expObject');
  return v;
}

function list(v: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(v) || v.length > MAX_ITEMS) throw new Invalid(path, 'expList');
  return v;
}

function num(o: Obj, key: string, path: string, expected: Expected = 'expNumber'): number {
  const v = get(o, key);
  const p = `${path}${key}`;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Invalid(p, expected);
  if (expected === 'expPositive' && !(v > 0)) throw new Invalid(p, expected);
  if (expected === 'expProbability' && !(v >= 0 && v <= 1)) throw new Invalid(p, expected);
  if (expected === 'expConfidence' && !(v > 0 && v < 1)) throw new Invalid(p, expected);
  if (expected === 'expCount' && !(Number.isSafeInteger(v) && v >= 0)) throw new Invalid(p, expected);
  return v;
}

function str(o: Obj, key: string, path: string): string {
  const v = get(o, key);
  if (typeof v !== 'string' || v.length > MAX_STRING) throw new Invalid(`${path}${key}`, 'expString');
  return v;
}

function tie(o: Obj, key: string, path: string): TieRule {
  const v = get(o, key);
  if (v !== 'honest' && v !== 'attacker') throw new Invalid(`${path}${key}`, 'expTie');
  return v;
}

function interval(o: Obj, key: string, path: string): Interval {
  const p = `${path}${key}.`;
  const v = obj(get(o, key), `${path}${key}`);
  return { low: num(v, 'low', p), high: num(v, 'high', p), confidence: num(v, 'confidence', p, 'expConfidence') };
}

function rows<T>(o: Obj, key: string, path: string, each: (row: Obj, path: string) => T): T[] {
  return list(get(o, key), `${path}${key}`).map((row, i) => {
    const p = `${path}${key}[${i}]`;
    return each(obj(row, p), `${p}.`);
  });
}

function doubleSpendRow(r: Obj, p: string): DoubleSpendRow {
  return {
    attacker: num(r, 'attacker', p, 'expProbability'),
    confirmations: num(r, 'confirmations', p, 'expCount'),
    trials: num(r, 'trials', p, 'expCount'),
    successes: num(r, 'successes', p, 'expCount'),
    rate: num(r, 'rate', p, 'expProbability'),
    interval: interval(r, 'interval', p),
    nakamoto: num(r, 'nakamoto', p, 'expProbability'),
    rosenfeld: num(r, 'rosenfeld', p, 'expProbability'),
    exact: num(r, 'exact', p, 'expProbability'),
    exactUnbounded: num(r, 'exactUnbounded', p, 'expProbability'),
    giveUp: num(r, 'giveUp', p, 'expPositive'),
    blocksPerTrial: num(r, 'blocksPerTrial', p),
  };
}

function whitepaperCell(r: Obj, p: string): WhitepaperCell {
  return {
    attacker: num(r, 'attacker', p, 'expProbability'),
    confirmations: num(r, 'confirmations', p, 'expCount'),
    nakamoto: num(r, 'nakamoto', p, 'expProbability'),
    printed: num(r, 'printed', p, 'expProbability'),
  };
}

function doubleSpend(o: Obj): DoubleSpendReport {
  return {
    kind: 'double-spend',
    seed: num(o, 'seed', ''),
    tie: tie(o, 'tie', ''),
    rows: rows(o, 'rows', '', doubleSpendRow),
    whitepaper: rows(o, 'whitepaper', '', whitepaperCell),
    seconds: num(o, 'seconds', ''),
  };
}

function findZ(o: Obj): FindZReport {
  return {
    kind: 'find-z',
    risk: num(o, 'risk', '', 'expProbability'),
    tie: tie(o, 'tie', ''),
    rows: rows(o, 'rows', '', (r, p) => {
      const printed = get(r, 'whitepaper');
      if (printed !== null && !(typeof printed === 'number' && Number.isSafeInteger(printed) && printed >= 0)) {
        throw new Invalid(`${p}whitepaper`, 'expCountOrNull');
      }
      return {
        attacker: num(r, 'attacker', p, 'expProbability'),
        nakamoto: num(r, 'nakamoto', p, 'expCount'),
        whitepaper: printed,
        rosenfeld: num(r, 'rosenfeld', p, 'expCount'),
        exact: num(r, 'exact', p, 'expCount'),
      };
    }),
  };
}

function selfishRow(r: Obj, p: string): SelfishRow {
  return {
    alpha: num(r, 'alpha', p, 'expProbability'),
    gamma: num(r, 'gamma', p, 'expProbability'),
    mined: num(r, 'mined', p, 'expCount'),
    mainChain: num(r, 'mainChain', p, 'expCount'),
    pool: num(r, 'pool', p, 'expCount'),
    share: num(r, 'share', p, 'expProbability'),
    interval: interval(r, 'interval', p),
    closedForm: num(r, 'closedForm', p),
    threshold: num(r, 'threshold', p, 'expProbability'),
    orphaned: num(r, 'orphaned', p, 'expCount'),
  };
}

function selfish(o: Obj): SelfishReport {
  return {
    kind: 'selfish',
    seed: num(o, 'seed', ''),
    rows: rows(o, 'rows', '', selfishRow),
    seconds: num(o, 'seconds', ''),
  };
}

function majorityRow(r: Obj, p: string): MajorityRow {
  return {
    attacker: num(r, 'attacker', p, 'expProbability'),
    depth: num(r, 'depth', p, 'expCount'),
    trials: num(r, 'trials', p, 'expCount'),
    meanSeconds: num(r, 'meanSeconds', p),
    interval: interval(r, 'interval', p),
    medianSeconds: num(r, 'medianSeconds', p),
    expectedSeconds: num(r, 'expectedSeconds', p),
    attackerBlocks: num(r, 'attackerBlocks', p),
  };
}

function majority(o: Obj): MajorityReport {
  return {
    kind: 'majority',
    seed: num(o, 'seed', ''),
    blockTime: num(o, 'blockTime', '', 'expPositive'),
    rows: rows(o, 'rows', '', majorityRow),
    seconds: num(o, 'seconds', ''),
  };
}

function protocolAttack(r: Obj, p: string): ProtocolAttack {
  const code = get(r, 'code');
  if (code !== null && (typeof code !== 'string' || code.length > MAX_STRING)) {
    throw new Invalid(`${p}code`, 'expStringOrNull');
  }
  const held = get(r, 'held');
  if (typeof held !== 'boolean') throw new Invalid(`${p}held`, 'expBoolean');
  const figuresIn = obj(get(r, 'figures'), `${p}figures`);
  const keys = Object.keys(figuresIn);
  if (keys.length > MAX_ITEMS) throw new Invalid(`${p}figures`, 'expObject');
  // A null-prototype copy: a key like `__proto__` is then an ordinary entry.
  const figures: Record<string, number | string> = Object.create(null);
  for (const key of keys) {
    const v = figuresIn[key];
    const ok = (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && v.length <= MAX_STRING);
    if (!ok || key.length > MAX_STRING) throw new Invalid(`${p}figures.${key.slice(0, 40)}`, 'expFigure');
    figures[key] = v as number | string;
  }
  return {
    name: str(r, 'name', p),
    title: str(r, 'title', p),
    attempt: str(r, 'attempt', p),
    code,
    rule: str(r, 'rule', p),
    held,
    figures,
  };
}

function protocol(o: Obj): ProtocolReport {
  return { kind: 'protocol', attacks: rows(o, 'attacks', '', protocolAttack) };
}

function live(o: Obj): LiveReport {
  const outcome = get(o, 'outcome');
  if (outcome !== 'reversed' && outcome !== 'confirmed' && outcome !== 'timeout') {
    throw new Invalid('outcome', 'expOutcome');
  }
  const rates = obj(get(o, 'hashrates'), 'hashrates');
  return {
    kind: 'live',
    attacker: num(o, 'attacker', '', 'expProbability'),
    confirmations: num(o, 'confirmations', '', 'expCount'),
    hashrates: { honest: num(rates, 'honest', 'hashrates.'), attacker: num(rates, 'attacker', 'hashrates.') },
    outcome,
    payment: str(o, 'payment', ''),
    conflicting: str(o, 'conflicting', ''),
    honestHeight: num(o, 'honestHeight', '', 'expCount'),
    attackerHeight: num(o, 'attackerHeight', '', 'expCount'),
    seconds: num(o, 'seconds', ''),
    forksUrl: str(o, 'forksUrl', ''),
    events: list(get(o, 'events'), 'events').map((e, i) => {
      if (typeof e !== 'string' || e.length > MAX_STRING) throw new Invalid(`events[${i}]`, 'expString');
      return e;
    }),
  };
}

const CHECKERS: Readonly<Record<LabReport['kind'], (o: Obj) => LabReport>> = {
  'double-spend': doubleSpend,
  'find-z': findZ,
  selfish,
  majority,
  protocol,
  live,
};

/** One run checked: the report, or why not. `prefix` locates it in a file holding a list of runs. */
function checkRun(value: unknown, prefix: string): LabReport | LabFileProblem {
  if (!isObj(value)) return { key: 'notObject' };
  const kind = get(value, 'kind');
  if (kind === undefined) return { key: 'noKind' };
  if (typeof kind !== 'string' || !Object.hasOwn(CHECKERS, kind)) {
    return {
      key: 'unknownKind',
      kind: typeof kind === 'string' ? kind.slice(0, 60) : JSON.stringify(kind).slice(0, 60),
    };
  }
  try {
    return CHECKERS[kind as LabReport['kind']](value);
  } catch (err) {
    if (err instanceof Invalid) return { key: 'badField', kind, path: `${prefix}${err.path}`, expected: err.expected };
    throw err;
  }
}

/**
 * Checks the text of a run file (`blockforge lab ... --json`: one run object, or a list of them)
 * against the shapes of src/lab/report.ts. Never throws: anything else is a problem to show.
 */
export function checkLabFile(text: string): LabFileResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: { key: 'notJson' } };
  }
  try {
    const values = Array.isArray(value) ? value : [value];
    if (values.length === 0) return { ok: false, problem: { key: 'notObject' } };
    if (values.length > MAX_RUNS_PER_FILE) return { ok: false, problem: { key: 'tooMany', n: MAX_RUNS_PER_FILE } };
    const reports: LabReport[] = [];
    for (const [i, v] of values.entries()) {
      const checked = checkRun(v, Array.isArray(value) ? `[${i}].` : '');
      if ('key' in checked) return { ok: false, problem: checked };
      reports.push(checked);
    }
    return { ok: true, reports };
  } catch {
    // Nothing above should throw; a file must still never break the page.
    return { ok: false, problem: { key: 'notObject' } };
  }
}

function problemText(problem: LabFileProblem): string {
  switch (problem.key) {
    case 'tooLarge':
      return t('tooLarge', { mib: problem.mib });
    case 'tooMany':
      return t('tooMany', { n: problem.n });
    case 'unknownKind':
      // Backticks in a hostile kind would end its code span early: they become quotes.
      return t('unknownKind', { kind: problem.kind.replace(/`/g, "'") });
    case 'badField':
      return t('badField', {
        kind: problem.kind,
        path: problem.path.replace(/`/g, "'"),
        expected: t(problem.expected, { n: problem.expected === 'expString' ? MAX_STRING : MAX_ITEMS }),
      });
    default:
      return t(problem.key);
  }
}

// ---------------------------------------------------------------------------------------------------
// What the page has opened: kept while the tab lives, so a language or theme switch redraws it.

interface OpenedRun {
  readonly id: number;
  readonly file: string;
  readonly report: LabReport;
}

interface RefusedFile {
  readonly file: string;
  readonly problem: LabFileProblem;
}

const opened: OpenedRun[] = [];
let refused: RefusedFile[] = [];
let lastLoaded = 0;
let nextId = 1;

async function readFiles(files: readonly File[]): Promise<void> {
  refused = [];
  lastLoaded = 0;
  const fresh: OpenedRun[] = [];
  for (const file of files) {
    if (file.size > MAX_FILE_MIB * 1024 * 1024) {
      refused.push({ file: file.name, problem: { key: 'tooLarge', mib: MAX_FILE_MIB } });
      continue;
    }
    let text: string;
    try {
      text = await file.text();
    } catch {
      refused.push({ file: file.name, problem: { key: 'unreadable' } });
      continue;
    }
    const result = checkLabFile(text);
    if (!result.ok) refused.push({ file: file.name, problem: result.problem });
    else for (const report of result.reports) fresh.push({ id: nextId++, file: file.name, report });
  }
  lastLoaded = fresh.length;
  // Newest first: what was just opened is what the reader looks at.
  opened.unshift(...fresh);
}

// ---------------------------------------------------------------------------------------------------
// Drawing.

/** The SVG text parsed as XML (never as HTML) and adopted into the page. */
function inlineChart(spec: ChartSpec, testid: string): HTMLElement {
  const box = h('figure', { class: 'lab-chart', 'data-testid': testid });
  try {
    const doc = new DOMParser().parseFromString(renderChart({ ...spec, background: 'transparent' }), 'image/svg+xml');
    const root = doc.documentElement;
    if (root.nodeName !== 'svg' || doc.getElementsByTagName('parsererror').length > 0) throw new Error('bad svg');
    box.append(document.importNode(root, true));
  } catch {
    box.append(h('p', { class: 'error' }, t('chartFailed')));
  }
  return box;
}

/** A probability: 4 significant digits, scientific below 0.001. */
function prob(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1e-3) return formatNumber(v, { maximumSignificantDigits: 4 });
  return formatNumber(v, { notation: 'scientific', maximumSignificantDigits: 3 });
}

const plainNum = (v: number, digits = 4): string => formatNumber(v, { maximumFractionDigits: digits });

/** A table cell: its text, and the file's value in `data-value` (tests and readers compare them). */
interface Cell {
  readonly col: string;
  readonly text: Child;
  readonly value?: number | string | boolean | null;
  readonly num?: boolean;
}

/**
 * A table of a run. Figures keep their columns on a phone and scroll sideways (rows are compared
 * down a column); a table of texts (`stack`) becomes one card per row there, as elsewhere.
 */
function table(
  testid: string,
  columns: readonly string[],
  body: readonly (readonly Cell[])[],
  stack = false,
): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    labelCells(
      h(
        'table',
        { class: stack ? 'table stack lab-table' : 'table lab-table', 'data-testid': testid },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            columns.map((c) => h('th', null, c)),
          ),
        ),
        h(
          'tbody',
          null,
          body.map((cells) =>
            h(
              'tr',
              null,
              cells.map((c) =>
                h(
                  'td',
                  {
                    'data-col': c.col,
                    'data-value': c.value === undefined ? null : String(c.value),
                    class: c.num ? 'num' : null,
                  },
                  c.text,
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

const intervalText = (i: Interval, f: (v: number) => string): string => `${f(i.low)} – ${f(i.high)}`;
const percentOf = (i: Interval | undefined): number => Math.round((i?.confidence ?? 0.95) * 1000) / 10;
const tieName = (rule: TieRule): string => t(rule === 'attacker' ? 'tieAttacker2' : 'tieHonest2');

function doubleSpendBody(report: DoubleSpendReport): Child[] {
  const columns = [
    t('colShare'),
    t('colConfirmations'),
    t('colTrials'),
    t('colReversed'),
    t('colRate'),
    t('colInterval', { confidence: percentOf(report.rows[0]?.interval) }),
    t('colExact'),
    t('colInside'),
    t('colNakamoto'),
    t('colRosenfeld'),
    t('colGiveUp'),
  ];
  const body = report.rows.map((r): Cell[] => {
    const inside = r.exact >= r.interval.low && r.exact <= r.interval.high;
    return [
      { col: 'attacker', text: plainNum(r.attacker), value: r.attacker, num: true },
      { col: 'confirmations', text: plainNum(r.confirmations), value: r.confirmations, num: true },
      { col: 'trials', text: plainNum(r.trials), value: r.trials, num: true },
      { col: 'successes', text: plainNum(r.successes), value: r.successes, num: true },
      { col: 'rate', text: prob(r.rate), value: r.rate, num: true },
      {
        col: 'interval',
        text: intervalText(r.interval, prob),
        value: `${r.interval.low} ${r.interval.high}`,
        num: true,
      },
      { col: 'exact', text: prob(r.exact), value: r.exact, num: true },
      { col: 'inside', text: h('span', { class: inside ? 'ok' : 'bad' }, t(inside ? 'yes' : 'no')), value: inside },
      { col: 'nakamoto', text: prob(r.nakamoto), value: r.nakamoto, num: true },
      { col: 'rosenfeld', text: prob(r.rosenfeld), value: r.rosenfeld, num: true },
      { col: 'giveUp', text: plainNum(r.giveUp), value: r.giveUp, num: true },
    ];
  });
  const out: Child[] = [
    inlineChart(doubleSpendChart(report, chartLabels()), 'lab-chart-double-spend'),
    h('p', { class: 'muted small' }, t('tieRow', { tie: tieName(report.tie) })),
    table('lab-table-double-spend', columns, body),
  ];
  if (report.whitepaper.length > 0) {
    out.push(
      h(
        'details',
        { class: 'lab-whitepaper' },
        h('summary', null, t('whitepaperTitle')),
        table(
          'lab-table-whitepaper',
          [t('colShare'), t('colConfirmations'), t('colPrinted'), t('colRecomputed')],
          report.whitepaper.map((c) => [
            { col: 'attacker', text: plainNum(c.attacker), value: c.attacker, num: true },
            { col: 'confirmations', text: plainNum(c.confirmations), value: c.confirmations, num: true },
            { col: 'printed', text: c.printed.toFixed(7), value: c.printed, num: true },
            { col: 'nakamoto', text: c.nakamoto.toFixed(7), value: c.nakamoto, num: true },
          ]),
        ),
      ),
    );
  }
  return out;
}

function findZBody(report: FindZReport): Child[] {
  return [
    inlineChart(findZChart(report, chartLabels()), 'lab-chart-find-z'),
    h(
      'p',
      { class: 'muted small' },
      t('riskRow', { risk: prob(report.risk) }),
      ' · ',
      t('tieRow', { tie: tieName(report.tie) }),
    ),
    table(
      'lab-table-find-z',
      [t('colShare'), t('colNakamoto'), t('colWhitepaper'), t('colRosenfeld'), t('colExact')],
      report.rows.map((r) => [
        { col: 'attacker', text: plainNum(r.attacker), value: r.attacker, num: true },
        { col: 'nakamoto', text: plainNum(r.nakamoto), value: r.nakamoto, num: true },
        {
          col: 'whitepaper',
          text: r.whitepaper === null ? t('none') : plainNum(r.whitepaper),
          value: r.whitepaper,
          num: true,
        },
        { col: 'rosenfeld', text: plainNum(r.rosenfeld), value: r.rosenfeld, num: true },
        { col: 'exact', text: plainNum(r.exact), value: r.exact, num: true },
      ]),
    ),
  ];
}

function selfishBody(report: SelfishReport): Child[] {
  return [
    inlineChart(selfishChart(report, chartLabels()), 'lab-chart-selfish'),
    table(
      'lab-table-selfish',
      [
        t('colAlpha'),
        t('colGamma'),
        t('colMined'),
        t('colMainChain'),
        t('colPool'),
        t('colShareSim'),
        t('colInterval', { confidence: percentOf(report.rows[0]?.interval) }),
        t('colClosedForm'),
        t('colThreshold'),
        t('colOrphaned'),
      ],
      report.rows.map((r) => [
        { col: 'alpha', text: plainNum(r.alpha), value: r.alpha, num: true },
        { col: 'gamma', text: plainNum(r.gamma), value: r.gamma, num: true },
        { col: 'mined', text: plainNum(r.mined), value: r.mined, num: true },
        { col: 'mainChain', text: plainNum(r.mainChain), value: r.mainChain, num: true },
        { col: 'pool', text: plainNum(r.pool), value: r.pool, num: true },
        { col: 'share', text: plainNum(r.share), value: r.share, num: true },
        {
          col: 'interval',
          text: intervalText(r.interval, (v) => plainNum(v)),
          value: `${r.interval.low} ${r.interval.high}`,
          num: true,
        },
        { col: 'closedForm', text: plainNum(r.closedForm), value: r.closedForm, num: true },
        { col: 'threshold', text: plainNum(r.threshold), value: r.threshold, num: true },
        { col: 'orphaned', text: plainNum(r.orphaned), value: r.orphaned, num: true },
      ]),
    ),
  ];
}

function majorityBody(report: MajorityReport): Child[] {
  const unit = report.blockTime;
  const blocks = (s: number): string => plainNum(s / unit, 2);
  return [
    inlineChart(majorityChart(report, chartLabels()), 'lab-chart-majority'),
    table(
      'lab-table-majority',
      [
        t('colShare'),
        t('colDepth'),
        t('colTrials'),
        t('colMean'),
        t('colInterval', { confidence: percentOf(report.rows[0]?.interval) }),
        t('colMedian'),
        t('colExpected'),
        t('colMeanTime'),
        t('colAttackerBlocks'),
      ],
      report.rows.map((r) => [
        { col: 'attacker', text: plainNum(r.attacker), value: r.attacker, num: true },
        { col: 'depth', text: plainNum(r.depth), value: r.depth, num: true },
        { col: 'trials', text: plainNum(r.trials), value: r.trials, num: true },
        { col: 'meanSeconds', text: blocks(r.meanSeconds), value: r.meanSeconds, num: true },
        {
          col: 'interval',
          text: intervalText(r.interval, blocks),
          value: `${r.interval.low} ${r.interval.high}`,
          num: true,
        },
        { col: 'medianSeconds', text: blocks(r.medianSeconds), value: r.medianSeconds, num: true },
        { col: 'expectedSeconds', text: blocks(r.expectedSeconds), value: r.expectedSeconds, num: true },
        { col: 'time', text: secondsText(r.meanSeconds), num: true },
        { col: 'attackerBlocks', text: plainNum(r.attackerBlocks, 1), value: r.attackerBlocks, num: true },
      ]),
    ),
  ];
}

function protocolBody(report: ProtocolReport): Child[] {
  return [
    table(
      'lab-table-protocol',
      [t('colAttack'), t('colAttempt'), t('colRule'), t('colCode'), t('colHeld'), t('colFigures')],
      report.attacks.map((a) => [
        { col: 'name', text: [h('code', null, a.name), h('br'), a.title], value: a.name },
        { col: 'attempt', text: a.attempt },
        { col: 'rule', text: a.rule, value: a.rule },
        { col: 'code', text: a.code === null ? t('none') : h('code', null, a.code), value: a.code },
        {
          col: 'held',
          text: h('span', { class: a.held ? 'ok' : 'bad' }, t(a.held ? 'held' : 'broken')),
          value: a.held,
        },
        {
          col: 'figures',
          text: h(
            'ul',
            { class: 'lab-figures' },
            Object.keys(a.figures).map((k) => {
              const v = a.figures[k] as number | string;
              return h('li', null, h('code', null, k), ': ', typeof v === 'number' ? plainNum(v, 6) : v);
            }),
          ),
        },
      ]),
      true,
    ),
  ];
}

function liveBody(report: LiveReport): Child[] {
  const outcome =
    report.outcome === 'reversed'
      ? 'outcomeReversed'
      : report.outcome === 'confirmed'
        ? 'outcomeConfirmed'
        : 'outcomeTimeout';
  const row = (key: Key, value: Child): Child[] => [h('dt', null, t(key)), h('dd', null, value)];
  return [
    h(
      'dl',
      { class: 'kv', 'data-testid': 'lab-live' },
      row('liveShare', plainNum(report.attacker)),
      row('liveConfirmations', plainNum(report.confirmations)),
      row('liveHashrates', `${hashRate(report.hashrates.honest)} / ${hashRate(report.hashrates.attacker)}`),
      row('liveOutcome', h('span', { class: report.outcome === 'reversed' ? 'bad' : 'ok' }, t(outcome))),
      row('liveHeights', `#${report.honestHeight} / #${report.attackerHeight}`),
      row('livePayment', h('code', { class: 'hash' }, report.payment)),
      row('liveConflicting', h('code', { class: 'hash' }, report.conflicting)),
      // Shown, not linked: a file may name any address.
      row('liveForks', h('code', { class: 'hash' }, report.forksUrl)),
    ),
    h('h3', null, t('liveEvents')),
    h('pre', { class: 'lab-events' }, report.events.join('\n')),
  ];
}

const KIND_TITLE: Readonly<Record<LabReport['kind'], Key>> = {
  'double-spend': 'kindDoubleSpend',
  'find-z': 'kindFindZ',
  selfish: 'kindSelfish',
  majority: 'kindMajority',
  protocol: 'kindProtocol',
  live: 'kindLive',
};

function runBody(report: LabReport): Child[] {
  switch (report.kind) {
    case 'double-spend':
      return doubleSpendBody(report);
    case 'find-z':
      return findZBody(report);
    case 'selfish':
      return selfishBody(report);
    case 'majority':
      return majorityBody(report);
    case 'protocol':
      return protocolBody(report);
    case 'live':
      return liveBody(report);
  }
}

function runCard(run: OpenedRun, onRemove: () => void): HTMLElement {
  const { report } = run;
  const headingId = `lab-run-${run.id}`;
  const meta: Child[] = [t('fileMeta'), ' ', h('code', null, run.file)];
  if ('seed' in report) meta.push(' · ', t('seedMeta', { seed: String(report.seed) }));
  if ('seconds' in report) meta.push(' · ', t('tookMeta', { time: secondsText(report.seconds) }));
  let body: Child[];
  try {
    body = runBody(report);
  } catch {
    // The report was checked; a drawing bug must still not take the page down.
    body = [h('p', { class: 'error' }, t('chartFailed'))];
  }
  return h(
    'article',
    { class: 'card lab-run', 'data-testid': 'lab-run', 'data-kind': report.kind },
    h(
      'header',
      { class: 'lab-run-head' },
      h('h2', { id: headingId }, t(KIND_TITLE[report.kind])),
      h(
        'button',
        { type: 'button', class: 'compact', 'aria-describedby': headingId, onclick: () => onRemove() },
        t('remove'),
      ),
    ),
    h('p', { class: 'muted small' }, meta),
    body,
  );
}

/** Renders the lab page into `main`; returns its cleanup. */
export function renderLab(main: HTMLElement, _arg?: string): () => void {
  const input = h('input', {
    type: 'file',
    id: 'lab-file',
    multiple: true,
    accept: '.json,application/json',
    class: 'visually-hidden',
    'data-testid': 'lab-file',
  });
  const status = h('p', { class: 'muted', role: 'status', 'data-testid': 'lab-status' });
  const problems = h('div', { role: 'alert', 'data-testid': 'lab-problems' });
  const runsBox = h('div', { class: 'lab-runs', 'data-testid': 'lab-runs' });
  const drop = h(
    'div',
    { class: 'lab-drop', 'data-testid': 'lab-drop' },
    // The native input is hidden: its button speaks the browser's language, not the page's.
    input,
    h('label', { for: 'lab-file', class: 'lab-file-button' }, t('fileLabel')),
    h('p', { class: 'muted small lab-drop-hint' }, t('dropHint')),
  );
  let disposed = false;
  let busy = Promise.resolve();

  const draw = (): void => {
    replace(
      problems,
      refused.length === 0
        ? null
        : h(
            'div',
            { class: 'lab-problems' },
            h('p', { class: 'error' }, t('problemsTitle')),
            h(
              'ul',
              null,
              refused.map((r) =>
                h('li', { class: 'error' }, h('code', null, r.file), ' ', rich(problemText(r.problem))),
              ),
            ),
          ),
    );
    status.textContent =
      lastLoaded > 0
        ? t(lastLoaded === 1 ? 'loadedOne' : 'loadedMany', { n: lastLoaded })
        : opened.length === 0
          ? t('noRuns')
          : '';
    replace(
      runsBox,
      opened.map((run) =>
        runCard(run, () => {
          const at = opened.indexOf(run);
          if (at >= 0) opened.splice(at, 1);
          lastLoaded = 0;
          draw();
        }),
      ),
    );
  };

  const open = (files: readonly File[]): void => {
    if (files.length === 0) return;
    // One batch at a time, in order: a second drop waits for the first.
    busy = busy
      .then(() => readFiles(files))
      .catch(() => undefined)
      .then(() => {
        if (!disposed) draw();
      });
  };

  input.addEventListener('change', () => {
    open([...(input.files ?? [])]);
    // The same file chosen again is a new change.
    input.value = '';
  });

  // Dropping anywhere on the page opens the files (the browser would otherwise navigate to them).
  const over = (event: DragEvent): void => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    drop.classList.add('dragging');
  };
  const leave = (event: DragEvent): void => {
    if (event.relatedTarget === null) drop.classList.remove('dragging');
  };
  const dropped = (event: DragEvent): void => {
    if (!event.dataTransfer?.types.includes('Files')) return;
    event.preventDefault();
    drop.classList.remove('dragging');
    open([...event.dataTransfer.files]);
  };
  window.addEventListener('dragover', over);
  window.addEventListener('dragleave', leave);
  window.addEventListener('drop', dropped);

  main.append(
    h('h1', { tabindex: '-1' }, t('title')),
    h(
      'div',
      { class: 'lab-page', 'data-testid': 'lab' },
      h('p', { class: 'lead' }, t('lead')),
      h('p', { class: 'lead' }, rich(t('howTo'))),
      h('section', { class: 'card lab-open' }, h('h2', null, t('openTitle')), drop, problems, status),
      runsBox,
      h(
        'section',
        { class: 'card lab-formulas', 'data-testid': 'lab-formulas' },
        h('h2', null, t('formulasTitle')),
        h('p', { class: 'muted' }, t('formulasLead')),
        inlineChart(doubleSpendFormulaChart({}, chartLabels()), 'lab-formula-double-spend'),
        inlineChart(selfishFormulaChart({}, chartLabels()), 'lab-formula-selfish'),
      ),
    ),
  );
  draw();
  return () => {
    disposed = true;
    window.removeEventListener('dragover', over);
    window.removeEventListener('dragleave', leave);
    window.removeEventListener('drop', dropped);
  };
}
