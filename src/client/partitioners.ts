// Producer partitioners. The default places keyed records exactly where Kafka's
// Java client would (murmur2), and keyless records with the sticky strategy
// (KIP-480): one partition per batch, switching when a batch is sent.
import { defaultPartition } from '../hash.js'

export interface PartitionerInput {
  topic: string
  key: Uint8Array | string | null
  partitionCount: number
}

export type PartitionerFunction = (input: PartitionerInput) => number
export type PartitionerName = 'default' | 'sticky' | 'roundrobin' | 'murmur2'

/** Stateful per producer: sticky and round-robin remember where they were per topic. */
export interface Partitioner {
  partition(input: PartitionerInput): number
  /** Called when a batch for `topic` is closed, so the sticky partitioner moves on. */
  onNewBatch(topic: string): void
  /**
   * Optional: the partitions of many keyed records at once, or undefined to
   * place them one by one. Only for partitioners whose choice for a keyed record
   * does not depend on the records before it. The result may be a view of
   * memory the next call reuses: read it before calling again.
   */
  partitionMany?(topic: string, keys: readonly (Uint8Array | string)[], partitionCount: number): ArrayLike<number> | undefined
}

export function createPartitioner(choice: PartitionerName | PartitionerFunction = 'default'): Partitioner {
  if (typeof choice === 'function') return { partition: checked(choice), onNewBatch() {} }
  switch (choice) {
    case 'default':
      return new DefaultPartitioner()
    case 'murmur2':
      return { partition: ({ key, partitionCount }) => defaultPartition(key ?? '', partitionCount), onNewBatch() {} }
    case 'sticky':
      return new DefaultPartitioner(true)
    case 'roundrobin':
      return new RoundRobinPartitioner()
    default:
      throw new RangeError(`unknown partitioner "${String(choice)}"; use 'default', 'sticky', 'roundrobin', 'murmur2' or a function`)
  }
}

function checked(fn: PartitionerFunction): (input: PartitionerInput) => number {
  return (input) => {
    const p = fn(input)
    if (!Number.isInteger(p) || p < 0 || p >= input.partitionCount) {
      throw new RangeError(`custom partitioner returned ${p} for topic ${input.topic}, which has partitions 0..${input.partitionCount - 1}`)
    }
    return p
  }
}

/** murmur2 for keyed records; sticky for keyless ones (or for all records when `stickyForKeys`). */
class DefaultPartitioner implements Partitioner {
  private readonly sticky = new Map<string, number>()
  private readonly previous = new Map<string, number>()
  /** partitionMany's output, reused from call to call. */
  private many = new Int32Array(256)
  constructor(private readonly stickyForKeys = false) {}

  partitionMany(_topic: string, keys: readonly (Uint8Array | string)[], partitionCount: number): ArrayLike<number> | undefined {
    if (this.stickyForKeys) return undefined
    const n = keys.length
    if (this.many.length < n) this.many = new Int32Array(Math.max(n, this.many.length * 2))
    const out = this.many
    for (let i = 0; i < n; i++) out[i] = keyedPartition(keys[i], partitionCount)
    return out.subarray(0, n)
  }

  partition({ topic, key, partitionCount }: PartitionerInput): number {
    if (key !== null && !this.stickyForKeys) return keyedPartition(key, partitionCount)
    let p = this.sticky.get(topic)
    if (p === undefined || p >= partitionCount) {
      // A new batch goes to a different partition than the last one, so keyless load spreads out.
      const last = this.previous.get(topic)
      p = Math.floor(Math.random() * partitionCount)
      if (partitionCount > 1 && p === last) p = (p + 1) % partitionCount
      this.sticky.set(topic, p)
    }
    return p
  }

  onNewBatch(topic: string): void {
    const current = this.sticky.get(topic)
    if (current === undefined) return
    this.previous.set(topic, current)
    this.sticky.delete(topic)
  }
}

