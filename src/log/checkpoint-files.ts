// Small state files: per partition the recovery point, the clean-shutdown
// marker and the cleaner's checkpoint; the broker's clean-shutdown state. Each is one JSON object with a `format` name and
// a `version`, replaced atomically (write .tmp, sync, rename, sync directory).
//
//   recovery-point.checkpoint  {"format":"eddy.recovery-point","version":1,"recoveryPointOffset":N}
//   .clean-shutdown            {"format":"eddy.clean-shutdown","version":1,"logEndOffset":N,
//                               "activeSegmentBaseOffset":B,"activeSegmentBytes":S}
//   cleaner-offset.checkpoint  {"format":"eddy.cleaner-offset","version":1,"firstDirtyOffset":N}
//
// A file from a newer version is refused (LogFormatError) rather than guessed at.
// A damaged file (not JSON, wrong fields) reads as "damaged", and the caller falls
// back to the safe choice: recover from the start, treat everything as dirty.
import { LogFormatError } from './errors.js'
import { writeFileAtomic, type Storage } from './storage/storage.js'

export const CHECKPOINT_FORMAT_VERSION = 1

export type CheckpointRead<T> = { state: 'missing' } | { state: 'damaged'; reason: string } | { state: 'ok'; value: T }

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** A state file's bytes: one JSON object with its format name and this build's version, then `fields`. */
export function encodeStateFile(format: string, fields: object): Uint8Array {
  return encoder.encode(JSON.stringify({ format, version: CHECKPOINT_FORMAT_VERSION, ...fields }) + '\n')
}

/**
 * The JSON object of a state file of `format` (what `encodeStateFile` wrote):
 * 'damaged' when it is not JSON, not an object, of another format or without
 * a version; 'newer' when a later build wrote it (the caller decides whether
 * to refuse it or do without).
 */
export function parseStateFile(bytes: Uint8Array, path: string, format: string): { state: 'damaged'; reason: string } | { state: 'newer'; version: number } | { state: 'ok'; value: Record<string, unknown> } {
  let parsed: unknown
  try {
    parsed = JSON.parse(decoder.decode(bytes))
  } catch (error) {
    return { state: 'damaged', reason: `${path} is not valid JSON (${(error as Error).message})` }
  }
  if (parsed === null || typeof parsed !== 'object') return { state: 'damaged', reason: `${path} does not hold a JSON object` }
  const record = parsed as Record<string, unknown>
  if (record.format !== format) return { state: 'damaged', reason: `${path} has format ${JSON.stringify(record.format)}, expected "${format}"` }
  if (typeof record.version !== 'number') return { state: 'damaged', reason: `${path} has no version` }
  if (record.version !== CHECKPOINT_FORMAT_VERSION) return { state: 'newer', version: record.version }
  return { state: 'ok', value: record }
}

export async function writeCheckpoint(storage: Storage, path: string, format: string, fields: Record<string, number>): Promise<void> {
  await writeFileAtomic(storage, path, encodeStateFile(format, fields))
}

/** Reads a checkpoint whose fields must all be non-negative safe integers. */
export async function readCheckpoint<K extends string>(storage: Storage, path: string, format: string, keys: readonly K[]): Promise<CheckpointRead<Record<K, number>>> {
  const bytes = await storage.readFile(path)
  if (bytes === undefined) return { state: 'missing' }
  const file = parseStateFile(bytes, path, format)
  if (file.state === 'damaged') return file
  if (file.state === 'newer') throw new LogFormatError(`${path} is ${format} version ${file.version}; this build reads version ${CHECKPOINT_FORMAT_VERSION} only`)
  const value = {} as Record<K, number>
  for (const key of keys) {
    const field = file.value[key]
    if (typeof field !== 'number' || !Number.isSafeInteger(field) || field < 0) {
      return { state: 'damaged', reason: `${path} field ${key} is ${JSON.stringify(field)}, expected a non-negative integer` }
    }
    value[key] = field
  }
  return { state: 'ok', value }
}
