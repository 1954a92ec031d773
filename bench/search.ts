/**
 * Search benchmark (docs/features.md#advanced-search): how long Advanced Search takes on a
 * large desk, on the database DATABASE_URL names (SQLite in a temp file when unset); a fresh
 * database, dropped at the end. Local databases only: the run creates and drops one.
 *
 * The fill, with multi-row INSERTs inside transactions (the services would take an hour
 * for a million messages): BENCH_CHATS chats over the last year, BENCH_MESSAGES messages
 * spread evenly over them, a comment on every fifth chat, an order number on every third and
 * a product on every second. Customers come back (about three chats each) and have a name,
 * an email and, for two in three, a username. Texts are drawn from a vocabulary of
 * BENCH_VOCABULARY words with a Zipf distribution, as real text is: a few words are in most
 * rows, most words in few. The vocabulary's COMMON most frequent words stand for the
 * stopwords of real text ("the", "my"), which searchWords drops: they are never searched for.
 * The chats are alice's, bob's and carol's in turn, in their groups, mostly ended.
 *
 * Measured one at a time after a warm-up, BENCH_ITERATIONS of each, as sam (a supervisor of
 * every group: no group narrows his searches), through the search service as the page calls
 * it (`advanced`: the criteria read against his groups, agents and fields, the search, the
 * agents' names):
 * - keyword: a search string of one or two words, drawn as the texts are;
 * - keyword + agent + date range: the same, with alice and a 30-day range;
 * - email: a customer's whole email address;
 * - keyword, as alice (an agent: her own chats and her queue only);
 * - the search box of Global Completed (the list's query narrowed to the matching chats,
 *   200 shown at most, newest first);
 * - the whole page for a keyword (GET /livechat/console/search through app.inject, with the
 *   sidebar and rendering).
 * On MySQL/MariaDB, what the keyword searches, those with an agent and a date range and the
 * list's box read, per search, which load moves less than it moves time: buffer pool pages
 * touched by the search's statement (ANALYZE FORMAT=JSON), rows read and rows written to
 * temporary tables (the session's counters, on a connection of their own).
 * Every figure is printed as `label: value unit`. BENCH_DEBUG=1 prints the plan of one query
 * of each kind (EXPLAIN on MySQL/MariaDB, EXPLAIN QUERY PLAN on SQLite) on stderr.
 *
 * Environment: DATABASE_URL, BENCH_CHATS (100000), BENCH_MESSAGES (1000000), BENCH_VOCABULARY
 * (5000), BENCH_ITERATIONS (200), BENCH_WARMUP (20), BENCH_BATCH rows per INSERT (2000, fewer
 * on SQLite to stay within its bound variables), BENCH_TIMEOUT hard limit for the whole run in
 * seconds (1200), BENCH_DEBUG, BENCH_KEEP (`1`: the filled database is not dropped, for
 * EXPLAIN by hand; drop it afterwards), BENCH_REUSE (a database BENCH_KEEP left, by the name
 * or SQLite file the run printed: searched again without a fill, with the same searches,
 * for the same BENCH_CHATS, BENCH_MESSAGES and BENCH_VOCABULARY; it is kept).
 */
import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { buildDemoHost } from '../demo-host/app.ts'
import * as createMessageWords from '../migrations/20261208000058_create_lc_message_words.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import type { AgentScope } from '../plugin/chats/types.ts'
import { createChatService } from '../plugin/chats/service.ts'
import { createFieldService } from '../plugin/fields/service.ts'
import { sqlHost } from '../plugin/host/sql-host.ts'
import { loadManifest } from '../plugin/manifest.ts'
import { permissionsFor, resolveSettings } from '../plugin/settings.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'
import type { SearchQuery } from '../plugin/search/schemas.ts'
import { createSearchService, readCriteria, searchVisibility } from '../plugin/search/service.ts'
import { searchChats } from '../plugin/search/store.ts'
import { createAccess } from '../plugin/security/access.ts'
import knexFactory from 'knex'
import { knexConfig } from '../knexfile.ts'
import { bulkInsert, type Database, fmt, freshDatabase, guardRun, numberFromEnv, percentile, zipfText } from './common.ts'

