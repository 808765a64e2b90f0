// Reads Kafka's primitive types (big-endian, pre-flexible encodings) from one
// request frame. Every read checks the bytes are there first; anything that
// does not fit the schema throws MalformedRequestError, which the connection
// turns into a log line and a closed connection. `bytes()` returns a view into
// the frame, never a copy: Produce hands record batches to the log as they
// arrived.
import { ARRAY_LENGTH_MAX } from '../limits.js'

/** The frame does not match the schema of the API and version it claims. */
export class MalformedRequestError extends Error {
  override name = 'MalformedRequestError'
}

const utf8 = new TextDecoder('utf-8')

export class Reader {
  private readonly view: DataView
  offset: number

  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.offset = offset
  }

  remaining(): number {
    return this.bytes.length - this.offset
  }

  private need(count: number, what: string): number {
    if (count > this.bytes.length - this.offset) {
      throw new MalformedRequestError(`truncated: ${what} needs ${count} bytes at offset ${this.offset}, ${this.remaining()} left`)
    }
    const at = this.offset
    this.offset += count
    return at
  }

  int8(): number {
    return this.view.getInt8(this.need(1, 'int8'))
  }

  bool(): boolean {
    return this.int8() !== 0
  }

  int16(): number {
    return this.view.getInt16(this.need(2, 'int16'))
  }

  int32(): number {
    return this.view.getInt32(this.need(4, 'int32'))
  }

  /** An int64 as a number; values outside the safe integer range are refused (offsets and ids never get there). */
  int64(): number {
    const value = this.view.getBigInt64(this.need(8, 'int64'))
    if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new MalformedRequestError(`int64 ${value} is outside the range this server handles`)
    }
    return Number(value)
  }

  string(): string {
    const value = this.nullableString()
    if (value === null) throw new MalformedRequestError(`null where a string is required (offset ${this.offset - 2})`)
    return value
  }

  nullableString(): string | null {
    const length = this.int16()
    if (length === -1) return null
    if (length < -1) throw new MalformedRequestError(`string length ${length} is negative`)
    const at = this.need(length, `a string of ${length} bytes`)
    return utf8.decode(this.bytes.subarray(at, at + length))
  }

  bytesField(): Uint8Array {
    const value = this.nullableBytes()
    if (value === null) throw new MalformedRequestError(`null where bytes are required (offset ${this.offset - 4})`)
    return value
  }

  /** A view into the frame (no copy). */
  nullableBytes(): Uint8Array | null {
    const length = this.int32()
    if (length === -1) return null
    if (length < -1) throw new MalformedRequestError(`bytes length ${length} is negative`)
    const at = this.need(length, `${length} bytes`)
    return this.bytes.subarray(at, at + length)
  }

  array<T>(readItem: (reader: Reader) => T): T[] {
    const items = this.nullableArray(readItem)
    if (items === null) throw new MalformedRequestError(`null where an array is required (offset ${this.offset - 4})`)
    return items
  }

  nullableArray<T>(readItem: (reader: Reader) => T): T[] | null {
    const length = this.int32()
    if (length === -1) return null
    if (length < -1) throw new MalformedRequestError(`array length ${length} is negative`)
    // Every element takes at least one byte, so a length beyond what is left is a lie; refuse it before looping.
    if (length > this.remaining() || length > ARRAY_LENGTH_MAX) {
      throw new MalformedRequestError(`array length ${length} exceeds the ${this.remaining()} bytes left in the frame`)
    }
    const items = new Array<T>(length)
    for (let i = 0; i < length; i++) items[i] = readItem(this)
    return items
  }

  int32Array(): number[] {
    return this.array((r) => r.int32())
  }

  stringArray(): string[] {
    return this.array((r) => r.string())
  }
}
