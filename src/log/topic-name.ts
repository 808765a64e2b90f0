// Topic names as Kafka allows them (org.apache.kafka.common.internals.Topic):
// 1..249 characters from [a-zA-Z0-9._-], not "." or "..". Names that differ
// only by '.' versus '_' collide (Kafka's metric names cannot tell them apart).
import { InvalidTopicError } from './errors.js'

/** Kafka's limit: 255 minus room for a partition suffix and a deletion marker in directory names. */
export const TOPIC_NAME_LENGTH_MAX = 249
const LEGAL = /^[a-zA-Z0-9._-]+$/

export function validateTopicName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidTopicError(`topic name must be a string, got ${name === null ? 'null' : typeof name}`)
  if (name.length === 0) throw new InvalidTopicError('topic name is empty')
  if (name === '.' || name === '..') throw new InvalidTopicError(`topic name cannot be "${name}"`)
  if (name.length > TOPIC_NAME_LENGTH_MAX) {
    throw new InvalidTopicError(`topic name is ${name.length} characters long; the limit is ${TOPIC_NAME_LENGTH_MAX}`)
  }
  if (!LEGAL.test(name)) {
    const bad = [...name].find((c) => !LEGAL.test(c))
    throw new InvalidTopicError(`topic name "${name}" contains "${bad}"; legal characters are ASCII letters, digits, '.', '_' and '-'`)
  }
}

/** True when two names would collide in Kafka's metric names ('.' and '_' are the same there). */
export function topicNamesCollide(a: string, b: string): boolean {
  return a !== b && a.replaceAll('.', '_') === b.replaceAll('.', '_')
}
