// A deterministic Nexmark event generator: persons, auctions and bids of an
// online auction, modelled on the generator of the Nexmark benchmark as Beam
// and nexmark-flink ship it (GeneratorConfig, PersonGenerator,
// AuctionGenerator, BidGenerator). Pure computation, no `node:` imports: it
// runs in browsers and workers alike.
//
// What is kept from the reference generator:
// - Event kinds by event number: of every 50 events, 1 person, 3 auctions, 46
//   bids (n mod 50 = 0 → person, 1..3 → auction, 4..49 → bid).
// - Ids derived from the event number (lastBase0PersonId /
//   lastBase0AuctionId), so person and auction ids are dense, increasing and
//   start at 1000, and auctions and bids refer to recent persons and auctions:
//   a seller or bidder is one of the last 1000 "active" persons (plus up to 10
//   ids ahead, the "lead"); a bid's auction one of the last 100 in-flight
//   auctions (plus 10 ahead).
// - Skew: P(hot auction) = 1/2 (the first auction of the last batch of 100),
//   P(hot seller) = 3/4 (the first person of the last batch of 100), P(hot
//   bidder) = 3/4 (the second person of that batch), as with
//   hotAuctionRatio = 2, hotSellersRatio = 4, hotBiddersRatio = 4.
// - Prices round(10^(6u) × 100) cents (log-uniform 100 .. 10^8), reserve =
//   initialBid + another price, category 10..14, expires = dateTime + an
//   auction length averaging the time 100 auctions take to generate, channels
//   (1/2 one of four hot channels, else one of 10,000 "channel-i" with a cached
//   url), names, emails, credit cards, US cities and states, and `extra`
//   padding sized so persons, auctions and bids average 200, 500 and 100 bytes.
// - Each event draws its random fields from a generator seeded by its own
//   event number (as the reference's `new Random(eventId)`), so any event can
//   be produced on its own: splits are independent and exactly partition the
//   stream.
//
// What differs, on purpose:
// - The PRNG is a seeded 32-bit mulberry32 (not java.util.Random), so values
//   differ from the Java generator's; distributions do not.
// - Random strings (emails, item names, descriptions, urls, extra) are picked
//   from pools built once per seed instead of being built per event; `extra`
//   keeps the reference's length rule exactly (a pooled string of that length).
// - bidder = base0 + 1000 once (nexmark-flink adds FIRST_PERSON_ID twice, a
//   known bug; Beam adds it once).
// - Event time is a fixed rate, not a rate shape: dateTime(n) = firstEventTime
//   + floor(n × 1000 / eventsPerSecond), in integer milliseconds.
//
// eventsPerSecond defaults to 10,000 events per second of event time, the
// Beam Nexmark default (firstEventRate = nextEventRate = 10,000/s): a run of
// 1M events then spans 100 s of event time, so the 10 s windows of q5/q7/q8
// open and fire throughout a run. nexmark-flink's published runs use
// 10,000,000/s (its `tps`), where 100M events span 10 s and every window
// holds the whole run; pass eventsPerSecond: 10_000_000 to reproduce that.

/** Discriminator of a person event. */
export const PERSON = 0
/** Discriminator of an auction event. */
export const AUCTION = 1
/** Discriminator of a bid event. */
export const BID = 2

export type NexmarkEventType = typeof PERSON | typeof AUCTION | typeof BID

export interface Person {
  type: typeof PERSON
  id: number
  name: string
  emailAddress: string
  creditCard: string
  city: string
  state: string
  /** Event time (ms). */
  dateTime: number
  extra: string
}

export interface Auction {
  type: typeof AUCTION
  id: number
  itemName: string
  description: string
  /** Cents. */
  initialBid: number
  /** Cents; always above initialBid. */
  reserve: number
  dateTime: number
  expires: number
  /** A person id. */
  seller: number
  category: number
  extra: string
}

export interface Bid {
  type: typeof BID
  /** An auction id. */
  auction: number
  /** A person id. */
  bidder: number
  /** Cents. */
  price: number
  channel: string
  url: string
  dateTime: number
  extra: string
}

export type NexmarkEvent = Person | Auction | Bid

