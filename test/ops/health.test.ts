import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { redisBus } from '../../plugin/realtime/redis-bus.ts'
import { sharedDatabase } from '../helpers/db.ts'

// Health and readiness (docs/features.md#health-and-readiness), on a real database that goes
// away and comes back: the pool is closed under the running app, then opened again.

t.test('health and readiness', async (t) => {
  const cleanups: Array<() => Promise<void>> = []
  t.teardown(async () => { for (const fn of cleanups.reverse()) await fn() })
  const { first: knex } = await sharedDatabase(t.testdir(), (fn) => { cleanups.push(fn) })
  await prepareDatabase(knex)
  const app = await buildDemoHost({ knex, pluginOptions: { jobs: true, redisUrl: process.env.REDIS_URL } })
  await app.ready()
  t.teardown(async () => { await app.close() })

  t.test('/health answers while the process does, with no session', async (t) => {
    const res = await app.inject({ url: '/livechat/health' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ok' })
  })

  t.test('/ready: every part ok', async (t) => {
    const res = await app.inject({ url: '/livechat/ready' })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { status: 'ready', checks: { database: 'ok', bus: 'ok', jobs: 'ok' }, failing: [] })
  })

  t.test('/ready with the database away: 503 naming it, then ready again once it is back', async (t) => {
    await knex.destroy()
    const down = await app.inject({ url: '/livechat/ready' })
    t.equal(down.statusCode, 503)
    t.equal(down.headers['retry-after'], '5')
    const body = down.json()
    t.equal(body.status, 'unavailable')
    t.same(body.failing, ['database'])
    t.not(body.checks.database, 'ok', `the reason is given: ${String(body.checks.database)}`)
    t.equal(body.checks.bus, 'ok', 'the other parts are still told apart')
    knex.initialize()
    const up = await app.inject({ url: '/livechat/ready' })
    t.equal(up.statusCode, 200)
    t.equal((await app.inject({ url: '/livechat/health' })).statusCode, 200, 'health never depended on it')
  })
})

t.test('a Redis bus whose connections are gone fails its check, naming the connection', { skip: process.env.REDIS_URL ? false : 'REDIS_URL is not set' }, async (t) => {
  const bus = redisBus(process.env.REDIS_URL!, { log: { warn: () => {}, error: () => {} } })
  // Closed even when an assertion fails first, or its sockets keep the test process alive.
  t.teardown(async () => { await bus.close() })
  await bus.ready()
  await bus.check!()
  t.pass('up: the check passes')
  await bus.close()
  // Right after QUIT ioredis may still call the connection ready; the ping then fails.
  await t.rejects(bus.check!(), /Redis publisher connection is end|Connection is closed/)
})
