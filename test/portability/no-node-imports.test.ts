// Proves the portable core (the Wasm loader and wrappers, hashes and sketches)
// uses nothing from Node, and the package root only behind a lazy import: no
// `node:` or bare built-in import and no Buffer/process global anywhere the
// core reaches, no `node:` import the root reaches statically, and esbuild
// bundles both for the browser (where a Node built-in is an error) with any
// Node built-in of the root's confined to chunks loaded only on demand.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { buildBrowserBundle } from '../../scripts/build-browser-bundle.mjs'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const CORE_ROOTS = ['src/wasm', 'src/sketch', 'src/hash.ts', 'src/stream']
const PACKAGE_ROOT = 'src/index.ts'
const nodeBuiltins = new Set(builtinModules)

interface Import {
  specifier: string
  lazy: boolean
}

/** Module specifiers a TypeScript source imports, re-exports, dynamically imports (lazy) or requires. */
function importsOf(source: string): Import[] {
  const eager = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ]
  const found = eager.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => ({ specifier: match[1], lazy: false })))
  return found.concat([...source.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)].map((match) => ({ specifier: match[1], lazy: true })))
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

/** `starts` plus every source they reach through relative imports (lazy ones too, if `followLazy`). */
function reachableSources(starts: string[], followLazy: boolean): string[] {
  const pending = starts.flatMap((path) => tsFilesUnder(join(root, path)))
  const seen = new Set<string>()
  while (pending.length > 0) {
    const file = pending.pop() as string
    if (seen.has(file)) continue
    seen.add(file)
    for (const { specifier, lazy } of importsOf(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.') && (followLazy || !lazy)) pending.push(resolve(dirname(file), specifier).replace(/\.js$/, '.ts'))
    }
  }
  return [...seen].sort()
}

function nodeImportsIn(files: string[], { lazyAllowed }: { lazyAllowed: boolean }): string[] {
  return files.flatMap((file) =>
    importsOf(readFileSync(file, 'utf8'))
      .filter(({ specifier, lazy }) => isNodeBuiltin(specifier) && !(lazy && lazyAllowed))
      .map(({ specifier }) => `${relative(root, file)} imports ${specifier}`),
  )
}

const scratch = mkdtempSync(join(tmpdir(), 'eddy-bundle-'))
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function scratchEntry(name: string, source: string): string {
  const path = join(scratch, name)
  writeFileSync(path, source)
  return path
}

describe('portability: no Node built-ins in the portable core', () => {
  it('the scan finds every kind of import, tells lazy from eager, and knows node: and bare built-ins apart from packages', () => {
    const source = [
      "import { readFileSync } from 'node:fs'",
      "import type { X } from './x.js'",
      "export * from './y.js'",
      "import 'path'",
      "const w = require('@assemblyscript/loader')",
      "const z = await import('crypto')",
    ].join('\n')
    expect(importsOf(source)).toEqual([
      { specifier: 'node:fs', lazy: false },
      { specifier: './x.js', lazy: false },
      { specifier: './y.js', lazy: false },
      { specifier: 'path', lazy: false },
      { specifier: '@assemblyscript/loader', lazy: false },
      { specifier: 'crypto', lazy: true },
    ])
    expect(['node:fs', 'path', 'crypto', 'fs/promises', '@assemblyscript/loader', './x.js'].map(isNodeBuiltin)).toEqual([true, true, true, true, false, false])
  })

  it('the core and everything it imports, even lazily, use no Node built-in and no Buffer or process global', () => {
    const files = reachableSources(CORE_ROOTS, true)
    expect(files.map((f) => relative(root, f))).toEqual(expect.arrayContaining(['src/hash.ts', 'src/wasm/core.ts', 'src/wasm/load.ts', 'src/sketch/bloom.ts']))
    const offences = nodeImportsIn(files, { lazyAllowed: false })
    for (const file of files) {
      for (const match of stripComments(readFileSync(file, 'utf8')).matchAll(/(?<![\w'"\/.-])(Buffer|process)\s*\./g)) {
        offences.push(`${relative(root, file)} uses the Node global ${match[1]}`)
      }
    }
    expect(offences).toEqual([])
  })

  it('the package root and everything it imports statically use no Node built-in (Node-only parts load lazily)', () => {
    const files = reachableSources([PACKAGE_ROOT], false)
    expect(files.map((f) => relative(root, f))).toEqual(expect.arrayContaining(['src/index.ts', 'src/hash.ts']))
    expect(nodeImportsIn(files, { lazyAllowed: true })).toEqual([])
  })

  it('esbuild bundles the core (hashes and all seven sketches) for the browser with no Node built-in at all', async () => {
    const core = await buildBrowserBundle({ entry: join(root, 'test', 'portability', 'fixtures', 'portable-core.ts') })
    expect(core.lazyNodeImports).toEqual([])
    expect(core.files.find((f) => f.path === core.entryFile)?.text).toContain('WebAssembly')
  })

  it('esbuild bundles the package root for the browser with Node built-ins only in lazily loaded chunks', async () => {
    const bundle = await buildBrowserBundle({ lazyNodeImports: true })
    expect(bundle.inputs.some((input) => input.endsWith('src/index.ts'))).toBe(true)
    expect(bundle.files.some((f) => f.path === bundle.entryFile)).toBe(true)
  })

  it('the bundle check refuses a node: import at start-up, and strict builds refuse even a lazy one', async () => {
    const eager = scratchEntry('eager.ts', "import { readFileSync } from 'node:fs'\nexport const f = readFileSync\n")
    const lazy = scratchEntry('lazy.ts', "export const load = () => import('node:fs')\n")
    await expect(buildBrowserBundle({ entry: eager })).rejects.toThrow(/node:fs/)
    await expect(buildBrowserBundle({ entry: eager, lazyNodeImports: true })).rejects.toThrow(/loads Node built-ins at start-up: node:fs/)
    await expect(buildBrowserBundle({ entry: lazy })).rejects.toThrow(/node:fs/)
    expect((await buildBrowserBundle({ entry: lazy, lazyNodeImports: true })).lazyNodeImports).toEqual(['node:fs'])
  })
})
