/**
 * Purge benchmark (docs/design.md §7, §9): how fast the purge job removes deleted chats, and what it
 * does to live chats meanwhile. The demo host with the plugin serves live chats (a customer
 * socket and an agent socket each) on the database DATABASE_URL names (SQLite in a temp file,
 * WAL, when it is unset), while the database also holds many chats deleted long ago, each
 * with messages, history, a comment and now and then a file on disk.
 *
 * Messages go back and forth at a fixed total rate over loopback, from this same process, in
 * three phases: quiet, while the purge job runs (as the scheduler runs it: under its lease,
 * recorded, on the plugin's own connection pool, with the batch size of the purgeBatchSize
 * setting), and quiet again. Delivery latency runs from the client's send() to the moment
 * the other side's socket receives the fragment holding that message's token. Every figure
 * is printed as `label: value unit`; the run exits 1 when a message went missing or arrived
 * twice, or the purge left a deleted chat or its word rows behind.
 *
 * Environment: DATABASE_URL, BENCH_DELETED chats to purge (5000), BENCH_MESSAGES per deleted
 * chat (40), BENCH_BATCH most chats per purge transaction (the purgeBatchSize default),
 * BENCH_TARGET_MS the time a batch aims at and BENCH_REST the rest after it, times the batch
 * (the purge's defaults), BENCH_WORD_GROUP purged chats the words phase takes at a time (the
 * purge's default), BENCH_CHATS live chats (30), BENCH_RATE messages/s in all (200),
 * BENCH_SECONDS per quiet phase (10), BENCH_TIMEOUT hard limit for the whole run in seconds
 * (default from the others).
 */
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Knex } from 'knex'
import WebSocket from 'ws'
import { buildDemoHost } from '../demo-host/app.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import { createChatService } from '../plugin/chats/service.ts'
import { createFileService } from '../plugin/files/service.ts'
import { sqlHost } from '../plugin/host/sql-host.ts'
import { getDialect, poolBusy, probeLatency } from '../plugin/db/index.ts'
import { indexWords } from '../plugin/db/words.ts'
import { createPurge, purgePace, type PurgeResult } from '../plugin/jobs/purge.ts'
import { runJobRecorded } from '../plugin/jobs/scheduler.ts'
import { loadManifest } from '../plugin/manifest.ts'
import { resolveSettings } from '../plugin/settings.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'
import { availableAgents, Browser, fmt, freshDatabase, guardRun, numberFromEnv, percentile, sleep, zipfText } from './common.ts'

const manifest = loadManifest()
const defaults = resolveSettings(manifest, {})
const DELETED = Math.floor(numberFromEnv('BENCH_DELETED', 5000, 1))
const PER_CHAT = Math.floor(numberFromEnv('BENCH_MESSAGES', 40, 1))
const BATCH = Math.floor(numberFromEnv('BENCH_BATCH', defaults.purgeBatchSize, 1))
// The purge's own defaults unless set: rest after a batch (times the batch), and the batch's time target in ms.
const REST = process.env.BENCH_REST ? numberFromEnv('BENCH_REST', 1, 0) : undefined
// BENCH_PROBE=0: the purge without its probe of the live load (as it was before it had one).
const PROBE = process.env.BENCH_PROBE !== '0'
// BENCH_WORD_GROUP: purged chats the words phase takes at a time (the purge's default unless set).
const WORD_GROUP = process.env.BENCH_WORD_GROUP ? Math.floor(numberFromEnv('BENCH_WORD_GROUP', 100, 1)) : undefined
const TARGET_MS = process.env.BENCH_TARGET_MS ? numberFromEnv('BENCH_TARGET_MS', 10, 0.1) : undefined
const CHATS = Math.floor(numberFromEnv('BENCH_CHATS', 30, 1))
const RATE = numberFromEnv('BENCH_RATE', 200, 1)
const SECONDS = numberFromEnv('BENCH_SECONDS', 10, 1)
const AGENTS = ['alice', 'bob', 'carol'] as const
const DRAIN_MS = 10_000
// The fill at 1,000 messages/s and the purge at 5 chats/s, the slowest either was seen on a loaded machine.
const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', 300 + 3 * SECONDS + DELETED * PER_CHAT / 1000 + DELETED / 5, 30) * 1000
const day = 86_400_000

