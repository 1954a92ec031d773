import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { createSession } from '../../demo-host/auth.ts'
import { prepareDatabase } from '../../demo-host/setup.ts'
import type { HostAdapter } from '../../plugin/host/adapter.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import liveChat from '../../plugin/index.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { agentSession, build, csrf, login, sameOrigin, standBy, startChat } from '../helpers/build.ts'
import { testDatabase } from '../helpers/db.ts'

type Post = (url: string, payload?: object) => Promise<LightMyRequestResponse>
const chatUrl = (chatId: number): string => `/livechat/console/chats/${chatId}`
/** A form's hidden and visible values as the browser would send them again. */
const hiddenValues = (html: string): Record<string, string> => Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&amp;/g, '&')]))

t.test('Create Ticket and Abandon over HTTP', async (t) => {
  const { app, knex } = await build(t)
  const [alice, bob, sam] = [await agentSession(app, 'alice'), await agentSession(app, 'bob'), await agentSession(app, 'sam')]
  const get = async (cookie: string, url: string) => await app.inject({ url, headers: { cookie, 'hx-request': 'true' } })
  const ticketRow = async (ref: string) => await knex('tickets').where({ ref }).first()
  const ticketCount = async (): Promise<number> => Number((await knex('tickets').count({ n: '*' }).first())?.n)
  const refIn = (body: string): string => /created from the chat/.test(body) ? /<a href="\/tickets\/([A-Z]+\d+)"/.exec(body)![1]! : ''
  const templateId = async (name: string): Promise<string> => String((await knex('ticket_templates').where({ name }).first('id')).id)
  const open: number[] = []

  /** A chat alice has accepted; her earlier ones are ended first (she takes four at most). */
  async function accepted (fields: { email?: string, question?: string } = {}): Promise<number> {
    for (const id of open.splice(0)) await alice.post(`${chatUrl(id)}/end`)
    const { chatId } = await startChat(app, fields)
    await alice.post(`${chatUrl(chatId)}/accept`)
    open.push(chatId)
    return chatId
  }

  t.test('the header offers Create Incident and Create Work Order to the chat\'s agent and supervisors only', async (t) => {
    const chatId = await accepted()
    const view = await app.inject({ url: chatUrl(chatId), headers: { cookie: alice.cookie } })
    t.match(view.body, new RegExp(`<summary aria-label="Create Ticket from chat #${chatId}">Create Ticket</summary>`))
    for (const [kind, label] of [['incident', 'Create Incident'], ['work_order', 'Create Work Order']] as const) {
      t.match(view.body, new RegExp(`data-lc-open-tab="related" hx-post="${chatUrl(chatId)}/tickets" hx-vals='\\{"kind": "${kind}"\\}' hx-target="#lc-notice" hx-swap="none">${label}<`), label)
    }
    t.notMatch(view.body, /"kind": "ticket"/, 'no plain Ticket on a desk of incidents and work orders')
    t.match(view.body, new RegExp(`hx-get="${chatUrl(chatId)}/abandon" hx-target="#lc-notice" hx-swap="none"[^>]*>Abandon</button>`), 'Abandon in the header, apart from the everyday actions')
    t.match((await app.inject({ url: chatUrl(chatId), headers: { cookie: sam.cookie } })).body, />Create Incident</)
    const { chatId: queued } = await startChat(app)
    const waiting = await app.inject({ url: chatUrl(queued), headers: { cookie: bob.cookie } })
    t.equal(waiting.statusCode, 200)
    t.notMatch(waiting.body, /Create Ticket|>Abandon</, 'nothing to file or abandon while it waits')
  })

  t.test('Create Incident: made at once from the transcript, listed in Related Items, and the ticket page links back', async (t) => {
    const chatId = await accepted({ question: 'My VPN <will not> connect' })
    const res = await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident' })
    t.equal(res.statusCode, 200)
    const ref = refIn(res.body)
    t.match(ref, /^INC\d{6}$/)
    t.match(res.body, new RegExp(`Incident <a href="/tickets/${ref}" target="_blank" rel="noopener">${ref}</a> created from the chat and listed in Related Items`))
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-related-items-${chatId}" hx-swap="outerHTML">[\\s\\S]*${ref}</a> My VPN &lt;will not&gt; connect · <span class="lc-pill">New</span>[\\s\\S]*created from this chat by Alice Adams`))
    t.notMatch(res.body, /hx-target="#lc-chat-tools-/, 'the tools slot is left as it was')
    const history = await get(alice.cookie, `${chatUrl(chatId)}/tabs/history`)
    t.match(history.body, new RegExp(`Created incident ${ref} from the transcript`))

    const page = await app.inject({ url: `/tickets/${ref}`, headers: { cookie: await login(app, 'carol') } })
    t.equal(page.statusCode, 200)
    t.match(page.body, new RegExp(`<pre class="description">Transcript of chat #${chatId}\nDana Doyle with Alice Adams \\(Support / Support L1\\)`))
    t.match(page.body, /\d\d:\d\d {2}Dana Doyle: My VPN &lt;will not&gt; connect/)
    t.match(page.body, new RegExp(`<a href="/livechat/console/chats/${chatId}">From live chat #${chatId}</a>`))
    t.match(page.body, /<dt>Requester<\/dt><dd>Dana Doyle <a href="mailto:dana@customer.example" class="requester-email">dana@customer.example<\/a><\/dd>/)
    t.match(page.body, /<dt>Channel<\/dt><dd>Live chat<\/dd>/)
    t.match(page.body, /<dt>Assignee<\/dt><dd>Alice Adams<\/dd>/)
    t.match(page.body, new RegExp(`Created from live chat #${chatId}`))
    const back = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: alice.cookie } })
    t.equal(back.statusCode, 200, 'the link opens the chat in its own window')
  })

  t.test('Create Incident for a guest: the desk\'s ticket keeps their name and email, and its page shows them', async (t) => {
    const { chatId } = await startChat(app, { name: 'Gus Guest', email: 'gus@nowhere.example', question: 'Locked out' })
    for (const id of open.splice(0)) await alice.post(`${chatUrl(id)}/end`)
    await alice.post(`${chatUrl(chatId)}/accept`)
    open.push(chatId)
    const res = await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident' })
    t.equal(res.statusCode, 200)
    const ref = refIn(res.body)
    t.match(await ticketRow(ref), { requester_id: null, requester_name: 'Gus Guest', requester_email: 'gus@nowhere.example', channel: 'livechat' })
    const page = await app.inject({ url: `/tickets/${ref}`, headers: { cookie: await login(app, 'carol') } })
    t.match(page.body, /<dt>Requester<\/dt><dd>Gus Guest <a href="mailto:gus@nowhere.example" class="requester-email">gus@nowhere.example<\/a> <span class="muted">\(guest: not a user of this desk\)<\/span><\/dd>/)
  })

  t.test('a template with its required fields set is made at once; one with a blank required field opens Confirm + Save', async (t) => {
    const chatId = await accepted()
    const complete = await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident', templateId: await templateId('Cannot sign in') })
    const ref = refIn(complete.body)
    t.match(ref, /^INC/)
    t.same(JSON.parse((await ticketRow(ref)).details), { impact: '3-Moderate/Limited', urgency: '3-Medium', service: 'Identity and sign-in' })

    const before = await ticketCount()
    const printer = await templateId('Printer problem')
    const form = await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident', templateId: printer })
    t.equal(form.statusCode, 200)
    t.equal(await ticketCount(), before, 'nothing made yet')
    t.match(form.body, new RegExp(`^<hx-partial hx-target="#lc-chat-tools-${chatId}" hx-swap="innerHTML"><form class="lc-transfer lc-ticket-form" hx-post="${chatUrl(chatId)}/tickets" hx-target="#lc-notice" hx-swap="none"`))
    t.match(form.body, /<h3 [^>]*>Create Incident: Printer problem<\/h3>/)
    t.match(form.body, /name="summary" value="Printing does not work" required>/)
    t.match(form.body, /<label for="lc-ticket-\d+-field-3">Asset tag <span aria-hidden="true">\*<\/span><\/label>\s*<input id="lc-ticket-\d+-field-3" name="f_asset_tag" value="" required>/)
    t.match(form.body, /<select id="lc-ticket-\d+-field-1" name="f_urgency" required>[\s\S]*<option value="3-Medium" selected>3-Medium<\/option>/)
    t.match(form.body, /<label for="lc-ticket-\d+-field-2">Service<\/label>\s*<input [^>]*name="f_service" value="Printing">/, 'optional fields are not marked')
    t.match(form.body, new RegExp(`<pre>Printer name or location:[\\s\\S]*\\n\\nTranscript of chat #${chatId}\\n`), 'the description as it will be saved')
    t.match(form.body, />Confirm \+ Save<\/button>/)
    t.notMatch(form.body, /lc-field-error/, 'no messages before anything was typed')

    const refused = await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident', templateId: printer, summary: 'Floor 3 <printer>', f_impact: '2-Significant/Large', f_urgency: '3-Medium', f_service: 'Printing', f_asset_tag: ' ' })
    t.equal(refused.statusCode, 422)
    t.match(refused.body, /name="summary" value="Floor 3 &lt;printer&gt;" required>/, 'what was typed is kept')
    t.match(refused.body, /<option value="2-Significant\/Large" selected>/)
    t.match(refused.body, /name="f_asset_tag" value="" required aria-invalid="true" aria-describedby="(lc-ticket-\d+-field-3)-error">\s*<p id="\1-error" class="lc-field-error" role="alert">Asset tag is required; fill it in before saving<\/p>/)
    t.equal(await ticketCount(), before)

    const saved = await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident', templateId: printer, summary: 'Floor 3 <printer>', f_impact: '2-Significant/Large', f_urgency: '3-Medium', f_service: 'Printing', f_asset_tag: 'PRN-0042' })
    t.equal(saved.statusCode, 200)
    t.match(saved.body, new RegExp(`<hx-partial hx-target="#lc-chat-tools-${chatId}" hx-swap="innerHTML"></hx-partial>`), 'the form closes')
    const savedRef = refIn(saved.body)
    const row = await ticketRow(savedRef)
    t.equal(row.summary, 'Floor 3 <printer>')
    t.same(JSON.parse(row.details), { impact: '2-Significant/Large', urgency: '3-Medium', service: 'Printing', asset_tag: 'PRN-0042' })

    const page = await app.inject({ url: `/tickets/${savedRef}`, headers: { cookie: alice.cookie } })
    t.match(page.body, /<dt>Impact<\/dt><dd>2-Significant\/Large<\/dd><dt>Urgency<\/dt><dd>3-Medium<\/dd><dt>Service<\/dt><dd>Printing<\/dd><dt>Asset tag<\/dt><dd>PRN-0042<\/dd>/)
    t.match(page.body, /<h1><span class="ref">INC\d+<\/span> Floor 3 &lt;printer&gt;<\/h1>/)
  })

  t.test('refusals: not your chat, unknown template, a kind the desk does not take, a queued chat, bad input', async (t) => {
    const chatId = await accepted()
    const before = await ticketCount()
    const notYours = await bob.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident' })
    t.equal(notYours.statusCode, 403)
    t.match(notYours.body, new RegExp(`data-code="LC_ERR_TICKET_NOT_YOURS"[\\s\\S]*Only the agent who has chat #${chatId}, or a supervisor of its group, may make a ticket from it or abandon it`))
    const unknown = await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident', templateId: '424242' })
    t.equal(unknown.statusCode, 422)
    t.match(unknown.body, /data-code="LC_ERR_TICKET_TEMPLATE_UNKNOWN"[\s\S]*The help desk has no incident template 424242/)
    const kind = await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'ticket' })
    t.equal(kind.statusCode, 422)
    t.match(kind.body, /data-code="LC_ERR_TICKET_KIND"[\s\S]*create one of: Incident, Work Order/)
    const { chatId: queued } = await startChat(app)
    const waiting = await sam.post(`${chatUrl(queued)}/tickets`, { kind: 'incident' })
    t.equal(waiting.statusCode, 409)
    t.match(waiting.body, /data-code="LC_ERR_TICKET_CHAT_STATE"[\s\S]*this chat is waiting in queue/)
    t.equal((await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'problem' })).statusCode, 400)
    t.equal((await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident', requester_id: '1' })).statusCode, 400)
    t.equal((await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident', 'f_bad name': 'x' })).statusCode, 400)
    const noCsrf = await app.inject({ method: 'POST', url: `${chatUrl(chatId)}/tickets`, payload: { kind: 'incident' }, headers: { cookie: alice.cookie, 'hx-request': 'true', ...sameOrigin } })
    t.equal(noCsrf.statusCode, 403)
    const customer = await app.inject({ method: 'POST', url: `${chatUrl(chatId)}/tickets`, payload: { kind: 'incident' }, headers: { cookie: await login(app, 'dana'), 'hx-request': 'true', ...sameOrigin } })
    t.equal(customer.statusCode, 403, 'customers are no agents')
    t.equal(await ticketCount(), before, 'nothing made')
    t.equal((await knex('lc_chat_items').where({ chat_id: chatId })).length, 0, 'nothing linked')
  })

  t.test('the ticket page: status change with a reason writes the activity log; a refused change keeps what was chosen', async (t) => {
    const chatId = await accepted()
    const ref = refIn((await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'work_order' })).body)
    const desk = alice.cookie
    const page = await app.inject({ url: `/tickets/${ref}`, headers: { cookie: desk } })
    t.match(page.body, new RegExp(`<form class="form" method="post" action="/tickets/${ref}/status"`))
    t.match(page.body, /<option value="Planning">Planning<\/option>[\s\S]*<option value="Cancelled">Cancelled<\/option>/, 'the work-order statuses')
    const post = async (payload: object) => await app.inject({ method: 'POST', url: `/tickets/${ref}/status`, payload, headers: { cookie: desk, origin: 'http://localhost:80' } })
    const noReason = await post({ status: 'Cancelled', reason: ' ' })
    t.equal(noReason.statusCode, 422)
    t.match(noReason.body, /<p class="alert" role="alert">Say why the ticket is cancelled<\/p>/)
    t.match(noReason.body, /<option value="Cancelled" selected>Cancelled<\/option>/)
    t.match(noReason.body, /name="reason" value=" " aria-invalid="true">/)
    const badStatus = await post({ status: 'Resolved', reason: '' })
    t.equal(badStatus.statusCode, 422, 'Resolved is an incident status')
    t.match(badStatus.body, /Choose one of the work order statuses/)
    t.equal((await ticketRow(ref)).status, 'New')
    const ok = await post({ status: 'Cancelled', reason: 'Duplicate of <WO000002>' })
    t.equal(ok.statusCode, 303)
    t.equal(ok.headers.location, `/tickets/${ref}`)
    const row = await ticketRow(ref)
    t.match(row, { status: 'Cancelled', status_reason: 'Duplicate of <WO000002>' })
    const after = await app.inject({ url: `/tickets/${ref}`, headers: { cookie: desk } })
    t.match(after.body, /<span class="status">Cancelled<\/span><br><span class="muted">Reason: Duplicate of &lt;WO000002&gt;<\/span>/)
    t.match(after.body, /Alice Adams · <time[^>]*>[^<]*<\/time><\/div><div class="text">Status changed from New to Cancelled \(Duplicate of &lt;WO000002&gt;\)<\/div>/)
    t.equal((await post({ status: 'Cancelled', reason: 'Duplicate of <WO000002>' })).statusCode, 303, 'no change, no new line')
    t.equal((await knex('ticket_activity').where({ ticket_id: row.id }).andWhere('text', 'like', 'Status changed%')).length, 1)
    const customer = await app.inject({ method: 'POST', url: `/tickets/${ref}/status`, payload: { status: 'New' }, headers: { cookie: await login(app, 'dana'), origin: 'http://localhost:80' } })
    t.equal(customer.statusCode, 403)
    const crossSite = await app.inject({ method: 'POST', url: `/tickets/${ref}/status`, payload: { status: 'New' }, headers: { cookie: desk, origin: 'http://evil.example' } })
    t.equal(crossSite.statusCode, 403)
    t.equal((await app.inject({ method: 'POST', url: '/tickets/INC999999/status', payload: { status: 'New' }, headers: { cookie: desk, origin: 'http://localhost:80' } })).statusCode, 404)
    const portal = await app.inject({ url: `/portal/tickets/${ref}`, headers: { cookie: await login(app, 'dana') } })
    t.equal(portal.statusCode, 200, 'dana requested it')
    t.notMatch(portal.body, /Change status|\/livechat\/console/, 'customers get neither the form nor the console link')
    t.match(portal.body, new RegExp(`From live chat #${chatId}`))
  })

  t.test('Abandon with a ticket: the prompt names it; OK cancels it, then the chat is abandoned', async (t) => {
    const chatId = await accepted()
    const ref = refIn((await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident' })).body)
    const prompt = await get(alice.cookie, `${chatUrl(chatId)}/abandon`)
    t.equal(prompt.statusCode, 200)
    t.match(prompt.body, new RegExp(`^<hx-partial hx-target="#lc-chat-tools-${chatId}" hx-swap="innerHTML"><section class="lc-transfer lc-abandon" role="alertdialog"`))
    t.match(prompt.body, new RegExp(`Ticket <a href="/tickets/${ref}" target="_blank" rel="noopener">${ref}</a> will be set to Cancelled \\(Abandoned chat\\)\\. Abandon this chat\\?`))
    t.match(prompt.body, new RegExp(`<button type="button" class="lc-danger" hx-post="${chatUrl(chatId)}/abandon" hx-target="#lc-notice" hx-swap="none">OK</button>`))
    t.equal((await bob.post(`${chatUrl(chatId)}/abandon`)).statusCode, 403)
    const res = await alice.post(`${chatUrl(chatId)}/abandon`)
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`Chat #${chatId} abandoned; ${ref} set to Cancelled`))
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-chat-header-${chatId}" hx-swap="outerHTML">[\\s\\S]*lc-pill--abandoned">Abandoned<`))
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-chat-tools-${chatId}" hx-swap="innerHTML"></hx-partial>`))
    t.match(await ticketRow(ref), { status: 'Cancelled', status_reason: 'Abandoned chat' })
    const page = await app.inject({ url: `/tickets/${ref}`, headers: { cookie: alice.cookie } })
    t.match(page.body, new RegExp(`Cancelled \\(Abandoned chat\\): live chat #${chatId} was abandoned by Alice Adams`))
    const history = await get(alice.cookie, `${chatUrl(chatId)}/tabs/history`)
    t.match(history.body, new RegExp(`Abandoned the chat; set ${ref} to Cancelled \\(Abandoned chat\\)`))
    const view = await app.inject({ url: chatUrl(chatId), headers: { cookie: alice.cookie } })
    t.match(view.body, /Alice Adams closed the chat as abandoned/)
    t.match(view.body, />Create Incident</, 'an abandoned chat may still get a ticket')

    const again = await alice.post(`${chatUrl(chatId)}/abandon`)
    t.equal(again.statusCode, 409)
    t.match(again.body, /This chat is abandoned now, so it cannot be abandoned/)
    open.splice(open.indexOf(chatId), 1)
  })

  t.test('Abandon without a ticket: three choices; "create first" makes one and comes back to the prompt', async (t) => {
    const chatId = await accepted()
    const prompt = await get(alice.cookie, `${chatUrl(chatId)}/abandon`)
    t.match(prompt.body, /No ticket has been created from this chat\./)
    t.match(prompt.body, new RegExp(`hx-post="${chatUrl(chatId)}/tickets" hx-vals='\\{"kind": "incident", "next": "abandon"\\}' hx-target="#lc-notice" hx-swap="none">Create Incident first</button>`))
    t.match(prompt.body, />Abandon without a ticket</)
    t.match(prompt.body, /data-lc-close-tools>Cancel</)
    const first = await alice.post(`${chatUrl(chatId)}/tickets`, { kind: 'incident', next: 'abandon' })
    const ref = refIn(first.body)
    t.match(first.body, new RegExp(`<hx-partial hx-target="#lc-chat-tools-${chatId}" hx-swap="innerHTML"><section class="lc-transfer lc-abandon"[\\s\\S]*Ticket <a [^>]*>${ref}</a> will be set to Cancelled`))

    const other = await accepted()
    const res = await alice.post(`${chatUrl(other)}/abandon`)
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`Chat #${other} abandoned<`))
    t.equal((await knex('lc_chats').where({ id: other }).first()).status, 'abandoned')
    open.splice(open.indexOf(other), 1)
  })

  t.test('Abandon refuses an ended or a queued chat with a clear 409', async (t) => {
    const chatId = await accepted()
    await alice.post(`${chatUrl(chatId)}/end`)
    open.splice(open.indexOf(chatId), 1)
    for (const res of [await get(alice.cookie, `${chatUrl(chatId)}/abandon`), await alice.post(`${chatUrl(chatId)}/abandon`)]) {
      t.equal(res.statusCode, 409)
      t.match(res.body, /data-code="LC_ERR_CHAT_STATE_CONFLICT"[\s\S]*This chat is ended now, so it cannot be abandoned; refresh to see where it stands/)
    }
    const { chatId: queued } = await startChat(app)
    const waiting = await sam.post(`${chatUrl(queued)}/abandon`)
    t.equal(waiting.statusCode, 409)
    t.match(waiting.body, /This chat is waiting in queue now, so it cannot be abandoned/)
    t.equal((await knex('lc_chats').where({ id: chatId }).first()).status, 'ended')
  })
})

