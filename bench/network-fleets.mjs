// The two sides of `npm run bench:network`, behind one interface so the bench measures them the
// same way: one node per host of a network-hosts.mjs network, started, made to produce a block,
// killed (SIGKILL) and restarted, and each node's first sight of each block timed.
// - BlockforgeFleet: real `blockforge node` processes (seed profile, difficulty 2: a proof in well
//   under a millisecond), blocks mined with GET /mine, arrivals read from each node's SSE stream
//   (GET /events: a `block` event, or a `reorg` naming the block among those added) by the bench in
//   the root namespace, timed on arrival there;
// - GossipFleet: gossipsub/node.mjs processes, blocks published through their stdin,
//   arrivals timed by the receiving process itself and printed on its stdout.
// Times are Date.now() with sub-millisecond precision (performance.timeOrigin + performance.now()):
// every namespace shares the machine's clock.

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
export const CLI = join(ROOT, 'dist/cli/main.js');
const GOSSIP_NODE = join(ROOT, 'bench/gossipsub/node.mjs');
export const NODE_PORT = 5000;
const GOSSIP_PORT = 4001;
/** Leading hex zeros of the proof of work: 256 hashes expected, so a block is mined at once. */
export const DIFFICULTY = 2;
const READY_TIMEOUT_MS = 60_000;

export const now = () => performance.timeOrigin + performance.now();
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Polls `check` every `everyMs` until it returns a truthy value (returned) or `timeoutMs` passes (null). */
export async function waitUntil(check, timeoutMs, everyMs = 20) {
  const deadline = now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (now() > deadline) return null;
    await sleep(everyMs);
  }
}

/** The first 16 hex digits of SHA-256: how both sides name a block (gossipsub's messages carry no hash). */
export const keyOf = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 16);

/** Resident memory of a process in bytes (VmRSS), or null when it is gone. */
function rssOf(pid) {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/** Clock ticks per second of /proc/<pid>/stat's CPU times. */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

/** CPU seconds (user + system, all threads) a process has used, or null when it is gone. */
function cpuOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

/** Whether the built CLI has `--discover` (mDNS discovery); without it nodes are wired with --peer. */
export function cliHasDiscover() {
  const help = spawnSync(process.execPath, [CLI, 'node', '--help'], { encoding: 'utf8' });
  return help.status === 0 && help.stdout.includes('--discover');
}

/** Scratch folders still to remove: also at exit, since a signal ends the bench without its finally blocks. */
const scratchDirs = new Set();
process.once('exit', () => {
  for (const dir of scratchDirs) rmSync(dir, { recursive: true, force: true });
});

/** A scratch folder on tmpfs where there is one (node data folders: their commits are not the subject). */
function scratch(prefix) {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = mkdtempSync(join(base, prefix));
  scratchDirs.add(dir);
  return dir;
}

/** GET (or POST) `url`, answered as text; rejects on a non-2xx status or after `timeoutMs`. */
export function httpText(url, { method = 'GET', timeoutMs = 5_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false, timeout: timeoutMs }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        text += chunk;
      });
      res.on('end', () =>
        res.statusCode >= 200 && res.statusCode < 300
          ? resolve(text)
          : reject(new Error(`${method} ${url}: ${res.statusCode} ${text.slice(0, 200)}`)),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Waits for a line matching `pattern` on a child's stdout or stderr; keeps the last output for errors. */
function waitReady(child, pattern, what) {
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk) => {
      output = (output + chunk).slice(-4_000);
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start within 60 s:\n${output}`)),
      READY_TIMEOUT_MS,
    );
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

/**
 * A Server-Sent Events stream (`GET /events`), each event handed to `onEvent(name, data, t)` with
 * the time its chunk arrived. Resolves once the stream's `hello` event came.
 */
function openEvents(url, onEvent) {
  return new Promise((resolve, reject) => {
    let buffer = '';
    let opened = false;
    const req = request(`${url}/events`, { agent: false }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`${url}/events: ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (chunk) => {
        const t = now();
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let name = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) name = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (name === 'hello' && !opened) {
            opened = true;
            resolve(req);
          }
          onEvent(name, data, t);
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err) => {
      if (!opened) reject(err);
    });
    req.end();
  });
}

