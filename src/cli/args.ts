// The command-line plumbing every `eddy` command shares: flags parsed by
// Node's `util.parseArgs` (strict), an unknown flag refused with the nearest
// valid one, typed accessors whose errors name the flag, and `runCommand`,
// which turns a command body into an exit code: 0 success, 1 a runtime
// failure, 2 a usage error (bad flag, missing or malformed value).
import { parseArgs } from 'node:util'
import { editDistance } from '../client/options.js'

/** Bad command-line input: the command prints it with a pointer to --help and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export interface OptionSpec {
  type: 'string' | 'boolean'
  short?: string
  multiple?: boolean
}

export type OptionSpecs = Record<string, OptionSpec>

/** Where a command works: the embedded data directory or a running server. */
export const TARGET_OPTIONS: OptionSpecs = {
  'data-dir': { type: 'string' },
  bootstrap: { type: 'string' },
  'bootstrap-server': { type: 'string' },
}

/** The help lines of --data-dir and --bootstrap, descriptions starting at `column`. */
export function targetHelp(column = 28): string {
  return [
    ['--data-dir DIR', 'the embedded log in DIR (default $EDDY_DATA_DIR, else ./eddy-data)'],
    ['--bootstrap HOST:PORT', 'a running server instead (eddy serve); --bootstrap-server works too'],
  ]
    .map(([flag, text]) => `  ${flag.padEnd(column - 2)}${text}`)
    .join('\n')
}

export const TARGET_HELP = targetHelp()

type Value = string | boolean | (string | boolean)[] | undefined

export class Args {
  constructor(
    readonly command: string,
    private readonly values: Record<string, Value>,
    readonly positionals: string[],
  ) {}

  has(name: string): boolean {
    return this.values[name] !== undefined
  }

  flag(name: string): boolean {
    return this.values[name] === true
  }

  string(name: string): string | undefined {
    const v = this.values[name]
    if (Array.isArray(v)) return v.length === 0 ? undefined : String(v[v.length - 1])
    return typeof v === 'string' ? v : undefined
  }

  require(name: string, hint = ''): string {
    const v = this.string(name)
    if (v === undefined || v === '') throw new UsageError(`--${name} is required${hint ? ` ${hint}` : ''}`)
    return v
  }

  list(name: string): string[] {
    const v = this.values[name]
    if (v === undefined) return []
    return (Array.isArray(v) ? v : [v]).map(String)
  }

  /** An integer flag within [min, max]; the error names the flag and the text given. */
  int(name: string, options: { min?: number; max?: number } = {}): number | undefined {
    const text = this.string(name)
    if (text === undefined) return undefined
    return parseInteger(text, `--${name}`, options)
  }
}

export function parseInteger(text: string, what: string, { min = -Number.MAX_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {}): number {
  const n = /^[+-]?\d+$/.test(text.trim()) ? Number(text) : Number.NaN
  if (!Number.isSafeInteger(n)) {
    const kind = min === 1 ? 'a positive integer' : min === 0 ? 'a non-negative integer' : 'an integer'
    throw new UsageError(`${what} takes ${kind}, got "${text}"`)
  }
  if (n < min || n > max) throw new UsageError(`${what} must be ${max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`}, got ${n}`)
  return n
}

/** A time as an ISO-8601 date (2024-05-01T12:00:00Z) or epoch milliseconds. */
export function parseTime(text: string, what: string): number {
  if (/^\d+$/.test(text)) return Number(text)
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) throw new UsageError(`${what} takes an ISO-8601 time (2024-05-01T12:00:00Z) or epoch milliseconds, got "${text}"`)
  return ms
}

/**
 * Parses `argv` against `options` (plus -h/--help) with util.parseArgs in
 * strict mode. A value starting with a dash after a string flag (`--shift-by
 * -5`) is taken as that flag's value.
 */
export function parseCommandArgs(command: string, argv: readonly string[], options: OptionSpecs, { positionals = 0 }: { positionals?: number | 'any' } = {}): Args {
  const all: OptionSpecs = { ...options, help: { type: 'boolean', short: 'h' } }
  const args = joinDashValues(argv, all)
  let parsed: { values: Record<string, Value>; positionals: string[] }
  try {
    parsed = parseArgs({ args, options: all, strict: true, allowPositionals: positionals !== 0 }) as typeof parsed
  } catch (error) {
    throw new UsageError(explainParseError(error as Error & { code?: string }, all))
  }
  if (typeof positionals === 'number' && parsed.positionals.length > positionals) {
    throw new UsageError(`unexpected argument "${parsed.positionals[positionals]}"`)
  }
  return new Args(command, parsed.values, parsed.positionals)
}

function joinDashValues(argv: readonly string[], options: OptionSpecs): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const name = arg.startsWith('--') ? arg.slice(2) : undefined
    const next = argv[i + 1]
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`)
      i++
    } else out.push(arg)
  }
  return out
}

