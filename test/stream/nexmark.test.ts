// The Nexmark generator (determinism, splits, proportions, id structure) and
// the two peer implementations of q0–q8 used by the benchmark: the plain
// TypeScript baseline is checked on hand-made event lists whose answers are
// worked out by hand, and the RxJS version must give identical digests.
import { describe, expect, it } from 'vitest'
import {
  AUCTION,
  BID,
  eventTypeOf,
  lastBase0AuctionId,
  lastBase0PersonId,
  NEXMARK,
  nexmarkEvents,
  NexmarkGenerator,
  PERSON,
  type Auction,
  type Bid,
  type NexmarkEvent,
  type Person,
} from '../../src/stream/sources/nexmark.js'
import { addHash, baselineQueries, q8Hash, type NexmarkQuery, type Q5Window, type Q7Window, type Q8Window } from '../../bench/nexmark/baseline.js'
import { rxjsQueries } from '../../bench/nexmark/rxjs.js'

function drain(gen: { nextBatch(max: number): { values: NexmarkEvent[]; timestamps: Float64Array } | null }, batch = 1000): { values: NexmarkEvent[]; timestamps: number[] } {
  const values: NexmarkEvent[] = []
  const timestamps: number[] = []
  for (let b = gen.nextBatch(batch); b !== null; b = gen.nextBatch(batch)) {
    values.push(...b.values)
    timestamps.push(...b.timestamps)
  }
  return { values, timestamps }
}

const person = (id: number, name: string, dateTime: number): Person => ({
  type: PERSON,
  id,
  name,
  emailAddress: 'e@x.com',
  creditCard: '0000 0000 0000 0000',
  city: 'Bend',
  state: 'OR',
  dateTime,
  extra: '',
})
const auction = (id: number, seller: number, reserve: number, dateTime: number): Auction => ({
  type: AUCTION,
  id,
  itemName: 'item',
  description: 'desc',
  initialBid: 1,
  reserve,
  dateTime,
  expires: dateTime + 1000,
  seller,
  category: 10,
  extra: '',
})
const bid = (auctionId: number, bidder: number, price: number, dateTime: number): Bid => ({
  type: BID,
  auction: auctionId,
  bidder,
  price,
  channel: 'Google',
  url: 'https://www.nexmark.com/a/b/c/item.htm?query=1',
  dateTime,
  extra: '',
})

