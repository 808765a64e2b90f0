// The package root: `import { ... } from 'eddy'`.
export {
  murmur2,
  defaultPartition,
  murmur3_32,
  xxhash32,
  xxhash64,
  crc32c,
  murmur2Batch,
  defaultPartitionBatch,
  murmur3_32Batch,
  xxhash32Batch,
  xxhash64Batch,
  crc32cBatch,
} from './hash.js'
export type { HashInput, KeyBatch, PackedKeys } from './hash.js'
export { SketchFormatError, SketchFamily } from './sketch/format.js'
export { WasmSketch } from './sketch/wasm-sketch.js'
export { BloomFilter, bloomFilterSize, BLOOM_BIT_COUNT_MAX, BLOOM_HASH_COUNT_MAX } from './sketch/bloom.js'
export type { BloomFilterOptions, BloomFilterSize } from './sketch/bloom.js'
export { HyperLogLog, HLL_PRECISION_MIN, HLL_PRECISION_MAX, HLL_PRECISION_DEFAULT } from './sketch/hyperloglog.js'
export type { HyperLogLogOptions } from './sketch/hyperloglog.js'
export { CountMinSketch, countMinSketchSize, CMS_CELL_COUNT_MAX } from './sketch/count-min.js'
export type { CountMinSketchOptions, CountMinSketchSize } from './sketch/count-min.js'
export { HeavyHitters, HEAVY_HITTERS_CAPACITY_MAX } from './sketch/heavy-hitters.js'
export type { HeavyHittersOptions, HeavyHitter } from './sketch/heavy-hitters.js'
