// Every limit of the Kafka wire server, in one place. A connection's memory is
// bounded by frameBytesMax (one frame being read) + requestBytesQueuedMax
// (whole frames waiting) + the socket's write high-water mark (responses are
// not produced faster than the socket drains).

/** Largest request frame accepted (Kafka's socket.request.max.bytes, 100 MiB). Checked on the 4-byte size prefix, before any body is buffered. */
export const FRAME_BYTES_MAX_DEFAULT = 100 * 1024 * 1024

/** Smallest frame that can hold a request header (api key, version, correlation id, client id length). */
export const FRAME_BYTES_MIN = 10

/** Pipelined requests read but not yet answered, per connection; beyond it the socket stops reading. */
export const REQUESTS_QUEUED_MAX = 64

/** Bytes of whole frames read but not yet handled, per connection; beyond it the socket stops reading. */
export const REQUEST_BYTES_QUEUED_MAX = 16 * 1024 * 1024

/** Cap on one Fetch response's record bytes, whatever the client asks (Kafka's fetch.max.bytes, 55 MiB). */
export const FETCH_RESPONSE_BYTES_MAX = 57_671_680

/** Longest long-poll a Fetch may ask for; a larger max_wait_ms is clamped. */
export const FETCH_WAIT_MS_MAX = 60_000

/** Open connections per server (Kafka's max.connections is unbounded by default; we are not). */
export const CONNECTIONS_MAX_DEFAULT = 1024

/** Elements one decoded array may hold; a length beyond the frame's remaining bytes is refused earlier. */
export const ARRAY_LENGTH_MAX = 1_000_000
