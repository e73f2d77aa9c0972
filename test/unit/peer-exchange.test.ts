/**
 * Peer exchange (`GET /peer/addresses`) and LAN discovery's candidates, on the in-memory network
 * (real nodes and routes through Fastify inject, virtual time): a class whose students know only the
 * teacher's node becomes one network; what a peer lists is only a candidate, checked by dialing back;
 * the table stays bounded and the user's registrations untouched; answers are rate-limited.
 */

import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/core/errors.js';
import {
  announcementRecords,
  announcementTxt,
  candidateOf,
  DatagramGate,
  MAX_DATAGRAM,
  type Mdns,
  type MdnsPacket,
  type MdnsRecord,
  SOURCE_BURST,
  servicesIn,
  startDiscovery,
  worthDecoding,
} from '../../src/node/discovery.js';
import { parsePeerAddress } from '../../src/node/peer-address.js';
import {
  CandidateQueue,
  EXCHANGE_BURST,
  MAX_SHARED_PEERS,
  RateLimiter,
  readExchangeAnswer,
  remoteKey,
} from '../../src/node/peer-exchange.js';
import { MAX_LEARNED_PEERS, MAX_LEARNED_PER_HOST } from '../../src/node/peer-network.js';
import { cleanupAll } from '../support/harness.js';
import { type LiarRequest, MemoryNetwork, type MemoryNode } from '../support/memory-network.js';

const dnsPacket = createRequire(import.meta.url)('dns-packet') as { encode(value: object): Buffer };

let net: MemoryNetwork;

beforeEach(() => {
  net = new MemoryNetwork();
});
afterEach(async () => {
  await net.closeAll();
});
afterAll(async () => {
  await cleanupAll();
});

const keysOf = (n: MemoryNode): string[] => n.network.peers.map((p) => p.key).sort();
const othersOf = (n: MemoryNode, all: readonly MemoryNode[]): string[] =>
  all
    .filter((m) => m !== n)
    .map((m) => m.address)
    .sort();

/** Fake nodes, each answering `/peer/status` as node `id` at `height` (and 404 to anything else). */
function addFakeNodes(fakes: readonly { address: string; id: string }[], height: number): void {
  for (const fake of fakes) {
    net.addLiar(fake.address, ({ path }) =>
      path === '/peer/status'
        ? {
            status: 200,
            body: { node_id: fake.id, profile: 'seed', difficulty: 1, height, work: String(height) },
          }
        : { status: 404, body: 'Not Found' },
    );
  }
}

/** A blockforge peer as far as a node can tell (it answers the hello) that lists `peers`. */
function addLister(peers: readonly { address: string; node_id: string }[]): string {
  return net.addLiar(net.allocateAddress().address, ({ path }) =>
    path === '/peer/addresses'
      ? { status: 200, body: { peers } }
      : path === '/peer/hello'
        ? { status: 200, body: { node_id: 'b'.repeat(32), height: 1 } }
        : { status: 404, body: 'Not Found' },
  );
}

