import Fastify, { type FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { loadManifest as demoManifest } from '../../demo-host/plugins.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import liveChat from '../../plugin/index.ts'
import type { HostAdapter } from '../../plugin/host/adapter.ts'
import type { HostMapping } from '../../plugin/host/mapping.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { agentSession, build, cookiesOf, csrf, joinCookies, login, sameOrigin, standBy } from '../helpers/build.ts'
import { testDatabase } from '../helpers/db.ts'

/** POSTs a customer form (`/start` or `/message`) as a browser on this site would. */
async function post (app: FastifyInstance, path: string, cookie: string, payload: object) {
  return await app.inject({ method: 'POST', url: `/livechat${path}`, headers: { cookie, ...sameOrigin }, payload })
}

const count = async (knex: Knex, table: string): Promise<number> => Number((await knex(table).count({ n: '*' }).first())?.n)
const departmentId = async (knex: Knex, name: string): Promise<number> => Number((await knex('lc_departments').where({ name }).first('id')).id)

const message = { name: 'Dana Doyle', email: 'dana@customer.example', message: 'My VPN will not connect since this morning.\nIt says "Certificate expired".' }

t.test('offline: no agent available anywhere', async (t) => {
  const { app, knex } = await build(t, { online: false })
  const support = await departmentId(knex, 'Support')
  const sales = await departmentId(knex, 'Sales')

  t.test('GET /portal/link: says chat is unavailable and offers to leave a message', async (t) => {
    const res = await app.inject({ url: '/livechat/portal/link' })
    t.equal(res.statusCode, 200)
    t.match(res.body, /lc-portal-link--offline/)
    t.match(res.body, /<a href="\/livechat\/message">Leave a message<\/a>/)
    t.match(res.body, /Chat is unavailable right now/)
    t.notMatch(res.body, /\/livechat\/start/, 'no chat to start')
  })

  t.test('GET /start: an offline department shows the leave-a-message form instead of the chat form', async (t) => {
    const res = await app.inject({ url: '/livechat/start' })
    t.equal(res.statusCode, 200)
    t.match(res.body, /<h1>Leave a message<\/h1>/)
    t.match(res.body, /Support has nobody available right now; leave a message and we will reply by email\./)
    t.match(res.body, /<form id="lc-leave-message" class="lc-form" method="post" action="\/livechat\/message"/)
    for (const label of ['Name', 'Email', 'Department', 'Message']) t.match(res.body, new RegExp(`<label for="lc-[a-z]+">${label}</label>`))
    t.match(res.body, new RegExp(`<option value="${support}" selected>Support</option><option value="${sales}">Sales</option>`))
    t.match(res.body, />Send message<\/button>/)
    t.notMatch(res.body, /lc-prechat|Start chat/)
    const asked = await app.inject({ url: `/livechat/start?department=${sales}` })
    t.match(asked.body, /Sales has nobody available right now/)
    t.match(asked.body, new RegExp(`<option value="${sales}" selected>Sales</option>`))
  })

  t.test('POST /start to an offline department: 422, the leave-a-message form with everything typed kept; no chat', async (t) => {
    const before = await count(knex, 'lc_chats')
    const c = await csrf(app, '')
    const res = await post(app, '/start', c.cookie, { name: 'Dana Doyle', email: 'dana@customer.example', department: String(sales), question: 'Do you sell <b>bulk</b> licences?', _csrf: c.token })
    t.equal(res.statusCode, 422)
    t.match(res.body, /<form id="lc-leave-message"/)
    t.match(res.body, /Sales has nobody available right now; leave a message and we will reply by email\. Everything you typed is kept below\./)
    t.match(res.body, /id="lc-name" name="name" value="Dana Doyle"/)
    t.match(res.body, /id="lc-email" name="email" type="email" value="dana@customer.example"/)
    t.match(res.body, new RegExp(`<option value="${sales}" selected>Sales</option>`))
    t.match(res.body, /<textarea id="lc-message" name="message"[^>]*>Do you sell &lt;b&gt;bulk&lt;\/b&gt; licences\?<\/textarea>/, 'the question becomes the message, escaped')
    t.equal(await count(knex, 'lc_chats'), before)
  })

  t.test('POST /start: an agent who left while the form was open sends the customer to leave a message', async (t) => {
    await standBy(knex, 'bob')
    const c = await csrf(app, '')
    t.match((await app.inject({ url: '/livechat/start' })).body, /Start chat/, 'Support was online when the form opened')
    const bob = await agentSession(app, 'bob')
    await bob.post('/livechat/console/availability', {})
    const before = await count(knex, 'lc_chats')
    const res = await post(app, '/start', c.cookie, { name: 'Erin Evans', email: 'erin@customer.example', question: 'Printer jams', _csrf: c.token })
    t.equal(res.statusCode, 422)
    t.match(res.body, /Support has nobody available right now/)
    t.match(res.body, />Printer jams<\/textarea>/)
    t.equal(await count(knex, 'lc_chats'), before)
  })

  t.test('GET /message: the form, prefilled and locked for a signed-in portal customer', async (t) => {
    const anonymous = await app.inject({ url: '/livechat/message' })
    t.equal(anonymous.statusCode, 200)
    t.match(anonymous.body, /Tell us what you need and we will reply by email\./)
    t.match(anonymous.body, /id="lc-name" name="name" value=""/)
    const cookie = await login(app, 'dana')
    const res = await app.inject({ url: `/livechat/message?department=${sales}`, headers: { cookie } })
    t.match(res.body, /id="lc-name" name="name" value="Dana Doyle"[^>]* readonly/)
    t.match(res.body, /id="lc-email" name="email" type="email" value="dana@customer.example"[^>]* readonly/)
    t.match(res.body, new RegExp(`<option value="${sales}" selected>Sales</option>`))
    t.match(res.body, /Signed in as Dana Doyle; the ticket will be in your account\./)
  })

  t.test('POST /message: a host ticket with everything written, filed for the customer whose email it is; the confirmation shows its number', async (t) => {
    const dana = await knex('users').where({ username: 'dana' }).first('id')
    const c = await csrf(app, '', '/livechat/message')
    const res = await post(app, '/message', c.cookie, { ...message, department: String(sales), _csrf: c.token })
    t.equal(res.statusCode, 200)
    const ref = /<strong class="lc-ref">(TKT\d{6})<\/strong>/.exec(res.body)?.[1]
    t.ok(ref, 'the ticket number is shown')
    t.match(res.body, /<section id="lc-message-sent" class="lc-sent">/)
    t.match(res.body, /We will reply to dana@customer\.example\./)
    t.notMatch(res.body, /See your ticket/, 'no link for someone not signed in')
    const row = await knex('tickets').where({ ref }).first()
    t.match(row, { kind: 'ticket', status: 'New', assignee_id: null, chat_id: null, requester_name: 'Dana Doyle', requester_email: 'dana@customer.example', channel: 'livechat' })
    t.equal(Number(row.requester_id), Number(dana.id), 'not signed in, yet a known customer by the email given')
    for (const part of ['Name: Dana Doyle', 'Email: dana@customer.example', 'Department: Sales', message.message]) t.match(row.description, part)
  })

  t.test('POST /message: the email matches a customer whatever its case; an email nobody has files a guest\'s ticket with a contact', async (t) => {
    const dana = await knex('users').where({ username: 'dana' }).first('id')
    const c = await csrf(app, '', '/livechat/message')
    const known = await post(app, '/message', c.cookie, { ...message, name: 'D. Doyle', email: 'DANA@Customer.Example', department: String(sales), _csrf: c.token })
    t.equal(known.statusCode, 200)
    const knownRef = /<strong class="lc-ref">(TKT\d{6})<\/strong>/.exec(known.body)?.[1]
    const knownRow = await knex('tickets').where({ ref: knownRef }).first()
    t.equal(Number(knownRow.requester_id), Number(dana.id))
    t.match(knownRow, { requester_name: 'Dana Doyle', requester_email: 'dana@customer.example' }, 'the user\'s own name and email')

    const res = await post(app, '/message', c.cookie, { ...message, name: 'Gail Guest', email: 'gail@nowhere.example', department: String(sales), _csrf: c.token })
    t.equal(res.statusCode, 200)
    const ref = /<strong class="lc-ref">(TKT\d{6})<\/strong>/.exec(res.body)?.[1]
    const row = await knex('tickets').where({ ref }).first()
    t.match(row, { requester_id: null, requester_name: 'Gail Guest', requester_email: 'gail@nowhere.example', channel: 'livechat' })
    const page = await app.inject({ url: `/tickets/${ref}`, headers: { cookie: await login(app, 'carol') } })
    t.equal(page.statusCode, 200)
    t.match(page.body, /<dt>Requester<\/dt><dd>Gail Guest <a href="mailto:gail@nowhere.example" class="requester-email">gail@nowhere.example<\/a> <span class="muted">\(guest: not a user of this desk\)<\/span><\/dd>/, 'the ticket page shows whom to answer')
    t.match(page.body, /<dt>Channel<\/dt><dd>Live chat<\/dd>/)
  })

  t.test('POST /message: a signed-in customer\'s ticket is theirs, under their account, with a link to it', async (t) => {
    const session = await login(app, 'dana')
    const dana = await knex('users').where({ username: 'dana' }).first('id')
    const c = await csrf(app, session, '/livechat/message')
    const res = await post(app, '/message', c.cookie, { ...message, name: 'Someone Else', email: 'else@example.com', department: String(support), _csrf: c.token })
    t.equal(res.statusCode, 200)
    const ref = /<strong class="lc-ref">(TKT\d{6})<\/strong>/.exec(res.body)?.[1]
    t.match(res.body, new RegExp(`<a class="lc-button" href="/portal/tickets/${ref}">See your ticket</a>`))
    const row = await knex('tickets').where({ ref }).first()
    t.equal(Number(row.requester_id), Number(dana.id))
    t.match(row.description, 'Name: Dana Doyle')
    t.match(row.description, 'Email: dana@customer.example')
    const portal = await app.inject({ url: `/portal/tickets/${ref}`, headers: { cookie: session } })
    t.equal(portal.statusCode, 200, 'the link opens the ticket in the portal')
    t.match(portal.body, ref!)
  })

  t.test('POST /message: a bad form comes back 422 with a message beside each field, the text kept, and no ticket', async (t) => {
    const before = await count(knex, 'tickets')
    const c = await csrf(app, '', '/livechat/message')
    const res = await post(app, '/message', c.cookie, { name: ' ', email: 'not-an-email', department: '99999', message: '  ', _csrf: c.token })
    t.equal(res.statusCode, 422)
    t.match(res.body, /id="lc-name-error" class="lc-field-error">Name is required/)
    t.match(res.body, /id="lc-email-error" class="lc-field-error">Email must be a valid email/)
    t.match(res.body, /id="lc-department-error" class="lc-field-error">Department: pick one of the departments in the list/)
    t.match(res.body, /id="lc-message-error" class="lc-field-error">Message is required/)
    t.match(res.body, /value="not-an-email"/)
    const long = await post(app, '/message', c.cookie, { ...message, message: 'm'.repeat(4001), _csrf: c.token })
    t.equal(long.statusCode, 422)
    t.match(long.body, /id="lc-message-error" class="lc-field-error">Message can be at most 4000 characters/)
    t.match(long.body, new RegExp(`>${'m'.repeat(4001)}</textarea>`), 'the over-long text is handed back, not cut')
    const extra = await post(app, '/message', c.cookie, { ...message, priority: 'urgent', _csrf: c.token })
    t.equal(extra.statusCode, 422)
    t.match(extra.body, /form: &quot;priority&quot; is not a known field/)
    t.equal(await count(knex, 'tickets'), before)
  })

  t.test('POST /message: without a CSRF token, or from another site, nothing is created', async (t) => {
    const before = await count(knex, 'tickets')
    const c = await csrf(app, '', '/livechat/message')
    const noToken = await post(app, '/message', c.cookie, message)
    t.equal(noToken.statusCode, 403)
    t.match(noToken.body, /This form has expired; reload the page and try again/)
    const foreign = await app.inject({ method: 'POST', url: '/livechat/message', headers: { cookie: c.cookie, origin: 'https://evil.example' }, payload: { ...message, _csrf: c.token } })
    t.equal(foreign.statusCode, 403)
    t.equal(await count(knex, 'tickets'), before)
  })
})

t.test('offline: one department, or none', async (t) => {
  const { app, knex } = await build(t, { online: false })

  t.test('one department: no department select, on either form', async (t) => {
    await knex('lc_departments').where({ name: 'Sales' }).del()
    const offline = await app.inject({ url: '/livechat/start' })
    t.match(offline.body, /Support has nobody available right now/)
    t.notMatch(offline.body, /lc-department/)
    await standBy(knex, 'bob')
    const online = await app.inject({ url: '/livechat/start' })
    t.match(online.body, /Start chat/)
    t.notMatch(online.body, /lc-department/)
  })

  t.test('no departments at all: chats start in the shared queue while anyone is available', async (t) => {
    await knex('lc_departments').del()
    const link = await app.inject({ url: '/livechat/portal/link' })
    t.match(link.body, /Chat with us/)
    const c = await csrf(app, '')
    const res = await post(app, '/start', c.cookie, { name: 'Dana Doyle', email: 'dana@customer.example', question: 'Hello', _csrf: c.token })
    t.equal(res.statusCode, 303)
    const chatId = Number(/\/chat\/(\d+)$/.exec(String(res.headers.location))?.[1])
    t.equal((await knex('lc_chats').where('id', chatId).first()).group_id, null)
    const chat = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie: joinCookies(c.cookie, cookiesOf(res)) } })
    t.match(chat.body, /You are next; an agent will be with you shortly/)
    const bob = await agentSession(app, 'bob')
    await bob.post('/livechat/console/availability', {})
    t.match((await app.inject({ url: '/livechat/start' })).body, /Live chat has nobody available right now/)
  })
})

