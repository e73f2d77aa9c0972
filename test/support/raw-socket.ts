/** Raw HTTP over a socket, for what a well-behaved client never sends (garbage, stalls, floods). */

import { connect } from 'node:net';

/** Options of {@link rawExchange}. */
export interface RawOptions {
  /** Pause between two parts, in ms (a slow client). */
  readonly pauseMs?: number;
  /** How long to wait for the server to close, in ms, before giving up. */
  readonly waitMs?: number;
  /** How the answer's bytes are read (latin1 keeps every byte as one character). */
  readonly encoding?: BufferEncoding;
}

/**
 * Writes `parts` to a fresh connection to 127.0.0.1:`port`, `pauseMs` apart, and resolves with all
 * the server sent until it closed the connection (or `waitMs` passed).
 */
export function rawExchange(
  port: number,
  parts: readonly (string | Buffer)[],
  { pauseMs = 0, waitMs = 5_000, encoding = 'utf8' }: RawOptions = {},
): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(answer);
    }, waitMs);
    socket.on('data', (chunk) => {
      answer += chunk.toString(encoding);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.on('error', () => undefined);
    void (async () => {
      for (const part of parts) {
        if (socket.destroyed) return;
        socket.write(part);
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    })();
  });
}
