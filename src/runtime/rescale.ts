// Restoring a checkpoint into a job that is not exactly the one that took it:
// another parallelism (key groups move between tasks), or a compatible
// change of the job (operators added or removed around the stateful ones).
//
// Operators are matched by uid, not by position: a stateful operator's uid
// is what `.uid('name')` gave it, or by default `<kind>:<name>` (with `#n`
// for the n-th repeat), so adding or removing maps, filters and sinks, which
// hold no state, leaves every default uid as it was. The checkpoint records
// each stateful operator's uid (its `operators` table).
//
// Two steps. prepareRestore, once before any task starts, maps the
// checkpoint onto the new job's node ids by uid and refuses what cannot be
// restored. regroupForTask (through restoreFor, per task) builds one state
// blob per operator for a task of the new parallelism, in the operator's own
// format, so the operator restores exactly as at the same parallelism. A new
// task reads only the blobs of the old tasks whose key groups overlap its
// own (at most ⌈P_old/P_new⌉ + 1 of them) and keeps the keys whose key group
// it owns, so each old blob is read by at most ⌈P_new/P_old⌉ + 1 new tasks:
// linear in the state, never quadratic. Wasm
// window panes stay bytes (selectPaneSnapshot copies node records); the JSON
// snapshots of the other operators are filtered row by row.
import { StreamConfigError, StreamInputError } from '../stream/errors.js'
import { KEYED_KINDS, type GraphNode, type Key } from '../stream/dsl/graph.js'
import type { JobGraph } from '../stream/dsl/job.js'
import { selectPaneSnapshot } from '../stream/window/pane-aggregator.js'
import { checkSnapshot, decodeTime, encodeTime, readSnapshot, writeSnapshot } from '../stream/operators/types.js'
import { joinParts, splitParts } from './keyed-nodes.js'
import { keyGroupOf, keyGroupRange, taskOfKeyGroup } from './key-groups.js'
import type { CheckpointContent } from './checkpoint.js'

/** A stateful operator's identity in a checkpoint. */
export interface OperatorIdentity {
  node: number
  uid: string
  kind: GraphNode['kind']
}

/** What a checkpoint is restored into. */
export interface RestoreTarget {
  graph: JobGraph
  parallelism: number
  maxParallelism: number
  /** Splits per source node in the new job (planSplits). */
  splitCounts: Map<number, number>
  /** Drop the state of operators the new job does not have instead of refusing the checkpoint (Flink's allowNonRestoredState). */
  allowNonRestoredState?: boolean
}

/** Operators whose state a checkpoint holds: sources (split positions), the keyed operators, and sinks (two-phase-commit prepared bytes). */
function isStateful(node: GraphNode): boolean {
  return node.kind === 'source' || node.kind === 'sink' || KEYED_KINDS.has(node.kind)
}

/** Each stateful operator's uid (explicit, or derived from kind and name); refuses a uid given twice. */
export function operatorUids(graph: JobGraph): OperatorIdentity[] {
  const explicit = new Map<string, number>()
  for (const node of graph.nodes) {
    if (node.uid === undefined) continue
    const other = explicit.get(node.uid)
    if (other !== undefined) throw new StreamConfigError('uid', `"${node.uid}" is given to operator ${other} (${graph.nodes[other].name}) and operator ${node.id} (${node.name}); uids must be unique`)
    explicit.set(node.uid, node.id)
  }
  const repeats = new Map<string, number>()
  const out: OperatorIdentity[] = []
  for (const node of graph.nodes) {
    if (!isStateful(node)) continue
    let uid = node.uid
    if (uid === undefined) {
      const base = `${node.kind}:${node.name}`
      const n = repeats.get(base) ?? 0
      repeats.set(base, n + 1)
      uid = n === 0 ? base : `${base}#${n}`
      if (explicit.has(uid)) throw new StreamConfigError('uid', `"${uid}" is given to operator ${explicit.get(uid)} and is also the default uid of operator ${node.id} (${node.name}); choose another`)
    }
    out.push({ node: node.id, uid, kind: node.kind })
  }
  return out
}

