// A byte buffer written front to back that doubles when it runs out: the
// thread-exchange batch codec and the window state snapshot's key table
// write through it.

export class GrowableBytes {
  bytes: Uint8Array
  view: DataView
  /** Bytes written so far (the next write position). */
  at = 0

  constructor(capacity = 1 << 12) {
    this.bytes = new Uint8Array(Math.max(1, capacity))
    this.view = new DataView(this.bytes.buffer)
  }

  /** Makes room for `extra` more bytes after `at`. */
  ensure(extra: number): void {
    if (this.at + extra <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < this.at + extra) size *= 2
    const next = new Uint8Array(size)
    next.set(this.bytes.subarray(0, this.at))
    this.bytes = next
    this.view = new DataView(next.buffer)
  }
}
