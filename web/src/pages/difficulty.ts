/** Placeholder of the difficulty page (issue 11): replaced by its implementation. */

import { h } from '../dom.js';

/** Renders the difficulty page into `main`; returns its cleanup. */
export function renderDifficulty(main: HTMLElement, _arg?: string): () => void {
  main.append(h('h1', { tabindex: '-1' }, 'difficulty'));
  return () => undefined;
}
