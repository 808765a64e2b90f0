// Drives one consumer group of in-process consumers through a list of actions
// (joins, clean leaves, crashes, commits, keyed produces, polls) and checks what
// the members consumed against a reference model of what was produced.
//
// The model is deliberately simple: every acknowledged record is remembered by
// (partition, offset) with its value `key:seq`, where seq counts that key's
// records. Every delivery is remembered too. Invariants that must hold at every
// moment are checked as the run goes and collected as violations; the
// end-of-run properties (at-least-once, exactly-once, committed offsets at the
// log end) are checked by `finish()` after the surviving members drain.
//
// Polling discipline: a member rejoins a rebalance only when it polls, so
// members are always polled concurrently, each in its own loop, and a round
// ends only when the group is quiet (Stable or Empty, with every live consumer
// a member) and every loop is parked outside a poll.
// Waits are on conditions, with generous caps, never on fixed sleeps, so a
// loaded machine makes a run slower rather than wrong.
import { Eddy } from '../../src/eddy.js'
import type { Consumer, ConsumerRecord } from '../../src/client/consumer.js'
import type { Producer } from '../../src/client/producer.js'
import { KafkaError } from '../../src/broker/errors.js'
import { createAssignor, tpKey, type AssignorName, type TopicPartition } from '../../src/broker/assignors/index.js'
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../src/broker/group/consumer-protocol.js'
import type { JoinGroupResult } from '../../src/broker/group/coordinator.js'

export type Mode = 'exactly-once' | 'at-least-once'

export type Action =
  // With `during`, the membership change happens delayMs into a poll round that produces `keys`, while the others are mid-poll.
  | { kind: 'join'; during?: MidRound }
  | { kind: 'leave'; who: number; during?: MidRound }
  | { kind: 'crash-consumer'; who: number; during?: MidRound }
  | { kind: 'crash-raw'; stage: 'joined' | 'synced' }
  | { kind: 'produce'; keys: number[] }
  | { kind: 'poll'; rounds: number }
  | { kind: 'commit'; who: number }

export interface MidRound {
  delayMs: number
  keys: number[]
}

export interface RunConfig {
  mode: Mode
  assignor: AssignorName
  partitions: number
  /** maxRecords per poll; small values leave records buffered across rebalances. */
  maxRecords: number
  lingerMs: number
  /** Commit after every poll that returned records, and on revoke (always on in exactly-once mode). */
  commitAfterPoll: boolean
  /** Time a member spends on each non-empty poll's records before it polls again, so rebalances catch members mid-batch. */
  processingMs: number
}

export const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5']
export const LIVE_MEMBERS_MAX = 4
const TOPIC = 'events'
const GROUP = 'model-group'
const HEARTBEAT_INTERVAL_MS = 30
/** Crashes are detected by session expiry, so crash-prone runs keep sessions short. */
const SESSION_TIMEOUT_MS_CRASHY = 300
/** Runs without crashes never wait on a session, so a long one keeps a stalled machine from expelling a live member. */
const SESSION_TIMEOUT_MS_CALM = 5_000
const RAW_SESSION_TIMEOUT_MS = 200
/** Also the rebalance timeout; only a member that heartbeats but never rejoins would make a rebalance wait this long. */
const MAX_POLL_INTERVAL_MS = 15_000
const POLL_TIMEOUT_MS = 20
const ROUND_MIN_MS = 30
const PARK_MS = 5
const ROUND_MS_MAX = 25_000
const DRAIN_MS_MAX = 40_000
const VIOLATIONS_SHOWN_MAX = 15

interface Period {
  lastOffset?: number
  lastSeqByKey: Map<string, number>
}

