/*
 * blockforge's optional native kernel (N-API, plain C): the proof-of-work scan and batch SHA-256.
 *
 * - x86-64: the SHA extensions (SHA-NI), four proofs interleaved: one SHA256RNDS2 chain is
 *   latency-bound, so independent messages fill the gaps (measured: SCAN_LANES below).
 * - AArch64: the ARMv8 SHA2 instructions (vsha256hq_u32 ...), one message at a time. NOT TESTED on
 *   ARM hardware when written: it follows the ARM reference sequence; the tests cross-check it
 *   against node:crypto wherever it runs.
 * - Anywhere else, or on a CPU without those instructions: portable C (also forced by the optional
 *   last argument `portable`, so that both paths are tested on a SHA-NI machine).
 *
 * The instruction-set paths use per-function target attributes, so the file builds with any
 * x86-64/AArch64 compiler and flags, and the CPU is asked at load time (cpuid, getauxval).
 *
 * The JS side builds the padded message and the midstate (the blocks before the one holding the
 * proof's digits); the native side scans. Every argument is checked: a bad one throws a TypeError
 * or RangeError in JS, never touches memory out of bounds.
 */

#define NAPI_VERSION 8
#include <node_api.h>

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define BF_X86 1
#include <cpuid.h>
#include <immintrin.h>
#define BF_SHANI __attribute__((target("sha,sse4.1,ssse3")))
#endif

/* AArch64 with GCC, or a clang that has the per-function target for SHA2 (16+), or a compiler that
 * already targets SHA2 (Apple silicon). */
#if defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__)) && \
    (!defined(__clang__) || __clang_major__ >= 16 || defined(__ARM_FEATURE_SHA2))
#define BF_ARM 1
#include <arm_neon.h>
#if defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_SHA2
#define HWCAP_SHA2 (1 << 6)
#endif
#endif
#if defined(__clang__)
#define BF_ARMSHA __attribute__((target("sha2")))
#else
#define BF_ARMSHA __attribute__((target("+crypto")))
#endif
#endif

#if defined(_MSC_VER)
#define BF_ALIGN16 __declspec(align(16))
#else
#define BF_ALIGN16 __attribute__((aligned(16)))
#endif

/** Most blocks a scanned message may have after the midstate (a ledger header is ~5). */
#define MAX_BLOCKS 32
/** Most decimal digits of a proof (2^53 - 1 has 16). */
#define MAX_DIGITS 16

BF_ALIGN16 static const uint32_t K[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static const uint32_t IV[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

/* ---- portable C ------------------------------------------------------------------------------ */

#define ROTR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static inline uint32_t load_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

static inline void store_be32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/** The 64-word schedule of a block, with K added (W+K). */
static void schedule_wk(const uint8_t *block, uint32_t wk[64]) {
  uint32_t w[64];
  for (int t = 0; t < 16; t++) w[t] = load_be32(block + 4 * t);
  for (int t = 16; t < 64; t++) {
    uint32_t s0 = ROTR(w[t - 15], 7) ^ ROTR(w[t - 15], 18) ^ (w[t - 15] >> 3);
    uint32_t s1 = ROTR(w[t - 2], 17) ^ ROTR(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  for (int t = 0; t < 64; t++) wk[t] = w[t] + K[t];
}

/** The 64 rounds on `st` (a..h) from a precomputed W+K, with the feed-forward. */
static void rounds_wk_portable(uint32_t st[8], const uint32_t wk[64]) {
  uint32_t a = st[0], b = st[1], c = st[2], d = st[3], e = st[4], f = st[5], g = st[6], h = st[7];
  for (int t = 0; t < 64; t++) {
    uint32_t t1 = h + (ROTR(e, 6) ^ ROTR(e, 11) ^ ROTR(e, 25)) + ((e & f) ^ (~e & g)) + wk[t];
    uint32_t t2 = (ROTR(a, 2) ^ ROTR(a, 13) ^ ROTR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  st[0] += a;
  st[1] += b;
  st[2] += c;
  st[3] += d;
  st[4] += e;
  st[5] += f;
  st[6] += g;
  st[7] += h;
}

static void compress_portable(uint32_t st[8], const uint8_t *block, size_t n) {
  uint32_t wk[64];
  for (size_t k = 0; k < n; k++) {
    schedule_wk(block + 64 * k, wk);
    rounds_wk_portable(st, wk);
  }
}

/* ---- x86-64 SHA extensions ------------------------------------------------------------------- */

#ifdef BF_X86

/* State in the instructions' layout: s0 = ABEF, s1 = CDGH (highest lane first). */
BF_SHANI static inline void shani_from_words(const uint32_t st[8], __m128i *s0, __m128i *s1) {
  __m128i tmp = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[0]), 0xB1); /* CDAB */
  __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)&st[4]), 0x1B); /* EFGH */
  *s0 = _mm_alignr_epi8(tmp, efgh, 8);    /* ABEF */
  *s1 = _mm_blend_epi16(efgh, tmp, 0xF0); /* CDGH */
}

BF_SHANI static inline void shani_to_words(__m128i s0, __m128i s1, uint32_t st[8]) {
  __m128i tmp = _mm_shuffle_epi32(s0, 0x1B); /* FEBA */
  s1 = _mm_shuffle_epi32(s1, 0xB1);          /* DCHG */
  _mm_storeu_si128((__m128i *)&st[0], _mm_blend_epi16(tmp, s1, 0xF0)); /* DCBA */
  _mm_storeu_si128((__m128i *)&st[4], _mm_alignr_epi8(s1, tmp, 8));    /* HGFE */
}

/* Four rounds from four W+K words. */
#define SHANI_RND4(s0, s1, wk)                       \
  do {                                               \
    __m128i m_ = (wk);                               \
    (s1) = _mm_sha256rnds2_epu32((s1), (s0), m_);    \
    m_ = _mm_shuffle_epi32(m_, 0x0E);                \
    (s0) = _mm_sha256rnds2_epu32((s0), (s1), m_);    \
  } while (0)

#define KV(g) _mm_load_si128((const __m128i *)&K[4 * (g)])

/* Loads 64 bytes as the 16 big-endian message words (4 vectors). */
BF_SHANI static inline void shani_load_block(const uint8_t *p, __m128i w[4]) {
  const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  for (int k = 0; k < 4; k++) w[k] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * k)), mask);
}

