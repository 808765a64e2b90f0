// `eddy consume`: kafka-console-consumer.sh for eddy, with kcat's `-f` print
// formats. Runs until --max-messages records, --timeout-ms without a record,
// or SIGINT / SIGTERM; with --group it commits what it printed.
import { TARGET_HELP, TARGET_OPTIONS, UsageError, closest, parseInteger, runCommand, writeOut, type Args } from '../args.js'
import type { ConsumeSpec, RecordOut } from '../target.js'
import { withTarget } from './topics.js'

export const CONSUME_USAGE = `usage: eddy consume --topic T [options]

Prints the records of a topic, one per line (the value, unless a format says otherwise).
Stops after --max-messages records, after --timeout-ms without a record, or on
Ctrl-C; then prints "Processed a total of N messages" on stderr.

options:
  --topic T                 the topic
  --from-beginning          start at the earliest record when there is no committed offset (default: only new records)
  --group G                 consume as a member of group G and commit the offsets of what was printed
  --partition P             read only partition P (not with --group)
  --offset N|earliest|latest  where to start in --partition
  --max-messages N          stop after N records
  --timeout-ms MS           stop after MS milliseconds without a record
  --format FMT              kcat-style format (no newline added): %t topic, %p partition, %o offset,
                            %k key, %s value, %T timestamp (ms), %h headers (k=v,...), %K / %S key /
                            value length (-1 for null), %% a percent sign; \\n \\t \\r \\\\ escapes
  --property KEY=VALUE      kafka-console-consumer formatter properties: print.key, print.value,
                            print.partition, print.offset, print.timestamp, print.headers (true/false),
                            key.separator, line.separator, null.literal; repeatable
  --json                    one JSON object per record: topic, partition, offset, timestamp, key, value, headers
${TARGET_HELP}
  -h, --help                show this text

examples:
  eddy consume --topic orders --from-beginning --max-messages 10
  eddy consume --topic orders --group billing --from-beginning --timeout-ms 5000
  eddy consume --topic orders --partition 2 --offset 100 --format '%k %s %p %o %T\\n'
  eddy consume --topic orders --from-beginning --property print.key=true --property print.timestamp=true`

export function consume(argv: readonly string[]): Promise<number> {
  return runCommand(
    {
      name: 'consume',
      usage: CONSUME_USAGE,
      options: {
        ...TARGET_OPTIONS,
        topic: { type: 'string' },
        'from-beginning': { type: 'boolean' },
        group: { type: 'string' },
        partition: { type: 'string' },
        offset: { type: 'string' },
        'max-messages': { type: 'string' },
        'timeout-ms': { type: 'string' },
        format: { type: 'string' },
        property: { type: 'string', multiple: true },
        json: { type: 'boolean' },
      },
      run,
    },
    argv,
  )
}

