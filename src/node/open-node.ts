/**
 * The composition root of one node: the node (chain, state, mempool, storage, mining) and the peer
 * network beside it, wired through the narrow interfaces each side exposes.
 */

import { BlockforgeNode, type NodeOptions, nowSeconds, silentLogger } from './blockforge-node.js';
import type { PeerRequestLimits, PeerTransport } from './peer-client.js';
import { type NetworkOptions, PeerNetwork } from './peer-network.js';

/** A node and its peer network. */
export interface NodeServices {
  readonly node: BlockforgeNode;
  readonly network: PeerNetwork;
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
}

/** Opens the node in `options.dataDir` and builds its (not yet started) peer network. */
export function openNode(options: OpenNodeOptions): NodeServices {
  const node = BlockforgeNode.open(options);
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
    return { node, network };
  } catch (err) {
    void node.close();
    throw err;
  }
}

/** Stops the network, then closes the node. */
export async function closeNode(services: NodeServices): Promise<void> {
  services.network.stop();
  await services.node.close();
}
