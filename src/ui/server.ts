// The dashboard server: static page (plain ES modules, no build step) plus
// uPlot's dist files, a WebSocket that pushes a snapshot every intervalMs and
// app channel messages as they are published, /metrics for Prometheus, /healthz.
//
// Wire protocol (JSON text frames, server → page; non-finite numbers as strings,
// see toWireJson):
//   { type: 'hello', version: 1, intervalMs, channels: { [name]: [{ time, data }] } }   on connect
//   { type: 'snapshot', snapshot: DashboardSnapshot }                                   every intervalMs
//   { type: 'publish', channel, time, data }                                            per publish()
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WebSocketServer, WebSocket } from 'ws'
import type { Eddy } from '../eddy.js'
import { CheckpointTotals, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js'
import { SnapshotCollector, toWireJson, type DashboardSnapshot, type MetricsSource } from './snapshot.js'

export const DEFAULT_DASHBOARD_PORT = 8080
export const DASHBOARD_PORT_ENV = 'EDDY_PORT'
export const WIRE_VERSION = 1

export interface DashboardOptions {
  eddy: Eddy
  /** Default: $EDDY_PORT, else 8080. 0 picks a free port (see `url`). */
  port?: number
  host?: string
  /** How often a snapshot is pushed to connected pages (ms, default 1000). */
  intervalMs?: number
  /** Messages kept per app channel for pages that connect later (default 120). */
  channelHistory?: number
  /** Show internal topics such as __consumer_offsets (default false). */
  internalTopics?: boolean
}

export interface Dashboard {
  /** e.g. http://127.0.0.1:8080/ */
  readonly url: string
  readonly port: number
  /** Registers a running job; its metrics() is read on every snapshot. Returns a function that removes it. */
  addJob(job: MetricsSource): () => void
  /** Sends `data` to every page on `channel` (e.g. 'iot.averages') and keeps it for pages that connect later. */
  publish(channel: string, data: unknown): void
  /** The snapshot pages see, taken now. */
  snapshot(): Promise<DashboardSnapshot>
  /** Connected WebSocket clients. */
  readonly clients: number
  /** Stops the timer, disconnects the pages and closes the HTTP server (not the Eddy). */
  close(): Promise<void>
}

/** A page whose socket has this much unsent data skips snapshots until it catches up. */
const SLOW_CLIENT_BYTES = 4 * 1024 * 1024

const here = dirname(fileURLToPath(import.meta.url))
const PUBLIC_DIR = join(here, 'public')

interface StaticFile {
  path: string
  type: string
}

function staticFiles(): Map<string, StaticFile> {
  const uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot/package.json')), 'dist')
  return new Map<string, StaticFile>([
    ['/', { path: join(PUBLIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' }],
    ['/index.html', { path: join(PUBLIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' }],
    ['/app.js', { path: join(PUBLIC_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' }],
    ['/style.css', { path: join(PUBLIC_DIR, 'style.css'), type: 'text/css; charset=utf-8' }],
    ['/vendor/uPlot.esm.js', { path: join(uplotDir, 'uPlot.esm.js'), type: 'text/javascript; charset=utf-8' }],
    ['/vendor/uPlot.min.css', { path: join(uplotDir, 'uPlot.min.css'), type: 'text/css; charset=utf-8' }],
  ])
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
}

function resolvePort(port: number | undefined): number {
  if (port !== undefined) {
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`dashboard port must be an integer from 0 to 65535, got ${port}`)
    return port
  }
  const env = process.env[DASHBOARD_PORT_ENV]
  if (env === undefined || env === '') return DEFAULT_DASHBOARD_PORT
  const parsed = Number(env)
  if (!/^\d+$/.test(env.trim()) || parsed > 65535) throw new Error(`${DASHBOARD_PORT_ENV} must be a port number from 0 to 65535, got "${env}"`)
  return parsed
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const { eddy } = options
  const host = options.host ?? '127.0.0.1'
  const requestedPort = resolvePort(options.port)
  const intervalMs = options.intervalMs ?? 1000
  if (!(intervalMs >= 10)) throw new Error(`dashboard intervalMs must be at least 10, got ${intervalMs}`)
  const historySize = options.channelHistory ?? 120
  if (!Number.isInteger(historySize) || historySize < 0) throw new Error(`dashboard channelHistory must be a non-negative integer, got ${historySize}`)

  const files = staticFiles()
  const fileCache = new Map<string, Buffer>()
  const jobs = new Set<MetricsSource>()
  const channels = new Map<string, { time: number; data: unknown }[]>()
  const collector = new SnapshotCollector(eddy, { internalTopics: options.internalTopics })
  // /metrics gets its own collector so scrapes do not disturb the pages' rate windows.
  const scrapeCollector = new SnapshotCollector(eddy, { internalTopics: options.internalTopics })
  const checkpointTotals = new CheckpointTotals()
  let lastSnapshot: string | undefined
  let collecting: Promise<void> | undefined
  let closed = false

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 })

  async function serveStatic(file: StaticFile, request: IncomingMessage, response: ServerResponse): Promise<void> {
    let body = fileCache.get(file.path)
    if (!body) {
      body = await readFile(file.path)
      fileCache.set(file.path, body)
    }
    response.writeHead(200, { 'content-type': file.type, 'content-length': body.length, 'cache-control': 'no-cache', ...SECURITY_HEADERS })
    response.end(request.method === 'HEAD' ? undefined : body)
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://dashboard').pathname
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n')
      return
    }
    const file = files.get(path)
    if (file) return serveStatic(file, request, response)
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok\n')
      return
    }
    if (path === '/metrics') {
      const snapshot = await scrapeCollector.collect(jobs)
      const body = renderPrometheus(snapshot, checkpointTotals, { dashboardClients: wss.clients.size })
      response.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : body)
      return
    }
    if (path === '/api/snapshot') {
      const body = toWireJson(await scrapeCollector.collect(jobs))
      response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' }).end(request.method === 'HEAD' ? undefined : body)
      return
    }
    if (path === '/favicon.ico') {
      response.writeHead(204).end()
      return
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n')
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
      response.end(`dashboard error: ${error instanceof Error ? error.message : String(error)}\n`)
    })
  })

  server.on('upgrade', (request, socket, head) => {
    const path = new URL(request.url ?? '/', 'http://dashboard').pathname
    // A page from another site must not read the dashboard through the visitor's browser.
    const origin = request.headers.origin
    if (path !== '/ws' || (origin !== undefined && !sameHost(origin, request.headers.host))) {
      socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n')
      return
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request))
  })

  wss.on('connection', (ws: WebSocket) => {
    ws.on('error', () => ws.terminate())
    const backlog: Record<string, { time: number; data: unknown }[]> = {}
    for (const [name, list] of channels) backlog[name] = list
    ws.send(toWireJson({ type: 'hello', version: WIRE_VERSION, intervalMs, channels: backlog }))
    if (lastSnapshot) ws.send(lastSnapshot)
    else void tick()
  })

  function broadcast(text: string, droppable: boolean): void {
    for (const ws of wss.clients) {
      if (ws.readyState !== WebSocket.OPEN) continue
      if (droppable && ws.bufferedAmount > SLOW_CLIENT_BYTES) continue
      ws.send(text)
    }
  }

  /** Collects and pushes one snapshot; never two at once (a slow collection skips a beat). */
  function tick(): Promise<void> {
    if (collecting || closed) return collecting ?? Promise.resolve()
    collecting = (async () => {
      try {
        const snapshot = await collector.collect(jobs)
        if (closed) return
        lastSnapshot = toWireJson({ type: 'snapshot', snapshot })
        broadcast(lastSnapshot, true)
      } catch (error) {
        // The Eddy may be closing under us; the next tick tries again.
        if (!closed) broadcast(toWireJson({ type: 'error', message: error instanceof Error ? error.message : String(error) }), true)
      } finally {
        collecting = undefined
      }
    })()
    return collecting
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening)
      if (error.code === 'EADDRINUSE') {
        const address = `${urlHost(host)}:${requestedPort}`
        reject(
          Object.assign(
            new Error(`dashboard port ${requestedPort} is already in use (${address}); set ${DASHBOARD_PORT_ENV} to another port, or ${DASHBOARD_PORT_ENV}=0 for any free port`),
            { code: 'EADDRINUSE', port: requestedPort },
          ),
        )
      } else reject(error)
    }
    const onListening = () => {
      server.off('error', onError)
      resolve()
    }
    server.once('error', onError)
    server.once('listening', onListening)
    server.listen(requestedPort, host)
  })

  const port = (server.address() as AddressInfo).port
  const timer = setInterval(() => {
    // Nobody watching: skip the work (pages get a fresh snapshot when they connect).
    if (wss.clients.size > 0) void tick()
    else lastSnapshot = undefined
  }, intervalMs)
  timer.unref()

  return {
    url: `http://${urlHost(host)}:${port}/`,
    port,
    get clients() {
      return wss.clients.size
    },
    addJob(job: MetricsSource): () => void {
      if (!job || typeof job.metrics !== 'function') throw new TypeError('dashboard.addJob needs an object with a metrics() method')
      // A wrapper, so adding the same job twice gives two independent removers.
      const entry: MetricsSource = { metrics: () => job.metrics() }
      jobs.add(entry)
      return () => {
        jobs.delete(entry)
      }
    },
    publish(channel: string, data: unknown): void {
      if (typeof channel !== 'string' || channel === '') throw new TypeError('dashboard.publish needs a channel name')
      if (closed) return
      const message = { time: Date.now(), data }
      // Serialized first, so data JSON cannot carry (a BigInt, a cycle) fails here, not for every page that connects later.
      let text: string
      try {
        text = toWireJson({ type: 'publish', channel, ...message })
      } catch (error) {
        throw new TypeError(`dashboard.publish("${channel}"): the data must be JSON-serializable: ${error instanceof Error ? error.message : String(error)}`)
      }
      let list = channels.get(channel)
      if (!list) channels.set(channel, (list = []))
      list.push(message)
      if (list.length > historySize) list.splice(0, list.length - historySize)
      if (wss.clients.size > 0) broadcast(text, false)
    },
    snapshot: () => scrapeCollector.collect(jobs),
    async close(): Promise<void> {
      if (closed) return
      closed = true
      clearInterval(timer)
      await collecting
      for (const ws of wss.clients) ws.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host
  } catch {
    return false
  }
}
