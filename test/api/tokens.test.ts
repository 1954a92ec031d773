import { createHash } from 'node:crypto'
import t from 'tap'
import { loadManifest } from '../../plugin/manifest.ts'
import { apiClient, tokenAdmin } from '../helpers/api.ts'
import { build, csrf, login } from '../helpers/build.ts'

t.test('API tokens', async (t) => {
  let now = Date.now()
  const clock = (): number => now
  const { app, knex } = await build(t, { pluginOptions: { clock, settings: { chatStartsPerMinute: 1000, messagesPerMinute: 10000, apiCallsPerMinute: 5 } } })
  const { admin, client, create } = await tokenAdmin(app)
  const rows = async () => await knex('lc_api_tokens').orderBy('id')
  const csrfOf = async (cookie: string) => await csrf(app, cookie, '/livechat/admin/jobs')

  t.test('the page: administrators only, reachable from the manifest\'s admin navigation', async (t) => {
    const out = await app.inject({ url: '/livechat/admin/api-tokens', headers: { accept: 'application/json' } })
    t.equal(out.statusCode, 401)
    t.equal(out.json().code, 'LC_ERR_UNAUTHENTICATED')
    const sam = await app.inject({ url: '/livechat/admin/api-tokens', headers: { cookie: await login(app, 'sam') } })
    t.equal(sam.statusCode, 403)
    t.match(sam.body, 'data-code="LC_ERR_FORBIDDEN"')
    const page = await admin.get('/livechat/admin/api-tokens')
    t.equal(page.statusCode, 200)
    t.match(page.body, /No API tokens yet/)
    t.match(page.body, /name="scopes" value="messages:write"/)
    const entry = loadManifest().navigation.find((n) => n.id === 'admin-api-tokens')
    t.match(entry, { area: 'admin', href: '/livechat/admin/api-tokens', permission: 'livechat.admin' })
    const refused = await (await client('sam')).post('/livechat/admin/api-tokens', { name: 'x', scopes: 'admin', actsAs: 'integration' })
    t.equal(refused.statusCode, 403, 'a supervisor may not create one')
    const noCsrf = await admin.post('/livechat/admin/api-tokens', { name: 'x', scopes: 'admin', actsAs: 'integration' }, { 'x-csrf-token': 'forged' })
    t.equal(noCsrf.statusCode, 403)
    t.match(noCsrf.body, 'LC_ERR_CSRF')
    t.same(await rows(), [])
  })

  t.test('a bad form comes back with the reasons beside its fields, and nothing is stored', async (t) => {
    const cases: Array<{ name: string, body: object, field: string, code: string, message?: RegExp }> = [
      { name: 'no name', body: { name: ' ', scopes: 'admin', actsAs: 'integration' }, field: 'name', code: 'LC_ERR_FORM_INVALID', message: /Name the system/ },
      { name: 'no scope', body: { name: 'CRM', actsAs: 'integration' }, field: 'scopes', code: 'LC_ERR_FORM_INVALID', message: /Tick at least one scope/ },
      { name: 'unknown scope', body: { name: 'CRM', scopes: ['chats:read', 'root'], actsAs: 'integration' }, field: 'scopes', code: 'LC_ERR_FORM_INVALID' },
      { name: 'agent without username', body: { name: 'CRM', scopes: 'admin', actsAs: 'agent', username: '' }, field: 'username', code: 'LC_ERR_FORM_INVALID', message: /Give the username/ },
      { name: 'unknown username', body: { name: 'CRM', scopes: 'admin', actsAs: 'agent', username: 'nobody' }, field: 'username', code: 'LC_ERR_USER_NOT_FOUND' },
      { name: 'a customer', body: { name: 'CRM', scopes: 'admin', actsAs: 'agent', username: 'dana' }, field: 'username', code: 'LC_ERR_NOT_AN_AGENT' },
      { name: 'a bad range', body: { name: 'CRM', scopes: 'admin', actsAs: 'integration', ipAllow: '203.0.113.0/24\noffice' }, field: 'ipAllow', code: 'LC_ERR_API_RANGE', message: /office is not an address/ },
      { name: 'host bits', body: { name: 'CRM', scopes: 'admin', actsAs: 'integration', ipAllow: '203.0.113.7/24' }, field: 'ipAllow', code: 'LC_ERR_API_RANGE', message: /did you mean 203\.0\.113\.0\/24/ },
      { name: 'unknown expiry', body: { name: 'CRM', scopes: 'admin', actsAs: 'integration', expires: 'forever' }, field: 'expires', code: 'LC_ERR_FORM_INVALID' }
    ]
    for (const c of cases) {
      const res = await admin.post('/livechat/admin/api-tokens', c.body)
      t.equal(res.statusCode, 422, c.name)
      t.match(res.body, new RegExp(`id="lc-api-token-form-${c.field}-error" class="lc-field-error" data-code="${c.code}"`), `${c.name}: beside ${c.field}`)
      if (c.message) t.match(res.body, c.message, c.name)
      t.notMatch(res.body, 'lc-secret', `${c.name}: no token`)
    }
    const body = await admin.post('/livechat/admin/api-tokens', { name: 'CRM', scopes: 'admin', actsAs: 'integration', extra: 'x' })
    t.equal(body.statusCode, 400, 'a field the form does not have')
    t.same(await rows(), [])
  })

  t.test('a token is shown once and kept only as its SHA-256', async (t) => {
    const { secret, id, res } = await create({ name: 'CRM <sync>', scopes: ['chats:read', 'messages:write'], actsAs: 'agent', username: 'alice', ipAllow: '127.0.0.1\n10.1.0.0/16' })
    t.equal(res.statusCode, 200)
    t.match(res.body, /Token "CRM &lt;sync&gt;" created/, 'the name is escaped')
    t.match(secret, /^lc_[A-Za-z0-9_-]{43}$/)
    const [row] = await rows()
    t.equal(row.id, id)
    t.equal(row.token_hash, createHash('sha256').update(secret).digest('hex'))
    t.notOk(JSON.stringify(row).includes(secret.slice(3)), 'the token itself is stored nowhere')
    t.equal(row.scopes, 'chats:read messages:write')
    t.equal(row.ip_allow, '127.0.0.1 10.1.0.0/16')
    t.equal(row.agent_name, 'Alice Adams')
    const page = await admin.get('/livechat/admin/api-tokens')
    t.notMatch(page.body, secret, 'the page never shows it again')
    t.match(page.body, new RegExp(`data-token-id="${id}" data-state="active"`))
    t.match(page.body, /Alice Adams/)
    t.match(page.body, /Last used<\/dt><dd>Never/)
  })

  t.test('authorization: no token, unknown, scope, address, expired, revoked; each refusal with a token is recorded', async (t) => {
    const reader = await create({ name: 'Reader', scopes: 'chats:read', ipAllow: '127.0.0.1\n2001:db8::/32' })
    const expiring = await create({ name: 'Short', scopes: 'chats:read', expires: '30d' })
    const call = async (secret: string | null, method: 'GET' | 'POST', path: string, remoteAddress = '127.0.0.1', headers: Record<string, string> = {}) =>
      await apiClient(app, secret)(method, path, { remoteAddress, headers, ...(method === 'POST' ? { body: {} } : {}) })
    const expect = async (res: Awaited<ReturnType<typeof call>>, status: number, code: string, what: string) => {
      t.equal(res.statusCode, status, what)
      t.equal(res.json().code, code, what)
      t.match(res.headers['content-type'], /application\/json/, `${what}: JSON`)
    }
    await expect(await call(null, 'GET', '/chats'), 401, 'LC_ERR_API_TOKEN', 'no token')
    await expect(await call('lc_' + 'x'.repeat(43), 'GET', '/chats'), 401, 'LC_ERR_API_TOKEN', 'unknown token')
    await expect(await call(null, 'GET', '/chats', '127.0.0.1', { authorization: `Basic ${reader.secret}` }), 401, 'LC_ERR_API_TOKEN', 'not a bearer token')
    // The host's own session never authenticates the API.
    await expect(await call(null, 'GET', '/chats', '127.0.0.1', { cookie: await login(app, 'admin') }), 401, 'LC_ERR_API_TOKEN', 'a host session')
    t.equal((await call(reader.secret, 'GET', '/chats')).statusCode, 200, 'from an allowed address')
    t.equal((await call(reader.secret, 'GET', '/chats', '2001:db8::7')).statusCode, 200, 'from an allowed range')
    await expect(await call(reader.secret, 'GET', '/chats', '198.51.100.9'), 403, 'LC_ERR_API_ADDRESS', 'from elsewhere')
    // Scope by route: the reader may read, never write.
    const matrix: Array<['GET' | 'POST', string, string]> = [
      ['POST', '/chats/1/messages', 'messages:write'],
      ['POST', '/chats/1/end', 'messages:write'],
      ['POST', '/chats/1/comments', 'messages:write'],
      ['POST', '/chats/1/transfer', 'routing:manage'],
      ['POST', '/chats/1/delete', 'admin'],
      ['POST', '/chats/1/undelete', 'admin']
    ]
    for (const [method, path, scope] of matrix) {
      const res = await call(reader.secret, method, path)
      await expect(res, 403, 'LC_ERR_API_SCOPE', `${method} ${path} without ${scope}`)
      t.match(res.json().message, scope)
    }
    now += 31 * 86_400_000
    await expect(await call(expiring.secret, 'GET', '/groups'), 401, 'LC_ERR_API_TOKEN_EXPIRED', 'expired')
    now -= 31 * 86_400_000
    const revoked = await admin.post(`/livechat/admin/api-tokens/${reader.id}/revoke`)
    t.equal(revoked.statusCode, 200)
    t.match(revoked.body, new RegExp(`data-token-id="${reader.id}" data-state="revoked"`))
    const again = await admin.post(`/livechat/admin/api-tokens/${reader.id}/revoke`)
    t.equal(again.statusCode, 409)
    t.match(again.body, /LC_ERR_API_TOKEN_ALREADY_REVOKED/)
    t.match(again.body, /already revoked by Ada Admin/)
    t.equal((await admin.post('/livechat/admin/api-tokens/9999/revoke')).statusCode, 404)
    const gone = await call(reader.secret, 'GET', '/chats')
    await expect(gone, 401, 'LC_ERR_API_TOKEN_REVOKED', 'revoked')
    t.match(gone.json().message, /revoked by Ada Admin/)
    const calls = await knex('lc_api_calls').where({ token_id: reader.id }).orderBy('id')
    t.same(calls.map((c) => [c.method, c.route, Number(c.status)]), [
      ['GET', '/livechat/api/v1/chats', 200],
      ['GET', '/livechat/api/v1/chats', 200],
      ['GET', '/livechat/api/v1/chats', 403],
      ...matrix.map(([method, path]) => [method, `/livechat/api/v1${path.replace('/1/', '/:id/')}`, 403]),
      ['GET', '/livechat/api/v1/chats', 401]
    ], 'every call with the token, refused ones too, by route as declared')
    const page = await admin.get(`/livechat/admin/api-tokens/${reader.id}`)
    t.equal(page.statusCode, 200)
    t.match(page.body, /<code>POST \/livechat\/api\/v1\/chats\/:id\/delete<\/code>/)
    t.match(page.body, /Revoked by Ada Admin/)
    t.match(page.body, /2001:db8::7/)
    t.equal((await admin.get('/livechat/admin/api-tokens/9999')).statusCode, 404)
  })

  t.test('a token acting as an agent loses its reach with the agent\'s role; one acting as the integration cannot post', async (t) => {
    const asCarol = await create({ name: 'Carol bot', scopes: ['chats:read', 'messages:write'], actsAs: 'agent', username: 'carol' })
    const integration = await create({ name: 'Integration', scopes: 'messages:write' })
    const posted = await apiClient(app, integration.secret)('POST', '/chats/1/messages', { body: { text: 'hi' } })
    t.equal(posted.statusCode, 403)
    t.equal(posted.json().code, 'LC_ERR_API_AGENT')
    await knex('users').where({ username: 'carol' }).update({ roles: 'customer' })
    t.teardown(async () => { await knex('users').where({ username: 'carol' }).update({ roles: 'agent' }) })
    const refused = await apiClient(app, asCarol.secret)('GET', '/chats')
    t.equal(refused.statusCode, 403)
    t.equal(refused.json().code, 'LC_ERR_API_AGENT')
    t.match(refused.json().message, /Carol Chen, the agent this token acts as, is no longer a live chat agent/)
  })

  t.test('the api-calls job removes call records older than apiCallRetentionDays, and nothing newer', async (t) => {
    const { secret, id } = await create({ name: 'Old calls', scopes: 'chats:read' })
    const day = 86_400_000
    await knex('lc_api_calls').insert([91, 89].map((age) => ({ token_id: id, method: 'GET', route: '/livechat/api/v1/groups', status: 200, at: now - age * day, ip: '127.0.0.1', replayed: false })))
    t.equal((await apiClient(app, secret)('GET', '/departments')).statusCode, 200)
    const jobs = await client('admin')
    const { token } = await csrfOf(jobs.cookie)
    const run = await app.inject({ method: 'POST', url: '/livechat/admin/jobs/api-calls/run', headers: { cookie: jobs.cookie, 'x-csrf-token': token, 'hx-request': 'true', origin: 'http://localhost' } })
    t.equal(run.statusCode, 200)
    const left = await knex('lc_api_calls').where({ token_id: id }).orderBy('at')
    t.same(left.map((c) => Math.round((now - Number(c.at)) / day)), [89, 0], 'the 91-day-old record went')
    const runs = await knex('lc_job_runs').where({ job: 'api-calls' })
    t.match(runs.at(-1), { rows: 1 })
  })

  t.test('rate limited per token: another token is not held back', async (t) => {
    const one = await create({ name: 'Busy', scopes: 'chats:read' })
    const two = await create({ name: 'Quiet', scopes: 'chats:read' })
    const statuses: number[] = []
    for (let i = 0; i < 6; i++) statuses.push((await apiClient(app, one.secret)('GET', '/groups')).statusCode)
    t.same(statuses, [200, 200, 200, 200, 200, 429])
    const limited = await apiClient(app, one.secret)('GET', '/groups')
    t.equal(limited.json().code, 'LC_ERR_RATE_LIMITED')
    t.ok(Number(limited.headers['retry-after']) > 0, 'says when to come back')
    t.equal((await apiClient(app, two.secret)('GET', '/groups')).statusCode, 200)
    const last = await knex('lc_api_tokens').where({ id: one.id }).first()
    t.ok(Number(last.last_used_at) > 0, 'last used is kept')
    t.equal(last.last_used_ip, '127.0.0.1')
  })
})
