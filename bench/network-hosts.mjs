// Separate hosts on one machine for `npm run bench:network`, built with Linux network namespaces
// (iproute2 and tc only, root needed): the plain-JS sibling of test/support/netns.ts, which the bench
// cannot import (Node 20 runs no TypeScript). Its own names, so neither sweep ever removes the other's:
// - namespace `bfn<id>-sw` holds a bridge `br0` (the switch), multicast snooping off so mDNS
//   queries and answers reach every port;
// - namespace `bfn<id>-h<i>` is host i: loopback, `eth0` (a veth to port `h<i>` of the bridge) with
//   10.214.<id>.<i>/24, a route for 224.0.0.0/4 on eth0 (the hosts have no default route, and a
//   multicast send needs a route), IPv6 off (its router solicitations and MLD reports would be noise
//   in the byte counts); an HTB qdisc on eth0 whose class 1:10 counts what the host sends to the
//   observer (event streams, /mine answers), so the bytes a node sends to its PEERS are eth0's
//   tx_bytes minus that class;
// - `bfn<id>-obs`, a veth from the ROOT namespace to the bridge, 10.214.<id>.254/24: the observer.
// Cleanup: destroy() (in finally), a synchronous exit and signal handler, and a sweep at every
// createHostNetwork() of namespaces named exactly like ours whose owner (pid and start time recorded
// in /run/blockforge-netbench/<id>.json) is gone.

import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

export const STATE_DIR = '/run/blockforge-netbench';
const NS_PATTERN = /^bfn(\d{1,3})-(?:sw|h\d{1,3})$/;
const OBSERVER_PATTERN = /^bfn(\d{1,3})-obs$/;
const OBSERVER_HOST = 254;
const MAX_HOSTS = 250;

