// The generators of the group model test: a run's configuration and its list of
// actions, shared by the vitest property and any ad-hoc driver that replays runs.
import fc from 'fast-check'
import { ASSIGNOR_NAMES } from '../../src/broker/assignors/index.js'
import { GroupModelRun, KEYS, LIVE_MEMBERS_MAX, type Action, type Mode, type RunConfig } from './group-model-harness.js'

export type GeneratedConfig = RunConfig & { initialMembers: number }

const RECORDS_PER_PRODUCE_MAX = 40
const MID_ROUND_DELAY_MS_MAX = 40

export function configArb(mode: Mode): fc.Arbitrary<GeneratedConfig> {
  return fc.record({
    mode: fc.constant(mode),
    assignor: fc.constantFrom(...ASSIGNOR_NAMES),
    partitions: fc.integer({ min: 1, max: 6 }),
    maxRecords: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 4, max: 16 })),
    lingerMs: fc.integer({ min: 0, max: 3 }),
    commitAfterPoll: mode === 'exactly-once' ? fc.constant(true) : fc.boolean(),
    processingMs: fc.constantFrom(0, 0, 5, 25),
    initialMembers: fc.integer({ min: 1, max: 3 }),
  })
}

export function actionArb(mode: Mode): fc.Arbitrary<Action> {
  const who = fc.nat(LIVE_MEMBERS_MAX - 1)
  const keys = fc.array(fc.nat(KEYS.length - 1), { minLength: 1, maxLength: RECORDS_PER_PRODUCE_MAX })
  // Undefined: a membership change between poll rounds; else one made while records flow and members are mid-poll.
  const during = fc.option(fc.record({ delayMs: fc.integer({ min: 0, max: MID_ROUND_DELAY_MS_MAX }), keys }), { nil: undefined })
  const common: fc.WeightedArbitrary<Action>[] = [
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('join' as const), during }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('leave' as const), who, during }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('produce' as const), keys }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('poll' as const), rounds: fc.integer({ min: 1, max: 3 }) }) },
  ]
  if (mode === 'exactly-once') return fc.oneof(...common)
  return fc.oneof(
    ...common,
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash-consumer' as const), who, during }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash-raw' as const), stage: fc.constantFrom('joined' as const, 'synced' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('commit' as const), who }) },
  )
}

/** Runs one generated case end to end; throws on any violated property. */
export async function runActions(config: GeneratedConfig, actions: Action[]): Promise<void> {
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

/** The whole property for one mode: a configuration and 4–16 actions. */
export function groupModelProperty(mode: Mode) {
  return fc.asyncProperty(configArb(mode), fc.array(actionArb(mode), { minLength: 4, maxLength: 16 }), runActions)
}

