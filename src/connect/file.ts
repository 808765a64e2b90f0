// Kafka Connect's file connectors for stream jobs (Node only): a file source
// reading one record per line, and a file sink appending one line per record.
// node:fs is imported when a reader or writer opens, so the package root stays
// loadable in browsers.
import { StreamConfigError } from '../stream/errors.js'
import { RecordDecodeError, eventTimeOptions, type EventTimeOptions } from '../stream/sources/index.js'
import type { SourceBatch, SourceReader, SourceSpec } from '../stream/sources/spec.js'
import type { SinkSpec } from '../stream/sinks/spec.js'

export interface FileSourceOptions<T> extends EventTimeOptions<T> {
  /** 'lines' (each line a string), 'json' (each line a JSON value). Default 'lines'. */
  format?: 'lines' | 'json'
}

/** A text file, one record per line (Kafka Connect's FileStreamSource). Node only. */
export function fileSource<T = string>(path: string, options: FileSourceOptions<T> = {}): SourceSpec<T> {
  if (typeof path !== 'string' || path === '') throw new StreamConfigError('file', 'needs a file path')
  const format = options.format ?? 'lines'
  if (format !== 'lines' && format !== 'json') throw new StreamConfigError('file.format', `must be 'lines' or 'json', got ${String(format)}`)
  return {
    kind: 'file',
    name: options.name ?? `source(file ${path})`,
    runsIn: 'task',
    ...eventTimeOptions('file', options),
    splits: () => 1,
    async open(): Promise<SourceReader<T>> {
      const { readFile } = await import('node:fs/promises')
      const text = await readFile(path, 'utf8')
      const lines = text.split('\n')
      if (lines.at(-1) === '') lines.pop()
      let line = 0
      return {
        next(max) {
          if (line >= lines.length) return null
          const values: T[] = []
          const timestamps: number[] = []
          for (; values.length < max && line < lines.length; line++) {
            if (format === 'json') {
              try {
                values.push(JSON.parse(lines[line]) as T)
              } catch (error) {
                throw new RecordDecodeError(`${path} line ${line + 1}: not JSON (${(error as Error).message})`)
              }
            } else values.push(lines[line] as T)
            timestamps.push(line)
          }
          return { values, timestamps, position: line } satisfies SourceBatch<T>
        },
      }
    },
  }
}


/** Appends one line per record to a file (Kafka Connect's FileStreamSink). Node only. */
export function fileSink<T>(path: string, options: { format?: 'json' | 'string' } = {}): SinkSpec<T> {
  if (typeof path !== 'string' || path === '') throw new StreamConfigError('sinks.file', 'needs a file path')
  const format = options.format ?? 'json'
  if (format !== 'json' && format !== 'string') badFormat(format)
  return {
    kind: 'file',
    name: `sink(file ${path})`,
    runsIn: 'coordinator',
    async open() {
      const { open } = await import('node:fs/promises')
      const handle = await open(path, 'a')
      return {
        async write(batch) {
          let text = ''
          for (const value of batch.values) text += (format === 'json' ? JSON.stringify(value) : String(value)) + '\n'
          await handle.write(text)
        },
        async close() {
          await handle.sync()
          await handle.close()
        },
      }
    },
  }
}


function badFormat(format: unknown): never {
  throw new StreamConfigError('format', `must be 'json' or 'string', got ${String(format)}`)
}
