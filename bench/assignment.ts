/**
 * Assignment benchmark (docs/design.md §5, §9): a burst of chats arriving in one round-robin group,
 * handed out by the distributor, on the database DATABASE_URL names (SQLite in a temp file,
 * WAL, when it is unset). No HTTP and no sockets: the chat service, routing service and
 * distributor of one instance, as the plugin wires them, over a fresh database that is
 * dropped at the end.
 *
 * BENCH_AGENTS agents, each available for BENCH_LIMIT chats (the group's limit too), then
 * BENCH_CHATS chats started through chats.startChat, BENCH_CONCURRENCY at a time; every
 * start triggers a drain. Assignment latency runs from the startChat call to the moment the
 * distributor's chats.assignQueued batch that gave the chat returns (committed and published). The bus's `chat.updated` event is timed as well, as the moment a console would
 * hear of it, and the longest event-loop stall is reported (better-sqlite3 is synchronous,
 * so a drain must yield for sockets and timers to keep running). Afterwards the database is checked for chats given twice and
 * agents over their limit. Every figure is printed as
 * `label: value unit`; the run exits 1 when a chat was given twice, an agent went over the
 * limit or a drain failed.
 *
 * BENCH_INSTANCES app instances (2 on MySQL/MariaDB, the goal's shape; SQLite runs one, its
 * single writer being one process's) share the database, each with its own connection pool,
 * bus, services and distributor; the starts alternate between them, so their drains race
 * for the same agents. With REDIS_URL their buses are joined through Redis (a channel of this
 * run's own), as the plugin joins instances; without it each hears only its own events.
 *
 * Environment: DATABASE_URL, REDIS_URL, BENCH_DEBUG=1 (statements by kind, with their time),
 * BENCH_CPU_PROFILE (a file for a CPU profile of the burst), BENCH_INSTANCES, BENCH_CHATS (2000), BENCH_AGENTS (200),
 * BENCH_LIMIT (10), BENCH_CONCURRENCY (50), BENCH_TIMEOUT hard limit for the whole run in
 * seconds (90).
 */
import { writeFile } from 'node:fs/promises'
import inspector from 'node:inspector'
import { performance } from 'node:perf_hooks'
import knexFactory, { type Knex } from 'knex'
import { knexConfig } from '../knexfile.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import { fmt, freshDatabase, guardRun, numberFromEnv, percentile, sleep } from './common.ts'
import { createChatService } from '../plugin/chats/service.ts'
import { sqlHost } from '../plugin/host/sql-host.ts'
import { loadManifest } from '../plugin/manifest.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import type { Bus } from '../plugin/realtime/bus-events.ts'
import { redisBus } from '../plugin/realtime/redis-bus.ts'
import { createDistributor } from '../plugin/routing/distributor.ts'
import { createRoutingService } from '../plugin/routing/service.ts'

const CHATS = Math.floor(numberFromEnv('BENCH_CHATS', 2000, 1))
const AGENTS = Math.floor(numberFromEnv('BENCH_AGENTS', 200, 1))
const LIMIT = Math.floor(numberFromEnv('BENCH_LIMIT', 10, 1))
const CONCURRENCY = Math.floor(numberFromEnv('BENCH_CONCURRENCY', 50, 1))
const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', 90, 5) * 1000
const INSTANCES = process.env.DATABASE_URL ? Math.floor(numberFromEnv('BENCH_INSTANCES', 2, 1)) : 1
/** The goal of issue 16 (P4): the burst on two instances. */
const GOAL_MS = 3000

/** One inspector call, awaited. */
async function post (session: inspector.Session, method: string): Promise<unknown> {
  return await new Promise((resolve, reject) => { session.post(method, (err, result) => { if (err) reject(err); else resolve(result) }) })
}

// ---------------------------------------------------------------------------------------
// Setup: the agents and their round-robin group

