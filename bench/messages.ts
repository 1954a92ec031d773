/**
 * Message delivery benchmark (docs/design.md §9, the goals of P1 and P2): the demo host with the
 * live chat plugin against the floor, a bare Fastify + @fastify/websocket relay that does one
 * INSERT per message, on the database DATABASE_URL names (SQLite in a temp file, WAL, when it
 * is unset), one after the other in the same run.
 *
 * Both are driven the same way over loopback, through their real HTTP and socket routes, from
 * this same process: the agents sign in and switch Available on, the customers start their
 * chats on the portal and the agents accept them; then every chat has its customer's socket
 * and every agent one console socket holding all their chats. Three phases follow: an
 * unmeasured warm-up, a fixed rate over all the chats (P1: delivery at a steady load; the
 * sender never waits), and a closed loop of a few chats that each keep one message in flight
 * (P2: throughput, as a ratio to the floor's). Delivery latency runs from the client's send()
 * to the moment the OTHER side's socket receives the fragment holding that message's unique
 * token. Every figure is printed as `label: value unit`, then its goal as `goal: …` where
 * the issue sets one; the run exits 1 when any message went missing or arrived twice.
 *
 * Environment: DATABASE_URL; BENCH_CHATS (1000), BENCH_AGENTS (250), BENCH_RATE total msg/s in
 * the fixed-rate phase (500), BENCH_SENDERS chats in the closed loop (50), BENCH_SECONDS per
 * phase (10), BENCH_WARMUP unmeasured closed-loop seconds (2); BENCH_SHORT=1 for a quick run
 * (200 chats, 50 agents, 4 s phases; each still overridable); BENCH_DEBUG (`1`: a timeline per
 * phase on stderr; `frames`: every frame received); BENCH_TIMEOUT hard limit for the whole run
 * in seconds (default from the others); BENCH_PROFILE a file to write a CPU profile of our closed
 * loop to (V8's .cpuprofile, through node:inspector, so setup and the floor stay out of it);
 * BENCH_HEAP_PROFILE a file to write a sampling heap profile of our fixed-rate phase to
 * (.heapprofile: what allocates, which is what the GC's pauses there pay for).
 */
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks'
import websocket from '@fastify/websocket'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import WebSocket from 'ws'
import { buildDemoHost } from '../demo-host/app.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'
import { Browser, fmt, freshDatabase, guardRun, numberFromEnv, percentile, sleep } from './common.ts'

const SHORT = process.env.BENCH_SHORT === '1'
const CHATS = Math.floor(numberFromEnv('BENCH_CHATS', SHORT ? 200 : 1000, 1))
const AGENTS = Math.min(CHATS, Math.floor(numberFromEnv('BENCH_AGENTS', SHORT ? 50 : 250, 1)))
const SENDERS = Math.min(CHATS, Math.floor(numberFromEnv('BENCH_SENDERS', 50, 1)))
const SECONDS = numberFromEnv('BENCH_SECONDS', SHORT ? 4 : 10, 0.5)
const RATE = numberFromEnv('BENCH_RATE', 500, 1)
const WARMUP_SECONDS = numberFromEnv('BENCH_WARMUP', 2, 0)
/** How many sign-ins, chat starts or socket opens the setup has in flight at once. */
const SETUP_CONCURRENCY = 8
/** How long a phase waits, after its last send, for the messages still in flight. */
const DRAIN_MS = 10_000
/** After the drain, how long we keep listening for copies that would be duplicates. */
const SETTLE_MS = 300
const SETUP_MS = 60_000 + CHATS * 100 + AGENTS * 100
const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', (4 * SECONDS * 1000 + 2 * WARMUP_SECONDS * 1000 + 6 * DRAIN_MS + 2 * SETUP_MS) / 1000, 10) * 1000
/** The goals of issue 16 (P1, P2), printed beside the figures. */
const GOAL_P99_MS = 25
const GOAL_FLOOR_RATIO = 0.5
/** A fixed-rate phase that delivers less than this share of the offered rate has saturated: it falls behind for good. */
const SATURATED_BELOW = 0.95

/** Runs `fn(i)` for i in 0..count-1, at most `limit` at a time. */
async function inParallel (count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count && !run.halted()) await fn(next++)
  }
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker))
}

