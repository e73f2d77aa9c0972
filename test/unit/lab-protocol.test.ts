/**
 * `blockforge lab protocol` (src/lab/protocol-attacks.ts): each attack on the protocol tried for real
 * against the rules and a real node, and the defence holding with the exact code the spec
 * (docs/ledger-protocol.md) gives. Figures are checked against values computed here independently
 * (work from targets, ASERT's 2^(120/100), the tutorial's known proof sequence, Bitcoin's tree by hand).
 */

import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import { workOf } from '../../src/core/ledger/asert.js';
import { targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { PROTOCOL_BLOCK_HASHES } from '../../src/lab/lab-ledger.js';
import {
  bitcoinMerkleRoot,
  PROTOCOL_ATTACKS,
  runProtocolAttack,
  runProtocolAttacks,
} from '../../src/lab/protocol-attacks.js';

/** A block's work at the lab network's initial target, and at the easiest target it allows (16x). */
const BLOCK_WORK = Number(workOf(targetForExpectedHashes(PROTOCOL_BLOCK_HASHES)));
const CHEAPEST_WORK = Number(workOf(targetForExpectedHashes(PROTOCOL_BLOCK_HASHES) * 16n));

/** The `seed` proof sequence from genesis proof 100 at difficulty 4 (the tutorial's, see seed-protocol.md). */
const SEED_PROOFS = '35293, 35089, 119678, 146502, 43538, 85724';

describe('protocol attacks', () => {
  it('lists the attacks in the order the lab runs them', () => {
    expect(PROTOCOL_ATTACKS).toEqual([
      'replay',
      'replay-other-genesis',
      'forged-signature',
      'timestamp',
      'low-work-chain',
      'merkle-mutation',
      'header-flood',
      'seed-precompute',
    ]);
  });

  it('replay: a mined payment sent again is refused by the policy and, inside a block, by L10', async () => {
    const attack = await runProtocolAttack('replay');
    expect(attack).toMatchObject({ name: 'replay', code: ErrorCode.NonceMismatch, rule: 'L10 nonce', held: true });
    expect(attack.figures).toEqual({
      amount: 2_500_000_000,
      confirmedInBlock: 2,
      paymentNonce: 0,
      senderNextNonce: 1,
      whilePending: ErrorCode.AlreadyPending,
      policyCode: ErrorCode.NonceTooLow,
      blockCode: ErrorCode.NonceMismatch,
      // bob was paid once, and only once.
      recipientBefore: 2_500_000_000,
      recipientAfter: 2_500_000_000,
      height: 2,
    });
  });

  it('replay-other-genesis: a payment signed for one chain id is refused on another, as sent and edited', async () => {
    const attack = await runProtocolAttack('replay-other-genesis');
    expect(attack).toMatchObject({ code: ErrorCode.SignatureInvalid, rule: 'L9 signature', held: true });
    const f = attack.figures;
    expect(f.homeChain).not.toBe(f.otherChain);
    expect(f).toMatchObject({
      onHomeNetwork: 'accepted',
      policyCode: ErrorCode.WrongChain,
      blockCode: ErrorCode.SignatureInvalid,
      editedPolicyCode: ErrorCode.BadSignature,
      editedBlockCode: ErrorCode.SignatureInvalid,
      recipientOnOther: 0,
      otherHeight: 1,
    });
  });

  it('forged-signature: refused from a client and inside a block; the genuine payment still goes through', async () => {
    const attack = await runProtocolAttack('forged-signature');
    expect(attack).toMatchObject({ code: ErrorCode.SignatureInvalid, rule: 'L9 signature', held: true });
    expect(attack.figures).toEqual({
      policyCode: ErrorCode.BadSignature,
      blockCode: ErrorCode.SignatureInvalid,
      editedPolicyCode: ErrorCode.BadSignature,
      editedBlockCode: ErrorCode.SignatureInvalid,
      smallOrderPolicyCode: ErrorCode.BadSignature,
      genuinePayment: 'accepted',
      malloryBalance: 0,
      aliceBalance: 100_000_000_000,
      height: 1,
    });
  });

  it('timestamp: 120 s ahead eases the next target by 2^(120/100) at most; a day ahead is refused', async () => {
    const attack = await runProtocolAttack('timestamp');
    expect(attack).toMatchObject({ code: ErrorCode.TimeTooFarAhead, held: true });
    const f = attack.figures;
    // aserti3-2d's cubic is within 0.013% of 2^x.
    expect(Math.abs((f.withinRulesEasier as number) / 2 ** 1.2 - 1)).toBeLessThan(0.00013);
    expect(f.withinRulesEasier).toBeGreaterThan(2.29);
    // What the attacker wanted: the easiest target there is, 16 times the initial one.
    expect(f.wantedEasier).toBe(16);
    expect(f.easiestAllowed).toBe(16);
    expect(f).toMatchObject({
      dayAheadCode: ErrorCode.TimeTooFarAhead,
      justOverCode: ErrorCode.TimeTooFarAhead,
      atMedianCode: ErrorCode.TimeTooEarly,
      atLimit: 'appended',
    });
    // The node itself, with the block at the limit on its tip, gives the eased target, no more.
    expect(f.nodeNextEasier).toBe(f.withinRulesEasier);
  });

  it('low-work-chain: the node keeps the short chain with more work over a longer cheap one', async () => {
    const attack = await runProtocolAttack('low-work-chain');
    expect(attack).toMatchObject({ code: null, held: true });
    const f = attack.figures;
    // Eight blocks of real work (the genesis counts) against 49 blocks, 46 of them 16 times cheaper.
    expect(f.shortLength).toBe(8);
    expect(f.shortWork).toBe(8 * BLOCK_WORK);
    expect(f.longLength).toBe(49);
    expect(f.longBlockWork).toBe(CHEAPEST_WORK);
    expect(f.longWork).toBe(3 * BLOCK_WORK + 46 * CHEAPEST_WORK);
    expect(f.longWork as number).toBeLessThan(f.shortWork as number);
    expect(f.longestChainRuleKeeps).toBe('long');
    expect(f.nodeTip).toBe(f.shortTip);
    expect(f.nodeTip).not.toBe(f.longTip);
    expect(f).toMatchObject({
      pushedBlock: 'stale',
      easierTargetCode: ErrorCode.TargetMismatch,
      easiestTargetCode: ErrorCode.TargetMismatch,
    });
  });

  it('merkle-mutation: Bitcoin tree gives one root, RFC 6962 two; the copy is refused, the real block taken', async () => {
    const attack = await runProtocolAttack('merkle-mutation');
    expect(attack).toMatchObject({ code: ErrorCode.MerkleMismatch, rule: 'L7 merkle', held: true });
    const f = attack.figures;
    expect(f.transactions).toBe(3);
    expect(f.mutatedTransactions).toBe(4);
    expect(f.bitcoinRoot).toBe(f.bitcoinRootDuplicated);
    expect(f.ledgerRoot).not.toBe(f.ledgerRootDuplicated);
    expect(f.bitcoinRoot).not.toBe(f.ledgerRoot);
    expect(f).toMatchObject({
      mutatedCode: ErrorCode.MerkleMismatch,
      reminedCode: ErrorCode.NonceMismatch,
      genuineAfter: 'appended',
    });
  });

  it("computes Bitcoin's merkle root as Bitcoin pairs nodes (plain SHA-256)", () => {
    const sha = (...parts: Uint8Array[]): Buffer => hash('sha256', Buffer.concat(parts), 'buffer');
    const [a, b, c] = [1, 2, 3].map((n) => new Uint8Array(32).fill(n)) as [Uint8Array, Uint8Array, Uint8Array];
    const expected = sha(sha(a, b), sha(c, c));
    expect(Buffer.from(bitcoinMerkleRoot([a, b, c]))).toEqual(expected);
    expect(Buffer.from(bitcoinMerkleRoot([a, b, c, c]))).toEqual(expected);
    expect(Buffer.from(bitcoinMerkleRoot([a, b]))).toEqual(sha(a, b));
    expect(Buffer.from(bitcoinMerkleRoot([a]))).toEqual(Buffer.from(a));
  });

  it('header-flood: no-work headers and cheap ones behind a lie are refused before any body; both peers banned', async () => {
    const attack = await runProtocolAttack('header-flood');
    expect(attack).toMatchObject({ code: ErrorCode.ProofOfWork, held: true });
    const f = attack.figures;
    expect(f).toMatchObject({
      headersSent: 2_000,
      floodCode: ErrorCode.ProofOfWork,
      floodBanned: 'yes',
      requestsAfterBan: 0,
      cheapHeadersSent: 48,
      cheapCode: ErrorCode.PeerBadResponse,
      cheapBanned: 'yes',
      bodiesFetched: 0,
      heightBefore: 8,
      heightAfter: 8,
    });
    expect(f.cheapHeadersWork).toBe(2 * BLOCK_WORK + 46 * CHEAPEST_WORK);
    expect(f.nodeWork).toBe(8 * BLOCK_WORK);
  });

  it('seed-precompute: the proofs come from the genesis proof alone and fit any seed chain, not master or ledger', async () => {
    const attack = await runProtocolAttack('seed-precompute', { proofs: 20 });
    // The attack works on seed: the report says the profile has no defence.
    expect(attack).toMatchObject({ code: null, held: false });
    const f = attack.figures;
    expect(f.firstProofs).toBe(SEED_PROOFS);
    expect(f).toMatchObject({
      proofs: 20,
      difficulty: 4,
      chainBlocks: 21,
      seedChainA: 'valid',
      seedChainB: 'valid',
      sameTip: 'no',
      masterCode: ErrorCode.ProofOfWork,
      masterBlock: 2,
      ledgerSwappedCode: ErrorCode.MerkleMismatch,
      ledgerRemerkledCode: ErrorCode.ProofOfWork,
    });
    expect(['wasm', 'ts']).toContain(f.kernel);
    // About 16^4 hashes a proof.
    expect((f.hashes as number) / 20).toBeGreaterThan(16 ** 4 / 4);
    expect((f.hashes as number) / 20).toBeLessThan(16 ** 4 * 4);
    expect(f.proofsPerSecond).toBeGreaterThan(0);
  });

  it('seed-precompute: every kernel finds the same proofs', async () => {
    const attack = await runProtocolAttack('seed-precompute', { proofs: 6, kernel: 'crypto' });
    expect(attack.figures).toMatchObject({ kernel: 'crypto', firstProofs: SEED_PROOFS });
  });

  it('runs attacks by name, in the order given, and refuses unknown names and options before running any', async () => {
    const report = await runProtocolAttacks(['merkle-mutation', 'replay']);
    expect(report.kind).toBe('protocol');
    expect(report.attacks.map((a) => a.name)).toEqual(['merkle-mutation', 'replay']);
    await expect(runProtocolAttacks(['replay', 'nonsense'])).rejects.toMatchObject({ code: ErrorCode.InvalidOption });
    await expect(runProtocolAttack('seed-precompute', { proofs: 0 })).rejects.toMatchObject({
      code: ErrorCode.InvalidOption,
    });
    await expect(runProtocolAttack('seed-precompute', { difficulty: 9 })).rejects.toMatchObject({
      code: ErrorCode.InvalidOption,
    });
  });
});
