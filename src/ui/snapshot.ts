// What the dashboard and /metrics show, gathered in one pass: topics with their
// partitions' offsets and sizes, consumer groups with members, assignments and
// lag, and the JobMetrics every registered job reports. Plain data, so the same
// snapshot feeds the WebSocket (as JSON) and the Prometheus text.
import type { Eddy } from '../eddy.js'
import type { GroupState } from '../broker/group/coordinator.js'
import type { TopicPartition } from '../broker/assignors/index.js'
import { StoreTopics } from '../broker/log-adapter.js'
import type { JobMetrics } from '../runtime/metrics.js'

export interface PartitionSnapshot {
  partition: number
  /** First offset still in the log (earlier ones were deleted by retention or compaction). */
  logStartOffset: number
  /** Offset the next appended record will get (the high watermark). */
  logEndOffset: number
  /** Bytes the partition's segments hold; absent when the storage cannot tell. */
  sizeBytes?: number
  /** Records appended per second since the previous snapshot (0 for the first). */
  recordsPerSec: number
}

export interface TopicSnapshot {
  name: string
  internal: boolean
  partitions: PartitionSnapshot[]
  /** Records currently retained: Σ (logEndOffset − logStartOffset). */
  records: number
  sizeBytes?: number
  recordsPerSec: number
}

export interface GroupMemberSnapshot {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  assignment: TopicPartition[]
}

export interface GroupOffsetSnapshot extends TopicPartition {
  committed: number
  logEndOffset: number
  lag: number
}

export interface GroupSnapshot {
  groupId: string
  state: GroupState
  protocol: string
  generationId: number
  members: GroupMemberSnapshot[]
  offsets: GroupOffsetSnapshot[]
  /** Σ lag over the partitions the group has committed offsets for. */
  totalLag: number
}

export interface DashboardSnapshot {
  /** Wall-clock ms when the snapshot was taken. */
  time: number
  topics: TopicSnapshot[]
  groups: GroupSnapshot[]
  jobs: JobMetrics[]
  /** Problems met while collecting (a job whose metrics() threw, a topic deleted mid-way), so they show rather than vanish. */
  errors: string[]
}

export interface MetricsSource {
  metrics(): JobMetrics
}

export interface SnapshotOptions {
  /** Include internal topics such as __consumer_offsets (default false). */
  internalTopics?: boolean
}

/**
 * Takes snapshots, remembering the previous one's end offsets so each
 * partition's append rate (records/s) can be derived.
 */
export class SnapshotCollector {
  private previous = new Map<string, { time: number; logEndOffset: number }>()

  constructor(
    private readonly eddy: Eddy,
    private readonly options: SnapshotOptions = {},
  ) {}

  async collect(jobs: Iterable<MetricsSource> = []): Promise<DashboardSnapshot> {
    const time = Date.now()
    const errors: string[] = []
    const topics = await this.topics(time, errors)
    const groups = await this.groups(errors)
    const jobMetrics: JobMetrics[] = []
    for (const job of jobs) {
      try {
        jobMetrics.push(job.metrics())
      } catch (error) {
        errors.push(`job metrics: ${messageOf(error)}`)
      }
    }
    return { time, topics, groups, jobs: jobMetrics, errors }
  }

  private async topics(time: number, errors: string[]): Promise<TopicSnapshot[]> {
    const { admin, broker } = this.eddy
    const store = broker.topics instanceof StoreTopics ? broker.topics.store : undefined
    const seen = new Map<string, { time: number; logEndOffset: number }>()
    const out: TopicSnapshot[] = []
    for (const name of admin.listTopics({ internal: this.options.internalTopics ?? false })) {
      try {
        const info = await admin.describeTopic(name)
        let sizes: Map<number, number> | undefined
        if (store) {
          try {
            sizes = new Map(store.describeTopic(name).partitions.map((p) => [p.partition, p.sizeBytes]))
          } catch {
            sizes = undefined // deleted between the two calls: offsets alone still make sense
          }
        }
        const partitions = info.partitions.map((p): PartitionSnapshot => {
          const key = `${name}\u0000${p.partition}`
          const before = this.previous.get(key)
          seen.set(key, { time, logEndOffset: p.logEndOffset })
          const elapsed = before ? (time - before.time) / 1000 : 0
          const recordsPerSec = before && elapsed > 0 ? Math.max(0, p.logEndOffset - before.logEndOffset) / elapsed : 0
          const sizeBytes = sizes?.get(p.partition)
          return { partition: p.partition, logStartOffset: p.logStartOffset, logEndOffset: p.logEndOffset, ...(sizeBytes === undefined ? {} : { sizeBytes }), recordsPerSec }
        })
        const sized = partitions.every((p) => p.sizeBytes !== undefined)
        out.push({
          name,
          internal: info.internal,
          partitions,
          records: partitions.reduce((sum, p) => sum + (p.logEndOffset - p.logStartOffset), 0),
          ...(sized ? { sizeBytes: partitions.reduce((sum, p) => sum + (p.sizeBytes ?? 0), 0) } : {}),
          recordsPerSec: partitions.reduce((sum, p) => sum + p.recordsPerSec, 0),
        })
      } catch (error) {
        errors.push(`topic "${name}": ${messageOf(error)}`)
      }
    }
    this.previous = seen
    return out
  }

  private async groups(errors: string[]): Promise<GroupSnapshot[]> {
    const out: GroupSnapshot[] = []
    const ids = this.eddy.admin.listGroups().map((g) => g.groupId).sort()
    for (const groupId of ids) {
      try {
        const g = await this.eddy.admin.describeGroup(groupId)
        out.push({ ...g, totalLag: g.offsets.reduce((sum, o) => sum + o.lag, 0) })
      } catch (error) {
        errors.push(`group "${groupId}": ${messageOf(error)}`)
      }
    }
    return out
  }
}

/** One snapshot, without rates (handy for scripts and tests). */
export function collectSnapshot(eddy: Eddy, jobs: Iterable<MetricsSource> = [], options: SnapshotOptions = {}): Promise<DashboardSnapshot> {
  return new SnapshotCollector(eddy, options).collect(jobs)
}

/**
 * JSON for the wire: JSON has no ±Infinity or NaN (a watermark is -Infinity
 * before the first and Infinity at end of input), so they travel as the strings
 * "Infinity", "-Infinity" and "NaN"; the page turns them back into numbers.
 */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
