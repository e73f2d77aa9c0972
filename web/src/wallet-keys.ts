/**
 * The browser wallet's keys: each kept as a keystore (the CLI's format, docs/ledger-protocol.md
 * section 11), always encrypted with a passphrase, in IndexedDB. The secret key is decrypted only in
 * memory, while the page is open and the key unlocked; it is never sent anywhere (the node receives
 * signed payments only). The storage is behind {@link KeyStore} so the logic is tested with an
 * in-memory fake; the IndexedDB one is in wallet-idb.ts.
 */

import { BlockforgeError, ErrorCode } from '../../src/core/errors.js';
import { newSecretKey } from '../../src/core/ledger/keys.js';
import {
  type CreateKeystoreOptions,
  createKeystore,
  type EncryptedKeystore,
  parseKeystore,
  type UnlockedKey,
  unlockKeystore,
} from '../../src/core/ledger/keystore.js';

/** One stored key: its keystore (encrypted) and when it was added. */
export interface StoredKey {
  /** The address (the record's key). */
  readonly address: string;
  /** The network's address prefix. */
  readonly network: string;
  readonly keystore: EncryptedKeystore;
  /** Unix milliseconds. */
  readonly added: number;
}

/** Where the keys are kept: IndexedDB in the page, a Map in the tests. */
export interface KeyStore {
  list(): Promise<StoredKey[]>;
  get(address: string): Promise<StoredKey | undefined>;
  put(key: StoredKey): Promise<void>;
  remove(address: string): Promise<void>;
}

/** A {@link KeyStore} in memory (tests). */
export class MemoryKeyStore implements KeyStore {
  readonly keys = new Map<string, StoredKey>();
  async list(): Promise<StoredKey[]> {
    return [...this.keys.values()].sort((a, b) => a.added - b.added);
  }
  async get(address: string): Promise<StoredKey | undefined> {
    return this.keys.get(address);
  }
  async put(key: StoredKey): Promise<void> {
    this.keys.set(key.address, structuredClone(key));
  }
  async remove(address: string): Promise<void> {
    this.keys.delete(address);
  }
}

/** Problems the wallet names itself (the page translates them); the core's errors keep their message. */
export type KeyProblem = 'passphraseEmpty' | 'passphraseMismatch' | 'otherNetwork' | 'notJson' | 'needPassphrase';

/** A wallet problem with its kind and, for the core's errors, the core's message. */
export class WalletKeyError extends Error {
  constructor(
    readonly problem: KeyProblem,
    readonly detail: Readonly<Record<string, string>> = {},
  ) {
    super(problem);
    this.name = 'WalletKeyError';
  }
}

/**
 * Makes a key in the browser (`newSecretKey`: WebCrypto randomness) and stores its keystore,
 * encrypted under `passphrase`. Returns the key, unlocked.
 */
export async function makeKey(
  store: KeyStore,
  hrp: string,
  passphrase: string,
  confirm: string,
  options: CreateKeystoreOptions = {},
  secretKey: Uint8Array = newSecretKey(),
): Promise<UnlockedKey> {
  if (passphrase === '') throw new WalletKeyError('passphraseEmpty');
  if (passphrase !== confirm) throw new WalletKeyError('passphraseMismatch');
  const keystore = (await createKeystore(secretKey, hrp, passphrase, options)) as EncryptedKeystore;
  await store.put({ address: keystore.address, network: keystore.network, keystore, added: Date.now() });
  return unlockKeystore(keystore, passphrase);
}

/**
 * Imports a keystore file's text: checked (`parseKeystore`), for this network, and unlocked with
 * `passphrase` (`unlockKeystore`: a wrong one fails its tag). An encrypted file is stored as it is;
 * an unencrypted one (`--no-passphrase`) only encrypted under `passphrase`, which it then needs.
 */
export async function importKey(
  store: KeyStore,
  hrp: string,
  fileText: string,
  passphrase: string,
  options: CreateKeystoreOptions = {},
): Promise<UnlockedKey> {
  let json: unknown;
  try {
    json = JSON.parse(fileText);
  } catch (err) {
    throw new WalletKeyError('notJson', { reason: (err as Error).message });
  }
  const keystore = parseKeystore(json);
  if (keystore.network !== hrp) {
    throw new WalletKeyError('otherNetwork', { theirs: keystore.network, ours: hrp });
  }
  if (!keystore.encrypted && passphrase === '') throw new WalletKeyError('needPassphrase');
  const unlocked = await unlockKeystore(keystore, keystore.encrypted ? passphrase : null);
  const stored = keystore.encrypted
    ? keystore
    : ((await createKeystore(unlocked.secretKey, hrp, passphrase, options)) as EncryptedKeystore);
  await store.put({ address: stored.address, network: stored.network, keystore: stored, added: Date.now() });
  return unlocked;
}

/** Unlocks a stored key. Throws the core's WRONG_PASSPHRASE for a wrong passphrase. */
export async function unlockStored(store: KeyStore, address: string, passphrase: string): Promise<UnlockedKey> {
  const stored = await store.get(address);
  if (!stored) throw new BlockforgeError(ErrorCode.NotFound, `no key for ${address} in this browser`);
  return unlockKeystore(stored.keystore, passphrase);
}

/** The keys of the network whose prefix is `hrp`, oldest first. */
export async function keysOf(store: KeyStore, hrp: string): Promise<StoredKey[]> {
  return (await store.list()).filter((key) => key.network === hrp);
}