t.test('offline: leaving messages is rate limited per address', async (t) => {
  const { app } = await build(t, { online: false, pluginOptions: { settings: { chatStartsPerMinute: 2 } } })
  const c = await csrf(app, '', '/livechat/message')
  for (const n of [1, 2]) t.equal((await post(app, '/message', c.cookie, { ...message, _csrf: c.token })).statusCode, 200, `message ${n}`)
  const res = await post(app, '/message', c.cookie, { ...message, _csrf: c.token })
  t.equal(res.statusCode, 429)
  t.match(res.body, /Too many messages left from this address; wait a minute and try again/)
})

t.test('offline: a desk whose customers see their tickets on a page of their own', async (t) => {
  const { knex, drop } = await testDatabase()
  await prepareDatabase(knex)
  const manifest = await demoManifest()
  const mapping = manifest.host as unknown as HostMapping
  const app = await buildDemoHost({
    knex,
    manifest: { ...manifest, host: { ...mapping, tickets: { ...mapping.tickets, customerUrl: '/view.php?id={id}' } } },
    pluginOptions: { jobs: false, settings: { chatStartsPerMinute: 1000 } }
  })
  t.teardown(async () => { await app.close(); await drop() })
  await app.ready()

  t.test('POST /message: a signed-in customer\'s link is the desk\'s customer page, by the ticket\'s key', async (t) => {
    const session = await login(app, 'dana')
    const c = await csrf(app, session, '/livechat/message')
    const res = await post(app, '/message', c.cookie, { ...message, department: String(await departmentId(knex, 'Support')), _csrf: c.token })
    t.equal(res.statusCode, 200)
    const ref = /<strong class="lc-ref">(TKT\d{6})<\/strong>/.exec(res.body)?.[1]
    const row = await knex('tickets').where({ ref }).first('id')
    // Handlebars writes = as &#x3D; in an attribute, which a browser reads as =.
    t.match(res.body, new RegExp(`<a class="lc-button" href="/view\\.php\\?id&#x3D;${String(row.id)}">See your ticket</a>`))
    t.notMatch(res.body, /\/portal\/tickets\//, 'not the customerTicketUrl setting')
  })
})

// The demo host always hands the plugin its own SQL adapter, so the plugin is installed here
// the way installPlugin does it, with the real adapter wrapped so ticket creation fails.
t.test('offline: a host that cannot create the ticket', async (t) => {
  const { knex, drop } = await testDatabase()
  await prepareDatabase(knex)
  const real = sqlHost(knex, loadManifest().host)
  const host: HostAdapter = { ...real, createTicket: async () => { throw new Error('tickets table is locked') } }
  const app = Fastify({ logger: false })
  await app.register(liveChat, { prefix: '/livechat', knex, host, jobs: false, settings: { chatStartsPerMinute: 1000 } })
  t.teardown(async () => { await app.close(); await drop() })
  await app.ready()

  t.test('POST /message: a clear message to try again, with everything typed kept; never an error page', async (t) => {
    const before = await count(knex, 'tickets')
    const c = await csrf(app, '', '/livechat/message')
    const res = await post(app, '/message', c.cookie, { ...message, _csrf: c.token })
    t.equal(res.statusCode, 503)
    t.match(res.body, /<form id="lc-leave-message"/)
    t.match(res.body, /<p class="lc-field-error" role="alert">We could not save your message just now; it is still in the form below, so try sending it again in a minute<\/p>/)
    t.match(res.body, /id="lc-name" name="name" value="Dana Doyle"/)
    t.match(res.body, /It says &quot;Certificate expired&quot;\.<\/textarea>/)
    t.notMatch(res.body, /Something went wrong/)
    t.equal(await count(knex, 'tickets'), before)
  })
})
