// `eddy topics`: kafka-topics.sh for eddy — create, list, describe, alter and
// delete topics in the data directory or on a running server.
import { TOPIC_CONFIG_KEYS, validateTopicConfig } from '../../log/log-config.js'
import { validateTopicName } from '../../log/topic-name.js'
import { TARGET_HELP, TARGET_OPTIONS, UsageError, closest, oneOf, refuse, runCommand, writeOut, type Args } from '../args.js'
import { openTarget, type Target, type TopicDetails } from '../target.js'

export const TOPICS_USAGE = `usage: eddy topics (--create | --list | --describe | --alter | --delete) [options]

Creates, lists, describes, changes and deletes topics, with kafka-topics.sh's flags.

actions:
  --create --topic T [--partitions N] [--config K=V]...   create a topic (1 partition unless --partitions)
  --list                                                  topic names, one per line
  --describe [--topic T]                                  partitions, offsets and config overrides (all topics without --topic)
  --alter --topic T [--partitions N] [--config K=V]... [--delete-config K]...
                                                          raise the partition count; set or remove config overrides
  --delete --topic T                                      delete a topic and its data

options:
  --topic T                 the topic
  --partitions N            partition count (--create), or the new, larger count (--alter)
  --config KEY=VALUE        topic config: retention.ms, retention.bytes, segment.bytes, segment.ms,
                            cleanup.policy, max.message.bytes, ...; repeatable
  --delete-config KEY       remove a config override (--alter); repeatable
  --replication-factor N    accepted for familiarity; eddy keeps one copy, so it must be 1
  --if-not-exists           --create: succeed quietly when the topic exists
  --if-exists               --alter, --delete, --describe: succeed quietly when it does not
  --exclude-internal        --list, --describe: leave out internal topics (__consumer_offsets)
${TARGET_HELP}
  -h, --help                show this text

examples:
  eddy topics --create --topic orders --partitions 3 --config retention.ms=604800000
  eddy topics --list
  eddy topics --describe --topic orders
  eddy topics --alter --topic orders --partitions 6
  eddy topics --delete --topic orders --bootstrap 127.0.0.1:9092`

const ACTIONS = ['create', 'list', 'describe', 'alter', 'delete'] as const

export function topics(argv: readonly string[]): Promise<number> {
  return runCommand(
    {
      name: 'topics',
      usage: TOPICS_USAGE,
      options: {
        ...TARGET_OPTIONS,
        create: { type: 'boolean' },
        list: { type: 'boolean' },
        describe: { type: 'boolean' },
        alter: { type: 'boolean' },
        delete: { type: 'boolean' },
        topic: { type: 'string' },
        partitions: { type: 'string' },
        config: { type: 'string', multiple: true },
        'delete-config': { type: 'string', multiple: true },
        'replication-factor': { type: 'string' },
        'if-not-exists': { type: 'boolean' },
        'if-exists': { type: 'boolean' },
        'exclude-internal': { type: 'boolean' },
      },
      run,
    },
    argv,
  )
}

