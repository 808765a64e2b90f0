// Float64 and Uint32 views over core.wasm's memory for kernels that exchange
// arrays or single fields with JS. Linear memory only grows inside wasmAlloc,
// which refreshes `heapU8`; these views follow it lazily, so a caller must
// fetch the view again after anything that may allocate.
import { heapU8 } from '../wasm/core.js'

let f64 = new Float64Array(heapU8.buffer)
let u32 = new Uint32Array(heapU8.buffer)

/** All of Wasm memory as f64; index = byteAddress / 8 (the address must be 8-aligned). */
export function heapF64(): Float64Array {
  if (f64.buffer !== heapU8.buffer) f64 = new Float64Array(heapU8.buffer)
  return f64
}

/** All of Wasm memory as u32; index = byteAddress / 4 (the address must be 4-aligned). */
export function heapU32(): Uint32Array {
  if (u32.buffer !== heapU8.buffer) u32 = new Uint32Array(heapU8.buffer)
  return u32
}
