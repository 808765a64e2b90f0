// One life of the soak's job, as its own process: `node --import tsx
// src/soak/child.ts <dataDir> <paceRecordsPerSecond> <checkpointIntervalMs>`.
// It opens the embedded Eddy on the data directory, restores the last
// checkpoint committed to <dataDir>/soak.db (if any), runs the job until its
// bounded input is done, and exits 0. The soak kills it with SIGKILL at any
// moment; the next life carries on from the last committed checkpoint.
//
// Lines on stdout tell the soak where it got to: `ready <checkpoint id|none>`
// once the job runs, `done` at the end.
import { join } from 'node:path'
import { Eddy } from '../eddy.js'
import { readSqliteCheckpoint } from '../connect/sqlite-upsert.js'
import { startJob } from '../runtime/run-job.js'
import soakJob, { TABLE } from './job.js'
import { DB_FILE } from './child-constants.js'

async function main(argv: string[]): Promise<void> {
  const [dataDir, paceText, intervalText] = argv
  const pace = Number(paceText)
  const checkpointIntervalMs = Number(intervalText)
  if (!dataDir || !Number.isFinite(pace) || pace < 0 || !Number.isFinite(checkpointIntervalMs) || checkpointIntervalMs <= 0) {
    throw new Error(`usage: child.ts <dataDir> <paceRecordsPerSecond ≥ 0> <checkpointIntervalMs > 0>, got ${JSON.stringify(argv)}`)
  }
  const dbPath = join(dataDir, DB_FILE)
  const eddy = await Eddy.open({ dataDir })
  try {
    const restore = await readSqliteCheckpoint(dbPath, TABLE)
    const job = await startJob(soakJob, { eddy, executor: 'inline', params: { dbPath, paceRecordsPerSecond: pace }, checkpointIntervalMs, ...(restore ? { restore } : {}) })
    process.stdout.write(`ready ${restore?.id ?? 'none'}\n`)
    await job.done
  } finally {
    await eddy.close()
  }
  process.stdout.write('done\n')
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`soak child: ${(error as Error)?.stack ?? String(error)}\n`)
    process.exit(1)
  },
)
