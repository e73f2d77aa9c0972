/**
 * The ledger's HTTP API (src/api/ledger-routes.ts) through Fastify inject, on a real node in a temp
 * folder: signed payments from submission to a confirmed block with a merkle proof that verifies,
 * every refusal of the policy with its code and field, hostile input on every route (4xx in the one
 * error shape, state unchanged), headers paging, the genesis a wallet signs for, the other routes
 * still answering on a ledger node, and the transaction index after a reorg.
 */

import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import type { Block } from '../../src/core/block.js';
import { validateBranch } from '../../src/core/chain.js';
import { type JsonObject, parseJson, writeJson } from '../../src/core/json.js';
import { fromHex } from '../../src/core/ledger/codec.js';
import { genesisFileJson } from '../../src/core/ledger/genesis.js';
import type { LedgerProfile } from '../../src/core/ledger/ledger-profile.js';
import { verifyInclusion } from '../../src/core/ledger/merkle.js';
import type { BlockforgeNode } from '../../src/node/blockforge-node.js';
import { InlineSolver } from '../../src/node/miner.js';
import { closeNode, type NodeServices, openNode } from '../../src/node/open-node.js';
import { cleanupAll, tempDir } from '../support/harness.js';
import { LedgerChain, pay, TEST_GENESIS_TIME, testProfile, testWallet } from '../support/ledger.js';

const COIN = 100_000_000n;
const alice = testWallet(1);
const bob = testWallet(2);
const carol = testWallet(3);
const dave = testWallet(4);
const miner = testWallet(9);
const ALICE_START = 100n * COIN;
const DAVE_START = 10n * COIN;

const profile: LedgerProfile = testProfile([
  [alice, ALICE_START],
  [dave, DAVE_START],
]);
let services: NodeServices;
let node: BlockforgeNode;
let app: FastifyInstance;
/** The node's clock: blocks 10 s apart, the network's block time, so the target stays put. */
let now = TEST_GENESIS_TIME;

beforeAll(async () => {
  services = openNode({
    dataDir: tempDir(),
    profile,
    port: 5999,
    beneficiary: miner.address,
    solver: new InlineSolver(),
    clock: () => now,
  });
  node = services.node;
  app = await buildServer(services);
});
afterAll(async () => {
  await app?.close();
  if (services) await closeNode(services);
  await cleanupAll();
});

type Answer = { statusCode: number; body: string; headers: Record<string, unknown> };

/** Asserts the one error shape and returns the body. */
function expectError(res: Answer, status: number, code: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toMatch(/^application\/json/);
  const body = JSON.parse(res.body);
  expect(body).toMatchObject({ statusCode: status, code, error: expect.any(String), message: expect.any(String) });
  expect(body.message.length).toBeGreaterThan(5);
  return body;
}

const get = (url: string) => app.inject({ url });
const json = async (url: string) => {
  const res = await get(url);
  expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
  return JSON.parse(res.body);
};
const post = (url: string, payload: string | Buffer | JsonObject) =>
  app.inject({
    method: 'POST',
    url,
    payload: typeof payload === 'string' || Buffer.isBuffer(payload) ? payload : writeJson(payload),
    headers: { 'content-type': 'application/json' },
  });
const submit = (payment: string | Buffer | JsonObject) => post('/transactions', payment);

async function mine() {
  now += 10;
  const res = await get('/mine');
  expect(res.statusCode, res.body).toBe(200);
  return res;
}

/** What a refused request must leave alone. */
function snapshot() {
  return {
    chain: node.chain.map((b) => b.hash),
    pending: node.pendingTransactions.map((tx) => tx.id),
  };
}

/** The id of a payment as the node computes it. */
const idOf = (payment: JsonObject) => profile.parseTransaction(payment).id;

