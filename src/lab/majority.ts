/**
 * The majority attack: an attacker with more than half of the hash power rewrites the last `depth`
 * blocks. It starts a private branch from the block below them while the honest chain is `depth`
 * blocks ahead, and publishes as soon as its branch has strictly more work; the honest node's own fork
 * choice then replaces its blocks. The lab measures the simulated time that takes (from the moment the
 * attacker starts) against the expectation (depth + 1) / (2q - 1) block intervals.
 */

import { type LabNode, LabWorld, labGenesis, labWallet } from './lab-world.js';
import { majorityBlocks, meanInterval } from './odds.js';
import { LabRandom } from './random.js';
import type { MajorityReport, MajorityRow } from './report.js';

/** Options of {@link runMajority}. */
export interface MajorityOptions {
  /** Attacker shares, each above 0.5. */
  readonly attackers: readonly number[];
  readonly depth: number;
  readonly trials: number;
  readonly seed: number;
  /** Mean seconds between blocks of the whole network. */
  readonly blockTime?: number;
  readonly confidence?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Most blocks a world holds before the lab starts a fresh one. */
const WORLD_BLOCKS = 20_000;

/** Events a single trial may take before the lab calls it stuck. */
const MAX_EVENTS = 1_000_000;

/** Largest expected trial, in blocks ((depth + 1) / (2q - 1)), a run takes on. */
const MAX_EXPECTED_BLOCKS = 10_000;

/** Runs each share. */
export async function runMajority(options: MajorityOptions): Promise<MajorityReport> {
  const started = performance.now();
  const blockTime = options.blockTime ?? 600;
  const random = new LabRandom(options.seed);
  const total = options.attackers.length * options.trials;
  let done = 0;
  const rows: MajorityRow[] = [];
  let world: LabWorld | null = null;
  let honest!: LabNode;
  let evil!: LabNode;
  try {
    for (const q of options.attackers) {
      if (!(q > 0.5 && q < 1)) throw new RangeError(`a majority attacker's share must be in (0.5, 1), got ${q}`);
      // The nodes' chains grow by about this much a trial: refused before a run that cannot end.
      const expected = majorityBlocks(q, options.depth);
      if (expected > MAX_EXPECTED_BLOCKS) {
        throw new RangeError(
          `at q = ${q} rewriting ${options.depth} blocks takes ${Math.round(expected)} blocks on average, more than the lab's ${MAX_EXPECTED_BLOCKS}: take a larger share or a smaller depth`,
        );
      }
      const times: number[] = [];
      let attackerBlocks = 0;
      for (let trial = 0; trial < options.trials; trial++) {
        if (!world || honest.node.chain.length > WORLD_BLOCKS) {
          await (world as LabWorld | null)?.close();
          world = new LabWorld(labGenesis([]));
          honest = world.addNode('honest', labWallet(20).address);
          evil = world.addNode('attacker', labWallet(21).address);
        }
        const w: LabWorld = world;
        // The blocks to rewrite: on the honest chain only.
        for (let k = 0; k < options.depth; k++) {
          w.advance(random.exponential(blockTime));
          await w.mine(honest);
        }
        let elapsed = 0;
        let events = 0;
        while (evil.node.chainWork <= honest.node.chainWork) {
          if (++events > MAX_EVENTS) throw new Error('the attack did not finish');
          const dt = random.exponential(blockTime);
          elapsed += dt;
          w.advance(dt);
          if (random.chance(q)) {
            await w.mine(evil);
            attackerBlocks++;
          } else {
            await w.mine(honest);
          }
        }
        const delivery = w.deliver(evil, honest);
        // Appended when depth is 0 and the honest node mined nothing meanwhile.
        if (delivery !== 'reorg' && delivery !== 'appended')
          throw new Error(`the honest node kept its chain (${delivery})`);
        if (honest.node.tip.hash !== evil.node.tip.hash) throw new Error('the honest node is not on the attacker tip');
        times.push(elapsed);
        done++;
        options.onProgress?.(done, total);
      }
      const mean = meanInterval(times, options.confidence ?? 0.95);
      const sorted = [...times].sort((a, b) => a - b);
      rows.push({
        attacker: q,
        depth: options.depth,
        trials: options.trials,
        meanSeconds: mean.mean,
        interval: { low: mean.low, high: mean.high, confidence: mean.confidence },
        medianSeconds: median(sorted),
        expectedSeconds: majorityBlocks(q, options.depth) * blockTime,
        attackerBlocks: attackerBlocks / options.trials,
      });
    }
  } finally {
    await (world as LabWorld | null)?.close();
  }
  return { kind: 'majority', seed: options.seed, blockTime, rows, seconds: (performance.now() - started) / 1000 };
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  const mid = Math.floor(n / 2);
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
