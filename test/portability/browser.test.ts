// Proves hashes and sketches work in a browser: browser bundles (esbuild,
// platform 'browser', our Wasm embedded) are served from a loopback HTTP server
// to Debian's headless Chromium, which runs the smoke checks in a page. The
// portable core's page gets nothing but its bundle; the package root's page
// also serves zstd.wasm, which @bokuweb/zstd-wasm's browser build fetches next
// to the bundle at import time. Each report must match the vectors and Node.
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBrowserBundle } from '../../scripts/build-browser-bundle.mjs'
import { expectSmokeReport } from './expect-smoke.js'
import type { SmokeReport } from './fixtures/smoke.js'
import { launchChromium } from '../browser.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const SMOKE_READY_TIMEOUT_MS = 30_000

/** path → [content type, body]; everything else is a 404. */
const routes = new Map<string, [string, string | Uint8Array]>()
let server: Server
let browser: Browser
let origin: string

/** Bundles a smoke entry and serves its files under /<name>/, with a page that loads it. */
async function addBundle(name: string, entry: string, lazyNodeImports: boolean): Promise<void> {
  const bundle = await buildBrowserBundle({ entry: join(here, 'fixtures', entry), entryName: 'smoke', lazyNodeImports })
  for (const file of bundle.files) routes.set(`/${name}/${file.path}`, ['text/javascript; charset=utf-8', file.text])
  const page = `<!doctype html><meta charset="utf-8"><title>eddy ${name}</title><script type="module" src="${bundle.entryFile}"></script>\n`
  routes.set(`/${name}/`, ['text/html; charset=utf-8', page])
}

beforeAll(async () => {
  await addBundle('core', 'browser-core.ts', false)
  // The root's Node-only storage sits behind a dynamic import; the page never loads that chunk.
  await addBundle('root', 'browser-root.ts', true)
  routes.set('/favicon.ico', ['image/x-icon', new Uint8Array(0)])
  // Beside whichever output file holds zstd's loader (the entry or a chunk).
  const zstdWasm = readFileSync(join(root, 'node_modules', '@bokuweb', 'zstd-wasm', 'dist', 'web', 'zstd.wasm'))
  for (const dir of ['/root/', '/root/chunks/']) routes.set(`${dir}zstd.wasm`, ['application/wasm', zstdWasm])
  server = createServer((request, response) => {
    const route = routes.get(request.url ?? '')
    if (route === undefined) response.writeHead(404).end()
    else response.writeHead(200, { 'content-type': route[0] }).end(route[1])
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await launchChromium()
})

afterAll(async () => {
  await browser?.close()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
})

/** Loads a page and runs its smoke checks; a script error or failed request fails at once, with its message. */
async function browserSmoke(name: string): Promise<SmokeReport> {
  const page = await browser.newPage()
  try {
    const problems: string[] = []
    let reportProblem: (problem: string) => void = () => {}
    const failed = new Promise<never>((_, reject) => (reportProblem = (problem) => reject(new Error(`${name} page: ${problem}`))))
    // A problem after the page is ready is caught by the `problems` check below, not as an unhandled rejection.
    failed.catch(() => {})
    const note = (problem: string) => {
      problems.push(problem)
      reportProblem(problem)
    }
    page.on('pageerror', (error) => note(`uncaught ${error.message}`))
    page.on('response', (response) => {
      if (response.status() >= 400) note(`${response.status()} for ${response.url()}`)
    })
    await page.goto(`${origin}/${name}/`)
    await Promise.race([
      page.waitForFunction(() => typeof (globalThis as { eddySmoke?: unknown }).eddySmoke === 'function', undefined, { timeout: SMOKE_READY_TIMEOUT_MS }),
      failed,
    ])
    const report = (await page.evaluate(() => (globalThis as unknown as { eddySmoke: () => unknown }).eddySmoke())) as SmokeReport
    expect(problems).toEqual([])
    return report
  } finally {
    await page.close()
  }
}

describe('portability: headless Chromium', () => {
  it('the portable core runs the smoke checks from its bundle alone and matches the vectors and Node', async () => {
    await expectSmokeReport(await browserSmoke('core'))
  })

  it('the package root runs them with zstd.wasm served beside the bundle and matches too', async () => {
    await expectSmokeReport(await browserSmoke('root'))
  })
})