/** A batch in event-number order; timestamps[i] = values[i].dateTime. */
export interface NexmarkBatch {
  values: NexmarkEvent[]
  timestamps: Float64Array
  /** Events this generator (split) has produced after this batch: pass to `seek` to resume. */
  position: number
}

/** Anything the queries can consume: a NexmarkGenerator or a fixed list (`nexmarkEvents`). */
export interface NexmarkSource {
  nextBatch(max: number): NexmarkBatch | null
}

/** The reference generator's constants (GeneratorConfig / NexmarkConfiguration defaults). */
export const NEXMARK = {
  personProportion: 1,
  auctionProportion: 3,
  bidProportion: 46,
  totalProportion: 50,
  firstPersonId: 1000,
  firstAuctionId: 1000,
  firstCategoryId: 10,
  numCategories: 5,
  numActivePeople: 1000,
  numInFlightAuctions: 100,
  personIdLead: 10,
  auctionIdLead: 10,
  /** P(hot auction) = 1 − 1/hotAuctionRatio. */
  hotAuctionRatio: 2,
  /** P(hot seller) = 1 − 1/hotSellersRatio. */
  hotSellersRatio: 4,
  /** P(hot bidder) = 1 − 1/hotBiddersRatio. */
  hotBiddersRatio: 4,
  /** Hot auctions / sellers / bidders are the first (second for bidders) of the last batch of this many. */
  hotAuctionBatch: 100,
  hotSellerBatch: 100,
  hotBidderBatch: 100,
  hotChannelsRatio: 2,
  channels: 10_000,
  avgPersonBytes: 200,
  avgAuctionBytes: 500,
  avgBidBytes: 100,
} as const

export const NEXMARK_DEFAULT_EVENTS_PER_SECOND = 10_000
/** 2023-11-14T22:13:20Z: a fixed, round epoch so windows and runs are reproducible. */
export const NEXMARK_DEFAULT_FIRST_EVENT_TIME = 1_700_000_000_000
export const NEXMARK_DEFAULT_SEED = 0x6e65786d // "nexm"

export interface NexmarkOptions {
  /** Events in the whole stream (all splits together): event numbers 0 .. events − 1. */
  events: number
  /** Event time (ms) of event 0. Default NEXMARK_DEFAULT_FIRST_EVENT_TIME. */
  firstEventTime?: number
  /** Events per second of event time. Default 10,000 (see the file comment). */
  eventsPerSecond?: number
  /** Seed of every random choice and string pool (an integer). Default NEXMARK_DEFAULT_SEED. */
  seed?: number
  /** Which split this generator produces: its blocks of event numbers (see splitBlock). Default 0. */
  split?: number
  /** Number of splits. Default 1. */
  splits?: number
  /**
   * Consecutive event numbers per block; block k belongs to split k mod
   * splits. Default 1: split s produces s, s + splits, …; a batch-sized block
   * gives each split runs of consecutive events, as Kafka's sticky partitioner
   * gives a partition runs of consecutive keyless records.
   */
  splitBlock?: number
}

const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter']
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris']
const US_CITIES = ['Phoenix', 'Los Angeles', 'San Francisco', 'Boise', 'Portland', 'Bend', 'Redmond', 'Seattle', 'Kent', 'Cheyenne']
const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY']
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple']
const FULL_NAMES = FIRST_NAMES.flatMap((first) => LAST_NAMES.map((last) => `${first} ${last}`))

/** Strings per pool (a power of two: picked with a mask). */
const POOL = 1024
const POOL_MASK = POOL - 1
/** Pooled `extra` strings per length. */
const EXTRA_VARIANTS = 8
/** Longest `extra` a configuration can ask for: 1.2 × the largest average size. */
const EXTRA_MAX = Math.ceil(NEXMARK.avgAuctionBytes * 1.2) + 1
const TWO_POW_32 = 4294967296

// ------------------------------------------------------------ random numbers

