/**
 * The two kinds of peer, as two adapters behind one interface: a blockforge node (status, fork
 * point from a locator, pages of blocks, pushes) and a tutorial node (only the tutorial's five
 * routes: its whole `/chain`, never pushed to). The sync loop talks to a peer only through these.
 */

import type { Block } from '../core/block.js';
import { BranchValidator, chainEnvelope, HeaderValidator, type ValidatedBranch } from '../core/chain.js';
import { ChainRuleError, ErrorCode } from '../core/errors.js';
import {
  fromPlain,
  isJsonObject,
  JsonNumber,
  type JsonObject,
  type JsonValue,
  parseJson,
  writeJson,
} from '../core/json.js';
import type { BlockHeader, ChainView, RuleProfile } from '../core/profile.js';
import type { NodeLogger } from './blockforge-node.js';
import { MAX_PEER_BLOCK_BYTES, PAGE_ANSWER_BYTES, SYNC_BYTES_IN_FLIGHT, SYNC_PAGES_IN_FLIGHT } from './limits.js';
import type { PeerAddress } from './peer-address.js';
import { NODE_ID_HEADER, type PeerRequestLimits, type PeerResponse, type PeerTransport } from './peer-client.js';
import { PeerError } from './peer-error.js';
import type { PeerTip } from './peer-registry.js';

/** Blocks per page when syncing (and the most `GET /blocks` serves at once). */
export const SYNC_PAGE = 500;
/** Headers per page in a headers-first sync (the most `GET /headers` serves at once). */
export const HEADER_PAGE = 2000;
/** Entries a locator may have. */
export const MAX_LOCATOR = 128;
/** Most blocks one sync may fetch. */
const MAX_SYNC_BLOCKS = 2_000_000;
/**
 * Characters of block pages one sync fetches at most (about the bytes, as JSON is mostly ASCII):
 * with the validated blocks, and the page text their stored text is sliced from, kept until
 * adoption, this bounds a sync's memory.
 */
const MAX_SYNC_BYTES = 256 * 1024 * 1024;
/**
 * A long sync is adopted as it goes, in parts of at most this many blocks or {@link ADOPT_EVERY_BYTES}
 * of page text, once what it validated beats our chain: each part one transaction, so the node
 * answers its clients between them (measured: adopting 20,000 blocks at once held the event loop
 * ~130 ms, ~375 ms before the wire text was kept; it grows with the sync), and storing a part
 * overlaps with the peer serving the next pages.
 */
export const ADOPT_EVERY_BLOCKS = 5_000;
/** See {@link ADOPT_EVERY_BLOCKS}. */
export const ADOPT_EVERY_BYTES = 4 * 1024 * 1024;
/** Time one automatic sync with one peer may take, all pages included. */
export const SYNC_DEADLINE_MS = 120_000;
/** Small answers (status, locate, hello): a peer sending more is misbehaving. */
export const SMALL_ANSWER_BYTES = 64 * 1024;
/**
 * Deepest JSON a chain answer may nest. A tutorial block holds its clients' values as they came
 * (any JSON), as deep as CPython's `json` reads and writes them: its recursion limit (1000) stops
 * it below this, so an honest tutorial chain always fits.
 */
const CHAIN_MAX_DEPTH = 1_100;

/** What the sync needs of the local chain. */
export interface LocalChain {
  readonly nodeId: string;
  readonly profile: RuleProfile;
  readonly chain: readonly Block[];
  /** Total work of our chain. */
  readonly chainWork: bigint;
  /** Our chain up to `height`, as the rules see it. */
  viewAt(height: number): ChainView;
  /** Total work of our blocks 1..height. */
  workAt(height: number): bigint;
  /**
   * Verifies in bulk, ahead of validation, what can be verified in parallel (signatures);
   * validation still checks everything. Called with each fetched page before it is validated.
   */
  readonly precheck?: ((values: readonly JsonValue[]) => Promise<void>) | undefined;
}

/** What a probe learned about a peer. */
export interface Probe {
  /** Its chain's height, as it says (blockforge) or counted (tutorial). */
  readonly height: number;
  /** Its chain's total work, as it says (blockforge) or computed (tutorial, when validated). */
  readonly work: bigint;
  /** Its node id, when it said. */
  readonly nodeId?: string;
  /** Why it cannot be synced with (other rules), or undefined. */
  readonly incompatible?: string;
  /** Its chain as it showed it (tip and genesis hashes, rules), for the network view. */
  readonly tip?: Omit<PeerTip, 'seenAt'>;
  /** A branch already fetched and validated during the probe (a tutorial chain that may win). */
  readonly branch?: { readonly forkHeight: number; readonly branch: ValidatedBranch };
}

