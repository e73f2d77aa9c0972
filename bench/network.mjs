#!/usr/bin/env node

/**
 * `npm run bench:network` (issue 14): blockforge's peer gossip (HTTP flooding: every block POSTed
 * to /peer/blocks of every peer, relayed on first receipt) against libp2p's gossipsub, on separate
 * hosts: one Linux network namespace per node on one bridge (bench/network-hosts.mjs), 30 by default,
 * the bench in the root namespace reaching all of them. Needs root, iproute2 and tc; see
 * docs/network.md for what is counted and the decision taken from it.
 *
 * Each side, on the same hosts, with the same blocks (the gossipsub run publishes the exact block
 * texts the HTTP run mined, from the same hosts):
 * 1. start: one node per host, none given a peer (mDNS discovery on both sides); spawn-to-ready
 *    times, and how long until every node knows every other (formation);
 * 2. (blockforge only) convergence, the issue's done-when: a block mined the moment all nodes are
 *    ready, every node having started on its own genesis; time until all have one tip (<= 10 s);
 * 3. idle: bytes each host sends to its peers over the stream's duration with no block (eth0
 *    tx_bytes minus what goes to the bench, counted by an HTB class);
 * 4. the block stream: --blocks blocks, one every --spacing ms, each from a random host; a
 *    block's propagation to a node is its arrival there minus its appearance at its producer; bytes
 *    per node per block are the stream's bytes minus the idle rate over the same time;
 * 5. churn: --churn-blocks more blocks, 20% of the nodes SIGKILLed after the 3rd and restarted
 *    5 blocks later (blockforge on the same data folder); delivery to the nodes that stayed up, to
 *    the restarted ones once back, and how long a restarted node takes to have the blocks it missed.
 *
 * Usage: node bench/network.mjs [--hosts N] [--blocks N] [--churn-blocks N] [--spacing MS]
 *        [--seed N] [--only http,gossipsub] [--wiring discover|peer] [--gossip-mdns-interval MS]
 *        [--quick] [--json]
 */

import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { BlockforgeFleet, cliHasDiscover, DIFFICULTY, GossipFleet, now, sleep, waitUntil } from './network-fleets.mjs';
import { createHostNetwork, netnsUnavailable } from './network-hosts.mjs';

const argv = process.argv.slice(2);

