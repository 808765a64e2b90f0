// `eddy partitions suggest --target-throughput 50MB/s`: how many partitions a
// topic needs. With T the target throughput, Tp what one producer achieves on
// one partition and Tc what one consumer achieves on one partition, a topic
// needs N = max(ceil(T / Tp), ceil(T / Tc)) partitions. Tp and Tc are measured
// on this machine, briefly, in a temporary in-memory eddy (or given with --tp
// and --tc when measured elsewhere, e.g. against the real deployment).
import { UsageError, runCommand, writeOut, type Args } from '../args.js'

export const PARTITIONS_USAGE = `usage: eddy partitions suggest --target-throughput RATE [options]

Suggests a partition count for a topic that must carry RATE: with T the target,
Tp the throughput of one producer into one partition and Tc that of one consumer
reading one partition,

    N = max(ceil(T / Tp), ceil(T / Tc))

Tp and Tc are measured on this machine in a temporary in-memory eddy (a couple
of seconds at most), or given with --tp and --tc.

RATE is a number with a unit: B/s, KB/s, MB/s, GB/s (powers of 1000), KiB/s,
MiB/s, GiB/s, or records/s (which needs --record-size).

options:
  --target-throughput RATE  what the topic must carry, e.g. 50MB/s or 200000records/s
  --record-size SIZE        bytes per record value in the measurement, e.g. 512, 1KB, 1KiB (default 1KiB)
  --tp RATE                 producer throughput per partition, instead of measuring it
  --tc RATE                 consumer throughput per partition, instead of measuring it
  --measure-ms MS           time budget of each measurement (default 1000)
  -h, --help                show this text

examples:
  eddy partitions suggest --target-throughput 50MB/s
  eddy partitions suggest --target-throughput 100000records/s --record-size 200
  eddy partitions suggest --target-throughput 1GB/s --tp 60MB/s --tc 120MB/s`

export function partitions(argv: readonly string[]): Promise<number> {
  return runCommand(
    {
      name: 'partitions',
      usage: PARTITIONS_USAGE,
      positionals: 1,
      options: {
        'target-throughput': { type: 'string' },
        'record-size': { type: 'string' },
        tp: { type: 'string' },
        tc: { type: 'string' },
        'measure-ms': { type: 'string' },
      },
      run,
    },
    argv,
  )
}

export interface Rate {
  /** Bytes per second, or records per second when `records`. */
  value: number
  records: boolean
  /** The unit as the user wrote it, for printing results in it. */
  unit: string
  /** Its size in bytes (or records) per second. */
  scale: number
}

const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 }

/** "50MB/s", "1.5 GiB/s", "20000 records/s", "20k records/s". */
export function parseRate(text: string, what: string): Rate {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:(b|kb|mb|gb|kib|mib|gib)|([kmg]?)\s*(?:records?|recs?|msgs?|messages?))\s*\/\s*s(?:ec)?\s*$/i.exec(text)
  if (!m) throw new UsageError(`${what} takes a rate such as 50MB/s, 512KiB/s or 20000records/s, got "${text}"`)
  const number = Number(m[1])
  if (m[2] !== undefined) {
    const unit = m[2].toLowerCase()
    const canonical = { b: 'B', kb: 'KB', mb: 'MB', gb: 'GB', kib: 'KiB', mib: 'MiB', gib: 'GiB' }[unit]!
    return { value: number * BYTE_UNITS[unit], records: false, unit: `${canonical}/s`, scale: BYTE_UNITS[unit] }
  }
  const multiplier = m[3] ? { k: 1e3, m: 1e6, g: 1e9 }[m[3].toLowerCase() as 'k' | 'm' | 'g'] : 1
  return { value: number * multiplier, records: true, unit: 'records/s', scale: 1 }
}

/** "1024", "1KB", "1 KiB". */
export function parseSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|kib|mib)?\s*$/i.exec(text)
  if (!m) throw new UsageError(`${what} takes a size in bytes such as 512, 1KB or 1KiB, got "${text}"`)
  const bytes = Math.round(Number(m[1]) * (BYTE_UNITS[(m[2] ?? 'b').toLowerCase()] ?? 1))
  if (bytes < 1 || bytes > 16 * 1024 * 1024) throw new UsageError(`${what} must be between 1 byte and 16 MiB, got "${text}"`)
  return bytes
}

