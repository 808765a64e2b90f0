// `eddy produce`: kafka-console-producer.sh for eddy. Lines from stdin or a
// file become records; `--key-sep` splits key from value, `--json` checks each
// value. A bad line stops the run there: every record before it is sent and
// acknowledged first, nothing from it on is sent. Records go out in requests of
// up to --batch lines, and a partial request goes out after 50 ms without a new
// line, so typing into the terminal sends each line promptly.
import { createReadStream, statSync } from 'node:fs'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { TARGET_OPTIONS, targetHelp, UsageError, closest, describeError, runCommand, writeOut, type Args } from '../args.js'
import { COMPRESSIONS, bootstrapOf, type Acks, type Compression, type ProducerHandle, type RecordIn } from '../target.js'
import { withTarget } from './topics.js'

export const PRODUCE_USAGE = `usage: eddy produce --topic T [--file PATH] [options]

Sends each line of stdin (or of --file) as one record, and prints a summary:
records sent and how they spread over partitions. Blank lines are skipped.

options:
  --topic T               the topic (it must exist: eddy topics --create)
  --file PATH             read lines from PATH instead of stdin; a progress bar shows on stderr when it is a terminal
  --key-sep SEP           split each line at the first SEP into key and value (a line without SEP is an error)
  --json                  each value must be valid JSON; the first bad line stops the run
  --partition N           send every record to partition N (default: by key hash; keyless records spread)
  --header KEY=VALUE      add this header to every record; repeatable
  --acks 0|1|all          acknowledgement to wait for (default all; -1 means all)
  --compression CODEC     none, gzip, snappy, lz4 or zstd (default none)
  --batch N               most records per request (default 500)
  --progress              show the progress bar even when stderr is not a terminal (--file only)
  --no-progress           never show it
${targetHelp(26)}
  -h, --help              show this text

examples:
  printf 'ORD001:{"item":"x"}\\nORD002:{"item":"y"}\\n' | eddy produce --topic orders --key-sep : --json
  eddy produce --topic sensors --file readings.jsonl --json --compression zstd
  eddy produce --topic orders --bootstrap 127.0.0.1:9092 < orders.txt`

export function produce(argv: readonly string[]): Promise<number> {
  return runCommand(
    {
      name: 'produce',
      usage: PRODUCE_USAGE,
      options: {
        ...TARGET_OPTIONS,
        topic: { type: 'string' },
        file: { type: 'string' },
        'key-sep': { type: 'string' },
        json: { type: 'boolean' },
        partition: { type: 'string' },
        header: { type: 'string', multiple: true },
        acks: { type: 'string' },
        compression: { type: 'string' },
        batch: { type: 'string' },
        progress: { type: 'boolean' },
        'no-progress': { type: 'boolean' },
      },
      run,
    },
    argv,
  )
}

/** A line that cannot become a record: the run stops there. */
class BadLineError extends Error {}

async function run(args: Args): Promise<number> {
  const topic = args.require('topic')
  const keySep = args.string('key-sep')
  if (keySep === '') throw new UsageError('--key-sep needs a non-empty separator')
  const json = args.flag('json')
  const partition = args.int('partition', { min: 0 })
  const acks = parseAcks(args.string('acks') ?? 'all')
  const compression = parseCompression(args.string('compression') ?? 'none')
  const batch = args.int('batch', { min: 1, max: 100_000 }) ?? 500
  const headers = args.list('header').map((h) => {
    const eq = h.indexOf('=')
    if (eq <= 0) throw new UsageError(`--header takes KEY=VALUE, got "${h}"`)
    return { key: h.slice(0, eq), value: h.slice(eq + 1) }
  })
  if (args.flag('progress') && args.flag('no-progress')) throw new UsageError('--progress and --no-progress cannot be used together')
  const file = args.string('file')
  let size = 0
  if (file !== undefined) {
    try {
      const stat = statSync(file)
      if (!stat.isFile()) throw new Error(`${file} is not a file`)
      size = stat.size
    } catch (error) {
      throw new Error(`cannot read --file ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : describeError(error)}`)
    }
  }
  const showProgress = file !== undefined && !args.flag('no-progress') && (args.flag('progress') || process.stderr.isTTY === true)

  return withTarget(args, false, async (target) => {
    const count = await target.partitionCount(topic)
    if (count === undefined) {
      const brokers = bootstrapOf(args)
      const where = brokers !== undefined ? ` --bootstrap ${brokers.join(',')}` : args.has('data-dir') ? ` --data-dir ${args.string('data-dir')}` : ''
      throw new Error(`unknown topic "${topic}" in the ${target.where}; create it with: eddy topics --create --topic ${topic}${where}`)
    }
    if (partition !== undefined && partition >= count) throw new UsageError(`--partition ${partition}: topic "${topic}" has partitions 0..${count - 1}`)
    const producer = await target.producer(topic, { acks, compression })
    const input: Readable = file !== undefined ? createReadStream(file) : process.stdin
    const sender = new Sender(producer, batch)
    const progress = showProgress ? new Progress(size, () => sender.acked) : undefined
    let bytesRead = 0
    input.on('data', (chunk: Buffer | string) => {
      bytesRead += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length
      progress?.update(bytesRead)
    })
    const started = performance.now()
    let failure: unknown
    const lines = createInterface({ input, crlfDelay: Infinity })
    // Ctrl-C ends the input: what was read is still sent and summarised.
    const interrupt = () => lines.close()
    process.once('SIGINT', interrupt)
    let lineNumber = 0
    try {
      for await (const line of lines) {
        lineNumber++
        if (line.trim() === '') continue
        sender.add(parseLine(line, lineNumber, keySep, json, partition, headers))
        if (sender.pendingCount >= batch) await sender.flush()
        if (sender.error !== undefined) break
      }
    } catch (error) {
      failure = error
    } finally {
      process.off('SIGINT', interrupt)
      lines.close()
      if (input !== process.stdin) input.destroy()
    }
    await sender.flush().catch(() => undefined)
    progress?.finish(bytesRead)
    await producer.close().catch((error: unknown) => {
      sender.error ??= error
    })
    const seconds = (performance.now() - started) / 1000
    await writeOut(`${summary(topic, sender, acks, seconds)}\n`)
    const before = `${sender.acked} record${sender.acked === 1 ? '' : 's'}`
    const were = sender.acked === 1 ? 'was' : 'were'
    if (sender.error !== undefined) throw new Error(`sending failed after ${before} ${were} acknowledged: ${describeError(sender.error)}`)
    if (failure instanceof BadLineError) throw new Error(`${failure.message}; the ${before} before it ${were} sent and acknowledged, nothing from line ${lineNumber} on was sent`)
    if (failure !== undefined) throw new Error(`reading ${file ?? 'stdin'} failed after ${before} ${were} acknowledged: ${describeError(failure)}`)
    return 0
  })
}

