// Proves the hash and sketch module loads and gives Node's answers under Deno:
// a smoke script runs in a Deno subprocess with no permissions at all (so it
// needs no file, network or environment access) and its JSON report is checked.
import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { expectSmokeReport } from './expect-smoke.js'
import type { SmokeReport } from './fixtures/smoke.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const deno = join(root, 'node_modules', '.bin', 'deno')
const DENO_TIMEOUT_MS = 90_000

// --sloppy-imports: our sources import `.ts` files by their `.js` names (nodenext style).
// Run from the repository so Deno reads package.json and takes @assemblyscript/loader
// from node_modules (manual: never install, never write a lock file, never fetch).
const DENO_ARGS = ['run', '--no-prompt', '--no-check', '--sloppy-imports', '--node-modules-dir=manual', '--no-lock', '--cached-only']

async function runDeno(script: string): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(deno, [...DENO_ARGS, script], { cwd: root, timeout: DENO_TIMEOUT_MS, env: { ...process.env, NO_COLOR: '1' } })
}

describe('portability: Deno', () => {
  it('runs the smoke checks with no permissions and matches the published vectors and Node', async () => {
    // One JSON line on stdout; anything else there would mean stray output from the library.
    const { stdout } = await runDeno('test/portability/fixtures/deno-main.ts')
    const lines = stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    const report = JSON.parse(lines[0]) as SmokeReport
    await expectSmokeReport(report)
  })
})
