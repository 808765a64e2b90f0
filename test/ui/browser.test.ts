// The dashboard in Debian's headless Chromium (playwright-core): an in-memory
// Eddy with a topic being written, a consumer group, a fake job whose metrics
// change, and IoT channel data published on a timer. The page must show the
// numbers and charts changing over its WebSocket, explain every number in a
// tooltip, reconnect after the server restarts, and leave a screenshot in
// test/artifacts/dashboard.png.
import { mkdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Eddy } from '../../src/eddy.js'
import type { Consumer } from '../../src/client/consumer.js'
import type { Producer } from '../../src/client/producer.js'
import type { JobMetrics } from '../../src/runtime/metrics.js'
import { startDashboard, type Dashboard } from '../../src/ui/server.js'
import { launchChromium } from '../browser.js'

const here = dirname(fileURLToPath(import.meta.url))
const ARTIFACTS = join(here, '..', 'artifacts')
const WAIT_MS = 10_000
const SENSORS = ['sensor-01', 'sensor-02', 'sensor-03', 'sensor-04']

/** A job whose numbers move every time it is asked, as a running one's would. */
function fakeJob(): { metrics(): JobMetrics } {
  const startedAt = Date.now()
  let calls = 0
  return {
    metrics() {
      calls++
      const rate = 1000 + ((calls * 37) % 500)
      const now = Date.now()
      const checkpoints = Array.from({ length: Math.min(12, Math.floor(calls / 2)) }, (_, i) => {
        const id = Math.floor(calls / 2) - i
        return { id, startedAt: now - i * 1000, durationMs: 20 + (id % 7) * 3, bytes: 4096 + id * 128, status: i === 0 ? ('in-progress' as const) : id % 5 === 0 ? ('failed' as const) : ('completed' as const) }
      })
      return {
        name: 'iot-sensors',
        status: 'running',
        parallelism: 2,
        executor: 'inline',
        startedAt,
        operators: [
          { id: 1, name: 'source(topic readings)', kind: 'source', recordsIn: 0, recordsOut: calls * rate, recordsInPerSec: 0, recordsOutPerSec: rate, watermark: now - 5000, queueDepth: 0, stateSize: 0, lateRecords: 0 },
          { id: 2, name: 'keyBy(sensorId)', kind: 'keyBy', recordsIn: calls * rate, recordsOut: calls * rate, recordsInPerSec: rate, recordsOutPerSec: rate, watermark: now - 5000, queueDepth: calls % 20, stateSize: 0, lateRecords: 0 },
          { id: 3, name: 'window(tumbling 60s).aggregate(avg)', kind: 'window', recordsIn: calls * rate, recordsOut: calls * 4, recordsInPerSec: rate, recordsOutPerSec: 4, watermark: now - 5000, queueDepth: 1, stateSize: 4 + (calls % 3), lateRecords: calls % 4 },
          { id: 4, name: 'sink(sqlite sensor_minute)', kind: 'sink', recordsIn: calls * 4, recordsOut: 0, recordsInPerSec: 4, recordsOutPerSec: 0, watermark: -Infinity, queueDepth: 0, stateSize: 0, lateRecords: 0 },
        ],
        edges: [
          { from: 1, to: 2, keyed: false },
          { from: 2, to: 3, keyed: true },
          { from: 3, to: 4, keyed: false },
        ],
        checkpoints,
      }
    },
  }
}

