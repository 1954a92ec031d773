/**
 * Idle sockets benchmark (docs/design.md §9; issue: "Idle sockets are cheap"): what open but
 * quiet chat windows and consoles cost one instance, on the database DATABASE_URL names
 * (SQLite in a temp file, WAL, when it is unset); a fresh database, dropped at the end.
 *
 * The demo host with the plugin runs in a child process of its own (this file, `serve`), so
 * its resident memory is its own; this process plays the browsers over loopback. Alice is
 * signed in and available on Support L1 with her console open, so Support takes chats.
 * IDLE_CONSOLES agents of a department of their own (so the chats do not land in their queue)
 * are available, each with one console socket, opened first. Then IDLE_CHATS customers
 * start a chat through the real pre-chat form (the CSRF read, then the POST), from 32
 * loopback addresses (127.0.0.2 …), since a real desk's customers do not share one address and
 * the chat-start limit counts per address; then each opens its chat window's socket and
 * waits for its status line. With IDLE_DIRECT=1 the chats are started through the chat service in
 * this process instead (the same rows and customer tokens, no HTTP): starting them through the
 * form is the slow part of a run on a busy machine, and the figures are about the sockets. Nothing is sent after that: the sockets sit idle through a few
 * liveness ticks, with the plugin's jobs running (the presence sweep among them).
 *
 * The server's memory is read after a forced garbage collection: when it is up (the idle
 * baseline), with the consoles open, after the chats were started and with every socket open.
 * It prints RSS, bytes per socket above the baseline, and the heap's share of them; the time to
 * start the chats and to open their sockets; and how many of the agents were still available
 * at the end, with their consoles open all along. Every figure is `label: value unit`, its goal
 * after it as `goal: …`. Exit 1 when a socket could not be opened or an agent was swept.
 *
 * The soft open-file limit must allow the sockets (`npm run bench:idle` raises it to the hard
 * limit): both processes hold one descriptor per socket.
 *
 * Environment: DATABASE_URL, IDLE_CHATS (18000), IDLE_DIRECT (unset), IDLE_CONSOLES (250), IDLE_CONCURRENCY customers
 * at a time (16), IDLE_SECONDS idle after the last socket opened (45), BENCH_TIMEOUT hard limit
 * for the whole run in seconds (default from IDLE_CHATS), IDLE_SERVER_FLAGS Node flags for the server's
 * process (`--cpu-prof --cpu-prof-dir=…` profiles it), IDLE_QUERY_LOG=1 the server's costliest
 * statements between measures (on stderr).
 */
import { fork, type ChildProcess } from 'node:child_process'
import { Agent, request as httpRequest } from 'node:http'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import knexFactory, { type Knex } from 'knex'
import WebSocket from 'ws'
import { knexConfig } from '../knexfile.ts'
import { buildDemoHost } from '../demo-host/app.ts'
import { createSession, sessionCookie } from '../demo-host/auth.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import { createChatService } from '../plugin/chats/service.ts'
import { sqlHost } from '../plugin/host/sql-host.ts'
import { loadManifest } from '../plugin/manifest.ts'
import { memoryBus } from '../plugin/realtime/bus.ts'
import { createRoutingService } from '../plugin/routing/service.ts'
import { availableAgents, fmt, freshDatabase, guardRun, numberFromEnv, sleep } from './common.ts'

const GOAL_MB = 800
const GOAL_CHATS = 18_000
const GOAL_CONSOLES = 250

// ---------------------------------------------------------------------------------------
// The server, in its own process

interface Memory { rss: number, heapTotal: number, heapUsed: number, external: number, arrayBuffers: number }
type ToServer = { type: 'measure' }
type FromServer = { type: 'listening', port: number } | { type: 'memory', memory: Memory }

