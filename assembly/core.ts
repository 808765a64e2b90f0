// Entry point of core.wasm: hashes, CRC32C and the sketch kernels.
// Each kernel lives in its own file; this file only re-exports them.
export * from './memory';
export * from './hash';
export * from './sketch/bloom';
export * from './sketch/hyperloglog';
export * from './sketch/count-min';
export * from './sketch/heavy-hitters';
export * from './sketch/reservoir';
export * from './sketch/decaying';
export * from './sketch/kll';
export * from './window/panes';
