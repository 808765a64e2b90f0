// Codec 3: LZ4 in the LZ4 frame format (what Kafka means by lz4 since 0.10).
// Blocks are compressed by lz4js (pure JS); the frame is written and read
// here, because Kafka's reader insists on independent blocks (lz4js's own
// frames are marked dependent) and because reading must bound its output.
//
//   magic       u32 LE 0x184D2204
//   FLG         bits 7-6 version (01), 5 block independence, 4 block checksum,
//               3 content size, 2 content checksum, 0 dictionary id
//   BD          bits 6-4 block max size: 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB
//   [content size u64 LE] [dictionary id u32 LE]
//   HC          (xxh32(FLG..last descriptor byte, 0) >> 8) & 0xff
//   blocks      u32 LE size (high bit: stored uncompressed; 0: end mark),
//               data, [xxh32 of data if block checksums]
//   [content checksum u32 LE: xxh32 of all output]
//
// We write what Kafka's Java client writes: version 1, independent blocks,
// 64 KiB blocks, no checksums besides the descriptor's.
import { compressBlock, compressBound } from 'lz4js'
import { xxhash32 } from '../../hash.js'
import { CompressionError, DecompressionLimitError } from './errors.js'

const MAGIC = 0x184d2204
const FLG_VERSION_MASK = 0xc0
const FLG_VERSION_1 = 0x40
const FLG_BLOCK_INDEPENDENCE = 0x20
const FLG_BLOCK_CHECKSUM = 0x10
const FLG_CONTENT_SIZE = 0x08
const FLG_CONTENT_CHECKSUM = 0x04
const FLG_RESERVED = 0x02
const FLG_DICTIONARY_ID = 0x01
const BD_BLOCK_SIZE_SHIFT = 4
const BD_64KB = 4
const BLOCK_UNCOMPRESSED = 0x80000000
const BLOCK_BYTES = 64 * 1024
/** LZ4 block format: the last 5 bytes are always literals and a match needs 4 bytes. */
const MIN_MATCH = 4

const hashTable = new Uint32Array(1 << 16)
const blockBuffer = new Uint8Array(compressBound(BLOCK_BYTES))

export function compressLz4(bytes: Uint8Array): Uint8Array {
  const blocks = Math.ceil(bytes.length / BLOCK_BYTES)
  const out = new Uint8Array(7 + blocks * (4 + BLOCK_BYTES) + 4)
  const view = new DataView(out.buffer)
  view.setUint32(0, MAGIC, true)
  out[4] = FLG_VERSION_1 | FLG_BLOCK_INDEPENDENCE
  out[5] = BD_64KB << BD_BLOCK_SIZE_SHIFT
  out[6] = descriptorChecksum(out.subarray(4, 6))
  let at = 7
  for (let start = 0; start < bytes.length; start += BLOCK_BYTES) {
    const block = bytes.subarray(start, Math.min(bytes.length, start + BLOCK_BYTES))
    // A fresh table per block keeps every match inside its block (independence).
    hashTable.fill(0)
    const size = compressBlock(block, blockBuffer, 0, block.length, hashTable)
    if (size > 0 && size < block.length) {
      view.setUint32(at, size, true)
      out.set(blockBuffer.subarray(0, size), at + 4)
      at += 4 + size
    } else {
      view.setUint32(at, (block.length | BLOCK_UNCOMPRESSED) >>> 0, true)
      out.set(block, at + 4)
      at += 4 + block.length
    }
  }
  view.setUint32(at, 0, true)
  return out.slice(0, at + 4)
}

function descriptorChecksum(descriptor: Uint8Array): number {
  return (xxhash32(descriptor) >>> 8) & 0xff
}

/** Reads one LZ4 frame (or several back to back), producing at most `bytesMax` bytes. */
export function decompressLz4(bytes: Uint8Array, bytesMax: number): Uint8Array {
  const output = new Output(bytesMax, bytes.length)
  let at = 0
  do at = readFrame(bytes, at, output)
  while (at < bytes.length)
  return output.bytes.subarray(0, output.length)
}

