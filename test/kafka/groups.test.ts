// Proves consumer groups work across the wire and across client kinds: two
// kafka-python members (auto-commit, JSON values) split six partitions three
// and three; a member that stops commits, and the next member resumes from
// those commits without re-reading; an in-process eddy consumer and a
// kafka-python member share one group and one assignment; kcat's balanced
// consumer commits; kafka-python's and kafkajs's admin clients list, describe
// and delete what they see.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Kafka, logLevel } from 'kafkajs'
import { FIXTURES, PYTHON, jsonLines, requireClients, runKcat, runPython, startHarness, waitFor, type Harness } from './helpers.js'
import type { Consumer } from '../../src/client/consumer.js'

interface MemberLine {
  member: string
  started?: boolean
  assigned?: number[]
  closed?: boolean
  partition?: number
  offset?: number
  key?: string
  value?: { n: number }
}

/** A kafka-python group member in its own process, steered over stdin/stdout. */
class PythonMember {
  readonly lines: MemberLine[] = []
  private readonly child: ChildProcessWithoutNullStreams
  private stderr = ''
  private exited = false

  constructor(bootstrap: string, group: string, topic: string, readonly name: string) {
    this.child = spawn(PYTHON, [join(FIXTURES, 'kafka_python_member.py'), bootstrap, group, topic, name], { env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1' } })
    let pending = ''
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk
      const parts = pending.split('\n')
      pending = parts.pop()!
      for (const line of parts) if (line.startsWith('{')) this.lines.push(JSON.parse(line) as MemberLine)
    })
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d))
    this.child.on('exit', () => (this.exited = true))
  }

  get assigned(): number[] | undefined {
    return [...this.lines].reverse().find((l) => l.assigned)?.assigned
  }

  records(): MemberLine[] {
    return this.lines.filter((l) => l.offset !== undefined)
  }

  /** Closes the consumer (committing and leaving the group) and waits for the process to exit. */
  async stop(): Promise<void> {
    if (this.exited) return
    this.child.stdin.write('stop\n')
    await waitFor(() => this.exited, 20_000, `${this.name} to exit (stderr: ${this.stderr.slice(-500)})`)
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL')
  }
}

let h: Harness
const members: PythonMember[] = []
const consumers: Consumer[] = []

beforeAll(async () => {
  requireClients('kcat', 'kafka')
  h = await startHarness({ coordinator: { initialRebalanceDelayMs: 300 } })
})
afterEach(async () => {
  for (const m of members.splice(0)) m.kill()
  await Promise.all(consumers.splice(0).map((c) => c.close()))
})
afterAll(() => h?.close())

async function produceNumbered(topic: string, from: number, count: number): Promise<void> {
  const producer = h.eddy.producer()
  await producer.send(
    topic,
    Array.from({ length: count }, (_, i) => ({ key: `key-${from + i}`, value: JSON.stringify({ n: from + i }) })),
  )
  await producer.close()
}

const allPartitions = (n: number) => Array.from({ length: n }, (_, i) => i)