interface Member {
  name: string
  consumer: Consumer<string, string>
  /** leaving: stops polling, then closes; crashed: stops polling and heartbeating without leaving. */
  state: 'live' | 'leaving' | 'left' | 'crashed'
  /** partition → the assignment period the member is in for it (from the rebalance listener). */
  periods: Map<number, Period>
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

export class GroupModelRun {
  private readonly members: Member[] = []
  private readonly nextSeqByKey = new Map<string, number>()
  /** Exactly-once runs: key → the seq the group must process next. */
  private readonly nextProcessedSeqByKey = new Map<string, number>()
  /** `partition:offset` → value, from the producer's acknowledgements. */
  private readonly produced = new Map<string, string>()
  /** `partition:offset` → the values delivered there (one entry per delivery). */
  private readonly deliveries = new Map<string, string[]>()
  /** Distinct violations, in the order found (one broken invariant tends to repeat every poll). */
  private readonly violations = new Set<string>()
  private rawMembers = 0
  /** The poll round in progress, so a member joining or leaving during it gets or loses its loop. */
  private activeRound?: { add(m: Member): void; loopOf(m: Member): Promise<void> | undefined }
  private readonly allPartitions: string[]

  private constructor(
    private readonly eddy: Eddy,
    private readonly producer: Producer,
    readonly config: RunConfig,
  ) {
    this.allPartitions = Array.from({ length: config.partitions }, (_, p) => tpKey({ topic: TOPIC, partition: p }))
  }

  static async start(config: RunConfig): Promise<GroupModelRun> {
    const eddy = await Eddy.open({ coordinator: { initialRebalanceDelayMs: 20 } })
    await eddy.admin.createTopic(TOPIC, { partitions: config.partitions })
    const producer = eddy.producer({ acks: 'all', lingerMs: config.lingerMs })
    return new GroupModelRun(eddy, producer, config)
  }

  async close(): Promise<void> {
    await this.eddy.close()
  }

  async apply(action: Action): Promise<void> {
    switch (action.kind) {
      case 'join':
        return this.membershipChange(action.during, () => {
          if (this.live().length >= LIVE_MEMBERS_MAX) return
          const member = this.join()
          this.activeRound?.add(member)
        })
      case 'leave':
        return this.membershipChange(action.during, () => this.leave(this.pick(action.who)))
      case 'crash-consumer':
        return this.membershipChange(action.during, () => this.crashConsumer(this.pick(action.who)))
      case 'crash-raw':
        return this.crashRawMember(action.stage)
      case 'produce':
        // Produce while the members poll, so deliveries interleave with appends.
        await Promise.all([this.produce(action.keys), this.pollRound()])
        return
      case 'poll':
        for (let i = 0; i < action.rounds; i++) await this.pollRound()
        return
      case 'commit': {
        const m = this.pick(action.who)
        if (m) await this.commit(m)
        return
      }
    }
  }

  /** Applies a membership change between rounds, or in the middle of one that is producing and polling. */
  private async membershipChange(during: MidRound | undefined, change: () => void | Promise<void>): Promise<void> {
    if (during === undefined) {
      await change()
      return this.pollRound()
    }
    await this.pollRound({
      during: async () => {
        const producing = this.produce(during.keys)
        await sleep(during.delayMs)
        await change()
        await producing
      },
    })
  }

  // ------------------------------------------------------------------ actions

  private join(): Member {
    const name = `m${this.members.length}`
    const member: Member = { name, consumer: undefined as unknown as Consumer<string, string>, state: 'live', periods: new Map() }
    member.consumer = this.eddy.consumer<string, string>({
      groupId: GROUP,
      clientId: name,
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      assignor: this.config.assignor,
      heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
      sessionTimeoutMs: this.config.mode === 'exactly-once' ? SESSION_TIMEOUT_MS_CALM : SESSION_TIMEOUT_MS_CRASHY,
      maxPollIntervalMs: MAX_POLL_INTERVAL_MS,
      rebalanceListener: {
        onPartitionsAssigned: (tps) => this.startPeriods(member, tps),
        onPartitionsRevoked: async (tps) => {
          // Kafka's pattern for handing a partition over without duplicates: commit what was processed before letting it go.
          if (this.config.commitAfterPoll && processes(member)) await this.commit(member, tps)
          this.endPeriods(member, tps)
        },
        onPartitionsLost: (tps) => this.endPeriods(member, tps),
      },
    })
    this.members.push(member)
    // subscribe() resolves without awaiting anything slow (the topic exists); the join happens in the first poll.
    void member.consumer.subscribe([TOPIC])
    return member
  }

