// `npm run bench -- <suite> [<suite> ...]`: runs bench/suites/<suite>.ts, each of
// which exports `run(): Promise<BenchRow[]>`, prints the ratios and records them.
import { readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { printRows, recordResults, type BenchRow } from './lib.js'

const suitesDir = join(dirname(fileURLToPath(import.meta.url)), 'suites')
const available = readdirSync(suitesDir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3))
const requested = process.argv.slice(2)
if (requested.length === 0) {
  console.error(`usage: npm run bench -- <suite>...\nsuites: ${available.join(', ')}`)
  process.exit(2)
}
for (const suite of requested) {
  if (!available.includes(suite)) {
    console.error(`unknown bench suite "${suite}"; suites: ${available.join(', ')}`)
    process.exit(2)
  }
}
for (const suite of requested) {
  const mod = (await import(join(suitesDir, `${suite}.ts`))) as { run(): Promise<BenchRow[]> }
  const rows = await mod.run()
  printRows(suite, rows)
  recordResults(suite, rows, `npm run bench -- ${suite}`)
}
