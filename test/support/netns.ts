/**
 * Separate hosts on one machine for end-to-end tests, built with Linux network namespaces
 * (iproute2 only, root needed).
 *
 * A network of `size` hosts, numbered `id` (1..250, picked at random per run and claimed with a
 * state file so concurrent runs never collide):
 * - namespace `bf<id>-sw` holds a bridge `br0`: the switch;
 * - namespace `bf<id>-h<i>` is host i: loopback up, `eth0` (a veth to port `h<i>` of the bridge) with
 *   address `10.213.<id>.<i>/24`; the hosts have no default route, so they reach nothing but each other
 *   and the observer (and a route for multicast on `eth0`, for mDNS discovery across the bridge);
 * - `bf<id>-obs`, a veth from the ROOT namespace to the bridge with address `10.213.<id>.254/24`: the
 *   observer, so the test process fetches every node directly at `http://10.213.<id>.<i>:5000`.
 *
 * Partitions are routes inside the hosts' namespaces (`unreachable <ip>/32` by default), so the two
 * sides cannot reach each other while the observer still reaches both. Nothing is added to the root
 * namespace but the observer veth (and the connected route its address implies).
 *
 * Cleanup: {@link Network.destroy} (also after failures), a synchronous `exit` handler, and a sweep at
 * every {@link createNetwork} that removes what a killed earlier run left: namespaces named exactly
 * `bf<id>-sw` / `bf<id>-h<i>` (and `bfprobe-<pid>`) whose owning process, recorded in
 * `/run/blockforge-netns/<id>.json` with its start time, is gone.
 */

import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, type RunningNode, tempDir, trackProcess } from './harness.js';

const execFileAsync = promisify(execFile);

/** Port every node listens on inside its host. */
export const NODE_PORT = 5000;
/** Where each network records its owner (pid and start time), for the stale-run sweep. */
export const STATE_DIR = '/run/blockforge-netns';
/** Exactly the namespace names this harness creates. */
const NS_PATTERN = /^bf(\d{1,3})-(?:sw|h\d{1,3})$/;
const PROBE_PATTERN = /^bfprobe-(\d+)$/;
const OBSERVER_PATTERN = /^bf(\d{1,3})-obs$/;
const MAX_HOSTS = 250;
const OBSERVER_HOST = 254;

/** Whether namespaces can be built here, and why not. */
export interface NetnsAvailability {
  readonly ok: boolean;
  readonly reason?: string;
}

/** One host of a {@link Network}. */
export interface NetHost {
  /** `h1`, `h2`, ... */
  readonly name: string;
  /** 1-based position in the network. */
  readonly index: number;
  /** Its network namespace. */
  readonly ns: string;
  /** Its address on the network. */
  readonly ip: string;
  /** `http://<ip>:5000`: where its node listens. */
  readonly url: string;
  /** `<ip>:5000`: how peers store it. */
  readonly address: string;
}

/** A blockforge node running inside a host's namespace. */
export interface NetnsNode extends RunningNode {
  readonly host: NetHost;
  /** The extra CLI arguments it was started with. */
  readonly args: readonly string[];
  /** Starts it again on the same host with the same data folder (and `args`, unless given). */
  restart(args?: readonly string[]): Promise<NetnsNode>;
}

/** How a partition cuts the two sides apart. */
export type PartitionMode = 'unreachable' | 'prohibit' | 'blackhole';

/** What {@link Network.reach} saw. */
export interface ReachResult {
  readonly ok: boolean;
  /** HTTP status when an answer came back. */
  readonly status?: number;
  /** Error code (`EHOSTUNREACH`, `ECONNREFUSED`, `TimeoutError`, ...) when none did. */
  readonly error?: string;
}

