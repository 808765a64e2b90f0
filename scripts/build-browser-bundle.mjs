#!/usr/bin/env node
// Bundles eddy for browsers as ES modules: `node scripts/build-browser-bundle.mjs
// [entry] [outdir]` (default src/index.ts → build/browser/, entry file eddy.js).
//
// Platform 'browser' makes esbuild refuse any Node built-in. The package root
// loads its Node-only parts (the fs storage) with a dynamic import behind a
// runtime check, so for it `lazyNodeImports: true` marks `node:*` external and
// splits those parts into chunks that only a Node-only code path ever loads;
// the build still fails if a `node:` import is reachable from the entry without
// crossing a dynamic import. Our Wasm is embedded, and top-level await (its
// load) is kept, which ES modules allow. esbuild comes with tsx.
import { build } from 'esbuild'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Bundles `entry` into `outdir` (written when `write` is true, else returned
 * in `files`). Throws with esbuild's messages, or with the list of
 * eagerly reachable `node:` imports, if the bundle would not load in a browser.
 */
export async function buildBrowserBundle({
  entry = join(root, 'src', 'index.ts'),
  outdir = join(root, 'build', 'browser'),
  entryName = 'eddy',
  lazyNodeImports = false,
  write = false,
} = {}) {
  const result = await build({
    entryPoints: { [entryName]: entry },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    splitting: true,
    outdir,
    chunkNames: 'chunks/[name]-[hash]',
    external: lazyNodeImports ? ['node:*'] : [],
    write,
    metafile: true,
    logLevel: 'silent',
  })
  const outputs = result.metafile.outputs
  const entryOutput = Object.keys(outputs).find((path) => outputs[path].entryPoint !== undefined)
  const eager = eagerNodeImports(outputs, entryOutput)
  if (eager.length > 0) throw new Error(`the browser bundle of ${entry} loads Node built-ins at start-up: ${eager.join(', ')}`)
  const lazy = Object.values(outputs).flatMap((output) => output.imports.filter((i) => i.external && i.path.startsWith('node:')).map((i) => i.path))
  return {
    entryFile: relative(outdir, resolve(entryOutput)),
    outputs: Object.keys(outputs).map((path) => relative(outdir, resolve(path))),
    files: result.outputFiles?.map((file) => ({ path: relative(outdir, file.path), text: file.text })) ?? [],
    inputs: Object.keys(result.metafile.inputs),
    lazyNodeImports: [...new Set(lazy)].sort(),
  }
}

/** `node:` imports reachable from the entry chunk through static imports only. */
function eagerNodeImports(outputs, entryOutput) {
  const found = new Set()
  const seen = new Set()
  const pending = [entryOutput]
  while (pending.length > 0) {
    const path = pending.pop()
    if (seen.has(path)) continue
    seen.add(path)
    for (const imported of outputs[path]?.imports ?? []) {
      if (imported.kind === 'dynamic-import') continue
      if (imported.external) {
        if (imported.path.startsWith('node:')) found.add(`${imported.path} (from ${path})`)
      } else pending.push(imported.path)
    }
  }
  return [...found].sort()
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const entry = process.argv[2] ? resolve(process.argv[2]) : undefined
  const outdir = resolve(process.argv[3] ?? join(root, 'build', 'browser'))
  const { entryFile, outputs, lazyNodeImports } = await buildBrowserBundle({ entry, outdir, lazyNodeImports: true, write: true })
  console.log(`bundled into ${join(outdir, entryFile)} (+${outputs.length - 1} chunks); Node built-ins only in lazily loaded chunks: ${lazyNodeImports.join(', ') || 'none'}`)
}
