/**
 * Self detection however this host is spelled: the address normalizer behind `isSelfAddress`
 * (inet_aton numbers, IPv4-mapped and expanded IPv6, a fully qualified name's final dot).
 */

import { describe, expect, it } from 'vitest';
import { BlockforgeError } from '../../src/core/errors.js';
import {
  canonicalHost,
  canonicalIpv6,
  isSelfAddress,
  localHosts,
  parseInetAton,
  parsePeerAddress,
} from '../../src/node/peer-address.js';

describe('parseInetAton', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['0', '0.0.0.0'],
    ['10.1', '10.0.0.1'],
    ['192.168.257', '192.168.1.1'],
    ['4294967295', '255.255.255.255'],
  ])('reads %s as %s', (text, dotted) => {
    expect(parseInetAton(text)).toBe(dotted);
  });

  it.each(['1.2.3.999', '256.1', '4294967296', '08.0.0.1', '1.2.3.4.5', '1..2', '0x1g', '1.65536.1', ''])(
    'refuses %j',
    (text) => {
      expect(parseInetAton(text)).toBeNull();
    },
  );
});

describe('canonicalIpv6', () => {
  it.each([
    ['0:0:0:0:0:0:0:1', '::1'],
    ['::0:1', '::1'],
    ['0000::0001', '::1'],
    ['::', '::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:7F00:1', '127.0.0.1'],
    ['0:0:0:0:0:ffff:10.1.2.3', '10.1.2.3'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['fe80::1', 'fe80::1'],
  ])('writes %s as %s', (text, canonical) => {
    expect(canonicalIpv6(text)).toBe(canonical);
  });
});

describe('canonicalHost', () => {
  it.each([
    ['LOCALHOST.', 'localhost'],
    ['Example.COM', 'example.com'],
    ['[::1]', '::1'],
    ['0x7f000001', '127.0.0.1'],
    ['127.0.0.1.', '127.0.0.1'],
    ['1.2.3.999', null],
  ])('gives %s as %s', (host, canonical) => {
    expect(canonicalHost(host)).toBe(canonical);
  });
});

describe('parsePeerAddress with other spellings', () => {
  it.each([
    ['127.1:5000', '127.0.0.1:5000'],
    ['http://0x7f000001:5000', '127.0.0.1:5000'],
    ['[::ffff:10.0.0.5]:5000', '10.0.0.5:5000'],
    ['[0:0:0:0:0:0:0:1]:5000', '[::1]:5000'],
    ['https://[2001:DB8::0:1]:443', 'https://[2001:db8::1]:443'],
    ['node-a.example.:5000', 'node-a.example.:5000'],
  ])('stores %s as %s', (input, key) => {
    expect(parsePeerAddress(input).key).toBe(key);
  });

  it.each(['0x7f.0x1000000:1', '08.1:1', '4294967296:1', 'host..:1'])('refuses %j', (input) => {
    expect(() => parsePeerAddress(input)).toThrow(BlockforgeError);
  });
});

describe('isSelfAddress', () => {
  const hosts = localHosts();
  const self = [
    '127.0.0.1',
    '[::ffff:127.0.0.1]',
    '[::ffff:7f00:1]',
    '[0:0:0:0:0:0:0:1]',
    '[::1]',
    '[::]',
    '0x7f000001',
    '127.1',
    '2130706433',
    '0177.0.0.1',
    'localhost',
    'localhost.',
    'LocalHost',
    'ip6-localhost',
    '0.0.0.0',
    '0',
    'node.localhost',
  ];
  it.each(self)('knows %s on our port is this node', (host) => {
    expect(isSelfAddress(parsePeerAddress(`${host}:5000`), 5000, hosts)).toBe(true);
    expect(isSelfAddress(parsePeerAddress(`${host}:5001`), 5000, hosts)).toBe(false);
  });

  it('knows every interface address, however it is written', () => {
    expect(hosts.has('::1')).toBe(true);
    expect(hosts.has('127.0.0.1')).toBe(true);
    for (const host of hosts) expect(canonicalHost(host)).toBe(host);
  });

  it.each(['10.0.0.1', '[2001:db8::1]', 'remote-host', '[::ffff:10.0.0.1]'])('knows %s is another node', (host) => {
    const hostsWithout = new Set([...hosts].filter((h) => h !== canonicalHost(host)));
    expect(isSelfAddress(parsePeerAddress(`${host}:5000`), 5000, hostsWithout)).toBe(false);
  });
});
