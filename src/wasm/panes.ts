// Typed access to the pane-window kernels of core.wasm (assembly/window/panes.ts)
// and the memory they work on. The layout constants mirror the header comment
// of assembly/window/panes.ts; `paneLayout()` lets the module check at load
// time that both sides agree.
import { core, heapU8, wasmAlloc, wasmFree } from './core.js'

export interface PaneKernels {
  paneLayout(): number
  paneBeginBatch(state: number): void
  paneApply(state: number, n: number, kp: number, kf: number): number
  paneFire(state: number, kFrom: number, kTo: number): number
  panePurge(state: number, kp: number): number
  paneRefire(state: number, kp: number, kf: number): number
  paneCountWindows(state: number, kp: number): number
  paneExport(state: number, out: number): number
  paneImport(state: number, src: number, n: number): number
  paneRehash(state: number, table: number, mask: number): void
}

/** The raw exports (the loader's wrappers allocate an arguments array per call; hot paths skip them). */
function rawKernels(): PaneKernels {
  const raw: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(core)) {
    raw[name] = typeof value === 'function' ? ((value as { original?: unknown }).original ?? value) : value
  }
  return raw as unknown as PaneKernels
}

export const paneKernels = rawKernels()

export const PANE_HEADER_BYTES = 256
export const PANE_NODE_BYTES = 40
export const PANE_KEY_BYTES = 40
export const PANE_DIR_BYTES = 16

const layout = paneKernels.paneLayout() >>> 0
if (layout !== ((PANE_HEADER_BYTES << 24) | (PANE_NODE_BYTES << 16) | (PANE_KEY_BYTES << 8) | PANE_DIR_BYTES) >>> 0) {
  throw new Error(`core.wasm pane layout ${layout.toString(16)} does not match src/wasm/panes.ts; rebuild with npm run build`)
}

/** Header fields (byte offsets from the state pointer). */
export const H = {
  g: 0,
  offset: 8,
  r: 16,
  m: 24,
  kind: 32,
  batchStamp: 36,
  nodes: 40,
  nodeCap: 44,
  nodeNext: 48,
  nodeFree: 52,
  liveNodes: 56,
  hash: 60,
  hashMask: 64,
  dir: 68,
  dirLen: 72,
  dirCap: 76,
  keys: 80,
  rankToKey: 84,
  windowSeq: 88,
  dirHint: 92,
  inKey: 96,
  inTs: 100,
  inVal: 104,
  lateOut: 108,
  touched: 112,
  touchedLen: 116,
  dropped: 120,
  outK: 124,
  outKey: 128,
  outVal: 132,
  outCap: 136,
  sortA: 140,
  sortB: 144,
  deadOut: 148,
  pairK: 152,
  pairKey: 156,
  resumeK: 160,
  fireDone: 168,
  keyCap: 172,
} as const

/** Key record fields (byte offsets within a PANE_KEY_BYTES record). */
export const K = { lastPane: 0, scratchCount: 8, scratchAcc: 16, rank: 24, nodes: 28, lastNode: 32, stamp: 36 } as const

/** Typed views over core.wasm's memory, rebuilt when memory grows (which happens only inside wasmAlloc). */
export class HeapViews {
  private buffer: ArrayBufferLike = heapU8.buffer
  u8 = heapU8
  u32 = new Uint32Array(this.buffer)
  f64 = new Float64Array(this.buffer)

  /** Call after anything that may have allocated. */
  refresh(): this {
    const buffer = core.memory.buffer
    if (buffer !== this.buffer) {
      this.buffer = buffer
      this.u8 = new Uint8Array(buffer)
      this.u32 = new Uint32Array(buffer)
      this.f64 = new Float64Array(buffer)
    }
    return this
  }
}

/**
 * A block of Wasm memory that grows by doubling. `grow(bytes, keep)` makes it
 * at least `bytes` long, copying its first `keep` bytes; returns whether it moved.
 */
export class WasmBlock {
  ptr = 0
  bytes = 0

  grow(bytes: number, keep: number): boolean {
    if (bytes <= this.bytes) return false
    const size = Math.max(bytes, this.bytes * 2, 64)
    const ptr = wasmAlloc(size)
    if (keep > 0 && this.ptr !== 0) heapU8.copyWithin(ptr, this.ptr, this.ptr + Math.min(keep, this.bytes))
    if (this.ptr !== 0) wasmFree(this.ptr)
    this.ptr = ptr
    this.bytes = size
    return true
  }

  free(): void {
    if (this.ptr !== 0) wasmFree(this.ptr)
    this.ptr = 0
    this.bytes = 0
  }
}

export function wasmMemoryBytes(): number {
  return core.memory.buffer.byteLength
}

export { wasmAlloc, wasmFree, heapU8 }
