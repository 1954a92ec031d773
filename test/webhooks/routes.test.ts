import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { build, cookiesOf, joinCookies, login, sameOrigin } from '../helpers/build.ts'
import { signatureValid, webhookReceiver } from '../helpers/webhook-receiver.ts'

/**
 * The Webhooks page (docs/features.md#webhooks): administrators only, every refusal beside
 * its field with nothing stored, Send test event, turning on and off, Redeliver and its race,
 * the address checks at registration and at delivery, and an endpoint turned off after
 * failing, with the administrators told.
 */

t.test('webhooks page', async (t) => {
  let now = Date.now()
  const clock = (): number => now
  const receiver = await webhookReceiver()
  t.teardown(async () => { await receiver.close() })
  // rebound.example resolves to a public address when it is registered, and to the metadata service after.
  let rebound = '93.184.216.34'
  const webhookLookup = async (host: string) => host === 'rebound.example'
    ? [{ address: rebound, family: 4 as const }]
    : host === 'private.example' ? [{ address: '10.0.0.7', family: 4 as const }] : [{ address: '93.184.216.34', family: 4 as const }]
  const settings = { chatStartsPerMinute: 1000, messagesPerMinute: 10000, webhookAllowedHosts: ['127.0.0.1'], webhookDisableAfterFailures: 3 }
  const { app, knex } = await build(t, { pluginOptions: { clock, settings, webhookLookup, instanceName: 'here' } })

  const adminSession = await login(app, 'admin')
  const page = await app.inject({ url: '/livechat/admin/webhooks', headers: { cookie: adminSession } })
  const token = /name="lc-csrf" content="([^"]+)"/.exec(page.body)![1]!
  const adminCookie = joinCookies(adminSession, cookiesOf(page))
  const post = async (url: string, payload: object = {}, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> => await app.inject({
    method: 'POST', url, payload, headers: { cookie: adminCookie, 'x-csrf-token': token, 'hx-request': 'true', ...sameOrigin, ...headers }
  })
  const register = async (fields: Record<string, unknown>) => await post('/livechat/admin/webhooks', { description: 'Test', events: ['chat.queued'], ...fields })
  const endpoints = async () => await knex('lc_webhook_endpoints').orderBy('id')

  t.test('administrators only', async (t) => {
    t.equal(page.statusCode, 200)
    t.match(page.body, /No webhook endpoint yet/)
    const out = await app.inject({ url: '/livechat/admin/webhooks', headers: { accept: 'application/json' } })
    t.equal(out.statusCode, 401)
    const alice = await login(app, 'alice')
    t.equal((await app.inject({ url: '/livechat/admin/webhooks', headers: { cookie: alice } })).statusCode, 403)
    t.equal((await app.inject({ url: '/livechat/admin/webhooks/1', headers: { cookie: alice } })).statusCode, 403)
    const asSam = await register({ url: `${receiver.url}/x` }).then(async () => await post('/livechat/admin/webhooks', { url: `${receiver.url}/y`, events: 'chat.queued' }, { cookie: joinCookies(await login(app, 'sam'), cookiesOf(page)) }))
    t.equal(asSam.statusCode, 403, 'a supervisor may not register')
    const noCsrf = await app.inject({ method: 'POST', url: '/livechat/admin/webhooks', payload: { url: `${receiver.url}/z`, events: 'chat.queued' }, headers: { cookie: adminCookie, ...sameOrigin } })
    t.equal(noCsrf.statusCode, 403)
    const elsewhere = await post('/livechat/admin/webhooks', { url: `${receiver.url}/z`, events: 'chat.queued' }, { origin: 'https://evil.example' })
    t.equal(elsewhere.statusCode, 403)
    t.equal((await endpoints()).length, 1, 'only the administrator\'s own')
  })

  t.test('bad input is refused beside its field, nothing stored', async (t) => {
    const before = (await endpoints()).length
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ url: '' }, 'url', 'LC_ERR_FORM_INVALID'],
      [{ url: 'ftp://example.com/hooks' }, 'url', 'LC_ERR_WEBHOOK_URL'],
      [{ url: 'https://user:secret@example.com/hooks' }, 'url', 'LC_ERR_WEBHOOK_URL'],
      [{ url: 'https://example.com/' + 'x'.repeat(600) }, 'url', 'LC_ERR_FORM_INVALID'],
      [{ url: 'http://127.0.0.2:9000/hooks' }, 'url', 'LC_ERR_WEBHOOK_PRIVATE'],
      [{ url: 'http://169.254.169.254/latest' }, 'url', 'LC_ERR_WEBHOOK_PRIVATE'],
      [{ url: 'https://private.example/hooks' }, 'url', 'LC_ERR_WEBHOOK_PRIVATE'],
      [{ url: 'https://example.com/hooks', events: [] }, 'events', 'LC_ERR_FORM_INVALID'],
      [{ url: 'https://example.com/hooks', events: ['chat.exploded'] }, 'events', 'LC_ERR_FORM_INVALID'],
      [{ url: 'https://example.com/hooks', description: 'd'.repeat(201) }, 'description', 'LC_ERR_FORM_INVALID']
    ]
    for (const [fields, field, code] of cases) {
      const res = await register(fields)
      t.equal(res.statusCode, 422, `${JSON.stringify(fields).slice(0, 60)}`)
      t.match(res.body, new RegExp(`id="lc-webhook-form-${field}-error"[^>]*data-code="${code}"|id="lc-webhook-form-${field === 'events' ? 'events' : field}-error" class="lc-field-error" data-code="${code}"`), `${field}: ${code}`)
    }
    t.match((await register({ url: 'http://10.0.0.1/' })).body, /10\.0\.0\.1 is a private address, where webhooks are not sent/)
    t.equal((await post('/livechat/admin/webhooks', { url: 'https://example.com/', events: 'chat.queued', extra: 'x' })).statusCode, 400, 'a field the form does not have')
    t.equal((await post('/livechat/admin/webhooks/abc/disable')).statusCode, 400)
    t.equal((await post('/livechat/admin/webhooks/0/test')).statusCode, 400)
    t.equal((await post('/livechat/admin/webhooks/999999/test')).statusCode, 404)
    t.equal((await post('/livechat/admin/webhooks/1/deliveries/x/redeliver')).statusCode, 400)
    t.equal((await endpoints()).length, before)
  })

  t.test('register, test event, off and on, redeliver and its race', async (t) => {
    receiver.received.length = 0
    const made = await register({ url: `${receiver.url}/crm`, events: ['chat.queued', 'message.created'], description: 'CRM <b>sync</b>' })
    t.equal(made.statusCode, 200)
    const secret = /data-secret>([^<]+)</.exec(made.body)![1]!
    t.match(made.body, /CRM &lt;b&gt;sync&lt;\/b&gt;/, 'the description is escaped')
    const row = (await endpoints()).at(-1)
    t.match(row, { url: `${receiver.url}/crm`, events: 'chat.queued,message.created', secret, created_by_name: 'Ada Admin' })
    t.ok(row.enabled)

    const tested = await post(`/livechat/admin/webhooks/${row.id}/test`)
    t.equal(tested.statusCode, 200)
    t.match(tested.body, /Delivered: the receiver answered 200/)
    const got = receiver.received.at(-1)!
    t.ok(signatureValid(secret, got))
    t.match(JSON.parse(got.body), { type: 'webhook.test', data: { endpoint: { id: row.id } } })
    t.equal(got.headers['content-type'], 'application/json')

    t.equal((await post(`/livechat/admin/webhooks/${row.id}/disable`)).statusCode, 200)
    const twice = await post(`/livechat/admin/webhooks/${row.id}/disable`)
    t.equal(twice.statusCode, 409)
    t.match(twice.body, /LC_ERR_WEBHOOK_STATE/)
    t.equal((await post(`/livechat/admin/webhooks/${row.id}/test`)).statusCode, 409, 'no test to an endpoint turned off')
    t.equal((await post(`/livechat/admin/webhooks/${row.id}/enable`)).statusCode, 200)

    const delivery = await knex('lc_webhook_deliveries').where({ endpoint_id: row.id }).first()
    // Another instance is sending it this moment.
    await knex('lc_webhook_deliveries').where({ id: delivery.id }).update({ claimed_by: 'there:42', claimed_until: now + 60_000 })
    const busy = await post(`/livechat/admin/webhooks/${row.id}/deliveries/${delivery.id}/redeliver`)
    t.equal(busy.statusCode, 409)
    t.match(busy.body, /being sent right now by instance there:42/)
    await knex('lc_webhook_deliveries').where({ id: delivery.id }).update({ claimed_by: null, claimed_until: null })
    const again = await post(`/livechat/admin/webhooks/${row.id}/deliveries/${delivery.id}/redeliver`)
    t.equal(again.statusCode, 200)
    t.match(again.body, new RegExp(`id="lc-webhook-log-${row.id}"`))
    t.equal(JSON.parse(receiver.received.at(-1)!.body).id, JSON.parse(got.body).id, 'the same event id')
    t.equal((await post(`/livechat/admin/webhooks/${row.id}/deliveries/${delivery.id + 1000}/redeliver`)).statusCode, 404)

    const log = await app.inject({ url: `/livechat/admin/webhooks/${row.id}`, headers: { cookie: adminSession } })
    t.match(log.body, /\(redeliver\): 200 in \d+ ms[\s\S]*\(test\): 200/, 'every attempt, newest first')
    t.notMatch(log.body, secret, 'the log never shows the secret')

    const removed = await post(`/livechat/admin/webhooks/${row.id}/remove`)
    t.equal(removed.statusCode, 200)
    t.notMatch(removed.body, new RegExp(`data-endpoint-id="${row.id}"`))
    t.equal((await post(`/livechat/admin/webhooks/${row.id}/remove`)).statusCode, 404)
  })

  t.test('a name that resolves to a private address by delivery time is refused then, and the endpoint is turned off after failing', async (t) => {
    const made = await register({ url: 'https://rebound.example/hooks', events: ['chat.queued'] })
    t.equal(made.statusCode, 200, 'public when registered')
    const row = (await endpoints()).at(-1)
    rebound = '169.254.169.254'
    for (let i = 1; i <= 3; i++) {
      const res = await post(`/livechat/admin/webhooks/${row.id}/test`)
      if (i < 3) t.match(res.body, /Not delivered: LC_ERR_WEBHOOK_PRIVATE: rebound\.example \(169\.254\.169\.254\) is a link-local address/)
      now += 1000
    }
    const after = (await endpoints()).at(-1)
    t.notOk(after.enabled, 'turned off after 3 failures in a row (webhookDisableAfterFailures)')
    t.match(after.disabled_reason, /Turned off after 3 failed deliveries in a row; the last: LC_ERR_WEBHOOK_PRIVATE/)
    const shown = await app.inject({ url: '/livechat/admin/webhooks', headers: { cookie: adminSession } })
    t.match(shown.body, new RegExp(`data-code="LC_WEBHOOK_TURNED_OFF" data-endpoint-id="${row.id}"`))
    const mail = await knex('mail_outbox').where('subject', 'like', '%webhook turned off%')
    t.match(mail, [{ to_address: 'admin@helpdesk.example', subject: 'Live chat webhook turned off: https://rebound.example/hooks' }])
    t.equal((await post(`/livechat/admin/webhooks/${row.id}/enable`)).statusCode, 200)
    t.equal(Number((await endpoints()).at(-1).failures_in_row), 0, 'turned on, its failures are forgotten')
  })
})
