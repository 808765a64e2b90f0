/**
 * AddPartitionsToTxn Request (Version: 1) => same as v0
 * AddPartitionsToTxn Response (Version: 1) => same as v0 (only throttling behaviour changed, KIP-219)
 */
import { versionCodec } from '../api.js'
import { decodeAddPartitionsToTxnRequest, encodeAddPartitionsToTxnResponse } from './codec.js'

export const v1 = versionCodec(1, decodeAddPartitionsToTxnRequest, encodeAddPartitionsToTxnResponse)