function intArg(name, fallback) {
  const k = argv.indexOf(name);
  if (k < 0) return fallback;
  const value = Number(argv[k + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} needs a non-negative integer`);
  return value;
}

function textArg(name, fallback) {
  const k = argv.indexOf(name);
  return k < 0 ? fallback : (argv[k + 1] ?? fallback);
}

const quick = argv.includes('--quick');
const jsonOut = argv.includes('--json');
const options = {
  hosts: intArg('--hosts', 30),
  blocks: intArg('--blocks', quick ? 10 : 30),
  churnBlocks: intArg('--churn-blocks', quick ? 16 : 20),
  spacingMs: intArg('--spacing', 1000),
  seed: intArg('--seed', Math.floor(Math.random() * 2 ** 31)),
  only: new Set(textArg('--only', 'http,gossipsub').split(',')),
  wiring: textArg('--wiring', cliHasDiscover() ? 'discover' : 'peer'),
  gossipMdnsIntervalMs: intArg('--gossip-mdns-interval', 0) || null,
  quick,
};
/** Blocks of the churn stream after which the victims are killed, and after which they restart. */
const KILL_AFTER = 3;
const DOWN_BLOCKS = 5;
/** Share of the nodes killed in the churn phase. */
const CHURN_SHARE = 0.2;
/** The issue's convergence goal. */
const CONVERGENCE_GOAL_MS = 10_000;
/** How long after a block a node may still see it for it to count as delivered. */
const DELIVERY_WINDOW_MS = 10_000;

if (options.churnBlocks < KILL_AFTER + DOWN_BLOCKS + 2) {
  throw new Error(`--churn-blocks must be at least ${KILL_AFTER + DOWN_BLOCKS + 2}`);
}
if (!['discover', 'peer'].includes(options.wiring)) throw new Error('--wiring is discover or peer');

const log = (line) => console.log(line);

// ---- small helpers ---------------------------------------------------------------------------

/** mulberry32: the run's choices (miners, victims, wiring) reproducible from --seed. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function quantile(sorted, q) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    max: sorted.at(-1) ?? null,
    mean: sorted.length ? sorted.reduce((s, x) => s + x, 0) / sorted.length : null,
  };
}

const loadavg = () => readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ');
const round = (x, digits = 1) => (x === null || x === undefined ? null : Number(x.toFixed(digits)));

// ---- the plan: the same miners, victims and payloads for both sides ---------------------------

function makePlan(random) {
  const n = options.hosts;
  const pick = (from) => from[Math.floor(random() * from.length)];
  const everyone = Array.from({ length: n }, (_, i) => i);
  const shuffled = [...everyone].sort(() => random() - 0.5);
  const victims = shuffled.slice(0, Math.max(1, Math.round(n * CHURN_SHARE))).sort((a, b) => a - b);
  const stayers = everyone.filter((i) => !victims.includes(i));
  return {
    firstMiner: pick(everyone),
    stream: Array.from({ length: options.blocks }, () => ({ miner: pick(everyone), payload: null })),
    churn: {
      victims,
      stayers,
      killAfter: KILL_AFTER,
      restartAfter: KILL_AFTER + DOWN_BLOCKS,
      items: Array.from({ length: options.churnBlocks }, () => ({ miner: pick(stayers), payload: null })),
    },
  };
}

/**
 * A stand-in for a seed-profile block of the usual size (~300 bytes), for a gossipsub run without
 * the HTTP run to take the real blocks from (`--only gossipsub`).
 */
function syntheticBlock(index, random) {
  const hex = (len) => Array.from({ length: len }, () => Math.floor(random() * 16).toString(16)).join('');
  return Buffer.from(
    JSON.stringify({
      index,
      timestamp: Date.now() / 1000,
      transactions: [{ sender: '0', recipient: hex(32), amount: 1 }],
      proof: Math.floor(random() * 1000),
      previous_hash: hex(64),
    }),
  );
}

// ---- measurements common to both sides ---------------------------------------------------------

/**
 * Bytes each host sent while `work` ran (per host {peers, observer, tx} deltas), the CPU seconds each
 * node's process used, and the seconds.
 */
async function bytesDuring(net, fleet, work) {
  const before = await net.allTxBytes();
  const cpuBefore = fleet.cpu();
  const started = now();
  const result = await work();
  const cpuAfter = fleet.cpu();
  const after = await net.allTxBytes();
  const seconds = (now() - started) / 1000;
  const cpu = cpuAfter.map((c, i) => c - cpuBefore[i]);
  const deltas = after.map((a, i) => ({
    peers: a.peers - before[i].peers,
    observer: a.observer - before[i].observer,
    tx: a.tx - before[i].tx,
  }));
  return { deltas, cpu, seconds, result };
}

/**
 * Produces `items` one every spacing ms; `before(k)` runs before item k (kills, restarts), and
 * `eligible(k, miner)` names the nodes block k is expected at. Waits (at most 5 s) for the last
 * block to reach every eligible node.
 */
async function runStream(fleet, items, { before = async () => undefined, eligible, produced = [] }) {
  const start = now();
  for (const [k, item] of items.entries()) {
    await sleep(start + k * options.spacingMs - now());
    await before(k);
    const block = await fleet.produce(item.miner, item.payload);
    produced.push({ ...block, k, miner: item.miner, eligible: eligible(k, item.miner) });
  }
  const last = produced.at(-1);
  await waitUntil(() => last.eligible.every((i) => fleet.arrival(i, last.key) !== undefined), 5_000);
  return produced;
}

/**
 * Propagation over (block, node) pairs: a node's first sight of a block minus the block's
 * appearance at its producer; per block, the time to its last node (blocks that reached every node).
 */
function propagation(fleet, produced, pick = (b) => b.eligible) {
  const delays = [];
  const toLast = [];
  let pairs = 0;
  let negative = 0;
  for (const block of produced) {
    const nodes = pick(block);
    let last = 0;
    let all = nodes.length > 0;
    for (const i of nodes) {
      pairs++;
      const t = fleet.arrival(i, block.key);
      if (t === undefined || t - block.t > DELIVERY_WINDOW_MS) {
        all = false;
        continue;
      }
      // The bench reads the producer's and the receivers' streams in whatever order they come: a
      // receiver's event may be read a fraction of a millisecond before the producer's.
      if (t < block.t) negative++;
      const delay = Math.max(0, t - block.t);
      delays.push(delay);
      last = Math.max(last, delay);
    }
    if (all) toLast.push(last);
  }
  return {
    pairs,
    delivered: delays.length,
    deliveredShare: pairs ? delays.length / pairs : null,
    delayMs: summary(delays),
    toLastMs: summary(toLast),
    blocksReachingAll: toLast.length,
    blocks: produced.length,
    readBeforeProducer: negative,
  };
}

/** Peers each node knows: blockforge's /nodes count, gossipsub's topic subscribers. */
async function peerCounts(fleet) {
  if (fleet.kind === 'http') return fleet.peerCounts();
  return (await fleet.statuses()).map((s) => (s ? s.subscribers : -1));
}

async function meshCounts(fleet) {
  if (fleet.kind !== 'gossipsub') return null;
  return (await fleet.statuses()).map((s) => (s ? s.mesh : -1));
}

// ---- one side ------------------------------------------------------------------------------------

async function measureSide(net, fleet, plan) {
  const n = fleet.size;
  const out = { side: fleet.kind, loadBefore: loadavg() };
  log(`\n== ${fleet.kind}: ${n} nodes, one per host (load ${out.loadBefore})`);

  // 1. Start: one node alone first (its start-up without contention), then all the others at once.
  const soloIndex = 0;
  const solo = await fleet.start(soloIndex);
  const startedAt = now();
  const rest = [];
  if (fleet.kind === 'http' && fleet.wiring === 'peer') {
    for (let i = 0; i < n; i++) if (i !== soloIndex) rest.push(await fleet.start(i));
  } else {
    rest.push(...(await Promise.all(fleet.nodes.filter((x) => x.i !== soloIndex).map((x) => fleet.start(x.i)))));
  }
  const allReadyAt = now();
  out.startup = {
    soloSpawnToReadyMs: round(solo.spawnToReadyMs),
    concurrentSpawnToReadyMs: summary(rest.map((r) => r.spawnToReadyMs)),
    allReadyMs: round(allReadyAt - startedAt),
  };
  log(
    `  start-up: one node alone ${solo.spawnToReadyMs.toFixed(0)} ms spawn to ready; ${n - 1} more at once: ` +
      `median ${out.startup.concurrentSpawnToReadyMs.median.toFixed(0)} ms, all ready after ${out.startup.allReadyMs.toFixed(0)} ms`,
  );

  // 2. Convergence (blockforge): every node on its own genesis, a block mined at once on one of them.
  if (fleet.kind === 'http') {
    const first = await fleet.produce(plan.firstMiner);
    const one = await waitUntil(
      () => {
        const tips = new Set(fleet.nodes.map((x) => x.tip.hash));
        return tips.size === 1 && fleet.nodes[0].tip.height >= first.height;
      },
      30_000,
      10,
    );
    const convergedAt = one ? Math.max(...fleet.nodes.map((x) => x.tip.t)) : null;
    const statuses = await Promise.all(fleet.nodes.map((x) => fleet.height(x.i)));
    out.convergence = {
      sinceAllReadyMs: round(first.t - allReadyAt),
      ms: convergedAt === null ? null : round(convergedAt - first.t),
      goalMs: CONVERGENCE_GOAL_MS,
      met: convergedAt !== null && convergedAt - first.t <= CONVERGENCE_GOAL_MS,
      heights: [...new Set(statuses)],
    };
    log(
      `  convergence: first block mined ${out.convergence.sinceAllReadyMs.toFixed(0)} ms after all were ready; ` +
        (convergedAt === null
          ? 'the nodes did NOT reach one tip within 30 s'
          : `all ${n} on one tip ${out.convergence.ms.toFixed(0)} ms later (goal <= ${CONVERGENCE_GOAL_MS} ms: ` +
            `${out.convergence.met ? 'met' : 'MISSED'})`),
    );
  }

  // Formation: every node knows every other, or the counts stopped growing for 10 s (at most 60 s
  // after all were ready).
  let best = -1;
  let grewAt = now();
  const full = await waitUntil(
    async () => {
      const counts = await peerCounts(fleet);
      const total = counts.reduce((sum, c) => sum + Math.max(0, c), 0);
      if (total > best) {
        best = total;
        grewAt = now();
      }
      return counts.every((c) => c >= n - 1) ? 'full' : now() - grewAt > 10_000 ? 'stable' : null;
    },
    60_000,
    500,
  );
  const counts = await peerCounts(fleet);
  out.formation = {
    complete: full === 'full',
    msAfterAllReady: full === 'full' ? round(now() - allReadyAt) : null,
    peers: summary(counts),
    peersMin: Math.min(...counts),
    mesh: null,
    meshMin: null,
  };
  const mesh = await meshCounts(fleet);
  if (mesh) {
    out.formation.mesh = summary(mesh);
    out.formation.meshMin = Math.min(...mesh);
  }
  log(
    `  formation: ${
      full === 'full'
        ? `every node knew all ${n - 1} others ${(out.formation.msAfterAllReady / 1000).toFixed(1)} s after all were ready`
        : `stopped at peers per node min ${out.formation.peersMin}, median ${out.formation.peers.median} of ${n - 1} ` +
          `(${((now() - allReadyAt) / 1000).toFixed(0)} s after all were ready)`
    }${mesh ? `; gossipsub mesh: median ${out.formation.mesh.median}, min ${out.formation.meshMin}` : ''}`,
  );
  // A moment for the first syncs and mesh grafts to end before idling is counted.
  await sleep(2_000);

  // 3. Idle, as long as the stream will take.
  const streamSeconds = (options.blocks * options.spacingMs) / 1000 + 1;
  const idle = await bytesDuring(net, fleet, () => sleep(streamSeconds * 1000));
  const idleRates = idle.deltas.map((d) => d.peers / idle.seconds);
  const idleCpu = idle.cpu.map((c) => c / idle.seconds);
  out.idle = {
    seconds: round(idle.seconds),
    bytesPerNodePerSecond: summary(idleRates),
    cpuMsPerNodePerSecond: summary(idleCpu.map((c) => c * 1000)),
  };
  log(
    `  idle: ${out.idle.bytesPerNodePerSecond.mean.toFixed(0)} bytes/s per node to peers, ` +
      `${out.idle.cpuMsPerNodePerSecond.mean.toFixed(1)} ms CPU/s per node (${idle.seconds.toFixed(1)} s)`,
  );

  // 4. The block stream.
  const everyoneBut = (miner) => fleet.nodes.map((x) => x.i).filter((i) => i !== miner);
  const stream = await bytesDuring(net, fleet, () =>
    runStream(fleet, plan.stream, { eligible: (_k, miner) => everyoneBut(miner) }),
  );
  const produced = stream.result;
  if (fleet.kind === 'http') {
    for (const [k, block] of produced.entries()) plan.stream[k].payload = Buffer.from(block.text);
  }
  const perBlock = stream.deltas.map((d, i) => (d.peers - idleRates[i] * stream.seconds) / options.blocks);
  const cpuPerBlock = stream.cpu.map((c, i) => ((c - idleCpu[i] * stream.seconds) / options.blocks) * 1000);
  const sizes = plan.stream.map((item) => item.payload?.length ?? 0);
  out.stream = {
    blocks: options.blocks,
    spacingMs: options.spacingMs,
    seconds: round(stream.seconds),
    blockBytes: summary(sizes),
    propagation: propagation(fleet, produced),
    bytesPerNodePerBlock: summary(perBlock),
    rawBytesPerNodePerBlock: summary(stream.deltas.map((d) => d.peers / options.blocks)),
    cpuMsPerNodePerBlock: summary(cpuPerBlock),
    cpuCoresBusy: round(stream.cpu.reduce((sum, c) => sum + c, 0) / stream.seconds, 2),
    rssBytes: summary(fleet.rss()),
  };
  const p = out.stream.propagation;
  log(
    `  stream: ${options.blocks} blocks (${out.stream.blockBytes.median} bytes each): propagation median ` +
      `${p.delayMs.median?.toFixed(1)} ms, p95 ${p.delayMs.p95?.toFixed(1)}, worst ${p.delayMs.max?.toFixed(1)}; ` +
      `to the last node median ${p.toLastMs.median?.toFixed(1)} ms, worst ${p.toLastMs.max?.toFixed(1)}; ` +
      `delivered ${p.delivered}/${p.pairs}; ${out.stream.bytesPerNodePerBlock.mean.toFixed(0)} bytes and ` +
      `${out.stream.cpuMsPerNodePerBlock.mean.toFixed(1)} ms CPU per node per block (all nodes together kept ` +
      `${out.stream.cpuCoresBusy} cores busy)`,
  );

  // 5. Churn.
  out.churn = await runChurn(fleet, plan);
  out.loadAfter = loadavg();
  log(`  load after: ${out.loadAfter}`);
  return out;
}

async function runChurn(fleet, plan) {
  const { victims, stayers, killAfter, restartAfter, items } = plan.churn;
  const state = new Map(victims.map((v) => [v, { killedAt: null, spawnAt: null, backAt: null, missed: [] }]));
  const restarts = [];
  // Filled as the stream goes: a restart reads the height of the last block produced before it.
  const produced = [];
  const restart = async (v) => {
    const s = state.get(v);
    s.spawnAt = now();
    s.targetHeight = produced.at(-1)?.height ?? null;
    const started = await fleet.start(v);
    s.backAt = now();
    s.spawnToReadyMs = started.spawnToReadyMs;
    if (fleet.kind === 'http') {
      // Has every block it missed: its height reaches the network's at its restart.
      const caught = await waitUntil(async () => (await fleet.height(v)) >= s.targetHeight, 60_000, 100);
      s.catchUpMs = caught ? now() - s.spawnAt : null;
    }
  };
  const before = async (k) => {
    if (k === killAfter) {
      await Promise.all(victims.map((v) => fleet.kill(v)));
      for (const v of victims) state.get(v).killedAt = now();
    }
    if (k === restartAfter) for (const v of victims) restarts.push(restart(v));
  };
  const eligible = (_k, miner) => [
    ...stayers.filter((i) => i !== miner),
    ...victims.filter((v) => state.get(v).killedAt === null || state.get(v).backAt !== null),
  ];
  await runStream(fleet, items, { before, eligible, produced });
  await Promise.all(restarts);
  await sleep(3_000);
  if (fleet.kind === 'http') {
    for (const [k, block] of produced.entries()) plan.churn.items[k].payload = Buffer.from(block.text);
  }
  const isVictim = new Set(victims);
  const stayed = propagation(fleet, produced, (b) => b.eligible.filter((i) => !isVictim.has(i)));
  const back = propagation(fleet, produced, (b) =>
    b.eligible.filter((i) => isVictim.has(i) && state.get(i).backAt !== null && b.t >= state.get(i).backAt),
  );
  const restarted = victims.map((v) => {
    const s = state.get(v);
    // Blocks produced while it was down or starting: the ones it has to get some other way.
    const missed = produced.filter((b) => b.t >= s.killedAt && b.t < s.backAt);
    const gotLater = missed.filter((b) => fleet.arrival(v, b.key) !== undefined).length;
    const firstAfter = produced
      .filter((b) => b.t >= s.backAt)
      .map((b) => fleet.arrival(v, b.key))
      .filter((t) => t !== undefined)
      .sort((a, b) => a - b)[0];
    return {
      node: v,
      downMs: round(s.spawnAt - s.killedAt),
      spawnToReadyMs: round(s.spawnToReadyMs),
      missed: missed.length,
      missedDeliveredByGossip: fleet.kind === 'gossipsub' ? gotLater : null,
      catchUpMs: fleet.kind === 'http' ? round(s.catchUpMs) : null,
      firstNewBlockMs: firstAfter === undefined ? null : round(firstAfter - s.spawnAt),
    };
  });
  const missedTotal = restarted.reduce((sum, r) => sum + r.missed, 0);
  const result = {
    nodes: fleet.size,
    killed: victims.length,
    blocks: items.length,
    killAfterBlock: killAfter,
    restartAfterBlock: restartAfter,
    stayed,
    back,
    restarted,
    missedTotal,
    catchUpMs: fleet.kind === 'http' ? summary(restarted.map((r) => r.catchUpMs).filter((x) => x !== null)) : null,
    caughtUp: fleet.kind === 'http' ? restarted.filter((r) => r.catchUpMs !== null).length : null,
    missedDeliveredByGossip:
      fleet.kind === 'gossipsub' ? restarted.reduce((sum, r) => sum + r.missedDeliveredByGossip, 0) : null,
  };
  log(
    `  churn: ${victims.length} of ${fleet.size} killed after block ${killAfter}, restarted after block ${restartAfter}; ` +
      `delivery to the ${stayers.length} that stayed up ${stayed.delivered}/${stayed.pairs} ` +
      `(median ${stayed.delayMs.median?.toFixed(1)} ms, worst ${stayed.delayMs.max?.toFixed(1)}); ` +
      `to the restarted ones once back ${back.delivered}/${back.pairs}`,
  );
  log(
    fleet.kind === 'http'
      ? `  restarted nodes: ${result.caughtUp}/${victims.length} had every block they missed (${missedTotal} in all) ` +
          `after median ${result.catchUpMs.median?.toFixed(0)} ms, worst ${result.catchUpMs.max?.toFixed(0)} ms from restart`
      : `  restarted nodes: ${missedTotal} blocks missed while down, ${result.missedDeliveredByGossip} of them delivered ` +
          'later (gossipsub does not replay what a node missed)',
  );
  return result;
}

// ---- the table -------------------------------------------------------------------------------------

function table(results) {
  const { http, gossipsub: gs } = results;
  const rows = [['figure', 'HTTP flooding (blockforge)', 'gossipsub (libp2p)']];
  const ms = (x) => (x === null || x === undefined ? 'n/a' : `${x.toFixed(1)} ms`);
  const both = (label, get) => rows.push([label, http ? get(http) : '-', gs ? get(gs) : '-']);
  both('propagation, median', (r) => ms(r.stream.propagation.delayMs.median));
  both('propagation, p95', (r) => ms(r.stream.propagation.delayMs.p95));
  both('propagation, worst', (r) => ms(r.stream.propagation.delayMs.max));
  both('time to last node, median', (r) => ms(r.stream.propagation.toLastMs.median));
  both('time to last node, worst', (r) => ms(r.stream.propagation.toLastMs.max));
  both('delivered (block, node) pairs', (r) => `${r.stream.propagation.delivered}/${r.stream.propagation.pairs}`);
  both('bytes sent per node per block', (r) => `${Math.round(r.stream.bytesPerNodePerBlock.mean)} B`);
  both('idle bytes per node per second', (r) => `${Math.round(r.idle.bytesPerNodePerSecond.mean)} B/s`);
  both('CPU per node per block', (r) => ms(r.stream.cpuMsPerNodePerBlock.mean));
  both('idle CPU per node per second', (r) => ms(r.idle.cpuMsPerNodePerSecond.mean));
  both('CPU cores busy during the stream (all nodes)', (r) => `${r.stream.cpuCoresBusy}`);
  both(
    'peers per node (median, min)',
    (r) =>
      `${r.formation.peers.median}, ${r.formation.peersMin}` +
      (r.formation.mesh ? ` (mesh ${r.formation.mesh.median}, ${r.formation.meshMin})` : ''),
  );
  both('every node knew every other', (r) =>
    r.formation.complete ? `${(r.formation.msAfterAllReady / 1000).toFixed(1)} s after all ready` : 'never (see peers)',
  );
  both('node start-up, alone (spawn to ready)', (r) => `${r.startup.soloSpawnToReadyMs.toFixed(0)} ms`);
  both('resident memory per node, median', (r) => `${(r.stream.rssBytes.median / 2 ** 20).toFixed(0)} MiB`);
  both('churn: delivery to nodes that stayed up', (r) => {
    const s = r.churn.stayed;
    return `${((100 * s.delivered) / s.pairs).toFixed(1)}% (median ${ms(s.delayMs.median)}, worst ${ms(s.delayMs.max)})`;
  });
  both('churn: delivery to restarted nodes once back', (r) => {
    const s = r.churn.back;
    return s.pairs ? `${((100 * s.delivered) / s.pairs).toFixed(1)}% (median ${ms(s.delayMs.median)})` : 'n/a';
  });
  both('churn: restarted nodes get missed blocks', (r) =>
    r.side === 'http'
      ? `${r.churn.caughtUp}/${r.churn.killed} nodes, median ${ms(r.churn.catchUpMs.median)}, worst ${ms(r.churn.catchUpMs.max)} from restart`
      : `${r.churn.missedDeliveredByGossip}/${r.churn.missedTotal} missed blocks ever delivered`,
  );
  if (http?.convergence) {
    rows.push([
      'convergence after first block (goal <= 10 s)',
      http.convergence.ms === null ? 'not in 30 s' : `${(http.convergence.ms / 1000).toFixed(2)} s`,
      '-',
    ]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = [];
  for (const [k, row] of rows.entries()) {
    lines.push(
      row
        .map((cell, c) => cell.padEnd(widths[c]))
        .join(' | ')
        .trimEnd(),
    );
    if (k === 0) lines.push(widths.map((w) => '-'.repeat(w)).join('-|-'));
  }
  return lines;
}

// ---- main ------------------------------------------------------------------------------------------

const unavailable = netnsUnavailable();
if (unavailable) {
  console.error(`bench:network needs Linux network namespaces: ${unavailable}`);
  process.exit(1);
}

const results = {
  options: { ...options, only: [...options.only], difficulty: DIFFICULTY, profile: 'seed' },
  machine: { cores: cpus().length, memoryGiB: round(totalmem() / 2 ** 30), node: process.version },
  loadBefore: loadavg(),
};
const began = now();
log(
  `bench:network: ${options.hosts} hosts, ${options.blocks} blocks + ${options.churnBlocks} under churn, ` +
    `one every ${options.spacingMs} ms, seed ${options.seed}, blockforge peers by ${options.wiring === 'discover' ? 'mDNS discovery (--discover)' : '--peer (3 random earlier nodes each)'}`,
);
const net = await createHostNetwork(options.hosts);
log(
  `network: ${net.hosts.length} hosts bfn${net.id}-h1.. on ${net.subnet}, bench at ${net.observerIp}, multicast checked`,
);
try {
  const random = rng(options.seed);
  const plan = makePlan(random);
  if (options.only.has('http')) {
    const fleet = new BlockforgeFleet(net, { wiring: options.wiring, random });
    try {
      results.http = await measureSide(net, fleet, plan);
    } finally {
      await fleet.stop();
    }
  }
  if (options.only.has('gossipsub')) {
    for (const [k, item] of [...plan.stream, ...plan.churn.items].entries()) {
      item.payload ??= syntheticBlock(k + 2, random);
    }
    // The HTTP nodes' last pushes and syncs die with them; a pause keeps them out of the counts.
    await sleep(1_000);
    const fleet = new GossipFleet(net, { mdnsIntervalMs: options.gossipMdnsIntervalMs });
    try {
      results.gossipsub = await measureSide(net, fleet, plan);
    } finally {
      await fleet.stop();
    }
  }
} finally {
  await net.destroy();
}
results.loadAfter = loadavg();
results.seconds = round((now() - began) / 1000);

log(
  `\n== summary (${options.hosts} hosts, ${options.blocks} blocks, ${options.spacingMs} ms apart, seed ${options.seed})`,
);
for (const line of table(results)) log(line);
log(`load ${results.loadBefore} before, ${results.loadAfter} after; ${results.seconds.toFixed(0)} s in all`);
if (jsonOut) log(JSON.stringify(results));
if (results.http?.convergence && !results.http.convergence.met) process.exitCode = 1;
