// The no-framework baseline: Nexmark q0, q1, q2, q5, q7 and q8 written as
// plain, single-threaded TypeScript, the way one would without a stream
// processor: a loop over the generator's batches, Maps keyed by window and
// key, windows fired when event time passes their end. The stream is in
// event-time order, so the watermark is simply (largest timestamp seen) − 1:
// a window [start, end) fires once an event with timestamp >= end arrives
// (or at end of input).
//
// Each query returns a QueryResult digest: how many records it output, an
// order-independent checksum of them (a sum mod 2^32 of one hash per record),
// and for the windowed queries the per-window results, sorted by window
// start. The record hashes below are the definition: any implementation of
// these queries (the RxJS one in rxjs.ts, the eddy runtime) that outputs the
// same records gets the same digest. See queries.md for what each query
// computes.
import { AUCTION, BID, PERSON, type Auction, type Bid, type NexmarkEvent, type NexmarkSource } from '../../src/stream/sources/nexmark.js'

export type NexmarkQuery = 'q0' | 'q1' | 'q2' | 'q5' | 'q7' | 'q8'

/** q5: the auction(s) with the most bids in one sliding window. */
export interface Q5Window {
  start: number
  end: number
  /** The bid count they share. */
  count: number
  /** Every auction with that count, ascending. */
  auctions: number[]
}

/** q7: the highest bid(s) of one tumbling window. */
export interface Q7Window {
  start: number
  end: number
  maxPrice: number
  /** Every bid at maxPrice, sorted by (dateTime, auction, bidder). */
  bids: { auction: number; bidder: number; price: number; dateTime: number }[]
}

/** q8: the join output of one tumbling window, as a count and a checksum. */
export interface Q8Window {
  start: number
  end: number
  count: number
  checksum: number
}

export type WindowDigest = Q5Window | Q7Window | Q8Window

export interface QueryResult {
  query: NexmarkQuery
  /** Input events consumed. */
  events: number
  /** Output records. */
  count: number
  /** Σ recordHash mod 2^32 over the output records (order-independent). */
  checksum: number
  /** q5, q7, q8: per-window results, ascending by window start (windows without output are absent). */
  windows?: WindowDigest[]
}

/** Records per nextBatch call. */
export const BATCH_SIZE = 1024
/** q1: dollars to euros. */
export const EURO_RATE = 0.908
/** q2: bids on auctions whose id is a multiple of this. */
export const Q2_AUCTION_MODULUS = 123
/** q5: sliding windows of 10 s every 2 s; q7, q8: tumbling windows of 10 s. */
export const Q5_WINDOW_MS = 10_000
export const Q5_SLIDE_MS = 2_000
export const TUMBLE_MS = 10_000

// ------------------------------------------------------------ record hashes

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)

/** One murmur3 round: folds the 32-bit `k` into `h`. */
function round32(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51)
  k = (k << 15) | (k >>> 17)
  h ^= Math.imul(k, 0x1b873593)
  h = (h << 13) | (h >>> 19)
  return (Math.imul(h, 5) + 0xe6546b64) | 0
}

/** Folds a number into `h`: integers (|x| < 2^53) by their two 32-bit halves, anything else by its IEEE bits. */
export function mixNumber(h: number, x: number): number {
  if (Number.isInteger(x)) return round32(round32(h, x >>> 0), Math.floor(x / 4294967296) | 0)
  f64[0] = x
  return round32(round32(h ^ 0x2f, u32[0]), u32[1])
}

/** Folds a string into `h`, UTF-16 unit by unit. */
export function mixString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = round32(h, s.charCodeAt(i))
  return round32(h, s.length)
}

