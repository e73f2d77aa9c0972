/**
 * `blockforge lab protocol`: attacks on the protocol rather than on hash power, each tried for real
 * against the rules in `src/core` and a real node (storage, mempool, fork choice, headers-first
 * sync) in a throwaway folder on a virtual clock. Each attack is made concretely (the signed
 * payment replayed, the block forged with a real proof of work, the headers served by a scripted
 * peer), and what stopped it is reported as the error code and the rule the ledger's spec
 * (docs/ledger-protocol.md) names, with what was measured. `seed-precompute` is a measurement of the
 * tutorial profile's weakness: its chain is valid, and the report says so (`held: false`).
 */

import { hash as oneShotHash } from 'node:crypto';
import type { Block, Transaction } from '../core/block.js';
import { BranchValidator, EMPTY_STATE, totalWork, validateBranch } from '../core/chain.js';
import { BlockforgeError, ChainRuleError, ErrorCode } from '../core/errors.js';
import { fromPlain, type JsonNumber, type JsonObject, type JsonValue, writeJson } from '../core/json.js';
import { MAX_TARGET, workOf } from '../core/ledger/asert.js';
import {
  blockJson,
  fromHex,
  type LedgerBlock,
  type LedgerHeader,
  makeHeader,
  merkleOf,
  type Payment,
  paymentJson,
} from '../core/ledger/codec.js';
import { maxTargetOf } from '../core/ledger/genesis.js';
import { parseAddress } from '../core/ledger/keys.js';
import {
  type LedgerProfile,
  MAX_FUTURE_SECONDS,
  medianTimePast,
  nextTarget,
  readAccount,
} from '../core/ledger/ledger-profile.js';
import { merkleRoot } from '../core/ledger/merkle.js';
import { signPayment } from '../core/ledger/transaction.js';
import { MAX_PROOF } from '../core/pow.js';
import type { KernelName, PowKernel } from '../core/pow-kernel.js';
import type { ChainView, HeaderChainView, RuleProfile } from '../core/profile.js';
import { createTutorialProfile } from '../core/profiles.js';
import { toHex } from '../core/sha256.js';
import { DEFAULT_WASM_URL, loadKernel } from '../node/kernels.js';
import type { PeerRequest } from '../node/peer-client.js';
import {
  forgeBlock,
  LabClock,
  type LabLedgerNode,
  type Outcome,
  openLabNode,
  outcomeOf,
  protocolGenesis,
  protocolProfile,
  type ScriptedAnswer,
  ScriptedPeers,
  signedPayment,
  unchecked,
  wire,
  withTransactions,
} from './lab-ledger.js';
import { LAB_GENESIS_TIME, type LabWallet, labWallet } from './lab-world.js';
import type { ProtocolAttack, ProtocolReport } from './report.js';

/** The attacks, in the order the lab runs them. */
export const PROTOCOL_ATTACKS = [
  'replay',
  'replay-other-genesis',
  'forged-signature',
  'timestamp',
  'low-work-chain',
  'merkle-mutation',
  'header-flood',
  'seed-precompute',
] as const;

/** The name of a protocol attack. */
export type ProtocolAttackName = (typeof PROTOCOL_ATTACKS)[number];

/** Options of {@link runProtocolAttack} (only `seed-precompute` takes any). */
export interface ProtocolAttackOptions {
  /** `seed-precompute`: proofs to compute ahead (1-100,000; default 1,000). */
  readonly proofs?: number;
  /** `seed-precompute`: leading hex zeros of the tutorial's proof of work (1-6; default its 4). */
  readonly difficulty?: number;
  /** `seed-precompute`: the proof-of-work kernel (default the WebAssembly one where it is built, else `ts`). */
  readonly kernel?: KernelName;
  /** `seed-precompute`: called after each proof. */
  readonly onProgress?: (done: number, total: number) => void;
}

const COIN = 1_0000_0000n;
const alice = labWallet(41);
const bob = labWallet(42);
const mallory = labWallet(43);
const miner = labWallet(44);

/** Seconds after the genesis a node's clock starts at (the network just launched). */
const LAUNCH = 100;
/** A day, in seconds. */
const DAY = 86_400;

/** Whether `name` is one of {@link PROTOCOL_ATTACKS}. */
export function isProtocolAttack(name: string): name is ProtocolAttackName {
  return (PROTOCOL_ATTACKS as readonly string[]).includes(name);
}

/** `name` as an attack's name; throws INVALID_OPTION for an unknown one. */
function attackName(name: string): ProtocolAttackName {
  if (!isProtocolAttack(name)) {
    throw new BlockforgeError(
      ErrorCode.InvalidOption,
      `unknown protocol attack ${JSON.stringify(name.slice(0, 40))} (choose from: ${PROTOCOL_ATTACKS.join(', ')})`,
    );
  }
  return name;
}

/** Runs one attack by name. Throws INVALID_OPTION for an unknown name or option. */
export async function runProtocolAttack(name: string, options: ProtocolAttackOptions = {}): Promise<ProtocolAttack> {
  switch (attackName(name)) {
    case 'replay':
      return replay();
    case 'replay-other-genesis':
      return replayOtherGenesis();
    case 'forged-signature':
      return forgedSignature();
    case 'timestamp':
      return timestamp();
    case 'low-work-chain':
      return lowWorkChain();
    case 'merkle-mutation':
      return merkleMutation();
    case 'header-flood':
      return headerFlood();
    case 'seed-precompute':
      return seedPrecompute(options);
  }
}

