// Reads a topic to its end through an in-process consumer: the values of every
// partition (or the ones given), in the order polled. "The end" is three empty
// polls in a row, which is enough for an idle in-memory broker.
import type { Eddy } from '../src/eddy.js'

export async function readTopicValues(
  eddy: Eddy,
  topic: string,
  options: { isolation?: 'read_committed' | 'read_uncommitted'; partitions?: number[] } = {},
): Promise<string[]> {
  const consumer = eddy.consumer<string, string>({ autoOffsetReset: 'earliest', ...(options.isolation ? { isolation: options.isolation } : {}) })
  const partitions = options.partitions ?? Array.from({ length: eddy.broker.partitionCount(topic) ?? 1 }, (_, partition) => partition)
  consumer.assign(partitions.map((partition) => ({ topic, partition })))
  const values: string[] = []
  for (let empty = 0; empty < 3; ) {
    const records = await consumer.poll({ timeoutMs: 20 })
    if (records.length === 0) empty++
    for (const r of records) values.push(r.value)
  }
  await consumer.close()
  return values
}
