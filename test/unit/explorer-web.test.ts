/**
 * The explorer's browser code that has no DOM, run here: its SHA-256 (the stand-in for
 * node:crypto in the bundle), the request bodies its forms send and the transaction form's own
 * check (the node's words for every field at once), how it reads `/nodes` and which status a peer
 * shows, the banner of a chain with another genesis, and the tamper lab, which must name the same
 * broken rule as the node.
 */

import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, hashJson } from '../../src/core/canonical.js';
import { isJsonObject, type JsonObject, parseJson, writeJson } from '../../src/core/json.js';
import { createProfile, createTutorialProfile } from '../../src/core/profiles.js';
import { peerList, transactionBody } from '../../web/src/forms.js';
import { createHash as shimCreateHash, hash as shimHash } from '../../web/src/node-crypto-shim.js';
import { mergeReports, peerDisplayStatus } from '../../web/src/peer-status.js';
import { newlyPending, reorgNotice, reorgSentences } from '../../web/src/reorg.js';
import { sha256HexSync } from '../../web/src/sha256.js';
import { normalizePeers } from '../../web/src/store.js';
import { TRANSACTION_FIELDS, transactionFieldErrors } from '../../web/src/tx-check.js';
import { CopyChecker, leadingZeros, powMessage, sha256 } from '../../web/src/verify.js';
import { cleanupAll } from '../support/harness.js';
import { inProcessNode } from '../support/in-process.js';

afterAll(cleanupAll);

const nodeSha = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe("the browser's SHA-256", () => {
  it('equals node:crypto on every length around the block boundaries and on random text', () => {
    for (let n = 0; n <= 200; n++) {
      const text = 'a'.repeat(n);
      expect(sha256HexSync(text), `length ${n}`).toBe(nodeSha(text));
    }
    for (let k = 0; k < 50; k++) {
      const text = randomBytes(1 + ((k * 37) % 900)).toString('latin1');
      expect(sha256HexSync(text)).toBe(nodeSha(text));
    }
    const unicode = 'é€😀\u0000\uffff "quoted" \\';
    expect(sha256HexSync(unicode)).toBe(nodeSha(unicode));
  });

  it('stands in for node:crypto with the calls the core makes', () => {
    expect(shimCreateHash('sha256').update('3529335089', 'utf8').digest('hex')).toBe(nodeSha('3529335089'));
    expect(shimHash('sha256', 'abc', 'hex')).toBe(nodeSha('abc'));
    expect(() => shimHash('md5', 'abc')).toThrow(/only sha256/);
  });

  it('uses Web Crypto where there is one', async () => {
    expect(await sha256('abc')).toEqual({ hex: nodeSha('abc'), via: 'Web Crypto' });
    expect(leadingZeros('000a0')).toBe(3);
  });
});

describe('form bodies', () => {
  it('sends the amount exactly as typed, and leaves out empty fields', () => {
    expect(transactionBody('alice', 'bob', '5.0')).toBe('{"sender": "alice", "recipient": "bob", "amount": 5.0}');
    expect(transactionBody('alice', 'bob', ' 1e2 ')).toBe('{"sender": "alice", "recipient": "bob", "amount": 1e2}');
    expect(transactionBody('alice', 'bob', 'abc')).toBe('{"sender": "alice", "recipient": "bob", "amount": "abc"}');
    expect(transactionBody('a"b', '', '')).toBe('{"sender": "a\\"b"}');
    expect(parseJson(transactionBody('x', 'y', '-0.5'))).toBeTruthy();
    expect(peerList(' http://a:1\nb:2, c:3 \n')).toEqual(['http://a:1', 'b:2', 'c:3']);
  });

  it('reads /nodes with or without per-peer health', () => {
    expect(normalizePeers({ nodes: ['a:1', 'b:2'] })).toEqual([{ address: 'a:1' }, { address: 'b:2' }]);
    expect(
      normalizePeers({
        nodes: ['a:1'],
        peers: [{ address: 'a:1', status: 'ok', lastSeen: 1.5, failures: 0, height: 3 }, { nope: 1 }, 'b:2'],
      }),
    ).toEqual([{ address: 'a:1', status: 'ok', lastSeen: 1.5, failures: 0, height: 3 }, { address: 'b:2' }]);
  });
});

