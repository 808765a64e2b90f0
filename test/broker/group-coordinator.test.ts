// Proves the group coordinator follows Kafka's membership protocol: one
// generation per rebalance, leader-computed assignments, heartbeats that signal
// rebalances, session-timeout expiry, static membership and the join handshake.
import { afterEach, describe, expect, it } from 'vitest'
import { createRequire } from 'node:module'
import { GroupCoordinator, type JoinGroupResult } from '../../src/broker/group/coordinator.js'
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../src/broker/group/consumer-protocol.js'
import { createAssignor } from '../../src/broker/assignors/index.js'
import { KafkaErrors } from '../../src/broker/errors.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const coordinators: GroupCoordinator[] = []
afterEach(() => coordinators.splice(0).forEach((c) => c.close()))

function newCoordinator(initialRebalanceDelayMs = 20) {
  const c = new GroupCoordinator({ initialRebalanceDelayMs, sessionTimeoutMsMin: 10 })
  coordinators.push(c)
  return c
}

const join = (c: GroupCoordinator, memberId = '', extra: { groupInstanceId?: string; sessionTimeoutMs?: number; requireKnownMemberId?: boolean } = {}) =>
  c.join({
    groupId: 'sales_group',
    memberId,
    clientId: 'test',
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: encodeSubscription({ topics: ['orders'] }) }],
    sessionTimeoutMs: extra.sessionTimeoutMs ?? 10_000,
    rebalanceTimeoutMs: 1_000,
    groupInstanceId: extra.groupInstanceId,
    requireKnownMemberId: extra.requireKnownMemberId,
  })

/** The leader's part of a rebalance: run the range assignor over the members' subscriptions. */
async function syncAll(c: GroupCoordinator, joins: JoinGroupResult[]) {
  const leader = joins.find((j) => j.memberId === j.leader)!
  const members = leader.members.map((m) => ({ memberId: m.memberId, topics: decodeSubscription(m.metadata).topics }))
  const plan = createAssignor('range').assign(members, new Map([['orders', 6]]))
  const assignments = [...plan].map(([memberId, partitions]) => ({ memberId, assignment: encodeAssignment({ partitions }) }))
  const results = await Promise.all(
    joins.map((j) => c.sync({ groupId: 'sales_group', generationId: j.generationId, memberId: j.memberId, assignments: j.memberId === j.leader ? assignments : undefined })),
  )
  return new Map(joins.map((j, i) => [j.memberId, decodeAssignment(results[i].assignment).partitions.map((tp) => tp.partition)]))
}

