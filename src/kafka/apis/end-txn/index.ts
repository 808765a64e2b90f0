// EndTxn: commit or abort the open transaction. The answer comes once every
// partition has its marker and the offsets are committed (Kafka answers after
// the decision is durable and completes the markers later; one node can do
// both before answering, so a client that reads next sees the outcome).
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { NONE } from '../../errors.js'
import { transactionErrorCode } from '../txn-errors.js'
import type { EndTxnRequest, EndTxnResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'

export const endTxn = defineApi<EndTxnRequest, EndTxnResponse>(ApiKeys.EndTxn, 'EndTxn', [v0, v1, v2], async (context, request) => {
  try {
    await context.server.broker.transactions.endTransaction(request.transactionalId, request.producerId, request.producerEpoch, request.committed ? 'commit' : 'abort')
    return { throttleTimeMs: 0, errorCode: NONE }
  } catch (error) {
    return { throttleTimeMs: 0, errorCode: transactionErrorCode(error, context, `EndTxn for ${JSON.stringify(request.transactionalId)}`) }
  }
})
