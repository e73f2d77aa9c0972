/**
 * A ledger sync (headers first, state diffs, signed payments) adopted in parts while its pages are
 * validated: the state after the parts is the state of the whole branch, as stored and as reloaded.
 */

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { type LedgerProfile, readAccount } from '../../src/core/ledger/ledger-profile.js';
import { InlineSolver } from '../../src/node/miner.js';
import { closeNode, type NodeServices, openNode } from '../../src/node/open-node.js';
import { cleanupAll, tempDir } from '../support/harness.js';
import { pay, TEST_GENESIS_TIME, testProfile, testWallet } from '../support/ledger.js';
import { MemoryNetwork } from '../support/memory-network.js';

const alice = testWallet(1);
const bob = testWallet(2);
const minerA = testWallet(10);

let net: MemoryNetwork;
let profile: LedgerProfile;
const opened: NodeServices[] = [];

afterEach(async () => {
  for (const services of opened.splice(0)) await closeNode(services);
  await net?.closeAll();
});
afterAll(async () => {
  await cleanupAll();
});

describe('a ledger branch adopted in parts', () => {
  it('ends with the state of the whole branch, stored and reloaded', async () => {
    profile = testProfile([[alice, 1_000_000n]], { initialTarget: targetForExpectedHashes(256n) });
    net = new MemoryNetwork({ profile, startTime: TEST_GENESIS_TIME + 100, beneficiary: minerA.address });
    const a = await net.createNode('A');
    // Seven blocks, payments in some of them: the state moves part after part.
    for (let k = 0; k < 7; k++) {
      net.advance(10);
      if (k % 2 === 0) {
        const tx = pay(profile, alice, bob.address, 1_000n + BigInt(k), { nonce: BigInt(k / 2) });
        await a.node.submitTransaction(profile.parseTransaction(tx));
      }
      await a.node.mine();
    }
    const { port, address } = net.allocateAddress();
    const dataDir = tempDir();
    const options = {
      dataDir,
      profile,
      port,
      solver: new InlineSolver(),
      beneficiary: minerA.address,
      transport: net.transportFor(address),
      network: { syncIntervalMs: 0, adoptEvery: { blocks: 2, bytes: 64 * 1024 * 1024 } },
      clock: () => net.now,
    };
    const b = openNode(options);
    opened.push(b);
    const replaced: number[] = [];
    b.node.events.on('chain-replaced', ({ height }) => replaced.push(height));
    b.network.registerPeers([a.address]);
    const outcome = await b.network.resolve();
    expect(outcome.replaced).toBe(true);
    expect(b.node.tip.hash).toBe(a.node.tip.hash);
    expect(replaced.length).toBeGreaterThanOrEqual(1);
    const balance = (services: { node: typeof b.node }, wallet: typeof alice): bigint =>
      readAccount(services.node.viewAt(services.node.chain.length).state, wallet.address).balance;
    expect(balance(b, bob)).toBe(balance(a, bob));
    expect(balance(b, alice)).toBe(balance(a, alice));
    expect(b.node.blocksJson().equals(a.node.blocksJson())).toBe(true);

    // Reloaded from its folder: the same chain and state.
    await closeNode(opened.pop() as NodeServices);
    const again = openNode(options);
    opened.push(again);
    expect(again.node.tip.hash).toBe(a.node.tip.hash);
    expect(balance(again, bob)).toBe(balance(a, bob));
  });
});
