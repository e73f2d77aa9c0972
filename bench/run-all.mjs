#!/usr/bin/env node

/**
 * `npm run bench`: chain validation against the tutorial's Python valid_chain, then transaction
 * ingest on a real node, the ledger's figures, CLI start-up against `node -e 0`, then one summary table. Everything stays on 127.0.0.1 and every step is
 * bounded in time (the chain is mined once and cached in bench/.cache).
 *
 * Usage: node bench/run-all.mjs [--blocks N] [--difficulty D] [--seconds S] [--no-python-node] [--json]
 */

import { formatIngest, runIngest } from './ingest.mjs';
import { formatLedger, runLedger } from './ledger.mjs';
import { DEFAULT_BLOCKS, DEFAULT_DIFFICULTY, intArg } from './make-chain.mjs';
import { formatStartup, runStartup } from './startup.mjs';
import { formatValidate, GOAL_RATIO, runValidate } from './validate.mjs';

const argv = process.argv.slice(2);
const log = (line) => console.log(line);

console.log('== chain validation');
const validate = await runValidate({
  blocks: intArg(argv, '--blocks', DEFAULT_BLOCKS),
  difficulty: intArg(argv, '--difficulty', DEFAULT_DIFFICULTY),
  log,
});
for (const line of formatValidate(validate)) console.log(line);

console.log('\n== transaction ingest');
const ingest = await runIngest({
  seconds: intArg(argv, '--seconds', 10),
  pythonNode: !argv.includes('--no-python-node'),
  log,
});
for (const line of formatIngest(ingest)) console.log(line);

console.log('\n== ledger profile (signatures, block validation, signed ingest, headers-first sync)');
for (const line of formatLedger(await runLedger({ log }))) console.log(line);

console.log('\n== CLI start-up');
const startup = runStartup();
for (const line of formatStartup(startup)) console.log(line);

const x = (v) => `${v.toFixed(1)}x`;
const rows = [
  ['what', 'blockforge', 'reference', 'ratio', 'goal'],
  [
    `validate ${validate.blocks} blocks (d=${validate.difficulty}), validation only`,
    `${validate.ours.bestValidateMs.toFixed(1)} ms`,
    `${validate.python.withPrintsMs.toFixed(1)} ms Python valid_chain (tutorial, with prints)`,
    x(validate.ratios.validateVsPrints),
    `${GOAL_RATIO}x`,
  ],
  [
    '',
    '',
    `${validate.python.noPrintsMs.toFixed(1)} ms Python valid_chain, prints removed`,
    x(validate.ratios.validateVsNoPrints),
    '',
  ],
  [
    '  ...parse + validate',
    `${(validate.ours.parseMs + validate.ours.bestValidateMs).toFixed(1)} ms`,
    `${(validate.python.parseMs + validate.python.withPrintsMs).toFixed(1)} ms json.load + valid_chain (with prints)`,
    x(validate.ratios.parseValidateVsPrints),
    '',
  ],
  [
    '',
    '',
    `${(validate.python.parseMs + validate.python.noPrintsMs).toFixed(1)} ms json.load + valid_chain, prints removed`,
    x(validate.ratios.parseValidateVsNoPrints),
    '',
  ],
  [
    'POST /transactions/new, 10 connections',
    `${Math.round(ingest.blockforge.requestsPerSecond)} req/s`,
    `${ingest.quotedFlaskRps} req/s Flask tutorial node (quoted by the issue)`,
    x(ingest.ratios.vsQuotedFlask),
    `${ingest.goalRps} req/s (${ingest.ratios.vsGoal.toFixed(2)}x of it)`,
  ],
];
if (ingest.python) {
  rows.push([
    '',
    '',
    `${Math.round(ingest.python.requestsPerSecond)} req/s stdlib Python tutorial node, measured here`,
    x(ingest.ratios.vsPythonNode),
    '',
  ]);
}
for (const c of startup.commands) {
  rows.push([
    c.name,
    `${c.ms.toFixed(0)} ms`,
    `${startup.nodeMs.toFixed(0)} ms node -e 0`,
    `${c.ratio.toFixed(2)}x`,
    `<= ${startup.goal}x`,
  ]);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log('\n== summary');
for (const [k, row] of rows.entries()) {
  console.log(
    row
      .map((cell, c) => cell.padEnd(widths[c]))
      .join(' | ')
      .trimEnd(),
  );
  if (k === 0) console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
}
if (argv.includes('--json')) console.log(JSON.stringify({ validate, ingest, startup }));
if (!ingest.blockforge.ok) {
  console.error('ingest check FAILED: non-2xx answers, errors, or a mempool count that differs from the 201s');
  process.exitCode = 1;
}