/** Final avalanche (murmur3 fmix32) to an unsigned 32-bit hash. */
export function finish(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** Adds a record hash to a checksum (mod 2^32). */
export function addHash(checksum: number, hash: number): number {
  return (checksum + hash) >>> 0
}

/** q0: an event, by kind, event time and identity (person/auction id; bid auction, bidder, price). */
export function q0Hash(e: NexmarkEvent): number {
  let h = mixNumber(mixNumber(0x9747b28c, e.type), e.dateTime)
  if (e.type === BID) h = mixNumber(mixNumber(mixNumber(h, e.auction), e.bidder), e.price)
  else h = mixNumber(h, e.id)
  return finish(h)
}

/** q1: (auction, bidder, price in euros, dateTime). */
export function q1Hash(auction: number, bidder: number, priceEuro: number, dateTime: number): number {
  return finish(mixNumber(mixNumber(mixNumber(mixNumber(1, auction), bidder), priceEuro), dateTime))
}

/** q2: (auction, price). */
export function q2Hash(auction: number, price: number): number {
  return finish(mixNumber(mixNumber(2, auction), price))
}

/** q5: (window start, window end, auction, bid count). */
export function q5Hash(start: number, end: number, auction: number, count: number): number {
  return finish(mixNumber(mixNumber(mixNumber(mixNumber(5, start), end), auction), count))
}

/** q7: (window start, window end, auction, bidder, price, dateTime) of a top bid. */
export function q7Hash(start: number, end: number, auction: number, bidder: number, price: number, dateTime: number): number {
  return finish(mixNumber(mixNumber(mixNumber(mixNumber(mixNumber(mixNumber(7, start), end), auction), bidder), price), dateTime))
}

/** q8: (window start, person id, person name, auction reserve). */
export function q8Hash(start: number, personId: number, name: string, reserve: number): number {
  return finish(mixNumber(mixString(mixNumber(mixNumber(8, start), personId), name), reserve))
}

/** The per-window results of q7 put in their canonical order. */
export function byTimeAuctionBidder(a: Q7Window['bids'][number], b: Q7Window['bids'][number]): number {
  return a.dateTime - b.dateTime || a.auction - b.auction || a.bidder - b.bidder
}

/** Start of the tumbling window holding `ts` (windows aligned to the epoch). */
export function tumbleStart(ts: number, size = TUMBLE_MS): number {
  return ts - (((ts % size) + size) % size)
}

// ------------------------------------------------------------ q0, q1, q2

/** q0, pass-through: every event goes to a blackhole (counted and hashed). */
export function q0(source: NexmarkSource): QueryResult {
  let events = 0
  let checksum = 0
  for (let batch = source.nextBatch(BATCH_SIZE); batch !== null; batch = source.nextBatch(BATCH_SIZE)) {
    const values = batch.values
    for (let i = 0; i < values.length; i++) checksum = addHash(checksum, q0Hash(values[i]))
    events += values.length
  }
  return { query: 'q0', events, count: events, checksum }
}

/** q1, currency conversion: every bid with its price in euros (price × 0.908). */
export function q1(source: NexmarkSource): QueryResult {
  let events = 0
  let count = 0
  let checksum = 0
  for (let batch = source.nextBatch(BATCH_SIZE); batch !== null; batch = source.nextBatch(BATCH_SIZE)) {
    const values = batch.values
    events += values.length
    for (let i = 0; i < values.length; i++) {
      const e = values[i]
      if (e.type !== BID) continue
      const out = { auction: e.auction, bidder: e.bidder, price: e.price * EURO_RATE, dateTime: e.dateTime, extra: e.extra }
      count++
      checksum = addHash(checksum, q1Hash(out.auction, out.bidder, out.price, out.dateTime))
    }
  }
  return { query: 'q1', events, count, checksum }
}

/** q2, selection: (auction, price) of bids on auctions whose id is a multiple of 123. */
export function q2(source: NexmarkSource): QueryResult {
  let events = 0
  let count = 0
  let checksum = 0
  for (let batch = source.nextBatch(BATCH_SIZE); batch !== null; batch = source.nextBatch(BATCH_SIZE)) {
    const values = batch.values
    events += values.length
    for (let i = 0; i < values.length; i++) {
      const e = values[i]
      if (e.type !== BID || e.auction % Q2_AUCTION_MODULUS !== 0) continue
      count++
      checksum = addHash(checksum, q2Hash(e.auction, e.price))
    }
  }
  return { query: 'q2', events, count, checksum }
}

// ------------------------------------------------------------ q5

/** q5, hot items: per sliding window (10 s every 2 s), the auction(s) with the most bids. */
export function q5(source: NexmarkSource): QueryResult {
  const open = new Map<number, Map<number, number>>() // window start → auction → bids
  const windows: Q5Window[] = []
  let nextEnd = Infinity // earliest end among open windows
  let events = 0
  let count = 0
  let checksum = 0

  const fire = (upTo: number) => {
    nextEnd = Infinity
    for (const [start, counts] of open) {
      const end = start + Q5_WINDOW_MS
      if (end > upTo) {
        nextEnd = Math.min(nextEnd, end)
        continue
      }
      open.delete(start)
      let max = 0
      let auctions: number[] = []
      for (const [auction, n] of counts) {
        if (n > max) {
          max = n
          auctions = [auction]
        } else if (n === max) auctions.push(auction)
      }
      auctions.sort((a, b) => a - b)
      for (const auction of auctions) checksum = addHash(checksum, q5Hash(start, end, auction, max))
      count += auctions.length
      windows.push({ start, end, count: max, auctions })
    }
  }

  for (let batch = source.nextBatch(BATCH_SIZE); batch !== null; batch = source.nextBatch(BATCH_SIZE)) {
    const { values, timestamps } = batch
    events += values.length
    for (let i = 0; i < values.length; i++) {
      const ts = timestamps[i]
      if (ts >= nextEnd) fire(ts)
      const e = values[i]
      if (e.type !== BID) continue
      // Every window [s, s + 10 s) with s a multiple of 2 s and s <= ts < s + 10 s.
      const last = tumbleStart(ts, Q5_SLIDE_MS)
      for (let start = last; start > ts - Q5_WINDOW_MS; start -= Q5_SLIDE_MS) {
        let counts = open.get(start)
        if (counts === undefined) {
          counts = new Map()
          open.set(start, counts)
          nextEnd = Math.min(nextEnd, start + Q5_WINDOW_MS)
        }
        counts.set(e.auction, (counts.get(e.auction) ?? 0) + 1)
      }
    }
  }
  fire(Infinity)
  windows.sort((a, b) => a.start - b.start)
  return { query: 'q5', events, count, checksum, windows }
}

// ------------------------------------------------------------ q7

/** q7, highest bid: per tumbling 10 s window, the highest price and the bid(s) at it. */
export function q7(source: NexmarkSource): QueryResult {
  const open = new Map<number, { maxPrice: number; bids: Bid[] }>() // window start → top bids
  const windows: Q7Window[] = []
  let nextEnd = Infinity
  let events = 0
  let count = 0
  let checksum = 0

  const fire = (upTo: number) => {
    nextEnd = Infinity
    for (const [start, top] of open) {
      const end = start + TUMBLE_MS
      if (end > upTo) {
        nextEnd = Math.min(nextEnd, end)
        continue
      }
      open.delete(start)
      const bids = top.bids.map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime })).sort(byTimeAuctionBidder)
      for (const b of bids) checksum = addHash(checksum, q7Hash(start, end, b.auction, b.bidder, b.price, b.dateTime))
      count += bids.length
      windows.push({ start, end, maxPrice: top.maxPrice, bids })
    }
  }

  for (let batch = source.nextBatch(BATCH_SIZE); batch !== null; batch = source.nextBatch(BATCH_SIZE)) {
    const { values, timestamps } = batch
    events += values.length
    for (let i = 0; i < values.length; i++) {
      const ts = timestamps[i]
      if (ts >= nextEnd) fire(ts)
      const e = values[i]
      if (e.type !== BID) continue
      const start = tumbleStart(ts)
      const top = open.get(start)
      if (top === undefined) {
        open.set(start, { maxPrice: e.price, bids: [e] })
        nextEnd = Math.min(nextEnd, start + TUMBLE_MS)
      } else if (e.price > top.maxPrice) {
        top.maxPrice = e.price
        top.bids = [e]
      } else if (e.price === top.maxPrice) top.bids.push(e)
    }
  }
  fire(Infinity)
  windows.sort((a, b) => a.start - b.start)
  return { query: 'q7', events, count, checksum, windows }
}

