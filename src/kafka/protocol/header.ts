// Request and response headers.
//
// Request Header (Version: 1) => request_api_key:int16 request_api_version:int16 correlation_id:int32 client_id:nullable_string
// Request Header (Version: 2) => the same + TAG_BUFFER (flexible request versions only)
// Response Header (Version: 0) => correlation_id:int32
//
// This server serves only pre-flexible versions, so it reads header v1 and
// answers with header v0; the one flexible request it must understand is
// ApiVersions v3+, whose body it never reads (it answers UNSUPPORTED_VERSION in
// a v0 body with a v0 header, as Kafka does, so the client retries with v0).
import type { Reader } from './reader.js'

export interface RequestHeader {
  apiKey: number
  apiVersion: number
  correlationId: number
  clientId: string | null
}

export function decodeRequestHeader(reader: Reader): RequestHeader {
  const apiKey = reader.int16()
  const apiVersion = reader.int16()
  const correlationId = reader.int32()
  const clientId = reader.nullableString()
  return { apiKey, apiVersion, correlationId, clientId }
}
