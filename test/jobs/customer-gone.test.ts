import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { createChatService, type ChatService } from '../../plugin/chats/service.ts'
import { runJob } from '../../plugin/jobs/scheduler.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import type { Bus } from '../../plugin/realtime/bus-events.ts'
import { redisBus } from '../../plugin/realtime/redis-bus.ts'
import { createRoutingService } from '../../plugin/routing/service.ts'
import { agentSession, build, openSocket, seqsIn, type SocketClient, standBy, startChat } from '../helpers/build.ts'
import { sharedDatabase } from '../helpers/db.ts'

/**
 * The customer-gone job against real sockets (docs/design.md §4, "Customer left"): the agent's
 * header shows the pill live, the customer's window never gets the agents-only notes, and
 * a window opening again brings the customer back.
 */

const grace = 120_000
const settle = async (ms = 150): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** The job as an instance's scheduler runs it: its own chat service on the database and bus, under the lease. */
function jobOn (knex: Knex, bus: Bus, clock: () => number, owner: string): { run: () => Promise<number | null>, chats: ChatService } {
  const routing = createRoutingService({ db: knex, bus, settings: { heartbeatTimeoutSeconds: 60 }, clock })
  const chats = createChatService({ db: knex, bus, host: sqlHost(knex, loadManifest().host), routing, settings: { maxMessageLength: 10000 }, clock })
  return { chats, run: async () => await runJob(knex, 'customer-gone', owner, async () => await chats.markCustomersGone(grace), clock) }
}

/** Waits until the chat's customer_seen_at is `value`: a socket's write lands a moment after the socket event. */
async function seenBecomes (knex: Knex, chatId: number, value: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const row = await knex('lc_chats').where('id', chatId).first('customer_seen_at')
    if (row.customer_seen_at !== null && Number(row.customer_seen_at) === value) return
    await settle(25)
  }
  throw new Error(`customer_seen_at of chat ${chatId} never became ${value}`)
}

const header = (chatId: number): RegExp => new RegExp(`<header id="lc-chat-header-${chatId}"[\\s\\S]*?</header>`)
const notes = /Customer left the chat window|Customer is back/

