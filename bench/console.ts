/**
 * Console rendering benchmark (docs/design.md §9): the server time to render what an agent looks at
 * on a database that has been in use for a while, on the database DATABASE_URL names
 * (SQLite in a temp file, WAL, when it is unset); a fresh database, dropped at the end.
 *
 * The fill: BENCH_MESSAGES messages over BENCH_CHATS chats, written with multi-row INSERTs
 * inside transactions (the services would take minutes for a million). The newest
 * BENCH_ACTIVE chats are alice's active ones, the one before them her last completed chat,
 * holding BENCH_LONG messages; the rest share what is left and are the completed chats of
 * alice, bob and carol in turn. Every chat's last_seq and message_count match its messages.
 *
 * Measured in-process through the plugin's real routes (app.inject: the whole request
 * pipeline with the demo host's session, no sockets or network), signed in as alice, one
 * request at a time after a warm-up:
 * - the console page, GET /livechat/console: My Active and the other lists, the pane (with
 *   its transcript) of the newest active chat and a slot for each other one (goal P7: p95
 *   at most 10 ms);
 * - My Active alone, as the server pushes it when the agent's chats change: the envelope of
 *   consoleViews.listFragments (My Active, My Completed, the counters), called directly on
 *   services built as the plugin builds them, over the same database;
 * - one pane as a slot loads it when its chat is shown, GET /livechat/console/chats/:id/pane;
 * - the panes alone (consoleViews.pane and the chat-pane partial for every active chat),
 *   called the same way: what the page cost when it drew them all, and what showing every
 *   chat once costs now;
 * - a chat's own view with BENCH_LONG messages, GET /livechat/console/chats/:id.
 * Every figure is printed as `label: value unit`; `cpu` is this process's CPU time per request.
 * Each answer is checked (status, and what it must hold) after its time and CPU are taken.
 *
 * Environment: DATABASE_URL, BENCH_MESSAGES (1000000), BENCH_CHATS (10000), BENCH_ACTIVE
 * (50), BENCH_LONG (500), BENCH_BATCH rows per INSERT (5000, fewer on SQLite to stay within
 * its 32766 bound variables), BENCH_ITERATIONS for the chat view, My Active and the panes
 * (200), BENCH_PAGE_ITERATIONS for the console page (100), BENCH_WARMUP requests of each
 * kind first (20), BENCH_TIMEOUT hard limit for the whole run in seconds (300), BENCH_DEBUG
 * (`1`: the statements of one request of each kind, grouped and timed, on stderr; `timeline`:
 * also each one's start and end in the request, in order).
 */
import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { buildDemoHost } from '../demo-host/app.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import { createChatService } from '../plugin/chats/service.ts'
import { createConsoleViews } from '../plugin/console/view-models.ts'
import { sqlHost } from '../plugin/host/sql-host.ts'
import { loadManifest } from '../plugin/manifest.ts'
import { permissionsFor, resolveSettings } from '../plugin/settings.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { envelope } from '../plugin/realtime/fragments.ts'
import { createRoutingService } from '../plugin/routing/service.ts'
import { createAccess } from '../plugin/security/access.ts'
import { createViews } from '../plugin/web/views.ts'
import { bulkInsert, fmt, freshDatabase, guardRun, numberFromEnv, percentile } from './common.ts'

const MESSAGES = Math.floor(numberFromEnv('BENCH_MESSAGES', 1_000_000, 1))
const CHATS = Math.floor(numberFromEnv('BENCH_CHATS', 10_000, 2))
const ACTIVE = Math.floor(numberFromEnv('BENCH_ACTIVE', 50, 1))
const LONG = Math.floor(numberFromEnv('BENCH_LONG', 500, 1))
const BATCH = Math.floor(numberFromEnv('BENCH_BATCH', 5000, 1))
const ITERATIONS = Math.floor(numberFromEnv('BENCH_ITERATIONS', 200, 1))
const PAGE_ITERATIONS = Math.floor(numberFromEnv('BENCH_PAGE_ITERATIONS', 100, 1))
const WARMUP = Math.floor(numberFromEnv('BENCH_WARMUP', 20, 0))
const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', 300, 10) * 1000
if (ACTIVE + 1 > CHATS) {
  console.error(`BENCH_CHATS (${CHATS}) must leave room for BENCH_ACTIVE (${ACTIVE}) active chats and the long one`)
  process.exit(2)
}
if (LONG > MESSAGES) {
  console.error(`BENCH_MESSAGES (${MESSAGES}) must be at least BENCH_LONG (${LONG})`)
  process.exit(2)
}

