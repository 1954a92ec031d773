/**
 * Knowledge benchmark (issue: suggested solutions and the Resources panel): how long the
 * full-text searches take that run before a customer's chat is queued and when an agent
 * opens Resources, on a large desk, on the database DATABASE_URL names (SQLite in a temp
 * file when unset); a fresh database, dropped at the end.
 *
 * The fill, with multi-row INSERTs: BENCH_ARTICLES knowledge base articles, BENCH_TICKETS
 * resolved tickets with resolutions, and BENCH_RESOLUTIONS ended chats with a resolution
 * comment each. Texts are drawn from a vocabulary of BENCH_VOCABULARY words with a Zipf
 * distribution, as real text is: a few words are in most rows, most words in few.
 *
 * Measured one at a time after a warm-up, BENCH_ITERATIONS questions of 6 to 12 words each
 * (stopwords among them, as people type; the vocabulary's 100 most frequent words stand for
 * the stopwords of real text and are never asked about):
 * - the knowledge base search of the suggestions page (sqlHost.searchKnowledge, 3 hits);
 * - resolved tickets (sqlHost.searchResolvedTickets, 5 hits);
 * - past chat resolutions an agent may see (comments service searchResolutions, 5 hits).
 * Every figure is printed as `label: value unit`.
 *
 * Environment: DATABASE_URL, BENCH_ARTICLES (20000), BENCH_TICKETS (50000), BENCH_RESOLUTIONS
 * (50000), BENCH_VOCABULARY (5000), BENCH_ITERATIONS (300), BENCH_WARMUP (30), BENCH_TIMEOUT
 * hard limit for the whole run in seconds (300).
 */
import { performance } from 'node:perf_hooks'
import type { Knex } from 'knex'
import { prepareDatabase } from '../demo-host/setup.ts'
import { createChatService } from '../plugin/chats/service.ts'
import type { AgentScope } from '../plugin/chats/types.ts'
import { createCommentService } from '../plugin/comments/service.ts'
import { sqlHost, type HostMapping } from '../plugin/host/sql-host.ts'
import { loadManifest } from '../plugin/manifest.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'
import { fmt, freshDatabase, guardRun, numberFromEnv, percentile, zipfText } from './common.ts'

const ARTICLES = Math.floor(numberFromEnv('BENCH_ARTICLES', 20_000, 1))
const TICKETS = Math.floor(numberFromEnv('BENCH_TICKETS', 50_000, 1))
const RESOLUTIONS = Math.floor(numberFromEnv('BENCH_RESOLUTIONS', 50_000, 1))
const VOCABULARY = Math.floor(numberFromEnv('BENCH_VOCABULARY', 5000, 50))
const ITERATIONS = Math.floor(numberFromEnv('BENCH_ITERATIONS', 300, 1))
const WARMUP = Math.floor(numberFromEnv('BENCH_WARMUP', 30, 0))
const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', 300, 10) * 1000

const run = guardRun({ timeoutMs: TIMEOUT_MS })

const { next, words, askedWord } = zipfText(20261121, VOCABULARY)
const asked = (n: number): string[] => Array.from({ length: n }, askedWord)
const filler = ['how', 'do', 'I', 'my', 'the', 'is', 'not', 'since', 'this', 'morning', 'please', 'help']

async function bulk (knex: Knex, table: string, rows: Array<Record<string, unknown>>): Promise<void> {
  // knex writes a multi-row insert on SQLite as one compound SELECT, which holds at most 500 terms.
  const per = 400
  for (let i = 0; i < rows.length; i += per * 20) {
    if (run.halted()) return
    await knex.transaction(async (trx) => {
      for (let j = i; j < Math.min(rows.length, i + per * 20); j += per) await trx(table).insert(rows.slice(j, j + per))
    })
  }
}

