import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { agentSession, build, csrf, login, sameOrigin, startChat } from '../helpers/build.ts'

/** POSTs the pre-chat form as a browser on `origin` would. */
async function postStart (app: FastifyInstance, cookie: string, payload: object, origin = sameOrigin.origin) {
  return await app.inject({ method: 'POST', url: '/livechat/start', headers: { cookie, origin }, payload })
}

t.test('customer routes', async (t) => {
  const { app, knex } = await build(t)
  const chatCount = async (): Promise<number> => Number((await knex('lc_chats').count({ n: '*' }).first())?.n)

  t.test('GET /start: shows the pre-chat form with Name, Email, Question and Start chat', async (t) => {
    const res = await app.inject({ url: '/livechat/start' })
    t.equal(res.statusCode, 200)
    for (const label of ['Name', 'Email', 'Question']) t.match(res.body, new RegExp(`<label for="lc-[a-z]+">${label}</label>`))
    t.match(res.body, /<button type="submit" class="lc-primary">Start chat<\/button>/)
    t.match(res.headers['content-security-policy'], /script-src 'self'/)
  })

  t.test('GET /start: prefills and locks name and email for a signed-in portal customer', async (t) => {
    const cookie = await login(app, 'dana')
    const res = await app.inject({ url: '/livechat/start', headers: { cookie } })
    t.match(res.body, /id="lc-name" name="name" value="Dana Doyle"[^>]* readonly/)
    t.match(res.body, /id="lc-email" name="email" type="email" value="dana@customer.example"[^>]* readonly/)
  })

  t.test('POST /start: queues the chat, sets the token cookie and opens the chat window', async (t) => {
    const before = await chatCount()
    const { chatId, cookie } = await startChat(app)
    t.equal(await chatCount(), before + 1)
    t.match(cookie, new RegExp(`lc_chat_${chatId}=`))
    const res = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`id="lc-messages-${chatId}"`))
    t.match(res.body, /My VPN will not connect/)
    t.match(res.body, /people are ahead of you|person is ahead of you|You are next/)
    t.match(res.body, new RegExp(`hx-ws:connect="/livechat/ws/chat/${chatId}\\?since(=|&#x3D;)${chatId}\\.1"`))
    t.match(res.body, /<label for="lc-body-\d+">Message<\/label>/)
    t.match(res.body, />Send<\/button>/)
    t.match(res.body, />End chat<\/button>/)
  })

  t.test('POST /start: a signed-in customer\'s chat carries their account, whatever the form says', async (t) => {
    const session = await login(app, 'erin')
    const { chatId } = await startChat(app, { name: 'Somebody Else', email: 'else@example.com' }, session)
    const row = await knex('lc_chats').where('id', chatId).first()
    t.equal(row.customer_name, 'Erin Evans')
    t.equal(row.customer_email, 'erin@customer.example')
    t.equal(row.customer_username, 'erin')
    t.ok(row.customer_user_id)
  })

  t.test('POST /start: a bad form re-renders with a message beside each field and stores nothing', async (t) => {
    const before = await chatCount()
    const c = await csrf(app, '')
    const res = await postStart(app, c.cookie, { name: '   ', email: 'not-an-email', question: '', _csrf: c.token })
    t.equal(res.statusCode, 422)
    t.match(res.body, /id="lc-name-error" class="lc-field-error">Name is required/)
    t.match(res.body, /id="lc-email-error" class="lc-field-error">Email must be a valid email/)
    t.match(res.body, /id="lc-question-error" class="lc-field-error">Question is required/)
    t.match(res.body, /value="not-an-email"/, 'what was typed is kept')
    t.equal(await chatCount(), before)
  })

  t.test('POST /start: over-long fields and unknown fields are refused with a reason', async (t) => {
    const before = await chatCount()
    const c = await csrf(app, '')
    const long = await postStart(app, c.cookie, { name: 'n'.repeat(121), email: 'a@b.example', question: 'q'.repeat(4001), _csrf: c.token })
    t.equal(long.statusCode, 422)
    t.match(long.body, /Name can be at most 120 characters/)
    t.match(long.body, /Question can be at most 4000 characters/)
    const extra = await postStart(app, c.cookie, { name: 'Dana', email: 'a@b.example', question: 'hi', admin: 'yes', _csrf: c.token })
    t.equal(extra.statusCode, 422)
    t.match(extra.body, /form: &quot;admin&quot; is not a known field/)
    t.equal(await chatCount(), before)
  })

  t.test('POST /start: without a CSRF token, or from another origin, it is refused and nothing is stored', async (t) => {
    const before = await chatCount()
    const c = await csrf(app, '')
    const noToken = await postStart(app, c.cookie, { name: 'Dana', email: 'a@b.example', question: 'hi' })
    t.equal(noToken.statusCode, 403)
    t.match(noToken.body, /This form has expired; reload the page and try again/)
    const wrongToken = await postStart(app, c.cookie, { name: 'Dana', email: 'a@b.example', question: 'hi', _csrf: 'forged' })
    t.equal(wrongToken.statusCode, 403)
    const foreign = await postStart(app, c.cookie, { name: 'Dana', email: 'a@b.example', question: 'hi', _csrf: c.token }, 'https://evil.example')
    t.equal(foreign.statusCode, 403)
    t.match(foreign.body, /Requests from https:\/\/evil.example are not accepted here/)
    t.equal(await chatCount(), before)
  })

  t.test('GET /chat/:id: another chat\'s token, no token, or a bad id reach nothing', async (t) => {
    const a = await startChat(app)
    const b = await startChat(app)
    const bToken = /lc_chat_\d+=([^;]+)/.exec(b.cookie)![1]
    const cross = await app.inject({ url: `/livechat/chat/${a.chatId}`, headers: { cookie: `lc_chat_${a.chatId}=${bToken}` } })
    t.equal(cross.statusCode, 404)
    t.equal((await app.inject({ url: `/livechat/chat/${a.chatId}` })).statusCode, 404)
    const bad = await app.inject({ url: '/livechat/chat/abc', headers: { accept: 'application/json' } })
    t.equal(bad.statusCode, 400)
    t.equal(bad.json().code, 'LC_ERR_VALIDATION')
    const agent = await login(app, 'alice')
    t.equal((await app.inject({ url: `/livechat/chat/${a.chatId}`, headers: { cookie: agent } })).statusCode, 404, 'an agent session is not a customer token')
  })

  t.test('user text renders inert in every page that shows it', async (t) => {
    const nasty = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    const { chatId, cookie } = await startChat(app, { name: nasty, question: nasty })
    const window = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })
    const agent = await agentSession(app, 'alice')
    const console = await app.inject({ url: '/livechat/console', headers: { cookie: agent.cookie } })
    for (const body of [window.body, console.body]) {
      t.notMatch(body, /<script>alert/)
      t.notMatch(body, /<img src=x/)
      t.match(body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&gt;&lt;img src(=|&#x3D;)x onerror(=|&#x3D;)alert\(2\)&gt;/)
    }
  })

  t.test('POST /chat/:id/end: the customer leaves the queue; a second end is a 409 that says why', async (t) => {
    const { chatId, cookie } = await startChat(app)
    const c = await csrf(app, cookie, `/livechat/chat/${chatId}`)
    const headers = { cookie: c.cookie, 'x-csrf-token': c.token, 'hx-request': 'true', ...sameOrigin }
    const res = await app.inject({ method: 'POST', url: `/livechat/chat/${chatId}/end`, headers })
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-status-${chatId}" hx-swap="outerHTML">`))
    t.match(res.body, /You left the queue/)
    t.equal((await knex('lc_chats').where('id', chatId).first()).status, 'cancelled')
    const again = await app.inject({ method: 'POST', url: `/livechat/chat/${chatId}/end`, headers })
    t.equal(again.statusCode, 409)
    t.match(again.body, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML">/)
    t.match(again.body, /This chat is cancelled now, so it cannot be ended/)
  })

  t.test('GET /portal/link: the portal link says whether anyone is available', async (t) => {
    const off = await app.inject({ url: '/livechat/portal/link' })
    t.match(off.body, /<a href="\/livechat\/start">Chat with us<\/a>/)
    t.match(off.body, /No agents are online right now/)
    const alice = await agentSession(app, 'alice')
    await alice.post('/livechat/console/availability', { available: 'on' })
    const on = await app.inject({ url: '/livechat/portal/link' })
    t.match(on.body, /Agents are online now/)
    await alice.post('/livechat/console/availability', {})
  })

  t.test('starting chats is rate limited per address', async (t) => {
    const limited = await build(t, { pluginOptions: { settings: { chatStartsPerMinute: 2 } } })
    await startChat(limited.app)
    await startChat(limited.app)
    const c = await csrf(limited.app, '')
    const res = await postStart(limited.app, c.cookie, { name: 'Dana', email: 'a@b.example', question: 'third', _csrf: c.token })
    t.equal(res.statusCode, 429)
    t.match(res.body, /Too many chats started from this address; wait a minute and try again/)
  })
})
