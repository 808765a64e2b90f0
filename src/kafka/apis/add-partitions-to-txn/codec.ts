// AddPartitionsToTxn (key 24): decode and encode for v0–v2.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'

export interface AddPartitionsToTxnRequest {
  transactionalId: string
  producerId: number
  producerEpoch: number
  topics: { name: string; partitions: number[] }[]
}

export interface AddPartitionsToTxnResponse {
  throttleTimeMs: number
  results: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[]
}

export function decodeAddPartitionsToTxnRequest(reader: Reader, _version: number): AddPartitionsToTxnRequest {
  const transactionalId = reader.string()
  const producerId = reader.int64()
  const producerEpoch = reader.int16()
  const topics = reader.array((r) => ({ name: r.string(), partitions: r.int32Array() }))
  return { transactionalId, producerId, producerEpoch, topics }
}

export function encodeAddPartitionsToTxnResponse(writer: Writer, response: AddPartitionsToTxnResponse, _version: number): void {
  writer.int32(response.throttleTimeMs)
  writer.array(response.results, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (pw, p) => pw.int32(p.partitionIndex).int16(p.errorCode))
  })
}
