// Kafka's RangeAssignor: per topic, members (sorted) take contiguous ranges;
// the first (partitions % members) members get one extra partition.
import { emptyAssignment, sortMembers, type GroupAssignment, type MemberSubscription, type PartitionAssignor } from './types.js'

export class RangeAssignor implements PartitionAssignor {
  readonly name = 'range' as const
  readonly protocol = 'eager' as const

  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
    const assignment = emptyAssignment(members)
    const topics = new Set(members.flatMap((m) => m.topics))
    for (const topic of [...topics].sort()) {
      const partitionCount = partitionsPerTopic.get(topic)
      if (partitionCount === undefined) continue
      const consumers = sortMembers(members.filter((m) => m.topics.includes(topic)))
      const perConsumer = Math.floor(partitionCount / consumers.length)
      const withExtra = partitionCount % consumers.length
      consumers.forEach((member, i) => {
        const start = perConsumer * i + Math.min(i, withExtra)
        const length = perConsumer + (i < withExtra ? 1 : 0)
        const list = assignment.get(member.memberId)!
        for (let p = start; p < start + length; p++) list.push({ topic, partition: p })
      })
    }
    return assignment
  }
}
