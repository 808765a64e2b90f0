// Codec 4: zstd. Compression and the common decompression case run in
// @bokuweb/zstd-wasm (the reference C library compiled to Wasm); frames that
// do not declare their size (streaming encoders such as Kafka's Java client)
// are read by fzstd's streaming decoder (pure JS), one block at a time, so the
// output can be bounded as it grows.
//
// Before either decoder runs, the frames are walked (headers and block
// headers only, no decoding) to reject declared sizes and windows past the
// limits and anything malformed:
//   frame      magic u32 LE 0xFD2FB528, descriptor, [window], [dictionary id],
//              [content size], blocks, [checksum u32]
//   block      u24 LE header: bit 0 last, bits 1-2 type (raw, rle, compressed,
//              reserved), bits 3-23 size; then size bytes (1 byte for rle)
//   skippable  magic u32 LE 0x184D2A5?, size u32 LE, size bytes
import { compress as zstdCompress, decompress as zstdDecompress, init as zstdInit } from '@bokuweb/zstd-wasm'
import { Decompress as StreamingDecompress } from 'fzstd'
import { zstdWindowBytesMax } from '../limits.js'
import { BoundedChunks } from './chunks.js'
import { CompressionError, DecompressionLimitError } from './errors.js'

// The zstd-wasm module loads its .wasm file asynchronously. Loading starts in the
// background so importing eddy never depends on that file (hash- and
// sketch-only users in browsers need not host it); compression waits for it via
// `zstdReady()`, and decompression falls back to fzstd (pure JS) until it is there.
let zstdLoaded = false
let zstdLoadError: unknown
const zstdLoading: Promise<void> = zstdInit().then(
  () => {
    zstdLoaded = true
  },
  (error: unknown) => {
    zstdLoadError = error
  },
)

/** Resolves once zstd compression is available (or throws why it cannot be). */
export async function zstdReady(): Promise<void> {
  await zstdLoading
  if (!zstdLoaded) throw new CompressionError('zstd', `the zstd Wasm module failed to load: ${(zstdLoadError as Error)?.message ?? zstdLoadError}`)
}

const FRAME_MAGIC = 0xfd2fb528
const SKIPPABLE_MAGIC_MASK = 0xfffffff0
const SKIPPABLE_MAGIC = 0x184d2a50
const BLOCK_BYTES_MAX = 128 * 1024
/** Kafka's default zstd level (compression.zstd.level). */
const LEVEL = 3

export function compressZstd(bytes: Uint8Array): Uint8Array {
  if (!zstdLoaded) {
    throw new CompressionError(
      'zstd',
      zstdLoadError === undefined
        ? 'the codec is still loading; await zstdReady() (exported by eddy) before compressing with zstd'
        : `the zstd Wasm module failed to load: ${(zstdLoadError as Error)?.message ?? zstdLoadError}`,
    )
  }
  return zstdCompress(bytes, LEVEL)
}

export function decompressZstd(bytes: Uint8Array, bytesMax: number): Uint8Array {
  const scan = scanFrames(bytes, bytesMax)
  if (zstdLoaded && scan.frames === 1 && scan.contentBytes >= 0) {
    // The size is declared and within the limit; the C decoder refuses to write more.
    let out: Uint8Array
    try {
      out = zstdDecompress(bytes)
    } catch (error) {
      throw corrupt(`corrupt frame: ${(error as Error).message}`)
    }
    if (out.length !== scan.contentBytes) throw corrupt(`frame declares ${scan.contentBytes} bytes but holds ${out.length}`)
    return out
  }
  const out = new BoundedChunks('zstd', bytesMax)
  const stream = new StreamingDecompress((chunk) => out.push(chunk))
  try {
    stream.push(bytes, true)
  } catch (error) {
    if (error instanceof DecompressionLimitError) throw error
    throw corrupt(`corrupt frame: ${(error as Error).message}`)
  }
  return out.join()
}

interface FrameScan {
  frames: number
  /** Content size of the single frame, or -1 when not declared (or several frames). */
  contentBytes: number
}

