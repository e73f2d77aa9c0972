/**
 * The explorer's view of forks and of the network: `GET /forks`, the block tree this node has seen
 * (the active chain's last blocks and the stale blocks beside them), and `GET /network`, every
 * peer's tip as last seen, compared with ours and grouped by the branch it is on.
 */

import type { FastifyInstance } from 'fastify';
import type { Block } from '../core/block.js';
import type { NodeServices } from '../node/open-node.js';
import type { PeerTip } from '../node/peer-registry.js';
import { MAX_STALE_BLOCKS, MAX_STALE_BYTES } from '../node/stale-blocks.js';
import { sendJson } from './errors.js';
import { errorResponses } from './routes.js';

/** Active blocks `GET /forks` shows by default, and at most. */
export const FORKS_DEFAULT = 50;
export const FORKS_MAX = 500;

/** Where a peer's tip is, seen from this node. */
export type PeerRelation = 'same' | 'behind' | 'other-branch' | 'other-network' | 'unknown';

const hash = { type: 'string', description: 'lowercase hex' } as const;
const work = { type: 'string', pattern: '^[0-9]+$', description: 'cumulative work, a decimal integer' } as const;
const params = {
  type: 'object',
  additionalProperties: { type: 'string' },
  description: "the profile's parameters as text (the tutorial's: difficulty; the ledger's: network, genesis)",
} as const;

const treeBlock = {
  type: 'object',
  required: ['height', 'hash', 'parent', 'work', 'active', 'seen_at'],
  properties: {
    height: { type: 'integer', minimum: 1 },
    hash,
    parent: { type: ['string', 'null'], description: "the parent's hash (null: a genesis block)" },
    work,
    active: { type: 'boolean', description: 'on the chain this node follows' },
    seen_at: {
      type: ['number', 'null'],
      description: 'Unix seconds when this node saw it; null for blocks it had before it started',
    },
    source: {
      type: 'string',
      enum: ['reorg', 'sibling', 'branch'],
      description: 'stale blocks only: dropped by a reorg, a pushed sibling tying our work, or a branch that lost',
    },
    peer: { type: ['string', 'null'], description: 'stale blocks only: the peer it came from, when known' },
  },
} as const;

const peerTip = {
  type: 'object',
  properties: {
    address: { type: 'string' },
    node_id: { type: ['string', 'null'] },
    kind: { type: 'string', enum: ['blockforge', 'tutorial', 'unknown'] },
    origin: { type: 'string', enum: ['registered', 'learned'] },
    status: { type: 'string', description: 'health, as GET /nodes says' },
    height: { type: ['integer', 'null'] },
    tip: { type: ['string', 'null'] },
    work: { type: ['string', 'null'] },
    genesis: { type: ['string', 'null'] },
    profile: { type: ['string', 'null'] },
    params,
    seen_at: { type: ['number', 'null'], description: 'Unix seconds of the status this comes from' },
    relation: {
      type: 'string',
      enum: ['same', 'behind', 'other-branch', 'other-network', 'unknown'],
      description:
        'same: our tip; behind: a block of our chain; other-branch: a tip we do not have (ahead of us or ' +
        'on another branch); other-network: other rules or another genesis; unknown: no status yet',
    },
    ahead: { type: ['boolean', 'null'], description: 'its work is more than ours (null: unknown)' },
    known_stale: { type: 'boolean', description: 'its tip is one of our stale blocks (a branch we saw lose)' },
  },
} as const;

