// What a handler sees: the broker, this node's advertised address, and the
// client that sent the request.
import type { Broker } from '../broker/broker.js'
import type { Readahead } from './apis/fetch/readahead.js'
import type { ReadBufferPool } from './apis/fetch/read-buffers.js'

export interface NodeAddress {
  nodeId: number
  host: string
  port: number
}

export interface ApiRange {
  apiKey: number
  minVersion: number
  maxVersion: number
}

export interface ServerState {
  readonly broker: Broker
  /** The address clients are told to connect to (Metadata, FindCoordinator). */
  readonly node: NodeAddress
  readonly clusterId: string
  /** The version ranges this server advertises in ApiVersions. */
  readonly apiRanges: readonly ApiRange[]
  /** Fetch recomputes each served batch's CRC-32C (KafkaServerOptions.fetchVerifyCrc; default false). */
  readonly fetchVerifyCrc: boolean
  /** Creates a topic on first use once, even when several connections ask at the same moment. */
  ensureTopic(name: string): Promise<number>
  log(line: string): void
}

export interface RequestContext {
  readonly server: ServerState
  readonly clientId: string
  /** The peer address, e.g. 127.0.0.1:53412. */
  readonly clientHost: string
  /** Aborted when the connection or the server closes (ends long polls). */
  readonly signal: AbortSignal
  /** State kept across this connection's requests. */
  readonly session: ConnectionSession
  /**
   * Runs `callback` once the socket has taken this request's response (its
   * bytes are with the OS, so buffers it referred to may be reused), or at once
   * when no response is sent or the connection is closed.
   */
  whenSent(callback: () => void): void
}

export interface ConnectionSession {
  /** The next Fetch range, read while the last response travels (apis/fetch/readahead.ts). */
  fetchReadahead?: Readahead
  /** Buffers Fetch reads into, reused once their response is sent (apis/fetch/read-buffers.ts). */
  fetchBuffers?: ReadBufferPool
}
