// An in-memory Storage for browsers, Deno and tests, with a crash simulator.
//
// The model follows a POSIX file system closely enough to test crash safety:
// files are inodes referenced from directory entries; each inode keeps its
// current bytes and the bytes that were durable at its last sync; each
// directory keeps its current entries and the entries that were durable at its
// last syncDir. `crash()` throws away everything that was not made durable
// (optionally keeping a torn, partly zero-filled piece of the unsynced bytes, as
// a real disk may) and invalidates every open handle.
//
// Simplification: directories themselves are durable as soon as mkdir returns.
//
// Concurrency: single-threaded; every operation completes synchronously inside
// its promise, so operations never interleave.
import { StorageError, baseName, parentDir, type OpenOptions, type Storage, type StorageFile } from './storage.js'

/** Page granularity for simulated torn writes. */
const TORN_PAGE_BYTES = 4096

/**
 * A file's bytes live in fixed pages of PAGE_BYTES, so growing a file never
 * copies what it already holds (a doubling buffer copied whole segments, and
 * those copies stalled the event loop). A file smaller than one page keeps a
 * single page that grows by doubling up to PAGE_BYTES, so small files stay small.
 *
 * A read that falls inside one page returns a view of it rather than a copy
 * (no allocation on the fetch path). Views stay valid: each page remembers how
 * far views of it reach, and a write or zero-fill below that mark (an overwrite
 * after a truncate) first replaces the page with a copy, leaving old views on
 * the old bytes. Appends never touch viewed bytes.
 */
const PAGE_SHIFT = 20
const PAGE_BYTES = 1 << PAGE_SHIFT
const PAGE_MASK = PAGE_BYTES - 1
const EMPTY = new Uint8Array(0)

class Inode {
  /** Every page but possibly a lone first one is PAGE_BYTES long. */
  pages: Uint8Array[] = []
  /** Per page: in-page end of the bytes handed out as views (0 when none). */
  viewedTo: number[] = []
  size = 0
  durable = EMPTY
  durableSize = 0
  /** Lowest byte position changed since the last sync; Infinity when clean. */
  dirtyFrom = Infinity

  private capacity(): number {
    const n = this.pages.length
    return n === 0 ? 0 : n === 1 ? this.pages[0].length : n * PAGE_BYTES
  }

  ensureCapacity(bytes: number): void {
    const have = this.capacity()
    if (bytes <= have) return
    if (this.pages.length <= 1 && bytes <= PAGE_BYTES) {
      // A small file: one page, doubled (a copy of at most half a page).
      const next = new Uint8Array(Math.min(PAGE_BYTES, Math.max(bytes, have * 2, 256)))
      if (this.pages.length === 1) next.set(this.pages[0].subarray(0, Math.min(this.size, this.pages[0].length)))
      this.pages[0] = next
      this.viewedTo[0] = 0
      return
    }
    if (this.pages.length === 1 && this.pages[0].length < PAGE_BYTES) {
      const first = new Uint8Array(PAGE_BYTES)
      first.set(this.pages[0].subarray(0, Math.min(this.size, this.pages[0].length)))
      this.pages[0] = first
      this.viewedTo[0] = 0
    }
    while (this.pages.length * PAGE_BYTES < bytes) {
      this.pages.push(new Uint8Array(PAGE_BYTES))
      this.viewedTo.push(0)
    }
  }

  /** Page `index`, ready to be changed from in-page offset `from` on: copied first if a view covers that. */
  private writable(index: number, from: number): Uint8Array {
    const page = this.pages[index]
    if (from >= this.viewedTo[index]) return page
    const copy = page.slice()
    this.pages[index] = copy
    this.viewedTo[index] = 0
    return copy
  }

  /** Copies src into the file's pages at position (capacity must be there). */
  private put(src: Uint8Array, position: number): void {
    let at = position
    let from = 0
    while (from < src.length) {
      const inPage = at & PAGE_MASK
      const page = this.writable(at >>> PAGE_SHIFT, inPage)
      const n = Math.min(src.length - from, page.length - inPage)
      if (from === 0 && n === src.length) page.set(src, inPage)
      else page.set(src.subarray(from, from + n), inPage)
      from += n
      at += n
    }
  }

  /** Zero-fills [from, to) (capacity must be there). */
  private zero(from: number, to: number): void {
    for (let at = from; at < to; ) {
      const inPage = at & PAGE_MASK
      const page = this.writable(at >>> PAGE_SHIFT, inPage)
      const n = Math.min(to - at, page.length - inPage)
      page.fill(0, inPage, inPage + n)
      at += n
    }
  }

