// Proves the four assignors give Kafka's documented assignments, cover every
// partition exactly once, stay balanced and sticky, and that the cooperative
// protocol revokes only the partitions that move.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createAssignor, tpKey, type GroupAssignment, type MemberSubscription, type TopicPartition } from '../../src/broker/assignors/index.js'
import { memberChanges } from '../../src/broker/assignors/changes.js'

const names = (list: TopicPartition[] | undefined) => (list ?? []).map((tp) => `${tp.topic}-${tp.partition}`)
const orders = new Map([['orders', 6]])
const member = (memberId: string, topics = ['orders'], ownedPartitions: TopicPartition[] = [], generation = 1): MemberSubscription => ({
  memberId,
  topics,
  ownedPartitions,
  generation,
})

function checkCoverage(assignment: GroupAssignment, members: MemberSubscription[], partitionsPerTopic: Map<string, number>): void {
  const seen = new Map<string, string>()
  for (const [memberId, list] of assignment) {
    const m = members.find((x) => x.memberId === memberId)!
    for (const tp of list) {
      expect(m.topics, `${memberId} got ${tp.topic} without subscribing`).toContain(tp.topic)
      expect(seen.has(tpKey(tp)), `${tp.topic}-${tp.partition} assigned twice`).toBe(false)
      seen.set(tpKey(tp), memberId)
    }
  }
  for (const [topic, count] of partitionsPerTopic) {
    const subscribed = members.some((m) => m.topics.includes(topic))
    for (let p = 0; p < count; p++) expect(seen.has(tpKey({ topic, partition: p }))).toBe(subscribed)
  }
}

describe('range assignor (the source material exam scenario)', () => {
  // RangeAssignor over P0–P5: two consumers split 3/3, a third makes it 2/2/2.
  it('splits six partitions 3/3 between C1, C2 and 2/2/2 with C3', () => {
    const range = createAssignor('range')
    const two = range.assign([member('C1'), member('C2')], orders)
    expect(names(two.get('C1'))).toEqual(['orders-0', 'orders-1', 'orders-2'])
    expect(names(two.get('C2'))).toEqual(['orders-3', 'orders-4', 'orders-5'])
    const three = range.assign([member('C2'), member('C3'), member('C1')], orders)
    expect(names(three.get('C1'))).toEqual(['orders-0', 'orders-1'])
    expect(names(three.get('C2'))).toEqual(['orders-2', 'orders-3'])
    expect(names(three.get('C3'))).toEqual(['orders-4', 'orders-5'])
  })
  // Range works per topic, so the first member gets the extra partition of every topic.
  it('gives the first members the extra partitions of each topic', () => {
    const a = createAssignor('range').assign([member('A', ['t1', 't2']), member('B', ['t1', 't2'])], new Map([['t1', 3], ['t2', 3]]))
    expect(names(a.get('A'))).toEqual(['t1-0', 't1-1', 't2-0', 't2-1'])
    expect(names(a.get('B'))).toEqual(['t1-2', 't2-2'])
  })
})

describe('roundrobin assignor', () => {
  // Round robin deals partitions of all topics in turn, so the imbalance of range disappears.
  it('deals partitions across topics in turn', () => {
    const a = createAssignor('roundrobin').assign([member('A', ['t1', 't2']), member('B', ['t1', 't2'])], new Map([['t1', 3], ['t2', 3]]))
    expect(names(a.get('A'))).toEqual(['t1-0', 't1-2', 't2-1'])
    expect(names(a.get('B'))).toEqual(['t1-1', 't2-0', 't2-2'])
  })
  // A member is skipped for topics it does not subscribe to.
  it('skips members not subscribed to a topic', () => {
    const a = createAssignor('roundrobin').assign([member('A', ['t1']), member('B', ['t1', 't2'])], new Map([['t1', 2], ['t2', 2]]))
    expect(names(a.get('A'))).toEqual(['t1-0'])
    expect(names(a.get('B'))).toEqual(['t1-1', 't2-0', 't2-1'])
  })
})

