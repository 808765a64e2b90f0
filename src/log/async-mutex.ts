// A minimal FIFO async mutex: `run(fn)` runs fn after every earlier fn settled.
// Used where a multi-step async change must not interleave with another
// (retention against compaction swaps, topic metadata writes).
//
// Concurrency: one event loop; waiters run in call order.
export class AsyncMutex {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn)
    this.tail = result.catch(() => undefined)
    return result
  }
}
