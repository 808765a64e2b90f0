// ApiVersions (key 18): decode and encode for every version this server reads.
import type { Reader } from '../../protocol/reader.js'
import type { Writer } from '../../protocol/writer.js'
import type { ApiRange } from '../../context.js'

export type ApiVersionsRequest = Record<string, never>

export interface ApiVersionsResponse {
  errorCode: number
  apiKeys: readonly ApiRange[]
  throttleTimeMs: number
}

export function decodeApiVersionsRequest(_reader: Reader, _version: number): ApiVersionsRequest {
  return {}
}

export function encodeApiVersionsResponse(writer: Writer, response: ApiVersionsResponse, version: number): void {
  writer.int16(response.errorCode)
  writer.array(response.apiKeys, (w, r) => w.int16(r.apiKey).int16(r.minVersion).int16(r.maxVersion))
  if (version >= 1) writer.int32(response.throttleTimeMs)
}
