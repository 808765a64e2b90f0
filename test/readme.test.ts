// Proves every TypeScript example in README.md runs as written: each ```ts block
// is extracted, pointed at this checkout instead of the 'eddy' package, and run.
import { describe, expect, it } from 'vitest'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1])
const workDir = join(root, '.readme-examples')
const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs')

describe('README examples', () => {
  it('has examples to run', () => {
    expect(blocks.length).toBeGreaterThan(3)
  })
  it.each(blocks.map((code, i) => [i + 1, code] as const))('example %d runs', (index, code) => {
    mkdirSync(workDir, { recursive: true })
    const file = join(workDir, `example-${index}.ts`)
    writeFileSync(file, code.replaceAll("from 'eddy'", `from '${join(root, 'src', 'index.ts')}'`))
    const output = execFileSync(process.execPath, [tsx, file], { cwd: root, encoding: 'utf8', timeout: 60_000 })
    expect(typeof output).toBe('string')
  })
})