function readFrame(bytes: Uint8Array, start: number, output: Output): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes.length - start < 7) throw corrupt(`frame header truncated at byte ${start}`)
  if (view.getUint32(start, true) !== MAGIC) throw corrupt(`bad magic 0x${view.getUint32(start, true).toString(16)} at byte ${start} (expected 0x184d2204)`)
  const flg = bytes[start + 4]
  const bd = bytes[start + 5]
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_1) throw corrupt(`unsupported frame version ${flg >> 6}`)
  if (flg & FLG_RESERVED || bd & 0x8f) throw corrupt('reserved descriptor bits are set')
  if (flg & FLG_DICTIONARY_ID) throw corrupt('frames with a dictionary id are not supported')
  const blockMax = blockMaxBytes((bd >> BD_BLOCK_SIZE_SHIFT) & 7)
  let at = start + 6
  if (flg & FLG_CONTENT_SIZE) {
    if (bytes.length - at < 9) throw corrupt('frame header truncated in content size')
    const declared = view.getUint32(at, true) + view.getUint32(at + 4, true) * 4294967296
    if (declared > output.remaining) throw new DecompressionLimitError('lz4', output.bytesMax, `frame declares ${declared} bytes, more than the ${output.remaining} still allowed`)
    at += 8
  }
  if (bytes[at] !== descriptorChecksum(bytes.subarray(start + 4, at))) throw corrupt('frame descriptor checksum mismatch')
  at++

  const independent = (flg & FLG_BLOCK_INDEPENDENCE) !== 0
  const frameStart = output.length
  for (;;) {
    if (bytes.length - at < 4) throw corrupt(`block size truncated at byte ${at}`)
    const word = view.getUint32(at, true)
    at += 4
    if (word === 0) break
    const size = word & 0x7fffffff
    if (size > blockMax) throw corrupt(`block of ${size} bytes exceeds the frame's block maximum ${blockMax}`)
    const checksumBytes = flg & FLG_BLOCK_CHECKSUM ? 4 : 0
    if (bytes.length - at < size + checksumBytes) throw corrupt(`block of ${size} bytes at byte ${at - 4} runs past the end`)
    const data = bytes.subarray(at, at + size)
    if (checksumBytes && view.getUint32(at + size, true) !== xxhash32(data)) throw corrupt(`block checksum mismatch at byte ${at - 4}`)
    if (word & BLOCK_UNCOMPRESSED) output.append(data)
    else decodeBlock(data, output, independent ? output.length : frameStart, blockMax)
    at += size + checksumBytes
  }
  if (flg & FLG_CONTENT_CHECKSUM) {
    if (bytes.length - at < 4) throw corrupt('content checksum truncated')
    if (view.getUint32(at, true) !== xxhash32(output.bytes.subarray(frameStart, output.length))) throw corrupt('content checksum mismatch')
    at += 4
  }
  return at
}

function blockMaxBytes(code: number): number {
  if (code < 4) throw corrupt(`invalid block maximum size code ${code}`)
  return 1 << (8 + 2 * code)
}

/**
 * Decodes one LZ4 block (sequences of token, literals, 2-byte offset, match)
 * onto the output. Matches may reach back to `windowStart` and no further;
 * a block may add at most `blockMax` bytes.
 */
function decodeBlock(src: Uint8Array, output: Output, windowStart: number, blockMax: number): void {
  const end = src.length
  const blockStart = output.length
  const limit = blockStart + blockMax
  let out = output.bytes
  let op = blockStart
  let ip = 0
  for (;;) {
    if (ip >= end) throw corrupt('block ends without its final literals')
    const token = src[ip++]
    let literals = token >>> 4
    if (literals === 15) {
      let b: number
      do {
        if (ip >= end) throw corrupt('literal length runs past the end of the block')
        b = src[ip++]
        literals += b
      } while (b === 255)
    }
    if (literals > end - ip) throw corrupt('literals run past the end of the block')
    if (op + literals > out.length) out = output.reserve(op, literals, limit)
    if (literals > 16) out.set(src.subarray(ip, ip + literals), op)
    else for (let i = 0; i < literals; i++) out[op + i] = src[ip + i]
    ip += literals
    op += literals
    if (ip === end) break
    if (end - ip < 2) throw corrupt('match offset truncated')
    const offset = src[ip] | (src[ip + 1] << 8)
    ip += 2
    if (offset === 0 || offset > op - windowStart) throw corrupt(`match offset ${offset} reaches before the start of the window`)
    let length = token & 15
    if (length === 15) {
      let b: number
      do {
        if (ip >= end) throw corrupt('match length runs past the end of the block')
        b = src[ip++]
        length += b
      } while (b === 255)
    }
    length += MIN_MATCH
    if (op + length > out.length) out = output.reserve(op, length, limit)
    let from = op - offset
    if (offset >= length) {
      out.copyWithin(op, from, from + length)
      op += length
    } else {
      // Overlapping match: the copy repeats the last `offset` bytes.
      const stop = op + length
      while (op < stop) out[op++] = out[from++]
    }
  }
  output.length = op
}

/** A growable output that refuses to pass `bytesMax`. */
class Output {
  bytes: Uint8Array
  length = 0

  constructor(
    readonly bytesMax: number,
    inputBytes: number,
  ) {
    this.bytes = new Uint8Array(Math.min(bytesMax, Math.max(1024, inputBytes * 4)))
  }

  get remaining(): number {
    return this.bytesMax - this.length
  }

  append(data: Uint8Array): void {
    this.reserve(this.length, data.length, this.bytesMax)
    this.bytes.set(data, this.length)
    this.length += data.length
  }

  /** Makes room for `more` bytes after `at` (not past `limit` or bytesMax); returns the buffer. */
  reserve(at: number, more: number, limit: number): Uint8Array {
    const need = at + more
    if (need > this.bytesMax) throw new DecompressionLimitError('lz4', this.bytesMax)
    if (need > limit) throw corrupt(`a block inflates past the frame's block maximum`)
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.min(this.bytesMax, Math.max(need, this.bytes.length * 2)))
      grown.set(this.bytes.subarray(0, at))
      this.bytes = grown
    }
    return this.bytes
  }
}

function corrupt(detail: string): CompressionError {
  return new CompressionError('lz4', detail)
}