/**
 * The checkpoint content rewritten for `target`'s operators: state, split
 * positions and sinks' prepared bytes moved to the node ids the new job gives
 * the same uids. The parallelism stays the checkpoint's: each task takes its
 * share with restoreFor(content, task, parallelism), which regroups keyed
 * state by key group. Refuses, naming what is wrong, a change of
 * maxParallelism, state for operators the job no longer has (unless
 * allowNonRestoredState), an operator whose kind changed, and a source whose
 * number of splits changed.
 */
export function prepareRestore(content: CheckpointContent, target: RestoreTarget): CheckpointContent {
  if (content.maxParallelism !== target.maxParallelism) {
    throw new StreamConfigError(
      'maxParallelism',
      `the checkpoint's keyed state is split into ${content.maxParallelism} key groups (maxParallelism ${content.maxParallelism}); this run has maxParallelism ${target.maxParallelism}. Key groups cannot be re-split: restore with maxParallelism ${content.maxParallelism}`,
    )
  }
  if (!(Number.isSafeInteger(content.parallelism) && content.parallelism >= 1 && content.parallelism <= content.maxParallelism)) {
    throw new StreamInputError(`checkpoint is malformed: parallelism ${content.parallelism} with maxParallelism ${content.maxParallelism}`)
  }
  const ours = operatorUids(target.graph)
  // Checkpoints without an operators table (older ones) match by position.
  const theirs: OperatorIdentity[] = content.operators ?? ours
  const byUid = new Map(ours.map((o) => [o.uid, o]))
  const newId = new Map<number, number>()
  const unmatched: OperatorIdentity[] = []
  for (const old of theirs) {
    const match = byUid.get(old.uid)
    if (match === undefined) {
      unmatched.push(old)
      continue
    }
    if (match.kind !== old.kind) throw new StreamConfigError('restore', `operator uid "${old.uid}" was a ${old.kind} in the checkpoint and is a ${match.kind} in this job; its state cannot be restored into it`)
    newId.set(old.node, match.node)
  }
  const holdsState = (id: number) => content.splits.some((s) => s.node === id) || content.state.some((s) => s.node === id) || (content.prepared ?? []).some((p) => p.node === id)
  // A sink the new version no longer has (or renamed) is no obstacle: changing outputs is what a new version does. Its
  // prepared bytes are dropped; they were committed already unless the old job died between a checkpoint and its commit.
  const lost = unmatched.filter((o) => o.kind !== 'sink' && holdsState(o.node))
  if (lost.length > 0 && target.allowNonRestoredState !== true) {
    const names = lost.map((o) => `"${o.uid}" (operator ${o.node})`).join(', ')
    throw new StreamConfigError('restore', `the checkpoint holds state for ${names}, which this job does not have; give the operators the uid they had (.uid('…')) or pass allowNonRestoredState: true to drop that state`)
  }
  const moved = <T extends { node: number }>(list: T[]): T[] => list.filter((x) => newId.has(x.node)).map((x) => ({ ...x, node: newId.get(x.node) as number }))
  checkSplitCounts(content, newId, target)
  return {
    ...content,
    splits: moved(content.splits),
    state: moved(content.state),
    prepared: moved(content.prepared ?? []),
    notRestored: content.notRestored.filter((n) => newId.has(n)).map((n) => newId.get(n) as number),
    operators: ours,
  }
}

/** A source must keep its number of splits: positions are per split. */
function checkSplitCounts(content: CheckpointContent, newId: Map<number, number>, target: RestoreTarget): void {
  const counts = new Map<number, number>()
  for (const s of content.splits) counts.set(s.node, Math.max(counts.get(s.node) ?? 0, s.split + 1))
  for (const [old, count] of counts) {
    const id = newId.get(old)
    if (id === undefined) continue
    const now = target.splitCounts.get(id) ?? 0
    if (now === count) continue
    throw new StreamConfigError(
      'restore',
      `source ${id} (${target.graph.nodes[id].name}) had ${count} splits when the checkpoint was taken and has ${now} now; positions are per split, so give the source a fixed number of splits (e.g. splits: ${count}) to rescale it`,
    )
  }
}

