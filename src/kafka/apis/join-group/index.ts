// JoinGroup: handed to the group coordinator the in-process consumers use, so
// wire clients and in-process members share one group. The response waits
// until the rebalance completes (this connection's later requests wait too,
// as with Kafka).
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import type { JoinGroupRequest, JoinGroupResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'
import { v4 } from './v4.js'
import { v5 } from './v5.js'

/** The first version whose clients handle MEMBER_ID_REQUIRED. */
const MEMBER_ID_REQUIRED_VERSION_MIN = 4

export const joinGroup = defineApi<JoinGroupRequest, JoinGroupResponse>(ApiKeys.JoinGroup, 'JoinGroup', [v0, v1, v2, v3, v4, v5], async (context, request, version) => {
  const result = await context.server.broker.coordinator.join({
    groupId: request.groupId,
    memberId: request.memberId,
    groupInstanceId: request.groupInstanceId,
    clientId: context.clientId,
    clientHost: context.clientHost,
    protocolType: request.protocolType,
    protocols: request.protocols,
    sessionTimeoutMs: request.sessionTimeoutMs,
    rebalanceTimeoutMs: request.rebalanceTimeoutMs,
    requireKnownMemberId: version >= MEMBER_ID_REQUIRED_VERSION_MIN,
  })
  return {
    throttleTimeMs: 0,
    errorCode: result.errorCode,
    generationId: result.generationId,
    protocolName: result.protocolName ?? '',
    leader: result.leader,
    memberId: result.memberId,
    members: result.members,
  }
})
