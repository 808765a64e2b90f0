// `npm start`: the IoT pipeline on the embedded Eddy (see src/iot/app.ts and
// docs/iot.md). Configured by environment variables:
//
//   EDDY_DATA_DIR          data directory (default ./eddy-data)
//   EDDY_PORT              dashboard port (default 8080; 0 = any free port)
//   EDDY_KAFKA_PORT        Kafka protocol port (default 9092; 0 = any free port; "off" = none)
//   EDDY_HOST              interface to listen on (default 127.0.0.1)
//   EDDY_SENSORS           simulated sensors (default 50)
//   EDDY_RATE              readings per second (default 2000)
//   EDDY_TIME_SCALE        event-time speed-up (default 60: one wall second = one event-time minute)
//   EDDY_SEED              simulator seed (default random)
//   EDDY_LATE_READINGS     0 to send no late readings (default 1)
//   EDDY_CHECKPOINT_MS     checkpoint period (default 1000)
//   EDDY_STATUS_MS         status line period (default 10000; 0 = none)
//
// Ctrl-C (SIGINT) or SIGTERM stops cleanly (exit 0); another Ctrl-C two seconds later exits at once.
// Exit codes: 0 stopped cleanly, 1 failed, 2 bad configuration.
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { IotAppError, startIotApp, type IotAppOptions } from '../iot/app.js'

export const DEFAULT_DATA_DIR = './eddy-data'

/** A second Ctrl-C this long after the first stops at once. */
const FORCE_AFTER_MS = 2000

class ConfigError extends Error {}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!/^\s*\d+\s*$/.test(raw) || value < min || value > max) throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`)
  return value
}

function positive(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw.trim() === '') return fallback
  const value = Number(raw)
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`${name} must be a number above 0, got "${raw}"`)
  return value
}

function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase()
  if (raw === undefined || raw === '') return fallback
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true
  if (['0', 'false', 'no', 'off'].includes(raw)) return false
  throw new ConfigError(`${name} must be 1 or 0, got "${env[name]}"`)
}

/** The app's options from the environment; throws a message fit for the user on a bad value. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): IotAppOptions {
  const kafkaRaw = env.EDDY_KAFKA_PORT?.trim().toLowerCase()
  return {
    dataDir: env.EDDY_DATA_DIR?.trim() || DEFAULT_DATA_DIR,
    port: integer(env, 'EDDY_PORT', 8080, 0, 65535),
    kafkaPort: kafkaRaw === 'off' || kafkaRaw === 'none' ? null : integer(env, 'EDDY_KAFKA_PORT', 9092, 0, 65535),
    host: env.EDDY_HOST?.trim() || '127.0.0.1',
    sensors: integer(env, 'EDDY_SENSORS', 50, 1, 100_000),
    ratePerSecond: positive(env, 'EDDY_RATE', 2000),
    timeScale: positive(env, 'EDDY_TIME_SCALE', 60),
    seed: env.EDDY_SEED?.trim() ? integer(env, 'EDDY_SEED', 0, 0, 2 ** 32 - 1) : undefined,
    lateReadings: flag(env, 'EDDY_LATE_READINGS', true),
    checkpointIntervalMs: integer(env, 'EDDY_CHECKPOINT_MS', 1000, 10, 3_600_000),
    statusIntervalMs: integer(env, 'EDDY_STATUS_MS', 10_000, 0, 3_600_000),
  }
}

export async function start(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let options: IotAppOptions
  try {
    options = optionsFromEnv(env)
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`eddy: ${error.message}`)
      return 2
    }
    throw error
  }
  let app
  try {
    app = await startIotApp(options)
  } catch (error) {
    console.error(`eddy: cannot start: ${error instanceof IotAppError ? error.message : ((error as Error)?.stack ?? String(error))}`)
    return 1
  }
  let firstSignalAt: number | undefined
  const onSignal = (signal: NodeJS.Signals) => {
    // One Ctrl-C often arrives more than once (the terminal signals the whole process group, and
    // npm and tsx relay it too): only a signal well after the first means "stop at once".
    if (firstSignalAt !== undefined) {
      if (Date.now() - firstSignalAt < FORCE_AFTER_MS) return
      console.error('eddy: stopping at once (the next start resumes from the last checkpoint)')
      process.exit(130)
    }
    firstSignalAt = Date.now()
    console.log(`\neddy: ${signal}: stopping (a last checkpoint, then closing)…`)
    void app.stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  try {
    await app.done
    const { lastCheckpoint } = app.stats()
    console.log(`eddy: stopped${lastCheckpoint === undefined ? '' : ` at checkpoint ${lastCheckpoint}`}; npm start resumes from there`)
    return 0
  } catch (error) {
    console.error(`eddy: the pipeline failed: ${(error as Error)?.stack ?? String(error)}`)
    return 1
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

// Run when executed (`tsx src/cli/start.ts`, `node --import tsx src/cli/start.ts`), not when imported.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await start()
  // Everything is closed; should a library leave a timer or socket behind, exit anyway.
  setTimeout(() => process.exit(), 2000).unref()
}
