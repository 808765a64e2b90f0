// Topics on one node: names, partition counts and per-topic config, persisted in
// one versioned metadata file, and a PartitionLog per partition in
// `<root>/<topic>-<partition>/`.
//
// Metadata file `<root>/topics.json`, replaced atomically on every change:
//   {"format":"eddy.topics","version":1,"topics":[
//     {"name":"orders","id":"<uuid>","partitions":3,"config":{"retention.ms":"3600000"}}]}
// `config` holds only the overrides; defaults fill in the rest.
//
// Crash safety: the metadata write is the commit point of every change.
// Create and add-partitions write it first and then open the new logs (a log
// directory is created on first open, so a crash in between loses nothing).
// Delete writes it first and then renames each partition directory to
// `<topic>-<partition>.<id>-delete` before removing it; on open, `-delete`
// directories and partition directories of topics no longer in the metadata are
// removed (and reported). A missing metadata file next to partition directories
// is refused rather than guessed at.
//
// Concurrency: metadata changes are serialised by a mutex; partition logs are
// independent of each other.
import { AsyncMutex } from './async-mutex.js'
import { InvalidConfigError, LogFormatError, TopicExistsError, UnknownTopicError, InvalidTopicError } from './errors.js'
import { parsePartitionDirName, partitionDirName } from './file-names.js'
import { DEFAULT_LOG_CONFIG, TOPIC_CONFIG_KEYS, describeLogConfig, logConfigFrom, validateTopicConfig, type LogConfig, type TopicConfigInput } from './log-config.js'
import { PartitionLog, type PartitionLogOptions } from './partition-log.js'
import type { RecoveryMode, RecoveryReport } from './recovery.js'
import { defaultStorage } from './storage/default.js'
import { joinPath, writeFileAtomic, type Storage } from './storage/storage.js'
import { topicNamesCollide, validateTopicName } from './topic-name.js'

export const TOPICS_FILE = 'topics.json'
export const TOPICS_FORMAT = 'eddy.topics'
export const TOPICS_FORMAT_VERSION = 1
/** Most partitions one topic may have on one node. */
export const PARTITIONS_PER_TOPIC_MAX = 10_000
const DELETE_DIR_SUFFIX = '-delete'

interface TopicRecord {
  name: string
  id: string
  partitions: number
  config: Record<string, string>
}

export interface PartitionDescription {
  partition: number
  logStartOffset: number
  logEndOffset: number
  highWatermark: number
  sizeBytes: number
  segments: number
}

export interface TopicDescription {
  name: string
  id: string
  partitionCount: number
  /** Overrides set on this topic. */
  overrides: Record<string, string>
  /** Every config key with its effective value. */
  config: Record<string, string>
  partitions: PartitionDescription[]
}

export interface TopicStoreOptions {
  /** Where files live; Node's file system when omitted (on Node). */
  storage?: Storage
  /** Root directory holding topics.json and the partition directories. */
  dir: string
  /** Config applied to every topic under its own overrides (broker-level defaults). */
  defaults?: TopicConfigInput
  clock?: () => number
  recovery?: RecoveryMode
  background?: boolean
  onCorruption?: PartitionLogOptions['onCorruption']
}

export interface TopicStoreOpenReport {
  /** Directories removed: deletions interrupted by a crash. */
  removedDirectories: string[]
  recovery: RecoveryReport[]
}

export class TopicStore {
  private readonly topics = new Map<string, TopicRecord>()
  private readonly logs = new Map<string, PartitionLog[]>()
  private readonly mutex = new AsyncMutex()
  private readonly defaults: LogConfig
  private closed = false
  readonly openReport: TopicStoreOpenReport = { removedDirectories: [], recovery: [] }

  private constructor(
    private readonly options: TopicStoreOptions,
    private readonly storage: Storage,
  ) {
    this.defaults = logConfigFrom(options.defaults ?? {}, DEFAULT_LOG_CONFIG)
  }

  static async open(options: TopicStoreOptions): Promise<TopicStore> {
    const store = new TopicStore(options, options.storage ?? (await defaultStorage()))
    await store.load()
    return store
  }

  private get metadataPath(): string {
    return joinPath(this.options.dir, TOPICS_FILE)
  }

  private async load(): Promise<void> {
    await this.storage.mkdir(this.options.dir)
    const bytes = await this.storage.readFile(this.metadataPath)
    const entries = await this.storage.list(this.options.dir)
    if (bytes === undefined) {
      const stray = entries.filter((n) => parsePartitionDirName(n) !== undefined && !n.endsWith(DELETE_DIR_SUFFIX))
      if (stray.length > 0) {
        throw new LogFormatError(`${this.metadataPath} is missing but partition directories exist (${stray.slice(0, 3).join(', ')}); refusing to guess which topics they belong to`)
      }
    } else {
      for (const record of parseTopicsFile(bytes, this.metadataPath)) this.topics.set(record.name, record)
    }
    for (const name of entries) {
      const deleting = name.endsWith(DELETE_DIR_SUFFIX)
      const parsed = parsePartitionDirName(name)
      const orphan = parsed !== undefined && !deleting && (this.topics.get(parsed.topic)?.partitions ?? 0) <= parsed.partition
      if (deleting || orphan) {
        await this.storage.removeDir(joinPath(this.options.dir, name))
        this.openReport.removedDirectories.push(name)
      }
    }
    for (const record of this.topics.values()) await this.openPartitions(record, 0)
  }

