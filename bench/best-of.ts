// On a shared machine other processes only ever slow a task down, so the best
// of a few short rounds is closer to the code's real speed than one long round,
// and interleaving rounds spreads any slow spell over us and the peer alike.
import { opsPerSecond } from './lib.js'

export async function bestOpsPerSecond(tasks: Record<string, () => unknown>, timeMs: number, rounds = 2): Promise<Record<string, number>> {
  const best: Record<string, number> = {}
  for (let round = 0; round < rounds; round++) {
    const ops = await opsPerSecond(tasks, timeMs)
    for (const [name, value] of Object.entries(ops)) best[name] = Math.max(best[name] ?? 0, value)
  }
  return best
}
