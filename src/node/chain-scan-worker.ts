/**
 * A worker thread of {@link ChainScanPool}: scans the part of a chain text it is asked for with the
 * profile's one-pass scanner, and answers the part (or null when not sure).
 */

import { parentPort } from 'node:worker_threads';
import { hasChainScanner } from '../core/chain-scan.js';
import type { RuleProfile } from '../core/profile.js';
import { createProfile } from '../core/profiles.js';
import type { ScanJob, ScanReply } from './chain-scan-pool.js';
import { bestHashBatch } from './hash-batch.js';

/** Profiles built here, by name and parameters (a pool serves one node: one or two entries). */
const profiles = new Map<string, RuleProfile>();

function profileFor(job: ScanJob): RuleProfile {
  const key = `${job.profile} ${JSON.stringify(job.params)}`;
  let profile = profiles.get(key);
  if (!profile) {
    const difficulty = job.params.difficulty;
    profile = createProfile(job.profile, typeof difficulty === 'number' ? { difficulty } : {});
    if (profiles.size > 8) profiles.clear();
    profiles.set(key, profile);
  }
  return profile;
}

parentPort?.on('message', (job: ScanJob) => {
  let part: ScanReply['part'] = null;
  try {
    const profile = profileFor(job);
    if (hasChainScanner(profile) && profile.scanChainPart) {
      part = profile.scanChainPart(job.bytes, job.start, job.stopAt, bestHashBatch());
    }
  } catch {
    part = null; // a profile this thread cannot build: the main thread scans the part itself
  }
  const reply: ScanReply = { id: job.id, part };
  parentPort?.postMessage(reply);
});
