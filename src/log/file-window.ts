// A sliding read buffer over a region of a file, so batch walkers can look at
// headers and whole batches without one read call per batch.
//
// Concurrency: one walker owns a window; it is not shared.
import type { StorageFile } from './storage/storage.js'

const EMPTY = new Uint8Array(0)

export class FileWindow {
  /** Bytes of the file starting at `start`. */
  buffer: Uint8Array = EMPTY
  start = 0

  constructor(
    private readonly file: StorageFile,
    /** Walkers never read at or past this position (the readable end of the file). */
    readonly end: number,
    private readonly chunkBytes: number,
    /**
     * A buffer to read into instead of allocating, when a read fits. Views of
     * `buffer` are then only valid until the next `ensure` that re-reads.
     */
    private readonly scratch?: Uint8Array,
  ) {}

  /**
   * Makes bytes [position, position + length) available in `buffer` (clipped at
   * `end`) and returns how many are available from `position`.
   */
  async ensure(position: number, length: number): Promise<number> {
    const want = Math.max(0, Math.min(length, this.end - position))
    if (position >= this.start && position + want <= this.start + this.buffer.length) return want
    const scratch = this.scratch
    if (scratch !== undefined && want <= scratch.length) {
      const readBytes = Math.min(scratch.length, this.end - position)
      // Empty first: a failed read must not leave stale bytes looking valid.
      this.buffer = EMPTY
      const got = await this.file.readInto(scratch.subarray(0, readBytes), position)
      this.buffer = scratch.subarray(0, got)
    } else {
      const readBytes = Math.min(Math.max(want, this.chunkBytes), this.end - position)
      this.buffer = readBytes > 0 ? await this.file.read(position, readBytes) : EMPTY
    }
    this.start = position
    return Math.min(want, this.buffer.length)
  }

  /** Index into `buffer` of a file position inside the window. */
  at(position: number): number {
    return position - this.start
  }
}
