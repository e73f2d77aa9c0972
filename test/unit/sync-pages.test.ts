/**
 * Fresh sync with several block pages in flight: pages answered out of order, slowly or short, a
 * bad page in the middle (its sender blamed, nothing of its branch adopted), the byte limit of a
 * page, each block stored as the exact text `writeJson` writes (kept from the page where it is that
 * text, written again where not), and the precheck contract (called per page and per pushed block,
 * never failing anything).
 */

import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Block, Transaction } from '../../src/core/block.js';
import { validateBranch } from '../../src/core/chain.js';
import { ErrorCode } from '../../src/core/errors.js';
import { isJsonObject, type JsonValue, parseJson, writeJson } from '../../src/core/json.js';
import {
  MAX_PEER_BLOCK_BYTES,
  PAGE_ANSWER_BYTES,
  PAGE_BYTES,
  SYNC_BYTES_IN_FLIGHT,
  SYNC_PAGES_IN_FLIGHT,
} from '../../src/node/limits.js';
import { InlineSolver } from '../../src/node/miner.js';
import { closeNode, type NodeServices, openNode } from '../../src/node/open-node.js';
import { SYNC_PAGE } from '../../src/node/peer-kinds.js';
import type { PeerReport } from '../../src/node/peer-network.js';
import { extendChain } from '../support/forge.js';
import { cleanupAll, tempDir } from '../support/harness.js';
import {
  type LiarAnswer,
  type LiarHandler,
  type LiarRequest,
  MemoryNetwork,
  type MemoryNode,
} from '../support/memory-network.js';

let net: MemoryNetwork;
const opened: NodeServices[] = [];

beforeEach(() => {
  net = new MemoryNetwork();
});
afterEach(async () => {
  for (const services of opened.splice(0)) await closeNode(services);
  await net.closeAll();
});
afterAll(async () => {
  await cleanupAll();
});

/** Blocks after the genesis in the source chain: three pages (500, 500, 300). */
const LENGTH = 2 * SYNC_PAGE + 300;

/** Client transactions whose strings need escapes, non-ASCII text and float amounts. */
function transactionsFor(i: number): Transaction[] {
  if (i % 3 !== 0) return [];
  return [
    `{"sender":"alice-${i % 97}","recipient":"bob","amount":${(i % 1000) + 0.25}}`,
    `{"sender":"Zoë \\"${i % 13}\\"\\n","recipient":"渡辺 ☕ ${i % 7}","amount":${(i % 50) + 1}}`,
  ].map((text) => net.profile.parseTransaction(parseJson(text)));
}

/** Node A with a chain of LENGTH blocks after its genesis (forged in-process, adopted at once). */
async function sourceNode(): Promise<MemoryNode> {
  const a = await net.createNode('A');
  const txs = Array.from({ length: LENGTH }, (_, k) => transactionsFor(k + 2));
  const blocks = extendChain(net.profile, a.node.chain, txs, 'f'.repeat(32), net.now);
  const branch = validateBranch(
    net.profile,
    a.node.viewAt(1),
    blocks.slice(1).map((b) => b.json),
  );
  expect(a.node.adoptBranch(1, branch)).not.toBeNull();
  expect(a.node.chain.length).toBe(LENGTH + 1);
  return a;
}

/** Query parameters of a liar request's path. */
function query(request: LiarRequest): URLSearchParams {
  return new URLSearchParams(request.path.slice(request.path.indexOf('?') + 1));
}

