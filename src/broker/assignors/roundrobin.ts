// Kafka's RoundRobinAssignor: all subscribed partitions in (topic, partition)
// order are dealt to members in turn, skipping members not subscribed to a topic.
import {
  emptyAssignment,
  sortMembers,
  subscribedPartitions,
  type GroupAssignment,
  type MemberSubscription,
  type PartitionAssignor,
} from './types.js'

export class RoundRobinAssignor implements PartitionAssignor {
  readonly name = 'roundrobin' as const
  readonly protocol = 'eager' as const

  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
    const assignment = emptyAssignment(members)
    const ring = sortMembers(members)
    if (ring.length === 0) return assignment
    let next = 0
    for (const tp of subscribedPartitions(members, partitionsPerTopic)) {
      // Advance to the next member that subscribes to this topic (one always exists).
      while (!ring[next % ring.length].topics.includes(tp.topic)) next++
      assignment.get(ring[next % ring.length].memberId)!.push(tp)
      next++
    }
    return assignment
  }
}
