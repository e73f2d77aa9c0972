/**
 * The signature pool (src/node/signature-pool.ts), the signature cache and the node's verifier in
 * front of it (src/node/ed25519-verify.ts), and the ledger's list of signature checks
 * (`signatureChecks`): the pool's verdicts are noble-strict's, only valid triples are cached, the
 * cache is bounded, a block with one forged signature among 10,000 is refused as before, malformed
 * values are skipped, and a pool whose workers are missing, crash or are closed still verifies.
 */

import { createPrivateKey, sign as opensslSign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { Block } from '../../src/core/block.js';
import { BranchValidator, validateBranch } from '../../src/core/chain.js';
import { ChainRuleError, ErrorCode } from '../../src/core/errors.js';
import { type JsonObject, type JsonValue, parseJson, writeJson } from '../../src/core/json.js';
import { clientTxError, decodePayment, fromHex, type Payment, paymentJson } from '../../src/core/ledger/codec.js';
import { addressOf, parseAddress, publicKeyOf } from '../../src/core/ledger/keys.js';
import { createLedgerProfile, MAX_BLOCK_TRANSACTIONS } from '../../src/core/ledger/ledger-profile.js';
import { type PaymentFields, signedMessage } from '../../src/core/ledger/transaction.js';
import type { SignatureCheck } from '../../src/core/profile.js';
import {
  SignatureCache,
  sharedSignatureCache,
  signatureCacheKey,
  verifySignatureFast,
} from '../../src/node/ed25519-verify.js';
import { InlineSolver } from '../../src/node/miner.js';
import { closeNode, openNode } from '../../src/node/open-node.js';
import { createSignaturePrecheck, SignaturePool } from '../../src/node/signature-pool.js';
import { le32, leNumber } from '../support/ed25519.js';
import { tempDir } from '../support/harness.js';
import { forgeBlock, TEST_GENESIS_TIME, testGenesis } from '../support/ledger.js';

/** The compiled worker (vitest runs the TypeScript sources; workers need JS: `npx tsc -p tsconfig.build.json`). */
const WORKER_URL = new URL('../../dist/node/signature-worker.js', import.meta.url);

const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const concat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

function nobleStrict(c: SignatureCheck): boolean {
  try {
    return ed25519.verify(c.signature, c.message, c.publicKey, { zip215: false });
  } catch {
    return false;
  }
}

const L = ed25519.Point.Fn.ORDER;

/** Named checks where the verifiers' verdicts matter (test/unit/ed25519-agreement.test.ts has them all). */
function edgeCases(): { name: string; check: SignatureCheck }[] {
  const out: { name: string; check: SignatureCheck }[] = [];
  const add = (name: string, publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) =>
    out.push({ name, check: { publicKey, message, signature } });
  // RFC 8032 TEST 2.
  const pub = bytes('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
  const msg = bytes('72');
  const sig = bytes(
    '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  );
  add('RFC 8032 TEST 2: valid', pub, msg, sig);
  const flipped = Uint8Array.from(sig);
  flipped[40] = (flipped[40] as number) ^ 1;
  add('forged: a bit of S flipped', pub, msg, flipped);
  add('forged: another message', pub, bytes('73'), sig);
  add('wrong key', bytes('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'), msg, sig);
  const s = leNumber(sig.subarray(32));
  add('non-canonical S (S + L)', pub, msg, concat(sig.subarray(0, 32), le32(s + L)));
  add('non-canonical S (S + 2L)', pub, msg, concat(sig.subarray(0, 32), le32(s + 2n * L)));
  // The identity as public key: R = identity, S = 0 meets R = SB - kA for any message (OpenSSL
  // accepts it), noble-strict refuses any small-order key.
  const identity = bytes('0100000000000000000000000000000000000000000000000000000000000000');
  add('small-order key (identity), R = identity, S = 0', identity, msg, concat(identity, new Uint8Array(32)));
  add('small-order key (0, -1)', bytes(`ec${'ff'.repeat(30)}7f`), msg, concat(identity, new Uint8Array(32)));
  // ed25519-speccheck: 1 and 3 OpenSSL accepts, noble refuses; 4, 7 and 8 noble accepts, OpenSSL refuses.
  const speccheck: [string, string, string, string][] = [
    [
      'speccheck 1: S = 0, small A and R, both equations',
      '8c93255d71dcab10e8f379c26200f3c7bd5f09d9bc3068d3ef4edeb4853022b6',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a0000000000000000000000000000000000000000000000000000000000000000',
    ],
    [
      'speccheck 3: small A, mixed R, both equations',
      '9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
      'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43a5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04',
    ],
    [
      'speccheck 4: mixed A, small R, cofactored only',
      '9bedc267423725d473888631ebf45988bad3db83851ee85c85e241a07d148b41',
      'f7badec5b8abeaf699583992219b7b223f1df3fbbea919844e3f7c554a43dd43',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa182ef1a5b928da07fec769cc8a12db6bcf70dab3f3227fa315e9d5e3e01a3405',
    ],
    [
      'speccheck 6: prime-order A and R, both equations',
      '9bd9f44f4dcc75bd531b56b2cd280b0bb38fc1cd6d1230e14861d861de092e79',
      'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d',
      '9046a64750444938de19f227bb80485e92b83fdb4b6506c160484c016cc1852f87909e14428a7a1d62e9f22f3d3ad7802db02eb2e688b6c52fcd6648a98bd009',
    ],
    [
      'speccheck 7: mixed A and R, cofactored only',
      'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c',
      'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d',
      '160a1cb0dc9c0258cd0a7d23e94d8fa878bcb1925f2c64246b2dee1796bed5125ec6bc982a269b723e0668e540911a9a6a58921d6925e434ab10aa7940551a09',
    ],
    [
      'speccheck 8: cofactored, fails if 8k is reduced mod L first',
      'e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec4011eaccd55b53f56c',
      'cdb267ce40c5cd45306fa5d2f29731459387dbf9eb933b7bd5aed9a765b88d4d',
      '21122a84e0b5fca4052f5b1235c80a537878b38f3142356b2c2384ebad4668b7e40bc836dac0f71076f9abe3a53f9c03c1ceeeddb658d0030494ace586687405',
    ],
    [
      'speccheck 9: S > L',
      '85e241a07d148b41e47d62c63f830dc7a6851a0b1f33ae4bb2f507fb6cffec40',
      '442aad9f089ad9e14647b1ef9099a1ff4798d78589e66f28eca69c11f582a623',
      'e96f66be976d82e60150baecff9906684aebb1ef181f67a7189ac78ea23b6c0e547f7690a0e2ddcd04d87dbc3490dc19b3b3052f7ff0538cb68afb369ba3a514',
    ],
    [
      'speccheck 14: non-canonical A (negative zero)',
      '39a591f5321bbe07fd5a23dc2f39d025d74526615746727ceefd6e82ae65c06f',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
      'a9d55260f765261eb9b84e106f665e00b867287a761990d7135963ee0a7d59dca5bb704786be79fc476f91d3f3f89b03984d8068dcf1bb7dfc6637b45450ac04',
    ],
  ];
  for (const [name, m, a, sg] of speccheck) add(name, bytes(a), bytes(m), bytes(sg));
  add('a 63-byte signature', pub, msg, sig.subarray(0, 63));
  return out;
}

const keyOf = (cache: SignatureCache, c: SignatureCheck): Uint8Array =>
  signatureCacheKey(cache.salt, c.signature, c.message, c.publicKey);

const pools: SignaturePool[] = [];
function pool(options: ConstructorParameters<typeof SignaturePool>[0] = {}): SignaturePool {
  const p = new SignaturePool({ workerUrl: WORKER_URL, inlineBelow: 1, chunk: 4, ...options });
  pools.push(p);
  return p;
}
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  sharedSignatureCache.clear();
});

describe('the signature pool and its cache', () => {
  const cases = edgeCases();
  // Every case several times over: chunks spread them over the workers and this thread.
  const batch = Array.from({ length: 6 }, () => cases.map((c) => c.check)).flat();

  it.each([
    ['workers and this thread', { mainShare: true }],
    ['workers only', { mainShare: false }],
    ['no workers (inline)', { threads: 0 }],
  ] as [string, { mainShare?: boolean; threads?: number }][])(
    "gives noble-strict's verdict on every edge case (%s), caching only the valid",
    async (_label, options) => {
      const cache = new SignatureCache();
      const p = pool({ cache, ...options });
      const report = await p.verify(batch);
      const valid = cases.filter((c) => nobleStrict(c.check));
      expect(valid.map((c) => c.name)).toEqual([
        'RFC 8032 TEST 2: valid',
        'speccheck 4: mixed A, small R, cofactored only',
        'speccheck 6: prime-order A and R, both equations',
        'speccheck 7: mixed A and R, cofactored only',
        'speccheck 8: cofactored, fails if 8k is reduced mod L first',
      ]);
      expect(report.valid).toBe(valid.length * 6);
      for (const c of cases) {
        expect(cache.has(keyOf(cache, c.check)), c.name).toBe(nobleStrict(c.check));
        expect(verifySignatureFast(c.check.signature, c.check.message, c.check.publicKey), c.name).toBe(
          nobleStrict(c.check),
        );
      }
      expect(cache.size).toBe(valid.length);
      if (options.threads !== 0) expect(p.running).toBeGreaterThan(0);
    },
  );

  it('the node verifier remembers a valid signature it checked inline, never a refused one', () => {
    sharedSignatureCache.clear();
    for (const c of cases) {
      expect(verifySignatureFast(c.check.signature, c.check.message, c.check.publicKey), c.name).toBe(
        nobleStrict(c.check),
      );
      const key = keyOf(sharedSignatureCache, c.check);
      expect(sharedSignatureCache.has(key), c.name).toBe(nobleStrict(c.check));
      // Asked again: the same verdict (from the cache when valid).
      expect(verifySignatureFast(c.check.signature, c.check.message, c.check.publicKey), c.name).toBe(
        nobleStrict(c.check),
      );
    }
    sharedSignatureCache.clear();
  });

  it('the cache is bounded: a fixed table, lossy when full, never holding a key not added', () => {
    const cache = new SignatureCache({ maxEntries: 100 });
    expect(cache.capacity).toBe(128);
    expect(cache.bytes).toBe(128 * 33 + 16);
    const keys: Uint8Array[] = [];
    for (let k = 0; k < 5_000; k++) {
      const key = sha256(new TextEncoder().encode(`key ${k}`));
      keys.push(key);
      cache.add(key);
      expect(cache.has(key)).toBe(true); // the newest is always kept
    }
    expect(cache.size).toBe(128);
    expect(keys.filter((key) => cache.has(key)).length).toBe(128);
    for (let k = 0; k < 1_000; k++) expect(cache.has(sha256(new TextEncoder().encode(`other ${k}`)))).toBe(false);
    expect(new SignatureCache().capacity).toBe(1 << 18);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(keys.some((key) => cache.has(key))).toBe(false);
  });

  it('keys are salted per cache: the same triple has another key under another salt', () => {
    const c = (cases[0] as (typeof cases)[number]).check;
    expect(Buffer.from(keyOf(new SignatureCache(), c))).not.toEqual(Buffer.from(keyOf(new SignatureCache(), c)));
  });

  it('a pool without its compiled worker verifies inline', async () => {
    const cache = new SignatureCache();
    const p = pool({ cache, workerUrl: new URL('./no-such-worker.js', import.meta.url) });
    const report = await p.verify(batch);
    expect(p.running).toBe(0);
    expect(report).toMatchObject({ checks: batch.length, inWorkers: 0, inline: batch.length });
    expect(cache.size).toBe(5);
  });

  it('a worker that crashes mid-batch (a check claimed, never verified) costs time, not verdicts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'blockforge-sigpool-'));
    dirs.push(dir);
    const crashing = join(dir, 'crashing-worker.mjs');
    // Claims the last chunk, takes its last check (WORKING), then dies as a crash would.
    writeFileSync(
      crashing,
      `import { parentPort } from 'node:worker_threads';
parentPort.on('message', ({ batch }) => {
  const control = new Int32Array(batch, 0, 4);
  const n = control[3];
  const states = new Int32Array(batch, 16 + 4 * (n + 1), n);
  Atomics.add(control, 0, 1);
  Atomics.store(states, n - 1, 3);
  process.exit(1);
});
`,
    );
    for (const mainShare of [true, false]) {
      const cache = new SignatureCache();
      const p = pool({ cache, workerUrl: pathToFileURL(crashing), threads: 2, mainShare });
      const report = await p.verify(batch);
      expect(report.valid).toBe(30);
      expect(report.inWorkers).toBe(0);
      for (const c of cases) expect(cache.has(keyOf(cache, c.check)), c.name).toBe(nobleStrict(c.check));
      expect(p.running).toBe(0);
    }
  });

  it('closes cleanly: workers stopped, later batches not verified', async () => {
    const cache = new SignatureCache();
    const p = pool({ cache });
    await p.verify(batch);
    expect(p.running).toBeGreaterThan(0);
    await p.close();
    await p.close();
    expect(p.running).toBe(0);
    cache.clear();
    expect(await p.verify(batch)).toMatchObject({ checks: batch.length, valid: 0 });
    expect(cache.size).toBe(0);
  });
});

