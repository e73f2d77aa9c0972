/**
 * Errors from talking to a peer. The network layer, not the core, decides what they mean for the
 * peer: `misbehaved` (it sent what an honest node never sends: banned) or not (unreachable, slow,
 * refusing: backed off). A peer's HTTP status travels as a field, never parsed out of a message.
 */

import { BlockforgeError, type BlockforgeErrorOptions, type ErrorCodeValue } from '../core/errors.js';

/** Options for {@link PeerError}. */
export interface PeerErrorOptions extends BlockforgeErrorOptions {
  /** The peer sent something an honest node never sends. */
  misbehaved: boolean;
  /** The HTTP status the peer answered with, when that was the failure. */
  httpStatus?: number;
}

/** A failed exchange with a peer. */
export class PeerError extends BlockforgeError {
  readonly misbehaved: boolean;
  readonly httpStatus: number | undefined;

  constructor(code: ErrorCodeValue, message: string, options: PeerErrorOptions) {
    super(code, message, options);
    this.name = 'PeerError';
    this.misbehaved = options.misbehaved;
    this.httpStatus = options.httpStatus;
  }

  /** True when the peer answered 404 or 405: it lacks the route (a tutorial node), which is no fault. */
  get missingRoute(): boolean {
    return this.httpStatus === 404 || this.httpStatus === 405;
  }
}
