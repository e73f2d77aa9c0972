/**
 * Byte limits shared by the node and its peer network (each limit in bytes as well as counts; the
 * README's "Limits" lists them all).
 */

/**
 * Largest block accepted from a peer, in canonical bytes (`Block.size`): 4 times the 4 MiB that
 * blockforge forges, so any block a blockforge node forges is accepted, and a page holding it fits in
 * the 32 MiB a peer answer may have. A larger block is skipped, and its sender is not blamed (an
 * honest tutorial node may have made it).
 */
export const MAX_PEER_BLOCK_BYTES = 16 * 1024 * 1024;

/**
 * Most bytes of wire JSON one `GET /blocks` page carries (at least one block whatever its size): a
 * page of small blocks stays well under the 32 MiB a peer answer may have.
 */
export const PAGE_BYTES = 8 * 1024 * 1024;

/** Largest `--hashrate` cap: more than any machine hashes, and far from 2^53 (kept here, light, for the CLI). */
export const MAX_HASHRATE = 1e12;
