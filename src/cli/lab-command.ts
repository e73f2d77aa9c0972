/**
 * `blockforge lab`: the classic attacks on proof of work, run on the real rules and nodes
 * (src/lab), printed as a table with the papers' figures beside the simulated ones, or as one JSON
 * object with `--json` (what the explorer's lab page draws).
 */

import { writeFileSync } from 'node:fs';
import { confirmationsFor, doubleSpendExact, nakamoto, rosenfeld, WHITEPAPER } from '../lab/odds.js';
import type {
  DoubleSpendReport,
  FindZReport,
  Interval,
  LabReport,
  MajorityReport,
  ProtocolReport,
  SelfishReport,
  TieRule,
} from '../lab/report.js';
import { CliError } from './http-client.js';

export { countListOption, probabilityOption, shareListOption } from './lab-options.js';

/** Options every simulated run takes. */
export interface LabRunOptions {
  readonly seed: number;
  readonly json?: boolean;
  /** Also write the run's chart to this file (SVG). */
  readonly svg?: string;
  readonly confidence: number;
  readonly blockTime: number;
}

/**
 * Ctrl-C (or a SIGTERM) during a run exits through Node's `exit` event, where the lab removes its
 * nodes' folders (the default handlers end the process without it).
 */
function exitOnInterrupt(): void {
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  process.once('SIGHUP', () => process.exit(129));
  // `... | head`: the reader is gone; stop quietly (and clean up) rather than die on EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
}

/** Most simulated trials one command runs (cells x trials): beyond it a run would go on for days. */
const MAX_TOTAL_TRIALS = 10_000_000;

/** A model's refusal (a share or a size it cannot take) as the CLI's one-line error. */
async function asCliError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof RangeError) throw new CliError('INVALID_OPTION', err.message);
    throw err;
  }
}

/** Writes the run's chart where `--svg` says (the same SVG the explorer's lab page draws). */
async function writeChart(path: string | undefined, report: LabReport): Promise<void> {
  if (path === undefined) return;
  const charts = await import('../lab/chart-svg.js');
  const spec =
    report.kind === 'double-spend'
      ? charts.doubleSpendChart(report)
      : report.kind === 'find-z'
        ? charts.findZChart(report)
        : report.kind === 'selfish'
          ? charts.selfishChart(report)
          : report.kind === 'majority'
            ? charts.majorityChart(report)
            : null;
  if (spec === null) return;
  try {
    writeFileSync(path, charts.renderChart(spec));
  } catch (err) {
    throw new CliError('FILE_UNWRITABLE', `cannot write the chart to ${path}: ${(err as Error).message}`);
  }
}

/** A progress line on a terminal's stderr (nothing when it is not a terminal). */
function progress(label: string): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let shown = 0;
  return (done, total) => {
    const now = Date.now();
    if (done < total && now - shown < 200) return;
    shown = now;
    process.stderr.write(`\r${label}: ${done}/${total}${done === total ? '\n' : ''}`);
  };
}

const p7 = (x: number): string => x.toFixed(7);
const ci = (i: Interval, f: (x: number) => string): string => `[${f(i.low)}, ${f(i.high)}]`;
const inside = (x: number, i: Interval): string => (x >= i.low && x <= i.high ? 'yes' : 'NO');

/** Rows of cells as aligned columns. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => (r[k] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, k) => c.padEnd(widths[k] as number))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `lab double-spend` options. */
export interface DoubleSpendCliOptions extends LabRunOptions {
  readonly attacker: number[];
  readonly confirmations: number[];
  readonly trials: number;
  readonly tie: TieRule;
  readonly giveUp?: number;
  readonly findZ?: boolean;
  readonly risk: number;
}

