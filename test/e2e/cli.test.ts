/**
 * The command line: `verify` on good, tampered and unreadable files; `--help` and `--version`
 * everywhere; flag errors in one line; the node's log readable on a terminal, JSON otherwise.
 */

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, sha256Hex } from '../../src/core/canonical.js';
import { type JsonObject, parseJson } from '../../src/core/json.js';
import { CLI, call, cleanupAll, freePort, startNode, tempDir } from '../support/harness.js';
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

  it('says a valid file is valid as a chain, and that the tip is sealed by no later hash', () => {
    const result = run('verify', file('chain.json', vectorText('chain-seed.json')));
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('valid: 5 blocks (seed profile, difficulty 4) form a valid chain');
    expect(result.stdout).toMatch(/note: block 5 \(the tip\) is covered by no later hash: anyone could edit it/);
    const json = JSON.parse(run('verify', '--json', file('chain.json', vectorText('chain-seed.json'))).stdout);
    expect(json).toMatchObject({ valid: true, length: 5, note: expect.stringContaining('no later hash') });
  });

  /** The seed vector chain with block 3's first amount edited in place (no other byte changed). */
  function editedBlock3(): { path: string; hash: string; recorded: string } {
    const text = vectorText('chain-seed.json');
    const edited = text.replace('"amount": 5\n', '"amount": 50\n');
    expect(edited).not.toBe(text);
    const chain = (parseJson(edited) as JsonObject).chain as JsonObject[];
    const block4 = chain[3] as JsonObject;
    return {
      path: file('edited.json', edited),
      hash: sha256Hex(canonicalJson(chain[2] as JsonObject)),
      recorded: block4.previous_hash as string,
    };
  }

  it('names the block that was edited, with both hashes in full', () => {
    const { path, hash, recorded } = editedBlock3();
    const result = run('verify', path);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('block 4 breaks PREVIOUS_HASH_MISMATCH');
    expect(result.stderr).toContain(`block 3 was changed: its hash is now ${hash}, but block 4 says ${recorded}`);
    expect(result.stderr).toContain('block 4 is intact: block 5 still records its hash');
    // One form of hash: 64 lowercase hex, never shortened.
    expect(result.stderr).not.toContain('...');
    for (const run of result.stderr.match(/[0-9a-fA-F]{16,}/g) ?? []) expect(run).toMatch(/^[0-9a-f]{64}$/);
  });

  it('says which block was edited in --json', () => {
    const { path, hash, recorded } = editedBlock3();
    const json = JSON.parse(run('verify', '--json', path).stdout);
    expect(json).toMatchObject({
      valid: false,
      block: 4,
      code: 'PREVIOUS_HASH_MISMATCH',
      edited: 3,
      edited_hash: hash,
      recorded_hash: recorded,
    });
    expect(json.message).toBe(`block 3 was changed: its hash is now ${hash}, but block 4 says ${recorded}`);
  });

  it('blames the block whose previous_hash was edited when the next block disowns it too', () => {
    const text = vectorText('chain-seed.json');
    const old = '6b505ddf62e8061441895f3b6f5765cb15924d907cbcd7b6e32523cdc3db7a65';
    const result = run('verify', '--json', file('link.json', text.replace(old, 'ab'.repeat(32))));
    expect(JSON.parse(result.stdout)).toMatchObject({ block: 3, edited: 3, edited_hash: old });
  });

  it("says that a break at the tip could also be the tip's own previous_hash", () => {
    const text = vectorText('chain-seed.json').replace('"amount": 2.5', '"amount": 2.75');
    const result = run('verify', file('tip.json', text));
    expect(result.stderr).toContain('block 5 breaks PREVIOUS_HASH_MISMATCH');
    expect(result.stderr).toMatch(/block 4 was changed: its hash is now [0-9a-f]{64}, but block 5 says [0-9a-f]{64}/);
    expect(result.stderr).toContain("or block 5's previous_hash was edited");
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

const hasScript = spawnSync('sh', ['-c', 'command -v script && command -v timeout']).status === 0;

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

  it('logs JSON lines when its output is not a terminal, or with --log-format json', async () => {
    for (const args of [
      ['--log-level', 'info'],
      ['--log-level', 'info', '--log-format', 'json'],
    ]) {
      const node = await startNode({ args });
      expect(await node.stop()).toBe(0);
      const lines = node.output().trimEnd().split('\n');
      expect(lines[0]).toMatch(/^blockforge node ready at /);
      const last = JSON.parse(lines.at(-1) as string);
      expect(last).toMatchObject({ level: 30, msg: 'shutting down', signal: 'SIGTERM' });
    }
  });

  it('logs readable lines with --log-format pretty, after the startup line', async () => {
    const node = await startNode({ args: ['--log-level', 'info', '--log-format', 'pretty'] });
    expect(await node.stop()).toBe(0);
    const lines = node.output().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^blockforge node ready at /);
    expect(lines.at(-1)).toMatch(/^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}shutting down signal=SIGTERM$/);
  });

  it.skipIf(!hasScript)('logs readable lines on a terminal without being asked', async () => {
    // `script` gives the node a pseudo-terminal; `timeout` stops it with SIGTERM after 3 s.
    const port = await freePort();
    const command = `timeout -s TERM 3 "${process.execPath}" "${CLI}" node --host 127.0.0.1 --port ${port} --data-dir "${tempDir()}" --log-level info`;
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', timeout: 30_000 });
    const lines = result.stdout.replace(/\r/g, '').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^blockforge node ready at /);
    // The level coloured on a terminal.
    const last = lines.at(-1) as string;
    if (!process.env.NO_COLOR) expect(last).toContain('\u001b[32mINFO \u001b[0m');
    expect(last.replaceAll('\u001b[32m', '').replaceAll('\u001b[0m', '')).toMatch(
      /^\d{2}:\d{2}:\d{2}\.\d{3} INFO {2}shutting down signal=SIGTERM$/,
    );
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

  it.each([
    [['node', '--frob'], "unknown option '--frob'", 'node'],
    [['node', '--port', '99999'], '--port must be from 1 to 65535', 'node'],
    [['node', '--port'], "option '-p, --port <port>' argument missing", 'node'],
    [['node', '--log-format', 'xml'], 'Allowed choices are auto, json, pretty', 'node'],
    [['verify'], "missing required argument 'file'", 'verify'],
    [['pow'], "required option '--last-proof <n>' not specified", 'pow'],
  ])('answers the flag error %j with one line and a hint, not the help screen', (args, error, command) => {
    const result = run(...args);
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^blockforge: /);
    expect(lines[0]).toContain(error);
    expect(lines[1]).toBe(`(run blockforge ${command} --help for the options)`);
    expect(result.stderr).not.toContain('Usage:');
  });

  it('answers an unknown command with one line and a hint', () => {
    const result = run('frob');
    expect(result.status).toBe(1);
    expect(result.stderr).toBe("blockforge: unknown command 'frob'\n(run blockforge --help for the commands)\n");
  });

  it.each([['--version'], ['-V']])('prints the package version for %s', (flag) => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    const result = run(flag);
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${version}\n`);
  });
});