/** Runs the attacks `names` (all of them by default), one after the other, in the order given. */
export async function runProtocolAttacks(
  names: readonly string[] = PROTOCOL_ATTACKS,
  options: ProtocolAttackOptions = {},
): Promise<ProtocolReport> {
  // Every name checked before the first attack runs: a typo must not cost a long run.
  for (const name of names) attackName(name);
  const attacks: ProtocolAttack[] = [];
  for (const name of names) attacks.push(await runProtocolAttack(name, options));
  return { kind: 'protocol', attacks };
}

// ---- helpers ----------------------------------------------------------------------------------

/** Runs `body` with nodes it opens, closing every one of them however it ends. */
async function withNodes<T>(body: (open: (node: LabLedgerNode) => LabLedgerNode) => Promise<T>): Promise<T> {
  const nodes: LabLedgerNode[] = [];
  try {
    return await body((node) => {
      nodes.push(node);
      return node;
    });
  } finally {
    for (const node of nodes.reverse()) await node.close();
  }
}

/** The spendable balance of `wallet` at the node's tip. */
function balanceOf(lab: LabLedgerNode, wallet: LabWallet): bigint {
  return readAccount(lab.node.tipView().state, wallet.address).balance;
}

/** The node's chain up to its tip, as the rules see it. */
function tipView(lab: LabLedgerNode): ChainView {
  return lab.node.viewAt(lab.node.chain.length);
}

/**
 * The node's answer to a block on its tip that mallory mined around `payment`: a real proof of work
 * and every other rule kept, so that the payment is the block's only fault.
 */
function offerInBlock(lab: LabLedgerNode, profile: LedgerProfile, payment: JsonValue, time: number): Promise<Outcome> {
  const block = forgeBlock(profile, tipView(lab), mallory.address, { payments: [unchecked(profile, payment)], time });
  return outcomeOf(() => lab.node.offerBlock(wire(block.json)));
}

/** A header view of a chain view (for the header rules: targets and the median time). */
function headersOf(
  profile: LedgerProfile,
  view: ChainView,
): { view: HeaderChainView; at: (h: number) => LedgerHeader } {
  const at = (h: number): LedgerHeader => profile.headers.headerOf(view.block(h)) as LedgerHeader;
  return { view: { height: view.height, header: at }, at };
}

/** The target ASERT gives the block after the tip of `view`. */
function targetAfter(profile: LedgerProfile, view: ChainView): bigint {
  return nextTarget(profile.genesis, view.height, headersOf(profile, view).at);
}

/** `view` with `block` on top, validated by the core (so a block the rules refuse throws). */
function extended(profile: LedgerProfile, view: ChainView, block: Block): ChainView {
  return new BranchValidator(profile, view).add([wire(block.json)]).view;
}

/** `a / b` as a float with 6 decimals (targets are up to 256 bits: no Number division). */
function ratio(a: bigint, b: bigint): number {
  return Number((a * 1_000_000n) / b) / 1_000_000;
}

/** The first 16 hex digits of a hash (figures are read by people). */
const short = (hash: string): string => hash.slice(0, 16);

/** How a whole chain fares under `profile`: `valid`, or the code and the block that broke a rule. */
function verdict(profile: RuleProfile, chain: readonly JsonValue[]): { code: string | null; block: number } {
  try {
    validateBranch(profile, null, chain);
    return { code: null, block: 0 };
  } catch (err) {
    if (err instanceof ChainRuleError) return { code: err.code, block: err.blockIndex };
    throw err;
  }
}

/** A payment from the key `from` signed with `signer`'s secret key (a forgery unless it is the signer's). */
function paymentSignedBy(
  profile: LedgerProfile,
  from: Uint8Array,
  signer: LabWallet,
  to: string,
  amount: bigint,
): JsonObject {
  const fields = {
    chain: fromHex(profile.chainId),
    from,
    to: parseAddress(profile.genesis.hrp, to),
    amount,
    fee: 1_000n,
    nonce: 0n,
  };
  return paymentJson(fields, signPayment(fields, signer.secretKey), profile.genesis.hrp);
}

// ---- replay -----------------------------------------------------------------------------------

/** A payment that was mined once, sent again: to the node's mempool, and inside a block. */
async function replay(): Promise<ProtocolAttack> {
  const profile = protocolProfile(protocolGenesis([[alice, 1_000n * COIN]]));
  const clock = new LabClock(LAB_GENESIS_TIME + LAUNCH);
  return withNodes(async (open) => {
    const lab = open(openLabNode(profile, clock, miner.address));
    const { node } = lab;
    const amount = 25n * COIN;
    const payment = signedPayment(profile, alice, bob.address, amount);
    const submit = (): Promise<number> => node.submitTransaction(profile.parseTransaction(wire(payment)));
    await submit();
    // The same bytes again while the first copy waits for a block.
    const whilePending = await outcomeOf(submit);
    clock.advance(10);
    const mined = (await node.mine()).block;
    const id = unchecked(profile, payment).id;
    const confirmedIn = mined.transactions.some((tx) => tx.id === id) ? mined.height : 0;
    const received = balanceOf(lab, bob);
    // The recipient (or anyone who saw it) sends the signed payment again, as POST /transactions would.
    const policy = await outcomeOf(submit);
    // Or mines a block holding it: the header is valid and its work real, the replay is the only fault.
    clock.advance(10);
    const inBlock = await offerInBlock(lab, profile, payment, clock.now);
    const after = balanceOf(lab, bob);
    const held =
      policy.code === ErrorCode.NonceTooLow &&
      inBlock.code === ErrorCode.NonceMismatch &&
      confirmedIn > 0 &&
      after === received &&
      node.chain.length === mined.height;
    return {
      name: 'replay',
      title: 'Replay a signed payment on the chain that already mined it',
      attempt: `alice paid bob ${amount} base units (nonce 0, mined in block ${confirmedIn}); the same signed payment was sent to the node again, then put in a block mined for it`,
      code: inBlock.code,
      rule: 'L10 nonce',
      held,
      figures: {
        amount: Number(amount),
        confirmedInBlock: confirmedIn,
        paymentNonce: 0,
        senderNextNonce: Number(readAccount(node.tipView().state, alice.address).nonce),
        whilePending: whilePending.value,
        policyCode: policy.value,
        blockCode: inBlock.value,
        recipientBefore: Number(received),
        recipientAfter: Number(after),
        height: node.chain.length,
      },
    };
  });
}

