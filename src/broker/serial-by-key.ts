// Work serialised per key: what is queued under one key runs after everything
// queued earlier under it has settled (fulfilled or rejected); different keys
// proceed concurrently. The broker orders each partition's idempotent appends
// and markers with it, the transaction coordinator each transactional id's
// operations. A key's entry is dropped once its queue is empty.
//
// Concurrency: one event loop.
export class SerialByKey {
  /** Per key: the settled form of the last work queued. */
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const next = previous.then(work, work)
    const settled = next.catch(() => undefined)
    this.tails.set(key, settled)
    void settled.then(() => {
      if (this.tails.get(key) === settled) this.tails.delete(key)
    })
    return next
  }

  /** Resolves once every piece of work queued so far has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.tails.values())
  }
}
