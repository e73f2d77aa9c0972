/**
 * Peers: the registered peers with the health the node reports, kept current while the page is
 * open (the node announces list changes, not health changes, so `/nodes` is polled), a Remove
 * button per peer (DELETE /nodes/:peer), a form for POST /nodes/register, and Resolve (the
 * tutorial's consensus) with the per-peer report.
 */

import { ApiError, getJson, postJson } from '../api.js';
import { h, labelCells, replace } from '../dom.js';
import { ago, count } from '../format.js';
import { peerList } from '../forms.js';
import { mergeReports, type PeerDisplayStatus, peerDisplayStatus } from '../peer-status.js';
import { changed, loadPeers, type PeerReportView, type PeerView, state, subscribe } from '../store.js';

/** How often the table asks the node for its peers' health while the page is open. */
const POLL_MS = 3000;

function lastSeen(value: PeerView['lastSeen']): string {
  if (value === undefined || value === null) return '—';
  if (typeof value === 'number') {
    // Seconds or milliseconds since 1970, whichever the node sends.
    const seconds = value > 1e11 ? value / 1000 : value;
    return ago(seconds);
  }
  const t = Date.parse(value);
  return Number.isFinite(t) ? ago(t / 1000) : value;
}

/** Unix seconds (or milliseconds) from the node, as "in 3 s" / "5 s ago". */
function when(value: unknown): string | null {
  if (typeof value !== 'number') return null;
  const seconds = value > 1e11 ? value / 1000 : value;
  const d = seconds - Date.now() / 1000;
  return d > 1 ? `in ${Math.round(d)} s` : ago(seconds);
}

/**
 * What else the node says about a peer: its kind, how it was learned, why it is incompatible, its
 * last error, ban or backoff, unknown fields.
 */
function notes(peer: PeerView, shown: PeerDisplayStatus): string {
  const out: string[] = [];
  if (typeof peer.kind === 'string') out.push(peer.kind);
  if (peer.origin === 'learned') out.push('learned (it said hello)');
  if (shown.status === 'incompatible') out.push(`other rules: ${shown.reason ?? 'another profile or difficulty'}`);
  const banned = when(peer.bannedUntil);
  if (banned && peer.status === 'banned') out.push(`banned until ${banned}`);
  const retry = when(peer.retryAt);
  if (retry && peer.status === 'failing') out.push(`next try ${retry}`);
  if (typeof peer.lastError === 'string' && peer.lastError !== '') out.push(peer.lastError);
  const known = new Set([
    'address',
    'status',
    'lastSeen',
    'failures',
    'kind',
    'origin',
    'bannedUntil',
    'retryAt',
    'lastError',
    'height',
    'nodeId',
  ]);
  for (const [k, v] of Object.entries(peer)) {
    if (!known.has(k) && v !== null && v !== undefined && typeof v !== 'object') out.push(`${k}: ${String(v)}`);
  }
  return out.join(' · ');
}

