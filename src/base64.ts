// Bytes as base64 text, for binary pieces inside JSON (checkpoint v1 blobs,
// sketch accumulators in window snapshots). btoa/atob exist in Node, browsers
// and Deno alike, so the stream core stays portable.

export function toBase64(bytes: Uint8Array): string {
  let binary = ''
  // Chunked: String.fromCharCode(...) over a whole large array would overflow the call stack.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000))
  return btoa(binary)
}

export function fromBase64(text: string): Uint8Array {
  const binary = atob(text)
  const out = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i)
  return out
}
