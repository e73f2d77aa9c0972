/** `blockforge verify FILE`: validates a saved `/chain` response and says what breaks. */

import { readFileSync, statSync } from 'node:fs';
import type { Block } from '../core/block.js';
import { canonicalJson, sha256Hex } from '../core/canonical.js';
import { chainEnvelope, validateChainResponse } from '../core/chain.js';
import type { ChainSummary, ChainTextScanner } from '../core/chain-scan.js';
import { BlockforgeError, ChainRuleError, ErrorCode } from '../core/errors.js';
import { isJsonObject, type JsonObject, type JsonValue, parseJson } from '../core/json.js';
import type { GenesisSpec } from '../core/ledger/genesis.js';
import type { RuleProfile } from '../core/profile.js';
import { createTutorialProfile } from '../core/tutorial-profile.js';
import { CliError } from './http-client.js';

/** Parsed options of `blockforge verify`. */
export interface VerifyOptions {
  profile?: string;
  difficulty?: number;
  /** Ledger: the network's genesis file (the built-in devnet when omitted). */
  genesis?: string;
  json?: boolean;
}

/**
 * Files from this size are scanned on every core (src/node/chain-scan-pool.ts). Below it one
 * thread is faster: measured in a new process on the 3.4 MB bench chain, a pool's first scan took
 * 0.5-0.7 s against 0.2-0.3 s on one thread (a worker's start and its cold code); a second core is
 * expected to pay for that from a few times that size (not measured at 16 MiB).
 */
const VERIFY_PARALLEL_MIN_BYTES = 16 * 1024 * 1024;

/** Files from this size are hashed with the native addon when it is built (see scanTutorialChain). */
const NATIVE_HASH_MIN_BYTES = 256 * 1024;

/** Largest file verify reads (a million-block chain is ~300 MB). */
const MAX_FILE_BYTES = 1024 * 1024 * 1024;

/**
 * Guesses the profile from the genesis block: a block with a `header` is the ledger's; else
 * `previous_hash` 1 is seed, "1" is master.
 */
export function guessProfile(value: JsonValue): string {
  const chain = Array.isArray(value) ? value : isJsonObject(value) ? value.chain : undefined;
  const genesis = Array.isArray(chain) ? chain[0] : undefined;
  if (isJsonObject(genesis) && genesis.header !== undefined) return 'ledger';
  return isJsonObject(genesis) && typeof genesis.previous_hash === 'string' ? 'master' : 'seed';
}

/** Which block a broken link shows was changed, with the hashes that show it. */
export interface EditedBlock {
  /** 1-based position of the changed block. */
  readonly edited: number;
  /** The hash now of the block before the broken link: SHA-256 of its canonical JSON, lowercase hex. */
  readonly hash: string;
  /** What the block at the broken link records as its `previous_hash`, as written there. */
  readonly recorded: JsonValue | undefined;
  /** The field that records the link: `previous_hash` (tutorial) or the header's `parent` (ledger). */
  readonly field?: string;
  /**
   * `sealed`: the block after the break still names the hash of the block at the break, so that
   * block is intact and the one before it was edited. `tip`: the break is at the tip, and nothing
   * after it can tell which of the two was edited. `link`: the block after the break does not name
   * the block at the break either, so its `previous_hash` (at least) was edited.
   */
  readonly evidence: 'sealed' | 'tip' | 'link';
}

/** How a profile's blocks link: what is hashed, and where the parent's hash is recorded. */
interface LinkShape {
  /** The part of a block its hash covers. */
  hashed(block: JsonObject): JsonValue | undefined;
  /** What a block records as its parent's hash. */
  recorded(block: JsonObject): JsonValue | undefined;
  readonly field: string;
}

const TUTORIAL_LINKS: LinkShape = {
  hashed: (block) => block,
  recorded: (block) => block.previous_hash,
  field: 'previous_hash',
};

const LEDGER_LINKS: LinkShape = {
  hashed: (block) => block.header,
  recorded: (block) => (isJsonObject(block.header) ? block.header.parent : undefined),
  field: 'parent',
};

/**
 * For a PREVIOUS_HASH_MISMATCH at block `broken` (1-based): the block that was edited. Usually
 * block `broken - 1`, whose hash no longer matches what block `broken` recorded when it sealed it.
 * `ledger`: the blocks are the ledger's (the hash covers the header, which records `parent`).
 */
