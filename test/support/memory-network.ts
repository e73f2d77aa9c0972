/**
 * A deterministic in-memory network of blockforge nodes, for peer-network tests without sockets,
 * worker threads or timers. Each node is a real node (its own temporary SQLite folder, an
 * {@link InlineSolver}, `syncIntervalMs: 0`) with its built, never listening, Fastify app; peers
 * reach each other through a {@link PeerTransport} that runs `app.inject()` on the destination with
 * the caller's host as remote address, so every route of the peer protocol runs as in production.
 *
 * Addresses are `10.0.0.N:(5000 + N)`: nothing ever connects to them. Each node gets its own port
 * because a node takes an address on a local interface with its own port for itself, and a test
 * machine may well have a `10.0.0.x` address; with distinct ports no peer is ever mistaken for self.
 *
 * Time is virtual: every node reads {@link MemoryNetwork.now} (genesis and block timestamps, peer
 * backoff and bans), which moves only with {@link MemoryNetwork.advance}. All nodes created at the
 * same time therefore share one genesis block. Links can be cut ({@link MemoryNetwork.partition})
 * and restored ({@link MemoryNetwork.heal}); scripted peers ({@link MemoryNetwork.addLiar}) answer
 * whatever a test wants, for lying-peer scenarios. {@link MemoryNetwork.settle} waits, in
 * `setImmediate` turns only, until no request is in flight and nothing changes any more.
 */

import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import type { Block, Transaction } from '../../src/core/block.js';
import { ErrorCode } from '../../src/core/errors.js';
import { parseJson } from '../../src/core/json.js';
import type { RuleProfile } from '../../src/core/profile.js';
import { createProfile } from '../../src/core/profiles.js';
import type { BlockforgeNode } from '../../src/node/blockforge-node.js';
import { InlineSolver } from '../../src/node/miner.js';
import { closeNode, type NodeServices, openNode } from '../../src/node/open-node.js';
import type { PeerAddress } from '../../src/node/peer-address.js';
import {
  type PeerRequest,
  type PeerRequestLimits,
  type PeerResponse,
  type PeerTransport,
  peerHttpError,
} from '../../src/node/peer-client.js';
import { PeerError } from '../../src/node/peer-error.js';
import type { PeerNetwork, ResolveOutcome } from '../../src/node/peer-network.js';
import { tempDir } from './harness.js';

/** One node on the memory network. */
export interface MemoryNode {
  /** Its name in test messages (`A`, `B`, ... unless given). */
  readonly name: string;
  /** `10.0.0.N:PORT`, as peers store it. */
  readonly address: string;
  /** `10.0.0.N`: the remote address its requests come from. */
  readonly host: string;
  readonly port: number;
  readonly node: BlockforgeNode;
  readonly network: PeerNetwork;
  /** Its HTTP API (every route, the peer protocol included), reached with `inject`. */
  readonly app: FastifyInstance;
}

/** A request as a scripted peer sees it. */
export interface LiarRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query string, e.g. `/blocks?from=3&limit=500`. */
  readonly path: string;
  readonly body?: string;
  /** Address of the node asking. */
  readonly from: string;
}

/** A scripted peer's answer: `body` is sent as is when a string, JSON-encoded otherwise. */
export interface LiarAnswer {
  readonly status: number;
  readonly body: string | object;
  readonly headers?: Record<string, string>;
}

/** A scripted peer: answers every request made to its address. */
export type LiarHandler = (request: LiarRequest) => LiarAnswer | Promise<LiarAnswer>;

/**
 * A scripted tutorial node: answers `GET /chain` with `chainText` (counted by `onChain`) and 404 to
 * everything else, as a node with only the tutorial's routes does.
 */
export function tutorialPeer(chainText: string, onChain: () => void = () => undefined): LiarHandler {
  return ({ method, path }) => {
    if (method !== 'GET' || path !== '/chain') return { status: 404, body: 'Not Found' };
    onChain();
    return { status: 200, body: chainText };
  };
}

/** One exchange on the network, for assertions and failure messages. */
export interface ExchangeRecord {
  readonly from: string;
  readonly to: string;
  readonly method: string;
  readonly path: string;
  /** The HTTP status, or the transport error code (e.g. PEER_UNREACHABLE). */
  readonly outcome: number | string;
}

