/**
 * The registry of built-in profiles: a name on the command line to the rule object the node is
 * given. Apart from the interface (`profile.ts`) so that a profile module never imports the registry
 * that lists it.
 */

import { BlockforgeError, ErrorCode } from './errors.js';
import type { GenesisSpec } from './ledger/genesis.js';
import { createLedgerProfile } from './ledger/ledger-profile.js';
import type { SignatureVerifier } from './ledger/transaction.js';
import { PROFILE_NAMES, type ProfileName, type TUTORIAL_PROFILE_NAMES } from './names.js';
import type { RuleProfile } from './profile.js';
import {
  DEFAULT_MAX_BLOCK_BYTES,
  MASTER_SPEC,
  SEED_SPEC,
  type TutorialProfile,
  type TutorialProfileSpec,
  tutorialProfile,
} from './tutorial-profile.js';

export { PROFILE_NAMES, type ProfileName, TUTORIAL_PROFILE_NAMES } from './names.js';

type TutorialProfileName = (typeof TUTORIAL_PROFILE_NAMES)[number];

const TUTORIAL_SPECS: Record<TutorialProfileName, TutorialProfileSpec> = { seed: SEED_SPEC, master: MASTER_SPEC };

/** Options for {@link createProfile}. */
export interface ProfileOptions {
  /** Leading hex zeros; the tutorial's 4 when omitted. */
  difficulty?: number;
  /** Policy: largest block this node forges, in canonical bytes (default 4 MiB). */
  maxBlockBytes?: number;
  /** The ledger's network (its genesis file); the built-in devnet when omitted. */
  genesis?: GenesisSpec;
  /** The ledger's Ed25519 verifier (noble-strict when omitted; see LedgerOptions). */
  verifySignature?: SignatureVerifier;
}

function assertProfileName(name: string): ProfileName {
  if (!(PROFILE_NAMES as readonly string[]).includes(name)) {
    throw new BlockforgeError(
      ErrorCode.UnknownProfile,
      `unknown profile "${name}" (choose one of: ${PROFILE_NAMES.join(', ')})`,
    );
  }
  return name as ProfileName;
}

/** Returns the built-in profile `name` with the given options. */
export function createProfile(name: string, options: ProfileOptions = {}): RuleProfile {
  if (assertProfileName(name) === 'ledger') {
    if (options.difficulty !== undefined) {
      throw new BlockforgeError(
        ErrorCode.InvalidOption,
        'the ledger profile retargets its difficulty itself: set the start with a genesis file (blockforge genesis --expected-hashes N)',
      );
    }
    return createLedgerProfile(options.genesis, {
      ...(options.maxBlockBytes === undefined ? {} : { maxBlockBytes: options.maxBlockBytes }),
      ...(options.verifySignature === undefined ? {} : { verifySignature: options.verifySignature }),
    });
  }
  return createTutorialProfile(name, options);
}

/**
 * A tutorial profile (`seed`, `master`) with its tutorial-only tools, for the tools that need them
 * (`blockforge pow`, the explorer's proof-of-work view).
 */
export function createTutorialProfile(name: string, options: ProfileOptions = {}): TutorialProfile {
  const known = assertProfileName(name);
  if (known === 'ledger') {
    throw new BlockforgeError(
      ErrorCode.UnknownProfile,
      "the ledger profile is not one of the tutorial's (seed, master)",
    );
  }
  const spec = TUTORIAL_SPECS[known];
  return tutorialProfile(spec, options.difficulty ?? spec.defaultDifficulty, {
    maxBlockBytes: options.maxBlockBytes ?? DEFAULT_MAX_BLOCK_BYTES,
  });
}
