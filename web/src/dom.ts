/**
 * A few lines instead of a UI framework: `h()` builds elements. Text always goes in as text nodes
 * (never HTML), so addresses and amounts typed by anyone render as text, not markup.
 */

/** What `h()` accepts as a child. */
export type Child = Node | string | number | null | undefined | false | readonly Child[];

/** Properties of `h()`: attributes (strings, booleans), `class`, and `on*` listeners. */
export type Props = Record<string, string | number | boolean | null | undefined | EventListener>;

/** Creates `<tag>` with attributes, listeners and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith('on') && typeof value === 'function') {
        el.addEventListener(key.slice(2).toLowerCase(), value);
      } else if (value === true) {
        el.setAttribute(key, '');
      } else {
        el.setAttribute(key, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

/** Appends children (flattening arrays, skipping null/false). */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/**
 * Names each cell after its column (`data-label`), so on a phone the stylesheet can show a table
 * as one labelled card per row instead of columns too narrow to read.
 */
export function labelCells(table: HTMLTableElement): HTMLTableElement {
  const labels = [...table.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
  for (const row of table.querySelectorAll('tbody tr')) {
    [...row.children].forEach((cell, k) => {
      cell.setAttribute('data-label', labels[k] ?? '');
    });
  }
  return table;
}

/**
 * A translated sentence as nodes: spans between backticks (`previous_hash`, `GET /nodes`) become
 * `<code>`, so identifiers read as code in every language. Text only, never markup.
 */
export function rich(message: string): Child[] {
  return message.split('`').map((part, k) => (k % 2 === 1 ? h('code', null, part) : part));
}