// ---- replay on another genesis -----------------------------------------------------------------

/** A payment signed for one network, sent to another with the same keys and balances. */
async function replayOtherGenesis(): Promise<ProtocolAttack> {
  const allocations: [LabWallet, bigint][] = [[alice, 1_000n * COIN]];
  const home = protocolProfile(protocolGenesis(allocations));
  // The same allocations, launched a day later: another genesis block, so another chain id.
  const other = protocolProfile(
    protocolGenesis(allocations, { network: 'lab-protocol-b', time: LAB_GENESIS_TIME + DAY }),
  );
  const homeClock = new LabClock(home.genesis.time + LAUNCH);
  const otherClock = new LabClock(other.genesis.time + LAUNCH);
  return withNodes(async (open) => {
    const a = open(openLabNode(home, homeClock, miner.address));
    const b = open(openLabNode(other, otherClock, miner.address));
    const amount = 25n * COIN;
    const payment = signedPayment(home, alice, bob.address, amount);
    const onHome = await outcomeOf(() => a.node.submitTransaction(home.parseTransaction(wire(payment))));
    const policy = await outcomeOf(() => b.node.submitTransaction(other.parseTransaction(wire(payment))));
    otherClock.advance(10);
    const inBlock = await offerInBlock(b, other, payment, otherClock.now);
    // The chain id edited to the other network's: the signature no longer matches the message.
    const edited = { ...payment, chain: other.chainId } as JsonObject;
    const editedPolicy = await outcomeOf(() => b.node.submitTransaction(other.parseTransaction(wire(edited))));
    const editedInBlock = await offerInBlock(b, other, edited, otherClock.now);
    const received = balanceOf(b, bob);
    const held =
      onHome.code === null &&
      policy.code === ErrorCode.WrongChain &&
      inBlock.code === ErrorCode.SignatureInvalid &&
      editedPolicy.code === ErrorCode.BadSignature &&
      editedInBlock.code === ErrorCode.SignatureInvalid &&
      received === 0n &&
      b.node.chain.length === 1;
    return {
      name: 'replay-other-genesis',
      title: 'Replay a signed payment on another network with the same keys and balances',
      attempt: `alice's payment of ${amount} base units to bob, signed for chain ${short(home.chainId)}..., sent to a network with the same allocations but another genesis (chain ${short(other.chainId)}...), as it is and with its chain id edited, to the node and inside blocks`,
      code: inBlock.code,
      rule: 'L9 signature',
      held,
      figures: {
        homeChain: short(home.chainId),
        otherChain: short(other.chainId),
        onHomeNetwork: onHome.value,
        policyCode: policy.value,
        blockCode: inBlock.value,
        editedPolicyCode: editedPolicy.value,
        editedBlockCode: editedInBlock.value,
        recipientOnOther: Number(received),
        otherHeight: b.node.chain.length,
      },
    };
  });
}

// ---- forged signatures -------------------------------------------------------------------------

/** Payments from alice's account that alice never signed. */
async function forgedSignature(): Promise<ProtocolAttack> {
  const profile = protocolProfile(protocolGenesis([[alice, 1_000n * COIN]]));
  const clock = new LabClock(LAB_GENESIS_TIME + LAUNCH);
  return withNodes(async (open) => {
    const lab = open(openLabNode(profile, clock, miner.address));
    const { node } = lab;
    const stolen = 500n * COIN;
    // 1. From alice's public key, signed with mallory's own secret key.
    const signedByMallory = paymentSignedBy(profile, alice.publicKey, mallory, mallory.address, stolen);
    // 2. A payment alice did sign (1,000 units to bob), with its recipient and amount edited.
    const genuine = signedPayment(profile, alice, bob.address, 1_000n);
    const edited = wire({ ...genuine, to: mallory.address, amount: stolen.toString() } as JsonObject);
    // 3. The "signature" that lax verifiers take for any message under a small-order key:
    //    key = the identity point, R = the identity point, S = 0 (refused by strict RFC 8032).
    const identity = `01${'00'.repeat(31)}`;
    const smallOrder = wire({
      ...signedPayment(profile, mallory, mallory.address, 1n),
      from: identity,
      sig: `${identity}${'00'.repeat(32)}`,
    } as JsonObject);
    const submit = (payment: JsonValue) => () => node.submitTransaction(profile.parseTransaction(wire(payment)));
    const policy = await outcomeOf(submit(signedByMallory));
    const editedPolicy = await outcomeOf(submit(edited));
    const smallOrderPolicy = await outcomeOf(submit(smallOrder));
    clock.advance(10);
    const inBlock = await offerInBlock(lab, profile, signedByMallory, clock.now);
    const editedInBlock = await offerInBlock(lab, profile, edited, clock.now);
    // What alice did sign still goes through.
    const genuinePolicy = await outcomeOf(submit(genuine));
    const held =
      policy.code === ErrorCode.BadSignature &&
      editedPolicy.code === ErrorCode.BadSignature &&
      smallOrderPolicy.code === ErrorCode.BadSignature &&
      inBlock.code === ErrorCode.SignatureInvalid &&
      editedInBlock.code === ErrorCode.SignatureInvalid &&
      genuinePolicy.code === null &&
      balanceOf(lab, mallory) === 0n &&
      balanceOf(lab, alice) === 1_000n * COIN;
    return {
      name: 'forged-signature',
      title: "Spend alice's coins without alice's key",
      attempt: `mallory sent ${stolen} base units from alice's account to herself: signed with her own key, by editing a payment alice signed, and with the small-order "signature" lax verifiers accept for any message; to the node and inside blocks`,
      code: inBlock.code,
      rule: 'L9 signature',
      held,
      figures: {
        policyCode: policy.value,
        blockCode: inBlock.value,
        editedPolicyCode: editedPolicy.value,
        editedBlockCode: editedInBlock.value,
        smallOrderPolicyCode: smallOrderPolicy.value,
        genuinePayment: genuinePolicy.value,
        malloryBalance: Number(balanceOf(lab, mallory)),
        aliceBalance: Number(balanceOf(lab, alice)),
        height: node.chain.length,
      },
    };
  });
}

