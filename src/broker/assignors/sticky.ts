// Kafka's StickyAssignor and CooperativeStickyAssignor.
//
// Sticky: a balanced assignment (members with the same subscriptions differ by
// at most one partition) that moves as few partitions as possible from the
// previous one. Steps:
//   1. Claims: each member keeps the partitions it owned that still exist and
//      that it still subscribes to; a partition claimed twice goes to the claim
//      from the higher generation (then the first member in sorted order).
//   2. Claims are capped at the largest fair share, ceil(partitions / members).
//   3. Unclaimed partitions go, in order, to the eligible member with fewest.
//   4. While some member has two more partitions than an eligible peer, move one.
// Cooperative-sticky computes the same target, then withholds every partition
// that changes owner: its old owner revokes it in this round and it is handed to
// the new owner in the follow-up rebalance, so nothing is owned twice and only
// the partitions that move are ever revoked (KIP-429).
import {
  compareTopicPartitions,
  emptyAssignment,
  sortAssignment,
  sortMembers,
  subscribedPartitions,
  tpKey,
  type GroupAssignment,
  type MemberSubscription,
  type PartitionAssignor,
  type TopicPartition,
} from './types.js'

export class StickyAssignor implements PartitionAssignor {
  readonly name: 'sticky' | 'cooperative-sticky' = 'sticky'
  readonly protocol: 'eager' | 'cooperative' = 'eager'

  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
    return stickyAssignment(members, partitionsPerTopic)
  }
}

export class CooperativeStickyAssignor implements PartitionAssignor {
  readonly name = 'cooperative-sticky' as const
  readonly protocol = 'cooperative' as const

  assign(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
    const target = stickyAssignment(members, partitionsPerTopic)
    const currentOwner = resolveClaims(members, partitionsPerTopic)
    for (const [memberId, list] of target) {
      target.set(
        memberId,
        list.filter((tp) => {
          const owner = currentOwner.get(tpKey(tp))
          return owner === undefined || owner === memberId
        }),
      )
    }
    return target
  }
}

/** Which member currently (validly) owns each partition: step 1 above. */
function resolveClaims(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): Map<string, string> {
  const owner = new Map<string, string>()
  const byGeneration = sortMembers(members).sort((a, b) => (b.generation ?? -1) - (a.generation ?? -1))
  for (const member of byGeneration) {
    for (const tp of member.ownedPartitions ?? []) {
      const count = partitionsPerTopic.get(tp.topic)
      if (count === undefined || tp.partition >= count || !member.topics.includes(tp.topic)) continue
      const key = tpKey(tp)
      if (!owner.has(key)) owner.set(key, member.memberId)
    }
  }
  return owner
}

function stickyAssignment(members: readonly MemberSubscription[], partitionsPerTopic: ReadonlyMap<string, number>): GroupAssignment {
  const assignment = emptyAssignment(members)
  const sorted = sortMembers(members)
  if (sorted.length === 0) return assignment
  const all = subscribedPartitions(members, partitionsPerTopic)
  const fairShareMax = Math.ceil(all.length / sorted.length)

  // Steps 1 and 2: keep valid claims, capped at the fair share.
  const assigned = new Set<string>()
  for (const [key, memberId] of resolveClaims(members, partitionsPerTopic)) {
    const list = assignment.get(memberId)!
    if (list.length >= fairShareMax) continue
    const [topic, partition] = key.split('\u0000')
    list.push({ topic, partition: Number(partition) })
    assigned.add(key)
  }

  // Step 3: unclaimed partitions to the least-loaded eligible member.
  const subscribes = (m: MemberSubscription, topic: string) => m.topics.includes(topic)
  for (const tp of all) {
    if (assigned.has(tpKey(tp))) continue
    let best: MemberSubscription | undefined
    for (const m of sorted) {
      if (!subscribes(m, tp.topic)) continue
      if (best === undefined || assignment.get(m.memberId)!.length < assignment.get(best.memberId)!.length) best = m
    }
    if (best) assignment.get(best.memberId)!.push(tp)
  }

  // Step 4: move one partition at a time from a member to an eligible peer with two fewer.
  // Each move lowers the sum of squared loads, so the loop ends; the cap bounds it anyway.
  for (let moves = 0; moves <= all.length * sorted.length; moves++) {
    if (!moveOnePartition(sorted, assignment, subscribes)) break
  }
  return sortAssignment(assignment)
}

function moveOnePartition(
  sorted: readonly MemberSubscription[],
  assignment: GroupAssignment,
  subscribes: (m: MemberSubscription, topic: string) => boolean,
): boolean {
  const byLoadDesc = [...sorted].sort((a, b) => assignment.get(b.memberId)!.length - assignment.get(a.memberId)!.length)
  for (const from of byLoadDesc) {
    const fromList = assignment.get(from.memberId)!
    // Least-loaded receivers first; move the highest partition the receiver can take.
    for (const to of [...byLoadDesc].reverse()) {
      const toList = assignment.get(to.memberId)!
      if (toList.length + 1 >= fromList.length) break
      const candidates = fromList.filter((tp) => subscribes(to, tp.topic)).sort(compareTopicPartitions)
      const moved = candidates[candidates.length - 1]
      if (!moved) continue
      fromList.splice(fromList.indexOf(moved), 1)
      toList.push(moved)
      return true
    }
  }
  return false
}

export type { TopicPartition }