/** Keys at most this long are hashed in JS; longer ones (and non-ASCII strings, which need UTF-8) in Wasm. */
const JS_HASH_BYTES_MAX = 64
const MURMUR2_SEED = 0x9747b28c
const MURMUR2_M = 0x5bd1e995
/** Not an int32, so never a murmur2 result: the key must go to Wasm. */
const NEEDS_WASM = 2 ** 32

/**
 * Kafka's default partition of a keyed record, `(murmur2(key) & 0x7fffffff) % n`.
 * Short keys (ASCII strings, byte arrays) are hashed in JS: for them that is
 * faster than a call into Wasm and allocates nothing; the rest go to
 * defaultPartition in core.wasm. Both compute the same function.
 */
function keyedPartition(key: Uint8Array | string, partitionCount: number): number {
  const h = key.length > JS_HASH_BYTES_MAX ? NEEDS_WASM : typeof key === 'string' ? murmur2Ascii(key) : murmur2Bytes(key)
  if (h === NEEDS_WASM) return defaultPartition(key, partitionCount)
  if (!Number.isInteger(partitionCount) || partitionCount < 1 || partitionCount > 0x7fffffff) return defaultPartition(key, partitionCount)
  return (h & 0x7fffffff) % partitionCount
}

/** One little-endian 4-byte word into the murmur2 state (small enough for V8 to inline in the loops below). */
function murmur2Word(h: number, k: number): number {
  k = Math.imul(k, MURMUR2_M)
  k ^= k >>> 24
  k = Math.imul(k, MURMUR2_M)
  return Math.imul(h, MURMUR2_M) ^ k
}

/** murmur2's final avalanche. */
function murmur2Final(h: number): number {
  h ^= h >>> 13
  h = Math.imul(h, MURMUR2_M)
  return h ^ (h >>> 15)
}

/** Kafka's Utils.murmur2 over an ASCII string's bytes (its chars), or NEEDS_WASM for any char past 0x7f. */
function murmur2Ascii(text: string): number {
  const len = text.length
  let h = (MURMUR2_SEED ^ len) | 0
  let i = 0
  let bits = 0
  for (; i + 4 <= len; i += 4) {
    const b0 = text.charCodeAt(i)
    const b1 = text.charCodeAt(i + 1)
    const b2 = text.charCodeAt(i + 2)
    const b3 = text.charCodeAt(i + 3)
    bits |= b0 | b1 | b2 | b3
    h = murmur2Word(h, b0 | (b1 << 8) | (b2 << 16) | (b3 << 24))
  }
  const rest = len - i
  if (rest > 0) {
    if (rest === 3) {
      const b2 = text.charCodeAt(i + 2)
      bits |= b2
      h ^= b2 << 16
    }
    if (rest >= 2) {
      const b1 = text.charCodeAt(i + 1)
      bits |= b1
      h ^= b1 << 8
    }
    const b0 = text.charCodeAt(i)
    bits |= b0
    h = Math.imul(h ^ b0, MURMUR2_M)
  }
  if (bits > 0x7f) return NEEDS_WASM
  return murmur2Final(h)
}

/** Kafka's Utils.murmur2 over bytes. */
function murmur2Bytes(bytes: Uint8Array): number {
  const len = bytes.length
  let h = (MURMUR2_SEED ^ len) | 0
  let i = 0
  for (; i + 4 <= len; i += 4) {
    h = murmur2Word(h, bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))
  }
  const rest = len - i
  if (rest > 0) {
    if (rest === 3) h ^= bytes[i + 2] << 16
    if (rest >= 2) h ^= bytes[i + 1] << 8
    h = Math.imul(h ^ bytes[i], MURMUR2_M)
  }
  return murmur2Final(h)
}

class RoundRobinPartitioner implements Partitioner {
  private readonly next = new Map<string, number>()
  partition({ topic, partitionCount }: PartitionerInput): number {
    const n = this.next.get(topic) ?? 0
    this.next.set(topic, n + 1)
    return n % partitionCount
  }
  onNewBatch(): void {}
}
