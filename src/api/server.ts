/**
 * The HTTP API: the tutorial's five routes exactly (paths, status codes, field names, messages),
 * read-only extras, and the hardening the tutorial lacks. Bodies are parsed with the core's
 * lossless JSON parser whatever their Content-Type, and validated by the node's rule profile.
 */

import { timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { parseJson } from '../core/json.js';
import type { NodeServices } from '../node/open-node.js';
import { NODE_ID_HEADER } from '../node/peer-client.js';
import { clientErrorBody, errorBody, errorOf, handleError, sendError } from './errors.js';
import { registerExplorer, registerOpenApi } from './explorer.js';
import { registerLedgerRoutes } from './ledger-routes.js';
import { registerNetworkRoutes } from './network-routes.js';
import { registerPeerRoutes } from './peer-routes.js';
import { registerRoutes, registerShutdownRoute } from './routes.js';

/** Most connections open at once (browsers' event streams are capped at 100 of them). */
export const MAX_CONNECTIONS = 2_048;

/** Largest request body accepted (413 above). */
export const BODY_LIMIT = 1024 * 1024;

/** Default of {@link ServerOptions.requestTimeoutMs}. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** Options for {@link buildServer}. */
export interface ServerOptions {
  /** A pino logger for errors (request lines are not logged); silent when omitted. */
  readonly logger?: FastifyBaseLogger;
  /**
   * Slow-client guard: a request (headers and body) must arrive whole within this time, or the
   * client gets 408 REQUEST_TIMEOUT and the connection is closed. Default 30 s.
   */
  readonly requestTimeoutMs?: number;
  /**
   * The owner's token (`blockforge node --admin-token`): the control routes (config `admin`: mine,
   * register and remove peers, resolve) answer 401 without `Authorization: Bearer TOKEN`, on every
   * interface. Absent: every route is open, as in the tutorial.
   */
  readonly adminToken?: string;
  /** Stops the node: with an admin token, `POST /shutdown` calls it (no such route without a token). */
  readonly shutdown?: () => void;
}

/** Why an `Authorization` header does not carry the admin token, or null when it does. */
function adminProblem(
  header: string | undefined,
  token: Buffer,
): { code: typeof ErrorCode.AdminTokenRequired | typeof ErrorCode.AdminTokenInvalid; message: string } | null {
  const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!match) {
    return {
      code: ErrorCode.AdminTokenRequired,
      message:
        'this node is controlled by its owner: send Authorization: Bearer <the --admin-token it was started with>',
    };
  }
  const given = Buffer.from(match[1] as string, 'utf8');
  // Compared in constant time (a timing side channel would reveal the token byte by byte).
  if (given.length !== token.length || !timingSafeEqual(given, token)) {
    return { code: ErrorCode.AdminTokenInvalid, message: "the admin token is not this node's" };
  }
  return null;
}

/** Indent of pretty-printed answers: 2, as the tutorial's Flask `jsonify` indents (`JSONIFY_PRETTYPRINT_REGULAR`). */
const INDENT = 2;

const LF = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const SPACE = 0x20;
const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const BACKSLASH = 0x5c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const NEWLINE = Buffer.from('\n');

/** Bytes that end a number or literal: whitespace, structure, a string's quote. */
const ENDS_TOKEN = new Uint8Array(256);
for (const c of [LF, CR, TAB, SPACE, QUOTE, COMMA, COLON, OPEN_BRACKET, CLOSE_BRACKET, OPEN_BRACE, CLOSE_BRACE]) {
  ENDS_TOKEN[c] = 1;
}

/**
 * Re-indents JSON text in Python's `json.dumps(indent=2)` layout (one value a line, `": "` after a
 * key, `[]` and `{}` when empty) and ends it with a newline. Nothing is parsed: strings, numbers
 * and literals are copied byte for byte, so `3.0`, `1e+16` and `NaN` stay as written (a JSON.parse
 * round trip would turn `3.0` into `3`, the number a block's hash depends on).
 */
