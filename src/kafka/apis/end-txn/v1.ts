/**
 * EndTxn Request (Version: 1) => same as v0
 * EndTxn Response (Version: 1) => same as v0 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeEndTxnRequest, encodeEndTxnResponse } from './codec.js'

export const v1 = versionCodec(1, decodeEndTxnRequest, encodeEndTxnResponse)
