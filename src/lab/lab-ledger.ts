/**
 * Throwaway ledger networks for the protocol attacks (`protocol-attacks.ts`): a small network with
 * the devnet's schedule (10 s blocks, a 100 s half-life) but blocks of about 4,096 hashes, signed
 * payments, blocks forged exactly as an attacker would (any transactions, any time, any target,
 * with a real proof of work), real nodes in temporary folders on a virtual clock, and a scripted
 * peer reached through the node's own {@link PeerTransport} seam.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Transaction } from '../core/block.js';
import { canonicalJson } from '../core/canonical.js';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { type JsonObject, type JsonValue, parseJson, writeJson } from '../core/json.js';
import {
  blockJson,
  blockSize,
  clientTxError,
  decodePayment,
  LedgerBlock,
  type LedgerHeader,
  makeCoinbase,
  makeHeader,
  merkleOf,
  type Payment,
} from '../core/ledger/codec.js';
import { blockReward, type GenesisSpec, targetForExpectedHashes, targetHex } from '../core/ledger/genesis.js';
import { createLedgerProfile, type LedgerProfile, nextTarget } from '../core/ledger/ledger-profile.js';
import { MAX_PROOF, searchProof, zerosOfTarget } from '../core/pow.js';
import type { ChainView } from '../core/profile.js';
import { verifySignatureFast } from '../node/ed25519-verify.js';
import { InlineSolver } from '../node/miner.js';
import { closeNode, type NodeServices, openNode } from '../node/open-node.js';
import type { PeerAddress } from '../node/peer-address.js';
import { type PeerRequest, type PeerResponse, type PeerTransport, peerHttpError } from '../node/peer-client.js';
import { PeerError } from '../node/peer-error.js';
import { LAB_GENESIS_TIME, LAB_HRP, type LabWallet } from './lab-world.js';

export { signedPayment } from './lab-world.js';

/** Expected hashes of a block at the protocol network's initial target. */
export const PROTOCOL_BLOCK_HASHES = 4096n;

/**
 * The protocol attacks' network: the devnet's block time and half-life (so a figure about time
 * is the devnet's), blocks of about {@link PROTOCOL_BLOCK_HASHES} hashes, a reward locked for 10
 * blocks, and the given allocations. `overrides` make another network (another `time` gives
 * another genesis, so another chain id).
 */
export function protocolGenesis(
  allocations: readonly [LabWallet, bigint][],
  overrides: Partial<GenesisSpec> = {},
): GenesisSpec {
  return {
    network: 'lab-protocol',
    hrp: LAB_HRP,
    blockTime: 10,
    halfLife: 100,
    initialTarget: targetForExpectedHashes(PROTOCOL_BLOCK_HASHES),
    reward: 50_0000_0000n,
    halvingInterval: 0,
    maturity: 10,
    time: LAB_GENESIS_TIME,
    allocations: allocations.map(([w, amount]) => ({ address: w.address, amount })),
    ...overrides,
  };
}

/** The ledger profile of `spec`, with the node's signature verifier (as `blockforge node` runs it). */
export function protocolProfile(spec: GenesisSpec): LedgerProfile {
  return createLedgerProfile(spec, { verifySignature: verifySignatureFast });
}

/** A copy of untrusted JSON, as it arrives over the wire (a fresh object the receiver owns). */
export function wire(value: JsonValue): JsonValue {
  return parseJson(writeJson(value), { nonFinite: true });
}

/**
 * A payment decoded by its shape alone (rule L1), its signature unchecked: what an attacker puts
 * in a block it forges, where only the receiver's rules will judge it.
 */
export function unchecked(profile: LedgerProfile, payment: JsonValue): Payment {
  return decodePayment(wire(payment), profile.genesis.hrp, clientTxError);
}

/** A header's nonce that meets `fields.target`: the smallest, found by the reference search. */
export function solveHeader(fields: {
  height: number;
  parent: string;
  merkle: string;
  time: number;
  target: bigint;
}): number {
  // The nonce's digits sit inside the canonical text, between "nonce": and , "parent" (spec section 4).
  const text = canonicalJson(makeHeader({ ...fields, nonce: 0 }).json);
  const cut = text.indexOf('"nonce": 0, ') + '"nonce": '.length;
  const hex = targetHex(fields.target);
  const { proof } = searchProof(
    { prefix: text.slice(0, cut), suffix: text.slice(cut + 1), difficulty: zerosOfTarget(hex), target: hex },
    0,
    MAX_PROOF,
  );
  if (proof === null) throw new BlockforgeError(ErrorCode.Internal, 'no nonce below 2^53 meets the target');
  return proof;
}

/** What an attacker chooses of a block it forges. */
export interface ForgeChoices {
  /** The payments after the reward, in order, whatever they are. */
  readonly payments?: readonly Payment[];
  /** Its time (any: the receiver's rules judge it). */
  readonly time: number;
  /** Its target; ASERT's for its parent unless given. */
  readonly target?: bigint;
}

/**
 * The block after `parent` with exactly the attacker's choices and a real proof of work: the
 * reward claims the block reward plus the payments' fees, the header the merkle root of them all.
 * Nothing is checked (the template's policy would leave a replayed or unaffordable payment out).
 */
