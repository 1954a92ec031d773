import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import type { Knex } from 'knex'
import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import type { BusEvent } from '../../plugin/realtime/bus-events.ts'
import { redisBus, type RedisBus, type RedisBusLog } from '../../plugin/realtime/redis-bus.ts'
import { agentSession, openSocket, seqsIn, type SocketClient, standBy, startChat } from '../helpers/build.ts'
import { sharedDatabase } from '../helpers/db.ts'

/**
 * Several instances behind a load balancer (docs/design.md §6, §9): each has its own knex pool and
 * its own Redis bus, all on one database and one channel; a socket may be on any of them.
 */

interface Teardown { teardown: (fn: () => unknown) => void }

const redisUrl = process.env.REDIS_URL
const settle = async (ms = 150): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
const messageSeqs = (socket: SocketClient): number[] => socket.frames.filter((f) => /data-seq=/.test(f)).flatMap(seqsIn)

/** Cleanups run last-in first-out: sockets, then apps, then buses, then the database. */
function cleanups (t: Teardown): (fn: () => Promise<void>) => void {
  const stack: Array<() => Promise<void>> = []
  t.teardown(async () => {
    for (const fn of stack.reverse()) await fn()
  })
  return (fn) => { stack.push(fn) }
}

/** Collects what a bus's handlers receive, and waits for what should arrive. */
function collector () {
  const events: BusEvent[] = []
  const waiters: Array<{ match: (e: BusEvent) => boolean, resolve: () => void }> = []
  return {
    events,
    handler (event: BusEvent) {
      events.push(event)
      for (const w of [...waiters]) if (w.match(event)) { waiters.splice(waiters.indexOf(w), 1); w.resolve() }
    },
    async waitFor (match: (e: BusEvent) => boolean): Promise<void> {
      if (events.some(match)) return
      await new Promise<void>((resolve) => { waiters.push({ match, resolve }) })
    }
  }
}

function recordingLog () {
  const lines: Array<{ level: 'warn' | 'error', obj: object, msg: string }> = []
  const waiters: Array<{ match: RegExp, resolve: () => void }> = []
  const add = (level: 'warn' | 'error') => (obj: object, msg: string) => {
    lines.push({ level, obj, msg })
    for (const w of [...waiters]) if (w.match.test(msg)) { waiters.splice(waiters.indexOf(w), 1); w.resolve() }
  }
  const log: RedisBusLog = { warn: add('warn'), error: add('error') }
  return {
    log,
    lines,
    async waitFor (match: RegExp): Promise<void> {
      if (lines.some((l) => match.test(l.msg))) return
      await new Promise<void>((resolve) => { waiters.push({ match, resolve }) })
    }
  }
}

const skip = redisUrl ? false : 'REDIS_URL is not set: the multi-instance tests need a Redis server (redis://127.0.0.1:6379 in CI)'
const url = redisUrl ?? ''

