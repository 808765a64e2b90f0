// Partition assignment for consumer groups: the group leader (here, the
// coordinator on the leader's behalf) maps each subscribed topic-partition to
// exactly one member. Names and semantics follow Kafka's ConsumerPartitionAssignor.

export interface TopicPartition {
  topic: string
  partition: number
}

export interface MemberSubscription {
  memberId: string
  /** Static membership id; when set it orders members instead of memberId, as in Kafka. */
  groupInstanceId?: string
  topics: readonly string[]
  /** Partitions the member owned before this rebalance (sticky and cooperative assignors use them). */
  ownedPartitions?: readonly TopicPartition[]
  /** Generation in which ownedPartitions were assigned; a higher one wins a disputed partition. */
  generation?: number
}

/** member id → its partitions, each list sorted by topic then partition. */
export type GroupAssignment = Map<string, TopicPartition[]>

export type RebalanceProtocol = 'eager' | 'cooperative'

export interface PartitionAssignor {
  readonly name: AssignorName
  /** eager: every member revokes everything before a rebalance; cooperative: only what moves. */
  readonly protocol: RebalanceProtocol
  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment
}

export type AssignorName = 'range' | 'roundrobin' | 'sticky' | 'cooperative-sticky'

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition
}

export function tpKey(tp: TopicPartition): string {
  return `${tp.topic}\u0000${tp.partition}`
}

/** Members in the order Kafka's assignors use: by group instance id when set, then by member id. */
export function sortMembers(members: readonly MemberSubscription[]): MemberSubscription[] {
  return [...members].sort((a, b) => {
    const ka = a.groupInstanceId ?? a.memberId
    const kb = b.groupInstanceId ?? b.memberId
    return ka < kb ? -1 : ka > kb ? 1 : a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0
  })
}

export function emptyAssignment(members: readonly MemberSubscription[]): GroupAssignment {
  const out: GroupAssignment = new Map()
  for (const m of members) out.set(m.memberId, [])
  return out
}

export function sortAssignment(assignment: GroupAssignment): GroupAssignment {
  for (const list of assignment.values()) list.sort(compareTopicPartitions)
  return assignment
}

/** Every existing partition of the topics at least one member subscribes to, sorted. */
export function subscribedPartitions(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): TopicPartition[] {
  const topics = new Set<string>()
  for (const m of members) for (const t of m.topics) if (partitionsPerTopic.has(t)) topics.add(t)
  const out: TopicPartition[] = []
  for (const topic of [...topics].sort()) {
    const count = partitionsPerTopic.get(topic) ?? 0
    for (let partition = 0; partition < count; partition++) out.push({ topic, partition })
  }
  return out
}
