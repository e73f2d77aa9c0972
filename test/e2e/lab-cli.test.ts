/**
 * `blockforge lab` as a learner runs it: the whitepaper's tables reproduced, simulated rates with
 * their intervals beside the exact values, JSON for the explorer, flag errors in one line.
 */

import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type {
  DoubleSpendReport,
  FindZReport,
  MajorityReport,
  ProtocolReport,
  SelfishReport,
} from '../../src/lab/report.js';
import { CLI } from '../support/harness.js';

function run(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 120_000 });
}

/** Runs the CLI without blocking the test's event loop (several runs in parallel). */
function runAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('blockforge lab double-spend', () => {
  it("reproduces the whitepaper's Nakamoto column for q = 0.1 and 0.3, and its rates bracket the exact values", async () => {
    const result = await runAsync(
      'lab',
      'double-spend',
      '--attacker',
      '0.1,0.3',
      '--confirmations',
      '1,2',
      '--trials',
      '300',
      '--seed',
      '2',
      '--confidence',
      '0.999',
      '--json',
    );
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as DoubleSpendReport;
    expect(report.kind).toBe('double-spend');
    expect(report.whitepaper).toHaveLength(22);
    for (const cell of report.whitepaper) expect(cell.nakamoto.toFixed(7)).toBe(cell.printed.toFixed(7));
    expect(report.rows.map((r) => [r.attacker, r.confirmations])).toEqual([
      [0.1, 1],
      [0.1, 2],
      [0.3, 1],
      [0.3, 2],
    ]);
    for (const row of report.rows) {
      expect(row.trials).toBe(300);
      expect(row.exact).toBeGreaterThanOrEqual(row.interval.low);
      expect(row.exact).toBeLessThanOrEqual(row.interval.high);
    }
    expect(report.rows[0]?.nakamoto).toBeCloseTo(0.2045873, 7);
  }, 120_000);

  it('prints a table a learner reads, with the whitepaper beside', () => {
    const result = run('lab', 'double-spend', '--attacker', '0.3', '--confirmations', '1', '--trials', '40');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^q\s+z\s+trials\s+reversed\s+simulated \[95% CI\]\s+exact \(this rule\)/m);
    expect(result.stdout).toMatch(/^0\.3\s+1\s+40\s+\d+\s+0\.\d{7} \[0\.\d{7}, [01]\.\d{7}\]\s+0\.3084269/m);
    expect(result.stdout).toMatch(/^0\.1\s+6\s+0\.0002428\s+0\.0002428\s+yes$/m);
  });

  it('--find-z prints the whitepaper second table', () => {
    const result = run('lab', 'double-spend', '--find-z', '--json');
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as FindZReport;
    const rows = report.rows.filter((r) => r.whitepaper !== null);
    expect(rows).toHaveLength(8);
    for (const row of rows) expect(row.nakamoto).toBe(row.whitepaper);
    expect(report.rows.find((r) => r.attacker === 0.45)?.nakamoto).toBe(340);
    const text = run('lab', 'double-spend', '--find-z', '--risk', '0.01');
    expect(text.stdout).toContain('probability below 0.01');
  });
});

describe('blockforge lab selfish and majority', () => {
  it('selfish: the pool share beside the closed form and the threshold', async () => {
    const result = await runAsync('lab', 'selfish', '--alpha', '0.4', '--gamma', '0,1', '--blocks', '1500', '--json');
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as SelfishReport;
    expect(report.rows).toHaveLength(2);
    expect(report.rows[0]?.threshold).toBeCloseTo(1 / 3, 12);
    expect(report.rows[1]?.threshold).toBe(0);
    for (const row of report.rows) expect(row.share).toBeGreaterThan(0.4);
  }, 60_000);

  it('majority at depth 0: the attacker only has to get one block ahead', async () => {
    const result = await runAsync('lab', 'majority', '--attacker', '0.9', '--depth', '0', '--trials', '40', '--json');
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as MajorityReport;
    expect(report.rows[0]?.expectedSeconds).toBeCloseTo(600 / 0.8, 9);
  }, 60_000);

  it('majority: the mean time beside (k+1)/(2q-1) block intervals', async () => {
    const result = await runAsync('lab', 'majority', '--attacker', '0.75', '--depth', '2', '--trials', '30', '--json');
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as MajorityReport;
    expect(report.rows[0]?.expectedSeconds).toBeCloseTo(6 * 600, 9);
    expect(report.rows[0]?.trials).toBe(30);
  }, 60_000);
});

describe('blockforge lab protocol', () => {
  it('runs the attacks named and says what stopped each; seed-precompute works on seed', async () => {
    const result = await runAsync(
      'lab',
      'protocol',
      'replay',
      'forged-signature',
      'seed-precompute',
      '--proofs',
      '20',
      '--json',
    );
    expect(result.status, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as ProtocolReport;
    expect(report.attacks.map((a) => [a.name, a.held, a.code])).toEqual([
      ['replay', true, 'NONCE_MISMATCH'],
      ['forged-signature', true, 'SIGNATURE_INVALID'],
      ['seed-precompute', false, null],
    ]);
    const text = run('lab', 'protocol', 'merkle-mutation');
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^merkle-mutation\s+held\s+MERKLE_MISMATCH\s+L7 merkle$/m);
  }, 60_000);

  it('refuses an unknown attack before running any', () => {
    const result = run('lab', 'protocol', 'replay', 'nope');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('unknown protocol attack "nope" (choose from: replay,');
  });
});

describe('flag errors', () => {
  it.each([
    [['double-spend', '--attacker', '1.5'], '--attacker: "1.5" is not a share between 0 and 1'],
    [['double-spend', '--attacker', 'abc'], '--attacker: "abc" is not a share'],
    [['double-spend', '--confirmations', '5-2'], '--confirmations: 5-2 must be within 0-1000, low to high'],
    [['double-spend', '--confirmations', '0-5000'], 'must be within 0-1000'],
    [['double-spend', '--trials', '0'], '--trials must be from 1'],
    [['double-spend', '--tie', 'nobody'], "argument 'nobody' is invalid"],
    [['double-spend', '--find-z', '--risk', '2'], '--risk must be a number between 1e-15 and 1'],
    [['double-spend', '--find-z', '--risk', '1e-300'], '--risk must be a number between 1e-15 and 1'],
    [['double-spend', '--confirmations', '0-199', '--trials', '10000000'], 'more than 10000000 trials in one run'],
    [['majority', '--attacker', '0.5000001', '--depth', '1000'], 'blocks on average, more than the lab'],
    [['selfish', '--blocks', '5000000'], '--blocks must be from 100 to 1000000'],
    [['selfish', '--alpha', '0.5'], '--alpha: "0.5" is not a share between 0 and 0.5'],
    [['selfish', '--gamma', '1.2'], '--gamma: "1.2" is not a share from 0 to 1'],
    [['majority', '--attacker', '0.4'], '--attacker: "0.4" is not a share between 0.5 and 1'],
  ])('lab %j: one line, exit 1', (args, message) => {
    const result = run('lab', ...args);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
  });
});