// ---- a full block ------------------------------------------------------------------------------

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SENDERS = 1_000;

function fullBlockSetup(badIndex: number) {
  const hrp = 'bft';
  const wallets = Array.from({ length: SENDERS }, (_, i) => {
    const secretKey = sha256(new TextEncoder().encode(`signature-pool test ${i}`));
    const publicKey = publicKeyOf(secretKey);
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' });
    return { secretKey, publicKey, key, address: addressOf(hrp, publicKey) };
  });
  const spec = testGenesis(
    wallets.map((w) => [{ ...w }, 1_000_000_0000_0000n]),
    {},
  );
  // Forged without verifying (the template's block is connected once to check it).
  const forger = createLedgerProfile(spec, { verifySignature: () => true });
  const profile = createLedgerProfile(spec, { verifySignature: verifySignatureFast });
  const chain = fromHex(profile.chainId);
  const payments: Payment[] = [];
  for (let n = 0; payments.length < MAX_BLOCK_TRANSACTIONS - 1; n++) {
    for (let i = 0; i < SENDERS && payments.length < MAX_BLOCK_TRANSACTIONS - 1; i++) {
      const fields: PaymentFields = {
        chain,
        from: (wallets[i] as (typeof wallets)[number]).publicKey,
        to: parseAddress(hrp, (wallets[(i + 1) % SENDERS] as (typeof wallets)[number]).address),
        amount: 1_0000_0000n,
        fee: 1_000n,
        nonce: BigInt(n),
      };
      const signature = new Uint8Array(
        opensslSign(null, signedMessage(fields), (wallets[i] as (typeof wallets)[number]).key),
      );
      if (payments.length === badIndex) signature[10] = (signature[10] as number) ^ 4;
      payments.push(decodePayment(paymentJson(fields, signature, hrp), hrp, clientTxError));
    }
  }
  const genesisValidator = new BranchValidator(forger, null).add([forger.createGenesis(0).json]);
  const block = forgeBlock(
    forger,
    genesisValidator.view,
    payments,
    wallets[0]?.address as string,
    TEST_GENESIS_TIME + 10,
  );
  expect(block.transactions.length).toBe(MAX_BLOCK_TRANSACTIONS);
  const genesisView = new BranchValidator(profile, null).add([profile.createGenesis(0).json]).view;
  // The template orders payments by fee rate: where the forged one landed (1-based, the reward first).
  const badId = badIndex >= 0 ? (payments[badIndex] as Payment).id : null;
  const badPosition = block.transactions.findIndex((tx) => tx.id === badId) + 1;
  return { profile, block, blockText: writeJson(block.json), genesisView, badPosition };
}

