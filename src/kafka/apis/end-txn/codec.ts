// EndTxn (key 26): decode and encode for v0–v2.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface EndTxnRequest {
  transactionalId: string
  producerId: number
  producerEpoch: number
  committed: boolean
}

export interface EndTxnResponse {
  throttleTimeMs: number
  errorCode: number
}

export function decodeEndTxnRequest(reader: Reader, _version: number): EndTxnRequest {
  return { transactionalId: reader.string(), producerId: reader.int64(), producerEpoch: reader.int16(), committed: reader.bool() }
}

export function encodeEndTxnResponse(writer: Writer, response: EndTxnResponse, _version: number): void {
  writer.int32(response.throttleTimeMs).int16(response.errorCode)
}
