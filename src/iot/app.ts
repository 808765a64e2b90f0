// The IoT pipeline as one app (what `npm start` runs): the embedded Eddy on a
// data directory, the Kafka protocol server, the dashboard, the sensor
// simulator producing to `sensors` and the IoT job with exactly-once
// checkpoints into `<dataDir>/iot.db`.
//
// Start-up: lock the data directory, open the log (recovering it after a
// crash), create the topics if missing, read the last checkpoint committed to
// iot.db and start the job from it (the runtime seeks `sensors` to the
// checkpoint's offsets and restores the windows and alert state), then start
// the simulator, its clock carrying on from where the topic's event time got to.
//
// Stop (stop(), or SIGINT/SIGTERM in src/cli/start.ts): stop the simulator,
// take a last checkpoint (committing the rows computed so far), cancel the
// job, close the servers and the log. A crash instead (SIGKILL, power loss)
// loses nothing: the next start resumes from the last committed checkpoint.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { Eddy } from '../eddy.js'
import { startKafkaServer, type KafkaServer } from '../kafka/index.js'
import { startJob, type JobHandle, type RunJobOptions } from '../runtime/run-job.js'
import { startDashboard, type Dashboard } from '../ui/server.js'
import { DataDirInUseError, lockDataDir } from '../cli/target.js'
import iotJob, { type IotJobParams } from './job.js'
import { readLastCheckpoint, type JobCheckpoint } from './sqlite-sink.js'
import { resumeClockFrom, startSimulator, type Simulator, type SimulatorOptions } from './simulator.js'

export const SENSORS_TOPIC = 'sensors'
export const ALERTS_TOPIC = 'alerts'
export const SENSORS_PARTITIONS = 4
export const DB_FILE = 'iot.db'
/** Keeps the simulator's seed, so a restart simulates the same sensors. */
export const SIMULATOR_FILE = 'iot-simulator.json'

export interface IotAppOptions {
  /** Where the log and iot.db live (created if missing). */
  dataDir: string
  /** Dashboard port (default 8080; 0 picks a free one). */
  port?: number
  /** Kafka protocol port (default 9092; 0 picks a free one; null: no Kafka server). */
  kafkaPort?: number | null
  /** Interface the dashboard and the Kafka server listen on (default 127.0.0.1). */
  host?: string
  /** Simulated sensors (default 50). */
  sensors?: number
  /** Readings per second (default 2000). */
  ratePerSecond?: number
  /** Event-time ms per wall-clock ms (default 60: one-minute windows close every second). */
  timeScale?: number
  /** Simulator seed (default: the one kept in the data directory, else random, then kept). */
  seed?: number
  /** Send some readings minutes late (default true). */
  lateReadings?: boolean
  /** More simulator options (spike and silence rates…). */
  simulator?: Omit<SimulatorOptions, 'topic' | 'sensors' | 'ratePerSecond' | 'timeScale' | 'seed' | 'startTime'>
  /** Checkpoint period, ms (default 1000). */
  checkpointIntervalMs?: number
  /** Dashboard snapshot period, ms (default 1000). */
  dashboardIntervalMs?: number
  /** Print a status line this often (ms; default 0: never). */
  statusIntervalMs?: number
  /** Where the app's messages go (default console.log). */
  log?: (line: string) => void
}

export interface IotAppStats {
  /** Rows committed to sensor_minute by this run. */
  rowsCommitted: number
  /** The last checkpoint committed (this run or the one resumed from). */
  lastCheckpoint: number | undefined
  alerts: number
}

export interface IotApp {
  readonly dataDir: string
  readonly dbPath: string
  readonly eddy: Eddy
  readonly dashboard: Dashboard
  /** Undefined when the Kafka port could not be opened (the pipeline runs anyway). */
  readonly kafka: KafkaServer | undefined
  readonly job: JobHandle
  readonly simulator: Simulator
  /** The checkpoint this run resumed from, if any. */
  readonly resumedFrom: number | undefined
  /** What the app printed when it came up. */
  readonly banner: string
  stats(): IotAppStats
  /** Stops cleanly (a last checkpoint, then everything closed). Idempotent. */
  stop(): Promise<void>
  /** Settles when the app has stopped; rejects when the job or the simulator failed (the app then stops by itself). */
  readonly done: Promise<void>
}

/** Thrown for a start-up problem the user can fix; the message says how. */
export class IotAppError extends Error {
  override name = 'IotAppError'
}