t.test('redisBus', { skip }, async (t) => {
  const cleanup = cleanups(t)
  const channel = `livechat:test:${randomUUID()}`
  const plain = new Redis(url)
  cleanup(async () => { await plain.quit() })
  const logA = recordingLog()
  const a = redisBus(url, { channel, log: logA.log })
  const b = redisBus(url, { channel, log: recordingLog().log })
  let closed = false
  cleanup(async () => { if (!closed) await Promise.all([a.close(), b.close()]) })
  await Promise.all([a.ready(), b.ready()])
  t.same(await plain.pubsub('NUMSUB', channel), [channel, 2], 'both buses are subscribed once ready() resolves')

  const atA = collector()
  const atB = collector()
  a.subscribe(atA.handler)
  b.subscribe(atB.handler)

  await a.publish({ type: 'presence.changed', agentId: 'one' })
  await Promise.all([atA.waitFor((e) => e.type === 'presence.changed'), atB.waitFor((e) => e.type === 'presence.changed')])

  // A malformed payload and a failing handler: both logged, neither stops what follows.
  await plain.publish(channel, 'this is { not json')
  await logA.waitFor(/malformed payload/)
  await plain.publish(channel, JSON.stringify({ no: 'type' }))
  const throwing = a.subscribe(() => { throw new Error('handler blew up') })
  await b.publish({ type: 'queue.changed' })
  await Promise.all([atA.waitFor((e) => e.type === 'queue.changed'), atB.waitFor((e) => e.type === 'queue.changed')])
  await logA.waitFor(/handler failed/)
  throwing()
  await a.publish({ type: 'agent.chats', agentId: 'last', chatId: 1 })
  await Promise.all([atA.waitFor((e) => e.type === 'agent.chats'), atB.waitFor((e) => e.type === 'agent.chats')])

  const expected = [{ type: 'presence.changed', agentId: 'one' }, { type: 'queue.changed' }, { type: 'agent.chats', agentId: 'last', chatId: 1 }]
  t.same(atA.events, expected, 'the publisher\'s own handlers get each event once, from Redis, in order')
  t.same(atB.events, expected, 'another bus on the channel gets the same, and nothing malformed')

  // Events published in one turn travel as one payload, and are handed on one by one, in order.
  const listener = new Redis(url)
  cleanup(async () => { await listener.quit() })
  const payloads: string[] = []
  listener.on('message', (_from: string, payload: string) => { payloads.push(payload) })
  await listener.subscribe(channel)
  const burst = Array.from({ length: 30 }, (_, i) => ({ type: 'agent.chats' as const, agentId: 'burst', chatId: i + 10 }))
  await Promise.all(burst.map(async (e) => { await a.publish(e) }))
  await Promise.all([atA.waitFor((e) => e.type === 'agent.chats' && e.chatId === 39), atB.waitFor((e) => e.type === 'agent.chats' && e.chatId === 39)])
  t.same(atA.events.slice(3), burst, 'each event of the burst once, in order')
  t.same(atB.events.slice(3), burst, 'on the other bus too')
  t.equal(payloads.length, 1, 'in one message on the channel')
  t.same(JSON.parse(payloads[0]!), burst)
  await plain.publish(channel, JSON.stringify([{ type: 'queue.changed' }, { no: 'type' }]))
  while (logA.lines.filter((l) => /malformed payload/.test(l.msg)).length < 3) await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal(atA.events.length, 33, 'nothing of a list holding a malformed event')
  await listener.unsubscribe(channel)
  t.same(logA.lines.filter((l) => /malformed payload/.test(l.msg)).length, 3, 'the malformed payloads were logged (a list with one bad event is dropped whole)')
  t.match(logA.lines.find((l) => /handler failed/.test(l.msg)), { level: 'error', obj: { err: { message: 'handler blew up' }, event: 'queue.changed' } })

  closed = true
  await Promise.all([a.close(), b.close()])
  t.same(await plain.pubsub('NUMSUB', channel), [channel, 0], 'close() ended the subscriptions')
  t.equal(await plain.publish(channel, JSON.stringify({ type: 'queue.changed' })), 0, 'nobody listens any more')
  // A publish that cannot reach Redis is logged, not thrown: the change it announces is committed.
  await a.publish({ type: 'queue.changed' })
  t.match(logA.lines.find((l) => /could not publish/.test(l.msg)), { level: 'error', obj: { event: 'queue.changed' } }, 'the publisher connection is gone too, and that is logged')

  const nowhere = redisBus('redis://127.0.0.1:1', { channel, log: recordingLog().log })
  await t.rejects(nowhere.ready(), /live chat could not subscribe on Redis at redis:\/\/127\.0\.0\.1:1/, 'an unreachable Redis fails ready() at once, naming it')
  await nowhere.close()
})

