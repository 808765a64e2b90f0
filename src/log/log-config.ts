// Per-topic log configuration: Kafka's config keys (strings, as Admin clients
// send them) parsed into a typed LogConfig. Unknown keys and bad values are
// rejected with an InvalidConfigError naming the key.
import { BATCH_HEADER_BYTES } from './batch-header.js'
import { InvalidConfigError } from './errors.js'

export type FlushPolicy = 'always' | 'interval' | 'os'

export interface LogConfig {
  /** Delete segments whose newest record is older than this; -1 keeps forever. */
  retentionMs: number
  /** Delete oldest segments while the log is bigger than this; -1 means no limit. */
  retentionBytes: number
  /** Roll to a new segment before one would grow past this. */
  segmentBytes: number
  /** Roll a segment this long after its first batch's timestamp. */
  segmentMs: number
  /** Retention deletes old segments. */
  cleanupDelete: boolean
  /** The cleaner keeps only the latest record per key. */
  cleanupCompact: boolean
  /** Largest batch (or set of batches in one append) accepted, in bytes. */
  maxMessageBytes: number
  /** How long a tombstone (null value) survives compaction, from its timestamp. */
  deleteRetentionMs: number
  /** When appends become durable before they are acknowledged. */
  flushPolicy: FlushPolicy
  /** fsync period under flush policy `interval`. */
  flushIntervalMs: number
  /** Bytes of batches between two offset-index (and time-index) entries. */
  indexIntervalBytes: number
  /** Delay before files renamed `.deleted` are removed, so in-flight reads finish. */
  fileDeleteDelayMs: number
  /** Compact only when dirty bytes / total bytes of the non-active segments reaches this. */
  minCleanableDirtyRatio: number
}

/** Largest segment: positions are stored as 32-bit in the offset index. */
export const SEGMENT_BYTES_MAX = 0x7fffffff
/** Smallest segment allowed; a single batch larger than the segment size still gets a segment of its own. */
export const SEGMENT_BYTES_MIN = 1024
export const MAX_MESSAGE_BYTES_MAX = 0x7fffffff
const DAY_MS = 24 * 60 * 60 * 1000

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  retentionMs: 7 * DAY_MS,
  retentionBytes: -1,
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  cleanupDelete: true,
  cleanupCompact: false,
  maxMessageBytes: 1048588,
  deleteRetentionMs: DAY_MS,
  // One node has no replicas to recover from, so bound the loss window on a
  // power cut by default instead of trusting the OS (Kafka's default).
  flushPolicy: 'interval',
  flushIntervalMs: 1000,
  indexIntervalBytes: 4096,
  fileDeleteDelayMs: 60_000,
  minCleanableDirtyRatio: 0.5,
})

/** Config values as they arrive from clients: Kafka sends strings; in-process callers may pass numbers. */
export type TopicConfigInput = Readonly<Record<string, string | number>>

interface KeySpec {
  field: keyof LogConfig | 'cleanupPolicy'
  parse(key: string, raw: string): unknown
  format(config: LogConfig): string
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (key: string, raw: string): number => {
    const trimmed = raw.trim()
    if (!/^-?\d+$/.test(trimmed)) throw new InvalidConfigError(key, `${key} must be an integer, got "${raw}"`)
    const value = Number(trimmed)
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidConfigError(key, `${key} must be between ${min} and ${max}, got ${raw}`)
    }
    return value
  }
}

function ratio(key: string, raw: string): number {
  const value = Number(raw.trim())
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new InvalidConfigError(key, `${key} must be a number between 0 and 1, got "${raw}"`)
  }
  return value
}

function oneOf<T extends string>(values: readonly T[]) {
  return (key: string, raw: string): T => {
    if (!(values as readonly string[]).includes(raw.trim())) {
      throw new InvalidConfigError(key, `${key} must be one of ${values.join(', ')}, got "${raw}"`)
    }
    return raw.trim() as T
  }
}

