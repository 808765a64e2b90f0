// Entry point of batch.wasm: the RecordBatch v2 encoder and decoder. A module
// of its own, separate from core.wasm, so the two build and load independently.
// Memory layout of every argument: recordbatch/layout.ts.
export { alloc, dealloc } from './memory';
export { encodeBatch, encodeRecords, lastMaxTimestamp, sealWrittenBatch } from './recordbatch/encoder';
export { decodeBatch, decodeRecords, verifyBatchCrc } from './recordbatch/decoder';
export { lastErrorPosition, lastErrorRecord, lastErrorValue } from './recordbatch/errors';
export { batchBytesMax, decompressedBytesMax, recordsPerBatchMax } from './recordbatch/limits';
