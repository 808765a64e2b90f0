// One client connection: framing, one request at a time in arrival order, and
// bounded memory.
//
// Framing: a request is a 4-byte big-endian size and that many bytes. The size
// is checked against frameBytesMax as soon as its 4 bytes arrive, before any
// of the body is buffered. Several requests may arrive in one read (kafka-
// python pipelines ApiVersions and Metadata in one write) and one request may
// span many reads.
//
// Order: requests are handled one at a time, in order, as Kafka's broker does
// (it mutes a connection until the response is sent). That keeps responses in
// request order and keeps a pipelining idempotent producer's batches in
// sequence. A long-poll Fetch holds later requests on the same connection,
// which is what clients expect from Kafka.
//
// Memory: at most requestsQueuedMax frames / requestBytesQueuedMax bytes wait
// to be handled; beyond that the socket stops reading (TCP pushes back on the
// client). A response is not started while the socket's write buffer is above
// its high-water mark.
//
// Bad input: a truncated or malformed request, an unknown API key or an
// unserved version closes this connection with one log line naming the peer,
// the client id and the API; other connections are unaffected. ApiVersions at
// an unserved version is answered (UNSUPPORTED_VERSION in a v0 body) instead,
// because that is how clients negotiate.
import type { Socket } from 'node:net'
import type { ApiDefinition } from './apis/api.js'
import { unsupportedApiVersionsResponse } from './apis/api-versions/index.js'
import { v0 as apiVersionsV0 } from './apis/api-versions/v0.js'
import { ApiKeys, apiName } from './protocol/api-keys.js'
import { decodeRequestHeader, type RequestHeader } from './protocol/header.js'
import { MalformedRequestError, Reader } from './protocol/reader.js'
import { Writer } from './protocol/writer.js'
import type { ConnectionSession, RequestContext, ServerState } from './context.js'
import { CloseConnectionError } from './errors.js'
import { FRAME_BYTES_MIN } from './limits.js'

function runAll(callbacks: readonly (() => void)[]): void {
  for (const callback of callbacks) callback()
}

/** A client-chosen string made safe for one log line (control characters escaped). */
export function quoted(text: string): string {
  return JSON.stringify(text)
}

export interface ConnectionLimits {
  frameBytesMax: number
  requestsQueuedMax: number
  requestBytesQueuedMax: number
}

export class Connection {
  readonly peer: string
  /** Unconsumed inbound bytes: chunks as read, the first consumed from `headOffset`. */
  private readonly chunks: Uint8Array[] = []
  private headOffset = 0
  private bufferedBytes = 0
  /** Whole frames (without their size prefix) waiting to be handled. */
  private readonly queue: Uint8Array[] = []
  private queuedBytes = 0
  private processing = false
  private closed = false
  private readingPaused = false
  private readonly abort = new AbortController()
  private clientId = ''
  private readonly session: ConnectionSession = {}
  private readonly closedPromise: Promise<void>

