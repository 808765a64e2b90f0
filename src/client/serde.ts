// Serializers and deserializers for record keys and values, named as users know
// them from Kafka's clients: bytes, string, JSON, or a function of their own.

export type Serializer<T = unknown> = 'bytes' | 'string' | 'json' | ((value: T) => Uint8Array | string | null)
export type Deserializer<T = unknown> = 'bytes' | 'string' | 'json' | ((bytes: Uint8Array) => T)

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder()

/** Turns a user value into bytes (or null) with the configured serializer. */
export function serialize(value: unknown, serializer: Serializer, what: string): Uint8Array | string | null {
  if (value === null || value === undefined) return null
  if (typeof serializer === 'function') return serializer(value)
  switch (serializer) {
    case 'bytes':
      if (value instanceof Uint8Array) return value
      if (typeof value === 'string') return value
      throw new TypeError(`${what}: the bytes serializer takes a Uint8Array or string, got ${typeof value}`)
    case 'string':
      return typeof value === 'string' ? value : String(value)
    case 'json':
      return JSON.stringify(value)
    default:
      throw new RangeError(`${what}: unknown serializer "${String(serializer)}"; use 'bytes', 'string', 'json' or a function`)
  }
}

/** Turns stored bytes into a user value; JSON errors name the record they came from. */
export function deserialize(bytes: Uint8Array | null, deserializer: Deserializer, where: () => string): unknown {
  if (bytes === null) return null
  if (typeof deserializer === 'function') return deserializer(bytes)
  switch (deserializer) {
    case 'bytes':
      return bytes
    case 'string':
      return utf8Decoder.decode(bytes)
    case 'json': {
      const text = utf8Decoder.decode(bytes)
      try {
        return JSON.parse(text)
      } catch (error) {
        throw new SyntaxError(`cannot parse the value at ${where()} as JSON: ${(error as Error).message}`)
      }
    }
    default:
      throw new RangeError(`unknown deserializer "${String(deserializer)}"; use 'bytes', 'string', 'json' or a function`)
  }
}

export function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? utf8.encode(value) : value
}
