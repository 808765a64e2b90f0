// The checkpoint store (Node only): completed checkpoints as files in one
// directory, each written atomically, the newest `retain` kept. Loaded
// lazily by runJob, so the stream core still runs where there is no `node:fs`.
//
// Files: `checkpoint-<id, 12 digits>.ckpt` (version 2 bytes, see
// checkpoint.ts). A file being written is `<name>.tmp-<pid>-<n>` until its
// rename; a crash leaves at worst such a temp file, which the next write
// removes. Savepoints are `savepoint-<id>.ckpt` (or any name the caller
// chooses) and are never deleted by retention.
import { open, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { StreamConfigError } from '../stream/errors.js'
import { decodeCheckpoint, type Checkpoint, type CheckpointContent } from './checkpoint.js'

export const DEFAULT_RETAIN = 3
const CHECKPOINT_FILE = /^checkpoint-(\d{12})\.ckpt$/
const TEMP_FILE = /\.tmp-\d+-\d+$/

export interface CheckpointStoreOptions {
  dir: string
  /** Completed checkpoints kept (older ones are deleted). Default 3. */
  retain?: number
  /** Where a skipped (torn or corrupt) checkpoint is reported. Default: console.warn. */
  log?: (line: string) => void
}

export interface StoredCheckpoint {
  checkpoint: Checkpoint
  content: CheckpointContent
  path: string
}

let tempCounter = 0

/** Writes `bytes` to `path` so that a crash leaves either the old file or the whole new one: temp file, fsync, rename, fsync the directory. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${process.pid}-${tempCounter++}`
  const file = await open(temp, 'w')
  try {
    await file.writeFile(bytes)
    await file.sync()
  } finally {
    await file.close()
  }
  await rename(temp, path)
  await syncDirectory(dirname(path))
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch (error) {
    // Some platforms (Windows) refuse fsync on a directory; the rename is still atomic there.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM' && (error as NodeJS.ErrnoException).code !== 'EISDIR') throw error
  } finally {
    await handle.close()
  }
}

/** Reads and checks a checkpoint or savepoint file (a torn or corrupt one is refused with an error naming the file). */
export async function readCheckpointFile(path: string): Promise<StoredCheckpoint> {
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await readFile(path))
  } catch (error) {
    throw new StreamConfigError('restore', `cannot read checkpoint file ${path}: ${(error as Error).message}`)
  }
  try {
    const content = decodeCheckpoint(bytes)
    return { checkpoint: { id: content.id, bytes }, content, path }
  } catch (error) {
    throw new StreamConfigError('restore', `${path}: ${(error as Error).message}`)
  }
}

/**
 * Writes a savepoint: to `path` itself, or — when `path` is an existing
 * directory or ends with a slash — to `savepoint-<id>.ckpt` inside it.
 * Returns the file written.
 */
export async function writeSavepoint(path: string, checkpoint: Checkpoint): Promise<string> {
  if (typeof path !== 'string' || path === '') throw new StreamConfigError('savepoint', 'needs a file or directory path')
  let file = path
  const isDirectory = path.endsWith('/') || (await stat(path).then((s) => s.isDirectory(), () => false))
  if (isDirectory) {
    await mkdir(path, { recursive: true })
    file = join(path, `savepoint-${String(checkpoint.id).padStart(12, '0')}.ckpt`)
  } else await mkdir(dirname(path), { recursive: true })
  await writeFileAtomic(file, checkpoint.bytes)
  return file
}

export class CheckpointStore {
  readonly dir: string
  readonly retain: number
  private readonly log: (line: string) => void

  private constructor(options: CheckpointStoreOptions) {
    this.dir = options.dir
    this.retain = options.retain ?? DEFAULT_RETAIN
    this.log = options.log ?? ((line) => console.warn(line))
  }

  static async open(options: CheckpointStoreOptions): Promise<CheckpointStore> {
    if (typeof options?.dir !== 'string' || options.dir === '') throw new StreamConfigError('checkpoints.dir', `must be a directory path, got ${String(options?.dir)}`)
    if (options.retain !== undefined && (!Number.isSafeInteger(options.retain) || options.retain < 1)) {
      throw new StreamConfigError('checkpoints.retain', `must be an integer >= 1, got ${String(options.retain)}`)
    }
    await mkdir(options.dir, { recursive: true })
    return new CheckpointStore(options)
  }

  fileOf(id: number): string {
    return join(this.dir, `checkpoint-${String(id).padStart(12, '0')}.ckpt`)
  }

  /** Checkpoint ids present, newest first (whether or not their files are intact). */
  async ids(): Promise<number[]> {
    const names = await readdir(this.dir)
    return names
      .map((name) => CHECKPOINT_FILE.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => b - a)
  }

  /** Writes a completed checkpoint durably, then deletes all but the newest `retain` and any temp file a crash left. */
  async write(checkpoint: Checkpoint): Promise<string> {
    const path = this.fileOf(checkpoint.id)
    await writeFileAtomic(path, checkpoint.bytes)
    await this.prune()
    return path
  }

  private async prune(): Promise<void> {
    const ids = await this.ids()
    for (const id of ids.slice(this.retain)) await rm(this.fileOf(id), { force: true })
    for (const name of await readdir(this.dir)) {
      // Only temp files of checkpoints older than the newest: a concurrent writer's current temp file stays.
      if (!TEMP_FILE.test(name) || !name.startsWith('checkpoint-')) continue
      const id = Number(CHECKPOINT_FILE.exec(name.replace(TEMP_FILE, ''))?.[1])
      if (Number.isSafeInteger(id) && id < (ids[0] ?? 0)) await rm(join(this.dir, name), { force: true })
    }
  }

  /** The newest checkpoint that reads back whole; torn or corrupt ones are skipped with a log line. */
  async latest(): Promise<StoredCheckpoint | undefined> {
    for (const id of await this.ids()) {
      const path = this.fileOf(id)
      try {
        const stored = await readCheckpointFile(path)
        if (stored.content.id !== id) throw new Error(`it holds checkpoint ${stored.content.id}`)
        return stored
      } catch (error) {
        this.log(`eddy: ignoring checkpoint ${basename(path)} in ${this.dir}: ${(error as Error).message.replace(/^restore: /, '')}`)
      }
    }
    return undefined
  }
}
