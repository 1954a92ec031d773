import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import t from 'tap'
import { agentSession, build, csrf, login, openSocket, sameOrigin, standBy, startChat } from '../helpers/build.ts'

/** POSTs the pre-chat form as a browser on `origin` would. */
async function postStart (app: FastifyInstance, cookie: string, payload: object, origin = sameOrigin.origin) {
  return await app.inject({ method: 'POST', url: '/livechat/start', headers: { cookie, origin }, payload })
}

/** Seeded ids by name: departments and groups. */
async function ids (knex: Knex) {
  const dept = async (name: string): Promise<number> => Number((await knex('lc_departments').where({ name }).first('id')).id)
  const group = async (name: string): Promise<number> => Number((await knex('lc_groups').where({ name }).first('id')).id)
  return { support: await dept('Support'), sales: await dept('Sales'), l1: await group('Support L1'), salesGroup: await group('Sales') }
}

t.test('customer routes', async (t) => {
  const { app, knex } = await build(t)
  const chatCount = async (): Promise<number> => Number((await knex('lc_chats').count({ n: '*' }).first())?.n)
  const seeded = await ids(knex)

  t.test('GET /start: shows the pre-chat form with Name, Email, Department, Question and Start chat', async (t) => {
    const res = await app.inject({ url: '/livechat/start' })
    t.equal(res.statusCode, 200)
    t.match(res.body, /<form id="lc-prechat" class="lc-form" method="post" action="\/livechat\/start"/)
    for (const label of ['Name', 'Email', 'Department', 'Question']) t.match(res.body, new RegExp(`<label for="lc-[a-z]+">${label}</label>`))
    t.match(res.body, /<button type="submit" class="lc-primary">Start chat<\/button>/)
    t.match(res.headers['content-security-policy'], /script-src 'self'/)
  })

  t.test('GET /start: every department is listed, the ones nobody is available in marked (offline)', async (t) => {
    const res = await app.inject({ url: '/livechat/start' })
    t.match(res.body, new RegExp(`<option value="${seeded.support}" selected>Support</option><option value="${seeded.sales}">Sales \\(offline\\)</option>`))
    t.match(res.body, /Agents are online now\. Pick the department your question is about\./)
    t.match(res.body, /<a href="\/livechat\/message">Leave a message<\/a>/, 'leaving a message is always offered')
  })

  t.test('GET /start?department=: the department asked for is preselected; a stale id falls back, a malformed one is refused', async (t) => {
    await standBy(knex, 'carol')
    const carol = (await knex('users').where({ username: 'carol' }).first('id')).id
    t.teardown(async () => { await knex('lc_agent_presence').where({ agent_id: String(carol) }).update({ status: 'unavailable' }) })
    const sales = await app.inject({ url: `/livechat/start?department=${seeded.sales}` })
    t.equal(sales.statusCode, 200)
    t.match(sales.body, new RegExp(`<option value="${seeded.support}">Support</option><option value="${seeded.sales}" selected>Sales</option>`))
    const stale = await app.inject({ url: '/livechat/start?department=99999' })
    t.equal(stale.statusCode, 200)
    t.match(stale.body, new RegExp(`<option value="${seeded.support}" selected>Support</option>`))
    const bad = await app.inject({ url: '/livechat/start?department=abc', headers: { accept: 'application/json' } })
    t.equal(bad.statusCode, 400)
    t.equal(bad.json().code, 'LC_ERR_VALIDATION')
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
    t.equal(Number((await knex('lc_chats').where('id', chatId).first()).group_id), seeded.l1, 'no department posted: the first one online, Support, entry group Support L1')
  })

  t.test('POST /start: the chat starts in the chosen department\'s entry group', async (t) => {
    const c = await csrf(app, '')
    const res = await postStart(app, c.cookie, { name: 'Dana', email: 'a@b.example', department: String(seeded.support), question: 'hi', _csrf: c.token })
    t.equal(res.statusCode, 303)
    const chatId = Number(/\/chat\/(\d+)$/.exec(String(res.headers.location))?.[1])
    t.equal(Number((await knex('lc_chats').where('id', chatId).first()).group_id), seeded.l1)
  })

  t.test('POST /start: a department that is not in the list is refused beside the field, with the form kept', async (t) => {
    const before = await chatCount()
    const c = await csrf(app, '')
    for (const department of ['99999', 'abc']) {
      const res = await postStart(app, c.cookie, { name: 'Dana', email: 'a@b.example', department, question: 'Where is my order?', _csrf: c.token })
      t.equal(res.statusCode, 422, department)
      t.match(res.body, /<select id="lc-department" name="department" aria-invalid="true" aria-describedby="lc-department-error">/)
      t.match(res.body, /id="lc-department-error" class="lc-field-error">Department: pick one of the departments in the list/)
      t.match(res.body, />Where is my order\?<\/textarea>/)
    }
    const both = await postStart(app, c.cookie, { name: '', email: 'a@b.example', department: '99999', question: 'hi', _csrf: c.token })
    t.match(both.body, /id="lc-name-error"/, 'every problem at once')
    t.match(both.body, /id="lc-department-error"/)
    t.equal(await chatCount(), before)
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

  t.test('POST /chat/:id/end: on a chat an agent has, the customer leaves it; the agent keeps it', async (t) => {
    const { chatId, cookie } = await startChat(app)
    const alice = await agentSession(app, 'alice')
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
    const c = await csrf(app, cookie, `/livechat/chat/${chatId}`)
    const headers = { cookie: c.cookie, 'x-csrf-token': c.token, 'hx-request': 'true', ...sameOrigin }
    const res = await app.inject({ method: 'POST', url: `/livechat/chat/${chatId}/end`, headers })
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-status-${chatId}" hx-swap="outerHTML">\\s*<div id="lc-status-${chatId}" class="lc-status lc-status--left">\\s*<p class="lc-status__text">You left the chat</p>`))
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-composer-${chatId}" hx-swap="outerHTML">`))
    t.match(res.body, /<p class="lc-ended">You left the chat\. Thank you for contacting us\.<\/p>/)
    t.notMatch(res.body, /lc-composer__form/, 'no box to write in')
    const row = await knex('lc_chats').where('id', chatId).first()
    t.equal(row.status, 'active', 'the chat stays with the agent')
    t.equal(String(row.agent_id), String((await knex('users').where({ username: 'alice' }).first('id')).id))
    t.ok(row.customer_left_at)
    const page = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })
    t.match(page.body, /You left the chat/)
    t.match(page.body, /End user has cancelled chat/)
    t.notMatch(page.body, /lc-composer__form/)
    const again = await app.inject({ method: 'POST', url: `/livechat/chat/${chatId}/end`, headers })
    t.equal(again.statusCode, 409)
    t.match(again.body, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML">/)
    await alice.post(`/livechat/console/chats/${chatId}/end`)
  })

  t.test('POST /chat/:id/end: without htmx, the browser is sent back to the chat window', async (t) => {
    const { chatId, cookie } = await startChat(app)
    const c = await csrf(app, cookie, `/livechat/chat/${chatId}`)
    const res = await app.inject({ method: 'POST', url: `/livechat/chat/${chatId}/end`, headers: { cookie: c.cookie, ...sameOrigin }, payload: { _csrf: c.token } })
    t.equal(res.statusCode, 303)
    t.equal(res.headers.location, `/livechat/chat/${chatId}`)
  })

  t.test('GET /portal/link: while someone is available, the portal offers a chat', async (t) => {
    const on = await app.inject({ url: '/livechat/portal/link' })
    t.match(on.body, /lc-portal-link--online/)
    t.match(on.body, /<a href="\/livechat\/start">Chat with us<\/a>/)
    t.match(on.body, /Agents are online now/)
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

t.test('customer routes: waiting in line per department', async (t) => {
  const { app, knex, url } = await build(t, { listen: true })
  const seeded = await ids(knex)
  // Sales both online and queuing: carol available, and its chats picked from the queue
  // rather than handed to her by round robin.
  await knex('lc_groups').where({ id: seeded.salesGroup }).update({ distribution: 'cherry_pick' })
  await standBy(knex, 'carol')

  async function start (department: number, name: string) {
    const c = await csrf(app, '')
    // A question no knowledge article matches goes straight to the queue.
    const res = await postStart(app, c.cookie, { name, email: 'a@b.example', department: String(department), question: `Quote ${name.length}`, _csrf: c.token })
    t.equal(res.statusCode, 303)
    const chatId = Number(/\/chat\/(\d+)$/.exec(String(res.headers.location))?.[1])
    return { chatId, cookie: [c.cookie, ...[res.headers['set-cookie']].flat().map((h) => String(h).split(';')[0])].join('; ') }
  }
  const statusOf = async (chat: { chatId: number, cookie: string }): Promise<string> => {
    const res = await app.inject({ url: `/livechat/chat/${chat.chatId}`, headers: { cookie: chat.cookie } })
    return /<div id="lc-status-\d+"[^]*?<\/div>/.exec(res.body)?.[0] ?? ''
  }

  t.test('the department\'s own queue lines, pushed live as the line moves; no estimate without history', async (t) => {
    const first = await start(seeded.sales, 'First')
    const second = await start(seeded.sales, 'Second')
    const support = await start(seeded.support, 'Third')
    t.match(await statusOf(first), /Thanks for your interest! You are next/)
    t.match(await statusOf(second), /Thanks for your interest! One customer is ahead of you/)
    t.match(await statusOf(support), /You are next; an agent will be with you shortly/, 'Support uses the settings\' lines')
    t.notMatch(await statusOf(second), /Estimated wait/)
    const socket = await openSocket(url, `/livechat/ws/chat/${second.chatId}?since=${second.chatId}.1`, { cookie: second.cookie, origin: url })
    t.teardown(() => socket.close())
    await socket.waitFor(/One customer is ahead of you/)
    const c = await csrf(app, first.cookie, `/livechat/chat/${first.chatId}`)
    await app.inject({ method: 'POST', url: `/livechat/chat/${first.chatId}/end`, headers: { cookie: c.cookie, 'x-csrf-token': c.token, 'hx-request': 'true', ...sameOrigin } })
    const frame = await socket.waitFor(/Thanks for your interest! You are next/)
    t.match(frame, new RegExp(`<hx-partial hx-target="#lc-status-${second.chatId}" hx-swap="outerHTML">`))
  })

  t.test('the estimated wait: the group\'s recent wait per place in line, shared by its available agents', async (t) => {
    // Support L1 took one chat quickly: under a minute per place in line.
    const quick = await start(seeded.support, 'Quick')
    const alice = await agentSession(app, 'alice')
    const queued = await knex('lc_chats').where({ status: 'queued', group_id: seeded.l1 }).orderBy('id').select('id')
    for (const row of queued) {
      if (row.id !== quick.chatId) await alice.post(`/livechat/console/chats/${row.id}/accept`)
    }
    t.match(await statusOf(quick), /You are next[^]*Estimated wait: less than a minute/)
    // The chat it took waited five minutes.
    const taken = await knex('lc_chats').where({ status: 'active', group_id: seeded.l1 }).whereNotNull('assigned_at')
    for (const row of taken) await knex('lc_chats').where({ id: row.id }).update({ queued_at: Number(row.assigned_at) - 5 * 60_000 })
    const next = await start(seeded.support, 'Next')
    t.match(await statusOf(quick), /Estimated wait: about 5 minutes/)
    t.match(await statusOf(next), /1 person is ahead of you[^]*Estimated wait: about 10 minutes/, 'bob alone: 5 minutes × 2 places')
    await alice.post('/livechat/console/availability', { available: 'on' })
    t.match(await statusOf(next), /Estimated wait: about 5 minutes/, 'alice available too: shared by two')
    await alice.post('/livechat/console/availability', {})
  })
})
