/** `blockforge verify FILE`: validates a saved `/chain` response and says what breaks. */

import { readFileSync, statSync } from 'node:fs';
import type { Block } from '../core/block.js';
import { validateChainResponse } from '../core/chain.js';
import { type BlockforgeError, ChainRuleError } from '../core/errors.js';
import { isJsonObject, type JsonValue, parseJson } from '../core/json.js';
import { createProfile } from '../core/profiles.js';

/** Parsed options of `blockforge verify`. */
export interface VerifyOptions {
  profile?: string;
  difficulty?: number;
  json?: boolean;
}

/** Largest file verify reads (a million-block chain is ~300 MB). */
const MAX_FILE_BYTES = 1024 * 1024 * 1024;

/** Guesses the profile from the genesis block: `previous_hash` 1 is seed, "1" is master. */
export function guessProfile(value: JsonValue): string {
  const chain = Array.isArray(value) ? value : isJsonObject(value) ? value.chain : undefined;
  const genesis = Array.isArray(chain) ? chain[0] : undefined;
  return isJsonObject(genesis) && typeof genesis.previous_hash === 'string' ? 'master' : 'seed';
}

/** Runs verify; returns the process exit code (0 valid, 1 invalid, 2 unreadable). */
export function runVerify(file: string, options: VerifyOptions): number {
  const report = (result: Record<string, unknown>, line: string, stream: 'out' | 'err'): void => {
    if (options.json) console.log(JSON.stringify(result));
    else if (stream === 'out') console.log(line);
    else console.error(line);
  };
  let value: JsonValue;
  try {
    if (statSync(file).size > MAX_FILE_BYTES) throw new Error(`${file} is larger than 1 GiB`);
    // A tutorial node writes NaN and Infinity where its clients sent them: read them as Python does.
    value = parseJson(readFileSync(file, 'utf8'), { nonFinite: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    report(
      { valid: false, file, code: (err as BlockforgeError).code ?? 'UNREADABLE', message },
      `cannot read ${file}: ${message}`,
      'err',
    );
    return 2;
  }
  const profileName = options.profile ?? guessProfile(value);
  const profile = createProfile(
    profileName,
    options.difficulty === undefined ? {} : { difficulty: options.difficulty },
  );
  // "seed profile, difficulty 4"
  const rules = [`${profile.name} profile`, ...Object.entries(profile.params).map(([k, v]) => `${k} ${v}`)].join(', ');
  let blocks: Block[];
  try {
    blocks = validateChainResponse(profile, value);
  } catch (err) {
    if (!(err instanceof ChainRuleError)) throw err;
    report(
      {
        valid: false,
        file,
        profile: profile.name,
        ...profile.params,
        block: err.blockIndex,
        code: err.code,
        message: err.message,
      },
      `INVALID (${rules}): ${err.blockIndex > 0 ? `block ${err.blockIndex} breaks ${err.code}` : err.code}\n  ${err.message}`,
      'err',
    );
    return 1;
  }
  const tip = blocks[blocks.length - 1] as Block;
  report(
    { valid: true, file, profile: profile.name, ...profile.params, length: blocks.length, tip: tip.hash },
    `valid: ${blocks.length} blocks (${rules}), tip ${tip.hash}`,
    'out',
  );
  return 0;
}
