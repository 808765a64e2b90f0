// Kafka's error codes in one table, shared by the in-process API and the wire
// protocol server, so an in-process error and a client's error agree. Not
// retriable unless Kafka says so.

export interface ErrorSpec {
  code: number
  retriable: boolean
  message: string
}

export const KafkaErrors = {
  UNKNOWN_SERVER_ERROR: { code: -1, retriable: false, message: 'The server experienced an unexpected error' },
  NONE: { code: 0, retriable: false, message: '' },
  OFFSET_OUT_OF_RANGE: { code: 1, retriable: false, message: 'The requested offset is not within the range of offsets maintained by the server' },
  CORRUPT_MESSAGE: { code: 2, retriable: true, message: 'The message contents do not match the message CRC or the message is otherwise corrupt' },
  UNKNOWN_TOPIC_OR_PARTITION: { code: 3, retriable: true, message: 'This server does not host this topic-partition' },
  INVALID_FETCH_SIZE: { code: 4, retriable: false, message: 'The requested fetch size is invalid' },
  NOT_LEADER_OR_FOLLOWER: { code: 6, retriable: true, message: 'This server is not the leader for that topic-partition' },
  REQUEST_TIMED_OUT: { code: 7, retriable: true, message: 'The request timed out' },
  MESSAGE_TOO_LARGE: { code: 10, retriable: false, message: 'The request included a message larger than the max message size the server will accept' },
  COORDINATOR_LOAD_IN_PROGRESS: { code: 14, retriable: true, message: 'The coordinator is loading and hence cannot process requests' },
  COORDINATOR_NOT_AVAILABLE: { code: 15, retriable: true, message: 'The coordinator is not available' },
  NOT_COORDINATOR: { code: 16, retriable: true, message: 'This is not the correct coordinator' },
  INVALID_TOPIC_EXCEPTION: { code: 17, retriable: false, message: 'The request attempted to perform an operation on an invalid topic' },
  RECORD_LIST_TOO_LARGE: { code: 18, retriable: false, message: 'The request included message batch larger than the configured segment size on the server' },
  INVALID_REQUIRED_ACKS: { code: 21, retriable: false, message: 'Produce request specified an invalid value for required acks' },
  ILLEGAL_GENERATION: { code: 22, retriable: false, message: 'Specified group generation id is not valid' },
  INCONSISTENT_GROUP_PROTOCOL: { code: 23, retriable: false, message: "The group member's supported protocols are incompatible with those of existing members" },
  INVALID_GROUP_ID: { code: 24, retriable: false, message: 'The configured groupId is invalid' },
  UNKNOWN_MEMBER_ID: { code: 25, retriable: false, message: 'The coordinator is not aware of this member' },
  INVALID_SESSION_TIMEOUT: { code: 26, retriable: false, message: 'The session timeout is not within the range allowed by the broker' },
  REBALANCE_IN_PROGRESS: { code: 27, retriable: false, message: 'The group is rebalancing, so a rejoin is needed' },
  INVALID_COMMIT_OFFSET_SIZE: { code: 28, retriable: false, message: 'The committing offset data size is not valid' },
  UNSUPPORTED_VERSION: { code: 35, retriable: false, message: 'The version of API is not supported' },
  TOPIC_ALREADY_EXISTS: { code: 36, retriable: false, message: 'Topic with this name already exists' },
  INVALID_PARTITIONS: { code: 37, retriable: false, message: 'Number of partitions is below 1' },
  INVALID_REPLICATION_FACTOR: { code: 38, retriable: false, message: 'Replication factor is below 1 or larger than the number of available brokers' },
  INVALID_CONFIG: { code: 40, retriable: false, message: 'Configuration is invalid' },
  INVALID_REQUEST: { code: 42, retriable: false, message: 'This most likely occurs because of a request being malformed by the client library' },
  OUT_OF_ORDER_SEQUENCE_NUMBER: { code: 45, retriable: false, message: 'The broker received an out of order sequence number' },
  DUPLICATE_SEQUENCE_NUMBER: { code: 46, retriable: false, message: 'The broker received a duplicate sequence number' },
  INVALID_PRODUCER_EPOCH: { code: 47, retriable: false, message: "Producer attempted to produce with an old epoch" },
  INVALID_TXN_STATE: { code: 48, retriable: false, message: 'The producer attempted a transactional operation in an invalid state' },
  INVALID_PRODUCER_ID_MAPPING: { code: 49, retriable: false, message: 'The producer attempted to use a producer id which is not currently assigned to its transactional id' },
  INVALID_TRANSACTION_TIMEOUT: { code: 50, retriable: false, message: 'The transaction timeout is larger than the maximum value allowed by the broker' },
  CONCURRENT_TRANSACTIONS: { code: 51, retriable: true, message: 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing' },
  OPERATION_NOT_ATTEMPTED: { code: 55, retriable: false, message: 'The broker did not attempt to execute this operation' },
  KAFKA_STORAGE_ERROR: { code: 56, retriable: true, message: 'Disk error when trying to access log file on the disk' },
  UNKNOWN_PRODUCER_ID: { code: 59, retriable: false, message: 'The broker could not locate the producer metadata associated with the producer id' },
  NON_EMPTY_GROUP: { code: 68, retriable: false, message: 'The group is not empty' },
  GROUP_ID_NOT_FOUND: { code: 69, retriable: false, message: 'The group id does not exist' },
  MEMBER_ID_REQUIRED: { code: 79, retriable: false, message: 'The group member needs to have a valid member id before actually entering a consumer group' },
  GROUP_MAX_SIZE_REACHED: { code: 81, retriable: false, message: 'The consumer group has reached its max size' },
  FENCED_INSTANCE_ID: { code: 82, retriable: false, message: 'The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id' },
  INVALID_RECORD: { code: 87, retriable: false, message: 'This record has failed the validation on broker and hence will be rejected' },
  PRODUCER_FENCED: { code: 90, retriable: false, message: 'There is a newer producer with the same transactionalId which fences the current one' },
} as const satisfies Record<string, ErrorSpec>

export type KafkaErrorName = keyof typeof KafkaErrors

const byCode = new Map<number, KafkaErrorName>(Object.entries(KafkaErrors).map(([name, spec]) => [spec.code, name as KafkaErrorName]))

export function errorNameOf(code: number): KafkaErrorName | undefined {
  return byCode.get(code)
}

/** An error the broker reports with a Kafka error code; the wire server sends `code`. */
export class KafkaError extends Error {
  override name = 'KafkaError'
  readonly type: KafkaErrorName
  readonly code: number
  readonly retriable: boolean
  constructor(type: KafkaErrorName, detail?: string) {
    const spec = KafkaErrors[type]
    super(detail ? `${type}: ${detail}` : `${type}: ${spec.message}`)
    this.type = type
    this.code = spec.code
    this.retriable = spec.retriable
  }

  static fromCode(code: number, context: string): KafkaError {
    const type = errorNameOf(code) ?? 'UNKNOWN_SERVER_ERROR'
    return new KafkaError(type, `${context}: ${KafkaErrors[type].message}`)
  }
}

/**
 * A newer producer with the same transactional id exists (it called
 * initTransactions, or the broker aborted this producer's transaction on
 * timeout and bumped the epoch): this producer can no longer send, commit or
 * abort. Create a new producer to continue.
 */
export class ProducerFencedError extends KafkaError {
  override name = 'ProducerFencedError'
  constructor(
    readonly transactionalId: string,
    readonly producerEpoch: number,
    /** The id's epoch now, when known (-1 otherwise). */
    readonly currentEpoch: number,
    detail?: string,
  ) {
    super(
      'PRODUCER_FENCED',
      `transactional id ${JSON.stringify(transactionalId)}: producer epoch ${producerEpoch} is fenced${currentEpoch >= 0 ? `, the current epoch is ${currentEpoch}` : ''} (a newer producer called initTransactions, or the transaction timed out)${detail ? `: ${detail}` : ''}`,
    )
  }
}
