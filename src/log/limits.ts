// Every size limit of the record-batch layer, in one place. batch.wasm
// carries the first three too (assembly/recordbatch/limits.ts); a test asserts
// the two sides agree.

/** Most records one batch may hold. Kafka has no explicit cap; a million keeps columns bounded. */
export const recordsPerBatchMax = 1_000_000

/** Most bytes one encoded batch may span, header included (Kafka's default message.max.bytes is ~1 MiB). */
export const batchBytesMax = 16 * 1024 * 1024

/**
 * Default limit on the bytes a compressed records section may inflate to.
 * Anything larger is refused as a decompression bomb before it is allocated.
 */
export const decompressedBytesMax = 64 * 1024 * 1024

/**
 * Largest zstd window allocated for a frame that does not declare its size
 * (streaming encoders such as Kafka's Java client use at most 2 MiB at level 3).
 */
export const zstdWindowBytesMax = 8 * 1024 * 1024
