// One life of the soak's job, as its own process: `node --import tsx
// src/soak/child.ts <dataDir> <paceRecordsPerSecond> <checkpointIntervalMs>
// [guarantee]`. It opens the embedded Eddy on the data directory and runs the
// job with the guarantee (default 'exactly-once'; 'at-least-once' shows what
// the soak reports when the sinks are not exactly-once) and a checkpoint
// store in <dataDir>/checkpoints:
// the job resumes from the newest complete checkpoint there (if any), the
// SQLite sink recovers what that checkpoint had prepared, and the job runs
// until its bounded input is done; then the process exits 0. The soak kills
// it with SIGKILL at any moment; the next life carries on from the newest
// complete checkpoint.
//
// Lines on stdout tell the soak where it got to: `ready <checkpoint id|none>`
// once the job runs, `done` at the end.
import { join } from 'node:path'
import { Eddy } from '../eddy.js'
import { CheckpointStore } from '../runtime/checkpoint-store.js'
import { startJob } from '../runtime/run-job.js'
import soakJob from './job.js'
import { CHECKPOINTS_DIR, DB_FILE } from './child-constants.js'

async function main(argv: string[]): Promise<void> {
  const [dataDir, paceText, intervalText, guarantee = 'exactly-once'] = argv
  const pace = Number(paceText)
  const checkpointIntervalMs = Number(intervalText)
  if (!dataDir || !Number.isFinite(pace) || pace < 0 || !Number.isFinite(checkpointIntervalMs) || checkpointIntervalMs <= 0 || (guarantee !== 'exactly-once' && guarantee !== 'at-least-once')) {
    throw new Error(`usage: child.ts <dataDir> <paceRecordsPerSecond ≥ 0> <checkpointIntervalMs > 0> [exactly-once|at-least-once], got ${JSON.stringify(argv)}`)
  }
  const dbPath = join(dataDir, DB_FILE)
  const eddy = await Eddy.open({ dataDir })
  try {
    const checkpoints = join(dataDir, CHECKPOINTS_DIR)
    // Only to say where this life resumes from; startJob finds the same checkpoint itself (resume: 'latest').
    const resumeFrom = await (await CheckpointStore.open({ dir: checkpoints, log: () => {} })).latest()
    const job = await startJob(soakJob, {
      eddy,
      executor: 'inline',
      params: { dbPath, paceRecordsPerSecond: pace },
      guarantee,
      checkpoints: { dir: checkpoints, intervalMs: checkpointIntervalMs },
    })
    process.stdout.write(`ready ${resumeFrom?.content.id ?? 'none'}\n`)
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
