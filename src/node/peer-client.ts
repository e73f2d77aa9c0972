/**
 * Fetching from peers without trusting them: a connect timeout, a total deadline that also covers
 * a peer trickling bytes, and a byte cap enforced while reading (a declared `Content-Length` over
 * the cap is refused before reading). Every failure is a coded {@link PeerError} that says whether
 * the peer misbehaved (sent something wrong) or only failed (unreachable, slow).
 */

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ErrorCode } from '../core/errors.js';
import type { PeerAddress } from './peer-address.js';
import { PeerError } from './peer-error.js';

/** Limits applied to one request to a peer. */
export interface PeerRequestLimits {
  /** Time to establish the TCP (and TLS) connection, in ms. */
  readonly connectTimeoutMs: number;
  /** Time for the whole exchange, headers and body, in ms. */
  readonly totalTimeoutMs: number;
  /** Largest response body accepted, in bytes. */
  readonly maxBytes: number;
}

/** A peer's answer. */
export interface PeerResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** Header carrying a blockforge node's id, so a node can recognise itself among its peers. */
export const NODE_ID_HEADER = 'x-blockforge-node-id';

/** One request to a peer: a path on it, and a body for POST. */
export interface PeerRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

/**
 * How the peer network reaches peers: HTTP here ({@link httpTransport}); an in-memory network in
 * tests. Resolves with a 2xx answer; rejects with a {@link PeerError} for anything else.
 */
export interface PeerTransport {
  request(peer: PeerAddress, request: PeerRequest, limits: PeerRequestLimits): Promise<PeerResponse>;
  /**
   * A transport for the many requests of one sync (its block pages), which may reuse at most
   * `connections` connections to a peer between them (keeping `idle` of them open between
   * requests, `connections` unless given), all closed by {@link PeerSession.close}. Optional:
   * without it, every request has a connection of its own.
   */
  session?(connections: number, idle?: number): PeerSession;
}

/** Requests sharing a few connections, until closed. */
export interface PeerSession extends PeerTransport {
  /** Closes every connection of the session (idle or not). Idempotent. */
  close(): void;
}

/** The real transport: HTTP(S) to the peer's base URL. */
export const httpTransport: PeerTransport = {
  request(peer, request, limits) {
    return peerRequest(request.method, `${peer.baseUrl}${request.path}`, limits, {
      ...(request.headers ? { headers: request.headers } : {}),
      ...(request.body === undefined ? {} : { body: request.body }),
    });
  },
  session(connections, idle = connections) {
    // Kept alive for one sync (or for the pushes, while the network runs), then destroyed: a peer
    // cannot hold more than `connections` sockets of ours, nor one past the session, nor one idle
    // for 30 s. Measured: a connection per page cost a fresh 20,000-block sync (40 pages) ~25 ms of
    // connects on the syncing node.
    const options = { keepAlive: true, maxSockets: connections, maxFreeSockets: idle, timeout: 30_000 };
    const agents = { http: new HttpAgent(options), https: new HttpsAgent(options) };
    let closed = false;
    return {
      request(peer, request, limits) {
        if (closed) return httpTransport.request(peer, request, limits);
        const url = `${peer.baseUrl}${request.path}`;
        return peerRequest(request.method, url, limits, {
          ...(request.headers ? { headers: request.headers } : {}),
          ...(request.body === undefined ? {} : { body: request.body }),
          agent: url.startsWith('https:') ? agents.https : agents.http,
        });
      },
      close() {
        closed = true;
        agents.http.destroy();
        agents.https.destroy();
      },
    };
  },
};

/**
 * GETs `url` within `limits`. Resolves with the status and the UTF-8 body (only 2xx answers are
 * read); rejects with a BlockforgeError (PEER_UNREACHABLE, PEER_TIMEOUT, PEER_TOO_LARGE,
 * PEER_HTTP_STATUS, PEER_BAD_RESPONSE).
 */
export function peerGet(
  url: string,
  limits: PeerRequestLimits,
  headers: Record<string, string> = {},
): Promise<PeerResponse> {
  return peerRequest('GET', url, limits, { headers });
}