  /** Stops polling (after the poll in flight, if any), then leaves the group cleanly. */
  private async leave(m: Member | undefined): Promise<void> {
    if (!m) return
    m.state = 'leaving'
    await this.activeRound?.loopOf(m)
    await m.consumer.close()
    m.state = 'left'
  }

  /**
   * A consumer that stops heartbeating and polling without leaving, as a killed
   * process does. (A rebalance it already has in flight may still finish; then
   * its session simply runs out.)
   */
  private crashConsumer(m: Member | undefined): void {
    if (!m) return
    const internals = m.consumer as unknown as { heartbeatTimer?: ReturnType<typeof setInterval> }
    if (internals.heartbeatTimer === undefined) throw new Error('test hook: Consumer no longer keeps its heartbeat timer in `heartbeatTimer`; update crashConsumer')
    clearInterval(internals.heartbeatTimer)
    m.state = 'crashed'
  }

  /**
   * A member driven by hand through the coordinator that stops after JoinGroup
   * (a leader that never sends assignments stalls the group until its session
   * ends) or after SyncGroup (it owns partitions it never reads).
   */
  private async crashRawMember(stage: 'joined' | 'synced'): Promise<void> {
    const coordinator = this.eddy.broker.coordinator
    const metadata = encodeSubscription({ topics: [TOPIC], ownedPartitions: [], generationId: -1 }, 2)
    const joining = coordinator.join({
      groupId: GROUP,
      memberId: '',
      clientId: `raw${this.rawMembers++}`,
      protocolType: 'consumer',
      protocols: [{ name: this.config.assignor, metadata }],
      sessionTimeoutMs: RAW_SESSION_TIMEOUT_MS,
      rebalanceTimeoutMs: RAW_SESSION_TIMEOUT_MS,
    })
    // The join completes only when every live member has rejoined, so they keep polling meanwhile.
    await this.pollRound({ until: joining })
    const join = await joining
    if (join.errorCode !== 0) {
      this.violations.add(`raw member join failed with error code ${join.errorCode}`)
      return
    }
    if (stage === 'joined') return
    const syncing = coordinator.sync({
      groupId: GROUP,
      generationId: join.generationId,
      memberId: join.memberId,
      assignments: join.leader === join.memberId ? this.leaderAssignments(join) : undefined,
    })
    await this.pollRound({ until: syncing })
  }

  private leaderAssignments(join: JoinGroupResult): { memberId: string; assignment: Uint8Array }[] {
    const subscriptions = join.members.map((m) => {
      const sub = decodeSubscription(m.metadata)
      return { memberId: m.memberId, topics: sub.topics, ownedPartitions: sub.ownedPartitions, generation: sub.generationId }
    })
    const plan = createAssignor(this.config.assignor).assign(subscriptions, new Map([[TOPIC, this.config.partitions]]))
    return [...plan].map(([memberId, partitions]) => ({ memberId, assignment: encodeAssignment({ partitions }) }))
  }

  private async produce(keyIndexes: number[]): Promise<void> {
    const records = keyIndexes.map((i) => {
      const key = KEYS[i % KEYS.length]
      const seq = this.nextSeqByKey.get(key) ?? 0
      this.nextSeqByKey.set(key, seq + 1)
      return { key, value: `${key}:${seq}` }
    })
    const acks = await this.producer.send(TOPIC, records)
    acks.forEach((ack, i) => this.produced.set(`${ack.partition}:${ack.offset}`, records[i].value))
  }

