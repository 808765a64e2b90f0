// When a window emits its result.
import { requirePositive, StreamConfigError } from '../errors.js'

/**
 * - `eventTime`: fires once when the watermark reaches the window's end − 1,
 *   and again after every batch that adds a late record (within allowed
 *   lateness) to an already-fired window. The default; not for global windows.
 * - `count`: fires each time a window has received `count` more records; with
 *   `purge` the window's accumulator is emptied after firing (count windows).
 *   Never fires on time. Not available with session windows.
 * - `processingTime`: fires every window updated since its last firing when
 *   processing time crosses a multiple of `intervalMs` (see
 *   WindowOperator.advanceProcessingTime), and once more at clean-up if it has
 *   unreported updates.
 */
export type Trigger =
  | { readonly kind: 'eventTime' }
  | { readonly kind: 'count'; readonly count: number; readonly purge: boolean }
  | { readonly kind: 'processingTime'; readonly intervalMs: number }

export const triggers = {
  eventTime(): Trigger {
    return { kind: 'eventTime' }
  },
  count(count: number, options: { purge?: boolean } = {}): Trigger {
    if (!Number.isSafeInteger(count) || count < 1) throw new StreamConfigError('trigger.count', `must be an integer >= 1, got ${String(count)}`)
    return { kind: 'count', count, purge: options.purge ?? false }
  },
  processingTime(intervalMs: number): Trigger {
    requirePositive('trigger.intervalMs', intervalMs)
    return { kind: 'processingTime', intervalMs }
  },
}
