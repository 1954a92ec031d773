import t from 'tap'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { agentSession, build, login, sameOrigin, startChat } from '../helpers/build.ts'

t.test('Add menu, Time Logs and Related Items over HTTP', async (t) => {
  const { app, knex } = await build(t)
  const host = sqlHost(knex, loadManifest().host)
  const ticket = await host.createTicket({ kind: 'incident', summary: 'Laptop will not boot', description: 'From a chat', requesterId: null, assigneeId: null, chatId: null })
  const get = async (cookie: string, url: string) => await app.inject({ url, headers: { cookie, 'hx-request': 'true' } })
  const stored = async (chatId: number) => await knex('lc_chat_items').where('chat_id', chatId).orderBy('id')
  const history = async (chatId: number) => (await knex('lc_chat_history').where('chat_id', chatId).orderBy('id')).map((r) => r.action as string)
  const [alice, bob, sam] = [await agentSession(app, 'alice'), await agentSession(app, 'bob'), await agentSession(app, 'sam')]
  const chatUrl = (chatId: number) => `/livechat/console/chats/${chatId}`

  t.test('the header has the Add menu and the tabs are listed before History', async (t) => {
    const { chatId } = await startChat(app)
    await alice.post(`${chatUrl(chatId)}/accept`)
    const view = await app.inject({ url: chatUrl(chatId), headers: { cookie: alice.cookie } })
    t.match(view.body, /<summary aria-label="Add to chat #\d+">Add<\/summary>/)
    t.match(view.body, /<button type="button" data-lc-reveal="\d+" data-lc-open-tab="comments"[^>]*>Comment<\/button>/)
    for (const [kind, tab, label] of [['task', 'related', 'Task'], ['time_log', 'timelogs', 'Time Log'], ['call_log', 'related', 'Call Log'], ['ticket', 'related', 'Related Item']] as const) {
      t.match(view.body, new RegExp(`data-lc-reveal="${chatId}" data-lc-open-tab="${tab}" hx-get="${chatUrl(chatId)}/items/new/${kind}" hx-target="#lc-notice" hx-swap="none">${label}<`), label)
    }
    t.match(view.body, new RegExp(`id="lc-tab-${chatId}-timelogs"[^>]*>Time Logs<[\\s\\S]*id="lc-tab-${chatId}-related"[^>]*>Related Items<[\\s\\S]*id="lc-tab-${chatId}-history"`))
    const empty = await get(alice.cookie, `${chatUrl(chatId)}/tabs/related`)
    t.match(empty.body, new RegExp(`^<hx-partial hx-target="#lc-tab-panel-${chatId}" hx-swap="innerHTML"><section id="lc-related-items-${chatId}"`))
    t.match(empty.body, /Nothing added to this chat yet/)
    t.match((await get(alice.cookie, `${chatUrl(chatId)}/tabs/timelogs`)).body, /No time logged on this chat yet/)
  })

  t.test('each form opens in the tools slot; bad input comes back beside its field with the values kept', async (t) => {
    const { chatId } = await startChat(app)
    await alice.post(`${chatUrl(chatId)}/accept`)
    const form = await get(alice.cookie, `${chatUrl(chatId)}/items/new/task`)
    t.equal(form.statusCode, 200)
    t.match(form.body, new RegExp(`<hx-partial hx-target="#lc-chat-tools-${chatId}" hx-swap="innerHTML"><form class="lc-transfer lc-item-form" hx-post="${chatUrl(chatId)}/items/task"`))
    t.match((await get(alice.cookie, `${chatUrl(chatId)}/items/new/call_log`)).body, /name="direction"[\s\S]*name="minutes"[\s\S]*name="note"/)
    t.equal((await get(alice.cookie, `${chatUrl(chatId)}/items/new/invoice`)).statusCode, 400)

    const noTitle = await alice.post(`${chatUrl(chatId)}/items/task`, { title: ' ', due: '2026-12-01', note: 'Keep <this>' })
    t.equal(noTitle.statusCode, 422)
    t.match(noTitle.body, /name="title" value=" "[^>]*aria-invalid="true"[\s\S]*role="alert">Give the task a title of at most 200 characters</)
    t.match(noTitle.body, /value="2026-12-01"[\s\S]*>Keep &lt;this&gt;<\/textarea>/, 'the other values are kept')
    const badDue = await alice.post(`${chatUrl(chatId)}/items/task`, { title: 'Ring back', due: '2026-13-01' })
    t.match(badDue.body, /name="due"[^>]*aria-invalid="true"[\s\S]*Pick the due date from the calendar/)
    const badMinutes = await alice.post(`${chatUrl(chatId)}/items/time_log`, { minutes: '2000', note: 'Long' })
    t.equal(badMinutes.statusCode, 422)
    t.match(badMinutes.body, /value="2000"[^>]*aria-invalid="true"[\s\S]*Enter the minutes as a whole number from 1 to 1440[\s\S]*>Long<\/textarea>/)
    const outCall = await alice.post(`${chatUrl(chatId)}/items/call_log`, { direction: 'out', minutes: '0' })
    t.match(outCall.body, /<option value="out" selected>/, 'the direction is kept')
    const longNote = await alice.post(`${chatUrl(chatId)}/items/call_log`, { direction: 'in', minutes: '3', note: 'n'.repeat(2001) })
    t.match(longNote.body, /name="note"[^>]*aria-invalid="true"[\s\S]*Notes can be at most 2,000 characters \(this one has 2,001\)/)
    const noRef = await alice.post(`${chatUrl(chatId)}/items/ticket`, { ref: '' })
    t.match(noRef.body, /Enter the ticket&#x27;s reference, like INC000042/)
    const unknown = await alice.post(`${chatUrl(chatId)}/items/ticket`, { ref: 'INC424242' })
    t.equal(unknown.statusCode, 422)
    t.match(unknown.body, /name="ref" value="INC424242"[^>]*aria-invalid="true"[\s\S]*No ticket INC424242 in the help desk/)
    t.same(await stored(chatId), [], 'nothing stored')
    t.notOk((await history(chatId)).includes('item_added'), 'nothing recorded')
    t.equal((await alice.post(`${chatUrl(chatId)}/items/call_log`, { direction: 'sideways', minutes: '3' })).statusCode, 400)
    t.equal((await alice.post(`${chatUrl(chatId)}/items/task`, { title: 'x', created_by: 'sam' })).statusCode, 400)
  })

  t.test('adding each kind refreshes the tabs; Time Logs totals; a ticket links once', async (t) => {
    const { chatId } = await startChat(app)
    await alice.post(`${chatUrl(chatId)}/accept`)
    const task = await alice.post(`${chatUrl(chatId)}/items/task`, { title: 'Send the <driver> link', due: '2026-12-01', note: '' })
    t.equal(task.statusCode, 200)
    t.match(task.body, new RegExp(`<hx-partial hx-target="#lc-chat-tools-${chatId}" hx-swap="innerHTML"></hx-partial>`), 'the form closes')
    t.match(task.body, new RegExp(`<hx-partial hx-target="#lc-related-items-${chatId}" hx-swap="outerHTML">[\\s\\S]*Send the &lt;driver&gt; link[\\s\\S]*due 2026-12-01`))
    t.match(task.body, new RegExp(`<hx-partial hx-target="#lc-time-logs-${chatId}" hx-swap="outerHTML">`))
    t.match(task.body, /Task added/)
    t.equal((await alice.post(`${chatUrl(chatId)}/items/time_log`, { minutes: '15', note: 'Reinstalled the client' })).statusCode, 200)
    await bob.post(`${chatUrl(chatId)}/items/time_log`, { minutes: '5' }).then((r) => t.equal(r.statusCode, 404, 'bob no longer sees alice\'s chat'))
    await sam.post(`${chatUrl(chatId)}/items/time_log`, { minutes: '5' })
    t.equal((await alice.post(`${chatUrl(chatId)}/items/call_log`, { direction: 'in', minutes: '7', note: 'Customer rang' })).statusCode, 200)
    const linked = await alice.post(`${chatUrl(chatId)}/items/ticket`, { ref: ticket.ref })
    t.equal(linked.statusCode, 200)
    t.match(linked.body, new RegExp(`<a href="${ticket.url}" target="_blank" rel="noopener">${ticket.ref}</a> Laptop will not boot · <span class="lc-pill">${ticket.status}</span>`))
    const again = await alice.post(`${chatUrl(chatId)}/items/ticket`, { ref: ticket.ref })
    t.equal(again.statusCode, 409)
    t.match(again.body, new RegExp(`${ticket.ref} is already linked to this chat`))

    const logs = await get(alice.cookie, `${chatUrl(chatId)}/tabs/timelogs`)
    t.match(logs.body, /<td>Sam Supervisor<\/td><td>5<\/td><td><\/td>[\s\S]*<td>Alice Adams<\/td><td>15<\/td><td>Reinstalled the client<\/td>[\s\S]*Total<\/th><td>20<\/td>/, 'newest first, with the total')
    const related = await get(alice.cookie, `${chatUrl(chatId)}/tabs/related`)
    t.match(related.body, /Tickets[\s\S]*Tasks[\s\S]*Send the &lt;driver&gt; link[\s\S]*added by Alice Adams[\s\S]*Time logs[\s\S]*Call logs[\s\S]*Incoming call, 7 min<\/strong>: Customer rang/)

    // A ticket the help desk no longer knows: that row says so, the others still render.
    await knex('lc_chat_items').insert({ chat_id: chatId, kind: 'ticket', ticket_ref: 'INC777777', ticket_url: 'http://localhost/desk/tickets/INC777777', created_by: 'x', created_by_name: 'Old Agent', created_at: Date.now() })
    const mixed = await get(alice.cookie, `${chatUrl(chatId)}/tabs/related`)
    t.match(mixed.body, /INC777777<\/a> · <span class="lc-items__unknown">status unknown<\/span>/)
    t.match(mixed.body, new RegExp(`${ticket.ref}</a> Laptop will not boot · <span class="lc-pill">`))

    const words = await get(alice.cookie, `${chatUrl(chatId)}/tabs/history`)
    t.match(words.body, new RegExp(`Alice Adams</td><td>Added a task “Send the &lt;driver&gt; link”[\\s\\S]*Added a time log of 15 min[\\s\\S]*Sam Supervisor</td><td>Added a time log of 5 min[\\s\\S]*Added an incoming call log of 7 min[\\s\\S]*Added a related ticket ${ticket.ref}`))
  })

  t.test('done toggles and deletes: own items, supervisors anything; others 403; gone 404', async (t) => {
    // Queued in Support L1: alice, bob and sam all see it.
    const { chatId } = await startChat(app)
    await alice.post(`${chatUrl(chatId)}/items/task`, { title: 'Escalate' })
    await bob.post(`${chatUrl(chatId)}/items/time_log`, { minutes: '4' })
    const [task, log] = await stored(chatId)
    const itemUrl = (id: number) => `${chatUrl(chatId)}/items/${id}`

    const done = await bob.post(`${itemUrl(task.id)}/done`, { done: 'on' })
    t.equal(done.statusCode, 200)
    t.match(done.body, /class="lc-items__done"[\s\S]*checked hx-vals='\{"done": "off"\}'[\s\S]*Escalate[\s\S]*· done <time/)
    t.ok((await stored(chatId))[0].done_at)
    t.equal((await bob.post(`${itemUrl(task.id)}/done`, { done: 'maybe' })).statusCode, 400)
    t.equal((await bob.post(`${itemUrl(log.id)}/done`, { done: 'on' })).statusCode, 404, 'a time log is not a task')
    await alice.post(`${itemUrl(task.id)}/done`, { done: 'off' })
    t.equal((await stored(chatId))[0].done_at, null)

    const bobTab = await get(bob.cookie, `${chatUrl(chatId)}/tabs/related`)
    t.match(bobTab.body, new RegExp(`hx-post="${itemUrl(log.id)}/delete"`), 'bob may delete his own log')
    t.notMatch(bobTab.body, new RegExp(`hx-post="${itemUrl(task.id)}/delete"`), 'but not alice\'s task')
    const refused = await bob.post(`${itemUrl(task.id)}/delete`)
    t.equal(refused.statusCode, 403)
    t.match(refused.body, /data-code="LC_ERR_ITEM_NOT_YOURS"[\s\S]*Only Alice Adams or a supervisor of this chat&#x27;s group may delete this/)
    t.equal((await bob.post(`${itemUrl(log.id)}/delete`)).statusCode, 200)
    const bySam = await sam.post(`${itemUrl(task.id)}/delete`)
    t.equal(bySam.statusCode, 200)
    t.match(bySam.body, /Nothing added to this chat yet[\s\S]*Deleted/)
    const twice = await alice.post(`${itemUrl(task.id)}/delete`)
    t.equal(twice.statusCode, 404)
    t.match(twice.body, /data-code="LC_ERR_ITEM_NOT_FOUND"/)
    const words = await get(sam.cookie, `${chatUrl(chatId)}/tabs/history`)
    t.match(words.body, /Bob[^<]*<\/td><td>Marked task “Escalate” done[\s\S]*Alice Adams<\/td><td>Marked task “Escalate” not done[\s\S]*<\/td><td>Deleted a time log of 4 min by Bob[\s\S]*Sam Supervisor<\/td><td>Deleted a task “Escalate” by Alice Adams/)
  })

  t.test('chats the agent may not see, unknown chats, items of another chat: 404', async (t) => {
    const { chatId } = await startChat(app)
    await alice.post(`${chatUrl(chatId)}/accept`)
    await alice.post(`${chatUrl(chatId)}/items/task`, { title: 'Mine' })
    const [task] = await stored(chatId)
    const carol = await agentSession(app, 'carol')
    for (const url of ['tabs/related', 'tabs/timelogs', 'items/new/task']) {
      t.equal((await get(carol.cookie, `${chatUrl(chatId)}/${url}`)).statusCode, 404, `carol: ${url}`)
      t.equal((await get(bob.cookie, `${chatUrl(chatId)}/${url}`)).statusCode, 404, `bob: ${url}`)
    }
    const sneaky = await bob.post(`${chatUrl(chatId)}/items/ticket`, { ref: ticket.ref })
    t.equal(sneaky.statusCode, 404)
    t.match(sneaky.body, /data-code="LC_ERR_CHAT_NOT_FOUND"/)
    t.equal((await bob.post(`${chatUrl(chatId)}/items/${task.id}/done`, { done: 'on' })).statusCode, 404)
    t.equal((await bob.post(`${chatUrl(chatId)}/items/${task.id}/delete`)).statusCode, 404)
    t.equal((await get(alice.cookie, '/livechat/console/chats/999999/tabs/related')).statusCode, 404)
    const other = await startChat(app)
    await alice.post(`${chatUrl(other.chatId)}/accept`)
    const crossed = await alice.post(`${chatUrl(other.chatId)}/items/${task.id}/delete`)
    t.equal(crossed.statusCode, 404)
    t.match(crossed.body, /data-code="LC_ERR_ITEM_NOT_FOUND"/)
    t.equal((await stored(chatId)).length, 1)
  })

  t.test('customers, visitors and forged requests get nothing', async (t) => {
    const { chatId } = await startChat(app)
    const url = `${chatUrl(chatId)}/items/task`
    const dana = await login(app, 'dana')
    t.equal((await get(dana, `${chatUrl(chatId)}/tabs/related`)).statusCode, 403)
    t.equal((await app.inject({ url: `${chatUrl(chatId)}/tabs/timelogs` })).statusCode, 401)
    t.equal((await app.inject({ method: 'POST', url, payload: { title: 'x' }, headers: { cookie: alice.cookie, ...sameOrigin } })).statusCode, 403, 'no CSRF token')
    t.equal((await app.inject({ method: 'POST', url, payload: { title: 'x' }, headers: { cookie: alice.cookie, 'x-csrf-token': alice.token, origin: 'https://evil.example' } })).statusCode, 403)
    t.same(await stored(chatId), [])
  })
})