export function prettyJson(json: Buffer | string): Buffer {
  const src = typeof json === 'string' ? Buffer.from(json) : json;
  const n = src.length;
  let out = Buffer.allocUnsafe(Math.max(256, n * 2));
  let o = 0;
  let depth = 0;
  const room = (extra: number): void => {
    if (o + extra <= out.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(out.length * 2, o + extra));
    out.copy(bigger, 0, 0, o);
    out = bigger;
  };
  const newline = (): void => {
    const width = depth * INDENT;
    room(1 + width);
    out[o++] = LF;
    out.fill(SPACE, o, o + width);
    o += width;
  };
  let i = 0;
  while (i < n) {
    const c = src[i] as number;
    if (c === QUOTE) {
      let j = i + 1;
      while (j < n) {
        const d = src[j];
        if (d === BACKSLASH) j += 2;
        else if (d === QUOTE) {
          j++;
          break;
        } else j++;
      }
      j = Math.min(j, n);
      room(j - i);
      o += src.copy(out, o, i, j);
      i = j;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      const close = c === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      let j = i + 1;
      while (j < n && (src[j] === SPACE || src[j] === LF || src[j] === CR || src[j] === TAB)) j++;
      room(2);
      out[o++] = c;
      if (src[j] === close) {
        out[o++] = close;
        i = j + 1;
      } else {
        depth++;
        newline();
        i++;
      }
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth = Math.max(0, depth - 1);
      newline();
      room(1);
      out[o++] = c;
      i++;
    } else if (c === COMMA) {
      room(1);
      out[o++] = COMMA;
      newline();
      i++;
    } else if (c === COLON) {
      room(2);
      out[o++] = COLON;
      out[o++] = SPACE;
      i++;
    } else if (c === SPACE || c === LF || c === CR || c === TAB) {
      i++;
    } else {
      let j = i + 1;
      while (j < n && ENDS_TOKEN[src[j] as number] === 0) j++;
      room(j - i);
      o += src.copy(out, o, i, j);
      i = j;
    }
  }
  room(1);
  out[o++] = LF;
  return out.subarray(0, o);
}

