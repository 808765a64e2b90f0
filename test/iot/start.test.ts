// `npm start`'s configuration: environment variables → startIotApp options,
// with a message naming the variable for a bad value (exit code 2).
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { optionsFromEnv } from '../../src/cli/start.js'

describe('npm start configuration', () => {
  it('has the documented defaults', () => {
    expect(optionsFromEnv({})).toEqual({
      dataDir: './eddy-data',
      port: 8080,
      kafkaPort: 9092,
      host: '127.0.0.1',
      sensors: 50,
      ratePerSecond: 2000,
      timeScale: 60,
      seed: undefined,
      lateReadings: true,
      checkpointIntervalMs: 1000,
      statusIntervalMs: 10_000,
    })
  })

  it('reads every variable', () => {
    const options = optionsFromEnv({
      EDDY_DATA_DIR: '/tmp/x',
      EDDY_PORT: '0',
      EDDY_KAFKA_PORT: 'off',
      EDDY_HOST: '0.0.0.0',
      EDDY_SENSORS: '7',
      EDDY_RATE: '12.5',
      EDDY_TIME_SCALE: '1',
      EDDY_SEED: '42',
      EDDY_LATE_READINGS: '0',
      EDDY_CHECKPOINT_MS: '250',
      EDDY_STATUS_MS: '0',
    })
    expect(options).toEqual({ dataDir: '/tmp/x', port: 0, kafkaPort: null, host: '0.0.0.0', sensors: 7, ratePerSecond: 12.5, timeScale: 1, seed: 42, lateReadings: false, checkpointIntervalMs: 250, statusIntervalMs: 0 })
    expect(optionsFromEnv({ EDDY_KAFKA_PORT: '0' }).kafkaPort).toBe(0)
  })

  it('names the variable of a bad value', () => {
    expect(() => optionsFromEnv({ EDDY_PORT: 'http' })).toThrow('EDDY_PORT must be a whole number from 0 to 65535, got "http"')
    expect(() => optionsFromEnv({ EDDY_PORT: '70000' })).toThrow(/EDDY_PORT/)
    expect(() => optionsFromEnv({ EDDY_SENSORS: '0' })).toThrow(/EDDY_SENSORS must be a whole number from 1/)
    expect(() => optionsFromEnv({ EDDY_RATE: '-5' })).toThrow('EDDY_RATE must be a number above 0, got "-5"')
    expect(() => optionsFromEnv({ EDDY_LATE_READINGS: 'maybe' })).toThrow(/EDDY_LATE_READINGS must be 1 or 0/)
  })

  it('exits with code 2 and the message on a bad value', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/start.ts'], {
      cwd: join(import.meta.dirname, '../..'),
      env: { ...process.env, EDDY_TIME_SCALE: 'fast' },
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(result.stderr).toContain('eddy: EDDY_TIME_SCALE must be a number above 0, got "fast"')
    expect(result.status).toBe(2)
  })
})
