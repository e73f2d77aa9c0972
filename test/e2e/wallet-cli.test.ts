/**
 * The ledger commands as a user runs them (the built CLI in dist/): `blockforge genesis` writes a
 * network, a real ledger node runs on it, and `blockforge wallet` makes keys, sends signed payments,
 * reads balances and history, and checks payments as a light client, also against a node that lies
 * (a fake node in this process that serves the real node's answers with one thing forged).
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, call, cleanupAll, freePort, type RunningNode, startNode, tempDir } from '../support/harness.js';

afterAll(cleanupAll);

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI without blocking this process (a fake node in this process must answer it), with
 * no passphrase in its environment unless `env` gives one, and no terminal on stdin.
 */
function cli(args: string[], options: { env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.BLOCKFORGE_PASSPHRASE;
  Object.assign(env, options.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env,
      cwd: options.cwd ?? process.cwd(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The one JSON object a `--json` run prints. */
// biome-ignore lint/suspicious/noExplicitAny: test convenience; tests assert on the shape
function json(run: Run): any {
  expect(run.stdout.trim().split('\n'), run.stderr).toHaveLength(1);
  return JSON.parse(run.stdout);
}

/**
 * A node that answers with the real node's answers, passed through `forge` (path without the
 * query, JSON answer; it may take its time) first: a node that lies about one thing. POST bodies
 * are passed on as they are. `requests` lists what was asked (`GET /genesis`), in order.
 */
async function fakeNode(
  real: RunningNode,
  forge: (path: string, body: unknown) => unknown,
): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const server: Server = createServer((request, response) => {
    void (async () => {
      const method = request.method ?? 'GET';
      const path = (request.url ?? '/').split('?')[0] as string;
      requests.push(`${method} ${path}`);
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const answer = await fetch(`${real.url}${request.url}`, {
        method,
        ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) } : {}),
      });
      const text = await answer.text();
      const body = answer.ok ? JSON.stringify(await forge(path, JSON.parse(text))) : text;
      response.writeHead(answer.status, { 'content-type': 'application/json' });
      response.end(body);
    })().catch((err: unknown) => {
      response.writeHead(500);
      response.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        // A request the forge still holds (a node that never answers) must not keep the server open.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs the CLI and how long it took, in milliseconds. */
async function timed(args: string[]): Promise<Run & { ms: number }> {
  const start = performance.now();
  const run = await cli(args);
  return { ...run, ms: performance.now() - start };
}

const ALICE_PASS = { BLOCKFORGE_PASSPHRASE: 'correct horse battery staple' };

describe('blockforge genesis and wallet, against a ledger node', () => {
  const dir = tempDir();
  const aliceFile = join(dir, 'alice.json');
  const bobFile = join(dir, 'bob.json');
  const minerFile = join(dir, 'miner.json');
  const genesisFile = join(dir, 'genesis.json');
  let nowhere: string;
  let alice: string;
  let bob: string;
  let chainId: string;
  let node: RunningNode;
  let paymentId: string;

  const wallet = (command: string, file: string, ...args: string[]): string[] => [
    'wallet',
    command,
    '--wallet',
    file,
    '--node',
    node.url,
    ...args,
  ];

  beforeAll(async () => {
    // No node answers here: a new wallet takes devnet's prefix.
    nowhere = `http://127.0.0.1:${await freePort()}`;
    const made = await cli(['wallet', 'new', '--wallet', aliceFile, '--node', nowhere, '--json'], { env: ALICE_PASS });
    expect(made.status, made.stderr).toBe(0);
    alice = json(made).address;
    const madeBob = await cli(['wallet', 'new', '--wallet', bobFile, '--node', nowhere, '--no-passphrase']);
    expect(madeBob.status, madeBob.stderr).toBe(0);
    bob = madeBob.stdout.split('\n')[0] as string;
    const madeMiner = await cli(['wallet', 'new', '--wallet', minerFile, '--node', nowhere, '--no-passphrase']);
    const miner = madeMiner.stdout.split('\n')[0] as string;

    const genesis = await cli(['genesis', '--out', genesisFile, '--expected-hashes', '1', '--alloc', `${alice}=100`]);
    expect(genesis.status, genesis.stderr).toBe(0);
    chainId = (/chain id ([0-9a-f]{64})/.exec(genesis.stdout) as RegExpExecArray)[1] as string;
    node = await startNode({
      args: [
        '--profile',
        'ledger',
        '--genesis',
        genesisFile,
        '--miner-address',
        miner,
        '--threads',
        '1',
        '--kernel',
        'crypto',
      ],
    });
  });

  it('genesis: writes the file the node runs on, and prints its chain id', async () => {
    const file = JSON.parse(readFileSync(genesisFile, 'utf8'));
    expect(file).toMatchObject({
      network: 'localnet',
      hrp: 'bfd',
      initial_target: 'f'.repeat(64),
      allocations: [{ address: alice, amount: '10000000000' }],
    });
    expect(readFileSync(genesisFile, 'utf8')).toContain('\n  "hrp": "bfd",\n');
    expect((await call(`${node.url}/genesis`)).json().chain_id).toBe(chainId);
  });

  it('genesis: refuses to overwrite a file without --force', async () => {
    const file = join(dir, 'other-genesis.json');
    const first = await cli(['genesis', '--out', file, '--name', 'classroom', '--json']);
    expect(first.status, first.stderr).toBe(0);
    expect(json(first)).toMatchObject({
      file,
      network: 'classroom',
      hrp: 'bfd',
      chain_id: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const before = readFileSync(file, 'utf8');
    const again = await cli(['genesis', '--out', file, '--name', 'other']);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^blockforge: .* exists: pass --force to replace it .*\[FILE_EXISTS\]\n$/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    const forced = await cli(['genesis', '--out', file, '--name', 'other', '--force']);
    expect(forced.status, forced.stderr).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8')).network).toBe('other');
  });

  it('genesis: refuses an amount it cannot represent exactly', async () => {
    const run = await cli(['genesis', '--out', join(dir, 'never.json'), '--alloc', `${alice}=1.123456789`]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('has 9 decimals; at most 8');
    expect(run.stderr).toContain('[INVALID_AMOUNT]');
    expect(existsSync(join(dir, 'never.json'))).toBe(false);
  });

  it('wallet new: keystores readable by their owner only, encrypted unless told not to', async () => {
    const aliceKeystore = JSON.parse(readFileSync(aliceFile, 'utf8'));
    expect(aliceKeystore).toMatchObject({ network: 'bfd', address: alice, encrypted: true });
    expect(readFileSync(aliceFile, 'utf8')).not.toContain('secret_key');
    expect(JSON.parse(readFileSync(bobFile, 'utf8'))).toMatchObject({ address: bob, encrypted: false });
    for (const file of [aliceFile, bobFile]) expect(statSync(file).mode & 0o777).toBe(0o600);

    const plain = await cli([
      'wallet',
      'new',
      '--wallet',
      join(dir, 'plain.json'),
      '--node',
      nowhere,
      '--no-passphrase',
    ]);
    expect(plain.stderr).toMatch(/warning: .*plain\.json is NOT encrypted \(--no-passphrase\)/);
  });

  it('wallet new: never replaces a wallet without --force, and asks for a passphrase it cannot read', async () => {
    const before = readFileSync(aliceFile, 'utf8');
    const again = await cli(['wallet', 'new', '--wallet', aliceFile, '--node', nowhere], { env: ALICE_PASS });
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/exists: pass --force .*\[WALLET_EXISTS\]/);
    expect(readFileSync(aliceFile, 'utf8')).toBe(before);

    const file = join(dir, 'asked.json');
    const noPass = await cli(['wallet', 'new', '--wallet', file, '--node', nowhere]);
    expect(noPass.status).toBe(1);
    expect(noPass.stderr).toBe(
      'blockforge: no terminal to ask a passphrase on: set BLOCKFORGE_PASSPHRASE, or use --no-passphrase for an unencrypted wallet [NO_PASSPHRASE]\n',
    );
    expect(existsSync(file)).toBe(false);
  });

  it("wallet new: takes the address prefix from --hrp, or else from the node's network", async () => {
    const bft = await cli([
      'wallet',
      'new',
      '--wallet',
      join(dir, 'bft.json'),
      '--hrp',
      'bft',
      '--no-passphrase',
      '--json',
    ]);
    expect(json(bft).address).toMatch(/^bft1/);
    const fromNode = await cli([
      'wallet',
      'new',
      '--wallet',
      join(dir, 'node.json'),
      '--node',
      node.url,
      '--no-passphrase',
    ]);
    expect(fromNode.stdout).toContain('network localnet of the node at');
  });

  it('wallet address: prints the address, without the passphrase; the default wallet is ./.blockforge/wallet.json', async () => {
    const address = await cli(['wallet', 'address', '--wallet', aliceFile]);
    expect(address.status).toBe(0);
    expect(address.stdout).toBe(`${alice}\n`);
    const cwd = join(dir, 'home');
    mkdirSync(cwd);
    const made = await cli(['wallet', 'new', '--no-passphrase', '--hrp', 'bfd', '--json'], { cwd });
    expect(existsSync(join(cwd, '.blockforge', 'wallet.json'))).toBe(true);
    expect((await cli(['wallet', 'address'], { cwd })).stdout).toBe(`${json(made).address}\n`);
    const none = await cli(['wallet', 'address', '--wallet', join(dir, 'missing.json')]);
    expect(none.status).toBe(1);
    expect(none.stderr).toContain('[WALLET_NOT_FOUND]');
  });

  it('wallet balance: the allocation, in coins', async () => {
    const balance = await cli(wallet('balance', aliceFile));
    expect(balance.status, balance.stderr).toBe(0);
    expect(balance.stdout).toMatch(/balance +100 coins/);
    expect(balance.stdout).toMatch(/next nonce +0/);
    expect(json(await cli(wallet('balance', aliceFile, '--json')))).toMatchObject({
      address: alice,
      balance: '10000000000',
      next_nonce: '0',
      coins: { balance: '100' },
    });
  });

  it('wallet send: a signed payment; once mined, balances move by the amount and the fee', async () => {
    const sent = await cli(wallet('send', aliceFile, '--to', bob, '--amount', '1.5', '--json'), { env: ALICE_PASS });
    expect(sent.status, sent.stderr).toBe(0);
    const answer = json(sent);
    expect(answer).toMatchObject({
      status: 'pending',
      from: alice,
      to: bob,
      amount: '150000000',
      fee: '1000',
      nonce: '0',
    });
    paymentId = answer.id;
    expect(paymentId).toMatch(/^[0-9a-f]{64}$/);
    // Pending: the balance is unchanged, the pending balance is not.
    expect(json(await cli(wallet('balance', aliceFile, '--json')))).toMatchObject({
      balance: '10000000000',
      pending_balance: '9849999000',
      next_nonce: '1',
    });
    const early = await cli(wallet('verify-payment', bobFile, paymentId));
    expect(early.status).toBe(1);
    expect(early.stderr).toContain('[NOT_CONFIRMED]');

    for (let k = 0; k < 3; k++) expect((await call(`${node.url}/mine`)).status).toBe(200);
    const aliceBalance = await cli(wallet('balance', aliceFile));
    expect(aliceBalance.stdout).toMatch(/balance +98\.49999 coins/);
    const bobBalance = await cli(wallet('balance', aliceFile, bob));
    expect(bobBalance.stdout).toMatch(/balance +1\.5 coins/);
    expect(json(await cli(wallet('balance', bobFile, '--json')))).toMatchObject({ balance: '150000000', nonce: '0' });
  });

  it("wallet history: the account's transactions, newest first", async () => {
    const history = await cli(wallet('history', aliceFile));
    expect(history.status, history.stderr).toBe(0);
    expect(history.stdout).toMatch(
      new RegExp(`sent +-1\\.50001 coins to ${bob} \\(fee 0\\.00001 coins\\)\\n +id ${paymentId}`),
    );
    expect(history.stdout).toMatch(/allocation +\+100 coins/);
    expect(history.stdout.indexOf(paymentId)).toBeLessThan(history.stdout.indexOf('allocation'));
    const bobs = json(await cli(wallet('history', bobFile, '--json')));
    expect(bobs.transactions).toEqual([
      expect.objectContaining({ id: paymentId, kind: 'payment', from: alice, to: bob, status: 'confirmed', height: 2 }),
    ]);
  });

  it('wallet verify-payment: checks every header, the id and the inclusion proof itself', async () => {
    const run = await cli(wallet('verify-payment', bobFile, paymentId));
    expect(run.status, run.stderr).toBe(0);
    // Every block of this network has the easiest target: a work of 1 each.
    expect(run.stdout).toMatch(
      new RegExp(`^VALID: ${paymentId} is in block 2 \\([0-9a-f]{64}\\), 3 confirmations of work 3, total work 4\\n`),
    );
    expect(run.stdout).toContain(`4 headers from the genesis of chain ${chainId}`);
    expect(run.stdout).toContain('redoing 3 of them (its block and the 2 on top)');
    // Not devnet, and no --genesis: the network is the node's word.
    expect(run.stderr).toBe(
      `blockforge: warning: the genesis of network localnet (chain ${chainId}) came from the node at ${node.url} itself: a node can make up a network of its own, where its payments check out; pin the network with --genesis FILE (a genesis file from a source you trust)\n`,
    );
    const pinned = await cli(wallet('verify-payment', bobFile, paymentId, '--genesis', genesisFile, '--json'));
    expect(pinned.stderr).toBe('');
    const result = json(pinned);
    expect(result).toMatchObject({
      valid: true,
      id: paymentId,
      height: 2,
      confirmations: 3,
      confirmations_work: '3',
      headers: 4,
      work: '4',
      min_work: '0',
      chain_id: chainId,
      genesis_pinned: true,
    });

    const deep = await cli(wallet('verify-payment', bobFile, paymentId, '--confirmations', '10'));
    expect(deep.status).toBe(1);
    expect(deep.stderr).toMatch(/has 3 confirmations, fewer than the 10 asked .*\[TOO_FEW_CONFIRMATIONS\]/);

    const unknown = await cli(wallet('verify-payment', bobFile, 'ab'.repeat(32)));
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('[NOT_FOUND]');
  });

  it('wallet verify-payment: refuses a forged inclusion proof', async () => {
    const liar = await fakeNode(node, (path, body) => {
      if (path !== `/transactions/${paymentId}`) return body;
      const answer = body as { proof: { path: string[] } };
      const first = answer.proof.path[0] as string;
      answer.proof.path[0] = (first[0] === '0' ? '1' : '0') + first.slice(1);
      return answer;
    });
    try {
      const run = await cli(['wallet', 'verify-payment', paymentId, '--node', liar.url]);
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(
        /^INVALID: the inclusion proof does not lead from [0-9a-f]{64} to block 2's merkle root/,
      );
      expect(run.stderr).toContain('[INCLUSION_PROOF]');
    } finally {
      await liar.close();
    }
  });

  it('wallet verify-payment: refuses a header chain with an edited header', async () => {
    const liar = await fakeNode(node, (path, body) => {
      if (path !== '/headers') return body;
      const answer = body as { headers: { height: number; nonce: number }[] };
      for (const header of answer.headers) if (header.height === 2) header.nonce += 1;
      return answer;
    });
    try {
      const run = await cli(['wallet', 'verify-payment', paymentId, '--node', liar.url, '--json']);
      expect(run.status).toBe(1);
      expect(json(run)).toMatchObject({
        valid: false,
        code: 'PREVIOUS_HASH_MISMATCH',
        reason: expect.stringContaining('block 3'),
      });
    } finally {
      await liar.close();
    }
  });

  it('wallet verify-payment: refuses a node whose genesis file is not the chain id it claims', async () => {
    const liar = await fakeNode(node, (path, body) =>
      path === '/genesis' ? { ...(body as object), chain_id: '0'.repeat(64) } : body,
    );
    try {
      const run = await cli(['wallet', 'verify-payment', paymentId, '--node', liar.url]);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('[CHAIN_ID_MISMATCH]');
      // Nothing is signed for a node that lies about its chain id.
      const send = await cli([
        'wallet',
        'send',
        '--wallet',
        bobFile,
        '--node',
        liar.url,
        '--to',
        alice,
        '--amount',
        '0.1',
      ]);
      expect(send.status).toBe(1);
      expect(send.stderr).toContain('[CHAIN_ID_MISMATCH]');
    } finally {
      await liar.close();
    }
  });

  it('wallet send: refuses a wrong passphrase', async () => {
    const run = await cli(wallet('send', aliceFile, '--to', bob, '--amount', '1'), {
      env: { BLOCKFORGE_PASSPHRASE: 'wrong horse' },
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^blockforge: .*alice\.json: wrong passphrase \(or the file was altered\) \[WRONG_PASSPHRASE\]\n$/,
    );
    const noPass = await cli(wallet('send', aliceFile, '--to', bob, '--amount', '1'));
    expect(noPass.status).toBe(1);
    expect(noPass.stderr).toContain('set BLOCKFORGE_PASSPHRASE');
  });

  it("wallet send: the node's refusal of an amount over the balance, with its code", async () => {
    const run = await cli(wallet('send', aliceFile, '--to', bob, '--amount', '1000'), { env: ALICE_PASS });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^blockforge: the node refused: .* \[INSUFFICIENT_FUNDS\]\n$/);
    const asJson = await cli(wallet('send', aliceFile, '--to', bob, '--amount', '1000', '--json'), { env: ALICE_PASS });
    expect(json(asJson)).toMatchObject({ error: { code: 'INSUFFICIENT_FUNDS' } });
  });

  it("wallet send: refuses another network's address and bad amounts before signing", async () => {
    const other = json(
      await cli(['wallet', 'new', '--wallet', join(dir, 'x.json'), '--hrp', 'bft', '--no-passphrase', '--json']),
    );
    const run = await cli(wallet('send', aliceFile, '--to', other.address, '--amount', '1'), { env: ALICE_PASS });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--to: the address is for the network "bft", this one is "bfd" [INVALID_ADDRESS]');
    for (const amount of ['1.123456789', '-1', '1e3', '0x10', '0']) {
      const bad = await cli(wallet('send', aliceFile, '--to', bob, '--amount', amount), { env: ALICE_PASS });
      expect(bad.status).toBe(1);
      expect(bad.stderr).toContain('[INVALID_AMOUNT]');
    }
    // Nothing of it reached the node.
    expect(json(await cli(wallet('balance', aliceFile, '--json'))).next_nonce).toBe('1');
  });

  it('verify: a saved ledger /chain, with its genesis file', async () => {
    const saved = join(dir, 'chain.json');
    writeFileSync(saved, (await call(`${node.url}/chain`)).text);
    const ok = await cli(['verify', saved, '--profile', 'ledger', '--genesis', genesisFile]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /^valid: 4 blocks \(ledger profile, network localnet, genesis [0-9a-f]{64}\) form a valid chain/,
    );
    // Guessed as a ledger chain, but of devnet: its genesis is not this one.
    const devnet = await cli(['verify', saved]);
    expect(devnet.status).toBe(1);
    expect(devnet.stderr).toContain('GENESIS_INVALID');
    expect(devnet.stderr).toContain('--genesis FILE');
    const chain = JSON.parse(readFileSync(saved, 'utf8'));
    chain.chain[1].header.nonce += 1;
    writeFileSync(saved, JSON.stringify(chain));
    const edited = await cli(['verify', saved, '--genesis', genesisFile, '--json']);
    expect(edited.status).toBe(1);
    expect(json(edited)).toMatchObject({ valid: false, block: 3, code: 'PREVIOUS_HASH_MISMATCH', edited: 2 });
  });

  it('wallet verify-payment: a longer chain (retargeting, median times) checks out too', async () => {
    for (let k = 0; k < 14; k++) expect((await call(`${node.url}/mine`)).status).toBe(200);
    const run = json(await cli(wallet('verify-payment', bobFile, paymentId, '--confirmations', '17', '--json')));
    expect(run).toMatchObject({ valid: true, height: 2, confirmations: 17, headers: 18 });
    // A node that serves short pages (as a node near its byte cap does): the client pages on.
    const short = await fakeNode(node, (path, body) => {
      if (path !== '/headers') return body;
      const answer = body as { headers: unknown[] };
      return { ...answer, headers: answer.headers.slice(0, 5) };
    });
    try {
      const paged = json(await cli(['wallet', 'verify-payment', paymentId, '--node', short.url, '--json']));
      expect(paged).toMatchObject({ valid: true, headers: 18, work: run.work });
    } finally {
      await short.close();
    }
  });

  it('wallet send: refuses a fee the node chose above 0.001 coin; signs nothing', async () => {
    const greedy = await fakeNode(node, (path, body) =>
      path === '/genesis' ? { ...(body as object), min_fee: '50000000000' } : body,
    );
    try {
      const run = await cli(
        ['wallet', 'send', '--wallet', aliceFile, '--node', greedy.url, '--to', bob, '--amount', '1'],
        {
          env: ALICE_PASS,
        },
      );
      expect(run.status).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        `blockforge: the node at ${greedy.url} asks a fee of 500 coins (its min_fee), more than the 0.001 coins the wallet pays on a node's word: nothing was signed; pass --fee 500 --yes explicitly if you really want to pay that [FEE_TOO_HIGH]\n`,
      );
      const asJson = await cli(
        ['wallet', 'send', '--wallet', aliceFile, '--node', greedy.url, '--to', bob, '--amount', '1', '--json'],
        { env: ALICE_PASS },
      );
      expect(asJson.status).toBe(1);
      expect(json(asJson)).toMatchObject({
        error: { code: 'FEE_TOO_HIGH', message: expect.stringContaining('500 coins') },
      });
      // The network was asked, nothing else: no nonce looked up, nothing posted.
      expect(greedy.requests).toEqual(['GET /genesis', 'GET /genesis']);

      // Given explicitly it is the user's choice, but above 1 coin only with --yes (checked before
      // the node is even asked).
      const big = await cli(
        [
          'wallet',
          'send',
          '--wallet',
          aliceFile,
          '--node',
          greedy.url,
          '--to',
          bob,
          '--amount',
          '1000',
          '--fee',
          '500',
        ],
        { env: ALICE_PASS },
      );
      expect(big.status).toBe(1);
      expect(big.stderr).toBe(
        'blockforge: --fee 500 coins is more than 1 coin: nothing was signed; add --yes if you really mean to pay it [FEE_NOT_CONFIRMED]\n',
      );
      expect(greedy.requests).toHaveLength(2);
      // With --yes the wallet signs it, and the node decides (here: more than Alice has).
      const yes = await cli(
        [
          ...['wallet', 'send', '--wallet', aliceFile, '--node', greedy.url, '--to', bob],
          ...['--amount', '1000', '--fee', '500', '--yes'],
        ],
        { env: ALICE_PASS },
      );
      expect(yes.status).toBe(1);
      expect(yes.stderr).toContain('[INSUFFICIENT_FUNDS]');
      expect(greedy.requests.at(-1)).toBe('POST /transactions');
    } finally {
      await greedy.close();
    }
  });

  it('wallet send: a --fee above the amount needs --yes', async () => {
    const args = wallet('send', bobFile, '--to', alice, '--amount', '0.00001', '--fee', '0.0001');
    const run = await cli(args);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      'blockforge: --fee 0.0001 coins is more than the amount (0.00001 coins): nothing was signed; add --yes if you really mean to pay it [FEE_NOT_CONFIRMED]\n',
    );
    expect(json(await cli(wallet('balance', bobFile, '--json'))).next_nonce).toBe('0');
    const sent = await cli([...args, '--yes', '--json']);
    expect(sent.status, sent.stderr).toBe(0);
    expect(json(sent)).toMatchObject({ status: 'pending', from: bob, amount: '1000', fee: '10000' });
  });

  it('wallet verify-payment: a network the node made up checks out only with a warning, and not against --genesis or --min-work', async () => {
    // Anyone can run a node on a genesis of their own, with the easiest target: one hash a block.
    const fakeGenesis = join(dir, 'fakenet.json');
    const made = await cli(['genesis', '--out', fakeGenesis, '--name', 'fakenet', '--expected-hashes', '1']);
    expect(made.status, made.stderr).toBe(0);
    const fakeChain = (/chain id ([0-9a-f]{64})/.exec(made.stdout) as RegExpExecArray)[1] as string;
    const fake = await startNode({
      args: [
        '--profile',
        'ledger',
        '--genesis',
        fakeGenesis,
        '--miner-address',
        bob,
        '--threads',
        '1',
        '--kernel',
        'crypto',
      ],
    });
    try {
      expect((await call(`${fake.url}/mine`)).status).toBe(200);
      const history = json(await cli(['wallet', 'history', bob, '--node', fake.url, '--json']));
      const reward = history.transactions.find((t: { height: number }) => t.height === 2).id as string;
      const verify = (...args: string[]): Promise<Run> =>
        cli(['wallet', 'verify-payment', reward, '--node', fake.url, ...args]);

      const run = await verify();
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(
        /^VALID: [0-9a-f]{64} is in block 2 \([0-9a-f]{64}\), 1 confirmation of work 1, total work 2\n/,
      );
      expect(run.stdout).toContain(`(network fakenet, as the node at ${fake.url} describes it)`);
      expect(run.stderr).toMatch(
        new RegExp(
          `^blockforge: warning: the genesis of network fakenet \\(chain ${fakeChain}\\) came from the node at .* itself: .*pin the network with --genesis FILE`,
        ),
      );
      const asJson = await verify('--json');
      expect(json(asJson)).toMatchObject({
        valid: true,
        kind: 'reward',
        confirmations: 1,
        confirmations_work: '1',
        work: '2',
        chain_id: fakeChain,
        genesis_pinned: false,
      });
      expect(asJson.stderr).toContain('blockforge: warning: the genesis of network fakenet');

      // Pinned to the real network: the node is on another chain.
      const pinned = await verify('--genesis', genesisFile);
      expect(pinned.status).toBe(1);
      expect(pinned.stderr).toBe(
        `INVALID: the node at ${fake.url} is on chain ${fakeChain}, not on chain ${chainId} of ${genesisFile}: it serves another network [CHAIN_ID_MISMATCH]\n`,
      );
      const pinnedJson = await verify('--genesis', genesisFile, '--json');
      expect(json(pinnedJson)).toMatchObject({ valid: false, code: 'CHAIN_ID_MISMATCH', genesis_pinned: true });

      // Work is what a chain costs to make: ask for more than it has.
      const weak = await verify('--min-work', '3');
      expect(weak.status).toBe(1);
      expect(weak.stdout).toBe('');
      expect(weak.stderr).toMatch(
        /^NOT ENOUGH WORK: the chain holding [0-9a-f]{64} has a total work of 2, less than the 3 asked \(--min-work\): .* \[TOO_LITTLE_WORK\]\nblockforge: warning: /,
      );
      expect(json(await verify('--min-work', '3', '--json'))).toMatchObject({
        valid: false,
        code: 'TOO_LITTLE_WORK',
        work: '2',
        confirmations_work: '1',
        min_work: '3',
        genesis_pinned: false,
      });
      expect((await verify('--min-work', '2')).status).toBe(0);
      const badMin = await verify('--min-work', '1e6');
      expect(badMin.status).toBe(1);
      expect(badMin.stderr).toContain('--min-work must be a whole number');
      expect(badMin.stderr).toContain('[INVALID_OPTION]');
    } finally {
      await fake.stop();
    }
  });

  it('wallet verify-payment: a node on the built-in devnet needs no --genesis', async () => {
    const devnet = await startNode({ args: ['--profile', 'ledger', '--miner-address', bob, '--kernel', 'crypto'] });
    try {
      expect((await call(`${devnet.url}/mine`, { timeoutMs: 60_000 })).status).toBe(200);
      const history = json(await cli(['wallet', 'history', bob, '--node', devnet.url, '--json']));
      const reward = history.transactions.find((t: { height: number }) => t.height === 2).id as string;
      const run = await cli(['wallet', 'verify-payment', reward, '--node', devnet.url, '--json']);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toBe('');
      expect(json(run)).toMatchObject({ valid: true, network: 'the built-in devnet', genesis_pinned: true });
    } finally {
      await devnet.stop();
    }
  }, 90_000);

  it('wallet verify-payment: a node cannot keep it asking for headers forever', async () => {
    const verify = (url: string, ...args: string[]) =>
      timed(['wallet', 'verify-payment', paymentId, '--node', url, '--genesis', genesisFile, ...args]);

    // Every answer claims 1000 blocks more than the last; past the real tip the pages are empty.
    let claims = 0;
    const growing = await fakeNode(node, (path, body) => {
      if (path !== '/headers') return body;
      claims += 1000;
      const answer = body as { height: number };
      return { ...answer, height: answer.height + claims };
    });
    // The same page (the first) forever, claiming 1000 blocks more than it has.
    let first: unknown;
    const repeating = await fakeNode(node, (path, body) => {
      if (path !== '/headers') return body;
      first ??= { ...(body as object), height: (body as { height: number }).height + 1000 };
      return first;
    });
    // A full first page, then one header a page.
    let pages = 0;
    const dripping = await fakeNode(node, (path, body) => {
      if (path !== '/headers') return body;
      const answer = body as { headers: unknown[] };
      return { ...answer, headers: answer.headers.slice(0, ++pages === 1 ? 9 : 1) };
    });
    // Headers that never come.
    const silent = await fakeNode(node, async (path, body) => {
      if (path === '/headers') await new Promise((resolve) => setTimeout(resolve, 30_000).unref());
      return body;
    });
    // A height below the block the payment is said to be in.
    const short = await fakeNode(node, (path, body) =>
      path === '/headers' ? { ...(body as object), height: 1 } : body,
    );
    try {
      const ended = await verify(growing.url);
      expect(ended.status).toBe(1);
      expect(ended.stderr).toBe(
        "INVALID: the node's headers ended at 18 (it sent no header 19), before the height 1018 it claimed [HEADERS_MISSING]\n",
      );
      expect(growing.requests.filter((r) => r.startsWith('GET /headers'))).toHaveLength(2);
      expect(ended.ms).toBeLessThan(10_000);

      const repeated = await verify(repeating.url, '--json');
      expect(repeated.status).toBe(1);
      expect(json(repeated)).toMatchObject({
        valid: false,
        reason: expect.stringContaining("the node's headers break the chain rules"),
      });
      expect(repeated.ms).toBeLessThan(10_000);

      const dripped = await verify(dripping.url);
      expect(dripped.status).toBe(1);
      expect(dripped.stderr).toMatch(
        /^INVALID: the node's pages of headers keep getting shorter: 11 of the 18 headers .*\[HEADERS_STALLED\]\n$/,
      );
      // The first page (9 headers), and as many more as 18 headers in pages of 9 take: 2.
      expect(pages).toBe(3);

      const waited = await verify(silent.url, '--timeout', '1.5');
      expect(waited.status).toBe(1);
      expect(waited.stderr).toBe(
        `blockforge: gave up after 1.5 s (--timeout): the node at ${silent.url} had not answered everything asked; nothing was verified [VERIFY_TIMEOUT]\n`,
      );
      expect(waited.ms).toBeLessThan(10_000);

      const below = await verify(short.url);
      expect(below.status).toBe(1);
      expect(below.stderr).toBe('INVALID: the node says block 2, but its chain has 1 blocks [NOT_IN_CHAIN]\n');
    } finally {
      await Promise.all([growing, repeating, dripping, silent, short].map((fake) => fake.close()));
    }
  });
});
