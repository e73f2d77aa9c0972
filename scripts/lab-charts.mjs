#!/usr/bin/env node
/**
 * Writes docs/lab's charts and the runs behind them (`npm run lab:charts`; names to redo only some):
 * each is one `blockforge lab ... --json --svg` run, so a learner reproduces any figure with the
 * command printed here, and opens the JSON files in the explorer's Lab page.
 */

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}dist/cli/main.js`;
const out = `${root}docs/lab/`;

const runs = [
  ['double-spend', ['--attacker', '0.1,0.2,0.3', '--confirmations', '0-6', '--trials', '2000']],
  ['find-z', ['double-spend', '--find-z']],
  ['selfish', ['--alpha', '0.05,0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.45', '--gamma', '0,0.5,1', '--blocks', '5000']],
  ['majority', ['--attacker', '0.55,0.6,0.65,0.7,0.8,0.9', '--depth', '6', '--trials', '300']],
];

// `node scripts/lab-charts.mjs selfish majority`: only those.
const only = process.argv.slice(2);
for (const [name, args] of runs) {
  if (only.length > 0 && !only.includes(name)) continue;
  const command = name === 'find-z' ? ['lab', ...args] : ['lab', name, ...args];
  const full = [...command, '--json', '--svg', `${out}${name}.svg`];
  process.stderr.write(`blockforge ${command.join(' ')}\n`);
  const json = execFileSync(process.execPath, [cli, ...full], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  writeFileSync(`${out}${name}.json`, json);
}