  private async openPartitions(record: TopicRecord, from: number): Promise<void> {
    const logs = this.logs.get(record.name) ?? []
    const config = logConfigFrom(record.config, this.defaults)
    for (let partition = from; partition < record.partitions; partition++) {
      const log = await PartitionLog.open({
        storage: this.storage,
        dir: joinPath(this.options.dir, partitionDirName(record.name, partition)),
        topic: record.name,
        partition,
        config: { ...config },
        clock: this.options.clock,
        recovery: this.options.recovery,
        background: this.options.background,
        onCorruption: this.options.onCorruption,
      })
      logs.push(log)
      this.openReport.recovery.push(log.recoveryReport)
    }
    this.logs.set(record.name, logs)
  }

  private async saveMetadata(topics: TopicRecord[]): Promise<void> {
    const body = JSON.stringify({ format: TOPICS_FORMAT, version: TOPICS_FORMAT_VERSION, topics }, null, 2)
    await writeFileAtomic(this.storage, this.metadataPath, new TextEncoder().encode(body + '\n'))
  }

  private checkOpen(): void {
    if (this.closed) throw new InvalidTopicError('the topic store is closed')
  }

  private record(name: string): TopicRecord {
    const record = this.topics.get(name)
    if (record === undefined) throw new UnknownTopicError(`unknown topic "${name}"`)
    return record
  }

  // ------------------------------------------------------------ admin

  createTopic(name: string, options: { partitions: number; config?: TopicConfigInput }): Promise<TopicDescription> {
    return this.mutex.run(async () => {
      this.checkOpen()
      validateTopicName(name)
      if (this.topics.has(name)) throw new TopicExistsError(`topic "${name}" already exists`)
      const collision = [...this.topics.keys()].find((other) => topicNamesCollide(name, other))
      if (collision !== undefined) throw new InvalidTopicError(`topic "${name}" collides with existing topic "${collision}" ('.' and '_' are the same in metric names)`)
      const partitions = checkPartitionCount(options?.partitions, 'partitions')
      const config = validateTopicConfig(options.config ?? {})
      logConfigFrom(config, this.defaults)
      const record: TopicRecord = { name, id: globalThis.crypto.randomUUID(), partitions, config }
      await this.saveMetadata([...this.topics.values(), record])
      this.topics.set(name, record)
      await this.openPartitions(record, 0)
      return this.describeTopic(name)
    })
  }

  deleteTopic(name: string): Promise<void> {
    return this.mutex.run(async () => {
      this.checkOpen()
      const record = this.record(name)
      await this.saveMetadata([...this.topics.values()].filter((t) => t !== record))
      this.topics.delete(name)
      const logs = this.logs.get(name) ?? []
      this.logs.delete(name)
      for (const log of logs) {
        await log.close()
        const doomed = `${log.dir}.${record.id}${DELETE_DIR_SUFFIX}`
        if (await this.storage.exists(log.dir)) {
          await this.storage.rename(log.dir, doomed)
          await this.storage.syncDir(this.options.dir)
          await this.storage.removeDir(doomed)
        }
      }
    })
  }

  /** Grows a topic to `totalPartitions` (Kafka's CreatePartitions takes the new total). */
  addPartitions(name: string, totalPartitions: number): Promise<TopicDescription> {
    return this.mutex.run(async () => {
      this.checkOpen()
      const record = this.record(name)
      const total = checkPartitionCount(totalPartitions, 'totalPartitions')
      if (total <= record.partitions) {
        throw new InvalidConfigError('partitions', `topic "${name}" has ${record.partitions} partitions; the new total must be larger, got ${total}`)
      }
      const next = { ...record, partitions: total }
      await this.saveMetadata([...this.topics.values()].map((t) => (t === record ? next : t)))
      this.topics.set(name, next)
      await this.openPartitions(next, record.partitions)
      return this.describeTopic(name)
    })
  }

  /** Sets config overrides; a null value removes an override (back to the default). */
  alterTopicConfig(name: string, changes: Readonly<Record<string, string | number | null>>): Promise<TopicDescription> {
    return this.mutex.run(async () => {
      this.checkOpen()
      const record = this.record(name)
      const overrides: Record<string, string | number> = { ...record.config }
      for (const [key, value] of Object.entries(changes)) {
        if (value === null) {
          if (!Object.hasOwn(TOPIC_CONFIG_KEYS, key)) throw new InvalidConfigError(key, `unknown topic config key "${key}"`)
          delete overrides[key]
        } else {
          overrides[key] = value
        }
      }
      const config = validateTopicConfig(overrides)
      const logConfig = logConfigFrom(config, this.defaults)
      const next = { ...record, config }
      await this.saveMetadata([...this.topics.values()].map((t) => (t === record ? next : t)))
      this.topics.set(name, next)
      for (const log of this.logs.get(name) ?? []) log.updateConfig({ ...logConfig })
      return this.describeTopic(name)
    })
  }

