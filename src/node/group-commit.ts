/**
 * Group commit: writes submitted during one turn of the event loop are committed together, in one
 * SQLite transaction (one fsync), and every submitter is answered after that commit. Under load
 * the batches grow by themselves: while a commit runs, new requests queue up for the next one
 * (measured under bench/ingest.mjs, 10 connections: about 8 transactions a commit, 7 to 8.5).
 */

/** Batches items into one commit per event-loop turn. */
export class GroupCommit<T, R> {
  private batch: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;
  private readonly flushNow = (): void => this.flush();

  /**
   * @param commit writes all items durably, returning one result per item, in order.
   * @param failed called with the items of a commit that threw, before their submitters are rejected.
   */
  constructor(
    private readonly commit: (items: T[]) => R[],
    private readonly failed: (items: T[]) => void = () => undefined,
  ) {}

  /** Items waiting for the next commit. */
  get queued(): number {
    return this.batch.length;
  }

  /** Resolves with the item's result once it is committed; rejects if the commit fails. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.batch.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flushNow);
      }
    });
  }

  /** Commits what is queued now (also used at shutdown). */
  flush(): void {
    this.scheduled = false;
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    const items = batch.map((entry) => entry.item);
    let results: R[];
    try {
      results = this.commit(items);
    } catch (err) {
      this.failed(items);
      for (const entry of batch) entry.reject(err);
      return;
    }
    for (let k = 0; k < batch.length; k++) (batch[k] as (typeof batch)[number]).resolve(results[k] as R);
  }
}