/** Who had the completed chats, in turn; the measured agent is the first. */
const AGENTS = ['alice', 'bob', 'carol'] as const
const AGENT = AGENTS[0]
/** SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32. */
const SQLITE_VARIABLES = 32766
/** Statements per transaction: large enough to spare commits, small enough to keep undo logs modest. */

// ---------------------------------------------------------------------------------------
// The fill

interface Staff { id: string, name: string, groupId: number }

/** The chats, in id order: how many messages each has and whose it is. */
interface Plan { id: number, index: number, messages: number, agent: Staff, active: boolean }

async function staff (knex: Knex): Promise<Map<string, Staff>> {
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  const out = new Map<string, Staff>()
  for (const username of AGENTS) {
    const user = await knex('users').where({ username }).first('id', 'name')
    const { activeIn } = await routing.agentGroups(String(user.id))
    if (activeIn.length === 0) throw new Error(`${username} works no group in the seeded desk`)
    out.set(username, { id: String(user.id), name: String(user.name), groupId: activeIn[0]! })
  }
  // alice may hold every active chat of the run (the seeded limit is 4).
  const me = out.get(AGENT)!
  await routing.setMember(me.groupId, me.id, { active: true, maxChats: Math.min(1000, ACTIVE) })
  return out
}

function plan (firstId: number, people: Map<string, Staff>): Plan[] {
  const others = CHATS - 1
  const rest = MESSAGES - LONG
  const base = Math.floor(rest / others)
  const extra = rest % others
  const longIndex = CHATS - ACTIVE - 1
  const me = people.get(AGENT)!
  return Array.from({ length: CHATS }, (_, i) => {
    const k = i < longIndex ? i : i - 1
    const messages = i === longIndex ? LONG : base + (k < extra ? 1 : 0)
    const active = i > longIndex
    const agent = active || i === longIndex ? me : people.get(AGENTS[i % AGENTS.length]!)!
    return { id: firstId + i, index: i, messages, agent, active }
  })
}

const MINUTE = 60_000
const SENTENCES = [
  'The printer on the third floor shows a paper jam again.',
  'Could you check whether the VPN client is up to date?',
  'I restarted it as you said and it still asks for the password.',
  'Thanks, that worked. One more thing about the shared mailbox.',
  'Let me look at your account, one moment please.',
  'The invoice from last month has the wrong cost centre on it.'
]

/** Customers come back: about five chats each, so the customer panel has earlier chats to show. */
const customerOf = (p: Plan): number => p.id % Math.max(1, Math.floor(CHATS / 5))

function chatTimes (p: Plan, now: number): { createdAt: number, assignedAt: number, endedAt: number } {
  // Chats a minute apart, the newest ending now; a message every 5 s.
  const createdAt = now - (CHATS - p.index) * MINUTE - p.messages * 5000
  return { createdAt, assignedAt: createdAt + 20_000, endedAt: createdAt + 20_000 + p.messages * 5000 }
}

/** Seq 1 is the agent's join event; then customer and agent take turns. */
function * messageRows (list: Plan[], now: number): Generator<unknown[]> {
  for (const p of list) {
    const { assignedAt } = chatTimes(p, now)
    for (let seq = 1; seq <= p.messages; seq++) {
      const at = assignedAt + (seq - 1) * 5000
      if (seq === 1) {
        yield [p.id, seq, 'event', 'system', null, 'System', `${p.agent.name} joined the chat`, at]
      } else if (seq % 2 === 0) {
        yield [p.id, seq, 'text', 'customer', null, `Customer ${customerOf(p)}`, `${SENTENCES[(p.id + seq) % SENTENCES.length]} (${seq})`, at]
      } else {
        yield [p.id, seq, 'text', 'agent', p.agent.id, p.agent.name, `${SENTENCES[(p.id * 7 + seq) % SENTENCES.length]} (${seq})`, at]
      }
    }
  }
}

function lastAgentMessageAt (p: Plan, now: number): number | null {
  const last = p.messages % 2 === 1 ? p.messages : p.messages - 1
  return last >= 3 ? chatTimes(p, now).assignedAt + (last - 1) * 5000 : null
}

