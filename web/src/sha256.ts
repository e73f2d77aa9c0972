/**
 * SHA-256 for the page, synchronous. The explorer shows hashes computed with Web Crypto, but Web
 * Crypto is asynchronous and exists only in secure contexts (https, localhost): a phone opening
 * http://192.168.1.5:5000 has none. The core's plain-TypeScript SHA-256 fills both gaps: the core's
 * validation code runs on it in the browser (it needs a synchronous hash), and the page falls back
 * to it off localhost.
 */

export { sha256Bytes, sha256HexSync, toHex } from '../../src/core/sha256.js';
