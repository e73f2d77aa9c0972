/**
 * Talking to the node that serves the page (same origin). Chains and blocks are parsed with the
 * core's lossless parser: `5.0` must stay `5.0`, or the hash the browser computes would differ.
 */

import { JsonNumber, type JsonValue, parseJson } from '../../src/core/json.js';
import { messages } from './i18n.js';

const t = messages('api', { noAnswer: 'the node did not answer ({reason})' }, { noAnswer: '节点没有应答（{reason}）' });

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
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { accept: 'application/json', ...init.headers } });
  } catch (err) {
    throw new ApiError(0, 'NETWORK', t('noAnswer', { reason: (err as Error).message }));
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