  /** Copies [position, position + target.length) of the file into target (within size). */
  copyOut(target: Uint8Array, position: number): void {
    let at = position
    let to = 0
    while (to < target.length) {
      const page = this.pages[at >>> PAGE_SHIFT]
      const inPage = at & PAGE_MASK
      const n = Math.min(target.length - to, page.length - inPage)
      target.set(page.subarray(inPage, inPage + n), to)
      to += n
      at += n
    }
  }

  /** A copy of [from, to) (to ≤ size). */
  slice(from: number, to: number): Uint8Array {
    if (to <= from) return new Uint8Array(0)
    const first = from >>> PAGE_SHIFT
    if (first === (to - 1) >>> PAGE_SHIFT) return this.pages[first].slice(from & PAGE_MASK, (from & PAGE_MASK) + (to - from))
    const out = new Uint8Array(to - from)
    this.copyOut(out, from)
    return out
  }

  /** [from, to) (to ≤ size) as a view when it lies in one page (see the class comment), else a copy. */
  view(from: number, to: number): Uint8Array {
    if (to <= from) return new Uint8Array(0)
    const first = from >>> PAGE_SHIFT
    if (first !== (to - 1) >>> PAGE_SHIFT) return this.slice(from, to)
    const inPage = from & PAGE_MASK
    const end = inPage + (to - from)
    if (end > this.viewedTo[first]) this.viewedTo[first] = end
    return this.pages[first].subarray(inPage, end)
  }

  /** Replaces the whole content with bytes (copied). */
  replace(bytes: Uint8Array, size: number): void {
    this.pages = []
    this.viewedTo = []
    this.size = 0
    this.ensureCapacity(Math.max(size, 256))
    this.put(bytes.subarray(0, size), 0)
    this.size = size
  }

  write(position: number, chunks: readonly Uint8Array[]): void {
    let total = 0
    for (const c of chunks) total += c.length
    const end = position + total
    this.ensureCapacity(end)
    if (position > this.size) this.zero(this.size, position)
    let at = position
    for (const c of chunks) {
      this.put(c, at)
      at += c.length
    }
    if (end > this.size) this.size = end
    if (total > 0) this.dirtyFrom = Math.min(this.dirtyFrom, position)
  }

  truncate(sizeBytes: number): void {
    if (sizeBytes > this.size) {
      this.ensureCapacity(sizeBytes)
      this.zero(this.size, sizeBytes)
    }
    this.size = sizeBytes
    this.dirtyFrom = Math.min(this.dirtyFrom, sizeBytes)
  }

  sync(): void {
    if (this.dirtyFrom === Infinity && this.durableSize === this.size) return
    if (this.durable.length < this.size) {
      const next = new Uint8Array(Math.max(this.size, this.durable.length * 2))
      next.set(this.durable.subarray(0, Math.min(this.durableSize, this.size)))
      this.durable = next
    }
    const from = Math.min(this.dirtyFrom, this.size)
    this.copyOut(this.durable.subarray(from, this.size), from)
    this.durableSize = this.size
    this.dirtyFrom = Infinity
  }

  /** Replaces the current bytes with what a crash would leave behind. */
  crash(random: (() => number) | undefined): void {
    let size = this.durableSize
    const unsyncedFrom = Math.min(this.dirtyFrom, this.size)
    const tornEnd = random && unsyncedFrom < this.size ? unsyncedFrom + Math.floor(random() * (this.size - unsyncedFrom + 1)) : 0
    size = Math.max(size, tornEnd)
    const bytes = new Uint8Array(Math.max(size, 256))
    bytes.set(this.durable.subarray(0, this.durableSize))
    if (random) {
      // A torn write: some prefix of the unsynced region reached the disk, each
      // page of it either with the new bytes or zero-filled.
      for (let page = unsyncedFrom; page < tornEnd; page += TORN_PAGE_BYTES) {
        const pageEnd = Math.min(tornEnd, page + TORN_PAGE_BYTES)
        if (random() < 0.8) this.copyOut(bytes.subarray(page, pageEnd), page)
        else bytes.fill(0, page, pageEnd)
      }
    }
    this.replace(bytes, size)
    this.durable = bytes.slice(0, size)
    this.durableSize = size
    this.dirtyFrom = Infinity
  }
}

class Directory {
  entries = new Map<string, Inode | Directory>()
  durableEntries = new Map<string, Inode | Directory>()
}

