// The `eddy` CLI as a user runs it against a data directory: each data
// command spawned as a real process (bin/eddy.mjs) over a real temp directory,
// its output and exit code checked — topics, produce, consume, groups,
// offsets, usage errors, and the lock that keeps a second process off an open
// log. Edge cases of each command run in process in commands.test.ts.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eddy, start, tableRows, tempDir, waitFor } from './helpers.js'

const dir = tempDir('eddy-cli-')
const data = join(dir.path, 'data')
const D = ['--data-dir', data]
afterAll(() => dir.remove())

describe('eddy CLI on a data directory (spawned)', () => {
  beforeAll(async () => {
    const created = await eddy(['topics', '--create', '--topic', 'orders', '--partitions', '3', '--config', 'retention.ms=604800000', ...D])
    expect(created.stderr).toBe('')
    expect(created.code).toBe(0)
    expect(created.stdout).toBe('Created topic orders.\n')
  })

  it('eddy --help lists every command; a bad flag or number is a usage error (exit 2) naming it', async () => {
    // None of these opens the data directory, so they can run side by side.
    const [top, unknownFlag, badNumber] = await Promise.all([
      eddy(['--help']),
      eddy(['consume', '--topic', 'orders', '--frm-beginning', ...D]),
      eddy(['topics', '--create', '--topic', 'x', '--partitions', 'three', ...D]),
    ])
    expect(top.code).toBe(0)
    for (const command of ['topics', 'produce', 'consume', 'groups', 'offsets', 'partitions', 'serve', 'run', 'bench', 'demo']) expect(top.stdout).toMatch(new RegExp(`^  ${command} `, 'm'))
    expect(top.stdout).toContain('run job.ts')
    expect(unknownFlag.code).toBe(2)
    expect(unknownFlag.stderr).toBe('eddy consume: unknown flag --frm-beginning (did you mean --from-beginning?)\nrun "eddy consume --help" for usage\n')
    expect(badNumber.code).toBe(2)
    expect(badNumber.stderr).toContain('eddy topics: --partitions takes a positive integer, got "three"')
  })

  it('topics: alter, describe, list, and a duplicate refused (exit 1)', async () => {
    const altered = await eddy(['topics', '--alter', '--topic', 'orders', '--partitions', '4', '--config', 'cleanup.policy=delete', ...D])
    expect(altered.code).toBe(0)
    expect(altered.stdout).toBe('Topic orders now has 4 partitions.\nUpdated config of topic orders: cleanup.policy=delete.\n')
    const described = await eddy(['topics', '--describe', '--topic', 'orders', ...D])
    expect(described.code).toBe(0)
    const lines = described.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(/^Topic: orders\tTopicId: [0-9a-f-]{36}\tPartitionCount: 4\tReplicationFactor: 1\tConfigs: retention\.ms=604800000,cleanup\.policy=delete$/)
    expect(lines.slice(1)).toEqual([0, 1, 2, 3].map((p) => `\tTopic: orders\tPartition: ${p}\tLeader: 1\tReplicas: 1\tIsr: 1\tLogStartOffset: 0\tLogEndOffset: 0`))
    const list = await eddy(['topics', '--list', ...D])
    expect(list.code).toBe(0)
    expect(list.stdout).toBe('__consumer_offsets\norders\n')
    const duplicate = await eddy(['topics', '--create', '--topic', 'orders', ...D])
    expect(duplicate.code).toBe(1)
    expect(duplicate.stderr).toBe('eddy topics: topic "orders" already exists\n')
  })

  it('produce from stdin (keys, JSON) and consume with a kcat format; a bad JSON line stops the run there', async () => {
    const produced = await eddy(['produce', '--topic', 'orders', '--key-sep', ':', '--json', ...D], { input: 'ORD001:{"item":"x"}\nORD002:{"item":"y"}\n\nORD001:{"item":"z"}\n' })
    expect(produced.stderr).toBe('')
    expect(produced.code).toBe(0)
    expect(produced.stdout).toMatch(/^produced 3 records to orders \(partition \d: \d(, partition \d: \d)*\) in \d+\.\d\d s\n$/)

    const bad = await eddy(['produce', '--topic', 'orders', '--json', ...D], { input: '{"n":1}\n{"n":2}\n{"n":3\n{"n":4}\n' })
    expect(bad.code).toBe(1)
    expect(bad.stdout).toMatch(/^produced 2 records to orders/)
    expect(bad.stderr).toContain('eddy produce: line 3 is not valid JSON')
    expect(bad.stderr).toContain('the 2 records before it were sent and acknowledged, nothing from line 3 on was sent')

    const consumed = await eddy(['consume', '--topic', 'orders', '--from-beginning', '--max-messages', '5', '--format', '%k|%s|%p|%o|%T\\n', ...D])
    expect(consumed.code).toBe(0)
    expect(consumed.stderr).toBe('Processed a total of 5 messages\n')
    const rows = consumed.stdout.trimEnd().split('\n').map((l) => l.split('|'))
    expect(rows).toHaveLength(5)
    const keyed = rows.filter((r) => r[0] !== '')
    expect(keyed.map((r) => `${r[0]} ${r[1]}`).sort()).toEqual(['ORD001 {"item":"x"}', 'ORD001 {"item":"z"}', 'ORD002 {"item":"y"}'])
    // One key, one partition, consecutive offsets: what the murmur2 partitioner promises.
    const ord001 = keyed.filter((r) => r[0] === 'ORD001')
    expect(ord001[0][2]).toBe(ord001[1][2])
    expect(Number(ord001[1][3])).toBe(Number(ord001[0][3]) + 1)
    // Nothing from the bad line on was stored.
    expect(rows.filter((r) => r[0] === '').map((r) => r[1]).sort()).toEqual(['{"n":1}', '{"n":2}'])
    for (const r of rows) expect(Math.abs(Number(r[4]) - Date.now())).toBeLessThan(120_000)
  })

  it('produce --file shows a progress bar and spreads keys over partitions', async () => {
    const file = join(dir.path, 'lines.txt')
    writeFileSync(file, Array.from({ length: 1000 }, (_, i) => `k${i % 10}\t{"i":${i}}`).join('\n') + '\n')
    const produced = await eddy(['produce', '--topic', 'orders', '--file', file, '--key-sep', '\t', '--json', '--progress', '--compression', 'lz4', ...D])
    expect(produced.code).toBe(0)
    const spread = /^produced 1000 records to orders \(((?:partition \d: \d+(?:, )?)+)\) in /.exec(produced.stdout)
    expect(spread, produced.stdout).not.toBeNull()
    const counts = [...spread![1].matchAll(/partition (\d): (\d+)/g)].map((m) => Number(m[2]))
    expect(counts.length).toBeGreaterThan(1)
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1000)
    expect(produced.stderr).toContain('[##############################] 100%  1,000 records')
  })

  it('consume --group commits; groups --describe shows offsets and lag; --reset-offsets --execute moves them', async () => {
    await eddy(['topics', '--create', '--topic', 'events', '--partitions', '2', ...D])
    await eddy(['produce', '--topic', 'events', '--key-sep', '=', ...D], { input: 'a=1\nb=2\nc=3\nd=4\ne=5\nf=6\n' })
    const consumed = await eddy(['consume', '--topic', 'events', '--group', 'billing', '--from-beginning', '--max-messages', '6', ...D])
    expect(consumed.code).toBe(0)
    expect(consumed.stdout.trimEnd().split('\n').sort()).toEqual(['1', '2', '3', '4', '5', '6'])

    const described = await eddy(['groups', '--describe', '--group', 'billing', ...D])
    expect(described.code).toBe(0)
    expect(described.stdout).toContain("Consumer group 'billing' has no active members.")
    const table = tableRows(described.stdout)
    expect(table[0]).toEqual(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'])
    const body = table.slice(1)
    expect(body.map((r) => [r[0], r[1], r[2], r[5], r[6]])).toEqual([
      ['billing', 'events', '0', '0', '-'],
      ['billing', 'events', '1', '0', '-'],
    ])
    for (const r of body) expect(r[3]).toBe(r[4]) // committed up to the end
    expect(body.reduce((n, r) => n + Number(r[4]), 0)).toBe(6)

    const executed = await eddy(['groups', '--reset-offsets', '--group', 'billing', '--topic', 'events', '--to-earliest', '--execute', ...D])
    expect(executed.code).toBe(0)
    expect(tableRows(executed.stdout)).toEqual([
      ['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'],
      ['billing', 'events', '0', '0'],
      ['billing', 'events', '1', '0'],
    ])
    // The group starts over from the reset offsets.
    const again = await eddy(['consume', '--topic', 'events', '--group', 'billing', '--timeout-ms', '300', ...D])
    expect(again.code).toBe(0)
    expect(again.stdout.trimEnd().split('\n').sort()).toEqual(['1', '2', '3', '4', '5', '6'])
  })

  it('offsets: earliest, latest and the offset for a time, per partition', async () => {
    await eddy(['topics', '--create', '--topic', 'ticks', '--partitions', '2', ...D])
    await eddy(['produce', '--topic', 'ticks', '--partition', '1', ...D], { input: 'a\nb\nc\n' })
    const past = await eddy(['offsets', '--topic', 'ticks', '--time', new Date(Date.now() - 600_000).toISOString(), ...D])
    expect(past.code).toBe(0)
    expect(tableRows(past.stdout)).toEqual([
      ['TOPIC', 'PARTITION', 'EARLIEST', 'LATEST', 'OFFSET-FOR-TIME'],
      ['ticks', '0', '0', '0', '-'],
      ['ticks', '1', '0', '3', '0'],
    ])
  })

  it('consume runs until Ctrl-C; meanwhile the data directory is locked against other processes', async () => {
    const consumer = start(['consume', '--topic', 'ticks', '--group', 'watchers', ...D])
    let stdout = ''
    let stderr = ''
    consumer.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    consumer.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const exited = new Promise<number | null>((resolve) => consumer.on('exit', (code) => resolve(code)))
    try {
      // The consumer holds the lock once it has opened the log.
      const lockHolder = () => {
        try {
          return readFileSync(join(data, '.lock'), 'utf8').trim()
        } catch {
          return ''
        }
      }
      await waitFor(() => lockHolder() === String(consumer.pid) || consumer.exitCode !== null, 20_000, `the consumer to open the log (stderr: ${stderr})`)
      const refused = await eddy(['topics', '--list', ...D])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toBe(`eddy topics: data directory ${data} is in use by process ${consumer.pid}; use --bootstrap 127.0.0.1:9092\n`)
    } finally {
      consumer.kill('SIGINT')
    }
    expect(await exited).toBe(0)
    expect(stdout).toBe('')
    expect(stderr).toBe('Processed a total of 0 messages\n')
    // Released: the lock file is gone and the directory opens again.
    expect(() => readFileSync(join(data, '.lock'))).toThrow()
    const groupsList = await eddy(['groups', '--list', ...D])
    expect(groupsList.code).toBe(0)
    expect(groupsList.stdout).toBe('billing\n') // watchers printed nothing, so it committed nothing
  })

  it('defaults to ./eddy-data, and a missing data directory is an error rather than an empty log', async () => {
    const cwd = tempDir('eddy-cli-cwd-')
    try {
      const missing = await eddy(['topics', '--list'], { cwd: cwd.path })
      expect(missing.code).toBe(1)
      expect(missing.stderr).toContain('eddy topics: data directory ./eddy-data does not exist')
    } finally {
      cwd.remove()
    }
  })
})
