// Errors of the compression layer. Callers that decode batches wrap them in a
// CorruptBatchError; on their own they name the codec and what was wrong.

/** Compressed bytes that cannot be decoded (bad magic, truncated, checksum mismatch, …). */
export class CompressionError extends Error {
  override name = 'CompressionError'
  constructor(
    readonly codec: string,
    detail: string,
  ) {
    super(`${codec}: ${detail}`)
  }
}

/** Compressed bytes that would inflate past the allowed size: a decompression bomb, refused. */
export class DecompressionLimitError extends CompressionError {
  override name = 'DecompressionLimitError'
  constructor(
    codec: string,
    readonly bytesMax: number,
    detail = `output would exceed decompressedBytesMax (${bytesMax} bytes)`,
  ) {
    super(codec, detail)
  }
}