/** A set of hosts on one bridge, with an observer in the root namespace. */
export interface Network {
  /** The per-run number in every name and in the subnet. */
  readonly id: number;
  /** Label given to {@link createNetwork}. */
  readonly name: string;
  /** `10.213.<id>.0/24`. */
  readonly subnet: string;
  /** The test process's address on the network. */
  readonly observerIp: string;
  readonly hosts: readonly NetHost[];
  /** Every namespace this network created. */
  readonly namespaces: readonly string[];
  /** Hosts of `a` and hosts of `b` can no longer reach each other; both still reach the observer. */
  partition(a: readonly NetHost[], b: readonly NetHost[], mode?: PartitionMode): Promise<void>;
  /** Removes every partition route. */
  heal(): Promise<void>;
  /** An HTTP GET of `url` made from inside `from`'s namespace. */
  reach(from: NetHost, url: string, timeoutMs?: number): Promise<ReachResult>;
  /**
   * Limits the traffic the bridge sends to `host` (its downloads) to `kbit` kbit/s with a token
   * bucket. Resolves false when `tc` or the `tbf` qdisc is not available.
   */
  limitRate(host: NetHost, kbit: number): Promise<boolean>;
  /** Removes the limit of {@link limitRate}. */
  unlimitRate(host: NetHost): Promise<void>;
  /** Bytes `host` has received on its network interface so far. */
  rxBytes(host: NetHost): Promise<number>;
  /** Kills its nodes and removes every namespace and link it created; safe to call twice. */
  destroy(): Promise<void>;
}

