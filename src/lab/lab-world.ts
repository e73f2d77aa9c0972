/**
 * The lab's world: real blockforge nodes (the ledger profile's rules, the node's storage, mempool and
 * fork choice) on a simulated clock, with a perfect network in between: handing a node another
 * node's blocks is a function call, made when the lab says so (an attacker mines privately by not
 * being handed anything). What the nodes then do with the blocks is their own code:
 * {@link BlockforgeNode.offerBlock} for a block on their tip, the core's `validateBranch` and
 * {@link BlockforgeNode.adoptBranch} for a competing branch, as the peer network's sync does, so the
 * branch with more work wins and a tie keeps the branch seen first.
 *
 * Every block carries the same work: the lab's genesis pins the target at the easiest value (see
 * {@link labGenesis}), as the papers assume a constant difficulty during an attack.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Block } from '../core/block.js';
import { validateBranch } from '../core/chain.js';
import { type JsonObject, parseJson, writeJson } from '../core/json.js';
import { MAX_TARGET } from '../core/ledger/asert.js';
import { fromHex, paymentJson } from '../core/ledger/codec.js';
import type { GenesisSpec } from '../core/ledger/genesis.js';
import { addressOf, parseAddress, publicKeyOf } from '../core/ledger/keys.js';
import { createLedgerProfile, type LedgerProfile } from '../core/ledger/ledger-profile.js';
import { signPayment } from '../core/ledger/transaction.js';
import { BlockforgeNode } from '../node/blockforge-node.js';
import { verifySignatureFast } from '../node/ed25519-verify.js';
import { InlineSolver } from '../node/miner.js';

/** A key the lab signs with (deterministic: the lab's wallets are not secrets). */
export interface LabWallet {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly address: string;
}

/** A payment's JSON signed by `from` (a wallet signs exactly this), for `chain` (this network's by default). */
export function signedPayment(
  profile: LedgerProfile,
  from: LabWallet,
  to: string,
  amount: bigint,
  options: { nonce?: bigint; fee?: bigint; chain?: string } = {},
): JsonObject {
  const fields = {
    chain: fromHex(options.chain ?? profile.chainId),
    from: from.publicKey,
    to: parseAddress(profile.genesis.hrp, to),
    amount,
    fee: options.fee ?? 1_000n,
    nonce: options.nonce ?? 0n,
  };
  return paymentJson(fields, signPayment(fields, from.secretKey), profile.genesis.hrp);
}

/** Address prefix of the lab's network. */
export const LAB_HRP = 'bfl';

/** Genesis time of the lab's network (any fixed instant: the clock is simulated). */
export const LAB_GENESIS_TIME = 1_800_000_000;

/** A lab wallet whose secret key is 32 bytes of `n`. */
export function labWallet(n: number): LabWallet {
  const secretKey = new Uint8Array(32).fill(n);
  const publicKey = publicKeyOf(secretKey);
  return { secretKey, publicKey, address: addressOf(LAB_HRP, publicKey) };
}

/**
 * The lab's network: the ledger's rules with the target pinned at the easiest value. Its `block_time`
 * is 1 s while the lab's blocks come seconds to minutes apart, so ASERT always finds the chain behind
 * schedule and its target stays clamped at the floor (2^256 - 1); its half-life of 10^8 s means a
 * block early by any realistic amount moves the target by far less than the factor 2 that would make
 * a block's work 2. Every block's work is 1 ({@link LabWorld.mine} checks it), fork choice by most work
 * is fork choice by length, and both branches of a race are measured in the papers' unit.
 */
export function labGenesis(allocations: readonly [LabWallet, bigint][]): GenesisSpec {
  return {
    network: 'lab',
    hrp: LAB_HRP,
    blockTime: 1,
    halfLife: 100_000_000,
    initialTarget: MAX_TARGET,
    reward: 50_0000_0000n,
    halvingInterval: 0,
    maturity: 10,
    time: LAB_GENESIS_TIME,
    allocations: allocations.map(([w, amount]) => ({ address: w.address, amount })),
  };
}

/** One node of the world. */
export interface LabNode {
  readonly name: string;
  readonly node: BlockforgeNode;
  readonly dataDir: string;
}

