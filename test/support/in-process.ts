/** An in-process node and its Fastify app, for inject tests (no sockets). */
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/api/server.js';
import { createProfile } from '../../src/core/profiles.js';
import type { BlockforgeNode } from '../../src/node/blockforge-node.js';
import { closeNode, type OpenNodeOptions, openNode } from '../../src/node/open-node.js';
import type { PeerNetwork } from '../../src/node/peer-network.js';
import { tempDir } from './harness.js';

/** The compiled proof-of-work worker (vitest runs the TypeScript sources; workers need JS). */
export const WORKER_URL = new URL('../../dist/node/pow-worker.js', import.meta.url);

/** A node in a temp folder with a built (not listening) server. */
export async function inProcessNode(
  options: Partial<OpenNodeOptions> & { profileName?: string; difficulty?: number } = {},
): Promise<{ node: BlockforgeNode; network: PeerNetwork; app: FastifyInstance; close: () => Promise<void> }> {
  const services = openNode({
    dataDir: options.dataDir ?? tempDir(),
    profile: options.profile ?? createProfile(options.profileName ?? 'seed', { difficulty: options.difficulty ?? 2 }),
    port: options.port ?? 5999,
    miner: { threads: 1, workerUrl: WORKER_URL, ...options.miner },
    ...(options.solver ? { solver: options.solver } : {}),
    ...(options.peerLimits ? { peerLimits: options.peerLimits } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.network ? { network: options.network } : {}),
  });
  const app = await buildServer(services);
  return {
    ...services,
    app,
    close: async () => {
      await app.close();
      await closeNode(services);
    },
  };
}
