// Proves hashes and sketches load and give Node's answers under Deno: the
// portable core runs the smoke checks with no permissions at all (no file,
// network or environment access), and the package root runs them with read
// access to zstd's Wasm file only (@bokuweb/zstd-wasm's Node build reads it at
// import time); each JSON report is checked against vectors and the Node run.
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { expectSmokeReport } from './expect-smoke.js'
import type { SmokeReport } from './fixtures/smoke.js'
import { ensureDeno } from '../../scripts/ensure-deno.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
// Deno is installed on demand outside package.json (see scripts/ensure-deno.mjs).
const deno = ensureDeno()
const DENO_TIMEOUT_MS = 90_000

// --sloppy-imports: our sources import `.ts` files by their `.js` names (nodenext style).
// Run from the repository so Deno reads package.json and takes npm packages from
// node_modules (manual: never install, never write a lock file, never fetch).
const DENO_ARGS = ['run', '--no-prompt', '--no-check', '--sloppy-imports', '--node-modules-dir=manual', '--no-lock', '--cached-only']

/** Runs a smoke entry under Deno and parses its one line of stdout (anything more would be stray output from the library). */
async function denoSmoke(script: string, permissions: string[] = []): Promise<SmokeReport> {
  const { stdout } = await promisify(execFile)(deno, [...DENO_ARGS, ...permissions, script], {
    cwd: root,
    timeout: DENO_TIMEOUT_MS,
    env: { ...process.env, NO_COLOR: '1' },
  })
  const lines = stdout.trim().split('\n')
  expect(lines).toHaveLength(1)
  return JSON.parse(lines[0]) as SmokeReport
}

describe('portability: Deno', () => {
  it('the portable core runs the smoke checks with no permissions and matches the vectors and Node', async () => {
    await expectSmokeReport(await denoSmoke('test/portability/fixtures/deno-core.ts'))
  })

  it('the package root runs them with read access to zstd.wasm only and matches too', async () => {
    await expectSmokeReport(await denoSmoke('test/portability/fixtures/deno-root.ts', ['--allow-read=node_modules/@bokuweb/zstd-wasm']))
  })
})
