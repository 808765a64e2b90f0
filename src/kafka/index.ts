// The Kafka wire-protocol server (Node only): `import { startKafkaServer } from 'eddy/kafka'`.
export { startKafkaServer } from './server.js'
export type { KafkaServer, KafkaServerOptions, KafkaServerStats } from './server.js'
export { FRAME_BYTES_MAX_DEFAULT } from './limits.js'
