// Rescaling a checkpoint's window state: the cost of regrouping Wasm pane
// snapshots by key group for a new parallelism (rescale.ts, through
// restoreFor) beside the cost every restore pays anyway, rebuilding the
// aggregators from the same bytes at the same parallelism. Regrouping copies
// node records as bytes and decodes each key once (to find its key group), so
// it should cost a fraction of the restore, and scale linearly with the keys.
//
// State: KEYS string keys in one tumbling window of a sum, spread over two
// old tasks by key group (as a job at parallelism 2 holds them). Each figure
// is the median of ROUNDS runs.
import { performance } from 'node:perf_hooks'
import { median, type BenchRow } from '../lib.js'
import { agg, windows } from '../../src/index.js'
import { PaneWindowAggregator } from '../../src/stream/window/pane-aggregator.js'
import { keyGroupOf, taskOfKeyGroup } from '../../src/runtime/key-groups.js'
import { regroupForTask } from '../../src/runtime/rescale.js'
import { joinParts } from '../../src/runtime/keyed-nodes.js'
import type { CheckpointContent } from '../../src/runtime/checkpoint.js'

const KEY_COUNTS = [100_000, 1_000_000]
const GROUPS = 128
const OLD_PARALLELISM = 2
const ROUNDS = 3
const BATCH = 50_000

const options = { assigner: windows.tumbling({ size: 60_000 }), aggregate: agg.sum((x: number) => x).fn, allowedLatenessMs: 0, keyOrder: 'arrival' as const }

/** One pane snapshot per old task, holding the keys whose key group that task owns. */
function oldSnapshots(keyCount: number): Uint8Array[] {
  const snapshots: Uint8Array[] = []
  for (let task = 0; task < OLD_PARALLELISM; task++) {
    const aggregator = new PaneWindowAggregator<number>(options as never)
    const keys: string[] = []
    for (let k = 0; k < keyCount; k++) {
      const key = `user-${k}`
      if (taskOfKeyGroup(keyGroupOf(key, GROUPS), GROUPS, OLD_PARALLELISM) === task) keys.push(key)
    }
    for (let i = 0; i < keys.length; i += BATCH) {
      const slice = keys.slice(i, i + BATCH)
      aggregator.processBatch({ keys: slice, timestamps: new Float64Array(slice.length).fill(1_000), values: new Float64Array(slice.length).fill(1) })
    }
    snapshots.push(aggregator.snapshot())
    aggregator.dispose()
  }
  return snapshots
}

function timeMs(fn: () => void): number {
  const started = performance.now()
  fn()
  return performance.now() - started
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = []
  for (const keyCount of KEY_COUNTS) {
    const snapshots = oldSnapshots(keyCount)
    const megabytes = snapshots.reduce((n, s) => n + s.length, 0) / 1e6
    const content: CheckpointContent = {
      job: 'bench',
      id: 1,
      createdAt: 0,
      parallelism: OLD_PARALLELISM,
      maxParallelism: GROUPS,
      splits: [],
      notRestored: [],
      operators: [{ node: 0, uid: 'window', kind: 'window' }],
      state: snapshots.map((bytes, task) => ({ task, node: 0, bytes: joinParts([bytes]) })),
    }
    const restoreMs = median(
      Array.from({ length: ROUNDS }, () =>
        timeMs(() => {
          for (const bytes of snapshots) PaneWindowAggregator.restore(options as never, bytes).dispose()
        }),
      ),
    )
    for (const parallelism of [1, 4]) {
      const regroupMs = median(
        Array.from({ length: ROUNDS }, () =>
          timeMs(() => {
            for (let task = 0; task < parallelism; task++) regroupForTask(content, task, parallelism)
          }),
        ),
      )
      rows.push({
        case: `regroup ${keyCount.toLocaleString('en')} keys (${megabytes.toFixed(1)} MB of panes) ${OLD_PARALLELISM} → ${parallelism}`,
        unit: 'ms',
        ours: regroupMs,
        peer: restoreMs,
        peerName: 'restoring the same bytes at the same parallelism',
        ratio: restoreMs / regroupMs,
      })
    }
  }
  return rows
}
