// Producer partitioners. The default places keyed records exactly where Kafka's
// Java client would (murmur2), and keyless records with the sticky strategy
// (KIP-480): one partition per batch, switching when a batch is sent.
import { defaultPartition, defaultPartitionBatch } from '../hash.js'

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
   * Optional: the partitions of many keyed records at once (one Wasm call for
   * all keys), or undefined to place them one by one. Only for partitioners whose
   * choice for a keyed record does not depend on the records before it.
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
  constructor(private readonly stickyForKeys = false) {}

  partitionMany(_topic: string, keys: readonly (Uint8Array | string)[], partitionCount: number): ArrayLike<number> | undefined {
    return this.stickyForKeys ? undefined : defaultPartitionBatch(keys, partitionCount)
  }

  partition({ topic, key, partitionCount }: PartitionerInput): number {
    if (key !== null && !this.stickyForKeys) return defaultPartition(key, partitionCount)
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

class RoundRobinPartitioner implements Partitioner {
  private readonly next = new Map<string, number>()
  partition({ topic, partitionCount }: PartitionerInput): number {
    const n = this.next.get(topic) ?? 0
    this.next.set(topic, n + 1)
    return n % partitionCount
  }
  onNewBatch(): void {}
}
