/**
 * Forks: the block tree this node has seen (`GET /forks`), drawn as SVG built with DOM calls: the
 * active chain on the first lane, stale branches (blocks the node validated but does not follow)
 * on the lanes below, each branch tip with its cumulative work. A `reorg` event from the node
 * (`/events`, kept in the store by live.ts) redraws the tree with the switch animated: the dropped
 * blocks slide down to a stale lane and turn grey, the adopted ones light up, and a short text says
 * what happened (fork point, blocks dropped and added, transactions back in the mempool).
 */

import './forks.css';
import { ApiError, getJson } from '../api.js';
import { h, labelCells, replace } from '../dom.js';
import { shortHash, timeOfDay } from '../format.js';
import { formatNumber, messages, onLanguageChange } from '../i18n.js';
import { type ReorgEventView, state, subscribe } from '../store.js';

const t = messages(
  'forks',
  {
    title: 'Forks',
    lead: 'Every block this node has validated, as a tree. The active chain (blue) is the branch with the most cumulative work; grey blocks are stale: valid blocks the node keeps but does not follow. When another branch gets more work, the node switches to it: a reorg.',
    treeLabel: 'Block tree: the active chain and the stale branches beside it',
    loading: 'Loading the block tree…',
    failed: 'The node did not answer: {message}',
    legendActive: 'active chain',
    legendStale: 'stale block',
    legendTip: 'branch tip, with its cumulative work',
    noStale:
      'No stale block yet: this node has seen one branch only. Partition two nodes, mine on both, then connect them, and the losing branch appears here.',
    window: 'Showing blocks #{from} to #{to} of the active chain, and the stale blocks beside them.',
    workLabel: 'work {work}',
    blockTitle: 'Block #{height} {hash}, cumulative work {work}',
    tipsTitle: 'Branch tips',
    colBranch: 'Branch',
    colHeight: 'Height',
    colTip: 'Tip',
    colWork: 'Cumulative work',
    colFork: 'Forks from',
    active: 'active',
    stale: 'stale',
    none: '—',
    storeNote:
      'Stale blocks are kept in memory: at most {blocks} blocks and {mib} MiB of their JSON, the oldest forgotten first.',
    reorgsTitle: 'Reorgs seen while this page is open',
    reorgsEmpty: 'None yet. When one happens it is animated above and explained here.',
    story:
      'At {time}, the chain switched branches at block #{fork} ({forkHash}){peer}: {dropped} dropped, {added} added, {returned} back in the mempool. Tip #{oldHeight} (work {oldWork}) → #{newHeight} (work {newWork}).',
    storyGenesis:
      'At {time}, the node adopted a chain with another genesis block{peer}: {dropped} dropped, {added} added, {returned} back in the mempool. Tip #{oldHeight} (work {oldWork}) → #{newHeight} (work {newWork}).',
    fromPeer: ' (from {peer})',
    blockOne: '{n} block',
    blockMany: '{n} blocks',
    txOne: '{n} transaction',
    txMany: '{n} transactions',
    droppedList: 'Dropped: {list}',
    addedList: 'Added: {list}',
    returnedList: 'Back in the mempool: {list}',
  },
  {
    title: '分叉',
    lead: '这个节点验证过的每个区块，画成一棵树。活动链（蓝色）是累计工作量最多的分支；灰色区块是陈旧区块：节点保留了这些有效区块，但不跟随它们。当另一个分支的工作量更多时，节点会切换过去：这就是链重组。',
    treeLabel: '区块树：活动链和旁边的陈旧分支',
    loading: '正在加载区块树……',
    failed: '节点没有应答：{message}',
    legendActive: '活动链',
    legendStale: '陈旧区块',
    legendTip: '分支末端及其累计工作量',
    noStale:
      '还没有陈旧区块：这个节点只见过一个分支。把两个节点隔开，各自挖矿，再把它们连起来，落败的分支就会出现在这里。',
    window: '显示活动链的第 {from} 到第 {to} 个区块，以及旁边的陈旧区块。',
    workLabel: '工作量 {work}',
    blockTitle: '区块 #{height} {hash}，累计工作量 {work}',
    tipsTitle: '分支末端',
    colBranch: '分支',
    colHeight: '高度',
    colTip: '末端',
    colWork: '累计工作量',
    colFork: '分叉点',
    active: '活动',
    stale: '陈旧',
    none: '—',
    storeNote: '陈旧区块保存在内存中：最多 {blocks} 个区块、{mib} MiB 的 JSON，最旧的先被丢弃。',
    reorgsTitle: '页面打开期间发生的链重组',
    reorgsEmpty: '还没有。发生时会在上方以动画显示，并在这里说明。',
    story:
      '{time}，链在区块 #{fork}（{forkHash}）处切换了分支{peer}：丢弃 {dropped}，加入 {added}，{returned} 回到内存池。末端 #{oldHeight}（工作量 {oldWork}）→ #{newHeight}（工作量 {newWork}）。',
    storyGenesis:
      '{time}，节点采用了一条创世区块不同的链{peer}：丢弃 {dropped}，加入 {added}，{returned} 回到内存池。末端 #{oldHeight}（工作量 {oldWork}）→ #{newHeight}（工作量 {newWork}）。',
    fromPeer: '（来自 {peer}）',
    blockOne: '{n} 个区块',
    blockMany: '{n} 个区块',
    txOne: '{n} 笔交易',
    txMany: '{n} 笔交易',
    droppedList: '丢弃：{list}',
    addedList: '加入：{list}',
    returnedList: '回到内存池：{list}',
  },
);