/*
 * One block (its 16 words already loaded, `w[lane][0..4)`) with its message schedule for N
 * independent messages (N a constant: the loops over lanes unroll and the arrays live in registers
 * as far as they fit: 2 lanes take 14 of the 16 xmm registers, more spill a little).
 * Schedule step for words 4g..4g+3: x_g = msg2(msg1(x_{g-4}, x_{g-3}) + alignr(x_{g-1}, x_{g-2}, 4), x_{g-1}).
 */
#define SHANI_LOAD(m, k)                                                                         \
  for (int l = 0; l < NL; l++) m[l] = _mm_load_si128(&w[l][k]);
#define SHANI_SCHED(m0, m1, m2, m3, g)                                                           \
  for (int l = 0; l < NL; l++) {                                                                  \
    m0[l] = _mm_sha256msg2_epu32(                                                                \
        _mm_add_epi32(_mm_sha256msg1_epu32(m0[l], m1[l]), _mm_alignr_epi8(m3[l], m2[l], 4)), m3[l]); \
    SHANI_RND4(a[l], c[l], _mm_add_epi32(m0[l], KV(g)));                                         \
  }
#define SHANI_FIRST(m, g)                                                                        \
  for (int l = 0; l < NL; l++) SHANI_RND4(a[l], c[l], _mm_add_epi32(m[l], KV(g)));

#define DEFINE_SHANI_BLOCK(N)                                                                    \
  BF_SHANI __attribute__((noinline)) static void shani_block##N(                    \
      __m128i *s0, __m128i *s1, const __m128i *const *w) {                                       \
    enum { NL = N };                                                                             \
    __m128i a[N], c[N], x0[N], x1[N], x2[N], x3[N];                                              \
    for (int l = 0; l < NL; l++) {                                                                \
      a[l] = s0[l];                                                                              \
      c[l] = s1[l];                                                                              \
    }                                                                                            \
    SHANI_LOAD(x0, 0) SHANI_FIRST(x0, 0)                                                         \
    SHANI_LOAD(x1, 1) SHANI_FIRST(x1, 1)                                                         \
    SHANI_LOAD(x2, 2) SHANI_FIRST(x2, 2)                                                         \
    SHANI_LOAD(x3, 3) SHANI_FIRST(x3, 3)                                                         \
    SHANI_SCHED(x0, x1, x2, x3, 4) SHANI_SCHED(x1, x2, x3, x0, 5)                                \
    SHANI_SCHED(x2, x3, x0, x1, 6) SHANI_SCHED(x3, x0, x1, x2, 7)                                \
    SHANI_SCHED(x0, x1, x2, x3, 8) SHANI_SCHED(x1, x2, x3, x0, 9)                                \
    SHANI_SCHED(x2, x3, x0, x1, 10) SHANI_SCHED(x3, x0, x1, x2, 11)                              \
    SHANI_SCHED(x0, x1, x2, x3, 12) SHANI_SCHED(x1, x2, x3, x0, 13)                              \
    SHANI_SCHED(x2, x3, x0, x1, 14) SHANI_SCHED(x3, x0, x1, x2, 15)                              \
    for (int l = 0; l < NL; l++) {                                                                \
      s0[l] = _mm_add_epi32(s0[l], a[l]);                                                        \
      s1[l] = _mm_add_epi32(s1[l], c[l]);                                                        \
    }                                                                                            \
  }