const run = guardRun({ timeoutMs: TIMEOUT_MS, settleMs: 500, onCleanUp: () => { closing = true } })
const { cleanups } = run
let closing = false

// ---------------------------------------------------------------------------------------
// The deleted chats

const SQLITE_VARIABLES = 32766

/** Multi-row INSERTs (a plain VALUES list: knex's SQLite batch insert is a compound SELECT of at most 500 terms), in one transaction. */
async function insertRows (knex: Knex, table: string, columns: readonly string[], rows: unknown[][]): Promise<void> {
  if (rows.length === 0) return
  const tuple = `(${columns.map(() => '?').join(', ')})`
  const perStatement = Math.max(1, Math.min(5000, Math.floor(SQLITE_VARIABLES / columns.length)))
  await knex.transaction(async (trx) => {
    for (let i = 0; i < rows.length; i += perStatement) {
      const slice = rows.slice(i, i + perStatement)
      await trx.raw(`insert into ${table} (${columns.join(', ')}) values ${slice.map(() => tuple).join(', ')}`, slice.flat() as Knex.ValueDict[keyof Knex.ValueDict][])
    }
  })
}

// Messages' text as a desk's is: words of a Zipf vocabulary, so their rows in lc_message_words
// spread over the whole word index as real words do, not a handful of ranges.
const { next, words: zipfWords } = zipfText(20261207, 5000)
const sentence = (): string => zipfWords(6 + Math.floor(next() * 10))

/**
 * DELETED chats deleted 100 days ago, each with PER_CHAT messages (and their words in
 * lc_message_words, as insertMessage writes them), three history rows and a comment; every
 * tenth has a file on disk. Rows go in with their ids, many to a statement, so nothing is
 * read back; each table's rows of a chunk are written in key order.
 */
async function fillDeleted (knex: Knex, uploadDir: string): Promise<{ messages: number, words: number, files: number }> {
  const deletedAt = Date.now() - 100 * day
  let messages = 0
  let words = 0
  let files = 0
  const chunk = 2500
  let messageId = 0
  for (let from = 0; from < DELETED && !run.halted(); from += chunk) {
    const ids = Array.from({ length: Math.min(chunk, DELETED - from) }, (_, i) => from + i + 1)
    await insertRows(knex, 'lc_chats', ['id', 'status', 'customer_name', 'customer_email', 'question', 'source', 'customer_token_hash', 'created_at', 'queued_at', 'ended_at', 'ended_by', 'last_seq', 'message_count', 'deleted_at'],
      ids.map((id) => [id, 'ended', `Deleted ${id}`, `deleted${id}@customer.example`, 'An old question', 'portal', createHash('sha256').update(`deleted-${id}`).digest('hex'), deletedAt - day, deletedAt - day, deletedAt - day + 600_000, 'agent', PER_CHAT, PER_CHAT, deletedAt]))
    const rows: unknown[][] = []
    const wordRows: Array<[string, number, number]> = []
    const history: unknown[][] = []
    const comments: unknown[][] = []
    const fileRows: unknown[][] = []
    for (const id of ids) {
      for (let seq = 1; seq <= PER_CHAT; seq++) {
        const body = sentence()
        rows.push([++messageId, id, seq, 'text', seq % 2 === 0 ? 'agent' : 'customer', seq % 2 === 0 ? 'Alice Adams' : 'A customer', body, deletedAt - day + seq * 1000])
        for (const word of indexWords(body)) wordRows.push([word, id, messageId])
      }
      for (const action of ['started', 'accepted', 'ended']) history.push([id, 'system', 'Live chat', action, deletedAt - day])
      comments.push([id, '1', 'Alice Adams', 'Resolved by resetting the VPN token', false, deletedAt - day, deletedAt - day])
      if (id % 10 === 0) {
        const storage = createHash('sha256').update(`file-${id}`).digest('hex').slice(0, 48)
        await writeFile(join(uploadDir, storage), 'an old attachment')
        fileRows.push([id, storage, 'log.txt', 'text/plain', 17, '0'.repeat(64), 'customer', 'A customer', deletedAt - day])
      }
    }
    await insertRows(knex, 'lc_messages', ['id', 'chat_id', 'seq', 'kind', 'author_kind', 'author_name', 'body', 'created_at'], rows)
    wordRows.sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2])
    await insertRows(knex, 'lc_message_words', ['word', 'chat_id', 'message_id'], wordRows)
    await insertRows(knex, 'lc_chat_history', ['chat_id', 'actor_kind', 'actor_name', 'action', 'created_at'], history)
    await insertRows(knex, 'lc_chat_comments', ['chat_id', 'author_id', 'author_name', 'body', 'is_resolution', 'created_at', 'updated_at'], comments)
    await insertRows(knex, 'lc_chat_files', ['chat_id', 'storage_name', 'name', 'type', 'size', 'sha256', 'author_kind', 'author_name', 'created_at'], fileRows)
    messages += rows.length
    words += wordRows.length
    files += fileRows.length
  }
  return { messages, words, files }
}

