// What one Kafka API is to this server: its key and name, one codec per
// supported version (decode the request, encode the response), and one
// handler that interprets a decoded request against the broker. Decoding never
// touches the broker; handling never touches bytes.
import type { Reader } from '../protocol/reader.js'
import type { Writer } from '../protocol/writer.js'
import type { RequestContext } from '../context.js'

export interface VersionCodec<Req, Res> {
  readonly version: number
  decodeRequest(reader: Reader): Req
  encodeResponse(writer: Writer, response: Res): void
}

/** Binds a version-aware decode/encode pair to one version. */
export function versionCodec<Req, Res>(
  version: number,
  decode: (reader: Reader, version: number) => Req,
  encode: (writer: Writer, response: Res, version: number) => void,
): VersionCodec<Req, Res> {
  return {
    version,
    decodeRequest: (reader) => decode(reader, version),
    encodeResponse: (writer, response) => encode(writer, response, version),
  }
}

/** Interprets a request; `undefined` means no response is sent (Produce with acks=0). */
export type ApiHandler<Req, Res> = (context: RequestContext, request: Req, version: number) => Promise<Res | undefined>

export interface ApiDefinition<Req = unknown, Res = unknown> {
  readonly key: number
  readonly name: string
  readonly minVersion: number
  readonly maxVersion: number
  codec(version: number): VersionCodec<Req, Res> | undefined
  readonly handle: ApiHandler<Req, Res>
}

/** An API over a contiguous range of versions (asserted). */
export function defineApi<Req, Res>(key: number, name: string, versions: readonly VersionCodec<Req, Res>[], handle: ApiHandler<Req, Res>): ApiDefinition<Req, Res> {
  if (versions.length === 0) throw new Error(`${name}: no versions`)
  const minVersion = versions[0].version
  versions.forEach((codec, i) => {
    if (codec.version !== minVersion + i) throw new Error(`${name}: versions must be contiguous, found v${codec.version} at position ${i}`)
  })
  const maxVersion = minVersion + versions.length - 1
  return {
    key,
    name,
    minVersion,
    maxVersion,
    codec: (version) => (version >= minVersion && version <= maxVersion ? versions[version - minVersion] : undefined),
    handle,
  }
}
