// Entry point of core.wasm: hashes, CRC32C and the sketch kernels.
// Each kernel lives in its own file; this file only re-exports them.
export * from './memory';
export * from './hash';
