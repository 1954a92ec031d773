import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import { agentSession, build, cookiesOf, csrf, joinCookies, login, openSocket, sameOrigin, startChat } from '../helpers/build.ts'
import { expectRefused } from '../helpers/sockets.ts'

const hour = 3_600_000

t.test('block list', async (t) => {
  // Two instances on one database and one bus, with one pinned clock: a change made on one
  // reaches the other over the bus, not by the cache running out. The second trusts its
  // proxy, so the client's own address comes from X-Forwarded-For there.
  let now = Date.now()
  const clock = (): number => now
  const bus = memoryBus()
  const settings = { chatStartsPerMinute: 1000, messagesPerMinute: 10000 }
  const { app, knex, url } = await build(t, { listen: true, pluginOptions: { bus, clock } })
  const other: FastifyInstance = await buildDemoHost({ knex, logger: false, trustProxy: true, pluginOptions: { jobs: false, bus, clock, settings } })
  await other.ready()
  t.teardown(async () => { await other.close() })

  const adminSession = await login(app, 'admin')
  const page = await app.inject({ url: '/livechat/admin/blocklist', headers: { cookie: adminSession } })
  const token = /name="lc-csrf" content="([^"]+)"/.exec(page.body)![1]!
  const adminCookie = joinCookies(adminSession, cookiesOf(page))
  const post = async (url: string, payload: object = {}, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> => await app.inject({
    method: 'POST', url, payload, headers: { cookie: adminCookie, 'x-csrf-token': token, 'hx-request': 'true', ...sameOrigin, ...headers }
  })
  const block = async (range: string, reason = 'Spam from this network', expires = 'never') => await post('/livechat/admin/blocklist', { range, reason, expires })
  const rows = async () => await knex('lc_blocked_addresses').orderBy('id')
  const idOf = async (range: string): Promise<number> => Number((await knex('lc_blocked_addresses').where({ range }).whereNull('removed_at').first()).id)

  // A customer's form, with a CSRF pair taken from an address that is not blocked.
  const customer = await csrf(app, '')
  const asCustomer = async (target: FastifyInstance, method: 'GET' | 'POST', path: string, from: { remoteAddress?: string, forwarded?: string }, payload?: object) => await target.inject({
    method,
    url: path,
    remoteAddress: from.remoteAddress ?? '127.0.0.1',
    headers: { cookie: customer.cookie, ...sameOrigin, ...(from.forwarded ? { 'x-forwarded-for': from.forwarded } : {}) },
    ...(payload ? { payload: { ...payload, _csrf: customer.token } } : {})
  })
  const prechat = { name: 'Dana Doyle', email: 'dana@customer.example', question: 'Printer jammed again' }

  t.test('the page: administrators only, reachable from the manifest\'s admin navigation', async (t) => {
    const out = await app.inject({ url: '/livechat/admin/blocklist', headers: { accept: 'application/json' } })
    t.equal(out.statusCode, 401)
    t.equal(out.json().code, 'LC_ERR_UNAUTHENTICATED')
    const alice = await app.inject({ url: '/livechat/admin/blocklist', headers: { cookie: await login(app, 'alice') } })
    t.equal(alice.statusCode, 403)
    t.match(alice.body, 'data-code="LC_ERR_FORBIDDEN"')
    t.equal(page.statusCode, 200)
    t.match(page.body, /Nothing is blocked/)
    t.match(page.body, /No address has been blocked yet/)
    const entry = loadManifest().navigation.find((n) => n.id === 'admin-blocklist')
    t.match(entry, { area: 'admin', href: '/livechat/admin/blocklist', permission: 'livechat.admin' })
    const refused = await post('/livechat/admin/blocklist', { range: '203.0.113.7', reason: 'x' }, { cookie: joinCookies(await login(app, 'sam'), cookiesOf(page)) })
    t.equal(refused.statusCode, 403, 'a supervisor may not add')
    t.same(await rows(), [])
  })

  t.test('a bad form comes back with the reasons beside its fields, and nothing is stored', async (t) => {
    const cases: Array<{ name: string, body: object, field: string, code: string, message?: RegExp }> = [
      { name: 'empty address', body: { range: '', reason: 'x' }, field: 'range', code: 'LC_ERR_FORM_INVALID', message: /Address or range is required/ },
      { name: 'not an address', body: { range: 'office printer', reason: 'x' }, field: 'range', code: 'LC_ERR_BLOCK_RANGE' },
      { name: 'bits past the prefix', body: { range: '203.0.113.7/24', reason: 'x' }, field: 'range', code: 'LC_ERR_BLOCK_RANGE_HOST_BITS', message: /or the range as 203\.0\.113\.0\/24/ },
      { name: 'too wide', body: { range: '::/8', reason: 'x' }, field: 'range', code: 'LC_ERR_BLOCK_RANGE_WIDE', message: /at most a \/16 of IPv6/ },
      { name: 'no reason', body: { range: '203.0.113.7', reason: '  ' }, field: 'reason', code: 'LC_ERR_FORM_INVALID', message: /Say why/ },
      { name: 'long reason', body: { range: '203.0.113.7', reason: 'x'.repeat(201) }, field: 'reason', code: 'LC_ERR_FORM_INVALID', message: /at most 200 characters/ },
      { name: 'unknown expiry', body: { range: '203.0.113.7', reason: 'x', expires: 'forever' }, field: 'expires', code: 'LC_ERR_FORM_INVALID' }
    ]
    for (const c of cases) {
      const res = await post('/livechat/admin/blocklist', c.body)
      t.equal(res.statusCode, 422, c.name)
      t.match(res.body, new RegExp(`id="lc-blocklist-form-${c.field}-error" class="lc-field-error" data-code="${c.code}"`), `${c.name}: beside ${c.field}`)
      if (c.message) t.match(res.body, c.message, c.name)
      t.match(res.body, 'value="', `${c.name}: what was typed is kept`)
    }
    const both = await post('/livechat/admin/blocklist', { range: 'nope', reason: '' })
    t.match(both.body, /lc-blocklist-form-range-error/)
    t.match(both.body, /lc-blocklist-form-reason-error/, 'every problem at once')
    const noCsrf = await post('/livechat/admin/blocklist', { range: '203.0.113.7', reason: 'x' }, { 'x-csrf-token': '' })
    t.equal(noCsrf.statusCode, 403)
    t.match(noCsrf.body, 'data-code="LC_ERR_CSRF"')
    const extra = await post('/livechat/admin/blocklist', { range: '203.0.113.7', reason: 'x', note: 'y' })
    t.equal(extra.statusCode, 400, 'a field the form has not')
    t.same(await rows(), [], 'nothing stored')
  })

  t.test('adding: listed, in the history with who and when, and refused twice however it is written', async (t) => {
    const res = await block('203.0.113.0/24', 'Scripted chats <b>flooding</b> the queue')
    t.equal(res.statusCode, 200)
    t.match(res.body, '203.0.113.0/24 is blocked')
    t.match(res.body, /id="lc-blocklist"/)
    t.match(res.body, /<tr data-action="added" data-block-id="\d+">/)
    t.match(res.body, 'Scripted chats &lt;b&gt;flooding&lt;/b&gt; the queue', 'the reason is escaped')
    t.match(res.body, 'Ada Admin')
    const [row] = await rows()
    t.match(row, { range: '203.0.113.0/24', added_by_name: 'Ada Admin', expires_at: null, removed_at: null })
    t.equal(Number(row.added_at), now)
    const again = await block('203.0.113.0/24')
    t.equal(again.statusCode, 422)
    t.match(again.body, /data-code="LC_ERR_BLOCK_EXISTS"/)
    t.match(again.body, /already blocked \(added by Ada Admin\)/)
    t.equal((await rows()).length, 1)
    const v6 = await block('2001:DB8:0::/32')
    t.match(v6.body, '2001:db8::/32 is blocked', 'kept in its canonical spelling')
    t.equal((await block('2001:db8::/32')).statusCode, 422, 'the same range written another way')
  })

  t.test('a blocked client cannot start a chat, ask, leave a message or open a window; agents and the portal link are untouched', async (t) => {
    const from = { remoteAddress: '203.0.113.9' }
    const chats = (await knex('lc_chats').count({ n: '*' }))[0]!.n
    const deflections = (await knex('lc_kb_deflections').count({ n: '*' }))[0]!.n
    const refusals: Array<[string, 'GET' | 'POST', string, object?]> = [
      ['the pre-chat form', 'GET', '/livechat/start'],
      ['starting a chat', 'POST', '/livechat/start', prechat],
      ['continuing to chat', 'POST', '/livechat/start/continue', prechat],
      ['"this answered my question"', 'POST', '/livechat/start/answered', { ...prechat, article: '1' }],
      ['the leave-a-message form', 'GET', '/livechat/message'],
      ['leaving a message', 'POST', '/livechat/message', { name: 'Dana', email: 'dana@customer.example', message: 'Call me' }]
    ]
    for (const [name, method, path, payload] of refusals) {
      const res = await asCustomer(app, method, path, from, payload)
      t.equal(res.statusCode, 403, name)
      t.match(res.body, 'data-code="LC_ERR_BLOCKED"', name)
      t.match(res.body, /Live chat cannot be used from your network address/, `${name}: a page a person understands`)
    }
    t.equal((await knex('lc_chats').count({ n: '*' }))[0]!.n, chats, 'no chat stored')
    t.equal((await knex('lc_kb_deflections').count({ n: '*' }))[0]!.n, deflections, 'no question stored')
    const link = await asCustomer(app, 'GET', '/livechat/portal/link', from)
    t.equal(link.statusCode, 200, 'the portal link still renders')
    t.equal((await asCustomer(app, 'GET', '/livechat/start', { remoteAddress: '203.0.114.1' })).statusCode, 200, 'next door is not blocked')
    const agent = await app.inject({ url: '/livechat/console', remoteAddress: '203.0.113.9', headers: { cookie: await login(app, 'alice') } })
    t.equal(agent.statusCode, 200, 'an agent signed in through the host is not blocked')
  })

  t.test('the real client address: X-Forwarded-For only behind a proxy the host trusts', async (t) => {
    const behindProxy = await asCustomer(other, 'GET', '/livechat/start', { forwarded: '203.0.113.9' })
    t.equal(behindProxy.statusCode, 403, 'trusting the proxy, the client is the forwarded address')
    t.match(behindProxy.body, 'data-code="LC_ERR_BLOCKED"')
    t.equal((await asCustomer(other, 'GET', '/livechat/start', { forwarded: '198.51.100.1' })).statusCode, 200)
    t.equal((await asCustomer(app, 'GET', '/livechat/start', { forwarded: '203.0.113.9' })).statusCode, 200, 'not trusting it, the header is ignored')
    t.equal((await asCustomer(other, 'GET', '/livechat/start', { forwarded: '2001:db8:1::7' })).statusCode, 403, 'IPv6 too')
  })

  t.test('a change on one instance applies on the other at once, without waiting for its cache', async (t) => {
    const from = { remoteAddress: '198.51.100.20' }
    // The bus delivers on a later turn of the event loop; the pinned clock never lets the
    // other instance's cache run out, so only the bus can bring the change there.
    const statusOnOther = async (wanted: number): Promise<number> => {
      let status = 0
      for (let i = 0; i < 50 && status !== wanted; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        status = (await asCustomer(other, 'GET', '/livechat/start', from)).statusCode
      }
      return status
    }
    t.equal((await asCustomer(other, 'GET', '/livechat/start', from)).statusCode, 200, 'the other instance has read the list')
    t.equal((await block('198.51.100.20')).statusCode, 200)
    t.equal((await asCustomer(app, 'GET', '/livechat/start', from)).statusCode, 403, 'blocked where it was added')
    t.equal(await statusOnOther(403), 403, 'blocked there too')
    await post(`/livechat/admin/blocklist/${await idOf('198.51.100.20')}/remove`)
    t.equal(await statusOnOther(200), 200, 'and free again')
  })

  t.test('the customer\'s socket is refused with 1008, the console\'s is not', async (t) => {
    const { chatId, cookie } = await startChat(app)
    await block('127.0.0.1', 'Testing from this machine')
    await expectRefused(t, url, [{ name: 'customer window', path: `/livechat/ws/chat/${chatId}`, headers: { cookie, origin: url }, reason: 'LC_ERR_BLOCKED' }])
    const chatPage = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })
    t.equal(chatPage.statusCode, 403, 'nor its page')
    const files = await app.inject({ method: 'POST', url: `/livechat/chat/${chatId}/files`, headers: { cookie, ...sameOrigin } })
    t.equal(files.statusCode, 403, 'nor a file')
    t.match(files.body, 'LC_ERR_BLOCKED')
    const alice = await agentSession(app, 'alice')
    const console = await openSocket(url, '/livechat/ws/console', { cookie: alice.cookie, origin: url })
    t.teardown(async () => { await console.close() })
    await console.waitFor(/lc-availability|lc-queue|hx-partial/, 5000)
    t.equal(console.ws.readyState, 1, 'the agent\'s console stays open')
    await post(`/livechat/admin/blocklist/${await idOf('127.0.0.1')}/remove`)
    const back = await openSocket(url, `/livechat/ws/chat/${chatId}`, { cookie, origin: url })
    t.teardown(async () => { await back.close() })
    await back.waitFor(/lc-status/, 5000)
    t.equal(back.ws.readyState, 1, 'removed: the window opens')
  })

  t.test('an entry with an expiry stops blocking when it runs out, and the history says so', async (t) => {
    const from = { remoteAddress: '192.0.2.44' }
    const res = await block('192.0.2.0/24', 'Until the campaign ends', '1h')
    t.equal(res.statusCode, 200)
    t.equal(Number((await knex('lc_blocked_addresses').where({ range: '192.0.2.0/24' }).first()).expires_at), now + hour)
    t.equal((await asCustomer(app, 'GET', '/livechat/start', from)).statusCode, 403)
    now += hour - 1
    t.equal((await asCustomer(app, 'GET', '/livechat/start', from)).statusCode, 403, 'a moment before')
    now += 1
    t.equal((await asCustomer(app, 'GET', '/livechat/start', from)).statusCode, 200, 'on the hour')
    const listed = await app.inject({ url: '/livechat/admin/blocklist', headers: { cookie: adminCookie } })
    t.notMatch(listed.body, /<h3 id="lc-block-\d+-title"><code>192\.0\.2\.0\/24/, 'no longer on the list')
    t.match(listed.body, /<tr data-action="expired" data-block-id="\d+">/, 'the history has its expiry')
  })

  t.test('removing: off the list at once, in the history with who and when; a second removal is a 404', async (t) => {
    const id = await idOf('203.0.113.0/24')
    const noCsrf = await post(`/livechat/admin/blocklist/${id}/remove`, {}, { 'x-csrf-token': '' })
    t.equal(noCsrf.statusCode, 403)
    t.equal((await asCustomer(app, 'GET', '/livechat/start', { remoteAddress: '203.0.113.9' })).statusCode, 403, 'still blocked')
    const res = await post(`/livechat/admin/blocklist/${id}/remove`)
    t.equal(res.statusCode, 200)
    t.match(res.body, '203.0.113.0/24 is no longer blocked')
    t.match(res.body, new RegExp(`<tr data-action="removed" data-block-id="${id}">`))
    const removed = await knex('lc_blocked_addresses').where({ id }).first()
    t.equal(removed.removed_by_name, 'Ada Admin')
    t.equal(Number(removed.removed_at), now)
    t.equal((await asCustomer(app, 'GET', '/livechat/start', { remoteAddress: '203.0.113.9' })).statusCode, 200, 'free at once')
    const twice = await post(`/livechat/admin/blocklist/${id}/remove`)
    t.equal(twice.statusCode, 404)
    t.match(twice.body, 'data-code="LC_ERR_BLOCK_NOT_FOUND"')
    t.equal((await post('/livechat/admin/blocklist/999999/remove')).statusCode, 404)
    t.equal((await post('/livechat/admin/blocklist/x/remove')).statusCode, 400)
    const history = await app.inject({ url: '/livechat/admin/blocklist', headers: { cookie: adminCookie } })
    t.match(history.body, /data-action="removed"[\s\S]*data-action="added"/, 'newest first')
  })
})
