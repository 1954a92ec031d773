import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import type { Bus } from '../../plugin/realtime/bus-events.ts'
import { redisBus } from '../../plugin/realtime/redis-bus.ts'
import { cookiesOf, joinCookies, login, sameOrigin } from '../helpers/build.ts'
import { sharedDatabase } from '../helpers/db.ts'

/**
 * A change on the settings screen of one instance takes effect on another without a restart
 * (docs/features.md#settings): two instances on one database, with a Redis bus as in
 * production when REDIS_URL is set (else one in-process bus they share). The other instance
 * reads the stored values again when it hears `settings.changed`.
 */

const redisUrl = process.env.REDIS_URL
const secret = 'a-long-random-metrics-secret-for-two-instances'

async function eventually (check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms
  while (Date.now() < until) {
    if (await check()) return true
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return await check()
}

t.test('settings on two instances', async (t) => {
  const stack: Array<() => Promise<void>> = []
  t.teardown(async () => { for (const fn of stack.reverse()) await fn() })
  const channel = `livechat:test:${randomUUID()}`
  const { first, another } = await sharedDatabase(t.testdir(), (fn) => { stack.push(fn) })
  await prepareDatabase(first)

  const shared = memoryBus()
  async function bus (): Promise<Bus> {
    if (!redisUrl) return shared
    const b = redisBus(redisUrl, { channel })
    stack.push(async () => { await b.close() })
    await b.ready()
    return b
  }
  async function instance (name: string): Promise<FastifyInstance> {
    const knex: Knex = another()
    stack.push(async () => { await knex.destroy() })
    const app = await buildDemoHost({ knex, logger: false, pluginOptions: { jobs: false, bus: await bus(), instanceName: name, settings: { chatStartsPerMinute: 1000 } } })
    stack.push(async () => { await app.close() })
    await app.ready()
    return app
  }
  const A = await instance('instance-a')
  const B = await instance('instance-b')

  const session = await login(A, 'admin')
  const page = await A.inject({ url: '/livechat/admin/settings', headers: { cookie: session } })
  const token = /name="lc-csrf" content="([^"]+)"/.exec(page.body)![1]!
  const cookie = joinCookies(session, cookiesOf(page))
  const save = async (group: string, payload: object) => await A.inject({
    method: 'POST', url: `/livechat/admin/settings/${group}`, payload, headers: { cookie, 'x-csrf-token': token, 'hx-request': 'true', ...sameOrigin }
  })
  const metricsOn = async (app: FastifyInstance): Promise<number> =>
    (await app.inject({ url: '/livechat/metrics', headers: { authorization: `Bearer ${secret}` } })).statusCode
  const maxMessageLengthOn = async (app: FastifyInstance): Promise<string | undefined> =>
    /data-setting="maxMessageLength"[\s\S]*?data-current>([^<]*)</.exec((await app.inject({ url: '/livechat/admin/settings', headers: { cookie: session } })).body)?.[1]

  t.test('a change saved on A applies on B without a restart', async (t) => {
    t.equal(await metricsOn(B), 404, 'metrics are off on B before')
    const res = await save('access', { metricsToken: secret })
    t.equal(res.statusCode, 200)
    t.equal(await metricsOn(A), 200, 'on A at once')
    t.ok(await eventually(async () => await metricsOn(B) === 200), 'and on B, told over the bus')
  })

  t.test('schedules, limits and a return to the default travel the same way', async (t) => {
    await save('queue', { maxMessageLength: '500', queuePositionMessage: '{ahead} ahead', queuePositionMessageOne: '1 ahead', queueNextMessage: 'Next', queueTimeoutMinutes: '15', customerTicketUrl: '/portal/tickets/{ref}' })
    t.ok(await eventually(async () => await maxMessageLengthOn(B) === '500'), 'B shows and uses 500')
    await save('retention', { purgeAfterDays: '90', purgeBatchSize: '200', imInactiveHours: '24', 'jobSchedules.key.0': 'purge', 'jobSchedules.value.0': '0 4 * * *' })
    t.ok(await eventually(async () => /<code>0 4 \* \* \*<\/code> <small>from the jobSchedules setting/.test((await B.inject({ url: '/livechat/admin/jobs', headers: { cookie: session } })).body)),
      'B rescheduled the purge')
    await save('access', { 'metricsToken.default': 'on' })
    t.ok(await eventually(async () => await metricsOn(B) === 404), 'the token cleared on A is cleared on B')
  })

  t.test('an instance started later reads the stored values', async (t) => {
    const C = await instance('instance-c')
    t.equal(await maxMessageLengthOn(C), '500')
  })
})