const CHATS = Math.floor(numberFromEnv('BENCH_CHATS', 100_000, 10))
const MESSAGES = Math.floor(numberFromEnv('BENCH_MESSAGES', 1_000_000, 1))
const VOCABULARY = Math.floor(numberFromEnv('BENCH_VOCABULARY', 5000, 200))
const ITERATIONS = Math.floor(numberFromEnv('BENCH_ITERATIONS', 200, 1))
const WARMUP = Math.floor(numberFromEnv('BENCH_WARMUP', 20, 0))
const BATCH = Math.floor(numberFromEnv('BENCH_BATCH', 2000, 1))
const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', 1200, 10) * 1000
const DEBUG = Boolean(process.env.BENCH_DEBUG)
/** Leaves the filled database behind (its name is printed) to look at plans by hand; drop it afterwards. */
const KEEP = Boolean(process.env.BENCH_KEEP)
/** A kept database to search again: the fill takes minutes on MariaDB, a change to a query is measured in seconds. */
const REUSE = process.env.BENCH_REUSE ?? ''
/** SQLite's default SQLITE_MAX_VARIABLE_NUMBER since 3.32. */
const SQLITE_VARIABLES = 32766
const DAY = 86_400_000

const url = process.env.DATABASE_URL
if (url && !['127.0.0.1', 'localhost', '[::1]'].includes(new URL(url).hostname)) {
  console.error(`DATABASE_URL must name a database on this machine (127.0.0.1, localhost or ::1), not ${new URL(url).hostname}: the benchmark creates and drops a database there`)
  process.exit(2)
}

const run = guardRun({ timeoutMs: TIMEOUT_MS })

// ---------------------------------------------------------------------------------------
// Text: a Zipf vocabulary (bench/common.ts)

const { next, vocabulary, words, askedWord } = zipfText(20261121, VOCABULARY)
const sentence = (): string => {
  const text = words(6 + Math.floor(next() * 10))
  return text.charAt(0).toUpperCase() + text.slice(1) + '.'
}

// ---------------------------------------------------------------------------------------
// The fill

const firstNames = ['Ann', 'Ben', 'Cid', 'Dana', 'Eve', 'Fay', 'Gus', 'Hal', 'Ida', 'Jon', 'Kim', 'Lea', 'Max', 'Nia', 'Oto', 'Pia', 'Quin', 'Rae', 'Sol', 'Tia', 'Uma', 'Vic', 'Wes', 'Xia', 'Yan', 'Zoe']
const lastNames = Array.from({ length: 400 }, (_, i) => { const w = vocabulary[200 + i * 7]!; return w.charAt(0).toUpperCase() + w.slice(1) })
const domains = ['mail.example', 'corp.example', 'shop.example', 'uni.example', 'gov.example']

interface Staff { username: string, id: string, name: string, groupId: number }
interface Customer { name: string, email: string, username: string | null }

/** Customers come back: about three chats each. */
function customer (n: number): Customer {
  const first = firstNames[n % firstNames.length]!
  const last = lastNames[Math.floor(n / firstNames.length) % lastNames.length]!
  const email = `${first.toLowerCase()}.${last.toLowerCase()}${n}@${domains[n % domains.length]}`
  return { name: `${first} ${last}`, email, username: n % 3 === 2 ? null : `${first.toLowerCase()}${n}` }
}
const customerOf = (i: number): number => i % Math.max(1, Math.floor(CHATS / 3))

const CHAT_COLUMNS = ['id', 'status', 'group_id', 'agent_id', 'customer_name', 'customer_email', 'customer_username', 'question', 'source', 'customer_token_hash',
  'created_at', 'queued_at', 'assigned_at', 'ended_at', 'ended_by', 'last_agent_message_at', 'last_seq', 'message_count', 'agent_read_seq']
