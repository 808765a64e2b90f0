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
import { chromium, type Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildBrowserBundle } from '../../scripts/build-browser-bundle.mjs'
import { expectSmokeReport } from './expect-smoke.js'
import type { SmokeReport } from './fixtures/smoke.js'

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, '..', '..')
const CHROMIUM = '/usr/bin/chromium'
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]
const SMOKE_READY_TIMEOUT_MS = 30_000

/** path → [content type, body]; everything else is a 404. */
const routes = new Map<string, [string, string | Uint8Array]>()
let server: Server
let browser: Browser
let origin: string

async function addBundle(name: string, entry: string): Promise<void> {
  const { code } = await buildBrowserBundle({ entry: join(here, 'fixtures', entry) })
  if (code === undefined) throw new Error(`the ${name} bundle came back empty`)
  routes.set(`/${name}/smoke.js`, ['text/javascript; charset=utf-8', code])
  routes.set(`/${name}/`, ['text/html; charset=utf-8', `<!doctype html><meta charset="utf-8"><title>eddy ${name}</title><script type="module" src="smoke.js"></script>\n`])
}

beforeAll(async () => {
  await addBundle('core', 'browser-core.ts')
  await addBundle('root', 'browser-root.ts')
  routes.set('/favicon.ico', ['image/x-icon', new Uint8Array(0)])
  routes.set('/root/zstd.wasm', ['application/wasm', readFileSync(join(root, 'node_modules', '@bokuweb', 'zstd-wasm', 'dist', 'web', 'zstd.wasm'))])
  server = createServer((request, response) => {
    const route = routes.get(request.url ?? '')
    if (route === undefined) response.writeHead(404).end()
    else response.writeHead(200, { 'content-type': route[0] }).end(route[1])
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
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
