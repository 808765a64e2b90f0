// The Kafka wire protocol against the in-process clients, measured in the same
// run on the same eddy (one partition, log on disk, flush policy `interval`):
//   - kcat -P from a file of 100-byte and of 1 KiB records, and kcat -C -c N,
//     once discarding each record (-f '': fetched and parsed by librdkafka,
//     nothing printed, as the in-process loop only counts) and once printing
//     each value to /dev/null (kcat's default output);
//   - kafkajs producing (batches of 1,000) and consuming (eachBatch);
//   - the in-process Producer and Consumer moving the same records;
//   - and, for scale, Kafka's published single-producer anchor: 821,557
//     records/s of 100 bytes (LinkedIn, 2014, one producer thread, 6-core Xeon),
//     a fixed figure from another machine, not a measurement of this one.
// Rounds of each case are interleaved and the best kept: on a shared machine
// other load only ever slows a run down.
import { spawn } from 'node:child_process'
import { mkdtempSync, openSync, closeSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { rateRow, type BenchRow } from '../lib.js'
import { Eddy } from '../../src/eddy.js'
import { startKafkaServer, type KafkaServer } from '../../src/kafka/server.js'

const KCAT = '/usr/bin/kcat'
const KAFKA_ANCHOR_RECORDS_PER_SECOND = 821_557
const ROUNDS = Number(process.env.EDDY_BENCH_ROUNDS ?? 3)
/** 2M: a consume then lasts ~0.5 s, so kcat's process start (~25 ms, counted against it) weighs ~5%. */
const RECORDS_100B = 2_000_000
const RECORDS_1KIB = 200_000
const RECORDS_KAFKAJS = 200_000
/** Reading is cheap to repeat on the same topic, so each round reads three times and keeps the best, for both sides. */
const CONSUME_REPEATS = 3

let scratch = ''
let serial = 0
const topicName = (what: string) => `${what}-${serial++}`

function recordsFile(count: number, bytes: number): string {
  const path = join(scratch, `records-${bytes}.txt`)
  if (existsSync(path)) return path
  // kcat splits on the newline and drops it: each record is `bytes - 1` value bytes plus the delimiter it came with.
  const line = 'x'.repeat(bytes - 1) + '\n'
  writeFileSync(path, line.repeat(count))
  return path
}

/** A value of exactly `bytes` bytes, as kcat reads it from one line of recordsFile (the newline is the delimiter). */
const valueOf = (bytes: number) => new Uint8Array(bytes - 1).fill(120)

/** A kcat run that takes longer than this has lost records or hung. */
const KCAT_TIMEOUT_MS = 120_000

function runKcat(args: string[], stdinPath?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const input = stdinPath ? openSync(stdinPath, 'r') : 'ignore'
    const started = performance.now()
    const child = spawn(KCAT, args, { stdio: [input, 'ignore', 'pipe'] })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`kcat ${args.join(' ')} did not finish within ${KCAT_TIMEOUT_MS} ms`))
    }, KCAT_TIMEOUT_MS)
    let stderr = ''
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (typeof input === 'number') closeSync(input)
      if (code !== 0) reject(new Error(`kcat ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`))
      else resolve((performance.now() - started) / 1000)
    })
  })
}

async function kcatProduce(server: KafkaServer, topic: string, file: string): Promise<number> {
  return runKcat(['-b', `127.0.0.1:${server.port}`, '-P', '-t', topic, '-p', '0'], file)
}

/**
 * kcat -C -c COUNT from the beginning: it exits (status 0) only once it has
 * consumed COUNT records, as the in-process loop stops at the last record (-e
 * would learn of the end only from an empty fetch at the high watermark, which
 * waits out fetch.wait.max.ms). `print` keeps kcat's default output (each
 * value and a newline, to /dev/null here); without it `-f ''` formats nothing,
 * so the figure is fetching and parsing alone, like the in-process side.
 */
