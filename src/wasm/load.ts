// Turns an embedded base64 Wasm binary into an instance. Portable: uses only
// `atob` and WebAssembly, which Node 20, Deno and browsers all have.
import { instantiate } from '@assemblyscript/loader'

export function decodeBase64(base64: string): Uint8Array {
  const binary = atob(base64)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

export async function instantiateEmbedded<T extends Record<string, unknown>>(base64: string): Promise<T & { memory: WebAssembly.Memory }> {
  const { exports } = await instantiate<T>(decodeBase64(base64), {})
  return exports as unknown as T & { memory: WebAssembly.Memory }
}
