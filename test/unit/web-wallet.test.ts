/**
 * The browser wallet's pure parts (web/src/wallet-*.ts): coins read exactly with bigint, keys made,
 * imported and unlocked through the KeyStore interface (an in-memory fake for IndexedDB), payments
 * signed and checked with the core's code, and merkle proofs walked level by level.
 */

import { describe, expect, it } from 'vitest';
import { BlockforgeError } from '../../src/core/errors.js';
import { parseJson } from '../../src/core/json.js';
import { clientTxError, decodePayment } from '../../src/core/ledger/codec.js';
import { addressOf, publicKeyOf } from '../../src/core/ledger/keys.js';
import { createKeystore, keystoreJson, parseKeystore } from '../../src/core/ledger/keystore.js';
import { createLedgerProfile } from '../../src/core/ledger/ledger-profile.js';
import { inclusionProof, merkleRoot } from '../../src/core/ledger/merkle.js';
import { MAX_U63 } from '../../src/core/ledger/transaction.js';
import { sha256Bytes, toHex } from '../../src/core/sha256.js';
import { formatCoins, parseCoins, unitsOf } from '../../web/src/wallet-coins.js';
import { importKey, keysOf, MemoryKeyStore, makeKey, unlockStored, WalletKeyError } from '../../web/src/wallet-keys.js';
import { checkPastedPayment, forgeSignature, messageParts, signNewPayment } from '../../web/src/wallet-payment.js';
import { includes, walkProof } from '../../web/src/wallet-proof.js';
import { testGenesis, testWallet } from '../support/ledger.js';

/** Fast scrypt for tests (the page uses the default 2^15). */
const FAST = { n: 1024 };

const units = (text: string, allowZero = false): bigint | string => {
  const r = parseCoins(text, allowZero);
  return r.ok ? r.units : r.problem;
};

describe('coins, read exactly', () => {
  it('reads coins as base units with bigint', () => {
    expect(units('1.5')).toBe(150_000_000n);
    expect(units(' 2 ')).toBe(200_000_000n);
    expect(units('0.00000001')).toBe(1n);
    expect(units('0.1')).toBe(10_000_000n);
    expect((units('0.1') as bigint) + (units('0.2') as bigint)).toBe(units('0.3'));
    expect(units('007.10')).toBe(710_000_000n);
    expect(units('92233720368.54775807')).toBe(MAX_U63);
    expect(units('0', true)).toBe(0n);
  });

  it('refuses what is not an amount, saying why', () => {
    expect(units('')).toBe('empty');
    expect(units('   ')).toBe('empty');
    expect(units('-1')).toBe('syntax');
    expect(units('+1')).toBe('syntax');
    expect(units('1e5')).toBe('syntax');
    expect(units('1,5')).toBe('syntax');
    expect(units('1.')).toBe('syntax');
    expect(units('.5')).toBe('syntax');
    expect(units('NaN')).toBe('syntax');
    expect(units('1.000000001')).toBe('decimals');
    expect(units('92233720368.54775808')).toBe('range');
    expect(units('1'.repeat(40))).toBe('range');
    expect(units('0')).toBe('zero');
    expect(units('0.00000000')).toBe('zero');
  });

  it('writes base units as coins, exactly, and back', () => {
    expect(formatCoins(150_000_000n)).toBe('1.5');
    expect(formatCoins(1000n)).toBe('0.00001');
    expect(formatCoins(0n)).toBe('0');
    expect(formatCoins(5_000_000_000n)).toBe('50');
    expect(formatCoins(MAX_U63)).toBe('92233720368.54775807');
    for (const n of [1n, 99n, 100_000_000n, 123_456_789_012n, MAX_U63]) expect(units(formatCoins(n))).toBe(n);
    expect(unitsOf('150000000')).toBe(150_000_000n);
    expect(unitsOf('01')).toBeNull();
    expect(unitsOf(5)).toBeNull();
  });
});

