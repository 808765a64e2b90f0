// The same six Nexmark queries in RxJS 7, written the way a Node user would
// reach for it today: the generator's batches as an Observable (`from` over
// the batches, `mergeMap` to events), `filter` and `map` for the stateless
// queries, and `groupBy` for windows. RxJS's own windowing (`windowTime`,
// `bufferTime`) runs on the wall clock, not on event time, so the windowed
// queries group by window start and close each group with a `duration`
// notifier that fires when the watermark (the largest event time seen − 1,
// pushed through a Subject as events pass) reaches the window's end − 1; each
// group is then reduced to the window's result. Everything is synchronous,
// so each query returns its digest directly.
//
// Results are the same QueryResult digests as the baseline's (same record
// hashes, windows sorted by start), so the two can be compared for equality.
import { filter, from, groupBy, map, mergeMap, type Observable, reduce, Subject, tap, first, type GroupedObservable } from 'rxjs'
import { AUCTION, BID, PERSON, type Auction, type Bid, type NexmarkBatch, type NexmarkEvent, type NexmarkSource, type Person } from '../../src/stream/sources/nexmark.js'
import {
  addHash,
  BATCH_SIZE,
  byTimeAuctionBidder,
  EURO_RATE,
  q0Hash,
  q1Hash,
  q2Hash,
  q5Hash,
  q7Hash,
  q8Hash,
  Q2_AUCTION_MODULUS,
  Q5_SLIDE_MS,
  Q5_WINDOW_MS,
  TUMBLE_MS,
  tumbleStart,
  type NexmarkQuery,
  type Q5Window,
  type Q7Window,
  type Q8Window,
  type QueryResult,
  type WindowDigest,
} from './baseline.js'

function* batches(source: NexmarkSource): Generator<NexmarkBatch> {
  for (let batch = source.nextBatch(BATCH_SIZE); batch !== null; batch = source.nextBatch(BATCH_SIZE)) yield batch
}

/** A query's input: the events, and the watermark they drive (event time − 1, pushed before each event goes on). */
interface Input {
  events$: Observable<NexmarkEvent>
  watermark$: Subject<number>
  /** Events seen so far. */
  seen(): number
}

function input(source: NexmarkSource): Input {
  const watermark$ = new Subject<number>()
  let seen = 0
  const events$ = from(batches(source)).pipe(
    mergeMap((batch) => batch.values),
    tap((e) => {
      seen++
      watermark$.next(e.dateTime - 1)
    }),
  )
  return { events$, watermark$, seen: () => seen }
}

/** groupBy's duration for an event-time window of `size` keyed by its start: ends when the watermark reaches end − 1. */
function closesAt<T>(watermark$: Observable<number>, size: number): (group: GroupedObservable<number, T>) => Observable<number> {
  return (group) => watermark$.pipe(first((wm) => wm >= group.key + size - 1))
}

/** Subscribes and returns the single value of a synchronous observable. */
function runSync<T>(result$: Observable<T>): T {
  let value: T | undefined
  let completed = false
  let failure: unknown
  let failed = false
  result$.subscribe({
    next: (v) => (value = v),
    error: (e) => {
      failed = true
      failure = e
    },
    complete: () => (completed = true),
  })
  if (failed) throw failure
  if (!completed) throw new Error('query did not complete synchronously')
  return value as T
}

interface Digest {
  count: number
  checksum: number
}

function result(query: NexmarkQuery, inp: Input, digest: Digest, windows?: WindowDigest[]): QueryResult {
  const out: QueryResult = { query, events: inp.seen(), count: digest.count, checksum: digest.checksum }
  if (windows !== undefined) out.windows = windows.sort((a, b) => a.start - b.start)
  return out
}

const isBid = (e: NexmarkEvent): e is Bid => e.type === BID

/** q0: every event into a blackhole. */
export function q0(source: NexmarkSource): QueryResult {
  const inp = input(source)
  const digest = runSync(
    inp.events$.pipe(reduce((d: Digest, e) => ({ count: d.count + 1, checksum: addHash(d.checksum, q0Hash(e)) }), { count: 0, checksum: 0 })),
  )
  return result('q0', inp, digest)
}

/** q1: bids with the price in euros. */
export function q1(source: NexmarkSource): QueryResult {
  const inp = input(source)
  const digest = runSync(
    inp.events$.pipe(
      filter(isBid),
      map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price * EURO_RATE, dateTime: b.dateTime, extra: b.extra })),
      reduce((d: Digest, r) => ({ count: d.count + 1, checksum: addHash(d.checksum, q1Hash(r.auction, r.bidder, r.price, r.dateTime)) }), { count: 0, checksum: 0 }),
    ),
  )
  return result('q1', inp, digest)
}

/** q2: (auction, price) of bids on auctions whose id is a multiple of 123. */
export function q2(source: NexmarkSource): QueryResult {
  const inp = input(source)
  const digest = runSync(
    inp.events$.pipe(
      filter(isBid),
      filter((b) => b.auction % Q2_AUCTION_MODULUS === 0),
      map((b) => ({ auction: b.auction, price: b.price })),
      reduce((d: Digest, r) => ({ count: d.count + 1, checksum: addHash(d.checksum, q2Hash(r.auction, r.price)) }), { count: 0, checksum: 0 }),
    ),
  )
  return result('q2', inp, digest)
}

