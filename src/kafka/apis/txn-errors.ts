// The error code a transactional request answers with. A fenced producer is
// told INVALID_PRODUCER_EPOCH (47): PRODUCER_FENCED (90) exists only in request
// versions newer than the pre-flexible ones served here (KIP-588), and Kafka
// itself converts it for older clients; librdkafka and kafkajs treat 47 on
// these requests as fatal fencing.
import { ProducerFencedError } from '../../broker/errors.js'
import type { RequestContext } from '../context.js'
import { codeOf, errorCodeOf } from '../errors.js'

export function transactionErrorCode(error: unknown, context: RequestContext, what: string): number {
  if (error instanceof ProducerFencedError) return codeOf('INVALID_PRODUCER_EPOCH')
  if (error instanceof RangeError) return codeOf('INVALID_REQUEST')
  return errorCodeOf(error, context, what)
}
