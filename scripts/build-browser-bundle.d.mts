// Types for scripts/build-browser-bundle.mjs, so TypeScript tests can import it.
export interface BrowserBundleOptions {
  /** Entry module; defaults to src/index.ts. */
  entry?: string
  /** Where to write the bundle; without it the code is returned in memory. */
  outfile?: string
}
export interface BrowserBundle {
  /** The bundled ES module, when no outfile was given. */
  code: string | undefined
  /** Every module that went into the bundle, relative to the working directory. */
  inputs: string[]
}
export function buildBrowserBundle(options?: BrowserBundleOptions): Promise<BrowserBundle>
