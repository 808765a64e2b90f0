// The edge cases of each command, run in this process (the spawned tests in
// embedded.test.ts, server.test.ts and tools.test.ts cover each command as a
// user runs it): --help everywhere, usage errors naming the flag (exit 2),
// runtime errors (exit 1), the print formats, the group views with a live
// member, reset specs, and the data directory lock.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { Eddy } from '../../src/eddy.js'
import { startKafkaServer, type KafkaServer } from '../../src/kafka/server.js'
import { closest, parseCommandArgs, UsageError } from '../../src/cli/args.js'
import { bench } from '../../src/cli/commands/bench.js'
import { consume, kafkaFormat, kcatFormat } from '../../src/cli/commands/consume.js'
import { groups } from '../../src/cli/commands/groups.js'
import { offsets } from '../../src/cli/commands/offsets.js'
import { partitions, parseRate, parseSize } from '../../src/cli/commands/partitions.js'
import { produce, progressLine } from '../../src/cli/commands/produce.js'
import { topics } from '../../src/cli/commands/topics.js'
import { DataDirInUseError, lockDataDir, type RecordOut } from '../../src/cli/target.js'
import { tableRows, tempDir } from './helpers.js'

type Command = (argv: readonly string[]) => Promise<number>

/** Runs a command in process, capturing what it writes. */
async function cli(command: Command, argv: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  })
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  })
  try {
    const code = await command(argv)
    return { code, stdout, stderr }
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
}

const dir = tempDir('eddy-cli-inproc-')
const data = join(dir.path, 'data')
const D = ['--data-dir', data]
afterAll(() => dir.remove())

