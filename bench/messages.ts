/**
 * Message delivery benchmark (docs/design.md §9): the demo host with the live chat plugin against a
 * bare Fastify + @fastify/websocket relay that does one INSERT per message (the floor), on
 * the database DATABASE_URL names (SQLite in a temp file, WAL, when it is unset).
 *
 * Both are driven the same way over loopback, from this same process: N chats, each with a
 * customer socket and an agent socket, then a fixed-rate phase and a closed-loop phase.
 * Delivery latency runs from the client's send() to the moment the OTHER side's socket
 * receives the fragment holding that message's unique token. Every figure is printed as
 * `label: value unit`; the run exits 1 when any message went missing or arrived twice.
 *
 * Environment: DATABASE_URL, BENCH_CHATS (50), BENCH_SECONDS per phase (10), BENCH_RATE
 * total msg/s in the fixed-rate phase (500), BENCH_AGENT_SOCKETS `chat` (one console socket
 * per chat, the default) or `agent` (one console socket per agent, all its chats on it),
 * BENCH_WARMUP unmeasured closed-loop seconds before the phases (2), BENCH_DEBUG (`1`: a
 * timeline per phase on stderr; `frames`: every frame received), BENCH_TIMEOUT hard limit
 * for the whole run in seconds (default from the others).
 */
import { performance } from 'node:perf_hooks'
import websocket from '@fastify/websocket'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import WebSocket from 'ws'
import { buildDemoHost } from '../demo-host/app.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'
import { availableAgents, Browser, fmt, freshDatabase, guardRun, numberFromEnv, percentile, sleep } from './common.ts'

const CHATS = Math.floor(numberFromEnv('BENCH_CHATS', 50, 1))
const SECONDS = numberFromEnv('BENCH_SECONDS', 10, 0.5)
const RATE = numberFromEnv('BENCH_RATE', 500, 1)
const WARMUP_SECONDS = numberFromEnv('BENCH_WARMUP', 2, 0)
const AGENT_SOCKETS = process.env.BENCH_AGENT_SOCKETS ?? 'chat'
if (AGENT_SOCKETS !== 'chat' && AGENT_SOCKETS !== 'agent') {
  console.error(`BENCH_AGENT_SOCKETS must be "chat" or "agent" (got "${AGENT_SOCKETS}")`)
  process.exit(2)
}
const AGENTS = ['alice', 'bob', 'carol'] as const
/** How long a phase waits, after its last send, for the messages still in flight. */
const DRAIN_MS = 10_000
/** After the drain, how long we keep listening for copies that would be duplicates. */
const SETTLE_MS = 300
const SETUP_MS = 60_000 + CHATS * 500
const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', (4 * SECONDS * 1000 + 2 * WARMUP_SECONDS * 1000 + 6 * DRAIN_MS + 2 * SETUP_MS) / 1000, 10) * 1000

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
}

interface Sent {
  id: number
  pair: Pair
  to: Peer
  sentAt: number
  receivedAt: number
  copies: number
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
  const s: Sent = { id, pair, to: from === 'customer' ? pair.agent : pair.customer, sentAt: 0, receivedAt: 0, copies: 0 }
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
}

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
  const start = performance.now()
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
  const got = list.filter((s) => s.copies > 0)
  const last = got.reduce((m, s) => Math.max(m, s.receivedAt), start + 1)
  return summarise(list, got.length, (last - start) / 1000)
}

/** Each chat keeps one message in flight, the sides taking turns, for `seconds`; then drains. */
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
  for (const pair of sys.pairs) next(pair)
  await sleep(seconds * 1000)
  sys.tracker.onDelivered = () => {}
  await drain(list)
  return { list, end }
}

async function closedLoop (sys: System): Promise<PhaseResult> {
  const { list, end } = await loop(sys, SECONDS)
  return summarise(list, list.filter((s) => s.copies > 0 && s.receivedAt <= end).length, SECONDS)
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
    if (process.env.BENCH_DEBUG === 'frames') console.error(`[${label}] ${data.toString().slice(0, 600)}`)
    receive(tracker, peer, data.toString())
  })
  return peer
}

