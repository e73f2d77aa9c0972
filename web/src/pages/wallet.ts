/** Placeholder of the wallet page (issue 11): replaced by its implementation. */

import { h } from '../dom.js';

/** Renders the wallet page into `main`; returns its cleanup. */
export function renderWallet(main: HTMLElement, _arg?: string): () => void {
  main.append(h('h1', { tabindex: '-1' }, 'wallet'));
  return () => undefined;
}
