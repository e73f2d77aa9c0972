/**
 * Talking to the node that serves the page (same origin). Chains and blocks are parsed with the
 * core's lossless parser: `5.0` must stay `5.0`, or the hash the browser computes would differ.
 */

import { JsonNumber, type JsonValue, parseJson } from '../../src/core/json.js';
import { messages } from './i18n.js';

const t = messages(
  'api',
  {
    noAnswer: 'the node did not answer ({reason})',
    adminToken: "This node is controlled by its owner. Enter the node's admin token (--admin-token):",
    adminTokenWrong: "That token is not this node's. Enter the admin token again:",
  },
  {
    noAnswer: '节点没有应答（{reason}）',
    adminToken: '此节点由其所有者控制。请输入节点的管理令牌（--admin-token）：',
    adminTokenWrong: '令牌不正确。请重新输入管理令牌：',
  },
);

/** What an admin token can be (the node's `--admin-token` rule): visible ASCII, 16 to 256 characters. */
const ADMIN_TOKEN_SHAPE = /^[\x21-\x7e]{16,256}$/;

/** Where the admin token is kept: this tab's session only (never written to disk by the page). */
const TOKEN_KEY = 'blockforge.adminToken';

/** The browser's session storage and prompt (absent where the web modules run under Node tests). */
const browser = globalThis as {
  sessionStorage?: {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
    removeItem(key: string): void;
  };
  prompt?: (message: string) => string | null;
};

function storedToken(): string | null {
  try {
    return browser.sessionStorage?.getItem(TOKEN_KEY) ?? null;
  } catch {
    return null;
  }
}

/** The node's error shape: `{statusCode, code, error, message[, field]}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;

  constructor(status: number, code: string, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

/** The header on every answer that names the node (its id is where its mining rewards go). */
export const NODE_ID_HEADER = 'x-blockforge-node-id';

let lastNodeId: string | null = null;

/** The node id seen on the last answer, if any. */
export function nodeIdSeen(): string | null {
  return lastNodeId;
}

/** Sends a request; resolves with the body text of a 2xx answer, throws {@link ApiError} otherwise. */
export async function requestText(path: string, init: RequestInit = {}): Promise<string> {
  let response = await send(path, init, storedToken());
  // A control route of a node started with --admin-token: ask for the token, send the request again
  // with it, and keep it for this tab's session once the node took it (a refused one is not kept,
  // and a kept one the node refuses is forgotten).
  let code = await adminCode(response);
  let tried: string | null = null;
  for (let ask = 0; ask < 2 && code !== null; ask++) {
    const wrong: boolean = code === 'ADMIN_TOKEN_INVALID' && (tried ?? storedToken()) !== null;
    const token: string | undefined = browser.prompt
      ? browser.prompt(t(wrong ? 'adminTokenWrong' : 'adminToken'))?.trim()
      : undefined;
    if (!token) break; // cancelled, or nothing typed
    tried = token;
    // What a header cannot carry (a pasted curly quote) is no token: asked again, never sent.
    if (!ADMIN_TOKEN_SHAPE.test(token)) {
      code = 'ADMIN_TOKEN_INVALID';
      continue;
    }
    response = await send(path, init, token);
    code = await adminCode(response);
  }
  try {
    if (tried !== null && response.ok) browser.sessionStorage?.setItem(TOKEN_KEY, tried);
    else if (code === 'ADMIN_TOKEN_INVALID') browser.sessionStorage?.removeItem(TOKEN_KEY);
  } catch {
    // No session storage (a private window's quota): the token was sent this once.
  }
  lastNodeId = response.headers.get(NODE_ID_HEADER) ?? lastNodeId;
  const body = await response.text();
  if (response.ok) return body;
  let parsed: { code?: string; message?: string; field?: string } = {};
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    // Not our error shape (a proxy's page): keep the status line.
  }
  throw new ApiError(
    response.status,
    parsed.code ?? `HTTP_${response.status}`,
    parsed.message ?? `${response.status} ${response.statusText}`,
    parsed.field,
  );
}

async function send(path: string, init: RequestInit, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json', ...(init.headers as Record<string, string>) };
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    return await fetch(path, { ...init, headers });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', t('noAnswer', { reason: (err as Error).message }));
  }
}

/** The admin-token code of a 401 from the node's token check (`WWW-Authenticate` set), else null. */
async function adminCode(response: Response): Promise<typeof ErrorCodes.required | typeof ErrorCodes.invalid | null> {
  if (response.status !== 401 || response.headers.get('www-authenticate') === null) return null;
  const code = await errorCode(response.clone());
  return code === ErrorCodes.required || code === ErrorCodes.invalid ? code : null;
}

const ErrorCodes = { required: 'ADMIN_TOKEN_REQUIRED', invalid: 'ADMIN_TOKEN_INVALID' } as const;

async function errorCode(response: Response): Promise<string | null> {
  try {
    return ((await response.json()) as { code?: string }).code ?? null;
  } catch {
    return null;
  }
}

/** GET (or another method) and parse as plain JSON: for answers that are not hashed. */
export async function getJson<T>(path: string, init: RequestInit = {}): Promise<T> {
  const text = await requestText(path, init);
  try {
    return JSON.parse(text) as T;
  } catch {
    // A chain adopted from a tutorial node may hold NaN or Infinity (Python writes them): read
    // those as the JavaScript numbers they are.
    return plainOf(parseJson(text, { nonFinite: true })) as T;
  }
}

/** A lossless JSON value as plain JavaScript (numbers as numbers). */
function plainOf(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return value.toNumber();
  if (Array.isArray(value)) return value.map(plainOf);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = plainOf(item);
    return out;
  }
  return value;
}

/** GET and parse losslessly: for blocks and transactions (NaN and Infinity as a Python node writes them). */
export async function getLossless(path: string): Promise<JsonValue> {
  return parseJson(await requestText(path), { nonFinite: true });
}

/** POST a JSON body given as text (so numbers go out exactly as the user typed them). */
export async function postJson<T>(path: string, body: string): Promise<T> {
  return getJson<T>(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
}
