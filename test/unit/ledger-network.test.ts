/**
 * The ledger profile in real nodes on the in-memory network (`test/support/memory-network.ts`):
 * payments, balances agreeing across nodes, a reorg to a shorter chain with more work, a double
 * spend across a reorg, nonce gaps, replacement by fee, replays and other chains' signatures,
 * blocks dated too far ahead, headers-first sync, and a restart.
 */

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Transaction } from '../../src/core/block.js';
import { ErrorCode } from '../../src/core/errors.js';
import { type JsonObject, type JsonValue, parseJson, writeJson } from '../../src/core/json.js';
import { asertTarget, MAX_TARGET } from '../../src/core/ledger/asert.js';
import { clientTxError, decodePayment, makeHeader } from '../../src/core/ledger/codec.js';
import { targetForExpectedHashes, targetHex } from '../../src/core/ledger/genesis.js';
import { verifySignature } from '../../src/core/ledger/keys.js';
import { type LedgerProfile, readAccount } from '../../src/core/ledger/ledger-profile.js';
import { MAX_U63 } from '../../src/core/ledger/transaction.js';
import { createProfile } from '../../src/core/profiles.js';
import { cleanupAll } from '../support/harness.js';
import {
  forgeBlock,
  LedgerChain,
  pay,
  TEST_GENESIS_TIME,
  type TestWallet,
  testGenesis,
  testProfile,
  testWallet,
} from '../support/ledger.js';
import { MemoryNetwork, type MemoryNode, tutorialPeer } from '../support/memory-network.js';

const alice = testWallet(1);
const bob = testWallet(2);
const carol = testWallet(3);
const minerA = testWallet(10);
const minerB = testWallet(11);

let net: MemoryNetwork;
let profile: LedgerProfile;

/** A network of ledger nodes: alice starts with 1,000,000 units; blocks take ~256 hashes. */
function ledgerNetwork(): MemoryNetwork {
  profile = testProfile([[alice, 1_000_000n]], { initialTarget: targetForExpectedHashes(256n) });
  net = new MemoryNetwork({ profile, startTime: TEST_GENESIS_TIME + 100, beneficiary: minerA.address });
  return net;
}

afterEach(async () => {
  await net?.closeAll();
});
afterAll(async () => {
  await cleanupAll();
});

function balanceOf(n: MemoryNode, wallet: TestWallet): bigint {
  return readAccount(n.node.viewAt(n.node.chain.length).state, wallet.address).balance;
}

/** Submits a payment through the API; returns the answer. */
async function send(
  n: MemoryNode,
  payment: JsonObject,
): Promise<{ status: number; json: { id?: string; code?: string } }> {
  return net.call(n, 'POST', '/transactions', writeJson(payment));
}

/** Submits a payment straight to the node (the API is tested elsewhere). */
function submit(n: MemoryNode, payment: JsonObject): Promise<number> {
  return n.node.submitTransaction(n.node.profile.parseTransaction(parseJson(writeJson(payment))));
}

/** Mines `count` blocks on `n`, the clock moving `seconds` before each. */
async function mineSpaced(n: MemoryNode, count: number, seconds: number): Promise<void> {
  for (let k = 0; k < count; k++) {
    net.advance(seconds);
    await n.node.mine();
  }
}

const pendingIds = (n: MemoryNode): string[] => n.node.pendingTransactions.map((tx: Transaction) => tx.id);
const chainIds = (n: MemoryNode): string[] => n.node.chain.flatMap((b) => b.transactions.map((tx) => tx.id));