const MESSAGE_COLUMNS = ['chat_id', 'seq', 'kind', 'author_kind', 'author_id', 'author_name', 'body', 'created_at']
const COMMENT_COLUMNS = ['chat_id', 'author_id', 'author_name', 'body', 'is_resolution', 'created_at', 'updated_at']
const VALUE_COLUMNS = ['chat_id', 'field_id', 'value', 'updated_at', 'updated_by']

interface Plan { firstId: number, now: number, staff: Staff[] }

const messagesOf = (i: number): number => Math.floor(MESSAGES / CHATS) + (i < MESSAGES % CHATS ? 1 : 0)
/** Chats evenly over the last 365 days, the newest now; a message every 30 s. */
const createdAt = (p: Plan, i: number): number => p.now - Math.floor((CHATS - i) * (365 * DAY / CHATS))
const staffOf = (p: Plan, i: number): Staff => p.staff[i % p.staff.length]!
const questions = new Map<number, string>()

function * chatRows (p: Plan): Generator<unknown[]> {
  for (let i = 0; i < CHATS; i++) {
    const c = customer(customerOf(i))
    const agent = staffOf(p, i)
    const at = createdAt(p, i)
    const n = messagesOf(i)
    const active = i >= CHATS - 20
    const question = sentence()
    questions.set(i, question)
    yield [p.firstId + i, active ? 'active' : i % 50 === 7 ? 'abandoned' : 'ended', agent.groupId, agent.id, c.name, c.email, c.username, question, 'portal', '0'.repeat(64),
      at, at, at + 20_000, active ? null : at + 20_000 + n * 30_000, active ? null : 'agent', at + 20_000 + n * 30_000, n, n, n]
  }
}

/** Seq 1 is the customer's question; then agent and customer take turns. */
function * messageRows (p: Plan): Generator<unknown[]> {
  for (let i = 0; i < CHATS; i++) {
    const agent = staffOf(p, i)
    const c = customer(customerOf(i))
    const at = createdAt(p, i)
    for (let seq = 1; seq <= messagesOf(i); seq++) {
      const fromAgent = seq % 2 === 0
      yield [p.firstId + i, seq, 'text', fromAgent ? 'agent' : 'customer', fromAgent ? agent.id : null, fromAgent ? agent.name : c.name,
        seq === 1 ? questions.get(i)! : sentence(), at + seq * 30_000]
    }
  }
}

function * commentRows (p: Plan): Generator<unknown[]> {
  for (let i = 0; i < CHATS; i += 5) {
    const agent = staffOf(p, i)
    yield [p.firstId + i, agent.id, agent.name, `${sentence()} ${sentence()}`, i % 10 === 0, createdAt(p, i) + DAY / 24, createdAt(p, i) + DAY / 24]
  }
}

function * valueRows (p: Plan, orderField: number, productField: number): Generator<unknown[]> {
  const products = ['Laptop', 'Phone', 'Software', 'Other']
  for (let i = 0; i < CHATS; i++) {
    if (i % 3 === 0) yield [p.firstId + i, orderField, String(100_000 + i), createdAt(p, i), 'bench']
    if (i % 2 === 0) yield [p.firstId + i, productField, products[i % products.length]!, createdAt(p, i), 'bench']
  }
}

// ---------------------------------------------------------------------------------------
// Measuring

interface Figure { p50: number, p95: number, hits: number, found: number }

async function measure (queries: SearchQuery[], call: (q: SearchQuery) => Promise<number>): Promise<Figure> {
  for (const q of queries.slice(0, WARMUP)) await call(q)
  const times: number[] = []
  let hits = 0
  let found = 0
  for (const q of queries.slice(WARMUP)) {
    if (run.halted()) break
    const t0 = performance.now()
    const n = await call(q)
    times.push(performance.now() - t0)
    hits += n
    if (n > 0) found++
  }
  times.sort((a, b) => a - b)
  return { p50: percentile(times, 0.5), p95: percentile(times, 0.95), hits: hits / Math.max(1, times.length), found: 100 * found / Math.max(1, times.length) }
}