describe('a block of 10,000 transactions through the precheck', () => {
  const setup = fullBlockSetup(6_789); // the payment with the forged signature
  const bad = setup.badPosition - 2; // its check's index

  it('lists one check per payment, the message each signs', () => {
    const checks = setup.profile.signatureChecks?.([parseJson(setup.blockText)]) ?? [];
    expect(checks.length).toBe(MAX_BLOCK_TRANSACTIONS - 1);
    const txs = setup.block.transactions as readonly Payment[];
    for (const k of [0, 1, setup.badPosition - 2, MAX_BLOCK_TRANSACTIONS - 2]) {
      const tx = txs[k + 1] as Payment;
      const check = checks[k] as SignatureCheck;
      expect(Buffer.from(check.message)).toEqual(Buffer.from(signedMessage(tx.fields)));
      expect(Buffer.from(check.signature)).toEqual(Buffer.from(tx.signature));
      expect(Buffer.from(check.publicKey)).toEqual(Buffer.from(tx.fields.from));
    }
  });

  it.each([
    ['beside validation (overlap)', true],
    ['awaited', false],
  ])(
    'one forged signature among 10,000 is still refused, SIGNATURE_INVALID, after the precheck (%s)',
    async (_label, overlap) => {
      sharedSignatureCache.clear();
      const p = pool({ inlineBelow: 32, chunk: 32 });
      const reports: { valid: number; checks: number }[] = [];
      const precheck = createSignaturePrecheck(setup.profile, p, { overlap, onBatch: (r) => reports.push(r) });
      const value = parseJson(setup.blockText);
      await precheck?.([value]);
      let error: unknown;
      try {
        validateBranch(setup.profile, setup.genesisView, [value]);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ChainRuleError);
      expect((error as ChainRuleError).code).toBe(ErrorCode.SignatureInvalid);
      expect(setup.badPosition).toBeGreaterThan(1);
      expect((error as ChainRuleError).message).toMatch(
        `transaction ${bad + 2} has a signature that is not its sender's`,
      );
      await p.idle();
      expect(reports).toEqual([
        expect.objectContaining({ checks: MAX_BLOCK_TRANSACTIONS - 1, valid: MAX_BLOCK_TRANSACTIONS - 2 }),
      ]);
      // Valid ones cached (a block offered again is not verified again), the forged one never.
      const checks = setup.profile.signatureChecks?.([value]) ?? [];
      expect(sharedSignatureCache.has(keyOf(sharedSignatureCache, checks[bad] as SignatureCheck))).toBe(false);
      expect(sharedSignatureCache.has(keyOf(sharedSignatureCache, checks[0] as SignatureCheck))).toBe(true);
      // Offered again: verified again by the workers (no hashing on the validating thread), refused again.
      reports.length = 0;
      await precheck?.([value]);
      expect(() => validateBranch(setup.profile, setup.genesisView, [value])).toThrow(`transaction ${bad + 2} `);
      await p.idle();
      expect(reports).toEqual([expect.objectContaining({ valid: MAX_BLOCK_TRANSACTIONS - 2 })]);
      sharedSignatureCache.clear();
    },
  );

  it('the block without the forged signature validates after the precheck, its verdicts cached', async () => {
    sharedSignatureCache.clear();
    const good = fullBlockSetup(-1);
    const p = pool({ inlineBelow: 32, chunk: 32 });
    const precheck = createSignaturePrecheck(good.profile, p);
    const value = parseJson(good.blockText);
    await precheck?.([value]);
    const branch = validateBranch(good.profile, good.genesisView, [value]);
    expect((branch.blocks[0] as Block).hash).toBe(good.block.hash);
    await p.idle();
    expect(sharedSignatureCache.size).toBe(MAX_BLOCK_TRANSACTIONS - 1);
    sharedSignatureCache.clear();
  });

  it('malformed values do not throw: the precheck skips them (validation refuses them later)', async () => {
    const p = pool();
    const precheck = createSignaturePrecheck(setup.profile, p);
    const payment = (setup.block.json.transactions as JsonObject[])[1] as JsonObject;
    const withField = (field: string, value: JsonValue): JsonObject => ({ ...payment, [field]: value }) as JsonObject;
    const hostile: JsonValue[] = [
      null,
      7 as unknown as JsonValue,
      'block',
      [],
      {} as JsonObject,
      { transactions: 5 } as unknown as JsonObject,
      { transactions: [] } as unknown as JsonObject,
      { header: {}, transactions: [null, 1, 'x', [], {}] } as unknown as JsonObject,
      {
        transactions: [
          {},
          withField('sig', 'zz'.repeat(64)),
          withField('sig', `${(payment.sig as string).slice(0, 126)}G0`),
          withField('from', 'ab'),
          withField('to', 'not an address'),
          withField('to', 5 as unknown as JsonValue),
          withField('amount', '-1'),
          withField('fee', '99999999999999999999'),
          withField('nonce', 7 as unknown as JsonValue),
          withField('chain', '00'.repeat(32)),
        ],
      } as unknown as JsonObject,
      { transactions: Array.from({ length: MAX_BLOCK_TRANSACTIONS + 1 }, () => payment) } as unknown as JsonObject,
    ];
    expect(setup.profile.signatureChecks?.(hostile)).toEqual([]);
    await expect(precheck?.(hostile)).resolves.toBeUndefined();
    // A tutorial profile verifies no signatures: no precheck.
    const { createProfile } = await import('../../src/core/profiles.js');
    expect(createSignaturePrecheck(createProfile('seed'), p)).toBeUndefined();
  });
});

