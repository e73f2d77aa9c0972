/**
 * Peers: the registered peers with the health the node reports, kept current while the page is
 * open (the node announces list changes, not health changes, so `/nodes` is polled), a Remove
 * button per peer (DELETE /nodes/:peer), a form for POST /nodes/register, and Resolve (the
 * tutorial's consensus) with the per-peer report.
 */

import { ApiError, getJson, postJson } from '../api.js';
import { h, labelCells, replace, rich } from '../dom.js';
import { ago, count, inFuture } from '../format.js';
import { peerList } from '../forms.js';
import { messages } from '../i18n.js';
import { mergeReports, type PeerDisplayStatus, peerDisplayStatus } from '../peer-status.js';
import { changed, loadPeers, type PeerReportView, type PeerView, state, subscribe } from '../store.js';

const t = messages(
  'peers',
  {
    title: 'Peers',
    lead: 'Nodes agree by consensus: Resolve asks every peer for its chain, checks every block of it, and adopts the longest valid chain that is longer than ours. A peer that sends something invalid is reported, never trusted.',
    leadLedger:
      'Nodes agree by consensus: Resolve asks every peer for its chain, checks every block of it with the ledger rules, and adopts the valid chain with the most cumulative work, if it has more than ours. A peer that sends something invalid is reported, never trusted.',
    learned: 'learned (it said hello)',
    otherRules: 'other rules: {reason}',
    otherRulesUnknown: 'another profile or difficulty',
    bannedUntil: 'banned until {when}',
    nextTry: 'next try {when}',
    empty: 'No peers yet. Start another node (npm start -- --port 5001) and add it here.',
    registeredLabel: 'Registered peers',
    peer: 'Peer',
    health: 'Health',
    height: 'Height',
    lastSeen: 'Last seen',
    failures: 'Failures',
    notes: 'Notes',
    actions: 'Actions',
    addPeers: 'Add peers',
    peerAddresses: 'Peer addresses',
    addHint: 'One per line: http://host:port or host:port. POST /nodes/register adds all of them or none.',
    addedOne: '{message}: {n} peer in all.',
    addedMany: '{message}: {n} peers in all.',
    resolve: 'Resolve',
    asking: 'Asking every peer for its chain…',
    ourHeight: ' (our height: {n})',
    noPeersToAsk: 'No peers to ask.',
    reportLabel: 'Resolve report, one row per peer',
    outcome: 'Outcome',
    length: 'Length',
    time: 'Time',
    why: 'Why',
    ms: '{n} ms',
    consensus: 'Consensus',
    registered: 'Registered peers',
    pollNote: 'GET /nodes, asked again every {s} s while this page is open. Remove: DELETE /nodes/:peer.',
    removedOne: '{message}: {address}. {n} peer left.',
    removedMany: '{message}: {address}. {n} peers left.',
    notAPeer: '{address} is not a peer any more.',
    couldNotRemove: 'Could not remove {address}: {reason}',
    removePeer: 'Remove peer {address}',
    remove: 'Remove',
    'status-new': 'new',
    'status-ok': 'ok',
    'status-failing': 'failing',
    'status-banned': 'banned',
    'status-incompatible': 'incompatible',
    'status-unknown': 'unknown',
    'status-adopted': 'adopted',
    'status-not-longer': 'not-longer',
    'status-not-chosen': 'not-chosen',
    'status-timeout': 'timeout',
    'status-unreachable': 'unreachable',
    'status-invalid': 'invalid',
    'status-bad-response': 'bad-response',
  },
  {
    title: '对等节点',
    lead: '节点之间通过共识达成一致：“解决冲突”会向每个对等节点索取它的链，检查其中的每一个区块，并采用比我们更长的有效链中最长的一条。发送无效数据的节点会被记录下来，绝不会被信任。',
    leadLedger:
      '节点之间通过共识达成一致：“解决冲突”会向每个对等节点索取它的链，用账本规则检查其中的每一个区块，并采用累计工作量最多的有效链（如果它比我们的多）。发送无效数据的节点会被记录下来，绝不会被信任。',
    learned: '自动发现（它主动打过招呼）',
    otherRules: '规则不同：{reason}',
    otherRulesUnknown: '规则集或难度不同',
    bannedUntil: '封禁至 {when}',
    nextTry: '下次重试：{when}',
    empty: '还没有对等节点。启动另一个节点（`npm start -- --port 5001`），然后在这里添加它。',
    registeredLabel: '已登记的对等节点',
    peer: '节点',
    health: '健康状态',
    height: '高度',
    lastSeen: '最近一次联系',
    failures: '失败次数',
    notes: '备注',
    actions: '操作',
    addPeers: '添加对等节点',
    peerAddresses: '节点地址',
    addHint: '每行一个：`http://host:port` 或 `host:port`。`POST /nodes/register` 要么全部添加，要么一个都不添加。',
    addedOne: '{message}：现在共有 {n} 个对等节点。',
    addedMany: '{message}：现在共有 {n} 个对等节点。',
    resolve: '解决冲突',
    asking: '正在向每个对等节点索取它的链…',
    ourHeight: '（我们的高度：{n}）',
    noPeersToAsk: '没有可以询问的对等节点。',
    reportLabel: '解决冲突的报告，每个对等节点一行',
    outcome: '结果',
    length: '长度',
    time: '耗时',
    why: '原因',
    ms: '{n} 毫秒',
    consensus: '共识',
    registered: '已登记的对等节点',
    pollNote: '`GET /nodes`：本页打开期间每 {s} 秒重新询问一次。移除：`DELETE /nodes/:peer`。',
    removedOne: '{message}：{address}。还剩 {n} 个对等节点。',
    removedMany: '{message}：{address}。还剩 {n} 个对等节点。',
    notAPeer: '{address} 已经不是对等节点了。',
    couldNotRemove: '无法移除 {address}：{reason}',
    removePeer: '移除对等节点 {address}',
    remove: '移除',
    'status-new': '新加入',
    'status-ok': '正常',
    'status-failing': '连接失败',
    'status-banned': '已封禁',
    'status-incompatible': '不兼容',
    'status-unknown': '未知',
    'status-adopted': '已采用',
    'status-not-longer': '不比我们长',
    'status-not-chosen': '未被选中',
    'status-timeout': '超时',
    'status-unreachable': '无法连接',
    'status-invalid': '无效',
    'status-bad-response': '应答无效',
  },
);