/** mulberry32 over a 32-bit state: fast, and good enough for benchmark data. */
class Rng {
  state = 0
  /** Uniform integer in 0 .. 2^32 − 1. */
  u32(): number {
    const s = (this.state = (this.state + 0x6d2b79f5) | 0)
    let t = Math.imul(s ^ (s >>> 15), s | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  /** Uniform integer in 0 .. n − 1 (n ≤ 2^32). */
  int(n: number): number {
    return Math.floor((this.u32() * n) / TWO_POW_32)
  }
  /** Uniform in [0, 1) with 32 bits. */
  float(): number {
    return this.u32() / TWO_POW_32
  }
  /** Uniform integer in 0 .. n − 1 for any n ≤ 2^53 (two draws). */
  long(n: number): number {
    if (n <= TWO_POW_32) return this.int(n)
    const u = (this.u32() * 2097152 + (this.u32() >>> 11)) / 9007199254740992
    return Math.floor(u * n)
  }
}

function fmix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

// ------------------------------------------------------------ string pools

interface Pools {
  emails: string[]
  creditCards: string[]
  itemNames: string[]
  descriptions: string[]
  hotUrls: string[]
  channelNames: string[]
  channelUrls: string[]
  /** extras[len * EXTRA_VARIANTS + v]: a random lowercase string of exactly `len` chars. */
  extras: string[]
}

const poolsBySeed = new Map<number, Pools>()

/** The reference's nextString: 3 .. maxLength − 1 chars of a–z, with `special` 1 time in 13, trimmed. */
function randomString(rng: Rng, maxLength: number, special = ' '): string {
  const len = 3 + rng.int(maxLength - 3)
  let s = ''
  for (let i = 0; i < len; i++) s += rng.int(13) === 0 ? special : String.fromCharCode(97 + rng.int(26))
  return s.trim()
}

function baseUrl(rng: Rng): string {
  return `https://www.nexmark.com/${randomString(rng, 5, '_')}/${randomString(rng, 5, '_')}/${randomString(rng, 5, '_')}/item.htm?query=1`
}

/** Integer.reverse: the 32 bits of `i` in reverse order, as a signed int. */
function reverseBits(i: number): number {
  let r = 0
  for (let b = 0; b < 32; b++) {
    r = (r << 1) | (i & 1)
    i >>>= 1
  }
  return r | 0
}

function poolsFor(seed: number): Pools {
  let pools = poolsBySeed.get(seed)
  if (pools !== undefined) return pools
  const rng = new Rng()
  rng.state = fmix32(seed ^ 0x5bd1e995) | 0
  const emails: string[] = []
  const creditCards: string[] = []
  const itemNames: string[] = []
  const descriptions: string[] = []
  for (let i = 0; i < POOL; i++) {
    emails.push(`${randomString(rng, 7)}@${randomString(rng, 5)}.com`)
    const group = () => String(rng.int(10000)).padStart(4, '0')
    creditCards.push(`${group()} ${group()} ${group()} ${group()}`)
    itemNames.push(randomString(rng, 20))
    descriptions.push(randomString(rng, 100))
  }
  const hotUrls = HOT_CHANNELS.map(() => baseUrl(rng))
  const channelNames: string[] = []
  const channelUrls: string[] = []
  for (let i = 0; i < NEXMARK.channels; i++) {
    channelNames.push(`channel-${i}`)
    let url = baseUrl(rng)
    if (rng.int(10) > 0) url += `&channel_id=${Math.abs(reverseBits(i))}`
    channelUrls.push(url)
  }
  // One random text; every pooled extra is a slice of it (V8 keeps slices as views, so the pool is small).
  const textLength = 4 * EXTRA_MAX
  const chars: string[] = []
  for (let i = 0; i < textLength; i++) chars.push(String.fromCharCode(97 + rng.int(26)))
  const text = chars.join('')
  const extras: string[] = []
  for (let len = 0; len <= EXTRA_MAX; len++) {
    for (let v = 0; v < EXTRA_VARIANTS; v++) {
      const start = rng.int(textLength - len + 1)
      extras.push(text.substring(start, start + len))
    }
  }
  pools = { emails, creditCards, itemNames, descriptions, hotUrls, channelNames, channelUrls, extras }
  poolsBySeed.set(seed, pools)
  return pools
}

// ------------------------------------------------------------ ids

/** Base-0 id of the last person generated at or before event `eventId` (the reference's lastBase0PersonId). */
export function lastBase0PersonId(eventId: number): number {
  const epoch = Math.floor(eventId / NEXMARK.totalProportion)
  let offset = eventId % NEXMARK.totalProportion
  if (offset >= NEXMARK.personProportion) offset = NEXMARK.personProportion - 1
  return epoch * NEXMARK.personProportion + offset
}

/** Base-0 id of the last auction generated at or before event `eventId` (−1 before the first; the reference's lastBase0AuctionId). */
export function lastBase0AuctionId(eventId: number): number {
  let epoch = Math.floor(eventId / NEXMARK.totalProportion)
  let offset = eventId % NEXMARK.totalProportion
  if (offset < NEXMARK.personProportion) {
    epoch--
    offset = NEXMARK.auctionProportion - 1
  } else if (offset >= NEXMARK.personProportion + NEXMARK.auctionProportion) {
    offset = NEXMARK.auctionProportion - 1
  } else {
    offset -= NEXMARK.personProportion
  }
  return epoch * NEXMARK.auctionProportion + offset
}

/** Kind of event number `eventId`: PERSON, AUCTION or BID. */
export function eventTypeOf(eventId: number): NexmarkEventType {
  const rem = eventId % NEXMARK.totalProportion
  return rem < NEXMARK.personProportion ? PERSON : rem < NEXMARK.personProportion + NEXMARK.auctionProportion ? AUCTION : BID
}

// ------------------------------------------------------------ the generator

function checkInteger(name: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`NexmarkGenerator: ${name} must be an integer in ${min}..${max}, got ${String(value)}`)
  }
  return value
}

