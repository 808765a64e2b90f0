/**
 * Metadata Request (Version: 6) => same as v5
 * Metadata Response (Version: 6) => same as v5 (only throttling behaviour changed, KIP-219)
 *
 * v7 adds leader_epoch to partitions; v9 is the first flexible version. No
 * measured client needs either.
 */
import { versionCodec } from '../api.js'
import { decodeMetadataRequest, encodeMetadataResponse } from './codec.js'

export const v6 = versionCodec(6, decodeMetadataRequest, encodeMetadataResponse)
