// `eddy groups`: kafka-consumer-groups.sh for eddy — list groups, describe
// their members, assignments, committed offsets and lag, reset offsets (a dry
// run unless --execute) and delete groups.
import { TARGET_HELP, TARGET_OPTIONS, UsageError, formatTable, oneOf, parseInteger, parseTime, refuse, runCommand, writeOut, type Args } from '../args.js'
import type { GroupDetails, Target } from '../target.js'
import { withTarget } from './topics.js'

export const GROUPS_USAGE = `usage: eddy groups (--list | --describe | --reset-offsets | --delete) [options]

Lists and describes consumer groups and resets their committed offsets, with
kafka-consumer-groups.sh's flags and columns.

actions:
  --list [--state]                          group names (with --state: and their states)
  --describe --group G [--members | --state]
                                            committed offsets and lag per partition, with the member
                                            that owns each (--members: members and assignments;
                                            --state: state, assignor and member count)
  --reset-offsets --group G (--topic T[:P,P...] | --all-topics) SPEC [--execute]
                                            set committed offsets; prints the new offsets and changes
                                            nothing unless --execute (the group must have no members)
  --delete --group G                        delete an empty group and its committed offsets

reset SPEC (one of):
  --to-earliest             the first record kept
  --to-latest               the end of the log (skip everything so far)
  --to-offset N             offset N (clamped to each partition's earliest..latest)
  --shift-by N              the committed offset moved by N (negative: back)
  --to-datetime ISO|MS      the first record at or after that time (the end when there is none)

options:
  --group G                 the group; repeatable with --describe
  --all-groups              --describe: every group
  --topic T[:P,P]           --reset-offsets: a topic, optionally only some partitions; repeatable
  --all-topics              --reset-offsets: every topic the group has committed offsets for
  --execute                 --reset-offsets: apply the change
  --dry-run                 --reset-offsets: only show it (the default)
${TARGET_HELP}
  -h, --help                show this text

examples:
  eddy groups --list
  eddy groups --describe --group billing
  eddy groups --reset-offsets --group billing --topic orders --to-earliest --execute
  eddy groups --reset-offsets --group billing --topic orders:0,1 --shift-by -10`

const ACTIONS = ['list', 'describe', 'reset-offsets', 'delete'] as const
const SPECS = ['to-earliest', 'to-latest', 'to-offset', 'shift-by', 'to-datetime'] as const

export function groups(argv: readonly string[]): Promise<number> {
  return runCommand(
    {
      name: 'groups',
      usage: GROUPS_USAGE,
      options: {
        ...TARGET_OPTIONS,
        list: { type: 'boolean' },
        describe: { type: 'boolean' },
        'reset-offsets': { type: 'boolean' },
        delete: { type: 'boolean' },
        group: { type: 'string', multiple: true },
        'all-groups': { type: 'boolean' },
        members: { type: 'boolean' },
        state: { type: 'boolean' },
        offsets: { type: 'boolean' },
        topic: { type: 'string', multiple: true },
        'all-topics': { type: 'boolean' },
        'to-earliest': { type: 'boolean' },
        'to-latest': { type: 'boolean' },
        'to-offset': { type: 'string' },
        'shift-by': { type: 'string' },
        'to-datetime': { type: 'string' },
        execute: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
      },
      run,
    },
    argv,
  )
}

