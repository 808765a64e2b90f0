// Proves, against a reference model of what was produced, that a consumer group
// of in-process consumers under random joins, clean leaves, crashes, commits and
// keyed produces delivers every record at least once, keeps each key's order
// within an assignment period, never gives one partition to two members of a
// generation, and delivers exactly once when members commit after processing
// and only leave cleanly. The harness (group-model-harness.ts) holds the model
// and the checks; group-model-arbitraries.ts the generators.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { Eddy } from '../../src/eddy.js'
import type { Consumer } from '../../src/client/consumer.js'
import { groupModelProperty } from './group-model-arbitraries.js'

/** A failing run is shrunk until this budget is spent, then reported as shrunk so far. */
const PROPERTY_MS_MAX = 100_000
const assertOptions = { interruptAfterTimeLimit: PROPERTY_MS_MAX, markInterruptAsFailure: true }

describe('consumer group against a reference model', () => {
  it('delivers at least once, in per-key order, with one owner per partition, through crashes and random commits', { timeout: 150_000 }, async () => {
    // Crashed members (consumers that stop heartbeating, and raw coordinator members
    // abandoned after JoinGroup or SyncGroup) must lose their partitions once their
    // sessions end, and the survivors must re-read whatever was not committed.
    await fc.assert(groupModelProperty('at-least-once'), { ...assertOptions, numRuns: 15 })
  })

  it('delivers exactly once when every member commits after processing and leaves only cleanly', { timeout: 150_000 }, async () => {
    // With commits after every processed poll and only clean leaves, a rebalance
    // hands a partition over at exactly the committed offset, so no record is
    // delivered twice and none is skipped.
    await fc.assert(groupModelProperty('exactly-once'), { ...assertOptions, numRuns: 15 })
  })
})

describe('consumer group rebalance protocol', () => {
  it('takes exactly one generation per membership change when one member rejoins slowly', { timeout: 30_000 }, async () => {
    // A fast member waiting in JoinGroup for a slow one keeps heartbeating; the
    // REBALANCE_IN_PROGRESS answer describes the rebalance it is already in, so it
    // must not make the member rejoin once more after it (which starts yet another
    // generation, waits for the slow member again, and can go on for ever). A
    // join and then a leave must therefore cost exactly two generations.
    const heartbeatIntervalMs = 10
    const slowPollGapMs = 400
    const eddy = await Eddy.open({ coordinator: { initialRebalanceDelayMs: 10 } })
    const members: { stop: boolean; loop: Promise<void>; consumer: Consumer }[] = []
    try {
      await eddy.admin.createTopic('t', { partitions: 4 })
      const start = async (clientId: string, pollGapMs: number) => {
        const consumer = eddy.consumer({ groupId: 'g', clientId, heartbeatIntervalMs, sessionTimeoutMs: 10_000, assignor: 'range' })
        await consumer.subscribe(['t'])
        const member = { stop: false, loop: Promise.resolve(), consumer }
        member.loop = (async () => {
          while (!member.stop) {
            await consumer.poll({ timeoutMs: 10 })
            if (pollGapMs > 0) await new Promise((r) => setTimeout(r, pollGapMs))
          }
        })()
        members.push(member)
        return member
      }
      const generation = () => eddy.broker.coordinator.describe('g').generationId
      const settle = async (size: number) => {
        const deadline = Date.now() + 15_000
        const stable = () => eddy.broker.coordinator.describe('g').state === 'Stable' && eddy.broker.coordinator.describe('g').members.length === size
        while (!stable()) {
          if (Date.now() > deadline) throw new Error(`group not Stable with ${size} members within 15 s`)
          await new Promise((r) => setTimeout(r, 5))
        }
        // Long enough for the slow member to poll several times: any extra rebalance would have started by now.
        await new Promise((r) => setTimeout(r, 4 * slowPollGapMs))
      }
      await start('fast', 0)
      await start('slow', slowPollGapMs)
      await settle(2)
      const before = generation()
      const third = await start('third', 0)
      await settle(3)
      expect(generation(), 'generations for one join').toBe(before + 1)
      third.stop = true
      await third.loop
      await third.consumer.close()
      await settle(2)
      expect(generation(), 'generations for one join and one leave').toBe(before + 2)
    } finally {
      for (const m of members) m.stop = true
      await Promise.all(members.map((m) => m.loop))
      await eddy.close()
    }
  })

  it('runs rebalance callbacks only inside poll() or close(), never while the application processes a poll', { timeout: 30_000 }, async () => {
    // Kafka invokes the rebalance listener only inside poll(), so a member that
    // commits in onPartitionsRevoked has finished every record it was given and
    // the next owner cannot start on a partition whose earlier records are still
    // being processed. Members here spend 50 ms on each poll's records; one is a
    // slow poller, so cooperative rebalances finish while others are mid-batch.
    const eddy = await Eddy.open({ coordinator: { initialRebalanceDelayMs: 10 } })
    const members: { stop: boolean; loop: Promise<void> }[] = []
    const outsideCalls: string[] = []
    let callbacks = 0
    try {
      await eddy.admin.createTopic('t', { partitions: 6 })
      await eddy.producer().send('t', Array.from({ length: 3000 }, (_, i) => ({ key: `k${i % 64}`, value: String(i) })))
      const start = async (name: string, pollGapMs: number) => {
        let inConsumerCall = false
        const check = (what: string, partitions: { partition: number }[]) => {
          callbacks++
          if (!inConsumerCall) outsideCalls.push(`${name} ${what} [${partitions.map((tp) => tp.partition)}]`)
        }
        const consumer: Consumer<string, string> = eddy.consumer({
          groupId: 'g',
          clientId: name,
          heartbeatIntervalMs: 10,
          sessionTimeoutMs: 10_000,
          assignor: 'cooperative-sticky',
          autoOffsetReset: 'earliest',
          maxPollRecords: 2,
          rebalanceListener: {
            onPartitionsRevoked: (tps) => check('revoked', tps),
            onPartitionsAssigned: (tps) => check('assigned', tps),
            onPartitionsLost: (tps) => check('lost', tps),
          },
        })
        await consumer.subscribe(['t'])
        const member = { stop: false, loop: Promise.resolve() }
        member.loop = (async () => {
          while (!member.stop) {
            inConsumerCall = true
            const records = await consumer.poll({ timeoutMs: 10 })
            inConsumerCall = false
            if (records.length > 0 || pollGapMs > 0) await new Promise((r) => setTimeout(r, Math.max(pollGapMs, 50)))
          }
          inConsumerCall = true
          await consumer.close()
        })()
        members.push(member)
      }
      await start('a', 0)
      await start('slow', 300)
      await new Promise((r) => setTimeout(r, 1000))
      await start('b', 0)
      await new Promise((r) => setTimeout(r, 1500))
      await start('d', 0)
      await new Promise((r) => setTimeout(r, 1500))
      for (const m of members) m.stop = true
      await Promise.all(members.map((m) => m.loop))
      // Partitions moved (members join one by one, then all leave), so the listener had work; none of it may run between calls.
      expect(callbacks).toBeGreaterThan(4)
      expect(outsideCalls, 'rebalance callbacks that ran while the application was processing records').toEqual([])
    } finally {
      for (const m of members) m.stop = true
      await Promise.all(members.map((m) => m.loop))
      await eddy.close()
    }
  })
})
