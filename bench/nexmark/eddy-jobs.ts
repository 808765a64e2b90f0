// Nexmark q0, q1, q2, q5, q7 and q8 as eddy jobs (one module: workers import
// it and rebuild the query named in params). Each job ends in sinks.fold, so
// results are digested where they are produced — the same count and
// order-independent checksum the baseline computes — and, for the windowed
// queries, per-window results collected for comparison.
import { agg, defineJob, sinks, sources, windows, type NexmarkEvent } from '../../src/index.js'
import { AUCTION, BID, PERSON, type Auction, type Bid, type Person } from '../../src/stream/sources/nexmark.js'
import { EURO_RATE, Q2_AUCTION_MODULUS, Q5_SLIDE_MS, Q5_WINDOW_MS, TUMBLE_MS, addHash, q0Hash, q1Hash, q2Hash, q5Hash, q7Hash, q8Hash, type NexmarkQuery } from './baseline.js'

export interface NexmarkParams {
  query: NexmarkQuery
  events: number
  eventsPerSecond?: number
  [key: string]: unknown
}

export interface Digest {
  count: number
  checksum: number
}

const digest = (name: string, hash: (value: any) => number) =>
  sinks.fold<any, Digest>(name, () => ({ count: 0, checksum: 0 }), (acc, value) => {
    acc.count++
    acc.checksum = addHash(acc.checksum, hash(value))
    return acc
  })

/**
 * Events per source batch. Every per-batch cost (watermarks, exchange messages,
 * one partial per key and pane out of the keyBy combiner) is paid a quarter as
 * often as at the default 1024; a batch is still ~1-3 ms of work.
 */
const SOURCE_BATCH = 4096

/**
 * Events per split block: each split produces runs of a batch of consecutive
 * events (as Kafka's sticky partitioner fills one partition's batch, then the
 * next), so a batch at parallelism 2 spans the same event time as at 1, and
 * the keyBy combiner folds it into as few partials (q5: ~340 per batch where
 * every-other-event splits gave ~560).
 */
const SPLIT_BLOCK = SOURCE_BATCH

export default defineJob<NexmarkParams>({
  name: 'nexmark',
  module: import.meta.url,
  build(env, params) {
    const events = env.source(sources.nexmark({ events: params.events, eventsPerSecond: params.eventsPerSecond, batchSize: SOURCE_BATCH, splitBlock: SPLIT_BLOCK }))
    const bids = () => events.filter((e: NexmarkEvent): e is Bid => e.type === BID) as unknown as import('../../src/index.js').DataStream<Bid>
    switch (params.query) {
      case 'q0':
        events.sink(digest('digest', q0Hash))
        return
      case 'q1':
        bids()
          .map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price * EURO_RATE, dateTime: b.dateTime, extra: b.extra }))
          .sink(digest('digest', (o) => q1Hash(o.auction, o.bidder, o.price, o.dateTime)))
        return
      case 'q2':
        bids()
          .filter((b) => b.auction % Q2_AUCTION_MODULUS === 0)
          .map((b) => ({ auction: b.auction, price: b.price }))
          .sink(digest('digest', (o) => q2Hash(o.auction, o.price)))
        return
      case 'q5': {
        // Bids per auction in sliding windows; then per window the auction(s) with the most, as a window
        // aggregate over the counts keyed by window start: each task folds its own auctions' counts into
        // one partial per window before the exchange (every auction's count is whole on one task), so a
        // few partials cross threads instead of every (auction, window) count.
        bids()
          .keyBy((b) => b.auction)
          .window(windows.sliding({ size: Q5_WINDOW_MS, slide: Q5_SLIDE_MS }))
          .aggregate(agg.count())
          .keyBy((r) => r.windowStart)
          .window(windows.tumbling({ size: Q5_SLIDE_MS }))
          .aggregate(agg.maxByWithTies((r) => r.result))
          .flatMap((r) => r.result.records.map((top) => ({ start: r.key as number, end: (r.key as number) + Q5_WINDOW_MS, auction: top.key as number, count: top.result })))
          .sink(digest('digest', (o) => q5Hash(o.start, o.end, o.auction, o.count)))
        return
      }
      case 'q7': {
        // Highest bid(s) per tumbling window: one global window (every bid under one key), so each task
        // folds a batch into one partial per window before the exchange (Flink's local-global
        // aggregation), and the task owning the key merges those partials. The top bids are kept whole
        // (as the baseline keeps them) and projected only on output.
        bids()
          .keyBy(() => 0)
          .window(windows.tumbling({ size: TUMBLE_MS }))
          .aggregate(agg.maxByWithTies((b) => b.price))
          .flatMap((r) => r.result.records.map((bid) => ({ start: r.windowStart, end: r.windowEnd, bid })))
          .sink(digest('digest', (o) => q7Hash(o.start, o.end, o.bid.auction, o.bid.bidder, o.bid.price, o.bid.dateTime)))
        return
      }
      case 'q8': {
        // New persons joined with the auctions they opened in the same tumbling window.
        const persons = events
          .filter((e: NexmarkEvent) => e.type === PERSON)
          .map((e) => ({ id: (e as Person).id, name: (e as Person).name }))
          .keyBy((p) => p.id)
        const auctions = events
          .filter((e: NexmarkEvent) => e.type === AUCTION)
          .map((e) => ({ seller: (e as Auction).seller, reserve: (e as Auction).reserve }))
          .keyBy((a) => a.seller)
        persons
          .join(auctions)
          .window(windows.tumbling({ size: TUMBLE_MS }))
          .apply((p, a, _key, window) => ({ start: window.start, id: p.id, name: p.name, reserve: a.reserve }))
          .sink(digest('digest', (o) => q8Hash(o.start, o.id, o.name, o.reserve)))
        return
      }
      default:
        throw new Error(`unknown Nexmark query ${String(params.query)}`)
    }
  },
})