export async function startIotApp(options: IotAppOptions): Promise<IotApp> {
  const log = options.log ?? ((line: string) => console.log(line))
  const dataDir = options.dataDir
  const host = options.host ?? '127.0.0.1'
  const dbPath = join(dataDir, DB_FILE)
  mkdirSync(dataDir, { recursive: true })
  let release: () => void
  try {
    release = lockDataDir(dataDir)
  } catch (error) {
    if (error instanceof DataDirInUseError) {
      throw new IotAppError(`the data directory ${dataDir} is in use by process ${error.pid} (another npm start?); stop it, or set EDDY_DATA_DIR to another directory`)
    }
    throw error
  }

  // Everything opened so far, closed in reverse on a failed start.
  const cleanups: (() => Promise<void> | void)[] = [release]
  const unwind = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve().then(cleanup).catch(() => {})
  }
  try {
    const eddy = await Eddy.open({ dataDir })
    cleanups.push(() => eddy.close())
    if (!eddy.admin.listTopics().includes(SENSORS_TOPIC)) {
      // flush.policy always: readers (the job) see only synced readings, so the offsets a checkpoint
      // records are durable and a power cut cannot leave iot.db ahead of the log.
      // Retention by size: at the default rate the simulator writes a few hundred MB an hour.
      await eddy.admin.createTopic(SENSORS_TOPIC, {
        partitions: SENSORS_PARTITIONS,
        config: { 'flush.policy': 'always', 'retention.bytes': 128 * 1024 * 1024, 'segment.bytes': 16 * 1024 * 1024 },
      })
    }
    if (!eddy.admin.listTopics().includes(ALERTS_TOPIC)) await eddy.admin.createTopic(ALERTS_TOPIC, { partitions: 1, config: { 'retention.bytes': 64 * 1024 * 1024, 'segment.bytes': 8 * 1024 * 1024 } })

    let restore: JobCheckpoint | undefined
    try {
      restore = readLastCheckpoint(dbPath)
    } catch (error) {
      // The reader's message already names the file and the table; say only what to do about it.
      throw new IotAppError(`${(error as Error).message}. To start over, delete ${dbPath}.`)
    }

    let kafka: KafkaServer | undefined
    let kafkaProblem: string | undefined
    if (options.kafkaPort !== null) {
      const kafkaPort = options.kafkaPort ?? 9092
      try {
        kafka = await startKafkaServer(eddy, { host, port: kafkaPort })
        const server = kafka
        cleanups.push(() => server.close())
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        kafkaProblem =
          code === 'EADDRINUSE'
            ? `port ${kafkaPort} is already in use (another Kafka?); set EDDY_KAFKA_PORT to another port, or EDDY_KAFKA_PORT=0 for any free one`
            : (error as Error).message
      }
    }

    let dashboard: Dashboard
    try {
      dashboard = await startDashboard({ eddy, port: options.port ?? 8080, host, intervalMs: options.dashboardIntervalMs })
    } catch (error) {
      throw new IotAppError((error as Error).message)
    }
    cleanups.push(() => dashboard.close())

    const counts = { rowsCommitted: 0, alerts: 0, lastCheckpoint: restore?.id }
    let publishing = true
    const params: IotJobParams = {
      dbPath,
      // Rows no checkpoint committed are recomputed by the next run: never write them at the end.
      atClose: 'discard',
      sensorsTopic: SENSORS_TOPIC,
      alertsTopic: ALERTS_TOPIC,
      onCommit: (commit: { checkpointId: number; rows: number }) => {
        counts.rowsCommitted += commit.rows
        counts.lastCheckpoint = commit.checkpointId
      },
      publish: (channel, data) => {
        // A cancelled job fires its open windows early: those partial results are not shown.
        if (!publishing) return
        if (channel === 'iot.alerts') counts.alerts++
        dashboard.publish(channel, data)
      },
    }
    const runOptions: RunJobOptions = { eddy, params, executor: 'inline', checkpointIntervalMs: options.checkpointIntervalMs ?? 1000, restore }
    let job: JobHandle
    try {
      job = await startJob(iotJob, runOptions)
    } catch (error) {
      if (restore === undefined) throw error
      throw new IotAppError(
        `cannot resume from checkpoint ${restore.id} in ${dbPath}: ${(error as Error).message}. To start over, delete ${dataDir} (or set EDDY_DATA_DIR to a new directory).`,
      )
    }
    const removeJob = dashboard.addJob(job)
    cleanups.push(async () => {
      publishing = false
      removeJob()
      await job.cancel()
    })

    const lastEventTime = await resumeClockFrom(eddy, SENSORS_TOPIC)
    const seed = options.seed ?? keptSeed(join(dataDir, SIMULATOR_FILE))
    const simulator = startSimulator(eddy, {
      ...options.simulator,
      topic: SENSORS_TOPIC,
      sensors: options.sensors,
      ratePerSecond: options.ratePerSecond,
      timeScale: options.timeScale,
      seed,
      ...(options.lateReadings === false ? { lateProbability: 0 } : {}),
      startTime: lastEventTime === undefined ? undefined : Math.max(lastEventTime + 1, Date.now()),
    })
    cleanups.push(() => simulator.stop())

    const banner = bannerText({ dataDir, dbPath, dashboard, kafka, kafkaProblem, simulator, resumedFrom: restore?.id })
    log(banner)

    let statusTimer: NodeJS.Timeout | undefined
    if (options.statusIntervalMs !== undefined && options.statusIntervalMs > 0) {
      statusTimer = setInterval(() => log(statusLine(job, simulator, counts)), options.statusIntervalMs)
      statusTimer.unref()
    }

    let stopping: Promise<void> | undefined
    let failed: unknown
    let resolveStopped: () => void = () => {}
    const stopped = new Promise<void>((resolve) => (resolveStopped = resolve))
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        if (statusTimer !== undefined) clearInterval(statusTimer)
        await simulator.stop().catch(() => {})
        if (failed === undefined && job.metrics().status === 'running') {
          // Commit what is computed so far; what comes after is recomputed by the next run.
          await job.checkpoint().catch((error: unknown) => log(`eddy: the last checkpoint failed (${(error as Error).message}); the next start resumes from checkpoint ${counts.lastCheckpoint ?? 'none'}`))
        }
        await unwind()
      })().finally(resolveStopped)
      return stopping
    }
    // The job and the simulator run until stop(); if either ends first, something failed: stop the app.
    const watch = (what: string, settled: Promise<unknown>) =>
      settled.then(
        () => {
          if (stopping === undefined) {
            failed ??= new Error(`the ${what} ended unexpectedly`)
            void stop()
          }
        },
        (error: unknown) => {
          if (stopping === undefined) {
            failed ??= error
            void stop()
          }
        },
      )
    void watch('job', job.done)
    void watch('simulator', simulator.done)
    const done = stopped.then(() => {
      if (failed !== undefined) throw failed
    })
    done.catch(() => {})

    return {
      dataDir,
      dbPath,
      eddy,
      dashboard,
      kafka,
      job,
      simulator,
      resumedFrom: restore?.id,
      banner,
      stats: () => ({ ...counts }),
      stop,
      done,
    }
  } catch (error) {
    await unwind()
    throw error
  }
}

