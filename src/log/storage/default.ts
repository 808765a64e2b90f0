// The default Storage: Node's file system when running on Node (or a runtime
// with Node's fs, such as Deno), loaded lazily so that this portable module
// imports nothing from `node:` itself. Elsewhere a Storage must be given.
import type { Storage } from './storage.js'

export async function defaultStorage(): Promise<Storage> {
  const nodeVersion = typeof process === 'undefined' ? undefined : process.versions?.node
  if (typeof nodeVersion !== 'string') {
    throw new TypeError('no storage given and no Node file system here: pass `storage: new MemoryStorage()` (or your own Storage)')
  }
  const { NodeFsStorage } = await import('./node-fs.js')
  return new NodeFsStorage()
}