/* A block whose W+K is precomputed (`wk`: 16 x 4 words), for N messages: rounds only. */
#define DEFINE_SHANI_FIXED(N)                                                                    \
  BF_SHANI __attribute__((noinline)) static void shani_fixed##N(                    \
      __m128i *s0, __m128i *s1, const uint32_t *wk) {                                            \
    enum { NL = N };                                                                             \
    __m128i a[N], c[N];                                                                          \
    for (int l = 0; l < NL; l++) {                                                                \
      a[l] = s0[l];                                                                              \
      c[l] = s1[l];                                                                              \
    }                                                                                            \
    for (int g = 0; g < 16; g++) {                                                               \
      __m128i m = _mm_load_si128((const __m128i *)(wk + 4 * g));                                 \
      for (int l = 0; l < NL; l++) SHANI_RND4(a[l], c[l], m);                                     \
    }                                                                                            \
    for (int l = 0; l < NL; l++) {                                                                \
      s0[l] = _mm_add_epi32(s0[l], a[l]);                                                        \
      s1[l] = _mm_add_epi32(s1[l], c[l]);                                                        \
    }                                                                                            \
  }

/*
 * Proofs hashed side by side in the scan. Measured on an AMD EPYC (CPU time of one core, the scan
 * alone, seed's one block / master's two blocks, M proofs/s): 1 lane 36 / 17, 2 lanes 50 / 26,
 * 3 lanes 50 / 30, 4 lanes 51 / 33. One SHA256RNDS2 chain is latency-bound; the blocks whose words
 * are fixed (W+K precomputed) gain most from more lanes. The block functions are kept out of line:
 * inlined into the scan loop they spilled and the scan ran at ~28 M/s.
 */
#ifndef SCAN_LANES
#define SCAN_LANES 4
#endif
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

/* One more macro level, so that SCAN_LANES is expanded before it is pasted into a name. */
#define DEFINE_SHANI_BLOCK_X(N) DEFINE_SHANI_BLOCK(N)
#define DEFINE_SHANI_FIXED_X(N) DEFINE_SHANI_FIXED(N)

DEFINE_SHANI_BLOCK(1)
#if SCAN_LANES != 1
DEFINE_SHANI_BLOCK_X(SCAN_LANES)
#endif
DEFINE_SHANI_FIXED_X(SCAN_LANES)

BF_SHANI static void compress_shani(uint32_t st[8], const uint8_t *block, size_t n) {
  __m128i s0, s1;
  shani_from_words(st, &s0, &s1);
  for (size_t k = 0; k < n; k++) {
    __m128i words[4];
    shani_load_block(block + 64 * k, words);
    const __m128i *w[1] = {words};
    shani_block1(&s0, &s1, w);
  }
  shani_to_words(s0, s1, st);
}

#endif /* BF_X86 */

/* ---- AArch64 SHA2 instructions (untested on hardware when written) --------------------------- */

#ifdef BF_ARM

