/**
 * One error shape for every answer that is not a success:
 * `{"statusCode": 400, "code": "MISSING_VALUES", "error": "Bad Request", "message": "..."}`
 * (plus `field` when one request field is at fault). Errors carry a code and no status: the one
 * table below maps codes to statuses. Fastify's own errors are mapped onto the same shape.
 */

import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { BlockforgeError, ErrorCode, type ErrorCodeValue } from '../core/errors.js';

/** The JSON body of an error answer. */
export interface ErrorBody {
  statusCode: number;
  code: ErrorCodeValue;
  error: string;
  message: string;
  field?: string;
}

/** JSON schema of {@link ErrorBody}, for the routes' documented error answers. */
export const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
    field: { type: 'string' },
  },
} as const;

/**
 * Sends JSON the caller already wrote (with the core's writer, so numbers keep their Python form).
 * A string or Buffer payload is sent as is: no response schema re-serializes it.
 */
export function sendJson(reply: FastifyReply, status: number, json: string | Buffer): FastifyReply {
  return reply.code(status).type('application/json; charset=utf-8').send(json);
}

/** Builds the error body for `status`. */
export function errorBody(statusCode: number, code: ErrorCodeValue, message: string, field?: string): ErrorBody {
  const body: ErrorBody = { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
  if (field !== undefined) body.field = field;
  return body;
}

/**
 * Seconds a client is asked to wait (`Retry-After`) before trying again after an error of this
 * code. MEMPOOL_FULL lasts until a block is mined and mining is on demand (`/mine`), so no time is
 * sure; 10 s is the node's default sync interval, the pace at which a network of nodes moves on.
 */
export const RETRY_AFTER_SECONDS: Partial<Record<ErrorCodeValue, number>> = {
  [ErrorCode.MempoolFull]: 10,
  // Peer exchange refills one answer a second (node/peer-exchange.ts).
  [ErrorCode.RateLimited]: 1,
};

/** Sends an error body (as a string, so no response schema can drop its fields). */
export function sendError(reply: FastifyReply, body: ErrorBody): FastifyReply {
  const retryAfter = RETRY_AFTER_SECONDS[body.code];
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.code(body.statusCode).type('application/json; charset=utf-8').send(JSON.stringify(body));
}

/**
 * The HTTP status of every error code; a code not listed is a client's fault (400). Chain rules
 * broken by a body (a pushed block) are 422: the JSON was fine, its content breaks a rule.
 */
const STATUS_OF_CODE: Partial<Record<ErrorCodeValue, number>> = {
  [ErrorCode.BodyTooLarge]: 413,
  [ErrorCode.UnsupportedMediaType]: 415,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.AlreadyPending]: 409,
  [ErrorCode.RequestTimeout]: 408,
  [ErrorCode.UriTooLong]: 414,
  [ErrorCode.HeadersTooLarge]: 431,
  [ErrorCode.MethodNotAllowed]: 405,
  [ErrorCode.AdminTokenRequired]: 401,
  [ErrorCode.AdminTokenInvalid]: 401,
  [ErrorCode.PeerBanned]: 403,
  [ErrorCode.ChainEnvelope]: 422,
  [ErrorCode.ChainEmpty]: 422,
  [ErrorCode.LengthMismatch]: 422,
  [ErrorCode.GenesisInvalid]: 422,
  [ErrorCode.BlockShape]: 422,
  [ErrorCode.IndexSequence]: 422,
  [ErrorCode.PreviousHashMismatch]: 422,
  [ErrorCode.ProofFormat]: 422,
  [ErrorCode.ProofOfWork]: 422,
  [ErrorCode.TransactionInvalid]: 422,
  [ErrorCode.RewardInvalid]: 422,
  [ErrorCode.HeaderInvalid]: 422,
  [ErrorCode.TargetMismatch]: 422,
  [ErrorCode.TimeTooEarly]: 422,
  [ErrorCode.TimeTooFarAhead]: 422,
  [ErrorCode.MerkleMismatch]: 422,
  [ErrorCode.SignatureInvalid]: 422,
  [ErrorCode.NonceMismatch]: 422,
  [ErrorCode.BalanceInsufficient]: 422,
  [ErrorCode.BlockTooLarge]: 413,
  [ErrorCode.PeerUnreachable]: 502,
  [ErrorCode.PeerTimeout]: 502,
  [ErrorCode.PeerTooLarge]: 502,
  [ErrorCode.PeerHttpStatus]: 502,
  [ErrorCode.PeerBadResponse]: 502,
  [ErrorCode.PeerChainMoved]: 502,
  [ErrorCode.PeerIsSelf]: 400,
  [ErrorCode.DataDirMismatch]: 500,
  [ErrorCode.DataDirLocked]: 500,
  [ErrorCode.DataDirReadOnly]: 500,
  [ErrorCode.StorageCorrupt]: 500,
  [ErrorCode.StorageFull]: 507,
  [ErrorCode.UnknownProfile]: 400,
  [ErrorCode.ShuttingDown]: 503,
  [ErrorCode.MempoolFull]: 503,
  [ErrorCode.Busy]: 503,
  [ErrorCode.TooManyStreams]: 503,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.ExplorerNotBuilt]: 503,
  [ErrorCode.Internal]: 500,
};