describe("the transaction form's own check", () => {
  const VALID = { sender: 'alice', recipient: 'bob', amount: '5' } as const;
  const CASES: [string, string, string][] = [
    ['alice', 'bob', '5'],
    ['alice', 'bob', '5.0'],
    ['', '', ''],
    ['0', '', '-3'],
    ['0', 'bob', '3'],
    ['alice', 'bob', 'abc'],
    ['alice', 'x'.repeat(1001), '0'],
    ['alice', 'bob', '1e400'],
    ['', 'bob', 'true'],
    ['é😀', ' ', '0.0001'],
  ];

  it("names every field's problem at once, each in the words the node answers when that field alone is wrong", async () => {
    const { app, close } = await inProcessNode({ profileName: 'seed', difficulty: 2 });
    const post = async (body: string) => {
      const res = await app.inject({ method: 'POST', url: '/transactions/new', payload: body });
      return { status: res.statusCode, body: JSON.parse(res.body) };
    };
    try {
      const profile = createProfile('seed', { difficulty: 2 });
      for (const typed of CASES) {
        const errors = transactionFieldErrors(profile, ...typed);
        for (const [k, field] of TRANSACTION_FIELDS.entries()) {
          // The body the form would send with only this field as typed.
          const alone = TRANSACTION_FIELDS.map((f, j) => (j === k ? typed[k] : VALID[f])) as [string, string, string];
          const answer = await post(transactionBody(...alone));
          if (errors[field] === undefined) {
            expect(answer.status, `${field} of ${JSON.stringify(typed)}`).toBe(201);
          } else {
            expect(answer.status, `${field} of ${JSON.stringify(typed)}`).toBe(400);
            expect(answer.body.field).toBe(field);
            expect(errors[field]).toBe(answer.body.message);
          }
        }
        // The node, sent the whole form, names one of them, in the same words where it is alone at fault.
        const whole = await post(transactionBody(...typed));
        if (whole.status === 201) expect(errors).toEqual({});
        else expect(Object.keys(errors)).toContain(whole.body.field);
      }
    } finally {
      await close();
    }
  });

  it('reports all three fields of a form wrong everywhere, and none of a good one', () => {
    const profile = createProfile('master', { difficulty: 2 });
    expect(transactionFieldErrors(profile, '0', '', '-3')).toEqual({
      sender: 'sender "0" is reserved for mining rewards',
      recipient: 'Missing values: recipient',
      amount: 'amount must be a finite number greater than 0 (got -3)',
    });
    expect(transactionFieldErrors(profile, '', '', '')).toEqual({
      sender: 'Missing values: sender',
      recipient: 'Missing values: recipient',
      amount: 'Missing values: amount',
    });
    expect(transactionFieldErrors(profile, 'alice', 'bob', '2.50')).toEqual({});
  });
});

