/**
 * LAN discovery: a node announces itself over mDNS/DNS-SD (RFC 6762/6763: service
 * `_blockforge._tcp.local`, on a UDP socket of its own with `dns-packet` for the wire format) and
 * listens for others of the same kind. A node
 * found this way is only a candidate: the peer network dials it back (`/peer/status`, the node id it
 * announced) before it becomes a learned peer, bounded like the peers learned from hellos (see
 * `peer-network.ts`). Nodes on other rules (another profile, difficulty or genesis, from the
 * announcement's TXT record) are not even dialed.
 *
 * Anyone on the LAN can send mDNS packets, so everything here is bounded: answers are read from at
 * most {@link MAX_DATAGRAM} bytes, {@link MAX_RECORDS} records and {@link MAX_INSTANCES} services a
 * packet (checked before decoding), each source address gets {@link SOURCE_BURST} packets and then
 * one every {@link SOURCE_REFILL_S} s, nothing is kept
 * between packets (a node is found again by the query every {@link REQUERY_SECONDS} s), and this node
 * answers queries at most once a second (no amplification).
 *
 * Discovery is advisory: a machine where multicast fails (no interface, port 5353 taken without
 * address reuse) logs one warning and runs without it.
 */

import { createSocket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { NodeLogger } from './blockforge-node.js';
import { type PeerAddress, parsePeerAddress } from './peer-address.js';
import { RateLimiter } from './peer-exchange.js';

/** The DNS-SD service this node announces and looks for. */
export const SERVICE = '_blockforge._tcp.local';

/** Seconds between two queries of the LAN (a lost announcement is found again within this). */
export const REQUERY_SECONDS = 30;

/** Records of one packet looked at, and services of one packet taken. */
export const MAX_RECORDS = 64;
export const MAX_INSTANCES = 4;

/** Packets one source address may send at once, then one every {@link SOURCE_REFILL_S} seconds. */
export const SOURCE_BURST = 16;
export const SOURCE_REFILL_S = 0.5;

/** Seconds the announcement's records live in the others' caches (RFC 6762's defaults). */
const HOST_TTL = 120;
const OTHER_TTL = 4500;

/** What this node announces: how to reach it and which rules it runs. */
export interface Announcement {
  readonly nodeId: string;
  readonly port: number;
  /** The profile's name. */
  readonly profile: string;
  /** The profile's parameters (what two nodes must share), as in `/peer/status`. */
  readonly params: Readonly<Record<string, string | number>>;
  /** The IPv4 addresses it listens on (none given: every non-internal interface's). */
  readonly addresses?: readonly string[];
}

/** A service read from a packet: its port, TXT record and addresses, and where the packet came from. */
export interface FoundService {
  readonly port?: number;
  readonly txt?: unknown;
  readonly addresses?: readonly string[];
  /** Where the answer came from: on a LAN, an address that reaches it. */
  readonly referer?: { readonly address: string; readonly family?: string };
}

/** A DNS record as `dns-packet` reads and writes them (the fields used here). */
export interface MdnsRecord {
  readonly name: string;
  readonly type: string;
  readonly ttl?: number;
  readonly data?: unknown;
}

/** A decoded mDNS packet. */
export interface MdnsPacket {
  readonly questions?: readonly { readonly name: string; readonly type: string }[];
  readonly answers?: readonly MdnsRecord[];
  readonly additionals?: readonly MdnsRecord[];
}

/** The mDNS socket's interface used here ({@link createMdns}; a fake in tests). */
export interface Mdns {
  on(event: 'query' | 'response', listener: (packet: MdnsPacket, rinfo: { address: string }) => void): unknown;
  on(event: 'error' | 'warning', listener: (err: Error) => void): unknown;
  query(questions: { name: string; type: string }[]): void;
  respond(packet: { answers: MdnsRecord[]; additionals?: MdnsRecord[] }, callback?: (err?: Error) => void): void;
  destroy(callback?: () => void): void;
}

/** The TXT record of an announcement: node id, profile and its parameters, each a short string. */
export function announcementTxt(self: Announcement): Record<string, string> {
  const txt: Record<string, string> = { v: '1', id: self.nodeId, profile: self.profile };
  for (const [key, value] of Object.entries(self.params)) txt[`p.${key}`] = String(value);
  return txt;
}

/**
 * The candidate a found service is, or null: not ours (bad TXT, other rules, ourselves), or no
 * IPv4 address to reach it (a link-local IPv6 address needs its interface's zone, which an HTTP
 * URL here does not carry). The address the answer came from is preferred: it reached us.
 */
export function candidateOf(
  service: FoundService,
  self: Announcement,
): { address: PeerAddress; nodeId: string } | null {
  const txt = service.txt;
  if (typeof txt !== 'object' || txt === null) return null;
  const record = txt as Record<string, unknown>;
  const nodeId = record.id;
  if (typeof nodeId !== 'string' || !/^[0-9a-f]{32}$/.test(nodeId) || nodeId === self.nodeId) return null;
  if (record.profile !== self.profile) return null;
  for (const [key, value] of Object.entries(self.params)) if (record[`p.${key}`] !== String(value)) return null;
  const port = service.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  const ipv4 = [service.referer?.address, ...(service.addresses ?? [])].find(
    (a): a is string => typeof a === 'string' && isIP(a) === 4,
  );
  if (ipv4 === undefined) return null;
  try {
    return { address: parsePeerAddress(`${ipv4}:${port}`), nodeId };
  } catch {
    return null;
  }
}

/** A TXT record's strings (`key=value`, as Buffers or strings) as an object; at most 32 entries. */
function readTxt(data: unknown): Record<string, string> | null {
  if (!Array.isArray(data)) return null;
  const out: Record<string, string> = Object.create(null);
  for (const entry of data.slice(0, 32)) {
    const text = Buffer.isBuffer(entry) ? entry.toString('utf8') : typeof entry === 'string' ? entry : null;
    if (text === null) continue;
    const eq = text.indexOf('=');
    if (eq > 0) out[text.slice(0, eq).toLowerCase()] = text.slice(eq + 1);
  }
  return out;
}

/**
 * The services of `SERVICE` in one response packet (bounded: {@link MAX_RECORDS} records,
 * {@link MAX_INSTANCES} services), each with its SRV port, TXT record and A addresses. Records with
 * TTL 0 (goodbyes) are not services.
 */
export function servicesIn(packet: MdnsPacket, from: string): FoundService[] {
  const records = [...(packet.answers ?? []), ...(packet.additionals ?? [])]
    .slice(0, MAX_RECORDS)
    .filter((r) => typeof r?.name === 'string' && r.ttl !== 0);
  const suffix = `.${SERVICE}`;
  const instances = new Set<string>();
  for (const r of records) {
    if (r.type === 'PTR' && r.name === SERVICE && typeof r.data === 'string') instances.add(r.data);
    if ((r.type === 'SRV' || r.type === 'TXT') && r.name.endsWith(suffix)) instances.add(r.name);
    if (instances.size >= MAX_INSTANCES) break;
  }
  const out: FoundService[] = [];
  for (const instance of instances) {
    const srv = records.find((r) => r.type === 'SRV' && r.name === instance)?.data as
      | { port?: unknown; target?: unknown }
      | undefined;
    const txt = readTxt(records.find((r) => r.type === 'TXT' && r.name === instance)?.data);
    if (!srv || typeof srv.port !== 'number' || !txt) continue;
    const addresses = records
      .filter((r) => r.type === 'A' && r.name === srv.target && typeof r.data === 'string')
      .map((r) => r.data as string);
    out.push({ port: srv.port, txt, addresses, referer: { address: from } });
  }
  return out;
}

/** This node's records: PTR to its instance, SRV (port), TXT (rules), A (its addresses). */
export function announcementRecords(self: Announcement, ttlScale: 0 | 1 = 1): MdnsRecord[] {
  const instance = `blockforge-${self.nodeId}.${SERVICE}`;
  const target = `blockforge-${self.nodeId}.local`;
  const addresses = self.addresses ?? ipv4Addresses();
  return [
    { name: SERVICE, type: 'PTR', ttl: OTHER_TTL * ttlScale, data: instance },
    { name: instance, type: 'SRV', ttl: HOST_TTL * ttlScale, data: { port: self.port, target } },
    {
      name: instance,
      type: 'TXT',
      ttl: OTHER_TTL * ttlScale,
      data: Object.entries(announcementTxt(self)).map(([k, v]) => `${k}=${v}`),
    },
    ...addresses.map((ip) => ({ name: target, type: 'A', ttl: HOST_TTL * ttlScale, data: ip })),
  ];
}

/** A running discovery; `stop` says goodbye on the LAN and closes the socket. */
export interface Discovery {
  stop(): Promise<void>;
}

/**
 * Announces this node (at start, after 1 s and 3 s, and in answer to queries) and reports the
 * compatible nodes it hears of to `found`; queries the LAN at start and every
 * {@link REQUERY_SECONDS}. `mdns` is the socket ({@link createMdns} unless given).
 */
export function startDiscovery(
  self: Announcement,
  found: (address: PeerAddress, nodeId: string) => void,
  logger: NodeLogger,
  clock: () => number = () => performance.now() / 1000,
  mdns: Mdns = createMdns(clock),
): Discovery {
  const records = announcementRecords(self);
  const instance = (records[1] as MdnsRecord).name;
  let failed = false;
  let lastAnswer = Number.NEGATIVE_INFINITY;
  const announce = (): void => {
    if (!failed) mdns.respond({ answers: records });
  };
  mdns.on('error', (err: Error) => {
    if (failed) return;
    failed = true;
    logger.warn(
      { err: err.message },
      'LAN discovery unavailable (multicast failed): peers only by --peer and exchange',
    );
  });
  mdns.on('warning', (err: Error) => logger.debug({ err: err.message }, 'mDNS packet ignored'));
  mdns.on('response', (packet, rinfo) => {
    for (const service of servicesIn(packet, rinfo.address)) {
      const candidate = candidateOf(service, self);
      if (candidate) found(candidate.address, candidate.nodeId);
    }
  });
  mdns.on('query', (packet) => {
    const asked = (packet.questions ?? [])
      .slice(0, MAX_RECORDS)
      .some((q) => (q.name === SERVICE && (q.type === 'PTR' || q.type === 'ANY')) || q.name === instance);
    // At most one answer a second, whoever asks (RFC 6762 section 6: no faster per record).
    const now = clock();
    if (!asked || now - lastAnswer < 1) return;
    lastAnswer = now;
    announce();
  });
  const query = (): void => {
    if (!failed) mdns.query([{ name: SERVICE, type: 'PTR' }]);
  };
  announce();
  query();
  const timers = [setTimeout(announce, 1_000), setTimeout(announce, 3_000), setInterval(query, REQUERY_SECONDS * 1000)];
  for (const timer of timers) timer.unref();
  logger.info({ service: SERVICE }, 'LAN discovery on');
  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        let closing = false;
        const close = (): void => {
          if (closing) return;
          closing = true;
          clearTimeout(done);
          mdns.destroy(() => resolve());
        };
        // The goodbye (TTL 0) first, so the others forget us now rather than when the TTL ends;
        // bounded, as a socket that cannot send must not hold the shutdown.
        const done = setTimeout(close, 500);
        if (failed) close();
        else mdns.respond({ answers: announcementRecords(self, 0) }, close);
      });
      return stopped;
    },
  };
}