/** Events from hot auctions run this many events ahead when an auction's length is chosen. */
const EVENTS_FOR_IN_FLIGHT_AUCTIONS = Math.floor((NEXMARK.numInFlightAuctions * NEXMARK.totalProportion) / NEXMARK.auctionProportion)

/** How many of `events` event numbers fall in `split`'s blocks (block k of `block` numbers belongs to split k mod splits). */
function eventsOfSplit(events: number, split: number, splits: number, block: number): number {
  const blocks = Math.ceil(events / block)
  if (split >= blocks) return 0
  const owned = Math.floor((blocks - 1 - split) / splits) + 1
  const last = blocks - 1
  const lastShort = last % splits === split ? block * blocks - events : 0
  return owned * block - lastShort
}

export class NexmarkGenerator implements NexmarkSource {
  readonly events: number
  readonly firstEventTime: number
  readonly eventsPerSecond: number
  readonly seed: number
  readonly split: number
  readonly splits: number
  readonly splitBlock: number
  /** Events this split produces in all. */
  readonly splitEvents: number
  private produced = 0
  private readonly rng = new Rng()
  private readonly pools: Pools
  private readonly seedLow: number
  private readonly seedHigh: number

  constructor(options: NexmarkOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError('NexmarkGenerator: options must be an object with at least `events`')
    this.events = checkInteger('events', options.events, 0)
    this.firstEventTime = options.firstEventTime ?? NEXMARK_DEFAULT_FIRST_EVENT_TIME
    if (typeof this.firstEventTime !== 'number' || !Number.isFinite(this.firstEventTime)) {
      throw new RangeError(`NexmarkGenerator: firstEventTime must be a finite number of ms, got ${String(options.firstEventTime)}`)
    }
    this.eventsPerSecond = options.eventsPerSecond ?? NEXMARK_DEFAULT_EVENTS_PER_SECOND
    if (typeof this.eventsPerSecond !== 'number' || !(this.eventsPerSecond > 0) || !Number.isFinite(this.eventsPerSecond)) {
      throw new RangeError(`NexmarkGenerator: eventsPerSecond must be a finite number > 0, got ${String(options.eventsPerSecond)}`)
    }
    this.seed = checkInteger('seed', options.seed ?? NEXMARK_DEFAULT_SEED, 0)
    this.splits = checkInteger('splits', options.splits ?? 1, 1, 2 ** 31)
    this.split = checkInteger('split', options.split ?? 0, 0, this.splits - 1)
    this.splitBlock = checkInteger('splitBlock', options.splitBlock ?? 1, 1, 2 ** 31)
    this.splitEvents = eventsOfSplit(this.events, this.split, this.splits, this.splitBlock)
    this.seedLow = fmix32(this.seed >>> 0)
    this.seedHigh = fmix32(Math.floor(this.seed / TWO_POW_32) ^ 0x27d4eb2f)
    this.pools = poolsFor(this.seed)
  }

