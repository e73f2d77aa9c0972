/**
 * What the wallet and transaction pages need of the node: its profile (only a ledger network has
 * keys, fees and nonces) and GET /genesis (the chain id every payment signs, the address prefix,
 * the least fee). On a tutorial node the pages say how to start a ledger network instead.
 */

import './pages/wallet.css';
import { getJson } from './api.js';
import { h, rich } from './dom.js';
import { messages } from './i18n.js';
import { state, subscribe } from './store.js';
import { unitsOf } from './wallet-coins.js';

const t = messages(
  'wallet-network',
  {
    loading: 'Loading…',
    needsLedger: 'This page needs a ledger network',
    needsLedgerLead:
      'This node runs the tutorial profile (`{profile}`): its transactions have no keys, signatures, fees or `nonce`s, so there is nothing to sign here.',
    howToStart: 'Start a node of the ledger profile, then open its explorer:',
    howToGenesis: 'or your own network, with coins at genesis for your address:',
  },
  {
    loading: '加载中…',
    needsLedger: '此页面需要账本（ledger）网络',
    needsLedgerLead:
      '这个节点运行的是教程配置（`{profile}`）：它的交易没有密钥、签名、手续费和 `nonce`，所以这里没有可以签名的东西。',
    howToStart: '请启动一个使用账本配置的节点，然后打开它的浏览器页面：',
    howToGenesis: '或者创建你自己的网络，在创世区块里给你的地址分配币：',
  },
);

/** GET /genesis, as the wallet uses it. */
export interface WalletNetwork {
  readonly chainId: string;
  readonly network: string;
  readonly hrp: string;
  readonly minFee: bigint;
  readonly maturity: number;
}

let loaded: Promise<WalletNetwork> | null = null;

/** The node's network (GET /genesis, once per page load: a running node's network never changes). */
export function loadWalletNetwork(): Promise<WalletNetwork> {
  loaded ??= getJson<{
    chain_id: string;
    network: string;
    hrp: string;
    min_fee: string;
    genesis: { maturity?: number };
  }>('/genesis').then((answer) => ({
    chainId: answer.chain_id,
    network: answer.network,
    hrp: answer.hrp,
    minFee: unitsOf(answer.min_fee) ?? 1000n,
    maturity: typeof answer.genesis?.maturity === 'number' ? answer.genesis.maturity : 0,
  }));
  loaded.catch(() => {
    loaded = null;
  });
  return loaded;
}

/** The card a tutorial node shows in place of a ledger page. */
export function needsLedger(profile: string): HTMLElement {
  return h(
    'section',
    { class: 'card needs-ledger', 'data-testid': 'needs-ledger' },
    h('h2', null, t('needsLedger')),
    h('p', null, rich(t('needsLedgerLead', { profile }))),
    h('p', null, t('howToStart')),
    h('pre', null, h('code', null, 'blockforge node --profile ledger')),
    h('p', null, t('howToGenesis')),
    h(
      'pre',
      null,
      h(
        'code',
        null,
        'blockforge genesis --out my-net.json --alloc bfd1...=100\nblockforge node --profile ledger --genesis my-net.json',
      ),
    ),
  );
}

/**
 * Calls `ledger(main)` once the node's profile is known to be the ledger; a tutorial node gets the
 * {@link needsLedger} card under `title`. Returns the cleanup.
 */
export function whenLedger(main: HTMLElement, title: string, ledger: (main: HTMLElement) => () => void): () => void {
  let inner: (() => void) | null = null;
  const decide = (): boolean => {
    if (!state.info) return false;
    main.replaceChildren();
    if (state.info.profile === 'ledger') inner = ledger(main);
    else main.append(h('h1', { tabindex: '-1' }, title), needsLedger(state.info.profile));
    return true;
  };
  if (decide()) return () => inner?.();
  main.append(h('h1', { tabindex: '-1' }, title), h('p', { class: 'muted' }, t('loading')));
  const off = subscribe(['info'], () => {
    if (decide()) off();
  });
  return () => {
    off();
    inner?.();
  };
}
