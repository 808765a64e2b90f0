// Proves the portable core (Wasm loader and wrappers, hashes, sketches, the
// package root and everything they import) uses nothing from Node: no `node:`
// or bare built-in imports and no Buffer/process globals in the sources, and
// esbuild can bundle the package root for the browser, where a Node built-in
// would be an error.
import { readdirSync, readFileSync, statSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { buildBrowserBundle } from '../../scripts/build-browser-bundle.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const PORTABLE_ROOTS = ['src/wasm', 'src/sketch', 'src/hash.ts', 'src/index.ts']
const nodeBuiltins = new Set(builtinModules)

/** Module specifiers a TypeScript source imports, re-exports, dynamically imports or requires. */
function importSpecifiers(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1]))
}

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || nodeBuiltins.has(specifier.split('/')[0])
}

/** Removes comments, so prose that mentions Buffer or process does not count. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1')
}

function tsFilesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path]
  return readdirSync(path).flatMap((name) => tsFilesUnder(join(path, name))).filter((file) => file.endsWith('.ts'))
}

/** The portable roots plus every source they reach through relative imports. */
function portableSources(): string[] {
  const pending = PORTABLE_ROOTS.flatMap((path) => tsFilesUnder(join(root, path)))
  const seen = new Set<string>()
  while (pending.length > 0) {
    const file = pending.pop() as string
    if (seen.has(file)) continue
    seen.add(file)
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'))
    }
  }
  return [...seen].sort()
}

describe('portability: no Node built-ins in the portable core', () => {
  it('finds every kind of import the scan relies on, and knows node: and bare built-ins apart from packages', () => {
    const source = [
      "import { readFileSync } from 'node:fs'",
      "import type { X } from './x.js'",
      "export * from './y.js'",
      "import 'path'",
      "const z = await import('crypto')",
      "const w = require('@assemblyscript/loader')",
    ].join('\n')
    expect(importSpecifiers(source)).toEqual(['node:fs', './x.js', './y.js', 'path', 'crypto', '@assemblyscript/loader'])
    expect(['node:fs', 'path', 'crypto', 'fs/promises', '@assemblyscript/loader', './x.js'].map(isNodeBuiltin)).toEqual([true, true, true, true, false, false])
  })

  it('the portable sources import no Node built-in and use no Buffer or process global', () => {
    const files = portableSources()
    expect(files.map((f) => relative(root, f))).toEqual(expect.arrayContaining(['src/index.ts', 'src/hash.ts', 'src/wasm/core.ts', 'src/wasm/load.ts']))
    const offences: string[] = []
    for (const file of files) {
      const source = readFileSync(file, 'utf8')
      for (const specifier of importSpecifiers(source)) if (isNodeBuiltin(specifier)) offences.push(`${relative(root, file)} imports ${specifier}`)
      for (const match of stripComments(source).matchAll(/\b(Buffer|process)\s*\./g)) offences.push(`${relative(root, file)} uses the Node global ${match[1]}`)
    }
    expect(offences).toEqual([])
  })

  it('esbuild bundles the package root for the browser, and the same build refuses a node: import', async () => {
    const { code, inputs } = await buildBrowserBundle()
    expect(code).toContain('WebAssembly')
    expect(inputs.some((input) => input.endsWith('src/index.ts'))).toBe(true)

    const dir = mkdtempSync(join(tmpdir(), 'eddy-bundle-'))
    try {
      const entry = join(dir, 'entry.ts')
      writeFileSync(entry, "import { readFileSync } from 'node:fs'\nexport const f = readFileSync\n")
      await expect(buildBrowserBundle({ entry })).rejects.toThrow(/node:fs/)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
