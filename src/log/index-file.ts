// The 16-byte header shared by the offset index and the time index files.
//
//   offset size field
//   0      4    magic       ASCII "EXOI" (offset index) or "EXTI" (time index)
//   4      2    version     uint16, currently 1
//   6      2    entryBytes  uint16, 8 (offset index) or 12 (time index)
//   8      8    baseOffset  int64, the segment's base offset
//   16     ...  entries, big-endian, entryBytes each
//
// Indexes are derived data: a file that fails any check here is rebuilt from the
// segment's batches (and the rebuild is reported), never trusted.

export const INDEX_HEADER_BYTES = 16
export const INDEX_FORMAT_VERSION = 1
/** Relative offsets and positions are stored in 32 bits and kept non-negative as int32. */
export const INDEX_FIELD_MAX = 0x7fffffff

/** Thrown by index parsers; the loader catches it and rebuilds the index. */
export class IndexFormatError extends Error {
  override name = 'IndexFormatError'
}

export function writeIndexHeader(magic: string, entryBytes: number, baseOffset: number): Uint8Array {
  const header = new Uint8Array(INDEX_HEADER_BYTES)
  const view = new DataView(header.buffer)
  for (let i = 0; i < 4; i++) header[i] = magic.charCodeAt(i)
  view.setUint16(4, INDEX_FORMAT_VERSION)
  view.setUint16(6, entryBytes)
  view.setBigInt64(8, BigInt(baseOffset))
  return header
}

/** Checks the header and the body length; returns the number of entries. */
export function checkIndexHeader(bytes: Uint8Array, magic: string, entryBytes: number, baseOffset: number, fileName: string): number {
  if (bytes.length < INDEX_HEADER_BYTES) throw new IndexFormatError(`${fileName}: ${bytes.length} bytes, shorter than the ${INDEX_HEADER_BYTES}-byte header`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const found = String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3])
  if (found !== magic) throw new IndexFormatError(`${fileName}: magic "${found}", expected "${magic}"`)
  const version = view.getUint16(4)
  if (version !== INDEX_FORMAT_VERSION) throw new IndexFormatError(`${fileName}: format version ${version}, this build reads version ${INDEX_FORMAT_VERSION}`)
  if (view.getUint16(6) !== entryBytes) throw new IndexFormatError(`${fileName}: entry size ${view.getUint16(6)}, expected ${entryBytes}`)
  const fileBase = view.getBigInt64(8)
  if (fileBase !== BigInt(baseOffset)) throw new IndexFormatError(`${fileName}: base offset ${fileBase}, expected ${baseOffset}`)
  const body = bytes.length - INDEX_HEADER_BYTES
  if (body % entryBytes !== 0) throw new IndexFormatError(`${fileName}: body of ${body} bytes is not a whole number of ${entryBytes}-byte entries`)
  return body / entryBytes
}

/** A growable Int32Array / Float64Array pair helper: doubles capacity as needed. */
export function grow<T extends Int32Array | Float64Array>(array: T, needed: number, make: (n: number) => T): T {
  if (needed <= array.length) return array
  const next = make(Math.max(needed, array.length * 2, 16))
  next.set(array)
  return next
}