describe('consumer groups over the Kafka protocol', () => {
  it('kafka-python: a member resumes from committed offsets; two members split six partitions', async () => {
    const topic = 'group-orders'
    await h.eddy.broker.createTopic(topic, 6)
    await produceNumbered(topic, 0, 60)

    // One member reads everything, then stops: its offsets are committed.
    const first = new PythonMember(h.bootstrap, 'py-group', topic, 'member-a')
    members.push(first)
    await waitFor(() => first.records().length >= 60, 30_000, 'member-a to read 60 records')
    await first.stop()
    for (let p = 0; p < 6; p++) expect(h.eddy.broker.committedOffset('py-group', topic, p)?.offset).toBe(await h.eddy.broker.listOffset(topic, p, -1))
    expect(first.records().map((r) => r.value!.n).sort((a, b) => a - b)).toEqual(allPartitions(60))

    // New records, two new members: they split the partitions and read only what is new.
    await produceNumbered(topic, 60, 60)
    const b = new PythonMember(h.bootstrap, 'py-group', topic, 'member-b')
    const c = new PythonMember(h.bootstrap, 'py-group', topic, 'member-c')
    members.push(b, c)
    await waitFor(() => b.assigned?.length === 3 && c.assigned?.length === 3, 30_000, 'a 3 + 3 split')
    expect([...b.assigned!, ...c.assigned!].sort()).toEqual(allPartitions(6))
    await waitFor(() => b.records().length + c.records().length >= 60, 30_000, 'members b and c to read the 60 new records')
    await Promise.all([b.stop(), c.stop()])
    const read = [...b.records(), ...c.records()].map((r) => r.value!.n).sort((x, y) => x - y)
    expect(read).toEqual(allPartitions(60).map((i) => 60 + i)) // nothing from before the restart, nothing twice
    for (const m of [b, c]) for (const r of m.records()) expect(m.assigned).toContain(r.partition)
    const description = h.eddy.broker.coordinator.describe('py-group')
    expect(description.state).toBe('Empty')
  })

  it('an in-process eddy consumer and a kafka-python member share one group', async () => {
    const topic = 'shared-group'
    await h.eddy.broker.createTopic(topic, 4)
    await produceNumbered(topic, 0, 40)
    const local = h.eddy.consumer<string, string>({ groupId: 'mixed', autoOffsetReset: 'earliest', heartbeatIntervalMs: 100, sessionTimeoutMs: 6000 })
    consumers.push(local)
    await local.subscribe([topic])
    const remote = new PythonMember(h.bootstrap, 'mixed', topic, 'python-member')
    members.push(remote)
    const localSeen: number[] = []
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      for (const r of await local.poll({ timeoutMs: 50 })) localSeen.push((JSON.parse(r.value) as { n: number }).n)
      const split = local.assignment().length === 2 && remote.assigned?.length === 2
      if (split && localSeen.length + remote.records().length >= 40) break
    }
    const localPartitions = local.assignment().map((tp) => tp.partition)
    expect(localPartitions).toHaveLength(2)
    expect([...localPartitions, ...remote.assigned!].sort()).toEqual(allPartitions(4))
    const all = [...localSeen, ...remote.records().map((r) => r.value!.n)]
    expect(new Set(all)).toEqual(new Set(allPartitions(40)))
    const described = h.eddy.broker.coordinator.describe('mixed')
    expect(described.members.map((m) => m.clientId).sort()).toEqual(['eddy-consumer', 'python-member'])
    await remote.stop()
  })

  it('kcat balanced consumer (-G) joins, reads and commits', async () => {
    const topic = 'kcat-group'
    await h.eddy.broker.createTopic(topic, 3)
    await produceNumbered(topic, 0, 30)
    const out = await runKcat(['-b', h.bootstrap, '-G', 'kcat-g', '-o', 'beginning', '-e', '-q', '-f', '%p:%o\n', topic], { timeoutMs: 60_000 })
    expect(out.split('\n').filter(Boolean)).toHaveLength(30)
    for (let p = 0; p < 3; p++) expect(h.eddy.broker.committedOffset('kcat-g', topic, p)?.offset).toBe(await h.eddy.broker.listOffset(topic, p, -1))
  })

  it("kafka-python's admin creates, lists, describes and deletes", async () => {
    const steps = jsonLines<Record<string, any>>(await runPython('kafka_python_admin.py', [h.bootstrap, 'py-admin-topic', '3', 'py-group']))
    expect(steps[0].topics).toContain('py-admin-topic')
    expect(steps[1].groups).toContain('py-group')
    expect(steps[2]).toMatchObject({ group: 'py-group', state: 'Empty', members: 0 })
    expect(Object.keys(steps[3].offsets)).toHaveLength(6)
    expect(steps[4].topics).not.toContain('py-admin-topic')
  })

  it("kafkajs's admin lists and describes groups, fetches offsets, deletes topics", async () => {
    const admin = new Kafka({ clientId: 'kafkajs-admin', brokers: [h.bootstrap], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    try {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId)
      expect(groups).toEqual(expect.arrayContaining(['py-group', 'kcat-g']))
      const offsets = await admin.fetchOffsets({ groupId: 'kcat-g', topics: ['kcat-group'] })
      expect(offsets[0].partitions.map((p) => Number(p.offset)).reduce((a, b) => a + b, 0)).toBe(30)
      await admin.createTopics({ topics: [{ topic: 'kafkajs-doomed', numPartitions: 2 }] })
      await admin.deleteTopics({ topics: ['kafkajs-doomed'] })
      expect(await admin.listTopics()).not.toContain('kafkajs-doomed')
      const refused = await admin.createTopics({ topics: [{ topic: 'three-replicas', numPartitions: 1, replicationFactor: 3 }] }).catch((e: { errors?: { type: string }[] }) => e)
      expect((refused as { errors: { type: string }[] }).errors.map((e) => e.type)).toEqual(['INVALID_REPLICATION_FACTOR'])
    } finally {
      await admin.disconnect()
    }
  })
})
