/** Little-endian scalar helpers for the Ed25519 edge-case tests (non-canonical S values and the like). */

/** 32 little-endian bytes of `n` (which may be >= L: a non-canonical S). */
export function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let k = 0; k < 32; k++) out[k] = Number((n >> BigInt(8 * k)) & 0xffn);
  return out;
}

/** The little-endian number `b` holds. */
export function leNumber(b: Uint8Array): bigint {
  let n = 0n;
  for (let k = b.length - 1; k >= 0; k--) n = (n << 8n) | BigInt(b[k] as number);
  return n;
}
