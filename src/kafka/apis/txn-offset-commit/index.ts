// TxnOffsetCommit: offsets held with the open transaction, committed to the
// group only if the transaction commits. The whole request succeeds or fails
// together; the leader epoch is not stored (one node, no leader changes).
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { NONE } from '../../errors.js'
import { transactionErrorCode } from '../txn-errors.js'
import type { TxnOffsetCommitRequest, TxnOffsetCommitResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'

export const txnOffsetCommit = defineApi<TxnOffsetCommitRequest, TxnOffsetCommitResponse>(ApiKeys.TxnOffsetCommit, 'TxnOffsetCommit', [v0, v1, v2], async (context, request) => {
  const offsets = request.topics.flatMap((t) =>
    t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.committedMetadata ?? '' })),
  )
  let errorCode = NONE
  try {
    await context.server.broker.transactions.commitOffsets(request.transactionalId, request.producerId, request.producerEpoch, request.groupId, offsets)
  } catch (error) {
    errorCode = transactionErrorCode(error, context, `TxnOffsetCommit for ${JSON.stringify(request.transactionalId)}`)
  }
  return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) }
})
