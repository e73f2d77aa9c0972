/**
 * The double spend live (`blockforge lab double-spend --live`): the classic attack of the whitepaper's
 * section 11 with real `blockforge node` processes on loopback, real signed payments and real mining,
 * where the simulated lab (double-spend.ts) hands blocks around on a simulated clock.
 *
 * Two ledger nodes share a fresh genesis: the honest network (one node with `(1 - q)` of the hash
 * power) and the attacker's node (`q` of it), each capped with `--hashrate` so the shares hold on any
 * machine. They are not peers: the attacker mines in private. The attacker pays the merchant through
 * the honest node and gives a conflicting payment (the same nonce, to itself) to its own node only.
 * Both nodes mine without pause (a loop of `GET /mine` each). Once the honest node shows `z`
 * confirmations of the payment the merchant ships; from then on, as soon as the attacker's branch has
 * strictly more work, the attacker publishes it: the honest node is told of it as a peer and asked to
 * resolve, and its own fork choice decides. The attacker gives up after falling `giveUp` blocks
 * behind. The outcome is read off the honest node's API, not assumed.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { writeJson } from '../core/json.js';
import { fromHex, paymentJson } from '../core/ledger/codec.js';
import { type GenesisSpec, genesisFileJson, targetForExpectedHashes } from '../core/ledger/genesis.js';
import { parseAddress } from '../core/ledger/keys.js';
import { createLedgerProfile } from '../core/ledger/ledger-profile.js';
import { signPayment } from '../core/ledger/transaction.js';
import { defaultGiveUp } from './double-spend.js';
import { LAB_HRP, type LabWallet, labWallet } from './lab-world.js';
import type { LiveOutcome, LiveReport } from './report.js';

/** Options of {@link runLiveDoubleSpend}. */
export interface LiveOptions {
  /** The attacker's share of the hash power, q, in (0, 1). */
  readonly attacker: number;
  /** Confirmations the merchant waits for (the payment's block is the first); 0 ships at once. */
  readonly confirmations: number;
  /** Hashes per second of both nodes together (default {@link DEFAULT_TOTAL_HASHRATE}). */
  readonly totalHashrate?: number;
  /** Mean seconds between the honest node's blocks, which sets the difficulty (default 1). */
  readonly blockSeconds?: number;
  /** Blocks behind (after the merchant ships) at which the attacker gives up; default as the simulated lab's. */
  readonly giveUp?: number;
  /** The run ends as `timeout` after this many seconds (default 120). */
  readonly timeoutSeconds?: number;
  /**
   * Leave both nodes running after the run (mining stopped), so the honest node's explorer can be
   * looked at; the caller ends them with the returned {@link LiveRun.stop}.
   */
  readonly keep?: boolean;
  /** The `blockforge` CLI to start the nodes with (default: the built `dist/cli/main.js`). */
  readonly cliPath?: string;
  /** Folder the run's own temporary folder is made in (default: /dev/shm where there is one, else the OS's). */
  readonly dataRoot?: string;
}

/** A finished live run. */
export interface LiveRun extends LiveReport {
  /**
   * Stops the nodes (SIGTERM, SIGKILL after a grace period) and removes the run's folder. Already
   * done when the run returns, unless `keep` was set; calling it again does nothing.
   */
  readonly stop: () => Promise<void>;
}

/** The built CLI: `<package>/dist/cli/main.js`, found the same way from src/lab (tests) and dist/lab. */
export const DEFAULT_CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Default hash power of both nodes together: little CPU, even on a shared 2-core machine. */
export const DEFAULT_TOTAL_HASHRATE = 20_000;

/** Seconds a node process gets to shut down cleanly before it is killed. */
const STOP_GRACE_MS = 5_000;

/** Seconds a node gets to print its ready line. */
const START_TIMEOUT_MS = 30_000;

/** The lab's wallets: who pays, who is paid, and where the rewards go. */
const PAYER = labWallet(1);
const ATTACKER_MINER = labWallet(2);
const MERCHANT = labWallet(3);
const HONEST_MINER = labWallet(4);

/**
 * The addresses of a live run, to look up in the explorer: the attacker's funded wallet (`payer`),
 * the merchant it pays, and where each node's rewards go (the attacker's also receives the
 * conflicting payment).
 */
