#!/usr/bin/env node

/**
 * `npm run bench`: every performance goal of the project measured against its reference in the
 * same run, then one table with each ratio and its goal. In order: proof of work (native and
 * WebAssembly kernels against the SHA-NI ceiling), chain validation (the tutorial's Python
 * `valid_chain`), durable ingest (a bare Fastify route), the ledger's signature checks (one core's
 * verify rate), a fresh sync (the bare `/chain` download and validation), and CLI start-up
 * (`node -e 0`). Everything stays on 127.0.0.1 and every step is bounded in time (the validation
 * chain is mined once and cached in bench/.cache). These machines are shared: quote a quiet run.
 *
 * Usage: node bench/run-all.mjs [--blocks N] [--difficulty D] [--seconds S] [--no-python-node]
 *        [--only pow,validate,ingest,ledger,sync,startup] [--json]
 */

import { formatIngest, GOAL_VS_BARE, runIngest } from './ingest.mjs';
import { formatLedger, runLedger } from './ledger.mjs';
import { DEFAULT_BLOCKS, DEFAULT_DIFFICULTY, intArg } from './make-chain.mjs';
import { formatPow, GOAL_VS_CEILING, runPow } from './pow.mjs';
import { formatStartup, runStartup } from './startup.mjs';
import { formatSync, runSync } from './sync.mjs';
import { formatValidate, GOAL_RATIO, GOAL_RATIO_NO_PRINTS, runValidate } from './validate.mjs';

const argv = process.argv.slice(2);
const log = (line) => console.log(line);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? '').split(',')) : null;
const wanted = (name) => only === null || only.has(name);

/** The sync goal: a fresh sync takes no longer than downloading and validating the bare /chain. */
const SYNC_GOAL = 1;

const results = {};

if (wanted('pow')) {
  console.log('== proof of work');
  results.pow = await runPow({ log });
  for (const line of formatPow(results.pow)) console.log(line);
}
if (wanted('validate')) {
  console.log('\n== chain validation');
  results.validate = await runValidate({
    blocks: intArg(argv, '--blocks', DEFAULT_BLOCKS),
    difficulty: intArg(argv, '--difficulty', DEFAULT_DIFFICULTY),
    log,
  });
  for (const line of formatValidate(results.validate)) console.log(line);
}
if (wanted('ingest')) {
  console.log('\n== transaction ingest');
  results.ingest = await runIngest({
    seconds: intArg(argv, '--seconds', 10),
    pythonNode: !argv.includes('--no-python-node'),
    log,
  });
  for (const line of formatIngest(results.ingest)) console.log(line);
}
if (wanted('ledger')) {
  console.log('\n== ledger profile (signatures, block validation, signed ingest, headers-first sync)');
  results.ledger = await runLedger({ log });
  for (const line of formatLedger(results.ledger)) console.log(line);
}
if (wanted('sync')) {
  console.log('\n== fresh sync');
  results.sync = await runSync({ freshOnly: true, runs: 3, log });
  for (const line of formatSync(results.sync)) console.log(line);
}
if (wanted('startup')) {
  console.log('\n== CLI start-up');
  results.startup = runStartup();
  for (const line of formatStartup(results.startup)) console.log(line);
}

// ---- the summary: one row per goal --------------------------------------------------------------

const rows = [['goal', 'blockforge', 'reference, same run', 'ratio', 'goal', '']];
const met = (ok) => (ok === null ? '' : ok ? 'met' : 'MISSED');
const add = (what, ours, reference, ratio, goal, ok) => rows.push([what, ours, reference, ratio, goal, met(ok)]);
const ms = (x) => `${x.toFixed(1)} ms`;
const mps = (x) => `${(x / 1e6).toFixed(1)} M/s`;
const x2 = (x) => `${x.toFixed(2)}x`;

