/**
 * The composition root of one node: the node (chain, state, mempool, storage, mining) and the peer
 * network beside it, wired through the narrow interfaces each side exposes.
 */

import { BlockforgeNode, type NodeOptions, nowSeconds, silentLogger } from './blockforge-node.js';
import type { PeerRequestLimits, PeerTransport } from './peer-client.js';
import { type NetworkOptions, PeerNetwork } from './peer-network.js';
import { createSignaturePrecheck, SignaturePool, type SignaturePoolOptions } from './signature-pool.js';

/** A node and its peer network. */
export interface NodeServices {
  readonly node: BlockforgeNode;
  readonly network: PeerNetwork;
  /** The signature pool behind the node's precheck, for a profile that verifies signatures. */
  readonly signatures?: SignaturePool;
}

/** Options for {@link openNode}: the node's, plus the network's. */
export interface OpenNodeOptions extends NodeOptions {
  /** The port this node serves on (to refuse registering itself as a peer, and to tell peers). */
  readonly port: number;
  /** Peer network options (sync interval, advertised address, ban time). */
  readonly network?: Partial<Omit<NetworkOptions, 'port' | 'peerLimits'>>;
  /** Limits on every request to a peer. */
  readonly peerLimits?: Partial<PeerRequestLimits>;
  /** How peers are reached (HTTP unless given: tests pass an in-memory network). */
  readonly transport?: PeerTransport;
  /**
   * The signature pool's options (worker threads verifying a page's signatures ahead of its
   * validation, into the cache `verifySignatureFast` reads), or false for none. Used when the
   * profile lists signature checks and no `precheck` is given.
   */
  readonly signaturePool?: SignaturePoolOptions | false;
}

/** Opens the node in `options.dataDir` and builds its (not yet started) peer network. */
export function openNode(options: OpenNodeOptions): NodeServices {
  // Workers start with the first page large enough, so a node that never syncs never starts them.
  const signatures =
    options.precheck === undefined && options.signaturePool !== false && options.profile.signatureChecks
      ? new SignaturePool(options.signaturePool ?? {})
      : undefined;
  const precheck = signatures ? createSignaturePrecheck(options.profile, signatures) : options.precheck;
  let node: BlockforgeNode;
  try {
    node = BlockforgeNode.open({ ...options, ...(precheck ? { precheck } : {}) });
  } catch (err) {
    void signatures?.close();
    throw err;
  }
  try {
    const network = new PeerNetwork(
      node,
      node.peerStore,
      {
        ...options.network,
        port: options.port,
        ...(options.peerLimits ? { peerLimits: options.peerLimits } : {}),
      },
      options.logger ?? silentLogger,
      options.clock ?? nowSeconds,
      options.transport,
    );
    return { node, network, ...(signatures ? { signatures } : {}) };
  } catch (err) {
    void node.close();
    void signatures?.close();
    throw err;
  }
}

/** Stops the network, then closes the node and stops the signature pool's workers. */
export async function closeNode(services: NodeServices): Promise<void> {
  services.network.stop();
  try {
    await services.node.close();
  } finally {
    await services.signatures?.close();
  }
}
