// Collects decompressed chunks under a byte limit and joins them once.
import { DecompressionLimitError } from './errors.js'

export class BoundedChunks {
  private chunks: Uint8Array[] = []
  length = 0

  constructor(
    private readonly codec: string,
    private readonly bytesMax: number,
  ) {}

  /** Bytes still allowed. */
  get remaining(): number {
    return this.bytesMax - this.length
  }

  push(chunk: Uint8Array): void {
    if (chunk.length > this.bytesMax - this.length) throw new DecompressionLimitError(this.codec, this.bytesMax)
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.length += chunk.length
  }

  join(): Uint8Array {
    if (this.chunks.length === 1) return this.chunks[0]
    const out = new Uint8Array(this.length)
    let at = 0
    for (const chunk of this.chunks) {
      out.set(chunk, at)
      at += chunk.length
    }
    return out
  }
}
