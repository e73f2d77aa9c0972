/**
 * The registry of built-in profiles: a name on the command line to the rule object the node is
 * given. Apart from the interface (`profile.ts`) so that a profile module never imports the registry
 * that lists it.
 */

import { BlockforgeError, ErrorCode } from './errors.js';
import type { GenesisSpec } from './ledger/genesis.js';
import { createLedgerProfile } from './ledger/ledger-profile.js';
import type { SignatureVerifier } from './ledger/transaction.js';
import { PROFILE_NAMES, type ProfileName } from './names.js';
import type { RuleProfile } from './profile.js';
import { createTutorialProfile } from './tutorial-profile.js';

export { PROFILE_NAMES, type ProfileName, TUTORIAL_PROFILE_NAMES } from './names.js';

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

export { createTutorialProfile } from './tutorial-profile.js';
