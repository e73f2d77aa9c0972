/** Parsers of `blockforge lab` flags (light: the CLI reads them before it loads any lab module). */

import { InvalidArgumentError } from 'commander';

/** Most values a list option takes (a run is a table, not a sweep of thousands of cells). */
const MAX_LIST = 200;

/** `0.1,0.3`: shares strictly between `min` and `max` (or from `min` to `max` when `inclusive`). */
export function shareListOption(name: string, min = 0, max = 1, inclusive = false): (value: string) => number[] {
  return (value) => {
    const parts = value.split(',');
    if (parts.length > MAX_LIST) throw new InvalidArgumentError(`${name} takes at most ${MAX_LIST} values`);
    return parts.map((part) => {
      const text = part.trim();
      const n = Number(text);
      const within = inclusive ? n >= min && n <= max : n > min && n < max;
      if (!/^(0|[1-9][0-9]*)?(\.[0-9]+)?$/.test(text) || text === '' || text === '.' || !within) {
        const range = inclusive ? `from ${min} to ${max}` : `between ${min} and ${max}`;
        throw new InvalidArgumentError(
          `${name}: ${JSON.stringify(text.slice(0, 20))} is not a share ${range} (e.g. 0.3)`,
        );
      }
      return n;
    });
  };
}

/** `0-10`, `1,2,6`, `0-10,15`: whole numbers in [min, max]. */
export function countListOption(name: string, min: number, max: number): (value: string) => number[] {
  return (value) => {
    const out: number[] = [];
    for (const part of value.split(',')) {
      const match = /^\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?$/.exec(part);
      if (!match)
        throw new InvalidArgumentError(
          `${name}: ${JSON.stringify(part.slice(0, 20))} is not a number or a range like 0-10`,
        );
      const from = Number(match[1]);
      const to = match[2] === undefined ? from : Number(match[2]);
      if (from < min || to > max || to < from)
        throw new InvalidArgumentError(`${name}: ${part.trim()} must be within ${min}-${max}, low to high`);
      for (let n = from; n <= to; n++) {
        out.push(n);
        if (out.length > MAX_LIST) throw new InvalidArgumentError(`${name} takes at most ${MAX_LIST} values`);
      }
    }
    return out;
  };
}

/** A probability from `min` (inclusive when not 0) to below `max` (`--risk`, `--confidence`). */
export function probabilityOption(name: string, min = 0, max = 1): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^[0-9.eE-]+$/.test(value) || !(min === 0 ? n > 0 : n >= min) || !(n < max)) {
      throw new InvalidArgumentError(`${name} must be a number between ${min} and ${max}`);
    }
    return n;
  };
}
