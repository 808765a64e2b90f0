// What a CLI command works against, behind one interface: the embedded log in
// a data directory (Eddy.open({ dataDir })) or a running server reached over
// the Kafka protocol with kafkajs (`--bootstrap host:port`). Each command is
// written once against `Target`.
//
// The embedded backend refuses a data directory another process has open: the
// log itself takes no lock, and two processes appending to one segment or
// rewriting topics.json would corrupt it. Two checks guard it: a lock file
// (`<dataDir>/.lock` holding the owner's pid, as Kafka's log dirs have), and on
// Linux a look through /proc for any other process holding files of the
// directory open — which catches `eddy serve` and `npm start`, which do not
// write the lock file.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, unlinkSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import type { Eddy } from '../eddy.js'
import { validateTopicConfig } from '../log/log-config.js'
import { validateTopicName } from '../log/topic-name.js'
import { UsageError, type Args } from './args.js'

export type OffsetSpec = 'earliest' | 'latest' | { timestamp: number }
export type Acks = 0 | 1 | -1
export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd'
export const COMPRESSIONS: readonly Compression[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd']

export interface PartitionInfo {
  partition: number
  logStartOffset: number
  logEndOffset: number
  leader: number
  replicas: number[]
  isr: number[]
}

export interface TopicDetails {
  name: string
  /** The topic id, when the backend knows it (embedded). */
  id?: string
  partitions: PartitionInfo[]
  /** Config overrides; undefined when the backend cannot tell (the server has no DescribeConfigs yet). */
  config?: Record<string, string | number>
  internal: boolean
}

export interface GroupSummary {
  groupId: string
  state: string
}

export interface GroupMember {
  memberId: string
  clientId: string
  host: string
  assignment: { topic: string; partition: number }[]
}

export interface GroupDetails {
  groupId: string
  state: string
  protocol: string
  members: GroupMember[]
  /** Committed offsets (only partitions that have one). */
  offsets: { topic: string; partition: number; offset: number }[]
}

export interface RecordOut {
  topic: string
  partition: number
  offset: number
  timestamp: number
  key: Uint8Array | null
  value: Uint8Array | null
  headers: [string, Uint8Array | null][]
}

export interface RecordIn {
  key: string | null
  value: string
  partition?: number
  headers?: { key: string; value: string }[]
}

export interface ProducerHandle {
  /** Sends and waits for acknowledgement; resolves to each record's partition. */
  send(records: readonly RecordIn[]): Promise<number[]>
  close(): Promise<void>
}

export interface ConsumeSpec {
  topic: string
  group?: string
  /** Read only this partition (no group). */
  partition?: number
  /** Where to start without a committed offset; a number needs `partition`. */
  start: 'earliest' | 'latest' | number
}

export interface ConsumerHandle {
  /** Up to maxRecords records, waiting up to timeoutMs for the first; [] when none came. */
  poll(maxRecords: number, timeoutMs: number): Promise<RecordOut[]>
  /** Commits these next offsets per partition of the topic (group consumers only; a no-op without a group). */
  commit(offsets: ReadonlyMap<number, number>): Promise<void>
  close(): Promise<void>
}

export interface Target {
  readonly kind: 'embedded' | 'server'
  /** "data directory ./eddy-data" or "server 127.0.0.1:9092", for messages. */
  readonly where: string
  /** Every topic, internal ones included. */
  listTopics(): Promise<string[]>
  partitionCount(topic: string): Promise<number | undefined>
  describeTopic(topic: string): Promise<TopicDetails>
  createTopic(topic: string, partitions: number, config: Record<string, string>): Promise<void>
  deleteTopic(topic: string): Promise<void>
  createPartitions(topic: string, total: number): Promise<void>
  /** Sets config overrides; null removes one. */
  alterTopicConfig(topic: string, changes: Record<string, string | null>): Promise<void>
  /** Per-partition offsets; by timestamp, -1 where no record is at or after it. */
  offsets(topic: string, spec: OffsetSpec): Promise<{ partition: number; offset: number }[]>
  listGroups(): Promise<GroupSummary[]>
  describeGroup(groupId: string): Promise<GroupDetails>
  commitGroupOffsets(groupId: string, commits: { topic: string; partition: number; offset: number }[]): Promise<void>
  deleteGroup(groupId: string): Promise<void>
  producer(topic: string, options: { acks: Acks; compression: Compression }): Promise<ProducerHandle>
  consumer(spec: ConsumeSpec): Promise<ConsumerHandle>
  close(): Promise<void>
}

export const DEFAULT_DATA_DIR = './eddy-data'

/** The data directory a command uses: --data-dir, else $EDDY_DATA_DIR, else ./eddy-data. */
export function dataDirOf(args: Args): string {
  return args.string('data-dir') ?? process.env.EDDY_DATA_DIR ?? DEFAULT_DATA_DIR
}

/** The server addresses of --bootstrap / --bootstrap-server, or undefined for the embedded log. */
export function bootstrapOf(args: Args): string[] | undefined {
  const given = [args.string('bootstrap'), args.string('bootstrap-server')].filter((v) => v !== undefined)
  if (given.length === 0) return undefined
  if (given.length > 1) throw new UsageError('give --bootstrap or --bootstrap-server, not both')
  if (args.has('data-dir')) throw new UsageError('--data-dir and --bootstrap cannot be used together: the first opens the log directly, the second talks to a running server')
  const brokers = given[0]!.split(',').map((b) => b.trim()).filter((b) => b !== '')
  if (brokers.length === 0) throw new UsageError('--bootstrap needs HOST:PORT')
  for (const b of brokers) {
    const m = /^(?:\[[^\]]+\]|[^:\s]+):(\d+)$/.exec(b)
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw new UsageError(`--bootstrap takes HOST:PORT (e.g. 127.0.0.1:9092), got "${b}"`)
  }
  return brokers
}

