// The group coordinator: Kafka's consumer-group membership protocol
// (JoinGroup / SyncGroup / Heartbeat / LeaveGroup) for in-process consumers and
// wire-protocol clients alike. Metadata and assignments are opaque bytes (the
// consumer protocol's Subscription and Assignment), so a kafka-python member and
// an in-process member can share one group; the leader member computes the
// assignment, as in Kafka.
//
// States (Kafka's GroupMetadata): Empty → PreparingRebalance → CompletingRebalance
// → Stable, back to PreparingRebalance on any membership change.
//
// Concurrency: single-threaded (one event loop); every method runs to
// completion. Waiting joins and syncs are promises resolved by later calls or
// timers. Results carry Kafka error codes instead of throwing, because the wire
// server must send them as codes.
import { KafkaErrors } from '../errors.js'

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead'

export interface GroupProtocol {
  name: string
  metadata: Uint8Array
}

export interface JoinGroupRequest {
  groupId: string
  /** '' for a member joining for the first time. */
  memberId: string
  groupInstanceId?: string | null
  clientId: string
  clientHost?: string
  protocolType: string
  protocols: readonly GroupProtocol[]
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  /** JoinGroup v4+: a new member first gets MEMBER_ID_REQUIRED with its id, then rejoins with it. */
  requireKnownMemberId?: boolean
}

export interface JoinedMember {
  memberId: string
  groupInstanceId: string | null
  metadata: Uint8Array
}

export interface JoinGroupResult {
  errorCode: number
  generationId: number
  protocolType: string | null
  protocolName: string | null
  leader: string
  memberId: string
  /** Filled for the leader only: every member's metadata for the chosen protocol. */
  members: JoinedMember[]
}

export interface SyncGroupRequest {
  groupId: string
  generationId: number
  memberId: string
  groupInstanceId?: string | null
  /** Sent by the leader: the assignment of every member. */
  assignments?: readonly { memberId: string; assignment: Uint8Array }[]
}

export interface SyncGroupResult {
  errorCode: number
  protocolType: string | null
  protocolName: string | null
  assignment: Uint8Array
}

export interface GroupMemberDescription {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  metadata: Uint8Array
  assignment: Uint8Array
}

export interface GroupDescription {
  groupId: string
  state: GroupState
  protocolType: string
  protocolName: string
  generationId: number
  leader: string
  members: GroupMemberDescription[]
}

export interface CoordinatorOptions {
  /** Delay before the first rebalance of an empty group, so members starting together land in one generation. */
  initialRebalanceDelayMs?: number
  sessionTimeoutMsMin?: number
  sessionTimeoutMsMax?: number
  groupMembersMax?: number
}

interface Member {
  memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  protocols: readonly GroupProtocol[]
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  assignment: Uint8Array
  joinWaiter?: (result: JoinGroupResult) => void
  syncWaiter?: (result: SyncGroupResult) => void
  sessionTimer?: ReturnType<typeof setTimeout>
}

interface Group {
  groupId: string
  state: GroupState
  generationId: number
  protocolType: string
  protocolName: string
  leaderId: string
  members: Map<string, Member>
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet joined. */
  pendingMemberIds: Set<string>
  rebalanceTimer?: ReturnType<typeof setTimeout>
  /** True while the first rebalance of an empty group waits for more members to arrive. */
  initialDelayRunning: boolean
}

const EMPTY = new Uint8Array(0)
const code = KafkaErrors

export class GroupCoordinator {
  private readonly groups = new Map<string, Group>()
  private readonly options: Required<CoordinatorOptions>
  private nextMemberSeq = 0
  private closed = false

  constructor(options: CoordinatorOptions = {}) {
    this.options = {
      initialRebalanceDelayMs: options.initialRebalanceDelayMs ?? 50,
      sessionTimeoutMsMin: options.sessionTimeoutMsMin ?? 50,
      sessionTimeoutMsMax: options.sessionTimeoutMsMax ?? 1_800_000,
      groupMembersMax: options.groupMembersMax ?? 10_000,
    }
  }