/** Checks an inclusion proof as a light client would: against the merkle root of the header it got. */
async function expectProofVerifies(id: string, answer: { height: number; proof: Record<string, unknown> }) {
  const { headers } = await json(`/headers?from=${answer.height}&limit=1`);
  const header = headers[0];
  const proof = answer.proof as { index: number; size: number; path: string[]; root: string };
  expect(proof.root).toBe(header.merkle);
  const ok = verifyInclusion(
    fromHex(id),
    { index: proof.index, size: proof.size, path: proof.path.map(fromHex) },
    fromHex(header.merkle),
  );
  expect(ok).toBe(true);
  // And not for another id, nor at another place.
  expect(
    verifyInclusion(fromHex('00'.repeat(32)), { ...proof, path: proof.path.map(fromHex) }, fromHex(header.merkle)),
  ).toBe(false);
}

describe('GET /genesis', () => {
  it('gives what a wallet signs with: the chain id is the genesis block hash', async () => {
    const body = await json('/genesis');
    expect(body.chain_id).toBe(node.chain[0]?.hash);
    expect(body.chain_id).toBe(profile.chainId);
    expect(body).toMatchObject({ network: 'testnet', hrp: 'bft', min_fee: '1000' });
    expect(body.genesis).toEqual(JSON.parse(writeJson(genesisFileJson(profile.genesis))));
    expect(body.genesis.allocations).toEqual([
      { address: alice.address, amount: ALICE_START.toString() },
      { address: dave.address, amount: DAVE_START.toString() },
    ]);
  });
});