/** Folds window results into the query digest plus the window list. */
function collectWindows<W extends WindowDigest>(records: (w: W) => Digest) {
  return reduce((acc: { digest: Digest; windows: W[] }, w: W) => {
    const d = records(w)
    acc.digest = { count: acc.digest.count + d.count, checksum: addHash(acc.digest.checksum, d.checksum) }
    acc.windows.push(w)
    return acc
  }, { digest: { count: 0, checksum: 0 }, windows: [] as W[] })
}

/** q5: per sliding window (10 s every 2 s), the auction(s) with the most bids. */
export function q5(source: NexmarkSource): QueryResult {
  const inp = input(source)
  const { digest, windows } = runSync(
    inp.events$.pipe(
      filter(isBid),
      // A bid belongs to the five windows [s, s + 10 s) with s a multiple of 2 s and s <= t < s + 10 s.
      mergeMap((b) => {
        const pairs: { start: number; auction: number }[] = []
        for (let start = tumbleStart(b.dateTime, Q5_SLIDE_MS); start > b.dateTime - Q5_WINDOW_MS; start -= Q5_SLIDE_MS) pairs.push({ start, auction: b.auction })
        return pairs
      }),
      groupBy((p) => p.start, { duration: closesAt<{ start: number; auction: number }>(inp.watermark$, Q5_WINDOW_MS) }),
      mergeMap((window) =>
        window.pipe(
          reduce((counts, p) => counts.set(p.auction, (counts.get(p.auction) ?? 0) + 1), new Map<number, number>()),
          map((counts): Q5Window => {
            let max = 0
            for (const n of counts.values()) if (n > max) max = n
            const auctions = [...counts].filter(([, n]) => n === max).map(([auction]) => auction).sort((a, b) => a - b)
            return { start: window.key, end: window.key + Q5_WINDOW_MS, count: max, auctions }
          }),
        ),
      ),
      collectWindows<Q5Window>((w) => ({
        count: w.auctions.length,
        checksum: w.auctions.reduce((sum, auction) => addHash(sum, q5Hash(w.start, w.end, auction, w.count)), 0),
      })),
    ),
  )
  return result('q5', inp, digest, windows)
}

/** q7: per tumbling 10 s window, the highest price and the bid(s) at it. */
export function q7(source: NexmarkSource): QueryResult {
  const inp = input(source)
  const { digest, windows } = runSync(
    inp.events$.pipe(
      filter(isBid),
      groupBy((b) => tumbleStart(b.dateTime), { duration: closesAt<Bid>(inp.watermark$, TUMBLE_MS) }),
      mergeMap((window) =>
        window.pipe(
          reduce(
            (top, b) => {
              if (b.price > top.maxPrice) return { maxPrice: b.price, bids: [b] }
              if (b.price === top.maxPrice) top.bids.push(b)
              return top
            },
            { maxPrice: -Infinity, bids: [] as Bid[] },
          ),
          map(
            (top): Q7Window => ({
              start: window.key,
              end: window.key + TUMBLE_MS,
              maxPrice: top.maxPrice,
              bids: top.bids.map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime })).sort(byTimeAuctionBidder),
            }),
          ),
        ),
      ),
      collectWindows<Q7Window>((w) => ({
        count: w.bids.length,
        checksum: w.bids.reduce((sum, b) => addHash(sum, q7Hash(w.start, w.end, b.auction, b.bidder, b.price, b.dateTime)), 0),
      })),
    ),
  )
  return result('q7', inp, digest, windows)
}

/** q8: persons joined with the auctions they opened in the same tumbling 10 s window → (id, name, reserve). */
export function q8(source: NexmarkSource): QueryResult {
  const inp = input(source)
  const { digest, windows } = runSync(
    inp.events$.pipe(
      filter((e): e is Person | Auction => e.type === PERSON || e.type === AUCTION),
      groupBy((e) => tumbleStart(e.dateTime), { duration: closesAt<Person | Auction>(inp.watermark$, TUMBLE_MS) }),
      mergeMap((window) =>
        window.pipe(
          reduce(
            (state, e) => {
              if (e.type === PERSON) state.persons.set(e.id, e.name)
              else state.auctions.push(e)
              return state
            },
            { persons: new Map<number, string>(), auctions: [] as Auction[] },
          ),
          map((state): Q8Window => {
            const joined = state.auctions.filter((a) => state.persons.has(a.seller))
            const checksum = joined.reduce((sum, a) => addHash(sum, q8Hash(window.key, a.seller, state.persons.get(a.seller) as string, a.reserve)), 0)
            return { start: window.key, end: window.key + TUMBLE_MS, count: joined.length, checksum }
          }),
          filter((w) => w.count > 0),
        ),
      ),
      collectWindows<Q8Window>((w) => ({ count: w.count, checksum: w.checksum })),
    ),
  )
  return result('q8', inp, digest, windows)
}

export const rxjsQueries: Record<NexmarkQuery, (source: NexmarkSource) => QueryResult> = { q0, q1, q2, q5, q7, q8 }