async function serve (): Promise<void> {
  const env = JSON.parse(process.env.IDLE_DATABASE!) as { DATABASE_URL?: string, sqliteFile?: string }
  const knex = knexFactory(knexConfig(env.DATABASE_URL ? env : {}, env.sqliteFile))
  const app = await buildDemoHost({
    knex,
    logger: { level: 'warn', stream: process.stderr },
    // The chat-start limit per address at its highest: the customers come from 32 addresses.
    // No queue timeout: a run outlasts its 15 minutes, and the chats would time out one by one
    // while the windows open; the sockets are measured idle, not the timeout job.
    pluginOptions: { settings: { chatStartsPerMinute: 1000, queueTimeoutMinutes: 0 } }
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  // IDLE_QUERY_LOG=1: the statements that took the server's time since the last measure, by
  // their text (lists of parameters folded), printed to stderr at each measure.
  const queryLog = process.env.IDLE_QUERY_LOG === '1'
  const spent = new Map<string, { count: number, ms: number }>()
  const running = new Map<string, { sql: string, at: number }>()
  if (queryLog) {
    knex.on('query', (q: { __knexQueryUid: string, sql: string }) => { running.set(q.__knexQueryUid, { sql: q.sql.replace(/\(\?(, \?)*\)/g, '(?…)'), at: performance.now() }) })
    knex.on('query-response', (_rows: unknown, q: { __knexQueryUid: string }) => {
      const began = running.get(q.__knexQueryUid)
      if (!began) return
      running.delete(q.__knexQueryUid)
      const seen = spent.get(began.sql) ?? { count: 0, ms: 0 }
      seen.count++
      seen.ms += performance.now() - began.at
      spent.set(began.sql, seen)
    })
  }
  const gc = (globalThis as { gc?: () => void }).gc
  process.on('message', (message: ToServer) => {
    if (message.type !== 'measure') return
    void (async () => {
      // Twice, with a pause between: what the first frees may only be given back by the second.
      gc?.()
      await sleep(200)
      gc?.()
      if (queryLog) {
        for (const [sql, { count, ms }] of [...spent].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) console.error(`statements: ${fmt(ms, 0)} ms in ${count}: ${sql.slice(0, 300)}`)
        spent.clear()
      }
      const m = process.memoryUsage()
      process.send!({ type: 'memory', memory: { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers } } satisfies FromServer)
    })()
  })
  process.on('disconnect', () => { void app.close().then(async () => { await knex.destroy() }).finally(() => process.exit(0)) })
  process.send!({ type: 'listening', port: (app.server.address() as { port: number }).port } satisfies FromServer)
}

if (process.argv[2] === 'serve') {
  await serve()
} else {
  await bench()
}

// ---------------------------------------------------------------------------------------
// The browsers, in this process

async function bench (): Promise<void> {
  const CHATS = Math.floor(numberFromEnv('IDLE_CHATS', GOAL_CHATS, 1))
  const CONSOLES = Math.floor(numberFromEnv('IDLE_CONSOLES', GOAL_CONSOLES, 1))
  const CONCURRENCY = Math.floor(numberFromEnv('IDLE_CONCURRENCY', 16, 1))
  const IDLE_SECONDS = numberFromEnv('IDLE_SECONDS', 45, 1)
  const DIRECT = process.env.IDLE_DIRECT === '1'
  /** Node flags for the server's process only, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes. */
  const SERVER_FLAGS = (process.env.IDLE_SERVER_FLAGS ?? '').split(' ').filter((f) => f !== '')
  const TIMEOUT_MS = numberFromEnv('BENCH_TIMEOUT', 300 + CHATS * 0.15 + IDLE_SECONDS, 10) * 1000
  /** Loopback addresses the customers come from, round robin. */
  const ADDRESSES = Array.from({ length: 32 }, (_, i) => `127.0.0.${i + 2}`)

  const run = guardRun({ timeoutMs: TIMEOUT_MS, settleMs: 1000 })
  const sockets: WebSocket[] = []
  /** Sockets the server closed after letting them in, by close code and reason. */
  const closedBy = new Map<string, { count: number, firstAt: number }>()
  const began = performance.now()
  let server: ChildProcess | undefined
  const agents = ADDRESSES.map((localAddress) => new Agent({ keepAlive: true, maxSockets: 4, localAddress }))
  run.cleanups.push(async () => { for (const a of agents) a.destroy() })

  /** Asks the server process for its memory, after a garbage collection. */
  async function measure (): Promise<Memory> {
    return await new Promise((resolve) => {
      const listen = (message: FromServer): void => {
        if (message.type !== 'memory') return
        server!.off('message', listen)
        resolve(message.memory)
      }
      server!.on('message', listen)
      server!.send({ type: 'measure' } satisfies ToServer)
    })
  }

  /** One HTTP request from a given loopback address: status, body, location and the cookies set. */
  async function call (agent: Agent, base: string, method: string, path: string, cookies: Map<string, string>, form?: Record<string, string>): Promise<{ status: number, body: string, location: string | undefined }> {
    const body = form ? new URLSearchParams(form).toString() : undefined
    return await new Promise((resolve, reject) => {
      const headers: Record<string, string> = { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
      if (body !== undefined) Object.assign(headers, { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), origin: base })
      const req = httpRequest(base + path, { method, agent, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          for (const c of res.headers['set-cookie'] ?? []) {
            const [pair] = c.split(';')
            const eq = pair!.indexOf('=')
            cookies.set(pair!.slice(0, eq).trim(), pair!.slice(eq + 1).trim())
          }
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), location: res.headers.location })
        })
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  /** Opens a socket and waits for its first frame (the socket was let in and sent what it shows first). */
  async function open (url: string, headers: Record<string, string>, localAddress?: string): Promise<WebSocket> {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, localAddress })
    sockets.push(ws)
    ws.on('error', () => {})
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { reject(new Error(`no first frame in 60 s: ${url}`)) }, 60_000)
      ws.once('unexpected-response', (_req, res) => { clearTimeout(timer); reject(new Error(`upgrade refused (${res.statusCode}): ${url}`)) })
      ws.once('close', (code, reason) => { clearTimeout(timer); reject(new Error(`closed ${code} ${reason.toString()}: ${url}`)) })
      ws.once('message', () => { clearTimeout(timer); resolve() })
    })
    ws.removeAllListeners('close')
    ws.once('close', (code, reason) => {
      const why = `${code} ${reason.toString()}`.trim() + (url.includes('/ws/console') ? ', a console' : ', a window')
      const seen = closedBy.get(why)
      if (seen) seen.count++
      else closedBy.set(why, { count: 1, firstAt: performance.now() - began })
    })
    return ws
  }

  /** Runs `fn(i)` for i in 0..count-1, at most `limit` at a time. */
  async function inParallel (count: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < count && !run.halted()) await fn(next++)
    }
    await Promise.all(Array.from({ length: Math.min(limit, count) }, worker))
  }

  /** The IDLE_CONSOLES agents, in a department and group of their own, available; their session cookies. */
  async function consoleAgents (knex: Knex): Promise<{ ids: string[], cookies: string[] }> {
    const at = Date.now()
    const rows = Array.from({ length: CONSOLES }, (_, i) => {
      const n = String(i + 1).padStart(4, '0')
      return { username: `idle${n}`, name: `Idle Agent ${n}`, email: `idle${n}@helpdesk.example`, roles: 'agent', password_hash: 'not-a-password-hash', created_at: at }
    })
    for (let i = 0; i < rows.length; i += 100) await knex('users').insert(rows.slice(i, i + 100))
    const ids = (await knex('users').select('id').where('username', 'like', 'idle%').orderBy('username')).map((r: { id: number | string }) => String(r.id))
    const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 600 } })
    const departmentId = await routing.createDepartment({ name: 'Idle desk' })
    const groupId = await routing.createGroup({ departmentId, name: 'Idle desk', distribution: 'cherry_pick', defaultMaxChats: 4 })
    const cookies: string[] = []
    for (const id of ids) {
      await routing.setMember(groupId, id, { active: true })
      await routing.setAvailable(id, true, 4)
      cookies.push(`${sessionCookie}=${await createSession(knex, Number(id))}`)
    }
    return { ids, cookies }
  }

  async function main (): Promise<number> {
    const db = await freshDatabase('idle')
    run.cleanups.push(db.drop)
    await prepareDatabase(db.knex)
    const knex = db.knex
    console.log(`database: ${db.describe}`)
    console.log(`setup: ${CHATS} customer chat windows and ${CONSOLES} agent consoles on one instance, ${CONCURRENCY} customers at a time, Node ${process.version}`)
    const staff = await consoleAgents(knex)
    const support = (await createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 600 } }).groups()).find((g) => g.name === 'Support L1')!

    // With IDLE_DIRECT the chats are written before the server starts: written from this
    // process while it runs, on SQLite, they held the file's write lock against the server's
    // own writes (a busy wait blocks the thread it runs on) and neither process answered its
    // sockets for long stretches; the consoles, open by then, were cut off as gone.
    const windows: Array<{ id: number, cookie: string, from: string }> = []
    let failed = 0
    let startsMs = 0
    if (DIRECT) {
      const service = createChatService({ db: knex, bus: memoryBus(), host: sqlHost(knex, loadManifest().host), routing: createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 600 } }), settings: { maxMessageLength: 10000 } })
      const startsBegan = performance.now()
      await inParallel(CHATS, CONCURRENCY, async (i) => {
        try {
          const { chat, token } = await service.startChat({ name: `Idle Customer ${i}`, email: `idle${i}@customer.example`, question: `Idle question number ${i}`, customer: null, groupId: support.id })
          windows.push({ id: chat.id, cookie: `lc_chat_${chat.id}=${encodeURIComponent(token)}`, from: ADDRESSES[i % ADDRESSES.length]! })
        } catch (err) {
          if (++failed <= 5) console.error(err instanceof Error ? err.message : err)
        }
      })
      startsMs = performance.now() - startsBegan
    }

    server = fork(fileURLToPath(import.meta.url), ['serve'], {
      execArgv: ['--import', 'tsx', '--expose-gc', ...SERVER_FLAGS],
      env: { ...process.env, IDLE_DATABASE: JSON.stringify(db.env) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc']
    })
    const exited = new Promise<void>((resolve) => { server!.once('exit', () => { resolve() }) })
    // A profile (IDLE_SERVER_FLAGS) is written as the server exits: it is given the time to.
    run.cleanups.push(async () => { server!.disconnect(); await Promise.race([exited, sleep(SERVER_FLAGS.length > 0 ? 60_000 : 3000)]); server!.kill('SIGKILL') })
    // However this process ends (a hard timeout cuts the cleanup short), the server goes with it.
    process.once('exit', () => { server?.kill('SIGKILL') })
    const port = await new Promise<number>((resolve, reject) => {
      server!.on('message', (m: FromServer) => { if (m.type === 'listening') resolve(m.port) })
      server!.once('exit', (code) => { reject(new Error(`the server exited (${code})`)) })
    })
    const base = `http://127.0.0.1:${port}`
    const wsBase = `ws://127.0.0.1:${port}`

    // Alice keeps Support online; a few chats, their windows opened and closed, warm the server's code paths.
    const alice = (await availableAgents(base, ['alice'])).get('alice')!
    await open(`${wsBase}/livechat/ws/console`, { cookie: alice.browser.cookie(), origin: base })
    const startChat = async (i: number): Promise<{ id: number, cookie: string, from: string }> => {
      const a = i % ADDRESSES.length
      const cookies = new Map<string, string>()
      const page = await call(agents[a]!, base, 'GET', '/livechat/start', cookies)
      const token = /name="lc-csrf" content="([^"]+)"/.exec(page.body)?.[1] ?? /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1]
      if (!token) throw new Error(`no CSRF token on the pre-chat form (${page.status})`)
      const form = { name: `Idle Customer ${i}`, email: `idle${i}@customer.example`, department: String(support.departmentId), question: `Idle question number ${i}`, _csrf: token }
      let res = await call(agents[a]!, base, 'POST', '/livechat/start', cookies, form)
      if (res.status === 200 && res.body.includes('id="lc-suggestions"')) res = await call(agents[a]!, base, 'POST', '/livechat/start/continue', cookies, form)
      const id = Number(/\/chat\/(\d+)$/.exec(res.location ?? '')?.[1])
      if (res.status !== 303 || !Number.isInteger(id)) throw new Error(`starting chat ${i} failed: ${res.status} ${res.body.slice(0, 200)}`)
      return { id, cookie: `lc_chat_${id}=${cookies.get(`lc_chat_${id}`)}`, from: ADDRESSES[a]! }
    }
    for (let i = 0; i < 10; i++) {
      const warm = await startChat(CHATS + i)
      const ws = await open(`${wsBase}/livechat/ws/chat/${warm.id}`, { cookie: warm.cookie, origin: base }, warm.from)
      ws.removeAllListeners('close')
      ws.close()
    }
    await sleep(500)
    const baseline = await measure()

    const consolesBegan = performance.now()
    await inParallel(staff.cookies.length, 25, async (i) => { await open(`${wsBase}/livechat/ws/console`, { cookie: staff.cookies[i]!, origin: base }) })
    const consolesMs = performance.now() - consolesBegan
    const withConsoles = await measure()

    if (!DIRECT) {
      const startsBegan = performance.now()
      await inParallel(CHATS, CONCURRENCY, async (i) => {
        try {
          windows.push(await startChat(i))
        } catch (err) {
          if (++failed <= 5) console.error(err instanceof Error ? err.message : err)
        }
      })
      startsMs = performance.now() - startsBegan
    }
    const started = await measure()

    const socketsBegan = performance.now()
    let refused = 0
    // The rate of each 2,000 windows in turn: whether opening slows as sockets pile up.
    const stretch = 2000
    const stretches: number[] = []
    let settled = 0
    let stretchBegan = socketsBegan
    await inParallel(windows.length, 50, async (i) => {
      const w = windows[i]!
      try {
        await open(`${wsBase}/livechat/ws/chat/${w.id}`, { cookie: w.cookie, origin: base }, w.from)
      } catch (err) {
        if (++refused <= 5) console.error(err instanceof Error ? err.message : err)
      }
      if (++settled % stretch === 0) {
        const now = performance.now()
        stretches.push(stretch / ((now - stretchBegan) / 1000))
        stretchBegan = now
      }
    })
    const socketsMs = performance.now() - socketsBegan
    if (run.halted()) return 3
    await sleep(IDLE_SECONDS * 1000)
    const all = await measure()
    const stillOpen = sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length
    const customers = windows.length - refused
    const unavailable = await knex('lc_agent_presence').whereIn('agent_id', staff.ids).whereNot('status', 'available').count({ n: '*' }).first() as { n?: number | string } | undefined

    const mb = (bytes: number): string => fmt(bytes / 1048576, 1)
    const per = (bytes: number, count: number): string => fmt(count > 0 ? bytes / count : NaN, 0)
    console.log(`server RSS, idle baseline: ${mb(baseline.rss)} MB (heap ${mb(baseline.heapUsed)} MB)`)
    console.log(`server RSS, ${CONSOLES} consoles open: ${mb(withConsoles.rss)} MB (heap ${mb(withConsoles.heapUsed)} MB)`)
    console.log(`server RSS, ${windows.length} chats started, no windows open: ${mb(started.rss)} MB (heap ${mb(started.heapUsed)} MB)`)
    console.log(`server RSS, ${customers} windows and ${CONSOLES} consoles open: ${mb(all.rss)} MB (heap ${mb(all.heapUsed)} MB used of ${mb(all.heapTotal)} MB, external ${mb(all.external)} MB)`)
    console.log(`goal: ${GOAL_CHATS.toLocaleString('en')} + ${GOAL_CONSOLES} consoles in <= ${GOAL_MB} MB`)
    console.log(`bytes per socket above the idle baseline: ${per(all.rss - baseline.rss, customers + CONSOLES)} B`)
    console.log(`bytes per chat window's socket (RSS, started chats to windows open): ${per(all.rss - started.rss, customers)} B`)
    console.log(`heap bytes per chat window's socket: ${per(all.heapUsed - started.heapUsed, customers)} B`)
    console.log(`bytes per console's socket (RSS): ${per(withConsoles.rss - baseline.rss, CONSOLES)} B`)
    console.log(`consoles opened: ${CONSOLES} count in ${fmt(consolesMs / 1000)} s`)
    console.log(`chats started (${DIRECT ? 'through the chat service, IDLE_DIRECT=1' : 'through the pre-chat form'}): ${windows.length} count in ${fmt(startsMs / 1000)} s (${fmt(windows.length / (startsMs / 1000))} chats/s)`)
    console.log(`windows opened: ${customers} count in ${fmt(socketsMs / 1000)} s (${fmt(customers / (socketsMs / 1000))} sockets/s)`)
    stretches.forEach((rate, i) => { console.log(`windows opened, ${fmt((i * stretch) / 1000, 0)}k to ${fmt(((i + 1) * stretch) / 1000, 0)}k open: ${fmt(rate)} sockets/s`) })
    console.log(`time to open, chats and windows: ${fmt((startsMs + socketsMs) / 1000)} s`)
    console.log(`sockets still open after ${IDLE_SECONDS} s idle: ${stillOpen} count of ${customers + CONSOLES + 1}`)
    for (const [why, { count, firstAt }] of closedBy) console.log(`sockets closed by the server (${why}; the first ${fmt(firstAt / 1000, 0)} s into the run): ${count} count`)
    console.log(`agents with an open console made unavailable: ${Number(unavailable?.n ?? 0)} count`)
    console.log('goal: 0 (agents stay available)')
    if (failed > 0) console.error(`${failed} chats could not be started`)
    if (refused > 0) console.error(`${refused} windows could not be opened`)
    return failed + refused + Number(unavailable?.n ?? 0) === 0 && stillOpen === customers + CONSOLES + 1 ? 0 : 1
  }

  run.cleanups.push(async () => { for (const ws of sockets) ws.terminate() })
  await run.finish(main)
}