/** A block of `GET /forks`. */
interface TreeBlock {
  readonly height: number;
  readonly hash: string;
  readonly parent: string | null;
  readonly work: string;
  readonly active: boolean;
  readonly seen_at: number | null;
  readonly source?: string;
}

/** A branch tip of `GET /forks`. */
interface TreeTip {
  readonly height: number;
  readonly hash: string;
  readonly work: string;
  readonly active: boolean;
  readonly fork_height: number | null;
}

/** `GET /forks`. */
interface ForksAnswer {
  readonly height: number;
  readonly from: number;
  readonly blocks: readonly TreeBlock[];
  readonly tips: readonly TreeTip[];
  readonly stale: { readonly count: number; readonly max_blocks: number; readonly max_bytes: number };
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const COL = 112;
const BLOCK_W = 86;
const BLOCK_H = 46;
const LANE = 78;
const PAD = 16;
const TOP = 30;

/** An SVG element with attributes and children (text as text nodes, never markup). */
function svg(tag: string, attrs: Record<string, string | number> = {}, ...children: (Node | string)[]): SVGElement {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const child of children) el.append(child);
  return el as SVGElement;
}

/** Work as the page shows it: grouped digits, up to 15 of them (longer ones in scientific form). */
function work(text: string): string {
  if (text.length <= 15) return formatNumber(Number(text));
  return `${text.slice(0, 1)}.${text.slice(1, 4)}e${text.length - 1}`;
}

const blocks = (n: number): string => t(n === 1 ? 'blockOne' : 'blockMany', { n });
const txs = (n: number): string => t(n === 1 ? 'txOne' : 'txMany', { n });

/** The one-paragraph account of a reorg. */
export function reorgStory(r: ReorgEventView): string {
  const vars = {
    time: timeOfDay(r.time),
    fork: r.fork.height,
    forkHash: shortHash(r.fork.hash ?? '', 10),
    peer: r.peer ? t('fromPeer', { peer: r.peer }) : '',
    dropped: blocks(r.dropped_count),
    added: blocks(r.added_count),
    returned: txs(r.returned_count),
    oldHeight: r.old_tip.height,
    oldWork: work(r.old_tip.work),
    newHeight: r.new_tip.height,
    newWork: work(r.new_tip.work),
  };
  return t(r.fork.hash === null ? 'storyGenesis' : 'story', vars);
}

/** Places blocks: the active chain on lane 0, each stale branch on a lane of its own below. */
function layout(answer: ForksAnswer): Map<string, { x: number; y: number; lane: number }> {
  const at = new Map<string, { x: number; y: number; lane: number }>();
  const x = (height: number): number => PAD + (height - answer.from) * COL;
  const y = (lane: number): number => TOP + lane * LANE;
  const taken = new Map<number, Set<number>>();
  let nextLane = 1;
  const sorted = [...answer.blocks].sort((a, b) => Number(b.active) - Number(a.active) || a.height - b.height);
  for (const block of sorted) {
    let lane = 0;
    if (!block.active) {
      const parent = block.parent === null ? undefined : at.get(block.parent);
      lane = parent && parent.lane > 0 && !taken.get(parent.lane)?.has(block.height) ? parent.lane : nextLane++;
    }
    let heights = taken.get(lane);
    if (!heights) {
      heights = new Set();
      taken.set(lane, heights);
    }
    heights.add(block.height);
    at.set(block.hash, { x: x(Math.max(block.height, answer.from)), y: y(lane), lane });
  }
  return at;
}

