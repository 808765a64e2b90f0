// Writes one response frame: a 4-byte size prefix, the response header and the
// body, in Kafka's big-endian pre-flexible encodings. Large byte fields (the
// record batches of a Fetch response) are not copied: they become their own
// chunk, and the connection hands all chunks to the socket in one writev.
const utf8 = new TextEncoder()

/** Byte fields at least this long are passed by reference instead of copied. */
const RAW_CHUNK_BYTES_MIN = 4096
const INITIAL_BYTES = 256

export class Writer {
  private buffer = new Uint8Array(INITIAL_BYTES)
  private view = new DataView(this.buffer.buffer)
  private position = 4 // the size prefix is filled in by finish()
  /** Start of the part of `buffer` not yet handed to `chunks`. */
  private regionStart = 0
  private readonly chunks: Uint8Array[] = []
  private chunkBytes = 0

  private ensure(count: number): void {
    if (this.position + count <= this.buffer.length) return
    // Earlier chunks keep referencing the old buffer; only the open region moves.
    const open = this.buffer.subarray(this.regionStart, this.position)
    const next = new Uint8Array(Math.max(this.buffer.length * 2, open.length + count + INITIAL_BYTES))
    next.set(open)
    this.buffer = next
    this.view = new DataView(next.buffer)
    this.position = open.length
    this.regionStart = 0
  }

  int8(value: number): this {
    this.ensure(1)
    this.view.setInt8(this.position, value)
    this.position += 1
    return this
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0)
  }

  int16(value: number): this {
    this.ensure(2)
    this.view.setInt16(this.position, value)
    this.position += 2
    return this
  }

  int32(value: number): this {
    this.ensure(4)
    this.view.setInt32(this.position, value)
    this.position += 4
    return this
  }

  int64(value: number): this {
    this.ensure(8)
    this.view.setBigInt64(this.position, BigInt(value))
    this.position += 8
    return this
  }

  string(value: string): this {
    return this.nullableString(value)
  }

  nullableString(value: string | null): this {
    if (value === null) return this.int16(-1)
    const encoded = utf8.encode(value)
    if (encoded.length > 0x7fff) throw new RangeError(`string of ${encoded.length} bytes does not fit a Kafka string`)
    this.int16(encoded.length)
    return this.raw(encoded)
  }

  bytes(value: Uint8Array): this {
    this.int32(value.length)
    return this.raw(value)
  }

  nullableBytes(value: Uint8Array | null): this {
    if (value === null) return this.int32(-1)
    return this.bytes(value)
  }

  array<T>(items: readonly T[], writeItem: (writer: Writer, item: T) => void): this {
    this.int32(items.length)
    for (const item of items) writeItem(this, item)
    return this
  }

  int32Array(items: readonly number[]): this {
    return this.array(items, (w, v) => w.int32(v))
  }

  /** Appends bytes as they are: copied when small, referenced when large. */
  raw(value: Uint8Array): this {
    if (value.length < RAW_CHUNK_BYTES_MIN) {
      this.ensure(value.length)
      this.buffer.set(value, this.position)
      this.position += value.length
      return this
    }
    this.closeRegion()
    this.chunks.push(value)
    this.chunkBytes += value.length
    return this
  }

  private closeRegion(): void {
    if (this.position > this.regionStart) {
      const region = this.buffer.subarray(this.regionStart, this.position)
      this.chunks.push(region)
      this.chunkBytes += region.length
    }
    this.regionStart = this.position
  }

  /** The frame's chunks, size prefix filled in; the writer must not be used afterwards. */
  finish(): Uint8Array[] {
    this.closeRegion()
    const first = this.chunks[0]
    new DataView(first.buffer, first.byteOffset, 4).setInt32(0, this.chunkBytes - 4)
    return this.chunks
  }
}

/** Concatenates a frame's chunks (tests and fuzzing; the server writes the chunks as they are). */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const total = chunks.reduce((sum, c) => sum + c.length, 0)
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}