// ---------------------------------------------------------------------------------------
// Bookkeeping shared by both systems

type Side = 'customer' | 'agent'

interface Peer {
  ws: WebSocket
  label: string
  /** Per chat, the last seq this socket saw: seqs must rise (the plugin promises order). */
  lastSeq: Map<string, number>
}

interface Pair {
  index: number
  /** The chat id (ours) or the pair number (floor), as sent in frames. */
  chatId: string
  customer: Peer
  agent: Peer
  /** The side that sends next in the closed loop. */
  next: Side
  /** Whether the agent has written in this chat yet: the first answer is a chat's costliest message. */
  answered: boolean
}

interface Sent {
  id: number
  pair: Pair
  to: Peer
  sentAt: number
  receivedAt: number
  copies: number
  /** The agent's first message in the chat (it stops the chat's clock of time to first response). */
  first: boolean
}

interface Tracker {
  sent: Map<number, Sent>
  nextId: number
  outOfOrder: number
  refusals: number
  onDelivered: (s: Sent) => void
}

function newTracker (): Tracker {
  return { sent: new Map(), nextId: 1, outOfOrder: 0, refusals: 0, onDelivered: () => {} }
}

/** Looks for message tokens in a frame received by `peer`; counts the ones addressed to it. */
function receive (tracker: Tracker, peer: Peer, text: string): void {
  // An error notice, or a composer handed back with its draft and an error: the message was refused.
  if (text.includes('data-code="LC_ERR_') || text.includes('lc-field-error')) {
    if (++tracker.refusals <= 5) console.error(`refused on ${peer.label}: ${text.replace(/\s+/g, ' ').slice(0, 400)}`)
  }
  if (!text.includes('data-seq')) return
  const now = performance.now()
  for (const part of text.split('<li ').slice(1)) {
    const token = /\bt(\d+)x\b/.exec(part)
    if (!token) continue
    const s = tracker.sent.get(Number(token[1]))
    // The sender's own copy, or (one socket per chat) another tab of the same agent.
    if (!s || s.to !== peer) continue
    if (++s.copies > 1) continue
    const seq = Number(/data-seq="(\d+)"/.exec(part)?.[1] ?? NaN)
    const last = peer.lastSeq.get(s.pair.chatId) ?? -1
    if (!(seq > last)) tracker.outOfOrder++
    else peer.lastSeq.set(s.pair.chatId, seq)
    s.receivedAt = now
    tracker.onDelivered(s)
  }
}

interface System {
  name: string
  pairs: Pair[]
  tracker: Tracker
  frame: (pair: Pair, body: string, clientMsgId: string) => string
}

/** Set when the run is cut short: nothing more is sent. */

function send (sys: System, pair: Pair, from: Side): Sent {
  const t = sys.tracker
  const id = t.nextId++
  const first = from === 'agent' && !pair.answered
  if (from === 'agent') pair.answered = true
  const s: Sent = { id, pair, to: from === 'customer' ? pair.agent : pair.customer, sentAt: 0, receivedAt: 0, copies: 0, first }
  t.sent.set(id, s)
  const peer = from === 'customer' ? pair.customer : pair.agent
  const frame = sys.frame(pair, `bench t${id}x from the ${from}`, `bench-${String(id).padStart(8, '0')}`)
  s.sentAt = performance.now()
  if (!run.halted() && peer.ws.readyState === WebSocket.OPEN) peer.ws.send(frame)
  return s
}

/** Waits until every message in `list` has arrived or DRAIN_MS passed, then listens a little longer. */
async function drain (list: Sent[]): Promise<void> {
  const until = performance.now() + DRAIN_MS
  while (performance.now() < until && list.some((s) => s.copies === 0)) await sleep(20)
  await sleep(SETTLE_MS)
}

interface PhaseResult {
  sent: number
  delivered: number
  perSecond: number
  p50: number
  p99: number
  max: number
  /** CPU of this whole process (server and clients alike) per message delivered, in ms. */
  cpuMs?: number
  /** Statements sent to the database (each a round trip) per message delivered, every statement of the phase counted. */
  statements?: number
  /** Frames the clients received per message delivered (each a write on the server's side). */
  frames?: number
  /** The event loop's delay over the phase (perf_hooks' histogram): p99 and max, in ms. */
  loopP99?: number
  loopMax?: number
  /** Garbage collection over the phase: pauses, their total and the longest, in ms. */
  gcCount?: number
  gcMs?: number
  gcMax?: number
}

