// InitProducerId: a fresh producer id at epoch 0 for an idempotent producer;
// with a transactional id, that id's producer id with its epoch bumped (which
// fences older producers of the id and aborts their open transaction).
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { NONE } from '../../errors.js'
import { transactionErrorCode } from '../txn-errors.js'
import type { InitProducerIdRequest, InitProducerIdResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'

export const initProducerId = defineApi<InitProducerIdRequest, InitProducerIdResponse>(ApiKeys.InitProducerId, 'InitProducerId', [v0, v1], async (context, request) => {
  const { broker } = context.server
  if (request.transactionalId === null) {
    const { producerId, producerEpoch } = broker.initProducerId()
    return { throttleTimeMs: 0, errorCode: NONE, producerId, producerEpoch }
  }
  try {
    const { producerId, producerEpoch } = await broker.transactions.initProducerId(request.transactionalId, request.transactionTimeoutMs)
    return { throttleTimeMs: 0, errorCode: NONE, producerId, producerEpoch }
  } catch (error) {
    return { throttleTimeMs: 0, errorCode: transactionErrorCode(error, context, `InitProducerId for ${JSON.stringify(request.transactionalId)}`), producerId: -1, producerEpoch: -1 }
  }
})