/** Prints a double-spend run (or, with `--find-z`, the confirmations table). */
export async function runLabDoubleSpend(options: DoubleSpendCliOptions): Promise<number> {
  if (options.findZ) {
    const report = await asCliError(async () => findZ(options.risk, options.tie));
    await writeChart(options.svg, report);
    console.log(options.json ? JSON.stringify(report) : formatFindZ(report));
    return 0;
  }
  exitOnInterrupt();
  const cells = options.attacker.length * options.confirmations.length;
  if (cells * options.trials > MAX_TOTAL_TRIALS) {
    throw new CliError(
      'INVALID_OPTION',
      `${cells} cells x ${options.trials} trials is more than ${MAX_TOTAL_TRIALS} trials in one run: fewer cells or trials`,
    );
  }
  const { runDoubleSpend } = await import('../lab/double-spend.js');
  const report = await asCliError(() =>
    runDoubleSpend({
      attackers: options.attacker,
      confirmations: options.confirmations,
      trials: options.trials,
      seed: options.seed,
      tie: options.tie,
      blockTime: options.blockTime,
      confidence: options.confidence,
      ...(options.giveUp === undefined ? {} : { giveUp: options.giveUp }),
      ...(options.json ? {} : { onProgress: progress('trials') }),
    }),
  );
  await writeChart(options.svg, report);
  console.log(options.json ? JSON.stringify(report) : formatDoubleSpend(report));
  return 0;
}

/** The confirmations needed for each attacker share of the whitepaper's table. */
export function findZ(risk: number, tie: TieRule): FindZReport {
  const printed = new Map<number, number>(WHITEPAPER.risk001.map(([q, z]) => [q, z]));
  const shares = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45];
  return {
    kind: 'find-z',
    risk,
    tie,
    rows: shares.map((q) => ({
      attacker: q,
      nakamoto: confirmationsFor(nakamoto, q, risk),
      whitepaper: risk === 0.001 ? (printed.get(q) ?? null) : null,
      rosenfeld: confirmationsFor(rosenfeld, q, risk),
      exact: confirmationsFor((qq, z) => doubleSpendExact(qq, z, tie), q, risk),
    })),
  };
}

function tieWords(tie: TieRule): string {
  return tie === 'honest'
    ? 'a tie goes to the honest branch (the node keeps the branch it saw first)'
    : "a tie goes to the attacker (Rosenfeld's rule: the attacker starts one block ahead)";
}

/** The text table of a double-spend run. */
export function formatDoubleSpend(report: DoubleSpendReport): string {
  const confidence = report.rows[0]?.interval.confidence ?? 0.95;
  const out = [
    `Double spend on real nodes (seed ${report.seed}); ${tieWords(report.tie)}.`,
    "The merchant ships after z confirmations (the payment's block is the first); the attacker wins if its",
    'branch ever has strictly more work, and gives up when it is `give-up` blocks behind.',
    '',
    table(
      [
        'q',
        'z',
        'trials',
        'reversed',
        `simulated [${Math.round(confidence * 100)}% CI]`,
        'exact (this rule)',
        'in CI',
        'Rosenfeld',
        'Nakamoto',
        'give-up',
      ],
      report.rows.map((r) => [
        r.attacker.toString(),
        r.confirmations.toString(),
        r.trials.toString(),
        r.successes.toString(),
        `${p7(r.rate)} ${ci(r.interval, p7)}`,
        p7(r.exact),
        inside(r.exact, r.interval),
        p7(r.rosenfeld),
        p7(r.nakamoto),
        r.giveUp.toString(),
      ]),
    ),
    '',
    'exact (this rule): the probability the simulation estimates (docs/lab.md derives it), for an attacker who',
    'gives up `give-up` blocks behind (by default where that changes it by less than 0.1%; exactUnbounded in',
    "--json is the never-giving-up value). Rosenfeld counts a tie as the attacker's; Nakamoto approximates the",
    "attacker's progress by a Poisson variable. The whitepaper's table (section 11), recomputed:",
    '',
    table(
      ['q', 'z', 'Nakamoto', 'printed', 'same'],
      report.whitepaper.map((c) => [
        c.attacker.toString(),
        c.confirmations.toString(),
        p7(c.nakamoto),
        p7(c.printed),
        p7(c.nakamoto) === p7(c.printed) ? 'yes' : 'NO',
      ]),
    ),
    '',
    `${report.rows.reduce((s, r) => s + r.trials, 0)} trials in ${report.seconds.toFixed(1)} s.`,
  ];
  return out.join('\n');
}

/** The text table of `--find-z`. */
export function formatFindZ(report: FindZReport): string {
  return [
    `Confirmations needed for a double spend to succeed with probability below ${report.risk}:`,
    '',
    table(
      ['q', 'Nakamoto', 'whitepaper', 'Rosenfeld', `exact (tie: ${report.tie})`],
      report.rows.map((r) => [
        r.attacker.toFixed(2),
        r.nakamoto.toString(),
        r.whitepaper === null ? '-' : r.whitepaper.toString(),
        r.rosenfeld.toString(),
        r.exact.toString(),
      ]),
    ),
  ].join('\n');
}