async function run(args: Args): Promise<number> {
  const topic = args.require('topic')
  const group = args.string('group')
  if (group === '') throw new UsageError('--group needs a name')
  const partition = args.int('partition', { min: 0 })
  const maxMessages = args.int('max-messages', { min: 1 })
  const timeoutMs = args.int('timeout-ms', { min: 1 })
  if (group !== undefined && partition !== undefined) throw new UsageError('--group and --partition cannot be used together: a group assigns partitions to its members')
  const offsetText = args.string('offset')
  if (offsetText !== undefined && partition === undefined) throw new UsageError('--offset needs --partition')
  if (offsetText !== undefined && args.flag('from-beginning')) throw new UsageError('--offset and --from-beginning cannot be used together')
  let start: ConsumeSpec['start'] = args.flag('from-beginning') ? 'earliest' : 'latest'
  if (offsetText !== undefined) start = offsetText === 'earliest' || offsetText === 'latest' ? offsetText : parseInteger(offsetText, '--offset', { min: 0 })
  const formats = ['format', 'property', 'json'].filter((f) => args.has(f))
  if (formats.length > 1) throw new UsageError(`${formats.map((f) => `--${f}`).join(' and ')} cannot be used together`)
  const print = args.has('format') ? kcatFormat(args.string('format')!) : args.flag('json') ? jsonFormat : kafkaFormat(args.list('property'))

  let stopping = false
  let wake: (() => void) | undefined
  const stop = () => {
    stopping = true
    wake?.()
  }
  const brokenPipe = (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') stop() // the reader went away (| head): stop quietly
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  process.stdout.on('error', brokenPipe)
  try {
    return await consumeWith(args, { topic, group, partition, start, maxMessages, timeoutMs, print }, () => stopping, (w) => (wake = w))
  } finally {
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    process.stdout.off('error', brokenPipe)
  }
}

interface ConsumeRun {
  topic: string
  group: string | undefined
  partition: number | undefined
  start: ConsumeSpec['start']
  maxMessages: number | undefined
  timeoutMs: number | undefined
  print: (r: RecordOut) => string
}

function consumeWith(args: Args, run: ConsumeRun, stopping: () => boolean, onWake: (wake: () => void) => void): Promise<number> {
  const { topic, group, partition, start, maxMessages, timeoutMs, print } = run
  return withTarget(args, false, async (target) => {
    const count = await target.partitionCount(topic)
    if (count === undefined) throw new Error(`unknown topic "${topic}" in the ${target.where}`)
    if (partition !== undefined && partition >= count) throw new UsageError(`--partition ${partition}: topic "${topic}" has partitions 0..${count - 1}`)
    const consumer = await target.consumer({ topic, group, partition, start })
    let total = 0
    /** The next offset after each partition's last printed record: what a group commits. */
    const printed = new Map<number, number>()
    let lastRecordAt = Date.now()
    let lastCommitAt = Date.now()
    try {
      while (!stopping() && (maxMessages === undefined || total < maxMessages)) {
        const waitMs = timeoutMs === undefined ? 250 : Math.max(0, Math.min(250, lastRecordAt + timeoutMs - Date.now()))
        const records = await Promise.race([
          consumer.poll(Math.min(500, (maxMessages ?? Infinity) - total), waitMs),
          new Promise<RecordOut[]>((resolve) => onWake(() => resolve([]))),
        ])
        if (records.length > 0) {
          total += records.length
          lastRecordAt = Date.now()
          await writeOut(records.map(print).join(''))
          for (const r of records) printed.set(r.partition, r.offset + 1)
        } else if (timeoutMs !== undefined && Date.now() - lastRecordAt >= timeoutMs) break
        if (group !== undefined && Date.now() - lastCommitAt >= 5000) {
          await consumer.commit(printed)
          lastCommitAt = Date.now()
        }
      }
      await consumer.commit(printed)
    } finally {
      await consumer.close()
    }
    process.stderr.write(`Processed a total of ${total} messages\n`)
    return 0
  })
}

const decoder = new TextDecoder()
const text = (bytes: Uint8Array | null): string | null => (bytes === null ? null : decoder.decode(bytes))

/** kcat's -f tokens. */
export function kcatFormat(format: string): (r: RecordOut) => string {
  const parts: (string | ((r: RecordOut) => string))[] = []
  let literal = ''
  for (let i = 0; i < format.length; i++) {
    const c = format[i]
    if (c === '\\' && i + 1 < format.length) {
      const e = format[++i]
      literal += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e === '0' ? '\0' : e
      continue
    }
    if (c !== '%' || i + 1 >= format.length) {
      literal += c
      continue
    }
    const token = format[++i]
    const field = FORMAT_TOKENS[token]
    if (token === '%') {
      literal += '%'
      continue
    }
    if (field === undefined) throw new UsageError(`--format: unknown token %${token}; tokens are ${Object.keys(FORMAT_TOKENS).map((t) => `%${t}`).join(' ')} %%`)
    if (literal !== '') parts.push(literal)
    literal = ''
    parts.push(field)
  }
  if (literal !== '') parts.push(literal)
  return (r) => {
    let out = ''
    for (const p of parts) out += typeof p === 'string' ? p : p(r)
    return out
  }
}

const FORMAT_TOKENS: Record<string, (r: RecordOut) => string> = {
  t: (r) => r.topic,
  p: (r) => String(r.partition),
  o: (r) => String(r.offset),
  k: (r) => text(r.key) ?? '',
  s: (r) => text(r.value) ?? '',
  T: (r) => String(r.timestamp),
  h: (r) => r.headers.map(([k, v]) => `${k}=${text(v) ?? ''}`).join(','),
  K: (r) => String(r.key === null ? -1 : r.key.length),
  S: (r) => String(r.value === null ? -1 : r.value.length),
}

function jsonFormat(r: RecordOut): string {
  return `${JSON.stringify({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: text(r.key),
    value: text(r.value),
    headers: Object.fromEntries(r.headers.map(([k, v]) => [k, text(v)])),
  })}\n`
}

const PROPERTIES = ['print.key', 'print.value', 'print.partition', 'print.offset', 'print.timestamp', 'print.headers', 'key.separator', 'line.separator', 'null.literal']

/** kafka-console-consumer.sh's DefaultMessageFormatter: timestamp, partition, offset, headers, key, value. */
export function kafkaFormat(properties: readonly string[]): (r: RecordOut) => string {
  const p: Record<string, string> = { 'print.value': 'true', 'key.separator': '\t', 'line.separator': '\n', 'null.literal': 'null' }
  for (const entry of properties) {
    const eq = entry.indexOf('=')
    if (eq <= 0) throw new UsageError(`--property takes KEY=VALUE, got "${entry}"`)
    const key = entry.slice(0, eq)
    if (!PROPERTIES.includes(key)) {
      const hint = closest(key, PROPERTIES)
      throw new UsageError(`unknown --property ${key}${hint ? ` (did you mean ${hint}?)` : ''}; known: ${PROPERTIES.join(', ')}`)
    }
    const value = entry.slice(eq + 1)
    if (key.startsWith('print.') && value !== 'true' && value !== 'false') throw new UsageError(`--property ${key} takes true or false, got "${value}"`)
    p[key] = value.replaceAll('\\t', '\t').replaceAll('\\n', '\n')
  }
  const on = (k: string) => p[k] === 'true'
  const sep = p['key.separator']
  const nul = p['null.literal']
  return (r) => {
    const fields: string[] = []
    if (on('print.timestamp')) fields.push(`CreateTime:${r.timestamp}`)
    if (on('print.partition')) fields.push(`Partition:${r.partition}`)
    if (on('print.offset')) fields.push(`Offset:${r.offset}`)
    if (on('print.headers')) fields.push(r.headers.length === 0 ? 'NO_HEADERS' : r.headers.map(([k, v]) => `${k}:${text(v) ?? nul}`).join(','))
    if (on('print.key')) fields.push(text(r.key) ?? nul)
    if (on('print.value')) fields.push(text(r.value) ?? nul)
    return fields.join(sep) + p['line.separator']
  }
}
