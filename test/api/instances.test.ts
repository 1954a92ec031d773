import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import { apiClient, tokenAdmin } from '../helpers/api.ts'
import { sharedDatabase } from '../helpers/db.ts'

// Several instances on one database (docs/features.md#api-tokens): a token revoked on one is
// refused by the other at once, and with Redis its rate limit is one for all of them.
t.test('API tokens across instances', { skip: process.env.REDIS_URL ? false : 'REDIS_URL is not set' }, async (t) => {
  const cleanups: Array<() => Promise<void>> = []
  t.teardown(async () => { for (const fn of cleanups.reverse()) await fn() })
  const { first: knex, another } = await sharedDatabase(t.testdir(), (fn) => { cleanups.push(fn) })
  await prepareDatabase(knex)
  const bus = memoryBus()
  const instance = async () => {
    const pool = another()
    const app = await buildDemoHost({ knex: pool, logger: false, pluginOptions: { jobs: false, bus, redisUrl: process.env.REDIS_URL, settings: { apiCallsPerMinute: 4 } } })
    cleanups.push(async () => { await app.close(); await pool.destroy() })
    await app.ready()
    return app
  }
  const A = await instance()
  const B = await instance()
  const admin = await tokenAdmin(A)

  t.test('the rate limit counts every instance\'s calls together', async (t) => {
    const { secret } = await admin.create({ name: 'Shared', scopes: 'chats:read' })
    const statuses: number[] = []
    for (let i = 0; i < 5; i++) statuses.push((await apiClient(i % 2 === 0 ? A : B, secret)('GET', '/groups')).statusCode)
    t.same(statuses, [200, 200, 200, 200, 429], 'the fifth call is refused, whichever instance takes it')
    t.equal((await apiClient(A, secret)('GET', '/groups')).statusCode, 429)
  })

  t.test('a token revoked on one instance is refused by the other', async (t) => {
    const { secret, id } = await admin.create({ name: 'Revoked', scopes: 'chats:read' })
    t.equal((await apiClient(B, secret)('GET', '/departments')).statusCode, 200)
    t.equal((await admin.admin.post(`/livechat/admin/api-tokens/${id}/revoke`)).statusCode, 200)
    const refused = await apiClient(B, secret)('GET', '/departments')
    t.equal(refused.statusCode, 401)
    t.equal(refused.json().code, 'LC_ERR_API_TOKEN_REVOKED')
  })
})
