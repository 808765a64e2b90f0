#!/usr/bin/env node
// The `eddy` command: registers tsx so the TypeScript sources run directly.
import { register } from 'tsx/esm/api'

register()
await import('../src/cli/main.ts')
