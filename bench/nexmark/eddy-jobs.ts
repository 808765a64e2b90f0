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

type TopBids = { maxPrice: number; bids: { auction: number; bidder: number; price: number; dateTime: number }[] }

/** q7's accumulator: the highest price and every bid at it. */
const topBids = agg.of<{ auction: number; bidder: number; price: number; dateTime: number }, TopBids>(
  {
    createAccumulator: () => ({ maxPrice: -Infinity, bids: [] }),
    add(acc, bid) {
      if (bid.price > acc.maxPrice) {
        acc.maxPrice = bid.price
        acc.bids = [bid]
      } else if (bid.price === acc.maxPrice) acc.bids.push(bid)
      return acc
    },
    merge(a, b) {
      if (a.maxPrice !== b.maxPrice) return a.maxPrice > b.maxPrice ? a : b
      return { maxPrice: a.maxPrice, bids: a.bids.concat(b.bids) }
    },
    getResult: (acc) => acc,
    portableAccumulator: true,
  },
  undefined,
  'topBids',
)

export default defineJob<NexmarkParams>({
  name: 'nexmark',
  module: import.meta.url,
  build(env, params) {
    const events = env.source(sources.nexmark({ events: params.events, eventsPerSecond: params.eventsPerSecond, batchSize: SOURCE_BATCH }))
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
        // Bids per auction in sliding windows, then per window the auction(s) with the most.
        const counts = bids()
          .keyBy((b) => b.auction)
          .window(windows.sliding({ size: Q5_WINDOW_MS, slide: Q5_SLIDE_MS }))
          .aggregate(agg.count())
        counts
          .keyBy((r) => r.windowStart)
          .process<{ start: number; end: number; auction: number; count: number }>({
            processElement(r, ctx) {
              const best = ctx.state.value('best', { count: 0, auctions: [] as number[] })
              const b = best.get()
              if (r.result > b.count) best.set({ count: r.result, auctions: [r.key as number] })
              else if (r.result === b.count) b.auctions.push(r.key as number)
              ctx.timers.registerEventTime(r.windowEnd - 1)
            },
            onTimer(_time, ctx) {
              const best = ctx.state.value('best', { count: 0, auctions: [] as number[] })
              const start = ctx.key as number
              for (const auction of best.get().auctions) ctx.emit({ start, end: start + Q5_WINDOW_MS, auction, count: best.get().count })
              best.clear()
            },
          })
          .sink(digest('digest', (o) => q5Hash(o.start, o.end, o.auction, o.count)))
        return
      }
      case 'q7': {
        // Highest bid(s) per tumbling window, in two phases: the top bids of 128 buckets of auctions
        // (spread over the tasks), then per window the top of those.
        bids()
          .map((b) => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime }))
          .keyBy((b) => b.auction % 128)
          .window(windows.tumbling({ size: TUMBLE_MS }))
          .aggregate(topBids)
          .keyBy((r) => r.windowStart)
          .process<{ start: number; end: number; bid: TopBids['bids'][number] }>({
            processElement(r, ctx) {
              const top = ctx.state.value<TopBids>('top', { maxPrice: -Infinity, bids: [] })
              const t = top.get()
              if (r.result.maxPrice > t.maxPrice) top.set({ maxPrice: r.result.maxPrice, bids: r.result.bids.slice() })
              else if (r.result.maxPrice === t.maxPrice) top.set({ maxPrice: t.maxPrice, bids: t.bids.concat(r.result.bids) })
              ctx.timers.registerEventTime(r.windowEnd - 1)
            },
            onTimer(_time, ctx) {
              const top = ctx.state.value<TopBids>('top', { maxPrice: -Infinity, bids: [] })
              const start = ctx.key as number
              for (const bid of top.get().bids) ctx.emit({ start, end: start + TUMBLE_MS, bid })
              top.clear()
            },
          })
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