describe('NexmarkGenerator', () => {
  it('is deterministic for a seed and differs between seeds', () => {
    const a = drain(new NexmarkGenerator({ events: 5000, seed: 7 }))
    const b = drain(new NexmarkGenerator({ events: 5000, seed: 7 }), 333)
    const c = drain(new NexmarkGenerator({ events: 5000, seed: 8 }))
    expect(b).toEqual(a)
    expect(c.values).not.toEqual(a.values)
    // Ids and kinds depend on the event number only, not on the seed.
    expect(c.values.map((e) => e.type)).toEqual(a.values.map((e) => e.type))
  })

  it('splits partition the stream: their union, interleaved by event number, is the unsplit stream', () => {
    const events = 10_007
    const whole = drain(new NexmarkGenerator({ events, seed: 3 }))
    expect(whole.values.length).toBe(events)
    for (const splits of [2, 3, 7]) {
      const parts = Array.from({ length: splits }, (_, split) => drain(new NexmarkGenerator({ events, seed: 3, split, splits }), 97))
      expect(parts.reduce((n, p) => n + p.values.length, 0)).toBe(events)
      const union: NexmarkEvent[] = []
      const unionTimes: number[] = []
      for (let n = 0; n < events; n++) {
        union.push(parts[n % splits].values[Math.floor(n / splits)])
        unionTimes.push(parts[n % splits].timestamps[Math.floor(n / splits)])
      }
      expect(union).toEqual(whole.values)
      expect(unionTimes).toEqual(whole.timestamps)
    }
  })

  it('splits in blocks partition the stream too: block k of consecutive event numbers is split k mod splits', () => {
    const events = 10_007
    const whole = drain(new NexmarkGenerator({ events, seed: 3 }))
    for (const [splits, splitBlock] of [[2, 4096], [3, 100], [7, 1000], [4, 20_000], [2, 1]]) {
      const parts = Array.from({ length: splits }, (_, split) => drain(new NexmarkGenerator({ events, seed: 3, split, splits, splitBlock }), 97))
      expect(parts.reduce((n, p) => n + p.values.length, 0)).toBe(events)
      const union: NexmarkEvent[] = []
      const unionTimes: number[] = []
      const taken = new Array<number>(splits).fill(0)
      for (let n = 0; n < events; n++) {
        const split = Math.floor(n / splitBlock) % splits
        union.push(parts[split].values[taken[split]])
        unionTimes.push(parts[split].timestamps[taken[split]++])
      }
      expect(union).toEqual(whole.values)
      expect(unionTimes).toEqual(whole.timestamps)
    }
    // A block split resumes from a position like any other.
    const gen = new NexmarkGenerator({ events, split: 1, splits: 3, splitBlock: 100 })
    gen.nextBatch(250)
    const batch = gen.nextBatch(60)
    const again = new NexmarkGenerator({ events, split: 1, splits: 3, splitBlock: 100 })
    again.seek(250)
    expect(again.nextBatch(60)).toEqual(batch)
    expect(() => new NexmarkGenerator({ events, splitBlock: 0 })).toThrow(RangeError)
  })

  it('more splits than events: the extra splits are empty', () => {
    expect(new NexmarkGenerator({ events: 3, split: 5, splits: 8 }).nextBatch(10)).toBeNull()
    expect(new NexmarkGenerator({ events: 0 }).nextBatch(10)).toBeNull()
  })

  it('resumes from a position (seek)', () => {
    const gen = new NexmarkGenerator({ events: 3000, split: 1, splits: 2 })
    gen.nextBatch(400)
    const batch = gen.nextBatch(100)
    expect(batch?.position).toBe(500)
    const again = new NexmarkGenerator({ events: 3000, split: 1, splits: 2 })
    again.seek(400)
    expect(again.nextBatch(100)).toEqual(batch)
    again.seek(0)
    expect(again.position).toBe(0)
    expect(() => again.seek(1501)).toThrow(RangeError)
  })

  it('has the 1 : 3 : 46 proportions per 50 events, by event number', () => {
    const { values } = drain(new NexmarkGenerator({ events: 50_000 }))
    const counts = [0, 0, 0]
    for (const e of values) counts[e.type]++
    expect(counts).toEqual([1000, 3000, 46_000])
    for (let n = 0; n < 200; n++) expect(values[n].type).toBe(eventTypeOf(n))
    expect(values[0].type).toBe(PERSON)
    expect([1, 2, 3].map((n) => values[n].type)).toEqual([AUCTION, AUCTION, AUCTION])
    expect(values[4].type).toBe(BID)
  })

  it('derives ids from the event number: dense persons and auctions from 1000, bids referring to recent ones', () => {
    const { values } = drain(new NexmarkGenerator({ events: 100_000 }))
    let nextPerson = NEXMARK.firstPersonId
    let nextAuction = NEXMARK.firstAuctionId
    let hotAuctions = 0
    let hotBidders = 0
    let bids = 0
    const wrong: string[] = []
    const check = (ok: boolean, n: number, what: string) => {
      if (!ok && wrong.length < 10) wrong.push(`event ${n}: ${what}`)
    }
    values.forEach((e, n) => {
      if (e.type === PERSON) check(e.id === nextPerson++, n, 'person id')
      else if (e.type === AUCTION) {
        check(e.id === nextAuction++, n, 'auction id')
        const last = lastBase0PersonId(n) + NEXMARK.firstPersonId
        check(e.seller <= last + NEXMARK.personIdLead && e.seller >= Math.max(NEXMARK.firstPersonId, last - NEXMARK.numActivePeople), n, 'seller')
        check(e.reserve > e.initialBid && e.expires > e.dateTime && e.category >= 10 && e.category < 15, n, 'auction fields')
      } else {
        bids++
        const lastAuction = lastBase0AuctionId(n)
        const base0 = e.auction - NEXMARK.firstAuctionId
        check(base0 <= lastAuction + NEXMARK.auctionIdLead && base0 >= Math.max(0, lastAuction - NEXMARK.numInFlightAuctions), n, 'bid auction')
        if (base0 === Math.floor(lastAuction / 100) * 100) hotAuctions++
        if (e.bidder - NEXMARK.firstPersonId === Math.floor(lastBase0PersonId(n) / 100) * 100 + 1) hotBidders++
        check(e.price >= 100 && e.price <= 1e8, n, 'price')
      }
    })
    expect(wrong).toEqual([])
    // P(hot auction) = 1/2 plus a little from the random pick; P(hot bidder) = 3/4 plus a little.
    expect(hotAuctions / bids).toBeGreaterThan(0.48)
    expect(hotAuctions / bids).toBeLessThan(0.53)
    expect(hotBidders / bids).toBeGreaterThan(0.73)
    expect(hotBidders / bids).toBeLessThan(0.77)
  })

  it('sizes events like the reference: persons ≈ 200, auctions ≈ 500, bids ≈ 100 bytes on average', () => {
    const { values } = drain(new NexmarkGenerator({ events: 50_000 }))
    const size = [0, 0, 0]
    const n = [0, 0, 0]
    for (const e of values) {
      n[e.type]++
      if (e.type === PERSON) size[0] += 8 + e.name.length + e.emailAddress.length + e.creditCard.length + e.city.length + e.state.length + e.extra.length
      else if (e.type === AUCTION) size[1] += 48 + e.itemName.length + e.description.length + e.extra.length
      else size[2] += 32 + e.extra.length
    }
    expect(size[0] / n[0]).toBeCloseTo(200, -1)
    expect(size[1] / n[1]).toBeCloseTo(500, -1)
    expect(size[2] / n[2]).toBeCloseTo(100, -1)
    const channels = new Set(values.filter((e): e is Bid => e.type === BID).map((b) => b.channel))
    expect(channels.has('Google')).toBe(true)
    expect(channels.size).toBeGreaterThan(1000)
  })

  it('event time is firstEventTime + floor(n × 1000 / eventsPerSecond), non-decreasing', () => {
    const gen = new NexmarkGenerator({ events: 30_000, firstEventTime: 5000, eventsPerSecond: 3000 })
    const { values, timestamps } = drain(gen)
    expect(timestamps).toEqual(values.map((_, n) => 5000 + Math.floor((n * 1000) / 3000)))
    expect(values.map((e) => e.dateTime)).toEqual(timestamps)
    expect(new NexmarkGenerator({ events: 1 }).timestampOf(10_000)).toBe(new NexmarkGenerator({ events: 1 }).firstEventTime + 1000)
  })

  it('refuses bad options', () => {
    expect(() => new NexmarkGenerator({ events: -1 })).toThrow(RangeError)
    expect(() => new NexmarkGenerator({ events: 10, split: 2, splits: 2 })).toThrow(RangeError)
    expect(() => new NexmarkGenerator({ events: 10, eventsPerSecond: 0 })).toThrow(RangeError)
    expect(() => new NexmarkGenerator({ events: 10, seed: 1.5 })).toThrow(RangeError)
  })
})

