// Proves every codec round-trips, reads what other implementations write
// (kafkajs and its plug-in codecs, node:zlib, the lz4 and zstd reference CLIs),
// writes what they read, and refuses decompression bombs and malformed input
// with errors that name the codec and the problem.
import { readFileSync } from 'node:fs'
import { gunzipSync, gzipSync } from 'node:zlib'
import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { compress as lz4jsCompress, decompress as lz4jsDecompress } from 'lz4js'
import { compress as snappyCompressBlock, uncompress as snappyUncompressBlock } from 'snappyjs'
import { decompress as fzstdDecompress } from 'fzstd'
import { decompress as zstdWasmDecompress } from '@bokuweb/zstd-wasm'
import { CompressionError, DecompressionLimitError, compress, decompress } from '../../src/log/compression/index.js'
import type { CompressionCodec } from '../../src/log/batch-header.js'
import { decompressedBytesMax, zstdWindowBytesMax } from '../../src/log/limits.js'
import { kafkajsCodecs } from './kafkajs-peer.js'
import { zstdReady } from '../../src/log/compression/index.js'

// zstd's Wasm loads in the background; compressing with it waits for this, as producers do.
beforeAll(() => zstdReady())

const CODECS: CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/compression/${name}`, import.meta.url)))
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))

/** The text every fixture compresses (see test/fixtures/compression/README.md). */
function fixturePlaintext(): Uint8Array {
  let s = ''
  for (let i = 0; i < 2000; i++) s += 'record ' + i + ' key-' + (i % 97) + ' value ' + 'x'.repeat(i % 50) + '\n'
  return new TextEncoder().encode(s)
}
const plain = fixturePlaintext()

/** Compressible bytes of a given size: runs of a repeated phrase with some noise. */
function mixedBytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size)
  let x = seed || 1
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0
    out[i] = x % 7 === 0 ? x >>> 24 : 97 + (i % 13)
  }
  return out
}

function thrown(fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    return error as Error
  }
  throw new Error('expected an error')
}

describe('round trip', () => {
  // Property: decompress(compress(x)) === x for every codec, from empty input to several blocks.
  it.each(CODECS)('%s returns the input', (codec) => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 0, max: 300_000 }).map((n) => mixedBytes(n, n))), (input) => {
        expect(same(decompress(codec, compress(codec, input)), input)).toBe(true)
      }),
      { numRuns: 40 },
    )
  })

  // Compressible input actually shrinks (the codec is not silently storing it).
  it.each(CODECS.filter((c) => c !== 'none'))('%s compresses', (codec) => {
    expect(compress(codec, plain).length).toBeLessThan(plain.length / 3)
  })
})

describe('gzip interop', () => {
  // node:zlib (what kafkajs's gzip codec uses) reads our output and we read its output.
  it('reads and writes what zlib and kafkajs write', async () => {
    expect(same(gunzipSync(compress('gzip', plain)), plain)).toBe(true)
    expect(same(decompress('gzip', gzipSync(plain)), plain)).toBe(true)
    const kafkajsGzip = await kafkajsCodecs.gzip.compress({ buffer: Buffer.from(plain) })
    expect(same(decompress('gzip', kafkajsGzip), plain)).toBe(true)
    expect(same(await kafkajsCodecs.gzip.decompress(Buffer.from(compress('gzip', plain))), plain)).toBe(true)
  })

  // Two gzip members back to back (GNU gzip fixture) decode to both members' bytes, as Java's GZIPInputStream does.
  it('reads multi-member gzip', () => {
    expect(same(decompress('gzip', fixture('gzip-two-members.gz')), plain)).toBe(true)
  })

  // Truncated and non-gzip input is a CompressionError naming gzip.
  it('reports malformed gzip', () => {
    const good = compress('gzip', plain)
    expect(thrown(() => decompress('gzip', good.subarray(0, good.length - 20)))).toBeInstanceOf(CompressionError)
    expect(thrown(() => decompress('gzip', good.subarray(0, good.length - 20))).message).toMatch(/^gzip: /)
    expect(thrown(() => decompress('gzip', plain)).message).toBe('gzip: bad magic (expected 1f 8b)')
  })
})

describe('snappy interop', () => {
  // Our output is xerial-framed like Java's: magic, version 1, compatible 1, then length-prefixed blocks.
  it('writes the xerial framing', () => {
    const out = compress('snappy', plain)
    expect([...out.subarray(0, 16)]).toEqual([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
    const firstBlockBytes = new DataView(out.buffer, out.byteOffset).getInt32(16)
    // Each block is a plain snappy block of at most 32 KiB of input.
    expect(snappyUncompressBlock(out.subarray(20, 20 + firstBlockBytes)).length).toBe(32 * 1024)
  })

  // kafkajs-snappy reads our framed output; we read its bare snappy blocks.
  it('interoperates with kafkajs-snappy both ways', async () => {
    expect(same(await kafkajsCodecs.snappy.decompress(Buffer.from(compress('snappy', plain))), plain)).toBe(true)
    const theirs = await kafkajsCodecs.snappy.compress({ buffer: Buffer.from(plain) })
    expect(same(decompress('snappy', theirs), plain)).toBe(true)
  })

  // A hand-built xerial stream of several raw snappy blocks (as Java and librdkafka send) decodes to their concatenation.
  it('reads hand-built xerial frames', () => {
    const parts = [plain.subarray(0, 10_000), plain.subarray(10_000, 10_001), plain.subarray(10_001)]
    const blocks = parts.map((p) => snappyCompressBlock(p))
    const framed = new Uint8Array(16 + blocks.reduce((n, b) => n + 4 + b.length, 0))
    framed.set([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
    let at = 16
    for (const block of blocks) {
      new DataView(framed.buffer).setInt32(at, block.length)
      framed.set(block, at + 4)
      at += 4 + block.length
    }
    expect(same(decompress('snappy', framed), plain)).toBe(true)
    // A chunk length pointing past the end is named as such.
    new DataView(framed.buffer).setInt32(16, 1 << 30)
    expect(thrown(() => decompress('snappy', framed)).message).toMatch(/^snappy: xerial chunk of 1073741824 bytes at byte 16 runs past the end/)
    expect(thrown(() => decompress('snappy', framed.subarray(0, 12))).message).toMatch(/xerial header truncated: 12 bytes, need 16/)
  })
})

describe('lz4 interop', () => {
  // Our frame header is the one Kafka's Java client writes (04 22 4d 18 60 40 82), byte for byte as the lz4 CLI writes it.
  it('writes the Kafka frame layout', () => {
    const ours = compress('lz4', plain)
    const reference = fixture('lz4-kafka-style.lz4')
    expect([...ours.subarray(0, 7)]).toEqual([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82])
    expect([...reference.subarray(0, 7)]).toEqual([...ours.subarray(0, 7)])
    expect([...ours.subarray(ours.length - 4)]).toEqual([0, 0, 0, 0])
  })

  // Frames from the lz4 reference CLI — Kafka-style, with block and content checksums and content size, and with linked blocks — all decode.
  it.each(['lz4-kafka-style.lz4', 'lz4-block-checksum-content-size.lz4', 'lz4-dependent-blocks.lz4'])('reads %s', (name) => {
    expect(same(decompress('lz4', fixture(name)), plain)).toBe(true)
  })

  // kafkajs-lz4 (node lz4, native build present here) reads ours, and we read its frames (4 MiB blocks, content checksum).
  it('interoperates with kafkajs-lz4 both ways', async () => {
    expect(same(await kafkajsCodecs.lz4.decompress(Buffer.from(compress('lz4', plain))), plain)).toBe(true)
    const theirs = await kafkajsCodecs.lz4.compress({ buffer: Buffer.from(plain) })
    expect(theirs[4] & 0x04).toBe(0x04)
    expect(same(decompress('lz4', theirs), plain)).toBe(true)
  })

  // lz4js reads our frames, and its own frames (dependent-block flag, 4 MiB blocks) decode here.
  it('interoperates with lz4js frames both ways', () => {
    const big = mixedBytes(200_000, 3)
    expect(same(lz4jsDecompress(compress('lz4', big)), big)).toBe(true)
    expect(same(decompress('lz4', lz4jsCompress(big)), big)).toBe(true)
  })

  // A frame built by hand: one stored block "hello", one compressed block that repeats it via an overlapping match.
  it('reads a hand-checked frame', () => {
    // Header 04 22 4d 18 | FLG 60 | BD 40 | HC 82 (from the Kafka frame above).
    // Block 1: size 0x80000005 (stored) "hello".
    // Block 2: 8 bytes: token 0x2f (2 literals, match length 15 + extra), "ab", offset 02 00, extra 0x01 → match 4 + 15 + 1 = 20 bytes.
    //          Then the mandatory final literals: token 0x50, "12345".
    const frame = new Uint8Array([
      0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82,
      0x05, 0x00, 0x00, 0x80, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
      0x0c, 0x00, 0x00, 0x00, 0x2f, 0x61, 0x62, 0x02, 0x00, 0x01, 0x50, 0x31, 0x32, 0x33, 0x34, 0x35,
      0x00, 0x00, 0x00, 0x00,
    ])
    expect(new TextDecoder().decode(decompress('lz4', frame))).toBe('hello' + 'ab'.repeat(11) + '12345')
  })

  // Each kind of malformed frame is a CompressionError that says what was wrong.
  it('reports malformed frames', () => {
    const good = compress('lz4', plain)
    const badChecksum = good.slice()
    badChecksum[6] ^= 1
    expect(thrown(() => decompress('lz4', badChecksum)).message).toBe('lz4: frame descriptor checksum mismatch')
    expect(thrown(() => decompress('lz4', plain)).message).toMatch(/^lz4: bad magic 0x/)
    expect(thrown(() => decompress('lz4', good.subarray(0, 100))).message).toMatch(/^lz4: block of \d+ bytes at byte 7 runs past the end/)
    // A match that reaches before the start of the output.
    const farMatch = new Uint8Array([0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82, 0x04, 0, 0, 0, 0x10, 0x61, 0x05, 0x00, 0, 0, 0, 0])
    expect(thrown(() => decompress('lz4', farMatch)).message).toBe('lz4: match offset 5 reaches before the start of the window')
  })
})

describe('zstd interop', () => {
  // fzstd and the zstd-wasm reference decoder read our frames.
  it('writes frames other decoders read', () => {
    const ours = compress('zstd', plain)
    expect(same(fzstdDecompress(ours), plain)).toBe(true)
    expect(same(zstdWasmDecompress(ours), plain)).toBe(true)
  })

  // Frames from the zstd CLI: streamed without a content size (as Kafka's Java client writes), with size and checksum, and two frames back to back.
  it.each(['zstd-streamed-no-content-size.zst', 'zstd-content-size-checksum.zst', 'zstd-two-frames.zst'])('reads %s', (name) => {
    expect(same(decompress('zstd', fixture(name)), plain)).toBe(true)
  })

  // Malformed frames are CompressionErrors naming the fault.
  it('reports malformed frames', () => {
    const good = compress('zstd', plain)
    expect(thrown(() => decompress('zstd', plain)).message).toMatch(/^zstd: bad magic 0x/)
    expect(thrown(() => decompress('zstd', good.subarray(0, good.length - 10))).message).toMatch(/^zstd: block of \d+ bytes at byte \d+ runs past the end/)
    expect(thrown(() => decompress('zstd', new Uint8Array(0))).message).toBe('zstd: input is empty')
    const dictionary = good.slice()
    dictionary[4] |= 0x01
    expect(thrown(() => decompress('zstd', dictionary)).message).toBe('zstd: frames that need a dictionary are not supported')
  })
})

describe('decompression bombs', () => {
  // A gzip bomb (80 MiB of zeros in ~80 KiB) is refused under the default limit and under a small one.
  it('refuses a gzip bomb', () => {
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024), { level: 9 })
    expect(bomb.length).toBeLessThan(100_000)
    const error = thrown(() => decompress('gzip', bomb))
    expect(error).toBeInstanceOf(DecompressionLimitError)
    expect(error.message).toBe(`gzip: output would exceed decompressedBytesMax (${decompressedBytesMax} bytes)`)
    expect(thrown(() => decompress('gzip', bomb, 1_000_000))).toBeInstanceOf(DecompressionLimitError)
  })

  // A zstd frame that declares 80 MiB is refused from its header, before any decoding.
  it('refuses a zstd frame that declares too much', () => {
    const bomb = compress('zstd', new Uint8Array(80 * 1024 * 1024))
    expect(thrown(() => decompress('zstd', bomb)).message).toBe(`zstd: frame declares 83886080 bytes, more than decompressedBytesMax (${decompressedBytesMax})`)
  })

  // A zstd frame with no declared size, made of 128 KiB RLE blocks (4 bytes each), is stopped by the streaming bound.
  it('refuses a zstd bomb without a content size', () => {
    const blocks = 1024 // 128 MiB of output from ~4 KiB of input
    const frame = new Uint8Array(6 + blocks * 4)
    frame.set([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]) // magic, descriptor (no size), window 2^(10+7) = 128 KiB
    for (let i = 0; i < blocks; i++) {
      const header = ((128 * 1024) << 3) | (1 << 1) | (i === blocks - 1 ? 1 : 0) // RLE block of 128 KiB
      frame.set([header & 0xff, (header >> 8) & 0xff, (header >> 16) & 0xff, 0x41], 6 + i * 4)
    }
    // The frame is valid: under a big enough limit it decodes to the repeated byte.
    const small = frame.slice(0, 6 + 8 * 4)
    small[6 + 7 * 4] |= 1
    expect(decompress('zstd', small).every((b) => b === 0x41)).toBe(true)
    const error = thrown(() => decompress('zstd', frame, 4 * 1024 * 1024))
    expect(error).toBeInstanceOf(DecompressionLimitError)
    expect(error.message).toBe('zstd: output would exceed decompressedBytesMax (4194304 bytes)')
  })

  // A zstd window larger than zstdWindowBytesMax is refused before a decoder allocates it.
  it('refuses a zstd window past zstdWindowBytesMax', () => {
    const frame = new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 0x00, (30 - 10) << 3, 0x01, 0x00, 0x00])
    expect(thrown(() => decompress('zstd', frame)).message).toBe(`zstd: frame window of ${2 ** 30} bytes exceeds zstdWindowBytesMax (${zstdWindowBytesMax})`)
  })

  // LZ4 refuses a declared content size over the limit, and a highly compressed frame once its output passes the limit.
  it('refuses lz4 bombs', () => {
    const zeros = compress('lz4', new Uint8Array(4 * 1024 * 1024))
    expect(thrown(() => decompress('lz4', zeros, 1_000_000))).toBeInstanceOf(DecompressionLimitError)
    const declared = new Uint8Array([0x04, 0x22, 0x4d, 0x18, 0x68, 0x40, 0, 0, 0, 0, 0, 1, 0, 0, 0])
    declared[14] = 0 // HC placeholder; the size is refused before the checksum is read
    expect(thrown(() => decompress('lz4', declared)).message).toMatch(/^lz4: frame declares 1099511627776 bytes, more than the \d+ still allowed/)
  })

  // Snappy refuses a block whose preamble declares more than the limit, before allocating it.
  it('refuses snappy bombs', () => {
    const block = snappyCompressBlock(new Uint8Array(2_000_000))
    expect(thrown(() => decompress('snappy', block, 1_000_000)).message).toBe('snappy: block declares 2000000 bytes, more than the 1000000 still allowed')
    const framed = compress('snappy', new Uint8Array(2_000_000))
    expect(thrown(() => decompress('snappy', framed, 1_000_000))).toBeInstanceOf(DecompressionLimitError)
  })

  // Stored (codec none) sections are held to the same limit.
  it('bounds codec none too', () => {
    expect(thrown(() => decompress('none', new Uint8Array(11), 10))).toBeInstanceOf(DecompressionLimitError)
  })
})

describe('arguments', () => {
  // Unknown codecs, non-byte input and bad limits are refused with messages naming them.
  it('refuses bad arguments', () => {
    expect(() => compress('brotli' as never, plain)).toThrow('unknown compression codec "brotli"; use one of none, gzip, snappy, lz4, zstd')
    expect(() => decompress('toString' as never, plain)).toThrow(/unknown compression codec "toString"/)
    expect(() => compress('gzip', 'text' as never)).toThrow('compress needs a Uint8Array, got string')
    expect(() => decompress('gzip', plain, -1)).toThrow('decompress bytesMax must be a non-negative integer, got -1')
  })
})
