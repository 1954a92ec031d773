import { readFile } from 'node:fs/promises'
import t from 'tap'
import { loadManifest, permissionsFor } from '../../demo-host/plugins.ts'
import { build, login, origin } from './helpers.ts'

const manifest = JSON.parse(await readFile(new URL('../../manifest.json', import.meta.url), 'utf8'))

t.test('plugins page', async (t) => {
  const { app, knex } = await build(t)
  const admin = await login(app, 'admin')

  t.test('lists the manifest: name, id, version, prefix, permissions, navigation, jobs', async (t) => {
    const res = await app.inject({ url: '/admin/plugins', headers: { cookie: admin } })
    t.equal(res.statusCode, 200)
    t.match(res.body, manifest.name)
    t.match(res.body, `<code>${manifest.id}</code>`)
    t.match(res.body, manifest.version)
    t.match(res.body, `<code>${manifest.routePrefix}</code>`)
    for (const p of manifest.permissions) t.match(res.body, `<code>${p.id}</code>`)
    // Handlebars escapes the "=" of a query string.
    for (const n of manifest.navigation) t.match(res.body, `<code>${n.href.replaceAll('=', '&#x3D;')}</code>`)
    for (const j of manifest.jobs) t.match(res.body, `<code>${j.id}</code>`)
    t.match(res.body, '>Enabled<')
    t.match(res.body, /<form method="post" action="\/admin\/plugins\/livechat\/disable">/)
  })

  t.test('the installed version is recorded in host_plugins', async (t) => {
    const row = await knex('host_plugins').where({ id: manifest.id }).first()
    t.equal(row.installed_version, manifest.version)
    t.equal(Number(row.enabled), 1)
  })

  t.test('disable: routes answer 404 and navigation entries disappear; enable brings them back', async (t) => {
    const agent = await login(app, 'alice')
    const before = await app.inject({ url: '/livechat/start' })
    t.not(before.statusCode, 404, 'plugin route answers while enabled')

    const off = await app.inject({ method: 'POST', url: '/admin/plugins/livechat/disable', headers: { cookie: admin, origin } })
    t.equal(off.statusCode, 303)
    t.equal(off.headers.location, '/admin/plugins')
    t.equal(Number((await knex('host_plugins').where({ id: 'livechat' }).first('enabled')).enabled), 0)

    for (const url of ['/livechat/start', '/livechat/console', '/livechat/portal/link']) {
      const res = await app.inject({ url, headers: { cookie: agent } })
      t.equal(res.statusCode, 404, url)
      t.match(res.body, 'Page not found', 'the host 404 page')
    }
    t.notMatch((await app.inject({ url: '/desk', headers: { cookie: agent } })).body, '/livechat/console')
    t.notMatch((await app.inject('/portal')).body, 'Chat with us')
    t.match((await app.inject({ url: '/admin/plugins', headers: { cookie: admin } })).body, '>Disabled<')

    const on = await app.inject({ method: 'POST', url: '/admin/plugins/livechat/enable', headers: { cookie: admin, origin } })
    t.equal(on.statusCode, 303)
    const after = await app.inject({ url: '/livechat/start' })
    t.equal(after.statusCode, before.statusCode, 'plugin route answers again')
    t.match((await app.inject({ url: '/desk', headers: { cookie: agent } })).body, '<a href="/livechat/console">Live Chat</a>')
    t.match((await app.inject('/portal')).body, 'Chat with us')
  })

  t.test('an unknown plugin or action gets 404', async (t) => {
    t.equal((await app.inject({ method: 'POST', url: '/admin/plugins/nope/disable', headers: { cookie: admin, origin } })).statusCode, 404)
    t.equal((await app.inject({ method: 'POST', url: '/admin/plugins/livechat/remove', headers: { cookie: admin, origin } })).statusCode, 404)
  })
})

t.test('manifest loading', async (t) => {
  t.test('reads the plugin manifest', async (t) => {
    const m = await loadManifest()
    t.equal(m.id, manifest.id)
    t.equal(m.migrations.tableName, 'lc_knex_migrations')
  })

  t.test('refuses a manifest without the fields the host needs', async (t) => {
    const dir = t.testdir({
      'no-id.json': JSON.stringify({ ...manifest, id: undefined }),
      'bad-prefix.json': JSON.stringify({ ...manifest, routePrefix: 'livechat' }),
      'no-migrations.json': JSON.stringify({ ...manifest, migrations: undefined })
    })
    await t.rejects(loadManifest(`${dir}/no-id.json`), /"id"/)
    await t.rejects(loadManifest(`${dir}/bad-prefix.json`), /"routePrefix"/)
    await t.rejects(loadManifest(`${dir}/no-migrations.json`), /"migrations"/)
  })

  t.test('maps host roles to plugin permissions from the settings default', async (t) => {
    const m = await loadManifest()
    t.same([...permissionsFor(m, ['agent'])].sort(), ['livechat.agent', 'livechat.transfer'])
    t.ok(permissionsFor(m, ['admin']).has('livechat.admin'))
    t.equal(permissionsFor(m, ['customer']).size, 0)
    t.equal(permissionsFor(m, ['constructor', '__proto__']).size, 0, 'no prototype keys')
  })
})
