// The assignors a consumer can name, as in Kafka's `partition.assignment.strategy`.
import { RangeAssignor } from './range.js'
import { RoundRobinAssignor } from './roundrobin.js'
import { CooperativeStickyAssignor, StickyAssignor } from './sticky.js'
import type { AssignorName, PartitionAssignor } from './types.js'

export * from './types.js'
export { RangeAssignor, RoundRobinAssignor, StickyAssignor, CooperativeStickyAssignor }

export const ASSIGNOR_NAMES: readonly AssignorName[] = ['range', 'roundrobin', 'sticky', 'cooperative-sticky']

export function createAssignor(name: AssignorName): PartitionAssignor {
  switch (name) {
    case 'range':
      return new RangeAssignor()
    case 'roundrobin':
      return new RoundRobinAssignor()
    case 'sticky':
      return new StickyAssignor()
    case 'cooperative-sticky':
      return new CooperativeStickyAssignor()
    default:
      throw new RangeError(`unknown assignor "${String(name)}"; expected one of ${ASSIGNOR_NAMES.join(', ')}`)
  }
}