describe('peer status on the Peers page', () => {
  const peer = { address: 'a:1', status: 'ok', kind: 'blockforge', lastSeen: 10, failures: 0, height: 4 };

  it('shows a peer the last resolve found incompatible as incompatible, not ok', () => {
    const report = { peer: 'a:1', status: 'incompatible', reason: 'runs seed difficulty 4, we run seed difficulty 5' };
    expect(peerDisplayStatus(peer, report)).toEqual({ status: 'incompatible', reason: report.reason });
    expect(peerDisplayStatus({ ...peer, status: 'new' }, report).status).toBe('incompatible');
    // A node whose health says so itself.
    expect(peerDisplayStatus({ ...peer, status: 'incompatible' }).status).toBe('incompatible');
  });

  it('lets health that is about now win: failing and banned', () => {
    const report = { peer: 'a:1', status: 'incompatible', reason: 'other rules' };
    expect(peerDisplayStatus({ ...peer, status: 'failing', lastError: 'PEER_UNREACHABLE: refused' }, report)).toEqual({
      status: 'failing',
      reason: 'PEER_UNREACHABLE: refused',
    });
    expect(peerDisplayStatus({ ...peer, status: 'banned' }, report).status).toBe('banned');
  });

  it('keeps the health otherwise, and says unknown for a node without health', () => {
    expect(peerDisplayStatus(peer, { peer: 'a:1', status: 'not-longer' })).toEqual({ status: 'ok', reason: null });
    expect(peerDisplayStatus(peer)).toEqual({ status: 'ok', reason: null });
    expect(peerDisplayStatus({ address: 'b:2' }).status).toBe('unknown');
  });

  it('keeps the newest report of each peer', () => {
    const merged = mergeReports({ 'a:1': { peer: 'a:1', status: 'incompatible' } }, [
      { peer: 'b:2', status: 'timeout' },
    ]);
    expect(merged).toEqual({
      'a:1': { peer: 'a:1', status: 'incompatible' },
      'b:2': { peer: 'b:2', status: 'timeout' },
    });
    expect(mergeReports(merged, [{ peer: 'a:1', status: 'not-longer' }])['a:1']?.status).toBe('not-longer');
  });
});

describe('the banner of a chain with another genesis block', () => {
  const tx = (text: string) => parseJson(text) as JsonObject;
  const a = tx('{"sender": "alice", "recipient": "carol", "amount": 2.5}');
  const b = tx('{"sender": "dave", "recipient": "erin", "amount": 7}');
  const c = tx('{"sender": "x", "recipient": "y", "amount": 1}');

  it('names the transactions that are pending now and were not before, as a multiset', () => {
    expect(newlyPending([], [a, b])).toEqual([a, b]);
    expect(newlyPending([c], [a, c, b])).toEqual([a, b]);
    // Two equal transactions pending are two: one was there, one came back.
    expect(newlyPending([a], [a, tx('{"sender": "alice", "recipient": "carol", "amount": 2.5}')])).toHaveLength(1);
    // 2.5 and 2.50 are the same float; 5 and 5.0 are different transactions (different hashes).
    expect(
      newlyPending(
        [tx('{"sender": "s", "recipient": "r", "amount": 5}')],
        [tx('{"sender": "s", "recipient": "r", "amount": 5.0}')],
      ),
    ).toHaveLength(1);
    expect(newlyPending([a, b], [b])).toEqual([]);
  });

  it('is raised only when the chains share no block, with our dropped blocks and what came back', () => {
    const event = { height: 6, common: 0, returned: 2, dropped: 1, peer: '127.0.0.1:5001' };
    const notice = reorgNotice(event, 4, [c], [a, b], 100);
    expect(notice).toEqual({
      peer: '127.0.0.1:5001',
      height: 6,
      droppedBlocks: 4,
      returned: 2,
      alreadyIncluded: 1,
      transactions: [a, b],
      time: 100,
    });
    expect(reorgSentences(notice!)).toEqual([
      'This node switched to a chain with another genesis block.',
      'The chain from 127.0.0.1:5001 has 6 blocks and shares none with ours: all 4 blocks we had were dropped, our own genesis block included.',
      '2 transactions of the dropped blocks went back to pending, to be mined again (mining rewards never do):',
      '1 pending transaction left the pending list: the adopted chain already holds it.',
    ]);
    // An ordinary fork (a common block): no banner.
    expect(reorgNotice({ ...event, common: 3 }, 4, [], [a])).toBeNull();
  });

  it('says what it knows when the page had no chain or nothing came back', () => {
    const notice = reorgNotice({ height: 2, common: 0, returned: 0, dropped: 0 }, null, [], []);
    expect(reorgSentences(notice!)).toEqual([
      'This node switched to a chain with another genesis block.',
      'The chain has 2 blocks and shares none with ours: every block we had was dropped, our own genesis block included.',
      'No transaction of the dropped blocks went back to pending (mining rewards never do).',
    ]);
    expect(reorgSentences({ ...notice!, droppedBlocks: 1 })[1]).toContain(
      'the only block we had, our genesis block, was dropped',
    );
  });
});