function print (label: string, f: Figure, reads?: Reads): void {
  console.log(`${label} p50: ${fmt(f.p50, 2)} ms`)
  console.log(`${label} p95: ${fmt(f.p95, 2)} ms`)
  // Issue 16's goal, for every kind of search, on MariaDB's default 128 MB buffer pool too.
  console.log('goal: p95 ≤ 100 ms')
  if (reads) {
    console.log(`${label} pages touched: ${fmt(reads.pages, 0)} avg`)
    console.log(`${label} rows read: ${fmt(reads.rows, 0)} avg`)
    console.log(`${label} rows written to temporary tables: ${fmt(reads.tmpRows, 0)} avg`)
  }
  console.log(`${label} searches with hits: ${fmt(f.found, 0)} %`)
  console.log(`${label} chats shown: ${fmt(f.hits, 1)} avg`)
}

interface Reads { pages: number, rows: number, tmpRows: number }

/** Every `pages_accessed` of an ANALYZE FORMAT=JSON plan, summed over its tables. */
function pagesAccessed (plan: unknown): number {
  if (Array.isArray(plan)) return plan.reduce((sum: number, p) => sum + pagesAccessed(p), 0)
  if (plan === null || typeof plan !== 'object') return 0
  return Object.entries(plan).reduce((sum: number, [key, value]) => sum + (key === 'pages_accessed' ? Number(value) : pagesAccessed(value)), 0)
}

/**
 * MySQL/MariaDB: what a search reads, which moves little with the machine's load where its
 * time moves a lot, per search: buffer pool pages its main statement touches (ANALYZE
 * FORMAT=JSON, whether in memory or not; MariaDB's Innodb_* counters are the whole
 * server's, other databases' work included), and rows read and rows written to temporary
 * tables by all its statements (the session's Handler_* counters). On a connection of its
 * own (a pool of one), with services of their own on it, the first ITERATIONS / 4 searches
 * of each list given, after the timed runs.
 */
async function pagesRead (db: Database, lists: SearchQuery[][], calls: (service: ReturnType<typeof createSearchService>, list: ReturnType<typeof createChatService>) => Array<(q: SearchQuery) => Promise<number>>): Promise<Reads[]> {
  const knex = knexFactory({ ...knexConfig(db.env.DATABASE_URL ? { DATABASE_URL: db.env.DATABASE_URL } : {}), pool: { min: 1, max: 1 } })
  try {
    const manifest = loadManifest()
    const host = sqlHost(knex, manifest.host)
    const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
    const chats = createChatService({ db: knex, bus: memoryBus(), host, routing, settings: { maxMessageLength: resolveSettings(manifest, {}).maxMessageLength } })
    const search = createSearchService({ db: knex, chats, routing, fields: createFieldService({ db: knex, chats }), host })
    const counters = async (): Promise<{ rows: number, tmpRows: number }> => {
      const [rows] = await knex.raw("SHOW SESSION STATUS LIKE 'Handler_%'") as [Array<{ Variable_name: string, Value: string }>]
      const value = (name: string): number => Number(rows.find((r) => r.Variable_name === name)?.Value ?? 0)
      const read = ['first', 'key', 'last', 'next', 'prev', 'rnd', 'rnd_next'].reduce((sum, n) => sum + value(`Handler_read_${n}`), 0)
      return { rows: read, tmpRows: value('Handler_tmp_write') }
    }
    let captured: Array<{ sql: string, bindings: readonly unknown[] }> = []
    knex.on('query', (data: { sql: string, bindings: readonly unknown[] }) => { captured.push(data) })
    const out: Reads[] = []
    const each = calls(search, chats)
    for (const [i, queries] of lists.entries()) {
      const some = queries.slice(WARMUP, WARMUP + Math.max(1, Math.floor(ITERATIONS / 4)))
      const sum = { pages: 0, rows: 0, tmpRows: 0 }
      for (const q of some) {
        const before = await counters()
        captured = []
        await each[i]!(q)
        const after = await counters()
        sum.rows += after.rows - before.rows
        sum.tmpRows += after.tmpRows - before.tmpRows
        const main = captured.reduce((x, y) => x.sql.length >= y.sql.length ? x : y)
        const [[plan]] = await knex.raw(`ANALYZE FORMAT=JSON ${main.sql}`, main.bindings as Knex.RawBinding[]) as [[Record<string, string>]]
        sum.pages += pagesAccessed(JSON.parse(Object.values(plan)[0]!))
      }
      out.push({ pages: sum.pages / some.length, rows: sum.rows / some.length, tmpRows: sum.tmpRows / some.length })
    }
    return out
  } finally {
    await knex.destroy()
  }
}