export const LIVE_ADDRESSES = Object.freeze({
  payer: PAYER.address,
  merchant: MERCHANT.address,
  attacker: ATTACKER_MINER.address,
  honestMiner: HONEST_MINER.address,
});

/** What the attacker spends twice: 100 coins, and a fee the nodes take. */
const AMOUNT = 100n * 100_000_000n;
const FEE = 1_000n;

/**
 * Target seconds between blocks and ASERT half-life of the run's network, chosen so that every block
 * at one height has the same target on both branches: half-life = 1,200 x 65,536 s makes ASERT's
 * exponent `floor((t - 3600 k) / 1200) = -3k` for the k-th block after the anchor, whatever its time
 * (for runs under 20 minutes). Work per block then depends on the height only, so "more work" is "more
 * blocks", as the papers count; and the target gets 0.003% harder a block, nothing over a run.
 */
const LIVE_BLOCK_TIME = 3_600;
const LIVE_HALF_LIFE = 1_200 * 65_536;

/**
 * Runs one live double spend and reports what became of the payment. Every line of what happens
 * goes to `onEvent` as it happens (and into the report's `events`). The node processes are stopped
 * when the run ends or fails, unless `keep` is set and the run finished (then call `stop()`).
 */
export async function runLiveDoubleSpend(options: LiveOptions, onEvent: (line: string) => void): Promise<LiveRun> {
  const started = performance.now();
  const settings = checkOptions(options);
  const events: string[] = [];
  const say = (line: string): void => {
    events.push(line);
    onEvent(line);
  };
  const root = mkdtempSync(join(options.dataRoot ?? scratchRoot(), 'blockforge-live-'));
  const nodes: NodeProcess[] = [];
  // Should this process exit before stop() (an uncaught error, process.exit), the nodes go with it.
  const killOnExit = (): void => {
    for (const n of nodes) n.kill();
    rmSync(root, { recursive: true, force: true });
  };
  process.on('exit', killOnExit);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(nodes.map((n) => n.stop()));
    process.off('exit', killOnExit);
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const report = await race(settings, root, nodes, say);
    if (!options.keep) await stop();
    return { ...report, seconds: (performance.now() - started) / 1000, events, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

interface Settings {
  readonly q: number;
  readonly z: number;
  readonly honestRate: number;
  readonly attackerRate: number;
  readonly blockSeconds: number;
  readonly giveUp: number;
  readonly timeoutMs: number;
  readonly cliPath: string;
}

function invalid(message: string): BlockforgeError {
  return new BlockforgeError(ErrorCode.InvalidOption, message);
}

function checkOptions(options: LiveOptions): Settings {
  const q = options.attacker;
  if (!(q > 0 && q < 1)) throw invalid(`the attacker's share must be between 0 and 1 (got ${q})`);
  const z = options.confirmations;
  if (!Number.isInteger(z) || z < 0 || z > 1000) throw invalid('confirmations must be a whole number from 0 to 1000');
  const total = options.totalHashrate ?? DEFAULT_TOTAL_HASHRATE;
  if (!Number.isSafeInteger(total) || total < 2) {
    throw invalid('the total hash rate must be a whole number of hashes per second, at least 2');
  }
  const attackerRate = Math.round(q * total);
  const honestRate = total - attackerRate;
  if (attackerRate < 1 || honestRate < 1) {
    throw invalid(`a total hash rate of ${total} leaves one side without any at share ${q}: raise it`);
  }
  const blockSeconds = options.blockSeconds ?? 1;
  if (!(blockSeconds >= 0.05 && blockSeconds <= 3600)) throw invalid('the block time must be from 0.05 to 3600 s');
  const giveUp = options.giveUp ?? defaultGiveUp(q, z, 'honest');
  if (!Number.isInteger(giveUp) || giveUp < 1) throw invalid('giveUp must be a whole number of blocks, at least 1');
  const timeout = options.timeoutSeconds ?? 120;
  if (!(timeout > 0 && timeout <= 86_400)) throw invalid('the timeout must be from 0 to 86400 s');
  return {
    q,
    z,
    honestRate,
    attackerRate,
    blockSeconds,
    giveUp,
    timeoutMs: timeout * 1000,
    cliPath: options.cliPath ?? DEFAULT_CLI,
  };
}

/** The run itself; `nodes` is filled as processes start, so the caller can stop them whatever happens. */
async function race(
  s: Settings,
  root: string,
  nodes: NodeProcess[],
  say: (line: string) => void,
): Promise<Omit<LiveReport, 'seconds' | 'events'>> {
  const started = performance.now();
  const genesis: GenesisSpec = {
    network: 'lab-live',
    hrp: LAB_HRP,
    blockTime: LIVE_BLOCK_TIME,
    halfLife: LIVE_HALF_LIFE,
    initialTarget: targetForExpectedHashes(BigInt(Math.max(16, Math.round(s.honestRate * s.blockSeconds)))),
    reward: 50n * 100_000_000n,
    halvingInterval: 0,
    maturity: 10,
    time: Math.floor(Date.now() / 1000),
    allocations: [{ address: PAYER.address, amount: 1_000n * 100_000_000n }],
  };
  const genesisFile = join(root, 'genesis.json');
  writeFileSync(genesisFile, `${writeJson(genesisFileJson(genesis))}\n`);
  const { chainId } = createLedgerProfile(genesis);

  const [honestPort, attackerPort] = await freePorts(2);
  const launch = (name: string, port: number, rate: number, miner: LabWallet): Promise<NodeProcess> =>
    startNodeProcess(
      s.cliPath,
      name,
      port,
      [
        'node',
        '--profile',
        'ledger',
        '--genesis',
        genesisFile,
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--data-dir',
        join(root, name),
        '--hashrate',
        String(rate),
        // Capped, one thread is plenty (a core hashes millions a second); more only for huge caps.
        '--threads',
        String(Math.min(availableParallelism(), Math.ceil(rate / 2_000_000))),
        '--miner-address',
        miner.address,
        // Peers only when the lab says so: no push, no periodic sync, so the attacker stays private.
        '--no-auto-sync',
        '--log-level',
        'warn',
        '--log-format',
        'json',
      ],
      nodes,
    );
  const [honest, attacker] = await Promise.all([
    launch('honest', honestPort as number, s.honestRate, HONEST_MINER),
    launch('attacker', attackerPort as number, s.attackerRate, ATTACKER_MINER),
  ]);
  const forksUrl = `${honest.url}/#/forks`;
  say(
    `honest node ${honest.url} (${s.honestRate} hashes/s) and attacker's node ${attacker.url} ` +
      `(${s.attackerRate} hashes/s, q = ${s.q}), not peers; a block every ~${s.blockSeconds} s at the honest rate`,
  );

  const sign = (to: string): string => {
    const fields = {
      chain: fromHex(chainId),
      from: PAYER.publicKey,
      to: parseAddress(LAB_HRP, to),
      amount: AMOUNT,
      fee: FEE,
      nonce: 0n,
    };
    return writeJson(paymentJson(fields, signPayment(fields, PAYER.secretKey), LAB_HRP));
  };
  const payment = (await request(honest, 'POST', '/transactions', sign(MERCHANT.address))).id as string;
  say(`attacker pays the merchant 100 coins through the honest node: payment ${short(payment)}`);
  const conflicting = (await request(attacker, 'POST', '/transactions', sign(ATTACKER_MINER.address))).id as string;
  say(`attacker gives its own node a conflicting payment (same nonce, to itself): ${short(conflicting)}`);

  const miners = new Miners([honest, attacker], (node, height) => say(`block ${height} ${node.name}`));
  let outcome: LiveOutcome | null = null;
  // Both tips when the outcome was decided (the nodes may finish a block after that).
  let heights = { honest: 1, attacker: 1 };
  try {
    const deadline = started + s.timeoutMs;
    let shipped = s.z === 0;
    if (shipped) say('merchant ships at once (0 confirmations)');
    let included = false;
    let registered = false;
    let lastRefused = -1;
    while (outcome === null) {
      miners.check();
      if (performance.now() >= deadline) {
        outcome = 'timeout';
        say(`timeout after ${Math.round(s.timeoutMs / 1000)} s`);
        break;
      }
      const [h, a] = await Promise.all([status(honest), status(attacker)]);
      heights = { honest: h.height, attacker: a.height };
      if (!shipped) {
        const tx = await transaction(honest, payment);
        if (tx?.status === 'confirmed') {
          if (!included) {
            included = true;
            say(`payment confirmed in honest block ${tx.height}`);
          }
          if ((tx.confirmations as number) >= s.z) {
            shipped = true;
            say(`merchant ships after ${tx.confirmations} confirmations`);
          }
        }
      }
      if (shipped && a.work > h.work && a.height !== lastRefused) {
        say(`attacker publishes ${a.height - 1} blocks (height ${a.height} against the honest ${h.height})`);
        if (!registered) {
          await request(honest, 'POST', '/nodes/register', JSON.stringify({ nodes: [attacker.url] }));
          registered = true;
        }
        const resolved = await request(honest, 'GET', '/nodes/resolve');
        if (resolved.message === 'Our chain was replaced') {
          const [pay, conflict] = await Promise.all([transaction(honest, payment), transaction(honest, conflicting)]);
          if (pay?.status === 'confirmed' || conflict?.status !== 'confirmed') {
            throw new BlockforgeError(
              ErrorCode.Internal,
              `the honest node took the attacker's branch, yet shows the payment ${pay?.status ?? 'gone'} and the conflicting one ${conflict?.status ?? 'gone'}`,
            );
          }
          outcome = 'reversed';
          heights = { honest: (await status(honest)).height, attacker: a.height };
          say(`honest node reorgs: payment gone, conflicting payment confirmed in block ${conflict.height}`);
          break;
        }
        // It mined a block meanwhile and has as much work again: the race goes on.
        lastRefused = a.height;
        say('honest node keeps its chain (it mined meanwhile); the attacker mines on');
      }
      if (shipped && h.height - a.height >= s.giveUp) {
        const tx = await transaction(honest, payment);
        outcome = 'confirmed';
        say(
          `attacker gives up ${h.height - a.height} blocks behind: the payment stands with ${tx?.confirmations ?? 0} confirmations`,
        );
        break;
      }
      await miners.nextBlock(200);
    }
  } finally {
    await miners.stop();
  }
  return {
    kind: 'live',
    attacker: s.q,
    confirmations: s.z,
    hashrates: { honest: s.honestRate, attacker: s.attackerRate },
    outcome,
    payment,
    conflicting,
    honestHeight: heights.honest,
    attackerHeight: heights.attacker,
    forksUrl,
  };
}

/** A 12-hex prefix of an id, for event lines. */
function short(id: string): string {
  return `${id.slice(0, 12)}...`;
}

/** Each node mines block after block (`GET /mine` in a loop) until stopped. */
class Miners {
  private readonly controller = new AbortController();
  private readonly loops: Promise<void>[];
  private failure: Error | null = null;
  private waiters: (() => void)[] = [];

  constructor(nodes: readonly NodeProcess[], onBlock: (node: NodeProcess, height: number) => void) {
    this.loops = nodes.map((node) => this.loop(node, onBlock));
  }

  /** Throws if a node stopped mining (its process died, say). */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** Resolves at the next block from either node, or after `ms`. */
  nextBlock(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Stops asking for blocks (a search already running on a node ends with that node). */
  async stop(): Promise<void> {
    this.controller.abort();
    await Promise.all(this.loops);
  }

  private async loop(node: NodeProcess, onBlock: (node: NodeProcess, height: number) => void): Promise<void> {
    const { signal } = this.controller;
    while (!signal.aborted) {
      try {
        // No time limit: a block at a small share may take minutes (the run's timeout ends it).
        const block = await request(node, 'GET', '/mine', undefined, signal, null);
        if (!signal.aborted) onBlock(node, block.height as number);
      } catch (err) {
        if (signal.aborted) return;
        this.failure = new BlockforgeError(
          ErrorCode.Internal,
          `the ${node.name} node stopped mining: ${(err as Error).message}${node.exitNote()}`,
          { cause: err },
        );
        return;
      } finally {
        for (const wake of this.waiters.splice(0)) wake();
      }
    }
  }
}

/** A node's tip as its peers see it (`GET /peer/status`). */
async function status(node: NodeProcess): Promise<{ height: number; work: bigint }> {
  const answer = await request(node, 'GET', '/peer/status');
  return { height: answer.height as number, work: BigInt(answer.work as string) };
}

/** `GET /transactions/:id`, or null when the node knows no such transaction. */
async function transaction(node: NodeProcess, id: string): Promise<Record<string, unknown> | null> {
  try {
    return await request(node, 'GET', `/transactions/${id}`);
  } catch (err) {
    if (err instanceof NodeRequestError && err.status === 404) return null;
    throw err;
  }
}

/** An answer of a node that is not 2xx. */
class NodeRequestError extends BlockforgeError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(ErrorCode.Internal, message);
  }
}

/**
 * One request to a node's API; the JSON answer, or a {@link NodeRequestError}. Plain `node:http`, one
 * connection per request: a request given up (the signal) closes its socket at once, so the node is
 * not left holding it open while it shuts down (fetch keeps an aborted socket for seconds).
 */
function request(
  node: NodeProcess,
  method: 'GET' | 'POST',
  path: string,
  body?: string,
  signal?: AbortSignal,
  timeoutMs: number | null = 30_000,
  // biome-ignore lint/suspicious/noExplicitAny: the node's answers are read field by field
): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${node.url}${path}`, {
      method,
      agent: false,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(signal ? { signal } : {}),
    });
    const timer =
      timeoutMs === null
        ? null
        : setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    const fail = (err: Error): void => {
      if (timer) clearTimeout(timer);
      reject(err);
    };
    req.on('error', fail);
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', fail);
      response.on('end', () => {
        if (timer) clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 299) {
          reject(
            new NodeRequestError(
              status,
              `${method} ${path} on the ${node.name} node: ${status} ${text.trim().slice(0, 300)}`,
            ),
          );
          return;
        }
        try {
          resolve(JSON.parse(text) as Record<string, unknown>);
        } catch (err) {
          reject(err);
        }
      });
    });
    req.end(body);
  });
}

/** A `blockforge node` process of the run. */
interface NodeProcess {
  readonly name: string;
  readonly url: string;
  /** SIGTERM, SIGKILL after {@link STOP_GRACE_MS}; resolves once the process is gone. */
  stop(): Promise<void>;
  /** SIGKILL at once, without waiting (for an exiting process). */
  kill(): void;
  /** `` or `; the node exited with ...: <its last output>` once it has exited. */
  exitNote(): string;
}

/**
 * Starts a node and resolves once it prints its ready line; the process is added to `into` at once,
 * so it is stopped with the others even if it never gets ready.
 */
function startNodeProcess(
  cliPath: string,
  name: string,
  port: number,
  args: readonly string[],
  into: NodeProcess[],
): Promise<NodeProcess> {
  const proc: ChildProcess = spawn(process.execPath, [cliPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const alive = (): boolean => proc.exitCode === null && proc.signalCode === null;
  const node: NodeProcess = {
    name,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (alive()) {
        proc.kill('SIGTERM');
        const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
    },
    kill() {
      if (alive()) proc.kill('SIGKILL');
    },
    exitNote() {
      return alive() ? '' : `; the node exited (${proc.exitCode ?? proc.signalCode}): ${output.trim().slice(-500)}`;
    },
  };
  into.push(node);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new BlockforgeError(ErrorCode.Internal, `the ${name} node did not start: ${output.trim()}`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Buffer): void => {
      // Keep the tail only: it is for error messages, and a node runs for as long as the learner likes.
      output = (output + chunk.toString()).slice(-8_192);
      if (/blockforge node ready at/.test(output)) {
        clearTimeout(timer);
        resolve(node);
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(new BlockforgeError(ErrorCode.Internal, `cannot start the ${name} node: ${err.message}`));
    });
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new BlockforgeError(
          ErrorCode.Internal,
          `the ${name} node exited (${code ?? signal}) before it was ready: ${output.trim().slice(-1_000)}`,
        ),
      );
    });
  });
}

/** Ports free on 127.0.0.1 right now, all different. */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    // All held open together, so the system hands out different ones.
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.once('error', reject);
            server.listen(0, '127.0.0.1', () => {
              const address = server.address();
              resolve(typeof address === 'object' && address ? address.port : 0);
            });
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }
}

/** Where the run's folder goes by default: in RAM where the system offers it (no fsync cost per block). */
function scratchRoot(): string {
  if (process.platform === 'linux') {
    try {
      rmSync(mkdtempSync('/dev/shm/blockforge-probe-'), { recursive: true });
      return '/dev/shm';
    } catch {
      // No writable /dev/shm: the OS's temporary folder.
    }
  }
  return tmpdir();
}