/** Watches the event loop's delay and the GC's pauses over a phase: what makes a delivery tail. */
function stalls (): () => Pick<PhaseResult, 'loopP99' | 'loopMax' | 'gcCount' | 'gcMs' | 'gcMax'> {
  const h = monitorEventLoopDelay({ resolution: 5 })
  h.enable()
  let gcCount = 0
  let gcMs = 0
  let gcMax = 0
  // Per kind (V8's: 1 minor, 2 major, 4 incremental marking, 8 weak callbacks): a long pause's kind says where to look.
  const byKind = new Map<number, { n: number, ms: number, max: number }>()
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcCount++
      gcMs += e.duration
      gcMax = Math.max(gcMax, e.duration)
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0
      const k = byKind.get(kind) ?? { n: 0, ms: 0, max: 0 }
      k.n++
      k.ms += e.duration
      k.max = Math.max(k.max, e.duration)
      byKind.set(kind, k)
    }
  })
  obs.observe({ entryTypes: ['gc'] })
  // With BENCH_DEBUG, the same per 500 ms: the worst lateness of a 5 ms timer and the GC's pauses.
  const t0 = performance.now()
  const slices = new Map<number, { late: number, gc: number }>()
  const slice = (at: number): { late: number, gc: number } => {
    const k = Math.floor((at - t0) / 500)
    let e = slices.get(k)
    if (!e) slices.set(k, e = { late: 0, gc: 0 })
    return e
  }
  let expected = performance.now() + 5
  const probe = process.env.BENCH_DEBUG
    ? setInterval(() => { const now = performance.now(); const e = slice(now); e.late = Math.max(e.late, now - expected); expected = now + 5 }, 5)
    : undefined
  const gcSlices = process.env.BENCH_DEBUG
    ? new PerformanceObserver((list) => { for (const e of list.getEntries()) slice(e.startTime).gc += e.duration })
    : undefined
  gcSlices?.observe({ entryTypes: ['gc'] })
  return () => {
    clearInterval(probe)
    gcSlices?.disconnect()
    if (probe) {
      console.error(`loop late / gc: ${[...slices].map(([k, e]) => `${k / 2}s:${e.late.toFixed(0)}/${e.gc.toFixed(0)}ms`).join(' ')}`)
      const heap = process.memoryUsage()
      console.error(`gc by kind: ${[...byKind].map(([kind, k]) => `${kind}: ${k.n} pauses, ${k.ms.toFixed(0)} ms, longest ${k.max.toFixed(1)} ms`).join('; ')}; heap used ${(heap.heapUsed / 1e6).toFixed(0)} MB of ${(heap.heapTotal / 1e6).toFixed(0)} MB`)
    }
    h.disable()
    obs.disconnect()
    return { loopP99: h.percentile(99) / 1e6, loopMax: h.max / 1e6, gcCount, gcMs, gcMax }
  }
}

/** Statements the database has been sent so far, from knex's 'query' events (grouped writes raise them too). */
let statementsSent = 0
/** Socket frames the clients have received so far, every socket's. */
let framesReceived = 0

/** With BENCH_DEBUG: per 500 ms of send time, how many were sent and their worst latency. */
function timeline (name: string, list: Sent[]): void {
  if (!process.env.BENCH_DEBUG || list.length === 0) return
  const t0 = list[0]!.sentAt
  const buckets = new Map<number, { n: number, worst: number }>()
  for (const s of list) {
    const b = Math.floor((s.sentAt - t0) / 500)
    const e = buckets.get(b) ?? { n: 0, worst: 0 }
    e.n++
    e.worst = Math.max(e.worst, s.copies > 0 ? s.receivedAt - s.sentAt : Infinity)
    buckets.set(b, e)
  }
  console.error(`${name}: ${[...buckets].map(([b, e]) => `${b / 2}s:${e.n}/${e.worst.toFixed(0)}ms`).join(' ')}`)
}