/** Blockforge nodes, one per host, found by mDNS (`--discover`) or wired with `--peer`. */
export class BlockforgeFleet {
  /**
   * @param net a network-hosts.mjs network
   * @param options.wiring 'discover' (no peer given) or 'peer' (each node given up to 3 random earlier ones)
   * @param options.random a () => [0, 1) source, for the wiring
   */
  constructor(net, { wiring, random }) {
    this.net = net;
    this.wiring = wiring;
    this.kind = 'http';
    this.nodes = net.hosts.map((host, i) => ({
      i,
      host,
      url: `http://${host.ip}:${NODE_PORT}`,
      dataDir: scratch('bfnet-'),
      args: [],
      proc: null,
      stream: null,
      /** Block hash -> first time this node was seen to have it. */
      arrivals: new Map(),
      /** Height -> the block this node mined there ({hash, t, text}). */
      mined: new Map(),
      tip: { height: 0, hash: null, t: 0 },
      spawnedAt: 0,
      readyAt: 0,
    }));
    for (const node of this.nodes) {
      if (wiring === 'discover') {
        node.args = ['--discover'];
      } else {
        const earlier = this.nodes.slice(0, node.i).map((n) => n.url);
        const picked = [];
        while (picked.length < Math.min(3, earlier.length)) {
          const [url] = earlier.splice(Math.floor(random() * earlier.length), 1);
          picked.push(url);
        }
        node.args = picked.flatMap((url) => ['--peer', url]);
      }
    }
  }

  get size() {
    return this.nodes.length;
  }

  /** Starts node `i` (again, on its data folder) and opens its event stream; resolves when both are up. */
  async start(i) {
    const node = this.nodes[i];
    node.spawnedAt = now();
    node.proc = this.net.spawnIn(node.host, process.execPath, [
      ...[CLI, 'node', '--host', '0.0.0.0', '--port', String(NODE_PORT), '--data-dir', node.dataDir],
      ...['--difficulty', String(DIFFICULTY), '--threads', '1', '--log-level', 'warn', ...node.args],
    ]);
    await waitReady(node.proc, /blockforge node ready at/, `blockforge node on ${node.host.ns}`);
    node.readyAt = now();
    node.stream = await openEvents(node.url, (name, data, t) => this.onEvent(node, name, data, t));
    const status = JSON.parse(await httpText(`${node.url}/peer/status`));
    if (node.tip.height < status.height) node.tip = { height: status.height, hash: status.tip, t: now() };
    return { spawnToReadyMs: node.readyAt - node.spawnedAt };
  }

  onEvent(node, name, data, t) {
    if (name === 'block') {
      const event = JSON.parse(data);
      if (!node.arrivals.has(event.hash)) node.arrivals.set(event.hash, t);
      node.tip = { height: event.index, hash: event.hash, t };
      if (event.source === 'mined') {
        // The block's exact wire text: the serializer writes it last, `,"block":<text>}`.
        const text = data.slice(data.indexOf(',"block":') + 9, -1);
        node.mined.set(event.index, { hash: event.hash, t, text });
      }
    } else if (name === 'reorg') {
      const event = JSON.parse(data);
      for (const added of event.added) if (!node.arrivals.has(added.hash)) node.arrivals.set(added.hash, t);
      node.tip = { height: event.new_tip.height, hash: event.new_tip.hash, t };
    }
  }

  /** Starts every node: at once when they discover each other, else in order (a hello needs its peer up). */
  async startAll() {
    if (this.wiring === 'discover') return Promise.all(this.nodes.map((n) => this.start(n.i)));
    const results = [];
    for (const node of this.nodes) results.push(await this.start(node.i));
    return results;
  }

  /** Mines a block on node `i`: its hash (the key), the time its own stream showed it, its wire text. */
  async produce(i) {
    const node = this.nodes[i];
    const answer = JSON.parse(await httpText(`${node.url}/mine`, { timeoutMs: 10_000 }));
    const mined = await waitUntil(() => node.mined.get(answer.index), 5_000, 2);
    if (!mined) throw new Error(`block ${answer.index} mined on ${node.host.ns} never showed on its stream`);
    node.mined.delete(answer.index);
    return { key: mined.hash, t: mined.t, text: mined.text, height: answer.index };
  }

  arrival(i, key) {
    return this.nodes[i].arrivals.get(key);
  }

  /** Peers each node lists (`GET /nodes`), -1 for a node that does not answer. */
  peerCounts() {
    return Promise.all(
      this.nodes.map((n) =>
        httpText(`${n.url}/nodes`, { timeoutMs: 2_000 })
          .then((text) => JSON.parse(text).count)
          .catch(() => -1),
      ),
    );
  }

  /** Height of node `i` (`/peer/status`), or -1 when it does not answer. */
  height(i) {
    return httpText(`${this.nodes[i].url}/peer/status`, { timeoutMs: 2_000 })
      .then((text) => JSON.parse(text).height)
      .catch(() => -1);
  }

  rss() {
    return this.nodes.map((n) => (n.proc ? rssOf(n.proc.pid) : null)).filter((x) => x !== null);
  }

  /** CPU seconds each node's process has used so far (0 for a node not running). */
  cpu() {
    return this.nodes.map((n) => (n.proc ? (cpuOf(n.proc.pid) ?? 0) : 0));
  }

