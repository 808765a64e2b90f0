// DescribeGroups: state and members from the coordinator. A group known only
// by its committed offsets is described as Empty, one not known at all as Dead
// (both without error, as Kafka answers before v6).
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { NONE } from '../../errors.js'
import type { DescribedGroup, DescribeGroupsRequest, DescribeGroupsResponse } from './codec.js'
import type { RequestContext } from '../../context.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'
import { v4 } from './v4.js'

const AUTHORIZED_OPERATIONS_OMITTED = -2147483648

export const describeGroups = defineApi<DescribeGroupsRequest, DescribeGroupsResponse>(
  ApiKeys.DescribeGroups,
  'DescribeGroups',
  [v0, v1, v2, v3, v4],
  async (context, request) => ({ throttleTimeMs: 0, groups: request.groups.map((groupId) => describeGroup(context, groupId)) }),
)

function describeGroup(context: RequestContext, groupId: string): DescribedGroup {
  const { broker } = context.server
  const d = broker.coordinator.describe(groupId)
  const onlyOffsets = d.state === 'Dead' && broker.groupOffsets(groupId).length > 0
  return {
    errorCode: NONE,
    groupId,
    groupState: onlyOffsets ? 'Empty' : d.state,
    protocolType: onlyOffsets ? 'consumer' : d.protocolType,
    protocolData: d.protocolName,
    members: d.members.map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: m.metadata,
      memberAssignment: m.assignment,
    })),
    authorizedOperations: AUTHORIZED_OPERATIONS_OMITTED,
  }
}
