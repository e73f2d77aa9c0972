/**
 * Network: who is on which branch, on one screen (for a classroom). Every peer's tip as this node
 * last saw it (`GET /network`: height, hash, work, rules), peers on one tip grouped in one card:
 * this node's tip, behind it on our chain, a tip we do not have (another branch, or ahead), another
 * network (other rules or another genesis), not reached yet. Kept current while the page is open
 * (polled, and redrawn on chain and peer changes).
 */

import './network.css';
import { ApiError, getJson } from '../api.js';
import { type Child, h, replace } from '../dom.js';
import { ago, shortHash } from '../format.js';
import { formatNumber, messages, onLanguageChange } from '../i18n.js';
import { subscribe } from '../store.js';

const t = messages(
  'network',
  {
    title: 'Network',
    lead: 'Every peer’s chain as this node last saw it, grouped by the tip it is on. Peers on one tip agree; a peer behind has our blocks but not the newest; a tip we do not have is another branch (or blocks we have not fetched yet); another network runs other rules or started from another genesis block.',
    loading: 'Loading the network…',
    failed: 'The node did not answer: {message}',
    thisNode: 'This node',
    rules: 'Rules',
    height: 'Height',
    tip: 'Tip',
    work: 'Work',
    genesis: 'Genesis',
    same: 'Same tip as this node',
    behind: 'Behind: on our chain',
    otherBranch: 'Another branch',
    otherBranchAhead: 'Another branch, with more work (this node will switch to it when it syncs)',
    otherNetwork: 'Another network',
    unknown: 'Not reached yet',
    peerCount: '{n} peer',
    peerCountMany: '{n} peers',
    youAreHere: 'this node is here',
    noPeers: 'No peers yet: add some on the Peers page, and each one’s tip appears here.',
    seen: 'seen {ago}',
    health: 'health: {status}',
    staleKnown: 'its tip is a stale block here',
    otherGenesis: 'another genesis block',
    otherRules: 'rules: {rules}',
    paramDifficulty: 'difficulty',
    paramNetwork: 'network',
    paramGenesis: 'genesis',
    listSep: ', ',
    summary:
      '{agree} of {total} peers on this node’s tip, {behind} behind, {branch} on another branch, {other} on another network, {unknown} not reached.',
  },
  {
    title: '网络',
    lead: '这个节点最近一次看到的每个对等节点的链，按所在的末端分组。同一末端上的节点彼此一致；落后的节点拥有我们的区块，但没有最新的；我们没有的末端是另一个分支（或者还没下载的区块）；另一个网络使用别的规则，或者从另一个创世区块开始。',
    loading: '正在加载网络……',
    failed: '节点没有应答：{message}',
    thisNode: '本节点',
    rules: '规则',
    height: '高度',
    tip: '末端',
    work: '工作量',
    genesis: '创世区块',
    same: '与本节点末端相同',
    behind: '落后：在我们的链上',
    otherBranch: '另一个分支',
    otherBranchAhead: '另一个分支，工作量更多（本节点同步时会切换过去）',
    otherNetwork: '另一个网络',
    unknown: '尚未连上',
    peerCount: '{n} 个节点',
    peerCountMany: '{n} 个节点',
    youAreHere: '本节点在这里',
    noPeers: '还没有对等节点：在“节点”页面添加后，它们的末端会显示在这里。',
    seen: '{ago}看到',
    health: '状态：{status}',
    staleKnown: '它的末端在这里是陈旧区块',
    otherGenesis: '创世区块不同',
    otherRules: '规则：{rules}',
    paramDifficulty: '难度',
    paramNetwork: '网络',
    paramGenesis: '创世区块',
    listSep: '，',
    summary:
      '{total} 个节点中：{agree} 个与本节点末端相同，{behind} 个落后，{branch} 个在另一个分支，{other} 个在另一个网络，{unknown} 个尚未连上。',
  },
);