  /**
   * Commits the member's positions (of `partitions`, or all it owns). A commit
   * after a poll may meet a rebalance the member has already begun in the
   * background (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION); that is harmless
   * because the revoke commit or the next poll's commit covers the same records.
   * A commit on revoke happens inside the member's own generation and must succeed
   * in exactly-once runs.
   */
  private async commit(m: Member, partitions?: TopicPartition[]): Promise<void> {
    try {
      if (partitions === undefined) await m.consumer.commitSync()
      else {
        const offsets = []
        for (const tp of partitions) offsets.push({ ...tp, offset: await m.consumer.position(tp) })
        if (offsets.length > 0) await m.consumer.commitSync(offsets)
      }
    } catch (error) {
      const retriable = error instanceof KafkaError && (error.type === 'REBALANCE_IN_PROGRESS' || error.type === 'ILLEGAL_GENERATION')
      const strict = this.config.mode === 'exactly-once' && partitions !== undefined
      if (!(error instanceof KafkaError) || strict || (this.config.mode === 'exactly-once' && !retriable)) {
        this.violations.add(`${m.name}: commit ${partitions ? 'on revoke' : 'after processing'} failed: ${(error as Error).message}`)
      }
    }
  }

  // ------------------------------------------------------------------ polling

  /**
   * Polls every live member concurrently, each in its own loop, until `until`
   * settles and `during` is done (if given), at least ROUND_MIN_MS have passed,
   * and the group is quiet with every loop parked; then checks that consumers
   * and coordinator agree on the assignment. Members that join during the round
   * get a loop of their own; members that leave or crash stop after their poll.
   */
  private async pollRound(options: { until?: Promise<unknown>; during?: () => Promise<void> } = {}): Promise<void> {
    let settled = options.until === undefined
    options.until?.then(
      () => (settled = true),
      () => (settled = true),
    )
    let duringDone = options.during === undefined
    const started = performance.now()
    const loops = new Map<Member, Promise<void>>()
    const parked = new Set<Member>()
    let finished = false
    let quietView: QuietView | undefined
    const canStop = () => settled && duringDone && performance.now() - started >= ROUND_MIN_MS && (quietView = this.quietView(this.live())) !== undefined
    const everyoneParked = () => [...loops.keys()].every((m) => parked.has(m) || m.state !== 'live')
    const loop = async (m: Member) => {
      while (!finished && m.state === 'live') {
        // A member parks only once its own poll has applied the assignment its background
        // sync received (the coordinator can be Stable before that poll, as in Kafka).
        if (canStop() && !hasUnappliedAssignment(m)) {
          parked.add(m)
          if (everyoneParked()) {
            finished = true
            this.checkSettledAssignment(this.live(), quietView!)
            return
          }
          await sleep(PARK_MS)
          continue
        }
        parked.delete(m)
        await this.pollOnce(m)
      }
    }
    this.activeRound = { add: (m) => loops.set(m, loop(m)), loopOf: (m) => loops.get(m) }
    for (const m of this.live()) this.activeRound.add(m)
    const during = options.during?.().finally(() => (duringDone = true))
    const everything = async () => {
      await during
      if (loops.size === 0) await options.until
      // Loops may be added while we wait (a join during the round), so wait until the set stops growing.
      for (let seen = -1; seen !== loops.size; ) {
        seen = loops.size
        await Promise.all(loops.values())
      }
    }
    try {
      await withTimeout(everything(), ROUND_MS_MAX, () => `a poll round (group ${this.eddy.broker.coordinator.describe(GROUP).state}; live ${this.live().map((m) => m.name).join(',') || 'none'})`)
    } finally {
      finished = true
      this.activeRound = undefined
    }
  }