/**
 * Opens the target the flags name. `create` lets the embedded backend create a
 * missing data directory (only `topics --create` does); otherwise a missing
 * directory is an error rather than an empty log appearing by surprise.
 */
export async function openTarget(args: Args, options: { create?: boolean } = {}): Promise<Target> {
  const brokers = bootstrapOf(args)
  if (brokers !== undefined) return ServerTarget.open(brokers)
  return EmbeddedTarget.open(dataDirOf(args), options.create ?? false)
}

// ---------------------------------------------------------------- data directory lock

export const LOCK_FILE = '.lock'

/** Thrown when another live process has the data directory open. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError'
  constructor(
    readonly dir: string,
    readonly pid: number,
    listening?: string,
  ) {
    super(`data directory ${dir} is in use by process ${pid}; use --bootstrap ${listening ?? '127.0.0.1:9092'}${listening ? ` (process ${pid} serves the Kafka protocol there)` : ''}`)
  }
}

/**
 * Takes the data directory for this process: refuses (DataDirInUseError) when
 * another live process holds the lock file or, on Linux, has files of the
 * directory open; a lock left by a dead process is taken over. Returns the
 * release function (also run at exit).
 */
export function lockDataDir(dir: string): () => void {
  const absolute = realpathSync(dir)
  const holder = processWithFilesOpenIn(absolute)
  if (holder !== undefined) throw new DataDirInUseError(dir, holder, listeningAddressOf(holder))
  const lockPath = join(absolute, LOCK_FILE)
  for (let attempt = 0; attempt < 5; attempt++) {
    let fd: number
    try {
      fd = openSync(lockPath, 'wx', 0o644)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      let owner = Number.NaN
      try {
        owner = Number(readFileSync(lockPath, 'utf8').trim())
      } catch {
        continue // released meanwhile: try again
      }
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) throw new DataDirInUseError(dir, owner, listeningAddressOf(owner))
      try {
        unlinkSync(lockPath) // stale: its owner is gone
      } catch {
        // someone else took it over first; the next attempt sees their lock
      }
      continue
    }
    writeSync(fd, `${process.pid}\n`)
    closeSync(fd)
    let released = false
    const release = () => {
      if (released) return
      released = true
      process.off('exit', release)
      try {
        if (readFileSync(lockPath, 'utf8').trim() === String(process.pid)) unlinkSync(lockPath)
      } catch {
        // already gone
      }
    }
    process.on('exit', release)
    return release
  }
  throw new Error(`could not take the lock ${lockPath}`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Linux: the first other process with a file under `dir` open (undefined elsewhere or when none). */
function processWithFilesOpenIn(dir: string): number | undefined {
  if (process.platform !== 'linux' || !existsSync('/proc/self/fd')) return undefined
  const prefix = dir.endsWith('/') ? dir : `${dir}/`
  let pids: string[]
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  } catch {
    return undefined
  }
  for (const name of pids) {
    const pid = Number(name)
    if (pid === process.pid) continue
    let fds: string[]
    try {
      fds = readdirSync(`/proc/${name}/fd`)
    } catch {
      continue // gone, or not ours to look at
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${name}/fd/${fd}`).startsWith(prefix)) return pid
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined
}

/** Linux, best effort: the IPv4 address a process listens on (to suggest --bootstrap). */
function listeningAddressOf(pid: number): string | undefined {
  if (process.platform !== 'linux') return undefined
  try {
    const inodes = new Set<string>()
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))
      if (m) inodes.add(m[1])
    }
    for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length < 10 || cols[3] !== '0A' || !inodes.has(cols[9])) continue
      const [hexIp, hexPort] = cols[1].split(':')
      const ip = [3, 2, 1, 0].map((i) => parseInt(hexIp.slice(i * 2, i * 2 + 2), 16)).join('.')
      return `${ip === '0.0.0.0' ? '127.0.0.1' : ip}:${parseInt(hexPort, 16)}`
    }
  } catch {
    // not ours to look at
  }
  return undefined
}

// ---------------------------------------------------------------- embedded

class EmbeddedTarget implements Target {
  readonly kind = 'embedded'

  private constructor(
    private readonly eddy: Eddy,
    readonly where: string,
    private readonly release: () => void,
  ) {}

  static async open(dir: string, create: boolean): Promise<EmbeddedTarget> {
    if (!existsSync(dir)) {
      if (!create) {
        throw new Error(`data directory ${dir} does not exist; create a topic first (eddy topics --create), choose another with --data-dir or EDDY_DATA_DIR, or use --bootstrap HOST:PORT for a running server`)
      }
      mkdirSync(dir, { recursive: true })
    } else {
      const entries = readdirSync(dir)
      if (entries.length > 0 && !entries.includes('topics.json')) {
        throw new Error(`${dir} is not an eddy data directory (it has files but no topics.json); choose another with --data-dir or EDDY_DATA_DIR`)
      }
    }
    const release = lockDataDir(dir)
    try {
      const { Eddy } = await import('../eddy.js')
      const eddy = await Eddy.open({ dataDir: dir, autoCreateTopics: false })
      return new EmbeddedTarget(eddy, `data directory ${dir}`, release)
    } catch (error) {
      release()
      throw error
    }
  }

  private get admin() {
    return this.eddy.admin
  }

  private async store() {
    const { StoreTopics } = await import('../broker/log-adapter.js')
    const topics = this.eddy.broker.topics
    return topics instanceof StoreTopics ? topics.store : undefined
  }

  async listTopics(): Promise<string[]> {
    return this.admin.listTopics({ internal: true })
  }

  async partitionCount(topic: string): Promise<number | undefined> {
    return this.eddy.broker.partitionCount(topic)
  }

  async describeTopic(topic: string): Promise<TopicDetails> {
    const info = await this.admin.describeTopic(topic)
    const stored = (await this.store())?.describeTopic(topic)
    return {
      name: topic,
      id: stored?.id,
      internal: info.internal,
      config: stored?.overrides ?? info.config,
      partitions: info.partitions.map((p) => ({ ...p, leader: 1, replicas: [1], isr: [1] })),
    }
  }

  async createTopic(topic: string, partitions: number, config: Record<string, string>): Promise<void> {
    await this.admin.createTopic(topic, { partitions, config })
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.admin.deleteTopic(topic)
  }

  async createPartitions(topic: string, total: number): Promise<void> {
    await this.admin.createPartitions(topic, total)
  }

  async alterTopicConfig(topic: string, changes: Record<string, string | null>): Promise<void> {
    const store = await this.store()
    if (store === undefined) throw new Error('this log cannot change topic config')
    const { toKafkaError } = await import('../broker/log-adapter.js')
    try {
      await store.alterTopicConfig(topic, changes)
    } catch (error) {
      throw toKafkaError(error)
    }
  }

  async offsets(topic: string, spec: OffsetSpec): Promise<{ partition: number; offset: number }[]> {
    return this.admin.listOffsets(topic, spec)
  }

  async listGroups(): Promise<GroupSummary[]> {
    // A deleted group's tombstones leave it known to the offset store with no offsets after a restart:
    // a group with neither members nor committed offsets is gone, as in Kafka.
    const broker = this.eddy.broker
    return this.admin
      .listGroups()
      .filter((g) => broker.coordinator.describe(g.groupId).state !== 'Dead' || broker.groupOffsets(g.groupId).length > 0)
      .map((g) => ({ groupId: g.groupId, state: g.state }))
  }

  async describeGroup(groupId: string): Promise<GroupDetails> {
    const g = await this.admin.describeGroup(groupId)
    return {
      groupId,
      state: g.state,
      protocol: g.protocol,
      members: g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: '-', assignment: m.assignment })),
      offsets: g.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.committed })),
    }
  }

  async commitGroupOffsets(groupId: string, commits: { topic: string; partition: number; offset: number }[]): Promise<void> {
    await this.eddy.broker.commitOffsets(groupId, -1, '', commits)
  }

  async deleteGroup(groupId: string): Promise<void> {
    await this.admin.deleteGroup(groupId)
  }

  async producer(topic: string, options: { acks: Acks; compression: Compression }): Promise<ProducerHandle> {
    const producer = this.eddy.producer({ acks: options.acks, compression: options.compression, clientId: 'eddy-console-producer', keySerializer: 'string', valueSerializer: 'string' })
    return {
      async send(records) {
        const metadata = await producer.send(topic, records.map((r) => ({ key: r.key, value: r.value, partition: r.partition, headers: r.headers })))
        return metadata.map((m) => m.partition)
      },
      close: () => producer.close(),
    }
  }

  async consumer(spec: ConsumeSpec): Promise<ConsumerHandle> {
    const count = this.eddy.broker.partitionCount(spec.topic)
    if (count === undefined) throw new Error(`unknown topic "${spec.topic}"`)
    const consumer = this.eddy.consumer<Uint8Array | null, Uint8Array | null>({
      groupId: spec.group,
      clientId: 'eddy-console-consumer',
      autoOffsetReset: spec.start === 'earliest' ? 'earliest' : 'latest',
      enableAutoCommit: false,
      keyDeserializer: 'bytes',
      valueDeserializer: 'bytes',
      fetchMaxWaitMs: 200,
    })
    if (spec.group !== undefined) await consumer.subscribe([spec.topic])
    else {
      const partitions = spec.partition !== undefined ? [spec.partition] : Array.from({ length: count }, (_, p) => p)
      const tps = partitions.map((partition) => ({ topic: spec.topic, partition }))
      consumer.assign(tps)
      if (spec.start === 'earliest') await consumer.seekToBeginning(tps)
      else if (spec.start === 'latest') await consumer.seekToEnd(tps)
      else for (const tp of tps) consumer.seek(tp, spec.start)
    }
    return {
      async poll(maxRecords, timeoutMs) {
        const records = await consumer.poll({ maxRecords, timeoutMs })
        return records.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset, timestamp: r.timestamp, key: r.key, value: r.value, headers: Object.entries(r.headers) }))
      },
      async commit(offsets) {
        if (spec.group === undefined || offsets.size === 0) return
        await consumer.commitSync([...offsets].map(([partition, offset]) => ({ topic: spec.topic, partition, offset })))
      },
      close: () => consumer.close(),
    }
  }

  async close(): Promise<void> {
    try {
      await this.eddy.close()
    } finally {
      this.release()
    }
  }
}

// ---------------------------------------------------------------- server (kafkajs)

type KafkaJs = typeof import('kafkajs')
type KafkaClient = import('kafkajs').Kafka
type KafkaAdmin = import('kafkajs').Admin

const NOT_SERVED = 'which eddy serve does not implement yet; run the command against the server\'s --data-dir while it is stopped'

class ServerTarget implements Target {
  readonly kind = 'server'
  private readonly clients = new Set<{ disconnect(): Promise<void> }>()

  private constructor(
    private readonly kafkajs: KafkaJs,
    private readonly kafka: KafkaClient,
    private readonly admin: KafkaAdmin,
    readonly where: string,
  ) {}

  static async open(brokers: string[]): Promise<ServerTarget> {
    // kafkajs is CommonJS: its full export object (CompressionCodecs included) is the default export.
    const imported = await import('kafkajs')
    const kafkajs = ((imported as { default?: KafkaJs }).default ?? imported) as KafkaJs
    await registerCodecs(kafkajs)
    const debug = process.env.EDDY_DEBUG !== undefined
    const kafka = new kafkajs.Kafka({
      clientId: 'eddy-cli',
      brokers,
      logLevel: debug ? kafkajs.logLevel.INFO : kafkajs.logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 30_000,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    })
    const admin = kafka.admin()
    const where = `server ${brokers.join(',')}`
    try {
      await admin.connect()
    } catch (error) {
      throw new Error(`cannot reach the ${where}: ${rootMessage(error)}`)
    }
    return new ServerTarget(kafkajs, kafka, admin, where)
  }

  async listTopics(): Promise<string[]> {
    return (await this.admin.listTopics()).sort()
  }

  async partitionCount(topic: string): Promise<number | undefined> {
    if (!(await this.admin.listTopics()).includes(topic)) return undefined
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] })
    return topics[0]?.partitions.length
  }

  private async requireTopic(topic: string): Promise<void> {
    if (!(await this.admin.listTopics()).includes(topic)) throw new Error(`unknown topic "${topic}"`)
  }

  async describeTopic(topic: string): Promise<TopicDetails> {
    await this.requireTopic(topic)
    const { topics } = await this.admin.fetchTopicMetadata({ topics: [topic] })
    const offsets = await this.admin.fetchTopicOffsets(topic)
    const byPartition = new Map(offsets.map((o) => [o.partition, o]))
    const partitions = [...topics[0].partitions]
      .sort((a, b) => a.partitionId - b.partitionId)
      .map((p) => ({
        partition: p.partitionId,
        logStartOffset: Number(byPartition.get(p.partitionId)?.low ?? 0),
        logEndOffset: Number(byPartition.get(p.partitionId)?.high ?? 0),
        leader: p.leader,
        replicas: p.replicas,
        isr: p.isr,
      }))
    return { name: topic, partitions, internal: topic.startsWith('__') }
  }

  async createTopic(topic: string, partitions: number, config: Record<string, string>): Promise<void> {
    // The server is eddy: its config rules apply, checked here for a message naming the key.
    validateTopicName(topic)
    validateTopicConfig(config)
    if ((await this.admin.listTopics()).includes(topic)) throw new Error(`topic "${topic}" already exists`)
    await this.admin.createTopics({
      topics: [{ topic, numPartitions: partitions, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }],
      waitForLeaders: true,
    })
  }

  async deleteTopic(topic: string): Promise<void> {
    await this.requireTopic(topic)
    if (topic.startsWith('__')) throw new Error(`internal topic "${topic}" cannot be deleted`)
    await this.admin.deleteTopics({ topics: [topic] })
  }

  async createPartitions(): Promise<void> {
    throw new Error(`adding partitions over --bootstrap needs Kafka's CreatePartitions API, ${NOT_SERVED}`)
  }

  async alterTopicConfig(): Promise<void> {
    throw new Error(`changing topic config over --bootstrap needs Kafka's AlterConfigs API, ${NOT_SERVED}`)
  }

  async offsets(topic: string, spec: OffsetSpec): Promise<{ partition: number; offset: number }[]> {
    await this.requireTopic(topic)
    const bounds = await this.admin.fetchTopicOffsets(topic)
    if (spec === 'earliest' || spec === 'latest') {
      return bounds.map((b) => ({ partition: b.partition, offset: Number(spec === 'earliest' ? b.low : b.high) })).sort((a, b) => a.partition - b.partition)
    }
    // kafkajs answers "no record at or after the time" with the log end offset: map it back to -1.
    const high = new Map(bounds.map((b) => [b.partition, Number(b.high)]))
    const found = await this.admin.fetchTopicOffsetsByTimestamp(topic, spec.timestamp)
    return found
      .map((f) => ({ partition: f.partition, offset: Number(f.offset) >= (high.get(f.partition) ?? Infinity) ? -1 : Number(f.offset) }))
      .sort((a, b) => a.partition - b.partition)
  }

  async listGroups(): Promise<GroupSummary[]> {
    const { groups } = await this.admin.listGroups()
    if (groups.length === 0) return []
    const described = await this.admin.describeGroups(groups.map((g) => g.groupId))
    const states = new Map(described.groups.map((g) => [g.groupId, g.state === 'Dead' ? 'Empty' : g.state]))
    return groups.map((g) => ({ groupId: g.groupId, state: states.get(g.groupId) ?? 'Unknown' }))
  }

  async describeGroup(groupId: string): Promise<GroupDetails> {
    const { groups } = await this.admin.describeGroups([groupId])
    const g = groups[0]
    const members = (g?.members ?? []).map((m) => {
      let assignment: { topic: string; partition: number }[] = []
      try {
        const decoded = m.memberAssignment.length > 0 ? this.kafkajs.AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null
        assignment = Object.entries(decoded?.assignment ?? {}).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition })))
      } catch {
        // not the consumer protocol: nothing to show
      }
      return { memberId: m.memberId, clientId: m.clientId, host: m.clientHost || '-', assignment }
    })
    const fetched = await this.admin.fetchOffsets({ groupId })
    const offsets = fetched.flatMap((t) => t.partitions.filter((p) => Number(p.offset) >= 0).map((p) => ({ topic: t.topic, partition: p.partition, offset: Number(p.offset) })))
    return { groupId, state: !g || g.state === 'Dead' ? 'Empty' : g.state, protocol: g?.protocol ?? '', members, offsets }
  }

  /**
   * Commits for an empty group by joining it briefly, paused, and committing in
   * the new generation (kafkajs's admin.setOffsets does the same but then waits
   * out a 5 s fetch).
   */
  async commitGroupOffsets(groupId: string, commits: { topic: string; partition: number; offset: number }[]): Promise<void> {
    if (commits.length === 0) return
    const topics = [...new Set(commits.map((c) => c.topic))]
    const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100, retry: { retries: 3 } })
    await consumer.connect()
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const joined = new Promise<void>((resolve, reject) => {
        consumer.on(consumer.events.GROUP_JOIN, () => resolve())
        consumer.on(consumer.events.CRASH, (event) => reject(event.payload.error))
        timer = setTimeout(() => reject(new Error(`could not join group "${groupId}" within 30 s to commit its offsets`)), 30_000)
      })
      joined.catch(() => undefined) // awaited below; a failure before that is reported by the step that failed
      await consumer.subscribe({ topics })
      await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: async () => {} })
      consumer.pause(topics.map((topic) => ({ topic })))
      await joined
      await consumer.commitOffsets(commits.map((c) => ({ topic: c.topic, partition: c.partition, offset: String(c.offset) })))
    } finally {
      clearTimeout(timer)
      await consumer.disconnect()
    }
  }

  async deleteGroup(): Promise<void> {
    throw new Error(`deleting a group over --bootstrap needs Kafka's DeleteGroups API, ${NOT_SERVED}`)
  }

  async producer(topic: string, options: { acks: Acks; compression: Compression }): Promise<ProducerHandle> {
    const count = await this.partitionCount(topic)
    if (count === undefined) throw new Error(`unknown topic "${topic}"`)
    const { defaultPartition } = await import('../hash.js')
    const { CompressionTypes, Partitioners } = this.kafkajs
    const compression = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD }[options.compression]
    const producer = this.kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 3 } })
    await producer.connect()
    this.clients.add(producer)
    let roundRobin = 0
    return {
      async send(records) {
        // Partitions are chosen here (keys: murmur2, exactly as Kafka's and eddy's default partitioner), so the counts are known.
        const partitions = records.map((r) => r.partition ?? (r.key !== null ? defaultPartition(r.key, count) : roundRobin++ % count))
        await producer.send({
          topic,
          acks: options.acks,
          compression,
          messages: records.map((r, i) => ({
            key: r.key,
            value: r.value,
            partition: partitions[i],
            headers: r.headers === undefined ? undefined : Object.fromEntries(r.headers.map((h) => [h.key, h.value])),
          })),
        })
        return partitions
      },
      close: async () => {
        this.clients.delete(producer)
        await producer.disconnect()
      },
    }
  }

  async consumer(spec: ConsumeSpec): Promise<ConsumerHandle> {
    const count = await this.partitionCount(spec.topic)
    if (count === undefined) throw new Error(`unknown topic "${spec.topic}"`)
    // kafkajs consumers always belong to a group: a consumer without --group uses a throwaway one and never commits
    // (as kafka-console-consumer.sh does with its console-consumer-NNNNN groups).
    const groupId = spec.group ?? `eddy-console-consumer-${Math.floor(Math.random() * 1e6)}`
    const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 250, retry: { retries: 3 } })
    await consumer.connect()
    this.clients.add(consumer)
    const queue: RecordOut[] = []
    let queueHead = 0
    let wakePoll: (() => void) | undefined
    let wakeBatch: (() => void) | undefined
    let closed = false
    let failure: unknown
    const next = new Map<number, number>()
    consumer.on(consumer.events.CRASH, (event) => {
      failure = event.payload.error
      wakePoll?.()
    })
    await consumer.subscribe({ topics: [spec.topic], fromBeginning: spec.start === 'earliest' })
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (closed) return
        if (spec.partition !== undefined && batch.partition !== spec.partition) return
        for (const m of batch.messages) {
          queue.push({
            topic: batch.topic,
            partition: batch.partition,
            offset: Number(m.offset),
            timestamp: Number(m.timestamp),
            key: m.key ?? null,
            value: m.value ?? null,
            headers: Object.entries(m.headers ?? {}).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x): [string, Uint8Array | null] => [k, x === undefined ? null : typeof x === 'string' ? Buffer.from(x) : x])),
          })
        }
        wakePoll?.()
        // Hold the batch until poll has handed every record out (or the consumer closes), heartbeating meanwhile.
        while (!closed && queueHead < queue.length) {
          await new Promise<void>((resolve) => {
            wakeBatch = resolve
            setTimeout(resolve, 1000)
          })
          await heartbeat().catch(() => undefined)
        }
        const handedOut = next.get(batch.partition) ?? -1
        for (const m of batch.messages) if (Number(m.offset) < handedOut) resolveOffset(m.offset)
      },
    })
    if (spec.partition !== undefined) {
      const others = Array.from({ length: count }, (_, p) => p).filter((p) => p !== spec.partition)
      if (others.length > 0) consumer.pause([{ topic: spec.topic, partitions: others }])
      let offset: number | undefined
      if (typeof spec.start === 'number') offset = spec.start
      else {
        const bounds = await this.admin.fetchTopicOffsets(spec.topic)
        const b = bounds.find((x) => x.partition === spec.partition)
        offset = Number(spec.start === 'earliest' ? b?.low : b?.high)
      }
      consumer.seek({ topic: spec.topic, partition: spec.partition, offset: String(offset) })
    }
    return {
      async poll(maxRecords, timeoutMs) {
        const deadline = Date.now() + timeoutMs
        while (queueHead === queue.length && failure === undefined && Date.now() < deadline) {
          await new Promise<void>((resolve) => {
            wakePoll = resolve
            setTimeout(resolve, Math.min(100, Math.max(0, deadline - Date.now())))
          })
        }
        if (failure !== undefined) throw new Error(`the consumer failed: ${rootMessage(failure)}`)
        const out = queue.slice(queueHead, queueHead + maxRecords)
        queueHead += out.length
        for (const r of out) next.set(r.partition, r.offset + 1)
        if (queueHead === queue.length) {
          queue.length = 0
          queueHead = 0
          wakeBatch?.()
        }
        return out
      },
      async commit(offsets) {
        if (spec.group === undefined || offsets.size === 0) return
        await consumer.commitOffsets([...offsets].map(([partition, offset]) => ({ topic: spec.topic, partition, offset: String(offset) })))
      },
      close: async () => {
        closed = true
        wakeBatch?.()
        this.clients.delete(consumer)
        await consumer.disconnect()
      },
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.clients].map((c) => c.disconnect()))
    await this.admin.disconnect()
  }
}