// ---- timestamps against the retarget -------------------------------------------------------------

/** A miner dates its block late, so that ASERT eases the next target; as late as the rules let it. */
async function timestamp(): Promise<ProtocolAttack> {
  const profile = protocolProfile(protocolGenesis([]));
  const spec = profile.genesis;
  const clock = new LabClock(LAB_GENESIS_TIME + LAUNCH);
  return withNodes(async (open) => {
    const lab = open(openLabNode(profile, clock, miner.address));
    const { node } = lab;
    // Six blocks on schedule: the next target is the initial one.
    for (let k = 0; k < 6; k++) {
      clock.advance(spec.blockTime);
      await node.mine();
    }
    clock.advance(spec.blockTime);
    const view = tipView(lab);
    const dated = (time: number): Block => forgeBlock(profile, view, mallory.address, { time });
    const honest = targetAfter(profile, extended(profile, view, dated(clock.now)));
    const late = dated(clock.now + MAX_FUTURE_SECONDS);
    const lateTarget = targetAfter(profile, extended(profile, view, late));
    // What the attacker would like: a block dated a day ahead, the easiest target there is.
    const wanted = dated(clock.now + DAY);
    const wantedTarget = targetAfter(profile, extended(profile, view, wanted));
    const tooFar = await outcomeOf(() => node.offerBlock(wire(wanted.json)));
    const justOver = await outcomeOf(() => node.offerBlock(wire(dated(clock.now + MAX_FUTURE_SECONDS + 1).json)));
    // Dated back to the median time of the last 11 blocks: the other end of the window.
    const { view: headerView, at } = headersOf(profile, view);
    const median = medianTimePast(headerView, at);
    const tooEarly = await outcomeOf(() => node.offerBlock(wire(dated(median).json)));
    // At the limit the block is taken, and the node's next target is as easy as the lie makes it.
    const atLimit = await outcomeOf(() => node.offerBlock(wire(late.json)));
    const nodeTarget = targetAfter(profile, tipView(lab));
    const withinFactor = ratio(lateTarget, honest);
    const bound = 2 ** (MAX_FUTURE_SECONDS / spec.halfLife);
    const held =
      tooFar.code === ErrorCode.TimeTooFarAhead &&
      justOver.code === ErrorCode.TimeTooFarAhead &&
      tooEarly.code === ErrorCode.TimeTooEarly &&
      atLimit.value === 'appended' &&
      nodeTarget === lateTarget &&
      withinFactor <= bound * 1.001;
    return {
      name: 'timestamp',
      title: 'Date a block ahead so that the retarget eases the next one',
      attempt: `on a chain on schedule, a miner dated its block ${MAX_FUTURE_SECONDS} s ahead of the node's clock (the most the node takes), ${MAX_FUTURE_SECONDS + 1} s and a day ahead (what it wanted), and back to the median time of the last 11 blocks`,
      code: tooFar.code,
      rule: 'blocks dated ahead (120 s), L6 time, L4 target',
      held,
      figures: {
        halfLifeSeconds: spec.halfLife,
        aheadLimitSeconds: MAX_FUTURE_SECONDS,
        withinRulesEasier: withinFactor,
        boundEasier: Math.round(bound * 1e6) / 1e6,
        wantedAheadSeconds: DAY,
        wantedEasier: ratio(wantedTarget, honest),
        easiestAllowed: ratio(maxTargetOf(spec), spec.initialTarget),
        dayAheadCode: tooFar.value,
        justOverCode: justOver.value,
        atMedianCode: tooEarly.value,
        atLimit: atLimit.value,
        nodeNextEasier: ratio(nodeTarget, honest),
      },
    };
  });
}

// ---- a long chain of cheap blocks -------------------------------------------------------------------

/** Blocks an honest node mines in the "late network" worlds (about a minute of the devnet). */
const HONEST_BLOCKS = 7;
/** Blocks of the attacker's long, cheap branch. */
const CHEAP_BLOCKS = 48;
/** Seconds between the attacker's blocks: behind schedule, so ASERT eases them to its bound. */
const CHEAP_SPACING = 1_000;

/**
 * A network whose genesis file was written a day before it launched, a node on it with a few honest
 * blocks, and an attacker's branch from the genesis: its blocks dated within the rules (after the
 * median, before the node's clock) but far apart, so the retarget eases each one to its bound, 16
 * times the initial target: cheap blocks, many of them.
 */
