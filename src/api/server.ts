/**
 * The HTTP API: the tutorial's five routes exactly (paths, status codes, field names, messages),
 * read-only extras, and the hardening the tutorial lacks. Bodies are parsed with the core's
 * lossless JSON parser whatever their Content-Type, and validated by the node's rule profile.
 */

import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { parseJson } from '../core/json.js';
import type { NodeServices } from '../node/open-node.js';
import { NODE_ID_HEADER } from '../node/peer-client.js';
import { errorBody, handleError, sendError } from './errors.js';
import { registerExplorer, registerOpenApi } from './explorer.js';
import { registerPeerRoutes } from './peer-routes.js';
import { registerRoutes } from './routes.js';

/** Largest request body accepted (413 above). */
export const BODY_LIMIT = 1024 * 1024;

/** Options for {@link buildServer}. */
export interface ServerOptions {
  /** A pino logger for errors (request lines are not logged); silent when omitted. */
  readonly logger?: FastifyBaseLogger;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Builds (does not start) the HTTP server of `node`. */
export async function buildServer(services: NodeServices, options: ServerOptions = {}): Promise<FastifyInstance> {
  const { node } = services;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    routerOptions: { ignoreTrailingSlash: true },
    return503OnClosing: true,
    // Slow-loris guard: a request must arrive whole within this time.
    requestTimeout: 30_000,
  });

  // Every body is JSON to us, with or without a Content-Type (the tutorial's curl commands set it;
  // many clients do not). Parsed losslessly so numbers keep the text their hash depends on.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
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
      done(null, parseJson(text));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler(handleError);

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

  // Callback style, not async: this runs on every answer, and ingest counts every microsecond.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header(NODE_ID_HEADER, node.nodeId);
    done(null, payload);
  });

  // The OpenAPI generator first: it documents only the routes added after it.
  await registerOpenApi(app);
  registerRoutes(app, services);
  registerPeerRoutes(app, services);
  registerExplorer(app, services);
  await app.ready();
  return app;
}