async function timeEach (label: string, questions: string[], fn: (q: string) => Promise<unknown[]>): Promise<void> {
  for (const q of questions.slice(0, WARMUP)) await fn(q)
  const times: number[] = []
  let found = 0
  for (const q of questions) {
    if (run.halted()) return
    const start = performance.now()
    const hits = await fn(q)
    times.push(performance.now() - start)
    if (hits.length > 0) found++
  }
  times.sort((a, b) => a - b)
  console.log(`${label} p50: ${fmt(percentile(times, 0.5), 2)} ms`)
  console.log(`${label} p95: ${fmt(percentile(times, 0.95), 2)} ms`)
  console.log(`${label} questions with hits: ${fmt(100 * found / questions.length, 0)} %`)
}

async function main (): Promise<void> {
  const db = await freshDatabase('knowledge')
  run.cleanups.push(db.drop)
  const { knex } = db
  console.log(`database: ${db.describe}`)
  const manifest = await loadManifest()
  await prepareDatabase(knex)

  const fillStart = performance.now()
  const now = Date.now()
  await bulk(knex, 'kb_articles', Array.from({ length: ARTICLES }, (_, i) => ({
    title: words(4 + (i % 4)), body: words(120), category: `Category ${i % 12}`, created_at: now, updated_at: now
  })))
  await bulk(knex, 'tickets', Array.from({ length: TICKETS }, (_, i) => ({
    ref: `BENCH${String(i).padStart(8, '0')}`,
    kind: 'incident',
    summary: words(6),
    description: words(60),
    resolution: words(30),
    status: i % 5 === 0 ? 'Closed' : 'Resolved',
    created_at: now,
    updated_at: now
  })))
  const alice = await knex('users').where({ username: 'alice' }).first('id', 'name')
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  const groups = await routing.agentGroups(String(alice.id))
  const groupId = groups.activeIn[0]!
  const firstChat = Number((await knex('lc_chats').max({ id: 'id' }).first())?.id ?? 0) + 1
  await bulk(knex, 'lc_chats', Array.from({ length: RESOLUTIONS }, (_, i) => ({
    id: firstChat + i,
    status: 'ended',
    group_id: groupId,
    agent_id: String(alice.id),
    customer_name: 'Bench Customer',
    customer_email: 'bench@customer.example',
    question: words(10),
    source: 'portal',
    customer_token_hash: '0'.repeat(64),
    created_at: now,
    ended_at: now
  })))
  await bulk(knex, 'lc_chat_comments', Array.from({ length: RESOLUTIONS }, (_, i) => ({
    chat_id: firstChat + i,
    author_id: String(alice.id),
    author_name: String(alice.name),
    body: words(40),
    is_resolution: true,
    created_at: now,
    updated_at: now
  })))
  if (run.halted()) return
  console.log(`fill (${ARTICLES} articles, ${TICKETS} tickets, ${RESOLUTIONS} resolutions): ${fmt((performance.now() - fillStart) / 1000, 1)} s`)

  const host = sqlHost(knex, manifest.host as unknown as HostMapping)
  const chats = createChatService({ db: knex, bus: memoryBus(), host, routing, settings: { maxMessageLength: 10_000 } })
  const comments = createCommentService({ db: knex, bus: memoryBus(), chats })
  const scope: AgentScope = { id: String(alice.id), name: String(alice.name), activeIn: groups.activeIn, visible: groups.memberOf, supervise: false }

  const questions = Array.from({ length: ITERATIONS }, (_, i) => {
    const parts = [...asked(3 + (i % 4)), filler[i % filler.length]!, filler[(i * 7) % filler.length]!, ...asked(1 + (i % 5))]
    return parts.sort(() => next() - 0.5).join(' ')
  })
  await timeEach('kb search', questions, async (q) => await host.searchKnowledge(q, 3, 'customer'))
  await timeEach('resolved tickets search', questions, async (q) => await host.searchResolvedTickets!(q, 5))
  await timeEach('chat resolutions search', questions, async (q) => await comments.searchResolutions(q, scope, 5))
}

main()
  .catch((err: unknown) => { console.error(err); process.exitCode = 1 })
  .finally(async () => { await run.cleanUp() })
