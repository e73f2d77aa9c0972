// Ed25519 speed, all in one run (node bench/ed25519.mjs, no build needed): @noble/curves (the code
// the node and the browser share, strict RFC 8032 `zip215: false`) against node:crypto (OpenSSL).
// Prints verifies/s and signs/s on one thread, node:crypto / noble ratios, and noble verify on all
// cores (worker_threads), for the question "should the node verify with node:crypto?".
//
// Every figure verifies the same work as a block does: 113-byte payment messages from many senders
// (KEYS key pairs, taken in turn), so node:crypto is timed both with a KeyObject cached per sender
// and with the KeyObject built from the raw 32-byte key for each verify. The verdicts differ on
// crafted signatures (test/unit/ed25519-agreement.test.ts); the "pre-check" rows time the
// node:crypto path a node could use to give noble's verdict on every input: reject a non-canonical
// or small-order public key by its bytes, accept what OpenSSL accepts, and ask noble again only when
// OpenSSL rejects (invalid or crafted signatures), on valid signatures and on invalid ones.
//
// BENCH_SECONDS (default 2) sets the seconds per figure.

import { createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ed25519 } from '@noble/curves/ed25519.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 2);
const KEYS = 256; // senders in the rotation
const MESSAGE_BYTES = 113; // a signed payment (docs/ledger-protocol.md section 3)
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex'); // SubjectPublicKeyInfo, Ed25519
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex'); // PrivateKeyInfo, Ed25519

/** The public KeyObject of a raw 32-byte Ed25519 public key. */
function publicKeyObject(pub) {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: 'der', type: 'spki' });
}

/** The same KeyObject built from a JWK: OpenSSL 3.0 decodes it without the DER decoder, far faster. */
function publicKeyObjectJwk(pub) {
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(pub).toString('base64url') },
    format: 'jwk',
  });
}

/** The private KeyObject of a raw 32-byte Ed25519 secret key (the RFC 8032 seed). */
function privateKeyObject(secret) {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' });
}

/** KEYS senders, each with a secret, its public key (raw and KeyObjects), a message and its signature. */
function makeSenders() {
  const senders = [];
  for (let i = 0; i < KEYS; i++) {
    const secret = ed25519.utils.randomSecretKey();
    const pub = ed25519.getPublicKey(secret);
    const msg = new Uint8Array(randomBytes(MESSAGE_BYTES));
    const sig = ed25519.sign(msg, secret);
    const badSig = Uint8Array.from(sig);
    badSig[40] ^= 1; // S changed: both verifiers refuse it
    senders.push({
      secret,
      pub,
      msg,
      sig,
      badSig,
      pubObject: publicKeyObject(pub),
      secretObject: privateKeyObject(secret),
    });
  }
  return senders;
}

/**
 * Runs `op(sender)` over the senders in turn, in batches, for about `seconds` after a warm-up;
 * returns operations per second. Every result must be truthy (a verify that says false, a sign that
 * returns nothing), so nothing is optimized away and every figure counts correct work.
 */
function timeOp(senders, op, secs = seconds) {
  const batch = 64;
  const warmUntil = performance.now() + Math.min(500, secs * 250);
  let i = 0;
  while (performance.now() < warmUntil) {
    if (!op(senders[i++ % senders.length])) throw new Error('wrong result in warm-up');
  }
  let done = 0;
  const begin = performance.now();
  let now = begin;
  while (now - begin < secs * 1000) {
    for (let b = 0; b < batch; b++) {
      if (!op(senders[i++ % senders.length])) throw new Error('wrong result');
    }
    done += batch;
    now = performance.now();
  }
  return done / ((now - begin) / 1000);
}

const nobleVerify = (s) => ed25519.verify(s.sig, s.msg, s.pub, { zip215: false });
const nodeVerifyCached = (s) => verify(null, s.msg, s.pubObject, s.sig);
const nodeVerifyFresh = (s) => verify(null, s.msg, publicKeyObject(s.pub), s.sig);
const nodeVerifyJwk = (s) => verify(null, s.msg, publicKeyObjectJwk(s.pub), s.sig);

// The public keys noble-strict rejects whatever the signature: y >= p, or one of the 8 points of
// small order, in any encoding. With them refused by their bytes, an OpenSSL accept is a noble accept
// (cofactorless implies cofactored; OpenSSL already refuses S >= L and any R but the canonical one).
const P_LE = Buffer.from('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'hex');
// y (sign bit cleared) of the 8 small-order points: identity, (0, -1), the 2 of order 4 (y = 0) and
// the 4 of order 8 (two y values). Both sign bits of each are small order or x = 0 "negative zero".
const SMALL_ORDER_Y = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
].map((hex) => Buffer.from(hex, 'hex'));

/** Whether noble-strict may accept `pub` at all: y < p and not a small-order point. */
function publicKeyPasses(pub) {
  const y = Buffer.from(pub);
  y[31] &= 0x7f;
  for (let k = 31; k >= 0; k--) {
    if (y[k] !== P_LE[k]) {
      if (y[k] > P_LE[k]) return false; // y > p
      break;
    }
    if (k === 0) return false; // y = p
  }
  return !SMALL_ORDER_Y.some((small) => small.equals(y));
}

/** noble-strict's verdict through node:crypto: pre-check, OpenSSL, and noble again on a reject. */
const hybridVerify = (s) =>
  publicKeyPasses(s.pub) && (verify(null, s.msg, publicKeyObjectJwk(s.pub), s.sig) || nobleVerify(s));

