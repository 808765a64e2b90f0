// DeleteTopics: deletes topics with their logs. Internal topics (the committed
// offsets) cannot be deleted over the wire.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import { codeOf, errorCodeOf, NONE } from '../../errors.js'
import type { DeleteTopicsRequest, DeleteTopicsResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'

export const deleteTopics = defineApi<DeleteTopicsRequest, DeleteTopicsResponse>(ApiKeys.DeleteTopics, 'DeleteTopics', [v0, v1, v2, v3], async (context, request) => {
  const { broker } = context.server
  const responses = []
  for (const name of request.topicNames) {
    const description = broker.topics.describe(name)
    if (!description) {
      responses.push({ name, errorCode: codeOf('UNKNOWN_TOPIC_OR_PARTITION') })
      continue
    }
    if (description.internal) {
      context.server.log(`DeleteTopics from client ${JSON.stringify(context.clientId)}: internal topic ${JSON.stringify(name)} is not deleted`)
      responses.push({ name, errorCode: codeOf('INVALID_TOPIC_EXCEPTION') })
      continue
    }
    try {
      await broker.deleteTopic(name)
      responses.push({ name, errorCode: NONE })
    } catch (error) {
      responses.push({ name, errorCode: errorCodeOf(error, context, `DeleteTopics "${name}"`) })
    }
  }
  return { throttleTimeMs: 0, responses }
})
