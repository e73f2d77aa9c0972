/** Placeholder of the search box (issue 11): replaced by its implementation. */

/** Mounts the search box into `container`. */
export function mountSearch(_container: HTMLElement): void {}