describe('every command has --help', () => {
  it.each([
    ['topics', topics],
    ['produce', produce],
    ['consume', consume],
    ['groups', groups],
    ['offsets', offsets],
    ['partitions', partitions],
    ['bench', bench],
  ] as [string, Command][])('eddy %s --help', async (name, command) => {
    const result = await cli(command, ['--help'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(new RegExp(`^usage: eddy ${name} `))
    expect(result.stdout).toMatch(/\nexamples?:\n {2}.*eddy /)
    expect((await cli(command, ['-h'])).stdout).toBe(result.stdout)
  })
})

describe('usage errors name the flag and exit 2', () => {
  it.each([
    [topics, ['--list', '--bootstrap-servr', 'x'], 'unknown flag --bootstrap-servr (did you mean --bootstrap-server?)'],
    [topics, [], 'eddy topics needs an action: give one of --create, --list, --describe, --alter, --delete'],
    [topics, ['--create', '--list'], '--create and --list cannot be used together'],
    [topics, ['--create'], '--topic is required'],
    [topics, ['--create', '--topic', 'a b'], '--topic: topic name "a b" contains " "'],
    [topics, ['--create', '--topic', 't', '--replication-factor', '3'], '--replication-factor must be 1'],
    [topics, ['--create', '--topic', 't', '--config', 'retention.ms'], '--config takes KEY=VALUE, got "retention.ms"'],
    [topics, ['--create', '--topic', 't', '--config', 'retention.ms=soon'], '--config: retention.ms'],
    [topics, ['--list', '--topic', 't'], '--topic does not apply to --list'],
    [topics, ['--alter', '--topic', 't'], '--alter needs --partitions, --config or --delete-config'],
    [topics, ['--list', '--topic'], '--topic needs a value'],
    [topics, ['--list', '--bootstrap', 'localhost'], '--bootstrap takes HOST:PORT (e.g. 127.0.0.1:9092), got "localhost"'],
    [topics, ['--list', '--bootstrap', '127.0.0.1:9092', '--data-dir', 'd'], '--data-dir and --bootstrap cannot be used together'],
    [produce, ['--topic', 't', '--compression', 'snapy'], '--compression takes none, gzip, snappy, lz4, zstd, got "snapy" (did you mean snappy?)'],
    [produce, ['--topic', 't', '--partition', '-1'], '--partition must be at least 0, got -1'],
    [produce, ['--topic', 't', '--batch', '0'], '--batch must be between 1 and 100000, got 0'],
    [produce, ['--topic', 't', '--header', 'novalue'], '--header takes KEY=VALUE, got "novalue"'],
    [produce, ['--topic', 't', '--json=yes'], '--json takes no value'],
    [consume, ['--topic', 't', '--offset', '5'], '--offset needs --partition'],
    [consume, ['--topic', 't', '--partition', '0', '--offset', 'soon'], '--offset takes a non-negative integer, got "soon"'],
    [consume, ['--topic', 't', '--format', '%x'], '--format: unknown token %x'],
    [consume, ['--topic', 't', '--property', 'print.keys=true'], 'unknown --property print.keys (did you mean print.key?)'],
    [consume, ['--topic', 't', '--max-messages', '0'], '--max-messages must be at least 1, got 0'],
    [consume, ['--topic', 't', '--json', '--format', '%s'], '--format and --json cannot be used together'],
    [consume, ['--topic', 't', '--from-beginning', '--partition', '0', '--offset', '3'], '--offset and --from-beginning cannot be used together'],
    [groups, ['--describe'], '--describe needs --group G or --all-groups'],
    [groups, ['--reset-offsets', '--group', 'g', '--topic', 't'], '--reset-offsets needs a reset spec: give one of --to-earliest'],
    [groups, ['--reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--to-latest'], '--to-earliest and --to-latest cannot be used together'],
    [groups, ['--reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--execute', '--dry-run'], '--execute and --dry-run cannot be used together'],
    [groups, ['--reset-offsets', '--group', 'g', '--to-earliest'], '--reset-offsets needs --topic T or --all-topics'],
    [groups, ['--reset-offsets', '--group', 'g', '--topic', 't:x', '--to-earliest'], '--topic t:x: partition takes a non-negative integer, got "x"'],
    [groups, ['--reset-offsets', '--group', 'g', '--topic', 't', '--to-datetime', 'noon'], '--to-datetime takes an ISO-8601 time'],
    [groups, ['--list', '--to-earliest'], '--to-earliest does not apply to --list'],
    [offsets, ['--time', 'yesterday'], '--time takes an ISO-8601 time (2024-05-01T12:00:00Z) or epoch milliseconds, got "yesterday"'],
    [offsets, ['--partition', 'one'], '--partition takes a non-negative integer, got "one"'],
    [partitions, [], 'eddy partitions needs a subcommand: suggest'],
    [partitions, ['sugest'], 'unknown subcommand "sugest"'],
    [partitions, ['suggest'], '--target-throughput is required'],
    [partitions, ['suggest', '--target-throughput', '1000records/s'], 'a target in records/s needs --record-size'],
    [partitions, ['suggest', '--target-throughput', '1MB/s', '--record-size', '0'], '--record-size must be between 1 byte and 16 MiB'],
    [bench, ['hashing', '--fast'], 'unknown flag --fast'],
  ] as [Command, string[], string][])('%#: %s', async (command, argv, message) => {
    const result = await cli(command, argv)
    expect(result.stderr).toContain(message)
    expect(result.stderr).toMatch(/run "eddy \w+ --help" for usage\n$/)
    expect(result.code).toBe(2)
    expect(result.stdout).toBe('')
  })
})

describe('on a data directory, in process', () => {
  beforeAll(async () => {
    expect((await cli(topics, ['--create', '--topic', 'orders', '--partitions', '2', ...D])).code).toBe(0)
    const file = join(dir.path, 'orders.txt')
    writeFileSync(file, 'k1=v1\nk2=v2\nk3=v3\nk4=v4\n')
    const produced = await cli(produce, ['--topic', 'orders', '--file', file, '--key-sep', '=', '--header', 'source=cli', '--partition', '1', ...D])
    expect(produced.stdout).toMatch(/^produced 4 records to orders \(partition 1: 4\)/)
    expect(produced.stderr).toBe('') // no progress bar: stderr is not a terminal here
  })

  it('topics: runtime errors exit 1; --if-exists / --if-not-exists succeed quietly; --delete', async () => {
    expect(await cli(topics, ['--describe', '--topic', 'nope', ...D])).toEqual({ code: 1, stdout: '', stderr: 'eddy topics: unknown topic "nope"\n' })
    expect(await cli(topics, ['--describe', '--topic', 'nope', '--if-exists', ...D])).toEqual({ code: 0, stdout: '', stderr: '' })
    expect(await cli(topics, ['--create', '--topic', 'orders', '--if-not-exists', ...D])).toEqual({ code: 0, stdout: '', stderr: '' })
    const shrink = await cli(topics, ['--alter', '--topic', 'orders', '--partitions', '1', ...D])
    expect(shrink.code).toBe(1)
    expect(shrink.stderr).toBe('eddy topics: topic "orders" has 2 partitions; --partitions must be larger (Kafka never removes partitions), got 1\n')
    expect((await cli(topics, ['--create', '--topic', 'scratch', '--config', 'retention.ms=1000', ...D])).code).toBe(0)
    expect((await cli(topics, ['--alter', '--topic', 'scratch', '--delete-config', 'retention.ms', ...D])).stdout).toBe('Updated config of topic scratch: retention.ms (removed).\n')
    expect((await cli(topics, ['--describe', '--topic', 'scratch', ...D])).stdout).toMatch(/\tConfigs: \n/)
    expect(await cli(topics, ['--delete', '--topic', 'scratch', ...D])).toEqual({ code: 0, stdout: 'Deleted topic scratch.\n', stderr: '' })
    expect((await cli(topics, ['--list', '--exclude-internal', ...D])).stdout).toBe('orders\n')
    const internal = await cli(topics, ['--delete', '--topic', '__consumer_offsets', ...D])
    expect(internal.code).toBe(1)
    expect(internal.stderr).toContain('internal topic "__consumer_offsets" cannot be deleted')
  })

  it('consume: Kafka formatter properties, headers, --json, --partition with --offset, and an idle timeout', async () => {
    const kafka = await cli(consume, ['--topic', 'orders', '--partition', '1', '--offset', '2', '--max-messages', '2', '--property', 'print.key=true', '--property', 'print.headers=true', '--property', 'key.separator=|', ...D])
    expect(kafka.code).toBe(0)
    expect(kafka.stdout).toBe('source:cli|k3|v3\nsource:cli|k4|v4\n')
    expect(kafka.stderr).toBe('Processed a total of 2 messages\n')

    const json = await cli(consume, ['--topic', 'orders', '--from-beginning', '--max-messages', '1', '--json', ...D])
    expect(JSON.parse(json.stdout)).toEqual({ topic: 'orders', partition: 1, offset: 0, timestamp: expect.any(Number), key: 'k1', value: 'v1', headers: { source: 'cli' } })

    const started = Date.now()
    const idle = await cli(consume, ['--topic', 'orders', '--partition', '1', '--offset', 'latest', '--timeout-ms', '300', ...D])
    expect(idle).toEqual({ code: 0, stdout: '', stderr: 'Processed a total of 0 messages\n' })
    expect(Date.now() - started).toBeLessThan(10_000)

    const noTopic = await cli(consume, ['--topic', 'nope', ...D])
    expect(noTopic.code).toBe(1)
    expect(noTopic.stderr).toContain('unknown topic "nope"')
    const noPartition = await cli(consume, ['--topic', 'orders', '--partition', '7', ...D])
    expect(noPartition.code).toBe(2)
    expect(noPartition.stderr).toContain('--partition 7: topic "orders" has partitions 0..1')
  })

  it('groups: --list --state, --describe --members/--state, reset specs (--shift-by, --to-datetime, --all-topics), --delete', async () => {
    expect((await cli(consume, ['--topic', 'orders', '--group', 'g1', '--from-beginning', '--max-messages', '3', ...D])).code).toBe(0)
    expect(tableRows((await cli(groups, ['--list', '--state', ...D])).stdout)).toEqual([
      ['GROUP', 'STATE'],
      ['g1', 'Empty'],
    ])
    expect((await cli(groups, ['--describe', '--group', 'g1', '--members', ...D])).stdout).toBe("\nConsumer group 'g1' has no active members.\n")
    const all = await cli(groups, ['--describe', '--all-groups', ...D])
    expect(tableRows(all.stdout).slice(1)).toEqual([['g1', 'orders', '1', '3', '4', '1', '-', '-', '-']])

    const shift = await cli(groups, ['--reset-offsets', '--group', 'g1', '--all-topics', '--shift-by', '-2', '--dry-run', ...D])
    expect(shift.code).toBe(0)
    expect(tableRows(shift.stdout).slice(1)).toEqual([
      ['g1', 'orders', '0', '0'],
      ['g1', 'orders', '1', '1'],
    ])
    const clamped = await cli(groups, ['--reset-offsets', '--group', 'g1', '--topic', 'orders:1', '--to-offset', '99', ...D])
    expect(tableRows(clamped.stdout).slice(1)).toEqual([['g1', 'orders', '1', '4']])
    const byTime = await cli(groups, ['--reset-offsets', '--group', 'g1', '--topic', 'orders', '--to-datetime', new Date(Date.now() + 3_600_000).toISOString(), '--execute', ...D])
    expect(byTime.stderr).toBe('')
    expect(tableRows(byTime.stdout).slice(1)).toEqual([
      ['g1', 'orders', '0', '0'],
      ['g1', 'orders', '1', '4'],
    ])
    expect(tableRows((await cli(groups, ['--describe', '--group', 'g1', ...D])).stdout).slice(1).map((r) => r[5])).toEqual(['0', '0'])

    const missing = await cli(groups, ['--describe', '--group', 'nobody', ...D])
    expect(missing).toEqual({ code: 1, stdout: '', stderr: 'eddy groups: consumer group "nobody" does not exist\n' })
    expect((await cli(groups, ['--delete', '--group', 'g1', ...D])).stdout).toBe("Deletion of requested consumer groups ('g1') was successful.\n")
    expect((await cli(groups, ['--list', ...D])).stdout).toBe('')
  })

  it('offsets: every topic without --topic; one partition with --partition', async () => {
    expect(tableRows((await cli(offsets, D)).stdout)).toEqual([
      ['TOPIC', 'PARTITION', 'EARLIEST', 'LATEST'],
      ['orders', '0', '0', '0'],
      ['orders', '1', '0', '4'],
    ])
    expect(tableRows((await cli(offsets, ['--topic', 'orders', '--partition', '1', ...D])).stdout).slice(1)).toEqual([['orders', '1', '0', '4']])
    expect((await cli(offsets, ['--topic', 'nope', ...D])).stderr).toContain('unknown topic "nope"')
  })

  it('EDDY_DATA_DIR chooses the data directory', async () => {
    const saved = process.env.EDDY_DATA_DIR
    process.env.EDDY_DATA_DIR = data
    try {
      expect((await cli(topics, ['--list', '--exclude-internal'])).stdout).toBe('orders\n')
    } finally {
      if (saved === undefined) delete process.env.EDDY_DATA_DIR
      else process.env.EDDY_DATA_DIR = saved
    }
  })

  it('refuses a directory that is not an eddy data directory', async () => {
    const other = tempDir('eddy-cli-other-')
    try {
      writeFileSync(join(other.path, 'notes.txt'), 'hello')
      const result = await cli(topics, ['--list', '--data-dir', other.path])
      expect(result.code).toBe(1)
      expect(result.stderr).toContain('is not an eddy data directory (it has files but no topics.json)')
    } finally {
      other.remove()
    }
  })
})

describe('the data directory lock', () => {
  it('refuses while a live process holds it, takes over a dead one, releases on close', async () => {
    const lockDir = tempDir('eddy-cli-lock-')
    const sleeper = spawn('sleep', ['30'])
    try {
      const lockFile = join(lockDir.path, '.lock')
      writeFileSync(lockFile, `${sleeper.pid}\n`)
      expect(() => lockDataDir(lockDir.path)).toThrow(DataDirInUseError)
      expect(() => lockDataDir(lockDir.path)).toThrow(`data directory ${lockDir.path} is in use by process ${sleeper.pid}; use --bootstrap 127.0.0.1:9092`)
      const exited = new Promise((resolve) => sleeper.once('exit', resolve))
      sleeper.kill('SIGKILL')
      await exited
      const release = lockDataDir(lockDir.path) // the holder is dead: a stale lock is taken over
      expect(readFileSync(lockFile, 'utf8')).toBe(`${process.pid}\n`)
      release()
      expect(existsSync(lockFile)).toBe(false)
    } finally {
      sleeper.kill('SIGKILL')
      lockDir.remove()
    }
  })
})

describe('against a running server, in process', () => {
  let served: Eddy
  let server: KafkaServer
  let B: string[]
  beforeAll(async () => {
    served = await Eddy.open()
    server = await startKafkaServer(served, { port: 0, log: () => {} })
    B = ['--bootstrap', `127.0.0.1:${server.port}`]
    await served.admin.createTopic('live', { partitions: 2 })
    await served.producer().send('live', [
      { key: 'a', value: '1' },
      { key: 'b', value: '2' },
      { key: 'c', value: '3' },
    ])
  })
  afterAll(async () => {
    await server?.close()
    await served?.close()
  })

  it('groups --describe shows a live member, its assignment and lag; --reset-offsets --execute is refused while it runs', async () => {
    const member = served.consumer({ groupId: 'watchers', clientId: 'dashboard', autoOffsetReset: 'earliest' })
    await member.subscribe(['live'])
    let seen = 0
    for (let i = 0; i < 50 && seen < 1; i++) seen += (await member.poll({ timeoutMs: 100, maxRecords: 1 })).length
    await member.commitSync()
    try {
      const members = await cli(groups, ['--describe', '--group', 'watchers', '--members', ...B])
      expect(members.code).toBe(0)
      const rows = tableRows(members.stdout)
      expect(rows[0]).toEqual(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'])
      expect(rows[1][0]).toBe('watchers')
      expect(rows[1][3]).toBe('dashboard')
      expect(rows[1].slice(4)).toEqual(['2', 'live(0,1)'])
      const described = await cli(groups, ['--describe', '--group', 'watchers', ...B])
      const offsetRows = tableRows(described.stdout).slice(1)
      expect(offsetRows.map((r) => [r[1], r[2], r[6]])).toEqual([
        ['live', '0', rows[1][1]],
        ['live', '1', rows[1][1]],
      ])
      expect(offsetRows.reduce((n, r) => n + (r[5] === '-' ? Number(r[4]) : Number(r[5])), 0)).toBe(3 - seen)
      const state = await cli(groups, ['--describe', '--group', 'watchers', '--state', ...B])
      expect(tableRows(state.stdout)[1]).toEqual(['watchers', 'range', 'Stable', '1'])
      const refused = await cli(groups, ['--reset-offsets', '--group', 'watchers', '--topic', 'live', '--to-earliest', '--execute', ...B])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toContain("assignments can only be reset if the group 'watchers' is inactive, but the current state is Stable")
    } finally {
      await member.close()
    }
  })

  it('topics --list/--delete, consume --json and --partition/--offset, offsets, and the unsupported admin calls', async () => {
    expect((await cli(topics, ['--list', '--exclude-internal', ...B])).stdout).toBe('live\n')
    const json = await cli(consume, ['--topic', 'live', '--from-beginning', '--max-messages', '3', '--json', ...B])
    expect(json.code).toBe(0)
    const values = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l) as { key: string; value: string })
    expect(values.map((v) => `${v.key}=${v.value}`).sort()).toEqual(['a=1', 'b=2', 'c=3'])
    const ends = await served.admin.listOffsets('live', 'latest')
    const full = ends.find((e) => e.offset >= 2)!
    const one = await cli(consume, ['--topic', 'live', '--partition', String(full.partition), '--offset', '1', '--max-messages', '1', '--format', '%p:%o', ...B])
    expect(one.stdout).toBe(`${full.partition}:1`)
    expect(tableRows((await cli(offsets, ['--topic', 'live', ...B])).stdout).slice(1)).toEqual(ends.map((e) => ['live', String(e.partition), '0', String(e.offset)]))
    const config = await cli(topics, ['--alter', '--topic', 'live', '--config', 'retention.ms=1000', ...B])
    expect(config.code).toBe(1)
    expect(config.stderr).toContain("changing topic config over --bootstrap needs Kafka's AlterConfigs API")
    const deleteGroup = await cli(groups, ['--delete', '--group', 'watchers', ...B])
    expect(deleteGroup.code).toBe(1)
    expect(deleteGroup.stderr).toContain("deleting a group over --bootstrap needs Kafka's DeleteGroups API")
    expect(await cli(topics, ['--delete', '--topic', 'live', ...B])).toEqual({ code: 0, stdout: 'Deleted topic live.\n', stderr: '' })
    expect(served.admin.listTopics()).toEqual([])
    const unknown = await cli(consume, ['--topic', 'live', ...B])
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toContain('unknown topic "live" in the server 127.0.0.1:')
  })
})

describe('docs/cli.md', () => {
  const doc = readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'cli.md'), 'utf8')
  const sections = new Map(
    doc
      .split(/^## /m)
      .slice(1)
      .map((section) => [/^eddy (\w+)/.exec(section)?.[1] ?? '', section] as const),
  )
  it.each([
    ['topics', topics],
    ['produce', produce],
    ['consume', consume],
    ['groups', groups],
    ['offsets', offsets],
    ['partitions', partitions],
    ['bench', bench],
  ] as [string, Command][])('every flag the %s section mentions is one the command takes', async (name, command) => {
    const section = sections.get(name)
    expect(section, `a "## eddy ${name}" section`).toBeDefined()
    const help = (await cli(command, ['--help'])).stdout
    const flags = new Set(section!.match(/--[a-z][a-z-]*/g) ?? [])
    for (const flag of flags) expect(help, `${flag} in eddy ${name} --help`).toContain(flag)
  })
})

