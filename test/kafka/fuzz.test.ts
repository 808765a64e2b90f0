// Proves bad bytes cannot crash, hang or bloat the server. 100,000 frames —
// mutations of real requests captured from the four clients (bit flips, byte
// stores, boundary integers, truncation, extension, splices, version and key
// swaps) and purely random frames — go through the request decoders, where the
// only acceptable failure is MalformedRequestError; then 30,000 more go to a
// live server over pipelined connections, each batch followed by a probe
// request. The server must keep answering fresh connections promptly, log a
// line for what it refuses, hold no queued requests at the end, and keep its
// memory bounded. The PRNG is seeded, so a failure names a reproducible case.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect, type Socket } from 'node:net'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apis } from '../../src/kafka/apis/registry.js'
import { decodeRequestHeader } from '../../src/kafka/protocol/header.js'
import { MalformedRequestError, Reader } from '../../src/kafka/protocol/reader.js'
import { FIXTURES, RawClient, requestFrame, startHarness, type Harness } from './helpers.js'
import { seededRandom } from '../../src/random.js'

const SEED = 0x5eed_2026
const DECODER_FRAMES = 100_000
const LIVE_FRAMES = Number(process.env.EDDY_FUZZ_LIVE_FRAMES ?? 30_000)
const LIVE_CONNECTIONS = 8
const FRAMES_PER_BATCH = 3
const PROBE_TIMEOUT_MS = 750

const corpus = (JSON.parse(readFileSync(join(FIXTURES, 'requests.json'), 'utf8')) as { hex: string }[]).map((c) => new Uint8Array(Buffer.from(c.hex, 'hex')))

setFlagsFromString('--expose-gc')
const collectGarbage = runInNewContext('gc') as () => void

/** Live heap plus buffers after a full collection. */
function liveBytes(): number {
  collectGarbage()
  collectGarbage()
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}


const BOUNDARY_INTS = [0, 1, -1, -2, 0x7f, 0x80, 0xff, 0x7fff, -0x8000, 0x7fffffff, -0x80000000, 1000, 65535]

/** A frame (with its 4-byte size prefix, fixed up to the body's length) derived from the corpus, or random. */
function makeFrame(random: () => number): Uint8Array {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]
  const int = (max: number) => Math.floor(random() * max)
  if (random() < 0.1) {
    const bytes = new Uint8Array(4 + int(120)).map(() => int(256))
    if (random() < 0.5 && bytes.length >= 14) {
      const v = new DataView(bytes.buffer)
      v.setInt16(4, int(25))
      v.setInt16(6, int(12))
      v.setInt16(12, -1)
    }
    return fixSize(bytes)
  }
  let frame = pick(corpus).slice()
  const mutations = 1 + int(4)
  for (let m = 0; m < mutations; m++) {
    const at = 4 + int(Math.max(1, frame.length - 4))
    const v = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
    switch (int(9)) {
      case 0: // flip a bit
        if (at < frame.length) frame[at] ^= 1 << int(8)
        break
      case 1: // store a random byte
        if (at < frame.length) frame[at] = int(256)
        break
      case 2: // a boundary int16 where a length or version may sit
        if (at + 2 <= frame.length) v.setInt16(at, pick(BOUNDARY_INTS))
        break
      case 3: // a boundary int32 where an array length or size may sit
        if (at + 4 <= frame.length) v.setInt32(at, pick(BOUNDARY_INTS))
        break
      case 4: // truncate
        frame = frame.slice(0, Math.max(4, at))
        break
      case 5: {
        // extend with random bytes
        const extra = new Uint8Array(1 + int(64)).map(() => int(256))
        const next = new Uint8Array(frame.length + extra.length)
        next.set(frame)
        next.set(extra, frame.length)
        frame = next
        break
      }
      case 6: {
        // splice the tail of another request
        const other = pick(corpus)
        const from = 4 + int(other.length - 4)
        const next = new Uint8Array(Math.min(at, frame.length) + other.length - from)
        next.set(frame.subarray(0, Math.min(at, frame.length)))
        next.set(other.subarray(from), Math.min(at, frame.length))
        frame = next
        break
      }
      case 7: // another version of the same API
        if (frame.length >= 8) v.setInt16(6, int(14) - 1)
        break
      case 8: // another API key
        if (frame.length >= 6) v.setInt16(4, int(45) - 1)
        break
    }
  }
  return fixSize(frame)
}

function fixSize(frame: Uint8Array): Uint8Array {
  if (frame.length >= 4) new DataView(frame.buffer, frame.byteOffset).setInt32(0, frame.length - 4)
  return frame
}

/** Decodes as the connection does; returns what happened. */
function decode(frame: Uint8Array): 'decoded' | 'refused' | 'unserved' {
  const reader = new Reader(frame.subarray(4))
  try {
    const header = decodeRequestHeader(reader)
    const codec = apis.get(header.apiKey)?.codec(header.apiVersion)
    if (!codec) return 'unserved'
    codec.decodeRequest(reader)
    return 'decoded'
  } catch (error) {
    if (error instanceof MalformedRequestError) return 'refused'
    throw error
  }
}

