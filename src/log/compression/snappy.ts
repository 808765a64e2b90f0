// Codec 2: snappy via snappyjs, pure JS.
//
// Kafka's Java client wraps snappy in the xerial-snappy stream framing, and
// librdkafka and kafkajs-snappy read it, so that is what we write:
//
//   magic  8 bytes  82 53 4e 41 50 50 59 00  ("\x82SNAPPY\0")
//   version        int32 BE (1)
//   compatible     int32 BE (1)
//   chunks         [int32 BE length][raw snappy block] …
//
// We read both that framing and a bare snappy block (what kafkajs-snappy and
// some other clients write).
import { compress as snappyCompress, uncompress as snappyUncompress } from 'snappyjs'
import { BoundedChunks } from './chunks.js'
import { CompressionError, DecompressionLimitError } from './errors.js'

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]
const XERIAL_HEADER_BYTES = 16
/** xerial's SnappyOutputStream default block size. */
const XERIAL_BLOCK_BYTES = 32 * 1024

export function compressSnappy(bytes: Uint8Array): Uint8Array {
  const blocks: Uint8Array[] = []
  let total = XERIAL_HEADER_BYTES
  for (let at = 0; at < bytes.length; at += XERIAL_BLOCK_BYTES) {
    const block = snappyCompress(bytes.subarray(at, Math.min(bytes.length, at + XERIAL_BLOCK_BYTES)))
    blocks.push(block)
    total += 4 + block.length
  }
  const out = new Uint8Array(total)
  const view = new DataView(out.buffer)
  out.set(XERIAL_MAGIC, 0)
  view.setInt32(8, 1)
  view.setInt32(12, 1)
  let at = XERIAL_HEADER_BYTES
  for (const block of blocks) {
    view.setInt32(at, block.length)
    out.set(block, at + 4)
    at += 4 + block.length
  }
  return out
}

export function decompressSnappy(bytes: Uint8Array, bytesMax: number): Uint8Array {
  if (!hasXerialMagic(bytes)) return uncompressBlock(bytes, bytesMax)
  if (bytes.length < XERIAL_HEADER_BYTES) throw new CompressionError('snappy', `xerial header truncated: ${bytes.length} bytes, need ${XERIAL_HEADER_BYTES}`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const out = new BoundedChunks('snappy', bytesMax)
  let at = XERIAL_HEADER_BYTES
  while (at < bytes.length) {
    if (bytes.length - at < 4) throw new CompressionError('snappy', `xerial chunk length truncated at byte ${at}`)
    const length = view.getInt32(at)
    at += 4
    if (length < 0 || length > bytes.length - at) {
      throw new CompressionError('snappy', `xerial chunk of ${length} bytes at byte ${at - 4} runs past the end (${bytes.length} bytes)`)
    }
    out.push(uncompressBlock(bytes.subarray(at, at + length), out.remaining))
    at += length
  }
  return out.join()
}

function hasXerialMagic(bytes: Uint8Array): boolean {
  if (bytes.length < XERIAL_MAGIC.length) return false
  for (let i = 0; i < XERIAL_MAGIC.length; i++) if (bytes[i] !== XERIAL_MAGIC[i]) return false
  return true
}

/** One raw snappy block; its preamble declares the output size, checked before allocating. */
function uncompressBlock(block: Uint8Array, bytesMax: number): Uint8Array {
  const declared = declaredLength(block)
  if (declared > bytesMax) throw new DecompressionLimitError('snappy', bytesMax, `block declares ${declared} bytes, more than the ${bytesMax} still allowed`)
  try {
    return snappyUncompress(block, bytesMax)
  } catch (error) {
    throw new CompressionError('snappy', `corrupt block: ${(error as Error).message}`)
  }
}

/** The varint preamble of a snappy block (uncompressed length). */
function declaredLength(block: Uint8Array): number {
  let value = 0
  for (let i = 0, shift = 0; i < 5; i++, shift += 7) {
    if (i >= block.length) break
    const b = block[i]
    value += (b & 0x7f) * 2 ** shift
    if (b < 0x80) return value
  }
  throw new CompressionError('snappy', 'block length preamble is missing or longer than 5 bytes')
}