/** The mDNS group and port (RFC 6762). */
const MDNS_GROUP = '224.0.0.251';
const MDNS_PORT = 5353;

/** Largest mDNS message (RFC 6762 section 17: 9000 bytes); larger datagrams are dropped unread. */
export const MAX_DATAGRAM = 9000;

/**
 * Whether a datagram is worth decoding: at most {@link MAX_DATAGRAM} bytes and at most
 * {@link MAX_RECORDS} questions and records in its header. Checked before any decoding: a DNS name
 * may be a long chain of compression pointers, and one 64 KB datagram of thousands of questions
 * pointing at the end of such a chain cost `dns-packet` ~370 ms to decode (measured by the
 * red-team pass), so a sender could freeze the node with a few packets a second.
 */
export function worthDecoding(datagram: Buffer): boolean {
  if (datagram.length < 12 || datagram.length > MAX_DATAGRAM) return false;
  let entries = 0;
  for (let offset = 4; offset < 12; offset += 2) entries += datagram.readUInt16BE(offset);
  return entries <= MAX_RECORDS;
}

/**
 * The door of the mDNS socket: a datagram is decoded only if it is {@link worthDecoding} and its
 * source has a token left ({@link SOURCE_BURST}, then one every {@link SOURCE_REFILL_S} s).
 */
