/**
 * Two ledger nodes on two hosts (network namespaces, test/support/netns.ts), one genesis file:
 * a payment sent to one and mined on the other leaves both with the same chain, the same work
 * and the same balances. Needs root and `ip netns`; skipped elsewhere (netns.test.ts says so loudly).
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeJson } from '../../src/core/json.js';
import { genesisFileJson, targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { createLedgerProfile } from '../../src/core/ledger/ledger-profile.js';
import { waitFor } from '../support/chain-watch.js';
import { call, cleanupAll, tempDir } from '../support/harness.js';
import { pay, testGenesis, testWallet } from '../support/ledger.js';
import { createNetwork, destroyAllNetworks, netnsAvailable, startNodeIn } from '../support/netns.js';

const availability = await netnsAvailable();

const alice = testWallet(1);
const bob = testWallet(2);
const minerOne = testWallet(10);
const minerTwo = testWallet(11);

describe.skipIf(!availability.ok)('ledger nodes on two hosts (network namespaces)', () => {
  afterAll(async () => {
    await destroyAllNetworks();
    await cleanupAll();
  });

  it('agree on the chain, its work and every balance', async () => {
    const spec = testGenesis([[alice, 5_000_000n]], {
      initialTarget: targetForExpectedHashes(64n),
      time: Math.floor(Date.now() / 1000) - 100,
    });
    const profile = createLedgerProfile(spec);
    const file = join(tempDir(), 'genesis.json');
    writeFileSync(file, writeJson(genesisFileJson(spec)));
    const net = await createNetwork(2, { name: 'ledger' });
    const [h1, h2] = net.hosts;
    if (!h1 || !h2) throw new Error('hosts');
    const common = ['--profile', 'ledger', '--genesis', file, '--sync-interval', '1', '--threads', '1'];
    const one = await startNodeIn(h1, [...common, '--miner-address', minerOne.address, '--advertise', h1.url]);
    const two = await startNodeIn(h2, [
      ...common,
      '--miner-address',
      minerTwo.address,
      '--advertise',
      h2.url,
      '--peer',
      h1.url,
    ]);
    const sent = await call(`${one.url}/transactions`, {
      body: writeJson(pay(profile, alice, bob.address, 1_234_567n)),
      headers: { 'content-type': 'application/json' },
    });
    expect(sent.status, sent.text).toBe(202);
    // The payment crosses to host 2, which mines it; the block crosses back.
    await waitFor(
      'host 2 to have the payment',
      async () => (await call(`${two.url}/transactions/pending`)).json().count === 1,
      {
        timeoutMs: 30_000,
      },
    );
    expect((await call(`${two.url}/mine`)).status).toBe(200);
    const status = async (url: string) => (await call(`${url}/peer/status`)).json();
    await waitFor('host 1 to take host 2 block', async () => (await status(one.url)).height === 2, {
      timeoutMs: 30_000,
    });
    const [s1, s2] = [await status(one.url), await status(two.url)];
    expect(s1.work).toBe(s2.work);
    expect((await call(`${one.url}/chain`)).text).toBe((await call(`${two.url}/chain`)).text);
    for (const wallet of [alice, bob]) {
      const a1 = (await call(`${one.url}/accounts/${wallet.address}`)).json();
      const a2 = (await call(`${two.url}/accounts/${wallet.address}`)).json();
      expect(a1.balance).toBe(a2.balance);
    }
    expect((await call(`${one.url}/accounts/${bob.address}`)).json().balance).toBe('1234567');
  });
});