describe('keys in the browser store', () => {
  it('makes a key, keeps only its encrypted keystore, and unlocks it with the passphrase alone', async () => {
    const store = new MemoryKeyStore();
    const key = await makeKey(store, 'bft', 'correct horse', 'correct horse', FAST);
    expect(key.address).toBe(addressOf('bft', key.publicKey));
    const stored = await store.get(key.address);
    expect(stored?.keystore.encrypted).toBe(true);
    // No secret in what is stored: only the ciphertext.
    expect(JSON.stringify(stored)).not.toContain(toHex(key.secretKey));
    // The export is the CLI's file format.
    expect(parseKeystore(JSON.parse(keystoreJson(stored!.keystore))).address).toBe(key.address);
    const again = await unlockStored(store, key.address, 'correct horse');
    expect(toHex(again.secretKey)).toBe(toHex(key.secretKey));
    await expect(unlockStored(store, key.address, 'wrong')).rejects.toMatchObject({ code: 'WRONG_PASSPHRASE' });
    expect((await keysOf(store, 'bft')).map((k) => k.address)).toEqual([key.address]);
    expect(await keysOf(store, 'bfd')).toEqual([]);
    await store.remove(key.address);
    expect(await store.list()).toEqual([]);
  });

  it('refuses an empty passphrase and two that differ', async () => {
    const store = new MemoryKeyStore();
    await expect(makeKey(store, 'bft', '', '', FAST)).rejects.toMatchObject({ problem: 'passphraseEmpty' });
    await expect(makeKey(store, 'bft', 'a', 'b', FAST)).rejects.toMatchObject({ problem: 'passphraseMismatch' });
    expect(await store.list()).toEqual([]);
  });

  it('imports a CLI keystore: an encrypted one as it is, an unencrypted one encrypted first', async () => {
    const store = new MemoryKeyStore();
    const wallet = testWallet(7);
    const encrypted = await createKeystore(wallet.secretKey, 'bft', 'pass', FAST);
    const key = await importKey(store, 'bft', keystoreJson(encrypted), 'pass', FAST);
    expect(key.address).toBe(wallet.address);
    expect((await store.get(wallet.address))?.keystore).toEqual(encrypted);

    const other = testWallet(8);
    const plain = await createKeystore(other.secretKey, 'bft', null);
    await expect(importKey(store, 'bft', keystoreJson(plain), '', FAST)).rejects.toMatchObject({
      problem: 'needPassphrase',
    });
    await importKey(store, 'bft', keystoreJson(plain), 'new pass', FAST);
    const stored = await store.get(other.address);
    expect(stored?.keystore.encrypted).toBe(true);
    expect(toHex((await unlockStored(store, other.address, 'new pass')).secretKey)).toBe(toHex(other.secretKey));
  });

  it('names what is wrong with a file: not JSON, another network, a wrong passphrase, an altered file', async () => {
    const store = new MemoryKeyStore();
    await expect(importKey(store, 'bft', 'not json', 'x')).rejects.toBeInstanceOf(WalletKeyError);
    const wallet = testWallet(9, 'bfd');
    const file = await createKeystore(wallet.secretKey, 'bfd', 'pass', FAST);
    await expect(importKey(store, 'bft', keystoreJson(file), 'pass')).rejects.toMatchObject({
      problem: 'otherNetwork',
      detail: { theirs: 'bfd', ours: 'bft' },
    });
    await expect(importKey(store, 'bfd', keystoreJson(file), 'nope')).rejects.toMatchObject({
      code: 'WRONG_PASSPHRASE',
    });
    const altered = keystoreJson(file).replace(/"n": 1024/, '"n": 1000');
    const err = await importKey(store, 'bfd', altered, 'pass').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BlockforgeError);
    expect((err as BlockforgeError).message).toContain('kdf.n');
    expect(await store.list()).toEqual([]);
  });
});

