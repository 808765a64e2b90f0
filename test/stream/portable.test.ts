// Proves src/stream is portable and reachable from the package root: no file
// under it imports a Node built-in or uses Buffer/process, and the root
// exports work end to end on a small example.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { aggregates, BoundedOutOfOrdernessWatermarks, WindowOperator, windows } from '../../src/index.js'

const streamDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'stream')

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? tsFiles(path) : path.endsWith('.ts') ? [path] : []
  })
}

describe('src/stream portability', () => {
  it('imports nothing from Node and uses no Node globals', () => {
    // Scans every source under src/stream (comments stripped) for node: / built-in specifiers and Buffer/process.
    const files = tsFiles(streamDir)
    expect(files.length).toBeGreaterThan(4)
    const builtins = new Set(builtinModules)
    for (const file of files) {
      const source = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
      for (const [, specifier] of source.matchAll(/\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g)) {
        if (specifier === undefined) continue
        expect(specifier.startsWith('node:') || builtins.has(specifier.split('/')[0]), `${file} imports ${specifier}`).toBe(false)
      }
      // `process.` / `Buffer` as globals (the word "process" alone is an operator name here).
      expect(/\bBuffer\b|(?<![.\w'"/-])process\s*\./.test(source), `${file} uses a Node global`).toBe(false)
    }
  })

  it('works from the package root: watermarks drive a tumbling count', () => {
    // A small end-to-end use of the exported API.
    const op = new WindowOperator({ assigner: windows.tumbling({ size: 10 }), aggregate: aggregates.count() })
    const wm = new BoundedOutOfOrdernessWatermarks({ maxOutOfOrdernessMs: 2 })
    const timestamps = Float64Array.of(1, 4, 12, 3, 15)
    op.processBatch({ keys: ['a', 'a', 'a', 'b', 'a'], timestamps, values: new Array(5).fill(null) })
    wm.observeBatch(timestamps)
    expect(op.advanceWatermark(wm.watermark)).toEqual([
      { key: 'a', windowStart: 0, windowEnd: 10, result: 2 },
      { key: 'b', windowStart: 0, windowEnd: 10, result: 1 },
    ])
  })
})
