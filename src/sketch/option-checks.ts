// Validation of sketch constructor options: one clear error per bad option,
// naming the sketch, the option, what was expected and what was given.

export function checkOptionsObject(owner: string, options: unknown): asserts options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${owner}: options must be an object, got ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`)
  }
}

/** An integer option in min..max (inclusive). */
export function integerOption(owner: string, name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${owner}: ${name} must be an integer in ${min}..${max}, got ${show(value)}`)
  }
  return value
}

/** A probability-like option strictly between 0 and 1. */
export function openUnitOption(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value < 1)) {
    throw new RangeError(`${owner}: ${name} must be a number strictly between 0 and 1, got ${show(value)}`)
  }
  return value
}

export function booleanOption(owner: string, name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${owner}: ${name} must be a boolean, got ${show(value)}`)
  return value
}

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'bigint') return `${value}n`
  return typeof value === 'object' && value !== null ? (Array.isArray(value) ? 'an array' : 'an object') : String(value)
}
