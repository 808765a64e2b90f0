// The eddy dashboard page: plain ES module, no build step. It listens on one
// WebSocket (/ws) for snapshots (topics, groups, jobs) and app channel messages
// (the IoT panels), and renders them with the DOM and uPlot. Every value is
// set with textContent, never as HTML. docs/dashboard.md explains each number.
import uPlot from '/vendor/uPlot.esm.js'

// ---------------------------------------------------------------- settings

const AVERAGE_SENSORS = 6 // lines on the averages chart
const AVERAGE_WINDOWS = 60 // windows kept on it
const DISTINCT_POINTS = 120
const JOB_POINTS = 120
const ALERTS_SHOWN = 50
const CHECKPOINTS_SHOWN = 10
const QUEUE_FULL = 16 // queue depth drawn as a full (red) bar
const COLORS = ['#1769aa', '#c62828', '#2e8540', '#c77700', '#6a1b9a', '#00838f', '#5d4037', '#ad1457']

// ---------------------------------------------------------------- tooltips

const TIP = {
  partitions: 'Partitions of the topic: each is an ordered log, read and written independently.',
  logStart: 'Log start offset: the first offset still retained in this partition; older records were deleted by retention or compaction.',
  logEnd: 'Log end offset (high watermark): the offset the next record appended to this partition will get. It only grows.',
  records: 'Records retained: log end offset minus log start offset (with compaction, an upper bound).',
  size: 'Bytes held by the partition\'s log segments (on disk, or in memory for an in-memory eddy).',
  rate: 'Records appended per second, measured between the last two snapshots.',
  groupState: 'Group state: Stable (members consuming), PreparingRebalance / CompletingRebalance (members joining or leaving), Empty (no members, offsets kept).',
  members: 'Consumers currently in the group.',
  generation: 'Generation id: increments on every rebalance of the group.',
  totalLag: 'Total lag: records not yet consumed by the group, summed over the partitions it has committed offsets for.',
  committed: 'Committed offset: the next offset the group will read from this partition after a restart.',
  groupEnd: 'Log end offset of the partition: the offset the next appended record will get.',
  lag: 'Lag: log end offset minus committed offset, the records the group still has to consume here.',
  assignment: 'Partitions assigned to this member in the current generation.',
  parallelism: 'Parallel instances of each operator (workers or inline tasks).',
  uptime: 'Time since the job started.',
  inRate: 'Records received per second by this operator over the last reporting interval (all parallel instances).',
  outRate: 'Records emitted per second by this operator over the last reporting interval (all parallel instances).',
  inTotal: 'Records received by this operator since the job started.',
  outTotal: 'Records emitted by this operator since the job started.',
  watermark: 'Event-time watermark at this operator: no record with an earlier timestamp is expected any more; windows ending before it have fired. "none" before the first watermark, "end" at end of input.',
  queue: 'Queue depth: batches waiting in this operator\'s input queues. It grows when the operator cannot keep up (backpressure); the bar fills at ' + QUEUE_FULL + '.',
  state: 'Keyed state entries held: open windows, timers, table rows, join buffers.',
  late: 'Records dropped as late: they arrived after the watermark had passed their window plus the allowed lateness.',
  downstream: 'Operators this one sends records to; "keyed" means records are partitioned by key on the way.',
  ckptId: 'Checkpoint id: increments for every checkpoint the job starts.',
  ckptStarted: 'When the checkpoint started (local time).',
  ckptDuration: 'Time from the checkpoint\'s start until every operator had stored its state and the sinks had committed.',
  ckptBytes: 'Size of the state stored by the checkpoint.',
  ckptStatus: 'completed: durable and usable for recovery; failed: abandoned (the job continues from the previous one); in-progress: not finished yet.',
  ckptCompleted: 'Checkpoints completed in the history the job reports.',
  ckptFailed: 'Checkpoints failed in the history the job reports.',
  average: 'Average reading of this sensor in the latest one-minute window.',
  topkCount: 'Readings counted for this sensor (heavy-hitters estimate: never below the true count, at most slightly above).',
  alertValue: 'The reading that raised the alert.',
}

