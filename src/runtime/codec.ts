// Batches between threads travel as one ArrayBuffer (transferred, never
// structured-cloned object arrays). Layout, little-endian, version 1:
//
//   u32 magic 'EDB1' | u32 count | u8 keyKind | u8 valueKind | u16 reserved
//   f64[count] timestamps
//   keys:   none | f64[count] | strings
//   values: f64[count] | strings | records | json
//
// strings  = u32 byteLength, u32[count] UTF-16 lengths, UTF-8 bytes of the concatenation
// records  = u32 fieldCount, strings(field names), then one column per field:
//            u8 type (1 number → f64[count], 2 string → strings, 3 boolean → u8[count], 4 json → strings)
// json     = strings of JSON.stringify per value (anything JSON can carry)
//
// Flat objects whose fields hold one type each (the common case: events,
// readings) become typed columns; anything else falls back to JSON.
import type { Key } from '../stream/dsl/graph.js'
import { GrowableBytes } from '../growable-bytes.js'

const MAGIC = 0x31424445 // 'EDB1'
const HEADER = 12
const KIND_NONE = 0
const KIND_NUMBER = 1
const KIND_STRING = 2
const KIND_RECORDS = 3
const KIND_JSON = 4
const FIELD_NUMBER = 1
const FIELD_STRING = 2
const FIELD_BOOLEAN = 3
const FIELD_JSON = 4

export interface WireBatch {
  values: unknown[]
  timestamps: ArrayLike<number>
  keys?: ArrayLike<Key>
}