function explainParseError(error: Error & { code?: string }, options: OptionSpecs): string {
  const message = error.message
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /Unknown option '([^']+)'/.exec(message)?.[1] ?? message
    const names = Object.keys(options).map((n) => `--${n}`)
    const suggestion = flag.startsWith('--') ? closest(flag.split('=')[0], names) : undefined
    return `unknown flag ${flag}${suggestion ? ` (did you mean ${suggestion}?)` : ''}`
  }
  if (error.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    let m = /Option '(-[^' ]+)(?: <value>)?' argument missing/.exec(message)
    if (m) return `${longName(m[1], options)} needs a value`
    m = /Option '(-[^' ]+)' argument is ambiguous/.exec(message)
    if (m) return `${longName(m[1], options)} needs a value (to give a value starting with "-", write ${longName(m[1], options)}=VALUE)`
    m = /Option '(-[^' ]+)' does not take an argument/.exec(message)
    if (m) return `${longName(m[1], options)} takes no value`
  }
  if (error.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const arg = /Unexpected argument '([^']*)'/.exec(message)?.[1]
    return arg === undefined ? message : `unexpected argument "${arg}"`
  }
  return message.split('\n')[0]
}

function longName(flag: string, options: OptionSpecs): string {
  const short = /^-([^-])$/.exec(flag)?.[1]
  if (short === undefined) return flag.split(/[ ,]/)[0]
  const name = Object.entries(options).find(([, spec]) => spec.short === short)?.[0]
  return name === undefined ? flag : `--${name}`
}

/** The candidate nearest to `word` by edit distance, when near enough to be a likely typo. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase())
    if (d < bestDistance) {
      bestDistance = d
      best = c
    }
  }
  // A prefix of a long flag (--from for --from-beginning) is a likely intent too.
  const prefixed = candidates.filter((c) => c.startsWith(word) && word.length >= 4)
  if (bestDistance > Math.max(2, Math.floor(word.length / 3)) && prefixed.length === 1) return prefixed[0]
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined
}


/** Exactly one of `names` must be set; returns it (usage error naming them otherwise). */
export function oneOf(args: Args, names: readonly string[], what: string): string {
  const given = names.filter((n) => args.has(n))
  if (given.length === 0) throw new UsageError(`${what}: give one of ${names.map((n) => `--${n}`).join(', ')}`)
  if (given.length > 1) throw new UsageError(`${given.map((n) => `--${n}`).join(' and ')} cannot be used together`)
  return given[0]
}

/** Refuses flags that do not apply to the chosen action. */
export function refuse(args: Args, names: readonly string[], context: string): void {
  for (const n of names) if (args.has(n)) throw new UsageError(`--${n} does not apply to ${context}`)
}

export interface CommandDefinition {
  name: string
  usage: string
  options: OptionSpecs
  positionals?: number | 'any'
  run(args: Args): Promise<number>
}

/**
 * Parses, shows --help, runs, and maps failures to exit codes: a UsageError
 * prints the message and a pointer to --help (2), any other error its message (1).
 */
export async function runCommand(definition: CommandDefinition, argv: readonly string[]): Promise<number> {
  const prefix = `eddy ${definition.name}`
  try {
    const args = parseCommandArgs(definition.name, argv, definition.options, { positionals: definition.positionals })
    if (args.flag('help')) {
      process.stdout.write(`${definition.usage}\n`)
      return 0
    }
    return await definition.run(args)
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${prefix}: ${error.message}\nrun "${prefix} --help" for usage\n`)
      return 2
    }
    process.stderr.write(`${prefix}: ${describeError(error)}\n`)
    if (process.env.EDDY_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
    return 1
  }
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    // A KafkaError reads "UNKNOWN_TOPIC_OR_PARTITION: unknown topic "x"": the detail is what a user needs.
    const type = (error as { type?: unknown }).type
    if (error.name === 'KafkaError' && typeof type === 'string' && error.message.startsWith(`${type}: `)) return error.message.slice(type.length + 2)
    return error.message || error.name
  }
  return String(error)
}

/** Left-aligned columns separated by at least two spaces, as Kafka's tools print them. */
export function formatTable(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [header, ...rows.map((r) => r.map(String))]
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n')
}

/**
 * Writes to stdout and waits while its buffer is full (backpressure); also
 * resolves when stdout fails or closes (a reader like `| head` went away).
 */
export function writeOut(text: string): Promise<void> {
  return new Promise((resolve) => {
    const out = process.stdout
    if (out.destroyed || out.writableEnded) return resolve()
    if (out.write(text)) return resolve()
    const done = () => {
      out.off('drain', done)
      out.off('error', done)
      out.off('close', done)
      resolve()
    }
    out.once('drain', done)
    out.once('error', done)
    out.once('close', done)
  })
}
