// Codec 0: the records section is stored as is.
import { DecompressionLimitError } from './errors.js'

export function compressNone(bytes: Uint8Array): Uint8Array {
  return bytes.slice()
}

export function decompressNone(bytes: Uint8Array, bytesMax: number): Uint8Array {
  if (bytes.length > bytesMax) throw new DecompressionLimitError('none', bytesMax)
  return bytes
}
