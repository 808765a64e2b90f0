#!/usr/bin/env node
// Installs the Debian packages the integration tests drive (Chromium for the
// browser smoke test; kcat and the Python Kafka clients, with the codecs
// kafka-python needs, for the Kafka protocol tests) when they are missing, so
// `npm test` works on a fresh machine. Does nothing when they are present.
import { execSync } from 'node:child_process'
import { existsSync } from 'node:fs'

const pythonModule = (path) => `/usr/lib/python3/dist-packages/${path}`
const packages = [
  { name: 'chromium', probe: '/usr/bin/chromium' },
  { name: 'kcat', probe: '/usr/bin/kcat' },
  { name: 'python3-kafka', probe: pythonModule('kafka/__init__.py') },
  { name: 'python3-confluent-kafka', probe: pythonModule('confluent_kafka/__init__.py') },
  { name: 'python3-snappy', probe: pythonModule('snappy/__init__.py') },
  { name: 'python3-lz4', probe: pythonModule('lz4/__init__.py') },
  { name: 'python3-zstandard', probe: pythonModule('zstandard/__init__.py') },
]
const missing = packages.filter((p) => !existsSync(p.probe)).map((p) => p.name)
if (missing.length > 0) {
  const sudo = process.getuid && process.getuid() !== 0 ? 'sudo ' : ''
  console.log(`installing Debian packages for the integration tests: ${missing.join(' ')}`)
  execSync(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(' ')}`, {
    stdio: 'inherit',
  })
}