// ---------------------------------------------------------------- formatting

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const decFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 })

/** Non-finite numbers travel as strings ("Infinity", "-Infinity", "NaN"). */
function n(value) {
  if (typeof value === 'number') return value
  if (value === 'Infinity') return Infinity
  if (value === '-Infinity') return -Infinity
  if (value === 'NaN') return NaN
  return Number(value)
}
function fmtInt(v) { return Number.isFinite(v) ? intFormat.format(v) : String(v) }
function fmtDec(v) { return Number.isFinite(v) ? decFormat.format(v) : '—' }
function fmtRate(v) { return !Number.isFinite(v) ? '—' : v < 10 ? v.toFixed(1) : intFormat.format(Math.round(v)) }
function fmtBytes(v) {
  if (v === undefined || v === null || !Number.isFinite(v)) return '—'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++ }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}
function plural(count, noun) { return `${fmtInt(count)} ${noun}${count === 1 ? '' : 's'}` }
function fmtTime(ms) {
  const d = new Date(ms)
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}:${String(d.getSeconds()).padStart(2, '0')}`
}
function fmtWatermark(ms) {
  if (ms === -Infinity) return 'none'
  if (ms === Infinity) return 'end'
  if (!Number.isFinite(ms)) return '—'
  return `${fmtTime(ms)}.${String(new Date(ms).getMilliseconds()).padStart(3, '0')}`
}
function fmtDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '—'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = Math.floor(ms / 1000)
  if (s < 60) return `${(ms / 1000).toFixed(1)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m ${s % 60}s`
  return `${Math.floor(m / 60)}h ${m % 60}m`
}

// ---------------------------------------------------------------- DOM helpers

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue
    if (key === 'class') node.className = value
    else if (key === 'text') node.textContent = value
    else if (key === 'dataset') Object.assign(node.dataset, value)
    else node.setAttribute(key, value === true ? '' : String(value))
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue
    node.append(child instanceof Node ? child : document.createTextNode(String(child)))
  }
  return node
}

/** A number with its explanation (and exact value) as tooltip. */
function num(text, tip, exact, metric) {
  const title = exact === undefined ? tip : `${tip}\nExact: ${exact}`
  return el('span', { class: 'num', title, dataset: metric ? { metric } : undefined, text })
}

function td(content, numeric = true) {
  return el('td', { class: numeric ? 'n' : undefined }, content)
}

function th(text, tip, numeric = true) {
  return el('th', { class: numeric ? 'n' : undefined, title: tip, text })
}

/** A horizontal bar; `levels` colours it amber from half full and red when full (for backpressure). */
function bar(value, full, levels = true) {
  const ratio = Math.max(0, Math.min(1, full > 0 ? value / full : 0))
  const level = !levels ? ' plain' : ratio >= 1 ? ' hot' : ratio >= 0.5 ? ' warm' : ''
  return el('span', { class: `bar${level}` }, el('span', { style: `width:${(ratio * 100).toFixed(0)}%` }))
}

/** Remembers which <details> are open across re-renders. */
const openDetails = new Map()
function details(key, defaultOpen, summary, ...body) {
  const node = el('details', {}, el('summary', {}, summary), ...body)
  node.open = openDetails.has(key) ? openDetails.get(key) : defaultOpen
  node.addEventListener('toggle', () => openDetails.set(key, node.open))
  return node
}

function chartWidth(container) {
  return Math.max(280, container.clientWidth || 600)
}

// ---------------------------------------------------------------- connection

const statusNode = document.getElementById('status')
const updatedNode = document.getElementById('updated')
let socket
let retryMs = 500
let lastSnapshotAt = 0
let intervalMs = 1000

function setStatus(connected) {
  statusNode.textContent = connected ? 'connected' : 'disconnected'
  statusNode.className = `status ${connected ? 'connected' : 'disconnected'}`
}

function connect() {
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`
  socket = new WebSocket(url)
  socket.addEventListener('open', () => {
    retryMs = 500
    setStatus(true)
  })
  socket.addEventListener('message', (event) => {
    let message
    try {
      message = JSON.parse(event.data)
    } catch {
      return
    }
    handleMessage(message)
  })
  socket.addEventListener('close', () => {
    setStatus(false)
    setTimeout(connect, retryMs)
    retryMs = Math.min(5000, retryMs * 2)
  })
  socket.addEventListener('error', () => socket.close())
}

