// `npm run soak -- --cycles N [--seed S] [--records R] [--guarantee G] [--keep]`:
// the crash soak (soak.ts). Prints its progress and a report; exits 1 when
// the committed outputs differ from the failure-free run, 2 on a usage error.
import { formatSoakResult, runSoak, type SoakOptions } from './soak.js'

const USAGE = 'usage: npm run soak -- [--cycles N (default 20)] [--seed S (default 1)] [--records R (default 12000)] [--guarantee exactly-once|at-least-once] [--parallelism P (default 1)] [--kill-min-ms A (default 150)] [--kill-max-ms B (default 600)] [--dir D] [--keep] [--quiet]'

function parse(argv: string[]): SoakOptions & { quiet: boolean } {
  const options: SoakOptions & { quiet: boolean } = { cycles: 20, quiet: false }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const number = () => {
      const text = argv[++i]
      const value = Number(text)
      if (text === undefined || text === '' || !Number.isSafeInteger(value) || value < 0) throw new UsageError(`${flag} needs a non-negative integer, got ${text === undefined ? 'nothing' : JSON.stringify(text)}`)
      return value
    }
    switch (flag) {
      case '--cycles':
        options.cycles = number()
        break
      case '--seed':
        options.seed = number()
        break
      case '--records':
        options.records = number()
        break
      case '--parallelism':
        options.parallelism = number()
        break
      case '--kill-min-ms':
        options.killDelayMinMs = number()
        break
      case '--kill-max-ms':
        options.killDelayMaxMs = number()
        break
      case '--dir':
        options.dir = argv[++i]
        if (!options.dir) throw new UsageError('--dir needs a directory')
        break
      case '--guarantee': {
        const guarantee = argv[++i]
        if (guarantee !== 'exactly-once' && guarantee !== 'at-least-once') throw new UsageError(`--guarantee must be exactly-once or at-least-once, got ${guarantee === undefined ? 'nothing' : JSON.stringify(guarantee)}`)
        options.guarantee = guarantee
        break
      }
      case '--keep':
        options.keep = true
        break
      case '--quiet':
        options.quiet = true
        break
      default:
        throw new UsageError(`unknown option ${JSON.stringify(flag)}`)
    }
  }
  return options
}

class UsageError extends Error {}

async function main(): Promise<number> {
  let options: SoakOptions & { quiet: boolean }
  try {
    options = parse(process.argv.slice(2))
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(`soak: ${error.message}\n${USAGE}`)
    return 2
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
