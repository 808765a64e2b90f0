// The dashboard server without a browser: static files and their content types,
// the WebSocket protocol (hello with channel history, snapshots on a timer,
// publishes as they come), jobs added and removed, a clear error for a port in
// use, and cross-site WebSocket connections refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { Eddy } from '../../src/eddy.js'
import type { JobMetrics } from '../../src/runtime/metrics.js'
import { startDashboard, type Dashboard } from '../../src/ui/server.js'
import type { DashboardSnapshot } from '../../src/ui/snapshot.js'

interface Message {
  type: string
  [key: string]: unknown
}

/** Opens a socket and collects its messages; `next(predicate)` waits for a matching one. */
async function client(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + 'ws', { headers })
  const messages: Message[] = []
  const waiters: { predicate: (m: Message) => boolean; resolve: (m: Message) => void }[] = []
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as Message
    messages.push(m)
    for (const w of [...waiters]) {
      if (w.predicate(m)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(m)
      }
    }
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
  })
  return {
    ws,
    messages,
    next(predicate: (m: Message) => boolean, timeoutMs = 5000): Promise<Message> {
      const found = messages.find(predicate)
      if (found) return Promise.resolve(found)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a message')), timeoutMs)
        waiters.push({ predicate, resolve: (m) => (clearTimeout(timer), resolve(m)) })
      })
    },
    close: () => ws.close(),
  }
}

function fakeJob(name: string, counter: { n: number }): { metrics(): JobMetrics } {
  return {
    metrics: () => {
      counter.n++
      return {
        name,
        status: 'running',
        parallelism: 1,
        executor: 'inline',
        startedAt: 0,
        operators: [{ id: 1, name: 'source', kind: 'source', recordsIn: 0, recordsOut: counter.n, recordsInPerSec: 0, recordsOutPerSec: counter.n, watermark: -Infinity, queueDepth: 0, stateSize: 0, lateRecords: 0 }],
        edges: [],
        checkpoints: [],
      }
    },
  }
}