function handleMessage(message) {
  if (message.type === 'hello') {
    intervalMs = message.intervalMs ?? intervalMs
    resetChannels()
    for (const [channel, list] of Object.entries(message.channels ?? {})) for (const m of list) onChannel(channel, m.data)
  } else if (message.type === 'snapshot') {
    lastSnapshotAt = Date.now()
    renderSnapshot(message.snapshot)
  } else if (message.type === 'publish') {
    onChannel(message.channel, message.data)
  } else if (message.type === 'error') {
    renderProblems([`snapshot failed: ${message.message}`])
  }
}

setInterval(() => {
  if (!lastSnapshotAt) return
  const age = Date.now() - lastSnapshotAt
  updatedNode.textContent = `updated ${fmtTime(lastSnapshotAt)}${age > 3 * intervalMs ? ` (${Math.round(age / 1000)} s ago)` : ''}`
}, 500)

// ---------------------------------------------------------------- snapshot

function renderSnapshot(s) {
  renderProblems(s.errors ?? [])
  renderTopics(s.topics ?? [])
  renderGroups(s.groups ?? [])
  renderJobs(s.jobs ?? [], s.time)
  updatedNode.textContent = `updated ${fmtTime(s.time)}`
}

function renderProblems(errors) {
  const section = document.getElementById('problems')
  section.hidden = errors.length === 0
  document.getElementById('problem-list').replaceChildren(...errors.map((e) => el('li', { text: e })))
}

function renderTopics(topics) {
  document.getElementById('topic-count').textContent = `(${topics.length})`
  const body = document.getElementById('topic-body')
  if (topics.length === 0) {
    body.replaceChildren(el('p', { class: 'empty', text: 'No topics yet.' }))
    return
  }
  const table = el('table', { id: 'topic-table' },
    el('thead', {}, el('tr', {},
      th('topic', 'Topic name.', false), th('partitions', TIP.partitions), th('records', TIP.records),
      th('size', TIP.size), th('records/s', TIP.rate), th('', '', false))))
  const tbody = el('tbody')
  for (const t of topics) {
    const topicRow = el('tr', { class: 'topic', dataset: { topic: t.name } },
      td(t.name, false),
      td(num(fmtInt(t.partitions.length), TIP.partitions)),
      td(num(fmtInt(t.records), TIP.records, t.records, 'topic-records')),
      td(num(fmtBytes(t.sizeBytes), TIP.size, t.sizeBytes, 'topic-size')),
      td(num(fmtRate(n(t.recordsPerSec)), TIP.rate, n(t.recordsPerSec).toFixed(2), 'topic-rate')),
      td('', false))
    tbody.append(topicRow)
    const partitionTable = el('table', { class: 'partitions' },
      el('thead', {}, el('tr', {},
        th('partition', 'Partition number.'), th('start offset', TIP.logStart), th('end offset', TIP.logEnd),
        th('records', TIP.records), th('size', TIP.size), th('records/s', TIP.rate))),
      el('tbody', {}, t.partitions.map((p) => el('tr', { dataset: { topic: t.name, partition: p.partition } },
        td(String(p.partition)),
        td(num(fmtInt(p.logStartOffset), TIP.logStart, p.logStartOffset, 'log-start-offset')),
        td(num(fmtInt(p.logEndOffset), TIP.logEnd, p.logEndOffset, 'log-end-offset')),
        td(num(fmtInt(p.logEndOffset - p.logStartOffset), TIP.records)),
        td(num(fmtBytes(p.sizeBytes), TIP.size, p.sizeBytes, 'partition-size')),
        td(num(fmtRate(n(p.recordsPerSec)), TIP.rate, n(p.recordsPerSec).toFixed(2)))))))
    const cell = el('td', { colspan: 6 }, details(`topic:${t.name}`, t.partitions.length <= 8, plural(t.partitions.length, 'partition'), partitionTable))
    tbody.append(el('tr', { class: 'sub' }, cell))
  }
  table.append(tbody)
  body.replaceChildren(table)
}

