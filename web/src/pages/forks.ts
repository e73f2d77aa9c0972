/** Placeholder of the forks page (issue 11): replaced by its implementation. */

import { h } from '../dom.js';

/** Renders the forks page into `main`; returns its cleanup. */
export function renderForks(main: HTMLElement, _arg?: string): () => void {
  main.append(h('h1', { tabindex: '-1' }, 'forks'));
  return () => undefined;
}
