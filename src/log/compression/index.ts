// The compression codecs of Kafka's RecordBatch attributes (bits 0-2), behind
// two calls. Every codec is portable (pure JS or Wasm) and every decompression
// is bounded: output past `bytesMax` is refused with a DecompressionLimitError.
import type { CompressionCodec } from '../batch-header.js'
import { decompressedBytesMax } from '../limits.js'
import { DecompressionLimitError } from './errors.js'
import { compressGzip, decompressGzip } from './gzip.js'
import { compressLz4, decompressLz4 } from './lz4.js'
import { compressNone, decompressNone } from './none.js'
import { compressSnappy, decompressSnappy } from './snappy.js'
import { compressZstd, decompressZstd, zstdReady } from './zstd.js'
export { zstdReady }

export { CompressionError, DecompressionLimitError } from './errors.js'

interface Codec {
  compress(bytes: Uint8Array): Uint8Array
  decompress(bytes: Uint8Array, bytesMax: number): Uint8Array
}

const CODECS: Record<CompressionCodec, Codec> = {
  none: { compress: compressNone, decompress: decompressNone },
  gzip: { compress: compressGzip, decompress: decompressGzip },
  snappy: { compress: compressSnappy, decompress: decompressSnappy },
  lz4: { compress: compressLz4, decompress: decompressLz4 },
  zstd: { compress: compressZstd, decompress: decompressZstd },
}

function codecFor(codec: CompressionCodec): Codec {
  const found = Object.hasOwn(CODECS, codec) ? CODECS[codec] : undefined
  if (found === undefined) throw new TypeError(`unknown compression codec ${JSON.stringify(codec)}; use one of ${Object.keys(CODECS).join(', ')}`)
  return found
}

function checkBytes(bytes: unknown, what: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`${what} needs a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`)
}

/** Compresses `bytes` with `codec` as Kafka clients expect it (see each codec's module). */
export function compress(codec: CompressionCodec, bytes: Uint8Array): Uint8Array {
  const found = codecFor(codec)
  checkBytes(bytes, 'compress')
  return found.compress(bytes)
}

/**
 * Decompresses `bytes`, producing at most `bytesMax` bytes (default
 * decompressedBytesMax). Throws DecompressionLimitError past the limit and
 * CompressionError on malformed input.
 */
export function decompress(codec: CompressionCodec, bytes: Uint8Array, bytesMax: number = decompressedBytesMax): Uint8Array {
  const found = codecFor(codec)
  checkBytes(bytes, 'decompress')
  if (!Number.isSafeInteger(bytesMax) || bytesMax < 0) throw new RangeError(`decompress bytesMax must be a non-negative integer, got ${String(bytesMax)}`)
  const out = found.decompress(bytes, bytesMax)
  // Each decoder bounds itself; this re-check guards against a decoder bug.
  if (out.length > bytesMax) throw new DecompressionLimitError(codec, bytesMax)
  return out
}