// ---------------------------------------------------------------------------------------
// Live chats and their delivery latency

interface Peer { ws: WebSocket, label: string }
interface Pair { chatId: string, customer: Peer, agent: Peer }
interface Sent { id: number, to: Peer, sentAt: number, receivedAt: number, copies: number }

const sent = new Map<number, Sent>()
let nextId = 1

function receive (peer: Peer, text: string): void {
  if (!text.includes('data-seq')) return
  const now = performance.now()
  for (const m of text.matchAll(/\bt(\d+)x\b/g)) {
    const s = sent.get(Number(m[1]))
    if (!s || s.to !== peer) continue
    if (++s.copies === 1) s.receivedAt = now
  }
}

async function connect (url: string, headers: Record<string, string>, label: string): Promise<Peer> {
  const ws = new WebSocket(url, { headers, perMessageDeflate: false })
  const peer: Peer = { ws, label }
  ws.on('error', (err) => { console.error(`socket ${label}: ${err.message}`) })
  ws.on('close', (code) => { if (!closing) console.error(`socket ${label} closed by the server (${code})`) })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`socket ${label}: no first frame in 10 s`)) }, 10_000)
    ws.once('unexpected-response', (_req, res) => { clearTimeout(timer); reject(new Error(`socket ${label}: upgrade refused (${res.statusCode})`)) })
    ws.once('message', () => { clearTimeout(timer); resolve() })
  })
  ws.on('message', (data) => { receive(peer, data.toString()) })
  return peer
}

/** The three agents work Support L1 (where the portal's chats start) with room for every live chat. */
async function staffSupport (knex: Knex): Promise<void> {
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  const l1 = (await routing.groups()).find((g) => g.name === 'Support L1')!
  for (const username of AGENTS) {
    const user = await knex('users').where({ username }).first('id')
    await routing.setMember(l1.id, String(user.id), { active: true, maxChats: Math.min(1000, CHATS) })
  }
}

