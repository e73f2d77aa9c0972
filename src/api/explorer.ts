/**
 * The block explorer's server side: the built web app (dist/web, made by Vite during `npm run
 * build`) at `/` with its files under `/explorer/`, a prefix no API route uses; the live event
 * stream (`/events`); the explorer's read-only routes; and the OpenAPI document generated from
 * every route's JSON schema (`/openapi.json`, Swagger UI at `/docs`).
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode } from '../core/errors.js';
import type { NodeServices } from '../node/open-node.js';
import { errorBody, sendError, statusOf } from './errors.js';
import { type EventHub, type EventStreamOptions, registerEvents } from './explorer-events.js';
import { registerExplorerRoutes } from './explorer-routes.js';

/** URL prefix of the explorer's files. */
export const EXPLORER_PREFIX = '/explorer/';

/** The built web app: `<repo>/dist/web`, found the same way from src/api (tests) and dist/api. */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const ROOT = new URL('../../', import.meta.url);

/** Options for {@link registerExplorer}. */
export interface ExplorerOptions {
  /** Folder of the built web app (index.html and its assets). */
  readonly webRoot?: string;
  /** Limits of `/events`. */
  readonly events?: EventStreamOptions;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/**
 * The page's policy: everything from this node only. Addresses and amounts on the page are
 * user-supplied; the app never writes them as HTML, and this makes an injected script inert anyway.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly cacheControl: string;
}

/** Every file under `root`, keyed by its URL path relative to it (`assets/index-abc.js`). */
function readTree(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const rel = relative(root, path).split(sep).join('/');
      files.set(rel, {
        body: readFileSync(path),
        type: CONTENT_TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream',
        // Vite puts a content hash in every asset name, so assets never change under one URL;
        // index.html names the current ones and must be fetched fresh.
        cacheControl: rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      });
    }
  };
  walk(root);
  return files;
}

function sendFile(reply: FastifyReply, file: StaticFile): FastifyReply {
  reply
    .code(200)
    .type(file.type)
    .header('cache-control', file.cacheControl)
    .header('x-content-type-options', 'nosniff');
  if (file.type.startsWith('text/html')) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
  return reply.send(file.body);
}

const staticSchema = { hide: true, summary: 'The block explorer (web app)' } as const;

/**
 * Serves the built web app: `GET /` (and `/explorer/`) is its page, each file one route under
 * `/explorer/`, so an unknown path still gets the API's JSON 404 and a wrong method its 405.
 */
function registerStatic(app: FastifyInstance, webRoot: string): void {
  let files: Map<string, StaticFile>;
  try {
    files = readTree(webRoot);
  } catch {
    files = new Map();
  }
  const index = files.get('index.html');
  const page = async (_request: unknown, reply: FastifyReply): Promise<FastifyReply> => {
    if (!index) {
      return sendError(
        reply,
        errorBody(
          statusOf(ErrorCode.ExplorerNotBuilt),
          ErrorCode.ExplorerNotBuilt,
          `the block explorer is not built (no ${webRoot}index.html): run npm run build`,
        ),
      );
    }
    return sendFile(reply, index);
  };
  app.get('/', { schema: staticSchema }, page);
  app.get(EXPLORER_PREFIX, { schema: staticSchema }, page);
  for (const [rel, file] of files) {
    // `:` and `*` would be route parameters; Vite's file names never have them.
    if (rel === 'index.html' || /[:*?#\s]/.test(rel)) continue;
    app.get(`${EXPLORER_PREFIX}${rel}`, { schema: staticSchema }, async (_request, reply) => sendFile(reply, file));
  }
}

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('package.json', ROOT), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The tutorial's own routes; every other route is blockforge's. */
const TUTORIAL_ROUTES = new Set(['/mine', '/transactions/new', '/chain', '/nodes/register', '/nodes/resolve']);

/** The routes of networks with accounts and headers (ledger-routes.ts). */
const LEDGER_ROUTES = new Set([
  '/transactions',
  '/transactions/:id',
  '/accounts/:address',
  '/accounts/:address/transactions',
  '/headers',
  '/genesis',
]);

/** Groups of the API in the docs, in the order Swagger UI shows them. */
const TAGS = [
  { name: 'tutorial', description: 'The five routes of the tutorial, exactly as it defines them' },
  { name: 'extras', description: 'Routes blockforge adds: reads, and removing a peer' },
  { name: 'explorer', description: 'What the block explorer uses: live events, hashes, address history' },
  { name: 'ledger', description: 'Accounts (the ledger profile): signed payments, balances, proofs, headers' },
  { name: 'peer protocol', description: 'How blockforge nodes talk to each other' },
];

/** The docs group of a route, from its path (the routes' own files stay free of doc layout). */
export function tagOf(url: string): string {
  if (TUTORIAL_ROUTES.has(url)) return 'tutorial';
  if (url.startsWith('/peer/') || url === '/blocks') return 'peer protocol';
  if (url === '/events' || url === '/addresses' || url.endsWith('/hash')) return 'explorer';
  if (LEDGER_ROUTES.has(url)) return 'ledger';
  return 'extras';
}

/**
 * Registers the OpenAPI generator and Swagger UI (`/docs`) and `GET /openapi.json`. Must run
 * before any route is added: the generator sees the routes registered after it.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'blockforge',
        version: packageVersion(),
        description:
          'The node of the tutorial "build your own blockchain step by step", exactly: the five tutorial ' +
          'routes (/mine, /transactions/new, /chain, /nodes/register, /nodes/resolve) with their status ' +
          'codes, field names and messages, plus extras. Every error is ' +
          '{"statusCode", "code", "error", "message"[, "field"]}. Bodies are JSON with or without a ' +
          'Content-Type. The block explorer is at /.',
      },
      tags: TAGS,
    },
    transform: ({ schema, url }) => ({
      schema: { ...schema, tags: schema?.tags ?? [tagOf(url)] } as typeof schema,
      url,
    }),
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true, tryItOutEnabled: true },
  });
  app.get('/openapi.json', { schema: { hide: true, summary: 'This OpenAPI document' } }, async (_request, reply) =>
    reply.code(200).type('application/json; charset=utf-8').send(JSON.stringify(app.swagger())),
  );
}

/**
 * Registers the explorer: the web app, `/events`, `/blocks/:index/hash` and `/addresses`.
 * Returns the event hub (tests read how many streams are open).
 */
export function registerExplorer(
  app: FastifyInstance,
  services: NodeServices,
  options: ExplorerOptions = {},
): EventHub {
  const webRoot = options.webRoot ?? DEFAULT_WEB_ROOT;
  registerStatic(app, webRoot.endsWith(sep) ? webRoot : `${webRoot}${sep}`);
  registerExplorerRoutes(app, services.node);
  return registerEvents(app, services, options.events);
}