BF_ARMSHA static void compress_arm(uint32_t st[8], const uint8_t *block, size_t n) {
  uint32x4_t s0 = vld1q_u32(&st[0]); /* ABCD */
  uint32x4_t s1 = vld1q_u32(&st[4]); /* EFGH */
  for (size_t k = 0; k < n; k++) {
    const uint8_t *p = block + 64 * k;
    uint32x4_t save0 = s0, save1 = s1;
    uint32x4_t x[4];
    for (int i = 0; i < 4; i++) x[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(p + 16 * i)));
    for (int g = 0; g < 16; g++) {
      uint32x4_t m;
      if (g < 4) {
        m = x[g];
      } else {
        /* W[4g..4g+3] from the 16 words before: su0 on (x_{g-4}, x_{g-3}), su1 with x_{g-2}, x_{g-1}. */
        m = vsha256su1q_u32(vsha256su0q_u32(x[g & 3], x[(g + 1) & 3]), x[(g + 2) & 3], x[(g + 3) & 3]);
        x[g & 3] = m;
      }
      uint32x4_t wk = vaddq_u32(m, vld1q_u32(&K[4 * g]));
      uint32x4_t prev0 = s0;
      s0 = vsha256hq_u32(s0, s1, wk);
      s1 = vsha256h2q_u32(s1, prev0, wk);
    }
    s0 = vaddq_u32(s0, save0);
    s1 = vaddq_u32(s1, save1);
  }
  vst1q_u32(&st[0], s0);
  vst1q_u32(&st[4], s1);
}

BF_ARMSHA static void rounds_wk_arm(uint32_t st[8], const uint32_t wk[64]) {
  uint32x4_t s0 = vld1q_u32(&st[0]), s1 = vld1q_u32(&st[4]);
  uint32x4_t save0 = s0, save1 = s1;
  for (int g = 0; g < 16; g++) {
    uint32x4_t m = vld1q_u32(&wk[4 * g]);
    uint32x4_t prev0 = s0;
    s0 = vsha256hq_u32(s0, s1, m);
    s1 = vsha256h2q_u32(s1, prev0, m);
  }
  vst1q_u32(&st[0], vaddq_u32(s0, save0));
  vst1q_u32(&st[4], vaddq_u32(s1, save1));
}

#endif /* BF_ARM */

/* ---- implementation choice ------------------------------------------------------------------- */

enum impl { IMPL_PORTABLE = 0, IMPL_SHANI = 1, IMPL_ARM = 2 };

/** What this CPU has, asked once per load (read-only afterwards: safe across worker threads). */
static int detected_impl(void) {
#if defined(BF_X86)
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return IMPL_PORTABLE;
  int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
  if (__get_cpuid_max(0, NULL) < 7) return IMPL_PORTABLE;
  __cpuid_count(7, 0, a, b, c, d);
  int sha = (b >> 29) & 1;
  return ssse3 && sse41 && sha ? IMPL_SHANI : IMPL_PORTABLE;
#elif defined(BF_ARM) && defined(__linux__)
  return (getauxval(AT_HWCAP) & HWCAP_SHA2) ? IMPL_ARM : IMPL_PORTABLE;
#elif defined(BF_ARM) && defined(__APPLE__)
  return IMPL_ARM; /* every Apple silicon CPU has the SHA2 instructions */
#else
  return IMPL_PORTABLE;
#endif
}

static void compress_blocks(int impl, uint32_t st[8], const uint8_t *block, size_t n) {
#if defined(BF_X86)
  if (impl == IMPL_SHANI) {
    compress_shani(st, block, n);
    return;
  }
#elif defined(BF_ARM)
  if (impl == IMPL_ARM) {
    compress_arm(st, block, n);
    return;
  }
#endif
  (void)impl;
  compress_portable(st, block, n);
}

static void rounds_wk(int impl, uint32_t st[8], const uint32_t wk[64]) {
#if defined(BF_ARM)
  if (impl == IMPL_ARM) {
    rounds_wk_arm(st, wk);
    return;
  }
#endif
  (void)impl;
  rounds_wk_portable(st, wk);
}

/* ---- the proof-of-work scan ------------------------------------------------------------------ */

/*
 * Proofs are taken in groups that share every digit but the last `tail` (2, or 1 for one-digit
 * proofs): within a group only the block(s) holding those digits change, so the blocks before them
 * are hashed once per group, and the blocks after them once per call (their W+K). Each lane has its
 * own copy of the changing blocks and only the tail digit bytes are written per attempt.
 */
typedef struct {
  uint8_t msg[MAX_BLOCKS * 64];
  uint32_t mid[8];
  int blocks;
  int digit_pos;
  int digits;
  int tail;      /* digits that change within a group */
  int tail_pos;  /* byte offset of the first of them */
  int vb0, vb1;  /* first and last block holding them */
  int group;     /* 10^tail */
  int low;       /* the value of the tail digits of the first proof */
  uint64_t count;
  int difficulty;
  uint32_t mask0; /* digest word 0 under this mask must be zero (the common, fast test) */
  BF_ALIGN16 uint32_t wk[MAX_BLOCKS][64]; /* W+K of the blocks after vb1 */
} scan_job;