// The demo host always hands the plugin its own SQL adapter, so here the plugin is installed
// the way installPlugin does it, with the real adapter wrapped so the help desk can fail.
t.test('a help desk that fails while a ticket is made or a chat abandoned', async (t) => {
  const { knex, drop } = await testDatabase()
  await prepareDatabase(knex)
  await standBy(knex, 'bob')
  const real = sqlHost(knex, loadManifest().host)
  const down = { create: false, status: false }
  const host: HostAdapter = {
    ...real,
    async createTicket (ticket, write) {
      if (down.create) throw new Error('tickets table is locked')
      return await real.createTicket(ticket, write)
    },
    async setTicketStatus (ref, status, reason) {
      if (down.status) throw new Error('help desk is read-only for maintenance')
      await real.setTicketStatus(ref, status, reason)
    }
  }
  const app: FastifyInstance = Fastify({ logger: false })
  await app.register(liveChat, { prefix: '/livechat', knex, host, jobs: false, settings: { chatStartsPerMinute: 1000 } })
  t.teardown(async () => { await app.close(); await drop() })
  await app.ready()
  const user = await knex('users').where({ username: 'alice' }).first('id')
  const c = await csrf(app, `hd_session=${await createSession(knex, Number(user.id))}`, '/livechat/console')
  const post: Post = async (url, payload = {}) => await app.inject({ method: 'POST', url, payload, headers: { cookie: c.cookie, 'x-csrf-token': c.token, 'hx-request': 'true', ...sameOrigin } })
  const ticketCount = async (): Promise<number> => Number((await knex('tickets').count({ n: '*' }).first())?.n)

  t.test('creating: a clear message with Retry, nothing made or linked; Retry sends the same values and succeeds', async (t) => {
    const { chatId } = await startChat(app)
    await post(`${chatUrl(chatId)}/accept`)
    const printer = String((await knex('ticket_templates').where({ name: 'Printer problem' }).first('id')).id)
    const before = await ticketCount()
    down.create = true
    const res = await post(`${chatUrl(chatId)}/tickets`, { kind: 'incident', templateId: printer, summary: 'Floor 3 "printer"', f_impact: '2-Significant/Large', f_urgency: '3-Medium', f_service: 'Printing', f_asset_tag: 'PRN-7' })
    t.equal(res.statusCode, 502)
    t.match(res.body, /^<hx-partial hx-target="#lc-notice" hx-swap="innerHTML"><div class="lc-notice__item lc-notice__item--error" role="alert" data-code="LC_ERR_TICKET_HOST">/)
    t.match(res.body, /The help desk could not create the incident just now; nothing was created or linked to the chat, so try again/)
    t.match(res.body, new RegExp(`<form class="lc-notice__retry-form" hx-post="${chatUrl(chatId)}/tickets" hx-target="#lc-notice" hx-swap="none">`))
    t.notMatch(res.body, /Something went wrong/)
    const values = hiddenValues(res.body)
    t.same(values, { kind: 'incident', templateId: printer, summary: 'Floor 3 &quot;printer&quot;', f_impact: '2-Significant/Large', f_urgency: '3-Medium', f_service: 'Printing', f_asset_tag: 'PRN-7' })
    t.equal(await ticketCount(), before)
    t.same(await knex('lc_chat_items').where({ chat_id: chatId }), [])
    t.notOk(await knex('lc_chat_history').where({ chat_id: chatId, action: 'ticket_created' }).first())

    down.create = false
    const retried = await post(`${chatUrl(chatId)}/tickets`, { ...values, summary: 'Floor 3 "printer"' })
    t.equal(retried.statusCode, 200)
    t.match(retried.body, /created from the chat and listed in Related Items/)
    const row = await knex('tickets').orderBy('id', 'desc').first()
    t.equal(row.summary, 'Floor 3 "printer"')
    t.equal(JSON.parse(row.details).asset_tag, 'PRN-7')
    t.equal((await knex('lc_chat_items').where({ chat_id: chatId, created_from_chat: true })).length, 1)
  })

  t.test('abandoning: the chat stays active and the agent gets Retry; Retry abandons it', async (t) => {
    const { chatId } = await startChat(app)
    await post(`${chatUrl(chatId)}/accept`)
    await post(`${chatUrl(chatId)}/tickets`, { kind: 'work_order' })
    const ref = String((await knex('lc_chat_items').where({ chat_id: chatId }).first()).ticket_ref)
    down.status = true
    const res = await post(`${chatUrl(chatId)}/abandon`)
    t.equal(res.statusCode, 502)
    t.match(res.body, new RegExp(`data-code="LC_ERR_ABANDON_HOST">\\s*<span>The help desk could not set ${ref} to Cancelled just now, so the chat was not abandoned; try again</span>`))
    t.match(res.body, new RegExp(`<form class="lc-notice__retry-form" hx-post="${chatUrl(chatId)}/abandon"`))
    t.equal((await knex('lc_chats').where({ id: chatId }).first()).status, 'active')
    t.equal((await knex('tickets').where({ ref }).first()).status, 'New')
    down.status = false
    const retried = await post(`${chatUrl(chatId)}/abandon`)
    t.equal(retried.statusCode, 200)
    t.equal((await knex('lc_chats').where({ id: chatId }).first()).status, 'abandoned')
    t.equal((await knex('tickets').where({ ref }).first()).status, 'Cancelled')
  })
})
