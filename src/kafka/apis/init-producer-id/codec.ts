// InitProducerId (key 22): decode and encode for v0–v1.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface InitProducerIdRequest {
  transactionalId: string | null
  transactionTimeoutMs: number
}

export interface InitProducerIdResponse {
  throttleTimeMs: number
  errorCode: number
  producerId: number
  producerEpoch: number
}

export function decodeInitProducerIdRequest(reader: Reader, _version: number): InitProducerIdRequest {
  return { transactionalId: reader.nullableString(), transactionTimeoutMs: reader.int32() }
}

export function encodeInitProducerIdResponse(writer: Writer, response: InitProducerIdResponse, _version: number): void {
  writer.int32(response.throttleTimeMs).int16(response.errorCode).int64(response.producerId).int16(response.producerEpoch)
}