export interface CrashOptions {
  /**
   * When given, unsynced bytes are not simply dropped: a random prefix of each
   * file's unsynced region survives, page by page new or zero-filled, as after a
   * power cut in the middle of writeback.
   */
  random?: () => number
}

/** A fault hook: return an Error to make the named operation fail instead of running. */
export type FaultHook = (operation: string, path: string) => Error | undefined

export class MemoryStorage implements Storage {
  readonly kind = 'memory'
  private readonly root = new Directory()
  private readonly handles = new Set<MemoryFile>()
  /** Counts operations by name; tests use it to observe fsync batching. */
  readonly counters = new Map<string, number>()
  /** Optional fault injection for tests. */
  faults: FaultHook | undefined

  /**
   * `simulateCrashes: false` skips keeping a durable copy of every file (sync
   * becomes free and memory is halved); `crash()` is then unavailable. Eddy's
   * in-memory mode uses it: nothing in memory survives a crash anyway.
   */
  readonly simulateCrashes: boolean

  constructor(options: { simulateCrashes?: boolean } = {}) {
    this.simulateCrashes = options.simulateCrashes ?? true
    this.root.durableEntries = this.root.entries
  }

  /** Simulates a machine crash: unsynced data and directory changes are lost, handles die. */
  crash(options: CrashOptions = {}): void {
    if (!this.simulateCrashes) throw new StorageError('crash() needs a MemoryStorage created with simulateCrashes: true', 'EINVAL', '/')
    for (const handle of this.handles) handle.invalidate()
    this.handles.clear()
    this.crashDir(this.root, options.random)
  }

  private crashDir(dir: Directory, random: (() => number) | undefined): void {
    if (dir !== this.root) dir.entries = new Map(dir.durableEntries)
    for (const entry of dir.entries.values()) {
      if (entry instanceof Directory) this.crashDir(entry, random)
      else entry.crash(random)
    }
  }

  /** Number of open handles (tests use it to find leaks). */
  get openHandleCount(): number {
    return this.handles.size
  }

  count(operation: string): void {
    this.counters.set(operation, (this.counters.get(operation) ?? 0) + 1)
  }

  check(operation: string, path: string): void {
    this.count(operation)
    const fault = this.faults?.(operation, path)
    if (fault) throw fault
  }

  private segments(path: string): string[] {
    return path.split('/').filter((p) => p.length > 0 && p !== '.')
  }

  private lookupDir(path: string, create: boolean): Directory | undefined {
    let dir = this.root
    for (const name of this.segments(path)) {
      let next = dir.entries.get(name)
      if (next === undefined) {
        if (!create) return undefined
        next = new Directory()
        dir.entries.set(name, next)
        // Directories are durable at once (see the header comment).
        dir.durableEntries.set(name, next)
      }
      if (!(next instanceof Directory)) {
        if (!create) return undefined
        throw new StorageError(`${path}: ${name} is a file, not a directory`, 'ENOTDIR', path)
      }
      dir = next
    }
    return dir
  }

  private lookup(path: string): Inode | Directory | undefined {
    const dir = this.lookupDir(parentDir(path), false)
    return dir?.entries.get(baseName(path))
  }

  private fileAt(path: string): Inode {
    const node = this.lookup(path)
    if (node === undefined) throw new StorageError(`${path}: no such file`, 'ENOENT', path)
    if (node instanceof Directory) throw new StorageError(`${path}: is a directory`, 'EISDIR', path)
    return node
  }

  async open(path: string, options: OpenOptions = {}): Promise<StorageFile> {
    this.check('open', path)
    let node = this.lookup(path)
    if (node === undefined) {
      if (!options.create) throw new StorageError(`${path}: no such file`, 'ENOENT', path)
      const dir = this.lookupDir(parentDir(path), false)
      if (dir === undefined) throw new StorageError(`${parentDir(path)}: no such directory`, 'ENOENT', path)
      node = new Inode()
      dir.entries.set(baseName(path), node)
    }
    if (node instanceof Directory) throw new StorageError(`${path}: is a directory`, 'EISDIR', path)
    const handle = new MemoryFile(this, path, node)
    this.handles.add(handle)
    return handle
  }

  forget(handle: MemoryFile): void {
    this.handles.delete(handle)
  }

