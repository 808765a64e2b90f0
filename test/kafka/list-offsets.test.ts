// ListOffsets by time as Kafka answers it, through kafka-python's
// offsets_for_times: the first offset at or after each time and that record's
// own timestamp, null past the last record; beginning and end offsets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { jsonLines, requireClients, runPython, startHarness, type Harness } from './helpers.js'

let h: Harness

beforeAll(async () => {
  requireClients('kafka')
  h = await startHarness()
})
afterAll(() => h?.close())

describe('ListOffsets by time over the Kafka protocol', () => {
  it("kafka-python's offsets_for_times gets each time's first offset and that record's timestamp", async () => {
    const topic = 'timed'
    await h.eddy.broker.createTopic(topic, 1)
    const producer = h.eddy.producer({ lingerMs: 0 })
    // Records at 1000, 1010, …, 1490 ms in two batches: a time between two records finds the later one.
    for (const half of [0, 1]) {
      await producer.send(topic, Array.from({ length: 25 }, (_, i) => ({ value: `r${half * 25 + i}`, timestamp: 1000 + 10 * (half * 25 + i), partition: 0 })))
    }
    await producer.close()
    const [answer] = jsonLines<{ times: Record<string, { offset: number; timestamp: number } | null>; beginning: number; end: number }>(
      await runPython('kafka_python_times.py', [h.bootstrap, topic, '0', '1000', '1005', '1250', '1490', '1491']),
    )
    expect(answer.times).toEqual({
      '0': { offset: 0, timestamp: 1000 },
      '1000': { offset: 0, timestamp: 1000 },
      '1005': { offset: 1, timestamp: 1010 },
      '1250': { offset: 25, timestamp: 1250 },
      '1490': { offset: 49, timestamp: 1490 },
      '1491': null,
    })
    expect(answer).toMatchObject({ beginning: 0, end: 50 })
  })
})
