/**
 * InitProducerId Request (Version: 1) => same as v0
 * InitProducerId Response (Version: 1) => same as v0 (only throttling behaviour changed, KIP-219)
 *
 * v2 is the first flexible version; v3 lets a producer bump its own epoch (KIP-360).
 */
import { versionCodec } from '../api.js'
import { decodeInitProducerIdRequest, encodeInitProducerIdResponse } from './codec.js'

export const v1 = versionCodec(1, decodeInitProducerIdRequest, encodeInitProducerIdResponse)