/** A branch to adopt: validated blocks on top of our block `forkHeight`. */
export interface FetchedBranch {
  readonly forkHeight: number;
  readonly branch: ValidatedBranch;
  /**
   * `texts[k]`, where known: block k's text as the peer sent it, proven equal to `writeJson` of
   * its JSON ({@link wireText}), so it is stored as it came instead of written again.
   */
  readonly texts?: readonly (string | undefined)[];
}

/** A page of blocks being fetched, in the order it is to be validated. */
interface PageSlot {
  readonly from: number;
  readonly limit: number;
  /** Bytes held for it against SYNC_BYTES_IN_FLIGHT: its cap until it arrives, then its length. */
  bytes: number;
  readonly answer: Promise<FetchedPage>;
}

/** A page as it arrived: its text, its blocks (untrusted), and its precheck under way. */
interface FetchedPage {
  readonly body: string;
  readonly blocks: JsonValue[];
  readonly prechecked: Promise<void>;
}

/** Context of every exchange: how to reach peers, and within which limits. */
export interface PeerContext {
  readonly transport: PeerTransport;
  /** Limits for chain-sized answers (`/chain`, block pages). */
  readonly limits: PeerRequestLimits;
  /** Limits for small answers. */
  readonly smallLimits: PeerRequestLimits;
  /** Time one sync with one peer may take, all pages included. */
  readonly syncDeadlineMs: number;
  readonly local: LocalChain;
  /** This node's clock, Unix seconds (blocks dated too far ahead are not taken yet). */
  readonly clock: () => number;
  /** Where a failed precheck is said (at debug: validation decides). */
  readonly logger?: NodeLogger;
  /**
   * Adopts a validated part of a branch while the sync goes on (it has more work than our chain);
   * says whether it did. Without it, the branch is only returned, whole, at the end.
   */
  readonly adoptPart?: (part: FetchedBranch) => boolean;
  /** How much a part adopted during a sync holds at most (tests); ADOPT_EVERY_* by default. */
  readonly adoptEvery?: { readonly blocks: number; readonly bytes: number };
}

/** One kind of peer. */
export interface PeerKindAdapter {
  readonly kind: 'blockforge' | 'tutorial';
  /** Whether blocks and transactions are pushed to it. */
  readonly takesPushes: boolean;
  /** Learns the peer's height and work. Throws a PeerError, a ChainRuleError, or {@link NotThisKind}. */
  probe(peer: PeerAddress, ctx: PeerContext): Promise<Probe>;
  /** Fetches and validates what the peer has beyond our common blocks. */
  fetchBranch(peer: PeerAddress, probe: Probe, ctx: PeerContext): Promise<FetchedBranch>;
}

/** The peer does not speak this adapter's protocol (try the other kind). */
export class NotThisKind extends Error {}

/** A peer answer that an honest node never gives. */
export const misbehaving = (message: string): PeerError =>
  new PeerError(ErrorCode.PeerBadResponse, message, { misbehaved: true });

/** The chain, ours or the peer's, moved during a sync: no one's fault, try again next round. */
const changedDuringSync = (message: string): PeerError =>
  new PeerError(ErrorCode.PeerChainMoved, message, { misbehaved: false });

const selfError = (): PeerError =>
  new PeerError(ErrorCode.PeerIsSelf, 'this address is this node itself', { misbehaved: false });

/** Parses a peer's answer as Python writes JSON (NaN and Infinity allowed); garbage is misbehaviour. */
/**
 * Rethrows `err` from checking a page (headers or blocks) whose first entry is at `first`, as a
 * moved chain when that entry does not link to the one before it: the peer switched branches
 * between our requests (an honest node does; on the first page, after answering /peer/locate),
 * which is no forgery.
 */
function throwMovedOr(err: unknown, first: number): never {
  if (err instanceof ChainRuleError && err.code === ErrorCode.PreviousHashMismatch && err.blockIndex === first) {
    throw changedDuringSync("the peer's chain changed during the sync; the next round starts again");
  }
  throw err;
}

function parseAnswer(body: string, maxDepth: number): JsonValue {
  try {
    return parseJson(body, { maxDepth, nonFinite: true });
  } catch (err) {
    throw misbehaving(`answer is not valid JSON: ${(err as Error).message}`);
  }
}

/** Parses a JSON object answer from a peer. */
export function parseJsonAnswer(body: string, maxDepth = 8): JsonObject {
  const value = parseAnswer(body, maxDepth);
  if (!isJsonObject(value)) throw misbehaving('answer is not a JSON object');
  return value;
}

