/**
 * Fan-out benchmark (docs/design.md §9; issue: "Fan-out that does not grow with the number of
 * consoles"): how fast the portal takes chats with no agent console open, then with
 * BENCH_CONSOLES consoles open on agents who work the group the chats start in, on the
 * database DATABASE_URL names (SQLite in a temp file, WAL, when it is unset); a fresh
 * database, dropped at the end.
 *
 * The demo host with the plugin listens on loopback. Alice is signed in and available, with
 * her console open, so Support L1 is online; BENCH_CONSOLES more agents are members of Support L1 (not available,
 * so nothing is assigned and every chat stays queued: each start is pushed to every console
 * as a queue change). Each phase starts BENCH_CHATS chats through the real pre-chat form
 * over HTTP (the CSRF read, then the POST), BENCH_CONCURRENCY customers at a time, for at
 * most BENCH_PHASE_SECONDS, and prints chats/s from the first request to the last answer. Between the phases the consoles
 * are opened (real WebSockets, each waiting for its first queue push; they read their frames
 * in a thread of their own, bench/fanout-consoles.ts, as browsers would elsewhere, so the
 * server's event loop does only the server's work) and the time it took is printed. After the second phase it waits until every console was pushed the last chat,
 * and prints how long that took after the last answer. Every figure is `label: value unit`,
 * and the ratio's goal follows it as `goal: …`.
 *
 * Each phase also prints the statements per chat the server asked of the database (the
 * consoles' own reads included: what a chat started costs with them open) and the process's
 * CPU per chat (the consoles' thread included); BENCH_DEBUG=1 lists the phase's statements by
 * kind, BENCH_CPU_PROFILE=file writes a CPU profile of the server's thread during the second
 * phase.
 *
 * Environment: DATABASE_URL, BENCH_CONSOLES (250), BENCH_CHATS per phase (150),
 * BENCH_CONCURRENCY (4), BENCH_PHASE_SECONDS after which a phase starts no more chats (60),
 * BENCH_TIMEOUT hard limit for the whole run in seconds (600).
 */
import { writeFile } from 'node:fs/promises'
import inspector from 'node:inspector'
import { performance } from 'node:perf_hooks'
import type { Knex } from 'knex'
import { Worker } from 'node:worker_threads'
import WebSocket from 'ws'
import { buildDemoHost } from '../demo-host/app.ts'
import { createSession, sessionCookie } from '../demo-host/auth.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'
import { availableAgents, Browser, fmt, freshDatabase, guardRun, numberFromEnv } from './common.ts'

const CONSOLES = Math.floor(numberFromEnv('BENCH_CONSOLES', 250, 1))
const CHATS = Math.floor(numberFromEnv('BENCH_CHATS', 150, 1))
const CONCURRENCY = Math.floor(numberFromEnv('BENCH_CONCURRENCY', 4, 1))
const PHASE_SECONDS = numberFromEnv('BENCH_PHASE_SECONDS', 60, 1)
const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', 600, 10) * 1000
if (2 * CHATS + 10 > 1000) {
  console.error('BENCH_CHATS must be at most 495: both phases stay within the highest chat-start rate limit (1,000 a minute)')
  process.exit(2)
}

const run = guardRun({ timeoutMs: TIMEOUT_MS })
const sockets: WebSocket[] = []
run.cleanups.push(async () => { for (const ws of sockets) ws.terminate() })

/** BENCH_CONSOLES host users with the agent role, members of Support L1, each with a session; their cookies. */
async function consoleAgents (knex: Knex): Promise<string[]> {
  const at = Date.now()
  const rows = Array.from({ length: CONSOLES }, (_, i) => {
    const n = String(i + 1).padStart(4, '0')
    return { username: `fan${n}`, name: `Fan-out Agent ${n}`, email: `fan${n}@helpdesk.example`, roles: 'agent', password_hash: 'not-a-password-hash', created_at: at }
  })
  for (let i = 0; i < rows.length; i += 100) await knex('users').insert(rows.slice(i, i + 100))
  const ids = (await knex('users').select('id').where('username', 'like', 'fan%').orderBy('username')).map((r: { id: number | string }) => String(r.id))
  const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
  const l1 = (await routing.groups()).find((g) => g.name === 'Support L1')!
  const cookies: string[] = []
  for (const id of ids) {
    await routing.setMember(l1.id, id, { active: true })
    cookies.push(`${sessionCookie}=${await createSession(knex, Number(id))}`)
  }
  return cookies
}

