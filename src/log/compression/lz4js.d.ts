// Types for the parts of lz4js (pure-JS LZ4, no bundled types) that lz4.ts uses.
declare module 'lz4js' {
  /** Compresses src[sIndex, sIndex + sLength) as one LZ4 block into dst from 0; returns its size (0 if incompressible). */
  export function compressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, hashTable: Uint32Array): number
  export function compressBound(n: number): number
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array
}