async function get(
  peer: PeerAddress,
  path: string,
  ctx: PeerContext,
  limits: PeerRequestLimits,
  transport: PeerTransport = ctx.transport,
): Promise<PeerResponse> {
  const response = await transport.request(
    peer,
    { method: 'GET', path, headers: { [NODE_ID_HEADER]: ctx.local.nodeId } },
    limits,
  );
  if (response.headers[NODE_ID_HEADER] === ctx.local.nodeId) throw selfError();
  return response;
}

/** Height or count: a positive decimal integer of at most 16 digits, or null. */
function positiveInt(value: JsonValue | undefined): number | null {
  return value instanceof JsonNumber && /^[1-9][0-9]{0,15}$/.test(value.text) ? Number(value.text) : null;
}

/** Blocks both chains share from genesis, compared by hash. */
function commonPrefix(ours: readonly Block[], theirs: readonly Block[]): number {
  let common = 0;
  const limit = Math.min(ours.length, theirs.length);
  while (common < limit && ours[common]?.hash === theirs[common]?.hash) common++;
  return common;
}

/** A tutorial node: the only way it offers its chain is all of it, at `/chain`. */
export const tutorialPeers: PeerKindAdapter = {
  kind: 'tutorial',
  takesPushes: false,

  async probe(peer, ctx) {
    let response: PeerResponse;
    try {
      response = await get(peer, '/chain', ctx, ctx.limits);
    } catch (err) {
      // A tutorial node's whole chain may simply have grown past our limit: honest, not misbehaving.
      if (err instanceof PeerError && err.code === ErrorCode.PeerTooLarge) {
        throw new PeerError(err.code, `its whole chain is ${err.message}`, { misbehaved: false });
      }
      throw err;
    }
    const value = parseAnswer(response.body, CHAIN_MAX_DEPTH);
    const chain = chainEnvelope(value);
    // Python's valid_chain reads every block's proof, and every block's previous_hash after the
    // first: a tutorial node never holds, so never serves, a chain without them.
    const readable = (block: JsonValue, k: number): boolean =>
      isJsonObject(block) && block.proof !== undefined && (k === 0 || block.previous_hash !== undefined);
    if (!chain.every(readable)) {
      throw misbehaving("the chain holds a block that the tutorial's own valid_chain cannot read");
    }
    const local = ctx.local;
    const tip = tutorialTip(local.profile, chain);
    // A chain whose genesis block our rules refuse is another network (a ledger node meeting a
    // tutorial one, or another difficulty's genesis): incompatible, not a liar.
    if (chain.length > 0) {
      try {
        local.profile.connectBlock(local.profile.decodeBlock(chain[0] as JsonValue, 1), null);
      } catch (err) {
        if (!(err instanceof ChainRuleError)) throw err;
        return {
          height: chain.length,
          work: 0n,
          tip,
          incompatible: `its genesis block is not valid under our ${local.profile.name} rules (${err.message}): another network`,
        };
      }
    }
    // Tutorial peers exist only on tutorial networks, where every block's work is 1: a chain
    // without more blocks than ours cannot win and is not worth validating (the tutorial skips it too).
    if (chain.length <= local.chain.length) {
      return { height: chain.length, work: BigInt(chain.length), tip: { ...tip, work: String(chain.length) } };
    }
    await precheck(local, chain, ctx);
    const validated = new BranchValidator(local.profile, null, MAX_PEER_BLOCK_BYTES).add(chain).result;
    let work = 0n;
    for (const block of validated.blocks) work += block.work;
    const forkHeight = commonPrefix(local.chain, validated.blocks);
    return {
      height: validated.blocks.length,
      work,
      tip: { ...tip, work: work.toString() },
      branch: {
        forkHeight,
        branch: { blocks: validated.blocks.slice(forkHeight), diffs: validated.diffs.slice(forkHeight) },
      },
    };
  },

  async fetchBranch(_peer, probe) {
    if (!probe.branch) throw misbehaving('no chain to adopt');
    return probe.branch;
  },
};

/** Keys of `/peer/status` that are not the profile's parameters. */
const STATUS_KEYS = new Set(['node_id', 'profile', 'height', 'work', 'tip', 'genesis']);

/** A tutorial chain's tip and genesis hashes as our rules compute them (null where they cannot). */
function tutorialTip(profile: RuleProfile, chain: readonly JsonValue[]): Omit<PeerTip, 'seenAt'> {
  const hashOf = (k: number): string | null => {
    try {
      return chain[k] === undefined ? null : profile.decodeBlock(chain[k] as JsonValue, k + 1).hash;
    } catch {
      return null;
    }
  };
  return {
    height: chain.length,
    hash: hashOf(chain.length - 1),
    work: null,
    genesis: hashOf(0),
    profile: null,
    params: {},
  };
}