/** How often the page asks the node again (peers' tips change with the node's sync rounds). */
const POLL_MS = 3000;

type Relation = 'same' | 'behind' | 'other-branch' | 'other-network' | 'unknown';

interface PeerTipView {
  readonly address: string;
  readonly status: string;
  readonly height: number | null;
  readonly tip: string | null;
  readonly work: string | null;
  readonly genesis: string | null;
  readonly profile: string | null;
  readonly params: Readonly<Record<string, string>>;
  readonly seen_at: number | null;
  readonly relation: Relation;
  readonly ahead: boolean | null;
  readonly known_stale: boolean;
}

interface NetworkAnswer {
  readonly self: {
    readonly node_id: string;
    readonly profile: string;
    readonly params: Readonly<Record<string, string>>;
    readonly height: number;
    readonly tip: string;
    readonly work: string;
    readonly genesis: string;
  };
  readonly peers: readonly PeerTipView[];
  readonly groups: readonly {
    readonly relation: Relation;
    readonly tip: string | null;
    readonly height: number | null;
    readonly work: string | null;
    readonly self: boolean;
    readonly peers: readonly string[];
  }[];
}

function work(text: string | null): string {
  if (text === null) return '—';
  if (text.length <= 15) return formatNumber(Number(text));
  return `${text.slice(0, 1)}.${text.slice(1, 4)}e${text.length - 1}`;
}

/** A profile parameter's name in the page's language (the names the node sends, else as sent). */
const paramName = (key: string): string =>
  key === 'difficulty'
    ? t('paramDifficulty')
    : key === 'network'
      ? t('paramNetwork')
      : key === 'genesis'
        ? t('paramGenesis')
        : key;

/** A parameter's value as shown: a hash shortened (the whole of it in its title). */
const paramValue = (v: string): string => (/^[0-9a-f]{20,}$/.test(v) ? shortHash(v, 12) : v);

const rules = (profile: string | null, params: Readonly<Record<string, string>>): string =>
  [profile ?? '?', ...Object.entries(params).map(([k, v]) => `${paramName(k)} ${paramValue(v)}`)].join(t('listSep'));

/** The rules as nodes: the profile and the values are data (code), the names are words. */
const rulesView = (profile: string | null, params: Readonly<Record<string, string>>): Child[] => {
  const parts: Child[] = [h('code', null, profile ?? '?')];
  for (const [k, v] of Object.entries(params)) {
    parts.push(t('listSep'), `${paramName(k)} `, h('code', { class: 'hash', title: v }, paramValue(v)));
  }
  return parts;
};