export class DatagramGate {
  private readonly sources: RateLimiter;

  constructor(clock: () => number) {
    this.sources = new RateLimiter(SOURCE_BURST, SOURCE_REFILL_S, clock, 1024);
  }

  admit(datagram: Buffer, source: string): boolean {
    return worthDecoding(datagram) && this.sources.take(source);
  }
}

/**
 * An mDNS socket of our own (IPv4, port 5353, address reuse so other mDNS software coexists):
 * `dns-packet` encodes and decodes, and every datagram passes {@link worthDecoding} and a token
 * bucket per source address before it is decoded. Sends wait for the bind; after a failed bind
 * they are dropped.
 */
function createMdns(clock: () => number): Mdns {
  const require = createRequire(import.meta.url);
  const packet = require('dns-packet') as {
    encode(value: object): Buffer;
    decode(buffer: Buffer): MdnsPacket & { type?: string };
  };
  const events = new EventEmitter();
  const gate = new DatagramGate(clock);
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  const memberships = new Set<string>();
  const pending: (() => void)[] = [];
  let state: 'binding' | 'ready' | 'failed' | 'closed' = 'binding';
  let timer: NodeJS.Timeout | null = null;
  // Every IPv4 interface joins the group (again every 5 s: a laptop's Wi-Fi comes and goes).
  const join = (): void => {
    for (const address of ipv4Addresses()) {
      if (memberships.has(address)) continue;
      try {
        socket.addMembership(MDNS_GROUP, address);
        memberships.add(address);
      } catch {
        // The interface went away, or cannot do multicast: tried again on the next round.
      }
    }
  };
  socket.on('error', (err) => {
    if (state === 'binding') state = 'failed';
    pending.length = 0;
    events.emit(state === 'failed' ? 'error' : 'warning', err);
  });
  socket.on('message', (datagram: Buffer, rinfo: { address: string }) => {
    if (!gate.admit(datagram, rinfo.address)) return;
    let decoded: MdnsPacket & { type?: string };
    try {
      decoded = packet.decode(datagram);
    } catch (err) {
      events.emit('warning', err);
      return;
    }
    events.emit(decoded.type === 'query' ? 'query' : 'response', decoded, rinfo);
  });
  socket.bind(MDNS_PORT, () => {
    if (state !== 'binding') return;
    state = 'ready';
    socket.setMulticastTTL(255);
    socket.setMulticastLoopback(true);
    join();
    timer = setInterval(join, 5_000);
    timer.unref();
    for (const send of pending.splice(0)) send();
  });
  const send = (value: object, callback?: (err?: Error) => void): void => {
    const go = (): void => {
      if (state !== 'ready') {
        callback?.();
        return;
      }
      const datagram = packet.encode(value);
      socket.send(datagram, 0, datagram.length, MDNS_PORT, MDNS_GROUP, (err) => callback?.(err ?? undefined));
    };
    if (state === 'binding') pending.push(go);
    else go();
  };
  return {
    on(event: string, listener: (...args: never[]) => void) {
      events.on(event, listener as (...args: unknown[]) => void);
      return this;
    },
    query(questions) {
      send({ type: 'query', questions });
    },
    respond(response, callback) {
      send(
        { type: 'response', flags: 1 << 10, answers: response.answers, additionals: response.additionals ?? [] },
        callback,
      );
    },
    destroy(callback) {
      if (state === 'closed') return callback?.();
      state = 'closed';
      if (timer) clearInterval(timer);
      try {
        socket.close(() => callback?.());
      } catch {
        callback?.(); // never bound
      }
    },
  } as Mdns;
}

/** This machine's non-internal IPv4 addresses. */
function ipv4Addresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((info) => info.family === 'IPv4' && !info.internal)
    .map((info) => info.address);
}
