/**
 * Selfish mining (Eyal and Sirer, "Majority is not enough", 2014, Algorithm 1), run on real nodes.
 * The pool's node mines on its private branch; the honest network is two nodes: one mining on what
 * it saw first when the pool answers an honest block with a block of its own (the "tie race"), the
 * other on the pool's block, the split being the paper's gamma: the next honest block of a race comes
 * from the second with probability gamma. Which branch each node mines on is decided by the node's own
 * fork choice (most work; a tie keeps the block seen first): the lab only decides what reaches whom,
 * and in which order. The pool's strategy is the paper's, reading the lengths off the nodes.
 *
 * Revenue is counted on the final chain, cycle by cycle: a cycle ends whenever all three nodes are
 * on one tip again with nothing private, and the blocks it added are settled for good then. A run
 * mines at least `blocks` blocks and ends at the end of a cycle.
 */

import { type LabNode, LabWorld, labGenesis, labWallet } from './lab-world.js';
import { ratioInterval, selfishShare, selfishThreshold } from './odds.js';
import { LabRandom } from './random.js';
import type { SelfishReport, SelfishRow } from './report.js';

/** Options of {@link runSelfish}. */
export interface SelfishOptions {
  readonly alphas: readonly number[];
  readonly gammas: readonly number[];
  /** Blocks mined per (alpha, gamma) cell, all miners together. */
  readonly blocks: number;
  readonly seed: number;
  readonly blockTime?: number;
  readonly confidence?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Blocks a world holds before a run moves to a fresh one at the next cycle end. */
const WORLD_BLOCKS = 10_000;

/** Blocks a run may go past `blocks` to close its last cycle (a lead of thousands: never, below 1/2). */
const MAX_OVERRUN = 1_000_000;

/** Runs every (alpha, gamma) cell. */
export async function runSelfish(options: SelfishOptions): Promise<SelfishReport> {
  const started = performance.now();
  const random = new LabRandom(options.seed);
  const total = options.alphas.length * options.gammas.length * options.blocks;
  let done = 0;
  const rows: SelfishRow[] = [];
  for (const alpha of options.alphas) {
    for (const gamma of options.gammas) {
      rows.push(
        await cell(alpha, gamma, options, random, () => {
          done++;
          options.onProgress?.(done, total);
        }),
      );
    }
  }
  return { kind: 'selfish', seed: options.seed, rows, seconds: (performance.now() - started) / 1000 };
}

async function cell(
  alpha: number,
  gamma: number,
  options: SelfishOptions,
  random: LabRandom,
  tick: () => void,
): Promise<SelfishRow> {
  if (!(alpha > 0 && alpha < 0.5)) throw new RangeError(`alpha must be in (0, 0.5), got ${alpha}`);
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`gamma must be in [0, 1], got ${gamma}`);
  const blockTime = options.blockTime ?? 600;
  let world = new LabWorld(labGenesis([]));
  try {
    let pool!: LabNode;
    // Honest miners who keep the honest block in a race, and those who mine on the pool's.
    let keeps!: LabNode;
    let follows!: LabNode;
    let honest: LabNode[] = [];
    const poolBlocks = new Set<string>();
    const populate = (): void => {
      pool = world.addNode('pool', labWallet(10).address);
      keeps = world.addNode('honest', labWallet(11).address);
      follows = world.addNode('honest-gamma', labWallet(12).address);
      honest = [keeps, follows];
      poolBlocks.clear();
    };
    populate();

    /** Blocks the pool holds that the honest nodes do not (the paper's private branch). */
    let privateLength = 0;
    /** Length of the public branch since the fork with the pool's private one. */
    let publicLength = 0;
    /** Blocks mined since the last cycle ended. */
    let minedInCycle = 0;
    let minedInCycles = 0;
    let race = false;
    let forkHeight = pool.node.chain.length;
    const cyclesPool: number[] = [];
    const cyclesMain: number[] = [];
    let settled = pool.node.chain.length;

    const endCycle = (): void => {
      const tip = pool.node.tip.hash;
      for (const n of honest) {
        if (n.node.tip.hash !== tip) throw new Error(`${n.name} is not on the pool's tip at the end of a cycle`);
      }
      const chain = pool.node.chain;
      let mine = 0;
      for (let h = settled; h < chain.length; h++) if (poolBlocks.has((chain[h] as { hash: string }).hash)) mine++;
      cyclesPool.push(mine);
      cyclesMain.push(chain.length - settled);
      settled = chain.length;
      privateLength = 0;
      publicLength = 0;
      minedInCycles += minedInCycle;
      minedInCycle = 0;
      race = false;
      forkHeight = chain.length;
    };
    const broadcast = (from: LabNode, to: readonly LabNode[], upTo?: number): void => {
      for (const n of to) if (n !== from) world.deliver(from, n, upTo);
    };

    // Past `blocks`, the run goes on until the open cycle closes: cutting a cycle short would drop
    // the blocks of a long private lead, the pool's best cycles (the estimator would be biased low).
    for (let k = 0; k < options.blocks || privateLength > 0 || race; k++) {
      if (k >= options.blocks + MAX_OVERRUN) throw new Error('a cycle did not close');
      if (privateLength === 0 && !race && pool.node.chain.length > WORLD_BLOCKS) {
        // Between cycles nothing carries over (a regeneration point): a fresh world keeps every
        // node's chain, and the reorg work that scales with it, bounded.
        await world.close();
        world = new LabWorld(labGenesis([]));
        populate();
        settled = pool.node.chain.length;
        forkHeight = settled;
      }
      world.advance(random.exponential(blockTime));
      minedInCycle++;
      if (random.chance(alpha)) {
        const block = await world.mine(pool);
        poolBlocks.add(block.hash);
        privateLength++;
        if (race) {
          // The pool wins the race it was in: it publishes, and everyone takes the longer branch.
          broadcast(pool, honest);
          endCycle();
        }
      } else if (race) {
        // A tie race: gamma of the honest power mines on the pool's block.
        const miner = random.chance(gamma) ? follows : keeps;
        await world.mine(miner);
        broadcast(miner, [pool, ...honest]);
        endCycle();
      } else {
        await world.mine(keeps);
        publicLength++;
        const lead = privateLength - (publicLength - 1);
        if (lead === 0) {
          // Nothing private: the pool and everyone take the honest block.
          broadcast(keeps, [pool, follows]);
          endCycle();
        } else if (lead === 1) {
          // The pool publishes its one block: the race. `follows` sees the pool's block first.
          world.deliver(pool, follows);
          world.deliver(keeps, follows);
          world.deliver(pool, keeps);
          world.deliver(keeps, pool);
          race = true;
        } else if (lead === 2) {
          // One block ahead after the honest one: the pool publishes everything and wins.
          broadcast(keeps, [follows]);
          broadcast(pool, honest);
          world.deliver(keeps, pool);
          endCycle();
        } else {
          // Far ahead: the honest block is lost anyway; the pool reveals its block at that height.
          broadcast(keeps, [follows, pool]);
          broadcast(pool, honest, forkHeight + publicLength);
        }
      }
      tick();
    }
    const mainChain = cyclesMain.reduce((s, v) => s + v, 0);
    const poolOnChain = cyclesPool.reduce((s, v) => s + v, 0);
    const ratio = ratioInterval(cyclesPool, cyclesMain, options.confidence ?? 0.95);
    return {
      alpha,
      gamma,
      mined: minedInCycles,
      mainChain,
      pool: poolOnChain,
      share: poolOnChain / mainChain,
      interval: { low: ratio.low, high: ratio.high, confidence: ratio.confidence },
      closedForm: selfishShare(alpha, gamma),
      threshold: selfishThreshold(gamma),
      orphaned: minedInCycles - mainChain,
    };
  } finally {
    await world.close();
  }
}