const nobleSign = (s) => ed25519.sign(s.msg, s.secret);
const nodeSign = (s) => sign(null, s.msg, s.secretObject);

/** node:crypto's async verify (libuv thread pool, 4 threads by default), `inFlight` verifies at once. */
async function timeAsyncVerify(senders) {
  const inFlight = 256;
  const once = (s) =>
    new Promise((resolve, reject) =>
      verify(null, s.msg, s.pubObject, s.sig, (err, ok) =>
        err || !ok ? reject(err ?? new Error('wrong')) : resolve(),
      ),
    );
  const run = async (until) => {
    let done = 0;
    let i = 0;
    while (performance.now() < until) {
      const wave = [];
      for (let k = 0; k < inFlight; k++) wave.push(once(senders[i++ % senders.length]));
      await Promise.all(wave);
      done += inFlight;
    }
    return done;
  };
  await run(performance.now() + 300);
  const begin = performance.now();
  const done = await run(begin + seconds * 1000);
  return done / ((performance.now() - begin) / 1000);
}

/** noble verify on `threads` worker threads at once; returns the summed verifies/s. */
async function timeWorkers(threads, which) {
  const workers = [];
  const ready = [];
  for (let t = 0; t < threads; t++) {
    const worker = new Worker(new URL(import.meta.url), { workerData: { which, seconds } });
    workers.push(worker);
    ready.push(new Promise((resolve) => worker.once('message', resolve)));
  }
  await Promise.all(ready); // each has made its senders and warmed up
  const results = workers.map(
    (worker) =>
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
  );
  for (const worker of workers) worker.postMessage('go');
  const rates = await Promise.all(results);
  await Promise.all(workers.map((worker) => worker.terminate()));
  return rates.reduce((a, b) => a + b, 0);
}

if (!isMainThread) {
  const senders = makeSenders();
  const op = workerData.which === 'noble' ? nobleVerify : nodeVerifyCached;
  timeOp(senders, op, 0.5); // warm-up
  parentPort.postMessage('ready');
  parentPort.once('message', () => parentPort.postMessage(timeOp(senders, op, workerData.seconds)));
} else {
  const cores = availableParallelism();
  console.log(
    `Ed25519 bench: ${MESSAGE_BYTES}-byte messages, ${KEYS} senders in turn, ${seconds} s per figure, ` +
      `${cores} cores, Node ${process.versions.node}, OpenSSL ${process.versions.openssl}\n`,
  );
  const senders = makeSenders();

  const verifyNoble = timeOp(senders, nobleVerify);
  const verifyCached = timeOp(senders, nodeVerifyCached);
  const verifyFresh = timeOp(senders, nodeVerifyFresh);
  const verifyJwk = timeOp(senders, nodeVerifyJwk);
  const verifyHybrid = timeOp(senders, hybridVerify);
  const refuseHybrid = timeOp(senders, (s) => !hybridVerify({ ...s, sig: s.badSig }));
  const signNoble = timeOp(senders, nobleSign);
  const signNode = timeOp(senders, nodeSign);
  const nobleAll = await timeWorkers(cores, 'noble');
  const nodeAll = await timeWorkers(cores, 'node');
  const nodeAsync = await timeAsyncVerify(senders);

  const rows = [
    ['verify: noble strict (1 thread)', verifyNoble, verifyNoble],
    ['verify: node:crypto, KeyObject cached (1 thread)', verifyCached, verifyNoble],
    ['verify: node:crypto, KeyObject per verify, DER (1 thread)', verifyFresh, verifyNoble],
    ['verify: node:crypto, KeyObject per verify, JWK (1 thread)', verifyJwk, verifyNoble],
    ['verify: pre-check + node:crypto, JWK per verify (1 thread)', verifyHybrid, verifyNoble],
    ['verify: same, invalid signature (OpenSSL, then noble)', refuseHybrid, verifyNoble],
    [`verify: noble strict, ${cores} worker threads`, nobleAll, verifyNoble],
    [`verify: node:crypto cached, ${cores} worker threads`, nodeAll, verifyNoble],
    ['verify: node:crypto cached, async (libuv pool)', nodeAsync, verifyNoble],
    ['sign: noble (1 thread)', signNoble, signNoble],
    ['sign: node:crypto, KeyObject cached (1 thread)', signNode, signNoble],
  ];
  const fmt = (x) => `${Math.round(x).toLocaleString('en-US')}/s`;
  const us = (x) => `${(1e6 / x).toFixed(1)} us`;
  console.log(`${'figure'.padEnd(60)} ${'ops/s'.padStart(10)} ${'per op'.padStart(10)} ${'vs noble'.padStart(9)}`);
  for (const [name, rate, base] of rows) {
    console.log(
      `${name.padEnd(60)} ${fmt(rate).padStart(10)} ${us(rate).padStart(10)} ${`${(rate / base).toFixed(2)}x`.padStart(9)}`,
    );
  }
  const block = 10_000; // MAX_BLOCK_TRANSACTIONS
  console.log(
    `\na full block (${block.toLocaleString('en-US')} payments): noble ${((block / verifyNoble) * 1000).toFixed(0)} ms on 1 thread, ` +
      `${((block / nobleAll) * 1000).toFixed(0)} ms on ${cores}; node:crypto ${((block / verifyJwk) * 1000).toFixed(0)} ms on 1 thread (JWK KeyObject per verify)`,
  );
}