function summarise (list: Sent[], delivered: number, seconds: number): PhaseResult {
  timeline('timeline', list)
  if (process.env.BENCH_DEBUG) {
    for (const [name, some] of [['first answers', list.filter((s) => s.first)], ['other messages', list.filter((s) => !s.first)]] as const) {
      const lat = some.filter((s) => s.copies > 0).map((s) => s.receivedAt - s.sentAt).sort((a, b) => a - b)
      console.error(`${name}: ${some.length}, p50 / p99 ${fmt(percentile(lat, 0.5))} / ${fmt(percentile(lat, 0.99))} ms`)
    }
  }
  const lat = list.filter((s) => s.copies > 0).map((s) => s.receivedAt - s.sentAt).sort((a, b) => a - b)
  return { sent: list.length, delivered, perSecond: delivered / seconds, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), max: lat.at(-1) ?? NaN }
}

/** An unmeasured closed loop first: connections, statements, templates and the JIT warm up. */
async function warmUp (sys: System): Promise<void> {
  await loop(sys, WARMUP_SECONDS)
}

/** RATE msg/s in total, chat after chat, alternating customer→agent and agent→customer. */
async function fixedRate (sys: System): Promise<PhaseResult> {
  const total = Math.max(1, Math.round(RATE * SECONDS))
  const n = sys.pairs.length
  const list: Sent[] = []
  const heapProfile = sys.name === 'ours' && process.env.BENCH_HEAP_PROFILE ? new Session() : undefined
  if (heapProfile) {
    heapProfile.connect()
    await heapProfile.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
  }
  const start = performance.now()
  const sentBefore = statementsSent
  const stalled = stalls()
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor((performance.now() - start) / 1000 * RATE) + 1)
      while (list.length < due) {
        const k = list.length
        // Over consecutive rounds of the chats the direction flips, whatever n's parity.
        const from: Side = (k + Math.floor(k / n)) % 2 === 0 ? 'customer' : 'agent'
        list.push(send(sys, sys.pairs[k % n]!, from))
      }
      if (list.length >= total || run.halted()) resolve()
      else setTimeout(tick, 1)
    }
    tick()
  })
  await drain(list)
  const loopAndGc = stalled()
  if (heapProfile) {
    const { profile } = await heapProfile.post('HeapProfiler.stopSampling')
    await writeFile(process.env.BENCH_HEAP_PROFILE!, JSON.stringify(profile))
    heapProfile.disconnect()
  }
  const got = list.filter((s) => s.copies > 0)
  const last = got.reduce((m, s) => Math.max(m, s.receivedAt), start + 1)
  return { ...summarise(list, got.length, (last - start) / 1000), statements: (statementsSent - sentBefore) / got.length, ...loopAndGc }
}

/** The closed loop's chats: SENDERS of them, spread over the agents. */
function senders (sys: System): Pair[] {
  const step = sys.pairs.length / SENDERS
  return Array.from({ length: SENDERS }, (_, i) => sys.pairs[Math.floor(i * step)]!)
}

/** Each of the SENDERS chats keeps one message in flight, the sides taking turns, for `seconds`; then drains. */
async function loop (sys: System, seconds: number): Promise<{ list: Sent[], end: number }> {
  const list: Sent[] = []
  const start = performance.now()
  const end = start + seconds * 1000
  const next = (pair: Pair): void => {
    const from = pair.next
    pair.next = from === 'customer' ? 'agent' : 'customer'
    list.push(send(sys, pair, from))
  }
  sys.tracker.onDelivered = (s) => { if (performance.now() < end) next(s.pair) }
  for (const pair of senders(sys)) next(pair)
  await sleep(seconds * 1000)
  sys.tracker.onDelivered = () => {}
  await drain(list)
  return { list, end }
}

