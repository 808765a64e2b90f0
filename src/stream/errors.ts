// The stream processor's error types. Each names the option or input at fault.

/** A stream option out of range or inconsistent with another; `option` names it. */
export class StreamConfigError extends Error {
  override name = 'StreamConfigError'
  constructor(
    readonly option: string,
    message: string,
  ) {
    super(`${option}: ${message}`)
  }
}

/** A batch or call the operator cannot accept (mismatched column lengths, a non-finite timestamp). Nothing was applied. */
export class StreamInputError extends Error {
  override name = 'StreamInputError'
}

/** Throws a StreamConfigError unless `value` is a finite number > 0. */
export function requirePositive(option: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new StreamConfigError(option, `must be a finite number > 0, got ${String(value)}`)
  }
}

/** Throws a StreamConfigError unless `value` is a finite number >= 0. */
export function requireNonNegative(option: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new StreamConfigError(option, `must be a finite number >= 0, got ${String(value)}`)
  }
}