  /** Events produced so far by this split. */
  get position(): number {
    return this.produced
  }

  /** Restarts this split after its first `position` events (0 rewinds; as from NexmarkBatch.position). */
  seek(position: number): void {
    this.produced = checkInteger('position', position, 0, this.splitEvents)
  }

  /** Event time (ms) of event number `eventNumber`. */
  timestampOf(eventNumber: number): number {
    return this.firstEventTime + Math.floor((eventNumber * 1000) / this.eventsPerSecond)
  }

  /** The next at most `max` events of this split, in event-number order; null once it is exhausted. */
  nextBatch(max: number): NexmarkBatch | null {
    if (!(max >= 1)) throw new RangeError(`NexmarkGenerator.nextBatch: max must be >= 1, got ${String(max)}`)
    const remaining = this.splitEvents - this.produced
    if (remaining <= 0) return null
    const count = Math.min(Math.floor(max), remaining)
    const values: NexmarkEvent[] = []
    const timestamps = new Float64Array(count)
    const { split, splits, splitBlock } = this
    for (let i = 0, j = this.produced; i < count; i++, j++) {
      // The split's j-th event: offset j mod block in the split's (j div block)-th block.
      const inBlock = j % splitBlock
      const event = this.eventAt(((j - inBlock) / splitBlock * splits + split) * splitBlock + inBlock)
      values.push(event)
      timestamps[i] = event.dateTime
    }
    this.produced += count
    return { values, timestamps, position: this.produced }
  }

  /** Event number `eventNumber` of the whole stream (any split's); pure: the same number always gives an equal event. */
  eventAt(eventNumber: number): NexmarkEvent {
    const rng = this.rng
    rng.state = fmix32(Math.imul(eventNumber >>> 0, 0x9e3779b1) ^ this.seedLow ^ Math.imul((eventNumber / TWO_POW_32) | 0, 0x85ebca77) ^ this.seedHigh) | 0
    const timestamp = this.timestampOf(eventNumber)
    const rem = eventNumber % NEXMARK.totalProportion
    if (rem >= NEXMARK.personProportion + NEXMARK.auctionProportion) return this.bid(eventNumber, timestamp)
    if (rem < NEXMARK.personProportion) return this.person(eventNumber, timestamp)
    return this.auction(eventNumber, timestamp)
  }

  private person(eventId: number, dateTime: number): Person {
    const rng = this.rng
    const pools = this.pools
    const name = FULL_NAMES[rng.int(FULL_NAMES.length)]
    const emailAddress = pools.emails[rng.u32() & POOL_MASK]
    const creditCard = pools.creditCards[rng.u32() & POOL_MASK]
    const city = US_CITIES[rng.int(US_CITIES.length)]
    const state = US_STATES[rng.int(US_STATES.length)]
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length
    return {
      type: PERSON,
      id: lastBase0PersonId(eventId) + NEXMARK.firstPersonId,
      name,
      emailAddress,
      creditCard,
      city,
      state,
      dateTime,
      extra: this.extra(size, NEXMARK.avgPersonBytes),
    }
  }

  private auction(eventId: number, dateTime: number): Auction {
    const rng = this.rng
    const pools = this.pools
    let seller: number
    if (rng.int(NEXMARK.hotSellersRatio) > 0) {
      seller = Math.floor(lastBase0PersonId(eventId) / NEXMARK.hotSellerBatch) * NEXMARK.hotSellerBatch
    } else {
      seller = this.nextBase0PersonId(eventId)
    }
    const category = NEXMARK.firstCategoryId + rng.int(NEXMARK.numCategories)
    const initialBid = nextPrice(rng)
    const horizon = this.timestampOf(eventId + EVENTS_FOR_IN_FLIGHT_AUCTIONS) - dateTime
    const expires = dateTime + 1 + rng.long(Math.max(horizon * 2, 1))
    const itemName = pools.itemNames[rng.u32() & POOL_MASK]
    const description = pools.descriptions[rng.u32() & POOL_MASK]
    const reserve = initialBid + nextPrice(rng)
    const size = 8 + itemName.length + description.length + 40
    return {
      type: AUCTION,
      id: lastBase0AuctionId(eventId) + NEXMARK.firstAuctionId,
      itemName,
      description,
      initialBid,
      reserve,
      dateTime,
      expires,
      seller: seller + NEXMARK.firstPersonId,
      category,
      extra: this.extra(size, NEXMARK.avgAuctionBytes),
    }
  }

