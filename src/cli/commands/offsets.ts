// `eddy offsets`: each partition's earliest and latest offset, and with --time
// the first offset at or after a time (kafka-get-offsets.sh, in one table).
import { TARGET_OPTIONS, targetHelp, formatTable, parseTime, runCommand, writeOut, type Args } from '../args.js'
import { withTarget } from './topics.js'

export const OFFSETS_USAGE = `usage: eddy offsets [--topic T] [--partition P] [--time ISO|MS]

Prints each partition's earliest offset (the first record kept), latest offset
(where the next record goes) and, with --time, the offset for that time: the
first record with a timestamp at or after it ("-" when there is none: a consumer
starting from that time would begin at LATEST).

options:
  --topic T               the topic (default: every topic but the internal ones)
  --partition P           only this partition
  --time ISO|MS           a time as ISO-8601 (2024-05-01T12:00:00Z) or epoch milliseconds
${targetHelp(26)}
  -h, --help              show this text

examples:
  eddy offsets --topic orders
  eddy offsets --topic orders --time 2024-05-01T12:00:00Z
  eddy offsets --bootstrap 127.0.0.1:9092`

export function offsets(argv: readonly string[]): Promise<number> {
  return runCommand(
    {
      name: 'offsets',
      usage: OFFSETS_USAGE,
      options: { ...TARGET_OPTIONS, topic: { type: 'string' }, partition: { type: 'string' }, time: { type: 'string' } },
      run,
    },
    argv,
  )
}

async function run(args: Args): Promise<number> {
  const topic = args.string('topic')
  const partition = args.int('partition', { min: 0 })
  const timeText = args.string('time')
  const time = timeText === undefined ? undefined : parseTime(timeText, '--time')
  return withTarget(args, false, async (target) => {
    let topics: string[]
    if (topic !== undefined) {
      const count = await target.partitionCount(topic)
      if (count === undefined) throw new Error(`unknown topic "${topic}" in the ${target.where}`)
      if (partition !== undefined && partition >= count) throw new Error(`topic "${topic}" has partitions 0..${count - 1}, not ${partition}`)
      topics = [topic]
    } else topics = (await target.listTopics()).filter((t) => !t.startsWith('__'))
    const header = ['TOPIC', 'PARTITION', 'EARLIEST', 'LATEST', ...(time === undefined ? [] : ['OFFSET-FOR-TIME'])]
    const rows: (string | number)[][] = []
    for (const t of topics) {
      const earliest = await target.offsets(t, 'earliest')
      const latest = new Map((await target.offsets(t, 'latest')).map((o) => [o.partition, o.offset]))
      const atTime = time === undefined ? undefined : new Map((await target.offsets(t, { timestamp: time })).map((o) => [o.partition, o.offset]))
      for (const e of earliest) {
        if (partition !== undefined && e.partition !== partition) continue
        const row: (string | number)[] = [t, e.partition, e.offset, latest.get(e.partition) ?? '-']
        if (atTime !== undefined) {
          const found = atTime.get(e.partition) ?? -1
          row.push(found < 0 ? '-' : found)
        }
        rows.push(row)
      }
    }
    await writeOut(`${formatTable(header, rows)}\n`)
    return 0
  })
}