/** Whether a digest (8 words) starts with `difficulty` hex zeros. */
static int meets(const uint32_t h[8], int difficulty) {
  int full = difficulty >> 3, bits = (difficulty & 7) * 4;
  for (int k = 0; k < full; k++)
    if (h[k] != 0) return 0;
  return bits == 0 || (h[full] >> (32 - bits)) == 0;
}

static inline void write_tail(uint8_t *buf, int pos, int tail, int v) {
  if (tail == 2) {
    buf[pos] = (uint8_t)('0' + v / 10);
    buf[pos + 1] = (uint8_t)('0' + v % 10);
  } else {
    buf[pos] = (uint8_t)('0' + v);
  }
}

/** Adds one to the digits before the tail (the caller's count check rules out overflow). */
static void increment_upper(scan_job *j) {
  for (int k = j->digit_pos + j->digits - j->tail - 1; k >= j->digit_pos; k--) {
    if (j->msg[k] < '9') {
      j->msg[k]++;
      return;
    }
    j->msg[k] = '0';
  }
}

/** One lane at a time: portable C or the ARM instructions. */
static int64_t scan_scalar(scan_job *j, int impl) {
  uint8_t lane[2 * 64];
  const int span = j->vb1 - j->vb0 + 1;
  const int pos = j->tail_pos - 64 * j->vb0;
  uint64_t done = 0;
  int low = j->low;
  for (;;) {
    uint32_t gs[8];
    memcpy(gs, j->mid, sizeof gs);
    compress_blocks(impl, gs, j->msg, (size_t)j->vb0);
    memcpy(lane, j->msg + 64 * j->vb0, (size_t)(64 * span));
    for (int v = low; v < j->group; v++) {
      uint64_t offset = done + (uint64_t)(v - low);
      if (offset >= j->count) return -1;
      write_tail(lane, pos, j->tail, v);
      uint32_t st[8];
      memcpy(st, gs, sizeof st);
      compress_blocks(impl, st, lane, (size_t)span);
      for (int b = j->vb1 + 1; b < j->blocks; b++) rounds_wk(impl, st, j->wk[b]);
      if ((st[0] & j->mask0) == 0 && meets(st, j->difficulty)) return (int64_t)offset;
    }
    done += (uint64_t)(j->group - low);
    low = 0;
    if (done >= j->count) return -1;
    increment_upper(j);
  }
}

#ifdef BF_X86
/*
 * SCAN_LANES proofs at a time through the SHA extensions (lane 0 is always the smallest proof). The
 * message words are kept loaded and byte-swapped: per attempt only the 16-byte vector(s) holding the tail
 * digits are rebuilt, from a table of each tail value's bytes, with an OR (writing the digit bytes
 * and reloading 16 bytes instead stalls on store forwarding).
 */
