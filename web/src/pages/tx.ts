/** Placeholder of the tx page (issue 11): replaced by its implementation. */

import { h } from '../dom.js';

/** Renders the tx page into `main`; returns its cleanup. */
export function renderTx(main: HTMLElement, _arg?: string): () => void {
  main.append(h('h1', { tabindex: '-1' }, 'tx'));
  return () => undefined;
}
