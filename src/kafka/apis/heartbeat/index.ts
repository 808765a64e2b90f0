// Heartbeat: keeps a member's session alive; answers REBALANCE_IN_PROGRESS
// when the member must join again.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import type { HeartbeatRequest, HeartbeatResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'

export const heartbeat = defineApi<HeartbeatRequest, HeartbeatResponse>(ApiKeys.Heartbeat, 'Heartbeat', [v0, v1, v2, v3], async (context, request) => ({
  throttleTimeMs: 0,
  errorCode: context.server.broker.coordinator.heartbeat(request.groupId, request.generationId, request.memberId, request.groupInstanceId),
}))
