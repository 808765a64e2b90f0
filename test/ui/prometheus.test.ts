// /metrics: the Prometheus text format, parsed strictly here (HELP and TYPE once
// per family and before its samples, families contiguous, label values escaped,
// no duplicate series), with the series expected for a topic, a group and a job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Eddy } from '../../src/eddy.js'
import type { Consumer } from '../../src/client/consumer.js'
import type { JobMetrics } from '../../src/runtime/metrics.js'
import { CheckpointTotals, escapeLabelValue, formatValue, renderPrometheus } from '../../src/ui/prometheus.js'
import { startDashboard, type Dashboard } from '../../src/ui/server.js'
import type { DashboardSnapshot } from '../../src/ui/snapshot.js'

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

interface Parsed {
  types: Map<string, string>
  help: Map<string, string>
  samples: Sample[]
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** A strict parser for the text exposition format 0.0.4; throws on anything malformed. */
function parsePrometheus(text: string): Parsed {
  expect(text.endsWith('\n')).toBe(true)
  const types = new Map<string, string>()
  const help = new Map<string, string>()
  const samples: Sample[] = []
  const series = new Set<string>()
  const closed = new Set<string>() // families whose block has ended
  let current: string | undefined
  const enter = (family: string, line: string) => {
    if (family !== current) {
      if (closed.has(family)) throw new Error(`family ${family} is not contiguous at: ${line}`)
      if (current !== undefined) closed.add(current)
      current = family
    }
  }
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const [, name, rest] = /^# HELP (\S+) (.*)$/.exec(line) ?? []
      if (!name || !NAME.test(name) || help.has(name)) throw new Error(`bad or repeated HELP: ${line}`)
      if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`bad escape in HELP: ${line}`)
      enter(name, line)
      help.set(name, rest)
      continue
    }
    if (line.startsWith('# TYPE ')) {
      const [, name, type] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ?? []
      if (!name || types.has(name)) throw new Error(`bad or repeated TYPE: ${line}`)
      if (samples.some((s) => s.name === name)) throw new Error(`TYPE after samples: ${line}`)
      enter(name, line)
      types.set(name, type)
      continue
    }
    if (line.startsWith('#') || line === '') throw new Error(`unexpected line: ${JSON.stringify(line)}`)
    let i = 0
    while (i < line.length && line[i] !== '{' && line[i] !== ' ') i++
    const name = line.slice(0, i)
    if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`)
    const labels: Record<string, string> = {}
    if (line[i] === '{') {
      i++
      while (line[i] !== '}') {
        const eq = line.indexOf('=', i)
        const labelName = line.slice(i, eq)
        if (!LABEL_NAME.test(labelName) || line[eq + 1] !== '"') throw new Error(`bad label at ${i}: ${line}`)
        let value = ''
        let j = eq + 2
        for (;;) {
          const c = line[j]
          if (c === undefined) throw new Error(`unterminated label value: ${line}`)
          if (c === '"') break
          if (c === '\\') {
            const next = line[j + 1]
            if (next === '\\') value += '\\'
            else if (next === '"') value += '"'
            else if (next === 'n') value += '\n'
            else throw new Error(`bad escape \\${next}: ${line}`)
            j += 2
          } else if (c === '\n') throw new Error('raw newline in label value')
          else {
            value += c
            j++
          }
        }
        if (labelName in labels) throw new Error(`repeated label ${labelName}: ${line}`)
        labels[labelName] = value
        i = j + 1
        if (line[i] === ',') i++
        else if (line[i] !== '}') throw new Error(`expected , or } at ${i}: ${line}`)
      }
      i++
    }
    const rest = line.slice(i)
    const [, raw] = /^ (\S+)$/.exec(rest) ?? []
    if (raw === undefined) throw new Error(`bad sample value: ${line}`)
    const value = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : raw === 'NaN' ? NaN : Number(raw)
    if (!/^(?:[+-]Inf|NaN|-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)$/.test(raw)) throw new Error(`bad number ${raw}: ${line}`)
    if (!types.has(name)) throw new Error(`sample before its TYPE: ${line}`)
    enter(name, line)
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`
    if (series.has(key)) throw new Error(`duplicate series: ${line}`)
    series.add(key)
    samples.push({ name, labels, value })
  }
  return { types, help, samples }
}

function find(parsed: Parsed, name: string, labels: Record<string, string>): Sample | undefined {
  return parsed.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
}

