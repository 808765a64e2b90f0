// AddOffsetsToTxn (key 25): decode and encode for v0–v2.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface AddOffsetsToTxnRequest {
  transactionalId: string
  producerId: number
  producerEpoch: number
  groupId: string
}

export interface AddOffsetsToTxnResponse {
  throttleTimeMs: number
  errorCode: number
}

export function decodeAddOffsetsToTxnRequest(reader: Reader, _version: number): AddOffsetsToTxnRequest {
  return { transactionalId: reader.string(), producerId: reader.int64(), producerEpoch: reader.int16(), groupId: reader.string() }
}

export function encodeAddOffsetsToTxnResponse(writer: Writer, response: AddOffsetsToTxnResponse, _version: number): void {
  writer.int32(response.throttleTimeMs).int16(response.errorCode)
}