/** POSTs a JSON body to a peer within `limits`; answers and failures as {@link peerGet}. */
export function peerPost(
  url: string,
  body: string,
  limits: PeerRequestLimits,
  headers: Record<string, string> = {},
): Promise<PeerResponse> {
  return peerRequest('POST', url, limits, { headers, body });
}

/**
 * A peer's non-2xx answer. Not misbehaviour: a 404/405 is a node without the route (a tutorial
 * node), a 4xx is a refusal (it may be on another fork, or run other rules), a 5xx is its fault.
 */
export function peerHttpError(status: number): PeerError {
  return new PeerError(ErrorCode.PeerHttpStatus, `answered HTTP ${status}`, { misbehaved: false, httpStatus: status });
}

/** One request to a peer (see {@link peerGet}). */
export function peerRequest(
  method: 'GET' | 'POST',
  url: string,
  limits: PeerRequestLimits,
  options: { headers?: Record<string, string>; body?: string; agent?: HttpAgent },
): Promise<PeerResponse> {
  const headers = options.headers ?? {};
  return new Promise<PeerResponse>((resolve, reject) => {
    let settled = false;
    const finish = (err: PeerError | null, value?: PeerResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(totalTimer);
      clearTimeout(connectTimer);
      if (err) {
        req.destroy();
        reject(err);
      } else {
        resolve(value as PeerResponse);
      }
    };
    const failed = (code: typeof ErrorCode.PeerUnreachable | typeof ErrorCode.PeerTimeout, message: string) =>
      new PeerError(code, message, { misbehaved: false });
    const misbehaved = (code: typeof ErrorCode.PeerTooLarge | typeof ErrorCode.PeerBadResponse, message: string) =>
      new PeerError(code, message, { misbehaved: true });

    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(failed(ErrorCode.PeerUnreachable, `invalid peer URL ${url}`));
      return;
    }
    const requester = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
    const payload = options.body === undefined ? undefined : Buffer.from(options.body, 'utf8');
    const req = requester(parsed, {
      method,
      headers: {
        accept: 'application/json',
        'accept-encoding': 'identity',
        ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        ...headers,
      },
      // One request per connection (a hostile peer cannot hold a pooled socket of ours), unless
      // the request belongs to a session, whose connections close with it.
      agent: options.agent ?? false,
    });
    const totalTimer = setTimeout(() => {
      finish(failed(ErrorCode.PeerTimeout, `no complete answer within ${limits.totalTimeoutMs} ms`));
    }, limits.totalTimeoutMs);
    // Counted from when a connection is being made: a request of a session may first wait for one
    // of its pooled sockets, which is not a failure to connect (the total limit bounds that wait).
    let connectTimer: NodeJS.Timeout | undefined;
    req.on('socket', (socket) => {
      if (!socket.connecting || settled) return;
      connectTimer = setTimeout(() => {
        finish(failed(ErrorCode.PeerTimeout, `could not connect within ${limits.connectTimeoutMs} ms`));
      }, limits.connectTimeoutMs);
      socket.once('connect', () => clearTimeout(connectTimer));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      finish(failed(ErrorCode.PeerUnreachable, `cannot reach the peer (${err.code ?? err.message})`));
    });
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        res.resume();
        finish(peerHttpError(status));
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        finish(
          misbehaved(ErrorCode.PeerTooLarge, `declared ${declared} bytes, over the ${limits.maxBytes}-byte limit`),
        );
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) {
          finish(misbehaved(ErrorCode.PeerTooLarge, `sent more than the ${limits.maxBytes}-byte limit`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (err) => finish(failed(ErrorCode.PeerUnreachable, `connection failed: ${err.message}`)));
      res.on('aborted', () => finish(failed(ErrorCode.PeerUnreachable, 'connection closed mid-answer')));
      res.on('end', () => {
        let body: string;
        try {
          body = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
        } catch {
          finish(misbehaved(ErrorCode.PeerBadResponse, 'answer is not valid UTF-8'));
          return;
        }
        finish(null, { status, headers: res.headers, body });
      });
    });
    req.end(payload);
  });
}
