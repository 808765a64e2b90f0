// SyncGroup: the leader hands in every member's assignment; each member waits
// for its own.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import type { SyncGroupRequest, SyncGroupResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'

export const syncGroup = defineApi<SyncGroupRequest, SyncGroupResponse>(ApiKeys.SyncGroup, 'SyncGroup', [v0, v1, v2, v3], async (context, request) => {
  const result = await context.server.broker.coordinator.sync({
    groupId: request.groupId,
    generationId: request.generationId,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    assignments: request.assignments,
  })
  return { throttleTimeMs: 0, errorCode: result.errorCode, assignment: result.assignment }
})
