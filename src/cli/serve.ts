// `eddy serve --kafka 127.0.0.1:9092 --data-dir ./data`: runs eddy as a Kafka
// broker for existing Kafka clients until SIGINT or SIGTERM, then closes the
// server and the log cleanly.
import { mkdirSync } from 'node:fs'
import { Eddy } from '../eddy.js'
import { startKafkaServer } from '../kafka/server.js'
import { startDashboard } from '../ui/server.js'
import { lockDataDir } from './target.js'

export const SERVE_USAGE = `usage: eddy serve [--kafka HOST:PORT] [--data-dir DIR] [options]

Serves the Kafka wire protocol, so kcat, kafka-python, confluent-kafka, kafkajs
and the Java clients work against eddy unmodified.

options:
  --kafka HOST:PORT         address to listen on (default 127.0.0.1:9092; port 0 picks one)
  --data-dir DIR            keep the log in DIR (default: in memory, lost on exit)
  --advertised HOST[:PORT]  address clients are told to use (default: the listen address)
  --partitions N            partitions of auto-created topics (default 1)
  --no-auto-create          refuse unknown topics instead of creating them
  --frame-bytes-max N       largest request accepted, in bytes (default 104857600)
  --dashboard HOST:PORT     the dashboard and /metrics (default 127.0.0.1:$EDDY_PORT, else 8080; port 0 picks one)
  --no-dashboard            serve no dashboard
  -h, --help                show this text`

export interface ServeArgs {
  host: string
  port: number
  dataDir?: string
  advertisedHost?: string
  advertisedPort?: number
  partitions?: number
  autoCreateTopics: boolean
  frameBytesMax?: number
  /** undefined: no dashboard. */
  dashboard?: { host: string; port: number }
}

/** Parses serve's arguments; throws a message fit for the user on bad input. */
export function parseServeArgs(argv: readonly string[]): ServeArgs | 'help' {
  const envPort = process.env.EDDY_PORT === undefined || process.env.EDDY_PORT === '' ? 8080 : Number(process.env.EDDY_PORT)
  const args: ServeArgs = { host: '127.0.0.1', port: 9092, autoCreateTopics: true, dashboard: { host: '127.0.0.1', port: Number.isInteger(envPort) ? envPort : 8080 } }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${flag} needs a value`)
      return v
    }
    switch (flag) {
      case '-h':
      case '--help':
        return 'help'
      case '--kafka': {
        const { host, port } = hostPort(value(), flag)
        args.host = host ?? args.host
        args.port = port ?? args.port
        break
      }
      case '--data-dir':
        args.dataDir = value()
        break
      case '--advertised': {
        const { host, port } = hostPort(value(), flag)
        args.advertisedHost = host
        args.advertisedPort = port
        break
      }
      case '--partitions':
        args.partitions = positiveInteger(value(), flag)
        break
      case '--no-auto-create':
        args.autoCreateTopics = false
        break
      case '--frame-bytes-max':
        args.frameBytesMax = positiveInteger(value(), flag)
        break
      case '--dashboard': {
        const { host, port } = hostPort(value(), flag)
        args.dashboard = { host: host ?? '127.0.0.1', port: port ?? 8080 }
        break
      }
      case '--no-dashboard':
        args.dashboard = undefined
        break
      default:
        throw new Error(`unknown option "${flag}"`)
    }
  }
  return args
}

function hostPort(text: string, flag: string): { host?: string; port?: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*))(?::(\d+))?$/.exec(text)
  if (!match || (!match[1] && !match[2] && match[3] === undefined)) throw new Error(`${flag} takes HOST:PORT, got "${text}"`)
  const host = match[1] ?? (match[2] || undefined)
  const port = match[3] === undefined ? undefined : Number(match[3])
  if (port !== undefined && port > 65535) throw new Error(`${flag}: port ${port} is out of range`)
  if (host !== undefined && /^\d+$/.test(host) && match[3] === undefined) return { port: Number(host) }
  return { host, port }
}

function positiveInteger(text: string, flag: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer, got "${text}"`)
  return n
}

export async function serve(argv: readonly string[]): Promise<number> {
  let args: ServeArgs | 'help'
  try {
    args = parseServeArgs(argv)
  } catch (error) {
    console.error(`eddy serve: ${(error as Error).message}\n\n${SERVE_USAGE}`)
    return 2
  }
  if (args === 'help') {
    console.log(SERVE_USAGE)
    return 0
  }
  let release: (() => void) | undefined
  if (args.dataDir !== undefined) {
    mkdirSync(args.dataDir, { recursive: true })
    try {
      release = lockDataDir(args.dataDir)
    } catch (error) {
      console.error(`eddy serve: ${(error as Error).message}`)
      return 1
    }
  }
  const eddy = await Eddy.open({ dataDir: args.dataDir, autoCreateTopics: args.autoCreateTopics, defaultPartitions: args.partitions })
  let server
  try {
    server = await startKafkaServer(eddy, {
      host: args.host,
      port: args.port,
      advertisedHost: args.advertisedHost,
      advertisedPort: args.advertisedPort,
      frameBytesMax: args.frameBytesMax,
    })
  } catch (error) {
    await eddy.close()
    console.error(`eddy serve: cannot listen on ${args.host}:${args.port}: ${(error as Error).message}`)
    return 1
  }
  const storage = args.dataDir === undefined ? 'in memory (nothing is kept after exit; use --data-dir)' : `in ${args.dataDir}`
  console.log(`eddy: Kafka protocol on ${server.host}:${server.port}, advertised as ${server.advertised.host}:${server.advertised.port}; log ${storage}`)
  // The dashboard is a convenience: a busy port is reported, not fatal.
  let dashboard: Awaited<ReturnType<typeof startDashboard>> | undefined
  if (args.dashboard !== undefined) {
    try {
      dashboard = await startDashboard({ eddy, host: args.dashboard.host, port: args.dashboard.port })
      console.log(`eddy: dashboard ${dashboard.url} (Prometheus metrics at ${dashboard.url.replace(/\/$/, '')}/metrics)`)
    } catch (error) {
      console.error(`eddy serve: no dashboard: ${(error as Error).message}`)
    }
  }
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'))
    process.once('SIGTERM', () => resolve('SIGTERM'))
  })
  console.log(`eddy: ${signal}, shutting down`)
  await dashboard?.close()
  await server.close()
  await eddy.close()
  release?.()
  console.log('eddy: stopped')
  return 0
}
