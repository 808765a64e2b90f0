// CreateTopics: one node, so a replication factor other than 1 (or -1, the
// default) is refused, and manual assignments only fix the partition count.
// validate_only checks everything creation would check and creates nothing.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import type { RequestContext } from '../../context.js'
import { codeOf, errorCodeOf, errorMessageOf, NONE } from '../../errors.js'
import { KafkaError } from '../../../broker/errors.js'
import { validateTopicName } from '../../../log/topic-name.js'
import { validateTopicConfig } from '../../../log/log-config.js'
import type { CreatableTopic, CreateTopicsRequest, CreateTopicsResponse } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'
import { v4 } from './v4.js'

export const createTopics = defineApi<CreateTopicsRequest, CreateTopicsResponse>(ApiKeys.CreateTopics, 'CreateTopics', [v0, v1, v2, v3, v4], async (context, request) => {
  const topics = []
  for (const topic of request.topics) topics.push(await createTopic(context, topic, request.validateOnly))
  return { throttleTimeMs: 0, topics }
})

async function createTopic(context: RequestContext, topic: CreatableTopic, validateOnly: boolean): Promise<CreateTopicsResponse['topics'][number]> {
  const { broker } = context.server
  try {
    if (topic.replicationFactor !== -1 && topic.replicationFactor !== 1) {
      throw new KafkaError('INVALID_REPLICATION_FACTOR', `replication factor ${topic.replicationFactor} is impossible: eddy is a single node (use 1 or -1)`)
    }
    if (topic.assignments.length > 0 && topic.numPartitions !== -1) {
      throw new KafkaError('INVALID_REQUEST', 'give either num_partitions or manual assignments, not both')
    }
    const partitions = topic.assignments.length > 0 ? topic.assignments.length : topic.numPartitions === -1 ? undefined : topic.numPartitions
    const config: Record<string, string> = {}
    for (const c of topic.configs) if (c.value !== null) config[c.name] = c.value
    if (validateOnly) {
      validateTopicName(topic.name)
      validateTopicConfig(config)
      if (broker.partitionCount(topic.name) !== undefined) throw new KafkaError('TOPIC_ALREADY_EXISTS', `topic "${topic.name}" already exists`)
      if (partitions !== undefined && (!Number.isInteger(partitions) || partitions < 1)) throw new KafkaError('INVALID_PARTITIONS', `partitions must be at least 1, got ${partitions}`)
    } else {
      await broker.createTopic(topic.name, partitions, config)
    }
    return { name: topic.name, errorCode: NONE, errorMessage: null }
  } catch (error) {
    const errorCode = errorCodeOf(error, context, `CreateTopics "${topic.name}"`)
    return { name: topic.name, errorCode, errorMessage: errorCode === codeOf('UNKNOWN_SERVER_ERROR') ? 'internal error, see the server log' : errorMessageOf(error) }
  }
}
