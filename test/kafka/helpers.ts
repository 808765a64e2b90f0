// Shared plumbing for the Kafka protocol tests: an eddy with a Kafka server on
// a free loopback port, the real clients as child processes (failing with the
// Debian package to install when one is missing, never skipping), and a raw
// socket that speaks frames.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Eddy, type EddyOptions } from '../../src/eddy.js'
import { startKafkaServer, type KafkaServer, type KafkaServerOptions } from '../../src/kafka/server.js'

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures')
/** Debian's interpreter: the pyenv python3 on PATH does not see Debian's python3-* packages. */
export const PYTHON = '/usr/bin/python3'
export const KCAT = '/usr/bin/kcat'

export interface Harness {
  eddy: Eddy
  server: KafkaServer
  bootstrap: string
  logs: string[]
  close(): Promise<void>
}

export async function startHarness(eddyOptions: EddyOptions = {}, serverOptions: KafkaServerOptions = {}): Promise<Harness> {
  const eddy = await Eddy.open(eddyOptions)
  const logs: string[] = []
  const server = await startKafkaServer(eddy, { port: 0, log: (line) => logs.push(line), ...serverOptions })
  return {
    eddy,
    server,
    bootstrap: `127.0.0.1:${server.port}`,
    logs,
    async close() {
      await server.close()
      await eddy.close()
    },
  }
}

const PYTHON_MODULES: Record<string, { file: string; pkg: string }> = {
  kafka: { file: 'kafka/__init__.py', pkg: 'python3-kafka' },
  confluent_kafka: { file: 'confluent_kafka/__init__.py', pkg: 'python3-confluent-kafka' },
  snappy: { file: 'snappy/__init__.py', pkg: 'python3-snappy' },
  lz4: { file: 'lz4/__init__.py', pkg: 'python3-lz4' },
  zstandard: { file: 'zstandard/__init__.py', pkg: 'python3-zstandard' },
}

/** Fails (never skips) with the package to install when a client is missing. */
export function requireClients(...names: ('kcat' | keyof typeof PYTHON_MODULES)[]): void {
  const missing: string[] = []
  for (const name of names) {
    if (name === 'kcat') {
      if (!existsSync(KCAT)) missing.push('kcat')
      continue
    }
    if (!existsSync(PYTHON)) missing.push('python3')
    const module = PYTHON_MODULES[name]
    if (!existsSync(join('/usr/lib/python3/dist-packages', module.file))) missing.push(module.pkg)
  }
  if (missing.length > 0) {
    throw new Error(
      `Kafka client(s) missing: install the Debian package(s) ${[...new Set(missing)].join(' ')} ` +
        `(apt-get install -y ${[...new Set(missing)].join(' ')}; \`npm test\` runs scripts/ensure-system-deps.mjs first, which does it)`,
    )
  }
}

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a command to completion (killing it after timeoutMs), feeding `input` on stdin. */
export function run(command: string, args: string[], options: { input?: string | Uint8Array; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} ${args.join(' ')} timed out after ${options.timeoutMs} ms\nstdout: ${stdout.slice(-2000)}\nstderr: ${stderr.slice(-2000)}`))
    }, options.timeoutMs ?? 60_000)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    child.stdin.on('error', () => {})
    child.stdin.end(options.input ?? '')
  })
}

/** Runs a fixture script with Debian's python3; fails with its output when it exits non-zero. */
export async function runPython(script: string, args: string[], options: { timeoutMs?: number; input?: string } = {}): Promise<string> {
  const result = await run(PYTHON, [join(FIXTURES, script), ...args], { ...options, env: { PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' } })
  if (result.code !== 0) throw new Error(`${script} exited with ${result.code}\nstdout: ${result.stdout.slice(-3000)}\nstderr: ${result.stderr.slice(-3000)}`)
  return result.stdout
}

export async function runKcat(args: string[], options: { input?: string | Uint8Array; timeoutMs?: number } = {}): Promise<string> {
  const result = await run(KCAT, args, options)
  if (result.code !== 0) throw new Error(`kcat ${args.join(' ')} exited with ${result.code}\nstderr: ${result.stderr.slice(-3000)}`)
  return result.stdout
}

/** JSON lines a fixture printed. */
export function jsonLines<T>(text: string): T[] {
  return text
    .split('\n')
    .filter((line) => line.trim().startsWith('{'))
    .map((line) => JSON.parse(line) as T)
}

// ------------------------------------------------------------------ raw frames

/** A request frame: size, header v1 (key, version, correlation id, client id) and body. */
export function requestFrame(apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const id = clientId === null ? null : new TextEncoder().encode(clientId)
  const size = 2 + 2 + 4 + 2 + (id?.length ?? 0) + body.length
  const frame = new Uint8Array(4 + size)
  const view = new DataView(frame.buffer)
  view.setInt32(0, size)
  view.setInt16(4, apiKey)
  view.setInt16(6, apiVersion)
  view.setInt32(8, correlationId)
  view.setInt16(12, id === null ? -1 : id.length)
  if (id) frame.set(id, 14)
  frame.set(body, 14 + (id?.length ?? 0))
  return frame
}

/** A socket that collects response frames and reports when the server closed it. */
export class RawClient {
  private buffered = new Uint8Array(0)
  private readOffset = 0
  private readonly frames: Uint8Array[] = []
  private waiters: (() => void)[] = []
  closed = false

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const rest = this.buffered.subarray(this.readOffset)
      const next = new Uint8Array(rest.length + chunk.length)
      next.set(rest)
      next.set(chunk, rest.length)
      this.buffered = next
      this.readOffset = 0
      const view = new DataView(next.buffer)
      while (next.length - this.readOffset >= 4) {
        const size = view.getInt32(this.readOffset)
        if (next.length - this.readOffset < 4 + size) break
        this.frames.push(next.slice(this.readOffset + 4, this.readOffset + 4 + size))
        this.readOffset += 4 + size
      }
      this.wake()
    })
    socket.on('close', () => {
      this.closed = true
      this.wake()
    })
    socket.on('error', () => {})
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawClient(socket)))
      socket.once('error', reject)
    })
  }

  private wake(): void {
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes)
  }

  /** The next response frame (without its size), or undefined if the server closed the connection first. */
  async next(timeoutMs = 5000): Promise<Uint8Array | undefined> {
    const deadline = Date.now() + timeoutMs
    while (this.frames.length === 0) {
      if (this.closed) return undefined
      const left = deadline - Date.now()
      if (left <= 0) throw new Error('no response in time')
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    return this.frames.shift()
  }

  /** Every response frame received so far, removed from the queue. */
  drainFrames(): Uint8Array[] {
    return this.frames.splice(0)
  }

  /** Resolves true once the server has closed the connection (false after timeoutMs). */
  async waitClosed(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    return this.closed
  }

  pendingFrames(): number {
    return this.frames.length
  }

  close(): void {
    this.socket.destroy()
  }
}

export function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (condition()) return resolve()
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`))
      setTimeout(tick, 20)
    }
    tick()
  })
}
