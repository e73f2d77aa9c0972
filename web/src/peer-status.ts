/**
 * What the Peers table says about a peer's health. The node's health (`GET /nodes`) says whether a
 * peer answers; it says `ok` for a peer that answers but runs other rules (another profile or
 * difficulty), which no sync can use. The last `/nodes/resolve` report says so (`incompatible`), so
 * the table combines both. No DOM here, so unit tests run it.
 */

import type { PeerReportView, PeerView } from './store.js';

/** A peer's status as the table shows it, and why, when there is a reason to give. */
export interface PeerDisplayStatus {
  /** `new`, `ok`, `failing`, `banned`, `incompatible`, or `unknown` (an older node without health). */
  readonly status: string;
  readonly reason: string | null;
}

/** Statuses that are news about now, whatever an earlier report said. */
const CURRENT_TROUBLE = new Set(['failing', 'banned']);

/**
 * The status to show for `peer`, given the last resolve report about it (if any): `failing` and
 * `banned` from health win (they are about now); otherwise a report of `incompatible` (or a node
 * whose health says so itself) makes the peer `incompatible`, not `ok`.
 */
export function peerDisplayStatus(peer: PeerView, report?: PeerReportView): PeerDisplayStatus {
  const health = typeof peer.status === 'string' ? peer.status : null;
  if (health !== null && CURRENT_TROUBLE.has(health)) {
    return { status: health, reason: typeof peer.lastError === 'string' ? peer.lastError : null };
  }
  if (health === 'incompatible' || report?.status === 'incompatible') {
    return { status: 'incompatible', reason: report?.status === 'incompatible' ? (report.reason ?? null) : null };
  }
  return { status: health ?? 'unknown', reason: null };
}

/** The reports of `reports` by peer, merged over `previous` (a newer report replaces an older one). */
export function mergeReports(
  previous: Readonly<Record<string, PeerReportView>>,
  reports: readonly PeerReportView[],
): Record<string, PeerReportView> {
  const out: Record<string, PeerReportView> = { ...previous };
  for (const report of reports) out[report.peer] = report;
  return out;
}
