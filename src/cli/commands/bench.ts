// `eddy bench <suite>...`: runs `tsx bench/run.ts <suite>...` (what `npm run
// bench -- <suite>` runs) from the package root and passes its exit code on.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runCommand } from '../args.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const RUNNER = join(ROOT, 'bench', 'run.ts')

function suites(): string[] {
  try {
    return readdirSync(join(ROOT, 'bench', 'suites'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.slice(0, -3))
      .sort()
  } catch {
    return []
  }
}

export function benchUsage(): string {
  const available = suites()
  return `usage: eddy bench <suite> [<suite>...]

Runs benchmark suites, each beside a peer measured in the same run, prints the
ratios and records them in bench/results (the same as npm run bench -- <suite>).
The exit code is the benchmark runner's.

suites: ${available.length > 0 ? available.join(', ') : '(none found: bench/ ships with the source checkout)'}

options:
  -h, --help    show this text

example:
  eddy bench hashing`
}

export function bench(argv: readonly string[]): Promise<number> {
  return runCommand(
    {
      name: 'bench',
      usage: benchUsage(),
      options: {},
      positionals: 'any',
      async run(args) {
        if (args.positionals.length === 0) {
          process.stderr.write(`eddy bench: name a suite\n\n${benchUsage()}\n`)
          return 2
        }
        return runSuites(args.positionals)
      },
    },
    argv,
  )
}

function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx')
  } catch {
    return 'tsx'
  }
}

function runSuites(names: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', tsxLoader(), RUNNER, ...names], { cwd: ROOT, stdio: 'inherit' })
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    process.on('SIGINT', forward)
    process.on('SIGTERM', forward)
    child.once('error', (error) => reject(new Error(`cannot start the benchmark runner: ${error.message}`)))
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward)
      process.off('SIGTERM', forward)
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1))
    })
  })
}