describe('the tamper lab', () => {
  async function chainOf(profileName: string) {
    const { node, app, close } = await inProcessNode({ profileName, difficulty: 2 });
    await app.inject({
      method: 'POST',
      url: '/transactions/new',
      payload: '{"sender": "a", "recipient": "b", "amount": 5.0}',
    });
    for (let k = 0; k < 3; k++) await node.mine();
    const chain = node.chain.map((b) => parseJson(writeJson(b.json)) as JsonObject);
    return { node, app, close, chain };
  }

  /** Block `n` edited by `edit`, as the text a learner would type. */
  function edited(chain: JsonObject[], n: number, edit: (text: string) => string): string {
    return edit(writeJson(chain[n - 1] as JsonObject));
  }

  for (const profileName of ['seed', 'master']) {
    it(`names the rule an edited block breaks, as the node does (${profileName})`, async () => {
      const { node, app, close, chain } = await chainOf(profileName);
      // The page's checker takes the tutorial profile (its puzzle is shown step by step).
      const rules = createTutorialProfile(profileName, { difficulty: 2 });
      try {
        const checker = new CopyChecker(rules, chain, 2);
        const same = checker.check(writeJson(chain[1] as JsonObject));
        expect(same.verdict).toBeNull();
        expect(same.hash).toBe(node.chain[1]?.hash);
        expect(same.canonical).toBe(canonicalJson(node.chain[1]?.json as JsonObject));
        expect(same.checks.every((c) => c.ok)).toBe(true);

        // Another amount: the block's hash changes, so block 3 no longer points to it.
        const amount = checker.check(edited(chain, 2, (t) => t.replace('"amount":5.0', '"amount":500.0')));
        expect(amount.verdict?.code).toBe('PREVIOUS_HASH_MISMATCH');
        expect(amount.verdict?.message).toMatch(/^block 3/);
        expect(amount.checks.find((c) => c.label.startsWith('block 3 still points here'))?.ok).toBe(false);

        // Another proof: its proof of work fails.
        const proof = String(Number((chain[1] as JsonObject & { proof: { text: string } }).proof.text) + 1);
        const badProof = checker.check(edited(chain, 2, (t) => t.replace(/"proof":\d+/, `"proof":${proof}`)));
        expect(badProof.verdict?.code).toBe('PROOF_OF_WORK');
        expect(badProof.checks.find((c) => c.rule === 'PROOF_OF_WORK')?.ok).toBe(false);

        // Another index, another link, not JSON at all.
        expect(checker.check(edited(chain, 2, (t) => t.replace('"index":2', '"index":7'))).verdict?.code).toBe(
          'INDEX_SEQUENCE',
        );
        expect(
          checker.check(edited(chain, 2, (t) => t.replace(/"previous_hash":"[0-9a-f]{4}/, '"previous_hash":"ffff')))
            .verdict?.code,
        ).toBe('PREVIOUS_HASH_MISMATCH');
        expect(checker.check('{"index": 2,').verdict?.code).toBe('INVALID_JSON');

        // The tip has no successor to break; genesis is checked as a genesis block.
        expect(new CopyChecker(rules, chain, 4).check(writeJson(chain[3] as JsonObject)).verdict).toBeNull();
        expect(new CopyChecker(rules, chain, 1).check(writeJson(chain[0] as JsonObject)).verdict).toBeNull();

        // The message the page shows is the node's own.
        const nodeView = JSON.parse((await app.inject({ method: 'GET', url: '/blocks/3/hash' })).body);
        expect(powMessage(rules, chain[1] as JsonObject, chain[2] as JsonObject)).toBe(nodeView.pow.message);
        expect(hashJson(chain[2] as JsonObject)).toBe(nodeView.hash);
        expect(isJsonObject(chain[2] as JsonObject)).toBe(true);
      } finally {
        await close();
      }
    });
  }
});
