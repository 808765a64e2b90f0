// What a member must revoke and newly take when a rebalance hands it an
// assignment. Eager: revoke everything owned before joining, then take the new
// assignment whole. Cooperative: revoke only what left, take only what arrived,
// and rejoin once more if anything was revoked (the follow-up rebalance hands
// those partitions to their new owners).
import { tpKey, type RebalanceProtocol, type TopicPartition } from './types.js'

export interface MemberChanges {
  revoked: TopicPartition[]
  assigned: TopicPartition[]
  /** Cooperative only: partitions were revoked, so the member must rejoin. */
  rejoin: boolean
}

export function memberChanges(protocol: RebalanceProtocol, owned: readonly TopicPartition[], next: readonly TopicPartition[]): MemberChanges {
  if (protocol === 'eager') return { revoked: [...owned], assigned: [...next], rejoin: false }
  const nextKeys = new Set(next.map(tpKey))
  const ownedKeys = new Set(owned.map(tpKey))
  const revoked = owned.filter((tp) => !nextKeys.has(tpKey(tp)))
  return { revoked, assigned: next.filter((tp) => !ownedKeys.has(tpKey(tp))), rejoin: revoked.length > 0 }
}
