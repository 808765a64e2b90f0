// Read buffers for Fetch, reused per connection. A consumer streaming through
// a log gets one response of up to max bytes per request; reading each into a
// fresh allocation made the server allocate (and V8 collect) about one byte of
// external memory per byte served, and the collections that this forced were
// the largest cost left on the serve path. Instead, the readahead reads into a
// buffer from this pool, the response hands views of it to the socket, and the
// buffer comes back once the socket has taken those bytes (RequestContext
// .whenSent): never earlier, since the views must not change while queued.
//
// Bounded: at most FREE_BUFFERS_MAX buffers wait here, each at most
// READ_BUFFER_BYTES_MAX; the pool empties when the consumer catches up.

/**
 * Largest buffer the pool hands out: a readahead's 16 MiB of records
 * (READAHEAD_BYTES_MAX) and read slack. A read that needs more allocates, as before.
 */
export const READ_BUFFER_BYTES_MAX = 17 * 1024 * 1024

/** Free buffers kept per connection: one being sent while one is read into is the steady state. */
const FREE_BUFFERS_MAX = 2

/** Smallest buffer handed out, so sizes settle on a few powers of two. */
const READ_BUFFER_BYTES_MIN = 64 * 1024

export class ReadBufferPool {
  private readonly free: Uint8Array[] = []

  /** A buffer of at least `bytes` (capped at READ_BUFFER_BYTES_MAX), reused when one is free. */
  acquire(bytes: number): Uint8Array {
    const want = Math.min(READ_BUFFER_BYTES_MAX, Math.max(READ_BUFFER_BYTES_MIN, bytes))
    for (let i = 0; i < this.free.length; i++) {
      if (this.free[i].length >= want) return this.free.splice(i, 1)[0]
    }
    // Power-of-two sizes so varying limits reuse the same buffers; never zero-filled,
    // since only bytes read from the log into it are ever sent.
    const size = Math.min(READ_BUFFER_BYTES_MAX, 2 ** Math.ceil(Math.log2(want)))
    const slab = Buffer.allocUnsafeSlow(size)
    return new Uint8Array(slab.buffer, slab.byteOffset, slab.length)
  }

  /** Takes a buffer back once nothing refers to its contents any more. */
  release(buffer: Uint8Array): void {
    if (this.free.length >= FREE_BUFFERS_MAX) {
      // Keep the larger ones: they serve any request the smaller ones serve.
      let smallest = 0
      for (let i = 1; i < this.free.length; i++) if (this.free[i].length < this.free[smallest].length) smallest = i
      if (this.free[smallest].length >= buffer.length) return
      this.free.splice(smallest, 1)
    }
    this.free.push(buffer)
  }

  /** Drops the free buffers (the consumer caught up: no throughput to save memory for). */
  clear(): void {
    this.free.length = 0
  }

  /** Bytes held by free buffers (tests). */
  freeBytes(): number {
    return this.free.reduce((sum, b) => sum + b.length, 0)
  }
}
