// Seeds for the sketches whose decisions are random (reservoir sampling, KLL
// compaction coins). A seed makes a run reproducible; without one each sketch
// draws its own from Math.random. Wasm takes the 64-bit generator state as two
// u32 halves so no BigInt crosses the boundary.
import { integerOption } from './option-checks.js'

const TWO_POW_32 = 2 ** 32

export interface SeedHalves {
  low: number
  high: number
}

/** Validates an optional `seed` option (an integer in 0..2^53 − 1) and splits it into u32 halves. */
export function seedOption(owner: string, seed: unknown): SeedHalves {
  if (seed === undefined) {
    return { low: Math.floor(Math.random() * TWO_POW_32), high: Math.floor(Math.random() * TWO_POW_32) }
  }
  const value = integerOption(owner, 'seed', seed, 0, Number.MAX_SAFE_INTEGER)
  return { low: value % TWO_POW_32, high: Math.floor(value / TWO_POW_32) }
}
