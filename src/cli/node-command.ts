/** `blockforge node`: runs a node until SIGINT/SIGTERM. */

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { buildServer } from '../api/server.js';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { newSecretKey } from '../core/ledger/keys.js';
import { createKeystore, keystoreJson, parseKeystore } from '../core/ledger/keystore.js';
import { isLedgerProfile, type LedgerProfile } from '../core/ledger/ledger-profile.js';
import type { KernelName } from '../core/pow-kernel.js';
import { createProfile } from '../core/profiles.js';
import { type Discovery, startDiscovery } from '../node/discovery.js';
import { verifySignatureFast } from '../node/ed25519-verify.js';
import { closeNode, type NodeServices, openNode } from '../node/open-node.js';
import { hostScope } from '../node/peer-address.js';
import { readGenesisFile } from './genesis-command.js';
import { CliError } from './http-client.js';
import { createLogger, type LogFormat } from './log-format.js';
import { isAdminToken } from './options.js';

/** Parsed options of `blockforge node`. */
export interface NodeCommandOptions {
  port: number;
  host: string;
  dataDir?: string;
  profile: string;
  difficulty?: number;
  /** Ledger: the genesis file (the built-in devnet when omitted). */
  genesis?: string;
  /** Ledger: who the block rewards pay (a wallet of the node's own when omitted). */
  minerAddress?: string;
  peer?: string[];
  threads?: number;
  kernel?: KernelName;
  /** Most hashes per second the miner computes (none: as fast as the threads go). */
  hashrate?: number;
  /** The owner's token for the control routes (none: every route open, as in the tutorial). */
  adminToken?: string;
  /**
   * `--admin-token-file [file]`: the token kept in a file (`true`: `<data dir>/admin-token`), made
   * at first start and printed that once.
   */
  adminTokenFile?: string | true;
  /** LAN discovery (mDNS); undefined: the profile's default ({@link DISCOVERY_BY_DEFAULT}). */
  discover?: boolean;
  /** Peer exchange (`--no-peer-exchange`: false). */
  peerExchange: boolean;
  peerTimeout?: number;
  syncInterval: number;
  autoSync: boolean;
  advertise?: string;
  banSeconds: number;
  logLevel: string;
  /** `auto` (readable on a terminal, JSON lines otherwise), `json` or `pretty`. */
  logFormat: LogFormat;
}

/**
 * Profiles whose nodes look for each other on the LAN unless told not to (`--no-discover`). The
 * tutorial profiles keep the tutorial's behaviour (peers only when registered) unless `--discover`.
 */
export const DISCOVERY_BY_DEFAULT: ReadonlySet<string> = new Set(['ledger']);

/** Default data folder: one per port, so two nodes can run side by side from one checkout. */
export function defaultDataDir(port: number): string {
  return resolvePath('.blockforge', String(port));
}