/** With BENCH_DEBUG: the database's plan for one search of each kind, on stderr. */
async function explain (knex: Knex, label: string, sql: { sql: string, bindings: readonly unknown[] }): Promise<void> {
  if (!DEBUG) return
  const sqlite = knex.client.config.client === 'better-sqlite3'
  const plan = await knex.raw(`${sqlite ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN'} ${sql.sql}`, sql.bindings as Knex.RawBinding[])
  const rows = (sqlite ? plan : plan[0]) as Array<Record<string, unknown>>
  console.error(`${label}:`)
  for (const r of rows) console.error(`  ${sqlite ? String(r.detail) : JSON.stringify(r)}`)
}

/** The database a run with BENCH_KEEP left: a MySQL/MariaDB database beside DATABASE_URL's, or a SQLite file. */
function keptDatabase (name: string): Database {
  if (!url) {
    const knex = knexFactory(knexConfig({}, name))
    return { knex, describe: `SQLite (kept file ${name})`, env: { sqliteFile: name }, drop: async () => { await knex.destroy() } }
  }
  const kept = new URL(url)
  kept.pathname = `/${name}`
  const knex = knexFactory(knexConfig({ DATABASE_URL: kept.href }))
  return { knex, describe: `MySQL/MariaDB (kept database ${name} at ${kept.host})`, env: { DATABASE_URL: kept.href }, drop: async () => { await knex.destroy() } }
}

async function signIn (app: FastifyInstance, username: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/login', headers: { origin: 'http://localhost:80' }, payload: { username, password: 'demo' } })
  if (res.statusCode !== 303) throw new Error(`signing in as ${username} failed: ${res.statusCode}`)
  return res.cookies.map((c) => `${c.name}=${c.value}`).join('; ')
}

