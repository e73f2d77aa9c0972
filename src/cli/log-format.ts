/**
 * The node's log: JSON lines for machines (pino's own format), or one readable line per entry for
 * a person at a terminal: `12:04:05.123 WARN  peer failed peer=localhost:5001 code=PEER_TIMEOUT`.
 * Our own few lines instead of pino-pretty: no dependency, no worker thread, same order as the
 * startup line printed with console.log.
 */

import { type LevelWithSilent, type Logger, pino } from 'pino';

/** `--log-format` values: `auto` is pretty on a terminal, JSON otherwise. */
export { LOG_FORMATS } from './options.js';

import type { LOG_FORMATS } from './options.js';

/** A `--log-format` value. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A stream the log is written to (`process.stdout` or a test's collector). */
export interface LogStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** ANSI colours of the level names (only on a terminal, and not under NO_COLOR). */
const LEVEL_COLORS: Record<number, string> = {
  10: '\x1b[90m',
  20: '\x1b[90m',
  30: '\x1b[32m',
  40: '\x1b[33m',
  50: '\x1b[31m',
  60: '\x1b[41m',
};
const RESET = '\x1b[0m';

/** pino's keys that the line shows in its own way, or not at all (pid and hostname are the same on every line). */
const OWN_KEYS = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/** A value as `key=value` shows it: bare when it is a plain word, JSON otherwise. */
function showValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=\\]+$/.test(value) ? value : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return JSON.stringify(value);
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** Local time of day with milliseconds: a terminal log is read while it happens. */
function timeOfDay(epochMs: number): string {
  const t = new Date(epochMs);
  return `${pad2(t.getHours())}:${pad2(t.getMinutes())}:${pad2(t.getSeconds())}.${String(t.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * One pino JSON line as a readable line: time, level, message, then `key=value` for every other
 * field; an error's stack follows on indented lines. A line that is not JSON is returned as is.
 */
export function formatLogLine(json: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = typeof entry.level === 'number' ? entry.level : 30;
  const name = (LEVEL_NAMES[level] ?? String(entry.level)).padEnd(5);
  let line = `${typeof entry.time === 'number' ? timeOfDay(entry.time) : '--:--:--.---'} `;
  line += color ? `${LEVEL_COLORS[level] ?? ''}${name}${RESET}` : name;
  if (entry.msg !== undefined) line += ` ${String(entry.msg)}`;
  let stack = '';
  for (const [key, value] of Object.entries(entry)) {
    if (OWN_KEYS.has(key)) continue;
    const error = value as { message?: unknown; stack?: unknown; code?: unknown } | null;
    if (error && typeof error === 'object' && typeof error.stack === 'string') {
      // An error: its message inline, its stack below (the first stack line repeats the message).
      line += ` ${key}=${showValue(error.message)}`;
      if (typeof error.code === 'string') line += ` ${key}.code=${error.code}`;
      stack += `\n${error.stack
        .split('\n')
        .slice(1)
        .map((l) => `    ${l.trim()}`)
        .join('\n')}`;
      continue;
    }
    line += ` ${key}=${showValue(value)}`;
  }
  return `${line}${stack.trimEnd() === '' ? '' : stack}\n`;
}

/** A pino destination that writes each entry as {@link formatLogLine} to `stream`. */
export function prettyDestination(stream: LogStream, color: boolean): { write(line: string): void } {
  return { write: (line) => void stream.write(formatLogLine(line.trimEnd(), color)) };
}

/** True when `format` means readable lines on `stream`. */
export function isPretty(format: LogFormat, stream: LogStream): boolean {
  return format === 'pretty' || (format === 'auto' && stream.isTTY === true);
}

/**
 * The node's logger at `level`: JSON lines, or readable lines when {@link isPretty}. Both go to
 * `stream` (stdout by default, where the startup line goes).
 */
export function createLogger(level: string, format: LogFormat, stream: LogStream = process.stdout): Logger {
  const options = { level: level as LevelWithSilent };
  if (!isPretty(format, stream)) return stream === process.stdout ? pino(options) : pino(options, stream);
  const color = stream.isTTY === true && !process.env.NO_COLOR;
  return pino(options, prettyDestination(stream, color));
}
