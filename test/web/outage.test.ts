import t from 'tap'
import knexFactory, { type Knex } from 'knex'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { agentSession, startChat, standBy } from '../helpers/build.ts'
import { sharedDatabase } from '../helpers/db.ts'
import { tcpProxy } from '../helpers/tcp-proxy.ts'

// A database that goes away (docs/features.md#database-outages): pages, htmx answers and
// API clients are told 503 LC_ERR_UNAVAILABLE with Retry-After, nothing stored is lost, and
// everything answers again once it is back. On MariaDB the database sits behind a TCP proxy
// the test cuts and restores; on SQLite the pool is closed under the app and opened again.

interface Outage { knex: Knex, cut: () => Promise<void>, restore: () => Promise<void> }

async function outageRig (t: { teardown: (fn: () => unknown) => void, testdir: () => string }): Promise<Outage> {
  const cleanups: Array<() => Promise<void>> = []
  t.teardown(async () => { for (const fn of cleanups.reverse()) await fn() })
  const { first } = await sharedDatabase(t.testdir(), (fn) => { cleanups.push(fn) })
  await prepareDatabase(first)
  await standBy(first, 'bob')
  if (!process.env.DATABASE_URL) {
    return { knex: first, cut: async () => { await first.destroy() }, restore: async () => { first.initialize() } }
  }
  const config = first.client.config as Knex.Config & { connection: { uri: string } }
  const direct = new URL(config.connection.uri)
  const proxy = await tcpProxy({ host: direct.hostname, port: Number(direct.port || 3306) })
  cleanups.push(async () => { await proxy.close() })
  const through = new URL(direct.href)
  through.hostname = '127.0.0.1'
  through.port = String(proxy.port)
  const knex = knexFactory({ ...config, connection: { ...(config.connection as object), uri: through.href } } as Knex.Config)
  cleanups.push(async () => { await knex.destroy() })
  return { knex, cut: proxy.cut, restore: proxy.restore }
}

t.test('a database outage answers 503 and recovers', async (t) => {
  const db = await outageRig(t)
  const app = await buildDemoHost({ knex: db.knex, pluginOptions: { jobs: false } })
  t.teardown(async () => { await app.close() })
  await app.ready()
  const { chatId } = await startChat(app)
  const alice = await agentSession(app, 'alice')
  t.equal((await alice.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
  const chatsBefore = await db.knex('lc_chats').count({ n: '*' }).first()
  const messagesBefore = await db.knex('lc_messages').where({ chat_id: chatId }).count({ n: '*' }).first()

  await db.cut()

  t.test('a page: 503 with the error page and Retry-After', async (t) => {
    const res = await app.inject({ url: '/livechat/console', headers: { cookie: alice.cookie } })
    t.equal(res.statusCode, 503)
    t.equal(res.headers['retry-after'], '5')
    t.match(res.body, /data-code="LC_ERR_UNAVAILABLE"|LC_ERR_UNAVAILABLE/)
    t.match(res.body, /Live chat could not do that just now; try again in a moment/)
  })

  t.test('an htmx answer: the notice, not a swap of the page', async (t) => {
    const res = await alice.post(`/livechat/console/chats/${chatId}/end`)
    t.equal(res.statusCode, 503)
    t.match(res.body, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML">[^]*data-code="LC_ERR_UNAVAILABLE"/)
  })

  t.test('an API client: the code as JSON', async (t) => {
    const res = await app.inject({ url: '/livechat/console', headers: { cookie: alice.cookie, accept: 'application/json' } })
    t.equal(res.statusCode, 503)
    t.same(res.json(), { code: 'LC_ERR_UNAVAILABLE', message: 'Live chat could not do that just now; try again in a moment' })
  })

  t.test('the customer portal', async (t) => {
    const res = await app.inject({ url: '/livechat/start' })
    t.equal(res.statusCode, 503)
    t.match(res.body, /Live chat could not do that just now/)
  })

  t.test('back: every answer is as before, and nothing stored was lost', async (t) => {
    await db.restore()
    let res = await app.inject({ url: '/livechat/console', headers: { cookie: alice.cookie } })
    // Recovery is within a few tries: a pooled connection broken by the cut is dropped on first use.
    for (let i = 0; i < 10 && res.statusCode !== 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500))
      res = await app.inject({ url: '/livechat/console', headers: { cookie: alice.cookie } })
    }
    t.equal(res.statusCode, 200)
    t.same(await db.knex('lc_chats').count({ n: '*' }).first(), chatsBefore)
    t.same(await db.knex('lc_messages').where({ chat_id: chatId }).count({ n: '*' }).first(), messagesBefore)
    t.equal((await db.knex('lc_chats').where({ id: chatId }).first()).status, 'active', 'the end refused during the outage did not happen')
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/end`)).statusCode, 200, 'and can be done now')
  })
})
