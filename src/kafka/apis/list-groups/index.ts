// ListGroups: groups the coordinator knows and groups that only have
// committed offsets (consumer groups whose members are gone).
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { NONE } from '../../errors.js'
import type { ListGroupsRequest, ListGroupsResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'

export const listGroups = defineApi<ListGroupsRequest, ListGroupsResponse>(ApiKeys.ListGroups, 'ListGroups', [v0, v1, v2], async (context) => {
  const { broker } = context.server
  const protocolTypes = new Map(broker.coordinator.listGroups().map((g) => [g.groupId, g.protocolType]))
  return {
    throttleTimeMs: 0,
    errorCode: NONE,
    groups: broker.groupIds().map((groupId) => ({ groupId, protocolType: protocolTypes.get(groupId) || 'consumer' })),
  }
})
