// Proves the hash and sketch module works in a browser: the browser bundle
// (esbuild, platform 'browser', Wasm embedded) is served from a loopback HTTP
// server to Debian's headless Chromium, which runs the smoke checks in a page;
// the report must match the published vectors and the Node run.
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
const PAGE = '<!doctype html><meta charset="utf-8"><title>eddy smoke</title><script type="module" src="/smoke.js"></script>\n'

let server: Server
let browser: Browser
let origin: string

beforeAll(async () => {
  const { code } = await buildBrowserBundle({ entry: join(here, 'fixtures', 'browser-main.ts') })
  if (code === undefined) throw new Error('the browser bundle came back empty')
  server = createServer((request, response) => {
    if (request.url === '/') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE)
    else if (request.url === '/smoke.js') response.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(code)
    else response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
})

afterAll(async () => {
  await browser?.close()
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
})

describe('portability: headless Chromium', () => {
  it('runs the smoke checks in a page and matches the published vectors and Node', async () => {
    const page = await browser.newPage()
    const pageErrors: string[] = []
    page.on('pageerror', (error) => pageErrors.push(error.message))
    await page.goto(`${origin}/`)
    await page.waitForFunction(() => typeof (globalThis as { eddySmoke?: unknown }).eddySmoke === 'function', undefined, { timeout: 30_000 })
    const report = (await page.evaluate(() => (globalThis as unknown as { eddySmoke: () => unknown }).eddySmoke())) as SmokeReport
    expect(pageErrors).toEqual([])
    await expectSmokeReport(report)
    await page.close()
  })
})