describe('peer exchange', () => {
  it("turns a class that knows only the teacher's node into one network, and a block reaches everyone", async () => {
    const [teacher, ...students] = (await net.createNodes(9)) as MemoryNode[];
    if (!teacher) throw new Error('nodes');
    net.start(teacher);
    // Students arrive one by one, each told only the teacher's address.
    for (const student of students) {
      student.network.registerPeers([teacher.address]);
      net.start(student);
      await net.settle();
    }
    const all = [teacher, ...students];
    for (const n of all) expect(keysOf(n), n.name).toEqual(othersOf(n, all));
    // What the user registered stays registered; the rest was learned (in memory, checked).
    for (const student of students) {
      for (const health of student.network.health()) {
        expect(health.origin).toBe(health.address === teacher.address ? 'registered' : 'learned');
        expect(health.status).toBe('ok');
      }
    }
    // The last student's block is pushed straight to every node it learned.
    const last = students.at(-1) as MemoryNode;
    const block = await net.mine(last);
    await net.settle();
    for (const n of all) expect(n.node.tip.hash, n.name).toBe(block.hash);
  });

  it('lists only the blockforge peers it reached, each with its node id, most recent first', async () => {
    const [a, b, c] = (await net.createNodes(3)) as [MemoryNode, MemoryNode, MemoryNode];
    const silent = net.allocateAddress().address;
    a.network.registerPeers([b.address, c.address, silent]);
    net.start(a);
    await net.settle();
    const answer = await net.call(b, 'GET', '/peer/addresses');
    expect(answer.status).toBe(200);
    // B learned A (A said hello); C and the silent address are not B's peers.
    expect(answer.json).toEqual({ peers: [{ address: a.address, node_id: a.node.nodeId }] });
    const fromA = await net.call(a, 'GET', '/peer/addresses');
    const listed = (fromA.json.peers as { address: string; node_id: string }[]).map((p) => p.address).sort();
    // Never the address that did not answer.
    expect(listed).toEqual([b.address, c.address].sort());
    for (const p of fromA.json.peers) expect(p.node_id).toBe(net.nodeAt(p.address)?.node.nodeId);
  });

  it('learns a listed address only when that node answers there; a false listing teaches nothing', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    const unreachable = net.allocateAddress().address;
    const asked: string[] = [];
    // A liar lists B under a made-up node id, an address where nothing answers, junk, and itself.
    const liar = net.addLiar(net.allocateAddress().address, (request: LiarRequest) => {
      asked.push(`${request.method} ${request.path}`);
      if (request.path === '/peer/addresses') {
        return {
          status: 200,
          body: {
            peers: [
              { address: b.address, node_id: 'f'.repeat(32) },
              { address: unreachable, node_id: 'e'.repeat(32) },
              { address: 'not an address', node_id: 'd'.repeat(32) },
              { address: 'ftp://x:1', node_id: 'c'.repeat(32) },
              { address: a.address, node_id: a.node.nodeId },
              { address: 42, node_id: 7 },
              'junk',
            ],
          },
        };
      }
      if (request.path === '/peer/hello') return { status: 200, body: { node_id: 'a'.repeat(32), height: 1 } };
      return { status: 404, body: 'Not Found' };
    });
    a.network.registerPeers([liar]);
    net.start(a);
    await net.settle();
    expect(asked).toContain('GET /peer/addresses');
    // B was dialed and answered with its own id, not the listed one: not learned.
    expect(keysOf(a)).toEqual([liar]);
    expect(net.log.some((r) => r.from === a.address && r.to === b.address && r.path === '/peer/status')).toBe(true);
  });

  it('keeps the learned table bounded whatever a peer lists, and the registered peers untouched', async () => {
    const [a] = (await net.createNodes(1)) as [MemoryNode];
    // A liar that lists 10,000 nodes, each of which answers as the node it was listed as.
    const ids = new Map<string, string>();
    const addresses: string[] = [];
    for (let k = 0; k < 120; k++) {
      const address = net.allocateAddress().address;
      const id = k.toString(16).padStart(32, '0');
      ids.set(address, id);
      addresses.push(address);
      net.addLiar(address, ({ path }) =>
        path === '/peer/status'
          ? {
              status: 200,
              body: { node_id: id, profile: 'seed', difficulty: 1, height: 1, work: '1', tip: 'x', genesis: 'y' },
            }
          : path === '/peer/hello'
            ? { status: 200, body: { node_id: id, height: 1 } }
            : path === '/peer/addresses'
              ? {
                  status: 200,
                  body: {
                    peers: Array.from({ length: 10_000 }, (_, j) => ({
                      address: addresses[j % addresses.length],
                      node_id: ids.get(addresses[j % addresses.length] as string),
                    })),
                  },
                }
              : { status: 404, body: 'Not Found' },
      );
    }
    const registered = ['10.9.0.1:9000', '10.9.0.2:9000'];
    a.network.registerPeers([addresses[0] as string, ...registered]);
    net.start(a);
    await net.settle(20_000);
    const health = a.network.health();
    expect(health.filter((h) => h.origin === 'learned').length).toBeLessThanOrEqual(MAX_LEARNED_PEERS);
    // One answer teaches at most MAX_SHARED_PEERS addresses (the liar listed 10,000).
    expect(health.filter((h) => h.origin === 'learned').length).toBeLessThanOrEqual(MAX_SHARED_PEERS);
    expect(health.filter((h) => h.origin === 'registered').map((h) => h.address)).toEqual([
      addresses[0],
      ...registered,
    ]);
  });

  it('learns at most a few nodes at one address, however many ports answer there', async () => {
    const [a] = (await net.createNodes(1)) as [MemoryNode];
    // One machine (10.0.9.9) answering as 64 nodes, one per port, each claiming a huge height.
    const host = '10.0.9.9';
    const fakes = Array.from({ length: 64 }, (_, k) => ({
      address: `${host}:${6000 + k}`,
      id: (k + 1).toString(16).padStart(32, 'f'),
    }));
    addFakeNodes(fakes, 1_000_000);
    const lister = addLister(fakes.map((f) => ({ address: f.address, node_id: f.id })));
    a.network.registerPeers([lister]);
    net.start(a);
    await net.settle(5_000);
    const learned = a.network.health().filter((h) => h.origin === 'learned');
    expect(learned.length).toBe(MAX_LEARNED_PER_HOST);
    // And what it passes on is as bounded.
    const shared = (await net.call(a, 'GET', '/peer/addresses')).json.peers as { address: string }[];
    expect(shared.filter((p) => p.address.startsWith(`${host}:`)).length).toBeLessThanOrEqual(MAX_LEARNED_PER_HOST);
  });

  it('counts an IPv6 /64 as one host for the cap', async () => {
    const [a] = (await net.createNodes(1)) as [MemoryNode];
    const fakes = Array.from({ length: 20 }, (_, k) => ({
      address: `[2001:db8:1:2::${(k + 1).toString(16)}]:6000`,
      id: (k + 1).toString(16).padStart(32, 'e'),
    }));
    addFakeNodes(fakes, 1);
    const lister = addLister(fakes.map((f) => ({ address: f.address, node_id: f.id })));
    a.network.registerPeers([lister]);
    net.start(a);
    await net.settle(5_000);
    expect(a.network.health().filter((h) => h.origin === 'learned').length).toBe(MAX_LEARNED_PER_HOST);
  });

  it('never dials what a LAN peer lists on loopback, link-local, multicast or by name', async () => {
    const [a] = (await net.createNodes(1)) as [MemoryNode];
    const listed = [
      '127.0.0.1:6379',
      'localhost:22',
      '[::1]:8080',
      '169.254.169.254:80',
      '0.0.0.0:5003',
      '224.0.0.251:5353',
      '[fe80::1]:5000',
      'db.internal:5432',
    ];
    // Spellings of loopback and of the unspecified address too.
    listed.push('[::ffff:127.0.0.1]:7000', '0x7f.1:7001', '2130706433:7002', '[::]:7003', '127.0.0.1.:7004');
    // This machine's own LAN address, on another port (its services): as loopback.
    const own = Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .find((info) => info.family === 'IPv4' && !info.internal)?.address;
    if (own !== undefined) listed.push(`${own}:22`, `${own}:6379`);
    // A blockforge node as far as A can tell (it answers the hello), so A asks it for its peers.
    const lister = addLister(
      listed.map((address, k) => ({ address, node_id: k.toString(16).repeat(32).slice(0, 32) })),
    );
    a.network.registerPeers([lister]);
    net.start(a);
    await net.settle();
    expect(net.log.some((r) => r.from === a.address && r.path === '/peer/addresses')).toBe(true);
    const dialed = new Set(net.log.filter((r) => r.from === a.address).map((r) => r.to));
    expect([...dialed]).toEqual([lister]);
  });

  it('lists its loopback peers only to askers on loopback', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    // A node of the same machine, as `blockforge class` registers them.
    const genesis = a.node.tip.hash;
    const local = net.addLiar('127.0.0.1:9999', ({ path }) =>
      path === '/peer/hello'
        ? { status: 200, body: { node_id: '9'.repeat(32), height: 1 } }
        : path === '/peer/status'
          ? {
              status: 200,
              body: {
                node_id: '9'.repeat(32),
                profile: 'seed',
                difficulty: 1,
                height: 1,
                work: '1',
                tip: genesis,
                genesis,
              },
            }
          : { status: 404, body: 'Not Found' },
    );
    a.network.registerPeers([b.address, local]);
    net.start(a);
    await net.settle();
    const ask = async (remoteAddress: string) =>
      (
        JSON.parse((await a.app.inject({ method: 'GET', url: '/peer/addresses', remoteAddress })).body).peers as {
          address: string;
        }[]
      )
        .map((p) => p.address)
        .sort();
    expect(await ask('10.0.0.77')).toEqual([b.address]);
    expect(await ask('127.0.0.1')).toEqual([local, b.address].sort());
  });

  it('answers each remote address a burst of exchanges, then one a second, in the error shape', async () => {
    const [a] = (await net.createNodes(1)) as [MemoryNode];
    const ask = (remoteAddress: string) => a.app.inject({ method: 'GET', url: '/peer/addresses', remoteAddress });
    for (let k = 0; k < EXCHANGE_BURST; k++) expect((await ask('10.7.0.1')).statusCode).toBe(200);
    const refused = await ask('10.7.0.1');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body)).toMatchObject({
      statusCode: 429,
      code: ErrorCode.RateLimited,
      error: 'Too Many Requests',
    });
    // Another address is not held by the first one's limit.
    expect((await ask('10.7.0.2')).statusCode).toBe(200);
    net.advance(1);
    expect((await ask('10.7.0.1')).statusCode).toBe(200);
    expect((await ask('10.7.0.1')).statusCode).toBe(429);
  });

  it('asks the same peer again only after a minute', async () => {
    const [a, b] = (await net.createNodes(2)) as [MemoryNode, MemoryNode];
    a.network.registerPeers([b.address]);
    net.start(a);
    await net.settle();
    const exchanges = () => net.log.filter((r) => r.from === a.address && r.path === '/peer/addresses').length;
    expect(exchanges()).toBe(1);
    // A registration again says hello again; no second exchange within the minute.
    a.network.removePeer(b.address);
    a.network.registerPeers([b.address]);
    await net.settle();
    expect(exchanges()).toBe(1);
    net.advance(61);
    a.network.removePeer(b.address);
    a.network.registerPeers([b.address]);
    await net.settle();
    expect(exchanges()).toBe(2);
  });
});