/** A blockforge node: status, fork point, then only the blocks we lack, in pages. */
export const blockforgePeers: PeerKindAdapter = {
  kind: 'blockforge',
  takesPushes: true,

  async probe(peer, ctx) {
    let response: PeerResponse;
    try {
      response = await get(peer, '/peer/status', ctx, ctx.smallLimits);
    } catch (err) {
      if (err instanceof PeerError && err.missingRoute) throw new NotThisKind();
      throw err;
    }
    let status: JsonObject;
    try {
      status = parseJsonAnswer(response.body);
    } catch {
      throw new NotThisKind(); // some tutorial-protocol nodes answer every path
    }
    const height = positiveInt(status.height);
    if (height === null || typeof status.node_id !== 'string') throw new NotThisKind();
    if (status.node_id === ctx.local.nodeId) throw selfError();
    const work = status.work;
    const claimed = typeof work === 'string' && /^[0-9]{1,80}$/.test(work) ? BigInt(work) : BigInt(height);
    const profile = ctx.local.profile;
    // Any JSON a peer sent, as text (its objects have no prototype: String() would throw on them).
    const theirs = (key: string): string => {
      const value = status[key];
      return value === undefined ? 'nothing' : typeof value === 'string' ? value : writeJson(value);
    };
    const mismatch =
      status.profile !== profile.name || Object.entries(profile.params).some(([k, v]) => theirs(k) !== String(v));
    const describeRules = (name: string, read: (key: string) => string): string =>
      `${name}${Object.keys(profile.params)
        .map((k) => ` ${k} ${read(k)}`)
        .join(',')}`;
    const hex = (value: JsonValue | undefined): string | null =>
      typeof value === 'string' && /^[0-9a-f]{1,128}$/.test(value) ? value : null;
    const params: Record<string, string> = {};
    for (const key of Object.keys(status).slice(0, 16)) {
      if (!STATUS_KEYS.has(key)) params[key] = theirs(key).slice(0, 200);
    }
    return {
      height,
      work: claimed,
      nodeId: status.node_id,
      tip: {
        height,
        hash: hex(status.tip),
        work: claimed.toString(),
        genesis: hex(status.genesis),
        profile: typeof status.profile === 'string' ? status.profile.slice(0, 100) : null,
        params,
      },
      ...(mismatch
        ? {
            incompatible: `runs ${describeRules(theirs('profile'), theirs)}, we run ${describeRules(profile.name, (k) => String(profile.params[k]))}`,
          }
        : {}),
    };
  },

  async fetchBranch(peer, probe, ctx) {
    const deadline = performance.now() + ctx.syncDeadlineMs;
    const local = ctx.local;
    const ours = local.chain;
    const locator = buildLocator(ours);
    const located = parseJsonAnswer(
      (
        await ctx.transport.request(
          peer,
          {
            method: 'POST',
            path: '/peer/locate',
            body: writeJson(fromPlain({ locator })),
            headers: { [NODE_ID_HEADER]: local.nodeId },
          },
          ctx.smallLimits,
        )
      ).body,
    );
    const common = located.common;
    const forkHeight = common instanceof JsonNumber && /^[0-9]{1,16}$/.test(common.text) ? Number(common.text) : -1;
    if (forkHeight !== 0 && !locator.some((l) => l.index === forkHeight)) {
      throw misbehaving('/peer/locate answered an index that is not in our locator');
    }
    // Our chain may have changed while the peer answered (another sync adopted a fork): its answer
    // is about the chain we had, so no fault of its own.
    if (forkHeight > 0 && local.chain[forkHeight - 1]?.hash !== ours[forkHeight - 1]?.hash) {
      throw changedDuringSync('our chain changed during the sync; the next round starts again');
    }
    let target = Math.min(probe.height, forkHeight + MAX_SYNC_BLOCKS);
    // Headers first, where the profile's proof of work covers a header (the ledger): the branch's
    // work is checked before any body is fetched, so a forged long chain costs its maker real work
    // before it costs us a download.
    const headerRules = local.profile.headers;
    let headers: HeaderValidator | null = null;
    // A peer on our network (its status named our genesis) shares our genesis block at least.
    if (headerRules && forkHeight === 0)
      throw misbehaving('/peer/locate answered no common block, yet the peer runs our genesis');
    if (headerRules && forkHeight > 0) {
      headers = new HeaderValidator(headerRules, local.viewAt(forkHeight));
      let from = forkHeight + 1;
      while (from <= target) {
        if (performance.now() > deadline) {
          throw new PeerError(ErrorCode.PeerTimeout, `sync took longer than ${ctx.syncDeadlineMs / 1000} s`, {
            misbehaved: false,
          });
        }
        const limit = Math.min(HEADER_PAGE, target - from + 1);
        const page = parseJsonAnswer(
          (await get(peer, `/headers?from=${from}&limit=${limit}`, ctx, ctx.limits)).body,
          8,
        );
        const list = page.headers;
        if (!Array.isArray(list) || list.length > limit) {
          throw misbehaving(`/headers?from=${from} answered ${Array.isArray(list) ? list.length : 'no'} headers`);
        }
        // Fewer blocks than it said: its chain got shorter meanwhile (a reorg to one with more work).
        if (list.length === 0)
          throw changedDuringSync(`/headers?from=${from} answered no headers; the next round starts again`);
        const first = headers.headers.length + forkHeight + 1;
        try {
          await inSlices(list, (slice) => headers?.add(slice));
        } catch (err) {
          throwMovedOr(err, first);
        }
        from += list.length;
        // Headers dated too far ahead of our clock end the branch here (policy: their blocks are
        // taken once their time has come); nothing after them is fetched.
        const early = firstTooEarly(local.profile, headers.headers, ctx.clock());
        if (early >= 0) {
          target = forkHeight + early;
          break;
        }
      }
      let headerWork = local.workAt(forkHeight);
      const usable = headers.headers.slice(0, target - forkHeight);
      for (const header of usable) headerWork += header.work;
      // An honest node's work only grows: headers carrying less than it claimed are a lie (unless
      // the branch was cut short: at the block limit, or at a block dated ahead of our clock).
      if (target === probe.height && headerWork < probe.work) {
        throw misbehaving(`claimed a chain of work ${probe.work} but its headers carry ${headerWork}`);
      }
      if (headerWork <= local.chainWork) {
        // Not more work than ours: nothing to download (the claim was checked above).
        return { forkHeight, branch: { blocks: [], diffs: [] } };
      }
      // Bodies only as far as the checked headers go.
      target = Math.min(target, forkHeight + usable.length);
    }
    const validator = new BranchValidator(
      local.profile,
      forkHeight === 0 ? null : local.viewAt(forkHeight),
      MAX_PEER_BLOCK_BYTES,
    );
    // Each validated block's wire text when it is the text we would write (or undefined).
    const texts: (string | undefined)[] = [];
    // The pages share a few connections, closed when the sync ends, however it ends.
    const session = ctx.transport.session?.(SYNC_PAGES_IN_FLIGHT);
    const pages = session ?? ctx.transport;
    let received = 0;
    /** A page's answer cap: what an honest page may need, within the peer limit. */
    const pageCap = Math.min(ctx.limits.maxBytes, PAGE_ANSWER_BYTES);
    const pageLimits = pageCap === ctx.limits.maxBytes ? ctx.limits : { ...ctx.limits, maxBytes: pageCap };
    const fetchPage = async (from: number, limit: number): Promise<FetchedPage> => {
      const body = (await get(peer, `/blocks?from=${from}&limit=${limit}`, ctx, pageLimits, pages)).body;
      received += body.length;
      // Parsed on a turn of its own, not in the callback that read the answer: pages arriving
      // together would otherwise be parsed, and the first validated, before any timer or client.
      await nextTurn();
      const page = parseJsonAnswer(body, CHAIN_MAX_DEPTH);
      const blocks = page.blocks;
      if (!Array.isArray(blocks) || blocks.length > limit) {
        throw misbehaving(`/blocks?from=${from} answered ${Array.isArray(blocks) ? blocks.length : 'no'} blocks`);
      }
      if (blocks.length === 0)
        throw changedDuringSync(`/blocks?from=${from} answered no blocks; the next round starts again`);
      // Started as soon as the page is here: the checks that run in parallel (a ledger's
      // signatures) go on while the pages before it are validated.
      return { body, blocks, prechecked: precheck(local, blocks, ctx, from) };
    };
    // Several pages in flight (bounded in count and bytes), each validated in order as it arrives:
    // the peer serves and the network carries the next pages while this node checks one.
    const queue: PageSlot[] = [];
    let heldBytes = 0;
    let nextFrom = forkHeight + 1;
    let capped = false;
    // What was adopted during the sync: our chain now ends with the branch's blocks up to here.
    let adoptedHeight = forkHeight;
    let unadopted = 0;
    let adoptingParts = ctx.adoptPart !== undefined;
    // Our work at the fork point plus every block validated: what the branch would have.
    let validatedWork = local.workAt(forkHeight);
    const every = ctx.adoptEvery ?? { blocks: ADOPT_EVERY_BLOCKS, bytes: ADOPT_EVERY_BYTES };
    const adoptSoFar = (): void => {
      const from = adoptedHeight - forkHeight;
      const all = validator.result;
      let blocks = all.blocks.slice(from);
      // Blocks dated too far ahead are not taken yet: a part ends before the first, and no part
      // is adopted after it (the end of the sync cuts the rest there too).
      const early = firstTooEarly(local.profile, blocks, ctx.clock());
      if (early >= 0) {
        adoptingParts = false;
        blocks = blocks.slice(0, early);
      }
      // Our chain got shorter meanwhile (another sync switched to a shorter branch with more
      // work): no part fits on it now, the end of the sync decides.
      if (adoptedHeight > local.chain.length) {
        adoptingParts = false;
        return;
      }
      if (blocks.length === 0) return;
      let work = local.workAt(adoptedHeight);
      for (const block of blocks) work += block.work;
      if (work <= local.chainWork) return; // not yet more work than ours: fetched on
      const part = {
        forkHeight: adoptedHeight,
        branch: { blocks, diffs: all.diffs.slice(from, from + blocks.length) },
        texts: texts.slice(from, from + blocks.length),
      };
      if (ctx.adoptPart?.(part)) {
        adoptedHeight += blocks.length;
        unadopted = 0;
      } else {
        adoptingParts = false; // our chain moved meanwhile: the end of the sync decides
      }
    };
    const request = (from: number, limit: number, first = false): void => {
      const slot: PageSlot = {
        from,
        limit,
        bytes: pageCap,
        answer: fetchPage(from, limit).then((page) => {
          heldBytes += page.body.length - slot.bytes;
          slot.bytes = page.body.length;
          return page;
        }),
      };
      slot.answer.catch(() => undefined); // observed in order below; one after a failure is moot
      heldBytes += slot.bytes;
      if (first) queue.unshift(slot);
      else queue.push(slot);
    };
    // Past the byte budget of a sync, nothing more is asked for: what was fetched is adopted if it
    // already beats our chain, and the next round goes on from there, so memory stays bounded
    // however long the peer's chain.
    const fill = (): void => {
      while (
        nextFrom <= target &&
        received < MAX_SYNC_BYTES &&
        queue.length < SYNC_PAGES_IN_FLIGHT &&
        heldBytes + pageCap <= SYNC_BYTES_IN_FLIGHT
      ) {
        const limit = Math.min(SYNC_PAGE, target - nextFrom + 1);
        request(nextFrom, limit);
        nextFrom += limit;
      }
    };
    try {
      fill();
      while (queue.length > 0) {
        if (performance.now() > deadline) {
          throw new PeerError(ErrorCode.PeerTimeout, `sync took longer than ${ctx.syncDeadlineMs / 1000} s`, {
            misbehaved: false,
          });
        }
        const slot = queue[0] as PageSlot;
        const page = await slot.answer;
        queue.shift();
        await nextTurn();
        const { blocks } = page;
        if (blocks.length < slot.limit) {
          // A short page (the peer's byte limit per page): the rest of its range comes next, before
          // the pages already asked for. Past the sync's byte budget, the branch ends here.
          if (received < MAX_SYNC_BYTES) request(slot.from + blocks.length, slot.limit - blocks.length, true);
          else {
            capped = true;
            queue.length = 0;
            nextFrom = target + 1;
          }
        }
        fill();
        await page.prechecked;
        const first = validator.height + 1;
        try {
          await inSlices(blocks, (slice) => validator.add(slice));
          if (headers) {
            // Each body must be the block its checked header names.
            const added = validator.result.blocks;
            for (let h = first; h <= validator.height; h++) {
              if (added[h - forkHeight - 1]?.hash !== headers.headers[h - forkHeight - 1]?.hash) {
                throw misbehaving(`block ${h} is not the block its header named`);
              }
            }
          }
        } catch (err) {
          throwMovedOr(err, first);
        }
        pageTexts(page.body, validator.result.blocks, first - forkHeight - 1, texts);
        heldBytes -= slot.bytes;
        unadopted += slot.bytes;
        const validated = validator.result.blocks;
        for (let k = first - forkHeight - 1; k < validated.length; k++) {
          validatedWork += (validated[k] as Block).work;
        }
        fill();
        if (
          adoptingParts &&
          (validator.height - adoptedHeight >= every.blocks || unadopted >= every.bytes) &&
          validatedWork > local.chainWork
        ) {
          await nextTurn(); // a part's commit on a turn of its own too
          adoptSoFar();
        }
      }
    } finally {
      session?.close();
    }
    if (nextFrom <= target) capped = true;
    // An honest node's work only grows: delivering less than it claimed is a lie (unless the
    // sync stopped at its block limit).
    let delivered = local.workAt(forkHeight);
    for (const block of validator.result.blocks) delivered += block.work;
    if (!capped && target === probe.height && delivered < probe.work) {
      throw misbehaving(`claimed a chain of work ${probe.work} but delivered one of work ${delivered}`);
    }
    // What is left after the parts adopted during the sync (all of it when none was).
    const from = adoptedHeight - forkHeight;
    const result =
      from === 0
        ? validator.result
        : { blocks: validator.result.blocks.slice(from), diffs: validator.result.diffs.slice(from) };
    const rest = from === 0 ? texts : texts.slice(from);
    // Blocks dated too far ahead of our clock are not taken yet (the ledger's policy): the branch
    // ends before the first of them; the next rounds take the rest once their time has come.
    const early = firstTooEarly(local.profile, result.blocks, ctx.clock());
    if (early >= 0) {
      return {
        forkHeight: adoptedHeight,
        branch: { blocks: result.blocks.slice(0, early), diffs: result.diffs.slice(0, early) },
        texts: rest.slice(0, early),
      };
    }
    return { forkHeight: adoptedHeight, branch: result, texts: rest };
  },
};