describe('payments signed in the browser', () => {
  const alice = testWallet(1);
  const bob = testWallet(2);
  const profile = createLedgerProfile(testGenesis([[alice, 100n * 100_000_000n]]));
  const network = { chainId: profile.chainId, hrp: 'bft' };

  it('signs the 113-byte message, and the node reads the same payment and id', () => {
    const p = signNewPayment(network, alice.secretKey, alice.publicKey, bob.address, 150_000_000n, 1000n, 0n);
    expect(p.messageHex).toHaveLength(226);
    expect(p.signatureHex).toHaveLength(128);
    expect(p.browserValid).toBe(true);
    const parts = messageParts(p.messageHex);
    expect(parts.map((x) => x.part)).toEqual(['tag', 'chain', 'from', 'to', 'amount', 'fee', 'nonce']);
    expect(parts[0]?.hex).toBe(toHex(new TextEncoder().encode('BFTX1')));
    expect(parts[1]?.hex).toBe(profile.chainId);
    expect(parts[2]?.hex).toBe(toHex(alice.publicKey));
    expect(parts[4]?.hex).toBe('0000000008f0d180');
    expect(parts.map((x) => x.hex).join('')).toBe(p.messageHex);
    const tx = profile.parseTransaction(parseJson(p.body) as never);
    expect(tx.id).toBe(p.id);
    const decoded = decodePayment(parseJson(p.body), 'bft', clientTxError);
    expect(decoded.sender).toBe(alice.address);
    expect(toHex(sha256Bytes(new Uint8Array([...Buffer.from(p.messageHex + p.signatureHex, 'hex')])))).toBe(p.id);
  });

  it('refuses a mistyped recipient with the core message', () => {
    const typo = `${bob.address.slice(0, -1)}${bob.address.endsWith('q') ? 'p' : 'q'}`;
    expect(() => signNewPayment(network, alice.secretKey, alice.publicKey, typo, 1n, 1000n, 0n)).toThrow(
      /checksum|typo/,
    );
  });

  it('checks a pasted payment: the original is valid, a forged signature is not', () => {
    const p = signNewPayment(network, alice.secretKey, alice.publicKey, bob.address, 5n, 1000n, 3n);
    const same = checkPastedPayment(p.body, 'bft');
    expect(same.ok && same.payment.browserValid).toBe(true);
    const forged = forgeSignature(p.body);
    expect(forged).not.toBe(p.body);
    expect(JSON.parse(forged).sig).not.toBe(JSON.parse(p.body).sig);
    const checked = checkPastedPayment(forged, 'bft');
    expect(checked.ok).toBe(true);
    if (checked.ok) {
      expect(checked.payment.browserValid).toBe(false);
      expect(checked.payment.body).toBe(forged);
      expect(checked.payment.messageHex).toBe(p.messageHex);
    }
    const broken = checkPastedPayment('{"amount": 5}', 'bft');
    expect(broken).toMatchObject({ ok: false, code: 'INVALID_TRANSACTION' });
    expect(checkPastedPayment('{', 'bft')).toMatchObject({ ok: false });
    expect(publicKeyOf(alice.secretKey)).toEqual(alice.publicKey);
  });
});

describe('merkle proofs walked level by level', () => {
  const ids = (n: number): Uint8Array[] =>
    Array.from({ length: n }, (_, k) => sha256Bytes(new TextEncoder().encode(`tx ${k}`)));

  it('arrives at the root of every tree of 1 to 13 entries, from every index', () => {
    for (let size = 1; size <= 13; size++) {
      const entries = ids(size);
      const root = toHex(merkleRoot(entries));
      for (let index = 0; index < size; index++) {
        const proof = inclusionProof(entries, index);
        const json = { index, size, path: proof.path.map(toHex) };
        const id = toHex(entries[index] as Uint8Array);
        const walk = walkProof(id, json);
        expect(walk.root, `size ${size} index ${index}`).toBe(root);
        expect(walk.steps).toHaveLength(proof.path.length);
        if (walk.steps.length > 0) expect(walk.steps[walk.steps.length - 1]?.parent).toBe(root);
        expect(includes(id, json, root)).toBe(true);
      }
    }
  });

  it('arrives elsewhere with an altered sibling, and not at all with a proof that does not fit', () => {
    const entries = ids(6);
    const root = toHex(merkleRoot(entries));
    const proof = inclusionProof(entries, 4);
    const id = toHex(entries[4] as Uint8Array);
    const path = proof.path.map(toHex);
    const altered = [...path];
    altered[0] = `${altered[0]?.startsWith('0') ? '1' : '0'}${altered[0]?.slice(1)}`;
    const walk = walkProof(id, { index: 4, size: 6, path: altered });
    expect(walk.root).not.toBe(root);
    expect(includes(id, { index: 4, size: 6, path: altered }, root)).toBe(false);
    expect(walkProof(id, { index: 4, size: 6, path: [...path, path[0] as string] }).root).toBeNull();
    expect(walkProof(id, { index: 6, size: 6, path }).root).toBeNull();
    expect(includes(id, { index: 4, size: 6, path }, 'not hex')).toBe(false);
  });
});