describe('peer exchange parts', () => {
  it('reads an answer: entries that cannot be peers are skipped, at most MAX_SHARED_PEERS taken', () => {
    const id = 'ab'.repeat(16);
    const many = Array.from({ length: 100 }, (_, k) => ({ address: `10.1.0.${k + 1}:5000`, node_id: id }));
    expect(readExchangeAnswer({ peers: many } as never)).toHaveLength(MAX_SHARED_PEERS);
    expect(
      readExchangeAnswer({
        peers: [
          { address: '10.1.0.1:5000', node_id: 'AB'.repeat(16) },
          { address: 'x'.repeat(400), node_id: id },
          { address: 'http://10.1.0.2:5000', node_id: id },
        ],
      } as never).map((p) => p.address.key),
    ).toEqual(['10.1.0.2:5000']);
    expect(() => readExchangeAnswer({ nodes: [] } as never)).toThrow(/no "peers" list/);
  });

  it('queues candidates once each, dropping the oldest beyond its capacity', () => {
    const queue = new CandidateQueue(3);
    const c = (k: number) => ({
      address: parsePeerAddress(`10.2.0.${k}:5000`),
      nodeId: 'a'.repeat(32),
      via: 'exchange' as const,
    });
    expect(queue.push(c(1))).toBe(true);
    expect(queue.push(c(1))).toBe(false);
    for (const k of [2, 3, 4]) queue.push(c(k));
    expect(queue.size).toBe(3);
    expect([queue.shift(), queue.shift(), queue.shift(), queue.shift()].map((x) => x?.address.key)).toEqual([
      '10.2.0.2:5000',
      '10.2.0.3:5000',
      '10.2.0.4:5000',
      undefined,
    ]);
  });

  it('counts an IPv6 client by its /64, and an IPv4-mapped address as the IPv4 one', () => {
    expect(remoteKey('2001:db8:1:2:3:4:5:6')).toBe(remoteKey('2001:db8:1:2::9'));
    expect(remoteKey('2001:db8:1:3::9')).not.toBe(remoteKey('2001:db8:1:2::9'));
    expect(remoteKey('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(remoteKey(undefined)).toBe('unknown');
  });

  it('refills a bucket with time, and forgets the least recent keys beyond its bound', () => {
    let now = 0;
    const limiter = new RateLimiter(2, 10, () => now, 2);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([true, true, false]);
    now = 5;
    expect(limiter.take('a')).toBe(false);
    now = 15;
    expect(limiter.take('a')).toBe(true);
    expect(limiter.take('a')).toBe(false);
    // Two other keys push 'a' out: it starts with a full bucket again (the bound's cost, one burst).
    limiter.take('b');
    limiter.take('c');
    expect(limiter.take('a')).toBe(true);
    expect(() => new RateLimiter(0, 1, () => 0)).toThrow(RangeError);
    // A clock stepping back neither refills nor locks the key out for the length of the step.
    now = 1_000;
    const back = new RateLimiter(1, 1, () => now);
    expect(back.take('x')).toBe(true);
    now = 0;
    expect(back.take('x')).toBe(false);
    now = 1;
    expect(back.take('x')).toBe(true);
  });
});

describe('LAN discovery candidates', () => {
  const self = {
    nodeId: '1'.repeat(32),
    port: 5000,
    profile: 'ledger',
    params: { network: 'bfdev', genesis: 'ab'.repeat(32) },
  };
  const other = { ...self, nodeId: '2'.repeat(32) };
  const service = (txt: unknown, more: object = {}) => ({
    port: 5001,
    txt,
    addresses: ['fe80::1', '192.168.1.7'],
    referer: { address: '192.168.1.9', family: 'IPv4' },
    ...more,
  });

  it('takes a node on the same rules, at the address its answer came from', () => {
    const found = candidateOf(service(announcementTxt(other)), self);
    expect(found?.address.key).toBe('192.168.1.9:5001');
    expect(found?.nodeId).toBe(other.nodeId);
    // No IPv4 referer: the first IPv4 address it announced.
    const viaRecord = candidateOf(
      service(announcementTxt(other), { referer: { address: 'fe80::9', family: 'IPv6' } }),
      self,
    );
    expect(viaRecord?.address.key).toBe('192.168.1.7:5001');
  });

  it('skips itself, other rules, bad records and nodes it cannot reach over IPv4', () => {
    expect(candidateOf(service(announcementTxt(self)), self)).toBeNull();
    expect(candidateOf(service(announcementTxt({ ...other, profile: 'seed' })), self)).toBeNull();
    expect(
      candidateOf(service(announcementTxt({ ...other, params: { ...other.params, genesis: 'cd'.repeat(32) } })), self),
    ).toBeNull();
    expect(candidateOf(service({ ...announcementTxt(other), id: 'not hex' }), self)).toBeNull();
    expect(candidateOf(service(null), self)).toBeNull();
    expect(candidateOf(service('txt'), self)).toBeNull();
    expect(candidateOf(service(announcementTxt(other), { port: 0 }), self)).toBeNull();
    expect(candidateOf(service(announcementTxt(other), { port: 70_000 }), self)).toBeNull();
    expect(
      candidateOf(service(announcementTxt(other), { addresses: ['fe80::1'], referer: { address: 'fe80::9' } }), self),
    ).toBeNull();
  });
});

/** An mDNS socket in memory: what was sent, and packets delivered by hand. */
class FakeMdns implements Mdns {
  readonly sent: { kind: 'query' | 'respond'; records: unknown }[] = [];
  destroyed = false;
  private readonly listeners = new Map<string, ((...args: never[]) => void)[]>();

  on(event: string, listener: (...args: never[]) => void): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (...a: unknown[]) => void)(...args);
  }

  query(questions: { name: string; type: string }[]): void {
    this.sent.push({ kind: 'query', records: questions });
  }

  respond(packet: { answers: MdnsRecord[] }, callback?: () => void): void {
    this.sent.push({ kind: 'respond', records: packet.answers });
    callback?.();
  }

  destroy(callback?: () => void): void {
    this.destroyed = true;
    callback?.();
  }
}

