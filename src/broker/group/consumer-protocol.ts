// The consumer protocol's Subscription and Assignment, the opaque bytes that
// members exchange through JoinGroup/SyncGroup (Kafka's ConsumerProtocol).
// Encoded exactly as Kafka's clients do, so in-process members and wire-protocol
// clients understand each other's metadata in one group.
//
// Subscription => version:int16 topics:[string] userData:bytes
//                 ownedPartitions:[topic:string partitions:[int32]] (v1+)
//                 generationId:int32 (v2+)  rackId:nullable string (v3+)
// Assignment   => version:int16 assignedPartitions:[topic:string partitions:[int32]] userData:bytes
// A reader takes the fields of the versions it knows and ignores the rest, as
// Kafka's does (newer versions only append fields).
import type { TopicPartition } from '../assignors/types.js'

export interface Subscription {
  topics: string[]
  userData: Uint8Array | null
  ownedPartitions: TopicPartition[]
  generationId: number
  rackId: string | null
}

export interface Assignment {
  partitions: TopicPartition[]
  userData: Uint8Array | null
}

export class ConsumerProtocolError extends Error {
  override name = 'ConsumerProtocolError'
}

const utf8 = new TextEncoder()
const utf8Decoder = new TextDecoder('utf-8', { fatal: true })

class Writer {
  private bytes = new Uint8Array(64)
  private view = new DataView(this.bytes.buffer)
  length = 0
  private ensure(n: number): void {
    if (this.length + n <= this.bytes.length) return
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n))
    next.set(this.bytes)
    this.bytes = next
    this.view = new DataView(next.buffer)
  }
  int16(v: number): this {
    this.ensure(2)
    this.view.setInt16(this.length, v)
    this.length += 2
    return this
  }
  int32(v: number): this {
    this.ensure(4)
    this.view.setInt32(this.length, v)
    this.length += 4
    return this
  }
  string(s: string | null): this {
    if (s === null) return this.int16(-1)
    const b = utf8.encode(s)
    this.int16(b.length)
    this.ensure(b.length)
    this.bytes.set(b, this.length)
    this.length += b.length
    return this
  }
  bytesField(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1)
    this.int32(b.length)
    this.ensure(b.length)
    this.bytes.set(b, this.length)
    this.length += b.length
    return this
  }
  done(): Uint8Array {
    return this.bytes.slice(0, this.length)
  }
}

class Reader {
  private at = 0
  private readonly view: DataView
  constructor(
    private readonly bytes: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  get remaining(): number {
    return this.bytes.length - this.at
  }
  private need(n: number, field: string): void {
    if (this.remaining < n) throw new ConsumerProtocolError(`${this.what}: truncated at ${field} (offset ${this.at})`)
  }
  int16(field: string): number {
    this.need(2, field)
    const v = this.view.getInt16(this.at)
    this.at += 2
    return v
  }
  int32(field: string): number {
    this.need(4, field)
    const v = this.view.getInt32(this.at)
    this.at += 4
    return v
  }
  string(field: string): string | null {
    const n = this.int16(field)
    if (n < 0) return null
    this.need(n, field)
    const s = utf8Decoder.decode(this.bytes.subarray(this.at, this.at + n))
    this.at += n
    return s
  }
  bytesField(field: string): Uint8Array | null {
    const n = this.int32(field)
    if (n < 0) return null
    this.need(n, field)
    const b = this.bytes.slice(this.at, this.at + n)
    this.at += n
    return b
  }
  count(field: string, minBytesEach: number): number {
    const n = this.int32(field)
    if (n < 0) return 0
    if (n * minBytesEach > this.remaining) throw new ConsumerProtocolError(`${this.what}: ${field} claims ${n} entries, more than the bytes left`)
    return n
  }
}

function writePartitions(w: Writer, partitions: readonly TopicPartition[]): void {
  const byTopic = new Map<string, number[]>()
  for (const tp of partitions) {
    const list = byTopic.get(tp.topic) ?? []
    list.push(tp.partition)
    byTopic.set(tp.topic, list)
  }
  w.int32(byTopic.size)
  for (const [topic, list] of byTopic) {
    w.string(topic).int32(list.length)
    for (const p of list) w.int32(p)
  }
}

function readPartitions(r: Reader, field: string): TopicPartition[] {
  const out: TopicPartition[] = []
  const topics = r.count(field, 6)
  for (let i = 0; i < topics; i++) {
    const topic = r.string(`${field}.topic`) ?? ''
    const n = r.count(`${field}.partitions`, 4)
    for (let j = 0; j < n; j++) out.push({ topic, partition: r.int32(`${field}.partition`) })
  }
  return out
}

export function encodeSubscription(sub: Partial<Subscription> & { topics: string[] }, version = 1): Uint8Array {
  const w = new Writer().int16(version)
  w.int32(sub.topics.length)
  for (const t of sub.topics) w.string(t)
  w.bytesField(sub.userData ?? null)
  if (version >= 1) writePartitions(w, sub.ownedPartitions ?? [])
  if (version >= 2) w.int32(sub.generationId ?? -1)
  if (version >= 3) w.string(sub.rackId ?? null)
  return w.done()
}

export function decodeSubscription(bytes: Uint8Array): Subscription {
  const r = new Reader(bytes, 'consumer subscription')
  const version = r.int16('version')
  if (version < 0) throw new ConsumerProtocolError(`consumer subscription: invalid version ${version}`)
  const topics: string[] = []
  const n = r.count('topics', 2)
  for (let i = 0; i < n; i++) topics.push(r.string('topic') ?? '')
  const userData = r.remaining > 0 ? r.bytesField('userData') : null
  const ownedPartitions = version >= 1 && r.remaining > 0 ? readPartitions(r, 'ownedPartitions') : []
  const generationId = version >= 2 && r.remaining >= 4 ? r.int32('generationId') : -1
  const rackId = version >= 3 && r.remaining >= 2 ? r.string('rackId') : null
  return { topics, userData, ownedPartitions, generationId, rackId }
}

export function encodeAssignment(assignment: Partial<Assignment> & { partitions: readonly TopicPartition[] }, version = 1): Uint8Array {
  const w = new Writer().int16(version)
  writePartitions(w, assignment.partitions)
  w.bytesField(assignment.userData ?? null)
  return w.done()
}

/** An empty byte string is a valid empty assignment (Kafka sends it to members left out). */
export function decodeAssignment(bytes: Uint8Array): Assignment {
  if (bytes.length === 0) return { partitions: [], userData: null }
  const r = new Reader(bytes, 'consumer assignment')
  const version = r.int16('version')
  if (version < 0) throw new ConsumerProtocolError(`consumer assignment: invalid version ${version}`)
  const partitions = readPartitions(r, 'assignedPartitions')
  const userData = r.remaining > 0 ? r.bytesField('userData') : null
  return { partitions, userData }
}