async function closedLoop (sys: System): Promise<PhaseResult> {
  const profile = sys.name === 'ours' && process.env.BENCH_PROFILE ? new Session() : undefined
  if (profile) {
    profile.connect()
    await profile.post('Profiler.enable')
    await profile.post('Profiler.start')
  }
  const cpu = process.cpuUsage()
  const sentBefore = statementsSent
  const framesBefore = framesReceived
  const { list, end } = await loop(sys, SECONDS)
  const used = process.cpuUsage(cpu)
  if (profile) {
    const { profile: taken } = await profile.post('Profiler.stop')
    await writeFile(process.env.BENCH_PROFILE!, JSON.stringify(taken))
    profile.disconnect()
  }
  const statements = statementsSent - sentBefore
  const delivered = list.filter((s) => s.copies > 0 && s.receivedAt <= end).length
  const got = list.filter((s) => s.copies > 0).length
  return { ...summarise(list, delivered, SECONDS), cpuMs: (used.user + used.system) / 1000 / got, statements: statements / got, frames: (framesReceived - framesBefore) / got }
}

interface Outcome {
  fixed: PhaseResult
  closed: PhaseResult
  missing: number
  duplicates: number
  outOfOrder: number
}

async function drive (sys: System): Promise<Outcome> {
  await warmUp(sys)
  const fixed = await fixedRate(sys)
  const closed = await closedLoop(sys)
  const all = [...sys.tracker.sent.values()]
  const lost = all.filter((s) => s.copies === 0)
  for (const s of lost.slice(0, 10)) {
    console.error(`${sys.name}: message t${s.id}x (chat ${s.pair.chatId}, to ${s.to.label}) never arrived`)
  }
  return {
    fixed,
    closed,
    missing: all.filter((s) => s.copies === 0).length,
    duplicates: all.reduce((n, s) => n + Math.max(0, s.copies - 1), 0),
    outOfOrder: sys.tracker.outOfOrder
  }
}

// ---------------------------------------------------------------------------------------
// Clients

const openSockets = new Set<WebSocket>()

/** Opens a socket and resolves on its first frame: the server has wired it by then. */
async function connect (url: string, headers: Record<string, string>, tracker: Tracker, label: string): Promise<Peer> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false })
  openSockets.add(ws)
  const peer: Peer = { ws, label, lastSeq: new Map() }
  ws.on('error', (err) => { console.error(`socket ${label}: ${err.message}`) })
  ws.on('close', (code) => {
    openSockets.delete(ws)
    if (!closing) console.error(`socket ${label} closed by the server (${code})`)
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`socket ${label}: no first frame in 10 s`)) }, 10_000)
    ws.once('unexpected-response', (_req, res) => { clearTimeout(timer); reject(new Error(`socket ${label}: upgrade refused (${res.statusCode})`)) })
    ws.once('message', () => { clearTimeout(timer); resolve() })
  })
  ws.on('message', (data) => {
    framesReceived++
    if (process.env.BENCH_DEBUG === 'frames') console.error(`[${label}] ${data.toString().slice(0, 600)}`)
    receive(tracker, peer, data.toString())
  })
  return peer
}

const seqsIn = (html: string): number[] => [...html.matchAll(/data-seq="(\d+)"/g)].map((m) => Number(m[1]))

// ---------------------------------------------------------------------------------------
// Our system: the demo host with the plugin

/**
 * AGENTS host users with the agent role and the demo password, all working Support L1 (where
 * the portal's chats start) with room for their share of the chats; usernames bench0001….
 */
async function addAgents (knex: Knex): Promise<string[]> {
  const at = Date.now()
  const { password_hash: passwordHash } = await knex('users').where({ username: 'alice' }).first('password_hash')
  const names = Array.from({ length: AGENTS }, (_, i) => `bench${String(i + 1).padStart(4, '0')}`)
  const rows = names.map((username, i) => ({ username, name: `Bench Agent ${i + 1}`, email: `${username}@helpdesk.example`, roles: 'agent', password_hash: passwordHash, created_at: at }))
  for (let i = 0; i < rows.length; i += 100) await knex('users').insert(rows.slice(i, i + 100))
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  const l1 = (await routing.groups()).find((g) => g.name === 'Support L1')!
  const share = Math.ceil(CHATS / AGENTS) + 1
  for (const username of names) {
    const user = await knex('users').where({ username }).first('id')
    await routing.setMember(l1.id, String(user.id), { active: true, maxChats: share })
  }
  return names
}