  listTopics(): string[] {
    return [...this.topics.keys()].sort()
  }

  /** The partition count of a topic, or undefined if there is no such topic (cheap: no log is touched). */
  partitionCount(name: string): number | undefined {
    return this.topics.get(name)?.partitions
  }

  hasTopic(name: string): boolean {
    return this.topics.has(name)
  }

  describeTopic(name: string): TopicDescription {
    const record = this.record(name)
    const logs = this.logs.get(name) ?? []
    return {
      name,
      id: record.id,
      partitionCount: record.partitions,
      overrides: { ...record.config },
      config: describeLogConfig(logConfigFrom(record.config, this.defaults)),
      partitions: logs.map((log) => ({
        partition: log.partition,
        logStartOffset: log.logStartOffset,
        logEndOffset: log.logEndOffset,
        highWatermark: log.highWatermark,
        sizeBytes: log.sizeBytes,
        segments: log.segmentInfos().length,
      })),
    }
  }

  /** The log of one partition. */
  partition(name: string, partition: number): PartitionLog {
    this.checkOpen()
    const record = this.record(name)
    if (!Number.isInteger(partition) || partition < 0 || partition >= record.partitions) {
      throw new UnknownTopicError(`topic "${name}" has partitions 0..${record.partitions - 1}; there is no partition ${partition}`)
    }
    return this.logs.get(name)![partition]
  }

  /**
   * A file of the broker's own beside topics.json (its clean-shutdown state):
   * read (undefined when absent), replaced atomically, removed durably.
   */
  readSideFile(name: string): Promise<Uint8Array | undefined> {
    return this.storage.readFile(this.sidePath(name))
  }

  writeSideFile(name: string, bytes: Uint8Array): Promise<void> {
    return writeFileAtomic(this.storage, this.sidePath(name), bytes)
  }

  async removeSideFile(name: string): Promise<void> {
    const path = this.sidePath(name)
    if (!(await this.storage.exists(path))) return
    await this.storage.remove(path)
    await this.storage.syncDir(this.options.dir)
  }

  private sidePath(name: string): string {
    if (!/^[a-z][a-z0-9-]*\.json$/.test(name) || name === TOPICS_FILE) throw new InvalidTopicError(`${JSON.stringify(name)} is not a side file name (lower-case name ending in .json, not ${TOPICS_FILE})`)
    return joinPath(this.options.dir, name)
  }

  async close(): Promise<void> {
    await this.mutex.run(async () => {
      if (this.closed) return
      this.closed = true
      for (const logs of this.logs.values()) for (const log of logs) await log.close()
    })
  }
}

function checkPartitionCount(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > PARTITIONS_PER_TOPIC_MAX) {
    throw new InvalidConfigError(name, `${name} must be an integer from 1 to ${PARTITIONS_PER_TOPIC_MAX}, got ${String(value)}`)
  }
  return value
}

/** Parses and checks topics.json; anything unexpected is a LogFormatError naming the file and the fault. */
function parseTopicsFile(bytes: Uint8Array, path: string): TopicRecord[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (error) {
    throw new LogFormatError(`${path} is not valid JSON: ${(error as Error).message}`)
  }
  const file = parsed as { format?: unknown; version?: unknown; topics?: unknown }
  if (file === null || typeof file !== 'object' || file.format !== TOPICS_FORMAT) throw new LogFormatError(`${path} is not an ${TOPICS_FORMAT} file`)
  if (file.version !== TOPICS_FORMAT_VERSION) throw new LogFormatError(`${path} is ${TOPICS_FORMAT} version ${String(file.version)}; this build reads version ${TOPICS_FORMAT_VERSION}`)
  if (!Array.isArray(file.topics)) throw new LogFormatError(`${path}: "topics" must be an array`)
  const seen = new Set<string>()
  return file.topics.map((entry: unknown, i: number) => {
    const t = entry as Partial<TopicRecord>
    try {
      validateTopicName(t?.name)
      if (seen.has(t.name!)) throw new LogFormatError(`topic "${t.name}" appears twice`)
      seen.add(t.name!)
      if (typeof t.id !== 'string' || t.id.length === 0) throw new LogFormatError('missing id')
      checkPartitionCount(t.partitions, 'partitions')
      const config = validateTopicConfig((t.config ?? {}) as TopicConfigInput)
      return { name: t.name!, id: t.id, partitions: t.partitions!, config }
    } catch (error) {
      throw new LogFormatError(`${path}: topic entry ${i} is invalid: ${(error as Error).message}`)
    }
  })
}