function parseLine(line: string, lineNumber: number, keySep: string | undefined, json: boolean, partition: number | undefined, headers: RecordIn['headers']): RecordIn {
  let key: string | null = null
  let value = line
  if (keySep !== undefined) {
    const at = line.indexOf(keySep)
    if (at < 0) throw new BadLineError(`line ${lineNumber} has no key separator "${keySep}"`)
    key = line.slice(0, at)
    value = line.slice(at + keySep.length)
  }
  if (json) {
    try {
      JSON.parse(value)
    } catch (error) {
      throw new BadLineError(`line ${lineNumber} is not valid JSON (${(error as Error).message})`)
    }
  }
  return { key, value, partition, headers: headers && headers.length > 0 ? headers : undefined }
}

/**
 * Sends records in requests of up to `batch`, one request at a time, in order;
 * a partial request goes out after 50 ms without a new record.
 */
class Sender {
  acked = 0
  readonly perPartition = new Map<number, number>()
  error: unknown
  private pending: RecordIn[] = []
  private chain: Promise<void> = Promise.resolve()
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly producer: ProducerHandle,
    private readonly batch: number,
  ) {}

  get pendingCount(): number {
    return this.pending.length
  }

  add(record: RecordIn): void {
    this.pending.push(record)
    this.timer ??= setTimeout(() => {
      this.timer = undefined
      void this.flush()
    }, 50)
  }

  /** Sends what is pending and waits for every request so far to be acknowledged. */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    if (this.pending.length > 0) {
      const records = this.pending
      this.pending = []
      this.chain = this.chain.then(async () => {
        if (this.error !== undefined) return
        try {
          for (let i = 0; i < records.length; i += this.batch) {
            const partitions = await this.producer.send(records.slice(i, i + this.batch))
            this.acked += partitions.length
            for (const p of partitions) this.perPartition.set(p, (this.perPartition.get(p) ?? 0) + 1)
          }
        } catch (error) {
          this.error = error
        }
      })
    }
    return this.chain
  }
}

function summary(topic: string, sender: Sender, acks: Acks, seconds: number): string {
  const spread = [...sender.perPartition].sort((a, b) => a[0] - b[0]).map(([p, n]) => `partition ${p}: ${n}`)
  const verb = acks === 0 ? 'sent (acks=0: not acknowledged)' : 'produced'
  return `${verb} ${sender.acked} record${sender.acked === 1 ? '' : 's'} to ${topic}${spread.length > 0 ? ` (${spread.join(', ')})` : ''} in ${seconds.toFixed(2)} s`
}

function parseAcks(text: string): Acks {
  if (text === 'all' || text === '-1') return -1
  if (text === '0') return 0
  if (text === '1') return 1
  throw new UsageError(`--acks takes 0, 1 or all, got "${text}"`)
}

function parseCompression(text: string): Compression {
  if ((COMPRESSIONS as readonly string[]).includes(text)) return text as Compression
  const hint = closest(text, COMPRESSIONS)
  throw new UsageError(`--compression takes ${COMPRESSIONS.join(', ')}, got "${text}"${hint ? ` (did you mean ${hint}?)` : ''}`)
}

/** A one-line progress bar on stderr, redrawn at most ten times a second. */
class Progress {
  private last = 0
  private readonly started = performance.now()

  constructor(
    private readonly total: number,
    private readonly records: () => number,
  ) {}

  update(bytes: number): void {
    const now = performance.now()
    if (now - this.last < 100) return
    this.last = now
    process.stderr.write(`\r${progressLine(bytes, this.total, this.records(), now - this.started)}`)
  }

  finish(bytes: number): void {
    process.stderr.write(`\r${progressLine(bytes, this.total, this.records(), performance.now() - this.started)}\n`)
  }
}

/** `[#########...........]  45%  12,345 records  3.2 MB/s`: bytes read of the file, records acknowledged. */
export function progressLine(bytes: number, total: number, records: number, elapsedMs: number, width = 30): string {
  const fraction = total > 0 ? Math.min(1, bytes / total) : 1
  const filled = Math.round(fraction * width)
  const rate = elapsedMs > 0 ? bytes / 1e6 / (elapsedMs / 1000) : 0
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${records.toLocaleString('en-US')} records  ${rate.toFixed(1)} MB/s`
}