describe('group coordinator', () => {
  // Two members starting together land in one generation; the leader's assignment reaches both.
  it('forms one generation and hands out the leader assignment', async () => {
    const c = newCoordinator()
    const joins = await Promise.all([join(c), join(c)])
    expect(joins.map((j) => j.errorCode)).toEqual([0, 0])
    expect(joins[0].generationId).toBe(1)
    expect(joins[1].generationId).toBe(1)
    expect(joins.filter((j) => j.members.length === 2)).toHaveLength(1) // only the leader sees the members
    const owned = await syncAll(c, joins)
    expect([...owned.values()].flat().sort()).toEqual([0, 1, 2, 3, 4, 5])
    expect(c.describe('sales_group').state).toBe('Stable')
    for (const j of joins) expect(c.heartbeat('sales_group', j.generationId, j.memberId)).toBe(0)
  })

  // A new member makes heartbeats answer REBALANCE_IN_PROGRESS until everyone rejoins into generation 2.
  it('signals a rebalance through heartbeats when a member joins', async () => {
    const c = newCoordinator()
    const first = await Promise.all([join(c), join(c)])
    await syncAll(c, first)
    const third = join(c)
    for (const j of first) expect(c.heartbeat('sales_group', j.generationId, j.memberId)).toBe(KafkaErrors.REBALANCE_IN_PROGRESS.code)
    const rejoined = await Promise.all([third, ...first.map((j) => join(c, j.memberId))])
    expect(new Set(rejoined.map((j) => j.generationId))).toEqual(new Set([2]))
    const owned = await syncAll(c, rejoined)
    expect([...owned.values()].map((p) => p.length)).toEqual([2, 2, 2])
    expect(c.heartbeat('sales_group', 1, first[0].memberId)).toBe(KafkaErrors.ILLEGAL_GENERATION.code)
  })

  // A member that stops heartbeating is dropped after its session timeout, and the survivor takes all partitions.
  it('expires a silent member after the session timeout', async () => {
    const c = newCoordinator()
    const joins = await Promise.all([join(c, '', { sessionTimeoutMs: 150 }), join(c, '', { sessionTimeoutMs: 150 })])
    await syncAll(c, joins)
    const [alive, dead] = joins
    const deadline = Date.now() + 400
    while (Date.now() < deadline) {
      const code = c.heartbeat('sales_group', alive.generationId, alive.memberId)
      if (code === KafkaErrors.REBALANCE_IN_PROGRESS.code) break
      await sleep(20)
    }
    expect(c.describe('sales_group').members.map((m) => m.memberId)).toEqual([alive.memberId])
    const rejoin = await join(c, alive.memberId, { sessionTimeoutMs: 150 })
    expect(rejoin.generationId).toBe(2)
    const owned = await syncAll(c, [rejoin])
    expect(owned.get(alive.memberId)).toEqual([0, 1, 2, 3, 4, 5])
    expect(c.heartbeat('sales_group', rejoin.generationId, dead.memberId)).toBe(KafkaErrors.UNKNOWN_MEMBER_ID.code)
  })

  // Leaving triggers an immediate rebalance; the last member leaving empties the group.
  it('rebalances on leave and empties the group', async () => {
    const c = newCoordinator()
    const joins = await Promise.all([join(c), join(c)])
    await syncAll(c, joins)
    expect(c.leave('sales_group', [{ memberId: joins[1].memberId }])).toEqual([0])
    expect(c.describe('sales_group').state).toBe('PreparingRebalance')
    const again = await join(c, joins[0].memberId)
    expect(again.generationId).toBe(2)
    expect(c.leave('sales_group', [{ memberId: again.memberId }, { memberId: 'nobody' }])).toEqual([0, KafkaErrors.UNKNOWN_MEMBER_ID.code])
    expect(c.describe('sales_group').state).toBe('Empty')
  })

  // A static member restarting with the same group.instance.id keeps the generation: no rebalance.
  it('lets a static member restart without a rebalance and fences the old instance', async () => {
    const c = newCoordinator()
    const joins = await Promise.all([join(c, '', { groupInstanceId: 'a' }), join(c, '', { groupInstanceId: 'b' })])
    const owned = await syncAll(c, joins)
    const follower = joins.find((j) => j.memberId !== j.leader)!
    const instance = follower === joins[0] ? 'a' : 'b'
    const restarted = await join(c, '', { groupInstanceId: instance })
    expect(restarted.errorCode).toBe(0)
    expect(restarted.generationId).toBe(1)
    expect(restarted.memberId).not.toBe(follower.memberId)
    const sync = await c.sync({ groupId: 'sales_group', generationId: 1, memberId: restarted.memberId })
    expect(decodeAssignment(sync.assignment).partitions.map((tp) => tp.partition)).toEqual(owned.get(follower.memberId))
    expect(c.heartbeat('sales_group', 1, follower.memberId)).toBe(KafkaErrors.UNKNOWN_MEMBER_ID.code)
    expect(c.describe('sales_group').state).toBe('Stable')
  })

  // JoinGroup v4+: the first join answers MEMBER_ID_REQUIRED with an id; joining with it succeeds.
  it('runs the member-id handshake', async () => {
    const c = newCoordinator()
    const first = await join(c, '', { requireKnownMemberId: true })
    expect(first.errorCode).toBe(KafkaErrors.MEMBER_ID_REQUIRED.code)
    expect(first.memberId).not.toBe('')
    const second = await join(c, first.memberId)
    expect(second.errorCode).toBe(0)
    expect(second.memberId).toBe(first.memberId)
    expect((await join(c, 'made-up-id')).errorCode).toBe(KafkaErrors.UNKNOWN_MEMBER_ID.code)
  })

  // Bad requests get Kafka's error codes, not exceptions.
  it('rejects bad session timeouts, empty group ids and incompatible protocols', async () => {
    const c = newCoordinator()
    expect((await join(c, '', { sessionTimeoutMs: 1 })).errorCode).toBe(KafkaErrors.INVALID_SESSION_TIMEOUT.code)
    expect((await c.join({ groupId: '', memberId: '', clientId: 'x', protocolType: 'consumer', protocols: [{ name: 'range', metadata: new Uint8Array() }], sessionTimeoutMs: 1000, rebalanceTimeoutMs: 1000 })).errorCode).toBe(
      KafkaErrors.INVALID_GROUP_ID.code,
    )
    const ok = join(c)
    const other = await c.join({ groupId: 'sales_group', memberId: '', clientId: 'x', protocolType: 'consumer', protocols: [{ name: 'roundrobin', metadata: new Uint8Array() }], sessionTimeoutMs: 1000, rebalanceTimeoutMs: 1000 })
    expect(other.errorCode).toBe(KafkaErrors.INCONSISTENT_GROUP_PROTOCOL.code)
    expect((await ok).errorCode).toBe(0)
  })

  // Offset commits are accepted from the current generation only, and standalone commits only for an empty group.
  it('validates offset commits', async () => {
    const c = newCoordinator()
    expect(c.validateOffsetCommit('sales_group', -1, '')).toBe(0)
    const [j] = await Promise.all([join(c)])
    await syncAll(c, [j])
    expect(c.validateOffsetCommit('sales_group', j.generationId, j.memberId)).toBe(0)
    expect(c.validateOffsetCommit('sales_group', j.generationId + 1, j.memberId)).toBe(KafkaErrors.ILLEGAL_GENERATION.code)
    expect(c.validateOffsetCommit('sales_group', -1, '')).toBe(KafkaErrors.UNKNOWN_MEMBER_ID.code)
  })
})

