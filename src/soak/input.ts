// The soak's input: a deterministic, bounded stream of sensor readings, the
// same for a given seed and size on every machine and every run.
//
// Event time advances STEP_MS per reading; each reading's time is pulled back
// by up to JITTER_MS (mildly out of order). Since no reading is more than
// JITTER_MS behind the largest time before it in the whole stream, none is in
// any one partition either, and JITTER_MS is below the job's watermark bound:
// no reading is ever late, so every window's content follows from the input
// alone, whatever the timing, the interleaving of partitions or the crashes.
// Values are integers, so sums do not depend on the order they are added in.
import type { Eddy } from '../eddy.js'
import { seededRandom } from '../random.js'

export interface Reading {
  sensor: string
  ts: number
  value: number
}

export const INPUT_TOPIC = 'soak-readings'
export const INPUT_PARTITIONS = 4
/** Where the job writes its window results, exactly once (transactions committed with checkpoints). */
export const OUTPUT_TOPIC = 'soak-windows'
export const OUTPUT_PARTITIONS = 2
export const SENSORS = 24
/** Event time between consecutive readings. */
export const STEP_MS = 50
/** How far behind the stream's largest event time a reading may be. */
export const JITTER_MS = 2_000
/** Event time of the first reading (a fixed date, so runs compare). */
export const START_MS = Date.UTC(2026, 0, 1)
/** Readings per produce call. */
const PRODUCE_BATCH = 1_000


/** The `count` readings of `seed`, in production order. */
export function readings(seed: number, count: number): Reading[] {
  const random = seededRandom(seed)
  const out: Reading[] = new Array(count)
  for (let i = 0; i < count; i++) {
    const sensor = `s${String(Math.floor(random() * SENSORS)).padStart(2, '0')}`
    const ts = START_MS + i * STEP_MS - Math.floor(random() * JITTER_MS)
    const value = 150 + Math.floor(random() * 200)
    out[i] = { sensor, ts, value }
  }
  return out
}

/** Creates the input and output topics in `eddy` and produces the readings, keyed by sensor, durably. */
export async function produceInput(eddy: Eddy, input: readonly Reading[]): Promise<void> {
  await eddy.admin.createTopic(INPUT_TOPIC, { partitions: INPUT_PARTITIONS, config: { 'flush.policy': 'always' } })
  // flush.policy always: a transaction's records are on disk before its commit marker is, whatever kills the process.
  await eddy.admin.createTopic(OUTPUT_TOPIC, { partitions: OUTPUT_PARTITIONS, config: { 'flush.policy': 'always' } })
  const producer = eddy.producer({ acks: 'all', idempotent: true })
  try {
    for (let i = 0; i < input.length; i += PRODUCE_BATCH) {
      const slice = input.slice(i, i + PRODUCE_BATCH)
      await producer.send(INPUT_TOPIC, slice.map((r) => ({ key: r.sensor, value: JSON.stringify(r), timestamp: r.ts })))
    }
    await producer.flush()
  } finally {
    await producer.close()
  }
}
