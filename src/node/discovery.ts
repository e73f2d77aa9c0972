/**
 * LAN discovery: a node announces itself over mDNS/DNS-SD (service type `_blockforge._tcp`, through
 * `bonjour-service`) and looks for others of the same kind. A node found this way is only a
 * candidate: the peer network dials it back (`/peer/status`, the node id it announced) before it
 * becomes a learned peer, bounded and evicted like the peers learned from hellos (see
 * `peer-network.ts`). Nodes on other rules (another profile, difficulty or genesis, from the
 * announcement's TXT record) are not even dialed.
 *
 * Discovery is advisory: a machine without multicast (no interface, a busy port 5353 without
 * address reuse) logs one warning and runs without it.
 */

import { isIP } from 'node:net';
import type { NodeLogger } from './blockforge-node.js';
import { type PeerAddress, parsePeerAddress } from './peer-address.js';

/** The DNS-SD service type (`_blockforge._tcp.local`). */
export const SERVICE_TYPE = 'blockforge';

/** Seconds between two re-queries of the LAN (a lost announcement is found again within this). */
export const REQUERY_SECONDS = 30;

/** What this node announces: how to reach it and which rules it runs. */
export interface Announcement {
  readonly nodeId: string;
  readonly port: number;
  /** The profile's name. */
  readonly profile: string;
  /** The profile's parameters (what two nodes must share), as in `/peer/status`. */
  readonly params: Readonly<Record<string, string | number>>;
}

/** A service as the mDNS browser reports it (the fields used of `bonjour-service`'s `Service`). */
export interface FoundService {
  readonly port?: number;
  readonly txt?: unknown;
  readonly addresses?: readonly string[];
  /** Where its answer came from: on a LAN, an address that reaches it. */
  readonly referer?: { readonly address: string; readonly family?: string };
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

/** A running discovery; `stop` says goodbye on the LAN and closes the socket. */
export interface Discovery {
  stop(): Promise<void>;
}

/**
 * Announces this node and reports compatible nodes to `found` (again every {@link REQUERY_SECONDS},
 * so a node whose first check failed is tried again; the network skips known peers). Loads
 * `bonjour-service` only when called.
 */
export async function startDiscovery(
  self: Announcement,
  found: (address: PeerAddress, nodeId: string) => void,
  logger: NodeLogger,
): Promise<Discovery> {
  const { Bonjour } = await import('bonjour-service');
  let warned = false;
  const bonjour = new Bonjour({}, (err: Error) => {
    if (warned) return;
    warned = true;
    logger.warn(
      { err: err.message },
      'LAN discovery unavailable (multicast failed): peers only by --peer and exchange',
    );
  });
  const report = (service: FoundService): void => {
    const candidate = candidateOf(service, self);
    if (candidate) found(candidate.address, candidate.nodeId);
  };
  // The name must be unique on the LAN: the node id is. No probe for it, then (a probe delays the
  // announcement ~1 s to ask whether the name is taken).
  bonjour.publish({
    name: `blockforge-${self.nodeId}`,
    type: SERVICE_TYPE,
    port: self.port,
    txt: announcementTxt(self),
    probe: false,
    disableIPv6: true,
  });
  const browser = bonjour.find({ type: SERVICE_TYPE }, report);
  const timer = setInterval(() => {
    browser.update();
    for (const service of browser.services) report(service);
  }, REQUERY_SECONDS * 1000);
  timer.unref();
  logger.info({ type: `_${SERVICE_TYPE}._tcp` }, 'LAN discovery on');
  let stopped: Promise<void> | null = null;
  return {
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        browser.stop();
        // Goodbye packets (TTL 0) first, so the others forget us now rather than when the TTL ends;
        // bounded, as a socket that cannot send must not hold the shutdown.
        let closing = false;
        const close = (): void => {
          if (closing) return;
          closing = true;
          clearTimeout(done);
          try {
            bonjour.destroy(() => resolve());
          } catch {
            resolve(); // its socket never opened (no multicast here)
          }
        };
        const done = setTimeout(close, 500);
        try {
          bonjour.unpublishAll(close);
        } catch {
          close();
        }
      });
      return stopped;
    },
  };
}