/** A peer that relays every request to `a`, letting `tweak` change (or delay) the page answers. */
function relay(
  a: MemoryNode,
  tweak: (request: LiarRequest, answer: LiarAnswer) => LiarAnswer | Promise<LiarAnswer> = (_r, x) => x,
  status: (body: Record<string, unknown>) => Record<string, unknown> = (body) => body,
): LiarHandler {
  return async (request) => {
    const response = await a.app.inject({
      method: request.method,
      url: request.path,
      ...(request.body === undefined ? {} : { payload: request.body, headers: { 'content-type': 'application/json' } }),
    });
    let answer: LiarAnswer = { status: response.statusCode, body: response.body };
    if (request.path === '/peer/status') answer = { ...answer, body: status(JSON.parse(response.body)) };
    if (request.path.startsWith('/blocks?')) answer = await tweak(request, answer);
    return answer;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function reportOf(peers: readonly PeerReport[], address: string): PeerReport {
  const report = peers.find((r) => r.peer === address);
  if (!report) throw new Error(`no report for ${address} in ${JSON.stringify(peers)}`);
  return report;
}

/** Captures the wire texts the network hands `n`'s adoptBranch. */
function captureTexts(n: MemoryNode): (string | undefined)[][] {
  const seen: (string | undefined)[][] = [];
  const adopt = n.node.adoptBranch.bind(n.node);
  n.node.adoptBranch = (forkHeight, branch, peer, texts) => {
    seen.push([...(texts ?? [])]);
    return adopt(forkHeight, branch, peer, texts);
  };
  return seen;
}

/** Every block `n` serves is the text writeJson writes for it. */
function expectCanonicalTexts(n: { node: MemoryNode['node'] }): void {
  const chain = n.node.chain;
  for (let k = 0; k < chain.length; k++) {
    const served = n.node.blocksJson(k, k + 1).toString('utf8');
    expect(served).toBe(`[${writeJson((chain[k] as Block).json)}]`);
  }
}

describe('pages in flight', () => {
  it('adopts a chain whose pages arrive out of order and slowly, with at most the bounded pages in flight', async () => {
    const a = await sourceNode();
    let inFlight = 0;
    let most = 0;
    const finished: number[] = [];
    const liar = net.addLiar(
      net.allocateAddress().address,
      relay(a, async (request, answer) => {
        inFlight++;
        most = Math.max(most, inFlight);
        const from = Number(query(request).get('from'));
        // The first page last: the later ones wait, validated in order once it is here.
        await sleep(from === 2 ? 60 : from === 2 + SYNC_PAGE ? 30 : 5);
        finished.push(from);
        inFlight--;
        return answer;
      }),
    );
    const b = await net.createNode('B');
    const texts = captureTexts(b);
    b.network.registerPeers([liar]);

    const outcome = await net.resolve(b);
    expect(reportOf(outcome.peers, liar).status).toBe('adopted');
    expect(b.node.chain.map((blk) => blk.hash)).toEqual(a.node.chain.map((blk) => blk.hash));
    // Every block's text was kept from its page, none written again.
    expect(texts.length).toBe(1);
    expect(texts[0]?.length).toBe(LENGTH);
    expect(texts[0]?.every((text) => text !== undefined)).toBe(true);
    expect(finished[0]).not.toBe(2); // really out of order
    expect(most).toBeGreaterThan(1);
    expect(most).toBeLessThanOrEqual(SYNC_PAGES_IN_FLIGHT);
    expect(b.node.blocksJson().equals(a.node.blocksJson())).toBe(true);
    expectCanonicalTexts(b);

    // What was stored is what a restart reads back and validates.
    const again = await net.restart(b);
    expect(again.node.blocksJson().equals(a.node.blocksJson())).toBe(true);
  });

  it('asks for the rest of a short page before going on', async () => {
    const a = await sourceNode();
    const asked: string[] = [];
    const liar = net.addLiar(
      net.allocateAddress().address,
      relay(a, (request, answer) => {
        asked.push(request.path);
        // Pages cut at 137 blocks, as a peer with a smaller byte limit per page would cut them.
        const page = JSON.parse(answer.body as string) as { blocks: unknown[]; height: number };
        const text = answer.body as string;
        const cut = page.blocks.length > 137 ? rawBlocks(text).slice(0, 137) : rawBlocks(text);
        return { status: 200, body: `{"blocks":[${cut.join(',')}],"height":${page.height}}` };
      }),
    );
    const b = await net.createNode('B');
    b.network.registerPeers([liar]);

    const outcome = await net.resolve(b);
    expect(reportOf(outcome.peers, liar).status).toBe('adopted');
    expect(b.node.chain.map((blk) => blk.hash)).toEqual(a.node.chain.map((blk) => blk.hash));
    expect(asked).toContain(`/blocks?from=${2 + 137}&limit=${SYNC_PAGE - 137}`);
    expectCanonicalTexts(b);
  });

  it('blames a peer sending a bad page in the middle and adopts nothing of its branch', async () => {
    const a = await sourceNode();
    const bad = 2 + SYNC_PAGE + 200; // inside the second page, not its first block
    const liar = net.addLiar(
      net.allocateAddress().address,
      relay(
        a,
        (request, answer) => {
          const from = Number(query(request).get('from'));
          if (from !== 2 + SYNC_PAGE) return answer;
          const blocks = rawBlocks(answer.body as string);
          const k = bad - from;
          blocks[k] = (blocks[k] as string).replace(
            /"previous_hash":"[0-9a-f]+"/,
            `"previous_hash":"${'0'.repeat(64)}"`,
          );
          return { status: 200, body: `{"blocks":[${blocks.join(',')}],"height":${LENGTH + 1}}` };
        },
        // It claims a little more work than A, so it is tried first.
        (body) => ({ ...body, height: LENGTH + 2, work: String(LENGTH + 2) }),
      ),
    );
    const b = await net.createNode('B');
    const genesis = b.node.chain.map((blk) => blk.hash);
    b.network.registerPeers([liar]);

    const outcome = await net.resolve(b);
    expect(reportOf(outcome.peers, liar)).toMatchObject({
      status: 'invalid',
      code: ErrorCode.PreviousHashMismatch,
      misbehaved: true,
    });
    expect(b.node.chain.map((blk) => blk.hash)).toEqual(genesis);
    expect(b.network.health().find((h) => h.address === liar)?.status).toBe('banned');

    // The honest peer beside it is not blamed, and its chain is adopted.
    b.network.registerPeers([a.address]);
    const next = await net.resolve(b);
    expect(reportOf(next.peers, a.address).status).toBe('adopted');
    expect(b.node.tip.hash).toBe(a.node.tip.hash);
  });

  it('refuses a page answer over the page byte limit, blaming its sender', async () => {
    const a = await sourceNode();
    const liar = net.addLiar(
      net.allocateAddress().address,
      relay(a, (request, answer) => {
        const from = Number(query(request).get('from'));
        if (from !== 2 + SYNC_PAGE) return answer;
        // Valid JSON, padded past what any honest page needs.
        return { status: 200, body: `${answer.body as string}${' '.repeat(PAGE_ANSWER_BYTES)}` };
      }),
    );
    const b = await net.createNode('B');
    const genesis = b.node.chain.map((blk) => blk.hash);
    b.network.registerPeers([liar]);

    const outcome = await net.resolve(b);
    expect(reportOf(outcome.peers, liar)).toMatchObject({ code: ErrorCode.PeerTooLarge, misbehaved: true });
    expect(b.node.chain.map((blk) => blk.hash)).toEqual(genesis);
  });

  it('keeps its byte limits consistent: any honest page fits, and the pages in flight fit the budget', () => {
    // A page holds at most PAGE_BYTES of blocks, or one block of up to MAX_PEER_BLOCK_BYTES.
    expect(PAGE_ANSWER_BYTES).toBeGreaterThan(Math.max(PAGE_BYTES, MAX_PEER_BLOCK_BYTES) + 64 * 1024);
    expect(SYNC_BYTES_IN_FLIGHT).toBeGreaterThanOrEqual(SYNC_PAGES_IN_FLIGHT * PAGE_ANSWER_BYTES);
  });
});

describe('long branches adopted in parts', () => {
  /** A node at a new address whose syncs adopt parts of `blocks` blocks, on the memory network. */
  function nodeAdoptingParts(blocks: number, events: string[]): NodeServices {
    const { port, address } = net.allocateAddress();
    const services = openNode({
      dataDir: tempDir(),
      profile: net.profile,
      port,
      solver: new InlineSolver(),
      transport: net.transportFor(address),
      network: { syncIntervalMs: 0, adoptEvery: { blocks, bytes: 64 * 1024 * 1024 } },
      clock: () => net.now,
    });
    services.node.events.on('chain-replaced', ({ height }) => events.push(`replaced ${height}`));
    opened.push(services);
    return services;
  }

  it('adopts a long branch part by part as its pages are validated, each part one switch', async () => {
    const a = await sourceNode();
    const events: string[] = [];
    const b = nodeAdoptingParts(400, events);
    b.network.registerPeers([a.address]);
    const outcome = await b.network.resolve();
    expect(outcome.replaced).toBe(true);
    expect(reportOf(outcome.peers, a.address)).toMatchObject({ status: 'adopted', length: LENGTH + 1 });
    // Parts at page boundaries once 400 blocks wait: after pages 1 and 2; the last page at the end.
    expect(events).toEqual([`replaced ${1 + SYNC_PAGE}`, `replaced ${1 + 2 * SYNC_PAGE}`, `replaced ${LENGTH + 1}`]);
    expect(b.node.blocksJson().equals(a.node.blocksJson())).toBe(true);
    expectCanonicalTexts(b);
  });

  it('keeps the parts adopted before a bad page, nothing past it, and blames the peer', async () => {
    const a = await sourceNode();
    const bad = 2 + 2 * SYNC_PAGE + 100; // in the third page
    const liar = net.addLiar(
      net.allocateAddress().address,
      relay(a, (request, answer) => {
        const from = Number(query(request).get('from'));
        if (from !== 2 + 2 * SYNC_PAGE) return answer;
        const blocks = rawBlocks(answer.body as string);
        const k = bad - from;
        blocks[k] = (blocks[k] as string).replace(/"previous_hash":"[0-9a-f]+"/, `"previous_hash":"${'0'.repeat(64)}"`);
        return { status: 200, body: `{"blocks":[${blocks.join(',')}],"height":${LENGTH + 1}}` };
      }),
    );
    const events: string[] = [];
    const b = nodeAdoptingParts(400, events);
    b.network.registerPeers([liar]);
    const outcome = await b.network.resolve();
    expect(outcome.replaced).toBe(true);
    expect(reportOf(outcome.peers, liar)).toMatchObject({
      status: 'invalid',
      code: ErrorCode.PreviousHashMismatch,
      misbehaved: true,
    });
    expect(b.network.health().find((h) => h.address === liar)?.status).toBe('banned');
    // The two parts validated before the bad page, nothing of that page.
    expect(b.node.chain.length).toBe(1 + 2 * SYNC_PAGE);
    expect(b.node.tip.hash).toBe(a.node.chain[2 * SYNC_PAGE]?.hash);
  });

  it('adopts nothing while the branch has no more work than ours', async () => {
    const a = await sourceNode();
    const events: string[] = [];
    const b = nodeAdoptingParts(400, events);
    // B's own chain: more blocks than A's first two pages, so parts wait until A's branch beats it.
    const own = extendChain(
      net.profile,
      b.node.chain,
      Array.from({ length: 2 * SYNC_PAGE + 50 }, () => []),
      'e'.repeat(32),
      net.now + 1,
    );
    const branch = validateBranch(
      net.profile,
      b.node.viewAt(1),
      own.slice(1).map((blk) => blk.json),
    );
    expect(b.node.adoptBranch(1, branch)).not.toBeNull();
    events.length = 0;
    b.network.registerPeers([a.address]);
    const outcome = await b.network.resolve();
    expect(reportOf(outcome.peers, a.address).status).toBe('adopted');
    // Nothing after pages 1 and 2 (1,000 blocks: less than B's 1,050); all at the end.
    expect(events).toEqual([`replaced ${LENGTH + 1}`]);
    expect(b.node.tip.hash).toBe(a.node.tip.hash);
  });
});

describe('stored text', () => {
  it('stores a block the page spelled otherwise as writeJson writes it, and the others as they came', async () => {
    const a = await sourceNode();
    const odd = 2 + 10;
    const liar = net.addLiar(
      net.allocateAddress().address,
      relay(a, (request, answer) => {
        if (Number(query(request).get('from')) !== 2) return answer;
        const blocks = rawBlocks(answer.body as string);
        // The same values, spelled as Python's json.dumps spells them (spaces after , and :).
        const k = odd - 2;
        blocks[k] = (blocks[k] as string).replaceAll('","', '", "').replace('"index":', '"index": ');
        return { status: 200, body: `{"blocks":[${blocks.join(',')}],"height":${LENGTH + 1}}` };
      }),
    );
    const b = await net.createNode('B');
    const texts = captureTexts(b);
    b.network.registerPeers([liar]);
    const outcome = await net.resolve(b);
    expect(reportOf(outcome.peers, liar).status).toBe('adopted');
    // Kept up to the respelled block; that page's rest written by the node; later pages kept.
    expect(texts[0]?.slice(0, odd - 2).every((text) => text !== undefined)).toBe(true);
    expect(texts[0]?.[odd - 2]).toBeUndefined();
    expect(texts[0]?.slice(SYNC_PAGE).every((text) => text !== undefined)).toBe(true);
    expect(b.node.blocksJson().equals(a.node.blocksJson())).toBe(true);
    expectCanonicalTexts(b);
  });
});

describe('precheck', () => {
  /** A node at a new address with `precheck`, its network on the memory network. */
  function nodeWithPrecheck(precheck: (values: readonly JsonValue[]) => Promise<void>, debug: string[]): NodeServices {
    const { port, address } = net.allocateAddress();
    const services = openNode({
      dataDir: tempDir(),
      profile: net.profile,
      port,
      solver: new InlineSolver(),
      transport: net.transportFor(address),
      network: { syncIntervalMs: 0 },
      clock: () => net.now,
      precheck,
      logger: { info() {}, warn() {}, error() {}, debug: (_obj, msg) => debug.push(msg ?? '') },
    });
    opened.push(services);
    return services;
  }

  it('is called with each fetched page before it is validated, and with each pushed block', async () => {
    const a = await sourceNode();
    const calls: { first: string; count: number; height: number }[] = [];
    let services: NodeServices | null = null;
    services = nodeWithPrecheck(async (values) => {
      const first = values[0];
      calls.push({
        first: isJsonObject(first) ? writeJson(first.index as JsonValue) : '?',
        count: values.length,
        height: services?.node.chain.length ?? -1,
      });
    }, []);
    services.network.registerPeers([a.address]);
    const outcome = await services.network.resolve();
    expect(reportOf(outcome.peers, a.address).status).toBe('adopted');
    // One call per page, each before anything was adopted.
    expect(calls).toEqual([
      { first: '2', count: SYNC_PAGE, height: 1 },
      { first: String(2 + SYNC_PAGE), count: SYNC_PAGE, height: 1 },
      { first: String(2 + 2 * SYNC_PAGE), count: 300, height: 1 },
    ]);

    const mined = await net.mine(a);
    calls.length = 0;
    const status = await services.network.receiveBlock({ block: mined.json }, '10.0.0.99');
    expect(status).toBe('appended');
    expect(calls).toEqual([{ first: String(mined.height), count: 1, height: LENGTH + 1 }]);
  });

  it('fails nothing when it throws: logged at debug, and validation decides', async () => {
    const a = await sourceNode();
    const debug: string[] = [];
    const services = nodeWithPrecheck(async () => {
      throw new Error('the pool is closing');
    }, debug);
    services.network.registerPeers([a.address]);
    const outcome = await services.network.resolve();
    expect(reportOf(outcome.peers, a.address).status).toBe('adopted');
    expect(services.node.tip.hash).toBe(a.node.tip.hash);
    expect(debug.filter((m) => m === 'precheck failed').length).toBe(3);

    const mined = await net.mine(a);
    expect(await services.network.receiveBlock({ block: mined.json }, '10.0.0.99')).toBe('appended');
    // A bad block is still refused by validation.
    const next = await net.mine(a);
    const forged = parseJson(writeJson(next.json)) as Record<string, JsonValue>;
    forged.transactions = 'not a list';
    await expect(services.network.receiveBlock({ block: forged }, '10.0.0.99')).rejects.toMatchObject({
      code: ErrorCode.BlockShape,
    });
  });
});

/** The texts of the blocks of a page written as `{"blocks":[...],"height":n}` (split at top level). */
function rawBlocks(page: string): string[] {
  const start = page.indexOf('[') + 1;
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let from = start;
  for (let k = start; k < page.length; k++) {
    const c = page[k];
    if (inString) {
      if (c === '\\') k++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      if (depth === 0) {
        if (k > from) out.push(page.slice(from, k));
        return out;
      }
      depth--;
    } else if (c === ',' && depth === 0) {
      out.push(page.slice(from, k));
      from = k + 1;
    }
  }
  throw new Error('unterminated page');
}