export class BatchCodecError extends Error {
  override name = 'BatchCodecError'
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** A growable byte buffer with aligned typed writes. */
class Writer extends GrowableBytes {
  u8(v: number): void {
    this.ensure(1)
    this.bytes[this.at++] = v
  }
  u32(v: number): void {
    this.ensure(4)
    this.view.setUint32(this.at, v, true)
    this.at += 4
  }
  align8(): void {
    const pad = (8 - (this.at & 7)) & 7
    this.ensure(pad)
    this.at += pad
  }
  f64s(values: ArrayLike<number>, n: number): void {
    this.align8()
    this.ensure(n * 8)
    const column = new Float64Array(this.bytes.buffer, this.at, n)
    for (let i = 0; i < n; i++) column[i] = values[i]
    this.at += n * 8
  }
  f64sOf<T>(values: ArrayLike<T>, n: number, read: (v: T) => number): void {
    this.align8()
    this.ensure(n * 8)
    const column = new Float64Array(this.bytes.buffer, this.at, n)
    for (let i = 0; i < n; i++) column[i] = read(values[i])
    this.at += n * 8
  }
  strings(parts: string[]): void {
    const n = parts.length
    this.ensure(4 + 4 * n + 8)
    const lengthsAt = this.at + 4
    this.at += 4 + 4 * n
    let joined = ''
    for (let i = 0; i < n; i++) {
      const s = parts[i]
      this.view.setUint32(lengthsAt + 4 * i, s.length, true)
      joined += s
    }
    this.ensure(joined.length * 3)
    const { written } = encoder.encodeInto(joined, this.bytes.subarray(this.at))
    this.view.setUint32(lengthsAt - 4, written, true)
    this.at += written
  }
  finish(): ArrayBuffer {
    return this.bytes.buffer.slice(0, this.at) as ArrayBuffer
  }
}

class Reader {
  readonly view: DataView
  at = 0
  constructor(readonly buffer: ArrayBuffer) {
    this.view = new DataView(buffer)
  }
  need(n: number): void {
    if (this.at + n > this.buffer.byteLength) throw new BatchCodecError(`batch truncated: needs ${this.at + n} bytes, has ${this.buffer.byteLength}`)
  }
  u8(): number {
    this.need(1)
    return this.view.getUint8(this.at++)
  }
  u32(): number {
    this.need(4)
    const v = this.view.getUint32(this.at, true)
    this.at += 4
    return v
  }
  f64s(n: number): Float64Array {
    this.at += (8 - (this.at & 7)) & 7
    this.need(n * 8)
    const column = new Float64Array(this.buffer, this.at, n)
    this.at += n * 8
    return column
  }
  strings(n: number): string[] {
    const byteLength = this.u32()
    this.need(4 * n + byteLength)
    const lengthsAt = this.at
    this.at += 4 * n
    const joined = decoder.decode(new Uint8Array(this.buffer, this.at, byteLength))
    this.at += byteLength
    const out = new Array<string>(n)
    let pos = 0
    for (let i = 0; i < n; i++) {
      const len = this.view.getUint32(lengthsAt + 4 * i, true)
      out[i] = joined.slice(pos, pos + len)
      pos += len
    }
    if (pos !== joined.length) throw new BatchCodecError('batch strings do not add up to their lengths')
    return out
  }
}

function allNumbers(values: ArrayLike<unknown>, n: number): boolean {
  for (let i = 0; i < n; i++) if (typeof values[i] !== 'number') return false
  return true
}

function allStrings(values: ArrayLike<unknown>, n: number): boolean {
  for (let i = 0; i < n; i++) if (typeof values[i] !== 'string') return false
  return true
}

const FIELD_TYPE_OF: Record<string, number> = { number: FIELD_NUMBER, string: FIELD_STRING, boolean: FIELD_BOOLEAN }

/** Field names and types when every value is a flat object of one shape; undefined otherwise. */
function recordShape(values: unknown[], n: number): { fields: string[]; types: number[] } | undefined {
  const first = values[0]
  if (typeof first !== 'object' || first === null || Array.isArray(first) || Object.getPrototypeOf(first) !== Object.prototype) return undefined
  const fields = Object.keys(first)
  const types = fields.map((f) => FIELD_TYPE_OF[typeof (first as Record<string, unknown>)[f]] ?? FIELD_JSON)
  for (let i = 1; i < n; i++) {
    const v = values[i] as Record<string, unknown>
    if (typeof v !== 'object' || v === null || Object.getPrototypeOf(v) !== Object.prototype) return undefined
    let count = 0
    for (const _ in v) count++
    if (count !== fields.length) return undefined
    for (let f = 0; f < fields.length; f++) {
      const t = types[f]
      const x = v[fields[f]]
      if (t === FIELD_JSON) {
        if (x === undefined) return undefined
      } else if (FIELD_TYPE_OF[typeof x] !== t) types[f] = FIELD_JSON
    }
  }
  return { fields, types }
}

export function encodeBatch(batch: WireBatch): ArrayBuffer {
  const n = batch.values.length
  if (batch.timestamps.length !== n || (batch.keys !== undefined && batch.keys.length !== n)) {
    throw new BatchCodecError(`batch columns differ in length: values ${n}, timestamps ${batch.timestamps.length}, keys ${batch.keys?.length}`)
  }
  const w = new Writer()
  w.u32(MAGIC)
  w.u32(n)
  const keyKind = batch.keys === undefined ? KIND_NONE : allNumbers(batch.keys, n) ? KIND_NUMBER : KIND_STRING
  const shape = allNumbers(batch.values, n) ? undefined : allStrings(batch.values, n) ? undefined : recordShape(batch.values, n)
  const valueKind = allNumbers(batch.values, n) ? KIND_NUMBER : allStrings(batch.values, n) ? KIND_STRING : shape !== undefined ? KIND_RECORDS : KIND_JSON
  w.u8(keyKind)
  w.u8(valueKind)
  w.u8(0)
  w.u8(0)
  w.f64s(batch.timestamps, n)
  if (keyKind === KIND_NUMBER) w.f64s(batch.keys as ArrayLike<number>, n)
  else if (keyKind === KIND_STRING) {
    const keys = batch.keys as ArrayLike<Key>
    const parts = new Array<string>(n)
    for (let i = 0; i < n; i++) {
      if (typeof keys[i] !== 'string') throw new BatchCodecError(`keys[${i}] is a ${typeof keys[i]}; a batch's keys must be all numbers or all strings`)
      parts[i] = keys[i] as string
    }
    w.strings(parts)
  }
  const values = batch.values
  if (valueKind === KIND_NUMBER) w.f64s(values as number[], n)
  else if (valueKind === KIND_STRING) w.strings(values as string[])
  else if (valueKind === KIND_RECORDS) {
    const { fields, types } = shape as { fields: string[]; types: number[] }
    w.u32(fields.length)
    w.strings(fields)
    for (let f = 0; f < fields.length; f++) {
      const name = fields[f]
      w.u8(types[f])
      if (types[f] === FIELD_NUMBER) w.f64sOf(values as Record<string, number>[], n, (v) => v[name])
      else if (types[f] === FIELD_STRING) w.strings((values as Record<string, string>[]).map((v) => v[name]))
      else if (types[f] === FIELD_BOOLEAN) {
        w.ensure(n)
        for (let i = 0; i < n; i++) w.bytes[w.at + i] = (values[i] as Record<string, boolean>)[name] ? 1 : 0
        w.at += n
      } else w.strings((values as Record<string, unknown>[]).map((v) => JSON.stringify(v[name])))
    }
  } else {
    const parts = new Array<string>(n)
    for (let i = 0; i < n; i++) {
      const json = JSON.stringify(values[i])
      if (json === undefined) throw new BatchCodecError(`values[${i}] (${typeof values[i]}) cannot be sent between threads; use numbers, strings, booleans, plain objects or arrays`)
      parts[i] = json
    }
    w.strings(parts)
  }
  return w.finish()
}

type RecordConstructor = (columns: ArrayLike<unknown>[], row: number) => unknown

/** Record constructors by field list; a job has a handful of shapes, so a small cap only guards against unbounded ones. */
const constructors = new Map<string, RecordConstructor>()
const CONSTRUCTORS_MAX = 256

/**
 * One constructor per shape, compiled once: its object literal keeps V8's
 * objects of that shape monomorphic downstream (compiling one per batch cost
 * a Function() call every batch).
 */
function constructorOf(fields: string[]): RecordConstructor {
  const id = JSON.stringify(fields)
  let make = constructors.get(id)
  if (make === undefined) {
    make = new Function('c', 'i', `return {${fields.map((f, k) => `${JSON.stringify(f)}: c[${k}][i]`).join(', ')}}`) as RecordConstructor
    if (constructors.size >= CONSTRUCTORS_MAX) constructors.clear()
    constructors.set(id, make)
  }
  return make
}

/**
 * Decodes a batch. With `typed`, number columns stay Float64Array views over
 * the buffer (no copy); callers that index them (operators) may ask for that,
 * callers that use array methods on values must not.
 */
export function decodeBatch(buffer: ArrayBuffer, { typed = false }: { typed?: boolean } = {}): { values: unknown[]; timestamps: Float64Array; keys?: Key[] } {
  const r = new Reader(buffer)
  if (buffer.byteLength < HEADER || r.u32() !== MAGIC) throw new BatchCodecError('not an eddy batch (bad magic)')
  const n = r.u32()
  const keyKind = r.u8()
  const valueKind = r.u8()
  r.at += 2
  const timestamps = r.f64s(n)
  let keys: Key[] | undefined
  if (keyKind === KIND_NUMBER) keys = typed ? (r.f64s(n) as unknown as Key[]) : Array.from(r.f64s(n))
  else if (keyKind === KIND_STRING) keys = r.strings(n)
  else if (keyKind !== KIND_NONE) throw new BatchCodecError(`unknown key kind ${keyKind}`)
  let values: unknown[]
  switch (valueKind) {
    case KIND_NUMBER:
      values = typed ? (r.f64s(n) as unknown as unknown[]) : Array.from(r.f64s(n))
      break
    case KIND_STRING:
      values = r.strings(n)
      break
    case KIND_JSON:
      values = r.strings(n).map((s) => JSON.parse(s))
      break
    case KIND_RECORDS: {
      const fieldCount = r.u32()
      const fields = r.strings(fieldCount)
      const columns: ArrayLike<unknown>[] = []
      for (let f = 0; f < fieldCount; f++) {
        const type = r.u8()
        if (type === FIELD_NUMBER) columns.push(r.f64s(n))
        else if (type === FIELD_STRING) columns.push(r.strings(n))
        else if (type === FIELD_BOOLEAN) {
          r.need(n)
          const bytes = new Uint8Array(buffer, r.at, n)
          r.at += n
          columns.push(Array.from(bytes, (b) => b === 1))
        } else if (type === FIELD_JSON) columns.push(r.strings(n).map((s) => JSON.parse(s)))
        else throw new BatchCodecError(`unknown field type ${type} for field ${fields[f]}`)
      }
      values = new Array(n)
      const make = constructorOf(fields)
      for (let i = 0; i < n; i++) values[i] = make(columns, i)
      break
    }
    default:
      throw new BatchCodecError(`unknown value kind ${valueKind}`)
  }
  return keys === undefined ? { values, timestamps } : { values, timestamps, keys }
}