async function lateNetwork(
  open: (node: LabLedgerNode) => LabLedgerNode,
  peers?: ScriptedPeers,
): Promise<{ profile: LedgerProfile; lab: LabLedgerNode; clock: LabClock; cheap: LedgerBlock[] }> {
  const profile = protocolProfile(protocolGenesis([]));
  const clock = new LabClock(LAB_GENESIS_TIME + DAY);
  const lab = open(openLabNode(profile, clock, miner.address, peers));
  for (let k = 0; k < HONEST_BLOCKS; k++) {
    clock.advance(profile.genesis.blockTime);
    await lab.node.mine();
  }
  const validator = new BranchValidator(profile, lab.node.viewAt(1));
  const cheap: LedgerBlock[] = [];
  for (let k = 0; k < CHEAP_BLOCKS; k++) {
    const block = forgeBlock(profile, validator.view, mallory.address, {
      time: profile.genesis.time + 1 + k * CHEAP_SPACING,
    });
    validator.add([wire(block.json)]);
    cheap.push(block);
  }
  return { profile, lab, clock, cheap };
}

/** A long chain of cheap blocks against a short chain of real work. */
async function lowWorkChain(): Promise<ProtocolAttack> {
  return withNodes(async (open) => {
    const { profile, lab, cheap } = await lateNetwork(open);
    const { node } = lab;
    const genesisWork = node.workAt(1);
    const heavyTip = node.tip.hash;
    const heavyWork = node.chainWork;
    const lightWork = genesisWork + totalWork(cheap);
    // The whole branch, validated and handed to the node's fork choice (as a sync does).
    const branch = validateBranch(
      profile,
      node.viewAt(1),
      cheap.map((b) => wire(b.json)),
    );
    const reorg = node.adoptBranch(1, branch, 'attacker');
    // Its first block pushed alone: a sibling of our block 2 with less work.
    const pushed = await outcomeOf(() => node.offerBlock(wire((cheap[0] as LedgerBlock).json)));
    // Cheaper still: a target easier than ASERT gives (the bound), and easier than any allowed.
    const spec = profile.genesis;
    const easyAt = (target: bigint) =>
      outcomeOf(() =>
        validateBranch(profile, node.viewAt(1), [
          wire(forgeBlock(profile, node.viewAt(1), mallory.address, { time: spec.time + 1, target }).json),
        ]),
      );
    const boundTarget = await easyAt(maxTargetOf(spec));
    const easiest = await easyAt(MAX_TARGET);
    const cheapest = cheap[cheap.length - 1] as LedgerBlock;
    const keptHeavy = node.tip.hash === heavyTip;
    const held =
      reorg === null &&
      keptHeavy &&
      pushed.value === 'stale' &&
      boundTarget.code === ErrorCode.TargetMismatch &&
      easiest.code === ErrorCode.TargetMismatch;
    return {
      name: 'low-work-chain',
      title: 'Replace a short chain of real work with a long chain of cheap blocks',
      attempt: `on a network launched a day after its genesis, an attacker built ${cheap.length} blocks from the genesis dated ${CHEAP_SPACING} s apart (the retarget eases each to its bound) against the node's ${HONEST_BLOCKS} blocks on schedule, handed the branch to the node's fork choice, and tried targets easier than the retarget gives`,
      code: null,
      rule: 'fork choice: most work (section 4); L4 target',
      held,
      figures: {
        longLength: cheap.length + 1,
        longWork: Number(lightWork),
        longBlockWork: Number(cheapest.work),
        shortLength: node.chain.length,
        shortWork: Number(heavyWork),
        shortBlockWork: Number(workOf(spec.initialTarget)),
        kept: keptHeavy ? 'short (more work)' : 'long',
        longestChainRuleKeeps: cheap.length + 1 > node.chain.length ? 'long' : 'short',
        nodeTip: short(node.tip.hash),
        shortTip: short(heavyTip),
        longTip: short(cheapest.hash),
        pushedBlock: pushed.value,
        easierTargetCode: boundTarget.value,
        easiestTargetCode: easiest.value,
      },
    };
  });
}

// ---- the merkle mutation (CVE-2012-2459) ----------------------------------------------------------------

/**
 * The merkle root Bitcoin computes (with the plain SHA-256 here; Bitcoin hashes twice): pairs of
 * nodes hashed level by level, an odd last node paired with itself, no prefixes. So `[a, b, c]`
 * and `[a, b, c, c]` have one root: the tree CVE-2012-2459 is about.
 */
export function bitcoinMerkleRoot(entries: readonly Uint8Array[]): Uint8Array {
  if (entries.length === 0) return oneShotHash('sha256', new Uint8Array(0), 'buffer');
  let level = entries;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let k = 0; k < level.length; k += 2) {
      const left = level[k] as Uint8Array;
      const right = level[k + 1] ?? left;
      next.push(oneShotHash('sha256', Buffer.concat([left, right]), 'buffer'));
    }
    level = next;
  }
  return level[0] as Uint8Array;
}