describe('dashboard in headless Chromium', () => {
  let eddy: Eddy
  let dashboard: Dashboard
  let browser: Browser
  let producer: Producer
  let consumer: Consumer
  const timers: NodeJS.Timeout[] = []

  beforeAll(async () => {
    eddy = await Eddy.open()
    await eddy.admin.createTopic('readings', { partitions: 2 })
    producer = eddy.producer({ lingerMs: 0 })
    consumer = eddy.consumer({ groupId: 'iot_readers', autoOffsetReset: 'earliest' })
    await consumer.subscribe(['readings'])
    await consumer.poll({ timeoutMs: 200 })
    dashboard = await startDashboard({ eddy, port: 0, intervalMs: 200 })
    dashboard.addJob(fakeJob())

    // Records keep arriving; the group reads some of them, so its lag moves too.
    let n = 0
    timers.push(setInterval(() => {
      const batch = Array.from({ length: 5 }, () => ({ key: SENSORS[n % SENSORS.length], value: JSON.stringify({ n: n++ }) }))
      producer.send('readings', batch).catch(() => {})
    }, 100))
    timers.push(setInterval(() => {
      consumer.poll({ maxRecords: 3, timeoutMs: 0 }).then(() => consumer.commitSync()).catch(() => {})
    }, 300))

    // The IoT job's channels: one window per tick, an alert now and then, the HLL estimate, the top-k.
    let window = 0
    const base = Date.now() - 60 * 60_000
    timers.push(setInterval(() => {
      window++
      const windowEnd = base + window * 60_000
      const sensors = Object.fromEntries(SENSORS.map((id, i) => [id, 20 + i * 2 + Math.sin(window / 3 + i) * 3]))
      dashboard.publish('iot.averages', { windowEnd, sensors })
      dashboard.publish('iot.distinct', { timestamp: windowEnd, estimate: 90 + window })
      dashboard.publish('iot.topk', { timestamp: windowEnd, items: SENSORS.map((key, i) => ({ key, count: (window + 1) * (10 - i) })) })
      if (window % 2 === 0) dashboard.publish('iot.alerts', { sensorId: SENSORS[window % SENSORS.length], timestamp: windowEnd, value: 95 + (window % 5), reason: 'temperature above 95' })
    }, 150))

    browser = await launchChromium()
  })

  afterAll(async () => {
    for (const t of timers) clearInterval(t)
    await browser?.close()
    await dashboard?.close()
    await eddy?.close()
  })

  /** Waits until `read()` returns a value different from `before` (and not empty). */
  async function changes(page: Page, selector: string, read: (selector: string) => Promise<string>): Promise<[string, string]> {
    const before = await read(selector)
    const deadline = Date.now() + WAIT_MS
    for (;;) {
      const now = await read(selector)
      if (now !== before && now !== '') return [before, now]
      if (Date.now() > deadline) throw new Error(`${selector} stayed at ${JSON.stringify(before)} for ${WAIT_MS} ms`)
      await page.waitForTimeout(100)
    }
  }

  it('shows live topics, groups, the job and the IoT charts, changing over the WebSocket', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(`uncaught ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`)
    })
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`)
    })
    try {
      await page.goto(dashboard.url)
      await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: WAIT_MS })

      const text = (selector: string) => page.locator(selector).first().textContent({ timeout: WAIT_MS }).then((t) => t ?? '')
      const attr = (name: string) => (selector: string) => page.locator(selector).first().getAttribute(name, { timeout: WAIT_MS }).then((t) => t ?? '')
      const canvas = (selector: string) => page.locator(selector).first().evaluate((c) => (c as HTMLCanvasElement).toDataURL(), undefined, { timeout: WAIT_MS })

      // Topic offsets and the group's lag.
      const endOffset = '#topic-table tr[data-topic="readings"][data-partition="0"] [data-metric="log-end-offset"]'
      const [offsetBefore, offsetAfter] = await changes(page, endOffset, attr('title'))
      expect(Number(/Exact: (\d+)/.exec(offsetAfter)![1])).toBeGreaterThan(Number(/Exact: (\d+)/.exec(offsetBefore)![1]))
      await changes(page, '#topic-table tr.topic[data-topic="readings"] [data-metric="topic-records"]', text)
      await page.locator('#group-table tr.group[data-group="iot_readers"] [data-metric="group-members"]', { hasText: '1' }).waitFor({ timeout: WAIT_MS })

      // The job: records/s of an operator, its totals and the checkpoint history.
      const job = '#job-body .job[data-job="iot-sensors"]'
      await changes(page, `${job} tr[data-operator="1"] [data-metric="records-out-per-sec"]`, text)
      await changes(page, `${job} tr[data-operator="3"] [data-metric="records-in"]`, text)
      await changes(page, `${job} .checkpoint-table [data-metric="checkpoint-id"]`, text)
      expect(await page.locator(`${job} .flow .op`).count()).toBe(4)
      expect(await text(`${job} tr[data-operator="4"] [data-metric="watermark"]`)).toBe('none')
      await changes(page, `${job} .job-chart canvas`, canvas)

      // The IoT panels: both charts redraw, the latest averages, distinct count, top-k and alerts move.
      await changes(page, '#chart-averages canvas', canvas)
      await changes(page, '#chart-distinct canvas', canvas)
      await changes(page, '#averages-latest [data-sensor="sensor-01"] [data-metric="sensor-average"]', text)
      await changes(page, '#distinct-now', text)
      await changes(page, '#topk li:first-child [data-metric="topk-count"]', text)
      await changes(page, '#alert-count', text)
      expect(await page.locator('#chart-averages .u-series').count()).toBe(SENSORS.length + 1)
      expect(await page.locator('#alerts li').count()).toBeGreaterThan(0)

      // Every number explains itself.
      const untitled = await page.locator('.num').evaluateAll((nodes) => nodes.filter((n) => !n.getAttribute('title')).map((n) => n.outerHTML))
      expect(untitled).toEqual([])
      expect(await page.locator('.num').count()).toBeGreaterThan(50)

      mkdirSync(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true })
      expect(problems).toEqual([])
    } finally {
      await page.close()
    }
  })

  it('shows "disconnected" when the server goes away and reconnects when it is back', async () => {
    const page = await browser.newPage()
    try {
      await page.goto(dashboard.url)
      await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: WAIT_MS })
      const port = dashboard.port
      await dashboard.close()
      await page.locator('#status', { hasText: /^disconnected$/ }).waitFor({ timeout: WAIT_MS })
      dashboard = await startDashboard({ eddy, port, intervalMs: 200 })
      dashboard.addJob(fakeJob())
      await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: WAIT_MS })
      await page.locator('#job-body .job[data-job="iot-sensors"]').waitFor({ timeout: WAIT_MS })
    } finally {
      await page.close()
    }
  })
})