function * chatRows (list: Plan[], now: number): Generator<unknown[]> {
  for (const p of list) {
    const t = chatTimes(p, now)
    // A few unread messages in some active chats, so the badges show.
    const read = p.active ? Math.max(0, p.messages - (p.id % 4)) : p.messages
    const c = customerOf(p)
    yield [
      p.id, p.active ? 'active' : 'ended', p.agent.groupId, p.agent.id, `Customer ${c}`, `customer${c}@customer.example`,
      `Question of chat ${p.id}: ${SENTENCES[p.id % SENTENCES.length]}`, 'portal', '0'.repeat(64),
      t.createdAt, t.createdAt, t.assignedAt, p.active ? null : t.endedAt, p.active ? null : 'agent',
      lastAgentMessageAt(p, now), p.messages, p.messages, read
    ]
  }
}

const CHAT_COLUMNS = ['id', 'status', 'group_id', 'agent_id', 'customer_name', 'customer_email', 'question', 'source', 'customer_token_hash',
  'created_at', 'queued_at', 'assigned_at', 'ended_at', 'ended_by', 'last_agent_message_at', 'last_seq', 'message_count', 'agent_read_seq']
const MESSAGE_COLUMNS = ['chat_id', 'seq', 'kind', 'author_kind', 'author_id', 'author_name', 'body', 'created_at']

let plans: Plan[] = []

async function fill (knex: Knex, sqlite: boolean, people: Map<string, Staff>): Promise<{ chats: number, messages: number }> {
  const max = await knex('lc_chats').max({ id: 'id' }).first() as { id: number | null } | undefined
  plans = plan(Number(max?.id ?? 0) + 1, people)
  const now = Date.now()
  const rowsFor = (columns: string[]): number => sqlite ? Math.min(BATCH, Math.floor(SQLITE_VARIABLES / columns.length)) : BATCH
  const chats = await bulkInsert(run, knex, 'lc_chats', CHAT_COLUMNS, chatRows(plans, now), rowsFor(CHAT_COLUMNS))
  const messages = await bulkInsert(run, knex, 'lc_messages', MESSAGE_COLUMNS, messageRows(plans, now), rowsFor(MESSAGE_COLUMNS))
  return { chats, messages }
}

/** What the database holds now, read back: the fill must match its plan. */
async function check (knex: Knex): Promise<void> {
  const m = await knex('lc_messages').count({ n: '*' }).first() as { n: number | string }
  const c = await knex('lc_chats').sum({ n: 'message_count' }).max({ top: 'last_seq' }).first() as { n: number | string, top: number | string }
  if (Number(m.n) !== MESSAGES || Number(c.n) !== MESSAGES) throw new Error(`fill mismatch: ${m.n} messages stored, chats count ${c.n}, planned ${MESSAGES}`)
  const long = plans[CHATS - ACTIVE - 1]!
  const l = await knex('lc_messages').where('chat_id', long.id).max({ seq: 'seq' }).count({ n: '*' }).first() as { seq: number | string, n: number | string }
  if (Number(l.n) !== LONG || Number(l.seq) !== LONG) throw new Error(`the long chat holds ${l.n} messages up to seq ${l.seq}, planned ${LONG}`)
}

// ---------------------------------------------------------------------------------------
// Measuring

interface Figure { p50: number, p95: number, bytes: number, queries: number, cpu: number }

/** Every SQL statement run while `counting` is set, with its time; see `watchQueries`. */
const statements: Array<{ sql: string, ms: number, at: number }> = []
let counting = false
/** When the counted call began: each statement's start is printed against it, so round trips in series show. */
let callBegan = 0

/** Counts (and times) the statements a call sends: N+1 queries show up as a count that grows with the data. */
function watchQueries (knex: Knex): void {
  const started = new Map<string, number>()
  knex.on('query', (q: { __knexQueryUid: string }) => { if (counting) started.set(q.__knexQueryUid, performance.now()) })
  knex.on('query-response', (_res: unknown, q: { __knexQueryUid: string, sql: string }) => {
    const t0 = started.get(q.__knexQueryUid)
    if (t0 === undefined) return
    started.delete(q.__knexQueryUid)
    statements.push({ sql: q.sql, ms: performance.now() - t0, at: t0 - callBegan })
  })
}

