// Metadata: this one node leads every partition. Requested topics that do not
// exist are created when both the request (v4+) and the broker allow it, as
// Kafka's auto.create.topics.enable does; the new topic is answered ready,
// without the LEADER_NOT_AVAILABLE round Kafka needs while it elects leaders.
import { defineApi } from '../api.js'
import { ApiKeys } from '../../protocol/api-keys.js'
import type { RequestContext } from '../../context.js'
import { codeOf, errorCodeOf, NONE } from '../../errors.js'
import type { MetadataRequest, MetadataResponse, MetadataTopic } from './codec.js'
import { v0 } from './v0.js'
import { v1 } from './v1.js'
import { v2 } from './v2.js'
import { v3 } from './v3.js'
import { v4 } from './v4.js'
import { v5 } from './v5.js'
import { v6 } from './v6.js'

export const metadata = defineApi<MetadataRequest, MetadataResponse>(ApiKeys.Metadata, 'Metadata', [v0, v1, v2, v3, v4, v5, v6], handleMetadata)

async function handleMetadata(context: RequestContext, request: MetadataRequest, version: number): Promise<MetadataResponse> {
  const { broker, node } = context.server
  const everyTopic = request.topics === null || (version === 0 && request.topics.length === 0)
  const names = everyTopic ? broker.topics.list() : [...new Set(request.topics)]
  const topics: MetadataTopic[] = []
  for (const name of names) topics.push(await describeTopic(context, name, !everyTopic && request.allowAutoTopicCreation))
  return {
    throttleTimeMs: 0,
    brokers: [{ nodeId: node.nodeId, host: node.host, port: node.port, rack: null }],
    clusterId: context.server.clusterId,
    controllerId: node.nodeId,
    topics,
  }
}

async function describeTopic(context: RequestContext, name: string, autoCreate: boolean): Promise<MetadataTopic> {
  const { broker, node } = context.server
  let partitions = broker.partitionCount(name)
  if (partitions === undefined) {
    if (!autoCreate) return { errorCode: codeOf('UNKNOWN_TOPIC_OR_PARTITION'), name, isInternal: false, partitions: [] }
    try {
      partitions = await context.server.ensureTopic(name)
    } catch (error) {
      return { errorCode: errorCodeOf(error, context, `Metadata auto-create of topic "${name}"`), name, isInternal: false, partitions: [] }
    }
  }
  const replicas = [node.nodeId]
  return {
    errorCode: NONE,
    name,
    isInternal: broker.topics.describe(name)?.internal ?? false,
    partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({
      errorCode: NONE,
      partitionIndex,
      leaderId: node.nodeId,
      replicaNodes: replicas,
      isrNodes: replicas,
      offlineReplicas: [],
    })),
  }
}