BF_SHANI static int64_t scan_shani(scan_job *j) {
  enum { L = SCAN_LANES };
  const int span = j->vb1 - j->vb0 + 1;
  const int pos = j->tail_pos - 64 * j->vb0;
  const int ca = pos / 16, cb = (pos + j->tail - 1) / 16; /* vectors holding the tail digits */
  __m128i tab_a[100], tab_b[100];
  for (int v = 0; v < j->group; v++) {
    uint8_t bytes[2 * 64] __attribute__((aligned(16)));
    memset(bytes, 0, sizeof bytes);
    write_tail(bytes, pos, j->tail, v);
    __m128i w[8];
    shani_load_block(bytes, w);
    shani_load_block(bytes + 64, w + 4);
    tab_a[v] = w[ca];
    tab_b[v] = cb != ca ? w[cb] : _mm_setzero_si128();
  }
  __m128i base[8], words[L][8];
  uint64_t done = 0;
  int low = j->low;
  for (;;) {
    uint32_t gs[8];
    memcpy(gs, j->mid, sizeof gs);
    if (j->vb0 > 0) compress_shani(gs, j->msg, (size_t)j->vb0);
    __m128i g0, g1;
    shani_from_words(gs, &g0, &g1);
    /* The group's words with its tail digits zeroed. */
    uint8_t template_bytes[2 * 64] __attribute__((aligned(16)));
    memset(template_bytes, 0, sizeof template_bytes);
    memcpy(template_bytes, j->msg + 64 * j->vb0, (size_t)(64 * span));
    memset(template_bytes + pos, 0, (size_t)j->tail);
    shani_load_block(template_bytes, base);
    shani_load_block(template_bytes + 64, base + 4);
    for (int l = 0; l < L; l++)
      for (int k = 0; k < 8; k++) words[l][k] = base[k];
    for (int v = low; v < j->group; v += L) {
      uint64_t offset = done + (uint64_t)(v - low);
      if (offset >= j->count) return -1;
      /* Lanes past the group or the count hash v again and are ignored. */
      int lanes = 1;
      while (lanes < L && v + lanes < j->group && offset + (uint64_t)lanes < j->count) lanes++;
      __m128i s0[L], s1[L];
      const __m128i *w[L];
      for (int l = 0; l < L; l++) {
        int value = l < lanes ? v + l : v;
        words[l][ca] = _mm_or_si128(base[ca], tab_a[value]);
        if (cb != ca) words[l][cb] = _mm_or_si128(base[cb], tab_b[value]);
        s0[l] = g0;
        s1[l] = g1;
        w[l] = words[l];
      }
      CAT(shani_block, SCAN_LANES)(s0, s1, w);
      if (span == 2) {
        const __m128i *w2[L];
        for (int l = 0; l < L; l++) w2[l] = words[l] + 4;
        CAT(shani_block, SCAN_LANES)(s0, s1, w2);
      }
      for (int b = j->vb1 + 1; b < j->blocks; b++) CAT(shani_fixed, SCAN_LANES)(s0, s1, j->wk[b]);
      /* Digest word 0 (A) is the highest lane of ABEF; lanes in ascending proof order. */
      for (int l = 0; l < lanes; l++) {
        uint32_t a = (uint32_t)_mm_extract_epi32(s0[l], 3);
        if ((a & j->mask0) != 0) continue;
        uint32_t st[8];
        shani_to_words(s0[l], s1[l], st);
        if (meets(st, j->difficulty)) return (int64_t)(offset + (uint64_t)l);
      }
    }
    done += (uint64_t)(j->group - low);
    low = 0;
    if (done >= j->count) return -1;
    increment_upper(j);
  }
}
#endif

/**
 * Completes a job whose message, midstate, blocks, digit_pos, digits (1..16, within the message),
 * count and difficulty are set: checks that the digits are decimal and leave room for `count`
 * proofs before the digit count changes (the caller splits ranges at powers of ten). Returns an
 * error message, or NULL.
 */
static const char *scan_setup(scan_job *j) {
  uint64_t first = 0, limit = 1;
  for (int k = 0; k < j->digits; k++) {
    uint8_t ch = j->msg[j->digit_pos + k];
    if (ch < '0' || ch > '9') return "the message has a non-digit where the proof's digits are";
    first = first * 10 + (uint64_t)(ch - '0');
    limit *= 10;
  }
  if (j->count > limit - first) return "count runs past the last proof with this many digits";
  j->tail = j->digits >= 2 ? 2 : 1;
  j->group = j->tail == 2 ? 100 : 10;
  j->tail_pos = j->digit_pos + j->digits - j->tail;
  j->low = (int)(first % (uint64_t)j->group);
  j->vb0 = j->tail_pos / 64;
  j->vb1 = (j->digit_pos + j->digits - 1) / 64;
  int full = j->difficulty >> 3, bits = (j->difficulty & 7) * 4;
  j->mask0 = full >= 1 ? 0xffffffffu : bits == 0 ? 0u : (uint32_t)(0xffffffffu << (32 - bits));
  for (int b = j->vb1 + 1; b < j->blocks; b++) schedule_wk(j->msg + 64 * b, j->wk[b]);
  return NULL;
}

/** Scans a job set up by scan_setup with `impl`: the offset of the first valid proof, or -1. */
static int64_t scan_run(scan_job *j, int impl) {
  if (j->count == 0) return -1;
#ifdef BF_X86
  if (impl == IMPL_SHANI) return scan_shani(j);
#endif
  return scan_scalar(j, impl);
}

/** SHA-256 of `length` bytes at `p` into `out` (32 bytes). */
static void sha256_one(int impl, const uint8_t *p, size_t length, uint8_t *out) {
  uint32_t st[8];
  memcpy(st, IV, sizeof st);
  size_t whole = length / 64;
  if (whole > 0) compress_blocks(impl, st, p, whole);
  uint8_t last[128];
  size_t rest = length - whole * 64;
  memset(last, 0, sizeof last);
  if (rest > 0) memcpy(last, p + whole * 64, rest);
  last[rest] = 0x80;
  size_t tail_blocks = rest + 9 > 64 ? 2 : 1;
  uint64_t bits = (uint64_t)length * 8;
  for (int k = 0; k < 8; k++) last[tail_blocks * 64 - 1 - k] = (uint8_t)(bits >> (8 * k));
  compress_blocks(impl, st, last, tail_blocks);
  for (int k = 0; k < 8; k++) store_be32(out + 4 * k, st[k]);
}

