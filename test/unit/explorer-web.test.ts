/**
 * The explorer's browser code that has no DOM, run here: its SHA-256 (the stand-in for
 * node:crypto in the bundle), the request bodies its forms send, how it reads `/nodes`, and the
 * tamper lab, which must name the same broken rule as the node.
 */

import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson, hashJson } from '../../src/core/canonical.js';
import { isJsonObject, type JsonObject, parseJson, writeJson } from '../../src/core/json.js';
import { createTutorialProfile } from '../../src/core/profiles.js';
import { peerList, transactionBody } from '../../web/src/forms.js';
import { createHash as shimCreateHash, hash as shimHash } from '../../web/src/node-crypto-shim.js';
import { sha256HexSync } from '../../web/src/sha256.js';
import { normalizePeers } from '../../web/src/store.js';
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