async function sh(cmd, args, timeoutMs = 10_000) {
  try {
    const { stdout } = await execFileAsync(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr ?? '').trim() || err.message}`);
  }
}

function shSync(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const ip = (...args) => sh('ip', args);

/** Start time of `pid` (field 22 of /proc/<pid>/stat), or null when it is gone. */
function processStart(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function ownerAlive(id) {
  try {
    const owner = JSON.parse(readFileSync(join(STATE_DIR, `${id}.json`), 'utf8'));
    return owner.pid === process.pid || processStart(owner.pid) === owner.start;
  } catch {
    return false;
  }
}

async function namespaceNames() {
  const out = (await ip('-j', 'netns', 'list')).trim();
  return out ? JSON.parse(out).map((entry) => entry.name) : [];
}

async function rootLinkNames() {
  return JSON.parse(await ip('-j', 'link', 'show')).map((link) => link.ifname);
}

/** Kills (by pid) what still runs inside one of our namespaces, then deletes it. */
async function removeNamespace(ns) {
  const pids = (await ip('netns', 'pids', ns).catch(() => '')).split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await ip('netns', 'del', ns).catch(() => undefined);
}

/** Removes what killed earlier runs of this bench left (never a live run's network). */
export async function sweepStale() {
  const removed = [];
  for (const ns of await namespaceNames()) {
    const match = NS_PATTERN.exec(ns);
    if (match && !ownerAlive(Number(match[1]))) {
      await removeNamespace(ns);
      removed.push(ns);
    }
  }
  for (const link of await rootLinkNames()) {
    const match = OBSERVER_PATTERN.exec(link);
    if (match && !ownerAlive(Number(match[1]))) {
      await ip('link', 'del', link).catch(() => undefined);
      removed.push(link);
    }
  }
  let files = [];
  try {
    files = readdirSync(STATE_DIR);
  } catch {
    // no state folder yet
  }
  for (const file of files) {
    const match = /^(\d{1,3})\.json$/.exec(file);
    if (match && !ownerAlive(Number(match[1]))) {
      rmSync(join(STATE_DIR, file), { force: true });
      removed.push(join(STATE_DIR, file));
    }
  }
  return removed;
}

/** True when the root namespace routes anything inside `10.214.<id>.0/24` (another network uses it). */
async function subnetInUse(id) {
  const routes = JSON.parse(await ip('-4', '-j', 'route', 'show', 'table', 'all'));
  return routes.some((route) => {
    if (!route.dst || route.dst === 'default') return false;
    const [addr, len = '32'] = route.dst.split('/');
    const parts = addr.split('.').map(Number);
    if (parts.length !== 4 || Number(len) === 0) return false;
    if (Number(len) <= 8) return parts[0] === 10;
    if (Number(len) <= 16) return parts[0] === 10 && parts[1] === 214;
    return parts[0] === 10 && parts[1] === 214 && parts[2] === id;
  });
}

/** Claims a free id: unused names, an unrouted subnet, and a state file created exclusively. */
async function claimId() {
  mkdirSync(STATE_DIR, { recursive: true });
  const start = processStart(process.pid) ?? '';
  const namespaces = new Set(await namespaceNames());
  const links = new Set(await rootLinkNames());
  const candidates = Array.from({ length: 250 }, (_, k) => k + 1).sort(() => Math.random() - 0.5);
  for (const id of candidates) {
    if (namespaces.has(`bfn${id}-sw`) || namespaces.has(`bfn${id}-h1`) || links.has(`bfn${id}-obs`)) continue;
    if (await subnetInUse(id)) continue;
    try {
      writeFileSync(join(STATE_DIR, `${id}.json`), JSON.stringify({ pid: process.pid, start }), { flag: 'wx' });
      return id;
    } catch {
      // another run holds this id
    }
  }
  throw new Error('no free network id (1..250) for the bench network');
}

const live = new Set();
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'];
let handlersInstalled = false;

function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.once('exit', () => {
    for (const network of live) network.destroySync();
  });
  for (const signal of SIGNALS) {
    process.on(signal, () => {
      for (const network of live) network.destroySync();
      process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
    });
  }
}

class HostNetwork {
  constructor(id) {
    this.id = id;
    this.subnet = `10.214.${id}.0/24`;
    this.observerIp = `10.214.${id}.${OBSERVER_HOST}`;
    this.switchNs = `bfn${id}-sw`;
    this.observerLink = `bfn${id}-obs`;
    this.hosts = [];
    this.namespaces = [];
    /** Processes started in the hosts, killed at destroy. */
    this.children = new Set();
    this.destroyed = false;
  }

  async build(size) {
    const sw = this.switchNs;
    await ip('netns', 'add', sw);
    this.namespaces.push(sw);
    await ip('-n', sw, 'link', 'set', 'lo', 'up');
    // Snooping off: without IGMP queriers the bridge's snooping table would decide where mDNS goes.
    await ip(
      '-n',
      sw,
      ...['link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0'],
    );
    await ip('-n', sw, 'link', 'set', 'br0', 'up');
    const hosts = Array.from({ length: size }, (_, k) => k + 1);
    // Hosts built four at a time: ~12 commands each, so 30 hosts take ~2 s instead of ~6.
    for (let k = 0; k < hosts.length; k += 4) {
      await Promise.all(hosts.slice(k, k + 4).map((i) => this.addHost(i)));
    }
    this.hosts.sort((a, b) => a.index - b.index);
    await ip('link', 'add', this.observerLink, 'type', 'veth', 'peer', 'name', 'obs', 'netns', sw);
    shSync('sysctl', ['-q', '-w', `net.ipv6.conf.${this.observerLink}.disable_ipv6=1`]);
    await ip('-n', sw, 'link', 'set', 'obs', 'master', 'br0', 'up');
    await ip('addr', 'add', `${this.observerIp}/24`, 'dev', this.observerLink);
    await ip('link', 'set', this.observerLink, 'up');
  }

  async addHost(i) {
    const ns = `bfn${this.id}-h${i}`;
    const hostIp = `10.214.${this.id}.${i}`;
    await ip('netns', 'add', ns);
    this.namespaces.push(ns);
    await sh('ip', [
      ...['netns', 'exec', ns, 'sysctl', '-q', '-w'],
      ...['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'],
    ]);
    await ip('-n', ns, 'link', 'set', 'lo', 'up');
    await ip('-n', this.switchNs, 'link', 'add', `h${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
    await ip('-n', this.switchNs, 'link', 'set', `h${i}`, 'master', 'br0', 'up');
    await ip('-n', ns, 'addr', 'add', `${hostIp}/24`, 'dev', 'eth0');
    await ip('-n', ns, 'link', 'set', 'eth0', 'up');
    await ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0');
    // Counting only: both classes far above any rate reached here, so HTB never holds a packet back.
    const tc = (...args) => sh('tc', ['-n', ns, ...args]);
    await tc('qdisc', 'add', 'dev', 'eth0', 'root', 'handle', '1:', 'htb', 'default', '20');
    for (const classid of ['1:10', '1:20']) {
      await tc(
        ...['class', 'add', 'dev', 'eth0', 'parent', '1:', 'classid', classid],
        ...['htb', 'rate', '10gbit', 'ceil', '10gbit', 'quantum', '60000', 'burst', '1mb'],
      );
    }
    await tc(
      ...['filter', 'add', 'dev', 'eth0', 'parent', '1:', 'protocol', 'ip', 'prio', '1'],
      ...['u32', 'match', 'ip', 'dst', `${this.observerIp}/32`, 'flowid', '1:10'],
    );
    this.hosts.push({ name: `h${i}`, index: i, ns, ip: hostIp });
  }

  /**
   * What `host` has sent: `tx` (eth0's tx_bytes), `observer` (the part addressed to the observer)
   * and `peers` (the rest: peers and multicast).
   */
  async txBytes(host) {
    const [link, classes] = await Promise.all([
      ip('-n', host.ns, '-s', '-j', 'link', 'show', 'dev', 'eth0'),
      // No JSON from tc for HTB classes: the "Sent N bytes" line after "class htb 1:10".
      sh('tc', ['-n', host.ns, '-s', 'class', 'show', 'dev', 'eth0']),
    ]);
    const tx = JSON.parse(link)[0]?.stats64?.tx?.bytes ?? 0;
    const observer = Number(/class htb 1:10 [^\n]*\n\s*Sent (\d+) bytes/.exec(classes)?.[1] ?? 0);
    return { tx, observer, peers: tx - observer };
  }

  /** {@link txBytes} of every host, in host order. */
  allTxBytes() {
    return Promise.all(this.hosts.map((host) => this.txBytes(host)));
  }

  /** Spawns `command args` inside `host` (`ip netns exec` replaces itself: the pid is the command's). */
  spawnIn(host, command, args, options = {}) {
    const child = spawn('ip', ['netns', 'exec', host.ns, command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /**
   * Checks that a multicast datagram sent from the first host reaches the last one across the
   * bridge (mDNS discovery depends on it), on a group and port of its own.
   */
  async checkMulticast() {
    const [from, to] = [this.hosts[0], this.hosts.at(-1)];
    const group = '239.255.214.1';
    const port = 45_214;
    const receiver = this.spawnIn(to, process.execPath, [
      '-e',
      `const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
       s.on('message', () => { console.log('got'); process.exit(0); });
       s.bind(${port}, () => { s.addMembership('${group}'); console.log('ready'); });
       setTimeout(() => process.exit(1), 5000);`,
    ]);
    await new Promise((resolve) => receiver.stdout.once('data', resolve));
    const sender = `const s = require('node:dgram').createSocket('udp4');
      const send = () => s.send('x', ${port}, '${group}');
      send(); setInterval(send, 100); setTimeout(() => process.exit(0), 3000);`;
    const sending = this.spawnIn(from, process.execPath, ['-e', sender]);
    const code = await new Promise((resolve) => receiver.once('exit', resolve));
    sending.kill('SIGKILL');
    if (code !== 0) throw new Error(`multicast from ${from.ns} does not reach ${to.ns} across the bridge`);
  }

  async destroy() {
    if (this.destroyed) return;
    for (const child of this.children) child.kill('SIGKILL');
    await ip('link', 'del', this.observerLink).catch(() => undefined);
    for (const ns of this.namespaces) await removeNamespace(ns);
    rmSync(join(STATE_DIR, `${this.id}.json`), { force: true });
    this.destroyed = true;
    live.delete(this);
  }

  /** Best-effort synchronous teardown for the exit and signal handlers. */
  destroySync() {
    if (this.destroyed) return;
    for (const child of this.children) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    shSync('ip', ['link', 'del', this.observerLink]);
    for (const ns of this.namespaces) shSync('ip', ['netns', 'del', ns]);
    rmSync(join(STATE_DIR, `${this.id}.json`), { force: true });
    this.destroyed = true;
    live.delete(this);
  }
}

/** Why namespaces cannot be built here, or null when they can. */
export function netnsUnavailable() {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root (ip netns needs it)';
  if (!shSync('ip', ['-V'])) return 'iproute2 "ip" not found';
  if (!shSync('tc', ['-V'])) return 'iproute2 "tc" not found';
  return null;
}

/** Builds `size` hosts on a bridge with an observer veth (see the file comment). */
export async function createHostNetwork(size) {
  if (!Number.isInteger(size) || size < 2 || size > MAX_HOSTS) throw new Error(`--hosts must be 2..${MAX_HOSTS}`);
  await sweepStale();
  const network = new HostNetwork(await claimId());
  live.add(network);
  installExitHandlers();
  try {
    await network.build(size);
    await network.checkMulticast();
  } catch (err) {
    await network.destroy().catch(() => network.destroySync());
    throw err;
  }
  return network;
}
