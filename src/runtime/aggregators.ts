// Which window aggregator a window node gets: the Wasm pane kernels when the
// window and aggregate allow it, the general WindowOperator otherwise.
import { WindowOperator } from '../stream/window/operator.js'
import type { AggregatorFactory, WindowAggregatorLike } from './keyed-nodes.js'

export const defaultAggregatorFactory: AggregatorFactory = (options) => new WindowOperator(options) as unknown as WindowAggregatorLike