/** With BENCH_DEBUG: the statements of one call on stderr, the same SQL grouped, slowest total first. */
function explainCall (label: string): void {
  if (!process.env.BENCH_DEBUG) return
  const by = new Map<string, { n: number, ms: number }>()
  for (const s of statements) {
    const e = by.get(s.sql) ?? { n: 0, ms: 0 }
    e.n++
    e.ms += s.ms
    by.set(s.sql, e)
  }
  console.error(`${label}: ${statements.length} statements`)
  for (const [sql, e] of [...by].sort((a, b) => b[1].ms - a[1].ms)) console.error(`  ${e.n} x, ${fmt(e.ms)} ms in all: ${sql.slice(0, 300)}`)
  // With BENCH_DEBUG=timeline: when each statement started and ended in the call, in order, so
  // the round trips that wait on one another (and how many there are in a row) can be read off.
  if (process.env.BENCH_DEBUG !== 'timeline') return
  for (const s of [...statements].sort((a, b) => a.at - b.at)) console.error(`  ${fmt(s.at, 2)} → ${fmt(s.at + s.ms, 2)} ms: ${s.sql.slice(0, 120)}`)
}

/**
 * What a measured call answered, checked once its time and CPU are taken: the check throws on
 * a wrong answer (so an error page is never counted as a success) and gives the answer's size.
 * Reading the body back and searching it is the bench's work, not the server's.
 */
type Check = () => number

/** `WARMUP` unmeasured calls, one more that counts its statements, then `n` measured ones, one at a time. */
async function measure (label: string, n: number, call: () => Promise<Check>): Promise<Figure> {
  let bytes = 0
  for (let i = 0; i < WARMUP && !run.halted(); i++) bytes = (await call())()
  statements.length = 0
  counting = true
  callBegan = performance.now()
  const counted = await call()
  counting = false
  bytes = counted()
  const queries = statements.length
  explainCall(label)
  const times: number[] = []
  let cpuUs = 0
  for (let i = 0; i < n && !run.halted(); i++) {
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const check = await call()
    times.push(performance.now() - t0)
    const cpu = process.cpuUsage(cpu0)
    cpuUs += cpu.user + cpu.system
    bytes = check()
  }
  times.sort((a, b) => a - b)
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95), bytes, queries, cpu: cpuUs / 1000 / Math.max(1, times.length) }
}

async function signIn (app: FastifyInstance, username: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/login',
    headers: { origin: 'http://localhost:80' },
    payload: { username, password: 'demo' }
  })
  if (res.statusCode !== 303) throw new Error(`signing in as ${username} failed: ${res.statusCode}`)
  return res.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
}

/** A GET as the signed-in agent; its check wants a 200 whose body holds `expect` `pattern`s. */
async function page (app: FastifyInstance, url: string, cookie: string, pattern: RegExp, expect: number): Promise<Check> {
  const res = await app.inject({ method: 'GET', url, headers: { cookie } })
  return () => {
    if (res.statusCode !== 200) throw new Error(`GET ${url}: ${res.statusCode} ${res.body.slice(0, 300)}`)
    const found = res.body.match(pattern)?.length ?? 0
    if (found !== expect) throw new Error(`GET ${url}: ${found} matches of ${pattern}, expected ${expect}`)
    return res.rawPayload.length
  }
}

// ---------------------------------------------------------------------------------------
// The run

const run = guardRun({ timeoutMs: TIMEOUT_MS })
const { cleanups } = run

function print (label: string, f: Figure, goal?: string): void {
  console.log(`${label} p50: ${fmt(f.p50)} ms`)
  console.log(`${label} p95: ${fmt(f.p95)} ms`)
  if (goal) console.log(goal)
  console.log(`${label} size: ${fmt(f.bytes / 1024)} kB`)
  console.log(`${label} queries: ${f.queries} count`)
  // The process's CPU time per request: on a machine shared with other work, steadier than the
  // wall times; on SQLite it includes the database's work, on MySQL/MariaDB only the client's.
  console.log(`${label} cpu: ${fmt(f.cpu, 2)} ms`)
}