function renderGroups(groups) {
  document.getElementById('group-count').textContent = `(${groups.length})`
  const body = document.getElementById('group-body')
  if (groups.length === 0) {
    body.replaceChildren(el('p', { class: 'empty', text: 'No consumer groups yet.' }))
    return
  }
  const table = el('table', { id: 'group-table' },
    el('thead', {}, el('tr', {},
      th('group', 'Consumer group id.', false), th('state', TIP.groupState, false), th('protocol', 'Partition assignor chosen for the current generation.', false),
      th('generation', TIP.generation), th('members', TIP.members), th('total lag', TIP.totalLag))))
  const tbody = el('tbody')
  for (const g of groups) {
    tbody.append(el('tr', { class: 'group', dataset: { group: g.groupId } },
      td(g.groupId, false),
      td(el('span', { class: `badge ${g.state}`, title: TIP.groupState, text: g.state }), false),
      td(g.protocol || '—', false),
      td(num(fmtInt(g.generationId), TIP.generation)),
      td(num(fmtInt(g.members.length), TIP.members, undefined, 'group-members')),
      td(num(fmtInt(g.totalLag), TIP.totalLag, g.totalLag, 'group-lag'))))
    const memberTable = g.members.length === 0 ? el('p', { class: 'empty', text: 'No members.' }) : el('table', {},
      el('thead', {}, el('tr', {}, th('member', 'Member id given by the coordinator.', false), th('client', 'Client id the consumer reported.', false), th('assignment', TIP.assignment, false))),
      el('tbody', {}, g.members.map((m) => el('tr', {},
        td(m.groupInstanceId ? `${m.memberId} (static: ${m.groupInstanceId})` : m.memberId, false),
        td(m.clientId, false),
        td(el('span', { title: TIP.assignment, text: formatAssignment(m.assignment) }), false)))))
    const offsetTable = g.offsets.length === 0 ? el('p', { class: 'empty', text: 'No committed offsets.' }) : el('table', {},
      el('thead', {}, el('tr', {}, th('topic', 'Topic.', false), th('partition', 'Partition.'), th('committed', TIP.committed), th('end offset', TIP.groupEnd), th('lag', TIP.lag))),
      el('tbody', {}, g.offsets.map((o) => el('tr', { dataset: { group: g.groupId, topic: o.topic, partition: o.partition } },
        td(o.topic, false), td(String(o.partition)),
        td(num(fmtInt(o.committed), TIP.committed, o.committed)),
        td(num(fmtInt(o.logEndOffset), TIP.groupEnd, o.logEndOffset)),
        td(num(fmtInt(o.lag), TIP.lag, o.lag, 'partition-lag'))))))
    tbody.append(el('tr', { class: 'sub' }, el('td', { colspan: 6 },
      details(`group:${g.groupId}`, true, `${plural(g.members.length, 'member')}, ${plural(g.offsets.length, 'committed partition')}`, memberTable, offsetTable))))
  }
  table.append(tbody)
  body.replaceChildren(table)
}

function formatAssignment(list) {
  if (!list || list.length === 0) return '—'
  const byTopic = new Map()
  for (const tp of list) {
    if (!byTopic.has(tp.topic)) byTopic.set(tp.topic, [])
    byTopic.get(tp.topic).push(tp.partition)
  }
  return [...byTopic].map(([topic, ps]) => `${topic}[${ps.sort((a, b) => a - b).join(',')}]`).join(' ')
}

// ---------------------------------------------------------------- jobs

