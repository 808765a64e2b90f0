// AddPartitionsToTxn: the partitions join the producer's open transaction (it
// begins with the first). Unknown partitions fail alone; the others are then
// not added (OPERATION_NOT_ATTEMPTED), as in Kafka, so the request is all or nothing.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { codeOf, NONE } from '../../errors.js'
import { transactionErrorCode } from '../txn-errors.js'
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'

export const addPartitionsToTxn = defineApi<AddPartitionsToTxnRequest, AddPartitionsToTxnResponse>(
  ApiKeys.AddPartitionsToTxn,
  'AddPartitionsToTxn',
  [v0, v1, v2],
  async (context, request) => {
    const { broker } = context.server
    const unknown = new Set<string>()
    for (const t of request.topics) {
      const count = broker.partitionCount(t.name)
      for (const p of t.partitions) if (count === undefined || p < 0 || p >= count) unknown.add(`${t.name}\u0000${p}`)
    }
    let errorCode = NONE
    if (unknown.size === 0) {
      try {
        const partitions = request.topics.flatMap((t) => t.partitions.map((partition) => ({ topic: t.name, partition })))
        await broker.transactions.addPartitions(request.transactionalId, request.producerId, request.producerEpoch, partitions)
      } catch (error) {
        errorCode = transactionErrorCode(error, context, `AddPartitionsToTxn for ${JSON.stringify(request.transactionalId)}`)
      }
    }
    return {
      throttleTimeMs: 0,
      results: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p,
          errorCode: unknown.size === 0 ? errorCode : unknown.has(`${t.name}\u0000${p}`) ? codeOf('UNKNOWN_TOPIC_OR_PARTITION') : codeOf('OPERATION_NOT_ATTEMPTED'),
        })),
      })),
    }
  },
)