t.test('customer-gone job with real sockets', async (t) => {
  let now = Date.now()
  const clock = (): number => now
  const bus = memoryBus()
  // Beats every 3 s, so an open window's refresh is seen within a test.
  const { app, knex, url } = await build(t, { listen: true, pluginOptions: { bus, clock, settings: { chatStartsPerMinute: 1000, messagesPerMinute: 10000, heartbeatTimeoutSeconds: 10 } } })
  const job = jobOn(knex, bus, clock, 'test-instance')
  const sockets: SocketClient[] = []
  t.teardown(async () => { for (const s of sockets) await s.close() })
  const socket = async (path: string, cookie: string): Promise<SocketClient> => {
    const s = await openSocket(url, path, { cookie, origin: url })
    sockets.push(s)
    return s
  }
  const alice = await agentSession(app, 'alice')
  const pane = async (chatId: number): Promise<string> => (await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: alice.cookie } })).body

  t.test('the agent sees "Customer left" live once the window has been closed for the grace period; coming back clears it', async (t) => {
    const { chatId, cookie } = await startChat(app, { name: 'Gone Customer' })
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
    const agent = await socket(`/livechat/ws/console?since=${chatId}.2`, alice.cookie)
    const customer = await socket(`/livechat/ws/chat/${chatId}?since=${chatId}.2`, cookie)
    await customer.waitFor(/lc-status/)
    await seenBecomes(knex, chatId, now)

    // An open window is refreshed by the heartbeat, so the job never takes it for gone.
    now += grace + 1
    await seenBecomes(knex, chatId, now)
    t.equal(await job.run(), 0, 'an open window keeps the customer present')

    now += 5_000
    await customer.close()
    await seenBecomes(knex, chatId, now)
    const closedAt = now
    now = closedAt + grace
    t.equal(await job.run(), 0, 'not gone at the end of the grace period')
    t.notMatch(await pane(chatId), /lc-pill--gone/)
    now = closedAt + grace + 1
    t.equal(await job.run(), 1, 'gone just after it')

    const note = await agent.waitFor(/Customer left the chat window/)
    t.same(seqsIn(note), [3], 'the agent gets the note in seq order')
    t.match(note, /class="lc-msg lc-msg--system lc-msg--note"/)
    const pill = await agent.waitFor(/lc-pill--gone/)
    t.match(pill, new RegExp(`<hx-partial hx-target="#lc-chat-header-${chatId}" hx-swap="outerHTML">`), 'the header is replaced in place')
    t.match(pill, />Customer left<\/span>/)
    t.match(pill, /<span class="lc-pill lc-pill--active">Active<\/span>/, 'the chat is still active')
    t.match(header(chatId).exec(await pane(chatId))?.[0], />Customer left<\/span>/, 'a reload of the pane shows the pill')
    const history = (await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/history`, headers: { cookie: alice.cookie, 'hx-request': 'true' } })).body
    t.match(history, /Closed the chat window: shown as Customer left after 120 seconds without it/)

    // The customer comes back (a reconnect that resumes from what the window held).
    const agentFrames = agent.frames.length
    now += 30_000
    const back = await socket(`/livechat/ws/chat/${chatId}?since=${chatId}.2`, cookie)
    t.same(seqsIn(await agent.waitFor(/Customer is back/)), [4])
    const cleared = await agent.waitFor(new RegExp(`hx-target="#lc-chat-header-${chatId}"[^>]*>(?:(?!lc-pill--gone)[\\s\\S])*?</header>`))
    t.ok(agent.frames.indexOf(cleared) >= agentFrames, 'a new header without the pill')
    t.notMatch(header(chatId).exec(await pane(chatId))?.[0], /lc-pill--gone/)
    t.match((await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/history`, headers: { cookie: alice.cookie, 'hx-request': 'true' } })).body, /Came back to the chat window/)

    // The customer's seq moved past both notes without them: the next message is 5, once.
    agent.send({ type: 'message', chat_id: String(chatId), body: 'Welcome back', client_msg_id: 'gone-back-001' })
    t.same(seqsIn(await back.waitFor(/Welcome back/)), [5])
    await settle()
    t.same(back.frames.filter((f) => /data-seq=/.test(f)).flatMap(seqsIn), [5], 'nothing else reached the window')
    for (const s of [customer, back]) t.notMatch(s.frames.join(''), notes, 'the customer\'s window never receives the agents-only notes')
    t.notMatch((await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })).body, notes, 'nor does their page')
    t.equal((await knex('lc_chats').where('id', chatId).first('customer_gone_at')).customer_gone_at, null)
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/end`)).statusCode, 200)
  })

  t.test('ending a chat whose customer is gone completes it and drops the pill', async (t) => {
    const { chatId, cookie } = await startChat(app, { name: 'Never Opened' })
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
    const agent = await socket(`/livechat/ws/console?since=${chatId}.2`, alice.cookie)
    // Open is not yet followed: the console's first lists arrive once the socket is identified and subscribed.
    await agent.waitFor(/hx-target="#lc-queue"/)
    // The customer never opened the window: the grace period counts from the start of the chat.
    now += grace + 1
    t.equal(await job.run(), 1)
    await agent.waitFor(/lc-pill--gone/)
    const ended = await alice.post(`/livechat/console/chats/${chatId}/end`)
    t.equal(ended.statusCode, 200)
    t.notMatch(header(chatId).exec(ended.body)?.[0], /lc-pill--gone/, 'no pill on an ended chat')
    t.match(header(chatId).exec(ended.body)?.[0], /lc-pill--ended/)
    t.equal((await knex('lc_chats').where('id', chatId).first('status')).status, 'ended')
    // Opening the window of the ended chat changes nothing.
    const late = await socket(`/livechat/ws/chat/${chatId}?since=${chatId}.4`, cookie)
    await late.waitFor(/lc-status/)
    await settle()
    t.notMatch(late.frames.join(''), notes)
    t.notOk((await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/history`, headers: { cookie: alice.cookie, 'hx-request': 'true' } })).body.includes('Came back'))
  })
})

