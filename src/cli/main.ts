// The `eddy` command line: one dispatcher over the commands, each loaded only
// when it runs. (`npm start` runs the IoT pipeline, src/cli/start.ts; `eddy demo`
// is the older sketch demo.) Exit codes: 0 success, 1 a runtime failure, 2 a
// usage error.
import { closest } from './args.js'

const USAGE = `usage: eddy <command> [options]      (eddy <command> --help for each command's flags)

commands:
  topics       create, list, describe, alter and delete topics (kafka-topics.sh)
  produce      send lines from stdin or a file as records (kafka-console-producer.sh)
  consume      print records (kafka-console-consumer.sh, kcat -C)
  groups       list and describe consumer groups, reset their offsets (kafka-consumer-groups.sh)
  offsets      earliest, latest and by-time offsets of each partition
  partitions   partitions suggest: how many partitions a target throughput needs
  serve        serve the Kafka protocol for existing Kafka clients
  run          run job.ts, a stream processing job
  bench        run a benchmark suite (eddy bench <suite>)
  demo         the sketch demo: produce, consume and sketch a simulated sensor stream
  help         show this text

The data commands work on the embedded log in ./eddy-data (--data-dir DIR or
EDDY_DATA_DIR to change it), or on a running server with --bootstrap HOST:PORT.`

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  topics: async (args) => (await import('./commands/topics.js')).topics(args),
  produce: async (args) => (await import('./commands/produce.js')).produce(args),
  consume: async (args) => (await import('./commands/consume.js')).consume(args),
  groups: async (args) => (await import('./commands/groups.js')).groups(args),
  offsets: async (args) => (await import('./commands/offsets.js')).offsets(args),
  partitions: async (args) => (await import('./commands/partitions.js')).partitions(args),
  serve: async (args) => (await import('./serve.js')).serve(args),
  run: async (args) => (await import('./run.js')).run(args),
  bench: async (args) => (await import('./commands/bench.js')).bench(args),
  demo: async () => {
    const { runSketchDemo } = await import('./demo.js')
    await runSketchDemo({ readings: Number(process.env.EDDY_DEMO_READINGS ?? 200_000), dataDir: process.env.EDDY_DATA_DIR })
    return 0
  },
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      if (command === 'help' && args[0] !== undefined && args[0] in COMMANDS) return COMMANDS[args[0]]!(['--help'])
      console.log(USAGE)
      return 0
    case '--version':
    case '-V':
      console.log(await version())
      return 0
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined
  if (run === undefined) {
    const hint = closest(command, Object.keys(COMMANDS))
    console.error(`eddy: unknown command "${command}"${hint ? ` (did you mean "${hint}"?)` : ''}\n\n${USAGE}`)
    return 2
  }
  return run(args)
}

async function version(): Promise<string> {
  const { readFileSync } = await import('node:fs')
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return `eddy ${pkg.version}`
}

process.exitCode = await main(process.argv.slice(2))
// Every command closes what it opened; should a client library leave a timer or
// socket behind, the command has still finished: exit rather than hang.
setTimeout(() => process.exit(), 2000).unref()