/** Per job (by name): its container and throughput chart, kept across snapshots. */
const jobViews = new Map()

function renderJobs(jobs, time) {
  document.getElementById('job-count').textContent = `(${jobs.length})`
  const body = document.getElementById('job-body')
  const names = new Set(jobs.map((j) => j.name))
  for (const [name, view] of jobViews) {
    if (!names.has(name)) {
      view.chart?.destroy()
      view.root.remove()
      jobViews.delete(name)
    }
  }
  if (jobs.length === 0) {
    body.replaceChildren(el('p', { class: 'empty', text: 'No running jobs.' }))
    return
  }
  body.querySelector(':scope > p.empty')?.remove()
  for (const job of jobs) {
    let view = jobViews.get(job.name)
    if (!view) {
      view = createJobView(job)
      jobViews.set(job.name, view)
    }
    body.append(view.root) // keeps the snapshot's order
    updateJobView(view, job, time)
  }
}

function createJobView(job) {
  const head = el('div', { class: 'job-head' })
  const flow = el('div', { class: 'flow' })
  const operators = el('div', { class: 'operators scroll' })
  const chartBox = el('div', { class: 'chart job-chart' })
  const checkpoints = el('div', { class: 'checkpoints' })
  const root = el('div', { class: 'job', dataset: { job: job.name } }, head, flow, operators,
    el('div', { class: 'job-cols' },
      el('div', {}, el('h3', { title: 'Records per second read by the sources and written by the sinks, per snapshot.', text: 'Throughput (records/s)' }), chartBox),
      el('div', {}, el('h3', { title: 'The most recent checkpoints, newest first.', text: 'Checkpoints' }), checkpoints)))
  return { root, head, flow, operators, chartBox, checkpoints, chart: undefined, data: [[], [], []], lastTime: 0 }
}

/** Operators in topological order of the edges (ties by id); any left over (a cycle) by id. */
function topoOrder(ops, edges) {
  const indegree = new Map(ops.map((o) => [o.id, 0]))
  for (const e of edges) if (indegree.has(e.to)) indegree.set(e.to, indegree.get(e.to) + 1)
  const ready = ops.filter((o) => indegree.get(o.id) === 0).map((o) => o.id).sort((a, b) => a - b)
  const byId = new Map(ops.map((o) => [o.id, o]))
  const out = []
  const seen = new Set()
  while (ready.length) {
    const id = ready.shift()
    if (seen.has(id)) continue
    seen.add(id)
    out.push(byId.get(id))
    for (const e of edges) {
      if (e.from !== id || !indegree.has(e.to)) continue
      indegree.set(e.to, indegree.get(e.to) - 1)
      if (indegree.get(e.to) === 0) { ready.push(e.to); ready.sort((a, b) => a - b) }
    }
  }
  for (const o of ops) if (!seen.has(o.id)) out.push(o)
  return out
}