const redisUrl = process.env.REDIS_URL

t.test('customer-gone job on two instances', { skip: redisUrl ? false : 'REDIS_URL is not set: two instances need a Redis server (redis://127.0.0.1:6379 in CI)' }, async (t) => {
  const stack: Array<() => Promise<void>> = []
  t.teardown(async () => { for (const fn of stack.reverse()) await fn() })
  const channel = `livechat:test:${randomUUID()}`
  let now = Date.now()
  const clock = (): number => now

  // One database, a knex pool per instance.
  const { first, another } = await sharedDatabase(t.testdir(), (fn) => { stack.push(fn) })
  await prepareDatabase(first)
  await standBy(first, 'bob')

  interface Instance { app: FastifyInstance, url: string, knex: Knex, bus: Bus }
  async function instance (knex: Knex): Promise<Instance> {
    if (knex !== first) stack.push(async () => { await knex.destroy() })
    const bus = redisBus(redisUrl!, { channel })
    stack.push(async () => { await bus.close() })
    await bus.ready()
    const app = await buildDemoHost({ knex, logger: false, pluginOptions: { jobs: false, bus, clock, settings: { chatStartsPerMinute: 1000, messagesPerMinute: 10000 } } })
    stack.push(async () => { await app.close() })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    return { app, knex, bus, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` }
  }
  const A = await instance(first)
  const B = await instance(another())
  const socket = async (at: Instance, path: string, cookie: string): Promise<SocketClient> => {
    const s = await openSocket(at.url, path, { cookie, origin: at.url })
    stack.push(async () => { await s.close() })
    return s
  }

  // The customer's window on A, Alice on B.
  const alice = await agentSession(B.app, 'alice')
  const { chatId, cookie } = await startChat(A.app, { name: 'Across Instances' })
  t.equal((await alice.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
  const agent = await socket(B, `/livechat/ws/console?since=${chatId}.2`, alice.cookie)
  const customer = await socket(A, `/livechat/ws/chat/${chatId}?since=${chatId}.2`, cookie)
  await customer.waitFor(/lc-status/)
  await seenBecomes(A.knex, chatId, now)
  now += 5_000
  await customer.close()
  await seenBecomes(A.knex, chatId, now)

  // Both instances' schedulers fire at once, each with its own lease owner.
  now += grace + 1
  const runs = await Promise.all([jobOn(A.knex, A.bus, clock, 'instance-a').run(), jobOn(B.knex, B.bus, clock, 'instance-b').run()])
  t.equal(runs.reduce<number>((n, r) => n + (r ?? 0), 0), 1, `the chat is marked once (${runs.join(', ')})`)
  // And again without the lease, as if it had expired mid-run: the conditional UPDATE holds.
  const raced = await Promise.all([jobOn(A.knex, A.bus, clock, 'x').chats.markCustomersGone(grace), jobOn(B.knex, B.bus, clock, 'y').chats.markCustomersGone(grace)])
  t.same(raced, [0, 0], 'already marked: nothing more')

  t.same(seqsIn(await agent.waitFor(/Customer left the chat window/)), [3], 'the agent on B gets the note')
  await agent.waitFor(/lc-pill--gone/)
  t.equal((await A.knex('lc_messages').where({ chat_id: chatId, kind: 'note' })).length, 1, 'one note stored')

  // The customer comes back on B this time.
  now += 10_000
  const back = await socket(B, `/livechat/ws/chat/${chatId}?since=${chatId}.2`, cookie)
  t.same(seqsIn(await agent.waitFor(/Customer is back/)), [4])
  agent.send({ type: 'message', chat_id: String(chatId), body: 'Hello again', client_msg_id: 'across-back-01' })
  t.same(seqsIn(await back.waitFor(/Hello again/)), [5])
  await settle()
  t.notMatch(customer.frames.join('') + back.frames.join(''), notes, 'neither of the customer\'s windows got a note')
  t.same((await A.knex('lc_messages').where({ chat_id: chatId, kind: 'note' }).orderBy('seq')).map((m: { body: string }) => m.body), ['Customer left the chat window', 'Customer is back'])
})
