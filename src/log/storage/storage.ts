// The file operations the log needs, behind one interface so the same log code
// runs on Node's fs (default), in memory (browsers, Deno, tests), or on any
// other backend. Paths are '/'-separated strings; each backend maps them.
//
// Durability contract (every backend must honour it, and the log relies on it):
// - bytes written to a file are durable only after `StorageFile.sync()` returns;
// - a created, renamed or removed directory entry is durable only after
//   `Storage.syncDir(parent)` returns;
// - `rename` replaces the target atomically (readers see the old or the new file).
// Nothing else is promised: after a crash, unsynced bytes may be missing, partly
// present or zero-filled, and unsynced directory changes may be undone.

export interface StorageFile {
  readonly path: string
  /** Current size in bytes, including unsynced writes. */
  size(): Promise<number>
  /**
   * Reads up to `length` bytes at `position`; the result is shorter only when
   * the file ends first. It may be a view of the backend's own memory (the
   * memory backend returns one): callers must not write into it, and the
   * backend guarantees the bytes seen through it never change afterwards.
   */
  read(position: number, length: number): Promise<Uint8Array>
  /**
   * Reads up to `target.length` bytes at `position` into `target` and returns
   * how many were read (fewer only at the end of the file). Lets hot paths
   * reuse one buffer instead of touching fresh memory on every read.
   */
  readInto(target: Uint8Array, position: number): Promise<number>
  /** Writes every chunk back to back starting at `position` (one call, as writev does). */
  write(position: number, chunks: readonly Uint8Array[]): Promise<void>
  /** Cuts the file to `sizeBytes` (or extends it with zeros). */
  truncate(sizeBytes: number): Promise<void>
  /** Makes written bytes durable (fdatasync where available). */
  sync(): Promise<void>
  close(): Promise<void>
}

export interface OpenOptions {
  /** Create the file if it does not exist (default false: a missing file is an error). */
  create?: boolean
}

export interface Storage {
  /** A short name for reports and errors ("fs", "memory"). */
  readonly kind: string
  open(path: string, options?: OpenOptions): Promise<StorageFile>
  /** Whole contents of a small file, or undefined if it does not exist. */
  readFile(path: string): Promise<Uint8Array | undefined>
  /** Entry names in `dir` (files and directories), unsorted; [] if `dir` does not exist. */
  list(dir: string): Promise<string[]>
  /** Creates `dir` and its parents; no error if it exists. */
  mkdir(dir: string): Promise<void>
  exists(path: string): Promise<boolean>
  rename(from: string, to: string): Promise<void>
  /** Removes a file; no error if it is already gone. */
  remove(path: string): Promise<void>
  /** Removes a directory and everything under it; no error if it is already gone. */
  removeDir(dir: string): Promise<void>
  /** Makes creations, renames and removals of entries in `dir` durable. */
  syncDir(dir: string): Promise<void>
}

/** Thrown by a backend for a failed file operation; `code` follows POSIX names where one fits. */
export class StorageError extends Error {
  override name = 'StorageError'
  constructor(
    message: string,
    readonly code: string,
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

export function joinPath(...parts: string[]): string {
  return parts.filter((p) => p.length > 0).join('/').replace(/\/{2,}/g, '/')
}

export function parentDir(path: string): string {
  const at = path.lastIndexOf('/')
  return at <= 0 ? (at === 0 ? '/' : '.') : path.slice(0, at)
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/**
 * Replaces `path` with `bytes` so that after a crash the file holds either the
 * old or the new contents, never a mix: write `<path>.tmp`, sync it, rename it
 * over `path`, sync the directory.
 */
export async function writeFileAtomic(storage: Storage, path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp`
  const file = await storage.open(tmp, { create: true })
  try {
    await file.truncate(0)
    await file.write(0, [bytes])
    await file.sync()
  } finally {
    await file.close()
  }
  await storage.rename(tmp, path)
  await storage.syncDir(parentDir(path))
}
