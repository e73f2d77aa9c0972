/**
 * One error shape for every answer that is not a success:
 * `{"statusCode": 400, "code": "MISSING_VALUES", "error": "Bad Request", "message": "..."}`
 * (plus `field` when one request field is at fault). Fastify's own errors are mapped onto it.
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
    if (error.statusCode >= 500) request.log.error({ err: error }, 'request failed');
    return sendError(reply, errorBody(error.statusCode, error.code, error.message, error.field));
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