describe('formats and parsers', () => {
  const record: RecordOut = {
    topic: 'orders',
    partition: 2,
    offset: 41,
    timestamp: 1_700_000_000_000,
    key: new TextEncoder().encode('ORD001'),
    value: new TextEncoder().encode('{"item":"x"}'),
    headers: [['source', new TextEncoder().encode('web')]],
  }

  it("kcat's -f tokens and escapes", () => {
    expect(kcatFormat('%k %s %p %o %T\\n')(record)).toBe('ORD001 {"item":"x"} 2 41 1700000000000\n')
    expect(kcatFormat('%t[%p]@%o\\t%h %K/%S 100%%')(record)).toBe('orders[2]@41\tsource=web 6/12 100%')
    expect(kcatFormat('%k|%s\\n')({ ...record, key: null, value: null })).toBe('|\n')
    expect(kcatFormat('%K %S')({ ...record, key: null, value: null })).toBe('-1 -1')
    expect(() => kcatFormat('%q')).toThrow(UsageError)
  })

  it("kafka-console-consumer's formatter properties", () => {
    expect(kafkaFormat([])(record)).toBe('{"item":"x"}\n')
    expect(kafkaFormat(['print.timestamp=true', 'print.partition=true', 'print.offset=true', 'print.key=true'])(record)).toBe('CreateTime:1700000000000\tPartition:2\tOffset:41\tORD001\t{"item":"x"}\n')
    expect(kafkaFormat(['print.key=true', 'print.value=false', 'null.literal=<none>'])({ ...record, key: null })).toBe('<none>\n')
    expect(kafkaFormat(['print.headers=true', 'line.separator=;'])({ ...record, headers: [] })).toBe('NO_HEADERS\t{"item":"x"};')
  })

  it('rates and sizes', () => {
    expect(parseRate('50MB/s', 'x')).toMatchObject({ value: 50e6, records: false, unit: 'MB/s' })
    expect(parseRate('1.5 GiB/s', 'x')).toMatchObject({ value: 1.5 * 1024 ** 3, unit: 'GiB/s' })
    expect(parseRate('20k records/s', 'x')).toMatchObject({ value: 20_000, records: true })
    expect(parseRate('300 msg/sec', 'x')).toMatchObject({ value: 300, records: true })
    expect(() => parseRate('50MB', 'x')).toThrow(UsageError)
    expect(parseSize('1KiB', 'x')).toBe(1024)
    expect(parseSize('1 KB', 'x')).toBe(1000)
    expect(parseSize('200', 'x')).toBe(200)
  })

  it('the progress line', () => {
    expect(progressLine(50, 100, 1234, 1000, 10)).toBe('[#####.....]  50%  1,234 records  0.0 MB/s')
    expect(progressLine(2e6, 2e6, 10, 1000, 4)).toBe('[####] 100%  10 records  2.0 MB/s')
  })

  it('the parser: strict flags, negative values, suggestions', () => {
    const spec = { 'shift-by': { type: 'string' as const }, topic: { type: 'string' as const, multiple: true }, execute: { type: 'boolean' as const } }
    const args = parseCommandArgs('groups', ['--shift-by', '-5', '--topic', 'a', '--topic', 'b', '--execute'], spec)
    expect(args.int('shift-by')).toBe(-5)
    expect(args.list('topic')).toEqual(['a', 'b'])
    expect(args.flag('execute')).toBe(true)
    expect(() => parseCommandArgs('groups', ['--exceute'], spec)).toThrow('unknown flag --exceute (did you mean --execute?)')
    expect(() => parseCommandArgs('groups', ['stray'], spec)).toThrow('unexpected argument "stray"')
    expect(() => parseCommandArgs('groups', ['-x'], spec)).toThrow('unknown flag -x')
    expect(closest('--from', ['--from-beginning', '--format'])).toBe('--from-beginning') // a unique prefix
    expect(closest('--fromat', ['--from-beginning', '--format'])).toBe('--format')
    expect(closest('--zzzzzzzz', ['--from-beginning'])).toBeUndefined()
  })
})
