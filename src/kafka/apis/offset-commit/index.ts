// OffsetCommit: checked against the group's generation by the broker, then
// persisted to the offsets topic. Partitions of unknown topics get
// UNKNOWN_TOPIC_OR_PARTITION; the others are committed together.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { codeOf, errorCodeOf, NONE } from '../../errors.js'
import type { OffsetCommit } from '../../../broker/offset-store.js'
import type { OffsetCommitRequest, OffsetCommitResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'
import { v4 } from './v4.js'
import { v5 } from './v5.js'
import { v6 } from './v6.js'
import { v7 } from './v7.js'

export const offsetCommit = defineApi<OffsetCommitRequest, OffsetCommitResponse>(
  ApiKeys.OffsetCommit,
  'OffsetCommit',
  [v0, v1, v2, v3, v4, v5, v6, v7],
  async (context, request) => {
    const { broker } = context.server
    const codes = new Map<string, number>()
    const commits: OffsetCommit[] = []
    for (const t of request.topics) {
      const partitions = broker.partitionCount(t.name)
      for (const p of t.partitions) {
        const key = `${t.name}\u0000${p.partitionIndex}`
        if (partitions === undefined || p.partitionIndex < 0 || p.partitionIndex >= partitions) codes.set(key, codeOf('UNKNOWN_TOPIC_OR_PARTITION'))
        else if (p.committedOffset < 0) codes.set(key, codeOf('OFFSET_OUT_OF_RANGE'))
        else commits.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata ?? '' })
      }
    }
    let commitCode = NONE
    if (commits.length > 0) {
      try {
        await broker.commitOffsets(request.groupId, request.generationId, request.memberId, commits)
      } catch (error) {
        commitCode = errorCodeOf(error, context, `OffsetCommit for group "${request.groupId}"`)
      }
    }
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: codes.get(`${t.name}\u0000${p.partitionIndex}`) ?? commitCode })),
      })),
    }
  },
)