async function ours (knex: Knex, names: string[]): Promise<{ sys: System, close: () => Promise<void>, setupSeconds: number }> {
  const began = performance.now()
  const app = await buildDemoHost({
    knex,
    logger: { level: 'warn', stream: process.stderr },
    pluginOptions: {
      jobs: false,
      settings: { messagesPerMinute: 10_000, chatStartsPerMinute: 1000, chatStartsPerCustomerPerMinute: 1000 }
    }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const wsBase = base.replace(/^http/, 'ws')
  const tracker = newTracker()

  // Each agent signs in and switches Available on, so Support is online and the portal takes chats.
  const agents: Array<{ browser: Browser, token: string }> = []
  await inParallel(names.length, SETUP_CONCURRENCY, async (i) => {
    const browser = new Browser(base)
    const login = await browser.request('POST', '/login', { form: { username: names[i]!, password: 'demo' } })
    if (login.status !== 303) throw new Error(`login as ${names[i]} failed: ${login.status}`)
    const token = await browser.csrf('/livechat/console')
    const on = await browser.request('POST', '/livechat/console/availability', { form: { available: 'on', _csrf: token }, headers: { 'x-csrf-token': token, 'hx-request': 'true' } })
    if (on.status !== 200) throw new Error(`${names[i]} could not switch Available on: ${on.status}`)
    agents[i] = { browser, token }
  })

  // Chat i goes to agent i mod AGENTS, who accepts it as the console's Accept does.
  const chats: Array<{ chatId: string, customer: Browser, since: number }> = []
  await inParallel(CHATS, SETUP_CONCURRENCY, async (i) => {
    const customer = new Browser(base)
    const token = await customer.csrf('/livechat/start')
    const form = { name: `Bench Customer ${i}`, email: `bench${i}@customer.example`, question: `Benchmark chat ${i}`, _csrf: token }
    let res = await customer.request('POST', '/livechat/start', { form })
    // More starts than the per-address limit (1,000 a minute) allows at once: wait for its window.
    for (let waited = 0; res.status === 429 && waited < 70 && !run.halted(); waited += 5) {
      await sleep(5000)
      res = await customer.request('POST', '/livechat/start', { form })
    }
    // Knowledge articles the question matched come first: continue to chat.
    if (res.status === 200 && res.body.includes('id="lc-suggestions"')) res = await customer.request('POST', '/livechat/start/continue', { form })
    const chatId = /\/chat\/(\d+)$/.exec(res.location ?? '')?.[1]
    if (res.status !== 303 || !chatId) throw new Error(`starting chat ${i} failed: ${res.status} ${res.body.slice(0, 300)}`)
    const a = agents[i % AGENTS]!
    const accepted = await a.browser.request('POST', `/livechat/console/chats/${chatId}/accept`, {
      form: { _csrf: a.token }, headers: { 'x-csrf-token': a.token, 'hx-request': 'true' }
    })
    if (accepted.status !== 200) throw new Error(`${names[i % AGENTS]} accepting chat ${chatId} failed: ${accepted.status} ${accepted.body.slice(0, 300)}`)
    chats[i] = { chatId, customer, since: Math.max(0, ...seqsIn(accepted.body)) }
  })

  // One console socket per agent: it follows every chat the agent has, as the console does.
  const consoles: Peer[] = []
  await inParallel(AGENTS, SETUP_CONCURRENCY, async (a) => {
    consoles[a] = await connect(`${wsBase}/livechat/ws/console`, { cookie: agents[a]!.browser.cookie(), origin: base }, tracker, `${names[a]}'s console`)
  })
  const pairs: Pair[] = []
  await inParallel(CHATS, SETUP_CONCURRENCY, async (index) => {
    const c = chats[index]!
    const customer = await connect(`${wsBase}/livechat/ws/chat/${c.chatId}?since=${c.chatId}.${c.since}`,
      { cookie: c.customer.cookie(), origin: base }, tracker, `customer of chat ${c.chatId}`)
    pairs[index] = { index, chatId: c.chatId, customer, agent: consoles[index % AGENTS]!, next: 'customer', answered: false }
  })

  return {
    sys: {
      name: 'ours',
      pairs,
      tracker,
      frame: (pair, body, clientMsgId) => JSON.stringify({ type: 'message', chat_id: pair.chatId, body, client_msg_id: clientMsgId })
    },
    close: async () => { await closeSockets(pairs); await app.close() },
    setupSeconds: (performance.now() - began) / 1000
  }
}

// ---------------------------------------------------------------------------------------
// The floor: a bare relay, one INSERT per message

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

async function floor (knex: Knex): Promise<{ sys: System, close: () => Promise<void> }> {
  await knex.schema.createTable('bench_floor_messages', (t) => {
    t.increments('id')
    t.integer('pair').notNullable()
    t.string('side', 16).notNullable()
    t.text('body').notNullable()
    t.string('client_msg_id', 64).notNullable()
    t.bigInteger('created_at').notNullable()
  })
  const app: FastifyInstance = Fastify({ logger: { level: 'warn', stream: process.stderr } })
  await app.register(websocket)
  // Per pair number, the socket of each side (one agent socket may hold several pairs).
  const routes = new Map<number, { customer?: WebSocket, agent?: WebSocket }>()
  await app.register(async (scope) => {
    scope.get<{ Params: { side: Side }, Querystring: { pairs: string } }>('/ws/:side', { websocket: true }, (socket, request) => {
      const side = request.params.side === 'agent' ? 'agent' : 'customer'
      const mine = request.query.pairs.split(',').map(Number)
      socket.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as { pair: number, body: string, client_msg_id: string }
        if (!mine.includes(frame.pair)) return
        const to = routes.get(frame.pair)?.[side === 'agent' ? 'customer' : 'agent']
        knex('bench_floor_messages')
          .insert({ pair: frame.pair, side, body: frame.body, client_msg_id: frame.client_msg_id, created_at: Date.now() })
          .then(([id]) => {
            to?.send(`<hx-partial hx-target="#f-messages-${frame.pair}" hx-swap="beforeend"><li id="f-msg-${frame.pair}-${id}" data-seq="${id}">${escapeHtml(frame.body)}</li></hx-partial>`)
          }, (err: unknown) => { request.log.error({ err }, 'floor insert failed') })
      })
      for (const p of mine) {
        const r = routes.get(p) ?? {}
        r[side] = socket
        routes.set(p, r)
      }
      socket.send('ready')
    })
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const wsBase = `ws://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const tracker = newTracker()
  // One agent socket per agent holds every pair of that agent, as the console does.
  const consoles: Peer[] = []
  await inParallel(AGENTS, SETUP_CONCURRENCY, async (a) => {
    const mine = Array.from({ length: CHATS }, (_, i) => i).filter((i) => i % AGENTS === a).join(',')
    consoles[a] = await connect(`${wsBase}/ws/agent?pairs=${mine}`, {}, tracker, `floor agent ${a}`)
  })
  const pairs: Pair[] = []
  await inParallel(CHATS, SETUP_CONCURRENCY, async (i) => {
    const customer = await connect(`${wsBase}/ws/customer?pairs=${i}`, {}, tracker, `floor customer ${i}`)
    pairs[i] = { index: i, chatId: String(i), customer, agent: consoles[i % AGENTS]!, next: 'customer', answered: false }
  })
  return {
    sys: {
      name: 'floor',
      pairs,
      tracker,
      frame: (pair, body, clientMsgId) => JSON.stringify({ pair: pair.index, body, client_msg_id: clientMsgId })
    },
    close: async () => { await closeSockets(pairs); await app.close() }
  }
}

let closing = false

async function closeSockets (pairs: Pair[]): Promise<void> {
  closing = true
  const all = new Set(pairs.flatMap((p) => [p.customer.ws, p.agent.ws]))
  await Promise.all([...all].map(async (ws) => await closeSocket(ws)))
  closing = false
}

async function closeSocket (ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => { ws.terminate(); resolve() }, 2000)
    ws.once('close', () => { clearTimeout(timer); resolve() })
    ws.close(1000)
  })
}

// ---------------------------------------------------------------------------------------
// The database

// ---------------------------------------------------------------------------------------
// The run

function print (prefix: string, o: Outcome): void {
  console.log(`${prefix}fixed-rate sent: ${o.fixed.sent} messages (${RATE} msg/s over ${CHATS} chats)`)
  console.log(`${prefix}fixed-rate delivered: ${fmt(o.fixed.perSecond, 0)} msg/s`)
  console.log(`${prefix}fixed-rate saturated: ${o.fixed.perSecond < SATURATED_BELOW * RATE ? 'yes' : 'no'}`)
  console.log(`goal: no (P1: never saturating; saturated = delivering under ${SATURATED_BELOW * 100}% of the offered rate)`)
  console.log(`${prefix}fixed-rate delivery p50: ${fmt(o.fixed.p50)} ms`)
  console.log(`${prefix}fixed-rate delivery p99: ${fmt(o.fixed.p99)} ms`)
  console.log(`goal: ≤ ${GOAL_P99_MS} ms (P1)`)
  console.log(`${prefix}fixed-rate delivery max: ${fmt(o.fixed.max)} ms`)
  console.log(`${prefix}fixed-rate statements per message: ${fmt(o.fixed.statements ?? NaN, 2)} round trips`)
  console.log(`${prefix}fixed-rate event loop delay p99 / max: ${fmt(o.fixed.loopP99 ?? NaN)} / ${fmt(o.fixed.loopMax ?? NaN)} ms`)
  console.log(`${prefix}fixed-rate GC: ${o.fixed.gcCount ?? 0} pauses, ${fmt(o.fixed.gcMs ?? NaN)} ms in all, longest ${fmt(o.fixed.gcMax ?? NaN)} ms`)
  console.log(`${prefix}closed-loop delivered: ${fmt(o.closed.perSecond, 0)} msg/s (${SENDERS} chats, one message in flight each)`)
  console.log(`${prefix}closed-loop delivery p50: ${fmt(o.closed.p50)} ms`)
  console.log(`${prefix}closed-loop delivery p99: ${fmt(o.closed.p99)} ms`)
  console.log(`${prefix}closed-loop delivery max: ${fmt(o.closed.max)} ms`)
  // The clients run in this process too: compare ours with the floor's, which has the same clients.
  console.log(`${prefix}closed-loop CPU per message (server and clients): ${fmt(o.closed.cpuMs ?? NaN, 2)} ms`)
  console.log(`${prefix}closed-loop statements per message: ${fmt(o.closed.statements ?? NaN, 2)} round trips`)
  console.log(`${prefix}closed-loop frames per message: ${fmt(o.closed.frames ?? NaN, 2)} (received by both sides)`)
  console.log(`${prefix}lost: ${o.missing} messages`)
  console.log('goal: 0')
  console.log(`${prefix}duplicated: ${o.duplicates} messages`)
  console.log('goal: 0')
  console.log(`${prefix}out of order: ${o.outOfOrder} messages`)
  console.log('goal: 0')
}

const run = guardRun({ timeoutMs: TIMEOUT_MS, settleMs: 500, onCleanUp: () => { closing = true } })
const { cleanups } = run

async function main (): Promise<number> {
  const began = performance.now()
  const db = await freshDatabase('msg')
  cleanups.push(db.drop)
  await prepareDatabase(db.knex)
  db.knex.on('query', () => { statementsSent++ })
  const names = await addAgents(db.knex)
  console.log(`database: ${db.describe}`)
  console.log(`setup: ${CHATS} chats with a customer socket each, ${AGENTS} agents with one console socket each, fixed rate ${RATE} msg/s, closed loop of ${SENDERS} chats, ${SECONDS} s per phase, Node ${process.version}`)

  const a = await ours(db.knex, names)
  console.log(`setup time: ${fmt(a.setupSeconds)} s (sign-ins, chat starts and accepts, sockets over loopback)`)
  cleanups.push(a.close)
  const mine = await drive(a.sys)
  cleanups.pop()
  await a.close()

  const f = await floor(db.knex)
  cleanups.push(f.close)
  const base = await drive(f.sys)
  cleanups.pop()
  await f.close()

  print('', mine)
  print('floor ', base)
  console.log(`closed-loop throughput ratio (ours/floor): ${fmt(mine.closed.perSecond / base.closed.perSecond, 2)} x`)
  console.log(`goal: ≥ ${GOAL_FLOOR_RATIO} x (P2)`)
  console.log(`fixed-rate p99 ratio (ours/floor): ${fmt(mine.fixed.p99 / base.fixed.p99, 2)} x`)
  console.log(`run time: ${fmt((performance.now() - began) / 1000)} s`)
  return mine.missing + mine.duplicates + base.missing + base.duplicates === 0 ? 0 : 1
}

await run.finish(main)
