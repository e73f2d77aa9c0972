/** Placeholder of the network page (issue 11): replaced by its implementation. */

import { h } from '../dom.js';

/** Renders the network page into `main`; returns its cleanup. */
export function renderNetwork(main: HTMLElement, _arg?: string): () => void {
  main.append(h('h1', { tabindex: '-1' }, 'network'));
  return () => undefined;
}