/** A valid block with its last transaction duplicated under the same header. */
async function merkleMutation(): Promise<ProtocolAttack> {
  const profile = protocolProfile(protocolGenesis([[alice, 1_000n * COIN]]));
  const clock = new LabClock(LAB_GENESIS_TIME + LAUNCH);
  return withNodes(async (open) => {
    const lab = open(openLabNode(profile, clock, miner.address));
    const { node } = lab;
    const payments = [
      unchecked(profile, signedPayment(profile, alice, bob.address, 10n * COIN, { nonce: 0n })),
      unchecked(profile, signedPayment(profile, alice, mallory.address, 10n * COIN, { nonce: 1n })),
    ];
    clock.advance(10);
    const genesisView = node.viewAt(1);
    // The honest block: a reward and two payments (three leaves, an odd count).
    const genuine = forgeBlock(profile, genesisView, miner.address, { payments, time: clock.now });
    const last = genuine.transactions[genuine.transactions.length - 1] as Transaction;
    const duplicated = [...genuine.transactions, last];
    const ids = (txs: readonly Transaction[]): Uint8Array[] => txs.map((tx) => fromHex(tx.id));
    const ledgerRoot = toHex(merkleRoot(ids(genuine.transactions)));
    const ledgerDuplicated = toHex(merkleRoot(ids(duplicated)));
    const bitcoinRoot = toHex(bitcoinMerkleRoot(ids(genuine.transactions)));
    const bitcoinDuplicated = toHex(bitcoinMerkleRoot(ids(duplicated)));
    // The mutation: the same header (so the same hash and proof of work), one more transaction.
    const mutated = await outcomeOf(() => node.offerBlock(wire(withTransactions(genuine, duplicated))));
    // The attacker mines a header for the duplicated list instead: the copy spends a used nonce.
    const remined = forgeBlock(profile, genesisView, miner.address, {
      payments: [...payments, payments[1] as Payment],
      time: clock.now,
    });
    const reminedOutcome = await outcomeOf(() => node.offerBlock(wire(remined.json)));
    // The genuine block, whose hash the mutated copy shared, is still taken (Bitcoin's nodes had
    // marked that hash invalid, and refused the real block after the fake).
    const genuineAfter = await outcomeOf(() => node.offerBlock(wire(genuine.json)));
    const held =
      bitcoinRoot === bitcoinDuplicated &&
      ledgerRoot !== ledgerDuplicated &&
      ledgerRoot === genuine.header.merkle &&
      mutated.code === ErrorCode.MerkleMismatch &&
      reminedOutcome.code === ErrorCode.NonceMismatch &&
      genuineAfter.value === 'appended' &&
      node.tip.hash === genuine.hash;
    return {
      name: 'merkle-mutation',
      title: 'Duplicate the last transaction of a block under its valid header (CVE-2012-2459)',
      attempt: `a block of ${genuine.transactions.length} transactions was offered with its last one repeated under the same header (same hash, same proof of work), then with a header mined for the ${duplicated.length} transactions, then as it was`,
      code: mutated.code,
      rule: 'L7 merkle',
      held,
      figures: {
        transactions: genuine.transactions.length,
        mutatedTransactions: duplicated.length,
        ledgerRoot,
        ledgerRootDuplicated: ledgerDuplicated,
        bitcoinRoot,
        bitcoinRootDuplicated: bitcoinDuplicated,
        bitcoinSameRoot: bitcoinRoot === bitcoinDuplicated ? 'yes' : 'no',
        ledgerSameRoot: ledgerRoot === ledgerDuplicated ? 'yes' : 'no',
        mutatedCode: mutated.value,
        reminedCode: reminedOutcome.value,
        genuineAfter: genuineAfter.value,
        blockHash: short(genuine.hash),
      },
    };
  });
}

// ---- a peer flooding headers --------------------------------------------------------------------------

/** Headers a flooding peer sends in one page (the most `GET /headers` serves). */
const FLOOD_HEADERS = 2_000;
/** A work no honest peer has (what a liar claims, to be synced from first). */
const CLAIMED_WORK = 10n ** 30n;

/**
 * A scripted blockforge peer on our network: it claims `height` and `work`, names our genesis as
 * the fork point, and serves `headers` from height 2. Counts what it served.
 */
function liar(
  profile: LedgerProfile,
  claim: { height: number; work: bigint },
  headers: readonly JsonObject[],
  served: { headers: number; blocks: number },
): (request: PeerRequest) => ScriptedAnswer {
  const json = (value: unknown): ScriptedAnswer => ({ status: 200, body: writeJson(fromPlain(value)) });
  return (request) => {
    const url = new URL(request.path, 'http://peer');
    if (url.pathname === '/peer/status') {
      return json({
        node_id: 'ee'.repeat(16),
        profile: profile.name,
        ...profile.params,
        height: claim.height,
        work: claim.work.toString(),
        tip: 'ff'.repeat(32),
        genesis: profile.chainId,
      });
    }
    if (url.pathname === '/peer/locate') return json({ common: 1, height: claim.height });
    if (url.pathname === '/headers') {
      const from = Number(url.searchParams.get('from'));
      const limit = Number(url.searchParams.get('limit'));
      const page = headers.slice(from - 2, from - 2 + limit);
      served.headers += page.length;
      return { status: 200, body: `{"headers":${writeJson(page)},"height":${claim.height}}` };
    }
    if (url.pathname === '/blocks') {
      served.blocks++;
      return json({ blocks: [], height: claim.height });
    }
    return { status: 404, body: '{"statusCode": 404}' };
  };
}

/**
 * `count` headers after the genesis that link and carry the initial target, each dated 10 s after
 * the one before, but whose hashes are above their target: no work at all, free to make.
 */
function workless(profile: LedgerProfile, count: number, start: number): JsonObject[] {
  const target = profile.genesis.initialTarget;
  const out: JsonObject[] = [];
  let parent = profile.chainId;
  for (let k = 0; k < count; k++) {
    const fields = { height: k + 2, parent, merkle: '00'.repeat(32), time: start + 10 * k, target };
    let nonce = 0;
    let header = makeHeader({ ...fields, nonce });
    // One hash in 4,096 meets the target: skip those (this peer does no work at all).
    while (BigInt(`0x${header.hash}`) <= target) header = makeHeader({ ...fields, nonce: ++nonce });
    out.push(header.json);
    parent = header.hash;
  }
  return out;
}