describe("a payment's life", () => {
  const p0 = () => pay(profile, alice, bob.address, 5n * COIN, { nonce: 0n });
  const p1a = () => pay(profile, alice, carol.address, COIN, { nonce: 1n, fee: 1000n });
  const p1b = () => pay(profile, alice, carol.address, COIN, { nonce: 1n, fee: 2000n });

  it('accepts a signed payment with 202, its id and the block it is expected in', async () => {
    const res = await submit(p0());
    expect(res.statusCode, res.body).toBe(202);
    expect(JSON.parse(res.body)).toEqual({ id: idOf(p0()), status: 'pending', expected_block: 2 });
    expect(node.pendingTransactions.map((tx) => tx.id)).toEqual([idOf(p0())]);
  });

  it('shows it pending in /transactions/:id', async () => {
    const body = await json(`/transactions/${idOf(p0())}`);
    expect(body).toEqual({
      id: idOf(p0()),
      status: 'pending',
      transaction: JSON.parse(writeJson(p0())),
      details: {
        id: idOf(p0()),
        kind: 'payment',
        from: alice.address,
        to: bob.address,
        amount: (5n * COIN).toString(),
        fee: '1000',
        nonce: '0',
      },
    });
  });

  it('shows it in both accounts: next nonce and pending balances, the balances unchanged', async () => {
    expect(await json(`/accounts/${alice.address}`)).toEqual({
      address: alice.address,
      balance: ALICE_START.toString(),
      locked: '0',
      nonce: '0',
      pending_balance: (ALICE_START - 5n * COIN - 1000n).toString(),
      next_nonce: '1',
      height: 1,
    });
    expect(await json(`/accounts/${bob.address}`)).toMatchObject({
      balance: '0',
      nonce: '0',
      pending_balance: (5n * COIN).toString(),
      next_nonce: '0',
    });
    const history = await json(`/accounts/${bob.address}/transactions`);
    expect(history.address).toBe(bob.address);
    expect(history.transactions).toEqual([expect.objectContaining({ id: idOf(p0()), status: 'pending' })]);
  });

  it('answers the same payment again, while pending, with 409 ALREADY_PENDING', async () => {
    const before = snapshot();
    expectError(await submit(p0()), 409, 'ALREADY_PENDING');
    expect(snapshot()).toEqual(before);
  });

  it('replaces a pending payment by one with the same nonce and a higher fee', async () => {
    expect((await submit(p1a())).statusCode).toBe(202);
    expect(node.pendingTransactions.map((tx) => tx.id)).toContain(idOf(p1a()));
    // The same fee is no replacement.
    const before = snapshot();
    const same = pay(profile, alice, bob.address, 2n * COIN, { nonce: 1n, fee: 1000n });
    expect(expectError(await submit(same), 400, 'FEE_TOO_LOW').field).toBe('fee');
    expect(snapshot()).toEqual(before);

    const res = await submit(p1b());
    expect(res.statusCode, res.body).toBe(202);
    expect(JSON.parse(res.body)).toMatchObject({ id: idOf(p1b()), status: 'pending' });
    const pending = node.pendingTransactions.map((tx) => tx.id);
    expect(pending).toContain(idOf(p1b()));
    expect(pending).not.toContain(idOf(p1a()));
    expectError(await get(`/transactions/${idOf(p1a())}`), 404, 'NOT_FOUND');
    expect((await json(`/accounts/${alice.address}`)).next_nonce).toBe('2');
  });

  it('confirms them in a mined block, each with a merkle proof that verifies against the header', async () => {
    await mine();
    expect(node.pendingTransactions).toHaveLength(0);
    const tip = node.tip;
    for (const [payment, index] of [
      [p0(), 1],
      [p1b(), 2],
    ] as const) {
      const id = idOf(payment);
      const body = await json(`/transactions/${id}`);
      expect(body).toMatchObject({
        id,
        status: 'confirmed',
        transaction: JSON.parse(writeJson(payment)),
        height: 2,
        block_hash: tip.hash,
        confirmations: 1,
        index,
      });
      expect(body.details.from).toBe(alice.address);
      expect(body.proof).toMatchObject({ index, size: 3 });
      await expectProofVerifies(id, body);
    }
    expect(await json(`/accounts/${alice.address}`)).toMatchObject({
      balance: (ALICE_START - 5n * COIN - 1000n - COIN - 2000n).toString(),
      nonce: '2',
      next_nonce: '2',
      pending_balance: (ALICE_START - 5n * COIN - 1000n - COIN - 2000n).toString(),
      height: 2,
    });
    expect(await json(`/accounts/${bob.address}`)).toMatchObject({ balance: (5n * COIN).toString() });
    // The miner's reward is locked until it matures.
    const reward = await json(`/accounts/${miner.address}`);
    expect(BigInt(reward.locked)).toBe(profile.genesis.reward + 3000n);
    expect(reward.balance).toBe('0');
  });

  it('refuses the same payment once mined: 400 NONCE_TOO_LOW (no replay)', async () => {
    const before = snapshot();
    expect(expectError(await submit(p0()), 400, 'NONCE_TOO_LOW').field).toBe('nonce');
    expect(snapshot()).toEqual(before);
  });

  it("lists an account's transactions newest first, confirmations counting up as blocks come", async () => {
    const history = await json(`/accounts/${alice.address}/transactions`);
    expect(history.transactions.map((t: { id: string }) => t.id)).toEqual([
      idOf(p1b()),
      idOf(p0()),
      profile.createGenesis(0).transactions[0]?.id,
    ]);
    expect(history.transactions[0]).toMatchObject({
      status: 'confirmed',
      kind: 'payment',
      height: 2,
      block_hash: node.chain[1]?.hash,
      confirmations: 1,
    });
    expect(history.transactions[2]).toMatchObject({ kind: 'reward', status: 'confirmed', height: 1, confirmations: 2 });

    // A pending one comes first.
    const p2 = pay(profile, alice, dave.address, COIN, { nonce: 2n });
    expect((await submit(p2)).statusCode).toBe(202);
    const withPending = await json(`/accounts/${alice.address}/transactions?limit=2`);
    expect(withPending.transactions.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([
      [idOf(p2), 'pending'],
      [idOf(p1b()), 'confirmed'],
    ]);

    await mine();
    expect((await json(`/transactions/${idOf(p0())}`)).confirmations).toBe(2);
    const confirmed = await json(`/transactions/${idOf(p2)}`);
    expect(confirmed).toMatchObject({ status: 'confirmed', height: 3, confirmations: 1, index: 1 });
    await expectProofVerifies(idOf(p2), confirmed);
    // Reward at index 0 has its proof too.
    const rewardId = node.tip.transactions[0]?.id as string;
    const reward = await json(`/transactions/${rewardId}`);
    expect(reward).toMatchObject({ status: 'confirmed', index: 0, details: { kind: 'reward', to: miner.address } });
    await expectProofVerifies(rewardId, reward);
    const one = await json(`/accounts/${alice.address}/transactions?limit=1`);
    expect(one.transactions).toHaveLength(1);
  });
});

describe('payments the policy refuses, each with its code and field, changing nothing', () => {
  // Dave never pays: his next nonce stays 0.
  const next = () => 0n;

  it.each([
    [
      'a forged signature',
      () => {
        const p = pay(profile, dave, bob.address, COIN, { nonce: next() });
        const sig = p.sig as string;
        p.sig = `${sig.slice(0, 10)}${sig[10] === '0' ? '1' : '0'}${sig.slice(11)}`;
        return p;
      },
      400,
      'BAD_SIGNATURE',
      'sig',
    ],
    [
      "another key's signature",
      () => {
        const p = pay(profile, dave, bob.address, COIN, { nonce: next() });
        p.sig = pay(profile, carol, bob.address, COIN, { nonce: next() }).sig as string;
        return p;
      },
      400,
      'BAD_SIGNATURE',
      'sig',
    ],
    [
      'a payment for another chain',
      () => pay(profile, dave, bob.address, COIN, { nonce: next(), chain: 'ab'.repeat(32) }),
      400,
      'WRONG_CHAIN',
      'chain',
    ],
    [
      'an amount over the balance',
      () => pay(profile, dave, bob.address, 1000n * COIN, { nonce: next() }),
      400,
      'INSUFFICIENT_FUNDS',
      'amount',
    ],
    [
      'an account with nothing at all',
      () => pay(profile, testWallet(7), bob.address, 1n, { nonce: 0n }),
      400,
      'INSUFFICIENT_FUNDS',
      'amount',
    ],
    [
      'a fee of 999',
      () => pay(profile, dave, bob.address, COIN, { nonce: next(), fee: 999n }),
      400,
      'FEE_TOO_LOW',
      'fee',
    ],
    [
      'a nonce too far ahead',
      () => pay(profile, dave, bob.address, COIN, { nonce: 17n }),
      400,
      'NONCE_TOO_HIGH',
      'nonce',
    ],
    [
      'an amount of 0',
      () => pay(profile, dave, bob.address, 0n, { nonce: next() }),
      400,
      'INVALID_TRANSACTION',
      'amount',
    ],
  ] as const)('%s', async (_name, make, status, code, field) => {
    const before = snapshot();
    const body = expectError(await submit(make()), status, code);
    expect(body.field).toBe(field);
    expect(snapshot()).toEqual(before);
  });
});

describe('hostile input on every route: 4xx in the one error shape, nothing changed', () => {
  const valid = () => pay(profile, dave, bob.address, COIN, { nonce: 0n });
  const tweak = (change: (p: Record<string, unknown>) => void): string => {
    const p = JSON.parse(writeJson(valid()));
    change(p);
    return JSON.stringify(p);
  };
  const typo = `${alice.address.slice(0, -1)}${alice.address.endsWith('q') ? 'p' : 'q'}`;
  const otherNetwork = testWallet(1, 'xyz').address;

  const bodies: [string, string | Buffer, number, string][] = [
    ['an empty body', '', 400, 'INVALID_BODY'],
    ['a blank body', ' \n ', 400, 'INVALID_BODY'],
    ['malformed JSON', '{"chain": ', 400, 'INVALID_JSON'],
    ['trailing data', `${writeJson(valid())} x`, 400, 'INVALID_JSON'],
    ['invalid UTF-8', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 400, 'INVALID_JSON'],
    ['NaN', '{"amount": NaN}', 400, 'INVALID_JSON'],
    ['a duplicate key', writeJson(valid()).replace('{', '{"fee":"5000",'), 400, 'DUPLICATE_KEY'],
    ['deep nesting', `${'['.repeat(10_000)}${']'.repeat(10_000)}`, 400, 'JSON_TOO_DEEP'],
    ['null', 'null', 400, 'INVALID_BODY'],
    ['a list', `[${writeJson(valid())}]`, 400, 'INVALID_BODY'],
    ['a string', '"payment"', 400, 'INVALID_BODY'],
    ['a number', '5', 400, 'INVALID_BODY'],
    ['an empty object', '{}', 400, 'INVALID_TRANSACTION'],
    ['the tutorial body', '{"sender": "a", "recipient": "b", "amount": 5}', 400, 'INVALID_TRANSACTION'],
    ['an extra field', tweak((p) => (p.memo = 'hi')), 400, 'INVALID_TRANSACTION'],
    ['a missing sig', tweak((p) => delete p.sig), 400, 'INVALID_TRANSACTION'],
    ['an amount as a number', tweak((p) => (p.amount = 5)), 400, 'INVALID_TRANSACTION'],
    ['an amount with a leading zero', tweak((p) => (p.amount = '0100000000')), 400, 'INVALID_TRANSACTION'],
    ['a negative amount', tweak((p) => (p.amount = '-1')), 400, 'INVALID_TRANSACTION'],
    ['an amount over 2^63 - 1', tweak((p) => (p.amount = '9223372036854775808')), 400, 'INVALID_TRANSACTION'],
    ['a huge amount', tweak((p) => (p.amount = '9'.repeat(5000))), 400, 'INVALID_TRANSACTION'],
    ['a fee as null', tweak((p) => (p.fee = null)), 400, 'INVALID_TRANSACTION'],
    ['a nonce as a boolean', tweak((p) => (p.nonce = true)), 400, 'INVALID_TRANSACTION'],
    ['an upper case chain', tweak((p) => (p.chain = (p.chain as string).toUpperCase())), 400, 'INVALID_TRANSACTION'],
    ['a short public key', tweak((p) => (p.from = (p.from as string).slice(2))), 400, 'INVALID_TRANSACTION'],
    ['a list as sig', tweak((p) => (p.sig = [p.sig])), 400, 'INVALID_TRANSACTION'],
    ['a recipient with a typo', tweak((p) => (p.to = typo)), 400, 'INVALID_ADDRESS'],
    ['a recipient of another network', tweak((p) => (p.to = otherNetwork)), 400, 'INVALID_ADDRESS'],
    ['an upper case recipient', tweak((p) => (p.to = (p.to as string).toUpperCase())), 400, 'INVALID_TRANSACTION'],
    ['a reward', `{"coinbase": 2, "to": "${alice.address}", "amount": "1"}`, 400, 'INVALID_TRANSACTION'],
    ['a body over 1 MiB', tweak((p) => (p.pad = 'x'.repeat(1024 * 1024))), 413, 'BODY_TOO_LARGE'],
  ];
  it.each(bodies)('POST /transactions with %s', async (_name, payload, status, code) => {
    const before = snapshot();
    expectError(await submit(payload), status, code);
    expect(snapshot()).toEqual(before);
  });

  const id = 'ab'.repeat(32);
  const gets: [string, string, number, string][] = [
    ['not an address', '/accounts/hello', 400, 'INVALID_ADDRESS'],
    ['a checksum typo', `/accounts/${typo}`, 400, 'INVALID_ADDRESS'],
    ['an upper case address', `/accounts/${alice.address.toUpperCase()}`, 400, 'INVALID_ADDRESS'],
    [
      'a mixed case address',
      `/accounts/${alice.address.slice(0, 6)}${alice.address.slice(6).toUpperCase()}`,
      400,
      'INVALID_ADDRESS',
    ],
    ["another network's address", `/accounts/${otherNetwork}`, 400, 'INVALID_ADDRESS'],
    ['a long address', `/accounts/bft1${'q'.repeat(900)}`, 400, 'INVALID_ADDRESS'],
    ['an encoded slash', `/accounts/${alice.address}%2Fx`, 400, 'INVALID_ADDRESS'],
    ['a history of a bad address', '/accounts/hello/transactions', 400, 'INVALID_ADDRESS'],
    ['a history of a typo', `/accounts/${typo}/transactions`, 400, 'INVALID_ADDRESS'],
    ['a limit of 0', `/accounts/${alice.address}/transactions?limit=0`, 400, 'BAD_REQUEST'],
    ['a limit of 501', `/accounts/${alice.address}/transactions?limit=501`, 400, 'BAD_REQUEST'],
    ['a huge limit', `/accounts/${alice.address}/transactions?limit=${'9'.repeat(400)}`, 400, 'BAD_REQUEST'],
    ['a negative limit', `/accounts/${alice.address}/transactions?limit=-1`, 400, 'BAD_REQUEST'],
    ['a fractional limit', `/accounts/${alice.address}/transactions?limit=1.5`, 400, 'BAD_REQUEST'],
    ['a word as limit', `/accounts/${alice.address}/transactions?limit=ten`, 400, 'BAD_REQUEST'],
    ['an empty limit', `/accounts/${alice.address}/transactions?limit=`, 400, 'BAD_REQUEST'],
    ['two limits', `/accounts/${alice.address}/transactions?limit=1&limit=2`, 400, 'BAD_REQUEST'],
    ['a non-hex id', `/transactions/${'zz'.repeat(32)}`, 400, 'BAD_REQUEST'],
    ['an upper case id', `/transactions/${id.toUpperCase()}`, 400, 'BAD_REQUEST'],
    ['a short id', `/transactions/${id.slice(1)}`, 400, 'BAD_REQUEST'],
    ['a long id', `/transactions/${id}00`, 400, 'BAD_REQUEST'],
    ['a word as id', '/transactions/hello', 400, 'BAD_REQUEST'],
    ['an unknown id', `/transactions/${id}`, 404, 'NOT_FOUND'],
    ['from 0', '/headers?from=0', 400, 'BAD_REQUEST'],
    ['a negative from', '/headers?from=-5', 400, 'BAD_REQUEST'],
    ['a huge from', `/headers?from=${'9'.repeat(30)}`, 400, 'BAD_REQUEST'],
    ['from 1e400', '/headers?from=1e400', 400, 'BAD_REQUEST'],
    ['a 400-digit from', `/headers?from=${'9'.repeat(400)}`, 400, 'BAD_REQUEST'],
    ['from 2^53', '/headers?from=9007199254740992', 400, 'BAD_REQUEST'],
    ['a 400-digit headers limit', `/headers?limit=${'9'.repeat(400)}`, 400, 'BAD_REQUEST'],
    ['a limit of 1e400', `/accounts/${alice.address}/transactions?limit=1e400`, 400, 'BAD_REQUEST'],
    ['a word as from', '/headers?from=one', 400, 'BAD_REQUEST'],
    ['a limit of 2001', '/headers?limit=2001', 400, 'BAD_REQUEST'],
    ['a headers limit of 0', '/headers?limit=0', 400, 'BAD_REQUEST'],
    ['a huge headers limit', `/headers?limit=${'9'.repeat(30)}`, 400, 'BAD_REQUEST'],
    ['bad percent-encoding', '/accounts/%E0%A4%A', 400, 'BAD_REQUEST'],
  ];
  it.each(gets)('GET with %s', async (_name, url, status, code) => {
    const before = snapshot();
    const body = expectError(await get(url), status, code);
    if (code === 'INVALID_ADDRESS') expect(body.field).toBe('address');
    expect(snapshot()).toEqual(before);
  });

  it.each([
    ['GET', '/transactions', 'POST'],
    ['GET', '/transactions/new', 'POST'],
    ['PUT', '/transactions', 'POST'],
    ['POST', `/transactions/${id}`, 'GET, HEAD'],
    ['DELETE', `/accounts/${alice.address}`, 'GET, HEAD'],
    ['POST', '/headers', 'GET, HEAD'],
    ['POST', '/genesis', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow', async (method, url, allow) => {
    const res = await app.inject({ method: method as 'GET', url, payload: method === 'GET' ? undefined : '{}' });
    expectError(res, 405, 'METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe(allow);
  });
});

describe('POST /transactions/new on a ledger node', () => {
  it.each([
    ['the tutorial body', '{"sender": "a", "recipient": "b", "amount": 5}'],
    ['a signed payment', writeJson(pay(profile, dave, bob.address, COIN))],
    ['an empty object', '{}'],
  ])('refuses %s with SIGNED_TRANSACTIONS_ONLY, saying how to send one', async (_name, payload) => {
    const before = snapshot();
    const body = expectError(await post('/transactions/new', payload), 400, 'SIGNED_TRANSACTIONS_ONLY');
    expect(body.message).toContain('blockforge wallet send --to ADDRESS --amount COINS');
    expect(body.message).toContain('POST /transactions');
    expect(snapshot()).toEqual(before);
  });
});

describe('GET /headers', () => {
  it('serves every header from the genesis by default, with the tip height', async () => {
    const body = await json('/headers');
    expect(body.height).toBe(node.chain.length);
    expect(body.headers).toEqual(node.chain.map((b) => JSON.parse(writeJson(b.json.header as JsonObject))));
    // Linked: each names its parent's hash.
    for (let k = 1; k < body.headers.length; k++) expect(body.headers[k].parent).toBe(node.chain[k - 1]?.hash);
  });

  it('pages: from and limit, an empty list past the tip', async () => {
    const height = node.chain.length;
    expect(height).toBeGreaterThanOrEqual(3);
    const pages = [];
    for (let from = 1; from <= height; from += 2) {
      const page = await json(`/headers?from=${from}&limit=2`);
      expect(page.height).toBe(height);
      expect(page.headers.length).toBe(Math.min(2, height - from + 1));
      pages.push(...page.headers);
    }
    expect(pages).toEqual((await json('/headers')).headers);
    expect(await json(`/headers?from=${height + 1}`)).toEqual({ headers: [], height });
    expect(await json(`/headers?from=${Number.MAX_SAFE_INTEGER}&limit=2000`)).toEqual({ headers: [], height });
    expect((await json(`/headers?from=${height}`)).headers[0].height).toBe(height);
  });
});

describe('the other routes on a ledger node', () => {
  it('/peer/status names the network and the genesis (no difficulty)', async () => {
    const body = await json('/peer/status');
    expect(body).toMatchObject({
      profile: 'ledger',
      network: 'testnet',
      genesis: profile.chainId,
      height: node.chain.length,
      tip: node.tip.hash,
    });
    expect(body.difficulty).toBeUndefined();
  });

  it.each([
    '/chain',
    '/mining',
    '/transactions/pending',
    '/blocks/1',
    '/blocks/2',
    '/blocks/1/hash',
    '/blocks/2/hash',
    '/blocks?from=1&limit=2',
    '/nodes',
    `/addresses?address=${alice.address}`,
  ])('GET %s answers 200', async (url) => {
    const res = await get(url);
    expect(res.statusCode, res.body).toBe(200);
    expect(() => JSON.parse(res.body)).not.toThrow();
  });

  it('/blocks/:index/hash has no tutorial proof-of-work view', async () => {
    const body = await json('/blocks/2/hash');
    expect(body).toMatchObject({ index: 2, hash: node.chain[1]?.hash, pow: null });
  });

  it('documents the ledger routes in OpenAPI, every 4xx in the error shape', async () => {
    const doc = JSON.parse((await get('/openapi.json')).body) as {
      paths: Record<
        string,
        Record<
          string,
          {
            tags?: string[];
            responses: Record<
              string,
              { description?: string; content?: Record<string, { schema: { properties?: object } }> }
            >;
          }
        >
      >;
    };
    const routes: [string, string][] = [
      ['/transactions', 'post'],
      ['/transactions/{id}', 'get'],
      ['/accounts/{address}', 'get'],
      ['/accounts/{address}/transactions', 'get'],
      ['/headers', 'get'],
      ['/genesis', 'get'],
    ];
    for (const [path, method] of routes) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op?.tags).toEqual(['ledger']);
      for (const [status, response] of Object.entries(op?.responses ?? {})) {
        if (!/^4\d\d$/.test(status)) continue;
        expect(response.description, `${path} ${status}`).toBeTruthy();
        expect(Object.keys(response.content?.['application/json']?.schema.properties ?? {})).toEqual([
          'statusCode',
          'code',
          'error',
          'message',
          'field',
        ]);
      }
    }
    const submitDoc = doc.paths['/transactions']?.post as unknown as {
      requestBody: { content: Record<string, { schema: { required: string[] }; example: unknown }> };
      responses: Record<string, unknown>;
    };
    expect(submitDoc.requestBody.content['application/json']?.schema.required).toEqual([
      'chain',
      'from',
      'to',
      'amount',
      'fee',
      'nonce',
      'sig',
    ]);
    expect(submitDoc.requestBody.content['application/json']?.example).toBeDefined();
    expect(Object.keys(submitDoc.responses)).toEqual(expect.arrayContaining(['202', '400', '409', '413']));
  });
});

describe('the transaction index after a reorg', () => {
  it('follows the chain that won: dropped blocks are gone, the adopted ones found', async () => {
    // Prime the index on the current chain.
    const p0 = pay(profile, alice, bob.address, 5n * COIN, { nonce: 0n });
    expect((await json(`/transactions/${idOf(p0)}`)).height).toBe(2);

    // Another branch from the genesis, one block longer, where alice's nonce 0 pays carol instead.
    const other = pay(profile, alice, carol.address, 7n * COIN, { nonce: 0n });
    const branch = new LedgerChain(profile, [node.chain[0] as Block]);
    branch.mine([other], carol.address);
    while (branch.blocks.length <= node.chain.length) branch.mine([], carol.address);
    const blocks = branch.blocks.slice(1);
    expect(blocks.length).toBe(node.chain.length);
    const validated = validateBranch(
      profile,
      node.viewAt(1),
      blocks.map((b) => parseJson(writeJson(b.json))),
    );
    const reorg = node.adoptBranch(1, validated);
    expect(reorg).not.toBeNull();
    expect(node.chain[1]?.hash).toBe(blocks[0]?.hash);

    const found = await json(`/transactions/${idOf(other)}`);
    expect(found).toMatchObject({ status: 'confirmed', height: 2, block_hash: blocks[0]?.hash, index: 1 });
    expect(found.confirmations).toBe(node.chain.length - 1);
    await expectProofVerifies(idOf(other), found);
    // p0 spent alice's nonce 0 on the dropped branch: gone for good (not confirmed, not pending).
    expectError(await get(`/transactions/${idOf(p0)}`), 404, 'NOT_FOUND');
    expect(await json(`/accounts/${alice.address}`)).toMatchObject({
      balance: (ALICE_START - 7n * COIN - 1000n).toString(),
      nonce: '1',
    });
    const history = await json(`/accounts/${carol.address}/transactions`);
    expect(history.transactions.map((t: { id: string }) => t.id)).toContain(idOf(other));
  });
});