describe('consumer protocol bytes', () => {
  const require = createRequire(import.meta.url)
  const { MemberMetadata, MemberAssignment } = require('kafkajs/src/consumer/assignerProtocol.js') as {
    MemberMetadata: { encode(x: unknown): Buffer; decode(b: Buffer): { topics: string[] } }
    MemberAssignment: { encode(x: unknown): Buffer; decode(b: Buffer): { assignment: Record<string, number[]> } }
  }

  // Our v0 encodings are byte-identical to kafkajs's, and each side decodes the other's.
  it('matches kafkajs byte for byte (v0) and round-trips v1–v3', () => {
    const ours = encodeSubscription({ topics: ['orders', 'payments'], userData: new Uint8Array() }, 0)
    const theirs = MemberMetadata.encode({ version: 0, topics: ['orders', 'payments'], userData: Buffer.alloc(0) })
    expect(Buffer.from(ours).equals(theirs)).toBe(true)
    const assignment = encodeAssignment({ partitions: [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 3 }], userData: new Uint8Array() }, 0)
    const theirAssignment = MemberAssignment.encode({ version: 0, assignment: { orders: [0, 3] }, userData: Buffer.alloc(0) })
    expect(Buffer.from(assignment).equals(theirAssignment)).toBe(true)
    expect(MemberAssignment.decode(Buffer.from(assignment)).assignment).toEqual({ orders: [0, 3] })
    const full = { topics: ['a'], userData: null, ownedPartitions: [{ topic: 'a', partition: 2 }], generationId: 7, rackId: 'r1' }
    expect(decodeSubscription(encodeSubscription(full, 3))).toEqual(full)
  })

  // Truncated or lying metadata is refused with an error naming the field.
  it('refuses truncated bytes clearly', () => {
    const bytes = encodeSubscription({ topics: ['orders'] }, 1)
    expect(() => decodeSubscription(bytes.subarray(0, 5))).toThrow(/truncated at topic/)
    const lying = new Uint8Array([0, 0, 0x7f, 0xff, 0xff, 0xff])
    expect(() => decodeSubscription(lying)).toThrow(/claims \d+ entries/)
    expect(decodeAssignment(new Uint8Array()).partitions).toEqual([])
  })
})