/** The HTTP status the API answers an error of `code` with. */
export function statusOf(code: ErrorCodeValue): number {
  return STATUS_OF_CODE[code] ?? 400;
}

/** Fastify's own errors (body parsing, URL, route parameters, schema validation) by their code. */
const FASTIFY_CODES: Record<string, ErrorCodeValue> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.BodyTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UnsupportedMediaType,
  FST_ERR_VALIDATION: ErrorCode.BadRequest,
};

/** The code of a framework error that has none of ours, by its status. */
const CODE_OF_STATUS: Record<number, ErrorCodeValue> = {
  414: ErrorCode.UriTooLong,
  431: ErrorCode.HeadersTooLarge,
  404: ErrorCode.NotFound,
  405: ErrorCode.MethodNotAllowed,
  408: ErrorCode.RequestTimeout,
  413: ErrorCode.BodyTooLarge,
  415: ErrorCode.UnsupportedMediaType,
};

/** `1048576` as `1 MiB`, `2048` as `2 KiB`, other sizes in bytes. */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** What a framework error says, in our words where Fastify's are about its internals. */
function frameworkMessage(error: FastifyError, code: ErrorCodeValue, request: FastifyRequest): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // The route's own limit: /peer/blocks takes more than the server-wide one.
      return `the request body is larger than the ${formatBytes(request.routeOptions.bodyLimit)} limit of ${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`;
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'the request body is not as long as its Content-Length says';
    case 'FST_ERR_BAD_URL':
      return `the URL ${JSON.stringify(request.url.slice(0, 200))} is not valid percent-encoding`;
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return 'a path parameter is longer than 1,000 characters';
    default:
      return code === ErrorCode.BodyTooLarge ? 'the request body is too large' : error.message;
  }
}

/** The request field a schema validation error is about (`querystring/from` is `from`). */
function validationField(error: FastifyError): string | undefined {
  const first = error.validation?.[0];
  if (!first) return undefined;
  const missing = (first.params as { missingProperty?: unknown } | undefined)?.missingProperty;
  if (typeof missing === 'string') return missing;
  const name = first.instancePath.split('/')[1];
  return name === undefined || name === '' ? undefined : name;
}

/**
 * The error body answering `error`: every error becomes the one error shape, 5xx only for real
 * faults (logged). Fastify's own errors included: body parsing, schema validation, and the
 * framework errors (bad URL encoding, overlong path parameters).
 */
export function errorOf(error: FastifyError | BlockforgeError | Error, request: FastifyRequest): ErrorBody {
  if (error instanceof BlockforgeError) {
    const status = statusOf(error.code);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return errorBody(status, error.code, error.message, error.field);
  }
  const fastifyError = error as FastifyError;
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const code = FASTIFY_CODES[fastifyError.code] ?? CODE_OF_STATUS[status] ?? ErrorCode.BadRequest;
    const field = fastifyError.code === 'FST_ERR_VALIDATION' ? validationField(fastifyError) : undefined;
    return errorBody(status, code, frameworkMessage(fastifyError, code, request), field);
  }
  request.log.error({ err: error }, 'unexpected error');
  return errorBody(500, ErrorCode.Internal, 'internal error; see the node log');
}

/** Fastify error handler: {@link errorOf}, sent. */
export function handleError(
  error: FastifyError | BlockforgeError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  return sendError(reply, errorOf(error, request));
}

/**
 * The status, code and message of an error Node's HTTP parser reports on a connection, before or
 * without a request Fastify could answer (`clientError`): a request that did not arrive in time,
 * headers too large, bytes that are not HTTP. Null when there is no one to answer (a reset).
 */
export function clientErrorBody(error: NodeJS.ErrnoException, requestTimeoutMs: number): ErrorBody | null {
  switch (error.code) {
    case 'ECONNRESET':
      return null;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return errorBody(
        408,
        ErrorCode.RequestTimeout,
        `the request did not arrive whole within ${requestTimeoutMs / 1000} s; send it again, faster`,
      );
    case 'HPE_HEADER_OVERFLOW':
      return errorBody(
        431,
        ErrorCode.HeadersTooLarge,
        `the request's headers are larger than the ${formatBytes(maxHeaderSize)} limit`,
      );
    default:
      return errorBody(
        400,
        ErrorCode.BadRequest,
        `the request is not valid HTTP/1.1${error.code?.startsWith('HPE_') ? ` (${error.code})` : ''}`,
      );
  }
}
