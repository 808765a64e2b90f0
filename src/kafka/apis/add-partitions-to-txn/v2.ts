/**
 * AddPartitionsToTxn Request (Version: 2) => same as v1
 * AddPartitionsToTxn Response (Version: 2) => same as v1 (PRODUCER_FENCED may be returned, KIP-588; this server answers INVALID_PRODUCER_EPOCH)
 *
 * v3 is the first flexible version.
 */
import { versionCodec } from '../api.js'
import { decodeAddPartitionsToTxnRequest, encodeAddPartitionsToTxnResponse } from './codec.js'

export const v2 = versionCodec(2, decodeAddPartitionsToTxnRequest, encodeAddPartitionsToTxnResponse)
