// `npm run soak -- --cycles N [--seed S] [--records R] [--guarantee G] [--keep]`:
// the crash soak (soak.ts). Prints its progress and a report; exits 1 when
// the committed outputs differ from the failure-free run, 2 on a usage error.
import { parseCommandArgs, UsageError, type OptionSpecs } from '../cli/args.js'
import { formatSoakResult, runSoak, type SoakOptions } from './soak.js'

const USAGE = 'usage: npm run soak -- [--cycles N (default 20)] [--seed S (default 1)] [--records R (default 12000)] [--guarantee exactly-once|at-least-once] [--parallelism P (default 1)] [--kill-min-ms A (default 150)] [--kill-max-ms B (default 600)] [--dir D] [--keep] [--quiet]'

const OPTIONS: OptionSpecs = {
  cycles: { type: 'string' },
  seed: { type: 'string' },
  records: { type: 'string' },
  parallelism: { type: 'string' },
  'kill-min-ms': { type: 'string' },
  'kill-max-ms': { type: 'string' },
  dir: { type: 'string' },
  guarantee: { type: 'string' },
  keep: { type: 'boolean' },
  quiet: { type: 'boolean' },
}

/** The options, or undefined for --help. */
function parse(argv: string[]): (SoakOptions & { quiet: boolean }) | undefined {
  const args = parseCommandArgs('soak', argv, OPTIONS)
  if (args.flag('help')) return undefined
  const guarantee = args.string('guarantee')
  if (guarantee !== undefined && guarantee !== 'exactly-once' && guarantee !== 'at-least-once') throw new UsageError(`--guarantee must be exactly-once or at-least-once, got ${JSON.stringify(guarantee)}`)
  const dir = args.string('dir')
  if (dir === '') throw new UsageError('--dir needs a directory')
  const nonNegative = { min: 0 }
  return {
    cycles: args.int('cycles', nonNegative) ?? 20,
    seed: args.int('seed', nonNegative),
    records: args.int('records', nonNegative),
    parallelism: args.int('parallelism', nonNegative),
    killDelayMinMs: args.int('kill-min-ms', nonNegative),
    killDelayMaxMs: args.int('kill-max-ms', nonNegative),
    dir,
    guarantee,
    keep: args.flag('keep'),
    quiet: args.flag('quiet'),
  }
}

async function main(): Promise<number> {
  let options: (SoakOptions & { quiet: boolean }) | undefined
  try {
    options = parse(process.argv.slice(2))
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(`soak: ${error.message}\n${USAGE}`)
    return 2
  }
  if (options === undefined) {
    console.log(USAGE)
    return 0
  }
  const result = await runSoak({ ...options, log: options.quiet ? undefined : (line) => console.log(line) })
  console.log(formatSoakResult(result))
  return result.identical ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`soak: ${(error as Error)?.stack ?? String(error)}`)
    process.exit(1)
  },
)