/**
 * Task `task`'s operator state at `parallelism` tasks, from a checkpoint
 * taken at another parallelism: for each operator, the blobs of the old tasks
 * whose key groups overlap the task's own, filtered to its key groups.
 */
export function regroupForTask(content: CheckpointContent, task: number, parallelism: number): Map<number, Uint8Array> {
  const groups = content.maxParallelism
  const oldP = content.parallelism
  if (!(Number.isSafeInteger(parallelism) && parallelism >= 1 && parallelism <= groups)) throw new StreamConfigError('parallelism', `must be an integer from 1 to maxParallelism ${groups} to restore this checkpoint, got ${parallelism}`)
  const range = keyGroupRange(task, groups, parallelism)
  const from = taskOfKeyGroup(range.start, groups, oldP)
  const to = taskOfKeyGroup(range.end - 1, groups, oldP)
  const kinds = new Map((content.operators ?? []).map((o) => [o.node, o.kind]))
  const perNode = new Map<number, { bytes: Uint8Array[]; countersFrom: boolean[] }>()
  for (const s of content.state) {
    if (s.task < from || s.task > to) continue
    let entry = perNode.get(s.node)
    if (entry === undefined) perNode.set(s.node, (entry = { bytes: [], countersFrom: [] }))
    entry.bytes.push(s.bytes)
    // Counters (late records and the like) go to the new task owning the old task's first key group, so they are counted once.
    entry.countersFrom.push(taskOfKeyGroup(keyGroupRange(s.task, groups, oldP).start, groups, parallelism) === task)
  }
  const keep = (key: Key) => {
    const group = keyGroupOf(key, groups)
    return group >= range.start && group < range.end
  }
  const out = new Map<number, Uint8Array>()
  for (const [node, { bytes, countersFrom }] of perNode) {
    const kind = kinds.get(node)
    if (kind !== undefined && !KEYED_KINDS.has(kind)) throw new StreamConfigError('restore', `operator ${node} (a ${kind}) holds state that is not keyed; it cannot be restored at another parallelism (${oldP} → ${parallelism})`)
    out.set(node, selectState(kind, bytes, keep, countersFrom, `operator ${node}`))
  }
  return out
}

/** The keys `keep` accepts out of several snapshots of one operator, as one snapshot in the operator's own format. */
export function selectState(kind: GraphNode['kind'] | undefined, blobs: Uint8Array[], keep: (key: Key) => boolean, countersFrom: boolean[], what: string): Uint8Array {
  // Without an operators table (older checkpoints) the bytes tell: the JSON snapshots start with "{".
  if (kind !== 'window' && (kind !== undefined || blobs[0][0] === 0x7b)) return selectJson(blobs, keep, countersFrom)
  // A window node's snapshot is one part per aggregate (joinParts): each a pane snapshot or a WindowOperator one.
  const count = new DataView(blobs[0].buffer, blobs[0].byteOffset, blobs[0].byteLength).getUint32(0, true)
  const split = blobs.map((b) => splitParts(b, count, what))
  const parts: Uint8Array[] = []
  for (let p = 0; p < count; p++) {
    const column = split.map((s) => s[p])
    parts.push(isPaneSnapshot(column[0]) ? selectPaneSnapshot(column, keep, countersFrom) : selectJson(column, keep, countersFrom))
  }
  return joinParts(parts)
}

function isPaneSnapshot(bytes: Uint8Array): boolean {
  // "EPAN", the pane snapshot's magic; the JSON snapshots start with "{".
  return bytes.length >= 4 && bytes[0] === 0x45 && bytes[1] === 0x50 && bytes[2] === 0x41 && bytes[3] === 0x4e
}

