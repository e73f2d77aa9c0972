/**
 * Blocks forged in tests as another node would forge them: through the profile's own block
 * template (puzzle, proof found by a sequential search, sealed with the given transactions).
 */

import type { Block, Transaction } from '../../src/core/block.js';
import { BranchValidator } from '../../src/core/chain.js';
import { BlockforgeError } from '../../src/core/errors.js';
import { writeJson } from '../../src/core/json.js';
import { MAX_PROOF, searchProof } from '../../src/core/pow.js';
import type { RuleProfile } from '../../src/core/profile.js';
import type { StoredBlock } from '../../src/node/storage.js';

/** Forges blocks on top of a chain, keeping it validated as it grows. */
export class ChainForger {
  private readonly validator: BranchValidator;

  constructor(
    private readonly profile: RuleProfile,
    base: readonly Block[],
  ) {
    this.validator = new BranchValidator(profile, null).add(base.map((b) => b.json));
  }

  /** The chain so far. */
  get blocks(): Block[] {
    return this.validator.result.blocks;
  }

  /** Forges the next block with `txs`, paying the reward to `beneficiary`, stamped `time`. */
  next(txs: readonly Transaction[], beneficiary: string, time: number): Block {
    const template = this.profile.blockTemplate(this.validator.view, beneficiary, txs, time);
    const { proof } = searchProof(template.puzzle, 0, MAX_PROOF);
    const block = template.seal(proof as number, txs, time);
    this.validator.add([block.json]);
    return this.blocks[this.blocks.length - 1] as Block;
  }
}

/** `base` extended by one block per entry of `blocksTxs`, with those transactions. */
export function extendChain(
  profile: RuleProfile,
  base: readonly Block[],
  blocksTxs: readonly (readonly Transaction[])[],
  beneficiary = 'f'.repeat(32),
  t0 = 2e9,
): Block[] {
  const forger = new ChainForger(profile, base);
  for (const txs of blocksTxs) forger.next(txs, beneficiary, t0 + forger.blocks.length);
  return forger.blocks;
}

/** The wire JSON of a block, as a peer sends it. */
export function wire(block: Block): string {
  return writeJson(block.json);
}

/** A block as the store writes it (the tutorial profiles change no state). */
export function storedBlock(block: Block): StoredBlock {
  return { block, text: writeJson(block.json), diff: [] };
}

/** The BlockforgeError `run` throws (fails the test if it throws nothing, or something else). */
export function thrownError(run: () => unknown): BlockforgeError {
  try {
    run();
  } catch (err) {
    if (!(err instanceof BlockforgeError)) throw err;
    return err;
  }
  throw new Error('nothing was thrown');
}