describe('fuzz', () => {
  it(`${DECODER_FRAMES.toLocaleString('en')} mutated and random frames through the decoders: only MalformedRequestError, never anything else`, () => {
    const random = seededRandom(SEED)
    const outcomes = { decoded: 0, refused: 0, unserved: 0 }
    const started = performance.now()
    for (let i = 0; i < DECODER_FRAMES; i++) {
      const frame = makeFrame(random)
      try {
        outcomes[decode(frame)]++
      } catch (error) {
        throw new Error(`frame ${i} (seed ${SEED}) threw ${(error as Error).stack}\nframe: ${Buffer.from(frame).toString('hex')}`)
      }
    }
    const elapsedMs = performance.now() - started
    // Every kind of outcome happens, so the mutations reach past the header.
    expect(outcomes.decoded).toBeGreaterThan(1000)
    expect(outcomes.refused).toBeGreaterThan(1000)
    expect(outcomes.unserved).toBeGreaterThan(1000)
    expect(elapsedMs).toBeLessThan(30_000)
  })

  describe('against a live server', () => {
    let h: Harness
    beforeAll(async () => {
      // No auto-creation: mutated topic names must not pile up topics.
      h = await startHarness({ autoCreateTopics: false, coordinator: { sessionTimeoutMsMax: 5_000 } }, { frameBytesMax: 1024 * 1024 })
      await h.eddy.broker.createTopic('cap-kcat', 1)
      await h.eddy.broker.createTopic('cap-confluent', 1)
    })
    afterAll(() => h?.close())

    it(`${LIVE_FRAMES.toLocaleString('en')} frames over pipelined connections: no crash, no hang, bounded memory`, async () => {
      const random = seededRandom(SEED + 1)
      const bytesBefore = liveBytes()
      let sent = 0
      let probesAnswered = 0
      let connectionsClosedByServer = 0
      let connectionsAbandoned = 0
      const probe = requestFrame(18, 0, 0x7eadbeef, 'fuzz-probe')

      async function worker(): Promise<void> {
        while (sent < LIVE_FRAMES) {
          const batch: Uint8Array[] = []
          // Batches of 1..FRAMES_PER_BATCH: short ones often get through whole, long ones rarely.
          const size = 1 + Math.floor(random() * FRAMES_PER_BATCH)
          for (let i = 0; i < size && sent < LIVE_FRAMES; i++, sent++) batch.push(makeFrame(random))
          const outcome = await sendBatch(h.server.port, Buffer.concat([...batch, probe]))
          if (outcome === 'answered') probesAnswered++
          else if (outcome === 'closed') connectionsClosedByServer++
          else connectionsAbandoned++
        }
      }
      const started = Date.now()
      await Promise.all(Array.from({ length: LIVE_CONNECTIONS }, worker))
      const elapsedMs = Date.now() - started

      // Every refusal left a line naming the client and the API.
      expect(h.logs.length).toBeGreaterThan(connectionsClosedByServer / 2)
      expect(h.logs.filter((l) => l.startsWith('closing connection from')).every((l) => /client id ".*"\): /.test(l))).toBe(true)

      // The server still answers a fresh connection at once.
      const c = await RawClient.connect(h.server.port)
      c.write(requestFrame(18, 0, 1, 'after-fuzz'))
      expect(await c.next(2000)).toBeDefined()
      c.close()

      h.logs.length = 0 // the log lines are the test's, not the server's
      const grownBytes = liveBytes() - bytesBefore
      console.log(
        `live fuzz: ${LIVE_FRAMES} frames in ${elapsedMs} ms; probes answered ${probesAnswered}, connections closed by the server ${connectionsClosedByServer}, abandoned (long poll or group wait) ${connectionsAbandoned}; heap+buffers grew ${(grownBytes / 1e6).toFixed(1)} MB`,
      )
      expect(probesAnswered).toBeGreaterThan(0)
      expect(h.server.stats()).toMatchObject({ requestsQueued: 0, requestBytesQueued: 0 })
      expect(connectionsClosedByServer).toBeGreaterThan(0)
      // Not proportional to the frames sent (measured: tens of MB of noise for 5,000 or 60,000 frames).
      expect(grownBytes).toBeLessThan(128 * 1024 * 1024)
    })
  })
})

/** Writes the bytes on a fresh connection; resolves when the probe's answer arrives, the server closes, or the probe times out. */
function sendBatch(port: number, bytes: Uint8Array): Promise<'answered' | 'closed' | 'abandoned'> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1')
    let settled = false
    let seen = Buffer.alloc(0)
    const done = (outcome: 'answered' | 'closed' | 'abandoned') => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(outcome)
    }
    const timer = setTimeout(() => done('abandoned'), PROBE_TIMEOUT_MS)
    socket.on('connect', () => socket.write(bytes))
    socket.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk])
      // Walk response frames; the probe's correlation id marks the end.
      let at = 0
      while (seen.length - at >= 8) {
        const size = seen.readInt32BE(at)
        if (seen.length - at < 4 + size) break
        if (seen.readInt32BE(at + 4) === 0x7eadbeef) return done('answered')
        at += 4 + size
      }
    })
    socket.on('close', () => done('closed'))
    socket.on('error', () => done('closed'))
  })
}
