// Every API this server serves, by key; ApiVersions advertises exactly these ranges.
import type { ApiDefinition } from './api.js'
import type { ApiRange } from '../context.js'
import { addOffsetsToTxn } from './add-offsets-to-txn/index.js'
import { addPartitionsToTxn } from './add-partitions-to-txn/index.js'
import { apiVersions } from './api-versions/index.js'
import { createTopics } from './create-topics/index.js'
import { deleteTopics } from './delete-topics/index.js'
import { describeGroups } from './describe-groups/index.js'
import { endTxn } from './end-txn/index.js'
import { fetch } from './fetch/index.js'
import { findCoordinator } from './find-coordinator/index.js'
import { heartbeat } from './heartbeat/index.js'
import { initProducerId } from './init-producer-id/index.js'
import { joinGroup } from './join-group/index.js'
import { leaveGroup } from './leave-group/index.js'
import { listGroups } from './list-groups/index.js'
import { listOffsets } from './list-offsets/index.js'
import { metadata } from './metadata/index.js'
import { offsetCommit } from './offset-commit/index.js'
import { offsetFetch } from './offset-fetch/index.js'
import { produce } from './produce/index.js'
import { syncGroup } from './sync-group/index.js'
import { txnOffsetCommit } from './txn-offset-commit/index.js'

export const apiDefinitions: readonly ApiDefinition<any, any>[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  apiVersions,
  createTopics,
  deleteTopics,
  initProducerId,
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  txnOffsetCommit,
]

export const apis: ReadonlyMap<number, ApiDefinition<any, any>> = new Map(apiDefinitions.map((d) => [d.key, d]))

export const apiRanges: readonly ApiRange[] = apiDefinitions
  .map((d) => ({ apiKey: d.key, minVersion: d.minVersion, maxVersion: d.maxVersion }))
  .sort((a, b) => a.apiKey - b.apiKey)