async function main (): Promise<number> {
  const began = performance.now()
  const db = await freshDatabase('console')
  cleanups.push(db.drop)
  const knex = db.knex
  const sqlite = knex.client.config.client === 'better-sqlite3'
  await prepareDatabase(knex)
  const people = await staff(knex)
  console.log(`database: ${db.describe}`)
  console.log(`setup: ${MESSAGES} messages in ${CHATS} chats; ${AGENT} has ${ACTIVE} active chats and a completed one of ${LONG} messages; ${BATCH} rows per INSERT${sqlite ? ` (at most ${Math.floor(SQLITE_VARIABLES / MESSAGE_COLUMNS.length)} on SQLite)` : ''}; ${WARMUP} warm-up requests, then ${PAGE_ITERATIONS} of the console page and ${ITERATIONS} of the others; in-process (app.inject); Node ${process.version}`)

  const fillBegan = performance.now()
  const filled = await fill(knex, sqlite, people)
  if (run.halted()) return 3
  const fillMs = performance.now() - fillBegan
  await check(knex)
  console.log(`fill ${filled.messages} messages in ${filled.chats} chats: ${fmt(fillMs / 1000)} s`)
  console.log(`fill rate: ${fmt(filled.messages / (fillMs / 1000), 0)} rows/s`)

  const app = await buildDemoHost({ knex, logger: { level: 'warn', stream: process.stderr }, pluginOptions: { jobs: false } })
  cleanups.push(async () => { await app.close() })
  await app.ready()
  watchQueries(knex)
  const cookie = await signIn(app, AGENT)

  // The same services the plugin builds, over the same database, for the parts no route returns alone.
  const manifest = loadManifest()
  const settings = resolveSettings(manifest, {})
  const host = sqlHost(knex, manifest.host)
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: settings.heartbeatTimeoutSeconds } })
  const chats = createChatService({ db: knex, bus: memoryBus(), host, routing, settings: { maxMessageLength: settings.maxMessageLength } })
  const views = createViews()
  const consoleViews = createConsoleViews({ base: '/livechat', chats, routing, host, views, settings })
  const me = (await host.findUsers(AGENT)).find((u) => u.username === AGENT)!
  const scope = await createAccess({ host, settings, routing }).scopeOf(me, permissionsFor(settings, me.roles))

  const long = plans[CHATS - ACTIVE - 1]!
  const activeMessages = plans.filter((p) => p.active).reduce((n, p) => n + p.messages, 0)
  // The page draws the newest chat's pane; each other chat's slot holds one data-seq, the last it has.
  const newest = plans.at(-1)!
  const second = plans.at(-2)!
  const rowsIn = (html: string): number => html.match(/data-lc-show="/g)?.length ?? 0

  const consolePage = await measure('console page', PAGE_ITERATIONS, async () => await page(app, '/livechat/console', cookie, /data-seq="/g, newest.messages + ACTIVE - 1))
  const shownPane = ACTIVE < 2
    ? null
    : await measure('pane shown', ITERATIONS, async () => await page(app, `/livechat/console/chats/${second.id}/pane`, cookie, /data-seq="/g, second.messages))
  const myActive = await measure('my active', ITERATIONS, async () => {
    const html = envelope(await consoleViews.listFragments(scope))
    const bytes = Buffer.byteLength(html)
    return () => {
      if (rowsIn(html) !== ACTIVE) throw new Error(`My Active shows ${rowsIn(html)} chats, expected ${ACTIVE}`)
      return bytes
    }
  })
  const panes = await measure('panes', ITERATIONS, async () => {
    const active = await chats.agentChats(scope.id, 'active')
    const models = await Promise.all(active.map(async (c) => await consoleViews.pane(c, scope)))
    const bytes = Buffer.byteLength(models.map((m) => views.render('console/chat-pane', m)).join(''))
    return () => bytes
  })
  const chatView = await measure('chat view', ITERATIONS, async () => await page(app, `/livechat/console/chats/${long.id}`, cookie, /data-seq="/g, LONG))
  if (run.halted()) return 3

  print(`console page (my active ${ACTIVE} chats, 1 pane of ${newest.messages} messages + ${ACTIVE - 1} slots)`, consolePage, 'goal: ≤ 10 ms')
  if (shownPane) print(`pane loaded when shown (${second.messages} messages)`, shownPane)
  print(`my active (${ACTIVE} chats)`, myActive)
  print(`console panes alone (${ACTIVE} chats, ${activeMessages} messages)`, panes)
  print(`chat view (${LONG} messages)`, chatView)
  console.log(`run time: ${fmt((performance.now() - began) / 1000)} s`)
  return 0
}

await run.finish(main)
