// Keys → key groups → tasks, as Flink does it: a key hashes into one of
// `maxParallelism` key groups (fixed for the life of the job's state), and a
// job at parallelism P gives task t the contiguous key groups
// [ceil(t·G/P), ceil((t+1)·G/P)). Rescaling moves whole key groups, never
// splits one. The hash is plain JS so every thread and every executor agree.
import type { Key } from '../stream/dsl/graph.js'

export const DEFAULT_MAX_PARALLELISM = 128

/** 32-bit mix of an integer (murmur3's finaliser). */
function mix32(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** FNV-1a over UTF-16 code units, then mixed. */
function hashString(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return mix32(h)
}

export function hashKey(key: Key): number {
  if (typeof key === 'number') {
    if (Number.isInteger(key) && key >= -0x80000000 && key <= 0xffffffff) return mix32(key | 0)
    return hashString(String(key))
  }
  return hashString(key)
}

export function keyGroupOf(key: Key, maxParallelism: number): number {
  return hashKey(key) % maxParallelism
}

/** The task that owns a key group at `parallelism`. */
export function taskOfKeyGroup(keyGroup: number, maxParallelism: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism)
}

/** The key groups task `task` owns: [start, end). */
export function keyGroupRange(task: number, maxParallelism: number, parallelism: number): { start: number; end: number } {
  return { start: Math.ceil((task * maxParallelism) / parallelism), end: Math.ceil(((task + 1) * maxParallelism) / parallelism) }
}
