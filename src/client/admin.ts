// The in-process admin client: topics, partitions, groups and offsets, with the
// operations of Kafka's Admin API and `kafka-consumer-groups.sh`.
import type { Broker } from '../broker/broker.js'
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type IsolationLevel } from '../broker/broker.js'
import { KafkaError } from '../broker/errors.js'
import { decodeAssignment } from '../broker/group/consumer-protocol.js'
import type { TopicPartition } from '../broker/assignors/index.js'
import type { GroupState } from '../broker/group/coordinator.js'

export interface CreateTopicOptions {
  partitions?: number
  config?: Record<string, string | number>
}

export interface PartitionDescription {
  partition: number
  logStartOffset: number
  logEndOffset: number
}

export interface TopicInfo {
  name: string
  partitions: PartitionDescription[]
  config: Record<string, string | number>
  internal: boolean
}

export interface GroupMemberInfo {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  assignment: TopicPartition[]
}

export interface GroupOffsetInfo extends TopicPartition {
  committed: number
  logEndOffset: number
  lag: number
}

export interface GroupInfo {
  groupId: string
  state: GroupState
  protocol: string
  generationId: number
  members: GroupMemberInfo[]
  offsets: GroupOffsetInfo[]
}

export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number }
export type ResetSpec = OffsetSpec | { shiftBy: number } | { offset: number }

export class Admin {
  constructor(private readonly broker: Broker) {}

  async createTopic(name: string, options: CreateTopicOptions = {}): Promise<void> {
    await this.broker.createTopic(name, options.partitions ?? 1, options.config)
  }

  async deleteTopic(name: string): Promise<void> {
    if (!this.broker.topics.describe(name)) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic "${name}"`)
    await this.broker.deleteTopic(name)
  }

  /** Raises a topic's partition count (Kafka never lowers it). */
  async createPartitions(name: string, totalPartitions: number): Promise<void> {
    const current = this.broker.partitionCount(name)
    if (current === undefined) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic "${name}"`)
    if (!Number.isInteger(totalPartitions) || totalPartitions <= current) {
      throw new KafkaError('INVALID_PARTITIONS', `topic "${name}" has ${current} partitions; the new count must be a larger integer, got ${totalPartitions}`)
    }
    await this.broker.topics.addPartitions(name, totalPartitions)
  }

  listTopics(options: { internal?: boolean } = {}): string[] {
    return this.broker.topics
      .list()
      .filter((t) => options.internal || !t.startsWith('__'))
      .sort()
  }

  async describeTopic(name: string): Promise<TopicInfo> {
    const description = this.broker.topics.describe(name)
    if (!description) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic "${name}"`)
    const partitions: PartitionDescription[] = []
    for (let p = 0; p < description.partitions; p++) {
      partitions.push({
        partition: p,
        logStartOffset: await this.broker.listOffset(name, p, EARLIEST_TIMESTAMP),
        logEndOffset: await this.broker.listOffset(name, p, LATEST_TIMESTAMP),
      })
    }
    return { name, partitions, config: description.config, internal: description.internal }
  }

  /**
   * Offsets of every partition of a topic: earliest, latest, or the first
   * at/after a time (-1 if none). Latest is the high watermark, or with
   * `{ isolation: 'read_committed' }` the last stable offset (the first offset
   * of the oldest open transaction).
   */
  async listOffsets(topic: string, spec: OffsetSpec = 'latest', options: { isolation?: IsolationLevel } = {}): Promise<{ partition: number; offset: number }[]> {
    const isolation = options.isolation ?? 'read_uncommitted'
    if (isolation !== 'read_committed' && isolation !== 'read_uncommitted') throw new RangeError(`listOffsets isolation must be 'read_committed' or 'read_uncommitted', got ${String(isolation)}`)
    const count = this.broker.partitionCount(topic)
    if (count === undefined) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic "${topic}"`)
    const timestamp = spec === 'earliest' ? EARLIEST_TIMESTAMP : spec === 'latest' ? LATEST_TIMESTAMP : spec.timestamp
    const out = []
    for (let p = 0; p < count; p++) out.push({ partition: p, offset: await this.broker.listOffset(topic, p, timestamp, isolation) })
    return out
  }

  listGroups(): { groupId: string; state: GroupState }[] {
    return this.broker.groupIds().map((groupId) => {
      // A group known only from committed offsets has no coordinator state ('Dead'): it is empty.
      const state = this.broker.coordinator.describe(groupId).state
      return { groupId, state: state === 'Dead' ? 'Empty' : state }
    })
  }

  /** Members with their assignments, and committed offsets with lag, as `kafka-consumer-groups.sh --describe` shows. */
  async describeGroup(groupId: string): Promise<GroupInfo> {
    const group = this.broker.coordinator.describe(groupId)
    const members = group.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      assignment: safeAssignment(m.assignment),
    }))
    const offsets: GroupOffsetInfo[] = []
    for (const { topic, partition, committed } of this.broker.groupOffsets(groupId)) {
      if (this.broker.partitionCount(topic) === undefined) continue
      const logEndOffset = await this.broker.listOffset(topic, partition, LATEST_TIMESTAMP)
      offsets.push({ topic, partition, committed: committed.offset, logEndOffset, lag: Math.max(0, logEndOffset - committed.offset) })
    }
    offsets.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    return { groupId, state: group.state === 'Dead' ? 'Empty' : group.state, protocol: group.protocolName, generationId: group.generationId, members, offsets }
  }

  /** Resets a group's committed offsets for a topic; the group must have no active members. */
  async resetOffsets(groupId: string, topic: string, to: ResetSpec): Promise<{ partition: number; offset: number }[]> {
    const group = this.broker.coordinator.describe(groupId)
    if (group.members.length > 0) throw new KafkaError('NON_EMPTY_GROUP', `group "${groupId}" has ${group.members.length} active members; stop them before resetting offsets`)
    const count = this.broker.partitionCount(topic)
    if (count === undefined) throw new KafkaError('UNKNOWN_TOPIC_OR_PARTITION', `unknown topic "${topic}"`)
    const commits = []
    for (let partition = 0; partition < count; partition++) {
      const earliest = await this.broker.listOffset(topic, partition, EARLIEST_TIMESTAMP)
      const latest = await this.broker.listOffset(topic, partition, LATEST_TIMESTAMP)
      let offset: number
      if (to === 'earliest') offset = earliest
      else if (to === 'latest') offset = latest
      else if ('timestamp' in to) {
        const found = await this.broker.listOffset(topic, partition, to.timestamp)
        offset = found < 0 ? latest : found
      } else if ('shiftBy' in to) {
        const current = this.broker.committedOffset(groupId, topic, partition)?.offset ?? earliest
        offset = current + to.shiftBy
      } else offset = to.offset
      commits.push({ topic, partition, offset: Math.min(latest, Math.max(earliest, offset)) })
    }
    await this.broker.commitOffsets(groupId, -1, '', commits)
    return commits.map(({ partition, offset }) => ({ partition, offset }))
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.broker.deleteGroup(groupId)
  }
}

function safeAssignment(bytes: Uint8Array): TopicPartition[] {
  try {
    return decodeAssignment(bytes).partitions
  } catch {
    return [] // a non-consumer protocol's assignment is not ours to read
  }
}
