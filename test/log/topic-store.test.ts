// Topics: create/delete/list/describe, add partitions, per-topic config, name
// rules, persistence in a versioned metadata file, and refusal of bad input.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { InvalidConfigError, InvalidTopicError, LogFormatError, TopicExistsError, UnknownTopicError } from '../../src/log/errors.js'
import { DEFAULT_LOG_CONFIG, logConfigFrom, validateTopicConfig } from '../../src/log/log-config.js'
import { TOPICS_FILE, TopicStore } from '../../src/log/topic-store.js'
import { TOPIC_NAME_LENGTH_MAX, validateTopicName } from '../../src/log/topic-name.js'
import { BACKENDS, makeBatch, memoryBackend, readAll, utf8, type Backend } from './helpers.js'

const open = (backend: Backend) => TopicStore.open({ storage: backend.storage, dir: backend.root, background: false })

for (const { name, make } of BACKENDS) {
  describe(`topic store on ${name} storage`, () => {
    let backend: Backend
    beforeEach(() => {
      backend = make()
    })
    afterEach(() => backend.dispose())

    it('creates, lists, describes and persists topics with their config', async () => {
      // Proves topics and overrides survive a reopen and describe shows effective config and partition state.
      let store = await open(backend)
      await store.createTopic('orders', { partitions: 3, config: { 'retention.ms': 3600000, 'cleanup.policy': 'compact,delete' } })
      await store.createTopic('audit.log', { partitions: 1 })
      await store.partition('orders', 2).append(makeBatch(4))
      expect(store.listTopics()).toEqual(['audit.log', 'orders'])
      await store.close()
      store = await open(backend)
      expect(store.listTopics()).toEqual(['audit.log', 'orders'])
      const described = store.describeTopic('orders')
      expect(described.partitionCount).toBe(3)
      expect(described.overrides).toEqual({ 'retention.ms': '3600000', 'cleanup.policy': 'compact,delete' })
      expect(described.config['retention.ms']).toBe('3600000')
      expect(described.config['cleanup.policy']).toBe('compact,delete')
      expect(described.config['segment.bytes']).toBe(String(DEFAULT_LOG_CONFIG.segmentBytes))
      expect(described.partitions.map((p) => p.logEndOffset)).toEqual([0, 0, 4])
      expect((await readAll(store.partition('orders', 2))).length).toBe(4)
      expect(store.partition('orders', 0).config.retentionMs).toBe(3600000)
      const names = await backend.storage.list(backend.root)
      expect(names.sort()).toEqual(['audit.log-0', 'orders-0', 'orders-1', 'orders-2', TOPICS_FILE].sort())
      await store.close()
    })

    it('adds partitions to an existing topic, keeping the data of the old ones', async () => {
      // Proves addPartitions grows the topic to the new total and persists it; shrinking is refused.
      let store = await open(backend)
      await store.createTopic('events', { partitions: 2 })
      await store.partition('events', 1).append(makeBatch(2))
      const grown = await store.addPartitions('events', 5)
      expect(grown.partitionCount).toBe(5)
      await store.partition('events', 4).append(makeBatch(1))
      await expect(store.addPartitions('events', 5)).rejects.toThrow(/must be larger/)
      await store.close()
      store = await open(backend)
      expect(store.describeTopic('events').partitions.map((p) => p.logEndOffset)).toEqual([0, 2, 0, 0, 1])
      await store.close()
    })

    it('deletes a topic with its data, and a new topic of the same name starts empty', async () => {
      // Proves delete removes metadata and partition directories and does not resurrect data.
      const store = await open(backend)
      await store.createTopic('tmp', { partitions: 2 })
      await store.partition('tmp', 0).append(makeBatch(3))
      await store.deleteTopic('tmp')
      expect(store.listTopics()).toEqual([])
      expect(() => store.partition('tmp', 0)).toThrow(UnknownTopicError)
      expect((await backend.storage.list(backend.root)).filter((n) => n.startsWith('tmp'))).toEqual([])
      await store.createTopic('tmp', { partitions: 1 })
      expect(store.partition('tmp', 0).logEndOffset).toBe(0)
      await expect(store.deleteTopic('nope')).rejects.toThrow(UnknownTopicError)
      await store.close()
    })

    it('alters config overrides and applies them to open partitions', async () => {
      // Proves alterTopicConfig validates, persists, applies, and that null removes an override.
      let store = await open(backend)
      await store.createTopic('t', { partitions: 1, config: { 'retention.bytes': 1000 } })
      await store.alterTopicConfig('t', { 'retention.bytes': null, 'segment.ms': '60000' })
      expect(store.partition('t', 0).config.segmentMs).toBe(60000)
      expect(store.partition('t', 0).config.retentionBytes).toBe(-1)
      await expect(store.alterTopicConfig('t', { 'segment.ms': 'soon' })).rejects.toThrow(/segment\.ms must be an integer/)
      await store.close()
      store = await open(backend)
      expect(store.describeTopic('t').overrides).toEqual({ 'segment.ms': '60000' })
      await store.close()
    })
  })
}

