/**
 * FindCoordinator Request (Version: 2) => same as v1
 * FindCoordinator Response (Version: 2) => same as v1 (only throttling behaviour changed, KIP-219)
 *
 * v3 is the first flexible version.
 */
import { versionCodec } from '../api.js'
import { decodeFindCoordinatorRequest, encodeFindCoordinatorResponse } from './codec.js'

export const v2 = versionCodec(2, decodeFindCoordinatorRequest, encodeFindCoordinatorResponse)