  /**
   * One poll and the processing of what it returned. A record counts as
   * delivered when its processing finishes: a member that crashes while
   * processing has delivered nothing from that poll.
   */
  private async pollOnce(m: Member): Promise<void> {
    const records = await m.consumer.poll({ maxRecords: this.config.maxRecords, timeoutMs: POLL_TIMEOUT_MS })
    const owned = new Set(m.consumer.assignment().map((tp) => tp.partition))
    this.checkGroupAssignmentsDisjoint()
    if (records.length === 0) return
    if (this.config.processingMs > 0) await sleep(this.config.processingMs)
    if (m.state === 'crashed') return
    for (const r of records) this.observe(m, r, owned)
    if (this.config.commitAfterPoll && processes(m)) await this.commit(m)
  }

  /**
   * Per-delivery checks: the member owned the partition when the poll returned
   * and still does when it has processed the record (Kafka revokes only inside
   * poll, so processing never overlaps a handover); within one assignment period
   * offsets are consecutive and each key's sequence rises; and in exactly-once
   * runs the group as a whole processes each key's records in sequence order.
   */
  private observe(m: Member, r: ConsumerRecord<string, string>, owned: Set<number>): void {
    const at = `${m.name} ${r.partition}@${r.offset}`
    const list = this.deliveries.get(`${r.partition}:${r.offset}`) ?? []
    list.push(r.value)
    this.deliveries.set(`${r.partition}:${r.offset}`, list)
    if (!owned.has(r.partition)) this.violations.add(`${at}: delivered a record of a partition the member does not own`)
    const [key, seqText] = r.value.split(':')
    const seq = Number(seqText)
    if (r.key !== key) this.violations.add(`${at}: key ${r.key} carries the value ${r.value}`)
    const period = m.periods.get(r.partition)
    if (this.config.mode === 'exactly-once') {
      const expected = this.nextProcessedSeqByKey.get(key) ?? 0
      if (seq !== expected) this.violations.add(`${at}: the group processed ${key}:${seq} when ${key}:${expected} was next`)
      this.nextProcessedSeqByKey.set(key, Math.max(expected, seq + 1))
    }
    if (!period) {
      const why = owned.has(r.partition) ? 'the partition was revoked while the member was still processing the records its last poll returned' : 'no onPartitionsAssigned for it'
      this.violations.add(`${at}: processed outside any assignment period (${why})`)
      return
    }
    if (period.lastOffset !== undefined && r.offset !== period.lastOffset + 1) {
      this.violations.add(`${at}: offsets within one assignment period jump from ${period.lastOffset} to ${r.offset}`)
    }
    period.lastOffset = r.offset
    const last = period.lastSeqByKey.get(key)
    if (last !== undefined && seq <= last) this.violations.add(`${at}: key ${key} went from seq ${last} to ${seq} within one assignment period`)
    period.lastSeqByKey.set(key, seq)
  }

  private startPeriods(m: Member, tps: TopicPartition[]): void {
    for (const tp of tps) {
      if (m.periods.has(tp.partition)) this.violations.add(`${m.name}: assigned ${tp.partition} again without a revoke in between`)
      m.periods.set(tp.partition, { lastSeqByKey: new Map() })
    }
  }

  private endPeriods(m: Member, tps: TopicPartition[]): void {
    for (const tp of tps) m.periods.delete(tp.partition)
  }

  // ------------------------------------------------------------------ ownership

  /** The coordinator's view of the current generation never gives one partition to two members. */
  private checkGroupAssignmentsDisjoint(): void {
    const owners = new Map<string, string>()
    for (const member of this.describeMembers()) {
      for (const tp of member.assignment) {
        const key = tpKey(tp)
        const other = owners.get(key)
        if (other !== undefined) this.violations.add(`generation ${this.generation()}: partition ${tp.partition} assigned to both ${other} and ${member.clientId}`)
        owners.set(key, member.clientId)
      }
    }
  }