describe('openNode', () => {
  it('gives a ledger node the pool and its precheck, and closeNode stops the workers', async () => {
    const profile = createLedgerProfile(testGenesis(), { verifySignature: verifySignatureFast });
    const services = openNode({
      dataDir: tempDir(),
      profile,
      port: 5999,
      solver: new InlineSolver(),
      signaturePool: { workerUrl: WORKER_URL, inlineBelow: 1 },
    });
    try {
      expect(services.signatures).toBeInstanceOf(SignaturePool);
      expect(typeof services.node.precheck).toBe('function');
      await services.node.precheck?.([]);
      await services.signatures?.verify(edgeCases().map((c) => c.check));
      expect(services.signatures?.running).toBeGreaterThan(0);
    } finally {
      await closeNode(services);
    }
    expect(services.signatures?.running).toBe(0);
  });

  it('gives none to a profile without signatures, or when told not to', async () => {
    const { createProfile } = await import('../../src/core/profiles.js');
    for (const [profile, signaturePool] of [
      [createProfile('seed', { difficulty: 1 }), undefined],
      [createLedgerProfile(testGenesis()), false],
    ] as const) {
      const services = openNode({
        dataDir: tempDir(),
        profile,
        port: 5999,
        solver: new InlineSolver(),
        ...(signaturePool === undefined ? {} : { signaturePool }),
      });
      expect(services.signatures).toBeUndefined();
      expect(services.node.precheck).toBeUndefined();
      await closeNode(services);
    }
  });
});
