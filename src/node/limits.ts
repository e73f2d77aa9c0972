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

/**
 * Most bytes one answer to `GET /blocks` may have: a page holds at most {@link PAGE_BYTES} of blocks,
 * or one block of up to {@link MAX_PEER_BLOCK_BYTES} (wire JSON is never longer than the canonical
 * text a block's size counts), plus its envelope, for which a MiB is plenty. A longer answer is one
 * no blockforge node sends: the sync blames the peer that sent it.
 */
export const PAGE_ANSWER_BYTES = MAX_PEER_BLOCK_BYTES + 1024 * 1024;

/**
 * Block pages one sync has requested or holds unvalidated at once: enough to keep the peer serving
 * while this node parses and validates (measured on loopback, a fresh 20,000-block sync: with one
 * page ahead the syncing node sat idle ~70 ms of ~830, waiting for pages; with four, ~5-20 ms),
 * few enough that a slow or hostile peer ties up little (see {@link SYNC_BYTES_IN_FLIGHT}).
 */
export const SYNC_PAGES_IN_FLIGHT = 4;

/**
 * Bytes of block pages one sync holds at once (68 MiB): each requested page counts at its cap
 * ({@link PAGE_ANSWER_BYTES}, or the peer limit when lower) until it arrives, then at its length
 * until it is validated. A page is requested only while the total stays within this, so the
 * answers a sync waits for or has yet to validate never exceed it, however big their blocks (what
 * was validated is bounded apart: 256 MiB a sync, adopted in parts of 4 MiB).
 */
export const SYNC_BYTES_IN_FLIGHT = SYNC_PAGES_IN_FLIGHT * PAGE_ANSWER_BYTES;

/** Largest `--hashrate` cap: more than any machine hashes, and far from 2^53 (kept here, light, for the CLI). */
export const MAX_HASHRATE = 1e12;