/** Runs `ip` (or another iproute2 tool) and returns stdout; throws with stderr on failure. */
async function sh(cmd: string, args: readonly string[], timeoutMs = 10_000): Promise<string> {
  try {
    const { stdout } = await execFileAsync(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(e.stderr ?? '').trim() || e.message}`);
  }
}

/** Like {@link sh}, synchronous, never throws (for the exit handler and best-effort cleanup). */
function shSync(cmd: string, args: readonly string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

const ip = (...args: string[]): Promise<string> => sh('ip', args);

let availability: Promise<NetnsAvailability> | undefined;

/**
 * Whether this machine can run the namespace tests: Linux, root, iproute2, `ip netns add` and
 * `ip netns exec` working, veths and a bridge creatable, and a veth into the root namespace.
 * Checked once per process with a throwaway namespace `bfprobe-<pid>`.
 */
export function netnsAvailable(): Promise<NetnsAvailability> {
  availability ??= probe();
  return availability;
}

async function probe(): Promise<NetnsAvailability> {
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: `not root (uid ${process.getuid?.()})` };
  try {
    await sh('ip', ['-V']);
  } catch (err) {
    return { ok: false, reason: `iproute2 "ip" not usable: ${(err as Error).message}` };
  }
  const ns = `bfprobe-${process.pid}`;
  const rootLink = `bfp${process.pid}`.slice(0, 15);
  const steps: [string, string[]][] = [
    ['ip netns add', ['netns', 'add', ns]],
    ['ip netns exec', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']],
    ['bridge in a namespace', ['-n', ns, 'link', 'add', 'br0', 'type', 'bridge']],
    ['veth in a namespace', ['-n', ns, 'link', 'add', 'p0', 'type', 'veth', 'peer', 'name', 'p1']],
    ['veth on a bridge', ['-n', ns, 'link', 'set', 'p0', 'master', 'br0']],
    ['veth from the root namespace', ['link', 'add', rootLink, 'type', 'veth', 'peer', 'name', 'p2', 'netns', ns]],
  ];
  try {
    for (const [what, args] of steps) {
      try {
        await ip(...args);
      } catch (err) {
        return { ok: false, reason: `${what} failed: ${(err as Error).message}` };
      }
    }
    return { ok: true };
  } finally {
    shSync('ip', ['link', 'del', rootLink]);
    shSync('ip', ['netns', 'del', ns]);
  }
}

/** Start time of process `pid` (field 22 of /proc/<pid>/stat), or null when it does not exist. */
function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

interface OwnerRecord {
  pid: number;
  start: string;
  name: string;
}

function ownerAlive(id: number): boolean {
  try {
    const owner = JSON.parse(readFileSync(join(STATE_DIR, `${id}.json`), 'utf8')) as OwnerRecord;
    return owner.pid === process.pid || processStart(owner.pid) === owner.start;
  } catch {
    return false;
  }
}

async function namespaceNames(): Promise<string[]> {
  const out = (await ip('-j', 'netns', 'list')).trim();
  if (!out) return [];
  return (JSON.parse(out) as { name: string }[]).map((entry) => entry.name);
}

async function rootLinkNames(): Promise<string[]> {
  return (JSON.parse(await ip('-j', 'link', 'show')) as { ifname: string }[]).map((link) => link.ifname);
}

/** Kills (by pid) what still runs inside one of our namespaces, then deletes it. */
async function removeNamespace(ns: string): Promise<void> {
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

/**
 * Removes what killed earlier runs of this harness left: our exactly-named namespaces, observer
 * links and state files whose owner process is gone. Networks of live runs are left alone.
 * Resolves with the names it removed.
 */
export async function sweepStale(): Promise<string[]> {
  const removed: string[] = [];
  for (const ns of await namespaceNames()) {
    const probeMatch = PROBE_PATTERN.exec(ns);
    if (probeMatch) {
      if (processStart(Number(probeMatch[1])) === null) {
        await removeNamespace(ns);
        removed.push(ns);
      }
      continue;
    }
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
  let files: string[] = [];
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

/** Parses `a.b.c.d/len` (or a bare address, or `default`) into [network, prefix length]. */
function parseCidr(text: string): [number, number] | null {
  if (text === 'default') return [0, 0];
  const [addr, len] = text.split('/');
  const parts = (addr ?? '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return null;
  const value = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  return [value, len === undefined ? 32 : Number(len)];
}

function overlaps(a: [number, number], b: [number, number]): boolean {
  const len = Math.min(a[1], b[1]);
  if (len === 0) return true;
  const mask = (0xffffffff << (32 - len)) >>> 0;
  return (a[0] & mask) >>> 0 === (b[0] & mask) >>> 0;
}

/** True when the root namespace already routes something more specific than a default inside `subnet`. */
async function subnetInUse(subnet: string): Promise<boolean> {
  const ours = parseCidr(subnet)!;
  const routes = JSON.parse(await ip('-4', '-j', 'route', 'show', 'table', 'all')) as { dst?: string }[];
  return routes.some((route) => {
    if (!route.dst || route.dst === 'default') return false;
    const theirs = parseCidr(route.dst);
    return theirs !== null && theirs[1] > 0 && overlaps(ours, theirs);
  });
}

/** Claims a free network id: unused names, an unrouted subnet, and an exclusively created state file. */
async function claimId(name: string): Promise<number> {
  mkdirSync(STATE_DIR, { recursive: true });
  const start = processStart(process.pid) ?? '';
  const namespaces = new Set(await namespaceNames());
  const links = new Set(await rootLinkNames());
  const candidates = Array.from({ length: 250 }, (_, k) => k + 1).sort(() => Math.random() - 0.5);
  for (const id of candidates) {
    if (namespaces.has(`bf${id}-sw`) || namespaces.has(`bf${id}-h1`) || links.has(`bf${id}-obs`)) continue;
    if (await subnetInUse(`10.213.${id}.0/24`)) continue;
    try {
      const record: OwnerRecord = { pid: process.pid, start, name };
      writeFileSync(join(STATE_DIR, `${id}.json`), JSON.stringify(record), { flag: 'wx' });
      return id;
    } catch {
      // another run holds this id
    }
  }
  throw new Error('no free network id (1..250) for a namespace network');
}

const networks = new Set<NetworkImpl>();
const hostNetwork = new WeakMap<NetHost, NetworkImpl>();
let exitHandlerInstalled = false;
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;
const onSignal = (signal: NodeJS.Signals): void => {
  for (const network of networks) network.destroySync();
  process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
};

/**
 * Cleanup when the process ends with networks still up: on `exit`, and on SIGTERM/SIGINT/SIGHUP
 * (vitest stops its workers with SIGTERM, which runs no `exit` handler). The signal handlers are
 * only installed while a network exists, so they change nothing otherwise.
 */
function installExitHandlers(): void {
  if (!exitHandlerInstalled) {
    exitHandlerInstalled = true;
    process.once('exit', () => {
      for (const network of networks) network.destroySync();
    });
  }
  for (const signal of SIGNALS) if (!process.listeners(signal).includes(onSignal)) process.on(signal, onSignal);
}

function forget(network: NetworkImpl): void {
  networks.delete(network);
  if (networks.size === 0) for (const signal of SIGNALS) process.off(signal, onSignal);
}

/** Destroys every network this process still has (for `afterAll`). */
export async function destroyAllNetworks(): Promise<void> {
  const errors: unknown[] = [];
  for (const network of [...networks]) await network.destroy().catch((err) => errors.push(err));
  if (errors.length > 0) throw new AggregateError(errors, 'some networks could not be removed');
}

class NetworkImpl implements Network {
  readonly subnet: string;
  readonly observerIp: string;
  readonly hosts: NetHost[] = [];
  readonly namespaces: string[] = [];
  readonly switchNs: string;
  readonly observerLink: string;
  private readonly partitionRoutes: { ns: string; args: string[] }[] = [];
  readonly nodes = new Set<NetnsNode>();
  private destroyed = false;

  constructor(
    readonly id: number,
    readonly name: string,
  ) {
    this.subnet = `10.213.${id}.0/24`;
    this.observerIp = `10.213.${id}.${OBSERVER_HOST}`;
    this.switchNs = `bf${id}-sw`;
    this.observerLink = `bf${id}-obs`;
  }

  async build(size: number): Promise<void> {
    const sw = this.switchNs;
    await ip('netns', 'add', sw);
    this.namespaces.push(sw);
    await ip('-n', sw, 'link', 'set', 'lo', 'up');
    await ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
    await ip('-n', sw, 'link', 'set', 'br0', 'up');
    for (let i = 1; i <= size; i++) {
      const ns = `bf${this.id}-h${i}`;
      const hostIp = `10.213.${this.id}.${i}`;
      await ip('netns', 'add', ns);
      this.namespaces.push(ns);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
      await ip('-n', sw, 'link', 'add', `h${i}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      await ip('-n', sw, 'link', 'set', `h${i}`, 'master', 'br0', 'up');
      await ip('-n', ns, 'addr', 'add', `${hostIp}/24`, 'dev', 'eth0');
      await ip('-n', ns, 'link', 'set', 'eth0', 'up');
      // The hosts have no default route; multicast (mDNS discovery) needs one of its own, as a LAN's
      // default route gives it. It stays on the bridge: only the hosts and the observer are there.
      await ip('-n', ns, 'route', 'add', '224.0.0.0/4', 'dev', 'eth0');
      const host: NetHost = {
        name: `h${i}`,
        index: i,
        ns,
        ip: hostIp,
        url: `http://${hostIp}:${NODE_PORT}`,
        address: `${hostIp}:${NODE_PORT}`,
      };
      this.hosts.push(host);
      hostNetwork.set(host, this);
    }
    await ip('link', 'add', this.observerLink, 'type', 'veth', 'peer', 'name', 'obs', 'netns', sw);
    // Our own interface: no IPv6 chatter from the root namespace.
    shSync('sysctl', ['-q', '-w', `net.ipv6.conf.${this.observerLink}.disable_ipv6=1`]);
    await ip('-n', sw, 'link', 'set', 'obs', 'master', 'br0', 'up');
    await ip('addr', 'add', `${this.observerIp}/24`, 'dev', this.observerLink);
    await ip('link', 'set', this.observerLink, 'up');
  }

  async partition(a: readonly NetHost[], b: readonly NetHost[], mode: PartitionMode = 'unreachable'): Promise<void> {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      for (const host of from) {
        for (const other of to) {
          const args = [mode, `${other.ip}/32`];
          await ip('-n', host.ns, 'route', 'add', ...args);
          this.partitionRoutes.push({ ns: host.ns, args });
        }
      }
    }
  }

  async heal(): Promise<void> {
    for (const route of this.partitionRoutes.splice(0)) await ip('-n', route.ns, 'route', 'del', ...route.args);
  }

  async reach(from: NetHost, url: string, timeoutMs = 3_000): Promise<ReachResult> {
    const script = `fetch(process.argv[1], { signal: AbortSignal.timeout(${timeoutMs}) })
      .then(async (r) => { await r.text(); console.log(JSON.stringify({ ok: true, status: r.status })); })
      .catch((e) => console.log(JSON.stringify({ ok: false, error: e.cause?.code ?? e.name ?? String(e) })));`;
    const out = await sh('ip', ['netns', 'exec', from.ns, process.execPath, '-e', script, url], timeoutMs + 10_000);
    return JSON.parse(out.trim()) as ReachResult;
  }

  async limitRate(host: NetHost, kbit: number): Promise<boolean> {
    try {
      await sh('ip', [
        'netns',
        'exec',
        this.switchNs,
        'tc',
        'qdisc',
        'replace',
        'dev',
        host.name,
        'root',
        'tbf',
        'rate',
        `${Math.max(8, Math.round(kbit))}kbit`,
        'burst',
        '4kb',
        'latency',
        '2s',
      ]);
      return true;
    } catch {
      return false;
    }
  }

  async unlimitRate(host: NetHost): Promise<void> {
    await sh('ip', ['netns', 'exec', this.switchNs, 'tc', 'qdisc', 'del', 'dev', host.name, 'root']).catch(
      () => undefined,
    );
  }

  async rxBytes(host: NetHost): Promise<number> {
    const links = JSON.parse(await ip('-n', host.ns, '-j', '-s', 'link', 'show', 'dev', 'eth0')) as {
      stats64: { rx: { bytes: number } };
    }[];
    return links[0]?.stats64.rx.bytes ?? 0;
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    await Promise.all([...this.nodes].map((node) => node.kill9()));
    this.nodes.clear();
    // The observer veth first: deleting the switch namespace also removes it, but asynchronously.
    await ip('link', 'del', this.observerLink).catch(() => undefined);
    for (const ns of this.namespaces) await removeNamespace(ns);
    const deadline = Date.now() + 5_000;
    for (;;) {
      const leftNs = (await namespaceNames()).filter((ns) => this.namespaces.includes(ns));
      const leftLink = (await rootLinkNames()).includes(this.observerLink);
      if (leftNs.length === 0 && !leftLink) break;
      if (Date.now() > deadline) {
        throw new Error(`left behind: ${[...leftNs, ...(leftLink ? [this.observerLink] : [])].join(', ')}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    rmSync(join(STATE_DIR, `${this.id}.json`), { force: true });
    this.destroyed = true;
    forget(this);
  }

  /** Best-effort synchronous teardown for the process `exit` handler. */
  destroySync(): void {
    if (this.destroyed) return;
    for (const node of this.nodes) {
      if (node.proc.pid !== undefined && node.proc.exitCode === null && node.proc.signalCode === null) {
        try {
          process.kill(node.proc.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    for (const ns of this.namespaces) shSync('ip', ['netns', 'del', ns]);
    shSync('ip', ['link', 'del', this.observerLink]);
    rmSync(join(STATE_DIR, `${this.id}.json`), { force: true });
    this.destroyed = true;
    forget(this);
  }
}

/**
 * Builds a network of `size` hosts (see the file comment), after sweeping what killed earlier runs
 * left. On any failure everything created so far is removed before the error is thrown.
 */
export async function createNetwork(size: number, options: { name?: string } = {}): Promise<Network> {
  if (!Number.isInteger(size) || size < 1 || size > MAX_HOSTS) throw new Error(`size must be 1..${MAX_HOSTS}`);
  await sweepStale();
  const name = options.name ?? 'net';
  const network = new NetworkImpl(await claimId(name), name);
  networks.add(network);
  installExitHandlers();
  try {
    await network.build(size);
  } catch (err) {
    await network.destroy().catch(() => network.destroySync());
    throw err;
  }
  return network;
}

/** Options for {@link startNodeIn}. */
export interface StartInOptions {
  /** Reuse a data folder (restarts). Default: a fresh temporary folder. */
  dataDir?: string;
}

/**
 * Starts `blockforge node` inside `host`'s namespace, listening on `<ip>:5000`, and waits for its
 * ready line: `ip netns exec <ns> node dist/cli/main.js node --host <ip> --port 5000 --data-dir <dir>
 * --log-level warn ...args`. (`ip netns exec` replaces itself with node: the pid is the node's.)
 */
export async function startNodeIn(
  host: NetHost,
  args: readonly string[] = [],
  options: StartInOptions = {},
): Promise<NetnsNode> {
  const network = hostNetwork.get(host);
  if (!network) throw new Error(`${host.name} does not belong to a live network`);
  const dataDir = options.dataDir ?? tempDir('blockforge-netns-');
  const proc: ChildProcess = spawn(
    'ip',
    [
      'netns',
      'exec',
      host.ns,
      process.execPath,
      CLI,
      'node',
      '--host',
      host.ip,
      '--port',
      String(NODE_PORT),
      '--data-dir',
      dataDir,
      '--log-level',
      'warn',
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const running = await trackProcess(proc, NODE_PORT, dataDir, /blockforge node ready at/, host.url);
  const node: NetnsNode = Object.assign(running, {
    host,
    args: [...args],
    restart: (next?: readonly string[]) => startNodeIn(host, next ?? args, { dataDir }),
  });
  network.nodes.add(node);
  proc.once('exit', () => network.nodes.delete(node));
  return node;
}