describe('topic store input checks', () => {
  it('rejects bad names, duplicate and colliding topics, bad partition counts and configs, naming what is wrong', async () => {
    // Proves each kind of bad admin input fails with an error that names the fault, and nothing is created.
    const backend = memoryBackend()
    const store = await open(backend)
    await store.createTopic('a.b', { partitions: 1 })
    await expect(store.createTopic('a.b', { partitions: 1 })).rejects.toThrow(TopicExistsError)
    await expect(store.createTopic('a_b', { partitions: 1 })).rejects.toThrow(/collides with existing topic "a\.b"/)
    await expect(store.createTopic('bad name', { partitions: 1 })).rejects.toThrow(/contains " "/)
    await expect(store.createTopic('x', { partitions: 0 })).rejects.toThrow(/partitions must be an integer from 1/)
    await expect(store.createTopic('x', { partitions: 1.5 })).rejects.toThrow(InvalidConfigError)
    await expect(store.createTopic('x', { partitions: 1, config: { 'retention.msec': 5 } })).rejects.toThrow(/unknown topic config key "retention\.msec"/)
    await expect(store.createTopic('x', { partitions: 1, config: { 'cleanup.policy': 'shred' } })).rejects.toThrow(/cleanup\.policy must be/)
    await expect(store.createTopic('x', { partitions: 1, config: { 'segment.bytes': 10 } })).rejects.toThrow(/segment\.bytes must be between 1024/)
    expect(store.listTopics()).toEqual(['a.b'])
    expect(() => store.partition('a.b', 1)).toThrow(/no partition 1/)
    await store.close()
  })

  it('validates topic names as Kafka does', () => {
    // Proves the legal character set, the 249-character limit and the "."/".." rule.
    for (const good of ['a', 'A-z_0.9', 'x'.repeat(TOPIC_NAME_LENGTH_MAX), '__consumer_offsets']) expect(() => validateTopicName(good)).not.toThrow()
    for (const bad of ['', '.', '..', 'x'.repeat(TOPIC_NAME_LENGTH_MAX + 1), 'a/b', 'ü', 'a b']) expect(() => validateTopicName(bad)).toThrow(InvalidTopicError)
  })

  it('parses config values strictly, as strings or numbers', () => {
    // Proves every known key parses into the typed config and malformed values are refused with the key named.
    const config = logConfigFrom({ 'retention.ms': '-1', 'flush.policy': 'always', 'min.cleanable.dirty.ratio': '0.25', 'cleanup.policy': 'compact' })
    expect(config).toMatchObject({ retentionMs: -1, flushPolicy: 'always', minCleanableDirtyRatio: 0.25, cleanupCompact: true, cleanupDelete: false })
    for (const [key, value] of [
      ['retention.ms', '12abc'],
      ['retention.ms', -2],
      ['flush.policy', 'sometimes'],
      ['min.cleanable.dirty.ratio', 2],
      ['max.message.bytes', 10],
      ['cleanup.policy', 'compact,compact'],
    ] as const) {
      expect(() => validateTopicConfig({ [key]: value })).toThrow(new RegExp(key.replaceAll('.', '\\.')))
    }
  })

  it('refuses a damaged or unknown-version metadata file, and a missing one next to partition data', async () => {
    // Proves the store never guesses topics: bad metadata stops open with an error naming the file.
    const backend = memoryBackend()
    const store = await open(backend)
    await store.createTopic('keep', { partitions: 1 })
    await store.partition('keep', 0).append(makeBatch(1))
    await store.close()
    const path = `${backend.root}/${TOPICS_FILE}`
    const original = backend.storage.peek(path)
    backend.storage.poke(path, utf8('{"format":"eddy.topics","version":2,"topics":[]}'))
    await expect(open(backend)).rejects.toThrow(/topics\.json is eddy\.topics version 2/)
    backend.storage.poke(path, utf8('{"format":"eddy.topics","version":1,"topics":[{"name":"bad name","id":"x","partitions":1}]}'))
    await expect(open(backend)).rejects.toThrow(LogFormatError)
    backend.storage.poke(path, utf8('{not json'))
    await expect(open(backend)).rejects.toThrow(/not valid JSON/)
    await backend.storage.remove(path)
    await expect(open(backend)).rejects.toThrow(/missing but partition directories exist \(keep-0\)/)
    const file = await backend.storage.open(path, { create: true })
    await file.write(0, [original])
    await file.close()
    const reopened = await open(backend)
    expect((await readAll(reopened.partition('keep', 0))).length).toBe(1)
    await reopened.close()
  })

  it('finishes a deletion interrupted by a crash at any point', async () => {
    // Proves metadata-first deletion: whatever operation fails, a reopen shows the topic fully there or fully gone.
    for (let failAt = 1; failAt < 30; failAt++) {
      const backend = memoryBackend()
      const store = await open(backend)
      await store.createTopic('doomed', { partitions: 2, config: { 'flush.policy': 'always' } })
      await store.createTopic('kept', { partitions: 1, config: { 'flush.policy': 'always' } })
      await store.partition('doomed', 0).append(makeBatch(2))
      await store.partition('kept', 0).append(makeBatch(3))
      let operations = 0
      backend.storage.faults = () => (++operations === failAt ? new Error('injected') : undefined)
      const deleted = await store.deleteTopic('doomed').then(
        () => true,
        () => false,
      )
      backend.storage.faults = undefined
      backend.storage.crash()
      const reopened = await open(backend)
      expect((await readAll(reopened.partition('kept', 0))).length).toBe(3)
      if (reopened.hasTopic('doomed')) {
        expect(deleted).toBe(false)
        expect((await readAll(reopened.partition('doomed', 0))).length).toBe(2)
      } else {
        expect((await backend.storage.list(backend.root)).filter((n) => n.startsWith('doomed'))).toEqual([])
      }
      await reopened.close()
    }
  })
})