/** A peer on our network that sends headers without the work they claim. */
async function headerFlood(): Promise<ProtocolAttack> {
  const peers = new ScriptedPeers();
  return withNodes(async (open) => {
    const { profile, lab, clock, cheap } = await lateNetwork(open, peers);
    const { node, network } = lab;
    const heightBefore = node.chain.length;
    const tipBefore = node.tip.hash;
    // 1. Two thousand headers with no work, behind a claim of more work than any chain has.
    const floodAt = '198.51.100.7:8333';
    const flood = { headers: 0, blocks: 0 };
    const floodHeaders = workless(profile, FLOOD_HEADERS, clock.now - 10 * FLOOD_HEADERS);
    peers.add(floodAt, liar(profile, { height: FLOOD_HEADERS + 1, work: CLAIMED_WORK }, floodHeaders, flood));
    network.registerPeers([floodAt]);
    const first = (await network.resolve()).peers.find((p) => p.peer === floodAt);
    const banned = network.health().find((h) => h.address === floodAt)?.status === 'banned';
    const requestsBefore = peers.log.filter((e) => e.peer === floodAt).length;
    const again = (await network.resolve()).peers.find((p) => p.peer === floodAt);
    const requestsAfterBan = peers.log.filter((e) => e.peer === floodAt).length - requestsBefore;
    // 2. Real headers of cheap blocks (the long low-work branch), with the same lie about their work.
    const cheapAt = '198.51.100.8:8333';
    const cheapServed = { headers: 0, blocks: 0 };
    const cheapHeaders = cheap.map((b) => b.header.json);
    peers.add(cheapAt, liar(profile, { height: cheap.length + 1, work: CLAIMED_WORK }, cheapHeaders, cheapServed));
    network.registerPeers([cheapAt]);
    const second = (await network.resolve()).peers.find((p) => p.peer === cheapAt);
    const cheapBanned = network.health().find((h) => h.address === cheapAt)?.status === 'banned';
    const bodies = peers.log.filter((e) => e.route === '/blocks').length;
    const held =
      first?.code === ErrorCode.ProofOfWork &&
      banned &&
      again?.status === 'banned' &&
      requestsAfterBan === 0 &&
      second?.code === ErrorCode.PeerBadResponse &&
      cheapBanned &&
      bodies === 0 &&
      node.tip.hash === tipBefore;
    return {
      name: 'header-flood',
      title: 'Flood a node with headers that carry no work',
      attempt: `a peer claiming a chain of work ${CLAIMED_WORK} sent ${floodHeaders.length} linked headers whose hashes miss their target; another sent the ${cheapHeaders.length} real headers of a cheap branch with the same claim`,
      code: first?.code ?? null,
      rule: 'L5 proof of work (headers first, section 11)',
      held,
      figures: {
        headersSent: flood.headers,
        floodCode: first?.code ?? 'none',
        floodBanned: banned ? 'yes' : 'no',
        requestsAfterBan,
        cheapHeadersSent: cheapServed.headers,
        cheapHeadersWork: Number(totalWork(cheap)),
        nodeWork: Number(node.chainWork),
        claimedWork: CLAIMED_WORK.toString(),
        cheapCode: second?.code ?? 'none',
        cheapBanned: cheapBanned ? 'yes' : 'no',
        bodiesFetched: bodies,
        heightBefore,
        heightAfter: node.chain.length,
      },
    };
  });
}

// ---- tutorial chains from precomputed proofs ----------------------------------------------------------

/** The proof-of-work kernel for a measurement: the fastest one this install has. */
function measuringKernel(name: KernelName | undefined): PowKernel {
  if (name !== undefined && name !== 'wasm') return loadKernel(name);
  // From dist/ the module sits next to the node's default location; from src/ (tests), in dist/.
  for (const url of [DEFAULT_WASM_URL, new URL('../../dist/kernel/pow.wasm', import.meta.url)]) {
    try {
      return loadKernel('wasm', url);
    } catch {
      // Not built there: try the next place.
    }
  }
  if (name === 'wasm') {
    throw new BlockforgeError(ErrorCode.InvalidOption, 'the WebAssembly kernel is not built (npm run build)');
  }
  return loadKernel('ts');
}

/** A chain view over plain blocks (a tutorial chain being forged; no state). */
function listView(blocks: readonly Block[]): ChainView {
  return { height: blocks.length, state: EMPTY_STATE, block: (h) => blocks[h - 1] as Block };
}

/**
 * A tutorial chain of `proofs.length + 1` blocks with the given proofs: each block holds what the
 * forger likes (`contents(k)`) and the reward, dated `time(k)`.
 */
function tutorialChain(
  profile: RuleProfile,
  proofs: readonly number[],
  contents: (k: number) => Transaction[],
  time: (k: number) => number,
): Block[] {
  const blocks: Block[] = [profile.createGenesis(LAB_GENESIS_TIME)];
  for (let k = 0; k < proofs.length; k++) {
    const template = profile.blockTemplate(listView(blocks), 'ee'.repeat(16), [], time(k));
    blocks.push(template.seal(proofs[k] as number, contents(k), time(k)));
  }
  return blocks;
}

