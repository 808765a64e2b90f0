/**
 * ListOffsets Request (Version: 3) => same as v2
 * ListOffsets Response (Version: 3) => same as v2 (only throttling behaviour changed, KIP-219)
 *
 * v4 adds leader epochs (KIP-320); v6 is the first flexible version.
 */
import { versionCodec } from '../api.js'
import { decodeListOffsetsRequest, encodeListOffsetsResponse } from './codec.js'

export const v3 = versionCodec(3, decodeListOffsetsRequest, encodeListOffsetsResponse)
