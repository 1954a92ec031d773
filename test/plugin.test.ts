import websocket from '@fastify/websocket'
import Fastify from 'fastify'
import t from 'tap'
import liveChat from '../plugin/index.ts'
import { loadManifest, validateManifest } from '../plugin/manifest.ts'
import { resolveSettings } from '../plugin/settings.ts'
import { sqlHost } from '../plugin/host/sql-host.ts'
import { prepareDatabase } from '../demo-host/setup.ts'
import { testDatabase } from './helpers/db.ts'

t.test('manifest', async (t) => {
  const manifest = loadManifest()

  t.test('the shipped manifest validates against its schema', async (t) => {
    t.equal(manifest.id, 'livechat')
    t.equal(manifest.routePrefix, '/livechat')
    t.same(manifest.permissions.map((p) => p.id), ['livechat.agent', 'livechat.transfer', 'livechat.supervise', 'livechat.delete', 'livechat.admin', 'livechat.rooms'])
    t.ok(manifest.navigation.some((n) => n.area === 'portal' && n.label === 'Chat with us'))
    t.ok(manifest.jobs.length > 0)
  })

  t.test('a bad manifest is refused with the field and what is allowed', async (t) => {
    t.throws(() => validateManifest({ ...manifest, routePrefix: 'livechat' }), { code: 'LC_ERR_MANIFEST_INVALID', message: /routePrefix has characters that are not allowed/ })
    t.throws(() => validateManifest({ ...manifest, host: { ...manifest.host, times: 'unix' } }), { message: /host.times must be one of: epoch_ms, datetime/ })
    const { navigation: _, ...missing } = manifest
    t.throws(() => validateManifest(missing), { message: /navigation is required/ })
    t.throws(() => validateManifest({ ...manifest, extra: 1 }), { message: /"extra" is not a known field/ })
    t.throws(() => validateManifest({ ...manifest, host: { ...manifest.host, tickets: { ...manifest.host!.tickets, requesterEmail: 7 } } }), { message: /host.tickets.requesterEmail must be string/ })
    t.throws(() => validateManifest({ ...manifest, host: { ...manifest.host, tickets: { ...manifest.host!.tickets, channel: 'chan nel' } } }), { message: /host.tickets.channel has characters that are not allowed/ })
    t.throws(() => loadManifest('/nonexistent/manifest.json'), { code: 'LC_ERR_MANIFEST_INVALID' })
  })

  t.test('settings get their defaults, and bad settings name the setting and what it may be', async (t) => {
    const settings = resolveSettings(manifest, {})
    t.equal(settings.maxMessageLength, 10000)
    t.equal(settings.heartbeatTimeoutSeconds, 60)
    t.same(settings.rolePermissions.agent, ['livechat.agent', 'livechat.transfer'])
    t.throws(() => resolveSettings(manifest, { maxMessageLength: 20000 }), { code: 'LC_ERR_SETTINGS_INVALID', message: /maxMessageLength can be at most 10000/ })
    t.throws(() => resolveSettings(manifest, { rolePermissions: { agent: ['livechat.everything'] } }), { message: /must be one of: livechat.agent, livechat.transfer/ })
    t.throws(() => resolveSettings(manifest, { colour: 'blue' }), { message: /settings: "colour" is not a known field/ })
  })
})

t.test('plugin registration', async (t) => {
  const { knex, drop } = await testDatabase()
  t.teardown(drop)
  await prepareDatabase(knex)
  const host = sqlHost(knex, loadManifest().host)

  t.test('refuses to start with bad settings, naming the setting', async (t) => {
    const app = Fastify()
    app.register(liveChat, { prefix: '/livechat', knex, host, settings: { heartbeatTimeoutSeconds: 1 }, jobs: false })
    await t.rejects(async () => { await app.ready() }, { code: 'LC_ERR_SETTINGS_INVALID', message: /heartbeatTimeoutSeconds must be at least 10/ })
  })

  t.test('uses the host\'s @fastify/websocket when it has one: one upgrade listener, not two', async (t) => {
    const app = Fastify()
    await app.register(websocket)
    await app.register(liveChat, { prefix: '/livechat', knex, host, jobs: false })
    await app.ready()
    t.teardown(() => app.close())
    t.equal(app.server.listenerCount('upgrade'), 1)
  })

  t.test('registers @fastify/websocket itself when the host has not', async (t) => {
    const app = Fastify()
    await app.register(liveChat, { prefix: '/livechat', knex, host, jobs: false })
    await app.ready()
    t.teardown(() => app.close())
    t.equal(app.server.listenerCount('upgrade'), 1)
  })

  t.test('keeps its validator, error handler and decorators to itself', async (t) => {
    const app = Fastify()
    app.post('/host/echo', { schema: { body: { type: 'object', properties: { a: { type: 'string' } } } } }, async (req) => req.body)
    await app.register(liveChat, { prefix: '/livechat', knex, host, jobs: false })
    await app.ready()
    t.teardown(() => app.close())
    const res = await app.inject({ method: 'POST', url: '/host/echo', payload: { a: 'x', b: 1 } })
    t.equal(res.statusCode, 200, 'the host\'s default Ajv still applies to the host\'s routes')
    t.notOk(app.hasReplyDecorator('lcView'), 'our view decorator stays in our scope')
    const notFound = await app.inject({ url: '/elsewhere' })
    t.notMatch(notFound.body, /live chat/i, 'our 404 page is ours only')
  })
})