/** Renders the network page into `main`; returns its cleanup. */
export function renderNetwork(main: HTMLElement, _arg?: string): () => void {
  const heading = h('h1', { tabindex: '-1' });
  const lead = h('p', { class: 'lead' });
  const summary = h('p', { class: 'net-summary', 'data-testid': 'network-summary' });
  const self = h('section', { class: 'card net-self', 'data-testid': 'network-self' });
  const grid = h('div', { class: 'net-groups', 'data-testid': 'network-groups' });
  main.append(heading, lead, summary, self, grid);
  let answer: NetworkAnswer | null = null;
  let error: string | null = null;
  let closed = false;

  const titleOf = (relation: Relation, ahead: boolean): string =>
    relation === 'same'
      ? t('same')
      : relation === 'behind'
        ? t('behind')
        : relation === 'other-branch'
          ? ahead
            ? t('otherBranchAhead')
            : t('otherBranch')
          : relation === 'other-network'
            ? t('otherNetwork')
            : t('unknown');

  const draw = (): void => {
    replace(heading, t('title'));
    replace(lead, t('lead'));
    if (!answer) {
      replace(summary, error === null ? t('loading') : t('failed', { message: error }));
      return;
    }
    const data = answer;
    const n = (relation: Relation): number => data.peers.filter((p) => p.relation === relation).length;
    replace(
      summary,
      data.peers.length === 0
        ? t('noPeers')
        : t('summary', {
            agree: n('same'),
            total: data.peers.length,
            behind: n('behind'),
            branch: n('other-branch'),
            other: n('other-network'),
            unknown: n('unknown'),
          }),
    );
    replace(
      self,
      h('h2', null, t('thisNode')),
      h(
        'dl',
        { class: 'kv' },
        h('dt', null, t('rules')),
        h('dd', null, rulesView(data.self.profile, data.self.params)),
        h('dt', null, t('height')),
        h('dd', null, `#${data.self.height}`),
        h('dt', null, t('tip')),
        h('dd', null, h('code', { class: 'hash', title: data.self.tip }, shortHash(data.self.tip, 16))),
        h('dt', null, t('work')),
        h('dd', null, work(data.self.work)),
        h('dt', null, t('genesis')),
        h('dd', null, h('code', { class: 'hash', title: data.self.genesis }, shortHash(data.self.genesis, 16))),
      ),
    );
    const byAddress = new Map(data.peers.map((p) => [p.address, p]));
    replace(
      grid,
      data.groups.map((group) => {
        const members = group.peers.map((a) => byAddress.get(a)).filter((p): p is PeerTipView => p !== undefined);
        const ahead = members.some((p) => p.ahead === true);
        return h(
          'section',
          { class: `card net-group ${group.relation}`, 'data-relation': group.relation, 'data-tip': group.tip ?? '' },
          h('h2', null, titleOf(group.relation, ahead)),
          group.tip === null
            ? null
            : h(
                'p',
                { class: 'net-tip' },
                h('span', { class: 'net-height' }, group.height === null ? '—' : `#${group.height}`),
                ' ',
                h('code', { class: 'hash', title: group.tip }, shortHash(group.tip, 12)),
                ' · ',
                `${t('work')} ${work(group.work)}`,
              ),
          h(
            'p',
            { class: 'small muted' },
            t(group.peers.length === 1 ? 'peerCount' : 'peerCountMany', { n: group.peers.length }),
            group.self ? ` · ${t('youAreHere')}` : '',
          ),
          h(
            'ul',
            { class: 'net-peers' },
            group.self ? h('li', { class: 'net-me' }, `★ ${t('thisNode')}`) : null,
            members.map((peer) => {
              const notes: string[] = [];
              if (peer.seen_at !== null) notes.push(t('seen', { ago: ago(peer.seen_at) }));
              if (peer.status !== 'ok') notes.push(t('health', { status: peer.status }));
              if (peer.known_stale) notes.push(t('staleKnown'));
              if (peer.relation === 'other-network') {
                if (peer.genesis !== null && peer.genesis !== data.self.genesis) notes.push(t('otherGenesis'));
                if (peer.profile !== null) notes.push(t('otherRules', { rules: rules(peer.profile, peer.params) }));
              }
              return h(
                'li',
                { 'data-peer': peer.address },
                h('strong', null, peer.address),
                group.relation === 'same' || group.relation === 'unknown'
                  ? null
                  : h('span', { class: 'small' }, ` #${peer.height ?? '?'}`),
                notes.length > 0 ? h('span', { class: 'small muted' }, ` · ${notes.join(' · ')}`) : null,
              );
            }),
          ),
        );
      }),
    );
  };

  let loading = false;
  const load = (): void => {
    if (loading || closed) return;
    loading = true;
    getJson<NetworkAnswer>('/network')
      .then((a) => {
        answer = a;
        error = null;
      })
      .catch((err: unknown) => {
        error = err instanceof ApiError ? err.message : String(err);
      })
      .finally(() => {
        loading = false;
        if (!closed) draw();
      });
  };

  draw();
  load();
  const timer = setInterval(load, POLL_MS);
  const off = subscribe(['chain', 'peers', 'forks'], load);
  const offLanguage = onLanguageChange(draw);
  return () => {
    closed = true;
    clearInterval(timer);
    off();
    offLanguage();
  };
}