/** Index of the first block or header the profile's arrival policy does not take yet at `now`, or -1. */
function firstTooEarly(profile: RuleProfile, items: readonly (Block | BlockHeader)[], now: number): number {
  if (!profile.checkArrival) return -1;
  return items.findIndex((item) => {
    try {
      profile.checkArrival?.(item, now);
      return false;
    } catch {
      return true;
    }
  });
}

/**
 * Runs the local chain's precheck over untrusted `values`, if it has one. Never fails: a precheck
 * that throws (a block it cannot read, a pool shutting down) is said at debug, and validation,
 * which checks everything, decides.
 */
export async function precheck(
  local: Pick<LocalChain, 'precheck'>,
  values: readonly JsonValue[],
  ctx: { readonly logger?: NodeLogger | undefined },
  from?: number,
): Promise<void> {
  const check = local.precheck;
  if (!check) return;
  try {
    await check(values);
  } catch (err) {
    ctx.logger?.debug({ from, blocks: values.length, reason: (err as Error).message }, 'precheck failed');
  }
}

/** Where the blocks of a page from a blockforge node start (its `/blocks` answer, as it writes it). */
const PAGE_PREFIX = '{"blocks":[';

/**
 * Appends to `texts` the wire text of `blocks[first..]` (a page just validated) as sliced from the
 * page's `body`: each block's slice is kept only where it is exactly `writeJson(block.json)`
 * ({@link wireText}); from the first that is not (another writer's spacing, number spelling or key
 * order), undefined (the node writes those itself).
 */