describe('dashboard server', () => {
  let eddy: Eddy
  let dashboard: Dashboard

  beforeAll(async () => {
    eddy = await Eddy.open()
    await eddy.admin.createTopic('events', { partitions: 2 })
    dashboard = await startDashboard({ eddy, port: 0, intervalMs: 100, channelHistory: 3 })
  })

  afterAll(async () => {
    await dashboard?.close()
    await eddy?.close()
  })

  it('serves the page, its module and uPlot with the right content types', async () => {
    const expectations: [string, string, RegExp][] = [
      ['/', 'text/html; charset=utf-8', /<script type="module" src="\/app.js">/],
      ['/app.js', 'text/javascript; charset=utf-8', /import uPlot from '\/vendor\/uPlot.esm.js'/],
      ['/style.css', 'text/css; charset=utf-8', /\.status/],
      ['/vendor/uPlot.esm.js', 'text/javascript; charset=utf-8', /export \{ uPlot as default \}/],
      ['/vendor/uPlot.min.css', 'text/css; charset=utf-8', /\.uplot/],
    ]
    for (const [path, type, body] of expectations) {
      const response = await fetch(new URL(path, dashboard.url))
      expect(response.status, path).toBe(200)
      expect(response.headers.get('content-type'), path).toBe(type)
      expect(response.headers.get('x-content-type-options')).toBe('nosniff')
      expect(await response.text(), path).toMatch(body)
    }
    expect((await fetch(new URL('/../package.json', dashboard.url))).status).toBe(404)
    expect((await fetch(new URL('/src/ui/server.ts', dashboard.url))).status).toBe(404)
    expect((await fetch(new URL('/metrics', dashboard.url), { method: 'POST' })).status).toBe(405)
  })

  it('greets with the channel history, pushes snapshots every interval and publishes as they come', async () => {
    for (let i = 0; i < 5; i++) dashboard.publish('iot.distinct', { timestamp: i, estimate: i * 10 })
    const counter = { n: 0 }
    const remove = dashboard.addJob(fakeJob('fake', counter))
    const c = await client(dashboard.url)
    try {
      const hello = await c.next((m) => m.type === 'hello')
      expect(hello.version).toBe(1)
      expect(hello.intervalMs).toBe(100)
      // Only the last 3 (channelHistory) are kept.
      expect((hello.channels as Record<string, { data: { timestamp: number } }[]>)['iot.distinct'].map((m) => m.data.timestamp)).toEqual([2, 3, 4])

      const first = (await c.next((m) => m.type === 'snapshot')).snapshot as DashboardSnapshot
      expect(first.topics.map((t) => t.name)).toEqual(['events'])
      expect(first.topics[0].partitions.map((p) => p.logEndOffset)).toEqual([0, 0])
      expect(first.jobs.map((j) => j.name)).toEqual(['fake'])
      // -Infinity travels as a string (JSON has no infinities).
      expect(first.jobs[0].operators[0].watermark).toBe('-Infinity')

      // New records show up in a later snapshot, with a rate.
      await eddy.producer().send('events', [{ partition: 1, value: 'a' }, { partition: 1, value: 'b' }])
      const later = await c.next((m) => m.type === 'snapshot' && (m.snapshot as DashboardSnapshot).topics[0]?.partitions[1].logEndOffset === 2)
      expect((later.snapshot as DashboardSnapshot).topics[0].records).toBe(2)
      expect(counter.n).toBeGreaterThan(1)

      dashboard.publish('iot.alerts', { sensorId: 's-1', timestamp: 5, value: 99, reason: 'above 90' })
      const alert = await c.next((m) => m.type === 'publish' && m.channel === 'iot.alerts')
      expect(alert.data).toEqual({ sensorId: 's-1', timestamp: 5, value: 99, reason: 'above 90' })

      remove()
      await c.next((m) => m.type === 'snapshot' && (m.snapshot as DashboardSnapshot).jobs.length === 0)
      expect(dashboard.clients).toBe(1)
    } finally {
      remove()
      c.close()
    }
  })

  it('refuses data that JSON cannot carry, and keeps nothing of it', async () => {
    expect(() => dashboard.publish('iot.bad', { n: 1n })).toThrow(/dashboard.publish\("iot.bad"\): the data must be JSON-serializable/)
    expect(() => dashboard.publish('', {})).toThrow(/needs a channel name/)
    const c = await client(dashboard.url)
    try {
      const hello = await c.next((m) => m.type === 'hello')
      expect(Object.keys(hello.channels as object)).not.toContain('iot.bad')
    } finally {
      c.close()
    }
  })

  it('reports a job whose metrics() throws as a problem, not a failure', async () => {
    const remove = dashboard.addJob({
      metrics: () => {
        throw new Error('worker gone')
      },
    })
    try {
      const snapshot = await dashboard.snapshot()
      expect(snapshot.jobs).toEqual([])
      expect(snapshot.errors).toEqual(['job metrics: worker gone'])
    } finally {
      remove()
    }
  })

  it('refuses a WebSocket from another origin and accepts its own', async () => {
    await expect(client(dashboard.url, { origin: 'http://evil.example' })).rejects.toThrow(/403/)
    const own = await client(dashboard.url, { origin: new URL(dashboard.url).origin })
    await own.next((m) => m.type === 'hello')
    own.close()
  })

  it('names the port and EDDY_PORT when the port is taken', async () => {
    await expect(startDashboard({ eddy, port: dashboard.port })).rejects.toThrow(
      new RegExp(`dashboard port ${dashboard.port} is already in use.*EDDY_PORT`),
    )
  })

  it('takes its default port from EDDY_PORT', async () => {
    const saved = process.env.EDDY_PORT
    process.env.EDDY_PORT = '0'
    try {
      const other = await startDashboard({ eddy })
      expect(other.port).toBeGreaterThan(0)
      expect(other.url).toBe(`http://127.0.0.1:${other.port}/`)
      await other.close()
      process.env.EDDY_PORT = 'eighty'
      await expect(startDashboard({ eddy })).rejects.toThrow(/EDDY_PORT must be a port number/)
    } finally {
      if (saved === undefined) delete process.env.EDDY_PORT
      else process.env.EDDY_PORT = saved
    }
  })

  it('close() disconnects the pages and frees the port', async () => {
    const own = await startDashboard({ eddy, port: 0, intervalMs: 50 })
    const c = await client(own.url)
    const closed = new Promise<void>((resolve) => c.ws.once('close', () => resolve()))
    await own.close()
    await closed
    await expect(fetch(own.url)).rejects.toThrow()
    const again = await startDashboard({ eddy, port: own.port })
    await again.close()
  })
})
