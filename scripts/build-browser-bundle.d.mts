// Types for scripts/build-browser-bundle.mjs, so TypeScript tests can import it.
export interface BrowserBundleOptions {
  /** Entry module; defaults to src/index.ts. */
  entry?: string
  /** Output directory; defaults to build/browser. */
  outdir?: string
  /** Name of the entry file, without `.js`; defaults to eddy. */
  entryName?: string
  /** Allow `node:` imports reached only through dynamic imports (kept external, in lazily loaded chunks). */
  lazyNodeImports?: boolean
  /** Write the files to outdir instead of returning them. */
  write?: boolean
}
export interface BrowserBundle {
  /** The entry file, relative to outdir. */
  entryFile: string
  /** Every output file's path, relative to outdir. */
  outputs: string[]
  /** The output files' contents when not written (empty when `write` was true). */
  files: { path: string; text: string }[]
  /** Every module that went into the bundle, relative to the working directory. */
  inputs: string[]
  /** `node:` modules that only lazily loaded chunks import. */
  lazyNodeImports: string[]
}
export function buildBrowserBundle(options?: BrowserBundleOptions): Promise<BrowserBundle>
