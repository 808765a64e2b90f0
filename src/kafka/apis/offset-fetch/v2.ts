/**
 * OffsetFetch Request (Version: 2) => group_id [topics]
 *   topics becomes nullable: null asks for every committed partition (KIP-88)
 * OffsetFetch Response (Version: 2) => [topics] error_code
 *   adds a top-level error_code:INT16 at the end
 */
import { versionCodec } from '../api.js'
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse } from './codec.js'

export const v2 = versionCodec(2, decodeOffsetFetchRequest, encodeOffsetFetchResponse)
