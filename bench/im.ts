/**
 * Chat room fan-out benchmark (docs/design.md §6, §9): the demo host with the plugin, a room whose
 * permission admits the `agent` role, and BENCH_AGENTS agents each with a console socket
 * following the room (the `im` query, as a room page's socket does). One agent posts
 * BENCH_RATE messages a second for BENCH_SECONDS through the room's message route; every
 * follower must receive every message once.
 *
 * Figures (`label: value unit`): the post's own latency (the route, one transaction), and
 * delivery latency from the start of the post to each follower's socket receiving the
 * fragment with the message's token. Exits 1 when any delivery is missing or arrived twice.
 *
 * Environment: DATABASE_URL (SQLite in a temp file when unset), BENCH_AGENTS (50),
 * BENCH_RATE (20 msg/s), BENCH_SECONDS (10), BENCH_TIMEOUT (hard limit, seconds).
 */
import { performance } from 'node:perf_hooks'
import { buildDemoHost } from '../demo-host/app.ts'
import { hashPassword } from '../demo-host/passwords.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import { agentSession, openSocket, type SocketClient } from '../test/helpers/build.ts'
import { fmt, freshDatabase, guardRun, numberFromEnv, percentile, sleep } from './common.ts'

const AGENTS = Math.floor(numberFromEnv('BENCH_AGENTS', 50, 1))
const RATE = numberFromEnv('BENCH_RATE', 20, 0.1)
const SECONDS = numberFromEnv('BENCH_SECONDS', 10, 0.5)
const DRAIN_MS = 10_000
const run = guardRun({ timeoutMs: numberFromEnv('BENCH_TIMEOUT', 120 + SECONDS + AGENTS, 10) * 1000 })

const db = await freshDatabase('im')
run.cleanups.push(db.drop)
await prepareDatabase(db.knex)
const app = await buildDemoHost({ knex: db.knex, logger: false, pluginOptions: { jobs: false, settings: { messagesPerMinute: 10_000 } } })
run.cleanups.push(async () => { await app.close() })
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`

// The followers: agents made for the run, admitted by their role.
const passwordHash = await hashPassword('demo')
const names: string[] = []
for (let i = 1; i <= AGENTS; i++) {
  const username = `bench${i}`
  await db.knex('users').insert({ username, name: `Bench Agent ${i}`, email: `${username}@helpdesk.example`, roles: 'agent', password_hash: passwordHash, created_at: Date.now() })
  names.push(username)
}

const sam = await agentSession(app, 'sam')
const created = await sam.post('/livechat/console/rooms', { name: 'Bench room', access: ['role:agent'], place: 'page' })
const roomId = Number(/\/console\/rooms\/(\d+)/.exec(String(created.headers['hx-redirect'] ?? created.headers.location ?? created.body))?.[1])
if (!Number.isInteger(roomId) || roomId <= 0) run.abort(`the room was not created (${created.statusCode}: ${created.body.slice(0, 200)})`, 1)

const received = new Map<string, number[]>()
const sockets: SocketClient[] = []
run.cleanups.push(async () => { for (const s of sockets) await s.close() })
for (const username of names) {
  const session = await agentSession(app, username)
  const socket = await openSocket(url, `/livechat/ws/console?im=${roomId}.0`, { cookie: session.cookie, origin: url })
  socket.ws.on('message', (data) => {
    const at = performance.now()
    for (const m of data.toString().matchAll(/bench-token-(\d+)-/g)) {
      const key = `${username}:${m[1]}`
      received.set(key, [...(received.get(key) ?? []), at])
    }
  })
  sockets.push(socket)
}
const poster = await agentSession(app, 'alice')
await sleep(500)

console.log(`database: ${db.describe}`)
const sentAt = new Map<number, number>()
const postMs: number[] = []
const total = Math.max(1, Math.round(RATE * SECONDS))
const started = performance.now()
for (let n = 1; n <= total && !run.halted(); n++) {
  const due = started + (n - 1) * 1000 / RATE
  const wait = due - performance.now()
  if (wait > 0) await sleep(wait)
  const at = performance.now()
  sentAt.set(n, at)
  const res = await poster.post(`/livechat/console/im/${roomId}/messages`, { body: `bench-token-${n}- status update ${n}`, client_msg_id: `bench-${process.pid}-${n}`.padEnd(12, '0') })
  postMs.push(performance.now() - at)
  if (res.statusCode !== 200) run.abort(`post ${n} answered ${res.statusCode}: ${res.body.slice(0, 200)}`, 1)
}
const expected = total * AGENTS
const drainUntil = performance.now() + DRAIN_MS
while (received.size < expected && performance.now() < drainUntil) await sleep(50)
await sleep(300)

const latencies: number[] = []
let duplicates = 0
for (const [key, times] of received) {
  const n = Number(key.split(':')[1])
  latencies.push(times[0]! - sentAt.get(n)!)
  duplicates += times.length - 1
}
latencies.sort((a, b) => a - b)
postMs.sort((a, b) => a - b)
const missing = expected - received.size
console.log(`room followers: ${AGENTS} sockets`)
console.log(`messages posted: ${total} at ${fmt(RATE)} msg/s`)
console.log(`post p50: ${fmt(percentile(postMs, 0.5))} ms`)
console.log(`post p99: ${fmt(percentile(postMs, 0.99))} ms`)
console.log(`deliveries: ${received.size} of ${expected}`)
console.log(`delivery p50: ${fmt(percentile(latencies, 0.5))} ms`)
console.log(`delivery p99: ${fmt(percentile(latencies, 0.99))} ms`)
console.log(`missing: ${missing} deliveries`)
console.log(`duplicates: ${duplicates} deliveries`)
await run.cleanUp()
process.exit(missing > 0 || duplicates > 0 ? 1 : 0)
