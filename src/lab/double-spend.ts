/**
 * The double spend (Nakamoto 2008, section 11; Rosenfeld 2014), run on real nodes. A merchant's node
 * (the honest network, all of its hash power) and an attacker's node start from one tip. The attacker
 * pays the merchant through the honest node and, at the same moment, signs a conflicting payment (the
 * same nonce, to itself) that only its own node sees. Blocks then arrive as a Poisson process split by
 * hash power: each next block is the attacker's with probability q, mined by that node on its own tip
 * (the payment lands in the honest branch, the conflicting one in the attacker's). Once the honest
 * node shows `z` confirmations (the payment's block counts as the first) the merchant ships; from
 * then on the attacker publishes as soon as its branch has strictly more work, and the honest node's
 * own fork choice decides. The trial counts as a success when the honest node's chain has the
 * conflicting payment and not the merchant's.
 */

import type { Transaction } from '../core/block.js';
import { type LabNode, LabWorld, labGenesis, labWallet } from './lab-world.js';
import { doubleSpendExact, nakamoto, rosenfeld, whitepaperCells, wilsonInterval } from './odds.js';
import { LabRandom } from './random.js';
import type { DoubleSpendReport, DoubleSpendRow, TieRule } from './report.js';

/** Options of {@link runDoubleSpend}. */
export interface DoubleSpendOptions {
  /** Attacker shares to run, each in (0, 1). */
  readonly attackers: readonly number[];
  /** Confirmation counts to run. */
  readonly confirmations: readonly number[];
  /** Trials per (share, confirmations) cell. */
  readonly trials: number;
  readonly seed: number;
  readonly tie: TieRule;
  /** Blocks behind at which the attacker gives up; chosen per cell when omitted. */
  readonly giveUp?: number;
  /** Mean seconds between blocks of the whole network. */
  readonly blockTime?: number;
  readonly confidence?: number;
  /** Called after each trial (a progress line). */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Most blocks a world holds before the lab starts a fresh one (memory stays bounded). */
const WORLD_BLOCKS = 20_000;

/** An attacker's funds: plenty for one payment a trial. */
const FUNDS = 1_000_000n * 100_000_000n;

/**
 * The give-up distance at which the exact probability is within 0.1% of the never-giving-up one
 * (so the simulation estimates the papers' quantity), at most 1,000 blocks.
 */
export function defaultGiveUp(q: number, z: number, tie: TieRule): number {
  const unbounded = doubleSpendExact(q, z, tie);
  for (let d = 1; d < 1000; d++) {
    if (unbounded - doubleSpendExact(q, z, tie, d) <= 1e-3 * unbounded) return d;
  }
  return 1000;
}

/** The merchant's view: blocks on `n`'s chain from the payment's block up (0 if absent). */
function confirmationsOf(n: LabNode, id: string, from: number): number {
  const chain = n.node.chain;
  for (let h = from; h < chain.length; h++) {
    if ((chain[h] as { transactions: readonly Transaction[] }).transactions.some((tx) => tx.id === id)) {
      return chain.length - h;
    }
  }
  return 0;
}

function hasTransaction(n: LabNode, id: string, from: number): boolean {
  return confirmationsOf(n, id, from) > 0;
}

/** Runs every (share, confirmations) cell and returns the report. */
export async function runDoubleSpend(options: DoubleSpendOptions): Promise<DoubleSpendReport> {
  const started = performance.now();
  const blockTime = options.blockTime ?? 600;
  const confidence = options.confidence ?? 0.95;
  const random = new LabRandom(options.seed);
  const attacker = labWallet(1);
  const attackerElsewhere = labWallet(2);
  const merchant = labWallet(3);
  const honestMiner = labWallet(4);
  const total = options.attackers.length * options.confirmations.length * options.trials;
  let done = 0;

  let world: LabWorld | null = null;
  let honest!: LabNode;
  let evil!: LabNode;
  let nonce = 0n;
  const fresh = (): void => {
    world = new LabWorld(labGenesis([[attacker, FUNDS]]));
    honest = world.addNode('honest', honestMiner.address);
    evil = world.addNode('attacker', attackerElsewhere.address);
    nonce = 0n;
  };

  const rows: DoubleSpendRow[] = [];
  try {
    for (const q of options.attackers) {
      for (const z of options.confirmations) {
        const giveUp = options.giveUp ?? defaultGiveUp(q, z, options.tie);
        let successes = 0;
        let blocks = 0;
        for (let trial = 0; trial < options.trials; trial++) {
          if (!world || honest.node.chain.length > WORLD_BLOCKS) {
            await (world as LabWorld | null)?.close();
            fresh();
          }
          const w = world as unknown as LabWorld;
          const result = await trialOnce(w, random, {
            q,
            z,
            tie: options.tie,
            giveUp,
            blockTime,
            honest,
            evil,
            pay: w.payment(attacker, merchant.address, 100_000_000n, nonce),
            conflict: w.payment(attacker, attackerElsewhere.address, 100_000_000n, nonce),
          });
          nonce++;
          if (result.reversed) successes++;
          blocks += result.blocks;
          done++;
          options.onProgress?.(done, total);
        }
        rows.push({
          attacker: q,
          confirmations: z,
          trials: options.trials,
          successes,
          rate: successes / options.trials,
          interval: wilsonInterval(successes, options.trials, confidence),
          nakamoto: nakamoto(q, z),
          rosenfeld: rosenfeld(q, z),
          exact: doubleSpendExact(q, z, options.tie, giveUp),
          exactUnbounded: doubleSpendExact(q, z, options.tie),
          giveUp,
          blocksPerTrial: blocks / options.trials,
        });
      }
    }
  } finally {
    await (world as LabWorld | null)?.close();
  }
  return {
    kind: 'double-spend',
    seed: options.seed,
    tie: options.tie,
    rows,
    whitepaper: whitepaperCells().map(([attacker, confirmations, printed]) => ({
      attacker,
      confirmations,
      nakamoto: nakamoto(attacker, confirmations),
      printed,
    })),
    seconds: (performance.now() - started) / 1000,
  };
}

interface TrialSetup {
  readonly q: number;
  readonly z: number;
  readonly tie: TieRule;
  readonly giveUp: number;
  readonly blockTime: number;
  readonly honest: LabNode;
  readonly evil: LabNode;
  readonly pay: Transaction;
  readonly conflict: Transaction;
}

/**
 * One race from a shared tip. Leaves both nodes on one tip again (the loser's node is handed the
 * winner's branch, and takes it by its own fork choice).
 */
async function trialOnce(
  world: LabWorld,
  random: LabRandom,
  t: TrialSetup,
): Promise<{ reversed: boolean; blocks: number }> {
  const { honest, evil } = t;
  const base = honest.node.chain.length;
  if (evil.node.tip.hash !== honest.node.tip.hash) throw new Error('the race must start from one tip');
  await honest.node.submitTransaction(t.pay);
  await evil.node.submitTransaction(t.conflict);
  let blocks = 0;
  if (t.tie === 'attacker') {
    // A tie won by the attacker is the same race with one block mined in advance (Rosenfeld).
    world.advance(1);
    await world.mine(evil);
    blocks++;
  }
  let shipped = t.z === 0;
  let published = false;
  for (;;) {
    if (shipped) {
      if (evil.node.chainWork === honest.node.chainWork && evil.node.tip.height > base) {
        // A tie: the attacker shows its branch, and the honest node's own rule keeps the first seen.
        const delivery = world.deliver(evil, honest);
        if (delivery !== 'kept' && delivery !== 'nothing-new') {
          throw new Error(`the honest node took a branch with as much work as its own (${delivery})`);
        }
      }
      if (evil.node.chainWork > honest.node.chainWork) {
        const delivery = world.deliver(evil, honest);
        // Appended, when the honest node had not mined on top of the shared tip yet (z = 0).
        if (delivery !== 'reorg' && delivery !== 'appended') {
          throw new Error(`the honest node did not take the heavier branch (${delivery})`);
        }
        published = true;
        break;
      }
      if (honest.node.tip.height - evil.node.tip.height >= t.giveUp) break;
    }
    world.advance(random.exponential(t.blockTime));
    await world.mine(random.chance(t.q) ? evil : honest);
    blocks++;
    if (!shipped && confirmationsOf(honest, t.pay.id, base) >= t.z) shipped = true;
    if (!shipped && honest.node.tip.height - base > t.z + 10_000) {
      throw new Error('the honest node never confirmed the payment');
    }
  }
  // The merchant's verdict, read from the honest node's chain.
  const reversed = !hasTransaction(honest, t.pay.id, base) && hasTransaction(honest, t.conflict.id, base);
  if (reversed !== published)
    throw new Error('the payment was reversed without a published branch, or not reversed by one');
  if (!published) {
    const delivery = world.deliver(honest, evil);
    if (delivery !== 'reorg' && delivery !== 'appended')
      throw new Error(`the attacker's node kept its branch (${delivery})`);
  }
  if (evil.node.tip.hash !== honest.node.tip.hash) throw new Error('the nodes did not meet on one tip');
  if (honest.node.pendingTransactions.length + evil.node.pendingTransactions.length > 0) {
    throw new Error('a spent payment stayed in a mempool');
  }
  return { reversed, blocks };
}
