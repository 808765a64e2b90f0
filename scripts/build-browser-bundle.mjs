#!/usr/bin/env node
// Bundles the portable core (hashes and sketches, Wasm embedded) into one ES
// module for browsers: `node scripts/build-browser-bundle.mjs [entry] [outfile]`
// (default src/index.ts → build/browser/eddy.js). Platform 'browser' makes
// esbuild refuse any Node built-in, so a clean build is itself the proof that
// the bundled code needs nothing from `node:`. Top-level await (the Wasm load)
// is kept, which ES modules allow. esbuild comes with tsx.
import { build } from 'esbuild'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * Bundles `entry`; with `outfile` writes it, without returns the code in memory.
 * Throws with esbuild's messages (e.g. a `node:` import) if the bundle cannot be built.
 */
export async function buildBrowserBundle({ entry = join(root, 'src', 'index.ts'), outfile } = {}) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022'],
    outfile: outfile ?? join(root, 'build', 'browser', 'bundle.js'),
    write: outfile !== undefined,
    metafile: true,
    logLevel: 'silent',
  })
  const code = outfile === undefined ? result.outputFiles[0].text : undefined
  return { code, inputs: Object.keys(result.metafile.inputs) }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const entry = process.argv[2] ? resolve(process.argv[2]) : undefined
  const outfile = resolve(process.argv[3] ?? join(root, 'build', 'browser', 'eddy.js'))
  const { inputs } = await buildBrowserBundle({ entry, outfile })
  console.log(`bundled ${inputs.length} modules into ${outfile}`)
}
