#!/usr/bin/env node

/**
 * CLI start-up against a bare `node -e 0` in the same run (issue 13's goal: within 1.5x): the median
 * of N runs each of `blockforge --help`, `blockforge --version` and `blockforge verify` of a two-block
 * tutorial chain (the shared vector chain's first two blocks). `npm run bench:startup` alone.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist/cli/main.js');

/** Goal: each command within this factor of `node -e 0`. */
export const STARTUP_GOAL = 1.5;

function median(args, runs) {
  const times = [];
  for (let k = 0; k < runs; k++) {
    const start = process.hrtime.bigint();
    try {
      execFileSync(process.execPath, args, { stdio: 'ignore' });
    } catch {
      // verify exits 0; a non-zero exit is still a start-up measured.
    }
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(runs / 2)];
}

/** Runs the measurement; `runs` per command, interleaved with the reference's. */
export function runStartup({ runs = 25 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'blockforge-startup-'));
  try {
    const chain = JSON.parse(readFileSync(join(root, 'test/fixtures/vectors/chain-seed.json'), 'utf8'));
    chain.chain = chain.chain.slice(0, 2);
    chain.length = 2;
    const file = join(dir, 'two-blocks.json');
    writeFileSync(file, JSON.stringify(chain));
    const node = median(['-e', '0'], runs);
    const commands = [
      ['blockforge --help', [cli, '--help']],
      ['blockforge --version', [cli, '--version']],
      ['blockforge verify (2 blocks)', [cli, 'verify', file]],
    ].map(([name, args]) => {
      const ms = median(args, runs);
      return { name, ms, ratio: ms / node };
    });
    return { nodeMs: node, commands, goal: STARTUP_GOAL };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Lines of the result. */
export function formatStartup(result) {
  return [
    `node -e 0: ${result.nodeMs.toFixed(1)} ms (median)`,
    ...result.commands.map(
      (c) =>
        `${c.name.padEnd(30)} ${c.ms.toFixed(1).padStart(7)} ms  ${c.ratio.toFixed(2)}x node  (goal <= ${result.goal}x)`,
    ),
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const line of formatStartup(runStartup())) console.log(line);
}