/** Registers eddy's own codecs for snappy, lz4 and zstd with kafkajs (which ships gzip only). */
async function registerCodecs(kafkajs: KafkaJs): Promise<void> {
  const { compress, decompress, zstdReady } = await import('../log/compression/index.js')
  await zstdReady()
  const codecs = kafkajs.CompressionCodecs as unknown as Record<number, () => unknown>
  const names: [number, Compression][] = [
    [kafkajs.CompressionTypes.Snappy, 'snappy'],
    [kafkajs.CompressionTypes.LZ4, 'lz4'],
    [kafkajs.CompressionTypes.ZSTD, 'zstd'],
  ]
  for (const [type, name] of names) {
    codecs[type] = () => ({
      compress: async (encoder: { buffer: Buffer }) => Buffer.from(compress(name, encoder.buffer)),
      decompress: async (buffer: Buffer) => Buffer.from(decompress(name, buffer)),
    })
  }
}

/** The innermost message of a kafkajs error chain (retries wrap the real cause). */
function rootMessage(error: unknown): string {
  let e = error as { message?: string; cause?: unknown; originalError?: unknown } | undefined
  for (let depth = 0; depth < 5 && e; depth++) {
    const inner = (e.originalError ?? e.cause) as typeof e
    if (!inner || typeof inner !== 'object') break
    e = inner
  }
  return e?.message ?? String(error)
}
