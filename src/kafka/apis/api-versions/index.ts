// ApiVersions: the version ranges this server serves. A request at a version
// we do not serve never reaches here: the connection answers it with
// UNSUPPORTED_VERSION in the v0 format (see unsupportedApiVersionsResponse).
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import type { ServerState } from '../../context.js'
import { codeOf } from '../../errors.js'
import type { ApiVersionsRequest, ApiVersionsResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'

export const apiVersions = defineApi<ApiVersionsRequest, ApiVersionsResponse>(ApiKeys.ApiVersions, 'ApiVersions', [v0, v1, v2], async (context) => ({
  errorCode: 0,
  apiKeys: context.server.apiRanges,
  throttleTimeMs: 0,
}))

/** The v0 body that answers an ApiVersions request at a version we do not serve. */
export function unsupportedApiVersionsResponse(server: ServerState): ApiVersionsResponse {
  return { errorCode: codeOf('UNSUPPORTED_VERSION'), apiKeys: server.apiRanges, throttleTimeMs: 0 }
}