  // ------------------------------------------------------------------ JoinGroup

  join(req: JoinGroupRequest): Promise<JoinGroupResult> {
    const fail = (errorCode: number, memberId = req.memberId) => Promise.resolve(joinError(errorCode, memberId))
    if (this.closed) return fail(code.COORDINATOR_NOT_AVAILABLE.code)
    if (!req.groupId) return fail(code.INVALID_GROUP_ID.code)
    if (req.sessionTimeoutMs < this.options.sessionTimeoutMsMin || req.sessionTimeoutMs > this.options.sessionTimeoutMsMax) {
      return fail(code.INVALID_SESSION_TIMEOUT.code)
    }
    const group = this.groupFor(req.groupId)
    if (req.protocols.length === 0 || (group.members.size > 0 && !this.protocolsCompatible(group, req))) {
      return fail(code.INCONSISTENT_GROUP_PROTOCOL.code)
    }
    const instanceId = req.groupInstanceId ?? null

    if (req.memberId === '') {
      if (instanceId !== null) {
        const existing = [...group.members.values()].find((m) => m.groupInstanceId === instanceId)
        if (existing) return this.replaceStaticMember(group, existing, req)
      } else if (req.requireKnownMemberId) {
        const memberId = this.newMemberId(req.clientId)
        group.pendingMemberIds.add(memberId)
        return fail(code.MEMBER_ID_REQUIRED.code, memberId)
      }
      if (group.members.size >= this.options.groupMembersMax) return fail(code.GROUP_MAX_SIZE_REACHED.code)
      return this.addMemberAndRebalance(group, this.newMemberId(req.clientId), req)
    }

    const member = group.members.get(req.memberId)
    if (!member) {
      if (group.pendingMemberIds.delete(req.memberId)) return this.addMemberAndRebalance(group, req.memberId, req)
      return fail(code.UNKNOWN_MEMBER_ID.code)
    }
    if (instanceId !== null && member.groupInstanceId !== instanceId) return fail(code.FENCED_INSTANCE_ID.code)

    const unchanged = sameProtocols(member.protocols, req.protocols)
    updateMember(member, req)
    // A follower re-joining with the same metadata while nothing changes gets the current generation back.
    if (unchanged && (group.state === 'CompletingRebalance' || (group.state === 'Stable' && group.leaderId !== member.memberId))) {
      this.touchSession(group, member)
      return Promise.resolve(this.joinResultFor(group, member))
    }
    return this.awaitRebalance(group, member)
  }

  private addMemberAndRebalance(group: Group, memberId: string, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const member: Member = {
      memberId,
      groupInstanceId: req.groupInstanceId ?? null,
      clientId: req.clientId,
      clientHost: req.clientHost ?? '',
      protocols: req.protocols,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs,
      assignment: EMPTY,
    }
    group.members.set(memberId, member)
    if (group.members.size === 1) group.protocolType = req.protocolType
    return this.awaitRebalance(group, member)
  }

  /** A static member restarting under the same group.instance.id takes over without a rebalance when nothing changed. */
  private replaceStaticMember(group: Group, old: Member, req: JoinGroupRequest): Promise<JoinGroupResult> {
    const memberId = this.newMemberId(req.clientId)
    this.clearSession(old)
    old.joinWaiter?.(joinError(code.FENCED_INSTANCE_ID.code, old.memberId))
    old.syncWaiter?.(syncError(code.FENCED_INSTANCE_ID.code))
    group.members.delete(old.memberId)
    const unchanged = sameProtocols(old.protocols, req.protocols)
    const member: Member = { ...old, memberId, joinWaiter: undefined, syncWaiter: undefined, sessionTimer: undefined }
    updateMember(member, req)
    group.members.set(memberId, member)
    if (group.leaderId === old.memberId) group.leaderId = memberId
    if (unchanged && group.state === 'Stable') {
      this.touchSession(group, member)
      return Promise.resolve(this.joinResultFor(group, member))
    }
    return this.awaitRebalance(group, member)
  }

