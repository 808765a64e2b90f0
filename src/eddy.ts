// `Eddy.open()`: the embedded system in one object — topics on a durable log
// (or in memory), the broker, and factories for producers, consumers and admin.
import { Broker } from './broker/broker.js'
import type { CoordinatorOptions } from './broker/group/coordinator.js'
import type { TransactionCoordinatorOptions } from './broker/transactions/coordinator.js'
import { StoreTopics } from './broker/log-adapter.js'
import { Admin } from './client/admin.js'
import { Consumer, type ConsumerOptions } from './client/consumer.js'
import { Producer, type ProducerOptions } from './client/producer.js'
import { checkOptions } from './client/options.js'
import { TopicStore, type TopicStoreOpenReport } from './log/topic-store.js'
import { MemoryStorage } from './log/storage/memory.js'
import type { Storage } from './log/storage/storage.js'

export interface EddyOptions {
  /** Directory for the log on disk (Node). Without it (and without `storage`), everything lives in memory. */
  dataDir?: string
  /** A storage backend of your own (overrides dataDir). */
  storage?: Storage
  /** Create unknown topics on first use, with `defaultPartitions` (Kafka's auto.create.topics.enable; default true). */
  autoCreateTopics?: boolean
  defaultPartitions?: number
  /** Broker-wide topic config defaults, e.g. { 'flush.policy': 'always' }. */
  topicDefaults?: Record<string, string | number>
  coordinator?: CoordinatorOptions
  /** Transaction coordinator limits: timeoutMsMax, abortCheckIntervalMs, idExpirationMs (see docs/transactions.md). */
  transactions?: TransactionCoordinatorOptions
}

const EDDY_OPTION_KEYS = ['dataDir', 'storage', 'autoCreateTopics', 'defaultPartitions', 'topicDefaults', 'coordinator', 'transactions']

export class Eddy {
  readonly admin: Admin
  private readonly clients = new Set<{ close(): Promise<void> }>()
  private closed = false

  private constructor(
    readonly broker: Broker,
    /** What recovery found and did when the log was opened. */
    readonly openReport: TopicStoreOpenReport,
  ) {
    this.admin = new Admin(broker)
  }

  static async open(options: EddyOptions = {}): Promise<Eddy> {
    checkOptions('Eddy.open', options, EDDY_OPTION_KEYS)
    const inMemory = options.storage === undefined && options.dataDir === undefined
    const storage = options.storage ?? (inMemory ? new MemoryStorage({ simulateCrashes: false }) : await nodeStorage())
    // In memory there is nothing to make durable, so appends are acknowledged without flushing.
    const defaults = inMemory ? { 'flush.policy': 'os', ...options.topicDefaults } : options.topicDefaults
    const store = await TopicStore.open({ storage, dir: options.dataDir ?? '/eddy', defaults })
    const broker = new Broker(new StoreTopics(store), {
      autoCreateTopics: options.autoCreateTopics ?? true,
      defaultPartitions: options.defaultPartitions ?? 1,
      coordinator: options.coordinator,
      transactions: options.transactions,
    })
    await broker.start()
    return new Eddy(broker, store.openReport)
  }

  producer(options: ProducerOptions = {}): Producer {
    this.assertOpen()
    return this.track(new Producer(this.broker, options))
  }

  consumer<K = unknown, V = unknown>(options: ConsumerOptions = {}): Consumer<K, V> {
    this.assertOpen()
    return this.track(new Consumer<K, V>(this.broker, options))
  }

  /** Closes clients (flushing producers, committing and leaving for consumers), then the broker and the log. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    await Promise.allSettled([...this.clients].map((c) => c.close()))
    await this.broker.close()
  }

  private track<T extends { close(): Promise<void> }>(client: T): T {
    this.clients.add(client)
    return client
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('eddy is closed')
  }
}

/** The Node fs backend, loaded only when a dataDir is given so the core stays portable. */
async function nodeStorage(): Promise<Storage> {
  const { NodeFsStorage } = await import('./log/storage/node-fs.js')
  return new NodeFsStorage()
}
