/**
 * The ledger profile's keys, addresses and payments (docs/ledger-protocol.md sections 2-3): the RFC
 * 8032 test vectors, bech32m addresses that catch typos and other networks, and the signed payment
 * message: 113 bytes, single-use by its chain id and nonce, any change of a field refused.
 */

import { describe, expect, it } from 'vitest';
import { BlockforgeError } from '../../src/core/errors.js';
import {
  accountId,
  addressOf,
  encodeAddress,
  newSecretKey,
  parseAddress,
  publicKeyOf,
  sign,
  verifySignature,
} from '../../src/core/ledger/keys.js';
import {
  type PaymentFields,
  paymentId,
  SIGNED_BYTES,
  signedMessage,
  signPayment,
  verifyPayment,
} from '../../src/core/ledger/transaction.js';
import { toHex } from '../../src/core/sha256.js';

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (b) => Number.parseInt(b, 16));

// RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (one byte).
const RFC8032 = [
  {
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

describe('Ed25519 (RFC 8032 vectors)', () => {
  it.each(RFC8032)('gives the RFC public key and signature, and verifies it', (v) => {
    expect(toHex(publicKeyOf(bytes(v.secret)))).toBe(v.public);
    expect(toHex(sign(bytes(v.message), bytes(v.secret)))).toBe(v.signature);
    expect(verifySignature(bytes(v.signature), bytes(v.message), bytes(v.public))).toBe(true);
    const flipped = bytes(v.signature);
    flipped[10] = (flipped[10] as number) ^ 1;
    expect(verifySignature(flipped, bytes(v.message), bytes(v.public))).toBe(false);
  });
});

describe('addresses', () => {
  const pub = bytes(RFC8032[0]?.public as string);

  it('round-trips through bech32m with the network prefix', () => {
    const address = addressOf('bfd', pub);
    expect(address.startsWith('bfd1')).toBe(true);
    expect(toHex(parseAddress('bfd', address))).toBe(toHex(accountId(pub)));
    expect(encodeAddress('bfd', accountId(pub))).toBe(address);
  });

  it('catches every one-character typo, another network and garbage, saying so', () => {
    const address = addressOf('bfd', pub);
    const charset = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
    for (let k = 4; k < address.length; k++) {
      const other = charset[(charset.indexOf(address[k] as string) + 1) % 32] as string;
      const typo = address.slice(0, k) + other + address.slice(k + 1);
      expect(() => parseAddress('bfd', typo), typo).toThrow(BlockforgeError);
    }
    expect(() => parseAddress('bfm', address)).toThrow(/network "bfd"/);
    expect(() => parseAddress('bfd', 'hello')).toThrow(/not an address/);
  });
});

describe('payments', () => {
  const secret = newSecretKey();
  const fields: PaymentFields = {
    chain: bytes('ab'.repeat(32)),
    from: publicKeyOf(secret),
    to: accountId(publicKeyOf(newSecretKey())),
    amount: 150_000_000n,
    fee: 1_000n,
    nonce: 0n,
  };

  it('signs a 113-byte message that starts with its tag, and verifies', () => {
    const message = signedMessage(fields);
    expect(message.length).toBe(SIGNED_BYTES);
    expect(SIGNED_BYTES).toBe(113);
    expect(new TextDecoder().decode(message.slice(0, 5))).toBe('BFTX1');
    const signature = signPayment(fields, secret);
    expect(verifyPayment(fields, signature)).toBe(true);
    expect(paymentId(fields, signature)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses the signature once any field changes: another chain, nonce, amount, fee, recipient or sender', () => {
    const signature = signPayment(fields, secret);
    const changed: PaymentFields[] = [
      { ...fields, chain: bytes('cd'.repeat(32)) },
      { ...fields, nonce: 1n },
      { ...fields, amount: fields.amount + 1n },
      { ...fields, fee: 0n },
      { ...fields, to: accountId(publicKeyOf(newSecretKey())) },
      { ...fields, from: publicKeyOf(newSecretKey()) },
    ];
    for (const other of changed) expect(verifyPayment(other, signature)).toBe(false);
    // A different payment has a different id.
    expect(paymentId({ ...fields, nonce: 1n }, signPayment({ ...fields, nonce: 1n }, secret))).not.toBe(
      paymentId(fields, signature),
    );
  });

  it('refuses amounts outside 0 .. 2^63 - 1', () => {
    expect(() => signedMessage({ ...fields, amount: -1n })).toThrow(RangeError);
    expect(() => signedMessage({ ...fields, amount: 1n << 63n })).toThrow(RangeError);
  });
});
