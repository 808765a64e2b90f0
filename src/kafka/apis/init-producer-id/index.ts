// InitProducerId: a fresh producer id at epoch 0 for an idempotent producer.
// Transactional ids are refused until transactions are served.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { codeOf, NONE } from '../../errors.js'
import type { InitProducerIdRequest, InitProducerIdResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'

export const initProducerId = defineApi<InitProducerIdRequest, InitProducerIdResponse>(ApiKeys.InitProducerId, 'InitProducerId', [v0, v1], async (context, request) => {
  if (request.transactionalId !== null) {
    context.server.log(`InitProducerId from client ${JSON.stringify(context.clientId)}: transactional id ${JSON.stringify(request.transactionalId)} refused, transactions are not served yet`)
    return { throttleTimeMs: 0, errorCode: codeOf('INVALID_REQUEST'), producerId: -1, producerEpoch: -1 }
  }
  const { producerId, producerEpoch } = context.server.broker.initProducerId()
  return { throttleTimeMs: 0, errorCode: NONE, producerId, producerEpoch }
})