function job(overrides: Partial<JobMetrics> = {}): JobMetrics {
  return {
    name: 'iot "sensors"\nv2\\x',
    status: 'running',
    parallelism: 2,
    executor: 'inline',
    startedAt: 1_000,
    operators: [
      { id: 1, name: 'source(topic sensors)', kind: 'source', recordsIn: 0, recordsOut: 500, recordsInPerSec: 0, recordsOutPerSec: 50, watermark: -Infinity, queueDepth: 0, stateSize: 0, lateRecords: 0 },
      { id: 2, name: 'window(tumbling 60s).aggregate(avg)', kind: 'window', recordsIn: 500, recordsOut: 10, recordsInPerSec: 50, recordsOutPerSec: 1, watermark: 1_700_000_000_000, queueDepth: 3, stateSize: 42, lateRecords: 7 },
      { id: 3, name: 'sink(sqlite)', kind: 'sink', recordsIn: 10, recordsOut: 0, recordsInPerSec: 1, recordsOutPerSec: 0, watermark: Infinity, queueDepth: 0, stateSize: 0, lateRecords: 0 },
    ],
    edges: [
      { from: 1, to: 2, keyed: true },
      { from: 2, to: 3, keyed: false },
    ],
    checkpoints: [
      { id: 1, startedAt: 2_000, durationMs: 12, bytes: 1000, status: 'completed' },
      { id: 2, startedAt: 3_000, durationMs: 30, bytes: 0, status: 'failed' },
      { id: 3, startedAt: 4_000, durationMs: 15, bytes: 1200, status: 'completed' },
      { id: 4, startedAt: 5_000, durationMs: 0, bytes: 0, status: 'in-progress' },
    ],
    ...overrides,
  }
}

describe('/metrics', () => {
  let eddy: Eddy
  let dashboard: Dashboard
  let consumer: Consumer

  beforeAll(async () => {
    eddy = await Eddy.open()
    await eddy.admin.createTopic('readings', { partitions: 3 })
    const producer = eddy.producer({ partitioner: 'roundrobin' })
    await producer.send('readings', Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })))
    await producer.flush()
    consumer = eddy.consumer({ groupId: 'metrics_group', autoOffsetReset: 'earliest', enableAutoCommit: false })
    await consumer.subscribe(['readings'])
    let read = 0
    while (read < 12) read += (await consumer.poll({ maxRecords: 12 - read, timeoutMs: 1000 })).length
    await consumer.commitSync()
    dashboard = await startDashboard({ eddy, port: 0 })
    dashboard.addJob({ metrics: () => job() })
  })

  afterAll(async () => {
    await dashboard?.close()
    await eddy?.close()
  })

  it('serves valid Prometheus text with broker, group-lag, job and checkpoint series', async () => {
    const response = await fetch(new URL('/metrics', dashboard.url))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8')
    const parsed = parsePrometheus(await response.text())

    // Topic: three partitions holding 30 records in all, offsets from 0.
    const ends = [0, 1, 2].map((p) => find(parsed, 'eddy_topic_partition_log_end_offset', { topic: 'readings', partition: String(p) })!.value)
    expect(ends.reduce((a, b) => a + b, 0)).toBe(30)
    for (const p of [0, 1, 2]) {
      expect(find(parsed, 'eddy_topic_partition_log_start_offset', { topic: 'readings', partition: String(p) })!.value).toBe(0)
      expect(find(parsed, 'eddy_topic_partition_size_bytes', { topic: 'readings', partition: String(p) })!.value).toBeGreaterThan(0)
    }
    expect(find(parsed, 'eddy_topic_partitions', { topic: 'readings' })!.value).toBe(3)
    expect(parsed.samples.some((s) => s.labels.topic === '__consumer_offsets')).toBe(false)

    // Group: one member; it read 12 of 30 records and committed, so the lag sums to 18.
    expect(find(parsed, 'eddy_group_members', { group: 'metrics_group' })!.value).toBe(1)
    const lags = parsed.samples.filter((s) => s.name === 'eddy_group_lag' && s.labels.group === 'metrics_group')
    expect(lags.map((s) => s.labels.topic)).toEqual(['readings', 'readings', 'readings'])
    expect(lags.reduce((sum, s) => sum + s.value, 0)).toBe(18)
    for (const s of lags) {
      const end = find(parsed, 'eddy_topic_partition_log_end_offset', { topic: 'readings', partition: s.labels.partition })!.value
      const committed = find(parsed, 'eddy_group_committed_offset', { group: 'metrics_group', partition: s.labels.partition })!.value
      expect(s.value).toBe(end - committed)
    }

    // Job: its awkward name survives escaping; per-operator counters and gauges.
    const name = 'iot "sensors"\nv2\\x'
    const window = { job: name, operator_id: '2' }
    expect(find(parsed, 'eddy_job_operator_records_in_total', window)!.value).toBe(500)
    expect(find(parsed, 'eddy_job_operator_records_out_total', window)!.value).toBe(10)
    expect(find(parsed, 'eddy_job_operator_records_in_total', window)!.labels).toMatchObject({ operator: 'window(tumbling 60s).aggregate(avg)', kind: 'window' })
    expect(find(parsed, 'eddy_job_operator_watermark_ms', window)!.value).toBe(1_700_000_000_000)
    expect(find(parsed, 'eddy_job_operator_watermark_ms', { job: name, operator_id: '1' })!.value).toBe(-Infinity)
    expect(find(parsed, 'eddy_job_operator_watermark_ms', { job: name, operator_id: '3' })!.value).toBe(Infinity)
    expect(find(parsed, 'eddy_job_operator_queue_depth', window)!.value).toBe(3)
    expect(find(parsed, 'eddy_job_operator_state_entries', window)!.value).toBe(42)
    expect(find(parsed, 'eddy_job_operator_late_records_total', window)!.value).toBe(7)
    expect(find(parsed, 'eddy_job_checkpoints_total', { job: name, status: 'completed' })!.value).toBe(2)
    expect(find(parsed, 'eddy_job_checkpoints_total', { job: name, status: 'failed' })!.value).toBe(1)
    expect(find(parsed, 'eddy_job_checkpoints_in_progress', { job: name })!.value).toBe(1)
    expect(find(parsed, 'eddy_job_last_checkpoint_duration_ms', { job: name })!.value).toBe(15)
    expect(find(parsed, 'eddy_job_running', { job: name })!.value).toBe(1)

    expect(parsed.types.get('eddy_job_operator_records_in_total')).toBe('counter')
    expect(parsed.types.get('eddy_group_lag')).toBe('gauge')
    for (const family of parsed.types.keys()) expect(parsed.help.get(family)).toBeTruthy()
  })

  it('answers /healthz with ok', async () => {
    const response = await fetch(new URL('/healthz', dashboard.url))
    expect(response.status).toBe(200)
    expect(await response.text()).toBe('ok\n')
  })
})

