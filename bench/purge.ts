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
 * twice, or the purge left a deleted chat behind.
 *
 * Environment: DATABASE_URL, BENCH_DELETED chats to purge (5000), BENCH_MESSAGES per deleted
 * chat (40), BENCH_BATCH most chats per purge transaction (the purgeBatchSize default),
 * BENCH_TARGET_MS the time a batch aims at and BENCH_REST the rest after it, times the batch
 * (the purge's defaults), BENCH_CHATS live chats (30), BENCH_RATE messages/s in all (200),
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
import { poolBusy } from '../plugin/db/index.ts'
import { indexWords } from '../plugin/db/words.ts'
import { createPurge, type PurgeResult } from '../plugin/jobs/purge.ts'
import { runJobRecorded } from '../plugin/jobs/scheduler.ts'
import { loadManifest } from '../plugin/manifest.ts'
import { resolveSettings } from '../plugin/settings.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'
import { availableAgents, Browser, fmt, freshDatabase, guardRun, numberFromEnv, percentile, sleep } from './common.ts'

const manifest = loadManifest()
const defaults = resolveSettings(manifest, {})
const DELETED = Math.floor(numberFromEnv('BENCH_DELETED', 5000, 1))
const PER_CHAT = Math.floor(numberFromEnv('BENCH_MESSAGES', 40, 1))
const BATCH = Math.floor(numberFromEnv('BENCH_BATCH', defaults.purgeBatchSize, 1))
// The purge's own defaults unless set: rest after a batch (times the batch), and the batch's time target in ms.
const REST = process.env.BENCH_REST ? numberFromEnv('BENCH_REST', 3, 0) : undefined
const TARGET_MS = process.env.BENCH_TARGET_MS ? numberFromEnv('BENCH_TARGET_MS', 10, 0.1) : undefined
const CHATS = Math.floor(numberFromEnv('BENCH_CHATS', 30, 1))
const RATE = numberFromEnv('BENCH_RATE', 200, 1)
const SECONDS = numberFromEnv('BENCH_SECONDS', 10, 1)
const AGENTS = ['alice', 'bob', 'carol'] as const
const DRAIN_MS = 10_000
const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', 300 + 3 * SECONDS + DELETED * PER_CHAT / 2000, 30) * 1000
const day = 86_400_000

const run = guardRun({ timeoutMs: TIMEOUT_MS, settleMs: 500, onCleanUp: () => { closing = true } })
const { cleanups } = run
let closing = false

// ---------------------------------------------------------------------------------------
// The deleted chats

const SQLITE_VARIABLES = 32766

/** Multi-row INSERTs (a plain VALUES list: knex's SQLite batch insert is a compound SELECT of at most 500 terms), in one transaction. */
async function insertRows (knex: Knex, table: string, rows: Array<Record<string, unknown>>): Promise<void> {
  if (rows.length === 0) return
  const columns = Object.keys(rows[0]!)
  const tuple = `(${columns.map(() => '?').join(', ')})`
  const perStatement = Math.max(1, Math.min(2000, Math.floor(SQLITE_VARIABLES / columns.length)))
  await knex.transaction(async (trx) => {
    for (let i = 0; i < rows.length; i += perStatement) {
      const slice = rows.slice(i, i + perStatement)
      await trx.raw(`insert into ${table} (${columns.join(', ')}) values ${slice.map(() => tuple).join(', ')}`, slice.flatMap((r) => columns.map((c) => r[c])) as Knex.ValueDict[keyof Knex.ValueDict][])
    }
  })
}

/** DELETED chats deleted 100 days ago, each with PER_CHAT messages, three history rows and a comment; every tenth has a file on disk. */
async function fillDeleted (knex: Knex, uploadDir: string): Promise<{ messages: number, files: number }> {
  const deletedAt = Date.now() - 100 * day
  let messages = 0
  let files = 0
  const chunk = 500
  for (let from = 0; from < DELETED && !run.halted(); from += chunk) {
    const n = Math.min(chunk, DELETED - from)
    const chats = Array.from({ length: n }, (_, i) => ({
      status: 'ended',
      group_id: null,
      agent_id: null,
      customer_user_id: null,
      customer_name: `Deleted ${from + i}`,
      customer_email: `deleted${from + i}@customer.example`,
      question: 'An old question',
      source: 'portal',
      customer_token_hash: createHash('sha256').update(`deleted-${from + i}`).digest('hex'),
      created_at: deletedAt - day,
      queued_at: deletedAt - day,
      ended_at: deletedAt - day + 600_000,
      ended_by: 'agent',
      last_seq: PER_CHAT,
      message_count: PER_CHAT,
      deleted_at: deletedAt
    }))
    await insertRows(knex, 'lc_chats', chats)
    const ids = (await knex('lc_chats').select('id').whereIn('customer_email', chats.map((c) => c.customer_email))).map((r: { id: number }) => Number(r.id))
    const rows: Array<Record<string, unknown>> = []
    const history: Array<Record<string, unknown>> = []
    const comments: Array<Record<string, unknown>> = []
    const fileRows: Array<Record<string, unknown>> = []
    for (const id of ids) {
      for (let seq = 1; seq <= PER_CHAT; seq++) {
        rows.push({ chat_id: id, seq, kind: 'text', author_kind: seq % 2 === 0 ? 'agent' : 'customer', author_id: null, author_name: seq % 2 === 0 ? 'Alice Adams' : 'A customer', body: `Message ${seq} of an old chat about printers, VPN tokens and invoices`, client_msg_id: null, created_at: deletedAt - day + seq * 1000 })
      }
      for (const action of ['started', 'accepted', 'ended']) history.push({ chat_id: id, actor_kind: 'system', actor_id: null, actor_name: 'Live chat', action, data: null, created_at: deletedAt - day })
      comments.push({ chat_id: id, author_id: '1', author_name: 'Alice Adams', body: 'Resolved by resetting the VPN token', is_resolution: false, created_at: deletedAt - day, updated_at: deletedAt - day })
      if (id % 10 === 0) {
        const storage = createHash('sha256').update(`file-${id}`).digest('hex').slice(0, 48)
        await writeFile(join(uploadDir, storage), 'an old attachment')
        fileRows.push({ chat_id: id, storage_name: storage, name: 'log.txt', type: 'text/plain', size: 17, sha256: '0'.repeat(64), author_kind: 'customer', author_id: null, author_name: 'A customer', created_at: deletedAt - day })
      }
    }
    await insertRows(knex, 'lc_messages', rows)
    // Their words, as the chat service writes them with each message (lc_message_words).
    const written = await knex('lc_messages').select('id', 'chat_id', 'body').whereIn('chat_id', ids) as Array<{ id: number, chat_id: number, body: string }>
    await insertRows(knex, 'lc_message_words', written.flatMap((m) => indexWords(m.body).map((word) => ({ word, chat_id: m.chat_id, message_id: m.id }))))
    await insertRows(knex, 'lc_chat_history', history)
    await insertRows(knex, 'lc_chat_comments', comments)
    await insertRows(knex, 'lc_chat_files', fileRows)
    messages += rows.length
    files += fileRows.length
  }
  return { messages, files }
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
  console.log(`setup: ${DELETED} deleted chats of ${PER_CHAT} messages each, purged at most ${BATCH} per transaction (batch time target ${TARGET_MS ?? 'default'} ms, rest ${REST ?? 'default'} x); ${CHATS} live chats at ${RATE} messages/s in all, ${SECONDS} s per quiet phase; Node ${process.version}`)

  const t0 = performance.now()
  const filled = await fillDeleted(db.knex, uploadDir)
  console.log(`fill: ${fmt((performance.now() - t0) / 1000)} s (${filled.messages} messages, ${filled.files} files)`)

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
  const purge = createPurge({ chats, files, clock: Date.now, afterDays: defaults.purgeAfterDays, batchSize: BATCH, targetMs: TARGET_MS, restRatio: REST, busy: () => poolBusy(db.knex) })

  await fixedRate(pairs, (ms) => ms > 2000)
  const quiet = summarise(await fixedRate(pairs, (ms) => ms > SECONDS * 1000))

  let purged: PurgeResult | undefined
  let purgeMs = 0
  const purging = (async () => {
    const p0 = performance.now()
    const result = await runJobRecorded(db.knex, 'purge', 'purge-bench', async (ctx) => { purged = await purge(ctx); return purged })
    purgeMs = performance.now() - p0
    if (result?.thrown) throw result.thrown
  })()
  let done = false
  void purging.finally(() => { done = true })
  const during = summarise(await fixedRate(pairs, () => done))
  await purging
  const after = summarise(await fixedRate(pairs, (ms) => ms > SECONDS * 1000))

  const left = Number((await db.knex('lc_chats').whereNotNull('deleted_at').count({ n: '*' }).first())?.n ?? 0)
  const messages = purged?.byTable.lc_messages ?? 0
  console.log(`purged chats: ${purged?.chats ?? 0} chats`)
  console.log(`purged messages: ${messages} messages`)
  console.log(`purged rows in all: ${purged?.rows ?? 0} rows`)
  console.log(`purged files: ${purged?.files.removed ?? 0} files`)
  console.log(`purge batches: ${purged?.batches ?? 0} batches`)
  console.log(`purge time: ${fmt(purgeMs / 1000, 2)} s`)
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
  console.log(`missing: ${missing} messages`)
  console.log(`duplicates: ${duplicates} messages`)
  console.log(`deleted chats left: ${left} chats`)
  console.log(`run time: ${fmt((performance.now() - began) / 1000)} s`)
  return missing + duplicates + left === 0 ? 0 : 1
}

await run.finish(main)
