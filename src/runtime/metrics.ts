// What a running job reports about itself: the shape the dashboard, the
// Prometheus endpoint and `eddy run` read. Plain data (structured-clonable),
// so workers can post it to the coordinator, which sums it per operator.

export interface OperatorMetrics {
  /** Stable id within the job graph (same in every worker). */
  id: number
  /** Human label, e.g. "map", "window(tumbling 60s).aggregate(avg)", "sink(topic alerts)". */
  name: string
  kind: 'source' | 'map' | 'filter' | 'flatMap' | 'keyBy' | 'window' | 'process' | 'join' | 'union' | 'table' | 'sink'
  recordsIn: number
  recordsOut: number
  /** Rates over the last reporting interval. */
  recordsInPerSec: number
  recordsOutPerSec: number
  /** Event-time watermark at this operator (ms); -Infinity before the first, Infinity at end of input. */
  watermark: number
  /** Batches waiting in this operator's input queues (backpressure shows here). */
  queueDepth: number
  /** Keyed state entries held (windows, timers, table rows, join buffers). */
  stateSize: number
  /** Records dropped as late (window and join operators). */
  lateRecords: number
}

export interface CheckpointMetrics {
  id: number
  startedAt: number
  durationMs: number
  bytes: number
  status: 'completed' | 'failed' | 'in-progress'
  /** How long the sources were parked (the part of durationMs the job stood still); the rest ran beside the job. */
  pausedMs?: number
}

export interface JobMetrics {
  name: string
  status: 'created' | 'running' | 'finished' | 'failed' | 'cancelled'
  parallelism: number
  executor: 'inline' | 'workers'
  startedAt: number
  operators: OperatorMetrics[]
  /** Edges of the operator graph: from operator id to operator id. */
  edges: Array<{ from: number; to: number; keyed: boolean }>
  checkpoints: CheckpointMetrics[]
  /** Times the job was restarted after a failure (restart strategy). */
  restarts?: number
}