describe('Prometheus rendering', () => {
  it('escapes label values and writes non-finite values as the format spells them', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd')
    expect([Infinity, -Infinity, NaN, 1.5, 0].map(formatValue)).toEqual(['+Inf', '-Inf', 'NaN', '1.5', '0'])
  })

  it('keeps checkpoint counters monotonic when the job reports only recent history, and resets on restart', () => {
    const totals = new CheckpointTotals()
    const snapshot = (j: JobMetrics): DashboardSnapshot => ({ time: 0, topics: [], groups: [], jobs: [j], errors: [] })
    const count = (text: string) => find(parsePrometheus(text), 'eddy_job_checkpoints_total', { status: 'completed' })!.value
    const cp = (id: number, status: 'completed' | 'failed' | 'in-progress' = 'completed') => ({ id, startedAt: id, durationMs: 1, bytes: 1, status })
    expect(count(renderPrometheus(snapshot(job({ checkpoints: [cp(1), cp(2), cp(3, 'in-progress')] })), totals))).toBe(2)
    // Checkpoint 3 completes; 1 has left the history: 3 in all, not 2.
    expect(count(renderPrometheus(snapshot(job({ checkpoints: [cp(2), cp(3)] })), totals))).toBe(3)
    expect(count(renderPrometheus(snapshot(job({ checkpoints: [cp(3), cp(4)] })), totals))).toBe(4)
    // The same job restarted (new startedAt): counters start again.
    expect(count(renderPrometheus(snapshot(job({ startedAt: 99, checkpoints: [cp(1)] })), totals))).toBe(1)
  })

  it('renders an empty snapshot as valid text', () => {
    const parsed = parsePrometheus(renderPrometheus({ time: 0, topics: [], groups: [], jobs: [], errors: [] }))
    expect(parsed.samples.map((s) => s.name)).toEqual(['eddy_scrape_errors'])
  })
})