/** Options of {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Rules of every node; `seed` with difficulty 1 by default (a proof in ~16 hashes). */
  readonly profile?: RuleProfile;
  /** Ban time of every node, in (virtual) seconds. */
  readonly banSeconds?: number;
  /** Start of the virtual clock, Unix seconds. */
  readonly startTime?: number;
  /** Who every node's rewards pay (a ledger needs an address); each node's id when omitted. */
  readonly beneficiary?: string;
  /** Whether nodes ask each other for peers (default true); off, the topology is the registrations. */
  readonly peerExchange?: boolean;
}

/** Turns with nothing in flight and nothing changing before {@link MemoryNetwork.settle} returns. */
const QUIET_TURNS = 5;

/** The network. Create one per test (or per file) and {@link MemoryNetwork.closeAll} it. */
export class MemoryNetwork {
  /** The rules every node runs. */
  readonly profile: RuleProfile;
  /** Every exchange so far, oldest first. */
  readonly log: ExchangeRecord[] = [];
  private readonly banSeconds: number;
  private readonly beneficiary: string | undefined;
  private readonly peerExchange: boolean;
  private time: number;
  private readonly nodes = new Map<string, MemoryNode & { services: NodeServices; dataDir: string }>();
  private readonly liars = new Map<string, LiarHandler>();
  /** Cut links, each as `a|b` with a < b. */
  private readonly cut = new Set<string>();
  private nextHost = 1;
  private inflight = 0;
  private exchanges = 0;

  constructor(options: MemoryNetworkOptions = {}) {
    this.profile = options.profile ?? createProfile('seed', { difficulty: 1 });
    this.banSeconds = options.banSeconds ?? 300;
    this.beneficiary = options.beneficiary;
    this.peerExchange = options.peerExchange ?? true;
    this.time = options.startTime ?? 1_700_000_000;
  }

  /** The virtual time, Unix seconds. */
  get now(): number {
    return this.time;
  }

  /** Moves the virtual clock forward (expires backoffs and bans, changes block timestamps). */
  advance(seconds: number): void {
    this.time += seconds;
  }

  /** A fresh address no node or liar has yet. */
  allocateAddress(): { host: string; port: number; address: string } {
    const n = this.nextHost++;
    if (n > 254) throw new Error('the memory network has no more addresses');
    const host = `10.0.0.${n}`;
    const port = 5000 + n;
    return { host, port, address: `${host}:${port}` };
  }

  /** Creates a node at the next address (not started: call {@link start} for pushes). */
  async createNode(
    name?: string,
    at?: { address: string; dataDir: string },
    beneficiary: string | undefined = this.beneficiary,
  ): Promise<MemoryNode> {
    const { host, port, address } = at ? splitAddress(at.address) : this.allocateAddress();
    const dataDir = at?.dataDir ?? tempDir();
    const services = openNode({
      dataDir,
      profile: this.profile,
      port,
      solver: new InlineSolver(),
      ...(beneficiary === undefined ? {} : { beneficiary }),
      transport: this.transportFor(address),
      network: { syncIntervalMs: 0, banSeconds: this.banSeconds, peerExchange: this.peerExchange },
      clock: () => this.time,
    });
    let app: FastifyInstance;
    try {
      app = await buildServer(services);
    } catch (err) {
      await closeNode(services);
      throw err;
    }
    const node = {
      name: name ?? String.fromCharCode(64 + this.nodes.size + 1),
      address,
      host,
      port,
      node: services.node,
      network: services.network,
      app,
      services,
      dataDir,
    };
    this.nodes.set(address, node);
    return node;
  }

  /** Closes a node and opens it again on its data folder, at the same address (a restart). */
  async restart(n: MemoryNode): Promise<MemoryNode> {
    const entry = this.nodes.get(n.address);
    if (!entry) throw new Error(`${n.name} is not on the network`);
    await this.remove(n);
    return this.createNode(n.name, { address: n.address, dataDir: entry.dataDir }, entry.node.beneficiary);
  }

  /** Creates `count` nodes, named A, B, C, ... */
  async createNodes(count: number): Promise<MemoryNode[]> {
    const out: MemoryNode[] = [];
    for (let k = 0; k < count; k++) out.push(await this.createNode());
    return out;
  }