export function pageTexts(body: string, blocks: readonly Block[], first: number, texts: (string | undefined)[]): void {
  let pos = body.startsWith(PAGE_PREFIX) ? PAGE_PREFIX.length : -1;
  for (let k = first; k < blocks.length; k++) {
    const end = pos < 0 ? -1 : wireText((blocks[k] as Block).json, body, pos);
    if (end < 0) {
      texts.push(undefined);
      pos = -1;
      continue;
    }
    texts.push(body.slice(pos, end));
    pos = body.charCodeAt(end) === 0x2c ? end + 1 : -1;
  }
}

/** Characters `JSON.stringify` escapes (or may: any surrogate, paired or not, takes the slow path). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON.stringify escapes the control characters
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** {@link wireText} for a string: `JSON.stringify(s)` at `pos`, without building it when it is `"s"`. */
function wireString(s: string, text: string, pos: number): number {
  if (!NEEDS_ESCAPE.test(s)) return quotedAt(s, text, pos);
  const quoted = JSON.stringify(s);
  return text.startsWith(quoted, pos) ? pos + quoted.length : -1;
}

/** Where `"s"` ends if `text` holds it at `pos`, else -1. */
function quotedAt(s: string, text: string, pos: number): number {
  if (text.charCodeAt(pos) !== 0x22 || !text.startsWith(s, pos + 1)) return -1;
  const end = pos + 1 + s.length;
  return text.charCodeAt(end) === 0x22 ? end + 1 : -1;
}