/** `lab selfish` options. */
export interface SelfishCliOptions extends LabRunOptions {
  readonly alpha: number[];
  readonly gamma: number[];
  readonly blocks: number;
}

/** Prints a selfish-mining run. */
export async function runLabSelfish(options: SelfishCliOptions): Promise<number> {
  exitOnInterrupt();
  const { runSelfish } = await import('../lab/selfish.js');
  const report = await asCliError(() =>
    runSelfish({
      alphas: options.alpha,
      gammas: options.gamma,
      blocks: options.blocks,
      seed: options.seed,
      blockTime: options.blockTime,
      confidence: options.confidence,
      ...(options.json ? {} : { onProgress: progress('blocks') }),
    }),
  );
  await writeChart(options.svg, report);
  console.log(options.json ? JSON.stringify(report) : formatSelfish(report));
  return 0;
}

/** The text table of a selfish-mining run. */
export function formatSelfish(report: SelfishReport): string {
  const confidence = report.rows[0]?.interval.confidence ?? 0.95;
  return [
    `Selfish mining on real nodes (seed ${report.seed}): the pool's share of the main chain's blocks.`,
    '',
    table(
      [
        'alpha',
        'gamma',
        'main chain',
        'pool',
        `share [${Math.round(confidence * 100)}% CI]`,
        'Eyal-Sirer',
        'in CI',
        'threshold',
        'pays?',
      ],
      report.rows.map((r) => [
        r.alpha.toString(),
        r.gamma.toString(),
        r.mainChain.toString(),
        r.pool.toString(),
        `${r.share.toFixed(4)} ${ci(r.interval, (x) => x.toFixed(4))}`,
        r.closedForm.toFixed(4),
        inside(r.closedForm, r.interval),
        r.threshold.toFixed(4),
        r.alpha > r.threshold ? `yes (> ${r.alpha})` : `no (honest: ${r.alpha})`,
      ]),
    ),
    '',
    'A pool above the threshold earns more than its share alpha by mining selfishly (Eyal and Sirer, 2014).',
    `${report.rows.reduce((s, r) => s + r.mined, 0)} blocks in ${report.seconds.toFixed(1)} s.`,
  ].join('\n');
}

/** `lab majority` options. */
export interface MajorityCliOptions extends LabRunOptions {
  readonly attacker: number[];
  readonly depth: number;
  readonly trials: number;
}

