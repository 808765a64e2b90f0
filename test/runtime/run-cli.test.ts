import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync } from 'node:fs'
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

  it('keeps checkpoints in --checkpoints DIR, stops with --savepoint-on-stop on SIGINT, and --restore resumes from that file', async () => {
    // Run 1 is interrupted after its first checkpoint and writes a savepoint; run 2 resumes from it. Together they print
    // exactly the lines of an uninterrupted run (nothing after the savepoint was processed, open windows did not fire).
    const cwd = join(import.meta.dirname, '../..')
    const work = mkdtempSync(join(tmpdir(), 'eddy-run-savepoint-'))
    const checkpoints = join(work, 'checkpoints')
    const savepoint = join(work, 'stop.ckpt')
    const job = ['run', 'test/runtime/jobs/recovery.job.ts', '--param', 'count=20000', '--param', 'ledger=cli', '--param', 'collect=true', '--data-dir', join(work, 'data'), '--progress-ms', '0']
    const first = spawn(process.execPath, [EDDY, ...job, '--param', 'rate=8000', '--checkpoints', checkpoints, '--checkpoint-interval-ms', '50', '--savepoint-on-stop', savepoint], { cwd })
    let firstOut = ''
    let firstErr = ''
    first.stdout.on('data', (d) => (firstOut += d))
    first.stderr.on('data', (d) => (firstErr += d))
    const exited = new Promise<number | null>((resolve) => first.on('exit', resolve))
    while (!existsSync(checkpoints) || readdirSync(checkpoints).filter((f) => f.startsWith('checkpoint-')).length === 0) await new Promise((r) => setTimeout(r, 50))
    first.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(firstErr).toMatch(/savepoint \d+ written to .*stop\.ckpt/)
    expect(firstErr).toMatch(/job recovery \(cancelled/)
    const second = await exec(process.execPath, [EDDY, ...job, '--param', 'rate=1000000000', '--restore', savepoint], { cwd })
    const full = await exec(process.execPath, [EDDY, ...job, '--param', 'rate=1000000000'], { cwd })
    const lines = (out: string) => out.trim().split('\n').filter((l) => l !== '')
    expect([...lines(firstOut), ...lines(second.stdout)].sort()).toEqual(lines(full.stdout).sort())
    const bad = await exec(process.execPath, [EDDY, ...job, '--guarantee', 'twice']).catch((e) => e)
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--guarantee must be at-most-once, at-least-once or exactly-once, got "twice"/)
  }, 60_000)
})