async function run(args: Args): Promise<number> {
  const action = oneOf(args, ACTIONS, 'eddy groups needs an action')
  if (action !== 'reset-offsets') refuse(args, ['topic', 'all-topics', ...SPECS, 'execute', 'dry-run'], `--${action}`)
  switch (action) {
    case 'list':
      refuse(args, ['group', 'all-groups', 'members', 'offsets'], '--list')
      return withTarget(args, false, async (target) => {
        const list = (await target.listGroups()).sort((a, b) => (a.groupId < b.groupId ? -1 : 1))
        if (args.flag('state')) await writeOut(list.length === 0 ? '' : `${formatTable(['GROUP', 'STATE'], list.map((g) => [g.groupId, g.state]))}\n`)
        else await writeOut(list.map((g) => `${g.groupId}\n`).join(''))
        return 0
      })
    case 'describe': {
      const views = ['members', 'state', 'offsets'].filter((v) => args.flag(v))
      if (views.length > 1) throw new UsageError(`${views.map((v) => `--${v}`).join(' and ')} cannot be used together`)
      const wanted = args.list('group')
      if (wanted.length === 0 && !args.flag('all-groups')) throw new UsageError('--describe needs --group G or --all-groups')
      if (wanted.length > 0 && args.flag('all-groups')) throw new UsageError('--group and --all-groups cannot be used together')
      return withTarget(args, false, async (target) => {
        const known = new Set((await target.listGroups()).map((g) => g.groupId))
        const ids = args.flag('all-groups') ? [...known].sort() : wanted
        for (const id of ids) if (!known.has(id)) throw new Error(`consumer group "${id}" does not exist`)
        const out: string[] = []
        for (const id of ids) {
          const g = await target.describeGroup(id)
          if (views[0] === 'members') out.push(membersView(g))
          else if (views[0] === 'state') out.push(stateView(g))
          else out.push(await offsetsView(target, g))
        }
        await writeOut(out.join('\n'))
        return 0
      })
    }
    case 'reset-offsets':
      return resetOffsets(args)
    case 'delete': {
      refuse(args, ['all-groups', 'members', 'state', 'offsets'], '--delete')
      const ids = args.list('group')
      if (ids.length === 0) throw new UsageError('--delete needs --group G')
      return withTarget(args, false, async (target) => {
        const known = new Set((await target.listGroups()).map((g) => g.groupId))
        for (const id of ids) {
          if (!known.has(id)) throw new Error(`consumer group "${id}" does not exist`)
          const g = await target.describeGroup(id)
          if (g.members.length > 0) throw new Error(`consumer group "${id}" has ${g.members.length} active member${g.members.length === 1 ? '' : 's'}; stop them first`)
        }
        for (const id of ids) await target.deleteGroup(id)
        await writeOut(`Deletion of requested consumer groups (${ids.map((i) => `'${i}'`).join(', ')}) was successful.\n`)
        return 0
      })
    }
  }
  return 2
}

/** kafka-consumer-groups.sh --describe: one row per partition with a committed offset or an owner. */
async function offsetsView(target: Target, g: GroupDetails): Promise<string> {
  const owner = new Map<string, GroupDetails['members'][number]>()
  for (const m of g.members) for (const tp of m.assignment) owner.set(`${tp.topic}\u0000${tp.partition}`, m)
  const committed = new Map(g.offsets.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]))
  const keys = [...new Set([...committed.keys(), ...owner.keys()])]
  const ends = new Map<string, Map<number, number>>()
  for (const topic of new Set(keys.map((k) => k.split('\u0000')[0]))) {
    try {
      ends.set(topic, new Map((await target.offsets(topic, 'latest')).map((o) => [o.partition, o.offset])))
    } catch {
      // deleted meanwhile: its rows show no end offset
    }
  }
  const rows = keys
    .map((k) => {
      const [topic, p] = k.split('\u0000')
      return { topic, partition: Number(p), key: k }
    })
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition))
    .map(({ topic, partition, key }) => {
      const current = committed.get(key)
      const end = ends.get(topic)?.get(partition)
      const m = owner.get(key)
      return [
        g.groupId,
        topic,
        partition,
        current ?? '-',
        end ?? '-',
        current !== undefined && end !== undefined ? Math.max(0, end - current) : '-',
        m?.memberId ?? '-',
        m?.host ?? '-',
        m?.clientId ?? '-',
      ]
    })
  const note = g.members.length === 0 ? `\nConsumer group '${g.groupId}' has no active members.\n` : ''
  return `${note}\n${formatTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], rows)}\n`
}

function membersView(g: GroupDetails): string {
  if (g.members.length === 0) return `\nConsumer group '${g.groupId}' has no active members.\n`
  const rows = g.members.map((m) => {
    const byTopic = new Map<string, number[]>()
    for (const tp of m.assignment) {
      let list = byTopic.get(tp.topic)
      if (!list) byTopic.set(tp.topic, (list = []))
      list.push(tp.partition)
    }
    const assignment = [...byTopic].map(([t, ps]) => `${t}(${ps.sort((a, b) => a - b).join(',')})`).join(',') || '-'
    return [g.groupId, m.memberId, m.host, m.clientId, m.assignment.length, assignment]
  })
  return `\n${formatTable(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT'], rows)}\n`
}

function stateView(g: GroupDetails): string {
  return `\n${formatTable(['GROUP', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS'], [[g.groupId, g.protocol || '-', g.state, g.members.length]])}\n`
}

