// AddOffsetsToTxn: the group's offsets will be committed with the open
// transaction (which begins here if it has not yet). The offsets themselves
// come in TxnOffsetCommit.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { NONE } from '../../errors.js'
import { transactionErrorCode } from '../txn-errors.js'
import type { AddOffsetsToTxnRequest, AddOffsetsToTxnResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'

export const addOffsetsToTxn = defineApi<AddOffsetsToTxnRequest, AddOffsetsToTxnResponse>(ApiKeys.AddOffsetsToTxn, 'AddOffsetsToTxn', [v0, v1, v2], async (context, request) => {
  try {
    await context.server.broker.transactions.addOffsets(request.transactionalId, request.producerId, request.producerEpoch, request.groupId)
    return { throttleTimeMs: 0, errorCode: NONE }
  } catch (error) {
    return { throttleTimeMs: 0, errorCode: transactionErrorCode(error, context, `AddOffsetsToTxn for ${JSON.stringify(request.transactionalId)}`) }
  }
})
