// The IoT app end to end in a browser: startIotApp on a temporary data
// directory (dashboard and Kafka on free ports), the dashboard opened in
// Debian's headless Chromium (playwright-core). The IoT charts and numbers
// must change over the WebSocket as the job publishes, the job's operators
// show up, kcat reads the alerts from the Kafka port, and a screenshot is left
// in test/artifacts/iot-dashboard.png.
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startIotApp, type IotApp } from '../../src/iot/app.js'
import { launchChromium } from '../browser.js'

const here = dirname(fileURLToPath(import.meta.url))
const ARTIFACTS = join(here, '..', 'artifacts')
const WAIT_MS = 20_000
const exec = promisify(execFile)

describe('the IoT dashboard in headless Chromium', () => {
  let dataDir: string
  let app: IotApp
  let browser: Browser
  const lines: string[] = []

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'eddy-iot-ui-'))
    app = await startIotApp({ dataDir, port: 0, kafkaPort: 0, seed: 7, log: (line) => lines.push(line) })
    browser = await launchChromium()
  })

  afterAll(async () => {
    await browser?.close()
    await app?.stop()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  async function changes(page: Page, what: string, read: () => Promise<string>): Promise<[string, string]> {
    const before = await read()
    const deadline = Date.now() + WAIT_MS
    for (;;) {
      const now = await read()
      if (now !== before && now !== '') return [before, now]
      if (Date.now() > deadline) throw new Error(`${what} stayed at ${JSON.stringify(before.slice(0, 80))} for ${WAIT_MS} ms`)
      await page.waitForTimeout(100)
    }
  }

  it('shows the IoT charts and numbers changing as the pipeline runs', async () => {
    expect(lines.join('\n')).toContain(app.dashboard.url)
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } })
    const problems: string[] = []
    page.on('pageerror', (error) => problems.push(`uncaught ${error.message}`))
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`)
    })
    try {
      await page.goto(app.dashboard.url)
      await page.locator('#status', { hasText: /^connected$/ }).waitFor({ timeout: WAIT_MS })
      await page.locator('#iot-empty').waitFor({ state: 'hidden', timeout: WAIT_MS })

      const text = (selector: string) => () => page.locator(selector).first().textContent({ timeout: WAIT_MS }).then((t) => t ?? '')
      const canvas = (selector: string) => () => page.locator(selector).first().evaluate((c) => (c as HTMLCanvasElement).toDataURL(), undefined, { timeout: WAIT_MS })

      // The charts redraw as windows close (one event-time minute a second).
      await changes(page, 'the averages chart', canvas('#chart-averages canvas'))
      await changes(page, 'the distinct-sensors chart', canvas('#chart-distinct canvas'))
      // The numbers: a sensor's latest average, the alert count, the top-k counts.
      await changes(page, 'the latest average', text('#averages-latest [data-metric="sensor-average"]'))
      await changes(page, 'the alert count', text('#alert-count'))
      await changes(page, 'the noisiest sensors', text('#topk'))
      expect(Number((await text('#distinct-now')()).replace(/[^\d]/g, ''))).toBeGreaterThan(30)
      expect(await page.locator('#alerts li').count()).toBeGreaterThan(0)
      expect(await page.locator('#chart-averages .u-series').count()).toBeGreaterThan(1)

      // The job itself: its operators and their counts.
      const job = '#job-body .job[data-job="iot"]'
      await changes(page, 'the job source count', text(`${job} tr[data-operator="0"] [data-metric="records-out"]`))
      expect(await page.locator(`${job} .flow .op`).count()).toBeGreaterThan(5)
      await page.locator(`${job} .checkpoint-table [data-metric="checkpoint-id"]`).first().waitFor({ timeout: WAIT_MS })

      // And the topics the pipeline writes.
      await changes(page, 'the sensors topic', text('#topic-table tr.topic[data-topic="sensors"] [data-metric="topic-records"]'))

      // The alerts are on the Kafka port too, as the banner says.
      const kafka = `${app.kafka!.advertised.host}:${app.kafka!.advertised.port}`
      expect(lines.join('\n')).toContain(`kcat -b ${kafka} -t alerts -C`)
      const { stdout } = await exec('kcat', ['-b', kafka, '-t', 'alerts', '-C', '-o', 'beginning', '-c', '1', '-q'], { timeout: WAIT_MS })
      expect(JSON.parse(stdout)).toMatchObject({ sensorId: expect.stringMatching(/^sensor-\d+$/), kind: expect.stringMatching(/^(range|anomaly|silent)$/) })

      mkdirSync(ARTIFACTS, { recursive: true })
      await page.screenshot({ path: join(ARTIFACTS, 'iot-dashboard.png'), fullPage: true })
      expect(problems).toEqual([])
    } finally {
      await page.close()
    }
  }, 90_000)
})
