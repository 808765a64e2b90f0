// The Node fs Storage backend: the default on Node and the only log module that
// imports from `node:`. Writes are positional (pwrite/pwritev) so a file can be
// truncated and appended to without tracking an OS file position; `sync` is
// fdatasync; `syncDir` fsyncs the directory's own descriptor (Linux, macOS).
//
// Concurrency: each call is independent; the log never issues overlapping writes
// to one file, so no locking happens here.
import { promises as fsp, constants as fsConstants } from 'node:fs'
import { StorageError, type OpenOptions, type Storage, type StorageFile } from './storage.js'

function wrap(error: unknown, operation: string, path: string): StorageError {
  const code = (error as { code?: string }).code ?? 'EIO'
  const detail = error instanceof Error ? error.message : String(error)
  return new StorageError(`${operation} ${path} failed: ${detail}`, code, path, { cause: error })
}

function isMissing(error: unknown): boolean {
  return (error as { code?: string }).code === 'ENOENT'
}

export class NodeFsStorage implements Storage {
  readonly kind = 'fs'

  async open(path: string, options: OpenOptions = {}): Promise<StorageFile> {
    const flags = options.create ? fsConstants.O_RDWR | fsConstants.O_CREAT : fsConstants.O_RDWR
    try {
      return new NodeFsFile(path, await fsp.open(path, flags, 0o644))
    } catch (error) {
      throw wrap(error, 'open', path)
    }
  }

  async readFile(path: string): Promise<Uint8Array | undefined> {
    try {
      const buffer = await fsp.readFile(path)
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    } catch (error) {
      if (isMissing(error)) return undefined
      throw wrap(error, 'read', path)
    }
  }

  async list(dir: string): Promise<string[]> {
    try {
      return await fsp.readdir(dir)
    } catch (error) {
      if (isMissing(error)) return []
      throw wrap(error, 'list', dir)
    }
  }

  async mkdir(dir: string): Promise<void> {
    try {
      await fsp.mkdir(dir, { recursive: true })
    } catch (error) {
      throw wrap(error, 'mkdir', dir)
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fsp.stat(path)
      return true
    } catch (error) {
      if (isMissing(error)) return false
      throw wrap(error, 'stat', path)
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      await fsp.rename(from, to)
    } catch (error) {
      throw wrap(error, `rename to ${to}:`, from)
    }
  }

  async remove(path: string): Promise<void> {
    try {
      await fsp.unlink(path)
    } catch (error) {
      if (!isMissing(error)) throw wrap(error, 'remove', path)
    }
  }

  async removeDir(dir: string): Promise<void> {
    try {
      await fsp.rm(dir, { recursive: true, force: true })
    } catch (error) {
      throw wrap(error, 'remove directory', dir)
    }
  }

  async syncDir(dir: string): Promise<void> {
    let handle: fsp.FileHandle | undefined
    try {
      handle = await fsp.open(dir, fsConstants.O_RDONLY)
      await handle.sync()
    } catch (error) {
      // Some platforms (Windows) cannot fsync a directory; entries are durable there by other means.
      const code = (error as { code?: string }).code
      if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL') throw wrap(error, 'sync directory', dir)
    } finally {
      await handle?.close()
    }
  }
}

class NodeFsFile implements StorageFile {
  constructor(
    readonly path: string,
    private readonly handle: fsp.FileHandle,
  ) {}

  async size(): Promise<number> {
    try {
      return (await this.handle.stat()).size
    } catch (error) {
      throw wrap(error, 'stat', this.path)
    }
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    // allocUnsafeSlow: every byte handed out is overwritten by the read or zeroed
    // below, so zero-filling first would only add a pass over fresh memory.
    const slab = Buffer.allocUnsafeSlow(length)
    const buffer = new Uint8Array(slab.buffer, slab.byteOffset, length)
    const filled = await this.readInto(buffer, position)
    if (filled < length) buffer.fill(0, filled)
    return filled === length ? buffer : buffer.subarray(0, filled)
  }

  async readInto(target: Uint8Array, position: number): Promise<number> {
    let filled = 0
    try {
      while (filled < target.length) {
        const { bytesRead } = await this.handle.read(target, filled, target.length - filled, position + filled)
        if (bytesRead === 0) break
        filled += bytesRead
      }
    } catch (error) {
      throw wrap(error, 'read', this.path)
    }
    return filled
  }

  async write(position: number, chunks: readonly Uint8Array[]): Promise<void> {
    try {
      if (chunks.length === 1) {
        const chunk = chunks[0]
        let done = 0
        while (done < chunk.length) {
          const { bytesWritten } = await this.handle.write(chunk, done, chunk.length - done, position + done)
          done += bytesWritten
        }
        return
      }
      let pending = chunks.filter((c) => c.length > 0)
      let at = position
      while (pending.length > 0) {
        let { bytesWritten } = await this.handle.writev(pending, at)
        at += bytesWritten
        // A short writev: drop what was written and retry the rest.
        let i = 0
        while (i < pending.length && bytesWritten >= pending[i].length) bytesWritten -= pending[i++].length
        pending = pending.slice(i)
        if (bytesWritten > 0) pending[0] = pending[0].subarray(bytesWritten)
      }
    } catch (error) {
      throw wrap(error, 'write', this.path)
    }
  }

  async truncate(sizeBytes: number): Promise<void> {
    try {
      await this.handle.truncate(sizeBytes)
    } catch (error) {
      throw wrap(error, 'truncate', this.path)
    }
  }

  async sync(): Promise<void> {
    try {
      await this.handle.datasync()
    } catch (error) {
      throw wrap(error, 'sync', this.path)
    }
  }

  async close(): Promise<void> {
    try {
      await this.handle.close()
    } catch (error) {
      throw wrap(error, 'close', this.path)
    }
  }
}