  private bid(eventId: number, dateTime: number): Bid {
    const rng = this.rng
    const pools = this.pools
    let auction: number
    if (rng.int(NEXMARK.hotAuctionRatio) > 0) {
      auction = Math.floor(lastBase0AuctionId(eventId) / NEXMARK.hotAuctionBatch) * NEXMARK.hotAuctionBatch
    } else {
      auction = this.nextBase0AuctionId(eventId)
    }
    let bidder: number
    if (rng.int(NEXMARK.hotBiddersRatio) > 0) {
      bidder = Math.floor(lastBase0PersonId(eventId) / NEXMARK.hotBidderBatch) * NEXMARK.hotBidderBatch + 1
    } else {
      bidder = this.nextBase0PersonId(eventId)
    }
    const price = nextPrice(rng)
    let channel: string
    let url: string
    if (rng.int(NEXMARK.hotChannelsRatio) > 0) {
      const i = rng.int(HOT_CHANNELS.length)
      channel = HOT_CHANNELS[i]
      url = pools.hotUrls[i]
    } else {
      const i = rng.int(NEXMARK.channels)
      channel = pools.channelNames[i]
      url = pools.channelUrls[i]
    }
    return {
      type: BID,
      auction: auction + NEXMARK.firstAuctionId,
      bidder: bidder + NEXMARK.firstPersonId,
      price,
      channel,
      url,
      dateTime,
      extra: this.extra(32, NEXMARK.avgBidBytes),
    }
  }

  /** One of the active persons, or up to personIdLead ids ahead (the reference's nextBase0PersonId). */
  private nextBase0PersonId(eventId: number): number {
    const numPeople = lastBase0PersonId(eventId) + 1
    const activePeople = Math.min(numPeople, NEXMARK.numActivePeople)
    return numPeople - activePeople + this.rng.int(activePeople + NEXMARK.personIdLead)
  }

  /** One of the in-flight auctions, or up to auctionIdLead ids ahead (the reference's nextBase0AuctionId). */
  private nextBase0AuctionId(eventId: number): number {
    const maxAuction = lastBase0AuctionId(eventId)
    const minAuction = Math.max(maxAuction - NEXMARK.numInFlightAuctions, 0)
    return minAuction + this.rng.int(maxAuction - minAuction + 1 + NEXMARK.auctionIdLead)
  }

  /** Padding so the event averages `average` bytes (the reference's nextExtra: ±20% around what is missing). */
  private extra(currentSize: number, average: number): string {
    if (currentSize > average) return ''
    const desired = average - currentSize
    const delta = Math.round(desired * 0.2)
    const size = desired - delta + (delta === 0 ? 0 : this.rng.int(2 * delta))
    return this.pools.extras[size * EXTRA_VARIANTS + (this.rng.u32() & (EXTRA_VARIANTS - 1))]
  }
}

/** The reference's nextPrice: round(10^(6u) × 100) cents, log-uniform in 100 .. 10^8. */
function nextPrice(rng: Rng): number {
  return Math.round(Math.pow(10, rng.float() * 6) * 100)
}

/** A fixed list of events as a NexmarkSource (for hand-made cases); timestamps are the events' dateTime. */
export function nexmarkEvents(events: readonly NexmarkEvent[]): NexmarkSource {
  let at = 0
  return {
    nextBatch(max: number): NexmarkBatch | null {
      if (at >= events.length) return null
      const values = events.slice(at, Math.min(events.length, at + Math.max(1, Math.floor(max))))
      at += values.length
      return { values, timestamps: Float64Array.from(values, (e) => e.dateTime), position: at }
    },
  }
}
