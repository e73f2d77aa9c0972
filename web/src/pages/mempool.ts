/** Placeholder of the mempool page (issue 11): replaced by its implementation. */

import { h } from '../dom.js';

/** Renders the mempool page into `main`; returns its cleanup. */
export function renderMempool(main: HTMLElement, _arg?: string): () => void {
  main.append(h('h1', { tabindex: '-1' }, 'mempool'));
  return () => undefined;
}
