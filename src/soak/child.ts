// One life of the soak's job, as its own process: `node --import tsx
// src/soak/child.ts <dataDir> <settings as JSON>` (LifeSettings in
// child-constants.ts). It opens the embedded Eddy on the data directory and
// runs the job with the settings' guarantee ('exactly-once'; 'at-least-once'
// shows what the soak reports when the sinks are not exactly-once) and
// parallelism, and a checkpoint store in <dataDir>/checkpoints:
// the job resumes from the newest complete checkpoint there (if any), the
// sinks recover what that checkpoint had prepared, and the job runs until its
// bounded input is done; then the process exits 0. The soak kills it with
// SIGKILL at any moment; the next life carries on from the newest complete
// checkpoint.
//
// Lines on stdout tell the soak where it got to: `ready <checkpoint id|none>`
// once the job runs, `done` at the end.
import { join } from 'node:path'
import { Eddy } from '../eddy.js'
import { CheckpointStore } from '../runtime/checkpoint-store.js'
import { startJob } from '../runtime/run-job.js'
import soakJob from './job.js'
import { CHECKPOINTS_DIR, DB_FILE, checkLifeSettings } from './child-constants.js'

async function main(argv: string[]): Promise<void> {
  const [dataDir, settingsText] = argv
  if (!dataDir || settingsText === undefined) throw new Error(`usage: child.ts <dataDir> <settings JSON>, got ${JSON.stringify(argv)}`)
  const { pace, checkpointIntervalMs, guarantee, parallelism } = checkLifeSettings(JSON.parse(settingsText))
  const dbPath = join(dataDir, DB_FILE)
  const eddy = await Eddy.open({ dataDir })
  try {
    const checkpoints = join(dataDir, CHECKPOINTS_DIR)
    // Only to say where this life resumes from; startJob finds the same checkpoint itself (resume: 'latest').
    const resumeFrom = await (await CheckpointStore.open({ dir: checkpoints, log: () => {} })).latest()
    const job = await startJob(soakJob, {
      eddy,
      parallelism,
      executor: parallelism > 1 ? 'workers' : 'inline',
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