  constructor(
    private readonly socket: Socket,
    private readonly server: ServerState,
    private readonly apis: ReadonlyMap<number, ApiDefinition<any, any>>,
    private readonly limits: ConnectionLimits,
  ) {
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`
    socket.setNoDelay(true)
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()))
    socket.on('data', (chunk: Buffer) => this.onData(chunk))
    socket.on('close', () => this.onClosed())
    socket.on('error', () => {
      // ECONNRESET and friends: the 'close' that follows does the cleanup.
    })
  }

  /** What this connection holds now: frames waiting, their bytes, and bytes of a frame still arriving. */
  stats(): { requestsQueued: number; requestBytesQueued: number; bytesBuffered: number; readingPaused: boolean } {
    return { requestsQueued: this.queue.length, requestBytesQueued: this.queuedBytes, bytesBuffered: this.bufferedBytes, readingPaused: this.readingPaused }
  }

  /** Closes the connection now (server shutdown); resolves once the socket is closed. */
  destroy(): Promise<void> {
    this.onClosed()
    this.socket.destroy()
    return this.closedPromise
  }

  private onClosed(): void {
    if (this.closed) return
    this.closed = true
    this.queue.length = 0
    this.chunks.length = 0
    this.session.fetchReadahead = undefined
    this.abort.abort()
  }

  // ------------------------------------------------------------------ framing

  private onData(chunk: Buffer): void {
    if (this.closed) return
    this.chunks.push(chunk)
    this.bufferedBytes += chunk.length
    this.extractFrames()
    if (!this.processing && this.queue.length > 0) void this.processQueue()
  }

  private queueFull(): boolean {
    return this.queue.length >= this.limits.requestsQueuedMax || this.queuedBytes >= this.limits.requestBytesQueuedMax
  }

  /** Moves whole frames from the read buffer to the queue; stops at the queue's bound so one large socket chunk cannot overfill it (the rest stays buffered until the queue drains). */
  private extractFrames(): void {
    while (!this.closed && this.bufferedBytes >= 4 && !this.queueFull()) {
      const size = this.peekInt32()
      if (size < FRAME_BYTES_MIN || size > this.limits.frameBytesMax) {
        this.fail(undefined, `frame size ${size} is outside [${FRAME_BYTES_MIN}, ${this.limits.frameBytesMax}] (frameBytesMax)`)
        return
      }
      if (this.bufferedBytes < 4 + size) break
      this.skip(4)
      const frame = this.take(size)
      this.queue.push(frame)
      this.queuedBytes += frame.length
    }
    if (!this.readingPaused && this.queueFull()) {
      this.readingPaused = true
      this.socket.pause()
    }
  }

  private peekInt32(): number {
    let value = 0
    let chunk = 0
    let at = this.headOffset
    for (let i = 0; i < 4; i++) {
      while (at >= this.chunks[chunk].length) {
        chunk++
        at = 0
      }
      value = (value << 8) | this.chunks[chunk][at++]
    }
    return value | 0
  }

  private skip(count: number): void {
    this.take(count)
  }

  /** The next `count` buffered bytes: a view when they sit in one chunk, else one copy. */
  private take(count: number): Uint8Array {
    this.bufferedBytes -= count
    const first = this.chunks[0]
    if (first.length - this.headOffset >= count) {
      const out = first.subarray(this.headOffset, this.headOffset + count)
      this.advance(first, count)
      return out
    }
    const out = new Uint8Array(count)
    let filled = 0
    while (filled < count) {
      const chunk = this.chunks[0]
      const n = Math.min(chunk.length - this.headOffset, count - filled)
      out.set(chunk.subarray(this.headOffset, this.headOffset + n), filled)
      filled += n
      this.advance(chunk, n)
    }
    return out
  }

  private advance(chunk: Uint8Array, count: number): void {
    this.headOffset += count
    if (this.headOffset === chunk.length) {
      this.chunks.shift()
      this.headOffset = 0
    }
  }

  // ------------------------------------------------------------------ requests

  private async processQueue(): Promise<void> {
    this.processing = true
    try {
      while (!this.closed && this.queue.length > 0) {
        const frame = this.queue.shift()!
        this.queuedBytes -= frame.length
        this.extractFrames()
        if (this.readingPaused && !this.queueFull()) {
          this.readingPaused = false
          this.socket.resume()
        }
        try {
          await this.handleFrame(frame)
        } catch (error) {
          this.fail(undefined, `unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
        }
        if (!this.closed && this.socket.writableNeedDrain) await this.drained()
      }
    } finally {
      this.processing = false
    }
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done)
        this.socket.off('close', done)
        resolve()
      }
      this.socket.on('drain', done)
      this.socket.on('close', done)
    })
  }

  private async handleFrame(frame: Uint8Array): Promise<void> {
    const reader = new Reader(frame)
    let header: RequestHeader
    try {
      header = decodeRequestHeader(reader)
    } catch (error) {
      this.fail(undefined, `malformed request header: ${(error as Error).message}`)
      return
    }
    this.clientId = header.clientId ?? ''
    const api = this.apis.get(header.apiKey)
    if (!api) {
      this.fail(header, 'unknown or unsupported API key')
      return
    }
    const codec = api.codec(header.apiVersion)
    if (!codec) {
      if (header.apiKey === ApiKeys.ApiVersions) {
        this.respond(header, (w) => apiVersionsV0.encodeResponse(w, unsupportedApiVersionsResponse(this.server)))
        return
      }
      this.fail(header, `version ${header.apiVersion} is not served (range ${api.minVersion}–${api.maxVersion})`)
      return
    }
    let request: unknown
    try {
      request = codec.decodeRequest(reader)
    } catch (error) {
      const kind = error instanceof MalformedRequestError ? 'malformed request' : 'request could not be decoded'
      this.fail(header, `${kind}: ${(error as Error).message}`)
      return
    }
    let sent: (() => void)[] | undefined
    const context: RequestContext = {
      server: this.server,
      clientId: this.clientId,
      clientHost: this.peer,
      signal: this.abort.signal,
      session: this.session,
      whenSent: (callback) => (sent ??= []).push(callback),
    }
    let response: unknown
    let handedOver = false
    try {
      try {
        response = await api.handle(context, request, header.apiVersion)
      } catch (error) {
        if (error instanceof CloseConnectionError) this.fail(header, error.message)
        else this.fail(header, `the handler failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
        return
      }
      if (response === undefined || this.closed) return
      handedOver = this.respond(header, (w) => codec.encodeResponse(w, response), sent && (() => runAll(sent!)))
    } finally {
      if (!handedOver && sent) runAll(sent)
    }
  }

  /** Writes the response; `onSent` runs once the socket has taken its last byte. False when nothing was written. */
  private respond(header: RequestHeader, encodeBody: (writer: Writer) => void, onSent?: () => void): boolean {
    const writer = new Writer()
    writer.int32(header.correlationId)
    let chunks: Uint8Array[]
    try {
      encodeBody(writer)
      chunks = writer.finish()
    } catch (error) {
      this.fail(header, `could not encode the response: ${(error as Error).message}`)
      return false
    }
    if (this.closed) return false
    this.socket.cork()
    const last = chunks.length - 1
    // Write callbacks run in order, on success or failure: the last one means the socket is done with every chunk.
    for (let i = 0; i < last; i++) this.socket.write(chunks[i])
    this.socket.write(chunks[last], onSent)
    this.socket.uncork()
    return true
  }

  /** Logs why and closes this connection once what was already written is flushed. */
  private fail(header: RequestHeader | undefined, reason: string): void {
    if (this.closed) return
    const what = header ? `${apiName(header.apiKey)} v${header.apiVersion} (correlation id ${header.correlationId})` : 'request'
    this.server.log(`closing connection from ${this.peer} (client id ${quoted(this.clientId)}): ${what}: ${reason}`)
    this.onClosed()
    this.socket.end()
    this.socket.destroySoon()
  }
}