/** Host users with the agent role; returns their ids. */
async function addAgents (knex: Knex, count: number): Promise<string[]> {
  const at = Date.now()
  const rows = Array.from({ length: count }, (_, i) => {
    const n = String(i + 1).padStart(4, '0')
    return { username: `bench${n}`, name: `Bench Agent ${n}`, email: `bench${n}@helpdesk.example`, roles: 'agent', password_hash: 'not-a-password-hash', created_at: at }
  })
  for (let i = 0; i < rows.length; i += 100) await knex('users').insert(rows.slice(i, i + 100))
  const stored = await knex('users').select('id').where('username', 'like', 'bench%').orderBy('username')
  return stored.map((r: { id: number | string }) => String(r.id))
}

// ---------------------------------------------------------------------------------------
// The run

const run = guardRun({ timeoutMs: TIMEOUT_MS })
const { cleanups } = run
const stopped = run.halted

async function main (): Promise<number> {
  const began = performance.now()
  const db = await freshDatabase('assign')
  cleanups.push(db.drop)
  await prepareDatabase(db.knex)
  const knex = db.knex
  console.log(`database: ${db.describe}`)
  console.log(`setup: ${CHATS} chats, ${AGENTS} agents available for ${LIMIT} each (capacity ${AGENTS * LIMIT}), ${CONCURRENCY} starts at a time, ${INSTANCES === 1 ? 'one instance' : `${INSTANCES} instances`}${INSTANCES > 1 ? (process.env.REDIS_URL ? ' joined by Redis' : ', each with its own bus') : ''}, Node ${process.version}`)

  const manifest = loadManifest()
  const drainErrors: string[] = []
  // The distributors hand out chats in batches (chats.assignQueued), one by one only on a transfer's auto-assign
  // (chats.assignChat): time each successful hand-out.
  const assignedAt = new Map<number, number>()
  const pools: Knex[] = []
  const channel = `livechat:bench:${process.pid}:${Date.now()}`
  /** One app instance as the plugin wires it: its own pool (the first shares the setup's), bus, services and distributor. */
  async function instance (n: number) {
    const own = n === 0 ? knex : knexFactory(knexConfig(db.env))
    pools.push(own)
    if (n > 0) cleanups.push(async () => { await own.destroy() })
    let bus: Bus = memoryBus()
    if (process.env.REDIS_URL) {
      const redis = redisBus(process.env.REDIS_URL, { channel })
      await redis.ready()
      bus = redis
    }
    cleanups.push(async () => { await bus.close() })
    // A long heartbeat timeout: no console beats here, and the setup must not go stale on a slow machine.
    const routing = createRoutingService({ db: own, bus, settings: { heartbeatTimeoutSeconds: 600 } })
    const chats = createChatService({ db: own, bus, host: sqlHost(own, manifest.host), routing, settings: { maxMessageLength: 10000 } })
    const assign = chats.assignChat
    chats.assignChat = async (chatId, agentId) => {
      const outcome = await assign(chatId, agentId)
      if (outcome === 'assigned') assignedAt.set(chatId, performance.now())
      return outcome
    }
    const assignQueued = chats.assignQueued
    chats.assignQueued = async (...args) => {
      const outcome = await assignQueued(...args)
      const at = performance.now()
      for (const chat of outcome.given) assignedAt.set(chat.id, at)
      return outcome
    }
    createDistributor({
      chats,
      routing,
      bus,
      settings: { reofferSeconds: 600 },
      log: {
        error: (obj, msg) => {
          const err = (obj as { err?: { code?: string, message?: string } }).err
          drainErrors.push(`${msg}: ${err?.code ?? ''} ${err?.message ?? ''}`)
          if (drainErrors.length <= 5) console.error(drainErrors.at(-1))
        }
      }
    })
    return { bus, routing, chats }
  }
  const instances: Array<Awaited<ReturnType<typeof instance>>> = []
  for (let n = 0; n < INSTANCES; n++) instances.push(await instance(n))
  const { routing } = instances[0]!

  const departmentId = await routing.createDepartment({ name: 'Bench' })
  const groupId = await routing.createGroup({ departmentId, name: 'Bench', distribution: 'round_robin', defaultMaxChats: LIMIT })
  const agentIds = await addAgents(knex, AGENTS)
  for (const id of agentIds) await routing.setMember(groupId, id, { active: true })
  for (const id of agentIds) await routing.setAvailable(id, true, LIMIT)
  await routing.heartbeat(agentIds)
  if (run.halted()) return 3

  // When a console would hear of it: the bus event that shows the chat active.
  const heardAt = new Map<number, number>()
  for (const { bus } of instances) {
    bus.subscribe((event) => {
      if (event.type === 'chat.updated' && event.chat.status === 'active' && !heardAt.has(event.chat.id)) heardAt.set(event.chat.id, performance.now())
    })
  }
  // The longest time the event loop did not turn (timers, sockets and the bus all wait on it).
  const loop = { last: performance.now(), worst: 0 }
  // What the burst asks of the database: statements and transactions, over every instance's pool.
  const asked = { statements: 0, transactions: 0 }
  const byStatement = new Map<string, { n: number, ms: number }>()
  const debug = process.env.BENCH_DEBUG === '1'
  const sentAt = new Map<string, number>()
  for (const pool of pools) {
    pool.on('query', (q: { sql?: string, __knexQueryUid?: string }) => {
      asked.statements++
      const sql = q.sql ?? ''
      if (/^\s*begin/i.test(sql)) asked.transactions++
      if (!debug) return
      const key = sql.slice(0, 90)
      const seen = byStatement.get(key) ?? { n: 0, ms: 0 }
      seen.n++
      byStatement.set(key, seen)
      if (q.__knexQueryUid) sentAt.set(q.__knexQueryUid, performance.now())
    })
    // BENCH_DEBUG: how long each kind of statement took from sending to its answer, summed.
    if (debug) {
      pool.on('query-response', (_r: unknown, q: { sql?: string, __knexQueryUid?: string }) => {
        const at = q.__knexQueryUid ? sentAt.get(q.__knexQueryUid) : undefined
        const seen = byStatement.get((q.sql ?? '').slice(0, 90))
        if (at !== undefined && seen) seen.ms += performance.now() - at
        if (q.__knexQueryUid) sentAt.delete(q.__knexQueryUid)
      })
    }
  }
  const ticker = setInterval(() => {
    const t = performance.now()
    loop.worst = Math.max(loop.worst, t - loop.last)
    loop.last = t
  }, 5)

  const startedAt = new Map<number, number>()
  const chatIds: number[] = []
  let next = 0
  let failed = 0
  // BENCH_CPU_PROFILE=file: a CPU profile of the burst alone (setup and checks left out), for the DevTools.
  const profiler = process.env.BENCH_CPU_PROFILE ? new inspector.Session() : undefined
  if (profiler) {
    profiler.connect()
    await post(profiler, 'Profiler.enable')
    await post(profiler, 'Profiler.start')
  }
  const burstBegan = performance.now()
  // This process's CPU time (every instance runs in it): a figure a loaded machine disturbs less than the clock.
  const cpuBefore = process.cpuUsage()
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, CHATS) }, async () => {
    while (next < CHATS && !stopped()) {
      const i = next++
      const email = `customer${i}@customer.example`
      const at = performance.now()
      try {
        const { chat } = await instances[i % INSTANCES]!.chats.startChat({ name: `Customer ${i}`, email, question: `Question ${i}`, customer: null, groupId })
        startedAt.set(chat.id, at)
        chatIds.push(chat.id)
      } catch (err) {
        if (++failed <= 5) console.error('startChat failed:', err instanceof Error ? err.message : err)
      }
    }
  }))
  const burstMs = performance.now() - burstBegan
  const cpu = process.cpuUsage(cpuBefore)
  if (profiler) {
    const { profile } = await post(profiler, 'Profiler.stop') as { profile: object }
    await writeFile(process.env.BENCH_CPU_PROFILE!, JSON.stringify(profile))
    profiler.disconnect()
  }
  loop.worst = Math.max(loop.worst, performance.now() - loop.last)
  clearInterval(ticker)
  for (const pool of pools) { pool.removeAllListeners('query'); pool.removeAllListeners('query-response') }
  if (run.halted()) return 3
  // Let the bus deliver the last events (handlers run on a later tick).
  await sleep(50)
  const latency = (times: Map<number, number>): number[] => chatIds.flatMap((id) => times.has(id) ? [times.get(id)! - startedAt.get(id)!] : []).sort((a, b) => a - b)
  const assigned = latency(assignedAt)
  const heard = latency(heardAt)

  // What the database says.
  const byChat = new Map<number, number>()
  const joined = new Map<number, number>()
  for (let i = 0; i < chatIds.length; i += 500) {
    const ids = chatIds.slice(i, i + 500)
    const h = await knex('lc_chat_history').select('chat_id').count({ n: '*' }).whereIn('chat_id', ids).whereIn('action', ['assigned', 'accepted']).groupBy('chat_id') as Array<Record<string, unknown>>
    for (const r of h) byChat.set(Number(r.chat_id), Number(r.n))
    const j = await knex('lc_messages').select('chat_id').count({ n: '*' }).whereIn('chat_id', ids).andWhere('kind', 'event').andWhere('body', 'like', '% joined the chat').groupBy('chat_id') as Array<Record<string, unknown>>
    for (const r of j) joined.set(Number(r.chat_id), Number(r.n))
  }
  const doubles = new Set([...byChat].filter(([, n]) => n > 1).map(([id]) => id))
  for (const [id, n] of joined) if (n > 1) doubles.add(id)
  const loads = await knex('lc_chats').select('agent_id').count({ n: '*' }).where('status', 'active').whereIn('agent_id', agentIds).groupBy('agent_id') as Array<Record<string, unknown>>
  const overLimit = loads.filter((r) => Number(r.n) > LIMIT).length
  const queuedRow = await knex('lc_chats').where({ status: 'queued', group_id: groupId }).count({ n: '*' }).first() as { n?: number | string } | undefined
  const queued = Number(queuedRow?.n ?? 0)

  console.log(`burst ${CHATS} chats onto ${AGENTS} agents on ${INSTANCES} instance${INSTANCES === 1 ? '' : 's'}: ${fmt(burstMs, 0)} ms`)
  console.log(`goal: <= ${GOAL_MS} ms on two instances`)
  console.log(`assignment p50: ${fmt(percentile(assigned, 0.5))} ms`)
  console.log(`assignment p99: ${fmt(percentile(assigned, 0.99))} ms`)
  console.log(`double assignments: ${doubles.size} count`)
  console.log('goal: 0')
  console.log(`agents over limit: ${overLimit} count`)
  console.log('goal: 0')
  console.log(`chats left queued: ${queued} count`)
  console.log(`chat.updated heard p50: ${fmt(percentile(heard, 0.5))} ms`)
  console.log(`chat.updated heard p99: ${fmt(percentile(heard, 0.99))} ms`)
  console.log(`app CPU per chat: ${fmt((cpu.user + cpu.system) / 1000 / CHATS, 2)} ms`)
  console.log(`statements per chat: ${fmt(asked.statements / CHATS)} count`)
  console.log(`transactions per chat: ${fmt(asked.transactions / CHATS, 2)} count`)
  if (debug) for (const [sql, { n, ms }] of [...byStatement].sort((a, b) => b[1].ms - a[1].ms).slice(0, 40)) console.log(`  ${String(n).padStart(6)} ${fmt(ms, 0).padStart(7)} ms  ${sql}`)
  console.log(`event loop longest stall: ${fmt(loop.worst)} ms`)
  console.log(`run time: ${fmt((performance.now() - began) / 1000)} s`)
  if (failed > 0) console.error(`${failed} startChat calls failed`)
  if (drainErrors.length > 0) console.error(`${drainErrors.length} drains failed`)
  return doubles.size + overLimit + failed + drainErrors.length === 0 ? 0 : 1
}

await run.finish(main)
