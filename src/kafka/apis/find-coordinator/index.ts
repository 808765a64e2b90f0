// FindCoordinator: this node coordinates every group and every transactional id.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { codeOf, NONE } from '../../errors.js'
import type { FindCoordinatorRequest, FindCoordinatorResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'

const KEY_TYPE_GROUP = 0
const KEY_TYPE_TRANSACTION = 1

export const findCoordinator = defineApi<FindCoordinatorRequest, FindCoordinatorResponse>(
  ApiKeys.FindCoordinator,
  'FindCoordinator',
  [v0, v1, v2],
  async (context, request) => {
    const { node } = context.server
    if (request.keyType !== KEY_TYPE_GROUP && request.keyType !== KEY_TYPE_TRANSACTION) {
      return { throttleTimeMs: 0, errorCode: codeOf('INVALID_REQUEST'), errorMessage: `unknown coordinator key type ${request.keyType}`, nodeId: -1, host: '', port: -1 }
    }
    return { throttleTimeMs: 0, errorCode: NONE, errorMessage: null, nodeId: node.nodeId, host: node.host, port: node.port }
  },
)
