/**
 * Chains and branches, validated under any profile: each block decoded (context-free rules), then
 * connected to the block before it (rules in context), with the state each block leaves carried to
 * the next. A `/chain` response's `length` is counted, never trusted.
 */

import type { Block, StateDiff, StateView } from './block.js';
import { describe } from './describe.js';
import { BlockforgeError, ChainRuleError, ErrorCode } from './errors.js';
import { isJsonObject, JsonNumber, type JsonValue } from './json.js';
import type { BlockHeader, ChainView, HeaderChainView, HeaderRules, RuleProfile } from './profile.js';

/** Blocks that passed every rule, each with what it changed in the state. */
export interface ValidatedBranch {
  readonly blocks: Block[];
  /** `diffs[k]` is what `blocks[k]` changed. */
  readonly diffs: StateDiff[];
}

/** A state with no keys (the state before a genesis block). */
export const EMPTY_STATE: StateView = { get: () => undefined };

/**
 * A state seen through the diffs of blocks applied on top of a base (or, with `undo`, rolled back
 * from it): how a branch is validated against the state at its fork point without writing anything.
 */
export class OverlayState implements StateView {
  private readonly changed = new Map<string, string | null>();
  constructor(private readonly base: StateView) {}

  get(key: string): string | undefined {
    const value = this.changed.get(key);
    if (value === undefined) return this.base.get(key);
    return value === null ? undefined : value;
  }

  /** Applies a block's diff on top. */
  apply(diff: StateDiff): void {
    for (const change of diff) this.changed.set(change.key, change.after);
  }

  /** Undoes a block's diff (the block was the last one applied to what this view shows). */
  undo(diff: StateDiff): void {
    for (let k = diff.length - 1; k >= 0; k--) {
      const change = diff[k] as StateDiff[number];
      this.changed.set(change.key, change.before);
    }
  }
}

/** A view of `prefix` (blocks 1..n of one branch, on top of a base view's blocks) for the rules. */
class BranchView implements ChainView {
  height: number;
  constructor(
    private readonly base: ChainView | null,
    private readonly added: readonly Block[],
    readonly state: StateView,
  ) {
    this.height = base?.height ?? 0;
  }
  block(height: number): Block {
    const baseHeight = this.base?.height ?? 0;
    if (height > baseHeight) {
      const block = this.added[height - baseHeight - 1];
      if (block && height <= this.height) return block;
    } else if (this.base && height >= 1) {
      return this.base.block(height);
    }
    throw new RangeError(`no block ${height} on this branch (height ${this.height})`);
  }
}

/**
 * Validates a branch in parts (a sync fetches it page after page): each part's blocks are checked
 * on top of everything added before, with one state overlay carried along.
 */
export class BranchValidator {
  private readonly blocks: Block[] = [];
  private readonly diffs: StateDiff[] = [];
  private readonly state: OverlayState;
  private readonly branchView: BranchView;

  /**
   * @param parent what the branch extends (null: a whole chain from its genesis)
   * @param maxBlockBytes the reader's limit on a block's size ({@link Block.size}): larger blocks
   *   are refused with BLOCK_TOO_LARGE before their rules are checked. A resource limit of this
   *   reader, not a chain rule: the error is a BlockforgeError, not a ChainRuleError.
   */
  constructor(
    private readonly profile: RuleProfile,
    parent: ChainView | null,
    private readonly maxBlockBytes = Number.POSITIVE_INFINITY,
  ) {
    this.state = new OverlayState(parent?.state ?? EMPTY_STATE);
    this.branchView = new BranchView(parent, this.blocks, this.state);
  }

  /**
   * Validates untrusted `values` as the next blocks of the branch. Throws a ChainRuleError naming
   * the first block that breaks a rule, and which rule; the blocks before it stay added.
   */
  add(values: readonly JsonValue[]): this {
    const view = this.branchView;
    for (let k = 0; k < values.length; k++) {
      const block = this.profile.decodeBlock(values[k] as JsonValue, view.height + 1);
      if (block.size > this.maxBlockBytes) throw blockTooLarge(block, this.maxBlockBytes);
      const diff = this.profile.connectBlock(block, view.height === 0 ? null : view);
      if (diff.length > 0) this.state.apply(diff);
      this.blocks.push(block);
      this.diffs.push(diff);
      view.height++;
    }
    return this;
  }

  /** Height of the branch's last block (the parent's when nothing was added). */
  get height(): number {
    return this.branchView.height;
  }

