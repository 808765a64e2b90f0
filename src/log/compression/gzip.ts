// Codec 1: gzip (RFC 1952) via fflate, pure JS. Java's GZIPOutputStream,
// librdkafka and kafkajs (zlib) all read and write single- or multi-member
// gzip, which fflate's streaming Gunzip handles.
import { Gunzip, gzipSync } from 'fflate'
import { BoundedChunks } from './chunks.js'
import { CompressionError, DecompressionLimitError } from './errors.js'

/** Deflate expands at most ~1032× (258-byte matches from 2-bit codes), which sizes input slices. */
const DEFLATE_RATIO_MAX = 1032
const INPUT_SLICE_BYTES_MIN = 1024

export function compressGzip(bytes: Uint8Array): Uint8Array {
  // Level 6 is Java's Deflater default; mtime 0 keeps the output deterministic.
  return gzipSync(bytes, { level: 6, mtime: 0 })
}

/**
 * Inflates `bytes`, refusing to produce more than `bytesMax`. Input is fed in
 * slices small enough that one slice cannot inflate far past what is still
 * allowed, so a bomb is stopped after at most ~1 MiB of overshoot.
 */
export function decompressGzip(bytes: Uint8Array, bytesMax: number): Uint8Array {
  if (bytes.length < 18) throw new CompressionError('gzip', `input of ${bytes.length} bytes is shorter than a gzip member (18 bytes)`)
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) throw new CompressionError('gzip', 'bad magic (expected 1f 8b)')
  const out = new BoundedChunks('gzip', bytesMax)
  let ended = false
  const inflater = new Gunzip((chunk, final) => {
    out.push(chunk)
    if (final) ended = true
  })
  try {
    let at = 0
    while (at < bytes.length) {
      const slice = Math.max(INPUT_SLICE_BYTES_MIN, Math.floor(out.remaining / DEFLATE_RATIO_MAX))
      const next = Math.min(bytes.length, at + slice)
      inflater.push(bytes.subarray(at, next), next === bytes.length)
      at = next
    }
  } catch (error) {
    if (error instanceof DecompressionLimitError) throw error
    throw new CompressionError('gzip', `corrupt stream: ${(error as Error).message}`)
  }
  if (!ended) throw new CompressionError('gzip', 'stream is truncated')
  return out.join()
}