async function run(args: Args): Promise<number> {
  const sub = args.positionals[0]
  if (sub === undefined) throw new UsageError('eddy partitions needs a subcommand: suggest')
  if (sub !== 'suggest') throw new UsageError(`unknown subcommand "${sub}" (eddy partitions has: suggest)`)
  const target = parseRate(args.require('target-throughput'), '--target-throughput')
  if (target.value <= 0) throw new UsageError('--target-throughput must be more than 0')
  const recordSizeText = args.string('record-size')
  const tpGiven = args.string('tp') === undefined ? undefined : parseRate(args.string('tp')!, '--tp')
  const tcGiven = args.string('tc') === undefined ? undefined : parseRate(args.string('tc')!, '--tc')
  const needsRecordSize = [target, tpGiven, tcGiven].some((r) => r?.records) && [target, tpGiven, tcGiven].some((r) => r !== undefined && !r.records)
  const measuring = tpGiven === undefined || tcGiven === undefined
  if (target.records && recordSizeText === undefined && (measuring || needsRecordSize)) {
    throw new UsageError('a target in records/s needs --record-size, the bytes per record to measure with')
  }
  if (needsRecordSize && recordSizeText === undefined) throw new UsageError('mixing records/s and bytes/s needs --record-size to convert between them')
  const recordSize = recordSizeText === undefined ? 1024 : parseSize(recordSizeText, '--record-size')
  const measureMs = args.int('measure-ms', { min: 50, max: 60_000 }) ?? 1000
  for (const [r, flag] of [[tpGiven, '--tp'], [tcGiven, '--tc']] as const) if (r !== undefined && r.value <= 0) throw new UsageError(`${flag} must be more than 0`)

  /** A rate in the target's unit. */
  const inTargetUnit = (bytesPerSecond: number) => (target.records ? bytesPerSecond / recordSize : bytesPerSecond / target.scale)
  const toBytes = (r: Rate) => (r.records ? r.value * recordSize : r.value)

  const measured = measuring ? await measure(recordSize, measureMs, tpGiven === undefined, tcGiven === undefined) : undefined
  const tp = tpGiven !== undefined ? toBytes(tpGiven) : measured!.producer!.bytesPerSecond
  const tc = tcGiven !== undefined ? toBytes(tcGiven) : measured!.consumer!.bytesPerSecond
  const T = inTargetUnit(toBytes(target))
  const Tp = inTargetUnit(tp)
  const Tc = inTargetUnit(tc)
  const np = Math.ceil(T / Tp)
  const nc = Math.ceil(T / Tc)
  const n = Math.max(np, nc, 1)
  const unit = target.unit
  const how = (given: Rate | undefined, m: Measurement | undefined) =>
    given !== undefined
      ? '(given)'
      : `(measured: ${m!.records.toLocaleString('en-US')} records of ${recordSize.toLocaleString('en-US')} B in ${(m!.ms / 1000).toFixed(2)} s, in-memory eddy on this machine)`
  const lines = [
    `target throughput          T  = ${fmt(T)} ${unit}`,
    `producer, one partition    Tp = ${fmt(Tp)} ${unit} ${how(tpGiven, measured?.producer)}`,
    `consumer, one partition    Tc = ${fmt(Tc)} ${unit} ${how(tcGiven, measured?.consumer)}`,
    '',
    `N = max(ceil(T/Tp), ceil(T/Tc)) = max(ceil(${fmt(T)}/${fmt(Tp)}), ceil(${fmt(T)}/${fmt(Tc)})) = max(${np}, ${nc}) = ${n}`,
    `suggested partitions: ${n}`,
  ]
  if (measuring) {
    lines.push('', 'These rates are measured in one process without a network or a disk; a deployment is usually slower.', 'Measure your clients against it and pass --tp and --tc for a better estimate.')
  }
  await writeOut(`${lines.join('\n')}\n`)
  return 0
}

function fmt(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US').replaceAll(',', '')
  return String(Number(n.toPrecision(3)))
}

interface Measurement {
  records: number
  bytes: number
  ms: number
  bytesPerSecond: number
}

/**
 * One producer sending to a one-partition topic (acks=all, default batching)
 * for up to `budgetMs` or 64 MiB, then one consumer reading that partition
 * from the start (again, while time remains) for up to `budgetMs`.
 */
async function measure(recordSize: number, budgetMs: number, producer: boolean, consumer: boolean): Promise<{ producer?: Measurement; consumer?: Measurement }> {
  const { Eddy } = await import('../../eddy.js')
  const eddy = await Eddy.open()
  try {
    await eddy.admin.createTopic('partitions-suggest', { partitions: 1 })
    const value = new Uint8Array(recordSize)
    for (let i = 0; i < value.length; i++) value[i] = (i * 7919) & 0xff
    const chunk = Array.from({ length: Math.max(1, Math.min(1000, Math.floor((1 << 20) / recordSize))) }, () => ({ value }))
    const p = eddy.producer({ acks: 'all' })
    await p.send('partitions-suggest', chunk) // warm-up
    const byteCap = 64 * 1024 * 1024
    let records = 0
    const started = performance.now()
    while (performance.now() - started < budgetMs && records * recordSize < byteCap) {
      await p.send('partitions-suggest', chunk)
      records += chunk.length
    }
    await p.flush()
    const producerMs = performance.now() - started
    const result: { producer?: Measurement; consumer?: Measurement } = {}
    if (producer) result.producer = { records, bytes: records * recordSize, ms: producerMs, bytesPerSecond: (records * recordSize) / (producerMs / 1000) }
    if (consumer) {
      const c = eddy.consumer({ keyDeserializer: 'bytes', valueDeserializer: 'bytes', maxPollRecords: 5000 })
      const tp = { topic: 'partitions-suggest', partition: 0 }
      c.assign([tp])
      let read = 0
      const cStarted = performance.now()
      while (performance.now() - cStarted < budgetMs) {
        await c.seekToBeginning([tp])
        for (;;) {
          const got = await c.poll({ maxRecords: 5000, timeoutMs: 0 })
          if (got.length === 0) break
          read += got.length
          if (performance.now() - cStarted >= budgetMs) break
        }
      }
      const consumerMs = performance.now() - cStarted
      await c.close()
      result.consumer = { records: read, bytes: read * recordSize, ms: consumerMs, bytesPerSecond: (read * recordSize) / (consumerMs / 1000) }
    }
    return result
  } finally {
    await eddy.close()
  }
}