describe('sticky and cooperative-sticky', () => {
  // When C3 joins, sticky moves exactly two partitions and keeps the rest where they were.
  it('moves only what balance needs when a member joins', () => {
    const before = createAssignor('sticky').assign([member('C1'), member('C2')], orders)
    const after = createAssignor('sticky').assign(
      [member('C1', ['orders'], before.get('C1')), member('C2', ['orders'], before.get('C2')), member('C3')],
      orders,
    )
    expect(after.get('C3')!.length).toBe(2)
    const kept = ['C1', 'C2'].flatMap((id) => names(after.get(id)).filter((n) => names(before.get(id)).includes(n)))
    expect(kept.length).toBe(4)
  })

  // Counting revocations for the C3 join: eager revokes all six, cooperative only the two that move.
  it('eager revokes every partition; cooperative revokes only the moved ones, then hands them over', () => {
    const start = createAssignor('range').assign([member('C1'), member('C2')], orders)
    const eagerRevoked = ['C1', 'C2'].reduce((sum, id) => sum + memberChanges('eager', start.get(id)!, []).revoked.length, 0)
    expect(eagerRevoked).toBe(6)

    const coop = createAssignor('cooperative-sticky')
    const joined = [member('C1', ['orders'], start.get('C1')), member('C2', ['orders'], start.get('C2')), member('C3')]
    const round1 = coop.assign(joined, orders)
    const changes = ['C1', 'C2'].map((id) => memberChanges('cooperative', start.get(id)!, round1.get(id)!))
    expect(changes.reduce((sum, c) => sum + c.revoked.length, 0)).toBe(2)
    expect(changes.some((c) => c.rejoin)).toBe(true)
    // No partition moves in the same round it is revoked: C3 gets nothing yet.
    expect(round1.get('C3')).toEqual([])
    const round2 = coop.assign(
      [member('C1', ['orders'], round1.get('C1'), 2), member('C2', ['orders'], round1.get('C2'), 2), member('C3', ['orders'], [], 2)],
      orders,
    )
    expect(round2.get('C3')!.length).toBe(2)
    checkCoverage(round2, joined, orders)
    for (const id of ['C1', 'C2']) expect(memberChanges('cooperative', round1.get(id)!, round2.get(id)!).revoked).toEqual([])
  })

  // A partition claimed by two members goes to the claim from the newer generation.
  it('resolves a double claim by generation', () => {
    const tp = { topic: 'orders', partition: 0 }
    const a = createAssignor('sticky').assign([member('A', ['orders'], [tp], 1), member('B', ['orders'], [tp], 2)], new Map([['orders', 1]]))
    expect(names(a.get('B'))).toEqual(['orders-0'])
    expect(a.get('A')).toEqual([])
  })
})

describe('every assignor, on random groups', () => {
  const groupArb = fc.record({
    topics: fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 0, max: 12 }), { minKeys: 1 }),
    members: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 7 }),
    subsSeed: fc.array(fc.subarray(['a', 'b', 'c', 'd'], { minLength: 1 }), { minLength: 7, maxLength: 7 }),
    uniform: fc.boolean(),
  })

  // Coverage: every partition of a subscribed topic goes to exactly one subscribed member.
  it.each(['range', 'roundrobin', 'sticky', 'cooperative-sticky'] as const)('%s covers every partition exactly once', (name) => {
    fc.assert(
      fc.property(groupArb, ({ topics, members, subsSeed, uniform }) => {
        const partitionsPerTopic = new Map(Object.entries(topics))
        const subs = members.map((id, i) => member(id, uniform ? Object.keys(topics) : subsSeed[i]))
        const assignment = createAssignor(name).assign(subs, partitionsPerTopic)
        checkCoverage(assignment, subs, partitionsPerTopic)
      }),
      { numRuns: 150 },
    )
  })

  // Balance and stickiness: with equal subscriptions, loads differ by at most one, and after a
  // member leaves, sticky moves only the leaver's partitions.
  it('sticky is balanced and moves only orphaned partitions when a member leaves', () => {
    fc.assert(
      fc.property(groupArb, ({ topics, members }) => {
        const partitionsPerTopic = new Map(Object.entries(topics))
        const all = Object.keys(topics)
        const sticky = createAssignor('sticky')
        const first = sticky.assign(members.map((id) => member(id, all)), partitionsPerTopic)
        const loads = [...first.values()].map((l) => l.length)
        expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1)
        if (members.length < 2) return
        const survivors = members.slice(1).map((id) => member(id, all, first.get(id), 2))
        const second = sticky.assign(survivors, partitionsPerTopic)
        checkCoverage(second, survivors, partitionsPerTopic)
        const loads2 = [...second.values()].map((l) => l.length)
        expect(Math.max(...loads2) - Math.min(...loads2)).toBeLessThanOrEqual(1)
        for (const s of survivors) {
          const lost = first.get(s.memberId)!.filter((tp) => !second.get(s.memberId)!.some((x) => tpKey(x) === tpKey(tp)))
          // A survivor only gives up partitions if it was above the new fair share.
          const fair = Math.ceil([...partitionsPerTopic.values()].reduce((a, b) => a + b, 0) / survivors.length)
          if (first.get(s.memberId)!.length <= fair) expect(lost).toEqual([])
        }
      }),
      { numRuns: 200 },
    )
  })

  it('names an unknown assignor clearly', () => {
    expect(() => createAssignor('fastest' as never)).toThrow(/unknown assignor "fastest"; expected one of range, roundrobin, sticky, cooperative-sticky/)
  })
})