  async kill(i) {
    const node = this.nodes[i];
    node.stream?.destroy();
    node.stream = null;
    if (node.proc && node.proc.exitCode === null && node.proc.signalCode === null) {
      const exited = new Promise((resolve) => node.proc.once('exit', resolve));
      node.proc.kill('SIGKILL');
      await exited;
    }
    node.proc = null;
  }

  async stop() {
    await Promise.all(this.nodes.map((n) => this.kill(n.i)));
    for (const node of this.nodes) {
      rmSync(node.dataDir, { recursive: true, force: true });
      scratchDirs.delete(node.dataDir);
    }
  }
}

/** libp2p gossipsub nodes (gossipsub/node.mjs), one per host, found by mDNS. */
export class GossipFleet {
  /** @param options.mdnsIntervalMs mDNS re-query interval of the nodes (their default: 30 s) */
  constructor(net, { mdnsIntervalMs } = {}) {
    this.net = net;
    this.kind = 'gossipsub';
    this.extraArgs = mdnsIntervalMs ? ['--mdns-interval', String(mdnsIntervalMs)] : [];
    this.nodes = net.hosts.map((host, i) => ({
      i,
      host,
      proc: null,
      arrivals: new Map(),
      published: new Map(),
      status: null,
      startupMs: 0,
      spawnedAt: 0,
      readyAt: 0,
    }));
  }

  get size() {
    return this.nodes.length;
  }

  async start(i) {
    const node = this.nodes[i];
    node.spawnedAt = now();
    const proc = this.net.spawnIn(
      node.host,
      process.execPath,
      [GOSSIP_NODE, '--ip', node.host.ip, '--port', String(GOSSIP_PORT), ...this.extraArgs],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    node.proc = proc;
    // A node killed while the bench writes to it must not take the bench down.
    proc.stdin.on('error', () => undefined);
    let stderr = '';
    proc.stderr.on('data', (chunk) => {
      stderr = (stderr + chunk).slice(-4_000);
    });
    const ready = new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`gossipsub node on ${node.host.ns} did not start:\n${stderr}`)),
        60_000,
      );
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`gossipsub node on ${node.host.ns} exited (${code ?? signal}):\n${stderr}`));
      });
      createInterface({ input: proc.stdout }).on('line', (line) => {
        let event;
        try {
          event = JSON.parse(line);
        } catch {
          return;
        }
        if (event.ev === 'msg') {
          if (!node.arrivals.has(event.key)) node.arrivals.set(event.key, event.t);
        } else if (event.ev === 'published') {
          node.published.set(event.key, event);
        } else if (event.ev === 'status') {
          node.status = event;
        } else if (event.ev === 'ready') {
          clearTimeout(timer);
          node.startupMs = event.startupMs;
          node.readyAt = now();
          resolve();
        }
      });
    });
    await ready;
    return { spawnToReadyMs: node.readyAt - node.spawnedAt, processStartupMs: node.startupMs };
  }

  startAll() {
    return Promise.all(this.nodes.map((n) => this.start(n.i)));
  }

  send(i, command) {
    const proc = this.nodes[i].proc;
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.stdin.write(`${JSON.stringify(command)}\n`);
  }

  /** Publishes `payload` (bytes) from node `i`: its key and the time the publisher took just before publishing. */
  async produce(i, payload) {
    const node = this.nodes[i];
    const key = keyOf(payload);
    this.send(i, { cmd: 'publish', data: Buffer.from(payload).toString('base64') });
    const published = await waitUntil(() => node.published.get(key), 5_000, 2);
    if (!published) throw new Error(`publish on ${node.host.ns} never confirmed`);
    return { key, t: published.t, recipients: published.recipients };
  }

  arrival(i, key) {
    return this.nodes[i].arrivals.get(key);
  }

  /** Each node's {connections, subscribers, mesh} (null for a node that does not answer within 2 s). */
  async statuses() {
    for (const node of this.nodes) {
      node.status = null;
      this.send(node.i, { cmd: 'status' });
    }
    await waitUntil(() => this.nodes.every((n) => n.status !== null || n.proc === null), 2_000, 10);
    return this.nodes.map((n) => n.status);
  }

  rss() {
    return this.nodes.map((n) => (n.proc ? rssOf(n.proc.pid) : null)).filter((x) => x !== null);
  }

  /** CPU seconds each node's process has used so far (0 for a node not running). */
  cpu() {
    return this.nodes.map((n) => (n.proc ? (cpuOf(n.proc.pid) ?? 0) : 0));
  }

  async kill(i) {
    const node = this.nodes[i];
    if (node.proc && node.proc.exitCode === null && node.proc.signalCode === null) {
      const exited = new Promise((resolve) => node.proc.once('exit', resolve));
      node.proc.kill('SIGKILL');
      await exited;
    }
    node.proc = null;
  }

  async stop() {
    await Promise.all(this.nodes.map((n) => this.kill(n.i)));
  }
}
