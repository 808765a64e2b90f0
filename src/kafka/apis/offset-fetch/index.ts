// OffsetFetch: the group's committed offsets, -1 where there is none.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { NONE } from '../../errors.js'
import type { OffsetFetchRequest, OffsetFetchResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'
import { v4 } from './v4.js'
import { v5 } from './v5.js'

export const offsetFetch = defineApi<OffsetFetchRequest, OffsetFetchResponse>(ApiKeys.OffsetFetch, 'OffsetFetch', [v0, v1, v2, v3, v4, v5], async (context, request) => {
  const { broker } = context.server
  const wanted = request.topics ?? committedTopics(broker.groupOffsets(request.groupId))
  return {
    throttleTimeMs: 0,
    errorCode: NONE,
    topics: wanted.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const committed = broker.committedOffset(request.groupId, t.name, partitionIndex)
        return { partitionIndex, committedOffset: committed?.offset ?? -1, committedLeaderEpoch: -1, metadata: committed?.metadata ?? '', errorCode: NONE }
      }),
    })),
  }
})

function committedTopics(entries: { topic: string; partition: number }[]): { name: string; partitionIndexes: number[] }[] {
  const byTopic = new Map<string, number[]>()
  for (const e of entries) {
    let partitions = byTopic.get(e.topic)
    if (!partitions) byTopic.set(e.topic, (partitions = []))
    partitions.push(e.partition)
  }
  return [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes: partitionIndexes.sort((a, b) => a - b) }))
}