async function kcatConsume(server: KafkaServer, topic: string, count: number, print: boolean): Promise<number> {
  return runKcat(['-b', `127.0.0.1:${server.port}`, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-c', String(count), '-q', ...(print ? [] : ['-f', ''])])
}

async function inProcessProduce(eddy: Eddy, topic: string, count: number, bytes: number): Promise<number> {
  const producer = eddy.producer({ lingerMs: 5 })
  const value = valueOf(bytes)
  const chunk = Array.from({ length: 10_000 }, () => ({ value, partition: 0 }))
  const started = performance.now()
  const pending: Promise<unknown>[] = []
  for (let sent = 0; sent < count; sent += chunk.length) pending.push(producer.send(topic, chunk))
  await Promise.all(pending)
  await producer.flush()
  const seconds = (performance.now() - started) / 1000
  await producer.close()
  return seconds
}

async function inProcessConsume(eddy: Eddy, topic: string, count: number): Promise<number> {
  const consumer = eddy.consumer<Uint8Array, Uint8Array>({ keyDeserializer: 'bytes', valueDeserializer: 'bytes', maxPollRecords: 100_000 })
  consumer.assign([{ topic, partition: 0 }])
  await consumer.seekToBeginning()
  const started = performance.now()
  let seen = 0
  while (seen < count) seen += (await consumer.poll({ timeoutMs: 100 })).length
  const seconds = (performance.now() - started) / 1000
  await consumer.close()
  return seconds
}

async function kafkajsProduce(kafka: Kafka, topic: string, count: number, bytes: number): Promise<number> {
  const producer = kafka.producer()
  await producer.connect()
  const value = Buffer.alloc(bytes - 1, 120)
  const messages = Array.from({ length: 1000 }, () => ({ value }))
  const started = performance.now()
  // Five sends in flight, as kafkajs's default maxInFlightRequests allows.
  const inFlight = new Set<Promise<unknown>>()
  for (let sent = 0; sent < count; sent += messages.length) {
    const p: Promise<unknown> = producer.send({ topic, acks: -1, messages: messages.map((m) => ({ ...m, partition: 0 })) }).finally(() => inFlight.delete(p))
    inFlight.add(p)
    if (inFlight.size >= 5) await Promise.race(inFlight)
  }
  await Promise.all(inFlight)
  const seconds = (performance.now() - started) / 1000
  await producer.disconnect()
  return seconds
}

async function kafkajsConsume(kafka: Kafka, topic: string, count: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: `bench-${serial++}`, maxBytes: 52_428_800, maxBytesPerPartition: 10_485_760, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  let started = 0
  let seen = 0
  const seconds = await new Promise<number>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (started === 0) started = performance.now()
        seen += batch.messages.length
        if (seen >= count) resolve((performance.now() - started) / 1000)
      },
    })
  })
  await consumer.disconnect()
  return seconds
}