async function liveChats (base: string): Promise<Pair[]> {
  const wsBase = base.replace(/^http/, 'ws')
  const agents = await availableAgents(base, AGENTS)
  const pairs: Pair[] = []
  for (let i = 0; i < CHATS; i++) {
    const customer = new Browser(base)
    const token = await customer.csrf('/livechat/start')
    const form = { name: `Live Customer ${i}`, email: `live${i}@customer.example`, question: `Benchmark chat ${i}`, _csrf: token }
    let res = await customer.request('POST', '/livechat/start', { form })
    // Knowledge articles the question matched come first: continue to chat.
    if (res.status === 200 && res.body.includes('id="lc-suggestions"')) res = await customer.request('POST', '/livechat/start/continue', { form })
    const chatId = /\/chat\/(\d+)$/.exec(res.location ?? '')?.[1]
    if (res.status !== 303 || !chatId) throw new Error(`starting chat ${i} failed: ${res.status} ${res.body.slice(0, 300)}`)
    const agent = agents.get(AGENTS[i % AGENTS.length]!)!
    const accepted = await agent.browser.request('POST', `/livechat/console/chats/${chatId}/accept`, { form: { _csrf: agent.token }, headers: { 'x-csrf-token': agent.token, 'hx-request': 'true' } })
    if (accepted.status !== 200) throw new Error(`accepting chat ${chatId} failed: ${accepted.status}`)
    const since = Math.max(0, ...[...accepted.body.matchAll(/data-seq="(\d+)"/g)].map((m) => Number(m[1])))
    pairs.push({
      chatId,
      customer: await connect(`${wsBase}/livechat/ws/chat/${chatId}?since=${chatId}.${since}`, { cookie: customer.cookie(), origin: base }, `customer ${chatId}`),
      agent: await connect(`${wsBase}/livechat/ws/console`, { cookie: agent.browser.cookie(), origin: base }, `agent of ${chatId}`)
    })
  }
  return pairs
}

/** RATE messages/s in all, chat after chat, alternating sides, until `stop()` says so; then waits for what is in flight. */
async function fixedRate (pairs: Pair[], stop: (elapsedMs: number) => boolean): Promise<Sent[]> {
  const list: Sent[] = []
  const start = performance.now()
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = performance.now() - start
      const due = Math.floor(elapsed / 1000 * RATE) + 1
      while (list.length < due) {
        const k = list.length
        const pair = pairs[k % pairs.length]!
        const fromCustomer = (k + Math.floor(k / pairs.length)) % 2 === 0
        const id = nextId++
        const s: Sent = { id, to: fromCustomer ? pair.agent : pair.customer, sentAt: performance.now(), receivedAt: 0, copies: 0 }
        sent.set(id, s)
        list.push(s)
        const from = fromCustomer ? pair.customer : pair.agent
        if (from.ws.readyState === WebSocket.OPEN) from.ws.send(JSON.stringify({ type: 'message', chat_id: pair.chatId, body: `bench t${id}x`, client_msg_id: `purge-bench-${id}` }))
      }
      if (stop(elapsed) || run.halted()) resolve()
      else setTimeout(tick, 1)
    }
    tick()
  })
  const until = performance.now() + DRAIN_MS
  while (performance.now() < until && list.some((s) => s.copies === 0)) await sleep(20)
  await sleep(300)
  return list
}

interface Phase { sent: number, p50: number, p99: number, max: number, missing: number, duplicates: number }

function summarise (list: Sent[]): Phase {
  const lat = list.filter((s) => s.copies > 0).map((s) => s.receivedAt - s.sentAt).sort((a, b) => a - b)
  return {
    sent: list.length,
    p50: percentile(lat, 0.5),
    p99: percentile(lat, 0.99),
    max: lat.at(-1) ?? NaN,
    missing: list.filter((s) => s.copies === 0).length,
    duplicates: list.reduce((n, s) => n + Math.max(0, s.copies - 1), 0)
  }
}

function print (label: string, p: Phase): void {
  console.log(`${label} messages sent: ${p.sent} messages`)
  console.log(`${label} delivery p50: ${fmt(p.p50)} ms`)
  console.log(`${label} delivery p99: ${fmt(p.p99)} ms`)
  console.log(`${label} delivery max: ${fmt(p.max)} ms`)
}

// ---------------------------------------------------------------------------------------
// The run

