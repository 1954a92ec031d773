/**
 * First page loads (docs/design.md §9): what the customer's chat window and the agent's
 * console weigh when first opened, and how long the server takes to make them. The demo host
 * with the plugin on a fresh database; one chat started on the portal, accepted by alice, who
 * writes ten replies, so both pages show a live conversation.
 *
 * Figures (`label: value unit`): each page's HTML, the stylesheets and scripts it loads from
 * our own origin (raw, and gzipped as a compressing proxy would send them), and the server's
 * time to answer the page (p50 and p95 of BENCH_LOADS loads, in process, so nothing but the
 * server is timed). The goal is relative: no figure more than 10% above the same bench's
 * figure before the console and customer-window rework; the README keeps both.
 *
 * Environment: DATABASE_URL (SQLite in a temp file when unset), BENCH_LOADS (200),
 * BENCH_TIMEOUT (hard limit, seconds).
 */
import { performance } from 'node:perf_hooks'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { buildDemoHost } from '../demo-host/app.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import { agentSession, openSocket, standBy, startChat } from '../test/helpers/build.ts'
import { fmt, freshDatabase, guardRun, numberFromEnv, percentile } from './common.ts'

const LOADS = Math.floor(numberFromEnv('BENCH_LOADS', 200, 1))
const run = guardRun({ timeoutMs: numberFromEnv('BENCH_TIMEOUT', 120 + LOADS / 10, 10) * 1000 })

const db = await freshDatabase('pages')
run.cleanups.push(db.drop)
await prepareDatabase(db.knex)
// Someone to take the chat: alice available, as after her console's heartbeat.
await standBy(db.knex, 'alice')
const app = await buildDemoHost({ knex: db.knex, logger: false, pluginOptions: { jobs: false, settings: { messagesPerMinute: 10_000, chatStartsPerMinute: 1000 } } })
run.cleanups.push(async () => { await app.close() })

await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
const origin = { origin: url }

const { chatId, cookie: customer } = await startChat(app, { question: 'My VPN will not connect since this morning' })
const alice = await agentSession(app, 'alice')
const accepted = await alice.post(`/livechat/console/chats/${chatId}/accept`)
if (accepted.statusCode !== 200) throw new Error(`accept failed: ${accepted.statusCode}`)
// Ten messages each way over the real sockets, so both pages draw a conversation.
const agentSocket = await openSocket(url, `/livechat/ws/console?since=${chatId}.2`, { ...origin, cookie: alice.cookie })
const customerSocket = await openSocket(url, `/livechat/ws/chat/${chatId}?since=${chatId}.2`, { ...origin, cookie: customer })
for (let i = 1; i <= 10; i++) {
  agentSocket.send({ type: 'message', chat_id: String(chatId), body: `Step ${i}: open the VPN client's settings and tell me what the status line says.`, client_msg_id: `agent-${String(i).padStart(6, '0')}` })
  await customerSocket.waitFor(new RegExp(`Step ${i}:`))
  customerSocket.send({ type: 'message', chat_id: String(chatId), body: `It says "certificate expired" (${i}).`, client_msg_id: `cust-${String(i).padStart(7, '0')}`, headers: { 'HX-Request': 'true' } })
  await agentSocket.waitFor(new RegExp(`certificate expired&quot;? \\(${i}\\)|certificate expired.{0,12}\\(${i}\\)`))
}
await agentSocket.close()
await customerSocket.close()

/** The same-origin stylesheets and scripts a page names, fetched as a browser would on first load. */
async function assets (server: FastifyInstance, html: string): Promise<{ raw: number, gzipped: number }> {
  const urls = new Set<string>()
  for (const m of html.matchAll(/<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"|<script[^>]+src="([^"]+)"/g)) {
    const url = m[1] ?? m[2]!
    if (url.startsWith('/')) urls.add(url)
  }
  let raw = 0
  let gzipped = 0
  for (const url of urls) {
    const res = await server.inject({ url })
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`)
    raw += res.rawPayload.length
    gzipped += gzipSync(res.rawPayload).length
  }
  return { raw, gzipped }
}

async function measure (label: string, url: string, cookie: string): Promise<void> {
  const first = await app.inject({ url, headers: { cookie } })
  if (first.statusCode !== 200) throw new Error(`${url}: ${first.statusCode}`)
  const times: number[] = []
  for (let i = 0; i < LOADS && !run.halted(); i++) {
    const began = performance.now()
    const res = await app.inject({ url, headers: { cookie } })
    times.push(performance.now() - began)
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode}`)
  }
  times.sort((a, b) => a - b)
  const loaded = await assets(app, first.body)
  console.log(`${label} html: ${(first.rawPayload.length / 1024).toFixed(1)} kB`)
  console.log(`${label} html gzipped: ${(gzipSync(first.rawPayload).length / 1024).toFixed(1)} kB`)
  console.log(`${label} css and js: ${(loaded.raw / 1024).toFixed(1)} kB`)
  console.log(`${label} css and js gzipped: ${(loaded.gzipped / 1024).toFixed(1)} kB`)
  console.log(`${label} server p50: ${fmt(percentile(times, 0.5), 2)} ms`)
  console.log(`${label} server p95: ${fmt(percentile(times, 0.95), 2)} ms`)
  console.log('goal: each figure at most 10% above the README\'s figure from before the rework')
}

await run.finish(async () => {
  console.log(`database: ${db.describe}`)
  await measure('customer window', `/livechat/chat/${chatId}`, customer)
  await measure('console', '/livechat/console', alice.cookie)
  return 0
})
