import { randomInt } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import { build, csrf, joinCookies, login, sameOrigin, standBy } from '../helpers/build.ts'
import { sharedDatabase } from '../helpers/db.ts'

// Limits for real desks (docs/features.md#protections): visitors are counted by their own
// address (behind a trusted proxy too), signed-in customers each on their own, and with
// Redis every instance counts together.

/** An address no other test or earlier run has counted against: the limits' windows outlive a run. */
const someAddress = (): string => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`

/** Starts a chat from `address` (as the socket's peer, or in X-Forwarded-For), signed in when `session` is given. */
async function start (app: FastifyInstance, opts: { address?: string, forwardedFor?: string, session?: string }) {
  const c = await csrf(app, opts.session ?? '')
  return await app.inject({
    method: 'POST',
    url: '/livechat/start',
    remoteAddress: opts.address,
    headers: { cookie: c.cookie, ...sameOrigin, ...(opts.forwardedFor ? { 'x-forwarded-for': opts.forwardedFor } : {}) },
    payload: { name: 'Visitor', email: 'visitor@customer.example', question: `Question ${randomInt(1e9)}`, _csrf: c.token }
  })
}

const started = (res: { statusCode: number }): boolean => res.statusCode === 303 || res.statusCode === 200

/**
 * A signed-in customer ends the chat `res` started, as their End chat button does: with one
 * open chat a customer, the next start would otherwise take them back to it
 * (docs/features.md#one-open-chat-per-customer) rather than start one the limit could count.
 */
async function leave (app: FastifyInstance, res: { headers: Record<string, unknown> }, session: string): Promise<void> {
  const id = /\/chat\/(\d+)$/.exec(String(res.headers.location))![1]
  const c = await csrf(app, session, `/livechat/chat/${id}`)
  const ended = await app.inject({ method: 'POST', url: `/livechat/chat/${id}/end`, headers: { cookie: c.cookie, ...sameOrigin }, payload: { _csrf: c.token } })
  if (ended.statusCode !== 303) throw new Error(`ending chat ${id} failed: ${ended.statusCode}`)
}

t.test('visitors: counted by address, each address on its own', async (t) => {
  const { app } = await build(t, { pluginOptions: { settings: { chatStartsPerMinute: 2, chatStartsPerCustomerPerMinute: 1 } } })
  const a = someAddress()
  const b = someAddress()
  t.ok(started(await start(app, { address: a })))
  t.ok(started(await start(app, { address: a })))
  const third = await start(app, { address: a })
  t.equal(third.statusCode, 429)
  t.match(third.body, /Too many chats started from this address; wait a minute and try again/)
  t.ok(started(await start(app, { address: b })), 'another address has its own count')
})

t.test('signed-in customers: each counted on their own, not by the address they share', async (t) => {
  const { app } = await build(t, { pluginOptions: { settings: { chatStartsPerMinute: 1, chatStartsPerCustomerPerMinute: 2 } } })
  const office = someAddress()
  const dana = joinCookies(await login(app, 'dana'))
  const erin = joinCookies(await login(app, 'erin'))
  const first = await start(app, { address: office, session: dana })
  t.ok(started(first))
  await leave(app, first, dana)
  const second = await start(app, { address: office, session: dana })
  t.ok(started(second), 'a customer may start more than the address limit')
  await leave(app, second, dana)
  const third = await start(app, { address: office, session: dana })
  t.equal(third.statusCode, 429)
  t.match(third.body, /Too many chats started by you; wait a minute and try again/)
  t.ok(started(await start(app, { address: office, session: erin })), 'a colleague at the same address is not refused')
  t.ok(started(await start(app, { address: office })), 'nor is a visitor there: the customers did not count against the address')
})

t.test('behind a trusted proxy: the client address from X-Forwarded-For', async (t) => {
  const cleanups: Array<() => Promise<void>> = []
  t.teardown(async () => { for (const fn of cleanups.reverse()) await fn() })
  const { first: knex } = await sharedDatabase(t.testdir(), (fn) => { cleanups.push(fn) })
  await prepareDatabase(knex)
  await standBy(knex, 'bob')
  const app = await buildDemoHost({ knex, trustProxy: true, pluginOptions: { jobs: false, settings: { chatStartsPerMinute: 1 } } })
  cleanups.push(async () => { await app.close() })
  const proxy = someAddress()
  t.ok(started(await start(app, { address: proxy, forwardedFor: someAddress() })))
  t.ok(started(await start(app, { address: proxy, forwardedFor: someAddress() })), 'two customers behind one proxy are two addresses')
  const client = someAddress()
  t.ok(started(await start(app, { address: proxy, forwardedFor: client })))
  t.equal((await start(app, { address: proxy, forwardedFor: client })).statusCode, 429, 'one client is still one')
})

t.test('several instances: with Redis the count is one for all of them', { skip: process.env.REDIS_URL ? false : 'REDIS_URL is not set' }, async (t) => {
  const cleanups: Array<() => Promise<void>> = []
  t.teardown(async () => { for (const fn of cleanups.reverse()) await fn() })
  const { first: knex, another } = await sharedDatabase(t.testdir(), (fn) => { cleanups.push(fn) })
  await prepareDatabase(knex)
  await standBy(knex, 'bob')
  const bus = memoryBus()
  const instance = async () => {
    const pool = another()
    const app = await buildDemoHost({ knex: pool, pluginOptions: { jobs: false, bus, redisUrl: process.env.REDIS_URL, settings: { chatStartsPerMinute: 2 } } })
    cleanups.push(async () => { await app.close(); await pool.destroy() })
    await app.ready()
    return app
  }
  const A = await instance()
  const B = await instance()
  const visitor = someAddress()
  t.ok(started(await start(A, { address: visitor })))
  t.ok(started(await start(B, { address: visitor })))
  t.equal((await start(A, { address: visitor })).statusCode, 429, 'the third start is refused, whichever instance takes it')
  t.equal((await start(B, { address: visitor })).statusCode, 429)
})