function bannerText(o: { dataDir: string; dbPath: string; dashboard: Dashboard; kafka: KafkaServer | undefined; kafkaProblem: string | undefined; simulator: Simulator; resumedFrom: number | undefined }): string {
  const s = o.simulator.options
  const shown = (path: string) => {
    const rel = relative(process.cwd(), path)
    return rel === '' ? '.' : rel.startsWith('..') ? path : rel
  }
  const kafkaLine = o.kafka
    ? `  Kafka      ${o.kafka.advertised.host}:${o.kafka.advertised.port}    try: kcat -b ${o.kafka.advertised.host}:${o.kafka.advertised.port} -t ${ALERTS_TOPIC} -C`
    : `  Kafka      not served: ${o.kafkaProblem ?? 'disabled'}`
  const windowEvery = 60_000 / s.timeScale
  const windowText = windowEvery >= 1000 ? `${Number((windowEvery / 1000).toFixed(1))} s` : `${Math.round(windowEvery)} ms`
  return [
    '',
    'eddy IoT pipeline is running',
    `  dashboard  ${o.dashboard.url}`,
    kafkaLine,
    `  SQLite     ${shown(o.dbPath)}  (table sensor_minute: one row per sensor and minute)`,
    `  data       ${shown(o.dataDir)}  (${o.resumedFrom === undefined ? 'new: no checkpoint yet' : `resumed from checkpoint ${o.resumedFrom}`})`,
    `  sensors    ${s.sensors} simulated, ${s.ratePerSecond.toLocaleString('en-US')} readings/s to topic ${SENSORS_TOPIC}; event time runs ${s.timeScale}× wall time, so a one-minute window closes every ${windowText}`,
    'Ctrl-C stops cleanly; starting again resumes where it stopped.',
    '',
  ].join('\n')
}

function statusLine(job: JobHandle, simulator: Simulator, counts: { rowsCommitted: number; alerts: number; lastCheckpoint: number | undefined }): string {
  const m = job.metrics()
  const source = m.operators.find((o) => o.kind === 'source')
  const watermark = source && Number.isFinite(source.watermark) ? new Date(source.watermark).toISOString().slice(0, 16).replace('T', ' ') : '—'
  const time = new Date().toTimeString().slice(0, 8)
  return `[${time}] readings sent ${simulator.stats().produced.toLocaleString('en-US')}, read ${(source?.recordsOut ?? 0).toLocaleString('en-US')} · rows committed ${counts.rowsCommitted.toLocaleString('en-US')} (checkpoint ${counts.lastCheckpoint ?? '—'}) · alerts ${counts.alerts.toLocaleString('en-US')} · event time ${watermark}`
}

/** The seed kept in `path`, or a new one written there. */
function keptSeed(path: string): number {
  try {
    const seed = (JSON.parse(readFileSync(path, 'utf8')) as { seed?: unknown }).seed
    if (typeof seed === 'number' && Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32) return seed
  } catch {
    // missing or unreadable: a new seed
  }
  const seed = Math.floor(Math.random() * 2 ** 32)
  writeFileSync(path, `${JSON.stringify({ seed })}\n`)
  return seed
}
