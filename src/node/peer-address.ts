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

// A hostname may end with one dot (the fully qualified form: `localhost.` is `localhost`).
const ADDRESS = /^(?:(https?):\/\/)?(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?\.?):([0-9]{1,5})\/?$/i;

/** Longest address accepted (the API's string limit). */
const MAX_ADDRESS_LENGTH = 1000;

/**
 * A host every part of which is a number the way `inet_aton` reads one (decimal, `0x` hex, `0`
 * octal): an IPv4 address to the C library and to the WHATWG URL parser behind `fetch`, however
 * it is spelled (`127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`).
 */
const NUMERIC_HOST = /^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+)){0,3}$/i;

/**
 * Reads an IPv4 address as `inet_aton` does: one to four parts, each decimal, octal (leading `0`)
 * or hex (`0x`); the last part fills the bytes that remain. Returns the dotted quad, or null when
 * a part is malformed or out of range.
 */
export function parseInetAton(text: string): string | null {
  const parts = text.split('.');
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) value = part.length === 1 ? 0 : Number.parseInt(part.slice(1), 8);
    else if (/^[1-9][0-9]*$/.test(part)) value = Number(part);
    else return null;
    // Number.parseInt of a long digit string loses precision but stays above every limit below.
    values.push(value);
  }
  const last = values.pop() as number;
  if (values.some((v) => v > 255)) return null;
  if (last >= 256 ** (4 - values.length)) return null;
  let address = last;
  for (let k = 0; k < values.length; k++) address += (values[k] as number) * 256 ** (3 - k);
  return [address >>> 24, (address >>> 16) & 255, (address >>> 8) & 255, address & 255].join('.');
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded dotted IPv4 tail included). */
function ipv6Groups(text: string): number[] {
  let address = text.toLowerCase();
  const tail = address.slice(address.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    address = `${address.slice(0, address.length - tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [left, right] = address.split('::') as [string, string | undefined];
  const head = left === '' ? [] : left.split(':');
  const rest = right === undefined || right === '' ? [] : right.split(':');
  const zeros = right === undefined ? [] : Array<string>(8 - head.length - rest.length).fill('0');
  return [...head, ...zeros, ...rest].map((group) => Number.parseInt(group, 16));
}

/**
 * One spelling per IPv6 address: an IPv4-mapped address (`::ffff:127.0.0.1`, `::ffff:7f00:1`) as
 * its dotted IPv4 (the socket it reaches is the IPv4 one), any other in the RFC 5952 form
 * (lowercase, no leading zeros, the longest run of zero groups as `::`).
 */
export function canonicalIpv6(text: string): string {
  const groups = ipv6Groups(text);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    const [hi, lo] = [groups[6] as number, groups[7] as number];
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  let best = -1;
  let bestLength = 1;
  for (let k = 0; k < 8; ) {
    if (groups[k] !== 0) {
      k++;
      continue;
    }
    let end = k;
    while (end < 8 && groups[end] === 0) end++;
    if (end - k > bestLength) [best, bestLength] = [k, end - k];
    k = end;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLength).join(':')}`;
}

/**
 * One spelling per host, for comparing hosts: IP addresses in their canonical form (IPv4 dotted
 * quad whatever the spelling, IPv4-mapped IPv6 as IPv4, IPv6 compressed), names lowercased without
 * the final dot of a fully qualified name. Returns null for a numeric host that is no address.
 */
export function canonicalHost(host: string): string | null {
  let name = host.toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (name.includes(':')) return isIPv6(name) ? canonicalIpv6(name) : null;
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (NUMERIC_HOST.test(name)) return parseInetAton(name);
  return name;
}

/**
 * Parses one address; throws an INVALID_NODES BlockforgeError saying what is wrong. An IP address
 * is stored in its canonical form (as `fetch` reaches it: `127.1` is `127.0.0.1`), so one peer has
 * one key however it was typed; a name is kept as typed, lowercased.
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
    host = canonicalIpv6(host);
  } else if (NUMERIC_HOST.test(host.endsWith('.') ? host.slice(0, -1) : host)) {
    const ipv4 = parseInetAton(host.endsWith('.') ? host.slice(0, -1) : host);
    if (ipv4 === null) return bad(`${JSON.stringify(input.slice(0, 80))} has an invalid IPv4 address`);
    host = ipv4;
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
 * Hosts that reach this machine, each in its {@link canonicalHost} form: loopback names, the
 * wildcard addresses, this host's name and every interface address. A peer on one of them with
 * our port is ourselves.
 */
export function localHosts(): Set<string> {
  // ip6-localhost and ip6-loopback: Debian's /etc/hosts names for ::1.
  const names = ['localhost', 'ip6-localhost', 'ip6-loopback', '0.0.0.0', '::', '::1', hostname()];
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) names.push(info.address);
  }
  const hosts = new Set<string>();
  for (const name of names) {
    const host = canonicalHost(name);
    if (host !== null) hosts.add(host);
  }
  return hosts;
}

/**
 * True when `address` is this node itself: our port on a local host (`hosts` from
 * {@link localHosts}), however the host is spelled (`[::ffff:127.0.0.1]`, `0x7f000001`,
 * `localhost.`, ...), any 127/8 address, or a `*.localhost` name.
 */
export function isSelfAddress(address: PeerAddress, ownPort: number, hosts: ReadonlySet<string>): boolean {
  if (address.port !== ownPort) return false;
  const host = canonicalHost(address.host);
  if (host === null) return false;
  return hosts.has(host) || host.startsWith('127.') || host.endsWith('.localhost');
}

/**
 * Where a host is, for addresses a peer hands over (peer exchange, discovery): `loopback` (this
 * machine: 127/8, ::1, `localhost`), `special` (unspecified, link-local, multicast, broadcast: never a
 * peer's address on a LAN, and what a blind request to internal services would use), `ip` (any other
 * address literal) or `name` (a host name, resolved by whoever dials it).
 */
export function hostScope(host: string): 'loopback' | 'special' | 'ip' | 'name' {
  const canonical = canonicalHost(host) ?? host;
  const v4 = canonical.startsWith('::ffff:') && isIP(canonical.slice(7)) === 4 ? canonical.slice(7) : canonical;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    if (a === 127) return 'loopback';
    if (a === 0 || (a === 169 && b === 254) || a >= 224) return 'special';
    return 'ip';
  }
  if (isIP(v4) === 6) {
    if (v4 === '::1') return 'loopback';
    if (v4 === '::' || /^fe[89ab]/i.test(v4) || /^ff/i.test(v4)) return 'special';
    return 'ip';
  }
  return v4 === 'localhost' || v4.endsWith('.localhost') ? 'loopback' : 'name';
}
