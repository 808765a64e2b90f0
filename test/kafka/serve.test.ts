// Proves `eddy serve` as a user runs it: --help, refusal of bad flags, a
// listening line with the real port (port 0), kcat round trips, a clean exit
// on SIGTERM and SIGINT, and the log kept in --data-dir across a restart.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { parseServeArgs } from '../../src/cli/serve.js'
import { requireClients, run, runKcat, waitFor } from './helpers.js'

const EDDY = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'eddy.mjs')
const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

interface Running {
  child: ChildProcessWithoutNullStreams
  port: number
  output: () => string
  exited: Promise<number | null>
}

async function startServe(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [EDDY, 'serve', ...args])
  let output = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  await waitFor(() => /Kafka protocol on 127\.0\.0\.1:\d+/.test(output) || child.exitCode !== null, 30_000, `eddy serve to listen (output: ${output})`)
  const port = Number(/Kafka protocol on 127\.0\.0\.1:(\d+)/.exec(output)?.[1])
  return { child, port, output: () => output, exited }
}

describe('eddy serve', () => {
  it('parses its flags and refuses bad ones', () => {
    expect(parseServeArgs(['--kafka', '0.0.0.0:9093', '--data-dir', 'd', '--advertised', 'kafka.local:19093', '--partitions', '6', '--no-auto-create', '--dashboard', '127.0.0.1:8181'])).toEqual({
      host: '0.0.0.0',
      port: 9093,
      dataDir: 'd',
      advertisedHost: 'kafka.local',
      advertisedPort: 19093,
      partitions: 6,
      autoCreateTopics: false,
      dashboard: { host: '127.0.0.1', port: 8181 },
    })
    expect(parseServeArgs(['--no-dashboard']).valueOf()).toMatchObject({ dashboard: undefined })
    expect(parseServeArgs(['--kafka', '9999'])).toMatchObject({ host: '127.0.0.1', port: 9999 })
    expect(parseServeArgs(['--kafka', '[::1]:9094'])).toMatchObject({ host: '::1', port: 9094 })
    expect(parseServeArgs(['--help'])).toBe('help')
    expect(() => parseServeArgs(['--kafka'])).toThrow(/needs a value/)
    expect(() => parseServeArgs(['--partitions', '0'])).toThrow(/positive integer/)
    expect(() => parseServeArgs(['--kafka', 'host:99999'])).toThrow(/out of range/)
    expect(() => parseServeArgs(['--bogus'])).toThrow(/unknown option "--bogus"/)
  })

  it('--help prints the usage; a bad flag exits 2 with the usage', async () => {
    const help = await run(process.execPath, [EDDY, 'serve', '--help'], { timeoutMs: 30_000 })
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('usage: eddy serve [--kafka HOST:PORT] [--data-dir DIR]')
    const bad = await run(process.execPath, [EDDY, 'serve', '--kafak', '1'], { timeoutMs: 30_000 })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('unknown option "--kafak"')
  })

  it('serves kcat on the real port, stops cleanly on SIGTERM and SIGINT, and keeps the log in --data-dir', async () => {
    requireClients('kcat')
    const dataDir = mkdtempSync(join(tmpdir(), 'eddy-serve-'))
    dirs.push(dataDir)
    const first = await startServe(['--kafka', '127.0.0.1:0', '--data-dir', dataDir, '--partitions', '2', '--dashboard', '127.0.0.1:0'])
    await waitFor(() => /dashboard http:\/\/127\.0\.0\.1:\d+\//.test(first.output()), 10_000, 'the dashboard URL')
    const dashboardUrl = /dashboard (http:\/\/127\.0\.0\.1:\d+\/)/.exec(first.output())![1]
    expect((await (await fetch(`${dashboardUrl}healthz`)).text()).trim()).toBe('ok')
    expect(await (await fetch(`${dashboardUrl}metrics`)).text()).toMatch(/^# (HELP|TYPE) eddy_/m)
    expect(first.port).toBeGreaterThan(0)
    const bootstrap = `127.0.0.1:${first.port}`
    await runKcat(['-b', bootstrap, '-P', '-t', 'kept', '-K', ':'], { input: Array.from({ length: 10 }, (_, i) => `k${i}:v${i}`).join('\n') + '\n' })
    expect(await runKcat(['-b', bootstrap, '-L', '-t', 'kept'])).toContain('topic "kept" with 2 partitions')
    first.child.kill('SIGTERM')
    expect(await first.exited).toBe(0)
    expect(first.output()).toMatch(/SIGTERM, shutting down[\s\S]*stopped/)

    const second = await startServe(['--kafka', '127.0.0.1:0', '--data-dir', dataDir, '--no-dashboard'])
    const values = await Promise.all([0, 1].map((p) => runKcat(['-b', `127.0.0.1:${second.port}`, '-C', '-t', 'kept', '-p', String(p), '-o', 'beginning', '-e', '-q', '-f', '%s\n'])))
    expect(values.join('').split('\n').filter(Boolean).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort())
    second.child.kill('SIGINT')
    expect(await second.exited).toBe(0)
  })
})