/**
 * Starts `count` chats through the pre-chat form, CONCURRENCY at a time, starting no more after
 * PHASE_SECONDS; chats/s over the chats started, and the last chat's name.
 */
async function intake (base: string, phase: string, count: number): Promise<{ perSecond: number, started: number, last: string }> {
  let next = 0
  let started = 0
  let last = ''
  const began = performance.now()
  const until = began + PHASE_SECONDS * 1000
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < count && performance.now() < until && !run.halted()) {
      const i = next++
      const customer = new Browser(base)
      const token = await customer.csrf('/livechat/start')
      const name = `Fanout ${phase} ${i}`
      const form = { name, email: `fan${phase}${i}@customer.example`, question: `Fan-out chat ${i}`, _csrf: token }
      let res = await customer.request('POST', '/livechat/start', { form })
      if (res.status === 200 && res.body.includes('id="lc-suggestions"')) res = await customer.request('POST', '/livechat/start/continue', { form })
      if (res.status !== 303) throw new Error(`starting chat ${i} (${phase}) failed: ${res.status} ${(/class="lc-(?:notice|error|field__error)[^"]*"[^>]*>([^<]*)/.exec(res.body)?.[1] ?? res.body.slice(0, 300)).trim()}`)
      last = name
      started++
    }
  }))
  return { perSecond: started / ((performance.now() - began) / 1000), started, last }
}

