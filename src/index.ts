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