function updateJobView(view, job, time) {
  const ops = topoOrder(job.operators ?? [], job.edges ?? [])
  const edges = job.edges ?? []
  const names = new Map(ops.map((o) => [o.id, o.name]))

  view.head.replaceChildren(
    el('h3', { text: job.name }),
    el('span', { class: `badge ${job.status}`, title: 'Job status: created, running, finished, failed or cancelled.', text: job.status }),
    el('span', {}, 'parallelism ', num(fmtInt(job.parallelism), TIP.parallelism)),
    el('span', { class: 'muted', title: 'Where operators run: inline (in this process) or workers (worker threads).', text: job.executor }),
    el('span', {}, 'up ', num(fmtDuration(time - job.startedAt), TIP.uptime, new Date(job.startedAt).toISOString())))

  // The graph as a flow: operators in topological order, arrows where an edge joins neighbours.
  const flowItems = []
  ops.forEach((op, i) => {
    if (i > 0) {
      const edge = edges.find((e) => e.from === ops[i - 1].id && e.to === op.id)
      flowItems.push(el('span', { class: 'arrow', title: edge ? (edge.keyed ? 'keyed: records are partitioned by key' : 'forward') : 'not directly connected (see the table)', text: edge ? (edge.keyed ? '⇒' : '→') : '·' }))
    }
    flowItems.push(el('span', { class: 'op', title: `#${op.id} ${op.kind}: ${op.name}` }, el('span', { class: 'kind', text: op.kind }), op.name,
      ' ', num(`${fmtRate(op.recordsOutPerSec)}/s`, TIP.outRate)))
  })
  view.flow.replaceChildren(...flowItems)

  const table = el('table', { class: 'operator-table' },
    el('thead', {}, el('tr', {},
      th('#', 'Operator id within the job graph.'), th('operator', 'Operator name and kind.', false),
      th('in/s', TIP.inRate), th('out/s', TIP.outRate), th('in', TIP.inTotal), th('out', TIP.outTotal),
      th('watermark', TIP.watermark), th('queue', TIP.queue), th('state', TIP.state), th('late', TIP.late), th('to', TIP.downstream, false))),
    el('tbody', {}, ops.map((op) => {
      const wm = n(op.watermark)
      const downstream = edges.filter((e) => e.from === op.id).map((e) => `${names.get(e.to) ?? '#' + e.to}${e.keyed ? ' (keyed)' : ''}`).join(', ')
      return el('tr', { dataset: { operator: op.id } },
        td(String(op.id)),
        td(el('span', {}, el('span', { class: 'badge', text: op.kind }), ' ', op.name), false),
        td(num(fmtRate(n(op.recordsInPerSec)), TIP.inRate, n(op.recordsInPerSec), 'records-in-per-sec')),
        td(num(fmtRate(n(op.recordsOutPerSec)), TIP.outRate, n(op.recordsOutPerSec), 'records-out-per-sec')),
        td(num(fmtInt(op.recordsIn), TIP.inTotal, op.recordsIn, 'records-in')),
        td(num(fmtInt(op.recordsOut), TIP.outTotal, op.recordsOut, 'records-out')),
        td(num(fmtWatermark(wm), TIP.watermark, Number.isFinite(wm) ? `${wm} (${new Date(wm).toISOString()})` : String(wm), 'watermark')),
        td(el('span', {}, num(fmtInt(op.queueDepth), TIP.queue, op.queueDepth, 'queue-depth'), bar(op.queueDepth, QUEUE_FULL))),
        td(num(fmtInt(op.stateSize), TIP.state, op.stateSize, 'state-size')),
        td(num(fmtInt(op.lateRecords), TIP.late, op.lateRecords, 'late-records')),
        td(downstream || '—', false))
    })))
  view.operators.replaceChildren(table)

  // Checkpoint history, newest first.
  const cps = [...(job.checkpoints ?? [])].sort((a, b) => b.id - a.id)
  const completed = cps.filter((c) => c.status === 'completed').length
  const failed = cps.filter((c) => c.status === 'failed').length
  view.checkpoints.replaceChildren(
    cps.length === 0 ? el('p', { class: 'empty', text: 'No checkpoints yet.' }) : el('div', {},
      el('p', {}, num(fmtInt(completed), TIP.ckptCompleted, undefined, 'checkpoints-completed'), ' completed, ',
        num(fmtInt(failed), TIP.ckptFailed, undefined, 'checkpoints-failed'), ' failed'),
      el('table', { class: 'checkpoint-table' },
        el('thead', {}, el('tr', {}, th('id', TIP.ckptId), th('started', TIP.ckptStarted), th('duration', TIP.ckptDuration), th('size', TIP.ckptBytes), th('status', TIP.ckptStatus, false))),
        el('tbody', {}, cps.slice(0, CHECKPOINTS_SHOWN).map((c) => el('tr', {},
          td(num(String(c.id), TIP.ckptId, undefined, 'checkpoint-id')),
          td(num(fmtTime(c.startedAt), TIP.ckptStarted, new Date(c.startedAt).toISOString())),
          td(num(c.status === 'in-progress' ? '…' : fmtDuration(c.durationMs), TIP.ckptDuration, `${c.durationMs} ms`)),
          td(num(fmtBytes(c.bytes), TIP.ckptBytes, `${c.bytes} bytes`)),
          td(el('span', { class: `badge ${c.status}`, title: TIP.ckptStatus, text: c.status }), false)))))))

  // Throughput chart: sources' output and sinks' input per snapshot.
  if (time > view.lastTime) {
    view.lastTime = time
    const sources = ops.filter((o) => o.kind === 'source')
    const sinks = ops.filter((o) => o.kind === 'sink')
    const sum = (list, key) => list.reduce((s, o) => s + (Number.isFinite(n(o[key])) ? n(o[key]) : 0), 0)
    view.data[0].push(time / 1000)
    view.data[1].push(sum(sources.length ? sources : ops.slice(0, 1), 'recordsOutPerSec'))
    view.data[2].push(sum(sinks.length ? sinks : ops.slice(-1), 'recordsInPerSec'))
    if (view.data[0].length > JOB_POINTS) for (const column of view.data) column.shift()
    if (!view.chart) {
      view.chart = new uPlot({
        width: chartWidth(view.chartBox), height: 160,
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        series: [{}, { label: 'sources out/s', stroke: COLORS[0], width: 2 }, { label: 'sinks in/s', stroke: COLORS[2], width: 2 }],
        axes: [{}, { size: 60 }],
      }, view.data, view.chartBox)
      observeWidth(view.chartBox, view.chart, 160)
    } else view.chart.setData(view.data)
  }
}

