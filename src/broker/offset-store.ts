// Committed consumer-group offsets, kept in memory and persisted to the
// compacted internal topic `__consumer_offsets` (one partition), as Kafka does:
// the latest record per (group, topic, partition) key is the committed offset;
// a null value (tombstone) deletes it. On open the topic is replayed.
//
// Record key:   JSON ["g", group, topic, partition]
// Record value: JSON { "offset": n, "metadata": s, "timestamp": ms } or null
import { encodeRecordBatch } from '../log/record-batch.js'
import type { BrokerPartition } from './ports.js'
import { replayKeyedRecords } from './replay.js'

export const OFFSETS_TOPIC = '__consumer_offsets'

export interface CommittedOffset {
  offset: number
  metadata: string
  timestamp: number
}

export interface OffsetCommit {
  topic: string
  partition: number
  offset: number
  metadata?: string
}

export class OffsetStore {
  private readonly offsets = new Map<string, Map<string, CommittedOffset>>()

  constructor(private readonly log: BrokerPartition) {}

  /** Replays the internal topic into memory. */
  async load(): Promise<void> {
    await replayKeyedRecords(this.log, (key, value) => this.apply(key, value))
  }

  private apply(key: string, value: string | null): void {
    const parsed = JSON.parse(key) as [string, string, string, number]
    if (parsed[0] !== 'g') return
    const [, group, topic, partition] = parsed
    const tp = `${topic}\u0000${partition}`
    if (value === null) {
      this.offsets.get(group)?.delete(tp)
      return
    }
    let groupOffsets = this.offsets.get(group)
    if (!groupOffsets) {
      groupOffsets = new Map()
      this.offsets.set(group, groupOffsets)
    }
    groupOffsets.set(tp, JSON.parse(value) as CommittedOffset)
  }

  /** Persists the commits in one batch, then makes them visible. */
  async commit(group: string, commits: readonly OffsetCommit[], timestamp = Date.now()): Promise<void> {
    if (commits.length === 0) return
    const records = commits.map((c) => {
      if (!Number.isSafeInteger(c.offset) || c.offset < 0) throw new RangeError(`committed offset for ${c.topic}-${c.partition} must be a non-negative integer, got ${c.offset}`)
      return {
        key: JSON.stringify(['g', group, c.topic, c.partition]),
        value: JSON.stringify({ offset: c.offset, metadata: c.metadata ?? '', timestamp }),
        timestamp,
      }
    })
    await this.log.append(encodeRecordBatch(records, { baseTimestamp: timestamp }))
    for (const r of records) this.apply(r.key, r.value)
  }

  /** Deletes a group's offsets (tombstones), e.g. when the group is deleted or reset. */
  async deleteGroup(group: string): Promise<void> {
    const groupOffsets = this.offsets.get(group)
    if (!groupOffsets || groupOffsets.size === 0) return
    const records = [...groupOffsets.keys()].map((tp) => {
      const [topic, partition] = tp.split('\u0000')
      return { key: JSON.stringify(['g', group, topic, Number(partition)]), value: null }
    })
    await this.log.append(encodeRecordBatch(records))
    this.offsets.delete(group)
  }

  /** Deletes every group's offsets for a topic (tombstones), when the topic is deleted. */
  async deleteTopic(topic: string): Promise<void> {
    const records: { key: string; value: null }[] = []
    for (const [group, groupOffsets] of this.offsets) {
      for (const tp of groupOffsets.keys()) {
        const [t, partition] = tp.split('\u0000')
        if (t === topic) records.push({ key: JSON.stringify(['g', group, t, Number(partition)]), value: null })
      }
    }
    if (records.length === 0) return
    await this.log.append(encodeRecordBatch(records))
    for (const r of records) this.apply(r.key, null)
  }

  committed(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.offsets.get(group)?.get(`${topic}\u0000${partition}`)
  }

  /** Every committed offset of a group, as [topic, partition, offset] entries. */
  groupOffsets(group: string): { topic: string; partition: number; committed: CommittedOffset }[] {
    return [...(this.offsets.get(group) ?? new Map<string, CommittedOffset>())].map(([tp, committed]) => {
      const [topic, partition] = tp.split('\u0000')
      return { topic, partition: Number(partition), committed }
    })
  }

  groups(): string[] {
    return [...this.offsets.keys()]
  }
}
