/** The command line: `verify` on good, tampered and unreadable files; `--help` everywhere. */

import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, call, cleanupAll, startNode, tempDir } from '../support/harness.js';
import { vectorText } from '../support/vectors.js';

afterAll(cleanupAll);

function run(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
}

function file(name: string, text: string): string {
  const path = join(tempDir(), name);
  writeFileSync(path, text);
  return path;
}

describe('blockforge verify', () => {
  it.each(['seed', 'master'])('accepts the %s vector chain, guessing its profile', (profile) => {
    const result = run('verify', file('chain.json', vectorText(`chain-${profile}.json`)));
    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`valid: 5 blocks (${profile} profile, difficulty 4)`);
  });

  it('names the block and the rule a tampered chain breaks', () => {
    const tampered = JSON.parse(vectorText('chain-seed.json'));
    tampered.chain[2].transactions[0].amount = 50;
    const result = run('verify', file('bad.json', JSON.stringify(tampered)));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('block 4 breaks PREVIOUS_HASH_MISMATCH');
  });

  it('prints one JSON line with --json', () => {
    const tampered = JSON.parse(vectorText('chain-master.json'));
    tampered.length = 999999;
    const result = run('verify', '--json', file('liar.json', JSON.stringify(tampered)));
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject({ valid: false, code: 'LENGTH_MISMATCH', profile: 'master' });
  });

  it('refuses the wrong profile when told which one', () => {
    const result = run('verify', '--profile', 'seed', file('m.json', vectorText('chain-master.json')));
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('GENESIS_INVALID');
  });

  it('says when a file cannot be read or parsed', () => {
    expect(run('verify', join(tempDir(), 'missing.json')).status).toBe(2);
    const garbage = run('verify', file('g.json', '{"chain": [1, 2'));
    expect(garbage.status).toBe(2);
    expect(garbage.stderr).toContain('Invalid JSON');
  });

  it('verifies a chain saved from a running node', async () => {
    const node = await startNode({ args: ['--difficulty', '3'] });
    await call(`${node.url}/mine`);
    await call(`${node.url}/transactions/new`, { body: { sender: 'a', recipient: 'b', amount: 1.25 } });
    await call(`${node.url}/mine`);
    const saved = file('saved.json', (await call(`${node.url}/chain`)).text);
    await node.stop();
    expect(run('verify', '--difficulty', '3', saved).status).toBe(0);
    // At the default difficulty (4) the same proofs are not enough.
    const strict = run('verify', saved);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain('PROOF_OF_WORK');
  });
});

describe('blockforge pow', () => {
  it('finds the seed vector proofs, with --json', () => {
    const result = run('pow', '--last-proof', '35293', '--json');
    expect(result.status).toBe(0);
    const line = JSON.parse(result.stdout);
    expect(line).toMatchObject({
      proof: 35089,
      digest: '0000e7ab6ff06de56e7543a54ea6b371ebfcb2e00badeb3c92ba133af91f293b',
      tries: 35090,
    });
    expect(Object.keys(line)).toEqual(['proof', 'digest', 'tries', 'seconds', 'rate']);
  });

  it('finds the master vector proof from the previous block hash, with every kernel', () => {
    const genesisHash = 'fa0348656292c823134e7ab5327aee797cf2cd92892b246796e06c81ff34ce20';
    for (const kernel of ['wasm', 'ts', 'crypto']) {
      const result = run(
        'pow',
        '--profile',
        'master',
        '--last-proof',
        '100',
        '--last-hash',
        genesisHash,
        '--kernel',
        kernel,
        '--json',
      );
      expect(result.status, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).proof).toBe(103251);
    }
  });

  it('prints the proof, digest, tries, seconds and rate for people', () => {
    const result = run('pow', '--last-proof', '100', '--difficulty', '3', '--threads', '1');
    expect(result.status).toBe(0);
    for (const label of ['proof', 'digest', 'tries', 'seconds', 'rate'])
      expect(result.stdout).toMatch(new RegExp(`^${label} `, 'm'));
  });

  it.skipIf(spawnSync('sh', ['-c', 'command -v script']).status !== 0)(
    'shows a live progress line on a terminal',
    () => {
      // `script` gives the command a pseudo-terminal, as a person's shell would.
      const result = spawnSync(
        'script',
        ['-qec', `"${process.execPath}" "${CLI}" pow --last-proof 1 --difficulty 6 --threads 1`, '/dev/null'],
        {
          encoding: 'utf8',
          timeout: 60_000,
        },
      );
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/\r {2}[\d.]+[KM]? hashes\/s, [\d.]+[KM]? tried of ~16\.8M expected \(16\^6\)/);
      expect(result.stdout).toMatch(/proof {4}\d+\r?\n/);
    },
  );

  it('says what is missing or wrong', () => {
    const master = run('pow', '--profile', 'master', '--last-proof', '1');
    expect(master.status).toBe(1);
    expect(master.stderr).toContain('needs --last-hash');
    expect(run('pow', '--last-proof', '1', '--last-hash', 'a'.repeat(64)).stderr).toContain('does not use --last-hash');
    expect(run('pow', '--last-proof', '-5').stderr).toContain('--last-proof must be a non-negative integer');
    expect(run('pow', '--last-proof', '1', '--last-hash', 'xyz', '--profile', 'master').stderr).toContain(
      '64 lowercase hex',
    );
  });
});

describe('blockforge node', () => {
  it('prints one startup line with URL, profile and node id, before any log line', async () => {
    const node = await startNode({ args: ['--log-level', 'info', '--difficulty', '3', '--profile', 'master'] });
    const first = node.output().split('\n')[0] as string;
    expect(first).toMatch(
      /^blockforge node ready at http:\/\/127\.0\.0\.1:\d+ \(profile master, difficulty 3, node id [0-9a-f]{32}, data /,
    );
    expect(node.output()).not.toContain('Server listening');
    expect(await node.stop()).toBe(0);
  });
});

describe('help', () => {
  it.each([[['--help']], [['node', '--help']], [['verify', '--help']], [['pow', '--help']]])(
    'prints help for %j',
    (args) => {
      const result = run(...args);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('Usage: blockforge');
    },
  );

  it('refuses bad option values with a message', () => {
    const result = run('node', '--port', '99999');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('--port must be from 1 to 65535');
    expect(run('node', '--profile', 'bitcoin').stderr).toContain('Allowed choices are seed, master');
  });
});
