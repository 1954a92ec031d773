import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { build, formClients, joinCookies, sameOrigin } from '../helpers/build.ts'

/**
 * The settings screen (docs/features.md#settings): generated from the manifest's settings
 * schema, validated by it, stored with its history, applied at once. The test host passes
 * chatStartsPerMinute and messagesPerMinute in code (test/helpers/build.ts): those are fixed.
 */
t.test('settings screen', async (t) => {
  const { app, knex } = await build(t)
  const { client, adminSession, csrfCookie } = await formClients(app, '/livechat/admin/settings')
  const [admin, sam, alice] = [await client('admin'), await client('sam'), await client('alice')]
  const stored = async (): Promise<Array<Record<string, unknown>>> => await knex('lc_settings').orderBy('id').select('name', 'old_value', 'value', 'changed_by_name')
  const metrics = async (secret: string): Promise<number> => (await app.inject({ url: '/livechat/metrics', headers: { authorization: `Bearer ${secret}` } })).statusCode
  /** The queue group's form as the page has it, with `changes` over it. */
  const queueForm = (changes: Record<string, string> = {}) => ({
    maxMessageLength: '10000',
    queuePositionMessage: '{ahead} people are ahead of you',
    queuePositionMessageOne: '1 person is ahead of you',
    queueNextMessage: 'You are next; an agent will be with you shortly',
    queueTimeoutMinutes: '15',
    customerTicketUrl: '/portal/tickets/{ref}',
    ...changes
  })
  const refused = async (t: Test, res: LightMyRequestResponse, setting: string, code: string, message: RegExp): Promise<void> => {
    t.equal(res.statusCode, 422)
    t.match(res.body, new RegExp(`id="lc-setting-${setting}-error"[^>]*data-code="${code}"`), `the reason is beside ${setting}`)
    t.match(res.body, message)
  }

  t.test('GET: 401 signed out, 403 for agents and supervisors, every setting grouped for an administrator', async (t) => {
    const out = await app.inject({ url: '/livechat/admin/settings', headers: { accept: 'application/json' } })
    t.equal(out.statusCode, 401)
    for (const who of [alice, sam]) t.equal((await who.get('/livechat/admin/settings')).statusCode, 403)
    const res = await admin.get('/livechat/admin/settings')
    t.equal(res.statusCode, 200)
    for (const group of ['queue', 'agents', 'limits', 'files', 'retention', 'access']) t.match(res.body, `id="lc-admin-settings-${group}"`)
    t.match(res.body, /data-setting="maxMessageLength" data-source="default"/)
    t.match(res.body, /Longest chat message/)
    t.match(res.body, /Default: <span data-default>10,000<\/span>/)
    // Inputs suited to each schema: a number, a checkbox table of permissions, a row per job, a password.
    t.match(res.body, /name="maxMessageLength" type="text" inputmode="numeric" value="10000"/)
    t.match(res.body, /name="rolePermissions\.role\.0" type="text" value="agent"/)
    t.match(res.body, /name="jobSchedules\.key\.\d+" value="purge"/)
    t.match(res.body, /name="metricsToken" type="password" value=""/)
    t.match(res.body, /<textarea id="lc-setting-allowedFileTypes-input" name="allowedFileTypes"[^>]*>image\/png\n/)
  })

  t.test('GET: values the help desk passes in code show as fixed, with why, and no input', async (t) => {
    const res = await admin.get('/livechat/admin/settings')
    t.match(res.body, /data-setting="chatStartsPerMinute" data-source="fixed"[\s\S]*?Now: <strong data-current>1,000<\/strong>[\s\S]*?Set by the help desk(&#x27;|')s configuration/)
    t.notMatch(res.body, /name="chatStartsPerMinute"/)
    t.notMatch(res.body, /name="messagesPerMinute"/)
  })

  t.test('POST: a good value is stored with its history and applies at once', async (t) => {
    t.equal(await metrics('a-long-random-metrics-secret-0123456789'), 404, 'metrics are off with no token')
    const res = await admin.post('/livechat/admin/settings/access', {
      'rolePermissions.role.0': 'agent',
      'rolePermissions.perm.0': ['livechat.agent', 'livechat.transfer'],
      'rolePermissions.role.1': 'supervisor',
      'rolePermissions.perm.1': ['livechat.agent', 'livechat.transfer', 'livechat.supervise', 'livechat.delete', 'livechat.rooms'],
      'rolePermissions.role.2': 'admin',
      'rolePermissions.perm.2': ['livechat.agent', 'livechat.transfer', 'livechat.supervise', 'livechat.delete', 'livechat.admin', 'livechat.rooms'],
      'rolePermissions.role.3': '',
      'rolePermissions.role.4': '',
      allowedOrigins: '',
      metricsToken: 'a-long-random-metrics-secret-0123456789'
    })
    t.equal(res.statusCode, 200)
    t.match(res.body, /data-code="LC_OK"[\s\S]*Saved and applied on every instance: Metrics token/)
    t.same((await stored()).map((r) => [r.name, r.old_value, r.changed_by_name]), [['metricsToken', null, 'Ada Admin']], 'only what changed is recorded')
    t.equal(await metrics('a-long-random-metrics-secret-0123456789'), 200, 'the new token is in effect without a restart')
    t.match(res.body, /id="lc-admin-settings-history"[\s\S]*data-setting="metricsToken"[\s\S]*set \(hidden\)/, 'the history says who and what, never the secret')
    t.notMatch(res.body, /a-long-random-metrics-secret/)
  })

  t.test('POST: integers, lists and schedules are stored as their types and apply at once', async (t) => {
    let res = await admin.post('/livechat/admin/settings/queue', queueForm({ maxMessageLength: ' 500 ' }))
    t.equal(res.statusCode, 200)
    t.match(res.body, /data-setting="maxMessageLength" data-source="stored"[\s\S]*?Now: <strong data-current>500<\/strong>/)
    t.equal((await knex('lc_settings').where('name', 'maxMessageLength').first()).value, '500')

    res = await admin.post('/livechat/admin/settings/retention', {
      purgeAfterDays: '90',
      purgeBatchSize: '200',
      imInactiveHours: '24',
      ...Object.fromEntries(['presence-sweep', 'customer-gone', 'reoffer', 'purge', 'idle-end', 'queue-timeout', 'im-idle']
        .flatMap((job, i) => [[`jobSchedules.key.${i}`, job], [`jobSchedules.value.${i}`, job === 'purge' ? '0 3 * * *' : '']]))
    })
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    t.equal((await knex('lc_settings').where('name', 'jobSchedules').first()).value, '{"purge":"0 3 * * *"}')
    const jobs = await admin.get('/livechat/admin/jobs')
    t.match(jobs.body, /<code>0 3 \* \* \*<\/code> <small>from the jobSchedules setting<\/small>/, 'the purge is rescheduled without a restart')

    res = await admin.post('/livechat/admin/settings/files', { maxFileBytes: '1048576', allowedFileTypes: 'image/png\r\n\r\n application/pdf ' })
    t.equal(res.statusCode, 200)
    t.equal((await knex('lc_settings').where('name', 'allowedFileTypes').first()).value, '["image/png","application/pdf"]')
  })

  t.test('POST: a bad value comes back beside its field, with what was typed, and nothing is saved', async (t) => {
    const before = await stored()
    await refused(t, await admin.post('/livechat/admin/settings/queue', queueForm({ maxMessageLength: '0' })), 'maxMessageLength', 'LC_ERR_SETTING_INVALID', /Longest chat message must be at least 1/)
    await refused(t, await admin.post('/livechat/admin/settings/queue', queueForm({ maxMessageLength: 'lots' })), 'maxMessageLength', 'LC_ERR_SETTING_INVALID', /must be a whole number/)
    const twoBad = await admin.post('/livechat/admin/settings/queue', queueForm({ queueTimeoutMinutes: '-1', customerTicketUrl: '/tickets/' }))
    await refused(t, twoBad, 'queueTimeoutMinutes', 'LC_ERR_SETTING_INVALID', /Queue timeout \(minutes\) must be at least 0/)
    t.match(twoBad.body, /id="lc-setting-customerTicketUrl-error"/, 'every problem at once')
    t.match(twoBad.body, /name="customerTicketUrl" type="text" value="\/tickets\/"/, 'what was typed is kept')
    await refused(t, await admin.post('/livechat/admin/settings/access', { allowedOrigins: 'helpdesk.example' }), 'allowedOrigins', 'LC_ERR_SETTING_INVALID', /&quot;helpdesk.example&quot; is not a valid uri; write it like https:\/\/helpdesk.example.com/)
    await refused(t, await admin.post('/livechat/admin/settings/access', { 'rolePermissions.role.0': 'night shift', 'rolePermissions.perm.0': 'livechat.agent' }),
      'rolePermissions', 'LC_ERR_SETTING_INVALID', /&quot;night shift&quot; is not a name allowed here/)
    await refused(t, await admin.post('/livechat/admin/settings/access', { 'rolePermissions.role.0': 'agent', 'rolePermissions.perm.0': 'livechat.everything' }),
      'rolePermissions', 'LC_ERR_SETTING_INVALID', /&quot;livechat.everything&quot; is not one of/)
    await refused(t, await admin.post('/livechat/admin/settings/retention', { 'jobSchedules.key.0': 'purge', 'jobSchedules.value.0': '61 * * * *' }),
      'jobSchedules', 'LC_ERR_SETTING_INVALID', /The purge job cannot be scheduled: &quot;61 \* \* \* \*&quot;/)
    await refused(t, await admin.post('/livechat/admin/settings/files', { allowedFileTypes: 'pdf' }), 'allowedFileTypes', 'LC_ERR_SETTING_INVALID', /&quot;pdf&quot; is not in the form this setting needs; write it like application\/pdf/)
    t.same(await stored(), before)
  })

  t.test('POST: a fixed setting cannot be changed here', async (t) => {
    const before = await stored()
    const res = await admin.post('/livechat/admin/settings/limits', { chatStartsPerMinute: '5', chatStartsPerCustomerPerMinute: '5' })
    t.equal(res.statusCode, 422)
    t.match(res.body, /data-code="LC_ERR_SETTING_FIXED"/)
    t.same(await stored(), before)
  })

  t.test('POST: Use the default puts a setting back, recorded in the history', async (t) => {
    const res = await admin.post('/livechat/admin/settings/queue', queueForm({ maxMessageLength: '500', 'maxMessageLength.default': 'on' }))
    t.equal(res.statusCode, 200)
    t.match(res.body, /data-setting="maxMessageLength" data-source="default"[\s\S]*?Now: <strong data-current>10,000<\/strong>/)
    const last = await knex('lc_settings').where('name', 'maxMessageLength').orderBy('id', 'desc').first()
    t.same([last.old_value, last.value], ['500', null])
    t.match(res.body, /data-setting="maxMessageLength"><td>[^]*?<td>Ada Admin<\/td><th scope="row">Longest chat message<\/th><td>500<\/td><td>the default \(10,000\)<\/td>/)
    const again = await admin.post('/livechat/admin/settings/queue', queueForm())
    t.match(again.body, /Nothing to change/)
  })

  t.test('POST: refused for agents, supervisors and forms without their token; nothing is saved', async (t) => {
    const before = await stored()
    for (const who of [alice, sam]) t.equal((await who.post('/livechat/admin/settings/queue', queueForm({ maxMessageLength: '5' }))).statusCode, 403)
    const forged = await app.inject({ method: 'POST', url: '/livechat/admin/settings/queue', payload: queueForm({ maxMessageLength: '5' }), headers: { cookie: joinCookies(adminSession, csrfCookie), 'hx-request': 'true', ...sameOrigin } })
    t.equal(forged.statusCode, 403)
    t.equal((await admin.post('/livechat/admin/settings/nope', {})).statusCode, 404)
    t.same(await stored(), before)
  })
})