export async function run(): Promise<BenchRow[]> {
  if (!existsSync(KCAT)) throw new Error('kcat is missing: apt-get install -y kcat (scripts/ensure-system-deps.mjs installs it)')
  scratch = mkdtempSync(join(tmpdir(), 'eddy-kafka-bench-'))
  const eddy = await Eddy.open({ dataDir: join(scratch, 'data') })
  const server = await startKafkaServer(eddy, { port: 0 })
  const kafka = new Kafka({ clientId: 'bench', brokers: [`127.0.0.1:${server.port}`], logLevel: logLevel.NOTHING })
  const best = new Map<string, number>() // case → records/s
  const keep = (name: string, records: number, seconds: number) => best.set(name, Math.max(best.get(name) ?? 0, records / seconds))
  try {
    const file100 = recordsFile(RECORDS_100B, 100)
    const file1k = recordsFile(RECORDS_1KIB, 1024)
    for (let round = 0; round < ROUNDS; round++) {
      const t100 = topicName('kcat-100')
      await eddy.broker.createTopic(t100, 1)
      keep('kcat produce 100 B', RECORDS_100B, await kcatProduce(server, t100, file100))
      for (let i = 0; i < CONSUME_REPEATS; i++) {
        keep('kcat consume 100 B', RECORDS_100B, await kcatConsume(server, t100, RECORDS_100B, false))
        keep('kcat consume 100 B printed', RECORDS_100B, await kcatConsume(server, t100, RECORDS_100B, true))
      }
      const i100 = topicName('inproc-100')
      await eddy.broker.createTopic(i100, 1)
      keep('in-process produce 100 B', RECORDS_100B, await inProcessProduce(eddy, i100, RECORDS_100B, 100))
      for (let i = 0; i < CONSUME_REPEATS; i++) keep('in-process consume 100 B', RECORDS_100B, await inProcessConsume(eddy, i100, RECORDS_100B))

      const t1k = topicName('kcat-1k')
      await eddy.broker.createTopic(t1k, 1)
      keep('kcat produce 1 KiB', RECORDS_1KIB, await kcatProduce(server, t1k, file1k))
      for (let i = 0; i < CONSUME_REPEATS; i++) {
        keep('kcat consume 1 KiB', RECORDS_1KIB, await kcatConsume(server, t1k, RECORDS_1KIB, false))
        keep('kcat consume 1 KiB printed', RECORDS_1KIB, await kcatConsume(server, t1k, RECORDS_1KIB, true))
      }
      const i1k = topicName('inproc-1k')
      await eddy.broker.createTopic(i1k, 1)
      keep('in-process produce 1 KiB', RECORDS_1KIB, await inProcessProduce(eddy, i1k, RECORDS_1KIB, 1024))
      for (let i = 0; i < CONSUME_REPEATS; i++) keep('in-process consume 1 KiB', RECORDS_1KIB, await inProcessConsume(eddy, i1k, RECORDS_1KIB))

      const j100 = topicName('kafkajs-100')
      await eddy.broker.createTopic(j100, 1)
      keep('kafkajs produce 100 B', RECORDS_KAFKAJS, await kafkajsProduce(kafka, j100, RECORDS_KAFKAJS, 100))
      keep('kafkajs consume 100 B', RECORDS_KAFKAJS, await kafkajsConsume(kafka, j100, RECORDS_KAFKAJS))
      await Promise.all([t100, i100, t1k, i1k, j100].map((t) => eddy.broker.topics.delete(t)))
    }
  } finally {
    await server.close()
    await eddy.close()
    rmSync(scratch, { recursive: true, force: true })
  }
  const rate = (name: string) => best.get(name)!
  const inProcess = 'in-process producer/consumer, same run'
  return [
    rateRow('kcat -P, 100 B records, over the Kafka protocol', 'records/s', rate('kcat produce 100 B'), rate('in-process produce 100 B'), inProcess, '>= 0.4x'),
    rateRow('kcat -P, 1 KiB records, over the Kafka protocol', 'records/s', rate('kcat produce 1 KiB'), rate('in-process produce 1 KiB'), inProcess),
    rateRow('kafkajs producer, 100 B records, over the Kafka protocol', 'records/s', rate('kafkajs produce 100 B'), rate('in-process produce 100 B'), inProcess),
    rateRow("kcat -C -f '', 100 B records, over the Kafka protocol", 'records/s', rate('kcat consume 100 B'), rate('in-process consume 100 B'), inProcess, '>= 0.5x'),
    rateRow('  kcat -C printing each value (to /dev/null), 100 B records', 'records/s', rate('kcat consume 100 B printed'), rate('in-process consume 100 B'), inProcess),
    rateRow("kcat -C -f '', 1 KiB records, over the Kafka protocol", 'records/s', rate('kcat consume 1 KiB'), rate('in-process consume 1 KiB'), inProcess, '>= 0.5x'),
    rateRow('  kcat -C printing each value (to /dev/null), 1 KiB records', 'records/s', rate('kcat consume 1 KiB printed'), rate('in-process consume 1 KiB'), inProcess),
    rateRow('kafkajs consumer, 100 B records, over the Kafka protocol', 'records/s', rate('kafkajs consume 100 B'), rate('in-process consume 100 B'), inProcess),
    rateRow('kcat -P, 100 B records, vs Kafka’s published single-producer figure', 'records/s', rate('kcat produce 100 B'), KAFKA_ANCHOR_RECORDS_PER_SECOND, 'Kafka 2014, 1 producer thread, 6-core Xeon (published)'),
    rateRow('in-process producer, 100 B records, vs the same published figure', 'records/s', rate('in-process produce 100 B'), KAFKA_ANCHOR_RECORDS_PER_SECOND, 'Kafka 2014, 1 producer thread, 6-core Xeon (published)'),
  ]
}
