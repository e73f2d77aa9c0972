/**
 * Why a block is valid, recomputed in the browser: its canonical text, its hash, its proof-of-work
 * digest, and, for an edited copy, which rule it breaks. The verdict comes from the node's own
 * rule profile (src/core, bundled), so the page refuses exactly what the node refuses.
 */

import { canonicalJson, hashJson } from '../../src/core/canonical.js';
import { BranchValidator } from '../../src/core/chain.js';
import { BlockforgeError } from '../../src/core/errors.js';
import { isJsonObject, JsonNumber, type JsonObject, type JsonValue, parseJson } from '../../src/core/json.js';
import type { ChainView } from '../../src/core/profile.js';
import type { TutorialProfile } from '../../src/core/tutorial-profile.js';
import { messages } from './i18n.js';
import { sha256HexSync, toHex } from './sha256.js';

/**
 * The checks' labels and details. Spans in backticks are identifiers (the page shows them as code):
 * the Chinese text marks them so; the English reads as plain sentences.
 */
const t = messages(
  'verify',
  {
    indexIs: 'index is {n}',
    indexDetail: 'index {index}',
    previousIs: 'previous_hash is the hash of block {prev}',
    previousDetail: 'previous_hash {link}; hash of block {prev}: {hash}',
    powLabel: 'proof of work: sha256({formula}) starts with {d} zeros',
    notNumber: 'proof is not a number',
    digestDetail: 'sha256("{message}") = {digest}',
    nextPoints: "block {next} still points here (its previous_hash is this block's hash)",
    nextDetail: 'block {next} says {their}; this copy hashes to {hash}',
    nextPow: "block {next}'s proof of work still holds (its puzzle starts from this block's proof{andHash})",
    andHash: ' and hash',
  },
  {
    indexIs: '`index` 为 {n}',
    indexDetail: '`index` {index}',
    previousIs: '`previous_hash` 等于区块 {prev} 的哈希',
    previousDetail: '`previous_hash` {link}；区块 {prev} 的哈希：{hash}',
    powLabel: '工作量证明：`sha256({formula})` 以 {d} 个零开头',
    notNumber: '`proof` 不是数字',
    digestDetail: '`sha256("{message}") = {digest}`',
    nextPoints: '区块 {next} 仍然指向这里（它的 `previous_hash` 是本区块的哈希）',
    nextDetail: '区块 {next} 记录的是 {their}；这份副本的哈希是 {hash}',
    nextPow: '区块 {next} 的工作量证明仍然成立（它的谜题从本区块的 `proof`{andHash}开始）',
    andHash: '和哈希',
  },
);

/** A digest and how the browser computed it. */
export interface Digest {
  readonly hex: string;
  /** `Web Crypto` (crypto.subtle), or the page's own SHA-256 where Web Crypto is missing. */
  readonly via: 'Web Crypto' | 'JavaScript';
}

interface SubtleLike {
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
}

/**
 * SHA-256 of the UTF-8 bytes of `text` with Web Crypto. Browsers offer it only to secure pages
 * (https, localhost); elsewhere (a phone on http://192.168.x.y:5000) the page's own SHA-256 is used.
 */
export async function sha256(text: string): Promise<Digest> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleLike } }).crypto?.subtle;
  if (subtle) {
    const bytes = new TextEncoder().encode(text);
    return { hex: toHex(new Uint8Array(await subtle.digest('SHA-256', bytes))), via: 'Web Crypto' };
  }
  return { hex: sha256HexSync(text), via: 'JavaScript' };
}

/** Leading hex zeros of a digest. */
export function leadingZeros(hex: string): number {
  let n = 0;
  while (n < hex.length && hex[n] === '0') n++;
  return n;
}

/** Decimal text of a block's proof, or null when it is not a number. */
function proofText(block: JsonObject): string | null {
  return block.proof instanceof JsonNumber ? block.proof.text : null;
}

/**
 * The text whose SHA-256 must start with `difficulty` zeros for `block` to follow `prev`:
 * `{last_proof}{proof}` (seed) or `{last_proof}{proof}{last_hash}` (master). Null when a proof is
 * not a number.
 */
export function powMessage(profile: TutorialProfile, prev: JsonObject, block: JsonObject): string | null {
  const last = proofText(prev);
  const proof = proofText(block);
  if (last === null || proof === null) return null;
  const challenge = profile.powChallengeFor(last, hashJson(prev));
  return challenge.prefix + proof + challenge.suffix;
}

