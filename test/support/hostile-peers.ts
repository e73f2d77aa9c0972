/**
 * Peers that misbehave on `GET /chain`, for resolve tests: each is a node:http or node:net server
 * on 127.0.0.1 (a port the OS picks), counts what it does, and stops its own traffic: every timer
 * is bounded, every socket is destroyed by {@link HostilePeer.close}.
 *
 * Forged chains are built from a real node's `/chain` text with the project's lossless JSON, so
 * the only thing wrong with them is the one alteration made on purpose.
 */

import { createServer as createHttpServer, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { BranchValidator, validateBranch } from '../../src/core/chain.js';
import { BlockforgeError, type ErrorCodeValue } from '../../src/core/errors.js';
import {
  isJsonObject,
  JsonNumber,
  type JsonObject,
  type JsonValue,
  parseJson,
  writeJson,
} from '../../src/core/json.js';
import { checkProof } from '../../src/core/pow.js';
import type { RuleProfile } from '../../src/core/profile.js';

/** A misbehaving peer. */
export interface HostilePeer {
  /** What it does wrong (used in test messages). */
  readonly name: string;
  /** `127.0.0.1:PORT`, as a node stores it. */
  readonly address: string;
  /** `http://127.0.0.1:PORT`, as it is registered. */
  readonly url: string;
  /** TCP connections accepted so far. */
  connections(): number;
  /** Connections still open. */
  openSockets(): number;
  /** Body bytes written so far (all connections). */
  bytesSent(): number;
  /** Stops listening, stops every timer and destroys every socket. */
  close(): Promise<void>;
}

/** How long any endless behaviour may last before the server stops it by itself. */
const MAX_BEHAVIOUR_MS = 60_000;

interface Counters {
  connections: number;
  bytes: number;
  sockets: Set<Socket>;
  timers: Set<NodeJS.Timeout>;
}

function newCounters(): Counters {
  return { connections: 0, bytes: 0, sockets: new Set(), timers: new Set() };
}

/** Listens on 127.0.0.1:0 and wraps `server` as a {@link HostilePeer}. */
async function listen(name: string, server: Server, counters: Counters): Promise<HostilePeer> {
  server.on('connection', (socket: Socket) => {
    counters.connections++;
    counters.sockets.add(socket);
    socket.on('error', () => {}); // a client that goes away is expected
    socket.once('close', () => counters.sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  let closed: Promise<void> | null = null;
  return {
    name,
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    connections: () => counters.connections,
    openSockets: () => counters.sockets.size,
    bytesSent: () => counters.bytes,
    close() {
      closed ??= new Promise<void>((resolve) => {
        for (const timer of counters.timers) clearTimeout(timer);
        counters.timers.clear();
        for (const socket of counters.sockets) socket.destroy();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

/** A timer the peer owns: cleared by close(). */
function later(counters: Counters, ms: number, fn: () => void): void {
  const timer = setTimeout(() => {
    counters.timers.delete(timer);
    fn();
  }, ms);
  counters.timers.add(timer);
}

/** An HTTP peer answering every request with `handler`. */
function httpPeer(
  name: string,
  handler: (res: ServerResponse, counters: Counters, req: { socket: Socket }) => void,
): Promise<HostilePeer> {
  const counters = newCounters();
  const server = createHttpServer((req, res) => {
    req.resume();
    res.on('error', () => {});
    handler(res, counters, req);
  });
  server.keepAliveTimeout = 1;
  return listen(name, server, counters);
}

/** Writes `body` as a complete 200 (or `status`) answer and counts it. */
function answer(res: ServerResponse, counters: Counters, body: string | Buffer, status = 200): void {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
  counters.bytes += bytes.length;
  res.end(bytes);
}

/** (a) Accepts the TCP connection and never answers. */
export function hangingPeer(name = 'hang'): Promise<HostilePeer> {
  const counters = newCounters();
  const server = createNetServer((socket) => {
    socket.resume(); // read and ignore the request
  });
  return listen(name, server, counters);
}

/** (b) Sends headers, then a valid-looking JSON body one byte every `intervalMs`, for up to 60 s. */
export function tricklingPeer(intervalMs = 200, name = 'trickle'): Promise<HostilePeer> {
  const text = `{"chain": [${'{"index": 1, "previous_hash": 1, "proof": 100, "timestamp": 1.5, "transactions": []}, '.repeat(1000)}`;
  return httpPeer(name, (res, counters) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    const started = Date.now();
    let k = 0;
    const tick = (): void => {
      if (res.destroyed || res.writableEnded) return;
      if (Date.now() - started > MAX_BEHAVIOUR_MS) {
        res.destroy();
        return;
      }
      res.write(text.charAt(k % text.length));
      counters.bytes++;
      k++;
      later(counters, intervalMs, tick);
    };
    tick();
  });
}

/** (c) 200 with a body that is not JSON. */
export function garbagePeer(): Promise<HostilePeer> {
  return httpPeer('garbage', (res, counters) => {
    answer(res, counters, '<html>this is not {"chain": [JSON at all</html>\x00\x01 garbage');
  });
}

/**
 * (d) 200 with an endless chunked body of valid-looking JSON: writes megabytes as fast as the
 * client reads them until the client goes away, or `maxBytes` (200 MB, per connection) or 60 s have passed.
 */
export function endlessPeer(maxBytes = 200 * 1024 * 1024): Promise<HostilePeer> {
  const chunk = Buffer.from(
    '{"index": 1, "previous_hash": 1, "proof": 100, "timestamp": 1.5, "transactions": []}, '.repeat(12_000),
  );
  return httpPeer('endless', (res, counters) => {
    res.writeHead(200, { 'content-type': 'application/json' }); // no length: chunked
    counters.bytes += 11;
    res.write('{"chain": [');
    const started = Date.now();
    let sent = 11; // this connection's bytes: the bound applies per connection
    const pump = (): void => {
      while (!res.destroyed && !res.writableEnded) {
        if (sent >= maxBytes || Date.now() - started > MAX_BEHAVIOUR_MS) {
          res.destroy();
          return;
        }
        sent += chunk.length;
        counters.bytes += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** (e) Declares `Content-Length: 10000000000`, sends a few bytes, then waits (up to 60 s). */
export function hugeLengthPeer(): Promise<HostilePeer> {
  const counters = newCounters();
  const server = createNetServer((socket) => {
    socket.once('data', () => {
      const body = '{"chain": [';
      socket.write(
        `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\nConnection: close\r\n\r\n${body}`,
      );
      counters.bytes += body.length;
      later(counters, MAX_BEHAVIOUR_MS, () => socket.destroy());
    });
  });
  return listen('huge-content-length', server, counters);
}

/** A peer that answers 200 with `body` (a `/chain` response prepared by the test). */
export function staticPeer(name: string, body: string | Buffer): Promise<HostilePeer> {
  return httpPeer(name, (res, counters) => answer(res, counters, body));
}

/** (f) A real 1-block chain (the genesis of `chainText`) that claims `"length": 999999`. */
export function lyingLengthPeer(chainText: string): Promise<HostilePeer> {
  const value = parseJson(chainText) as JsonObject;
  const genesis = (value.chain as JsonValue[])[0] as JsonValue;
  return staticPeer('liar', `{"chain": [${writeJson(genesis)}], "length": 999999}`);
}

/** (h) HTTP 500. */
export function errorPeer(): Promise<HostilePeer> {
  return httpPeer('http-500', (res, counters) => {
    answer(res, counters, '{"message": "Internal Server Error"}', 500);
  });
}

/** (i) Reads the request, then resets the connection (TCP RST). */
export function resettingPeer(): Promise<HostilePeer> {
  const counters = newCounters();
  const server = createNetServer((socket) => {
    socket.once('data', () => socket.resetAndDestroy());
  });
  return listen('reset', server, counters);
}

/** (j) 200 with bytes that are not UTF-8 inside an otherwise well-formed `/chain` answer. */
export function invalidUtf8Peer(): Promise<HostilePeer> {
  const body = Buffer.concat([
    Buffer.from('{"chain": [{"index": 1, "previous_hash": 1, "proof": 100, "timestamp": 1.5, "transactions": ["'),
    Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
    Buffer.from('"]}], "length": 1}'),
  ]);
  return staticPeer('invalid-utf8', body);
}

/** (k) 1 MB of nesting: `[[[[...]]]]`. */
export function deepNestingPeer(bytes = 1024 * 1024): Promise<HostilePeer> {
  const half = Math.floor(bytes / 2);
  return staticPeer('deep-nesting', `${'['.repeat(half)}${']'.repeat(half)}`);
}

/** (l) A valid JSON object of the wrong shape. */
export function wrongShapePeer(): Promise<HostilePeer> {
  return staticPeer('wrong-shape', '{"blocks": [{"index": 1}], "height": 1, "chain": {"length": 1}}');
}

/** How a forged chain is broken. */
export type Forgery = 'proof-of-work' | 'previous-hash' | 'tampered-amount';

/** The error code blockforge must report for each forgery. */
export const FORGERY_CODE: Record<Forgery, ErrorCodeValue> = {
  'proof-of-work': 'PROOF_OF_WORK',
  'previous-hash': 'PREVIOUS_HASH_MISMATCH',
  'tampered-amount': 'PREVIOUS_HASH_MISMATCH',
};

/**
 * (g) Alters a valid `/chain` text (at least 3 blocks, block 2 holding a non-reward transaction)
 * into a chain that breaks one rule, keeping everything else byte for byte:
 * - `proof-of-work`: the last block's proof replaced by one that does not meet the difficulty;
 * - `previous-hash`: block 3's previous_hash replaced by another well-formed hash;
 * - `tampered-amount`: block 2's first transaction's amount raised, so block 3 no longer links.
 * `profile` is the rules the chain was mined under (used to pick an invalid proof).
 */
export function forgeChain(chainText: string, forgery: Forgery, profile: RuleProfile): string {
  const value = parseJson(chainText);
  if (!isJsonObject(value) || !Array.isArray(value.chain) || value.chain.length < 3) {
    throw new Error('forgeChain needs a /chain response with at least 3 blocks');
  }
  const blocks = value.chain as JsonObject[];
  if (forgery === 'proof-of-work') {
    const last = blocks[blocks.length - 1] as JsonObject;
    // The puzzle the last block must solve, as the profile poses it on the chain before it.
    const before = new BranchValidator(profile, null).add(blocks.slice(0, -1)).view;
    const challenge = profile.blockTemplate(before, 'f'.repeat(32), [], 0).puzzle;
    let proof = Number((last.proof as JsonNumber).text) + 1;
    while (checkProof(challenge, String(proof))) proof++;
    last.proof = JsonNumber.int(proof);
  } else if (forgery === 'previous-hash') {
    const third = blocks[2] as JsonObject;
    const old = third.previous_hash as string;
    third.previous_hash = old.startsWith('f') ? `e${old.slice(1)}` : `f${old.slice(1)}`;
  } else {
    const tx = ((blocks[1] as JsonObject).transactions as JsonObject[])[0];
    if (!tx || tx.sender === '0') throw new Error('forgeChain tampered-amount needs a user transaction in block 2');
    tx.amount = JsonNumber.int(Math.round((tx.amount as JsonNumber).toNumber() * 1000) + 1);
  }
  const forged = writeJson(value);
  // The forgery must be exactly the intended defect, or the test proves nothing.
  try {
    validateBranch(profile, null, blocks);
  } catch (err) {
    if (err instanceof BlockforgeError && err.code === FORGERY_CODE[forgery]) return forged;
    throw new Error(`forgeChain(${forgery}) broke the chain the wrong way: ${(err as Error).message}`);
  }
  throw new Error(`forgeChain(${forgery}) produced a valid chain`);
}

/** (g) Serves a forged chain (see {@link forgeChain}). */
export function forgedChainPeer(chainText: string, forgery: Forgery, profile: RuleProfile): Promise<HostilePeer> {
  return staticPeer(`forged-${forgery}`, forgeChain(chainText, forgery, profile));
}
