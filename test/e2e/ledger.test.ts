/**
 * Ledger nodes as real processes on loopback: two nodes on one genesis file, signed payments,
 * balances agreeing on both; and `kill -9` in the middle of a reorg leaving one branch or the
 * other (never a mix) with balances that are exactly what that branch's blocks add up to.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BranchValidator, chainEnvelope } from '../../src/core/chain.js';
import { parseJson, writeJson } from '../../src/core/json.js';
import { genesisFileJson, targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { createLedgerProfile, type LedgerProfile, readAccount } from '../../src/core/ledger/ledger-profile.js';
import { call, cleanupAll, type RunningNode, startNode, tempDir } from '../support/harness.js';
import { pay, type TestWallet, testGenesis, testWallet } from '../support/ledger.js';

afterAll(cleanupAll);

const alice = testWallet(1);
const bob = testWallet(2);
const carol = testWallet(3);
const minerA = testWallet(10);
const minerB = testWallet(11);

/** A network whose blocks take ~64 hashes and whose target barely moves (long half-life). */
function network(): { profile: LedgerProfile; file: string } {
  const spec = testGenesis([[alice, 10_000_000n]], {
    initialTarget: targetForExpectedHashes(64n),
    blockTime: 1,
    halfLife: 1_000_000,
    time: Math.floor(Date.now() / 1000) - 1000,
  });
  const file = join(tempDir(), 'genesis.json');
  writeFileSync(file, writeJson(genesisFileJson(spec)));
  return { profile: createLedgerProfile(spec), file };
}

const ledgerArgs = (file: string, miner: TestWallet, more: string[] = []): string[] => [
  '--profile',
  'ledger',
  '--genesis',
  file,
  '--miner-address',
  miner.address,
  '--threads',
  '1',
  ...more,
];

async function mine(node: RunningNode, count: number): Promise<void> {
  for (let k = 0; k < count; k++) {
    const answer = await call(`${node.url}/mine`);
    expect(answer.status, answer.text).toBeLessThan(300);
  }
}

async function balance(node: RunningNode, wallet: TestWallet): Promise<bigint> {
  const answer = await call(`${node.url}/accounts/${wallet.address}`);
  expect(answer.status, answer.text).toBe(200);
  return BigInt(answer.json().balance);
}

async function status(node: RunningNode): Promise<{ height: number; work: bigint }> {
  const json = (await call(`${node.url}/peer/status`)).json();
  return { height: json.height, work: BigInt(json.work) };
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('ledger nodes (processes)', () => {
  it('two nodes on one genesis: payments move balances, both nodes agree', async () => {
    const { profile, file } = network();
    const a = await startNode({ args: ledgerArgs(file, minerA, ['--sync-interval', '1']) });
    const b = await startNode({ args: ledgerArgs(file, minerB, ['--sync-interval', '1', '--peer', a.url]) });
    expect(a.output()).toContain(`mining to ${minerA.address}`);
    const sent = await call(`${a.url}/transactions`, {
      body: writeJson(pay(profile, alice, bob.address, 1_500_000n)),
      headers: { 'content-type': 'application/json' },
    });
    expect(sent.status, sent.text).toBe(202);
    await mine(a, 1);
    await waitFor(async () => (await status(b)).height === 2, 'B to take the block');
    for (const n of [a, b]) {
      expect(await balance(n, bob)).toBe(1_500_000n);
      expect(await balance(n, alice)).toBe(10_000_000n - 1_500_000n - 1_000n);
    }
    // B's payment back, mined on B, reaches A.
    const back = await call(`${b.url}/transactions`, {
      body: writeJson(pay(profile, bob, carol.address, 500_000n)),
      headers: { 'content-type': 'application/json' },
    });
    expect(back.status, back.text).toBe(202);
    await mine(b, 1);
    await waitFor(async () => (await status(a)).height === 3, 'A to take the block');
    for (const n of [a, b]) {
      expect(await balance(n, carol)).toBe(500_000n);
      expect(await balance(n, bob)).toBe(1_000_000n - 1_000n);
    }
    expect((await status(a)).work).toBe((await status(b)).work);
    // A tutorial-protocol client's unsigned transaction is refused with what to do instead.
    const unsigned = await call(`${a.url}/transactions/new`, { body: { sender: 'a', recipient: 'b', amount: 1 } });
    expect(unsigned.status).toBe(400);
    expect(unsigned.json().code).toBe('SIGNED_TRANSACTIONS_ONLY');
    await a.stop();
    await b.stop();
  });

  it('kill -9 during a reorg leaves one branch or the other, with its balances', async () => {
    const { profile, file } = network();
    // Two branches built apart: A pays bob, B (more blocks, more work) pays carol with the same coins.
    const b = await startNode({ args: ledgerArgs(file, minerB, ['--sync-interval', '0']) });
    const bPay = await call(`${b.url}/transactions`, {
      body: writeJson(pay(profile, alice, carol.address, 9_000_000n)),
      headers: { 'content-type': 'application/json' },
    });
    expect(bPay.status).toBe(202);
    await mine(b, 80);
    const bChain = (await call(`${b.url}/chain`)).text;
    const bWork = (await status(b)).work;

    const outcomes = new Set<string>();
    // Kill times from before the sync starts to after it is done (-1: once the resolve answered).
    for (const delay of [0, 15, 40, 80, 150, -1]) {
      const a = await startNode({ args: ledgerArgs(file, minerA, ['--sync-interval', '0']) });
      const aPay = await call(`${a.url}/transactions`, {
        body: writeJson(pay(profile, alice, bob.address, 9_000_000n)),
        headers: { 'content-type': 'application/json' },
      });
      expect(aPay.status).toBe(202);
      await mine(a, 40);
      expect((await status(a)).work).toBeLessThan(bWork);
      const aChain = (await call(`${a.url}/chain`)).text;

      await call(`${a.url}/nodes/register`, { body: { nodes: [b.url] } });
      // The resolve runs the reorg; the kill lands before, during or after its commit.
      const resolving = call(`${a.url}/nodes/resolve`, { timeoutMs: 10_000 }).catch(() => undefined);
      if (delay < 0) await resolving;
      else await new Promise((resolve) => setTimeout(resolve, delay));
      await a.kill9();

      // No sync at start (it would sync with the registered B while the test reads the chain).
      const again = await startNode({
        dataDir: a.dataDir,
        port: a.port,
        args: ledgerArgs(file, minerA, ['--no-auto-sync']),
      });
      const chainText = (await call(`${again.url}/chain`)).text;
      const blocks = chainEnvelope(parseJson(chainText));
      // One branch or the other, whole.
      const onA = chainText === aChain;
      const onB = chainText === bChain;
      expect(onA || onB, `after a kill at ${delay} ms the chain is neither branch (height ${blocks.length})`).toBe(
        true,
      );
      outcomes.add(onA ? 'A' : 'B');
      // Balances are what that branch's blocks add up to.
      const state = new BranchValidator(profile, null).add(blocks).view.state;
      for (const wallet of [alice, bob, carol, minerA, minerB]) {
        expect(
          await balance(again, wallet),
          `${wallet.address} after a kill at ${delay} ms (on ${onA ? 'A' : 'B'})`,
        ).toBe(readAccount(state, wallet.address).balance);
      }
      expect((await balance(again, bob)) === 0n || (await balance(again, carol)) === 0n).toBe(true);
      await again.stop();
    }
    // Both ends were reached: killed before the switch, and after it.
    expect([...outcomes].sort()).toEqual(['A', 'B']);
    await b.stop();
  });
});
