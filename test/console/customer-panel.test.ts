import t from 'tap'
import { agentSession, build, login, startChat } from '../helpers/build.ts'
import { markPage, missing, openBrowser, openConsole, stillSamePage, wait } from '../helpers/browser.ts'
import { given, services } from '../helpers/given.ts'

const day = 86_400_000

t.test('customer panel: the Customer tab, the email in the header and the returning-customer line', async (t) => {
  const { app, knex } = await build(t)
  const tab = async (chatId: number, cookie: string) => await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/customer`, headers: { cookie } })
  const bob = await agentSession(app, 'bob')
  const alice = await agentSession(app, 'alice')
  const handled = async (agent: typeof bob, fields: { email?: string, question?: string }, cookie = ''): Promise<number> => {
    const { chatId } = await startChat(app, fields, cookie)
    t.equal((await agent.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
    t.equal((await agent.post(`/livechat/console/chats/${chatId}/end`)).statusCode, 200)
    return chatId
  }

  t.test('a signed-out customer: pre-chat details, earlier chats by email, linked only where the agent may look', async (t) => {
    const email = 'frank@visitor.example'
    const byAlice = await handled(alice, { email, question: 'Printer jams on <every> page' })
    const byBob = await handled(bob, { email: 'FRANK@Visitor.example', question: 'Toner light stays on' })
    // Time logged on his earlier chats counts towards the customer's statistics.
    t.equal((await bob.post(`/livechat/console/chats/${byBob}/items/time_log`, { minutes: '25', note: 'Replaced the toner' })).statusCode, 200)
    await handled(bob, { email: 'someone@else.example', question: 'Not Frank' })
    // A deleted chat is gone for the panel too.
    const deleted = await handled(bob, { email, question: 'Deleted one' })
    await knex('lc_chats').where('id', deleted).update({ deleted_at: Date.now() })
    await knex('lc_chats').where('id', byAlice).update({ created_at: Date.now() - 40 * day })

    const { chatId } = await startChat(app, { name: 'Frank Fisher', email, question: 'Scanner too' })
    const pane = await bob.post(`/livechat/console/chats/${chatId}/accept`)
    t.match(pane.body, /<p class="lc-returning"><strong>Returning customer:<\/strong> <button type="button" class="lc-linkish" data-lc-open-tab="customer"[^>]*>2 earlier chats \(last on <time datetime="[^"]+" data-format="datetime">/)
    t.match(pane.body, new RegExp(`<button type="button" class="lc-linkish" data-lc-open-tab="customer" aria-controls="lc-tab-panel-${chatId}" title="Customer details">${email}</button> <a class="lc-chat-header__mail" href="mailto:${email}"`))
    t.match(pane.body, new RegExp(`id="lc-tab-${chatId}-customer"[^>]*data-lc-tab="customer" hx-get="/livechat/console/chats/${chatId}/tabs/customer"`))

    const res = await tab(chatId, bob.cookie)
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-tab-panel-${chatId}" hx-swap="innerHTML">\\s*<section id="lc-customer-panel-${chatId}"`))
    t.match(res.body, /<dt>Name<\/dt><dd>Frank Fisher<\/dd>\s*<dt>Username<\/dt><dd>—<\/dd>\s*<dt>Email<\/dt><dd>frank@visitor.example<\/dd>/)
    t.notMatch(res.body, /<dt>Roles<\/dt>/)
    t.match(res.body, /<dt>Signed in<\/dt><dd>no<\/dd>/)
    t.match(res.body, /Not signed in: the name and email are what the customer typed/)
    t.match(res.body, /Tickets are known for signed-in customers only/)
    // Newest first; bob's own chat is linked, alice's is listed without a link.
    t.match(res.body, new RegExp(`<a href="/livechat/console/chats/${byBob}">#${byBob}</a>[\\s\\S]*Ended[\\s\\S]*Bob Brown[\\s\\S]*Toner light stays on[\\s\\S]*<td>#${byAlice}</td>[\\s\\S]*Alice Adams[\\s\\S]*Printer jams on &lt;every&gt; page`))
    t.notMatch(res.body, new RegExp(`/livechat/console/chats/${byAlice}"`))
    t.notMatch(res.body, /Not Frank|Deleted one|Scanner too/, 'neither someone else’s, a deleted one, nor this chat itself')
    t.match(res.body, /<th scope="row">Last 7 days<\/th><td>—<\/td><td>2<\/td><td>25 min<\/td>/)
    t.match(res.body, /<th scope="row">Last 30 days<\/th><td>—<\/td><td>2<\/td>/)
    t.match(res.body, /<th scope="row">Last 90 days<\/th><td>—<\/td><td>3<\/td>/)
    t.match(res.body, /<th scope="row">All time<\/th><td>—<\/td><td>3<\/td><td>25 min<\/td>/)
    t.notMatch(res.body, /Time logs are not available here/)
  })

  t.test('a signed-in customer: the host account, roles and tickets with links and status', async (t) => {
    const dana = await login(app, 'dana')
    const first = await handled(bob, { question: 'Outlook asks for my password' }, dana)
    const { chatId } = await startChat(app, { question: 'Still asking' }, dana)
    await bob.post(`/livechat/console/chats/${chatId}/accept`)
    const res = await tab(chatId, bob.cookie)
    t.equal(res.statusCode, 200)
    t.match(res.body, /<dt>Name<\/dt><dd>Dana Doyle<\/dd>\s*<dt>Username<\/dt><dd>dana<\/dd>\s*<dt>Email<\/dt><dd>dana@customer.example<\/dd>/)
    t.match(res.body, /<dt>Roles<\/dt><dd><span class="lc-pill">customer<\/span>/)
    t.match(res.body, /<dt>Signed in<\/dt><dd>yes, as a help desk user<\/dd>/)
    const tickets = await knex('tickets').join('users', 'users.id', 'tickets.requester_id').where('users.username', 'dana').select('tickets.ref', 'tickets.status')
    t.ok(tickets.length > 0)
    for (const k of tickets) t.match(res.body, new RegExp(`<a href="/tickets/${k.ref}" target="_blank" rel="noopener">${k.ref}</a></td><td>[^<]*</td><td>${k.status}</td>`))
    t.match(res.body, new RegExp(`<th scope="row">All time</th><td>${tickets.length}</td><td>2</td>`))
    // The demo host dates its tickets, so they are counted per period too.
    const dates = await knex('tickets').join('users', 'users.id', 'tickets.requester_id').where('users.username', 'dana').pluck('tickets.created_at')
    const since = (days: number): number => dates.filter((d: number | string) => Number(d) >= Date.now() - days * 86_400_000).length
    t.match(res.body, new RegExp(`<th scope="row">Last 7 days</th><td>${since(7)}</td><td>2</td>`))
    t.match(res.body, new RegExp(`<th scope="row">Last 90 days</th><td>${since(90)}</td><td>2</td>`))
    t.notMatch(res.body, /Tickets per period need the tickets’ dates/)
    t.match(res.body, new RegExp(`<a href="/livechat/console/chats/${first}">#${first}</a>`))
    // Ended, so that her next start is a new chat rather than this one resumed (docs/features.md#one-open-chat-per-customer).
    await bob.post(`/livechat/console/chats/${chatId}/end`)
  })

  t.test('a first chat has no returning line and an empty history', async (t) => {
    const { chatId } = await startChat(app, { email: 'new@visitor.example' })
    const pane = await bob.post(`/livechat/console/chats/${chatId}/accept`)
    t.notMatch(pane.body, /Returning customer/)
    const res = await tab(chatId, bob.cookie)
    t.match(res.body, /No other live chats\./)
    t.match(res.body, /<th scope="row">All time<\/th><td>—<\/td><td>1<\/td>/)
    await bob.post(`/livechat/console/chats/${chatId}/end`)
  })

  t.test('the host failing on tickets spoils that section only', async (t) => {
    const dana = await login(app, 'dana')
    const { chatId } = await startChat(app, { question: 'Badge again' }, dana)
    await bob.post(`/livechat/console/chats/${chatId}/accept`)
    await knex.schema.renameTable('tickets', 'tickets_away')
    t.teardown(async () => { if (await knex.schema.hasTable('tickets_away')) await knex.schema.renameTable('tickets_away', 'tickets') })
    const res = await tab(chatId, bob.cookie)
    await knex.schema.renameTable('tickets_away', 'tickets')
    t.equal(res.statusCode, 200)
    t.match(res.body, /<p class="lc-customer__error" role="status">Tickets could not be loaded<\/p>/)
    t.match(res.body, /<dd>Dana Doyle<\/dd>/, 'details still there')
    t.match(res.body, /Previous live chats[\s\S]*<a href="\/livechat\/console\/chats\/\d+">/, 'chats still there')
    t.match(res.body, /<th scope="row">All time<\/th><td>—<\/td>/, 'no ticket count made up')
    t.notMatch(res.body, /Tickets per period need/)
    await bob.post(`/livechat/console/chats/${chatId}/end`)
  })

  t.test('a signed-in customer whose account is gone: shown as the chat recorded it', async (t) => {
    const { chatId } = await startChat(app, { name: 'Ivy Gone', email: 'ivy@gone.example' }, await login(app, 'erin'))
    await knex('lc_chats').where('id', chatId).update({ customer_user_id: '999999' })
    await bob.post(`/livechat/console/chats/${chatId}/accept`)
    const res = await tab(chatId, bob.cookie)
    t.equal(res.statusCode, 200)
    t.match(res.body, /<dt>Name<\/dt><dd>Erin Evans<\/dd>/, 'the name the chat recorded (a signed-in customer’s own)')
    t.match(res.body, /The help desk no longer has this user account/)
    t.match(res.body, /<dt>Roles<\/dt><dd>none<\/dd>/)
    t.match(res.body, /No tickets\./)
    await bob.post(`/livechat/console/chats/${chatId}/end`)
  })

  t.test('404 for an unknown chat or one the agent may not see, without a trace of the customer', async (t) => {
    const { chatId } = await startChat(app, { name: 'Gina Secret', email: 'gina@secret.example' })
    await bob.post(`/livechat/console/chats/${chatId}/accept`)
    const carol = await agentSession(app, 'carol')
    const hidden = await tab(chatId, carol.cookie)
    t.equal(hidden.statusCode, 404)
    t.notMatch(hidden.body, /gina|Gina/)
    t.equal((await tab(999999, bob.cookie)).statusCode, 404)
    t.equal((await app.inject({ url: '/livechat/console/chats/abc/tabs/customer', headers: { cookie: bob.cookie } })).statusCode, 400)
    t.equal((await tab(chatId, await login(app, 'dana'))).statusCode, 403, 'a customer is no agent')
    t.equal((await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/customer` })).statusCode, 401)
    await bob.post(`/livechat/console/chats/${chatId}/end`)
  })
})

t.test('chats.customerChats: by user id or email, newest first, with counts per period', async (t) => {
  let now = Date.now()
  const s = await services(t, { clock: () => now })
  const a = (await given.queuedChat(s, { email: 'Hal@Example.com' })).chat
  now += 1000
  const b = (await given.queuedChat(s, { email: 'hal@example.com' })).chat
  await given.queuedChat(s, { email: 'ida@example.com' })
  const dana = await s.user('dana')
  const signedIn = (await s.chats.startChat({ name: 'Dana Doyle', email: 'hal@example.com', question: 'Mine', customer: dana, groupId: await s.groupId('Support L1') })).chat

  const byEmail = await s.chats.customerChats({ userId: null, email: 'HAL@example.com' })
  t.same(byEmail.chats.map((c) => c.id), [signedIn.id, b.id, a.id], 'any case of the email, newest first')
  t.same(byEmail.counts, { last7: 3, last30: 3, last90: 3, all: 3 })
  const byUser = await s.chats.customerChats({ userId: dana.id, email: 'ignored@example.com' })
  t.same(byUser.chats.map((c) => c.id), [signedIn.id], 'a signed-in customer by user id only')

  const before = await s.chats.customerChats({ userId: null, email: 'hal@example.com' }, { before: b.id, limit: 1 })
  t.same(before.chats.map((c) => c.id), [a.id])
  t.equal(before.counts.all, 1)

  now += 8 * day
  const later = await s.chats.customerChats({ userId: null, email: 'hal@example.com' }, { limit: 1 })
  t.equal(later.chats.length, 1, 'the limit bounds the list')
  t.same(later.counts, { last7: 0, last30: 3, last90: 3, all: 3 }, 'but not the counts')
  t.same((await s.chats.customerChats({ userId: null, email: 'nobody@example.com' })).counts, { last7: 0, last30: 0, last90: 0, all: 0 })
})

t.test('in a browser: the email and the returning line open the Customer tab; Conversation comes back with its draft', { skip: missing }, async (t) => {
  const { app, url } = await build(t, { listen: true })
  const bob = await agentSession(app, 'bob')
  for (const question of ['Wi-Fi drops every hour', 'Wi-Fi drops again']) {
    const { chatId } = await startChat(app, { name: 'Hana Hill', email: 'hana@visitor.example', question })
    await bob.post(`/livechat/console/chats/${chatId}/accept`)
    await bob.post(`/livechat/console/chats/${chatId}/end`)
  }
  const { chatId } = await startChat(app, { name: 'Hana Hill', email: 'hana@visitor.example', question: 'And once more' })
  await bob.post(`/livechat/console/chats/${chatId}/accept`)

  const { page, pageErrors, consoleErrors } = await openBrowser(t, 'bob')
  if (process.env.LC_SHOTS) page.setViewportSize({ width: 1280, height: 1000 })
  await openConsole(page, url, 'bob')
  await markPage(page)
  const pane = page.locator(`#lc-chat-${chatId}`)
  await page.getByRole('textbox', { name: 'Message' }).fill('Half-written answer')
  await pane.getByRole('button', { name: /^2 earlier chats \(last on / }).waitFor(wait)

  await pane.getByRole('button', { name: 'hana@visitor.example' }).click()
  const panel = pane.getByRole('region', { name: `Customer of chat #${chatId}` })
  await panel.getByRole('heading', { name: 'Previous live chats' }).waitFor(wait)
  t.equal(await pane.getByRole('tab', { name: 'Customer' }).getAttribute('aria-selected'), 'true', 'the Customer tab is selected')
  t.equal(await pane.locator('.lc-conversation').isHidden(), true, 'the conversation steps aside')
  t.equal(await panel.getByRole('link', { name: /^#\d+$/ }).count(), 2, 'both earlier chats, linked')
  t.ok(await panel.getByText('Wi-Fi drops again').isVisible())
  if (process.env.LC_SHOTS) await page.screenshot({ path: `${process.env.LC_SHOTS}/customer-panel.png`, fullPage: true })

  await pane.getByRole('tab', { name: 'Conversation' }).click()
  t.equal(await page.getByRole('textbox', { name: 'Message' }).inputValue(), 'Half-written answer', 'the draft survives')
  if (process.env.LC_SHOTS) await page.screenshot({ path: `${process.env.LC_SHOTS}/returning-line.png` })
  await pane.getByRole('button', { name: /^2 earlier chats/ }).click()
  await panel.waitFor(wait)
  t.equal(await pane.getByRole('tab', { name: 'Customer' }).getAttribute('aria-selected'), 'true', 'the returning line opens it too')
  t.ok(await stillSamePage(page), 'no reload')
  t.same(pageErrors, [])
  t.same(consoleErrors, [])
})
