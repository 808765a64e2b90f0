// The `eddy` CLI against a running server: an in-memory eddy serving the Kafka
// protocol in this process, and each command spawned with --bootstrap, as a
// user would run it next to `eddy serve` — topics, produce, consume, groups,
// offsets, and what the server cannot do yet refused with a clear error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Eddy } from '../../src/eddy.js'
import { startKafkaServer, type KafkaServer } from '../../src/kafka/server.js'
import { eddy, tableRows } from './helpers.js'

let server: KafkaServer
let served: Eddy
let B: string[]

beforeAll(async () => {
  served = await Eddy.open()
  server = await startKafkaServer(served, { port: 0, log: () => {} })
  B = ['--bootstrap', `127.0.0.1:${server.port}`]
})

afterAll(async () => {
  await server?.close()
  await served?.close()
})

describe('eddy CLI against a running server (spawned, --bootstrap)', () => {
  it('topics: create with config, list, describe', async () => {
    const created = await eddy(['topics', '--create', '--topic', 'orders', '--partitions', '3', '--config', 'retention.ms=3600000', ...B])
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    expect(created.stdout).toBe('Created topic orders.\n')
    // The server's eddy has it, with the config.
    expect((await served.admin.describeTopic('orders')).partitions).toHaveLength(3)
    expect(served.admin.listTopics()).toEqual(['orders'])

    const described = await eddy(['topics', '--describe', '--topic', 'orders', ...B])
    expect(described.code).toBe(0)
    expect(described.stdout).toBe(
      'Topic: orders\tPartitionCount: 3\tReplicationFactor: 1\n' +
        [0, 1, 2].map((p) => `\tTopic: orders\tPartition: ${p}\tLeader: 1\tReplicas: 1\tIsr: 1\tLogStartOffset: 0\tLogEndOffset: 0\n`).join(''),
    )
  })

  it('produce (keys, JSON, snappy) and consume from the beginning with a kcat format', async () => {
    const produced = await eddy(['produce', '--topic', 'orders', '--key-sep', ':', '--json', '--compression', 'snappy', ...B], {
      input: 'ORD001:{"item":"x"}\nORD002:{"item":"y"}\nORD001:{"item":"z"}\n',
    })
    expect(produced.stderr).toBe('')
    expect(produced.code).toBe(0)
    expect(produced.stdout).toMatch(/^produced 3 records to orders \(partition \d: \d(, partition \d: \d)*\)/)

    // The keys land where eddy's (and Kafka's) murmur2 partitioner puts them.
    const { defaultPartition } = await import('../../src/hash.js')
    const ends = await served.admin.listOffsets('orders', 'latest')
    expect(ends.find((e) => e.partition === defaultPartition('ORD001', 3))!.offset).toBeGreaterThanOrEqual(2)

    const consumed = await eddy(['consume', '--topic', 'orders', '--from-beginning', '--max-messages', '3', '--format', '%k %s %p %o\\n', ...B])
    expect(consumed.code).toBe(0)
    expect(consumed.stderr).toBe('Processed a total of 3 messages\n')
    // Expected: each record at the next offset of its key's partition, in the order sent.
    const next = [0, 0, 0]
    const expected = [
      ['ORD001', '{"item":"x"}'],
      ['ORD002', '{"item":"y"}'],
      ['ORD001', '{"item":"z"}'],
    ].map(([k, v]) => {
      const p = defaultPartition(k, 3)
      return `${k} ${v} ${p} ${next[p]++}`
    })
    expect(consumed.stdout.trimEnd().split('\n').sort()).toEqual(expected.sort())
  })

  it('consume --group commits; groups --list, --describe (lag), --reset-offsets --execute', async () => {
    const consumed = await eddy(['consume', '--topic', 'orders', '--group', 'billing', '--from-beginning', '--max-messages', '3', ...B])
    expect(consumed.code).toBe(0)
    expect(consumed.stdout.trimEnd().split('\n').sort()).toEqual(['{"item":"x"}', '{"item":"y"}', '{"item":"z"}'])
    // The commit reached the server's broker.
    const offsets = served.broker.groupOffsets('billing')
    expect(offsets.reduce((n, o) => n + o.committed.offset, 0)).toBe(3)

    const list = await eddy(['groups', '--list', ...B])
    expect(list.stdout.split('\n')).toContain('billing')
    const described = await eddy(['groups', '--describe', '--group', 'billing', ...B])
    expect(described.code).toBe(0)
    const rows = tableRows(described.stdout)
    expect(rows[0]).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'])
    for (const r of rows.slice(1)) {
      expect(r.slice(0, 2)).toEqual(['billing', 'orders'])
      expect(r[3]).toBe(r[4])
      expect(r[5]).toBe('0')
    }

    const reset = await eddy(['groups', '--reset-offsets', '--group', 'billing', '--topic', 'orders', '--to-earliest', '--execute', ...B])
    expect(reset.code).toBe(0)
    expect(tableRows(reset.stdout).slice(1)).toEqual([0, 1, 2].map((p) => ['billing', 'orders', String(p), '0']))
    for (const o of served.broker.groupOffsets('billing')) expect(o.committed.offset).toBe(0)
  })

  it('offsets per partition; what the server does not serve yet is refused clearly (exit 1); an unreachable server too', async () => {
    const { defaultPartition } = await import('../../src/hash.js')
    const p1 = defaultPartition('ORD001', 3)
    const result = await eddy(['offsets', '--topic', 'orders', '--time', '2020-01-01T00:00:00Z', ...B])
    expect(result.code).toBe(0)
    const rows = tableRows(result.stdout)
    expect(rows[0]).toEqual(['TOPIC', 'PARTITION', 'EARLIEST', 'LATEST', 'OFFSET-FOR-TIME'])
    const row = rows.find((r) => r[1] === String(p1))!
    expect(row[2]).toBe('0')
    expect(Number(row[3])).toBeGreaterThanOrEqual(2)
    expect(row[4]).toBe('0')

    const [alter, unreachable] = await Promise.all([
      eddy(['topics', '--alter', '--topic', 'orders', '--partitions', '6', ...B]),
      eddy(['topics', '--list', '--bootstrap', '127.0.0.1:1']),
    ])
    expect(alter.code).toBe(1)
    expect(alter.stderr).toContain("adding partitions over --bootstrap needs Kafka's CreatePartitions API")
    expect(unreachable.code).toBe(1)
    expect(unreachable.stderr).toContain('eddy topics: cannot reach the server 127.0.0.1:1')
  })
})