/** Renders the forks page into `main`; returns its cleanup. */
export function renderForks(main: HTMLElement, _arg?: string): () => void {
  const heading = h('h1', { tabindex: '-1' });
  const lead = h('p', { class: 'lead' });
  const status = h('p', { class: 'muted', 'data-testid': 'forks-status' });
  const figure = h('div', { class: 'fork-tree-wrap', 'data-testid': 'fork-tree' });
  const legend = h('p', { class: 'fork-legend small' });
  const story = h('p', { class: 'fork-story', role: 'status', 'aria-live': 'polite', 'data-testid': 'reorg-story' });
  const tips = h('div', { class: 'table-wrap' });
  const history = h('section', { class: 'card', 'aria-labelledby': 'reorgs-title' });
  main.append(heading, lead, story, h('div', { class: 'card fork-card' }, status, figure, legend), tips, history);

  let answer: ForksAnswer | null = null;
  let error: string | null = null;
  /** Where each block was drawn last time (a moved block slides from there). */
  let drawnAt = new Map<string, { x: number; y: number }>();
  /** The reorg already animated. */
  let animated: ReorgEventView | null = state.reorgEvents[0] ?? null;
  let closed = false;

  const draw = (): void => {
    replace(heading, t('title'));
    replace(lead, t('lead'));
    replace(
      legend,
      h('span', { class: 'swatch active' }),
      ` ${t('legendActive')} `,
      h('span', { class: 'swatch stale' }),
      ` ${t('legendStale')} `,
      h('span', { class: 'swatch tip' }),
      ` ${t('legendTip')}`,
    );
    drawHistory();
    if (!answer) {
      replace(status, error === null ? t('loading') : t('failed', { message: error }));
      return;
    }
    const data = answer;
    // The last reorg's blocks stay marked; they move and light up once, on the first tree that shows it.
    const latest = state.reorgEvents[0] ?? null;
    const shown = latest !== null && data.blocks.some((b) => b.active && b.hash === latest.new_tip.hash);
    const fresh = shown && latest !== animated;
    if (fresh) animated = latest;
    const dropped = new Set(shown ? latest.dropped.map((b) => b.hash) : []);
    const added = new Set(shown ? latest.added.map((b) => b.hash) : []);
    const stale = data.blocks.filter((b) => !b.active).length;
    replace(
      status,
      t('window', { from: data.from, to: data.height }),
      ' ',
      stale === 0 ? t('noStale') : '',
      ' ',
      t('storeNote', { blocks: data.stale.max_blocks, mib: data.stale.max_bytes / 1024 / 1024 }),
    );
    replace(story, latest ? reorgStory(latest) : '');

    const at = layout(data);
    const lanes = Math.max(0, ...[...at.values()].map((p) => p.lane)) + 1;
    const maxHeight = Math.max(...data.blocks.map((b) => b.height));
    const width = PAD * 2 + (maxHeight - data.from) * COL + BLOCK_W + 40;
    const height = TOP + lanes * LANE + PAD;
    const root = svg('svg', {
      class: 'fork-tree',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'aria-label': t('treeLabel'),
    });
    const edges = svg('g', { class: 'edges' });
    const nodes = svg('g', { class: 'nodes' });
    root.append(edges, nodes);
    const forkPoints = new Set(data.blocks.filter((b) => !b.active).map((b) => b.parent));
    const tipHashes = new Map(data.tips.map((tip) => [tip.hash, tip]));
    for (const block of data.blocks) {
      const p = at.get(block.hash);
      if (!p) continue;
      const parent = block.parent === null ? undefined : at.get(block.parent);
      if (parent) {
        const x1 = parent.x + BLOCK_W;
        const y1 = parent.y + BLOCK_H / 2;
        const x2 = p.x;
        const y2 = p.y + BLOCK_H / 2;
        const mid = (x1 + x2) / 2;
        edges.append(
          svg('path', {
            d: `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`,
            class: block.active ? 'edge active' : 'edge stale',
          }),
        );
      }
      const classes = ['blk', block.active ? 'active' : 'stale'];
      if (forkPoints.has(block.hash)) classes.push('fork-point');
      if (dropped.has(block.hash)) classes.push('dropped');
      if (added.has(block.hash)) classes.push('lit');
      if (fresh && (dropped.has(block.hash) || added.has(block.hash))) classes.push('animate');
      const tip = tipHashes.get(block.hash);
      if (tip) classes.push('tip');
      const inner = svg(
        'g',
        { class: 'blk-inner' },
        svg('title', {}, t('blockTitle', { height: block.height, hash: block.hash, work: work(block.work) })),
        svg('rect', { width: BLOCK_W, height: BLOCK_H, rx: 8 }),
        svg('text', { x: 8, y: 18, class: 'blk-height' }, `#${block.height}`),
        svg('text', { x: 8, y: 36, class: 'blk-hash' }, shortHash(block.hash, 8)),
      );
      if (tip) {
        inner.append(svg('text', { x: 0, y: -8, class: 'tip-work' }, t('workLabel', { work: work(tip.work) })));
      }
      const g = svg(
        'g',
        {
          class: classes.join(' '),
          transform: `translate(${p.x} ${p.y})`,
          'data-hash': block.hash,
          'data-height': block.height,
        },
        inner,
      );
      nodes.append(g);
      const before = drawnAt.get(block.hash);
      const moved = before && (before.x !== p.x || before.y !== p.y);
      if (moved && fresh && !matchMedia('(prefers-reduced-motion: reduce)').matches) {
        inner.animate([{ transform: `translate(${before.x - p.x}px, ${before.y - p.y}px)` }, { transform: 'none' }], {
          duration: 900,
          easing: 'cubic-bezier(.2,.8,.2,1)',
        });
      }
    }
    drawnAt = new Map([...at].map(([hash, p]) => [hash, { x: p.x, y: p.y }]));
    const scroller = figure;
    const keepRight = scroller.scrollLeft + scroller.clientWidth >= scroller.scrollWidth - 4;
    replace(figure, root);
    if (keepRight) scroller.scrollLeft = scroller.scrollWidth;
    drawTips(data);
  };

  const drawTips = (data: ForksAnswer): void => {
    const table = h(
      'table',
      { class: 'table stack', 'data-testid': 'fork-tips', 'aria-labelledby': 'tips-title' },
      h('caption', { id: 'tips-title' }, t('tipsTitle')),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', { scope: 'col' }, t('colBranch')),
          h('th', { scope: 'col', class: 'num' }, t('colHeight')),
          h('th', { scope: 'col' }, t('colTip')),
          h('th', { scope: 'col', class: 'num' }, t('colWork')),
          h('th', { scope: 'col', class: 'num' }, t('colFork')),
        ),
      ),
      h(
        'tbody',
        null,
        data.tips.map((tip) =>
          h(
            'tr',
            { 'data-active': String(tip.active) },
            h(
              'td',
              null,
              h('span', { class: `badge ${tip.active ? 'ok' : ''}` }, tip.active ? t('active') : t('stale')),
            ),
            h('td', { class: 'num' }, `#${tip.height}`),
            h('td', null, h('code', { class: 'hash', title: tip.hash }, shortHash(tip.hash, 16))),
            h('td', { class: 'num' }, work(tip.work)),
            h('td', { class: 'num' }, tip.fork_height === null ? t('none') : `#${tip.fork_height}`),
          ),
        ),
      ),
    );
    replace(tips, labelCells(table));
  };

  const drawHistory = (): void => {
    const items = state.reorgEvents.map((r) =>
      h(
        'li',
        null,
        h('p', null, reorgStory(r)),
        h(
          'ul',
          { class: 'small muted' },
          h(
            'li',
            null,
            t('droppedList', {
              list: r.dropped.map((b) => `#${b.height} ${shortHash(b.hash, 8)}`).join(', ') || t('none'),
            }),
          ),
          h(
            'li',
            null,
            t('addedList', {
              list: r.added.map((b) => `#${b.height} ${shortHash(b.hash, 8)}`).join(', ') || t('none'),
            }),
          ),
          h('li', null, t('returnedList', { list: r.returned.map((id) => shortHash(id, 12)).join(', ') || t('none') })),
        ),
      ),
    );
    replace(
      history,
      h('h2', { id: 'reorgs-title' }, t('reorgsTitle')),
      items.length === 0 ? h('p', { class: 'muted' }, t('reorgsEmpty')) : h('ol', { class: 'fork-history' }, items),
    );
  };

  let loading: Promise<void> | null = null;
  let again = false;
  const load = (): void => {
    if (loading) {
      again = true;
      return;
    }
    loading = getJson<ForksAnswer>('/forks?limit=50')
      .then((a) => {
        answer = a;
        error = null;
      })
      .catch((err: unknown) => {
        error = err instanceof ApiError ? err.message : String(err);
      })
      .finally(() => {
        loading = null;
        if (closed) return;
        draw();
        if (again) {
          again = false;
          load();
        }
      });
  };

  draw();
  load();
  const off = subscribe(['forks', 'chain'], load);
  const offLanguage = onLanguageChange(draw);
  return () => {
    closed = true;
    off();
    offLanguage();
  };
}