async function resetOffsets(args: Args): Promise<number> {
  refuse(args, ['all-groups', 'members', 'state', 'offsets'], '--reset-offsets')
  const ids = args.list('group')
  if (ids.length !== 1) throw new UsageError(ids.length === 0 ? '--reset-offsets needs --group G' : '--reset-offsets takes one --group')
  const groupId = ids[0]
  const spec = oneOf(args, SPECS, '--reset-offsets needs a reset spec')
  if (args.flag('execute') && args.flag('dry-run')) throw new UsageError('--execute and --dry-run cannot be used together')
  const topicArgs = args.list('topic')
  if (topicArgs.length === 0 && !args.flag('all-topics')) throw new UsageError('--reset-offsets needs --topic T or --all-topics')
  if (topicArgs.length > 0 && args.flag('all-topics')) throw new UsageError('--topic and --all-topics cannot be used together')
  const selections = topicArgs.map(parseTopicPartitions)
  const toOffset = spec === 'to-offset' ? parseInteger(args.string('to-offset')!, '--to-offset', { min: 0 }) : undefined
  const shiftBy = spec === 'shift-by' ? parseInteger(args.string('shift-by')!, '--shift-by') : undefined
  const time = spec === 'to-datetime' ? parseTime(args.string('to-datetime')!, '--to-datetime') : undefined

  return withTarget(args, false, async (target) => {
    const group = await target.describeGroup(groupId)
    if (args.flag('execute') && group.members.length > 0) {
      throw new Error(`assignments can only be reset if the group '${groupId}' is inactive, but the current state is ${group.state} (${group.members.length} member${group.members.length === 1 ? '' : 's'})`)
    }
    const committed = new Map(group.offsets.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]))
    let wanted = selections
    if (args.flag('all-topics')) {
      wanted = [...new Set(group.offsets.map((o) => o.topic))].sort().map((topic) => ({ topic, partitions: undefined }))
      if (wanted.length === 0) throw new Error(`group '${groupId}' has no committed offsets; name the topics with --topic`)
    }
    const commits: { topic: string; partition: number; offset: number }[] = []
    for (const { topic, partitions } of wanted) {
      const count = await target.partitionCount(topic)
      if (count === undefined) throw new Error(`unknown topic "${topic}" in the ${target.where}`)
      for (const p of partitions ?? []) if (p >= count) throw new Error(`topic "${topic}" has partitions 0..${count - 1}, not ${p}`)
      const earliest = new Map((await target.offsets(topic, 'earliest')).map((o) => [o.partition, o.offset]))
      const latest = new Map((await target.offsets(topic, 'latest')).map((o) => [o.partition, o.offset]))
      const byTime = time === undefined ? undefined : new Map((await target.offsets(topic, { timestamp: time })).map((o) => [o.partition, o.offset]))
      for (let p = 0; p < count; p++) {
        if (partitions !== undefined && !partitions.includes(p)) continue
        const lo = earliest.get(p) ?? 0
        const hi = latest.get(p) ?? lo
        let offset: number
        if (spec === 'to-earliest') offset = lo
        else if (spec === 'to-latest') offset = hi
        else if (spec === 'to-offset') offset = toOffset!
        else if (spec === 'shift-by') offset = (committed.get(`${topic}\u0000${p}`) ?? lo) + shiftBy!
        else {
          const found = byTime!.get(p) ?? -1
          offset = found < 0 ? hi : found
        }
        commits.push({ topic, partition: p, offset: Math.min(hi, Math.max(lo, offset)) })
      }
    }
    if (args.flag('execute')) await target.commitGroupOffsets(groupId, commits)
    else process.stderr.write('dry run: nothing changed; add --execute to apply these offsets\n')
    await writeOut(`\n${formatTable(['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], commits.map((c) => [groupId, c.topic, c.partition, c.offset]))}\n`)
    return 0
  })
}

/** `orders` or `orders:0,2`. */
function parseTopicPartitions(text: string): { topic: string; partitions: number[] | undefined } {
  const colon = text.lastIndexOf(':')
  if (colon < 0) return { topic: text, partitions: undefined }
  const topic = text.slice(0, colon)
  if (topic === '') throw new UsageError(`--topic takes T or T:P,P..., got "${text}"`)
  const partitions = text
    .slice(colon + 1)
    .split(',')
    .map((p) => parseInteger(p.trim(), `--topic ${text}: partition`, { min: 0 }))
  return { topic, partitions }
}