/** What a phase asked of the database and the CPU it took, per chat started (BENCH_DEBUG=1: by kind of statement). */
function phaseCost (knex: Knex): { begin: () => void, report: (phase: string, chats: number) => void } {
  const byKind = new Map<string, number>()
  let statements = 0
  let cpu = process.cpuUsage()
  knex.on('query', (q: { sql?: string }) => {
    statements++
    if (process.env.BENCH_DEBUG === '1') { const key = (q.sql ?? '').slice(0, 90); byKind.set(key, (byKind.get(key) ?? 0) + 1) }
  })
  return {
    begin () { statements = 0; byKind.clear(); cpu = process.cpuUsage() },
    report (phase, chats) {
      const used = process.cpuUsage(cpu)
      console.log(`statements per chat, ${phase}: ${fmt(statements / Math.max(chats, 1))} count`)
      console.log(`CPU per chat, ${phase}: ${fmt((used.user + used.system) / 1000 / Math.max(chats, 1), 2)} ms`)
      for (const [sql, n] of [...byKind].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${String(n).padStart(6)}  ${sql}`)
    }
  }
}

/** One inspector call, awaited. */
async function post (session: inspector.Session, method: string): Promise<unknown> {
  return await new Promise((resolve, reject) => { session.post(method, (err, result) => { if (err) reject(err); else resolve(result) }) })
}

/** Alice's console, in this thread: it only has to be open. */
async function openConsole (wsBase: string, origin: string, cookie: string): Promise<void> {
  const ws = new WebSocket(`${wsBase}/livechat/ws/console`, { headers: { cookie, origin }, perMessageDeflate: false })
  sockets.push(ws)
  ws.on('error', (err) => { console.error(`console socket: ${err.message}`) })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error('a console had no queue push in 60 s')) }, 60_000)
    ws.once('unexpected-response', (_req, res) => { clearTimeout(timer); reject(new Error(`console upgrade refused (${res.statusCode})`)) })
    ws.on('message', (data) => {
      if (data.toString().includes('id="lc-queue"')) { clearTimeout(timer); resolve() }
    })
  })
}

/** The BENCH_CONSOLES consoles' thread: asks it something and waits for its answer. */
function consoleThread (wsBase: string, origin: string): { ask: <T>(msg: object) => Promise<T> } {
  // tsx's loader is registered per thread, and Node 20 does not take it from execArgv: the
  // thread registers it, then loads the consoles' module.
  const entry = `import { register } from ${JSON.stringify(import.meta.resolve('tsx/esm/api'))}; register(); await import(${JSON.stringify(new URL('./fanout-consoles.ts', import.meta.url).href)})`
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(entry)}`), { workerData: { wsBase, origin } })
  run.cleanups.push(async () => { await worker.terminate() })
  return {
    ask: async <T>(msg: object) => await new Promise<T>((resolve, reject) => {
      worker.once('message', (answer: T & { error?: string }) => { if (answer.error) reject(new Error(answer.error)); else resolve(answer) })
      worker.postMessage(msg)
    })
  }
}

async function main (): Promise<number> {
  const db = await freshDatabase('fanout')
  run.cleanups.push(db.drop)
  await prepareDatabase(db.knex)
  console.log(`database: ${db.describe}`)
  console.log(`setup: ${CONSOLES} consoles on Support L1 agents, ${CHATS} chats per phase, ${CONCURRENCY} customers at a time, one instance, Node ${process.version}`)
  const cookies = await consoleAgents(db.knex)

  const app = await buildDemoHost({
    knex: db.knex,
    logger: { level: 'warn', stream: process.stderr },
    pluginOptions: { jobs: false, settings: { chatStartsPerMinute: 1000, messagesPerMinute: 10_000 } }
  })
  run.cleanups.push(async () => { await app.close() })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
  const wsBase = base.replace(/^http/, 'ws')
  // Alice's console keeps her heartbeat fresh, so Support stays online however long a phase takes.
  const alice = (await availableAgents(base, ['alice'])).get('alice')!
  await openConsole(wsBase, base, alice.browser.cookie())

  await intake(base, 'warm', 5)
  const cost = phaseCost(db.knex)
  cost.begin()
  const none = await intake(base, 'none', CHATS)
  console.log(`intake, no consoles open but alice's: ${fmt(none.perSecond, 2)} chats/s (${none.started} chats)`)
  cost.report('no consoles', none.started)

  const opening = performance.now()
  const consoles = consoleThread(wsBase, base)
  const { opened } = await consoles.ask<{ opened: number }>({ open: cookies })
  console.log(`consoles opened: ${opened} count in ${fmt((performance.now() - opening) / 1000, 1)} s`)

  const profiler = process.env.BENCH_CPU_PROFILE ? new inspector.Session() : undefined
  if (profiler) {
    profiler.connect()
    await post(profiler, 'Profiler.enable')
    await post(profiler, 'Profiler.start')
  }
  cost.begin()
  const open = await intake(base, 'open', CHATS)
  const answered = performance.now()
  console.log(`intake, ${CONSOLES} consoles open: ${fmt(open.perSecond, 2)} chats/s (${open.started} chats)`)
  cost.report(`${CONSOLES} consoles`, open.started)
  if (profiler) {
    const { profile } = await post(profiler, 'Profiler.stop') as { profile: object }
    await writeFile(process.env.BENCH_CPU_PROFILE!, JSON.stringify(profile))
    profiler.disconnect()
  }
  const ratio = open.perSecond / none.perSecond
  console.log(`intake with consoles / without: ${fmt(ratio, 2)} x`)
  console.log('goal: >= 0.80 x (within 20%)')

  // Every console is pushed the last chat's row.
  const { pending } = await consoles.ask<{ pending: number }>({ watch: open.last, ms: PHASE_SECONDS * 1000 })
  console.log(`last chat on every console: ${fmt((performance.now() - answered) / 1000, 2)} s after the last answer`)
  console.log(`consoles never shown the last chat: ${pending} count`)
  await consoles.ask({ close: true })
  return pending === 0 ? 0 : 1
}

void run.finish(main)
