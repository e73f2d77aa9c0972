/**
 * LAN discovery: a node announces itself over mDNS/DNS-SD (RFC 6762/6763: service
 * `_blockforge._tcp.local`, through `multicast-dns`) and listens for others of the same kind. A node
 * found this way is only a candidate: the peer network dials it back (`/peer/status`, the node id it
 * announced) before it becomes a learned peer, bounded like the peers learned from hellos (see
 * `peer-network.ts`). Nodes on other rules (another profile, difficulty or genesis, from the
 * announcement's TXT record) are not even dialed.
 *
 * Anyone on the LAN can send mDNS packets, so everything here is bounded: answers are read from at
 * most {@link MAX_RECORDS} records and {@link MAX_INSTANCES} services a packet, each source address
 * gets {@link SOURCE_BURST} packets and then one every {@link SOURCE_REFILL_S} s, nothing is kept
 * between packets (a node is found again by the query every {@link REQUERY_SECONDS} s), and this node
 * answers queries at most once a second (no amplification).
 *
 * Discovery is advisory: a machine where multicast fails (no interface, port 5353 taken without
 * address reuse) logs one warning and runs without it.
 */

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

/** A DNS record as `multicast-dns` reads and writes them (the fields used here). */
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

/** The `multicast-dns` instance's interface used here (a fake in tests). */
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
  const addresses =
    self.addresses ??
    Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .filter((info) => info.family === 'IPv4' && !info.internal)
      .map((info) => info.address);
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
 * {@link REQUERY_SECONDS}. `mdns` is the socket (a `multicast-dns` instance unless given).
 */
export function startDiscovery(
  self: Announcement,
  found: (address: PeerAddress, nodeId: string) => void,
  logger: NodeLogger,
  mdns: Mdns = createMdns(),
  clock: () => number = () => performance.now() / 1000,
): Discovery {
  const sources = new RateLimiter(SOURCE_BURST, SOURCE_REFILL_S, clock, 1024);
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
    if (!sources.take(rinfo.address)) return;
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

/** A `multicast-dns` socket (IPv4, port 5353, address reuse so other mDNS software coexists). */
function createMdns(): Mdns {
  const require = createRequire(import.meta.url);
  const factory = require('multicast-dns') as (options?: object) => Mdns;
  return factory({ reuseAddr: true });
}