async function run(args: Args): Promise<number> {
  const action = oneOf(args, ACTIONS, 'eddy topics needs an action') as (typeof ACTIONS)[number]
  const replication = args.int('replication-factor', { min: 1 })
  if (replication !== undefined && replication !== 1) throw new UsageError(`--replication-factor must be 1: eddy keeps one copy of each partition, got ${replication}`)
  switch (action) {
    case 'create': {
      refuse(args, ['delete-config', 'if-exists', 'exclude-internal'], '--create')
      const topic = topicName(args)
      const partitions = args.int('partitions', { min: 1 }) ?? 1
      const config = parseConfigs(args.list('config'))
      return withTarget(args, true, async (target) => {
        if (args.flag('if-not-exists') && (await target.partitionCount(topic)) !== undefined) return 0
        await target.createTopic(topic, partitions, config)
        await writeOut(`Created topic ${topic}.\n`)
        return 0
      })
    }
    case 'list':
      refuse(args, ['topic', 'partitions', 'config', 'delete-config', 'if-exists', 'if-not-exists'], '--list')
      return withTarget(args, false, async (target) => {
        const names = (await target.listTopics()).filter((t) => !(args.flag('exclude-internal') && t.startsWith('__')))
        await writeOut(names.map((n) => `${n}\n`).join(''))
        return 0
      })
    case 'describe':
      refuse(args, ['partitions', 'config', 'delete-config', 'if-not-exists'], '--describe')
      return withTarget(args, false, async (target) => {
        let names: string[]
        const topic = args.string('topic')
        if (topic !== undefined) {
          if ((await target.partitionCount(topic)) === undefined) return missing(args, topic)
          names = [topic]
        } else names = (await target.listTopics()).filter((t) => !(args.flag('exclude-internal') && t.startsWith('__')))
        const out: string[] = []
        for (const name of names) out.push(describeText(await target.describeTopic(name)))
        await writeOut(out.join(''))
        return 0
      })
    case 'alter': {
      refuse(args, ['if-not-exists', 'exclude-internal'], '--alter')
      const topic = topicName(args)
      const partitions = args.int('partitions', { min: 1 })
      const config: Record<string, string | null> = parseConfigs(args.list('config'))
      for (const key of args.list('delete-config')) {
        checkConfigKey(key)
        config[key] = null
      }
      if (partitions === undefined && Object.keys(config).length === 0) throw new UsageError('--alter needs --partitions, --config or --delete-config')
      return withTarget(args, false, async (target) => {
        const current = await target.partitionCount(topic)
        if (current === undefined) return missing(args, topic)
        const lines: string[] = []
        if (partitions !== undefined) {
          if (partitions <= current) throw new Error(`topic "${topic}" has ${current} partitions; --partitions must be larger (Kafka never removes partitions), got ${partitions}`)
          await target.createPartitions(topic, partitions)
          lines.push(`Topic ${topic} now has ${partitions} partitions.\n`)
        }
        if (Object.keys(config).length > 0) {
          await target.alterTopicConfig(topic, config)
          const described = Object.entries(config).map(([k, v]) => (v === null ? `${k} (removed)` : `${k}=${v}`))
          lines.push(`Updated config of topic ${topic}: ${described.join(', ')}.\n`)
        }
        await writeOut(lines.join(''))
        return 0
      })
    }
    case 'delete': {
      refuse(args, ['partitions', 'config', 'delete-config', 'if-not-exists', 'exclude-internal'], '--delete')
      const topic = topicName(args)
      return withTarget(args, false, async (target) => {
        if ((await target.partitionCount(topic)) === undefined) return missing(args, topic)
        await target.deleteTopic(topic)
        await writeOut(`Deleted topic ${topic}.\n`)
        return 0
      })
    }
  }
}

function topicName(args: Args): string {
  const topic = args.require('topic')
  try {
    validateTopicName(topic)
  } catch (error) {
    throw new UsageError(`--topic: ${(error as Error).message}`)
  }
  return topic
}

async function missing(args: Args, topic: string): Promise<number> {
  if (args.flag('if-exists')) return 0
  throw new Error(`unknown topic "${topic}"`)
}

export async function withTarget(args: Args, create: boolean, body: (target: Target) => Promise<number>): Promise<number> {
  const target = await openTarget(args, { create })
  try {
    return await body(target)
  } finally {
    await target.close()
  }
}

/** `--config k=v` flags as a validated map; a bad key or value is a usage error naming it. */
export function parseConfigs(entries: readonly string[]): Record<string, string> {
  const config: Record<string, string> = {}
  for (const entry of entries) {
    const eq = entry.indexOf('=')
    if (eq <= 0) throw new UsageError(`--config takes KEY=VALUE, got "${entry}"`)
    const key = entry.slice(0, eq).trim()
    checkConfigKey(key)
    config[key] = entry.slice(eq + 1).trim()
  }
  try {
    validateTopicConfig(config)
  } catch (error) {
    throw new UsageError(`--config: ${(error as Error).message}`)
  }
  return config
}

function checkConfigKey(key: string): void {
  if (Object.hasOwn(TOPIC_CONFIG_KEYS, key)) return
  const hint = closest(key, Object.keys(TOPIC_CONFIG_KEYS))
  throw new UsageError(`unknown topic config "${key}"${hint ? ` (did you mean ${hint}?)` : ''}; known: ${Object.keys(TOPIC_CONFIG_KEYS).join(', ')}`)
}

/** kafka-topics.sh --describe's layout, with each partition's log start and end offsets. */
function describeText(t: TopicDetails): string {
  const head = [`Topic: ${t.name}`]
  if (t.id !== undefined) head.push(`TopicId: ${t.id}`)
  head.push(`PartitionCount: ${t.partitions.length}`, 'ReplicationFactor: 1')
  if (t.config !== undefined) head.push(`Configs: ${Object.entries(t.config).map(([k, v]) => `${k}=${v}`).join(',')}`)
  const lines = [head.join('\t')]
  for (const p of t.partitions) {
    lines.push(
      `\tTopic: ${t.name}\tPartition: ${p.partition}\tLeader: ${p.leader}\tReplicas: ${p.replicas.join(',')}\tIsr: ${p.isr.join(',')}\tLogStartOffset: ${p.logStartOffset}\tLogEndOffset: ${p.logEndOffset}`,
    )
  }
  return `${lines.join('\n')}\n`
}
