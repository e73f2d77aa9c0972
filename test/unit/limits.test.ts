/**
 * Limits in bytes, not only counts: the mempool's byte budget (a full mempool answers 503 with
 * MEMPOOL_FULL), the cap on the blocks this node forges (the rest stays pending), block pages sized
 * by bytes, and blocks from peers over the accepted size skipped without blaming anyone.
 */

import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Block, Transaction } from '../../src/core/block.js';
import { canonicalJson } from '../../src/core/canonical.js';
import { JsonNumber, type JsonObject, parseJson, writeJson } from '../../src/core/json.js';
import { createProfile } from '../../src/core/profiles.js';
import { DEFAULT_MAX_BLOCK_BYTES } from '../../src/core/tutorial-profile.js';
import { MAX_PENDING_BYTES } from '../../src/node/blockforge-node.js';
import { MAX_PEER_BLOCK_BYTES, PAGE_BYTES } from '../../src/node/limits.js';
import { InlineSolver } from '../../src/node/miner.js';
import { extendChain } from '../support/forge.js';
import { cleanupAll } from '../support/harness.js';
import { inProcessNode } from '../support/in-process.js';
import { MemoryNetwork, tutorialPeer } from '../support/memory-network.js';

afterAll(cleanupAll);

/** A transaction a client may send: 1,000 emoji a field, 12 canonical bytes each (`\ud83d\ude00`). */
function emojiTransaction(k: number): string {
  const wide = '\u{1F600}'.repeat(995);
  return JSON.stringify({ sender: `${wide}s${String(k).padStart(4, '0')}`, recipient: wide, amount: k + 1 });
}

/** A transaction of any size, as a tutorial node would store it (no client policy). */
function hugeTransaction(bytes: number): Transaction {
  const json = { sender: 'x'.repeat(bytes), recipient: 'y', amount: JsonNumber.int(1) } as unknown as JsonObject;
  Object.setPrototypeOf(json, null);
  const canonical = canonicalJson(json);
  return { json, canonical, id: canonical };
}

describe('the mempool and forged blocks, by bytes', () => {
  it('fills the mempool up to its byte budget, then answers 503; mining drains it block by block', async () => {
    const { app, node, close } = await inProcessNode({ solver: new InlineSolver(), difficulty: 1 });
    try {
      let accepted = 0;
      let refused: { statusCode: number; body: string; headers: Record<string, unknown> } | null = null;
      for (let k = 0; k < 10_000 && !refused; k++) {
        const res = await app.inject({ method: 'POST', url: '/transactions/new', payload: emojiTransaction(k) });
        if (res.statusCode === 201) accepted++;
        else refused = res;
      }
      expect(refused?.statusCode).toBe(503);
      expect(JSON.parse(refused?.body ?? '{}').code).toBe('MEMPOOL_FULL');
      const bytes = node.pendingTransactions.reduce((sum, tx) => sum + tx.canonical.length, 0);
      expect(bytes).toBeLessThanOrEqual(MAX_PENDING_BYTES);
      expect(accepted).toBe(node.pendingTransactions.length);
      expect(accepted).toBeGreaterThan(1000);

      // Every block this node forges stays under its cap; what does not fit waits for the next one.
      const mined = await app.inject({ url: '/mine' });
      expect(mined.statusCode).toBe(200);
      const block = node.tip;
      expect(block.size).toBeLessThanOrEqual(DEFAULT_MAX_BLOCK_BYTES);
      expect(Buffer.byteLength(writeJson(block.json))).toBeLessThanOrEqual(block.size);
      const inBlock = block.transactions.length - 1;
      expect(inBlock).toBeGreaterThan(100);
      expect(node.pendingTransactions.length).toBe(accepted - inBlock);
      // Room again: the next transaction is taken.
      const next = await app.inject({ method: 'POST', url: '/transactions/new', payload: emojiTransaction(9_999) });
      expect(next.statusCode).toBe(201);

      // Pages of blocks are sized by bytes: 8 blocks of ~1.4 MiB of wire JSON (an emoji is 4 bytes
      // of UTF-8) do not come in one page, whatever the limit asked.
      for (let k = 0; k < 7; k++) expect((await app.inject({ url: '/mine' })).statusCode).toBe(200);
      const wire = node.chain.slice(1).reduce((sum, b) => sum + Buffer.byteLength(writeJson(b.json)), 0);
      expect(wire).toBeGreaterThan(PAGE_BYTES);
      const page = await app.inject({ url: '/blocks?from=2&limit=500' });
      const blocks = (parseJson(page.body) as JsonObject).blocks as unknown[];
      expect(blocks.length).toBeGreaterThanOrEqual(1);
      expect(blocks.length).toBeLessThan(8);
      expect(Buffer.byteLength(page.body)).toBeLessThanOrEqual(PAGE_BYTES + 1024);
      const rest = await app.inject({ url: `/blocks?from=${2 + blocks.length}&limit=500` });
      expect(((parseJson(rest.body) as JsonObject).blocks as unknown[]).length).toBeGreaterThanOrEqual(1);
    } finally {
      await close();
    }
  });
});

describe('blocks from peers over the accepted size', () => {
  const net = new MemoryNetwork();
  afterEach(() => net.closeAll());

  /** A valid chain whose last block holds a transaction of `bytes` bytes (forged without our cap). */
  function chainWithBigBlock(bytes: number): Block[] {
    const unlimited = createProfile('seed', { difficulty: 1, maxBlockBytes: 64 * 1024 * 1024 });
    const base = extendChain(unlimited, [unlimited.createGenesis(1)], [[]]);
    return extendChain(unlimited, base, [[hugeTransaction(bytes)]]);
  }

  it('skips a tutorial peer whose chain holds a block over the limit, without banning it', async () => {
    const [a] = await net.createNodes(1);
    if (!a) throw new Error('no node');
    const chain = chainWithBigBlock(MAX_PEER_BLOCK_BYTES + 1024);
    const text = `{"chain":[${chain.map((b) => writeJson(b.json)).join(',')}],"length":${chain.length}}`;
    const tutorial = net.addLiar(net.allocateAddress().address, tutorialPeer(text));
    a.network.registerPeers([tutorial]);
    const outcome = await net.resolve(a);
    const report = outcome.peers.find((r) => r.peer === tutorial);
    expect(report).toMatchObject({ code: 'BLOCK_TOO_LARGE', misbehaved: false });
    expect(outcome.replaced).toBe(false);
    expect(a.network.health().find((h) => h.address === tutorial)?.status).not.toBe('banned');
  });

  it('refuses a pushed block over the limit with 413, blaming no one', async () => {
    const [a] = await net.createNodes(1);
    if (!a) throw new Error('no node');
    const big = chainWithBigBlock(MAX_PEER_BLOCK_BYTES + 1024)[2] as Block;
    const res = await a.app.inject({
      method: 'POST',
      url: '/peer/blocks',
      payload: `{"block":${writeJson(big.json)},"sender":{"node_id":"${'b'.repeat(32)}","port":1}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body).code).toBe('BLOCK_TOO_LARGE');
    expect(a.node.chain.length).toBe(1);
  });
});