/** One rule checked on a copy of a block. */
export interface RuleCheck {
  /** The node's error code when this rule is broken. */
  readonly rule: string;
  readonly label: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What an edited copy of block `n` does to the chain. */
export interface CopyReport {
  /** The copy's canonical text and hash (absent when it is not JSON). */
  readonly canonical?: string;
  readonly hash?: string;
  /** The rules a learner can follow one by one. */
  readonly checks: readonly RuleCheck[];
  /** The node's verdict on the chain with this copy in place: null when it would accept it. */
  readonly verdict: { code: string; message: string } | null;
}

/**
 * Validates a chain's prefix once (the trusted blocks before the one being edited), so each
 * keystroke in the editor validates two blocks, not the whole chain.
 */
export class CopyChecker {
  /** The chain before the edited block, validated once. */
  private readonly prefix: ChainView | null;

  /**
   * @param chain the node's chain, genesis first (lossless JSON)
   * @param n the 1-based index of the block being edited
   */
  constructor(
    private readonly profile: TutorialProfile,
    private readonly chain: readonly JsonObject[],
    private readonly n: number,
  ) {
    const before = chain.slice(0, n - 1);
    this.prefix = before.length > 0 ? new BranchValidator(profile, null).add(before).view : null;
  }

  /** Checks `text`, an edited copy of block `n`, against its neighbours. */
  check(text: string): CopyReport {
    let copy: JsonValue;
    try {
      copy = parseJson(text);
    } catch (err) {
      return { checks: [], verdict: verdictOf(err) };
    }
    const { profile, chain, n } = this;
    const prev = chain[n - 2];
    const next = chain[n];
    const checks: RuleCheck[] = [];
    let canonical: string | undefined;
    let hash: string | undefined;
    if (isJsonObject(copy)) {
      canonical = canonicalJson(copy);
      hash = hashJson(copy);
      const zeros = '0'.repeat(profile.difficulty);
      const index = copy.index instanceof JsonNumber ? copy.index.text : String(copy.index);
      checks.push({
        rule: 'INDEX_SEQUENCE',
        label: t('indexIs', { n: String(n) }),
        ok: index === String(n),
        detail: t('indexDetail', { index }),
      });
      if (prev) {
        const prevHash = hashJson(prev);
        const link = copy.previous_hash;
        checks.push({
          rule: 'PREVIOUS_HASH_MISMATCH',
          label: t('previousIs', { prev: String(n - 1) }),
          ok: link === prevHash,
          detail: t('previousDetail', {
            link: typeof link === 'string' ? link : String(link),
            prev: String(n - 1),
            hash: prevHash,
          }),
        });
        const message = powMessage(profile, prev, copy);
        const digest = message === null ? null : sha256HexSync(message);
        checks.push({
          rule: 'PROOF_OF_WORK',
          label: t('powLabel', {
            formula: profile.powIncludesPreviousHash ? 'last_proof + proof + last_hash' : 'last_proof + proof',
            d: profile.difficulty,
          }),
          ok: digest?.startsWith(zeros) === true,
          detail: digest === null ? t('notNumber') : t('digestDetail', { message: message ?? '', digest }),
        });
      }
      if (next) {
        checks.push({
          rule: 'PREVIOUS_HASH_MISMATCH',
          label: t('nextPoints', { next: String(n + 1) }),
          ok: next.previous_hash === hash,
          detail: t('nextDetail', { next: String(n + 1), their: String(next.previous_hash), hash }),
        });
        const message = powMessage(profile, copy, next);
        const digest = message === null ? null : sha256HexSync(message);
        checks.push({
          rule: 'PROOF_OF_WORK',
          label: t('nextPow', { next: String(n + 1), andHash: profile.powIncludesPreviousHash ? t('andHash') : '' }),
          ok: digest?.startsWith(zeros) === true,
          detail: digest === null ? t('notNumber') : t('digestDetail', { message: message ?? '', digest }),
        });
      }
    }
    let verdict: CopyReport['verdict'] = null;
    try {
      new BranchValidator(profile, this.prefix).add(next ? [copy, next] : [copy]);
    } catch (err) {
      verdict = verdictOf(err);
    }
    return { ...(canonical === undefined ? {} : { canonical, hash }), checks, verdict };
  }
}

function verdictOf(err: unknown): { code: string; message: string } {
  if (err instanceof BlockforgeError) return { code: err.code, message: err.message };
  return { code: 'ERROR', message: (err as Error).message ?? String(err) };
}
