import type { LightMyRequestResponse } from 'fastify'
import type { Knex } from 'knex'
import t from 'tap'
import { loadManifest } from '../../plugin/manifest.ts'
import { agentSession, build, cookiesOf, csrf, joinCookies, login, sameOrigin } from '../helpers/build.ts'

const count = async (knex: Knex, table: string): Promise<number> => Number((await knex(table).count({ n: '*' }).first())?.n)
const departmentId = async (knex: Knex, name: string): Promise<number> => Number((await knex('lc_departments').where({ name }).first('id')).id)

const entities: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#x27;': "'", '&#x60;': '`', '&#x3D;': '=' }

/** The hidden fields of the suggestions page, decoded as a browser posts them back. */
function carried (body: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    out[m[1]!] = m[2]!.replace(/&(amp|lt|gt|quot|#x27|#x60|#x3D);/g, (e) => entities[e]!)
  }
  return out
}

/** The ids of the articles offered, in the order shown. */
const offered = (body: string): string[] => [...body.matchAll(/<li class="lc-suggestion" data-article="(\d+)">/g)].map((m) => m[1]!)

t.test('suggested solutions before the chat', async (t) => {
  const { app, knex } = await build(t)
  const support = await departmentId(knex, 'Support')
  const reset = String((await knex('kb_articles').where({ title: 'Reset your password' }).first('id')).id)
  const question = 'How do I reset my password? It says "expired" & <b>locked</b>'

  async function post (path: string, cookie: string, payload: object): Promise<LightMyRequestResponse> {
    return await app.inject({ method: 'POST', url: `/livechat${path}`, headers: { cookie, ...sameOrigin }, payload })
  }

  /** The pre-chat form posted, answered with the suggestions page; its form as the browser would send it back. */
  async function suggested (fields: Record<string, string> = {}, asCookie = '') {
    const c = await csrf(app, asCookie)
    const res = await post('/start', c.cookie, { name: 'Erin Evans', email: 'erin@customer.example', department: String(support), question, f_order_number: '4471', ...fields, _csrf: c.token })
    return { res, cookie: c.cookie, form: carried(res.body) }
  }

  t.test('POST /start: a question the knowledge base answers shows the articles first, and queues nothing', async (t) => {
    const chats = await count(knex, 'lc_chats')
    const { res, form } = await suggested()
    t.equal(res.statusCode, 200)
    t.match(res.body, /<form id="lc-suggestions" class="lc-form lc-suggestions" method="post" action="\/livechat\/start\/continue"/)
    const ids = offered(res.body)
    t.ok(ids.length >= 1 && ids.length <= 3, `${ids.length} articles`)
    t.equal(ids[0], reset, 'the best match first')
    t.match(res.body, new RegExp(`<a href="/kb/${reset}" target="_blank" rel="noopener">Reset your password</a>`), 'the article opens in a new tab')
    t.match(res.body, /<p class="lc-suggestion__excerpt">[^<]*password/i, 'with an excerpt')
    t.match(res.body, new RegExp(`<button type="submit" formaction="/livechat/start/answered" name="article" value="${reset}">This answered my question</button>`))
    t.match(res.body, /<button type="submit" class="lc-primary">Continue to chat<\/button>/)
    t.same({ ...form, _csrf: 'x' }, { _csrf: 'x', name: 'Erin Evans', email: 'erin@customer.example', department: String(support), question, f_order_number: '4471' }, 'everything typed travels along, custom fields too')
    t.notMatch(res.body, /<b>locked<\/b>/, 'the question is escaped')
    t.equal(await count(knex, 'lc_chats'), chats, 'no chat yet')
  })

  t.test('POST /start: a question no article matches goes straight to the queue', async (t) => {
    const c = await csrf(app, '')
    const res = await post('/start', c.cookie, { name: 'Erin Evans', email: 'erin@customer.example', question: 'Where is my parcel?', _csrf: c.token })
    t.equal(res.statusCode, 303)
    t.match(String(res.headers.location), /^\/livechat\/chat\/\d+$/)
    const stopwords = await post('/start', c.cookie, { name: 'Erin Evans', email: 'erin@customer.example', question: 'Hi, are you there?', _csrf: c.token })
    t.equal(stopwords.statusCode, 303, 'nor does a question of no real words')
  })

  t.test('This answered my question: no chat is queued; the question and the article are recorded', async (t) => {
    const chats = await count(knex, 'lc_chats')
    const { form, cookie } = await suggested()
    const res = await post('/start/answered', cookie, { ...form, article: reset })
    t.equal(res.statusCode, 200)
    t.match(res.body, /<section id="lc-answered" class="lc-answered">\s*<h1>Glad that helped<\/h1>/)
    t.match(res.body, new RegExp(`<a href="/kb/${reset}" target="_blank" rel="noopener">Reset your password</a>`))
    t.equal(await count(knex, 'lc_chats'), chats, 'no chat queued')
    const row = await knex('lc_kb_deflections').orderBy('id', 'desc').first()
    t.match(row, { question, article_id: reset, article_title: 'Reset your password', article_url: `/kb/${reset}`, department_name: 'Support', customer_user_id: null, customer_email: 'erin@customer.example' })
    t.equal(Number(row.department_id), support)
    t.ok(Number(row.created_at) > 0)
  })

  t.test('This answered my question: a signed-in customer is recorded by their account', async (t) => {
    const session = await login(app, 'dana')
    const dana = await knex('users').where({ username: 'dana' }).first('id')
    const { form, cookie } = await suggested({ name: 'Someone Else', email: 'else@example.com' }, session)
    const res = await post('/start/answered', cookie, { ...form, article: reset })
    t.equal(res.statusCode, 200)
    const row = await knex('lc_kb_deflections').orderBy('id', 'desc').first()
    t.match(row, { customer_user_id: String(dana.id), customer_email: 'dana@customer.example' })
  })

  t.test('Continue to chat: the chat is queued exactly as from the form, with every value kept', async (t) => {
    const deflections = await count(knex, 'lc_kb_deflections')
    const { form, cookie } = await suggested()
    const res = await post('/start/continue', cookie, form)
    t.equal(res.statusCode, 303)
    const chatId = Number(/^\/livechat\/chat\/(\d+)$/.exec(String(res.headers.location))?.[1])
    const chat = await knex('lc_chats').where({ id: chatId }).first()
    t.match(chat, { status: 'queued', customer_name: 'Erin Evans', customer_email: 'erin@customer.example', question })
    const l1 = await knex('lc_groups').where({ name: 'Support L1' }).first('id')
    t.equal(Number(chat.group_id), Number(l1.id), 'in the department\'s entry group')
    const values = (await knex('lc_chat_field_values').where('chat_id', chatId)).map((r) => r.value as string)
    t.same(values, ['4471'], 'the custom field answered on the form')
    const window = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie: joinCookies(cookie, cookiesOf(res)) } })
    t.equal(window.statusCode, 200, 'the customer holds the chat\'s token')
    t.equal(await count(knex, 'lc_kb_deflections'), deflections, 'nothing recorded as deflected')
  })

  t.test('an article id that does not exist: a clear message, the suggestions again, nothing stored', async (t) => {
    const [chats, deflections] = [await count(knex, 'lc_chats'), await count(knex, 'lc_kb_deflections')]
    const { form, cookie } = await suggested()
    for (const article of ['999999', 'abc', `${reset}abc`, '1 OR 1=1']) {
      const res = await post('/start/answered', cookie, { ...form, article })
      t.equal(res.statusCode, 422, article)
      t.match(res.body, /data-code="LC_ERR_DEFLECTION_ARTICLE_UNKNOWN">The knowledge base has no article [^<]+ \(it may have been removed\); pick one of the articles below, or continue to chat/)
      t.same(carried(res.body).question, question, 'what was typed is still carried')
      t.equal(offered(res.body)[0], reset)
    }
    const long = await post('/start/answered', cookie, { ...form, article: '1'.repeat(65) })
    t.equal(long.statusCode, 422, 'an over-long id is refused by the schema')
    t.match(long.body, /id="lc-prechat"/)
    t.equal(await count(knex, 'lc_chats'), chats)
    t.equal(await count(knex, 'lc_kb_deflections'), deflections)
  })

  t.test('a customer is never offered an internal article or a draft, nor may answer with one', async (t) => {
    const internal = String((await knex('kb_articles').where({ title: 'Grant a temporary access pass (agents only)' }).first('id')).id)
    const draft = String((await knex('kb_articles').where({ title: 'Order a replacement laptop charger' }).first('id')).id)
    const [chats, deflections] = [await count(knex, 'lc_chats'), await count(knex, 'lc_kb_deflections')]
    for (const [asked, hidden] of [['I need a temporary access pass', internal], ['Where do I order a replacement laptop charger?', draft]] as const) {
      const { res } = await suggested({ question: asked })
      t.equal(res.statusCode, 200, asked)
      t.ok(offered(res.body).length > 0, 'public articles with the words are offered')
      t.notOk(offered(res.body).includes(hidden), `${asked}: not offered`)
      t.notMatch(res.body, /agents only|replacement laptop charger<\/a>|TAP issued/)
    }
    const { form, cookie } = await suggested({ question: 'I need a temporary access pass' })
    for (const article of [internal, draft]) {
      const res = await post('/start/answered', cookie, { ...form, article })
      t.equal(res.statusCode, 422, 'refused as no article')
      t.match(res.body, /data-code="LC_ERR_DEFLECTION_ARTICLE_UNKNOWN"/)
      t.notMatch(res.body, /Grant a temporary access pass|Order a replacement laptop charger/, 'not even its title')
    }
    t.equal(await count(knex, 'lc_chats'), chats)
    t.equal(await count(knex, 'lc_kb_deflections'), deflections, 'nothing recorded')
  })

  t.test('the second POST is checked again: changed values come back on the pre-chat form, nothing stored', async (t) => {
    const [chats, deflections] = [await count(knex, 'lc_chats'), await count(knex, 'lc_kb_deflections')]
    const { form, cookie } = await suggested()
    const bad = await post('/start/continue', cookie, { ...form, email: 'not-an-email', f_order_number: 'four' })
    t.equal(bad.statusCode, 422)
    t.match(bad.body, /id="lc-email-error"/)
    t.match(bad.body, /id="lc-f-order_number-error" class="lc-field-error" data-code="LC_ERR_FIELD_VALUE">Order number must be a number/)
    t.match(bad.body, /value="four"/, 'what was typed is kept')
    const unknown = await post('/start/answered', cookie, { ...form, department: '99999', article: reset })
    t.equal(unknown.statusCode, 422)
    t.match(unknown.body, /Department: pick one of the departments in the list/)
    const extra = await post('/start/continue', cookie, { ...form, admin: 'yes' })
    t.equal(extra.statusCode, 422, 'an unknown field stops it too')
    t.equal(await count(knex, 'lc_chats'), chats)
    t.equal(await count(knex, 'lc_kb_deflections'), deflections)
  })

  t.test('without a CSRF token, or from another site, neither choice does anything', async (t) => {
    const [chats, deflections] = [await count(knex, 'lc_chats'), await count(knex, 'lc_kb_deflections')]
    const { form, cookie } = await suggested()
    const { _csrf: _, ...noToken } = form
    t.equal((await post('/start/answered', cookie, { ...noToken, article: reset })).statusCode, 403)
    t.equal((await post('/start/continue', cookie, noToken)).statusCode, 403)
    const foreign = await app.inject({ method: 'POST', url: '/livechat/start/continue', headers: { cookie, origin: 'https://evil.example' }, payload: form })
    t.equal(foreign.statusCode, 403)
    t.equal(await count(knex, 'lc_chats'), chats)
    t.equal(await count(knex, 'lc_kb_deflections'), deflections)
  })

  t.test('Continue to chat after the last agent left: the leave-a-message form, with the question kept', async (t) => {
    const { form, cookie } = await suggested()
    const bob = await agentSession(app, 'bob')
    await bob.post('/livechat/console/availability', {})
    const chats = await count(knex, 'lc_chats')
    const res = await post('/start/continue', cookie, form)
    t.equal(res.statusCode, 422)
    t.match(res.body, /Support has nobody available right now/)
    t.match(res.body, /<textarea[^>]*name="message"[^>]*>How do I reset my password\? It says &quot;expired&quot; &amp; &lt;b&gt;locked&lt;\/b&gt;<\/textarea>/)
    t.equal(await count(knex, 'lc_chats'), chats)
    const offline = await suggested()
    t.equal(offline.res.statusCode, 422, 'an offline department is offered to leave a message, not suggestions')
    t.notMatch(offline.res.body, /lc-suggestions/)
    await knex('lc_agent_presence').where({ agent_id: String((await knex('users').where({ username: 'bob' }).first('id')).id) }).update({ status: 'available' })
  })
})