const QUERIES: NexmarkQuery[] = ['q0', 'q1', 'q2', 'q5', 'q7', 'q8']

describe('Nexmark peers: baseline and RxJS agree', () => {
  for (const query of QUERIES) {
    it(`${query}: identical digests on 200k events`, () => {
      const options = { events: 200_000, seed: 11 }
      const base = baselineQueries[query](new NexmarkGenerator(options))
      const rx = rxjsQueries[query](new NexmarkGenerator(options))
      expect(rx).toEqual(base)
      expect(base.events).toBe(200_000)
      expect(base.count).toBeGreaterThan(0)
    })
  }

  it('q5/q7/q8 agree with many windows (1,000 events/s of event time)', () => {
    for (const query of ['q5', 'q7', 'q8'] as const) {
      // Split 1 of 2 (odd event numbers) holds no persons: q8 joins nothing there, so it runs unsplit.
      const options = query === 'q8' ? { events: 60_000, eventsPerSecond: 1000 } : { events: 60_000, eventsPerSecond: 1000, split: 1, splits: 2 }
      const base = baselineQueries[query](new NexmarkGenerator(options))
      expect(base.windows?.length).toBeGreaterThan(2)
      expect(rxjsQueries[query](new NexmarkGenerator(options))).toEqual(base)
    }
  })

  it('q1 and q2 output what they select', () => {
    const options = { events: 50_000 }
    const { values } = drain(new NexmarkGenerator(options))
    const bids = values.filter((e): e is Bid => e.type === BID)
    expect(baselineQueries.q1(new NexmarkGenerator(options)).count).toBe(bids.length)
    expect(baselineQueries.q2(new NexmarkGenerator(options)).count).toBe(bids.filter((b) => b.auction % 123 === 0).length)
    expect(baselineQueries.q0(new NexmarkGenerator(options)).count).toBe(50_000)
  })
})