  async readFile(path: string): Promise<Uint8Array | undefined> {
    this.check('readFile', path)
    const node = this.lookup(path)
    if (node === undefined) return undefined
    if (node instanceof Directory) throw new StorageError(`${path}: is a directory`, 'EISDIR', path)
    return node.slice(0, node.size)
  }

  async list(dir: string): Promise<string[]> {
    this.check('list', dir)
    const node = this.lookupDir(dir, false)
    return node === undefined ? [] : [...node.entries.keys()]
  }

  async mkdir(dir: string): Promise<void> {
    this.check('mkdir', dir)
    this.lookupDir(dir, true)
  }

  async exists(path: string): Promise<boolean> {
    return this.segments(path).length === 0 || this.lookup(path) !== undefined
  }

  async rename(from: string, to: string): Promise<void> {
    this.check('rename', from)
    const fromDir = this.lookupDir(parentDir(from), false)
    const node = fromDir?.entries.get(baseName(from))
    if (fromDir === undefined || node === undefined) throw new StorageError(`rename ${from}: no such file`, 'ENOENT', from)
    const toDir = this.lookupDir(parentDir(to), false)
    if (toDir === undefined) throw new StorageError(`rename to ${to}: no such directory`, 'ENOENT', to)
    fromDir.entries.delete(baseName(from))
    toDir.entries.set(baseName(to), node)
  }

  async remove(path: string): Promise<void> {
    this.check('remove', path)
    const dir = this.lookupDir(parentDir(path), false)
    const node = dir?.entries.get(baseName(path))
    if (node instanceof Directory) throw new StorageError(`${path}: is a directory`, 'EISDIR', path)
    dir?.entries.delete(baseName(path))
  }

  async removeDir(path: string): Promise<void> {
    this.check('removeDir', path)
    const dir = this.lookupDir(parentDir(path), false)
    const node = dir?.entries.get(baseName(path))
    if (node === undefined) return
    if (!(node instanceof Directory)) throw new StorageError(`${path}: not a directory`, 'ENOTDIR', path)
    // Directory removal is durable at once, like creation.
    dir!.entries.delete(baseName(path))
    dir!.durableEntries.delete(baseName(path))
  }

  async syncDir(path: string): Promise<void> {
    this.check('syncDir', path)
    const dir = this.lookupDir(path, false)
    if (dir === undefined) throw new StorageError(`${path}: no such directory`, 'ENOENT', path)
    if (dir !== this.root) dir.durableEntries = new Map(dir.entries)
  }

  /** Test helper: the current bytes of a file (a copy). */
  peek(path: string): Uint8Array {
    const node = this.fileAt(path)
    return node.slice(0, node.size)
  }

  /** Test helper: overwrites a file's bytes durably, as damage on disk would. */
  poke(path: string, bytes: Uint8Array): void {
    const node = this.fileAt(path)
    node.replace(bytes, bytes.length)
    node.dirtyFrom = 0
    node.sync()
  }
}

class MemoryFile implements StorageFile {
  private closed = false
  private invalidated = false

  constructor(
    private readonly storage: MemoryStorage,
    readonly path: string,
    private readonly node: Inode,
  ) {}

  invalidate(): void {
    this.invalidated = true
  }

  private live(operation: string): Inode {
    if (this.invalidated) throw new StorageError(`${this.path}: handle lost in a simulated crash`, 'EIO', this.path)
    if (this.closed) throw new StorageError(`${this.path}: file is closed`, 'EBADF', this.path)
    this.storage.check(operation, this.path)
    return this.node
  }

  async size(): Promise<number> {
    return this.live('size').size
  }

  async read(position: number, length: number): Promise<Uint8Array> {
    const node = this.live('read')
    const end = Math.min(node.size, position + length)
    return end <= position ? new Uint8Array(0) : node.view(position, end)
  }

  async readInto(target: Uint8Array, position: number): Promise<number> {
    const node = this.live('read')
    const end = Math.min(node.size, position + target.length)
    if (end <= position) return 0
    node.copyOut(end - position === target.length ? target : target.subarray(0, end - position), position)
    return end - position
  }

  async write(position: number, chunks: readonly Uint8Array[]): Promise<void> {
    this.live('write').write(position, chunks)
  }

  async truncate(sizeBytes: number): Promise<void> {
    this.live('truncate').truncate(sizeBytes)
  }

  async sync(): Promise<void> {
    const node = this.live('sync')
    if (this.storage.simulateCrashes) node.sync()
  }

  async close(): Promise<void> {
    if (this.closed || this.invalidated) return
    this.closed = true
    this.storage.forget(this)
  }
}