describe('ledger nodes', () => {
  it('move balances by signed payments and agree across nodes', async () => {
    ledgerNetwork();
    const [a, b] = await net.createNodes(2);
    if (!a || !b) throw new Error('nodes');
    net.connectAll([a, b]);
    net.start(a, b);
    await submit(a, pay(profile, alice, bob.address, 250_000n, { fee: 5_000n }));
    await net.settle();
    expect(pendingIds(b)).toHaveLength(1); // gossiped
    net.advance(10);
    await a.node.mine();
    await net.settle();
    for (const n of [a, b]) {
      expect(n.node.chain).toHaveLength(2);
      expect(balanceOf(n, alice)).toBe(1_000_000n - 255_000n);
      expect(balanceOf(n, bob)).toBe(250_000n);
      expect(n.node.pendingTransactions).toHaveLength(0);
    }
    // The reward (50 coins + the fee) is locked until it matures: 10 blocks later.
    expect(balanceOf(a, minerA)).toBe(0n);
    await mineSpaced(a, 9, 10);
    await net.settle();
    expect(balanceOf(b, minerA)).toBe(0n);
    await mineSpaced(a, 1, 10);
    await net.settle();
    expect(balanceOf(b, minerA)).toBe(50_0000_0000n + 5_000n);
    expect(a.node.chainWork).toBe(b.node.chainWork);
  });

  it('reorgs to a shorter branch with more work, in one commit, and survives a restart', async () => {
    ledgerNetwork();
    const [a, b] = await net.createNodes(2);
    if (!a || !b) throw new Error('nodes');
    net.connectAll([a, b]);
    net.partition([a], [b]);
    // A: five slow blocks (the retarget eases them: less work each); B: three fast, harder ones.
    await mineSpaced(a, 5, 1_000);
    await mineSpaced(b, 3, 1);
    expect(a.node.chain.length).toBeGreaterThan(b.node.chain.length);
    expect(b.node.chainWork).toBeGreaterThan(a.node.chainWork);
    net.heal();
    await net.resolve(a);
    await net.resolve(b);
    expect(a.node.chain.length).toBe(4);
    expect(a.node.tip.hash).toBe(b.node.tip.hash);
    expect(a.node.chainWork).toBe(b.node.chainWork);
    const reopened = await net.restart(a);
    expect(reopened.node.tip.hash).toBe(b.node.tip.hash);
    expect(reopened.node.chainWork).toBe(b.node.chainWork);
  });

  it('settles a double spend across a reorg: one branch wins, the other payment is dropped, an unrelated one returns', async () => {
    ledgerNetwork();
    const [a, b] = await net.createNodes(2);
    if (!a || !b) throw new Error('nodes');
    net.connectAll([a, b]);
    net.partition([a], [b]);
    // The same coins, twice: to bob on A, to carol on B (both nonce 0).
    const toBob = pay(profile, alice, bob.address, 900_000n);
    const toCarol = pay(profile, alice, carol.address, 900_000n);
    await submit(a, toBob);
    await submit(b, toCarol);
    // Bob, funded on A's branch only, pays back: a payment that cannot survive A's branch losing.
    net.advance(1_000);
    await a.node.mine();
    await submit(a, pay(profile, bob, carol.address, 10_000n));
    await mineSpaced(a, 1, 1_000);
    // B's branch has more work.
    await mineSpaced(b, 3, 1);
    expect(b.node.chainWork).toBeGreaterThan(a.node.chainWork);
    // An unrelated payment waiting on A (alice's second nonce is invalid on B: nonce 1 is next there too).
    const later = pay(profile, alice, bob.address, 10_000n, { nonce: 1n });
    await submit(a, later);
    net.heal();
    await net.resolve(a);
    expect(a.node.tip.hash).toBe(b.node.tip.hash);
    expect(balanceOf(a, carol)).toBe(900_000n);
    expect(balanceOf(a, bob)).toBe(0n);
    const toBobId = profile.parseTransaction(toBob).id;
    // The double spend is gone for good (its nonce is used on the winning branch).
    expect(chainIds(a)).not.toContain(toBobId);
    expect(pendingIds(a)).not.toContain(toBobId);
    // Alice's nonce-1 payment is still valid on the new branch: it is pending again.
    expect(pendingIds(a)).toContain(profile.parseTransaction(later).id);
    // Bob's payment spent coins that B's branch never gave him: dropped.
    expect(pendingIds(a).length).toBe(1);
  });

  it('holds a payment with a nonce gap until the gap fills', async () => {
    ledgerNetwork();
    const a = await net.createNode();
    await submit(a, pay(profile, alice, bob.address, 1_000n, { nonce: 1n }));
    net.advance(10);
    await a.node.mine();
    expect(a.node.tip.transactions).toHaveLength(1); // the reward only: nonce 0 is missing
    expect(a.node.pendingTransactions).toHaveLength(1);
    await submit(a, pay(profile, alice, bob.address, 2_000n, { nonce: 0n }));
    net.advance(10);
    await a.node.mine();
    expect(a.node.tip.transactions).toHaveLength(3);
    expect(balanceOf(a, bob)).toBe(3_000n);
    expect(readAccount(a.node.viewAt(a.node.chain.length).state, alice.address).nonce).toBe(2n);
    // Past the window of 16 nonces ahead: refused.
    const far = await send(a, pay(profile, alice, bob.address, 1_000n, { nonce: 2n + 17n }));
    expect(far.status).toBe(400);
    expect(far.json.code).toBe(ErrorCode.NonceTooHigh);
  });

  it('replaces a pending payment by a higher fee, durably', async () => {
    ledgerNetwork();
    let a = await net.createNode();
    const low = pay(profile, alice, bob.address, 1_000n, { fee: 1_000n });
    const high = pay(profile, alice, carol.address, 1_000n, { fee: 2_000n });
    expect((await send(a, low)).status).toBe(202);
    const same = await send(a, pay(profile, alice, carol.address, 1_000n, { fee: 1_000n }));
    expect(same.json.code).toBe(ErrorCode.FeeTooLow);
    expect((await send(a, high)).status).toBe(202);
    expect(pendingIds(a)).toEqual([profile.parseTransaction(high).id]);
    a = await net.restart(a);
    expect(pendingIds(a)).toEqual([profile.parseTransaction(high).id]);
    net.advance(10);
    await a.node.mine();
    expect(balanceOf(a, carol)).toBe(1_000n);
    expect(balanceOf(a, bob)).toBe(0n);
  });

  it('refuses a replayed payment and one signed for another genesis', async () => {
    ledgerNetwork();
    const a = await net.createNode();
    const payment = pay(profile, alice, bob.address, 1_000n);
    expect((await send(a, payment)).status).toBe(202);
    net.advance(10);
    await a.node.mine();
    const replay = await send(a, payment);
    expect(replay.status).toBe(400);
    expect(replay.json.code).toBe(ErrorCode.NonceTooLow);
    const other = testProfile([[alice, 1_000_000n]], { network: 'othernet' });
    expect(other.chainId).not.toBe(profile.chainId);
    const foreign = await send(a, pay(other, alice, bob.address, 1_000n, { nonce: 1n }));
    expect(foreign.status).toBe(400);
    expect(foreign.json.code).toBe(ErrorCode.WrongChain);
    expect(a.node.pendingTransactions).toHaveLength(0);
  });

  it('does not take a block dated more than 2 minutes ahead, until its time comes', async () => {
    ledgerNetwork();
    const a = await net.createNode();
    const block = forgeBlock(profile, a.node.viewAt(1), [], minerB.address, net.now + 600);
    expect(() => a.node.offerBlock(block.json as JsonValue)).toThrow(/ahead of this node's clock/);
    expect(a.node.chain).toHaveLength(1);
    net.advance(500);
    expect(a.node.offerBlock(block.json as JsonValue)).toBe('appended');
  });

  it('syncs headers first: headers are checked before any body is fetched', async () => {
    ledgerNetwork();
    const [a, b] = await net.createNodes(2);
    if (!a || !b) throw new Error('nodes');
    await mineSpaced(b, 6, 10);
    net.connectAll([a, b]);
    const before = net.log.length;
    await net.resolve(a);
    expect(a.node.tip.hash).toBe(b.node.tip.hash);
    const paths = net.log
      .slice(before)
      .filter((r) => r.from === a.address)
      .map((r) => r.path.split('?')[0]);
    const headersAt = paths.indexOf('/headers');
    const blocksAt = paths.indexOf('/blocks');
    expect(headersAt).toBeGreaterThanOrEqual(0);
    expect(blocksAt).toBeGreaterThan(headersAt);
  });

  it('bans a peer whose headers carry no work before downloading a single body', async () => {
    ledgerNetwork();
    const a = await net.createNode();
    const genesis = a.node.chain[0];
    if (!genesis) throw new Error('genesis');
    // Fifty headers that link and retarget correctly but whose hashes are above their target.
    const headers: JsonObject[] = [];
    let parent = genesis.hash;
    for (let h = 2; h <= 51; h++) {
      let nonce = 0;
      let header = makeHeader({
        height: h,
        parent,
        merkle: '0'.repeat(64),
        time: net.now + h,
        target: profile.genesis.initialTarget,
        nonce,
      });
      while (header.hash <= targetHex(profile.genesis.initialTarget)) {
        nonce++;
        header = makeHeader({
          height: h,
          parent,
          merkle: '0'.repeat(64),
          time: net.now + h,
          target: profile.genesis.initialTarget,
          nonce,
        });
      }
      headers.push(header.json);
      parent = header.hash;
    }
    const asked: string[] = [];
    const liar = net.addLiar(net.allocateAddress().address, ({ path }) => {
      asked.push(path.split('?')[0] as string);
      if (path === '/peer/status') {
        return {
          status: 200,
          body: { node_id: 'f'.repeat(32), height: 51, work: String(10n ** 30n), profile: 'ledger', ...profile.params },
        };
      }
      if (path === '/peer/locate') return { status: 200, body: { common: 1 } };
      if (path.startsWith('/headers')) return { status: 200, body: `{"headers":${writeJson(headers)},"height":51}` };
      return { status: 404, body: 'Not Found' };
    });
    await net.call(a, 'POST', '/nodes/register', { nodes: [`http://${liar}`] });
    const outcome = await net.resolve(a);
    expect(asked).toContain('/headers');
    expect(asked).not.toContain('/blocks');
    expect(a.node.chain).toHaveLength(1);
    expect(outcome.peers[0]).toMatchObject({ status: 'invalid', code: ErrorCode.ProofOfWork, misbehaved: true });
  });

  it('refuses a tutorial peer as incompatible, without banning it', async () => {
    ledgerNetwork();
    const a = await net.createNode();
    // A tutorial node's chain: its genesis block as the Python node makes it.
    const tutorialChain = writeJson(
      parseJson(
        '{"chain": [{"index": 1, "previous_hash": 1, "proof": 100, "timestamp": 1700000000.5, "transactions": []}], "length": 1}',
      ),
    );
    const tutorial = net.addLiar(net.allocateAddress().address, tutorialPeer(tutorialChain));
    await net.call(a, 'POST', '/nodes/register', { nodes: [`http://${tutorial}`] });
    const outcome = await net.resolve(a);
    expect(outcome.peers[0]).toMatchObject({ status: 'incompatible' });
    expect(outcome.peers[0]?.reason).toMatch(/another network/);
    const listed = await net.call(a, 'GET', '/nodes');
    expect(JSON.stringify(listed.json)).not.toMatch(/banned":\s*true/);
    expect(a.node.chain).toHaveLength(1);
  });

  it('verifies signatures with the verifier the node gives the profile', () => {
    let calls = 0;
    const counting = createProfile('ledger', {
      genesis: testGenesis([[alice, 1_000n]]),
      verifySignature: (sig, msg, pub) => {
        calls++;
        return verifySignature(sig, msg, pub);
      },
    });
    const chainId = (counting as LedgerProfile).chainId;
    counting.parseTransaction(pay(counting as LedgerProfile, alice, bob.address, 1n, { chain: chainId }));
    expect(calls).toBe(1);
  });

  it('does not return a payment below our fee policy after a reorg, and restarts cleanly', async () => {
    ledgerNetwork();
    const [a, b] = await net.createNodes(2);
    if (!a || !b) throw new Error('nodes');
    net.connectAll([a, b]);
    net.partition([a], [b]);
    // A valid block (chain rules have no minimum fee) holding a fee-0 payment, as another miner may make.
    const zeroFee = decodePayment(
      pay(profile, alice, bob.address, 5_000n, { fee: 0n }),
      profile.genesis.hrp,
      clientTxError,
    );
    net.advance(1_000);
    const block = forgeBlock(profile, a.node.viewAt(1), [zeroFee], minerB.address, net.now);
    expect(a.node.offerBlock(block.json as JsonValue)).toBe('appended');
    await mineSpaced(b, 3, 1);
    net.heal();
    await net.resolve(a);
    expect(a.node.tip.hash).toBe(b.node.tip.hash);
    expect(pendingIds(a)).not.toContain(zeroFee.id);
    const again = await net.restart(a);
    expect(again.node.tip.hash).toBe(b.node.tip.hash);
  });

  it('checks no signature of a block before its header passes in context', async () => {
    ledgerNetwork();
    const a = await net.createNode();
    // A block on an unknown parent, full of payments whose signatures are garbage: it is "ahead"
    // (a sync would fetch its headers first), and not one signature was checked.
    let calls = 0;
    const counting = createProfile('ledger', {
      genesis: profile.genesis,
      verifySignature: () => {
        calls++;
        return false;
      },
    });
    const good = pay(profile, alice, bob.address, 1_000n);
    const bad = { ...good, sig: 'ab'.repeat(64) };
    const forged = decodePayment(parseJson(writeJson(bad)), profile.genesis.hrp, clientTxError);
    // Block 4 of a chain A has never seen (its parent is unknown to A).
    const elsewhere = new LedgerChain(profile);
    elsewhere.mine([], minerB.address);
    elsewhere.mine([], minerB.address);
    const orphan = forgeBlock(profile, elsewhere.view, [forged], minerB.address, net.now + 30);
    expect(counting.decodeBlock(orphan.json as JsonValue, 0).height).toBe(4);
    expect(a.node.offerBlock(orphan.json as JsonValue)).toBe('ahead');
    const block = forgeBlock(profile, a.node.viewAt(1), [forged], minerB.address, net.now + 10);
    expect(calls).toBe(0);
    // On our tip it is refused for its signature (L9), once its header passed.
    expect(() => a.node.offerBlock(block.json as JsonValue)).toThrow(/signature .*\(L9\)/);
  });

  it('keeps a reward that would pass 2^63 - 1 from halting the chain, and refuses payments that would', async () => {
    profile = testProfile([[alice, MAX_U63]], { maturity: 1 });
    net = new MemoryNetwork({ profile, startTime: TEST_GENESIS_TIME + 100, beneficiary: alice.address });
    const a = await net.createNode();
    await mineSpaced(a, 4, 10); // rewards to alice, who cannot hold more: burned when they unlock
    expect(a.node.chain).toHaveLength(5);
    expect(balanceOf(a, alice)).toBe(MAX_U63);
    const toAlice = await send(a, pay(profile, bob, alice.address, 1n));
    expect(toAlice.status).toBe(400);
  });

  it('drops pending payments a block made unaffordable', async () => {
    ledgerNetwork();
    const a = await net.createNode();
    // Nonces 1..3 wait for nonce 0, which never comes: a block spends alice's balance at nonce 0.
    for (const nonce of [1n, 2n, 3n]) await submit(a, pay(profile, alice, bob.address, 1_000n, { nonce }));
    const all = decodePayment(pay(profile, alice, carol.address, 999_000n), profile.genesis.hrp, clientTxError);
    net.advance(10);
    const block = forgeBlock(profile, a.node.viewAt(1), [all], minerB.address, net.now);
    expect(a.node.offerBlock(block.json as JsonValue)).toBe('appended');
    expect(a.node.pendingTransactions).toHaveLength(0);
  });

  it('clamps the retarget of times far off schedule without computing huge numbers', () => {
    const far = asertTarget({
      anchorTarget: 1n << 200n,
      anchorHeight: 2,
      anchorTime: 0,
      parentHeight: 3,
      parentTime: 2 ** 53 - 1,
      blockTime: 1,
      halfLife: 1,
    });
    const past = asertTarget({
      anchorTarget: 1n << 200n,
      anchorHeight: 2,
      anchorTime: 2 ** 52,
      parentHeight: 2 ** 40,
      parentTime: 0,
      blockTime: 3600,
      halfLife: 1,
    });
    // Without the clamp the shift would be by ~2^69 bits: a RangeError (or minutes of work).
    expect([far, past]).toEqual([MAX_TARGET, 1n]);
  });
});