const { pow, validate, ingest, ledger, sync, startup } = results;
if (pow) {
  const ceiling = pow.ceiling?.compressionsPerSecond ?? null;
  const one = pow.rows.find((r) => r.kernel === 'native' && r.threads === 1 && r.profile === 'seed');
  const all = pow.rows.find((r) => r.kernel === 'native' && r.threads === pow.cores && r.profile === 'seed');
  const wasm = pow.rows.find((r) => r.kernel === 'wasm' && r.threads === 1 && r.profile === 'seed');
  for (const [what, row] of [
    ['mining, 1 thread (native)', one],
    [`mining, ${pow.cores} threads (native)`, all],
    ['mining, 1 thread (wasm, before)', wasm],
  ]) {
    if (!row || ceiling === null) continue;
    add(
      what,
      mps(row.rate),
      `SHA-NI ceiling ${mps(ceiling)} per core (openssl speed / 64)`,
      x2(row.vsCeiling),
      `>= ${GOAL_VS_CEILING} per core`,
      row.kernel === 'native' ? row.vsCeiling >= GOAL_VS_CEILING : null,
    );
  }
}
if (startup) {
  for (const c of startup.commands) {
    add(
      c.name,
      `${c.ms.toFixed(0)} ms`,
      `${startup.nodeMs.toFixed(0)} ms node -e 0`,
      x2(c.ratio),
      `<= ${startup.goal}x`,
      c.ratio <= startup.goal,
    );
  }
}
if (validate) {
  const v = validate;
  const pyPrints = v.python.parseMs + v.python.withPrintsMs;
  const pyNoPrints = v.python.parseMs + v.python.noPrintsMs;
  add(
    `validate ${v.blocks} blocks, parse incl., ${v.ours.threads} threads`,
    ms(v.ours.parallelScanMs),
    `${ms(pyPrints)} json.load + valid_chain (with prints)`,
    `${v.ratios.parallelVsPrints.toFixed(1)}x`,
    `>= ${GOAL_RATIO}x`,
    v.ratios.parallelVsPrints >= GOAL_RATIO,
  );
  add(
    '',
    '',
    `${ms(pyNoPrints)} json.load + valid_chain, no prints`,
    `${v.ratios.parallelVsNoPrints.toFixed(1)}x`,
    `>= ${GOAL_RATIO_NO_PRINTS}x`,
    v.ratios.parallelVsNoPrints >= GOAL_RATIO_NO_PRINTS,
  );
  add(
    '  ...one thread',
    ms(v.ours.scanMs),
    '',
    `${v.ratios.scanVsPrints.toFixed(1)}x / ${v.ratios.scanVsNoPrints.toFixed(1)}x`,
    '',
    null,
  );
  add(
    '  ...before (parseJson + validateChainResponse)',
    ms(v.ours.parseMs + v.ours.bestValidateMs),
    '',
    `${v.ratios.parseValidateVsPrints.toFixed(1)}x / ${v.ratios.parseValidateVsNoPrints.toFixed(1)}x`,
    '',
    null,
  );
  add(
    'blockforge verify FILE, whole process',
    ms(v.ours.verifyWholeMs),
    `${ms(v.python.wholeWithPrintsMs)} Python script (with prints)`,
    `${v.ratios.verifyVsPrints.toFixed(1)}x`,
    `>= ${GOAL_RATIO}x`,
    v.ratios.verifyVsPrints >= GOAL_RATIO,
  );
  add(
    '',
    '',
    `${ms(v.python.wholeNoPrintsMs)} Python script, no prints`,
    `${v.ratios.verifyVsNoPrints.toFixed(1)}x`,
    `>= ${GOAL_RATIO_NO_PRINTS}x`,
    v.ratios.verifyVsNoPrints >= GOAL_RATIO_NO_PRINTS,
  );
}
if (ledger?.block) {
  const g = ledger.block;
  add(
    `ledger block of ${g.txs} payments, ${g.cores} cores`,
    `${Math.round(g.pool.rate)} tx/s`,
    `${Math.round(g.single)}/s one-core verify x ${g.cores}`,
    x2(g.ratio),
    `>= ${g.goal}`,
    g.ratio >= g.goal,
  );
  add(
    '  ...no pool (before)',
    `${Math.round(g.inline.rate ?? (g.txs / g.inline.ms) * 1000)} tx/s`,
    '',
    x2(g.ratioInline),
    '',
    null,
  );
}
if (ingest) {
  add(
    'durable POST /transactions/new, 10 connections',
    `${Math.round(ingest.blockforge.requestsPerSecond)} req/s`,
    `${Math.round(ingest.bare.requestsPerSecond)} req/s bare Fastify, same body`,
    x2(ingest.ratios.vsBare),
    `>= ${GOAL_VS_BARE}x`,
    ingest.ratios.vsBare >= GOAL_VS_BARE && ingest.blockforge.ok,
  );
}
if (sync) {
  const f = sync.fresh;
  add(
    `fresh sync of ${sync.blocks} blocks (time)`,
    ms(f.sync.fromFirstRequest),
    `${ms(f.baseline.ms)} /chain download + parse + validate`,
    `${f.pairedRatio.toFixed(2)}x`,
    `<= ${SYNC_GOAL}x`,
    f.pairedRatio <= SYNC_GOAL,
  );
}

const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log('\n== summary (ratios against references measured in this run)');
for (const [k, row] of rows.entries()) {
  console.log(
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join(' | ')
      .trimEnd(),
  );
  if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
}
if (argv.includes('--json')) console.log(JSON.stringify(results));
if (ingest && !ingest.blockforge.ok) {
  console.error(
    'ingest check FAILED: non-2xx answers, errors, a mempool count that differs from the 201s, or a 201 lost to kill -9',
  );
  process.exitCode = 1;
}
