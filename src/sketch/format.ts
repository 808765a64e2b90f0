// The binary envelope every sketch serialises into. Versioned, checksummed,
// little-endian; readers check all of it before trusting the payload.
//
//   offset size  field
//   0      1     marker      0xED ("eddy")
//   1      1     version     format version of the envelope + payload (1)
//   2      1     family      SketchFamily id (which sketch this is)
//   3      1     flags       family-specific bits (0 unless a family documents them)
//   4      4     payloadLen  u32, bytes after this 12-byte header
//   8      4     crc32c      CRC-32C of the payload bytes
//   12     ...   payload     family-specific layout, documented beside each serialiser
import { crc32c } from '../hash.js'

export const SKETCH_MARKER = 0xed
export const SKETCH_FORMAT_VERSION = 1
export const SKETCH_HEADER_BYTES = 12

export enum SketchFamily {
  BloomFilter = 1,
  HyperLogLog = 2,
  CountMinSketch = 3,
  HeavyHitters = 4,
  ReservoirSampler = 5,
  DecayingAggregate = 6,
  QuantileSketch = 7,
}

/** Thrown for bytes that are not a valid serialised sketch of the expected family. */
export class SketchFormatError extends Error {
  override name = 'SketchFormatError'
}

/** Allocates header + payload; the caller fills the payload, then calls `sealSketch`. */
export function beginSketch(family: SketchFamily, payloadBytes: number, flags = 0): { bytes: Uint8Array; payload: DataView } {
  const bytes = new Uint8Array(SKETCH_HEADER_BYTES + payloadBytes)
  const header = new DataView(bytes.buffer)
  header.setUint8(0, SKETCH_MARKER)
  header.setUint8(1, SKETCH_FORMAT_VERSION)
  header.setUint8(2, family)
  header.setUint8(3, flags)
  header.setUint32(4, payloadBytes, true)
  return { bytes, payload: new DataView(bytes.buffer, SKETCH_HEADER_BYTES, payloadBytes) }
}

/** Writes the payload checksum; call once the payload is complete. */
export function sealSketch(bytes: Uint8Array): Uint8Array {
  const crc = crc32c(bytes.subarray(SKETCH_HEADER_BYTES))
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(8, crc, true)
  return bytes
}

/** Validates the envelope and returns the payload and flags, or throws a SketchFormatError naming what is wrong. */
export function openSketch(bytes: Uint8Array, family: SketchFamily): { payload: DataView; flags: number } {
  const name = SketchFamily[family]
  if (!(bytes instanceof Uint8Array)) throw new SketchFormatError(`${name}.deserialize expects a Uint8Array`)
  if (bytes.length < SKETCH_HEADER_BYTES) {
    throw new SketchFormatError(`${name}: truncated sketch, ${bytes.length} bytes is shorter than the ${SKETCH_HEADER_BYTES}-byte header`)
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint8(0) !== SKETCH_MARKER) throw new SketchFormatError(`${name}: not an eddy sketch (bad marker byte 0x${view.getUint8(0).toString(16)})`)
  const version = view.getUint8(1)
  if (version !== SKETCH_FORMAT_VERSION) {
    throw new SketchFormatError(`${name}: unsupported sketch format version ${version} (this build reads version ${SKETCH_FORMAT_VERSION})`)
  }
  const actual = view.getUint8(2)
  if (actual !== family) {
    throw new SketchFormatError(`${name}: bytes hold a ${SketchFamily[actual] ?? `sketch of unknown family ${actual}`}, not a ${name}`)
  }
  const payloadBytes = view.getUint32(4, true)
  if (payloadBytes !== bytes.length - SKETCH_HEADER_BYTES) {
    throw new SketchFormatError(`${name}: header says ${payloadBytes} payload bytes but ${bytes.length - SKETCH_HEADER_BYTES} follow (truncated or padded)`)
  }
  const crc = crc32c(bytes.subarray(SKETCH_HEADER_BYTES))
  if (crc !== view.getUint32(8, true)) throw new SketchFormatError(`${name}: corrupt sketch, payload checksum mismatch`)
  return { payload: new DataView(bytes.buffer, bytes.byteOffset + SKETCH_HEADER_BYTES, payloadBytes), flags: view.getUint8(3) }
}