async function main (): Promise<number> {
  const began = performance.now()
  const db = await freshDatabase('purge')
  cleanups.push(db.drop)
  const uploadDir = await mkdtemp(join(tmpdir(), 'livechat-bench-uploads-'))
  cleanups.push(async () => { await rm(uploadDir, { recursive: true, force: true }) })
  await prepareDatabase(db.knex)
  await staffSupport(db.knex)
  console.log(`database: ${db.describe}`)
  console.log(`setup: ${DELETED} deleted chats of ${PER_CHAT} messages each, purged at most ${BATCH} per transaction (batch time target ${TARGET_MS ?? `${purgePace(getDialect(db.knex)).targetMs} (the default)`} ms, rest ${REST ?? `${purgePace(getDialect(db.knex)).restRatio} (the default)`} x, ${PROBE ? 'probing the live load' : 'no probe'}); ${CHATS} live chats at ${RATE} messages/s in all, ${SECONDS} s per quiet phase; Node ${process.version}`)

  const t0 = performance.now()
  const filled = await fillDeleted(db.knex, uploadDir)
  console.log(`fill: ${fmt((performance.now() - t0) / 1000)} s (${filled.messages} messages, ${filled.words} word rows, ${filled.files} files)`)

  const app = await buildDemoHost({
    knex: db.knex,
    logger: { level: 'warn', stream: process.stderr },
    pluginOptions: { jobs: false, uploadDir, settings: { messagesPerMinute: 10_000, chatStartsPerMinute: Math.min(1000, CHATS + 20), purgeBatchSize: BATCH } }
  })
  cleanups.push(async () => { closing = true; await app.close() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const pairs = await liveChats(base)
  cleanups.push(async () => { closing = true; for (const p of pairs) { p.customer.ws.terminate(); p.agent.ws.terminate() } })

  // The purge exactly as the job runs it, on the same knex pool the plugin serves live chats from.
  const bus = memoryBus()
  const routing = createRoutingService({ db: db.knex, bus, settings: { heartbeatTimeoutSeconds: 60 } })
  const chats = createChatService({ db: db.knex, bus, host: sqlHost(db.knex, manifest.host), routing, settings: { maxMessageLength: 10_000 } })
  const files = createFileService({ db: db.knex, chats, base: '/livechat', dir: uploadDir, settings: { maxFileBytes: defaults.maxFileBytes, allowedFileTypes: defaults.allowedFileTypes } })
  // As the job service makes it: backing off while the pool has live statements waiting.
  // Progress every 10 s, so a run cut short by its time limit still tells how far the purge got.
  let progress = 0
  const purgeDeleted = chats.purgeDeleted
  chats.purgeDeleted = async (...args) => { const step = await purgeDeleted(...args); progress += step?.chats ?? 0; return step }
  // Where the purge's time goes: inside the chat service's purge calls (live work interleaved with their statements counts too).
  const spent = { 'chat batches': 0, 'reading words': 0, 'word batches': 0 }
  const timed = <A extends unknown[], R>(part: keyof typeof spent, f: (...a: A) => Promise<R>) => async (...a: A): Promise<R> => {
    const t = performance.now()
    try { return await f(...a) } finally { spent[part] += performance.now() - t }
  }
  chats.purgeDeleted = timed('chat batches', chats.purgeDeleted)
  chats.pendingWordChats = timed('reading words', chats.pendingWordChats)
  chats.wordPairs = timed('reading words', chats.wordPairs)
  chats.purgeWords = timed('word batches', chats.purgeWords)
  const purge = createPurge({ chats, files, clock: Date.now, afterDays: defaults.purgeAfterDays, batchSize: BATCH, targetMs: TARGET_MS ?? purgePace(getDialect(db.knex)).targetMs, restRatio: REST ?? purgePace(getDialect(db.knex)).restRatio, busy: () => poolBusy(db.knex), probe: PROBE ? async () => await probeLatency(db.knex) : undefined, wordGroup: WORD_GROUP })

  await fixedRate(pairs, (ms) => ms > 2000)
  const quiet = summarise(await fixedRate(pairs, (ms) => ms > SECONDS * 1000))

  // On MariaDB: what the server did meanwhile (server-wide: other databases' work counts too).
  const serverStatus = async (): Promise<Map<string, number>> => {
    if (getDialect(db.knex) !== 'mysql') return new Map()
    const [rows] = await db.knex.raw("show global status where Variable_name in ('Innodb_row_lock_waits', 'Innodb_row_lock_time', 'Innodb_buffer_pool_reads', 'Innodb_buffer_pool_read_requests', 'Innodb_data_written')") as [Array<{ Variable_name: string, Value: string }>]
    return new Map(rows.map((r) => [r.Variable_name, Number(r.Value)]))
  }
  const statusBefore = await serverStatus()
  let purged: PurgeResult | undefined
  let purgeMs = 0
  const purging = (async () => {
    const p0 = performance.now()
    const result = await runJobRecorded(db.knex, 'purge', 'purge-bench', async (ctx) => { purged = await purge(ctx); return purged })
    purgeMs = performance.now() - p0
    if (result?.thrown) throw result.thrown
  })()
  let done = false
  // Settled either way; a failure is thrown where the purge is awaited below, and not left unhandled here.
  void purging.then(() => { done = true }, () => { done = true })
  const p0 = performance.now()
  const ticker = setInterval(() => { console.log(`purging: ${progress} chats in ${fmt((performance.now() - p0) / 1000)} s`) }, 10_000)
  void purging.then(() => { clearInterval(ticker) }, () => { clearInterval(ticker) })
  const during = summarise(await fixedRate(pairs, () => done))
  await purging
  const statusAfter = await serverStatus()
  const after = summarise(await fixedRate(pairs, (ms) => ms > SECONDS * 1000))

  const left = Number((await db.knex('lc_chats').whereNotNull('deleted_at').count({ n: '*' }).first())?.n ?? 0)
  // The deleted chats' ids are 1..DELETED: their word rows go in the purge's words phase, after the chat batches.
  const wordsLeft = Number((await db.knex('lc_message_words').where('chat_id', '<=', DELETED).count({ n: '*' }).first())?.n ?? 0)
  const messages = purged?.byTable.lc_messages ?? 0
  console.log(`purged chats: ${purged?.chats ?? 0} chats`)
  console.log(`purged messages: ${messages} messages`)
  console.log(`purged rows in all: ${purged?.rows ?? 0} rows`)
  console.log(`purged files: ${purged?.files.removed ?? 0} files`)
  console.log(`purge batches: ${purged?.batches ?? 0} batches`)
  console.log(`purged word rows: ${purged?.byTable.lc_message_words ?? 0} rows in ${purged?.wordBatches ?? 0} batches`)
  console.log(`purge time: ${fmt(purgeMs / 1000, 2)} s`)
  for (const [part, ms] of Object.entries(spent)) console.log(`purge time in ${part}: ${fmt(ms / 1000, 2)} s`)
  console.log(`purge rate: ${fmt((purged?.chats ?? 0) / (purgeMs / 1000), 0)} chats/s`)
  // Issue 16: 100,000 chats in under an hour.
  console.log('goal: ≥ 28 chats/s')
  console.log(`purge rate: ${fmt(messages / (purgeMs / 1000), 0)} messages/s`)
  print('quiet', quiet)
  print('during purge', during)
  print('quiet after', after)
  console.log(`delivery p99 ratio (during purge / quiet): ${fmt(during.p99 / quiet.p99, 2)} x`)
  console.log('goal: ≤ 2 x')
  const missing = quiet.missing + during.missing + after.missing
  const duplicates = quiet.duplicates + during.duplicates + after.duplicates
  for (const [name, value] of statusAfter) console.log(`server ${name} during purge: ${value - (statusBefore.get(name) ?? 0)}`)
  console.log(`missing: ${missing} messages`)
  console.log(`duplicates: ${duplicates} messages`)
  console.log(`deleted chats left: ${left} chats`)
  console.log(`word rows of purged chats left: ${wordsLeft} rows`)
  console.log(`run time: ${fmt((performance.now() - began) / 1000)} s`)
  return missing + duplicates + left + wordsLeft === 0 ? 0 : 1
}

await run.finish(main)