function scanFrames(bytes: Uint8Array, bytesMax: number): FrameScan {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let at = 0
  let frames = 0
  let contentBytes = -1
  let declaredTotal = 0
  if (bytes.length === 0) throw corrupt('input is empty')
  while (at < bytes.length) {
    if (bytes.length - at < 8) throw corrupt(`frame header truncated at byte ${at}`)
    const magic = view.getUint32(at, true)
    if (((magic & SKIPPABLE_MAGIC_MASK) >>> 0) === SKIPPABLE_MAGIC) {
      const size = view.getUint32(at + 4, true)
      if (size > bytes.length - at - 8) throw corrupt(`skippable frame at byte ${at} runs past the end`)
      at += 8 + size
      continue
    }
    if (magic !== FRAME_MAGIC) throw corrupt(`bad magic 0x${magic.toString(16)} at byte ${at} (expected 0xfd2fb528)`)
    const descriptor = bytes[at + 4]
    const contentSizeFlag = descriptor >> 6
    const singleSegment = (descriptor >> 5) & 1
    const hasChecksum = (descriptor >> 2) & 1
    const dictionaryFlag = descriptor & 3
    if (descriptor & 0x08) throw corrupt('reserved frame descriptor bit is set')
    if (dictionaryFlag !== 0) throw corrupt('frames that need a dictionary are not supported')
    let p = at + 5
    let windowBytes = 0
    if (!singleSegment) {
      const window = bytes[p++]
      const base = 2 ** (10 + (window >> 3))
      windowBytes = base + (base / 8) * (window & 7)
    }
    const sizeBytes = contentSizeFlag === 0 ? singleSegment : 1 << contentSizeFlag
    if (bytes.length - p < sizeBytes) throw corrupt('frame header truncated in content size')
    let declared = -1
    if (sizeBytes === 1) declared = bytes[p]
    else if (sizeBytes === 2) declared = view.getUint16(p, true) + 256
    else if (sizeBytes === 4) declared = view.getUint32(p, true)
    else if (sizeBytes === 8) declared = view.getUint32(p, true) + view.getUint32(p + 4, true) * 4294967296
    p += sizeBytes
    if (declared >= 0) {
      declaredTotal += declared
      if (declaredTotal > bytesMax) throw new DecompressionLimitError('zstd', bytesMax, `frame declares ${declared} bytes, more than decompressedBytesMax (${bytesMax})`)
    }
    if (singleSegment) windowBytes = declared
    else if (windowBytes > zstdWindowBytesMax) throw corrupt(`frame window of ${windowBytes} bytes exceeds zstdWindowBytesMax (${zstdWindowBytesMax})`)
    p = skipBlocks(bytes, p, Math.min(BLOCK_BYTES_MAX, Math.max(windowBytes, 1)))
    if (hasChecksum) p += 4
    if (p > bytes.length) throw corrupt('frame checksum truncated')
    at = p
    frames++
    contentBytes = frames === 1 ? declared : -1
  }
  return { frames, contentBytes }
}

function skipBlocks(bytes: Uint8Array, start: number, blockMax: number): number {
  let p = start
  for (;;) {
    if (bytes.length - p < 3) throw corrupt(`block header truncated at byte ${p}`)
    const header = bytes[p] | (bytes[p + 1] << 8) | (bytes[p + 2] << 16)
    const last = header & 1
    const type = (header >> 1) & 3
    const size = header >>> 3
    p += 3
    if (type === 3) throw corrupt(`reserved block type at byte ${p - 3}`)
    if (size > blockMax) throw corrupt(`block of ${size} bytes exceeds the maximum ${blockMax}`)
    const stored = type === 1 ? 1 : size
    if (stored > bytes.length - p) throw corrupt(`block of ${stored} bytes at byte ${p - 3} runs past the end`)
    p += stored
    if (last) return p
  }
}

function corrupt(detail: string): CompressionError {
  return new CompressionError('zstd', detail)
}
