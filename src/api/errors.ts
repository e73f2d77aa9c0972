/**
 * One error shape for every answer that is not a success:
 * `{"statusCode": 400, "code": "MISSING_VALUES", "error": "Bad Request", "message": "..."}`
 * (plus `field` when one request field is at fault). Errors carry a code and no status: the one
 * table below maps codes to statuses. Fastify's own errors are mapped onto the same shape.
 */

import { STATUS_CODES } from 'node:http';
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

/** Sends an error body (as a string, so no response schema can drop its fields). */
export function sendError(reply: FastifyReply, body: ErrorBody): FastifyReply {
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
  [ErrorCode.RequestTimeout]: 408,
  [ErrorCode.MethodNotAllowed]: 405,
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
  [ErrorCode.BlockTooLarge]: 413,
  [ErrorCode.PeerUnreachable]: 502,
  [ErrorCode.PeerTimeout]: 502,
  [ErrorCode.PeerTooLarge]: 502,
  [ErrorCode.PeerHttpStatus]: 502,
  [ErrorCode.PeerBadResponse]: 502,
  [ErrorCode.PeerIsSelf]: 400,
  [ErrorCode.DataDirMismatch]: 500,
  [ErrorCode.DataDirLocked]: 500,
  [ErrorCode.DataDirReadOnly]: 500,
  [ErrorCode.StorageCorrupt]: 500,
  [ErrorCode.StorageFull]: 507,
  [ErrorCode.UnknownProfile]: 400,
  [ErrorCode.ShuttingDown]: 503,
  [ErrorCode.MempoolFull]: 503,
  [ErrorCode.TooManyStreams]: 503,
  [ErrorCode.ExplorerNotBuilt]: 503,
  [ErrorCode.Internal]: 500,
};

/** The HTTP status the API answers an error of `code` with. */
export function statusOf(code: ErrorCodeValue): number {
  return STATUS_OF_CODE[code] ?? 400;
}

const FASTIFY_CODES: Record<string, ErrorCodeValue> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCode.BodyTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: ErrorCode.UnsupportedMediaType,
  FST_ERR_VALIDATION: ErrorCode.BadRequest,
};

/** Fastify error handler: every error becomes the one error shape. 5xx only for real faults. */
export function handleError(
  error: FastifyError | BlockforgeError | Error,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof BlockforgeError) {
    const status = statusOf(error.code);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, errorBody(status, error.code, error.message, error.field));
  }
  const fastifyError = error as FastifyError;
  const status = fastifyError.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const code = FASTIFY_CODES[fastifyError.code] ?? ErrorCode.BadRequest;
    const message =
      code === ErrorCode.BodyTooLarge ? 'the request body is larger than the 1 MiB limit' : fastifyError.message;
    return sendError(reply, errorBody(status, code, message));
  }
  request.log.error({ err: error }, 'unexpected error');
  return sendError(reply, errorBody(500, ErrorCode.Internal, 'internal error; see the node log'));
}
