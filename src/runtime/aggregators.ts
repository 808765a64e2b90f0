// Which window aggregator a window node gets: the Wasm pane kernels when the
// window and aggregate allow it (tumbling or sliding, event-time trigger,
// count/sum/min/max/avg), the general WindowOperator otherwise. Both snapshot
// their state (the pane aggregator as Wasm bytes, the WindowOperator as JSON
// when its accumulators are plain data).
import { canUsePanes, createWindowAggregator, PaneWindowAggregator } from '../stream/window/pane-aggregator.js'
import { WindowOperator } from '../stream/window/operator.js'
import type { AggregatorFactory, AggregatorOptions, WindowAggregatorLike } from './keyed-nodes.js'

// Results within one firing come out in key-arrival order: the runtime makes
// no promise of key order there, and sorting every known key at every firing
// costs O(keys).
export const defaultAggregatorFactory: AggregatorFactory = Object.assign(
  (options: AggregatorOptions) =>
    (canUsePanes(options.assigner, options.aggregate, options.trigger) ? new PaneWindowAggregator({ ...options, keyOrder: 'arrival' }) : createWindowAggregator(options)) as unknown as WindowAggregatorLike,
  {
    restore(options: AggregatorOptions, bytes: Uint8Array): WindowAggregatorLike {
      if (!canUsePanes(options.assigner, options.aggregate, options.trigger)) return WindowOperator.restore(options, bytes) as unknown as WindowAggregatorLike
      return PaneWindowAggregator.restore({ ...options, keyOrder: 'arrival' } as AggregatorOptions, bytes) as unknown as WindowAggregatorLike
    },
  },
)
