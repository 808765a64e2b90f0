// The logical job graph the DSL builds. Nodes are numbered in build order, so
// every thread that runs the job's build function gets the same ids: that is
// how a worker finds "operator 7" without any closure crossing threads.
import type { AggregateFunction } from '../window/aggregate.js'
import type { WindowAssigner } from '../window/windows.js'
import type { Trigger } from '../window/triggers.js'
import type { SinkSpec } from '../sinks/spec.js'
import type { SourceSpec } from '../sources/spec.js'

export type Key = string | number

/** One aggregate of a window: the function and what it reads from each record. */
export interface AggregateSpec<IN = any, OUT = any> {
  readonly fn: AggregateFunction<any, any, OUT>
  /** Reads the aggregate's input from a record; absent: the record itself. */
  readonly select?: (record: IN) => unknown
  readonly label: string
}

interface NodeBase {
  id: number
  /** Label shown in metrics and the dashboard. */
  name: string
  /** Stable identity of the operator's state across versions of the job (`.uid('…')`); see runtime/rescale.ts for the default. */
  uid?: string
}

export type GraphNode =
  | (NodeBase & { kind: 'source'; spec: SourceSpec<any> })
  | (NodeBase & { kind: 'map'; input: number; fn: (value: any) => any })
  | (NodeBase & { kind: 'filter'; input: number; fn: (value: any) => boolean })
  | (NodeBase & { kind: 'flatMap'; input: number; fn: (value: any) => Iterable<any> })
  | (NodeBase & { kind: 'keyBy'; input: number; fn: (value: any) => Key })
  | (NodeBase & {
      kind: 'window'
      input: number
      assigner: WindowAssigner
      trigger?: Trigger
      allowedLatenessMs: number
      /** One aggregate (result = its value) or several named ones (result = an object). */
      aggregates: AggregateSpec | Record<string, AggregateSpec>
    })
  | (NodeBase & { kind: 'process'; input: number; fn: unknown })
  | (NodeBase & { kind: 'windowJoin'; left: number; right: number; assigner: WindowAssigner; fn: (l: any, r: any, key: Key, window: { start: number; end: number }) => any; allowedLatenessMs: number })
  | (NodeBase & { kind: 'intervalJoin'; left: number; right: number; lowerBoundMs: number; upperBoundMs: number; fn: (l: any, r: any, key: Key) => any })
  | (NodeBase & { kind: 'tableJoin'; stream: number; table: number; fn: (s: any, t: any, key: Key) => any; mode: 'inner' | 'left'; temporal: boolean })
  | (NodeBase & { kind: 'union'; inputs: number[] })
  | (NodeBase & { kind: 'sideOutput'; input: number; tag: string })
  | (NodeBase & { kind: 'sink'; input: number; spec: SinkSpec<any> })

export type NodeKind = GraphNode['kind']

/** Ids of a node's inputs, in input order. */
export function inputsOf(node: GraphNode): number[] {
  switch (node.kind) {
    case 'source':
      return []
    case 'windowJoin':
    case 'intervalJoin':
      return [node.left, node.right]
    case 'tableJoin':
      return [node.stream, node.table]
    case 'union':
      return node.inputs
    default:
      return [node.input]
  }
}

/** Operators whose input must come keyed (through a keyBy). */
export const KEYED_KINDS: ReadonlySet<NodeKind> = new Set(['window', 'process', 'windowJoin', 'intervalJoin', 'tableJoin'])