/** How to regroup each JSON snapshot format: which arrays hold keyed rows (and where the key is in a row). */
interface JsonLayout {
  version: number
  /** field → index of the key in each row */
  rows: Record<string, number>
  /** Times (encodeTime) that are equal across tasks at a checkpoint; the smallest is kept. */
  times: string[]
  /** Per-operator counters: summed over the snapshots countersFrom marks. */
  counters: string[]
  /** Sequence numbers: the largest is kept (element-wise for arrays), so new records number after all restored ones. */
  sequences: string[]
  /** Settings that must be equal in every snapshot. */
  same: string[]
}

const JSON_LAYOUTS: Record<string, JsonLayout> = {
  'eddy/keyedProcess': { version: 1, rows: { keys: 0 }, times: ['watermark', 'processingTime'], counters: ['lateRecords'], sequences: [], same: [] },
  'eddy/windowJoin': { version: 1, rows: { left: 1, right: 1 }, times: ['watermark'], counters: ['lateRecords', 'droppedOutsideWindows'], sequences: ['nextSeq'], same: [] },
  'eddy/intervalJoin': { version: 1, rows: { left: 1, right: 1 }, times: ['watermark'], counters: ['lateRecords'], sequences: ['nextSeq'], same: ['lowerBoundMs', 'upperBoundMs'] },
  'eddy/streamTableJoin': { version: 1, rows: { table: 0, pending: 1, versions: 0 }, times: ['watermark'], counters: ['lateRecords', 'lateTableUpdates'], sequences: ['nextSeq'], same: ['temporal'] },
  'eddy/windowOperator': { version: 1, rows: { windows: 0 }, times: ['watermark', 'nextProcessingFire'], counters: ['lateRecords', 'droppedOutsideWindows'], sequences: [], same: ['assigner'] },
}

/** A JSON snapshot parsed, with its format named (checked for its version by checkSnapshot). */
function parseWithFormat(bytes: Uint8Array): Record<string, unknown> & { format: string } {
  try {
    const parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
    if (typeof parsed?.format === 'string' && !Array.isArray(parsed)) return parsed
  } catch {
    // reported below
  }
  throw new StreamInputError('rescaling: an operator snapshot is neither a pane snapshot nor a JSON snapshot with a format')
}

function selectJson(blobs: Uint8Array[], keep: (key: Key) => boolean, countersFrom: boolean[]): Uint8Array {
  const parsedFirst = parseWithFormat(blobs[0])
  const format = parsedFirst.format
  const layout = JSON_LAYOUTS[format]
  if (layout === undefined) throw new StreamInputError(`rescaling: operator snapshots of format "${format}" cannot be regrouped by key`)
  // The first is parsed once, for its format and as a snapshot.
  const snapshots = blobs.map((b, i) => (i === 0 ? checkSnapshot(parsedFirst, format, layout.version) : readSnapshot(b, format, layout.version)))
  const first = snapshots[0]
  const { format: _f, version: _v, ...body } = first
  for (const field of layout.same) {
    for (const s of snapshots) if (JSON.stringify(s[field]) !== JSON.stringify(first[field])) throw new StreamInputError(`rescaling ${format}: the tasks' snapshots differ in ${field}`)
  }
  for (const field of layout.times) body[field] = encodeTime(Math.min(...snapshots.map((s) => decodeTime(s[field], field))))
  for (const field of layout.counters) body[field] = snapshots.reduce((n, s, i) => n + (countersFrom[i] ? Number(s[field]) : 0), 0)
  for (const field of layout.sequences) {
    const values = snapshots.map((s) => s[field])
    body[field] = Array.isArray(first[field])
      ? (first[field] as number[]).map((_, i) => Math.max(...values.map((v) => (v as number[])[i])))
      : Math.max(...(values as number[]))
  }
  for (const [field, keyAt] of Object.entries(layout.rows)) {
    const rows: unknown[] = []
    for (const s of snapshots) {
      const list = s[field]
      if (!Array.isArray(list)) throw new StreamInputError(`rescaling ${format}: ${field} is not an array`)
      for (const row of list) if (keep((row as Key[])[keyAt])) rows.push(row)
    }
    body[field] = rows
  }
  return writeSnapshot(format, layout.version, body)
}
