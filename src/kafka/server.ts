// The Kafka wire-protocol server over an eddy broker: `startKafkaServer(eddy,
// { host, port })` listens (loopback unless told otherwise), tells clients to
// come back to the advertised address (port 0 → the port actually bound), and
// closes cleanly: it stops accepting, ends long polls and closes every
// connection. It does not close the eddy it serves; its owner does.
import { createServer, type Server, type Socket } from 'node:net'
import { hostname } from 'node:os'
import type { Broker } from '../broker/broker.js'
import { KafkaError } from '../broker/errors.js'
import { apiRanges, apis } from './apis/registry.js'
import { Connection } from './connection.js'
import type { NodeAddress, ServerState } from './context.js'
import { CONNECTIONS_MAX_DEFAULT, FRAME_BYTES_MAX_DEFAULT, FRAME_BYTES_MIN, REQUEST_BYTES_QUEUED_MAX, REQUESTS_QUEUED_MAX } from './limits.js'

export interface KafkaServerOptions {
  /** Interface to bind; default 127.0.0.1 (loopback only). */
  host?: string
  /** Port to bind; default 9092; 0 picks a free one. */
  port?: number
  /** Host clients are told to use (Metadata, FindCoordinator); default the bound host, or this machine's hostname when bound to every interface. */
  advertisedHost?: string
  /** Port clients are told to use; default the port actually bound. */
  advertisedPort?: number
  /** Largest request frame accepted; larger ones close the connection before the body is read. Default 100 MiB. */
  frameBytesMax?: number
  /** Most open connections; more are refused. Default 1024. */
  connectionsMax?: number
  /** This node's broker id in Metadata. Default 1. */
  nodeId?: number
  /** Where log lines go; default stderr. */
  log?: (line: string) => void
  /**
   * Recompute the CRC-32C of every batch Fetch serves, as the in-process
   * consumer's reads do: a batch damaged on disk since it was written is then
   * fenced off and never sent. Default false, as in Kafka: batches are
   * CRC-checked when appended and at recovery, and the CRC travels with them
   * for clients to check (see apis/fetch/index.ts).
   */
  fetchVerifyCrc?: boolean
}

export interface KafkaServer {
  /** The port actually bound. */
  readonly port: number
  readonly host: string
  /** What clients are told to connect to. */
  readonly advertised: { host: string; port: number }
  /** Connections open now. */
  connectionCount(): number
  /** Totals over open connections: requests read but not yet answered, their bytes, and bytes of frames still arriving. */
  stats(): KafkaServerStats
  /** Stops accepting, ends long polls, closes every connection. Idempotent. */
  close(): Promise<void>
}

export interface KafkaServerStats {
  connections: number
  requestsQueued: number
  requestBytesQueued: number
  bytesBuffered: number
}

const SERVER_OPTION_KEYS = new Set(['host', 'port', 'advertisedHost', 'advertisedPort', 'frameBytesMax', 'connectionsMax', 'nodeId', 'log', 'fetchVerifyCrc'])

export async function startKafkaServer(eddy: { readonly broker: Broker }, options: KafkaServerOptions = {}): Promise<KafkaServer> {
  for (const key of Object.keys(options)) {
    if (!SERVER_OPTION_KEYS.has(key)) throw new TypeError(`startKafkaServer: unknown option "${key}"; known: ${[...SERVER_OPTION_KEYS].join(', ')}`)
  }
  const host = options.host ?? '127.0.0.1'
  const frameBytesMax = integerOption('frameBytesMax', options.frameBytesMax ?? FRAME_BYTES_MAX_DEFAULT, FRAME_BYTES_MIN, 0x7fffffff)
  const connectionsMax = integerOption('connectionsMax', options.connectionsMax ?? CONNECTIONS_MAX_DEFAULT, 1, 1_000_000)
  const port = integerOption('port', options.port ?? 9092, 0, 65535)
  if (options.advertisedPort !== undefined) integerOption('advertisedPort', options.advertisedPort, 1, 65535)
  const log = options.log ?? ((line: string) => console.error(`eddy kafka: ${line}`))

  const connections = new Set<Connection>()
  const server = createServer({ noDelay: true })
  server.maxConnections = connectionsMax
  const node: NodeAddress = { nodeId: options.nodeId ?? 1, host: '', port: 0 }
  const creating = new Map<string, Promise<number>>()
  const broker = eddy.broker

  const state: ServerState = {
    broker,
    node,
    clusterId: 'eddy',
    apiRanges,
    fetchVerifyCrc: options.fetchVerifyCrc ?? false,
    log,
    ensureTopic(name) {
      let pending = creating.get(name)
      if (!pending) {
        pending = broker.ensureTopic(name).catch((error: unknown) => {
          // Another path (the in-process API) may have created it meanwhile.
          const existing = broker.partitionCount(name)
          if (error instanceof KafkaError && error.type === 'TOPIC_ALREADY_EXISTS' && existing !== undefined) return existing
          throw error
        })
        creating.set(name, pending)
        const forget = () => creating.delete(name)
        pending.then(forget, forget)
      }
      return pending
    },
  }

  server.on('connection', (socket: Socket) => {
    const connection = new Connection(socket, state, apis, { frameBytesMax, requestsQueuedMax: REQUESTS_QUEUED_MAX, requestBytesQueuedMax: REQUEST_BYTES_QUEUED_MAX })
    connections.add(connection)
    socket.once('close', () => connections.delete(connection))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', (error) => log(`server error: ${error.message}`))
  const address = server.address()
  const boundPort = typeof address === 'object' && address ? address.port : port
  node.host = options.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? hostname() : host)
  node.port = options.advertisedPort ?? boundPort

  let closing: Promise<void> | undefined
  return {
    port: boundPort,
    host,
    advertised: { host: node.host, port: node.port },
    connectionCount: () => connections.size,
    stats() {
      const totals: KafkaServerStats = { connections: connections.size, requestsQueued: 0, requestBytesQueued: 0, bytesBuffered: 0 }
      for (const c of connections) {
        const s = c.stats()
        totals.requestsQueued += s.requestsQueued
        totals.requestBytesQueued += s.requestBytesQueued
        totals.bytesBuffered += s.bytesBuffered
      }
      return totals
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
        await Promise.all([...connections].map((c) => c.destroy()))
        await stopped
      })()
      return closing
    },
  }
}

function integerOption(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`startKafkaServer: ${name} must be an integer in [${min}, ${max}], got ${value}`)
  return value
}
