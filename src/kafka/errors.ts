// Turns whatever the broker threw into the Kafka error code a client
// understands, from the one table in src/broker/errors.ts. Anything that is not
// a Kafka error is a bug or an I/O failure: it becomes UNKNOWN_SERVER_ERROR and
// a log line, never a crash of the connection.
import { KafkaError, KafkaErrors, type KafkaErrorName } from '../broker/errors.js'
import { toKafkaError } from '../broker/log-adapter.js'
import type { RequestContext } from './context.js'

export const NONE = 0

export function codeOf(name: KafkaErrorName): number {
  return KafkaErrors[name].code
}

/** The Kafka error code for an error thrown by the broker or the log. */
export function errorCodeOf(error: unknown, context: RequestContext, what: string): number {
  const mapped = toKafkaError(error)
  if (mapped instanceof KafkaError) return mapped.code
  context.server.log(`${what} for client ${JSON.stringify(context.clientId)} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  return KafkaErrors.UNKNOWN_SERVER_ERROR.code
}

/** The message of a Kafka error, for the responses that carry one. */
export function errorMessageOf(error: unknown): string {
  const mapped = toKafkaError(error)
  return mapped instanceof Error ? mapped.message : String(mapped)
}

/** A handler's way to end the connection after logging why (Kafka closes an acks=0 producer's connection on error). */
export class CloseConnectionError extends Error {
  override name = 'CloseConnectionError'
}
