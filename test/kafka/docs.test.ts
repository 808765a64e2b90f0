// Proves the examples in docs/kafka-protocol.md work as written: the
// TypeScript block runs; the kcat, confluent-kafka, kafka-python and kafkajs
// snippets of "Use your Kafka clients" run against a live server (the address
// 127.0.0.1:9092 pointed at it), and the ones that consume forever are stopped
// once they have printed the order they were sent.
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KCAT, PYTHON, requireClients, run, startHarness, type Harness } from './helpers.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const doc = readFileSync(join(root, 'docs', 'kafka-protocol.md'), 'utf8')
const blocks = (lang: string) => [...doc.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1])
const workDir = join(root, 'scratch', 'kafka-doc-examples')
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs')

let h: Harness
beforeAll(async () => {
  requireClients('kcat', 'kafka', 'confluent_kafka', 'lz4', 'snappy')
  h = await startHarness({ defaultPartitions: 6 })
  mkdirSync(workDir, { recursive: true })
})
afterAll(() => h?.close())

const pointed = (code: string) => code.replaceAll('127.0.0.1:9092', h.bootstrap)

/** Runs until `done` matches the output (then stops it) or the command exits on its own. */
function runUntil(command: string, args: string[], done: RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, PYTHONUNBUFFERED: '1', KAFKAJS_NO_PARTITIONER_WARNING: '1' } })
    let output = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${command} did not print ${done} in time:\n${output}`))
    }, timeoutMs)
    const check = (d: string) => {
      output += d
      if (done.test(output)) {
        clearTimeout(timer)
        child.kill('SIGKILL')
        resolve(output)
      }
    }
    child.stdout.setEncoding('utf8').on('data', check)
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (done.test(output) || code === 0) resolve(output)
      else reject(new Error(`${command} exited ${code}:\n${output}`))
    })
  })
}

describe('docs/kafka-protocol.md', () => {
  it('the TypeScript example runs', async () => {
    const [code] = blocks('ts')
    const file = join(workDir, 'programmatic.ts')
    writeFileSync(file, code.replaceAll("from 'eddy/kafka'", `from '${join(root, 'src', 'kafka', 'index.ts')}'`).replaceAll("from 'eddy'", `from '${join(root, 'src', 'index.ts')}'`))
    const result = await run(process.execPath, [tsx, file], { timeoutMs: 60_000 })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/Kafka clients can bootstrap from 127\.0\.0\.1:\d+/)
  })

  it('the kcat commands work', async () => {
    const kcatBlock = blocks('sh').find((b) => b.includes('kcat -b'))!
    const commands = pointed(kcatBlock)
      .replace(/\\\n\s*/g, '')
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter(Boolean)
    expect(commands).toHaveLength(4)
    const listing = await run('/bin/sh', ['-c', commands[0]])
    expect(listing.stdout).toContain('brokers')
    expect((await run('/bin/sh', ['-c', commands[1]])).code).toBe(0)
    expect((await run('/bin/sh', ['-c', commands[2]])).stdout).toMatch(/ORD001 \{"item":"x"\}/)
    // A terminal gets kcat's lines as they come; a pipe needs line buffering asked for. The two orders sit on
    // different partitions, which the group member may print in either order, so wait until both are there.
    const bothOrders = /^(?=[\s\S]*\{"item":"x"\})(?=[\s\S]*\{"item":"y"\})/
    expect(await runUntil('stdbuf', ['-oL', '/bin/sh', '-c', commands[3]], bothOrders)).toMatch(bothOrders)
    expect(KCAT).toBe('/usr/bin/kcat')
  })

  it('the confluent-kafka and kafka-python snippets work', async () => {
    const [confluent, kafkaPython] = blocks('python')
    const confluentFile = join(workDir, 'confluent.py')
    writeFileSync(confluentFile, pointed(confluent))
    const result = await run(PYTHON, [confluentFile], { timeoutMs: 60_000 })
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toMatch(/orders \d \d+ b'ORD00\d' b'/)
    const kafkaPythonFile = join(workDir, 'kafka_python.py')
    writeFileSync(kafkaPythonFile, pointed(kafkaPython))
    expect(await runUntil(PYTHON, [kafkaPythonFile], /\{'item': 'x'\}/)).toMatch(/\d+ \d+ b'ORD001' \{'item': 'x'\}/)
  })

  it('the kafkajs snippet works', async () => {
    const [code] = blocks('js')
    const file = join(workDir, 'kafkajs.mjs')
    writeFileSync(file, pointed(code))
    expect(await runUntil(process.execPath, [file], /\{"item":"x"\}/)).toMatch(/\d \d+ \{"item":"x"\}/)
  })
})
