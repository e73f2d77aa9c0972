/**
 * Peer addresses as users type them: `http://host:port`, `https://host:port` (a trailing `/` is
 * fine) or `host:port`. Stored the tutorial's way, as the netloc `host:port` (with the scheme
 * kept only for https), so `total_nodes` reads as it does on a tutorial node.
 */

import { isIP, isIPv6 } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { BlockforgeError, ErrorCode } from '../core/errors.js';

/** A validated peer address. */
export interface PeerAddress {
  /** Stored and displayed form: `host:port`, or `https://host:port`. */
  readonly key: string;
  /** Base URL to reach it, without a trailing slash. */
  readonly baseUrl: string;
  /** Lowercased host, IPv6 without brackets. */
  readonly host: string;
  readonly port: number;
}

const ADDRESS = /^(?:(https?):\/\/)?(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?):([0-9]{1,5})\/?$/i;

/** Longest address accepted (the API's string limit). */
const MAX_ADDRESS_LENGTH = 1000;

/**
 * Parses one address; throws an INVALID_NODES BlockforgeError saying what is wrong.
 */
export function parsePeerAddress(input: string): PeerAddress {
  const bad = (why: string): never => {
    throw new BlockforgeError(ErrorCode.InvalidNodes, why, { field: 'nodes' });
  };
  if (input.length === 0) bad('an address must not be empty');
  if (input.length > MAX_ADDRESS_LENGTH) bad(`an address must be at most ${MAX_ADDRESS_LENGTH} characters`);
  const match = ADDRESS.exec(input);
  if (!match) {
    return bad(`${JSON.stringify(input.slice(0, 80))} is not http://host:port, https://host:port or host:port`);
  }
  const scheme = (match[1] ?? 'http').toLowerCase();
  let host = (match[2] as string).toLowerCase();
  const port = Number(match[3]);
  if (host.startsWith('[')) {
    host = host.slice(1, -1);
    if (!isIPv6(host)) bad(`${JSON.stringify(input.slice(0, 80))} has an invalid IPv6 address`);
  } else if (/^[0-9.]+$/.test(host) && isIP(host) !== 4) {
    bad(`${JSON.stringify(input.slice(0, 80))} has an invalid IPv4 address`);
  }
  if (port < 1 || port > 65535) bad(`${JSON.stringify(input.slice(0, 80))} has an invalid port (1-65535)`);
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const netloc = `${hostPart}:${port}`;
  return {
    key: scheme === 'https' ? `https://${netloc}` : netloc,
    baseUrl: `${scheme}://${netloc}`,
    host,
    port,
  };
}

/**
 * Hosts that reach this machine: loopback, the wildcard addresses, this host's name and every
 * interface address. A peer on one of them with our port is ourselves.
 */
export function localHosts(): Set<string> {
  const hosts = new Set(['localhost', '0.0.0.0', '::', '::1', hostname().toLowerCase()]);
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) hosts.add(info.address.toLowerCase());
  }
  return hosts;
}

/** True when `address` is this node itself (same port on a local host). */
export function isSelfAddress(address: PeerAddress, ownPort: number, hosts: ReadonlySet<string>): boolean {
  if (address.port !== ownPort) return false;
  return hosts.has(address.host) || address.host.startsWith('127.') || address.host.endsWith('.localhost');
}