  /** Stable (or Empty) with every live consumer a member: nothing is waiting on anyone's poll. */
  private quietView(live: Member[]): QuietView | undefined {
    const state = this.eddy.broker.coordinator.describe(GROUP).state
    if (state !== 'Stable' && state !== 'Empty') return undefined
    const members = this.describeMembers()
    const byClient = new Map<string, TopicPartition[]>()
    for (const member of members) {
      if (byClient.has(member.clientId)) return undefined // a zombie's old self is still in the group
      byClient.set(member.clientId, member.assignment)
    }
    if (!live.every((m) => byClient.has(m.name))) return undefined
    return { byClient }
  }

  /**
   * At a quiet point every live consumer has finished its rebalance, so its own
   * assignment() is exactly what the coordinator handed it in this generation.
   */
  private checkSettledAssignment(live: Member[], view: QuietView): void {
    for (const m of live) {
      const ours = m.consumer.assignment().map(tpKey).sort()
      const theirs = (view.byClient.get(m.name) ?? []).map(tpKey).sort()
      if (ours.join() !== theirs.join()) {
        this.violations.add(`generation ${this.generation()}: ${m.name} thinks it owns [${ours.map(partitionOf)}] but the coordinator gave it [${theirs.map(partitionOf)}]`)
      }
      const periods = [...m.periods.keys()].sort((a, b) => a - b)
      const owned = m.consumer.assignment().map((tp) => tp.partition).sort((a, b) => a - b)
      if (periods.join() !== owned.join()) this.violations.add(`${m.name}: the rebalance listener left it owning [${periods}] but assignment() is [${owned}]`)
    }
  }

  /** One instant's view from the coordinator (the data admin.describeGroup decodes, read synchronously so nothing moves meanwhile). */
  private describeMembers(): { clientId: string; assignment: TopicPartition[] }[] {
    return this.eddy.broker.coordinator.describe(GROUP).members.map((m) => ({ clientId: m.clientId, assignment: decodeAssignment(m.assignment).partitions }))
  }

  private generation(): number {
    return this.eddy.broker.coordinator.describe(GROUP).generationId
  }

  // ------------------------------------------------------------------ end of run

  /** Lets the surviving members drain the topic, then checks the end-of-run properties; throws on any violation. */
  async finish(): Promise<void> {
    if (this.live().length === 0) this.join()
    const deadline = performance.now() + DRAIN_MS_MAX
    let drained = false
    while (!drained && performance.now() < deadline) {
      await this.pollRound()
      drained = await this.drained()
    }
    const stuck = drained ? undefined : `the group did not drain within ${DRAIN_MS_MAX} ms: ${await this.drainReport()}`
    for (const m of this.live()) await this.commit(m)
    const problems = [...this.violations, ...(stuck ? [stuck] : [])]
    problems.push(...this.deliveryProblems())
    problems.push(...(await this.committedProblems()))
    problems.push(...(await this.logProblems()))
    if (problems.length > 0) {
      const shown = problems.slice(0, VIOLATIONS_SHOWN_MAX)
      throw new Error(`${problems.length} problem(s) in a ${this.config.mode} run (${JSON.stringify(this.config)}):\n  ${shown.join('\n  ')}`)
    }
  }

  /** Every produced record delivered, every live consumer caught up, and the live consumers own every partition between them. */
  private async drained(): Promise<boolean> {
    for (const key of this.produced.keys()) if (!this.deliveries.has(key)) return false
    const live = this.live()
    const view = this.quietView(live)
    if (!view) return false
    const owned = new Set(live.flatMap((m) => m.consumer.assignment().map(tpKey)))
    if (!this.allPartitions.every((p) => owned.has(p))) return false
    for (const m of live) for (const { lag } of await m.consumer.lag()) if (lag > 0) return false
    return true
  }

  private async drainReport(): Promise<string> {
    const missing = [...this.produced.keys()].filter((k) => !this.deliveries.has(k))
    const group = await this.eddy.admin.describeGroup(GROUP)
    const members = group.members.map((m) => `${m.clientId}:[${m.assignment.map((tp) => tp.partition)}]`).join(' ')
    return `${missing.length} record(s) never delivered (e.g. ${missing.slice(0, 5).join(', ')}); group ${group.state} generation ${group.generationId}, members ${members}; live ${this.live().map((m) => m.name).join(',')}`
  }