/* ---- N-API helpers --------------------------------------------------------------------------- */

static napi_value fail(napi_env env, int range, const char *message) {
  if (range)
    napi_throw_range_error(env, NULL, message);
  else
    napi_throw_type_error(env, NULL, message);
  return NULL;
}

/** A typed array argument of `type`; 0 (and an exception pending) when it is not one. */
static int typed_arg(napi_env env, napi_value value, napi_typedarray_type type, const char *what,
                     void **data, size_t *length) {
  char message[160];
  bool is = false;
  if (napi_is_typedarray(env, value, &is) != napi_ok || !is) {
    snprintf(message, sizeof message, "%s must be a %s", what,
             type == napi_uint8_array ? "Uint8Array" : "Uint32Array");
    fail(env, 0, message);
    return 0;
  }
  napi_typedarray_type actual;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &actual, length, data, &buffer, &offset) != napi_ok ||
      actual != type) {
    snprintf(message, sizeof message, "%s must be a %s", what,
             type == napi_uint8_array ? "Uint8Array" : "Uint32Array");
    fail(env, 0, message);
    return 0;
  }
  if (*data == NULL && *length > 0) {
    snprintf(message, sizeof message, "%s has no memory (detached?)", what);
    fail(env, 0, message);
    return 0;
  }
  return 1;
}

/** An integer argument in [lo, hi]; 0 (and an exception pending) when it is not one. */
static int int_arg(napi_env env, napi_value value, double lo, double hi, const char *what, double *out) {
  char message[160];
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_number) {
    snprintf(message, sizeof message, "%s must be a number", what);
    fail(env, 0, message);
    return 0;
  }
  double v;
  napi_get_value_double(env, value, &v);
  if (!isfinite(v) || floor(v) != v || v < lo || v > hi) {
    snprintf(message, sizeof message, "%s must be an integer from %.0f to %.0f", what, lo, hi);
    fail(env, 1, message);
    return 0;
  }
  *out = v;
  return 1;
}

/** An optional boolean argument (undefined: false). */
static int bool_arg(napi_env env, napi_value value, const char *what, bool *out) {
  napi_valuetype type;
  *out = false;
  if (napi_typeof(env, value, &type) != napi_ok) return 0;
  if (type == napi_undefined) return 1;
  if (type != napi_boolean) {
    char message[160];
    snprintf(message, sizeof message, "%s must be a boolean when given", what);
    fail(env, 0, message);
    return 0;
  }
  napi_get_value_bool(env, value, out);
  return 1;
}

static int chosen_impl(bool portable) {
  return portable ? IMPL_PORTABLE : detected_impl();
}

/* scan(message, midstate, blocks, digitPos, digits, count, difficulty, portable?) -> offset or -1 */
static napi_value Scan(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 7) return fail(env, 0, "scan needs 7 arguments");
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  if (argc < 8) argv[7] = undefined;

  void *message, *midstate;
  size_t message_length, midstate_length;
  double blocks, digit_pos, digits, count, difficulty;
  bool portable;
  if (!typed_arg(env, argv[0], napi_uint8_array, "message", &message, &message_length)) return NULL;
  if (!typed_arg(env, argv[1], napi_uint32_array, "midstate", &midstate, &midstate_length)) return NULL;
  if (midstate_length != 8) return fail(env, 1, "midstate must hold 8 words");
  if (!int_arg(env, argv[2], 1, MAX_BLOCKS, "blocks", &blocks)) return NULL;
  if (message_length < (size_t)blocks * 64) return fail(env, 1, "message is shorter than blocks * 64 bytes");
  if (!int_arg(env, argv[3], 0, blocks * 64 - 1, "digitPos", &digit_pos)) return NULL;
  if (!int_arg(env, argv[4], 1, MAX_DIGITS, "digits", &digits)) return NULL;
  if (digit_pos + digits > blocks * 64) return fail(env, 1, "the digits run past the message");
  if (!int_arg(env, argv[5], 0, 9007199254740991.0, "count", &count)) return NULL;
  if (!int_arg(env, argv[6], 0, 64, "difficulty", &difficulty)) return NULL;
  if (!bool_arg(env, argv[7], "portable", &portable)) return NULL;

  scan_job *j = (scan_job *)calloc(1, sizeof(scan_job));
  if (j == NULL) return fail(env, 1, "out of memory");
  j->blocks = (int)blocks;
  j->digit_pos = (int)digit_pos;
  j->digits = (int)digits;
  j->difficulty = (int)difficulty;
  j->count = (uint64_t)count;
  memcpy(j->msg, message, (size_t)j->blocks * 64);
  memcpy(j->mid, midstate, sizeof j->mid);

  const char *problem = scan_setup(j);
  if (problem != NULL) {
    free(j);
    return fail(env, 1, problem);
  }
  int64_t found = scan_run(j, chosen_impl(portable));
  free(j);
  napi_value result;
  napi_create_double(env, (double)found, &result);
  return result;
}