/** Prints a majority-attack run. */
export async function runLabMajority(options: MajorityCliOptions): Promise<number> {
  exitOnInterrupt();
  const { runMajority } = await import('../lab/majority.js');
  const report = await asCliError(() =>
    runMajority({
      attackers: options.attacker,
      depth: options.depth,
      trials: options.trials,
      seed: options.seed,
      blockTime: options.blockTime,
      confidence: options.confidence,
      ...(options.json ? {} : { onProgress: progress('trials') }),
    }),
  );
  await writeChart(options.svg, report);
  console.log(options.json ? JSON.stringify(report) : formatMajority(report));
  return 0;
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** The text table of a majority run. */
export function formatMajority(report: MajorityReport): string {
  const confidence = report.rows[0]?.interval.confidence ?? 0.95;
  return [
    `A majority attacker rewrites the last ${report.rows[0]?.depth ?? '?'} blocks (seed ${report.seed}; a block every ${report.blockTime} s on average).`,
    '',
    table(
      [
        'q',
        'trials',
        `mean time [${Math.round(confidence * 100)}% CI]`,
        'expected',
        'in CI',
        'median',
        'block intervals',
        'attacker blocks',
      ],
      report.rows.map((r) => [
        r.attacker.toString(),
        r.trials.toString(),
        `${duration(r.meanSeconds)} [${duration(r.interval.low)}, ${duration(r.interval.high)}]`,
        duration(r.expectedSeconds),
        inside(r.expectedSeconds, r.interval),
        duration(r.medianSeconds),
        (r.meanSeconds / report.blockTime).toFixed(1),
        r.attackerBlocks.toFixed(1),
      ]),
    ),
    '',
    'expected: (depth + 1) / (2q - 1) block intervals: the attacker gains 2q - 1 blocks a block on average.',
    `${report.rows.reduce((s, r) => s + r.trials, 0)} trials in ${report.seconds.toFixed(1)} s.`,
  ].join('\n');
}

/** `lab protocol` options. */
export interface ProtocolCliOptions {
  readonly json?: boolean;
  readonly proofs: number;
  readonly difficulty: number;
}

/** Runs the protocol attacks named (all by default) and prints what stopped each. */
export async function runLabProtocol(names: string[], options: ProtocolCliOptions): Promise<number> {
  exitOnInterrupt();
  const { runProtocolAttacks, PROTOCOL_ATTACKS } = await import('../lab/protocol-attacks.js');
  const onProgress = options.json ? undefined : progress('seed-precompute proofs');
  const report = await runProtocolAttacks(names.length > 0 ? names : PROTOCOL_ATTACKS, {
    proofs: options.proofs,
    difficulty: options.difficulty,
    ...(onProgress ? { onProgress } : {}),
  });
  console.log(options.json ? JSON.stringify(report) : formatProtocol(report));
  return 0;
}

/** The text of a protocol run: one block per attack. */
export function formatProtocol(report: ProtocolReport): string {
  const out = [
    'Attacks on the rules, tried against the real code (docs/lab.md):',
    '',
    table(
      ['attack', 'defence', 'stopped by', 'rule'],
      report.attacks.map((a) => [
        a.name,
        a.name === 'seed-precompute' ? (a.held ? 'held' : 'none: it works on seed') : a.held ? 'held' : 'BROKEN',
        a.code ?? '-',
        a.rule,
      ]),
    ),
  ];
  for (const a of report.attacks) {
    out.push('', `${a.name}: ${a.title}`, `  tried: ${a.attempt}`);
    for (const [key, value] of Object.entries(a.figures)) out.push(`  ${key}: ${value}`);
  }
  return out.join('\n');
}

/** `double-spend --live` options. */
export interface LiveCliOptions {
  readonly live?: boolean;
  readonly totalHashrate?: number;
  readonly blockSeconds?: string;
  readonly timeout?: number;
  readonly keep?: boolean;
}

/** `double-spend --live`: one real double spend; with --keep the nodes stay up until Ctrl-C. */
export async function runLabLive(options: DoubleSpendCliOptions & LiveCliOptions): Promise<number> {
  if (options.attacker.length !== 1 || options.confirmations.length !== 1) {
    throw new CliError('INVALID_OPTION', '--live runs one --attacker share against one --confirmations count');
  }
  if (options.tie === 'attacker') {
    throw new CliError('INVALID_OPTION', '--live: real nodes keep the branch they saw first on a tie (--tie honest)');
  }
  let blockSeconds: number | undefined;
  if (options.blockSeconds !== undefined) {
    blockSeconds = Number(options.blockSeconds);
    if (!/^[0-9.]+$/.test(options.blockSeconds) || !(blockSeconds > 0)) {
      throw new CliError('INVALID_OPTION', '--block-seconds must be a positive number of seconds');
    }
  }
  exitOnInterrupt();
  const { runLiveDoubleSpend } = await import('../lab/live.js');
  const run = await runLiveDoubleSpend(
    {
      attacker: options.attacker[0] as number,
      confirmations: options.confirmations[0] as number,
      ...(options.totalHashrate === undefined ? {} : { totalHashrate: options.totalHashrate }),
      ...(blockSeconds === undefined ? {} : { blockSeconds }),
      ...(options.giveUp === undefined ? {} : { giveUp: options.giveUp }),
      ...(options.timeout === undefined ? {} : { timeoutSeconds: options.timeout }),
      keep: options.keep === true,
    },
    (line) => {
      if (!options.json) console.log(line);
    },
  );
  // `stop` is a function: JSON leaves it out.
  if (options.json) console.log(JSON.stringify(run));
  else console.log(`outcome: ${run.outcome} (q ${run.attacker}, z ${run.confirmations}, ${run.seconds.toFixed(1)} s)`);
  if (options.keep) {
    if (!options.json) console.log(`the nodes keep running: ${run.forksUrl} (Ctrl-C stops them)`);
    // From here Ctrl-C stops the nodes gracefully (the exit-at-once handlers are for the run).
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGTERM');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await run.stop();
  }
  return 0;
}