/**
 * Object keys `JSON.stringify` writes as `"key"` (nothing to escape), as seen so far: a chain's
 * blocks repeat a handful of keys, and testing each again was a third of the walk's time. Bounded:
 * past {@link PLAIN_KEYS_MAX}, keys are tested each time.
 */
const plainKeys = new Set<string>();
const PLAIN_KEYS_MAX = 1024;

/** {@link wireString} for an object key. */
function wireKey(key: string, text: string, pos: number): number {
  if (plainKeys.has(key)) return quotedAt(key, text, pos);
  if (NEEDS_ESCAPE.test(key)) return wireString(key, text, pos);
  if (plainKeys.size < PLAIN_KEYS_MAX) plainKeys.add(key);
  return quotedAt(key, text, pos);
}

/**
 * If `text` holds `writeJson(value)` at `pos`, where it ends; else -1. The same walk as
 * `writeJson` (keys in `Object.keys` order, strings as `JSON.stringify` writes them, numbers as
 * their Python text), comparing instead of building: a stored block's text is the text the node
 * would write, for a third of the cost (measured on 20,000 two-payment blocks: writeJson and the
 * Buffer 115-260 ms, this walk and the slice 35-80 ms, on a busy 2-core machine).
 */
export function wireText(value: JsonValue, text: string, pos: number): number {
  if (value === null) return text.startsWith('null', pos) ? pos + 4 : -1;
  if (typeof value === 'boolean') {
    const word = value ? 'true' : 'false';
    return text.startsWith(word, pos) ? pos + word.length : -1;
  }
  if (typeof value === 'string') return wireString(value, text, pos);
  if (value instanceof JsonNumber) return text.startsWith(value.text, pos) ? pos + value.text.length : -1;
  if (Array.isArray(value)) {
    if (text.charCodeAt(pos) !== 0x5b) return -1;
    let at = pos + 1;
    for (let k = 0; k < value.length; k++) {
      if (k > 0) {
        if (text.charCodeAt(at) !== 0x2c) return -1;
        at++;
      }
      at = wireText(value[k] as JsonValue, text, at);
      if (at < 0) return -1;
    }
    return text.charCodeAt(at) === 0x5d ? at + 1 : -1;
  }
  if (text.charCodeAt(pos) !== 0x7b) return -1;
  let at = pos + 1;
  let first = true;
  // for-in: the same keys in the same order as writeJson's Object.keys (own, enumerable, integer
  // keys first; a JSON object has no prototype), served from V8's enum cache without an array.
  for (const key in value) {
    if (!first) {
      if (text.charCodeAt(at) !== 0x2c) return -1;
      at++;
    }
    first = false;
    at = wireKey(key, text, at);
    if (at < 0 || text.charCodeAt(at) !== 0x3a) return -1;
    at = wireText(value[key] as JsonValue, text, at + 1);
    if (at < 0) return -1;
  }
  return text.charCodeAt(at) === 0x7d ? at + 1 : -1;
}