/** Renders the peers page into `main`; returns its cleanup. */
export function renderPeers(main: HTMLElement): () => void {
  const tbody = h('tbody');
  const empty = h(
    'p',
    { class: 'muted' },
    'No peers yet. Start another node (npm start -- --port 5001) and add it here.',
  );
  const list = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table stack', 'aria-label': 'Registered peers', 'data-testid': 'peers' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, 'Peer'),
          h('th', { scope: 'col' }, 'Health'),
          h('th', { scope: 'col', class: 'num' }, 'Height'),
          h('th', { scope: 'col' }, 'Last seen'),
          h('th', { scope: 'col', class: 'num' }, 'Failures'),
          h('th', { scope: 'col' }, 'Notes'),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')),
        ),
      ),
      tbody,
    ),
  );

  const input = h('textarea', {
    id: 'peer-input',
    name: 'nodes',
    rows: 2,
    'aria-describedby': 'peer-hint peer-error',
    placeholder: 'http://127.0.0.1:5001',
  });
  const error = h('p', { id: 'peer-error', class: 'field-error' });
  const status = h('p', { class: 'ok', role: 'status', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card form', 'aria-labelledby': 'add-title' },
    h('h2', { id: 'add-title' }, 'Add peers'),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'peer-input' }, 'Peer addresses'),
      input,
      h(
        'p',
        { id: 'peer-hint', class: 'hint' },
        'One per line: http://host:port or host:port. POST /nodes/register adds all of them or none.',
      ),
      error,
    ),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Add peers')),
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    status.textContent = '';
    input.removeAttribute('aria-invalid');
    try {
      const answer = await postJson<{ message: string; total_nodes: string[] }>(
        '/nodes/register',
        JSON.stringify({ nodes: peerList(input.value) }),
      );
      status.textContent = `${answer.message}: ${answer.total_nodes.length} peer${answer.total_nodes.length === 1 ? '' : 's'} in all.`;
      input.value = '';
    } catch (err) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = (err as ApiError).message;
      input.focus();
    }
  });

  const resolveButton = h('button', { type: 'button', class: 'primary' }, 'Resolve');
  const resolveOut = h('div', { 'aria-live': 'polite', 'data-testid': 'resolve-report' });
  resolveButton.addEventListener('click', async () => {
    resolveButton.disabled = true;
    resolveButton.setAttribute('aria-busy', 'true');
    replace(resolveOut, h('p', { class: 'muted' }, 'Asking every peer for its chain…'));
    try {
      const answer = await getJson<{ message: string; length?: number; peers?: PeerReportView[] }>('/nodes/resolve');
      const reports = answer.peers ?? [];
      // The report knows what health cannot (a peer with other rules): the table shows it too.
      state.peerReports = mergeReports(state.peerReports, reports);
      changed('peers');
      void loadPeers().catch(() => undefined);
      replace(
        resolveOut,
        h(
          'p',
          { class: answer.message.includes('replaced') ? 'ok' : '' },
          h('strong', null, answer.message),
          answer.length === undefined ? '' : ` (our height: ${count(answer.length)})`,
        ),
        reports.length === 0
          ? h('p', { class: 'muted' }, 'No peers to ask.')
          : h(
              'div',
              { class: 'table-wrap' },
              labelCells(
                h(
                  'table',
                  { class: 'table stack', 'aria-label': 'Resolve report, one row per peer' },
                  h(
                    'thead',
                    null,
                    h(
                      'tr',
                      null,
                      h('th', { scope: 'col' }, 'Peer'),
                      h('th', { scope: 'col' }, 'Outcome'),
                      h('th', { scope: 'col', class: 'num' }, 'Length'),
                      h('th', { scope: 'col', class: 'num' }, 'Time'),
                      h('th', { scope: 'col' }, 'Why'),
                    ),
                  ),
                  h(
                    'tbody',
                    null,
                    reports.map((r) =>
                      h(
                        'tr',
                        { class: r.misbehaved ? 'bad' : '' },
                        h('td', null, h('code', null, r.peer)),
                        h('td', null, h('span', { class: `badge ${r.status}` }, r.status)),
                        h('td', { class: 'num' }, r.length === undefined ? '—' : count(r.length)),
                        h('td', { class: 'num' }, r.ms === undefined ? '—' : `${r.ms} ms`),
                        h('td', { class: 'why' }, r.reason ? `${r.code ? `${r.code}: ` : ''}${r.reason}` : ''),
                      ),
                    ),
                  ),
                ),
              ),
            ),
      );
    } catch (err) {
      replace(resolveOut, h('p', { class: 'error', role: 'alert' }, (err as Error).message));
    } finally {
      resolveButton.disabled = false;
      resolveButton.setAttribute('aria-busy', 'false');
    }
  });

  const tableStatus = h('p', { class: 'ok', role: 'status', 'aria-live': 'polite' });

  main.append(
    h('h1', { tabindex: '-1' }, 'Peers'),
    h(
      'p',
      { class: 'lead' },
      'Nodes agree by consensus: Resolve asks every peer for its chain, checks every block of it, and adopts the longest valid chain that is longer than ours. A peer that sends something invalid is reported, never trusted.',
    ),
    h(
      'div',
      { class: 'columns' },
      form,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'resolve-title' },
        h('h2', { id: 'resolve-title' }, 'Consensus'),
        h('p', { class: 'muted small' }, 'GET /nodes/resolve'),
        resolveButton,
        resolveOut,
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'peers-title' },
      h('h2', { id: 'peers-title', tabindex: '-1' }, 'Registered peers'),
      h(
        'p',
        { class: 'muted small' },
        `GET /nodes, asked again every ${POLL_MS / 1000} s while this page is open. Remove: DELETE /nodes/:peer.`,
      ),
      empty,
      list,
      tableStatus,
    ),
  );

  /** One row per peer, kept across redraws: a poll must not take the focus off a Remove button. */
  interface Row {
    readonly tr: HTMLTableRowElement;
    readonly health: HTMLTableCellElement;
    readonly height: HTMLTableCellElement;
    readonly seen: HTMLTableCellElement;
    readonly failures: HTMLTableCellElement;
    readonly notes: HTMLTableCellElement;
    readonly remove: HTMLButtonElement;
  }
  const rows = new Map<string, Row>();

  const remove = async (address: string, button: HTMLButtonElement): Promise<void> => {
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    tableStatus.className = 'ok';
    tableStatus.textContent = '';
    const position = state.peers.findIndex((p) => p.address === address);
    try {
      const path = `/nodes/${encodeURIComponent(address)}`;
      const answer = await getJson<{ message: string; total_nodes: string[] }>(path, { method: 'DELETE' });
      tableStatus.textContent = `${answer.message}: ${address}. ${answer.total_nodes.length} peer${answer.total_nodes.length === 1 ? '' : 's'} left.`;
      // The node's list at once; the health of the rest follows with the reload.
      state.peers = state.peers.filter((p) => answer.total_nodes.includes(p.address));
      changed('peers');
      // Keep the keyboard where it was: the next peer's Remove, else the previous one, else the heading.
      const next = state.peers[Math.min(Math.max(position, 0), state.peers.length - 1)];
      const target = next ? rows.get(next.address)?.remove : undefined;
      (target ?? (main.querySelector('#peers-title') as HTMLElement | null))?.focus();
    } catch (err) {
      button.disabled = false;
      button.setAttribute('aria-busy', 'false');
      // Disabling the button took the focus away; give it back with the message.
      button.focus();
      tableStatus.className = 'error';
      tableStatus.textContent =
        err instanceof ApiError && err.status === 404
          ? `${address} is not a peer any more.`
          : `Could not remove ${address}: ${(err as Error).message}`;
    }
    void loadPeers().catch(() => undefined);
  };

  const newRow = (address: string): Row => {
    const cell = (cls?: string): HTMLTableCellElement => h('td', cls ? { class: cls } : null);
    const removeButton = h(
      'button',
      { type: 'button', class: 'secondary compact', 'aria-label': `Remove peer ${address}` },
      'Remove',
    );
    removeButton.addEventListener('click', () => void remove(address, removeButton));
    const row: Row = {
      tr: h('tr', { 'data-peer': address }),
      health: cell(),
      height: cell('num'),
      seen: cell(),
      failures: cell('num'),
      notes: cell('small'),
      remove: removeButton,
    };
    row.tr.append(
      h('td', null, h('code', null, address)),
      row.health,
      row.height,
      row.seen,
      row.failures,
      row.notes,
      h('td', { class: 'actions' }, removeButton),
    );
    return row;
  };

  /** Sets a cell's text only when it changed (a screen reader is not told about every poll). */
  const setText = (el: HTMLElement, value: string): void => {
    if (el.textContent !== value) el.textContent = value;
  };

  const render = (): void => {
    empty.hidden = state.peers.length > 0;
    list.hidden = state.peers.length === 0;
    const listed = new Set<string>();
    state.peers.forEach((p, k) => {
      listed.add(p.address);
      let row = rows.get(p.address);
      if (!row) {
        row = newRow(p.address);
        rows.set(p.address, row);
      }
      const shown = peerDisplayStatus(p, state.peerReports[p.address]);
      const badge = row.health.firstElementChild;
      if (badge?.textContent !== shown.status || !badge.classList.contains(shown.status)) {
        replace(
          row.health,
          shown.status === 'unknown'
            ? h('span', { class: 'muted unknown' }, 'unknown')
            : h('span', { class: `badge ${shown.status}` }, shown.status),
        );
      }
      setText(row.height, typeof p.height === 'number' ? count(p.height) : '—');
      setText(row.seen, lastSeen(p.lastSeen));
      setText(row.failures, typeof p.failures === 'number' ? count(p.failures) : '—');
      setText(row.notes, notes(p, shown));
      // Moved only when out of place: moving a row would take the focus off its button.
      if (tbody.children[k] !== row.tr) tbody.insertBefore(row.tr, tbody.children[k] ?? null);
    });
    for (const [address, row] of rows) {
      if (listed.has(address)) continue;
      row.tr.remove();
      rows.delete(address);
    }
    labelCells(list.querySelector('table') as HTMLTableElement);
  };
  const off = subscribe(['peers'], render);
  render();

  // Health changes (a peer failing, banned, seen again) are not announced by the node: ask for it.
  let polling = false;
  const poll = async (): Promise<void> => {
    if (polling) return;
    polling = true;
    try {
      await loadPeers();
    } catch {
      // Offline: the header says so; the next poll tries again.
    } finally {
      polling = false;
    }
  };
  void poll();
  const timer = window.setInterval(() => void poll(), POLL_MS);
  return () => {
    off();
    window.clearInterval(timer);
  };
}