t.test('suggested solutions: rate limited like starting a chat', async (t) => {
  const { app, knex } = await build(t, { pluginOptions: { settings: { chatStartsPerMinute: 2 } } })
  const reset = String((await knex('kb_articles').where({ title: 'Reset your password' }).first('id')).id)
  const c = await csrf(app, '')
  const payload = { name: 'Erin Evans', email: 'erin@customer.example', question: 'reset my password', _csrf: c.token, article: reset }
  const answer = async () => await app.inject({ method: 'POST', url: '/livechat/start/answered', headers: { cookie: c.cookie, ...sameOrigin }, payload })
  t.equal((await answer()).statusCode, 200)
  t.equal((await answer()).statusCode, 200)
  const third = await answer()
  t.equal(third.statusCode, 429)
  t.match(third.body, /Too many questions sent from this address; wait a minute and try again/)
  t.equal(await count(knex, 'lc_kb_deflections'), 2)
})

t.test('the deflection report', async (t) => {
  const { app, knex } = await build(t)
  const now = Date.now()
  const day = 86_400_000
  const support = await departmentId(knex, 'Support')
  const row = (question: string, ageDays: number) => ({
    ...{ question, article_id: '1', article_title: 'Reset your password', article_url: '/kb/1' },
    ...{ department_id: support, department_name: 'Support', customer_user_id: null, customer_email: 'erin@customer.example', created_at: now - ageDays * day }
  })
  await knex('lc_kb_deflections').insert([row('Older question', 20), row('Forgotten password <script>x()</script>', 1), row('Long ago', 45)])
  const admin = await agentSession(app, 'admin')

  t.test('administrators see deflected questions newest first, and the counts beside chats started', async (t) => {
    const res = await app.inject({ url: '/livechat/admin/deflections', headers: { cookie: admin.cookie } })
    t.equal(res.statusCode, 200)
    t.match(res.body, /<h1>Suggested solutions<\/h1>/)
    t.match(res.body, /<section id="lc-deflections"/)
    const order = [...res.body.matchAll(/<td class="lc-deflections__question">([^<]*)<\/td>/g)].map((m) => m[1])
    t.same(order, ['Forgotten password &lt;script&gt;x()&lt;/script&gt;', 'Older question', 'Long ago'], 'newest first, escaped')
    t.match(res.body, /<a href="\/kb\/1" target="_blank" rel="noopener">Reset your password<\/a><\/td>\s*<td>Support<\/td>/)
    const chats = async (days: number) => Number((await knex('lc_chats').where('created_at', '>=', now - days * day).count({ n: '*' }).first())?.n)
    t.match(res.body, new RegExp(`<tr data-days="7"><th scope="row">Last 7 days</th><td data-deflected="1">1</td><td data-chats="${await chats(7)}">`))
    t.match(res.body, new RegExp(`<tr data-days="30"><th scope="row">Last 30 days</th><td data-deflected="2">2</td><td data-chats="${await chats(30)}">`))
  })

  t.test('the rate is the share of questions answered by an article', async (t) => {
    const before = await app.inject({ url: '/livechat/admin/deflections', headers: { cookie: admin.cookie } })
    const chats7 = Number(/<td data-chats="(\d+)">/.exec(before.body)?.[1])
    const rate = Math.round(1000 / (1 + chats7)) / 10
    t.match(before.body, new RegExp(`<td data-chats="${chats7}">${chats7}</td><td>${String(rate).replace('.', '\\.')}%</td>`))
  })

  t.test('agents, customers and visitors who are not administrators are refused', async (t) => {
    const alice = await agentSession(app, 'alice')
    const sam = await agentSession(app, 'sam')
    for (const cookie of [alice.cookie, sam.cookie, await login(app, 'dana')]) {
      const res = await app.inject({ url: '/livechat/admin/deflections', headers: { cookie } })
      t.equal(res.statusCode, 403)
      t.match(res.body, /livechat\.admin/)
      t.notMatch(res.body, /Forgotten password/)
    }
    t.equal((await app.inject({ url: '/livechat/admin/deflections' })).statusCode, 401)
    t.equal((await app.inject({ url: '/livechat/admin/deflections?x=1', headers: { cookie: admin.cookie } })).statusCode, 400, 'the page takes no parameters')
  })

  t.test('the page is in the host\'s admin navigation and the console\'s top bar, for administrators', async (t) => {
    t.match(loadManifest().navigation.find((n) => n.id === 'admin-deflections'), { area: 'admin', href: '/livechat/admin/deflections', permission: 'livechat.admin' })
    const link = /href="\/livechat\/admin\/deflections">Suggested solutions</
    t.match((await app.inject({ url: '/livechat/console', headers: { cookie: admin.cookie } })).body, link)
    t.notMatch((await app.inject({ url: '/livechat/console', headers: { cookie: (await agentSession(app, 'alice')).cookie } })).body, link)
  })
})

t.test('the deflection report with nothing yet', async (t) => {
  const { app } = await build(t)
  const admin = await agentSession(app, 'admin')
  const res = await app.inject({ url: '/livechat/admin/deflections', headers: { cookie: admin.cookie } })
  t.equal(res.statusCode, 200)
  t.match(res.body, /No questions have been answered by a suggested article yet/)
  t.match(res.body, /<td data-deflected="0">0<\/td><td data-chats="0">0<\/td><td>—<\/td>/)
})
