// ListOffsets: -2 is the log start offset, -1 the high watermark (the last
// stable offset with isolation level 1, read_committed), any other timestamp the first
// offset holding a record at or after it, with that record's timestamp (-1 and
// -1 when none does; timestamp -1 for -2 and -1, as Kafka answers).
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import type { RequestContext } from '../../context.js'
import { errorCodeOf, NONE } from '../../errors.js'
import type { ListOffsetsPartitionRequest, ListOffsetsPartitionResponse, ListOffsetsRequest, ListOffsetsResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'

export const listOffsets = defineApi<ListOffsetsRequest, ListOffsetsResponse>(ApiKeys.ListOffsets, 'ListOffsets', [v0, v1, v2, v3], async (context, request) => ({
  throttleTimeMs: 0,
  topics: await Promise.all(
    request.topics.map(async (t) => ({ name: t.name, partitions: await Promise.all(t.partitions.map((p) => listOffset(context, t.name, p, request.isolationLevel))) })),
  ),
}))

async function listOffset(context: RequestContext, topic: string, p: ListOffsetsPartitionRequest, isolationLevel: number): Promise<ListOffsetsPartitionResponse> {
  try {
    const { offset, timestamp } = await context.server.broker.listOffsetAndTimestamp(topic, p.partitionIndex, p.timestamp, isolationLevel === 1 ? 'read_committed' : 'read_uncommitted')
    return { partitionIndex: p.partitionIndex, errorCode: NONE, timestamp, offset }
  } catch (error) {
    return { partitionIndex: p.partitionIndex, errorCode: errorCodeOf(error, context, `ListOffsets ${topic}-${p.partitionIndex}`), timestamp: -1, offset: -1 }
  }
}
