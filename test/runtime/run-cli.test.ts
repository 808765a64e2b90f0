import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const exec = promisify(execFile)
const EDDY = join(import.meta.dirname, '../../bin/eddy.mjs')

describe('eddy run', () => {
  it('runs a job module with workers and prints its collected output and progress', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'eddy-run-'))
    const { stdout, stderr } = await exec(process.execPath, [EDDY, 'run', 'test/runtime/jobs/windowed.job.ts', '--param', 'count=3000', '--parallelism', '2', '--data-dir', dataDir, '--progress-ms', '0'], { cwd: join(import.meta.dirname, '../..') })
    const lines = stdout.trim().split('\n').map((l) => JSON.parse(l))
    const sinksSeen = new Set(lines.map((l) => l.sink))
    expect([...sinksSeen].sort()).toEqual(['custom', 'filtered', 'late', 'sliding', 'tumbling', 'windows'])
    expect(stderr).toMatch(/job windowed-test \(finished, workers ×2\)/)
    expect(stderr).toMatch(/source\(generator\)\s+in\s+3000/)
  }, 60_000)

  it('refuses a missing module and a bad flag with exit code 2', async () => {
    const missing = await exec(process.execPath, [EDDY, 'run', 'nope.ts']).catch((e) => e)
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(/job module nope.ts does not exist/)
    const bad = await exec(process.execPath, [EDDY, 'run', 'test/runtime/jobs/windowed.job.ts', '--paralelism', '2']).catch((e) => e)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/did you mean --parallelism/)
  }, 30_000)
})
