/** The node's readable log lines: time, level, message, key=value pairs, an error's stack below. */

import { describe, expect, it } from 'vitest';
import { createLogger, formatLogLine, isPretty } from '../../src/cli/log-format.js';

/** A stream that keeps what is written. */
function collector(isTTY = false) {
  const lines: string[] = [];
  return { isTTY, lines, write: (text: string) => lines.push(text) };
}

describe('formatLogLine', () => {
  it('shows time, level, message and the other fields as key=value', () => {
    const time = new Date(2026, 0, 2, 3, 4, 5, 67).getTime();
    const line = formatLogLine(
      JSON.stringify({
        level: 40,
        time,
        pid: 1,
        hostname: 'h',
        component: 'network',
        msg: 'peer failed',
        peer: 'localhost:5001',
        reason: 'timed out after 5 s',
        ms: 5003,
        ok: false,
        detail: { a: 1 },
      }),
    );
    expect(line).toBe(
      '03:04:05.067 WARN  peer failed component=network peer=localhost:5001 reason="timed out after 5 s" ms=5003 ok=false detail={"a":1}\n',
    );
  });

  it('puts an error message inline and its stack below', () => {
    const line = formatLogLine(
      JSON.stringify({
        level: 50,
        time: 0,
        msg: 'request failed',
        err: {
          type: 'Error',
          message: 'disk full',
          code: 'STORAGE_FULL',
          stack: 'Error: disk full\n    at a (x.js:1:1)',
        },
      }),
    );
    expect(line).toMatch(
      /^\d{2}:\d{2}:00\.000 ERROR request failed err="disk full" err\.code=STORAGE_FULL\n {4}at a \(x\.js:1:1\)\n$/,
    );
  });

  it('colours the level only when asked', () => {
    expect(formatLogLine('{"level":30,"time":0,"msg":"m"}', true)).toContain('\u001b[32mINFO \u001b[0m m');
    expect(formatLogLine('{"level":30,"time":0,"msg":"m"}', false)).not.toContain('\u001b');
  });

  it('passes a line that is not JSON through', () => {
    expect(formatLogLine('not json')).toBe('not json\n');
  });
});

describe('createLogger', () => {
  it('writes readable lines to a terminal, JSON lines elsewhere, as --log-format says', () => {
    expect(isPretty('auto', { write: () => true, isTTY: true })).toBe(true);
    expect(isPretty('auto', { write: () => true })).toBe(false);
    expect(isPretty('json', { write: () => true, isTTY: true })).toBe(false);
    expect(isPretty('pretty', { write: () => true })).toBe(true);

    const pipe = collector(false);
    createLogger('info', 'auto', pipe).info({ peer: 'a:1' }, 'hello');
    expect(JSON.parse(pipe.lines[0] as string)).toMatchObject({ level: 30, msg: 'hello', peer: 'a:1' });

    const terminal = collector(true);
    const logger = createLogger('info', 'auto', terminal);
    logger.debug('hidden');
    logger.child({ component: 'http' }).warn({ code: 'X' }, 'shown');
    expect(terminal.lines).toHaveLength(1);
    const line = terminal.lines[0] as string;
    // Coloured on a terminal, unless NO_COLOR is set.
    if (!process.env.NO_COLOR) expect(line).toContain('\u001b[33mWARN \u001b[0m');
    expect(line.replaceAll('\u001b[33m', '').replaceAll('\u001b[0m', '')).toMatch(
      /^\d{2}:\d{2}:\d{2}\.\d{3} WARN {2}shown component=http code=X\n$/,
    );
  });
});
