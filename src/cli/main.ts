// The `eddy` command line. Until the IoT pipeline lands, `eddy demo` (what
// `npm start` runs) shows the Wasm core at work on a simulated sensor stream.
import { runSketchDemo } from './demo.js'

const USAGE = `usage: eddy <command>

commands:
  demo       run the sketch demo on a simulated sensor stream (what npm start runs)
  serve      serve the Kafka protocol (eddy serve --help)
  help       show this text`

export async function main(argv: string[]): Promise<number> {
  const [command] = argv
  switch (command) {
    case 'demo':
      await runSketchDemo({ readings: Number(process.env.EDDY_DEMO_READINGS ?? 200_000), dataDir: process.env.EDDY_DATA_DIR })
      return 0
    case 'serve':
      return (await import('./serve.js')).serve(argv.slice(1))
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE)
      return 0
    default:
      console.error(`eddy: unknown command "${command}"\n\n${USAGE}`)
      return 2
  }
}

process.exitCode = await main(process.argv.slice(2))