export function editedBlock(value: JsonValue, broken: number, ledger = false): EditedBlock | null {
  const shape = ledger ? LEDGER_LINKS : TUTORIAL_LINKS;
  const chain = chainEnvelope(value);
  const before = chain[broken - 2];
  const block = chain[broken - 1];
  if (broken < 2 || !isJsonObject(before) || !isJsonObject(block)) return null;
  const beforeHashed = shape.hashed(before);
  if (beforeHashed === undefined) return null;
  const hash = sha256Hex(canonicalJson(beforeHashed));
  const recorded = shape.recorded(block);
  const field = shape.field;
  const after = chain[broken];
  if (after === undefined) return { edited: broken - 1, hash, recorded, field, evidence: 'tip' };
  const blockHashed = shape.hashed(block);
  const sealed =
    isJsonObject(after) && blockHashed !== undefined && shape.recorded(after) === sha256Hex(canonicalJson(blockHashed));
  return sealed
    ? { edited: broken - 1, hash, recorded, field, evidence: 'sealed' }
    : { edited: broken, hash, recorded, field, evidence: 'link' };
}

/** The report's lines on an edited block: what changed, then why we say so. */
function describeEdit(e: EditedBlock, broken: number): [string, string] {
  const recorded = showRecorded(e.recorded);
  const field = e.field ?? 'previous_hash';
  if (e.evidence === 'link') {
    return [
      `block ${broken} was changed: its ${field} says ${recorded}, but block ${broken - 1}'s hash is ${e.hash}`,
      `(block ${broken + 1} does not record block ${broken}'s hash either)`,
    ];
  }
  return [
    `block ${e.edited} was changed: its hash is now ${e.hash}, but block ${broken} says ${recorded}`,
    e.evidence === 'sealed'
      ? `(block ${broken} is intact: block ${broken + 1} still records its hash)`
      : `(or block ${broken}'s ${field} was edited: it is the tip, and no later block tells)`,
  ];
}

/** A recorded `previous_hash` as the report shows it: a string as written, anything else as JSON. */
function showRecorded(value: JsonValue | undefined): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return value.length > 200 ? `${value.slice(0, 200)}...` : value;
  return canonicalJson(value).slice(0, 200);
}

/**
 * The profile to verify with: `--profile`, else guessed from the genesis block (`--genesis` means
 * the ledger); the ledger's network from `--genesis`, else the built-in devnet.
 */
async function verifyProfile(options: VerifyOptions, value: JsonValue): Promise<RuleProfile> {
  const name = options.profile ?? (options.genesis !== undefined ? 'ledger' : guessProfile(value));
  if (options.genesis !== undefined && name !== 'ledger') {
    throw new CliError(ErrorCode.InvalidOption, `--genesis is for --profile ledger (not ${name})`);
  }
  // A tutorial chain needs none of the ledger's modules (keys, curves): they load only for a ledger.
  if (name !== 'ledger') {
    return createTutorialProfile(name, options.difficulty === undefined ? {} : { difficulty: options.difficulty });
  }
  const { createProfile } = await import('../core/profiles.js');
  let genesis: GenesisSpec | undefined;
  if (options.genesis !== undefined) genesis = (await import('./genesis-command.js')).readGenesisFile(options.genesis);
  return createProfile(name, {
    ...(options.difficulty === undefined ? {} : { difficulty: options.difficulty }),
    ...(genesis === undefined ? {} : { genesis }),
  });
}