/** Registers `GET /forks` and `GET /network`. */
export function registerNetworkRoutes(app: FastifyInstance, { node, network }: NodeServices): void {
  app.get(
    '/forks',
    {
      schema: {
        summary: 'The block tree this node has seen: the active chain and the stale blocks beside it',
        description:
          `The active chain's last \`limit\` blocks (default ${FORKS_DEFAULT}, at most ${FORKS_MAX}) and every ` +
          'stale block at or above the lowest of them: blocks this node validated that are not on its chain ' +
          '(dropped by a reorg, a sibling that tied its work, a branch that lost). Stale blocks are kept in memory ' +
          `(a restart forgets them), at most ${MAX_STALE_BLOCKS} and ${MAX_STALE_BYTES / 1024 / 1024} MiB of their ` +
          'JSON, the oldest evicted first. `tips` are the ends of the branches shown, each with its cumulative work ' +
          'and the height of the active block it forks from.',
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: FORKS_MAX, default: FORKS_DEFAULT } },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              height: { type: 'integer', description: "the active chain's height" },
              tip: hash,
              work,
              from: { type: 'integer', description: 'lowest active height shown' },
              blocks: { type: 'array', items: treeBlock, description: 'active blocks by height, then stale ones' },
              tips: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    height: { type: 'integer' },
                    hash,
                    work,
                    active: { type: 'boolean' },
                    fork_height: {
                      type: ['integer', 'null'],
                      description: 'the active block its branch forks from (null: not found, or the active tip)',
                    },
                  },
                },
              },
              stale: {
                type: 'object',
                description: 'the stale-block store: how full it is and its bounds',
                properties: {
                  count: { type: 'integer' },
                  bytes: { type: 'integer' },
                  max_blocks: { type: 'integer' },
                  max_bytes: { type: 'integer' },
                },
              },
            },
          },
          ...errorResponses({ 400: 'BAD_REQUEST: limit is not an integer from 1 to 500' }),
        },
      },
    },
    async (request, reply) => {
      const { limit } = request.query as { limit: number };
      const chain = node.chain;
      const from = Math.max(1, chain.length - limit + 1);
      const stale = node.staleBlocks;
      const blocks: Record<string, unknown>[] = [];
      for (let h = from; h <= chain.length; h++) {
        const block = chain[h - 1] as Block;
        blocks.push({
          height: h,
          hash: block.hash,
          parent: block.parentHash,
          work: node.workAt(h).toString(),
          active: true,
          seen_at: stale.seenAt(block.hash),
        });
      }
      const shown = stale.list().filter((b) => b.height >= from && chain[b.height - 1]?.hash !== b.hash);
      shown.sort((a, b) => a.height - b.height);
      for (const b of shown) {
        blocks.push({
          height: b.height,
          hash: b.hash,
          parent: b.parent,
          work: b.work.toString(),
          active: false,
          seen_at: b.seenAt,
          source: b.source,
          peer: b.peer,
        });
      }
      const parents = new Set(shown.map((b) => b.parent));
      const tips: Record<string, unknown>[] = [
        { height: chain.length, hash: node.tip.hash, work: node.chainWork.toString(), active: true, fork_height: null },
      ];
      for (const b of shown) {
        if (parents.has(b.hash)) continue;
        // Down the branch to the active block it forks from.
        let at: { height: number; parent: string | null } = b;
        for (let steps = 0; steps <= MAX_STALE_BLOCKS; steps++) {
          const parent = at.parent === null ? undefined : stale.get(at.parent);
          if (!parent || chain[parent.height - 1]?.hash === parent.hash) break;
          at = parent;
        }
        const forkHeight = at.height - 1;
        const onChain = forkHeight >= 1 && chain[forkHeight - 1]?.hash === at.parent;
        tips.push({
          height: b.height,
          hash: b.hash,
          work: b.work.toString(),
          active: false,
          fork_height: onChain ? forkHeight : null,
        });
      }
      const out = {
        height: chain.length,
        tip: node.tip.hash,
        work: node.chainWork.toString(),
        from,
        blocks,
        tips,
        stale: { count: stale.size, bytes: stale.bytes, max_blocks: MAX_STALE_BLOCKS, max_bytes: MAX_STALE_BYTES },
      };
      return sendJson(reply, 200, JSON.stringify(out));
    },
  );

  app.get(
    '/network',
    {
      schema: {
        summary: "Every peer's tip as last seen, beside ours, grouped by the branch it is on",
        description:
          "Each peer's height, tip hash, work, genesis and rules come from its last /peer/status (a tutorial " +
          "peer's from its /chain), as of seen_at: claims, not checked. Groups gather the peers on one tip: ours " +
          '(same), a block of our chain (behind), a tip we do not have (other-branch: ahead of us or on a fork), ' +
          'other rules or another genesis (other-network), or not seen yet (unknown).',
        response: {
          200: {
            type: 'object',
            properties: {
              self: {
                type: 'object',
                properties: {
                  node_id: { type: 'string' },
                  profile: { type: 'string' },
                  params,
                  height: { type: 'integer' },
                  tip: hash,
                  work,
                  genesis: hash,
                },
              },
              peers: { type: 'array', items: peerTip },
              groups: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: {
                    relation: peerTip.properties.relation,
                    tip: { type: ['string', 'null'] },
                    height: { type: ['integer', 'null'] },
                    work: { type: ['string', 'null'] },
                    self: { type: 'boolean', description: 'this node is on this tip' },
                    peers: { type: 'array', items: { type: 'string' }, description: 'addresses' },
                  },
                },
              },
            },
          },
        },
      },
    },
    async (_request, reply) => {
      const chain = node.chain;
      const profile = node.profile;
      const ourParams: Record<string, string> = {};
      for (const [k, v] of Object.entries(profile.params)) ourParams[k] = String(v);
      const genesis = (chain[0] as Block).hash;
      const ourWork = node.chainWork;
      const relationOf = (status: string, tip: PeerTip | null): PeerRelation => {
        if (status === 'incompatible') return 'other-network';
        if (!tip) return 'unknown';
        if (tip.profile !== null && tip.profile !== profile.name) return 'other-network';
        if (tip.profile !== null && Object.entries(ourParams).some(([k, v]) => tip.params[k] !== v))
          return 'other-network';
        if (tip.genesis !== null && tip.genesis !== genesis) return 'other-network';
        if (tip.hash === null) return 'unknown';
        if (tip.hash === node.tip.hash) return 'same';
        if (chain[tip.height - 1]?.hash === tip.hash) return 'behind';
        return 'other-branch';
      };
      const peers = network.health().map((health) => {
        const tip = network.registry.tipOf(health.address);
        const relation = relationOf(health.status, tip);
        let ahead: boolean | null = null;
        if (tip?.work != null && /^[0-9]{1,80}$/.test(tip.work)) ahead = BigInt(tip.work) > ourWork;
        return {
          address: health.address,
          node_id: health.nodeId,
          kind: health.kind,
          origin: health.origin,
          status: health.status,
          height: tip?.height ?? health.height,
          tip: tip?.hash ?? null,
          work: tip?.work ?? null,
          genesis: tip?.genesis ?? null,
          profile: tip?.profile ?? null,
          params: tip?.params ?? {},
          seen_at: tip?.seenAt ?? null,
          relation,
          ahead,
          known_stale: tip?.hash ? node.staleBlocks.has(tip.hash) : false,
        };
      });
      const order: PeerRelation[] = ['same', 'behind', 'other-branch', 'other-network', 'unknown'];
      const groups = new Map<
        string,
        {
          relation: PeerRelation;
          tip: string | null;
          height: number | null;
          work: string | null;
          self: boolean;
          peers: string[];
        }
      >();
      groups.set(`same ${node.tip.hash}`, {
        relation: 'same',
        tip: node.tip.hash,
        height: chain.length,
        work: ourWork.toString(),
        self: true,
        peers: [],
      });
      for (const peer of peers) {
        // Unknown peers form one group; the others one per tip.
        const key = peer.relation === 'unknown' ? 'unknown' : `${peer.relation} ${peer.tip ?? peer.address}`;
        let group = groups.get(key);
        if (!group) {
          group = {
            relation: peer.relation,
            tip: peer.relation === 'unknown' ? null : peer.tip,
            height: peer.relation === 'unknown' ? null : peer.height,
            work: peer.relation === 'unknown' ? null : peer.work,
            self: false,
            peers: [],
          };
          groups.set(key, group);
        }
        group.peers.push(peer.address);
      }
      const sorted = [...groups.values()].sort(
        (a, b) => order.indexOf(a.relation) - order.indexOf(b.relation) || (b.height ?? 0) - (a.height ?? 0),
      );
      const out = {
        self: {
          node_id: node.nodeId,
          profile: profile.name,
          params: ourParams,
          height: chain.length,
          tip: node.tip.hash,
          work: ourWork.toString(),
          genesis,
        },
        peers,
        groups: sorted,
      };
      return sendJson(reply, 200, JSON.stringify(out));
    },
  );
}