describe('LAN discovery on a socket', () => {
  const self = {
    nodeId: '1'.repeat(32),
    port: 5000,
    profile: 'seed',
    params: { difficulty: 4 },
    addresses: ['10.1.1.1'],
  };
  const peerRecords = (k: number, port = 5000): MdnsRecord[] =>
    announcementRecords({ ...self, nodeId: k.toString(16).padStart(32, '2'), port, addresses: [`10.1.1.${k}`] });
  const logs: string[] = [];
  const logger = {
    info: () => undefined,
    debug: () => undefined,
    warn: (_: object, message: string) => logs.push(message),
    error: () => undefined,
  };

  it('finds a node on the same rules in an announcement or an answer, and never itself', () => {
    const mdns = new FakeMdns();
    const found: string[] = [];
    let now = 0;
    const discovery = startDiscovery(
      self,
      (address, id) => found.push(`${address.key} ${id}`),
      logger as never,
      () => now,
      mdns,
    );
    // It announced itself and asked the LAN.
    expect(mdns.sent.map((s) => s.kind)).toEqual(['respond', 'query']);
    // An announcement: every record an answer.
    mdns.emit('response', { answers: peerRecords(2) } satisfies MdnsPacket, { address: '10.1.1.2' });
    // An answer to our query: PTR as the answer, the rest as additionals, the port another.
    const [ptr, ...rest] = peerRecords(3, 5003);
    mdns.emit('response', { answers: [ptr as MdnsRecord], additionals: rest }, { address: '10.1.1.3' });
    // Ourselves (multicast comes back), a goodbye (TTL 0), and a node on other rules: nothing.
    mdns.emit('response', { answers: announcementRecords(self) }, { address: '10.1.1.1' });
    mdns.emit(
      'response',
      { answers: announcementRecords({ ...self, nodeId: '4'.repeat(32) }, 0) },
      { address: '10.1.1.4' },
    );
    mdns.emit(
      'response',
      { answers: announcementRecords({ ...self, nodeId: '5'.repeat(32), params: { difficulty: 3 } }) },
      { address: '10.1.1.5' },
    );
    expect(found).toEqual([`10.1.1.2:5000 ${'2'.repeat(31)}2`, `10.1.1.3:5003 ${'2'.repeat(31)}3`]);
    // Queries for our service are answered, at most once a second.
    const query = { questions: [{ name: '_blockforge._tcp.local', type: 'PTR' }] };
    mdns.emit('query', query, { address: '10.1.1.9' });
    mdns.emit('query', query, { address: '10.1.1.9' });
    now = 1.5;
    mdns.emit('query', query, { address: '10.1.1.8' });
    mdns.emit('query', { questions: [{ name: '_http._tcp.local', type: 'PTR' }] }, { address: '10.1.1.8' });
    expect(mdns.sent.filter((s) => s.kind === 'respond').length).toBe(3);
    void discovery.stop();
  });

  it('reads a bounded part of each packet, and a bounded number of packets from one source', () => {
    const mdns = new FakeMdns();
    let found = 0;
    const now = 0;
    const discovery = startDiscovery(
      self,
      () => found++,
      logger as never,
      () => now,
      mdns,
    );
    // One packet naming 1,000 services: at most 4 taken (and at most 64 records read).
    const many = Array.from({ length: 1000 }, (_, k) => peerRecords(k + 2)).flat();
    mdns.emit('response', { answers: many }, { address: '10.1.1.7' });
    expect(found).toBeLessThanOrEqual(4);
    // Junk records do not throw.
    mdns.emit(
      'response',
      { answers: [{ name: 'x._blockforge._tcp.local', type: 'TXT', data: [42, null, Buffer.from('=x')] }, null, {}] },
      { address: '10.1.1.5' },
    );
    void discovery.stop();
  });

  it('decodes a datagram only when its size and counts are sane and its source has a token left', () => {
    const encode = (answers: MdnsRecord[]): Buffer => dnsPacket.encode({ type: 'response', answers });
    let now = 0;
    const gate = new DatagramGate(() => now);
    const fine = encode(peerRecords(2));
    // A flood from one address: a burst, then two a second; another address is not held by it.
    let admitted = 0;
    for (let k = 0; k < 1000; k++) if (gate.admit(fine, '10.1.1.6')) admitted++;
    expect(admitted).toBe(SOURCE_BURST);
    expect(gate.admit(fine, '10.1.1.7')).toBe(true);
    now = 10;
    expect(gate.admit(fine, '10.1.1.6')).toBe(true);
    // Too many entries, too big or too short: dropped unread, whatever the source.
    const many = encode(Array.from({ length: 20 }, (_, k) => peerRecords(k + 2)).flat());
    expect(worthDecoding(fine)).toBe(true);
    expect(worthDecoding(many)).toBe(false);
    expect(worthDecoding(Buffer.concat([fine, Buffer.alloc(MAX_DATAGRAM)]))).toBe(false);
    expect(worthDecoding(Buffer.alloc(11))).toBe(false);
    // The red-team's datagram: thousands of questions pointing at a chain of compression pointers.
    const chain = Buffer.alloc(65_000);
    chain.writeUInt16BE(10_000, 4);
    expect(worthDecoding(chain)).toBe(false);
  });

  it('goes on without discovery when the socket fails, and says goodbye on stop', async () => {
    const mdns = new FakeMdns();
    logs.length = 0;
    const discovery = startDiscovery(self, () => undefined, logger as never, undefined, mdns);
    mdns.emit('error', Object.assign(new Error('bind EADDRINUSE 0.0.0.0:5353'), { code: 'EADDRINUSE' }));
    mdns.emit('error', new Error('again'));
    expect(logs).toEqual(['LAN discovery unavailable (multicast failed): peers only by --peer and exchange']);
    await discovery.stop();
    expect(mdns.destroyed).toBe(true);

    const healthy = new FakeMdns();
    const other = startDiscovery(self, () => undefined, logger as never, undefined, healthy);
    await Promise.all([other.stop(), other.stop()]);
    const goodbye = healthy.sent.at(-1);
    expect(goodbye?.kind).toBe('respond');
    expect(((goodbye?.records ?? []) as MdnsRecord[]).every((r) => r.ttl === 0)).toBe(true);
    expect(healthy.destroyed).toBe(true);
  });

  it('reads a service from its records', () => {
    const [ptr, ...rest] = peerRecords(2, 5002);
    expect(servicesIn({ answers: [ptr as MdnsRecord], additionals: rest }, '10.1.1.2')).toEqual([
      {
        port: 5002,
        txt: { ...announcementTxt({ ...self, nodeId: `${'2'.repeat(31)}2` }) },
        addresses: ['10.1.1.2'],
        referer: { address: '10.1.1.2' },
      },
    ]);
  });
});