  /** The branch as far as it was validated, as the rules see it (ancestors and state). */
  get view(): ChainView {
    return this.branchView;
  }

  /** What was validated so far. */
  get result(): ValidatedBranch {
    return { blocks: this.blocks, diffs: this.diffs };
  }
}

/** The error for a block over a reader's size limit. */
export function blockTooLarge(block: Block, limit: number): BlockforgeError {
  return new BlockforgeError(
    ErrorCode.BlockTooLarge,
    `block ${block.height} is ${block.size} bytes, over the ${limit}-byte limit for blocks from peers (skipped)`,
  );
}

/**
 * Validates untrusted `values` as the blocks after `parent` (null: a whole chain from its genesis).
 * Throws a ChainRuleError naming the first block that breaks a rule, and which rule.
 */
export function validateBranch(
  profile: RuleProfile,
  parent: ChainView | null,
  values: readonly JsonValue[],
): ValidatedBranch {
  if (!parent && values.length === 0) {
    throw new ChainRuleError(
      ErrorCode.ChainEmpty,
      0,
      'the chain has no blocks (a chain starts with its genesis block)',
    );
  }
  return new BranchValidator(profile, parent).add(values).result;
}

/**
 * Checks the envelope of a `/chain` response and returns its blocks, unvalidated: `chain` must be
 * a list and `length` an integer equal to its real count. A bare list of blocks is accepted as is.
 * Throws a ChainRuleError (CHAIN_ENVELOPE, LENGTH_MISMATCH).
 */
export function chainEnvelope(value: JsonValue): JsonValue[] {
  if (Array.isArray(value)) return value;
  if (!isJsonObject(value) || !Array.isArray(value.chain)) {
    throw new ChainRuleError(
      ErrorCode.ChainEnvelope,
      0,
      `expected {"chain": [...], "length": n} (got ${describe(value)}${isJsonObject(value) ? ' without a "chain" list' : ''})`,
    );
  }
  const { chain, length } = value;
  if (!(length instanceof JsonNumber) || !length.isInteger) {
    throw new ChainRuleError(ErrorCode.LengthMismatch, 0, `"length" must be an integer (got ${describe(length)})`);
  }
  if (length.text !== String(chain.length)) {
    throw new ChainRuleError(
      ErrorCode.LengthMismatch,
      0,
      `"length" says ${length.text} but the chain has ${chain.length} blocks`,
    );
  }
  return chain;
}

/**
 * Validates a `/chain` response (or a bare list of blocks) under `profile`: the envelope, the
 * `length` field against the real count, then every block. Throws a ChainRuleError.
 */
export function validateChainResponse(profile: RuleProfile, value: JsonValue): Block[] {
  return validateBranch(profile, null, chainEnvelope(value)).blocks;
}

/** Total work of `blocks` (fork choice compares these sums). */
export function totalWork(blocks: readonly Block[]): bigint {
  let work = 0n;
  for (const block of blocks) work += block.work;
  return work;
}

/**
 * Validates a branch's headers in parts (a headers-first sync fetches them page after page): each
 * header decoded (shape, hash, proof of work) and connected to the one before (height, link,
 * target, time), on top of our chain's block `parent.height`. What the headers claim in work is
 * then real work, checked before any body is fetched.
 */
export class HeaderValidator {
  private readonly added: BlockHeader[] = [];
  private workSum = 0n;
  private readonly view: HeaderChainView;

  constructor(
    private readonly rules: HeaderRules,
    parent: ChainView,
  ) {
    const added = this.added;
    const base = parent.height;
    this.view = {
      get height() {
        return base + added.length;
      },
      header(h: number): BlockHeader {
        if (h > base) {
          const header = added[h - base - 1];
          if (header) return header;
          throw new RangeError(`no header ${h}`);
        }
        return rules.headerOf(parent.block(h));
      },
    };
  }

  /** Validates untrusted `values` as the next headers. Throws a ChainRuleError naming the first bad one. */
  add(values: readonly JsonValue[]): this {
    for (const value of values) {
      const header = this.rules.decodeHeader(value, this.view.height + 1);
      this.rules.connectHeader(header, this.view);
      this.added.push(header);
      this.workSum += header.work;
    }
    return this;
  }

  /** The headers validated so far, in order. */
  get headers(): readonly BlockHeader[] {
    return this.added;
  }

  /** Total work of the headers validated so far. */
  get work(): bigint {
    return this.workSum;
  }
}
