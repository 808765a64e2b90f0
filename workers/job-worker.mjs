// Piscina worker entry for stream jobs. Plain JavaScript so it loads in any
// Node process; it registers tsx in this thread so the runtime and the job
// module (TypeScript) can be imported, then hands over to runTask.
import { register } from 'tsx/esm/api'

register()
const { runTask } = await import('../src/runtime/worker-task.ts')

export default runTask
