/*
 * Cross-check of the addon's instruction-set path against its portable C path, without Node: for an
 * architecture this machine is not, under emulation. How the AArch64 path was checked (on x86-64,
 * Debian packages gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user):
 *
 *   aarch64-linux-gnu-gcc -O2 -I/usr/include/node -static -o /tmp/cross-check cross-check.c \
 *     -Wl,--unresolved-symbols=ignore-all -lm && qemu-aarch64 /tmp/cross-check
 *
 * (the N-API functions are never called here, so they may stay unresolved). Natively:
 *   gcc -O2 -I/usr/include/node -static -o /tmp/cross-check cross-check.c \
 *     -Wl,--unresolved-symbols=ignore-all -lm && /tmp/cross-check
 * It hashes random lengths and scans random layouts with both paths and exits 1 on any difference.
 */

#include "../src/blockforge_native.c"
#include <stdlib.h>
static uint32_t rnd_state = 12345;
static uint32_t rnd(void) { rnd_state = rnd_state * 1103515245u + 12345u; return rnd_state >> 8; }
int main(void) {
  int impl = detected_impl();
  printf("path under test: %s\n", impl == IMPL_SHANI ? "sha-ni" : impl == IMPL_ARM ? "armv8-sha2" : "portable");
  int bad = 0;
  /* sha256_one on random lengths: the CPU path against the portable one */
  uint8_t data[400], a[32], b[32];
  for (int t = 0; t < 2000; t++) {
    size_t len = rnd() % 300;
    for (size_t k = 0; k < len; k++) data[k] = (uint8_t)rnd();
    sha256_one(impl, data, len, a);
    sha256_one(IMPL_PORTABLE, data, len, b);
    if (memcmp(a, b, 32) != 0) { bad++; }
  }
  /* known answer: sha256("abc") */
  sha256_one(impl, (const uint8_t *)"abc", 3, a);
  printf("abc: "); for (int k = 0; k < 32; k++) printf("%02x", a[k]); printf("\n");
  /* scans: various layouts, ARM vs portable */
  for (int t = 0; t < 300; t++) {
    scan_job *j1 = calloc(1, sizeof(scan_job)), *j2 = calloc(1, sizeof(scan_job));
    int prefix = rnd() % 130, digits = 1 + rnd() % 16, suffix = rnd() % 100;
    int len = prefix + digits + suffix;
    int blocks = (len + 9 + 63) / 64;
    uint8_t msg[MAX_BLOCKS * 64]; memset(msg, 0, sizeof msg);
    for (int k = 0; k < prefix; k++) msg[k] = 'a' + rnd() % 26;
    for (int k = 0; k < digits; k++) msg[prefix + k] = '0' + (k == 0 && digits > 1 ? 1 + rnd() % 8 : rnd() % 10);
    for (int k = 0; k < suffix; k++) msg[prefix + digits + k] = 'A' + rnd() % 26;
    msg[len] = 0x80; store_be32(msg + blocks * 64 - 4, (uint32_t)len * 8);
    scan_job *js[2] = {j1, j2};
    for (int q = 0; q < 2; q++) {
      scan_job *j = js[q];
      memcpy(j->msg, msg, sizeof msg); memcpy(j->mid, IV, 32);
      j->blocks = blocks; j->digit_pos = prefix; j->digits = digits; j->difficulty = rnd_state % 3; j->count = 0;
    }
    j2->difficulty = j1->difficulty;
    /* count: up to 3000 but within the digit count */
    uint64_t first = 0, limit = 1; for (int k = 0; k < digits; k++) { first = first * 10 + (msg[prefix + k] - '0'); limit *= 10; }
    uint64_t count = 1 + rnd() % 3000; if (count > limit - first) count = limit - first;
    j1->count = j2->count = count;
    if (scan_setup(j1) || scan_setup(j2)) { printf("setup failed\n"); bad++; continue; }
    int64_t r1 = scan_run(j1, impl), r2 = scan_run(j2, IMPL_PORTABLE);
    if (r1 != r2) { bad++; printf("scan mismatch %d %d: %lld %lld\n", prefix, digits, (long long)r1, (long long)r2); }
    free(j1); free(j2);
  }
  printf("mismatches: %d\n", bad);
  return bad != 0;
}
