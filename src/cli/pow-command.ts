/** `blockforge pow`: one proof-of-work search, as the node's miner runs it. */

import { BlockforgeError, ErrorCode } from '../core/errors.js';
import { powDigest } from '../core/pow.js';
import type { KernelName } from '../core/pow-kernel.js';
import { createTutorialProfile } from '../core/profiles.js';
import { type MiningProgress, ProofMiner } from '../node/miner.js';

/** Parsed options of `blockforge pow`. */
export interface PowOptions {
  lastProof: string;
  lastHash?: string;
  profile: string;
  difficulty?: number;
  threads?: number;
  /** The kernel (default: native where the CPU has SHA instructions, else wasm). */
  kernel?: KernelName;
  json?: boolean;
}

const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const grouped = new Intl.NumberFormat('en');

/** Runs the search; resolves with the process exit code. */
export async function runPow(options: PowOptions): Promise<number> {
  const profile = createTutorialProfile(
    options.profile,
    options.difficulty === undefined ? {} : { difficulty: options.difficulty },
  );
  if (profile.powIncludesPreviousHash && options.lastHash === undefined) {
    throw new BlockforgeError(
      ErrorCode.InvalidOption,
      `the ${profile.name} profile needs --last-hash (the previous block's hash)`,
    );
  }
  if (!profile.powIncludesPreviousHash && options.lastHash !== undefined) {
    throw new BlockforgeError(ErrorCode.InvalidOption, `the ${profile.name} profile does not use --last-hash`);
  }
  const challenge = profile.powChallengeFor(options.lastProof, options.lastHash ?? '');
  const miner = new ProofMiner({
    ...(options.kernel === undefined ? {} : { kernel: options.kernel }),
    ...(options.threads === undefined ? {} : { threads: options.threads }),
  });
  const controller = new AbortController();
  const onSignal = (): void => controller.abort(new BlockforgeError(ErrorCode.ShuttingDown, 'interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const live = process.stderr.isTTY === true && !options.json;
  const expected = 16 ** profile.difficulty;
  let lastDraw = 0;
  const draw = (p: MiningProgress): void => {
    const now = performance.now();
    if (now - lastDraw < 200) return;
    lastDraw = now;
    process.stderr.write(
      `\r  ${compact.format(p.rate)} hashes/s, ${compact.format(p.hashes)} tried of ~${compact.format(expected)} expected (16^${profile.difficulty}), ${p.seconds.toFixed(1)} s  `,
    );
  };
  try {
    const result = await miner.search(challenge, { signal: controller.signal, ...(live ? { onProgress: draw } : {}) });
    if (live) process.stderr.write('\r\x1b[2K');
    const digest = powDigest(challenge, String(result.proof));
    const seconds = Math.round(result.seconds * 1e6) / 1e6;
    const rate = Math.round(result.rate);
    if (options.json) {
      console.log(JSON.stringify({ proof: result.proof, digest, tries: result.tries, seconds, rate }));
    } else {
      console.log(`proof    ${result.proof}`);
      console.log(`digest   ${digest}`);
      console.log(`tries    ${grouped.format(result.tries)} (expected ~${grouped.format(expected)})`);
      console.log(`seconds  ${seconds}`);
      console.log(`rate     ${compact.format(rate)} hashes/s (${miner.kernel} kernel, ${miner.threads} threads)`);
    }
    return 0;
  } catch (err) {
    if (live) process.stderr.write('\r\x1b[2K');
    if (controller.signal.aborted) {
      console.error('blockforge: interrupted');
      return 130;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await miner.close();
  }
}
