// `eddy partitions suggest` and `eddy bench`, spawned as a user runs them.
import { describe, expect, it } from 'vitest'
import { eddy } from './helpers.js'

describe('eddy partitions suggest (spawned)', () => {
  it('computes N = max(ceil(T/Tp), ceil(T/Tc)) from given rates', async () => {
    const result = await eddy(['partitions', 'suggest', '--target-throughput', '1GB/s', '--tp', '60MB/s', '--tc', '120MB/s'])
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(
      [
        'target throughput          T  = 1 GB/s',
        'producer, one partition    Tp = 0.06 GB/s (given)',
        'consumer, one partition    Tc = 0.12 GB/s (given)',
        '',
        'N = max(ceil(T/Tp), ceil(T/Tc)) = max(ceil(1/0.06), ceil(1/0.12)) = max(17, 9) = 17',
        'suggested partitions: 17',
        '',
      ].join('\n'),
    )
  })

  it('measures Tp and Tc on this machine, briefly, in records/s with --record-size', async () => {
    const started = Date.now()
    const result = await eddy(['partitions', 'suggest', '--target-throughput', '100000000records/s', '--record-size', '100', '--measure-ms', '200'])
    expect(result.code).toBe(0)
    expect(Date.now() - started).toBeLessThan(20_000)
    const tp = Number(/Tp = (\d+) records\/s \(measured: [\d,]+ records of 100 B in \d\.\d\d s/.exec(result.stdout)?.[1])
    const tc = Number(/Tc = (\d+) records\/s \(measured: /.exec(result.stdout)?.[1])
    expect(tp).toBeGreaterThan(1000)
    expect(tc).toBeGreaterThan(1000)
    const n = Math.max(Math.ceil(1e8 / tp), Math.ceil(1e8 / tc))
    expect(result.stdout).toContain(`suggested partitions: ${n}\n`)
    expect(result.stdout).toContain(`N = max(ceil(T/Tp), ceil(T/Tc)) = max(ceil(100000000/${tp}), ceil(100000000/${tc}))`)
  })

  it('refuses a rate it cannot read (exit 2)', async () => {
    const result = await eddy(['partitions', 'suggest', '--target-throughput', '50 parsecs'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('--target-throughput takes a rate such as 50MB/s, 512KiB/s or 20000records/s, got "50 parsecs"')
  })
})

describe('eddy bench (spawned)', () => {
  it('needs a suite, lists them, and passes the runner exit code through', async () => {
    const [none, unknown] = await Promise.all([eddy(['bench']), eddy(['bench', 'no-such-suite'])])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('eddy bench: name a suite')
    expect(none.stderr).toMatch(/suites: .*hashing/)
    // bench/run.ts itself refuses the suite with exit 2; eddy bench passes that on.
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('unknown bench suite "no-such-suite"')
  })
})