function observeWidth(container, chart, height) {
  new ResizeObserver(() => chart.setSize({ width: chartWidth(container), height })).observe(container)
}

// ---------------------------------------------------------------- IoT channels

const iot = {
  windows: new Map(), // windowEnd → { sensorId: avg }
  sensors: [], // ids drawn, in first-seen order
  distinct: [[], []],
  topk: [],
  alerts: [],
  alertCount: 0,
  averagesChart: undefined,
  distinctChart: undefined,
  seen: false,
}
let renderPending = false

function resetChannels() {
  iot.windows.clear()
  iot.distinct = [[], []]
  iot.topk = []
  iot.alerts = []
  iot.alertCount = 0
  scheduleIotRender()
}

function onChannel(channel, data) {
  if (!data || typeof data !== 'object') return
  switch (channel) {
    case 'iot.averages': {
      const windowEnd = n(data.windowEnd)
      if (!Number.isFinite(windowEnd) || !data.sensors) return
      iot.windows.set(windowEnd, { ...(iot.windows.get(windowEnd) ?? {}), ...data.sensors })
      for (const id of Object.keys(data.sensors)) {
        if (iot.sensors.length < AVERAGE_SENSORS && !iot.sensors.includes(id)) iot.sensors.push(id)
      }
      if (iot.windows.size > AVERAGE_WINDOWS) {
        const ends = [...iot.windows.keys()].sort((a, b) => a - b)
        for (const end of ends.slice(0, ends.length - AVERAGE_WINDOWS)) iot.windows.delete(end)
      }
      break
    }
    case 'iot.distinct': {
      const t = n(data.timestamp)
      if (!Number.isFinite(t)) return
      iot.distinct[0].push(t / 1000)
      iot.distinct[1].push(n(data.estimate))
      if (iot.distinct[0].length > DISTINCT_POINTS) { iot.distinct[0].shift(); iot.distinct[1].shift() }
      break
    }
    case 'iot.topk':
      iot.topk = Array.isArray(data.items) ? data.items : []
      break
    case 'iot.alerts':
      iot.alerts.unshift(data)
      iot.alertCount++
      if (iot.alerts.length > ALERTS_SHOWN) iot.alerts.length = ALERTS_SHOWN
      break
    default:
      return
  }
  iot.seen = true
  scheduleIotRender()
}

function scheduleIotRender() {
  if (renderPending) return
  renderPending = true
  // requestAnimationFrame does not run in a hidden tab; a timeout does.
  setTimeout(() => {
    renderPending = false
    renderIot()
  }, 50)
}

