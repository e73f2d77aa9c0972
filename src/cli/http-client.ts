/**
 * The CLI's HTTP client for a node's API: a request with a time limit, the answer parsed losslessly
 * (header JSON is hashed, so its numbers must keep their text), and the API's error shape
 * (`{statusCode, code, error, message, field?}`) turned into one {@link CliError} saying what the
 * node said. Also the small readers of answer fields the wallet commands share.
 */

import { isJsonObject, JsonNumber, type JsonObject, type JsonValue, parseJson, writeJson } from '../core/json.js';

/**
 * A user-facing failure of a CLI command: printed as `blockforge: <message> [CODE]`, exit 1. The
 * code is the node's own when the node refused the request, else one of the CLI's (`NODE_UNREACHABLE`,
 * `NODE_TIMEOUT`, `NODE_BAD_RESPONSE`, `WALLET_EXISTS`, ...).
 */
export class CliError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The node's HTTP status, when the node refused the request. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Default time limit of one request to the node. */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** A node's base URL from `--node`: `http(s)://host:port` or `host:port`, without a trailing slash. */
export function nodeBaseUrl(text: string): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError('INVALID_OPTION', `--node: ${JSON.stringify(text)} is not a URL (like http://localhost:5000)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError('INVALID_OPTION', `--node: ${JSON.stringify(text)} must be an http:// or https:// URL`);
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** Options of {@link requestJson}. */
export interface RequestOptions {
  method?: 'GET' | 'POST';
  /** A JSON body (written with the core's writer, numbers kept as they are). */
  body?: JsonValue;
  timeoutMs?: number;
}

/** A successful answer: its status and JSON. */
export interface JsonAnswer {
  readonly status: number;
  readonly json: JsonValue;
}

/**
 * Sends a request to the node at `base` and returns its JSON answer (2xx). Throws a {@link CliError}:
 * the node's own code and message for an error answer, `NODE_UNREACHABLE` when nothing answers,
 * `NODE_TIMEOUT` after the time limit, `NODE_BAD_RESPONSE` for an answer that is not JSON.
 */
export async function requestJson(base: string, path: string, options: RequestOptions = {}): Promise<JsonAnswer> {
  const url = `${base}${path}`;
  const method = options.method ?? (options.body === undefined ? 'GET' : 'POST');
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers: {
        accept: 'application/json',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: writeJson(options.body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await response.text();
  } catch (err) {
    const name = (err as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new CliError(
        'NODE_TIMEOUT',
        `the node at ${base} did not answer ${method} ${path} within ${timeoutMs / 1000} s`,
      );
    }
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new CliError(
      'NODE_UNREACHABLE',
      `cannot reach the node at ${base} (${why}): start one (blockforge node --profile ledger ...) or pass --node URL`,
    );
  }
  let json: JsonValue;
  try {
    json = parseJson(text);
  } catch {
    throw new CliError(
      'NODE_BAD_RESPONSE',
      `the node at ${base} answered ${method} ${path} with HTTP ${response.status} and no JSON: is it a blockforge ledger node?`,
      response.status,
    );
  }
  if (response.status >= 200 && response.status < 300) return { status: response.status, json };
  if (isJsonObject(json) && typeof json.code === 'string' && typeof json.message === 'string') {
    const field = typeof json.field === 'string' ? ` (field ${json.field})` : '';
    throw new CliError(json.code, `the node refused: ${json.message}${field}`, response.status);
  }
  throw new CliError(
    'NODE_BAD_RESPONSE',
    `the node at ${base} answered ${method} ${path} with HTTP ${response.status}`,
    response.status,
  );
}

/** Reads the fields of a node's answer, each checked: a missing or mistyped one is NODE_BAD_RESPONSE. */
export class AnswerReader {
  constructor(
    /** What answered (`GET /genesis`), for messages. */
    readonly what: string,
    readonly value: JsonValue | undefined,
  ) {}

  private bad(message: string): CliError {
    return new CliError('NODE_BAD_RESPONSE', `the node's answer to ${this.what} ${message}`);
  }

  /** The answer as an object. */
  object(): JsonObject {
    if (!isJsonObject(this.value)) throw this.bad('is not a JSON object');
    return this.value;
  }

  /** A string field. */
  string(key: string): string {
    const value = this.object()[key];
    if (typeof value !== 'string') throw this.bad(`has no string "${key}"`);
    return value;
  }

  /** A field of base units (or a nonce): a string of decimal digits. */
  units(key: string): bigint {
    const value = this.string(key);
    if (!/^(0|[1-9][0-9]{0,18})$/.test(value)) throw this.bad(`has "${key}" ${JSON.stringify(value)}, not base units`);
    return BigInt(value);
  }

  /** A non-negative integer field. */
  int(key: string): number {
    const value = this.object()[key];
    if (!(value instanceof JsonNumber) || !/^(0|[1-9][0-9]{0,15})$/.test(value.text)) {
      throw this.bad(`has no integer "${key}"`);
    }
    const n = Number(value.text);
    if (!Number.isSafeInteger(n)) throw this.bad(`has "${key}" out of range`);
    return n;
  }

  /** A field read with a reader of its own. */
  field(key: string): AnswerReader {
    return new AnswerReader(`${this.what} ("${key}")`, this.object()[key]);
  }

  /** A list field. */
  list(key: string): JsonValue[] {
    const value = this.object()[key];
    if (!Array.isArray(value)) throw this.bad(`has no list "${key}"`);
    return value;
  }
}