const STATUSES = new Set([
  'new',
  'ok',
  'failing',
  'banned',
  'incompatible',
  'unknown',
  'adopted',
  'not-longer',
  'not-chosen',
  'timeout',
  'unreachable',
  'invalid',
  'bad-response',
]);

/** A status as shown: translated when known, else the node's own word. */
function statusLabel(status: string): string {
  return STATUSES.has(status) ? t(`status-${status}` as Parameters<typeof t>[0]) : status;
}

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
  return d > 1 ? inFuture(seconds) : ago(seconds);
}

/**
 * What else the node says about a peer: its kind, how it was learned, why it is incompatible, its
 * last error, ban or backoff, unknown fields.
 */
function notes(peer: PeerView, shown: PeerDisplayStatus): string {
  const out: string[] = [];
  if (typeof peer.kind === 'string') out.push(peer.kind);
  if (peer.origin === 'learned') out.push(t('learned'));
  if (shown.status === 'incompatible') out.push(t('otherRules', { reason: shown.reason ?? t('otherRulesUnknown') }));
  const banned = when(peer.bannedUntil);
  if (banned && peer.status === 'banned') out.push(t('bannedUntil', { when: banned }));
  const retry = when(peer.retryAt);
  if (retry && peer.status === 'failing') out.push(t('nextTry', { when: retry }));
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
  const lead = h('p', { class: 'lead' });
  const renderLead = (): void => replace(lead, t(state.info?.profile === 'ledger' ? 'leadLedger' : 'lead'));
  renderLead();
  const offInfo = subscribe(['info'], renderLead);
  const tbody = h('tbody');
  const empty = h('p', { class: 'muted' }, rich(t('empty')));
  const list = h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: 'table stack', 'aria-label': t('registeredLabel'), 'data-testid': 'peers' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, t('peer')),
          h('th', { scope: 'col' }, t('health')),
          h('th', { scope: 'col', class: 'num' }, t('height')),
          h('th', { scope: 'col' }, t('lastSeen')),
          h('th', { scope: 'col', class: 'num' }, t('failures')),
          h('th', { scope: 'col' }, t('notes')),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, t('actions'))),
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
    h('h2', { id: 'add-title' }, t('addPeers')),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'peer-input' }, t('peerAddresses')),
      input,
      h('p', { id: 'peer-hint', class: 'hint' }, rich(t('addHint'))),
      error,
    ),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, t('addPeers'))),
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
      status.textContent = t(answer.total_nodes.length === 1 ? 'addedOne' : 'addedMany', {
        message: answer.message,
        n: answer.total_nodes.length,
      });
      input.value = '';
    } catch (err) {
      input.setAttribute('aria-invalid', 'true');
      error.textContent = (err as ApiError).message;
      input.focus();
    }
  });

  const resolveButton = h('button', { type: 'button', class: 'primary' }, t('resolve'));
  const resolveOut = h('div', { 'aria-live': 'polite', 'data-testid': 'resolve-report' });
  resolveButton.addEventListener('click', async () => {
    resolveButton.disabled = true;
    resolveButton.setAttribute('aria-busy', 'true');
    replace(resolveOut, h('p', { class: 'muted' }, t('asking')));
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
          answer.length === undefined ? '' : t('ourHeight', { n: count(answer.length) }),
        ),
        reports.length === 0
          ? h('p', { class: 'muted' }, t('noPeersToAsk'))
          : h(
              'div',
              { class: 'table-wrap' },
              labelCells(
                h(
                  'table',
                  { class: 'table stack', 'aria-label': t('reportLabel') },
                  h(
                    'thead',
                    null,
                    h(
                      'tr',
                      null,
                      h('th', { scope: 'col' }, t('peer')),
                      h('th', { scope: 'col' }, t('outcome')),
                      h('th', { scope: 'col', class: 'num' }, t('length')),
                      h('th', { scope: 'col', class: 'num' }, t('time')),
                      h('th', { scope: 'col' }, t('why')),
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
                        h('td', null, h('span', { class: `badge ${r.status}` }, statusLabel(r.status))),
                        h('td', { class: 'num' }, r.length === undefined ? '—' : count(r.length)),
                        h('td', { class: 'num' }, r.ms === undefined ? '—' : t('ms', { n: r.ms })),
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
    h('h1', { tabindex: '-1' }, t('title')),
    lead,
    h(
      'div',
      { class: 'columns' },
      form,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'resolve-title' },
        h('h2', { id: 'resolve-title' }, t('consensus')),
        h('p', { class: 'muted small' }, h('code', null, 'GET /nodes/resolve')),
        resolveButton,
        resolveOut,
      ),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'peers-title' },
      h('h2', { id: 'peers-title', tabindex: '-1' }, t('registered')),
      h('p', { class: 'muted small' }, rich(t('pollNote', { s: POLL_MS / 1000 }))),
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
      tableStatus.textContent = t(answer.total_nodes.length === 1 ? 'removedOne' : 'removedMany', {
        message: answer.message,
        address,
        n: answer.total_nodes.length,
      });
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
          ? t('notAPeer', { address })
          : t('couldNotRemove', { address, reason: (err as Error).message });
    }
    void loadPeers().catch(() => undefined);
  };

  const newRow = (address: string): Row => {
    const cell = (cls?: string): HTMLTableCellElement => h('td', cls ? { class: cls } : null);
    const removeButton = h(
      'button',
      { type: 'button', class: 'secondary compact', 'aria-label': t('removePeer', { address }) },
      t('remove'),
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
      const label = statusLabel(shown.status);
      if (badge?.textContent !== label || !badge.classList.contains(shown.status)) {
        replace(
          row.health,
          shown.status === 'unknown'
            ? h('span', { class: 'muted unknown' }, label)
            : h('span', { class: `badge ${shown.status}` }, label),
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
    offInfo();
    window.clearInterval(timer);
  };
}
