/**
 * Peers: the registered peers with the health the node reports, a form for POST /nodes/register,
 * and Resolve (the tutorial's consensus) with the per-peer report.
 */

import { type ApiError, getJson, postJson } from '../api.js';
import { h, labelCells, replace } from '../dom.js';
import { ago, count } from '../format.js';
import { peerList } from '../forms.js';
import { type PeerView, state, subscribe } from '../store.js';

interface PeerReport {
  peer: string;
  status: string;
  length?: number;
  code?: string;
  misbehaved?: boolean;
  reason?: string;
  ms?: number;
}

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

/** What else the node says about a peer: its kind, last error, ban or backoff, unknown fields. */
function notes(peer: PeerView): string {
  const out: string[] = [];
  if (typeof peer.kind === 'string') out.push(peer.kind);
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
      const answer = await getJson<{ message: string; length?: number; peers?: PeerReport[] }>('/nodes/resolve');
      const reports = answer.peers ?? [];
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
                        h('td', null, r.reason ? `${r.code ? `${r.code}: ` : ''}${r.reason}` : ''),
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
      h('h2', { id: 'peers-title' }, 'Registered peers'),
      empty,
      list,
    ),
  );

  const render = (): void => {
    empty.hidden = state.peers.length > 0;
    list.hidden = state.peers.length === 0;
    replace(
      tbody,
      state.peers.map((p) =>
        h(
          'tr',
          null,
          h('td', null, h('code', null, p.address)),
          h(
            'td',
            null,
            p.status ? h('span', { class: `badge ${p.status}` }, p.status) : h('span', { class: 'muted' }, 'unknown'),
          ),
          h('td', { class: 'num' }, typeof p.height === 'number' ? count(p.height) : '—'),
          h('td', null, lastSeen(p.lastSeen)),
          h('td', { class: 'num' }, typeof p.failures === 'number' ? count(p.failures) : '—'),
          h('td', { class: 'small' }, notes(p)),
        ),
      ),
    );
    labelCells(list.querySelector('table') as HTMLTableElement);
  };
  const off = subscribe(['peers'], render);
  render();
  return off;
}