describe('Nexmark baseline on hand-made events', () => {
  it('q5: hot items per 10 s window sliding by 2 s, ties included', () => {
    const events = [
      person(1, 'P', 500),
      bid(1, 9, 10, 1000),
      bid(2, 9, 10, 3000),
      auction(5, 1, 100, 3200),
      bid(2, 9, 10, 3500),
      bid(1, 9, 10, 11_000),
      bid(3, 9, 10, 11_500),
    ]
    const expected: Q5Window[] = [
      { start: -8000, end: 2000, count: 1, auctions: [1] },
      { start: -6000, end: 4000, count: 2, auctions: [2] },
      { start: -4000, end: 6000, count: 2, auctions: [2] },
      { start: -2000, end: 8000, count: 2, auctions: [2] },
      { start: 0, end: 10_000, count: 2, auctions: [2] },
      { start: 2000, end: 12_000, count: 2, auctions: [2] },
      { start: 4000, end: 14_000, count: 1, auctions: [1, 3] },
      { start: 6000, end: 16_000, count: 1, auctions: [1, 3] },
      { start: 8000, end: 18_000, count: 1, auctions: [1, 3] },
      { start: 10_000, end: 20_000, count: 1, auctions: [1, 3] },
    ]
    for (const impl of [baselineQueries, rxjsQueries]) {
      const result = impl.q5(nexmarkEvents(events))
      expect(result.windows).toEqual(expected)
      expect(result.count).toBe(14)
      expect(result.events).toBe(7)
    }
  })

  it('q7: the highest bid(s) per tumbling 10 s window; a window ends at end − 1', () => {
    const events = [
      bid(1, 7, 10, 500),
      bid(2, 8, 30, 5000),
      person(3, 'x', 6000),
      bid(4, 8, 20, 7000),
      bid(3, 9, 30, 9999),
      bid(5, 9, 5, 10_000),
      bid(6, 1, 7, 25_000),
      bid(6, 2, 7, 25_000),
      bid(6, 3, 6, 29_999),
    ]
    const expected: Q7Window[] = [
      {
        start: 0,
        end: 10_000,
        maxPrice: 30,
        bids: [
          { auction: 2, bidder: 8, price: 30, dateTime: 5000 },
          { auction: 3, bidder: 9, price: 30, dateTime: 9999 },
        ],
      },
      { start: 10_000, end: 20_000, maxPrice: 5, bids: [{ auction: 5, bidder: 9, price: 5, dateTime: 10_000 }] },
      {
        start: 20_000,
        end: 30_000,
        maxPrice: 7,
        bids: [
          { auction: 6, bidder: 1, price: 7, dateTime: 25_000 },
          { auction: 6, bidder: 2, price: 7, dateTime: 25_000 },
        ],
      },
    ]
    for (const impl of [baselineQueries, rxjsQueries]) {
      const result = impl.q7(nexmarkEvents(events))
      expect(result.windows).toEqual(expected)
      expect(result.count).toBe(5)
    }
  })

  it('q8: persons joined with auctions they opened in the same tumbling window, in either arrival order', () => {
    const events = [
      person(100, 'Ann', 1000),
      auction(1, 100, 500, 2000), // joins Ann
      auction(2, 101, 600, 3000), // seller appears later in the window: joins Bob
      bid(1, 100, 10, 3500),
      person(101, 'Bob', 4000),
      auction(3, 100, 650, 5000), // Ann again: a second output
      person(102, 'Cid', 9999),
      auction(4, 102, 700, 10_000), // next window: Cid is not in it
      auction(5, 100, 800, 12_000), // next window: Ann is not in it
      person(103, 'Dee', 21_000),
      auction(6, 104, 900, 22_000), // nobody
    ]
    const windows: Q8Window[] = [
      {
        start: 0,
        end: 10_000,
        count: 3,
        checksum: [q8Hash(0, 100, 'Ann', 500), q8Hash(0, 101, 'Bob', 600), q8Hash(0, 100, 'Ann', 650)].reduce(addHash, 0),
      },
    ]
    for (const impl of [baselineQueries, rxjsQueries]) {
      const result = impl.q8(nexmarkEvents(events))
      expect(result.windows).toEqual(windows)
      expect(result.count).toBe(3)
      expect(result.checksum).toBe(windows[0].checksum)
    }
  })

  it('q2 selects auction % 123 === 0 and q1 converts to euros', () => {
    const events = [bid(123, 1, 100, 0), bid(124, 1, 100, 1), bid(246, 1, 50, 2), person(1, 'x', 3)]
    expect(baselineQueries.q2(nexmarkEvents(events)).count).toBe(2)
    expect(baselineQueries.q1(nexmarkEvents(events)).count).toBe(3)
    expect(rxjsQueries.q2(nexmarkEvents(events))).toEqual(baselineQueries.q2(nexmarkEvents(events)))
    expect(rxjsQueries.q1(nexmarkEvents(events))).toEqual(baselineQueries.q1(nexmarkEvents(events)))
  })
})