export function forgeBlock(
  profile: LedgerProfile,
  parent: ChainView,
  miner: string,
  choices: ForgeChoices,
): LedgerBlock {
  const spec = profile.genesis;
  const height = parent.height + 1;
  const header = (h: number): LedgerHeader => profile.headers.headerOf(parent.block(h)) as LedgerHeader;
  const payments = choices.payments ?? [];
  let fees = 0n;
  for (const p of payments) fees += p.fee;
  const transactions = [makeCoinbase(height, miner, blockReward(spec, height) + fees, spec.hrp), ...payments];
  const fields = {
    height,
    parent: parent.block(parent.height).hash,
    merkle: merkleOf(transactions),
    time: choices.time,
    target: choices.target ?? nextTarget(spec, parent.height, header),
  };
  const sealed = makeHeader({ ...fields, nonce: solveHeader(fields) });
  return new LedgerBlock(sealed, transactions, blockJson(sealed, transactions), blockSize(sealed, transactions));
}

/** Block JSON with the header of `block` and other transactions (a mutation: the header is kept). */
export function withTransactions(block: LedgerBlock, transactions: readonly Transaction[]): JsonObject {
  return blockJson(block.header, transactions);
}

/** A virtual clock, Unix seconds: moves only when told. */
export class LabClock {
  constructor(private time: number) {}
  get now(): number {
    return this.time;
  }
  /** Moves the clock forward. */
  advance(seconds: number): void {
    this.time += seconds;
  }
  /** The clock as a node reads it. */
  readonly read = (): number => this.time;
}

/** A transport that reaches nobody (a node that is never to talk to a peer). */
export const nowhere: PeerTransport = {
  request(peer) {
    return Promise.reject(
      new PeerError(ErrorCode.PeerUnreachable, `${peer.key} is not on the lab's network`, { misbehaved: false }),
    );
  },
};

/** A scripted peer's answer. */
export interface ScriptedAnswer {
  readonly status: number;
  readonly body: string;
}

/** One request the node made to a scripted peer. */
export interface ScriptedExchange {
  readonly peer: string;
  readonly method: string;
  /** Path without the query string. */
  readonly route: string;
  readonly path: string;
  readonly bytes: number;
}

/**
 * Scripted peers behind the node's {@link PeerTransport}: each answers whatever its handler says,
 * on a later turn of the event loop (as a socket would), within the node's byte limit. Every
 * request is logged.
 */
export class ScriptedPeers implements PeerTransport {
  readonly log: ScriptedExchange[] = [];
  private readonly handlers = new Map<string, (request: PeerRequest) => ScriptedAnswer>();

  /** Scripts the peer at `address` (`host:port`). */
  add(address: string, handler: (request: PeerRequest) => ScriptedAnswer): void {
    this.handlers.set(address, handler);
  }

  async request(peer: PeerAddress, request: PeerRequest, limits: { maxBytes: number }): Promise<PeerResponse> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const handler = this.handlers.get(peer.key);
    if (!handler) {
      throw new PeerError(ErrorCode.PeerUnreachable, `${peer.key} is not on the lab's network`, { misbehaved: false });
    }
    const answer = handler(request);
    this.log.push({
      peer: peer.key,
      method: request.method,
      route: request.path.split('?')[0] as string,
      path: request.path,
      bytes: answer.body.length,
    });
    if (answer.body.length > limits.maxBytes) {
      throw new PeerError(ErrorCode.PeerTooLarge, `sent more than the ${limits.maxBytes}-byte limit`, {
        misbehaved: true,
      });
    }
    if (answer.status < 200 || answer.status > 299) throw peerHttpError(answer.status);
    return { status: answer.status, headers: {}, body: answer.body };
  }
}

/** A folder for a throwaway database: in RAM where the system offers it (no fsync cost). */
function scratchDir(): string {
  const base = process.platform === 'linux' ? '/dev/shm' : tmpdir();
  try {
    return mkdtempSync(join(base, 'blockforge-lab-'));
  } catch {
    return mkdtempSync(join(tmpdir(), 'blockforge-lab-'));
  }
}

/** Port the lab's nodes say they serve on (they never listen). */
const LAB_PORT = 5999;

/** A real node (storage, mempool, fork choice, peer network) in a throwaway folder. */
export interface LabLedgerNode extends NodeServices {
  readonly dataDir: string;
  /** Closes the node and deletes its folder. */
  close(): Promise<void>;
}

/** Opens a real node of `profile` on `clock`, paying `beneficiary`, reaching peers through `transport`. */
export function openLabNode(
  profile: LedgerProfile,
  clock: LabClock,
  beneficiary: string,
  transport: PeerTransport = nowhere,
): LabLedgerNode {
  const dataDir = scratchDir();
  let services: NodeServices;
  try {
    services = openNode({
      dataDir,
      profile,
      beneficiary,
      port: LAB_PORT,
      solver: new InlineSolver(),
      clock: clock.read,
      transport,
      network: { syncIntervalMs: 0, banSeconds: 3_600 },
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...services,
    dataDir,
    async close() {
      try {
        await closeNode(services);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** What an action came to: the error code that stopped it, or what it returned. */
export interface Outcome {
  /** The BlockforgeError's code, or null when the action went through. */
  readonly code: string | null;
  /** The code, or the action's own answer (`appended`, `stale`...), or `accepted`. */
  readonly value: string;
}

/** Runs `action`; a BlockforgeError (a ChainRuleError, a PeerError) is its outcome, anything else a defect. */
export async function outcomeOf(action: () => unknown): Promise<Outcome> {
  try {
    const result = await action();
    return { code: null, value: typeof result === 'string' ? result : 'accepted' };
  } catch (err) {
    if (err instanceof BlockforgeError) return { code: err.code, value: err.code };
    throw err;
  }
}
