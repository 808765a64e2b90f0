// Proves, against a reference model of what was produced, that a consumer group
// of in-process consumers under random joins, clean leaves, crashes, commits and
// keyed produces delivers every record at least once, keeps each key's order
// within an assignment period, never gives one partition to two members of a
// generation, and delivers exactly once when members commit after processing
// and only leave cleanly. The harness (group-model-harness.ts) holds the model
// and the checks; this file holds the generators.
import { describe, it } from 'vitest'
import fc from 'fast-check'
import { ASSIGNOR_NAMES } from '../../src/broker/assignors/index.js'
import { GroupModelRun, KEYS, LIVE_MEMBERS_MAX, type Action, type Mode, type RunConfig } from './group-model-harness.js'

const RECORDS_PER_PRODUCE_MAX = 30
/** A failing run is shrunk until this budget is spent, then reported as shrunk so far. */
const PROPERTY_MS_MAX = 100_000

function configArb(mode: Mode): fc.Arbitrary<RunConfig & { initialMembers: number }> {
  return fc.record({
    mode: fc.constant(mode),
    assignor: fc.constantFrom(...ASSIGNOR_NAMES),
    partitions: fc.integer({ min: 1, max: 6 }),
    maxRecords: fc.integer({ min: 1, max: 16 }),
    lingerMs: fc.integer({ min: 0, max: 3 }),
    commitAfterPoll: mode === 'exactly-once' ? fc.constant(true) : fc.boolean(),
    initialMembers: fc.integer({ min: 1, max: 3 }),
  })
}

function actionArb(mode: Mode): fc.Arbitrary<Action> {
  const who = fc.nat(LIVE_MEMBERS_MAX - 1)
  const common: fc.WeightedArbitrary<Action>[] = [
    { weight: 3, arbitrary: fc.constant({ kind: 'join' as const }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('leave' as const), who }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('produce' as const), keys: fc.array(fc.nat(KEYS.length - 1), { minLength: 1, maxLength: RECORDS_PER_PRODUCE_MAX }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('poll' as const), rounds: fc.integer({ min: 1, max: 3 }) }) },
  ]
  if (mode === 'exactly-once') return fc.oneof(...common)
  return fc.oneof(
    ...common,
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash-consumer' as const), who }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash-raw' as const), stage: fc.constantFrom('joined' as const, 'synced' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const), who }) },
  )
}

async function runActions(config: RunConfig & { initialMembers: number }, actions: Action[]): Promise<void> {
  const run = await GroupModelRun.start(config)
  try {
    // A group that starts with members spends the generated actions on interplay rather than on an empty group.
    for (let i = 0; i < config.initialMembers; i++) await run.apply({ kind: 'join' })
    for (const action of actions) await run.apply(action)
    await run.finish()
  } finally {
    await run.close()
  }
}

function property(mode: Mode) {
  return fc.asyncProperty(configArb(mode), fc.array(actionArb(mode), { minLength: 4, maxLength: 16 }), runActions)
}

const assertOptions = { interruptAfterTimeLimit: PROPERTY_MS_MAX, markInterruptAsFailure: true }

describe('consumer group against a reference model', () => {
  it('delivers at least once, in per-key order, with one owner per partition, through crashes and random commits', { timeout: 150_000 }, async () => {
    // Crashed members (consumers that stop heartbeating, and raw coordinator members
    // abandoned after JoinGroup or SyncGroup) must lose their partitions once their
    // sessions end, and the survivors must re-read whatever was not committed.
    await fc.assert(property('at-least-once'), { ...assertOptions, numRuns: 10 })
  })

  it('delivers exactly once when every member commits after processing and leaves only cleanly', { timeout: 150_000 }, async () => {
    // With commits after every processed poll and only clean leaves, a rebalance
    // hands a partition over at exactly the committed offset, so no record is
    // delivered twice and none is skipped.
    await fc.assert(property('exactly-once'), { ...assertOptions, numRuns: 10 })
  })
})