t.test('several instances on one database', { skip }, async (t) => {
  const cleanup = cleanups(t)
  const channel = `livechat:test:${randomUUID()}`

  /** One database for every instance, and a fresh knex pool on it per instance. */
  const shared = await sharedDatabase(t.testdir(), cleanup)
  const another = shared.another
  await prepareDatabase(shared.first)
  await standBy(shared.first, 'bob')
  let first: Knex | undefined = shared.first
  function connect (): Knex {
    if (first) { const k = first; first = undefined; return k }
    const k = another()
    cleanup(async () => { await k.destroy() })
    return k
  }

  interface Instance { app: FastifyInstance, url: string, bus: RedisBus }
  async function instance (onChannel = channel): Promise<Instance> {
    const knex = connect()
    const bus = redisBus(url, { channel: onChannel })
    cleanup(async () => { await bus.close() })
    await bus.ready()
    const app = await buildDemoHost({ knex, logger: false, pluginOptions: { jobs: false, bus, settings: { chatStartsPerMinute: 1000, messagesPerMinute: 10000 } } })
    cleanup(async () => { await app.close() })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    return { app, bus, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` }
  }

  const A = await instance()
  const B = await instance()

  async function socket (at: Instance, path: string, cookie: string): Promise<SocketClient> {
    const s = await openSocket(at.url, path, { cookie, origin: at.url })
    cleanup(() => s.close())
    return s
  }

  /** A chat started on A and accepted on B by Alice: the customer's socket on A, Alice's on B. */
  async function chatAcross (name: string) {
    const alice = await agentSession(B.app, 'alice')
    const { chatId, cookie } = await startChat(A.app, { name })
    const accepted = await alice.post(`/livechat/console/chats/${chatId}/accept`)
    if (accepted.statusCode !== 200) throw new Error(`accept failed: ${accepted.statusCode}`)
    const customer = await socket(A, `/livechat/ws/chat/${chatId}?since=${chatId}.2`, cookie)
    const agent = await socket(B, `/livechat/ws/console?since=${chatId}.2`, alice.cookie)
    return { chatId, cookie, alice, customer, agent }
  }

  t.test('a customer on A and an agent on B see each other live, once, in order', async (t) => {
    const alice = await agentSession(B.app, 'alice')
    const agent = await socket(B, '/livechat/ws/console', alice.cookie)
    await agent.waitFor(/hx-target="#lc-queue"/)

    const { chatId, cookie } = await startChat(A.app, { name: 'Across Instances' })
    await agent.waitFor(/Across Instances/)
    t.pass('the queue on B shows the chat started through A')
    const customer = await socket(A, `/livechat/ws/chat/${chatId}?since=${chatId}.1`, cookie)
    await customer.waitFor(/lc-status/)

    const accepted = await alice.post(`/livechat/console/chats/${chatId}/accept`)
    t.equal(accepted.statusCode, 200, 'accepted on B')
    t.same(seqsIn(await customer.waitFor(/Alice Adams joined the chat/)), [2], 'the customer on A sees the join')
    await customer.waitFor(/You are chatting with Alice Adams/)

    customer.send({ type: 'message', chat_id: String(chatId), body: 'Hello from instance A', client_msg_id: 'multi-a-0001' })
    t.same(seqsIn(await agent.waitFor(/Hello from instance A/)), [3], 'the agent on B gets the customer\'s message')
    agent.send({ type: 'message', chat_id: String(chatId), body: 'Hello from instance B', client_msg_id: 'multi-b-0001' })
    t.same(seqsIn(await customer.waitFor(/Hello from instance B/)), [4], 'the customer on A gets the agent\'s message')
    customer.send({ type: 'message', chat_id: String(chatId), body: 'Last one', client_msg_id: 'multi-a-0002' })
    await agent.waitFor(/Last one/)
    await customer.waitFor(/Last one/)
    await settle()

    t.same(messageSeqs(customer), [2, 3, 4, 5], 'the customer got every message once, in seq order')
    // The accepted chat's pane came over the socket too (for the agent's other tabs), with seqs 1 and 2.
    t.same(messageSeqs(agent), [1, 2, 3, 4, 5], 'the agent got the pane, then every message after the join, once, in seq order')
  })

  t.test('failover: a customer dropped from A resumes on B with exactly what it missed', async (t) => {
    const { chatId, cookie, customer, agent } = await chatAcross('Failing Over')
    await customer.close()
    for (const n of [1, 2, 3]) {
      agent.send({ type: 'message', chat_id: String(chatId), body: `while away ${n}`, client_msg_id: `away-00000${n}` })
      await agent.waitFor(new RegExp(`while away ${n}`))
    }
    const held = Math.max(2, ...messageSeqs(customer))
    const back = await socket(B, `/livechat/ws/chat/${chatId}?since=${chatId}.${held}`, cookie)
    await back.waitFor(/while away 3/)
    await settle()
    t.same(messageSeqs(back), [3, 4, 5], 'exactly the missed seqs, once, in order')
    t.same(back.frames.join('').match(/while away \d/g), ['while away 1', 'while away 2', 'while away 3'])

    agent.send({ type: 'message', chat_id: String(chatId), body: 'welcome back', client_msg_id: 'back-0000001' })
    await back.waitFor(/welcome back/)
    await settle()
    t.same(messageSeqs(back), [3, 4, 5, 6], 'live again on B with no repeat')
  })

  t.test('an event lost between instances is filled in from the database', async (t) => {
    // C shares the database but publishes on another channel: A and B never hear from it.
    const C = await instance(`${channel}:elsewhere`)
    const { chatId, alice, customer, agent } = await chatAcross('Lost Event')
    const viaC = await socket(C, `/livechat/ws/console?since=${chatId}.2`, alice.cookie)
    viaC.send({ type: 'message', chat_id: String(chatId), body: 'published where nobody listens', client_msg_id: 'lost-0000001' })
    await viaC.waitFor(/published where nobody listens/)
    agent.send({ type: 'message', chat_id: String(chatId), body: 'published on the shared channel', client_msg_id: 'seen-0000001' })
    const frame = await customer.waitFor(/published on the shared channel/)
    t.same(seqsIn(frame), [3, 4], 'seq 4 arrived ahead of a gap: seq 3 was read from the database and sent first')
    t.match(frame, /published where nobody listens[\s\S]*published on the shared channel/)
    await agent.waitFor(/published on the shared channel/)
    await settle()
    t.same(messageSeqs(customer), [3, 4], 'the customer got both, once, in order')
    t.same(messageSeqs(agent), [3, 4], 'so did the agent on B')
  })

  t.test('redisUrl: the plugin subscribes before it is ready and closes the bus it made', async (t) => {
    const knex = connect()
    const subscribers = async (): Promise<number> => {
      const plain = new Redis(url)
      try {
        return Number((await plain.pubsub('NUMSUB', 'livechat:events'))[1])
      } finally {
        await plain.quit()
      }
    }
    const before = await subscribers()
    const app = await buildDemoHost({ knex, logger: false, pluginOptions: { jobs: false, redisUrl: url } })
    await app.ready()
    t.equal(await subscribers(), before + 1, 'subscribed on livechat:events once ready')
    await app.close()
    t.equal(await subscribers(), before, 'unsubscribed on close')
    await t.rejects(buildDemoHost({ knex, logger: false, pluginOptions: { jobs: false, redisUrl: 'redis://127.0.0.1:1' } }),
      /live chat could not subscribe on Redis/, 'an unreachable Redis stops start-up with a clear error')
  })

  t.test('two agents on two instances accept the same chat at once: one wins, one gets 409', async (t) => {
    const alice = await agentSession(A.app, 'alice')
    const bob = await agentSession(B.app, 'bob')
    const { chatId } = await startChat(A.app, { name: 'Wanted Twice' })
    const [atA, atB] = await Promise.all([
      alice.post(`/livechat/console/chats/${chatId}/accept`),
      bob.post(`/livechat/console/chats/${chatId}/accept`)
    ])
    t.same([atA.statusCode, atB.statusCode].sort(), [200, 409], 'one 200 and one 409')
    const winner = atA.statusCode === 200 ? 'Alice Adams' : 'Bob Brown'
    const loser = atA.statusCode === 200 ? atB : atA
    t.equal(loser.statusCode, 409)
    t.match(loser.body, new RegExp(`Already taken by ${winner}`), 'the 409 names the winner')
    t.match(loser.body, /LC_ERR_CHAT_TAKEN/)
  })
})