/** Starts a node; resolves once it is listening. Exits the process on a startup error. */
export async function runNode(options: NodeCommandOptions): Promise<void> {
  const logger = createLogger(options.logLevel, options.logFormat);
  const dataDir = options.dataDir ? resolvePath(options.dataDir) : defaultDataDir(options.port);
  let services: NodeServices;
  let beneficiary: string | undefined;
  let minerNote = '';
  let adminToken = options.adminToken;
  let tokenNote = '';
  try {
    if (options.adminTokenFile !== undefined) {
      if (adminToken !== undefined) {
        throw new BlockforgeError(ErrorCode.InvalidOption, 'give --admin-token or --admin-token-file, not both');
      }
      const file = options.adminTokenFile === true ? join(dataDir, 'admin-token') : resolvePath(options.adminTokenFile);
      const kept = adminTokenFromFile(file);
      adminToken = kept.token;
      // Printed as soon as it is made: a start that fails later must not leave a token never shown.
      if (kept.made) console.log(`admin token (made now, kept in ${file}; printed this once): ${kept.token}`);
      else tokenNote = `admin token: the one in ${file}`;
      if (kept.warning) console.error(`blockforge: warning: ${kept.warning}`);
    }
    if (options.profile !== 'ledger' && (options.genesis !== undefined || options.minerAddress !== undefined)) {
      throw new BlockforgeError(ErrorCode.InvalidOption, '--genesis and --miner-address are for --profile ledger');
    }
    const profile = createProfile(options.profile, {
      ...(options.difficulty === undefined ? {} : { difficulty: options.difficulty }),
      ...(options.genesis === undefined ? {} : { genesis: readGenesisFile(options.genesis) }),
      verifySignature: verifySignatureFast,
    });
    if (isLedgerProfile(profile)) {
      const miner = await minerAddress(profile, dataDir, options.minerAddress);
      beneficiary = miner.address;
      minerNote = miner.note;
    }
    services = openNode({
      dataDir,
      profile,
      ...(beneficiary === undefined ? {} : { beneficiary }),
      port: options.port,
      logger,
      miner: {
        ...(options.threads === undefined ? {} : { threads: options.threads }),
        ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
        ...(options.hashrate === undefined ? {} : { hashrate: options.hashrate }),
      },
      ...(options.peerTimeout === undefined ? {} : { peerLimits: { totalTimeoutMs: options.peerTimeout } }),
      network: {
        syncIntervalMs: options.syncInterval * 1000,
        banSeconds: options.banSeconds,
        peerExchange: options.peerExchange,
        ...(options.advertise === undefined ? {} : { advertise: options.advertise }),
      },
    });
  } catch (err) {
    fail(err);
  }
  // The HTTP server logs only problems: its "Server listening at ..." lines (one per interface)
  // would bury the single startup line printed below.
  const httpLevel = logger.levels.values[options.logLevel] ?? 0;
  const warnLevel = logger.levels.values.warn ?? 40;
  const { node, network } = services;
  const app = await buildServer(services, {
    logger: logger.child({ component: 'http' }, { level: httpLevel > warnLevel ? options.logLevel : 'warn' }),
    ...(adminToken === undefined ? {} : { adminToken, shutdown: () => stop('POST /shutdown') }),
  });
  // Handlers first: a signal that arrives as soon as the ready line is out (a supervisor, a test)
  // must find them installed, or Node's default action kills the node without a clean shutdown.
  let stopping = false;
  let discovery: Discovery | null = null;
  const stop = (signal: string): void => {
    if (stopping) {
      console.error(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void (async () => {
      await discovery?.stop();
      await app.close();
      await closeNode(services);
      process.exit(0);
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  try {
    if (options.peer && options.peer.length > 0) network.registerPeers(options.peer);
    await app.listen({ port: options.port, host: options.host });
    if (options.autoSync) network.start();
  } catch (err) {
    await closeNode(services);
    fail(err);
  }
  // A signal during the start has begun the shutdown: nothing more is started.
  const lan = stopping ? { discovery: null, note: '' } : startLanDiscovery(options, services, logger);
  discovery = lan.discovery;
  // Before the ready line: whoever waits for that line has the token by then.
  if (tokenNote) console.log(tokenNote);
  const shown = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const hostPart = shown.includes(':') ? `[${shown}]` : shown;
  console.log(
    `blockforge node ready at http://${hostPart}:${options.port} (profile ${node.profile.name}${Object.entries(
      node.profile.params,
    )
      .map(([k, v]) => `, ${k} ${v}`)
      .join('')}, node id ${node.nodeId}, data ${dataDir})${minerNote}${
      options.hashrate === undefined ? '' : `; mining capped at ${options.hashrate} hashes/s`
    }${lan.note}${adminToken === undefined ? '' : '; control routes need the admin token'}`,
  );
}

/**
 * Starts LAN discovery when it is on (the flag, else the profile's default) and can work: the
 * node syncs on its own (not `--no-auto-sync`) and listens beyond loopback (an address announced
 * on the LAN must reach it). Returns it (or null) and a note for the startup line.
 */
function startLanDiscovery(
  options: NodeCommandOptions,
  { node, network }: NodeServices,
  logger: ReturnType<typeof createLogger>,
): { discovery: Discovery | null; note: string } {
  const wanted = options.discover ?? DISCOVERY_BY_DEFAULT.has(node.profile.name);
  if (!wanted) return { discovery: null, note: '' };
  if (!options.autoSync) return { discovery: null, note: '; LAN discovery off (--no-auto-sync)' };
  if (hostScope(options.host) === 'loopback') {
    return { discovery: null, note: `; LAN discovery off (listening on ${options.host} only: use --host 0.0.0.0)` };
  }
  const discovery = startDiscovery(
    {
      nodeId: node.nodeId,
      port: options.port,
      profile: node.profile.name,
      params: node.profile.params,
      // Listening on one address: announce that one; on every interface: each interface's.
      ...(isIP(options.host) === 4 && options.host !== '0.0.0.0' ? { addresses: [options.host] } : {}),
    },
    (address, nodeId) => network.discovered(address, nodeId),
    logger.child({ component: 'discovery' }),
  );
  return { discovery, note: '; finding peers on the LAN (mDNS)' };
}

/**
 * The admin token kept in `file`: read when it exists (one line, the token's rules), else made
 * (24 random bytes, base64url: 32 characters) and written readable by the owner only. A file others
 * may read is used, with a warning (a shared folder may need it so).
 */
function adminTokenFromFile(file: string): { token: string; made: boolean; warning?: string } {
  const refuse = (why: string): never => {
    throw new BlockforgeError(ErrorCode.InvalidOption, `--admin-token-file ${file}: ${why}`);
  };
  const read = (): { token: string; made: boolean; warning?: string } => {
    const info = statSync(file);
    if (!info.isFile()) refuse('not a file');
    const token = readFileSync(file, 'utf8').trim();
    if (!isAdminToken(token)) {
      refuse('it does not hold an admin token (16 to 256 visible ASCII characters on one line): fix or delete it');
    }
    return {
      token,
      made: false,
      ...(info.mode & 0o077 ? { warning: `${file} can be read by other users of this machine (chmod 600 it)` } : {}),
    };
  };
  try {
    if (existsSync(file)) return read();
    const token = randomBytes(24).toString('base64url');
    mkdirSync(dirname(file), { recursive: true });
    try {
      writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Made meanwhile by another start on the same file: that one's token is the token.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && existsSync(file)) return read();
      throw err;
    }
    return { token, made: true };
  } catch (err) {
    if (err instanceof BlockforgeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    return refuse(
      code === 'EEXIST'
        ? 'a link to nowhere is in the way (remove it)'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'not a file'
            : (err as Error).message,
    );
  }
}

/**
 * Who a ledger node's rewards pay: `--miner-address`, checked against the network's prefix, or a
 * wallet of the node's own in its data folder (made at first start, unencrypted so the node can
 * start unattended; said in the startup line).
 */
async function minerAddress(
  profile: LedgerProfile,
  dataDir: string,
  given: string | undefined,
): Promise<{ address: string; note: string }> {
  if (given !== undefined) {
    try {
      profile.accounts.parseAddress(given);
    } catch (err) {
      throw new BlockforgeError(ErrorCode.InvalidOption, `--miner-address: ${(err as Error).message}`);
    }
    return { address: given, note: `; mining to ${given}` };
  }
  const file = join(dataDir, 'miner-wallet.json');
  if (existsSync(file)) {
    const keystore = parseKeystore(JSON.parse(readFileSync(file, 'utf8')));
    if (keystore.network !== profile.genesis.hrp) {
      throw new BlockforgeError(
        ErrorCode.DataDirMismatch,
        `${file} holds a key for addresses "${keystore.network}1...", this network's are "${profile.genesis.hrp}1..."`,
      );
    }
    return { address: keystore.address, note: `; mining to ${keystore.address} (the node's own wallet, ${file})` };
  }
  mkdirSync(dataDir, { recursive: true });
  const keystore = await createKeystore(newSecretKey(), profile.genesis.hrp, null);
  writeFileSync(file, keystoreJson(keystore), { mode: 0o600, flag: 'wx' });
  return {
    address: keystore.address,
    note: `; mining to ${keystore.address}, a new wallet of the node's own (${file}, unencrypted: keep the folder private, or start with --miner-address)`,
  };
}

function fail(err: unknown): never {
  if (err instanceof BlockforgeError || err instanceof CliError) {
    console.error(`blockforge: ${err.message} [${err.code}]`);
  } else if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(`blockforge: ${(err as Error).message}: the port is in use (pick another with --port)`);
  } else {
    console.error(`blockforge: ${(err as Error).message ?? String(err)}`);
  }
  process.exit(1);
}