/** `?pretty` (any value, or none) in a query string. */
const PRETTY_PARAM = /[?&]pretty(?:[=&#]|$)/;
/** Clients people type into a terminal: they get indented JSON without asking. */
const TERMINAL_AGENT = /^(?:curl|wget|httpie)\//i;

/** True when the answer to `request` is for a person: `?pretty`, or curl, Wget or HTTPie. */
export function wantsPretty(request: FastifyRequest): boolean {
  const url = request.url;
  const query = url.indexOf('?');
  if (query >= 0 && PRETTY_PARAM.test(url.slice(query))) return true;
  const agent = request.headers['user-agent'];
  return agent !== undefined && TERMINAL_AGENT.test(agent);
}

/**
 * A JSON answer as sent: indented for a person, else as written; either way ending with a newline
 * (as Flask's `jsonify` ends its answers). The compact path appends one byte and parses nothing.
 */
export function finishJson(payload: string | Buffer, pretty: boolean): string | Buffer {
  if (pretty) return prettyJson(payload);
  if (typeof payload === 'string') return payload.endsWith('\n') ? payload : `${payload}\n`;
  return payload[payload.length - 1] === LF ? payload : Buffer.concat([payload, NEWLINE]);
}

// ignoreBOM keeps a byte-order mark in the text, so the JSON parser refuses it (as Python's json does).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Builds (does not start) the HTTP server of `node`. */
export async function buildServer(services: NodeServices, options: ServerOptions = {}): Promise<FastifyInstance> {
  const { node } = services;
  const requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  let closing = false;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // Path parameters as long as a peer address may be (DELETE /nodes/:peer).
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    // Fastify's own 503 while closing has no `code`: the onRequest hook below answers instead.
    return503OnClosing: false,
    // Slow-loris guard: a request must arrive whole within this time. Node checks for late requests
    // every connectionsCheckingInterval (30 s by default, which would double the limit).
    requestTimeout: requestTimeoutMs,
    http: {
      headersTimeout: requestTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(requestTimeoutMs / 4))),
    },
    // Bad percent-encoding and overlong path parameters: Fastify's bodies have no `code` of ours.
    // These replies skip the onSend hooks, so they are finished here as onSend would.
    frameworkErrors: (error, request, frameworkReply) => {
      const body = errorOf(error, request);
      (frameworkReply as FastifyReply)
        .code(body.statusCode)
        .header(NODE_ID_HEADER, node.nodeId)
        .type('application/json; charset=utf-8')
        .send(finishJson(JSON.stringify(body), wantsPretty(request)));
    },
    // Errors before any request (timeouts, oversized headers, bytes that are not HTTP): Fastify's
    // default writes a body without `code`, and would not say which limit was hit.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => {
      const body = clientErrorBody(error, requestTimeoutMs);
      // Like Node's own handler: answer only if no response has started on this connection.
      const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
      if (body && socket.writable && !inFlight?.headersSent) {
        const json = `${JSON.stringify(body)}\n`;
        socket.write(
          `HTTP/1.1 ${body.statusCode} ${body.error}\r\nContent-Type: application/json; charset=utf-8\r\n` +
            `Content-Length: ${Buffer.byteLength(json)}\r\n${NODE_ID_HEADER}: ${node.nodeId}\r\n` +
            `Connection: close\r\n\r\n${json}`,
        );
      }
      socket.destroy(error);
    },
  });

  // Every body is JSON to us, with or without a Content-Type (the tutorial's curl commands set it;
  // many clients do not). Parsed losslessly so numbers keep the text their hash depends on.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      done(new BlockforgeError(ErrorCode.InvalidJson, 'the request body is not valid UTF-8'), undefined);
      return;
    }
    if (text.trim() === '') {
      done(new BlockforgeError(ErrorCode.InvalidBody, 'the request body is empty; send a JSON object'), undefined);
      return;
    }
    try {
      // Peers push what a chain holds, and a tutorial chain may hold NaN and Infinity (Python
      // writes them): read them on the peer routes. Clients' own requests stay strict JSON.
      done(null, parseJson(text, { nonFinite: request.url.startsWith('/peer/') }));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler(handleError);

  // While closing, new requests get 503 SHUTTING_DOWN in the one error shape (Fastify's own 503
  // has no code). Callback style: this runs on every request.
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  const adminToken = options.adminToken === undefined ? null : Buffer.from(options.adminToken, 'utf8');
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) {
      if (adminToken !== null && (request.routeOptions.config as { admin?: boolean } | undefined)?.admin === true) {
        const problem = adminProblem(request.headers.authorization, adminToken);
        if (problem !== null) {
          reply.header('www-authenticate', 'Bearer realm="blockforge"');
          sendError(reply, errorBody(401, problem.code, problem.message));
          return;
        }
      }
      done();
      return;
    }
    reply.header('connection', 'close');
    sendError(reply, errorBody(503, ErrorCode.ShuttingDown, 'the node is shutting down'));
  });

  // 404 for unknown paths; 405 with Allow for a known path with another method.
  const routes: { pattern: RegExp; methods: Set<string> }[] = [];
  app.addHook('onRoute', (route) => {
    const pattern = new RegExp(`^${route.url.replace(/:[^/]+/g, '[^/]+')}/?$`);
    let entry = routes.find((r) => r.pattern.source === pattern.source);
    if (!entry) {
      entry = { pattern, methods: new Set() };
      routes.push(entry);
    }
    for (const method of [route.method].flat()) entry.methods.add(method);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const route = routes.find((r) => r.pattern.test(path));
    if (route) {
      const allow = [...route.methods].sort().join(', ');
      reply.header('allow', allow);
      return sendError(
        reply,
        errorBody(405, ErrorCode.MethodNotAllowed, `${request.method} is not allowed on ${path}; use ${allow}`),
      );
    }
    return sendError(reply, errorBody(404, ErrorCode.NotFound, `no route ${request.method} ${path}`));
  });

  // Every JSON answer ends with a newline, and is indented when a person asks (prettyJson).
  // Callback style, not async: this runs on every answer, and ingest counts every microsecond.
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header(NODE_ID_HEADER, node.nodeId);
    if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
      const type = reply.getHeader('content-type');
      if (typeof type === 'string' && type.startsWith('application/json')) {
        done(null, finishJson(payload, wantsPretty(request)));
        return;
      }
    }
    done(null, payload);
  });

  // The OpenAPI generator first: it documents only the routes added after it.
  await registerOpenApi(app);
  registerRoutes(app, services);
  if (options.adminToken !== undefined && options.shutdown) registerShutdownRoute(app, options.shutdown);
  // After the tutorial's: /transactions/new must be found before /transactions/:id (405's Allow).
  registerLedgerRoutes(app, services);
  registerPeerRoutes(app, services);
  registerNetworkRoutes(app, services);
  registerExplorer(app, services);
  await app.ready();
  // Open connections are file descriptors: a client holding thousands half-sent must not use them
  // all (new connections past the cap are closed at once; the slow ones time out).
  app.server.maxConnections = MAX_CONNECTIONS;
  return app;
}