  /**
   * Registers a scripted peer at `address` (e.g. from {@link allocateAddress}); its handler answers
   * every request to it. Reached, and partitioned, like any node. Returns the address.
   */
  addLiar(address: string, handler: LiarHandler): string {
    if (this.nodes.has(address) || this.liars.has(address)) throw new Error(`${address} is taken`);
    this.liars.set(address, handler);
    return address;
  }

  /** Registers `a` and `b` as each other's peers (`network.registerPeers` on both sides). */
  connect(a: MemoryNode, b: MemoryNode): void {
    a.network.registerPeers([b.address]);
    b.network.registerPeers([a.address]);
  }

  /** Connects every pair of `nodes`. */
  connectAll(nodes: readonly MemoryNode[]): void {
    for (let i = 0; i < nodes.length; i++) {
      for (let j = i + 1; j < nodes.length; j++) this.connect(nodes[i] as MemoryNode, nodes[j] as MemoryNode);
    }
  }

  /** Starts the peer network of each node (pushes, hello, one sync round). */
  start(...nodes: MemoryNode[]): void {
    for (const n of nodes.length > 0 ? nodes : this.all()) n.network.start();
  }

  /**
   * Cuts every link between a node (or liar) of `groupA` and one of `groupB`, both ways: requests
   * across fail as PEER_UNREACHABLE. Links within a group are kept.
   */
  partition(groupA: readonly (MemoryNode | string)[], groupB: readonly (MemoryNode | string)[]): void {
    for (const a of groupA) for (const b of groupB) this.cut.add(linkKey(addressOf(a), addressOf(b)));
  }

  /** Restores every cut link. */
  heal(): void {
    this.cut.clear();
  }

  /** The canonical text of a transaction (as the node's rules write it), to find it in chains and mempools. */
  canonical(tx: object): string {
    return this.profile.parseTransaction(parseJson(JSON.stringify(tx))).canonical;
  }

  /** Mines one block on `n` (proof of work on the main thread) and returns it. */
  async mine(n: MemoryNode): Promise<Block> {
    return (await n.node.mine()).block;
  }

  /** Mines `count` blocks on `n`, one after another. */
  async mineMany(n: MemoryNode, count: number): Promise<Block[]> {
    const out: Block[] = [];
    for (let k = 0; k < count; k++) out.push(await this.mine(n));
    return out;
  }

  /** `/nodes/resolve` as the network runs it: a sync round with every peer of `n`. */
  resolve(n: MemoryNode): Promise<ResolveOutcome> {
    return n.network.resolve();
  }