function renderIot() {
  document.getElementById('iot-empty').hidden = iot.seen
  renderAverages()
  renderDistinct()
  renderTopk()
  renderAlerts()
}

function renderAverages() {
  const box = document.getElementById('chart-averages')
  const ends = [...iot.windows.keys()].sort((a, b) => a - b)
  const data = [ends.map((e) => e / 1000), ...iot.sensors.map((id) => ends.map((e) => {
    const v = iot.windows.get(e)[id]
    return v === undefined ? null : n(v)
  }))]
  if (iot.averagesChart && iot.averagesChart.series.length !== iot.sensors.length + 1) {
    iot.averagesChart.destroy()
    iot.averagesChart = undefined
    box.replaceChildren()
  }
  if (!iot.averagesChart && iot.sensors.length > 0) {
    iot.averagesChart = new uPlot({
      width: chartWidth(box), height: 240,
      series: [{}, ...iot.sensors.map((id, i) => ({ label: id, stroke: COLORS[i % COLORS.length], width: 2, spanGaps: true, value: (_u, v) => (v == null ? '—' : fmtDec(v)) }))],
      axes: [{}, { size: 60 }],
    }, data, box)
    observeWidth(box, iot.averagesChart, 240)
  } else if (iot.averagesChart) iot.averagesChart.setData(data)

  const latestEnd = ends[ends.length - 1]
  const latest = latestEnd === undefined ? {} : iot.windows.get(latestEnd)
  document.getElementById('averages-latest').replaceChildren(...iot.sensors.map((id, i) => el('span', { dataset: { sensor: id } },
    el('span', { class: 'swatch', style: `background:${COLORS[i % COLORS.length]}` }), `${id}: `,
    num(latest[id] === undefined ? '—' : fmtDec(n(latest[id])), `${TIP.average} Window ending ${latestEnd === undefined ? '—' : new Date(latestEnd).toISOString()}.`, latest[id], 'sensor-average'))))
}

function renderDistinct() {
  const box = document.getElementById('chart-distinct')
  const [times, values] = iot.distinct
  const last = values[values.length - 1]
  const now = document.getElementById('distinct-now')
  now.textContent = last === undefined ? '—' : fmtInt(Math.round(last))
  now.dataset.value = last === undefined ? '' : String(last)
  if (times.length === 0) return
  if (!iot.distinctChart) {
    iot.distinctChart = new uPlot({
      width: chartWidth(box), height: 160,
      series: [{}, { label: 'distinct sensors', stroke: COLORS[0], width: 2, fill: 'rgba(23,105,170,0.08)' }],
      axes: [{}, { size: 60 }],
    }, [times, values], box)
    observeWidth(box, iot.distinctChart, 160)
  } else iot.distinctChart.setData([times, values])
}

function renderTopk() {
  const max = Math.max(1, ...iot.topk.map((i) => n(i.count)))
  document.getElementById('topk').replaceChildren(...iot.topk.map((item) => el('li', { dataset: { key: item.key } },
    el('span', { class: 'sensor', text: String(item.key) }), ' ',
    num(fmtInt(n(item.count)), TIP.topkCount, item.count, 'topk-count'), bar(n(item.count), max, false))))
}

function renderAlerts() {
  document.getElementById('alert-count').textContent = `(${fmtInt(iot.alertCount)})`
  document.getElementById('alerts').replaceChildren(...iot.alerts.map((a) => el('li', {},
    el('span', { class: 'when', title: 'Event time of the reading.', text: Number.isFinite(n(a.timestamp)) ? fmtWatermark(n(a.timestamp)) : '—' }),
    el('span', { class: 'sensor', text: String(a.sensorId) }),
    num(fmtDec(n(a.value)), TIP.alertValue, a.value),
    el('span', { class: 'reason', text: String(a.reason ?? '') }))))
}

// ---------------------------------------------------------------- start

setStatus(false)
connect()
