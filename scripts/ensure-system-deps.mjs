#!/usr/bin/env node
// Installs the Debian packages the integration tests drive (Chromium for the
// browser smoke test) when they are missing, so `npm test` works on a fresh
// machine. Does nothing when they are present.
import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const packages = [{ name: 'chromium', probe: '/usr/bin/chromium' }]
const missing = packages.filter((p) => !existsSync(p.probe)).map((p) => p.name)
if (missing.length > 0) {
  const sudo = process.getuid && process.getuid() !== 0 ? 'sudo ' : ''
  console.log(`installing Debian packages for the integration tests: ${missing.join(' ')}`)
  execSync(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`, {
    stdio: 'inherit',
  })
}