/* sha256Batch(data, ends, out, portable?): out[32i..32i+32) = SHA-256(data[ends[i-1]..ends[i])) */
static napi_value Sha256Batch(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 3) return fail(env, 0, "sha256Batch needs 3 arguments");
  napi_value undefined;
  napi_get_undefined(env, &undefined);
  if (argc < 4) argv[3] = undefined;
  void *data, *ends_raw, *out_raw;
  size_t data_length, n, out_length;
  bool portable;
  if (!typed_arg(env, argv[0], napi_uint8_array, "data", &data, &data_length)) return NULL;
  if (!typed_arg(env, argv[1], napi_uint32_array, "ends", &ends_raw, &n)) return NULL;
  if (!typed_arg(env, argv[2], napi_uint8_array, "out", &out_raw, &out_length)) return NULL;
  if (!bool_arg(env, argv[3], "portable", &portable)) return NULL;
  const uint32_t *ends = (const uint32_t *)ends_raw;
  uint8_t *out = (uint8_t *)out_raw;
  const uint8_t *bytes = (const uint8_t *)data;
  if (n > SIZE_MAX / 32 || out_length < 32 * n) return fail(env, 1, "out is shorter than 32 bytes per slice");
  uint32_t previous = 0;
  for (size_t i = 0; i < n; i++) {
    if (ends[i] < previous) return fail(env, 1, "ends must not decrease");
    if (ends[i] > data_length) return fail(env, 1, "ends run past the data");
    previous = ends[i];
  }
  /* A digest written into the data would change the slices after it. */
  if (n > 0 && data_length > 0 && out < bytes + data_length && bytes < out + 32 * n)
    return fail(env, 1, "out must not overlap data");

  int impl = chosen_impl(portable);
  uint32_t start = 0;
  for (size_t i = 0; i < n; i++) {
    /* Read once and checked again: `ends` may sit on a SharedArrayBuffer another thread writes. */
    uint32_t end = ends[i];
    if (end < start || end > data_length) return fail(env, 1, "ends changed during the call");
    sha256_one(impl, bytes + start, end - start, out + 32 * i);
    start = end;
  }
  return undefined;
}

/* features() -> { sha, arch, impl } */
static napi_value Features(napi_env env, napi_callback_info info) {
  (void)info;
  int impl = detected_impl();
  napi_value result, sha, arch, name;
  napi_create_object(env, &result);
  napi_get_boolean(env, impl != IMPL_PORTABLE, &sha);
#if defined(__x86_64__)
  const char *arch_name = "x64";
#elif defined(__aarch64__)
  const char *arch_name = "arm64";
#else
  const char *arch_name = "other";
#endif
  napi_create_string_utf8(env, arch_name, NAPI_AUTO_LENGTH, &arch);
  const char *impl_name = impl == IMPL_SHANI ? "sha-ni" : impl == IMPL_ARM ? "armv8-sha2" : "portable";
  napi_create_string_utf8(env, impl_name, NAPI_AUTO_LENGTH, &name);
  napi_set_named_property(env, result, "sha", sha);
  napi_set_named_property(env, result, "arch", arch);
  napi_set_named_property(env, result, "impl", name);
  return result;
}

NAPI_MODULE_INIT() {
  napi_property_descriptor properties[] = {
      {"scan", NULL, Scan, NULL, NULL, NULL, napi_default, NULL},
      {"sha256Batch", NULL, Sha256Batch, NULL, NULL, NULL, napi_default, NULL},
      {"features", NULL, Features, NULL, NULL, NULL, napi_default, NULL},
  };
  if (napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties) != napi_ok)
    return NULL;
  return exports;
}