const seqsIn = (html: string): number[] => [...html.matchAll(/data-seq="(\d+)"/g)].map((m) => Number(m[1]))

// ---------------------------------------------------------------------------------------
// Our system: the demo host with the plugin

/**
 * The three agents all work Support L1 (where the portal's chats start) with room for every
 * chat of the run; the seeded desk has carol in level 2 and a limit of 4.
 */
async function staffSupport (knex: Knex): Promise<void> {
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  const l1 = (await routing.groups()).find((g) => g.name === 'Support L1')!
  for (const username of AGENTS) {
    const user = await knex('users').where({ username }).first('id')
    await routing.setMember(l1.id, String(user.id), { active: true, maxChats: Math.min(1000, CHATS) })
  }
}

async function ours (knex: Knex): Promise<{ sys: System, close: () => Promise<void> }> {
  const app = await buildDemoHost({
    knex,
    logger: { level: 'warn', stream: process.stderr },
    pluginOptions: {
      jobs: false,
      settings: { messagesPerMinute: 10_000, chatStartsPerMinute: Math.min(1000, CHATS + 20) }
    }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const wsBase = base.replace(/^http/, 'ws')
  const tracker = newTracker()

  // Available, so Support is online and the portal takes chats.
  const agents = await availableAgents(base, AGENTS)

  const chats: Array<{ chatId: string, customer: Browser, agent: string, since: number }> = []
  for (let i = 0; i < CHATS; i++) {
    const customer = new Browser(base)
    const token = await customer.csrf('/livechat/start')
    const form = { name: `Bench Customer ${i}`, email: `bench${i}@customer.example`, question: `Benchmark chat ${i}`, _csrf: token }
    let res = await customer.request('POST', '/livechat/start', { form })
    // Knowledge articles the question matched come first: continue to chat.
    if (res.status === 200 && res.body.includes('id="lc-suggestions"')) res = await customer.request('POST', '/livechat/start/continue', { form })
    const chatId = /\/chat\/(\d+)$/.exec(res.location ?? '')?.[1]
    if (res.status !== 303 || !chatId) throw new Error(`starting chat ${i} failed: ${res.status} ${res.body.slice(0, 300)}`)
    const agent = AGENTS[i % AGENTS.length]!
    const a = agents.get(agent)!
    const accepted = await a.browser.request('POST', `/livechat/console/chats/${chatId}/accept`, {
      form: { _csrf: a.token }, headers: { 'x-csrf-token': a.token, 'hx-request': 'true' }
    })
    if (accepted.status !== 200) throw new Error(`${agent} accepting chat ${chatId} failed: ${accepted.status} ${accepted.body.slice(0, 300)}`)
    chats.push({ chatId, customer, agent, since: Math.max(0, ...seqsIn(accepted.body)) })
  }

  const agentPeers = new Map<string, Peer>()
  const pairs: Pair[] = []
  for (const [index, c] of chats.entries()) {
    const customer = await connect(`${wsBase}/livechat/ws/chat/${c.chatId}?since=${c.chatId}.${c.since}`,
      { cookie: c.customer.cookie(), origin: base }, tracker, `customer of chat ${c.chatId}`)
    let agent = AGENT_SOCKETS === 'agent' ? agentPeers.get(c.agent) : undefined
    if (!agent) {
      agent = await connect(`${wsBase}/livechat/ws/console`, { cookie: agents.get(c.agent)!.browser.cookie(), origin: base }, tracker, `${c.agent}'s console for chat ${c.chatId}`)
      agentPeers.set(c.agent, agent)
    }
    pairs.push({ index, chatId: c.chatId, customer, agent, next: 'customer' })
  }

  return {
    sys: {
      name: 'ours',
      pairs,
      tracker,
      frame: (pair, body, clientMsgId) => JSON.stringify({ type: 'message', chat_id: pair.chatId, body, client_msg_id: clientMsgId })
    },
    close: async () => { await closeSockets(pairs); await app.close() }
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
  // With one agent socket per agent, it holds every pair of that agent, as the console does.
  const agentPairs = (agent: number): number[] => Array.from({ length: CHATS }, (_, i) => i).filter((i) => i % AGENTS.length === agent)
  const agentPeers = new Map<number, Peer>()
  const pairs: Pair[] = []
  for (let i = 0; i < CHATS; i++) {
    const customer = await connect(`${wsBase}/ws/customer?pairs=${i}`, {}, tracker, `floor customer ${i}`)
    const a = i % AGENTS.length
    let agent = AGENT_SOCKETS === 'agent' ? agentPeers.get(a) : undefined
    if (!agent) {
      const mine = AGENT_SOCKETS === 'agent' ? agentPairs(a).join(',') : String(i)
      agent = await connect(`${wsBase}/ws/agent?pairs=${mine}`, {}, tracker, `floor agent ${i}`)
      agentPeers.set(a, agent)
    }
    pairs.push({ index: i, chatId: String(i), customer, agent, next: 'customer' })
  }
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
  console.log(`${prefix}fixed-rate sent: ${o.fixed.sent} messages`)
  console.log(`${prefix}fixed-rate delivered: ${fmt(o.fixed.perSecond, 0)} msg/s`)
  console.log(`${prefix}fixed-rate delivery p50: ${fmt(o.fixed.p50)} ms`)
  console.log(`${prefix}fixed-rate delivery p99: ${fmt(o.fixed.p99)} ms`)
  console.log(`${prefix}fixed-rate delivery max: ${fmt(o.fixed.max)} ms`)
  console.log(`${prefix}closed-loop delivered: ${fmt(o.closed.perSecond, 0)} msg/s`)
  console.log(`${prefix}closed-loop delivery p50: ${fmt(o.closed.p50)} ms`)
  console.log(`${prefix}closed-loop delivery p99: ${fmt(o.closed.p99)} ms`)
  console.log(`${prefix}closed-loop delivery max: ${fmt(o.closed.max)} ms`)
  console.log(`${prefix}missing: ${o.missing} messages`)
  console.log(`${prefix}duplicates: ${o.duplicates} messages`)
}

const run = guardRun({ timeoutMs: TIMEOUT_MS, settleMs: 500, onCleanUp: () => { closing = true } })
const { cleanups } = run

async function main (): Promise<number> {
  const began = performance.now()
  const db = await freshDatabase('msg')
  cleanups.push(db.drop)
  await prepareDatabase(db.knex)
  await staffSupport(db.knex)
  const agentSockets = AGENT_SOCKETS === 'agent' ? AGENTS.length : CHATS
  console.log(`database: ${db.describe}`)
  console.log(`setup: ${CHATS} chats, ${CHATS} customer sockets, ${agentSockets} agent sockets (${AGENTS.join(', ')}; BENCH_AGENT_SOCKETS=${AGENT_SOCKETS}), ${SECONDS} s per phase, fixed rate ${RATE} msg/s, Node ${process.version}`)

  const a = await ours(db.knex)
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
  console.log(`out-of-order: ${mine.outOfOrder} messages`)
  print('floor ', base)
  console.log(`closed-loop throughput ratio (ours/floor): ${fmt(mine.closed.perSecond / base.closed.perSecond, 2)} x`)
  console.log(`fixed-rate p99 ratio (ours/floor): ${fmt(mine.fixed.p99 / base.fixed.p99, 2)} x`)
  console.log(`run time: ${fmt((performance.now() - began) / 1000)} s`)
  return mine.missing + mine.duplicates + base.missing + base.duplicates === 0 ? 0 : 1
}

await run.finish(main)