  /**
   * One request to a node's HTTP API (as a client would make it, from 127.0.0.1). Object bodies
   * are JSON-encoded. Resolves with the status and the parsed JSON answer.
   */
  async call(
    n: MemoryNode,
    method: 'GET' | 'POST',
    path: string,
    body?: string | object,
    // biome-ignore lint/suspicious/noExplicitAny: test convenience; tests assert on the shape
  ): Promise<{ status: number; json: any; text: string }> {
    const response = await n.app.inject({
      method,
      url: path,
      ...(body === undefined
        ? {}
        : {
            payload: typeof body === 'string' ? body : JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          }),
      remoteAddress: '127.0.0.1',
    });
    const text = response.body;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.statusCode, json, text };
  }

  /**
   * Waits, one `setImmediate` turn at a time, until no request is in flight and no node's chain,
   * mempool or peer list has changed (nor any request started) for a few turns: pushes, the syncs
   * they trigger and group commits are then done (a typical settle takes about ten turns). Throws
   * after `maxTurns` turns, e.g. on a gossip storm. Returns the turns it took.
   */
  async settle(maxTurns = 1_000): Promise<number> {
    let quiet = 0;
    let last = '';
    for (let turn = 1; turn <= maxTurns; turn++) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const print = this.fingerprint();
      if (this.inflight === 0 && print === last) {
        quiet++;
        if (quiet >= QUIET_TURNS) return turn;
      } else {
        quiet = 0;
      }
      last = print;
    }
    const recent = this.log.slice(-5).map((r) => `${r.from} ${r.method} ${r.to}${r.path} -> ${r.outcome}`);
    throw new Error(
      `the memory network did not settle within ${maxTurns} turns (${this.inflight} requests in flight; last: ${recent.join(', ')})`,
    );
  }

  /** Every node, in creation order. */
  all(): MemoryNode[] {
    return [...this.nodes.values()];
  }

  /** The node at `address`, if any. */
  nodeAt(address: string): MemoryNode | undefined {
    return this.nodes.get(address);
  }

  /** Closes a node and takes it off the network: requests to it are then PEER_UNREACHABLE. */
  async remove(n: MemoryNode): Promise<void> {
    const entry = this.nodes.get(n.address);
    if (!entry) return;
    this.nodes.delete(n.address);
    await entry.app.close();
    await closeNode(entry.services);
  }

  /**
   * Closes every node (their temporary folders go with the harness's `cleanupAll`) and forgets
   * the liars.
   */
  async closeAll(): Promise<void> {
    for (const n of this.all()) await this.remove(n);
    this.liars.clear();
    this.cut.clear();
  }

  /** The transport of the node at `from`. */
  transportFor(from: string): PeerTransport {
    return {
      request: (peer, request, limits) => this.exchange(from, peer, request, limits),
    };
  }

  private async exchange(
    from: string,
    peer: PeerAddress,
    request: PeerRequest,
    limits: PeerRequestLimits,
  ): Promise<PeerResponse> {
    const to = peer.key;
    this.inflight++;
    this.exchanges++;
    const record = (outcome: number | string): void => {
      this.log.push({ from, to, method: request.method, path: request.path, outcome });
    };
    try {
      // Answered on a later turn, as a socket would be: never synchronously.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const target = this.nodes.get(to);
      const liar = this.liars.get(to);
      if ((!target && !liar) || this.cut.has(linkKey(from, to))) {
        record(ErrorCode.PeerUnreachable);
        throw new PeerError(
          ErrorCode.PeerUnreachable,
          `cannot reach the peer (${to}: no route on the memory network)`,
          {
            misbehaved: false,
          },
        );
      }
      let status: number;
      let headers: PeerResponse['headers'];
      let body: string;
      if (target) {
        const response = await target.app.inject({
          method: request.method,
          url: request.path,
          headers: {
            accept: 'application/json',
            ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...request.headers,
          },
          ...(request.body === undefined ? {} : { payload: request.body }),
          remoteAddress: hostOf(from),
        });
        status = response.statusCode;
        headers = incomingHeaders(response.headers);
        body = response.body;
      } else {
        const answer = await (liar as LiarHandler)({
          method: request.method,
          path: request.path,
          ...(request.body === undefined ? {} : { body: request.body }),
          from,
        });
        status = answer.status;
        headers = incomingHeaders({ 'content-type': 'application/json', ...answer.headers });
        body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      }
      record(status);
      if (status < 200 || status > 299) throw peerHttpError(status);
      const bytes = Buffer.byteLength(body, 'utf8');
      if (bytes > limits.maxBytes) {
        throw new PeerError(ErrorCode.PeerTooLarge, `sent ${bytes} bytes, over the ${limits.maxBytes}-byte limit`, {
          misbehaved: true,
        });
      }
      return { status, headers, body };
    } finally {
      this.inflight--;
    }
  }

  /** What settle watches: requests started, and each node's tip, height, mempool and peers. */
  private fingerprint(): string {
    const parts = [String(this.exchanges)];
    for (const n of this.nodes.values()) {
      parts.push(
        `${n.node.tip.hash}/${n.node.chain.length}/${n.node.pendingTransactions.length}/${n.network.peers.length}`,
      );
    }
    return parts.join(';');
  }
}

function addressOf(n: MemoryNode | string): string {
  return typeof n === 'string' ? n : n.address;
}

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

function linkKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Response headers as a socket's reader sees them: lowercase names, string values. */
function incomingHeaders(headers: Record<string, unknown>): PeerResponse['headers'] {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.map(String) : String(value);
  }
  return out as PeerResponse['headers'];
}

/** Canonical texts of every transaction in `n`'s chain, rewards included. */
export function chainTransactions(n: MemoryNode): string[] {
  return n.node.chain.flatMap((block) => block.transactions.map((tx) => tx.canonical));
}

/** Canonical texts of `n`'s pending transactions, oldest first. */
export function pendingTransactions(n: MemoryNode): string[] {
  return n.node.pendingTransactions.map((tx: Transaction) => tx.canonical);
}

/** `host:port` split. */
function splitAddress(address: string): { host: string; port: number; address: string } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)), address };
}