/** The tutorial's proof sequence computed from the genesis proof alone, then any chain built on it. */
async function seedPrecompute(options: ProtocolAttackOptions): Promise<ProtocolAttack> {
  const count = options.proofs ?? 1_000;
  const difficulty = options.difficulty ?? 4;
  if (!Number.isInteger(count) || count < 1 || count > 100_000) {
    throw new BlockforgeError(ErrorCode.InvalidOption, `proofs must be an integer from 1 to 100000 (got ${count})`);
  }
  if (!Number.isInteger(difficulty) || difficulty < 1 || difficulty > 6) {
    throw new BlockforgeError(ErrorCode.InvalidOption, `difficulty must be an integer from 1 to 6 (got ${difficulty})`);
  }
  const seed = createTutorialProfile('seed', { difficulty });
  const master = createTutorialProfile('master', { difficulty });
  const kernel = measuringKernel(options.kernel);
  // Seed's puzzle is the previous proof and nothing else: no block, no hash, no contents.
  const proofs: number[] = [];
  let hashes = 0;
  let last = (seed.createGenesis(LAB_GENESIS_TIME).json.proof as JsonNumber).text;
  const started = performance.now();
  for (let k = 0; k < count; k++) {
    const { proof, tries } = kernel.scan(seed.powChallengeFor(last, ''), 0, MAX_PROOF);
    if (proof === null) throw new BlockforgeError(ErrorCode.Internal, 'no proof below 2^53');
    proofs.push(proof);
    hashes += tries;
    last = String(proof);
    options.onProgress?.(k + 1, count);
    // A turn of the event loop now and then: a long measurement must not freeze a progress display.
    if (k % 64 === 63) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const seconds = (performance.now() - started) / 1000;
  // Then two chains with whatever the forger wants in them, on the same proofs.
  const built = performance.now();
  const tx = (sender: string, recipient: string, amount: number): Transaction =>
    seed.parseTransaction(fromPlain({ sender, recipient, amount }));
  const chainA = tutorialChain(
    seed,
    proofs,
    (k) => [tx('mallory', 'mallory', 1_000_000 + k)],
    (k) => LAB_GENESIS_TIME + 600 * (k + 1),
  );
  const chainB = tutorialChain(
    seed,
    proofs,
    (k) => [tx('alice', 'mallory', 50), tx('bob', 'mallory', 7 + k)],
    (k) => LAB_GENESIS_TIME + 3_600 * (k + 1) + 0.5,
  );
  const seedA = verdict(
    seed,
    chainA.map((b) => wire(b.json)),
  );
  const seedB = verdict(
    seed,
    chainB.map((b) => wire(b.json)),
  );
  const buildSeconds = (performance.now() - built) / 1000;
  // master: the same proofs on a chain of master blocks (its puzzle ends with the previous hash).
  const masterChain = tutorialChain(
    master,
    proofs,
    (k) => [tx('mallory', 'mallory', 1_000_000 + k)],
    (k) => LAB_GENESIS_TIME + 600 * (k + 1),
  );
  const masterVerdict = verdict(
    master,
    masterChain.map((b) => wire(b.json)),
  );
  // ledger: a block's nonce is good for its header only, and the header commits to the contents.
  const ledger = protocolProfile(protocolGenesis([[alice, 1_000n * COIN]]));
  const genesis = ledger.createGenesis(0);
  const genesisView = new BranchValidator(ledger, null).add([wire(genesis.json)]).view;
  const mined = forgeBlock(ledger, genesisView, miner.address, {
    payments: [unchecked(ledger, signedPayment(ledger, alice, bob.address, COIN))],
    time: ledger.genesis.time + 10,
  });
  const swap = unchecked(ledger, signedPayment(ledger, alice, mallory.address, 999n * COIN));
  const swapped = [mined.transactions[0] as Transaction, swap];
  const kept = verdict(ledger, [wire(genesis.json), wire(withTransactions(mined, swapped))]);
  const header = mined.header;
  const remerkled = makeHeader({
    height: header.height,
    parent: header.parent,
    merkle: merkleOf(swapped),
    time: header.time,
    target: header.target,
    nonce: header.nonce,
  });
  const remerkledVerdict = verdict(ledger, [wire(genesis.json), wire(blockJson(remerkled, swapped))]);
  // The attack is on seed, and it works there: both forged chains are valid.
  const held = !(seedA.code === null && seedB.code === null);
  return {
    name: 'seed-precompute',
    title: "Precompute the tutorial's proofs of work, then forge any chain on them",
    attempt: `${count} proofs of the seed profile at difficulty ${difficulty} computed from the genesis proof alone, before any block existed; then two chains with different transactions built on them, and the same trick under master and ledger`,
    code: null,
    rule: 'none in seed; master: proof of work over the previous hash; ledger: L5 proof of work over the header, L7 merkle',
    held,
    figures: {
      proofs: count,
      difficulty,
      kernel: kernel.name,
      seconds: Math.round(seconds * 1000) / 1000,
      proofsPerSecond: Math.round(count / seconds),
      hashes,
      hashesPerSecond: Math.round(hashes / seconds),
      firstProofs: proofs.slice(0, 6).join(', '),
      chainBlocks: chainA.length,
      buildSeconds: Math.round(buildSeconds * 1000) / 1000,
      seedChainA: seedA.code ?? 'valid',
      seedChainB: seedB.code ?? 'valid',
      sameTip: (chainA[chainA.length - 1] as Block).hash === (chainB[chainB.length - 1] as Block).hash ? 'yes' : 'no',
      masterCode: masterVerdict.code ?? 'valid',
      masterBlock: masterVerdict.block,
      ledgerSwappedCode: kept.code ?? 'valid',
      ledgerRemerkledCode: remerkledVerdict.code ?? 'valid',
    },
  };
}
