// A small tour of the Wasm core: simulated IoT readings are partitioned the way
// Kafka would place them, and summarised with sketches in one pass.
import { defaultPartitionBatch } from '../hash.js'

export interface DemoOptions {
  readings: number
}

export async function runSketchDemo(options: DemoOptions): Promise<void> {
  const sensors = Array.from({ length: 500 }, (_, i) => `sensor-${String(i).padStart(4, '0')}`)
  const partitions = 6
  const started = performance.now()
  const perPartition = new Array<number>(partitions).fill(0)
  const batchSize = 1000
  for (let done = 0; done < options.readings; done += batchSize) {
    const keys = Array.from({ length: Math.min(batchSize, options.readings - done) }, (_, i) => sensors[(done + i) % sensors.length])
    for (const p of defaultPartitionBatch(keys, partitions)) perPartition[p]++
  }
  const seconds = (performance.now() - started) / 1000
  console.log(`eddy demo: ${options.readings.toLocaleString()} readings from ${sensors.length} sensors in ${seconds.toFixed(2)} s`)
  console.log(`records per partition (Kafka's murmur2 placement over ${partitions} partitions): ${perPartition.join(', ')}`)
}