/** Runs verify; returns the process exit code (0 valid, 1 invalid or a wrong option, 2 unreadable). */
export async function runVerify(file: string, options: VerifyOptions): Promise<number> {
  const report = (result: Record<string, unknown>, line: string, stream: 'out' | 'err'): void => {
    if (options.json) console.log(JSON.stringify(result));
    else if (stream === 'out') console.log(line);
    else console.error(line);
  };
  const reportValid = (profile: RuleProfile, length: number, tip: string): number => {
    // "seed profile, difficulty 4"
    const rules = [`${profile.name} profile`, ...Object.entries(profile.params).map(([k, v]) => `${k} ${v}`)].join(
      ', ',
    );
    const note =
      length === 1
        ? 'the genesis block is the whole chain: nothing after it seals its contents'
        : `block ${length} (the tip) is covered by no later hash: anyone could edit it (recomputing its proof if need be) and the chain would still verify; only the blocks mined after it will seal it`;
    report(
      { valid: true, file, profile: profile.name, ...profile.params, length, tip, note },
      `valid: ${length} blocks (${rules}) form a valid chain: every link and proof checks out; tip ${tip}\n  note: ${note}`,
      'out',
    );
    return 0;
  };
  let value: JsonValue;
  try {
    if (statSync(file).size > MAX_FILE_BYTES) throw new Error(`${file} is larger than 1 GiB`);
    const bytes = readFileSync(file);
    // A tutorial chain is first read in one pass (src/core/tutorial-scan.ts): when it is valid
    // that is the verdict; on any doubt the general path below reads it again and names the rule.
    const scanned = options.genesis === undefined ? await scanTutorialChain(bytes, options) : null;
    if (scanned) return reportValid(scanned.profile, scanned.length, scanned.tipHash);
    // A tutorial node writes NaN and Infinity where its clients sent them: read them as Python does.
    value = parseJson(bytes.toString('utf8'), { nonFinite: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    report(
      { valid: false, file, code: (err as BlockforgeError).code ?? 'UNREADABLE', message },
      `blockforge: cannot read ${file}: ${message}`,
      'err',
    );
    return 2;
  }
  let profile: RuleProfile;
  try {
    profile = await verifyProfile(options, value);
  } catch (err) {
    if (!(err instanceof BlockforgeError || err instanceof CliError)) throw err;
    // The genesis file is an input like the chain's: unreadable is 2; a wrong option is 1.
    const unreadable = err.code === ErrorCode.InvalidGenesis;
    report(
      { valid: false, file, code: err.code, message: err.message },
      `blockforge: ${err.message} [${err.code}]`,
      'err',
    );
    return unreadable ? 2 : 1;
  }
  // "seed profile, difficulty 4"
  const rules = [`${profile.name} profile`, ...Object.entries(profile.params).map(([k, v]) => `${k} ${v}`)].join(', ');
  let blocks: Block[];
  try {
    blocks = validateChainResponse(profile, value);
  } catch (err) {
    if (!(err instanceof ChainRuleError)) throw err;
    const edited =
      err.code === ErrorCode.PreviousHashMismatch
        ? editedBlock(value, err.blockIndex, profile.name === 'ledger')
        : null;
    const verdict = err.blockIndex > 0 ? `block ${err.blockIndex} breaks ${err.code}` : err.code;
    // Full hashes, one form (the core's message shortens a long previous_hash).
    const edit = edited ? describeEdit(edited, err.blockIndex) : null;
    // A ledger chain of another network than the one assumed: say how to name it.
    const hint =
      err.code === ErrorCode.GenesisInvalid && profile.name === 'ledger' && options.genesis === undefined
        ? `\n  (verified as ${profile.params.network}: give the chain's genesis file with --genesis FILE)`
        : '';
    const detail = (edit ? edit.join('\n  ') : err.message) + hint;
    report(
      {
        valid: false,
        file,
        profile: profile.name,
        ...profile.params,
        block: err.blockIndex,
        code: err.code,
        // Full hashes, one form: the core's message shortens a long previous_hash.
        message: edit ? edit[0] : err.message,
        ...(edited
          ? {
              edited: edited.edited,
              edited_hash: edited.hash,
              recorded_hash: edited.recorded === undefined ? null : edited.recorded,
            }
          : {}),
      },
      `INVALID (${rules}): ${verdict}\n  ${detail}`,
      'err',
    );
    return 1;
  }
  return reportValid(profile, blocks.length, (blocks[blocks.length - 1] as Block).hash);
}

/**
 * The one-pass scan of a tutorial chain: under `--profile` when given, else as seed then master
 * (their genesis blocks differ, so at most one can pass). Null when the scanner is not sure, or the
 * options name the ledger or a profile the scanner does not know.
 */
async function scanTutorialChain(
  bytes: Uint8Array,
  options: VerifyOptions,
): Promise<(ChainSummary & { profile: RuleProfile }) | null> {
  const names = options.profile === undefined ? ['seed', 'master'] : [options.profile];
  // A small file is hashed with node:crypto: loading the native addon costs more than it saves.
  const hashBatch =
    bytes.length < NATIVE_HASH_MIN_BYTES
      ? (await import('../node/crypto-hash-batch.js')).cryptoHashBatch
      : (await import('../node/hash-batch.js')).bestHashBatch();
  for (const name of names) {
    if (name !== 'seed' && name !== 'master') return null;
    let profile: RuleProfile & ChainTextScanner;
    try {
      profile = createTutorialProfile(name, options.difficulty === undefined ? {} : { difficulty: options.difficulty });
    } catch {
      return null; // a wrong --difficulty: the general path reports it
    }
    // Large files on every core: starting a worker costs more than it saves below this.
    if (bytes.length >= VERIFY_PARALLEL_MIN_BYTES) {
      const { ChainScanPool } = await import('../node/chain-scan-pool.js');
      const pool = new ChainScanPool();
      try {
        const summary = await pool.scan(profile, bytes).catch(() => null);
        if (summary?.scanned) return { ...summary, profile };
      } finally {
        await pool.close();
      }
      continue;
    }
    const summary = profile.scanChainText(bytes, hashBatch);
    if (summary) return { ...summary, scanned: true, profile };
  }
  return null;
}