/** Milliseconds of validation between two turns of the event loop during a sync. */
const SLICE_MS = 25;

/** Resolves on a later turn of the event loop (after pending I/O and timers have had theirs). */
const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs `work` over `items` a few at a time, yielding to the event loop every {@link SLICE_MS}: a
 * page of signed blocks takes seconds to check, and meanwhile the next page's request (sent ahead)
 * must get its connect and timeout events in time, as must every other client of the node.
 */
async function inSlices<T>(items: readonly T[], work: (slice: readonly T[]) => void): Promise<void> {
  let started = performance.now();
  for (let k = 0; k < items.length; k++) {
    work(items.slice(k, k + 1));
    if (performance.now() - started > SLICE_MS && k + 1 < items.length) {
      await nextTurn();
      started = performance.now();
    }
  }
}

/**
 * Heights to ask a peer about: the last ten blocks one by one, then doubling steps back to genesis.
 * A node one block behind finds the fork point in one round trip with ~20 entries, whatever the
 * chain's length.
 */
export function buildLocator(chain: readonly Block[]): { index: number; hash: string }[] {
  const out: { index: number; hash: string }[] = [];
  let index = chain.length;
  let step = 1;
  while (index >= 1 && out.length < MAX_LOCATOR - 1) {
    out.push({ index, hash: (chain[index - 1] as Block).hash });
    if (out.length >= 10) step *= 2;
    index -= step;
  }
  if (out[out.length - 1]?.index !== 1 && chain.length > 0) out.push({ index: 1, hash: (chain[0] as Block).hash });
  return out;
}
