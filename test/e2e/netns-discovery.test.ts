/**
 * A classroom on one LAN, built with network namespaces (test/support/netns.ts: one host per node,
 * a bridge as the switch, multicast across it): ledger nodes started with no peers at all find each
 * other by mDNS and agree on one chain; tutorial nodes told only the teacher's address learn the
 * whole class by peer exchange. Needs root and `ip netns`; skipped elsewhere.
 */

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeJson } from '../../src/core/json.js';
import { genesisFileJson, targetForExpectedHashes } from '../../src/core/ledger/genesis.js';
import { waitFor } from '../support/chain-watch.js';
import { call, cleanupAll, tempDir } from '../support/harness.js';
import { testGenesis, testWallet } from '../support/ledger.js';
import { createNetwork, destroyAllNetworks, type NetnsNode, netnsAvailable, startNodeIn } from '../support/netns.js';

const availability = await netnsAvailable();

/** Each node's peers (`GET /nodes`), as addresses. */
async function peersOf(node: NetnsNode): Promise<string[]> {
  return ((await call(`${node.url}/nodes`)).json().nodes as string[]).slice().sort();
}

/** Every node's tip hash and height, from `/peer/status`. */
async function tips(nodes: readonly NetnsNode[]): Promise<{ height: number; tip: string }[]> {
  return Promise.all(nodes.map(async (n) => (await call(`${n.url}/peer/status`)).json()));
}

/** Waits until every node has `height` blocks and one tip; returns the milliseconds it took. */
async function agreeAt(nodes: readonly NetnsNode[], height: number, timeoutMs: number): Promise<number> {
  const start = performance.now();
  await waitFor(
    `all ${nodes.length} nodes on one chain of ${height} blocks`,
    async () => {
      const seen = await tips(nodes);
      return seen.every((s) => s.height === height && s.tip === seen[0]?.tip);
    },
    { timeoutMs, intervalMs: 50 },
  );
  return performance.now() - start;
}

describe.skipIf(!availability.ok)('a classroom on one LAN (network namespaces)', () => {
  afterAll(async () => {
    await destroyAllNetworks();
    await cleanupAll();
  });

  it('10 ledger nodes started with no peers find each other by mDNS and agree on one chain', async () => {
    const spec = testGenesis([[testWallet(1), 1_000_000n]], {
      initialTarget: targetForExpectedHashes(64n),
      time: Math.floor(Date.now() / 1000) - 100,
    });
    const file = join(tempDir(), 'genesis.json');
    writeFileSync(file, writeJson(genesisFileJson(spec)));
    const net = await createNetwork(10, { name: 'class' });
    // No --peer, no --discover: discovery is the ledger profile's default.
    const nodes = await Promise.all(
      net.hosts.map((host) =>
        startNodeIn(host, ['--profile', 'ledger', '--genesis', file, '--threads', '1', '--sync-interval', '2']),
      ),
    );
    for (const node of nodes) expect(node.output()).toContain('finding peers on the LAN (mDNS)');
    await waitFor(
      'every node to know the 9 others',
      async () => (await Promise.all(nodes.map(peersOf))).every((peers) => peers.length === 9),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    for (const node of nodes) {
      expect(await peersOf(node)).toEqual(
        nodes
          .filter((n) => n !== node)
          .map((n) => n.host.address)
          .sort(),
      );
    }
    // The first block reaches all within 10 s (pushed to every peer), then one from elsewhere.
    expect((await call(`${nodes[0]?.url}/mine`)).status).toBe(200);
    expect(await agreeAt(nodes, 2, 10_000)).toBeLessThan(10_000);
    expect((await call(`${nodes[6]?.url}/mine`)).status).toBe(200);
    expect(await agreeAt(nodes, 3, 10_000)).toBeLessThan(10_000);

    // The classroom exercise: half the room loses its Wi-Fi, both halves mine, the Wi-Fi comes back.
    const left = nodes.slice(0, 5);
    const right = nodes.slice(5);
    await net.partition(
      left.map((n) => n.host),
      right.map((n) => n.host),
    );
    for (let k = 0; k < 2; k++) expect((await call(`${left[0]?.url}/mine`)).status).toBe(200);
    expect((await call(`${right[0]?.url}/mine`)).status).toBe(200);
    await agreeAt(left, 5, 20_000);
    await agreeAt(right, 4, 20_000);
    const winner = (await call(`${left[0]?.url}/peer/status`)).json().tip;
    await net.heal();
    // Within a few sync rounds (peers backed off while unreachable are tried again within 16 s).
    await agreeAt(nodes, 5, 60_000);
    expect((await tips(right)).map((t) => t.tip)).toEqual(Array(5).fill(winner));
  });

  it('starts without discovery, saying so, when the mDNS port is taken', async () => {
    const net = await createNetwork(1, { name: 'mdnsbusy' });
    const [host] = net.hosts;
    if (!host) throw new Error('hosts');
    // Another program holds UDP 5353 without address reuse: the node cannot bind it.
    const holder = spawn(
      'ip',
      [
        'netns',
        'exec',
        host.ns,
        'python3',
        '-c',
        "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',5353))\nprint('bound',flush=True)\ntime.sleep(120)",
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout?.once('data', () => resolve());
        holder.once('exit', (code) => reject(new Error(`the port holder exited (${code})`)));
      });
      const node = await startNodeIn(host, ['--profile', 'ledger', '--threads', '1']);
      await waitFor('the warning', async () => node.output().includes('LAN discovery unavailable'), {
        timeoutMs: 10_000,
      });
      expect((await call(`${node.url}/peer/status`)).status).toBe(200);
      expect((await call(`${node.url}/mine`)).status).toBe(200);
      expect(node.proc.exitCode).toBeNull();
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it("tutorial nodes told only the teacher's address learn the whole class by peer exchange", async () => {
    const net = await createNetwork(8, { name: 'pex' });
    const [teacherHost, ...studentHosts] = net.hosts;
    if (!teacherHost) throw new Error('hosts');
    const common = ['--profile', 'seed', '--difficulty', '2', '--threads', '1', '--sync-interval', '2'];
    const teacher = await startNodeIn(teacherHost, common);
    // The seed profile does not look for peers on the LAN unless told: what they learn is exchanged.
    expect(teacher.output()).not.toContain('mDNS');
    const students = await Promise.all(
      studentHosts.map((host) => startNodeIn(host, [...common, '--peer', teacher.url])),
    );
    const nodes = [teacher, ...students];
    await waitFor(
      'every node to know the 7 others',
      async () => (await Promise.all(nodes.map(peersOf))).every((peers) => peers.length === 7),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // A student's peers: the teacher it registered, the others learned (and shown as such).
    const health = (await call(`${students[3]?.url}/nodes`)).json().peers as { address: string; origin: string }[];
    for (const peer of health) {
      expect(peer.origin, peer.address).toBe(peer.address === teacherHost.address ? 'registered' : 'learned');
    }
    expect((await call(`${students[5]?.url}/mine`)).status).toBe(200);
    expect(await agreeAt(nodes, 2, 10_000)).toBeLessThan(10_000);
  });
});