function cleanupPolicy(key: string, raw: string): { cleanupDelete: boolean; cleanupCompact: boolean } {
  const parts = raw.split(',').map((p) => p.trim())
  const known = parts.every((p) => p === 'delete' || p === 'compact')
  if (!known || parts.length === 0 || parts.length > 2 || new Set(parts).size !== parts.length) {
    throw new InvalidConfigError(key, `${key} must be "delete", "compact" or "compact,delete", got "${raw}"`)
  }
  return { cleanupDelete: parts.includes('delete'), cleanupCompact: parts.includes('compact') }
}

function formatCleanupPolicy(config: LogConfig): string {
  return [config.cleanupCompact ? 'compact' : '', config.cleanupDelete ? 'delete' : ''].filter(Boolean).join(',')
}

const numberSpec = (field: keyof LogConfig, parse: (key: string, raw: string) => number): KeySpec => ({
  field,
  parse,
  format: (config) => String(config[field]),
})

/** Every topic config key eddy understands, with Kafka's names. */
export const TOPIC_CONFIG_KEYS: Readonly<Record<string, KeySpec>> = {
  'retention.ms': numberSpec('retentionMs', integer(-1)),
  'retention.bytes': numberSpec('retentionBytes', integer(-1)),
  'segment.bytes': numberSpec('segmentBytes', integer(SEGMENT_BYTES_MIN, SEGMENT_BYTES_MAX)),
  'segment.ms': numberSpec('segmentMs', integer(1)),
  'cleanup.policy': { field: 'cleanupPolicy', parse: cleanupPolicy, format: formatCleanupPolicy },
  'max.message.bytes': numberSpec('maxMessageBytes', integer(BATCH_HEADER_BYTES, MAX_MESSAGE_BYTES_MAX)),
  'delete.retention.ms': numberSpec('deleteRetentionMs', integer(0)),
  'flush.policy': { field: 'flushPolicy', parse: oneOf(['always', 'interval', 'os'] as const), format: (c) => c.flushPolicy },
  'flush.ms': numberSpec('flushIntervalMs', integer(1)),
  'index.interval.bytes': numberSpec('indexIntervalBytes', integer(0, SEGMENT_BYTES_MAX)),
  'file.delete.delay.ms': numberSpec('fileDeleteDelayMs', integer(0)),
  'min.cleanable.dirty.ratio': numberSpec('minCleanableDirtyRatio', ratio),
}

/**
 * Checks topic config overrides and returns them normalised to strings.
 * Throws InvalidConfigError naming the first unknown key or bad value.
 */
export function validateTopicConfig(input: TopicConfigInput): Record<string, string> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InvalidConfigError('(config)', `topic config must be an object of key → value, got ${input === null ? 'null' : typeof input}`)
  }
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(input)) {
    const spec = TOPIC_CONFIG_KEYS[key]
    if (spec === undefined) {
      throw new InvalidConfigError(key, `unknown topic config key "${key}"; known keys: ${Object.keys(TOPIC_CONFIG_KEYS).join(', ')}`)
    }
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw new InvalidConfigError(key, `${key} must be a string or number, got ${typeof value}`)
    }
    spec.parse(key, String(value))
    out[key] = String(value).trim()
  }
  return out
}

/** Builds a LogConfig from defaults plus overrides (validated here too). */
export function logConfigFrom(overrides: TopicConfigInput = {}, defaults: Readonly<LogConfig> = DEFAULT_LOG_CONFIG): LogConfig {
  const config: LogConfig = { ...defaults }
  for (const [key, raw] of Object.entries(validateTopicConfig(overrides))) {
    const spec = TOPIC_CONFIG_KEYS[key]
    const value = spec.parse(key, raw)
    if (spec.field === 'cleanupPolicy') Object.assign(config, value)
    else (config as unknown as Record<string, unknown>)[spec.field] = value
  }
  return config
}

/** The full effective config under Kafka's key names, as DescribeConfigs shows it. */
export function describeLogConfig(config: LogConfig): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, spec] of Object.entries(TOPIC_CONFIG_KEYS)) out[key] = spec.format(config)
  return out
}