/** Folders of open lab nodes, removed when the process exits even if a run is cut short. */
const openDirs = new Set<string>();
let exitHook = false;

/** A folder for throwaway databases: in RAM where the system offers it (no fsync cost). */
function scratchDir(): string {
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const dir of openDirs) rmSync(dir, { recursive: true, force: true });
    });
  }
  const base = process.platform === 'linux' ? '/dev/shm' : tmpdir();
  let dir: string;
  try {
    dir = mkdtempSync(join(base, 'blockforge-lab-'));
  } catch {
    dir = mkdtempSync(join(tmpdir(), 'blockforge-lab-'));
  }
  openDirs.add(dir);
  return dir;
}

function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  openDirs.delete(dir);
}

/** What {@link LabWorld.deliver} did. */
export type Delivery = 'nothing-new' | 'appended' | 'reorg' | 'kept';

/** Real nodes on a simulated clock. */
export class LabWorld {
  readonly profile: LedgerProfile;
  private time: number;
  private readonly nodes: LabNode[] = [];
  private closed = false;

  constructor(genesis: GenesisSpec) {
    // The node's verifier (OpenSSL with the rule's verdicts), as `blockforge node` runs it.
    this.profile = createLedgerProfile(genesis, { verifySignature: verifySignatureFast });
    this.time = genesis.time;
  }

  /** Simulated Unix time, seconds. */
  get now(): number {
    return this.time;
  }

  /** Moves the simulated clock forward. */
  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError(`time only moves forward (${seconds})`);
    this.time += seconds;
  }

  /** Opens a node whose rewards pay `beneficiary`, in a throwaway folder, on the simulated clock. */
  addNode(name: string, beneficiary: string): LabNode {
    if (this.closed) throw new Error('the lab world is closed');
    const dataDir = scratchDir();
    try {
      const node = BlockforgeNode.open({
        dataDir,
        profile: this.profile,
        beneficiary,
        solver: new InlineSolver(),
        clock: () => this.time,
      });
      const labNode = { name, node, dataDir };
      this.nodes.push(labNode);
      return labNode;
    } catch (err) {
      removeDir(dataDir);
      throw err;
    }
  }

  /** `n` mines one block on its tip, dated now, with what its mempool offers. */
  async mine(n: LabNode): Promise<Block> {
    const block = (await n.node.mine()).block;
    if (block.work !== 1n)
      throw new Error(`block ${block.height} carries work ${block.work}, not 1: the lab's target moved`);
    return block;
  }

  /**
   * Hands `to` the blocks of `from`'s chain it lacks (up to `upTo` height): appended one by one when
   * they extend its tip, else validated as a branch and offered to its fork choice.
   */
  deliver(from: LabNode, to: LabNode, upTo = from.node.chain.length): Delivery {
    // Walked back from the tips (forks are short), never copying whole chains.
    const theirs = from.node.chain;
    const ours = to.node.chain;
    const end = Math.min(upTo, theirs.length);
    let common = Math.min(end, ours.length);
    while (common > 0 && (theirs[common - 1] as Block).hash !== (ours[common - 1] as Block).hash) common--;
    if (common === 0) throw new Error(`${from.name} and ${to.name} share no genesis`);
    if (common === end) return 'nothing-new';
    const branch = theirs.slice(common, end);
    if (common === ours.length) {
      for (const block of branch) {
        const result = to.node.offerBlock(block.json, from.name);
        if (result !== 'appended') throw new Error(`${to.name} did not append block ${block.height}: ${result}`);
      }
      return 'appended';
    }
    const validated = validateBranch(
      this.profile,
      to.node.viewAt(common),
      branch.map((b) => b.json),
    );
    return to.node.adoptBranch(common, validated, from.name) ? 'reorg' : 'kept';
  }

  /** A payment signed by `from`, parsed by the client policy's parser (what `POST /transactions` does). */
  payment(from: LabWallet, to: string, amount: bigint, nonce: bigint, fee = 1000n) {
    return this.profile.parseTransaction(
      parseJson(writeJson(signedPayment(this.profile, from, to, amount, { nonce, fee }))),
    );
  }

  /** Closes every node and deletes its folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const n of this.nodes) {
      try {
        await n.node.close();
      } finally {
        removeDir(n.dataDir);
      }
    }
  }
}
