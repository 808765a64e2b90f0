// Which segments retention deletes. Both limits delete from the oldest end, and
// never the active (last) segment, as Kafka does:
// - retention.ms: segments whose newest batch timestamp is older than
//   now - retention.ms (a segment without timestamps counts as old);
// - retention.bytes: the oldest segments while the log would still be at least
//   retention.bytes without them.
// The result is the longer of the two prefixes.
import type { LogConfig } from './log-config.js'

export interface RetentionCandidate {
  sizeBytes: number
  maxTimestampMs: number
}

export function selectSegmentsForRetention<T extends RetentionCandidate>(segments: readonly T[], config: Pick<LogConfig, 'retentionMs' | 'retentionBytes'>, nowMs: number): T[] {
  const deletable = segments.length - 1
  let byTime = 0
  if (config.retentionMs >= 0) {
    const cutoffMs = nowMs - config.retentionMs
    while (byTime < deletable && segments[byTime].maxTimestampMs < cutoffMs) byTime++
  }
  let bySize = 0
  if (config.retentionBytes >= 0) {
    let excess = -config.retentionBytes
    for (const segment of segments) excess += segment.sizeBytes
    while (bySize < deletable && excess - segments[bySize].sizeBytes >= 0) {
      excess -= segments[bySize].sizeBytes
      bySize++
    }
  }
  return segments.slice(0, Math.max(byTime, bySize))
}
