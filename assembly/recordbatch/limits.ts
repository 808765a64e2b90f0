// Limits the Wasm side enforces on its own (defence in depth: the TypeScript
// side checks first and gives the friendlier error). These must equal the
// constants in src/log/limits.ts; test/log/record-batch.test.ts asserts it.

/** Most records one batch may hold (encode and decode). */
export const recordsPerBatchMax: i32 = 1_000_000;
/** Most bytes one encoded batch may span, header included. */
export const batchBytesMax: i32 = 16 * 1024 * 1024;
/** Most bytes the records section of a compressed batch may inflate to. */
export const decompressedBytesMax: i32 = 64 * 1024 * 1024;
