// What `npm start` shows until the IoT pipeline lands: simulated sensors
// produce readings into an embedded eddy topic (placed by Kafka's murmur2
// partitioner), a consumer group reads them back, and sketches summarise the
// stream in one pass — distinct sensors (HyperLogLog), the noisiest sensors
// (heavy hitters), reading quantiles (KLL) and decaying per-sensor averages.
import { Eddy } from '../eddy.js'
import { HeavyHitters } from '../sketch/heavy-hitters.js'
import { HyperLogLog } from '../sketch/hyperloglog.js'
import { QuantileSketch } from '../sketch/quantile.js'
import { DecayingAggregateTable } from '../sketch/decaying.js'

export interface DemoOptions {
  readings: number
  sensors?: number
  dataDir?: string
}

interface Reading {
  sensor: string
  celsius: number
  at: number
}

export async function runSketchDemo(options: DemoOptions): Promise<void> {
  const sensorCount = options.sensors ?? 500
  const eddy = await Eddy.open({ dataDir: options.dataDir })
  const topic = 'sensors'
  if (!eddy.admin.listTopics().includes(topic)) await eddy.admin.createTopic(topic, { partitions: 6 })
  const producer = eddy.producer({ lingerMs: 5, batchSize: 64 * 1024, compression: 'lz4', valueSerializer: 'json' })

  const started = performance.now()
  const sends: Promise<unknown>[] = []
  const startMs = Date.now()
  for (let i = 0; i < options.readings; i++) {
    const sensor = `sensor-${String(Math.floor(Math.random() ** 2 * sensorCount)).padStart(4, '0')}`
    // Every 50th reading is a faulty spike, so some sensors are "noisy".
    const celsius = 20 + 5 * Math.sin(i / 1000) + (Math.random() - 0.5) + (i % 50 === 0 ? 40 : 0)
    sends.push(producer.send(topic, { key: sensor, value: { sensor, celsius, at: startMs + i } satisfies Reading }))
    if (sends.length >= 10_000) await Promise.all(sends.splice(0))
  }
  await Promise.all(sends)
  await producer.flush()
  const producedSeconds = (performance.now() - started) / 1000

  const distinct = new HyperLogLog({ precision: 12 })
  const noisy = new HeavyHitters({ capacity: 64 })
  const quantiles = new QuantileSketch({ k: 200 })
  const averages = new DecayingAggregateTable({ halfLifeMs: 60_000 })
  const consumer = eddy.consumer<string, Reading>({ groupId: 'demo', autoOffsetReset: 'earliest', valueDeserializer: 'json', heartbeatIntervalMs: 100 })
  await consumer.subscribe([topic])
  const consumeStarted = performance.now()
  let consumed = 0
  while (consumed < options.readings) {
    const records = await consumer.poll({ maxRecords: 5000, timeoutMs: 1000 })
    if (records.length === 0 && performance.now() - consumeStarted > 30_000) break
    const sensors = records.map((r) => r.value.sensor)
    const celsius = Float64Array.from(records, (r) => r.value.celsius)
    distinct.addMany(sensors)
    quantiles.addMany(celsius)
    averages.addMany(sensors, celsius, Float64Array.from(records, (r) => r.value.at))
    for (let i = 0; i < records.length; i++) if (celsius[i] > 50) noisy.add(sensors[i])
    consumed += records.length
  }
  const consumedSeconds = (performance.now() - consumeStarted) / 1000
  await consumer.commitSync()

  const rate = (n: number, s: number) => `${Math.round(n / s).toLocaleString()} records/s`
  console.log(`eddy demo: ${options.readings.toLocaleString()} readings from up to ${sensorCount} sensors`)
  console.log(`  produced in ${producedSeconds.toFixed(2)} s (${rate(options.readings, producedSeconds)}), consumed ${consumed.toLocaleString()} in ${consumedSeconds.toFixed(2)} s (${rate(consumed, consumedSeconds)})`)
  console.log(`  records per partition: ${(await eddy.admin.describeTopic(topic)).partitions.map((p) => p.logEndOffset).join(', ')}`)
  console.log(`  distinct sensors (HyperLogLog): ~${Math.round(distinct.count())}`)
  console.log(`  temperature p50 / p99 (KLL): ${quantiles.quantile(0.5).toFixed(2)} / ${quantiles.quantile(0.99).toFixed(2)} °C`)
  console.log(`  noisiest sensors (spikes > 50 °C): ${noisy.top(5).map((h) => `${String(h.item)}×${h.count}`).join(', ')}`)
  const first = 'sensor-0000'
  console.log(`  ${first} decaying average (1 min half-life): ${averages.average(first).toFixed(2)} °C`)
  for (const s of [distinct, noisy, quantiles, averages]) s.dispose()
  await eddy.close()
}
