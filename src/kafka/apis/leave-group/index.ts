// LeaveGroup: members leave at once, so the group rebalances without waiting
// for their sessions to expire.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { NONE } from '../../errors.js'
import type { LeaveGroupRequest, LeaveGroupResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'

export const leaveGroup = defineApi<LeaveGroupRequest, LeaveGroupResponse>(ApiKeys.LeaveGroup, 'LeaveGroup', [v0, v1, v2, v3], async (context, request, version) => {
  const codes = context.server.broker.coordinator.leave(request.groupId, request.members)
  const members = request.members.map((m, i) => ({ ...m, errorCode: codes[i] }))
  // v0–v2 carry one member, whose error is the response's; v3 reports per member.
  const errorCode = version < 3 ? codes[0] : NONE
  return { throttleTimeMs: 0, errorCode, members }
})