async function main (): Promise<number> {
  const began = performance.now()
  const db = REUSE ? keptDatabase(REUSE) : await freshDatabase('search')
  const knex = db.knex
  if (KEEP || REUSE) run.cleanups.push(async () => { await knex.destroy() })
  else run.cleanups.push(db.drop)
  const sqlite = knex.client.config.client === 'better-sqlite3'
  await prepareDatabase(knex)
  console.log(`database: ${db.describe}`)
  if (KEEP && db.env.sqliteFile) console.log(`kept SQLite file: ${db.env.sqliteFile}`)
  if (!sqlite) {
    // The figures depend on it more than on anything else: whether the messages and their index fit in memory.
    const [[pool]] = await knex.raw('SELECT @@innodb_buffer_pool_size AS size') as [[{ size: number | string }]]
    console.log(`innodb buffer pool: ${fmt(Number(pool.size) / 1024 / 1024, 0)} MB`)
  }
  console.log(`setup: ${MESSAGES} messages in ${CHATS} chats over 365 days, vocabulary ${VOCABULARY} words (Zipf), ${BATCH} rows per INSERT; ${WARMUP} warm-up searches, then ${ITERATIONS} of each kind, one at a time, in-process; Node ${process.version}`)

  const manifest = loadManifest()
  const settings = resolveSettings(manifest, {})
  const host = sqlHost(knex, manifest.host)
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  const chats = createChatService({ db: knex, bus: memoryBus(), host, routing, settings: { maxMessageLength: settings.maxMessageLength } })
  const fields = createFieldService({ db: knex, chats })
  const search = createSearchService({ db: knex, chats, routing, fields, host })
  const access = createAccess({ host, settings, routing })
  const scopeOf = async (username: string): Promise<AgentScope> => {
    const user = (await host.findUsers(username)).find((u) => u.username === username)!
    return await access.scopeOf(user, permissionsFor(settings, user.roles))
  }
  const staff: Staff[] = []
  for (const username of ['alice', 'bob', 'carol']) {
    const scope = await scopeOf(username)
    staff.push({ username, id: scope.id, name: scope.name, groupId: scope.activeIn[0]! })
  }
  const defined = await fields.list()
  const orderField = defined.find((f) => f.key === 'order_number')?.id
  const productField = defined.find((f) => f.key === 'product')?.id
  if (orderField === undefined || productField === undefined) throw new Error('the seeded desk has no order_number and product fields')

  const max = await knex('lc_chats').max({ id: 'id' }).first() as { id: number | null } | undefined
  const plan: Plan = { firstId: Number(max?.id ?? 0) + 1, now: Date.now(), staff }
  if (REUSE) {
    // The searches are drawn after the texts from one random sequence: the texts are drawn again, unwritten, to draw the same searches.
    const newest = await knex('lc_chats').where('id', Number(max?.id ?? 0)).first('created_at') as { created_at: number | string } | undefined
    plan.firstId = Number(max?.id ?? 0) - CHATS + 1
    plan.now = Number(newest?.created_at ?? Date.now()) + Math.floor(365 * DAY / CHATS)
    for (const rows of [chatRows(plan), messageRows(plan), commentRows(plan)]) while (rows.next().done !== true);
    console.log(`reused: ${REUSE}, not filled`)
  }
  const rowsFor = (columns: string[]): number => sqlite ? Math.min(BATCH, Math.floor(SQLITE_VARIABLES / columns.length)) : BATCH
  const fillBegan = performance.now()
  const filled = REUSE
    ? null
    : {
        chats: await bulkInsert(run, knex, 'lc_chats', CHAT_COLUMNS, chatRows(plan), rowsFor(CHAT_COLUMNS)),
        messages: await bulkInsert(run, knex, 'lc_messages', MESSAGE_COLUMNS, messageRows(plan), rowsFor(MESSAGE_COLUMNS)),
        comments: await bulkInsert(run, knex, 'lc_chat_comments', COMMENT_COLUMNS, commentRows(plan), rowsFor(COMMENT_COLUMNS)),
        values: await bulkInsert(run, knex, 'lc_chat_field_values', VALUE_COLUMNS, valueRows(plan, orderField, productField), rowsFor(VALUE_COLUMNS))
      }
  if (run.halted()) return 3
  if (filled) {
    // The service writes a message's words to lc_message_words with it; a fill of raw rows
    // adds them afterwards as migration 058 does on a desk upgraded, a batch of chats at a time.
    const wordsBegan = performance.now()
    await createMessageWords.up(knex)
    if (run.halted()) return 3
    console.log(`words of the messages (migration 058): ${fmt((performance.now() - wordsBegan) / 1000)} s`)
    const fillMs = performance.now() - fillBegan
    console.log(`fill ${filled.messages} messages, ${filled.chats} chats, ${filled.comments} comments, ${filled.values} custom values: ${fmt(fillMs / 1000)} s`)
    console.log(`fill rate: ${fmt((filled.messages + filled.chats + filled.comments + filled.values) / (fillMs / 1000), 0)} rows/s`)
  }
  // Fresh statistics, as a database in use has: the optimiser picks plans from them.
  if (sqlite) await knex.raw('ANALYZE')
  else for (const table of ['lc_chats', 'lc_messages', 'lc_message_words', 'lc_chat_comments', 'lc_chat_field_values']) await knex.raw('ANALYZE TABLE ??', [table])

  if (!sqlite) {
    // What a desk keeps on disk for its searches: the word index beside lc_messages (a search reads a range of it).
    for (const table of ['lc_messages', 'lc_message_words']) {
      const [[size]] = await knex.raw('SELECT data_length AS data, index_length AS ix FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?', [table]) as [[{ data: number | string, ix: number | string }]]
      console.log(`${table} rows: ${fmt(Number(size.data) / 1024 / 1024, 0)} MB`)
      console.log(`${table} indexes: ${fmt(Number(size.ix) / 1024 / 1024, 0)} MB`)
    }
  }
  const sam = await scopeOf('sam')
  const alice = staff[0]!
  const aliceScope = await scopeOf('alice')
  const n = WARMUP + ITERATIONS
  const keyword = (): string => next() < 0.6 ? askedWord() : `${askedWord()} ${askedWord()}`
  const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
  const keywords = Array.from({ length: n }, (): SearchQuery => ({ q: keyword() }))
  const narrowed = Array.from({ length: n }, (): SearchQuery => {
    const from = plan.now - Math.floor(next() * 335 * DAY) - 30 * DAY
    return { q: keyword(), agent: alice.id, from: dayOf(from), to: dayOf(from + 30 * DAY) }
  })
  const emails = Array.from({ length: n }, (): SearchQuery => ({ email: customer(customerOf(Math.floor(next() * CHATS))).email }))

  if (DEBUG) {
    for (const [label, q] of [['keyword', keywords[0]!], ['keyword + agent + date range', narrowed[0]!], ['email', emails[0]!]] as const) {
      const { criteria } = readCriteria(q, await search.options(sam))
      const captured: Array<{ sql: string, bindings: readonly unknown[] }> = []
      const listener = (data: { sql: string, bindings: readonly unknown[] }): void => { captured.push(data) }
      knex.on('query', listener)
      await searchChats(knex, criteria!.filter, searchVisibility(sam, false), criteria!.order)
      knex.off('query', listener)
      await explain(knex, `${label} (${JSON.stringify(q)})`, captured.at(-1)!)
    }
  }

  const advancedBy = (service: typeof search) => (scope: AgentScope) => async (q: SearchQuery): Promise<number> => {
    const out = await service.advanced(q, scope)
    if (!out.hits) throw new Error(`the search was refused: ${JSON.stringify(out.form.errors)}`)
    return out.hits.length
  }
  // The search box of Global Completed: the list's own query, narrowed to the matching ids.
  const listBy = (service: typeof search, list: typeof chats) => async (q: SearchQuery): Promise<number> => (await list.list({
    statuses: ['ended', 'abandoned', 'cancelled'], groups: sam.visible, matching: (await service.listMatches(q.q!)).matching, sort: 'started', dir: 'desc', limit: 201
  })).length
  const advanced = advancedBy(search)
  const byKeyword = await measure(keywords, advanced(sam))
  const byKeywordAgentDates = await measure(narrowed, advanced(sam))
  const byEmail = await measure(emails, advanced(sam))
  const asAgent = await measure(keywords, advanced(aliceScope))
  const inList = await measure(keywords, listBy(search, chats))
  if (run.halted()) return 3
  const reads = sqlite ? null : await pagesRead(db, [narrowed, keywords, keywords], (service, list) => [advancedBy(service)(sam), advancedBy(service)(sam), listBy(service, list)])

  const app = await buildDemoHost({ knex, logger: { level: 'warn', stream: process.stderr }, pluginOptions: { jobs: false } })
  run.cleanups.push(async () => { await app.close() })
  await app.ready()
  const cookie = await signIn(app, 'sam')
  const page = await measure(keywords, async (q) => {
    const res = await app.inject({ url: `/livechat/console/search?q=${encodeURIComponent(q.q!)}`, headers: { cookie } })
    if (res.statusCode !== 200) throw new Error(`GET search page: ${res.statusCode} ${res.body.slice(0, 300)}`)
    return res.body.match(/id="lc-search-row-/g)?.length ?? 0
  })
  if (run.halted()) return 3

  print('keyword', byKeyword, reads?.[1])
  print('keyword + agent + date range', byKeywordAgentDates, reads?.[0])
  print('email', byEmail)
  print('keyword as an agent', asAgent)
  print('list search box (Global Completed, keyword)', inList, reads?.[2])
  print('search page (keyword)', page)
  console.log(`run time: ${fmt((performance.now() - began) / 1000)} s`)
  return 0
}

await run.finish(main)