  private awaitRebalance(group: Group, member: Member): Promise<JoinGroupResult> {
    this.clearSession(member)
    const result = new Promise<JoinGroupResult>((resolve) => {
      member.joinWaiter?.(joinError(code.UNKNOWN_MEMBER_ID.code, member.memberId))
      member.joinWaiter = resolve
    })
    if (group.state !== 'PreparingRebalance') this.prepareRebalance(group)
    else this.maybeCompleteJoin(group)
    return result
  }

  private prepareRebalance(group: Group): void {
    if (group.state === 'CompletingRebalance') {
      for (const m of group.members.values()) {
        m.syncWaiter?.(syncError(code.REBALANCE_IN_PROGRESS.code))
        m.syncWaiter = undefined
      }
    }
    const wasEmpty = group.state === 'Empty'
    group.state = 'PreparingRebalance'
    group.initialDelayRunning = wasEmpty
    if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer)
    // Members that do not rejoin within the rebalance timeout are dropped when the timer fires.
    const rebalanceTimeoutMs = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs))
    const delayMs = wasEmpty ? this.options.initialRebalanceDelayMs : rebalanceTimeoutMs
    group.rebalanceTimer = unrefTimer(setTimeout(() => this.completeJoin(group), delayMs))
    if (!wasEmpty) this.maybeCompleteJoin(group)
  }

  private maybeCompleteJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return
    if (group.initialDelayRunning) return
    for (const m of group.members.values()) if (!m.joinWaiter) return
    this.completeJoin(group)
  }

  private completeJoin(group: Group): void {
    if (group.state !== 'PreparingRebalance') return
    if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer)
    group.rebalanceTimer = undefined
    group.initialDelayRunning = false
    for (const m of [...group.members.values()]) if (!m.joinWaiter) this.removeMember(group, m)
    group.generationId++
    if (group.members.size === 0) {
      group.state = 'Empty'
      group.protocolName = ''
      group.leaderId = ''
      return
    }
    group.protocolName = chooseProtocol(group)
    if (!group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value as string
    group.state = 'CompletingRebalance'
    for (const m of group.members.values()) {
      m.assignment = EMPTY
      const waiter = m.joinWaiter!
      m.joinWaiter = undefined
      this.touchSession(group, m)
      waiter(this.joinResultFor(group, m))
    }
  }

  private joinResultFor(group: Group, member: Member): JoinGroupResult {
    const isLeader = group.leaderId === member.memberId
    return {
      errorCode: 0,
      generationId: group.generationId,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      leader: group.leaderId,
      memberId: member.memberId,
      members: isLeader
        ? [...group.members.values()].map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.groupInstanceId,
            metadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY,
          }))
        : [],
    }
  }

  // ------------------------------------------------------------------ SyncGroup

  sync(req: SyncGroupRequest): Promise<SyncGroupResult> {
    const group = this.groups.get(req.groupId)
    const member = group?.members.get(req.memberId)
    if (!group || !member) return Promise.resolve(syncError(code.UNKNOWN_MEMBER_ID.code))
    if (req.groupInstanceId && member.groupInstanceId !== req.groupInstanceId) return Promise.resolve(syncError(code.FENCED_INSTANCE_ID.code))
    if (req.generationId !== group.generationId) return Promise.resolve(syncError(code.ILLEGAL_GENERATION.code))
    if (group.state === 'PreparingRebalance') return Promise.resolve(syncError(code.REBALANCE_IN_PROGRESS.code))
    this.touchSession(group, member)
    if (group.state === 'Stable') return Promise.resolve(this.syncResultFor(group, member))

    const result = new Promise<SyncGroupResult>((resolve) => {
      member.syncWaiter = resolve
    })
    if (member.memberId === group.leaderId && req.assignments) {
      const byMember = new Map(req.assignments.map((a) => [a.memberId, a.assignment]))
      for (const m of group.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY
      group.state = 'Stable'
      for (const m of group.members.values()) {
        const waiter = m.syncWaiter
        m.syncWaiter = undefined
        waiter?.(this.syncResultFor(group, m))
      }
    }
    return result
  }

  private syncResultFor(group: Group, member: Member): SyncGroupResult {
    return { errorCode: 0, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment }
  }

  // ------------------------------------------------------------------ Heartbeat / Leave

  heartbeat(groupId: string, generationId: number, memberId: string, groupInstanceId?: string | null): number {
    const group = this.groups.get(groupId)
    const member = group?.members.get(memberId)
    if (!group || !member) return code.UNKNOWN_MEMBER_ID.code
    if (groupInstanceId && member.groupInstanceId !== groupInstanceId) return code.FENCED_INSTANCE_ID.code
    if (generationId !== group.generationId) return code.ILLEGAL_GENERATION.code
    this.touchSession(group, member)
    if (group.state === 'PreparingRebalance') return code.REBALANCE_IN_PROGRESS.code
    return 0
  }

  /** Removes members (by member id, or by group instance id when the member id is empty). Returns one code per member. */
  leave(groupId: string, leaving: readonly { memberId: string; groupInstanceId?: string | null }[]): number[] {
    const group = this.groups.get(groupId)
    if (!group) return leaving.map(() => code.UNKNOWN_MEMBER_ID.code)
    const codes = leaving.map(({ memberId, groupInstanceId }) => {
      const member = memberId
        ? group.members.get(memberId)
        : [...group.members.values()].find((m) => groupInstanceId && m.groupInstanceId === groupInstanceId)
      if (!member) return code.UNKNOWN_MEMBER_ID.code
      if (groupInstanceId && member.groupInstanceId !== groupInstanceId) return code.FENCED_INSTANCE_ID.code
      this.removeMember(group, member)
      return 0
    })
    if (codes.some((c) => c === 0)) this.membershipChanged(group)
    return codes
  }

  private membershipChanged(group: Group): void {
    if (group.members.size === 0 && group.state !== 'PreparingRebalance') {
      group.state = 'Empty'
      group.generationId++
      group.leaderId = ''
      group.protocolName = ''
      return
    }
    if (group.state === 'PreparingRebalance') this.maybeCompleteJoin(group)
    else this.prepareRebalance(group)
  }

  private removeMember(group: Group, member: Member): void {
    this.clearSession(member)
    group.members.delete(member.memberId)
    member.joinWaiter?.(joinError(code.UNKNOWN_MEMBER_ID.code, member.memberId))
    member.syncWaiter?.(syncError(code.UNKNOWN_MEMBER_ID.code))
    member.joinWaiter = undefined
    member.syncWaiter = undefined
  }

  private touchSession(group: Group, member: Member): void {
    this.clearSession(member)
    member.sessionTimer = unrefTimer(
      setTimeout(() => {
        if (group.members.get(member.memberId) !== member || member.joinWaiter) return
        this.removeMember(group, member)
        this.membershipChanged(group)
      }, member.sessionTimeoutMs),
    )
  }

  private clearSession(member: Member): void {
    if (member.sessionTimer) clearTimeout(member.sessionTimer)
    member.sessionTimer = undefined
  }

  // ------------------------------------------------------------------ offsets and queries

  /**
   * Whether a member may commit offsets now. Generation -1 with no member id is a
   * standalone commit, allowed only while the group has no members.
   */
  validateOffsetCommit(groupId: string, generationId: number, memberId: string): number {
    const group = this.groups.get(groupId)
    if (generationId < 0 && !memberId) return !group || group.members.size === 0 ? 0 : code.UNKNOWN_MEMBER_ID.code
    const member = group?.members.get(memberId)
    if (!group || !member) return code.UNKNOWN_MEMBER_ID.code
    if (generationId !== group.generationId) return code.ILLEGAL_GENERATION.code
    if (group.state === 'CompletingRebalance') return code.REBALANCE_IN_PROGRESS.code
    this.touchSession(group, member)
    return 0
  }

  describe(groupId: string): GroupDescription {
    const group = this.groups.get(groupId)
    if (!group) return { groupId, state: 'Dead', protocolType: '', protocolName: '', generationId: 0, leader: '', members: [] }
    return {
      groupId,
      state: group.state,
      protocolType: group.protocolType,
      protocolName: group.protocolName,
      generationId: group.generationId,
      leader: group.leaderId,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        metadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? m.protocols[0]?.metadata ?? EMPTY,
        assignment: m.assignment,
      })),
    }
  }

  listGroups(): { groupId: string; protocolType: string; state: GroupState }[] {
    return [...this.groups.values()].map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.state }))
  }

  /** Forgets an empty group (DeleteGroups); NON_EMPTY_GROUP while it has members. */
  deleteGroup(groupId: string): number {
    const group = this.groups.get(groupId)
    if (!group) return code.GROUP_ID_NOT_FOUND.code
    if (group.members.size > 0) return code.NON_EMPTY_GROUP.code
    if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer)
    this.groups.delete(groupId)
    return 0
  }

  /** Stops all timers and answers every waiting request with COORDINATOR_NOT_AVAILABLE. */
  close(): void {
    this.closed = true
    for (const group of this.groups.values()) {
      if (group.rebalanceTimer) clearTimeout(group.rebalanceTimer)
      for (const m of group.members.values()) {
        this.clearSession(m)
        m.joinWaiter?.(joinError(code.COORDINATOR_NOT_AVAILABLE.code, m.memberId))
        m.syncWaiter?.(syncError(code.COORDINATOR_NOT_AVAILABLE.code))
      }
    }
  }

  private groupFor(groupId: string): Group {
    let group = this.groups.get(groupId)
    if (!group) {
      group = {
        groupId,
        state: 'Empty',
        generationId: 0,
        protocolType: '',
        protocolName: '',
        leaderId: '',
        members: new Map(),
        pendingMemberIds: new Set(),
        initialDelayRunning: false,
      }
      this.groups.set(groupId, group)
    }
    return group
  }

  private protocolsCompatible(group: Group, req: JoinGroupRequest): boolean {
    if (group.protocolType !== req.protocolType) return false
    const offered = new Set(req.protocols.map((p) => p.name))
    const others = [...group.members.values()].filter((m) => m.memberId !== req.memberId)
    if (others.length === 0) return true
    return [...offered].some((name) => others.every((m) => m.protocols.some((p) => p.name === name)))
  }

  private newMemberId(clientId: string): string {
    this.nextMemberSeq++
    const random = Math.random().toString(16).slice(2, 10)
    return `${clientId || 'member'}-${this.nextMemberSeq}-${random}`
  }
}

/** The protocol every member supports with the most first-preference votes (Kafka's selectProtocol). */
function chooseProtocol(group: Group): string {
  const members = [...group.members.values()]
  const candidates = members[0].protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)))
  const votes = new Map<string, number>(candidates.map((c) => [c, 0]))
  for (const m of members) {
    const preferred = m.protocols.find((p) => votes.has(p.name))
    if (preferred) votes.set(preferred.name, votes.get(preferred.name)! + 1)
  }
  return [...votes.entries()].sort((a, b) => b[1] - a[1])[0][0]
}

function sameProtocols(a: readonly GroupProtocol[], b: readonly GroupProtocol[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && bytesEqual(p.metadata, b[i].metadata))
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function updateMember(member: Member, req: JoinGroupRequest): void {
  member.protocols = req.protocols
  member.sessionTimeoutMs = req.sessionTimeoutMs
  member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
  member.clientId = req.clientId
  member.clientHost = req.clientHost ?? member.clientHost
}

function joinError(errorCode: number, memberId: string): JoinGroupResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', memberId, members: [] }
}

function syncError(errorCode: number): SyncGroupResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY }
}

function unrefTimer<T>(timer: T): T {
  ;(timer as { unref?: () => void }).unref?.()
  return timer
}