  /** At least once always; exactly once when members commit after processing and leave only cleanly; nothing delivered that was not produced. */
  private deliveryProblems(): string[] {
    const problems: string[] = []
    for (const [at, value] of this.produced) {
      const got = this.deliveries.get(at) ?? []
      if (got.length === 0) problems.push(`record ${at} (${value}) was never delivered`)
      else if (this.config.mode === 'exactly-once' && got.length !== 1) problems.push(`record ${at} (${value}) was delivered ${got.length} times`)
      for (const v of got) if (v !== value) problems.push(`record ${at} was produced as ${value} but delivered as ${v}`)
    }
    for (const at of this.deliveries.keys()) if (!this.produced.has(at)) problems.push(`record ${at} was delivered but never acknowledged to the producer`)
    return problems
  }

  /** After the final commits the group's committed offsets are at the log end of every partition that has data. */
  private async committedProblems(): Promise<string[]> {
    const group = await this.eddy.admin.describeGroup(GROUP)
    const committed = new Map(group.offsets.map((o) => [o.partition, o]))
    const problems: string[] = []
    const ends = await this.eddy.admin.listOffsets(TOPIC, 'latest')
    for (const { partition, offset } of ends) {
      if (offset === 0) continue
      const c = committed.get(partition)
      if (!c || c.committed !== offset) problems.push(`partition ${partition}: committed ${c?.committed ?? 'nothing'}, log end ${offset}`)
    }
    return problems
  }

  /** The log holds exactly the acknowledged records, each key's sequence in order with no gap. */
  private async logProblems(): Promise<string[]> {
    const problems: string[] = []
    const ends = await this.eddy.admin.listOffsets(TOPIC, 'latest')
    const total = ends.reduce((sum, e) => sum + e.offset, 0)
    if (total !== this.produced.size) problems.push(`the log holds ${total} records but ${this.produced.size} were acknowledged`)
    const nextSeq = new Map<string, number>()
    for (const { partition, offset: end } of ends) {
      for (let offset = 0; offset < end; offset++) {
        const value = this.produced.get(`${partition}:${offset}`)
        if (value === undefined) {
          problems.push(`offset ${partition}:${offset} is in the log but was never acknowledged`)
          continue
        }
        const [key, seqText] = value.split(':')
        const expected = nextSeq.get(key) ?? 0
        if (Number(seqText) !== expected) problems.push(`partition ${partition}@${offset}: key ${key} has seq ${seqText}, expected ${expected}`)
        nextSeq.set(key, Number(seqText) + 1)
      }
    }
    for (const [key, next] of this.nextSeqByKey) if ((nextSeq.get(key) ?? 0) !== next) problems.push(`key ${key}: produced ${next}, the log holds ${nextSeq.get(key) ?? 0}`)
    return problems
  }

  // ------------------------------------------------------------------ helpers

  private live(): Member[] {
    return this.members.filter((m) => m.state === 'live')
  }

  private pick(who: number): Member | undefined {
    const live = this.live()
    return live.length === 0 ? undefined : live[who % live.length]
  }
}

/** A member still processing what it polls (so it commits): live, or finishing before it leaves. */
function processes(m: Member): boolean {
  return m.state === 'live' || m.state === 'leaving'
}

interface QuietView {
  byClient: Map<string, TopicPartition[]>
}

function partitionOf(key: string): string {
  return key.slice(key.indexOf('\u0000') + 1)
}

async function withTimeout<T>(work: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${typeof what === 'string' ? what : what()}`)), ms)
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The consumer has received an assignment from its sync that its next poll will apply (test-only peek at a private field). */
function hasUnappliedAssignment(m: Member): boolean {
  return (m.consumer as unknown as { pendingAssignment?: unknown }).pendingAssignment !== undefined
}
