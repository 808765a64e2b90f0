#!/usr/bin/env node
// Installs the Deno binary for the portability test into .cache/deno (outside
// the project's own dependencies) and prints its path. The `deno` npm package
// lists a binary package per platform; this machine's registry carries only
// the Linux x64 one, and a lock file entry for it would make `npm ci` fail on
// the missing others — so Deno is installed here, on demand, instead.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const DENO_VERSION = '2.9.6'
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const prefix = join(root, '.cache', 'deno')
const binary = join(prefix, 'node_modules', '.bin', 'deno')

export function ensureDeno() {
  if (!existsSync(binary)) {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    execFileSync(npm, ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `deno@${DENO_VERSION}`], { stdio: ['ignore', 'ignore', 'inherit'] })
  }
  if (!existsSync(binary)) throw new Error(`installing deno@${DENO_VERSION} into ${prefix} did not produce ${binary}`)
  return binary
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(ensureDeno())
