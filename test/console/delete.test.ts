import t from 'tap'
import { agentSession, build, openSocket, sameOrigin, type SocketClient, startChat } from '../helpers/build.ts'

/*
 * Delete, Deleted Items and Undelete in the console (docs/features.md#deleting-chats): the
 * header's Delete, the lists' Delete selected, Deleted Items, a deleted chat's read-only
 * view, and bad input.
 */

const rowIds = (body: string): number[] => [...body.matchAll(/id="lc-list-row-(\d+)"/g)].map((m) => Number(m[1]))

// Roles as shipped, plus a group lead who supervises without livechat.delete.
const rolePermissions = {
  agent: ['livechat.agent', 'livechat.transfer'],
  supervisor: ['livechat.agent', 'livechat.transfer', 'livechat.supervise', 'livechat.delete'],
  admin: ['livechat.agent', 'livechat.transfer', 'livechat.supervise', 'livechat.delete', 'livechat.admin'],
  lead: ['livechat.agent', 'livechat.transfer', 'livechat.supervise']
}

t.test('delete, Deleted Items and undelete in the console', async (t) => {
  const { app, knex } = await build(t, { pluginOptions: { settings: { chatStartsPerMinute: 1000, messagesPerMinute: 10000, rolePermissions } } })
  const l1 = Number((await knex('lc_groups').where({ name: 'Support L1' }).first('id')).id)
  const samRow = await knex('users').where({ username: 'sam' }).first()
  const [lenaId] = await knex('users').insert({ username: 'lena', name: 'Lena Lead', email: 'lena@helpdesk.example', roles: 'lead', password_hash: samRow.password_hash, created_at: Date.now() })
  await knex('lc_group_members').insert({ group_id: l1, agent_id: String(lenaId), active: false, created_at: Date.now() })

  const alice = await agentSession(app, 'alice')
  const bob = await agentSession(app, 'bob')
  const sam = await agentSession(app, 'sam')
  const lena = await agentSession(app, 'lena')
  type Session = typeof alice

  const get = async (s: Session, url: string, hx = false) => await app.inject({ url, headers: { cookie: s.cookie, ...(hx ? { 'hx-request': 'true' } : {}) } })
  const getJson = async (s: Session, url: string) => await app.inject({ url, headers: { cookie: s.cookie, accept: 'application/json' } })
  const postJson = async (s: Session, url: string, payload: object = {}) => await app.inject({
    method: 'POST', url, payload, headers: { cookie: s.cookie, 'x-csrf-token': s.token, accept: 'application/json', ...sameOrigin }
  })
  const deletedAt = async (id: number) => (await knex('lc_chats').where({ id }).first('deleted_at')).deleted_at as number | null
  const historyRows = async (id: number) => (await knex('lc_chat_history').where({ chat_id: id }).orderBy('id')).map((r) => `${r.action} ${r.actor_name}`)

  let n = 0
  async function activeChat (agent: Session, name = `Customer ${++n}`): Promise<number> {
    const { chatId } = await startChat(app, { name, email: `c${n}@customer.example` })
    t.equal((await agent.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
    return chatId
  }
  async function endedChat (agent: Session, name?: string): Promise<number> {
    const id = await activeChat(agent, name)
    t.equal((await agent.post(`/livechat/console/chats/${id}/end`)).statusCode, 200)
    return id
  }

  t.test('the header offers Delete on a closed chat the viewer may delete, confirmed first', async (t) => {
    const closed = await endedChat(alice, 'Hal Header')
    const open = await activeChat(alice)
    const own = await get(alice, `/livechat/console/chats/${closed}`)
    t.match(own.body, `<button type="button" class="lc-danger" hx-post="/livechat/console/chats/${closed}/delete" hx-confirm="Delete chat #${closed} with Hal Header? It moves to Deleted Items, where it can be undeleted for 90 days before it is purged for good." hx-target="#lc-notice" hx-swap="none">Delete</button>`)
    t.notMatch((await get(alice, `/livechat/console/chats/${open}`)).body, '/delete"', 'not while the chat is active')
    t.match((await get(sam, `/livechat/console/chats/${closed}`)).body, `/console/chats/${closed}/delete"`, 'a supervisor with livechat.delete')
    const lead = await get(lena, `/livechat/console/chats/${closed}`)
    t.equal(lead.statusCode, 200, 'the lead sees the chat')
    t.notMatch(lead.body, '/delete"', 'but may not delete it')
    await alice.post(`/livechat/console/chats/${open}/end`)
  })

  t.test('Delete in the header: the pane becomes the deleted chat; the chat leaves its address, lists and tabs', async (t) => {
    const { chatId: id, cookie: customer } = await startChat(app, { name: 'Dee Deleted', email: 'dee@customer.example' })
    await alice.post(`/livechat/console/chats/${id}/accept`)
    await alice.post(`/livechat/console/chats/${id}/end`)
    t.match((await get(alice, '/livechat/console')).body, `href="/livechat/console/chats/${id}"`, 'in the sidebar\'s My Completed before')

    const res = await alice.post(`/livechat/console/chats/${id}/delete`)
    t.equal(res.statusCode, 200)
    t.match(res.body, `<hx-partial hx-target="#lc-chat-${id}" hx-swap="outerHTML">`)
    t.match(res.body, `<article id="lc-chat-${id}" class="lc-pane lc-pane--deleted" data-lc-pane="${id}"`)
    t.match(res.body, /Deleted by Alice Adams on <time/)
    t.match(res.body, /until it is purged for good on <time/)
    t.match(res.body, `hx-post="/livechat/console/deleted/${id}/undelete"`)
    t.match(res.body, /Dee Deleted<\/span>|Dee Deleted/)
    t.match(res.body, `Chat #${id} with Dee Deleted deleted; it waits in Deleted Items, where it can be undeleted`)
    const sidebar = /<hx-partial hx-target="#lc-my-completed"[\s\S]*?<\/hx-partial>/.exec(res.body)?.[0] ?? ''
    t.ok(sidebar, 'the sidebar\'s My Completed comes along')
    t.notMatch(sidebar, `/console/chats/${id}"`, 'without the chat')
    t.ok(await deletedAt(id))

    for (const who of [alice, sam]) {
      const gone = await getJson(who, `/livechat/console/chats/${id}`)
      t.equal(gone.statusCode, 404)
      t.equal(gone.json().code, 'LC_ERR_CHAT_NOT_FOUND')
    }
    t.equal((await getJson(alice, `/livechat/console/chats/${id}/tabs/history`)).statusCode, 404)
    t.equal((await getJson(alice, `/livechat/console/chats/${id}/print`)).statusCode, 404)
    t.notMatch((await get(alice, '/livechat/console')).body, `/console/chats/${id}"`)
    t.notOk(rowIds((await get(alice, '/livechat/console/lists/my-completed')).body).includes(id))
    t.notOk(rowIds((await get(sam, '/livechat/console/lists/global-completed')).body).includes(id))
    t.equal((await app.inject({ url: `/livechat/chat/${id}`, headers: { cookie: customer } })).statusCode, 404, 'the customer\'s link is gone too')
  })

  t.test('Deleted Items: each sees what they may undelete; a deleted chat opens read-only from there', async (t) => {
    const id = await endedChat(alice, 'Ivy Items')
    await alice.post(`/livechat/console/chats/${id}/delete`)
    const page = await get(alice, '/livechat/console/lists/deleted')
    t.equal(page.statusCode, 200)
    t.match(page.body, '<a href="/livechat/console/lists/deleted" aria-current="page">Deleted Items</a>')
    t.match(page.body, '<h1>Deleted Items</h1>')
    t.match(page.body, 'Deleted chats are purged for good 90 days after they were deleted.')
    t.ok(rowIds(page.body).includes(id))
    t.match(page.body, `<a href="/livechat/console/deleted/${id}"><strong>Ivy Items</strong></a>`, 'a row opens the read-only view')
    t.match(page.body, /aria-sort="descending"><a href="[^"]*sort(=|&#x3D;)deleted[^"]*"[^>]*>Deleted/, 'newest deleted first, by its own column')
    t.match(page.body, /<small>by Alice Adams<\/small>/)
    t.match(page.body, `name="chat_ids" value="${id}"`)
    t.match(page.body, 'hx-post="/livechat/console/lists/undelete" hx-include="[data-lc-select]"')
    t.notMatch(page.body, 'id="lc-list-transfer"', 'deleted chats are not transferred')
    t.notMatch(page.body, 'id="lc-list-delete"')
    t.match((await get(alice, '/livechat/console')).body, 'href="/livechat/console/lists/deleted">Deleted Items</a>', 'every agent has the list')

    t.same(rowIds((await get(bob, '/livechat/console/lists/deleted')).body), [], 'not another agent\'s')
    t.match((await get(bob, '/livechat/console/lists/deleted')).body, 'No deleted chats.')
    const bobs = await endedChat(bob, 'Bo Bobs')
    const bobsDone = await endedChat(bob, 'Bea Bobs')
    await bob.post(`/livechat/console/chats/${bobs}/delete`)
    const bobId = String((await knex('users').where({ username: 'bob' }).first('id')).id)
    for (const view of ['deleted', 'my-completed']) {
      const narrowed = await get(alice, `/livechat/console/lists/${view}?agent=${bobId}`)
      t.equal(narrowed.statusCode, 200)
      t.same(rowIds(narrowed.body), [], `${view}: an agent filter never widens one's own list to another agent's chats`)
      t.notMatch(narrowed.body, /Bo Bobs|Bea Bobs/)
    }
    t.ok(rowIds((await get(sam, `/livechat/console/lists/deleted?agent=${bobId}`)).body).includes(bobs), 'a supervisor narrows his Deleted Items by agent')
    t.ok(rowIds((await get(sam, `/livechat/console/lists/global-completed?agent=${bobId}`)).body).includes(bobsDone))
    t.ok(rowIds((await get(sam, '/livechat/console/lists/deleted')).body).includes(id), 'a supervisor with livechat.delete: every one of his groups')
    t.match((await get(sam, '/livechat/console/lists/deleted')).body, 'id="lc-list-agent"', 'and may narrow it by agent')
    t.notOk(rowIds((await get(lena, '/livechat/console/lists/deleted')).body).includes(id), 'without it, only one\'s own')
    t.same(rowIds((await get(sam, '/livechat/console/lists/deleted?sort=started&dir=asc')).body).length > 0, true)
    t.equal((await get(alice, '/livechat/console/lists/my-completed?sort=deleted')).statusCode, 200, 'the Deleted sort elsewhere is the list\'s own')

    const view = await get(alice, `/livechat/console/deleted/${id}`)
    t.equal(view.statusCode, 200)
    t.match(view.body, '<a class="lc-topbar__brand" href="/livechat/console/lists/deleted">← Deleted Items</a>')
    t.match(view.body, `<article id="lc-chat-${id}" class="lc-pane lc-pane--deleted"`)
    t.match(view.body, /class="lc-msg lc-msg--agent lc-msg--event"[\s\S]*Alice Adams ended the chat/, 'the transcript')
    t.match(view.body, /<td>Alice Adams<\/td><td>Deleted the chat: it went to Deleted Items<\/td>/, 'History in words')
    t.match(view.body, `hx-post="/livechat/console/deleted/${id}/undelete"`)
    t.notMatch(view.body, 'hx-get=', 'no tabs or tools that would answer 404')
    for (const [who, label] of [[bob, 'another agent'], [lena, 'a lead without livechat.delete']] as const) {
      const refused = await getJson(who, `/livechat/console/deleted/${id}`)
      t.equal(refused.statusCode, 404, label)
      t.equal(refused.json().code, 'LC_ERR_CHAT_NOT_FOUND')
    }
    t.equal((await getJson(sam, `/livechat/console/deleted/${id}`)).statusCode, 200)
    const open = await endedChat(alice)
    t.equal((await getJson(alice, `/livechat/console/deleted/${open}`)).statusCode, 404, 'a chat that is not deleted')
    t.equal((await getJson(alice, '/livechat/console/deleted/999999')).statusCode, 404)
    t.equal((await getJson(alice, '/livechat/console/deleted/abc')).statusCode, 400)
  })

  t.test('Delete selected: asks first, naming how many and which; then deletes each on its own', async (t) => {
    const b = await endedChat(alice, 'Bea Batch')
    const c = await endedChat(alice, 'Cy Batch')
    const d = await activeChat(alice, 'Di Active')
    const e = await endedChat(bob, 'Ed Bobs')
    const page = await get(alice, '/livechat/console/lists/my-completed')
    t.match(page.body, 'hx-post="/livechat/console/lists/delete" hx-include="[data-lc-select]" hx-target="#lc-notice" hx-swap="none"')
    t.match(page.body, '>Delete selected</button>')
    t.match(page.body, `name="chat_ids" value="${b}"`)

    const ask = await alice.post('/livechat/console/lists/delete', { chat_ids: [String(b), String(c), String(d), String(e)] })
    t.equal(ask.statusCode, 200)
    t.match(ask.body, '<hx-partial hx-target="#lc-list-results" hx-swap="innerHTML">')
    t.match(ask.body, '<strong>Delete 2 chats?</strong>')
    t.match(ask.body, 'They move to Deleted Items, where they can be undeleted for 90 days before being purged for good.')
    t.match(ask.body, `<li>Chat #${b} (Bea Batch)<input type="hidden" name="chat_ids" value="${b}"></li>`)
    t.match(ask.body, `<li>Chat #${c} (Cy Batch)<input type="hidden" name="chat_ids" value="${c}"></li>`)
    t.match(ask.body, `Chat #${d} (Di Active): Chat #${d} is still active; only chats that are over`)
    t.match(ask.body, `Chat #${e}: Chat ${e} does not exist, or you may not see it`)
    t.match(ask.body, '<input type="hidden" name="confirm" value="yes">')
    t.match(ask.body, '<button type="submit" class="lc-danger">Delete 2 chats</button>')
    t.notMatch(ask.body, `name="chat_ids" value="${d}"`, 'only the deletable ones are confirmed')
    for (const id of [b, c, d, e]) t.equal(await deletedAt(id), null, 'nothing deleted by asking')

    const done = await alice.post('/livechat/console/lists/delete', { chat_ids: [String(b), String(c), String(d), String(e)], confirm: 'yes' })
    t.equal(done.statusCode, 200)
    t.match(done.body, '<strong>2 deleted, 2 not deleted</strong>')
    t.match(done.body, `Chat #${b} (Bea Batch): deleted`)
    t.match(done.body, `Chat #${d} (Di Active): not deleted: Chat #${d} is still active`)
    t.match(done.body, '<hx-partial hx-target="#lc-list-stale" hx-swap="outerHTML">', 'the open list re-reads itself')
    t.match(done.body, 'hx-target="#lc-my-completed"')
    t.ok(await deletedAt(b))
    t.ok(await deletedAt(c))
    t.equal(await deletedAt(d), null)
    t.equal(await deletedAt(e), null)
    t.same((await historyRows(b)).at(-1), 'deleted Alice Adams')

    const one = await alice.post('/livechat/console/lists/delete', { chat_ids: String(d) })
    t.equal(one.statusCode, 409)
    t.match(one.body, 'The ticked chat cannot be deleted; nothing was changed.')
    t.notMatch(one.body, 'name="confirm"')
    const none = await alice.post('/livechat/console/lists/delete', { chat_ids: [String(d), String(e)] })
    t.equal(none.statusCode, 409)
    t.match(none.body, 'None of the 2 ticked chats can be deleted; nothing was changed.')
    const again = await alice.post('/livechat/console/lists/delete', { chat_ids: [String(b)], confirm: 'yes' })
    t.equal(again.statusCode, 409, 'deleted already: nothing done')
    t.match(again.body, `Chat #${b} was already deleted by Alice Adams; it is in Deleted Items`)

    const f = await endedChat(alice, 'Fay Forbidden')
    const lead = await lena.post('/livechat/console/lists/delete', { chat_ids: [String(f)] })
    t.equal(lead.statusCode, 403)
    t.match(lead.body, `Chat #${f} is not one of your own chats; only its agent, or someone with the livechat.delete permission, may delete it`)
    t.equal(await deletedAt(f), null)
    const bySam = await sam.post('/livechat/console/lists/delete', { chat_ids: [String(f), String(e)], confirm: 'yes' })
    t.match(bySam.body, '<strong>2 deleted</strong>', 'a supervisor with livechat.delete deletes anyone\'s closed chats of his groups')

    await alice.post(`/livechat/console/chats/${d}/end`)
    const global = await get(sam, '/livechat/console/lists/global-completed')
    t.match(global.body, '>Delete selected</button>')
    for (const view of ['global-active', 'queue', 'my-active']) t.notMatch((await get(sam, `/livechat/console/lists/${view}`)).body, 'Delete selected', view)
  })

  t.test('bad input: errors with their codes, and nothing changes', async (t) => {
    const closed = await endedChat(alice, 'Bad Input')
    const open = await activeChat(alice)
    const bobs = await endedChat(bob)
    const expect = async (label: string, res: Awaited<ReturnType<typeof postJson>>, status: number, code: string) => {
      t.equal(res.statusCode, status, label)
      t.equal(res.json().code, code, label)
    }
    await expect('an active chat', await postJson(alice, `/livechat/console/chats/${open}/delete`), 409, 'LC_ERR_DELETE_OPEN_CHAT')
    await expect('another agent\'s chat one may not see', await postJson(alice, `/livechat/console/chats/${bobs}/delete`), 404, 'LC_ERR_CHAT_NOT_FOUND')
    await expect('seen but not one\'s own, without livechat.delete', await postJson(lena, `/livechat/console/chats/${closed}/delete`), 403, 'LC_ERR_DELETE_NOT_YOURS')
    await expect('an unknown chat', await postJson(alice, '/livechat/console/chats/999999/delete'), 404, 'LC_ERR_CHAT_NOT_FOUND')
    await expect('a bad id', await postJson(alice, '/livechat/console/chats/abc/delete'), 400, 'LC_ERR_VALIDATION')
    await expect('undeleting a chat that is not deleted', await postJson(alice, `/livechat/console/deleted/${closed}/undelete`), 409, 'LC_ERR_CHAT_NOT_DELETED')
    await expect('undeleting an unknown chat', await postJson(alice, '/livechat/console/deleted/999999/undelete'), 404, 'LC_ERR_CHAT_NOT_FOUND')
    for (const id of [closed, open, bobs]) t.equal(await deletedAt(id), null)
    t.notOk((await historyRows(closed)).some((h) => h.startsWith('deleted')))

    const agentOnly = await alice.post(`/livechat/console/chats/${open}/delete`)
    t.equal(agentOnly.statusCode, 409)
    t.match(agentOnly.body, 'data-code="LC_ERR_DELETE_OPEN_CHAT"', 'a person sees the reason in the notice')
    t.match(agentOnly.body, `Chat #${open} is still active`)

    t.equal((await postJson(alice, `/livechat/console/chats/${closed}/delete`)).statusCode, 200)
    await expect('deleting it again', await postJson(alice, `/livechat/console/chats/${closed}/delete`), 409, 'LC_ERR_CHAT_ALREADY_DELETED')

    const empty = await alice.post('/livechat/console/lists/delete', {})
    t.equal(empty.statusCode, 422)
    t.match(empty.body, '<hx-partial hx-target="#lc-list-delete" hx-swap="outerHTML">')
    t.match(empty.body, '<p class="lc-field-error" role="alert" id="lc-list-delete-error">Tick at least one chat in the list first</p>')
    const form = await app.inject({ method: 'POST', url: '/livechat/console/lists/delete', payload: '', headers: { cookie: alice.cookie, 'x-csrf-token': alice.token, 'content-type': 'application/x-www-form-urlencoded', 'hx-request': 'true', ...sameOrigin } })
    t.equal(form.statusCode, 422, 'nothing ticked in the browser: an empty form')
    const emptyUndo = await alice.post('/livechat/console/lists/undelete', {})
    t.equal(emptyUndo.statusCode, 422)
    t.match(emptyUndo.body, 'id="lc-list-undelete-error">Tick at least one chat in the list first')
    for (const payload of [{ chat_ids: 'abc' }, { chat_ids: ['1', '0'] }, { chat_ids: Array.from({ length: 201 }, (_, i) => String(i + 1)) }, { chat_ids: '1', confirm: 'no' }, { chat_ids: '1', group_id: '1' }]) {
      await expect(`delete ${JSON.stringify(payload).slice(0, 40)}`, await postJson(alice, '/livechat/console/lists/delete', payload), 400, 'LC_ERR_VALIDATION')
    }
    await expect('undelete with a bad id', await postJson(alice, '/livechat/console/lists/undelete', { chat_ids: ['x'] }), 400, 'LC_ERR_VALIDATION')
    await expect('undelete with confirm', await postJson(alice, '/livechat/console/lists/undelete', { chat_ids: '1', confirm: 'yes' }), 400, 'LC_ERR_VALIDATION')

    const other = await endedChat(alice)
    for (const url of [`/livechat/console/chats/${other}/delete`, '/livechat/console/lists/delete', '/livechat/console/lists/undelete', `/livechat/console/deleted/${closed}/undelete`]) {
      const res = await app.inject({ method: 'POST', url, payload: { chat_ids: String(other), confirm: 'yes' }, headers: { cookie: alice.cookie, accept: 'application/json', ...sameOrigin } })
      t.equal(res.statusCode, 403, `${url} without the CSRF token`)
      t.equal(res.json().code, 'LC_ERR_CSRF')
    }
    t.equal(await deletedAt(other), null)
    t.ok(await deletedAt(closed), 'still deleted')
    const signedOut = await app.inject({ method: 'POST', url: '/livechat/console/lists/delete', payload: { chat_ids: String(other) }, headers: { accept: 'application/json', ...sameOrigin } })
    t.ok([401, 403].includes(signedOut.statusCode), 'no session, no deleting')
  })

  t.test('Undelete: from the deleted chat\'s view and selected in Deleted Items; History tells both in words', async (t) => {
    const a = await endedChat(alice, 'Una Undo')
    const b = await endedChat(alice, 'Bo Undo')
    await alice.post('/livechat/console/lists/delete', { chat_ids: [String(a), String(b)], confirm: 'yes' })

    const res = await alice.post(`/livechat/console/deleted/${a}/undelete`)
    t.equal(res.statusCode, 200)
    t.match(res.body, `<hx-partial hx-target="#lc-chat-${a}" hx-swap="outerHTML"><article id="lc-chat-${a}" class="lc-pane" data-lc-pane="${a}"`, 'the chat\'s own pane in its place')
    t.match(res.body, `Chat #${a} with Una Undo is back from Deleted Items`)
    t.equal(await deletedAt(a), null)
    t.equal((await get(alice, `/livechat/console/chats/${a}`)).statusCode, 200)
    t.ok(rowIds((await get(alice, '/livechat/console/lists/my-completed')).body).includes(a), 'back in My Completed')
    t.notOk(rowIds((await get(alice, '/livechat/console/lists/deleted')).body).includes(a))
    const history = await get(alice, `/livechat/console/chats/${a}/tabs/history`, true)
    t.match(history.body, /<td>Alice Adams<\/td><td>Deleted the chat: it went to Deleted Items<\/td>[\s\S]*<td>Alice Adams<\/td><td>Restored the chat from Deleted Items \(undeleted\)<\/td>/)

    const selected = await alice.post('/livechat/console/lists/undelete', { chat_ids: [String(b), String(a), '999999'] })
    t.equal(selected.statusCode, 200)
    t.match(selected.body, '<strong>1 undeleted, 2 not undeleted</strong>')
    t.match(selected.body, `Chat #${b} (Bo Undo): undeleted`)
    t.match(selected.body, `Chat #${a} (Una Undo): not undeleted: Chat #${a} is not in Deleted Items (Alice Adams restored it)`)
    t.match(selected.body, 'Chat #999999: not undeleted: Chat 999999 does not exist')
    t.match(selected.body, '<hx-partial hx-target="#lc-list-undelete" hx-swap="outerHTML">')
    t.equal(await deletedAt(b), null)
    t.same(await historyRows(b), [...(await historyRows(b)).slice(0, -2), 'deleted Alice Adams', 'undeleted Alice Adams'])

    await alice.post(`/livechat/console/chats/${b}/delete`)
    const lead = await postJson(lena, `/livechat/console/deleted/${b}/undelete`)
    t.equal(lead.statusCode, 403)
    t.equal(lead.json().code, 'LC_ERR_DELETE_NOT_YOURS')
    t.equal((await postJson(bob, `/livechat/console/deleted/${b}/undelete`)).statusCode, 404)
    t.ok(await deletedAt(b), 'still deleted')
    t.equal((await sam.post(`/livechat/console/deleted/${b}/undelete`)).statusCode, 200, 'a supervisor with livechat.delete')
    t.match((await historyRows(b)).at(-1), 'undeleted Sam Supervisor')
  })
})

t.test('a deleted chat leaves open consoles live, and comes back to them', async (t) => {
  const { app, url } = await build(t, { listen: true })
  const alice = await agentSession(app, 'alice')
  const sam = await agentSession(app, 'sam')
  const sockets: SocketClient[] = []
  t.teardown(async () => { for (const s of sockets) await s.close() })
  const socket = async (path: string, cookie: string): Promise<SocketClient> => {
    const s = await openSocket(url, path, { cookie, origin: url })
    sockets.push(s)
    return s
  }

  const { chatId: id } = await startChat(app, { name: 'Live Lee', email: 'lee@customer.example' })
  await alice.post(`/livechat/console/chats/${id}/accept`)
  const console = await socket(`/livechat/ws/console?since=${id}.2`, alice.cookie)
  const completed = await socket('/livechat/ws/console?list=my-completed', alice.cookie)
  const deleted = await socket('/livechat/ws/console?list=deleted', sam.cookie)
  const global = await socket('/livechat/ws/console?list=global-completed', sam.cookie)
  await console.waitFor(/id="lc-my-completed"/)
  await alice.post(`/livechat/console/chats/${id}/end`)
  await console.waitFor(new RegExp(`id="lc-my-completed"[\\s\\S]*href="/livechat/console/chats/${id}"`))
  await completed.waitFor(/lc-list-stale/)
  for (const s of [console, completed, deleted, global]) s.frames.length = 0

  const res = await sam.post('/livechat/console/lists/delete', { chat_ids: String(id), confirm: 'yes' })
  t.match(res.body, '<strong>1 deleted</strong>')
  await completed.waitFor(/<div id="lc-list-stale" hidden data-lc-list-stale="\d+">/)
  t.pass('alice\'s open My Completed is told to re-read itself')
  const sidebar = await console.waitFor(/<hx-partial hx-target="#lc-my-completed"/)
  t.notMatch(sidebar, `/console/chats/${id}"`, 'her console\'s sidebar drops the chat')
  const pane = await console.waitFor(new RegExp(`<article id="lc-chat-${id}" class="lc-pane lc-pane--deleted"`))
  t.match(pane, 'Deleted by Sam Supervisor')
  t.match(pane, `hx-post="/livechat/console/deleted/${id}/undelete"`, 'her own chat: she may undelete it')
  await deleted.waitFor(/lc-list-stale/)
  await global.waitFor(/lc-list-stale/)
  t.notOk(rowIds((await app.inject({ url: '/livechat/console/lists/my-completed', headers: { cookie: alice.cookie } })).body).includes(id))

  for (const s of [console, completed, deleted]) s.frames.length = 0
  t.equal((await sam.post(`/livechat/console/deleted/${id}/undelete`)).statusCode, 200)
  await completed.waitFor(/lc-list-stale/)
  await deleted.waitFor(/lc-list-stale/)
  const back = await console.waitFor(new RegExp(`<article id="lc-chat-${id}" class="lc-pane" data-lc-pane="${id}"`))
  t.match(back, 'Live Lee', 'the pane is back where it was')
  await console.waitFor(new RegExp(`<hx-partial hx-target="#lc-my-completed"[\\s\\S]*href="/livechat/console/chats/${id}"`))
})