// ------------------------------------------------------------ q8

/** q8, monitor new users: persons joined with the auctions they opened in the same tumbling 10 s window → (id, name, reserve). */
export function q8(source: NexmarkSource): QueryResult {
  const open = new Map<number, { persons: Map<number, string>; auctions: Auction[] }>() // window start → its persons and auctions
  const windows: Q8Window[] = []
  let nextEnd = Infinity
  let events = 0
  let count = 0
  let checksum = 0

  const fire = (upTo: number) => {
    nextEnd = Infinity
    for (const [start, state] of open) {
      const end = start + TUMBLE_MS
      if (end > upTo) {
        nextEnd = Math.min(nextEnd, end)
        continue
      }
      open.delete(start)
      let windowCount = 0
      let windowChecksum = 0
      for (const auction of state.auctions) {
        const name = state.persons.get(auction.seller)
        if (name === undefined) continue
        windowCount++
        windowChecksum = addHash(windowChecksum, q8Hash(start, auction.seller, name, auction.reserve))
      }
      if (windowCount === 0) continue
      count += windowCount
      checksum = addHash(checksum, windowChecksum)
      windows.push({ start, end, count: windowCount, checksum: windowChecksum })
    }
  }

  for (let batch = source.nextBatch(BATCH_SIZE); batch !== null; batch = source.nextBatch(BATCH_SIZE)) {
    const { values, timestamps } = batch
    events += values.length
    for (let i = 0; i < values.length; i++) {
      const ts = timestamps[i]
      if (ts >= nextEnd) fire(ts)
      const e = values[i]
      if (e.type === BID) continue
      const start = tumbleStart(ts)
      let state = open.get(start)
      if (state === undefined) {
        state = { persons: new Map(), auctions: [] }
        open.set(start, state)
        nextEnd = Math.min(nextEnd, start + TUMBLE_MS)
      }
      if (e.type === PERSON) state.persons.set(e.id, e.name)
      else if (e.type === AUCTION) state.auctions.push(e)
    }
  }
  fire(Infinity)
  windows.sort((a, b) => a.start - b.start)
  return { query: 'q8', events, count, checksum, windows }
}

export const baselineQueries: Record<NexmarkQuery, (source: NexmarkSource) => QueryResult> = { q0, q1, q2, q5, q7, q8 }
