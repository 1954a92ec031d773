import t from 'tap'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { apiClient, tokenAdmin } from '../helpers/api.ts'
import { agentSession, build, csrf, sameOrigin, startChat } from '../helpers/build.ts'

const allScopes = ['chats:read', 'messages:write', 'routing:manage', 'admin']

t.test('JSON API: chats', async (t) => {
  const { app, knex } = await build(t)
  const { create } = await tokenAdmin(app)
  const alice = apiClient(app, (await create({ name: 'Alice bot', scopes: allScopes, actsAs: 'agent', username: 'alice' })).secret)
  const desk = apiClient(app, (await create({ name: 'Desk', scopes: allScopes })).secret)
  const aliceConsole = await agentSession(app, 'alice')
  const aliceId = String((await knex('users').where({ username: 'alice' }).first('id')).id)
  const accepted = async (): Promise<number> => {
    const { chatId } = await startChat(app, { question: 'Printer jammed' })
    const res = await aliceConsole.post(`/livechat/console/chats/${chatId}/accept`)
    if (res.statusCode !== 200) throw new Error(`accept failed: ${res.statusCode}`)
    return chatId
  }

  t.test('list: cursor pages over more than a page, newest first, each chat once', async (t) => {
    const started: number[] = []
    for (let i = 0; i < 23; i++) started.push((await startChat(app, { name: `Customer ${i}`, question: `Question ${i}` })).chatId)
    const seen: number[] = []
    let cursor: string | null = null
    let pages = 0
    do {
      const res = await desk('GET', `/chats?limit=10&status=queued${cursor ? `&cursor=${cursor}` : ''}`)
      t.equal(res.statusCode, 200)
      const body = res.json() as { items: Array<{ id: number }>, nextCursor: string | null }
      seen.push(...body.items.map((c) => c.id))
      cursor = body.nextCursor
      pages++
    } while (cursor !== null && pages < 10)
    t.equal(pages, 3, '10 + 10 + 3')
    t.same(seen, [...started].sort((a, b) => b - a), 'every queued chat once, newest first')
    const bad = await desk('GET', '/chats?cursor=bm90LW91cnM')
    t.equal(bad.statusCode, 400)
    t.same(bad.json(), { code: 'LC_ERR_API_CURSOR', message: 'That cursor is not one this list gave; start again without it' })
    const tooMany = await desk('GET', '/chats?limit=101')
    t.equal(tooMany.statusCode, 400)
    t.match(tooMany.json(), { code: 'LC_ERR_VALIDATION', field: 'querystring/limit' })
    const unknown = await desk('GET', '/chats?sort=name')
    t.equal(unknown.statusCode, 400, 'a filter the lists do not have')
    // The lists' own filters: a chat number in the search box, a group, a list.
    const byNumber = await desk('GET', `/chats?q=%23${started[4]}`)
    t.same(byNumber.json().items.map((c: { id: number }) => c.id), [started[4]])
    t.same((await desk('GET', '/chats?group=2')).json().items, [], 'nothing in Support L2')
    t.equal((await desk('GET', '/chats?department=1&limit=100')).json().items.length, 23)
    const queue = await alice('GET', '/chats?list=queue&limit=100')
    t.equal(queue.json().items.length, 23, 'Alice\'s Queue tab')
    const global = await alice('GET', '/chats?list=global-active')
    t.equal(global.statusCode, 403, 'a global list needs livechat.supervise')
    t.equal(global.json().code, 'LC_ERR_FORBIDDEN')
  })

  t.test('read: a chat with its transcript, an ETag and 304 while it is unchanged', async (t) => {
    const chatId = await accepted()
    const first = await alice('GET', `/chats/${chatId}`)
    t.equal(first.statusCode, 200)
    t.match(first.json(), { chat: { id: chatId, status: 'active', agentId: aliceId, customer: { name: 'Dana Doyle' } } })
    t.match(first.json().messages, [{ seq: 1, kind: 'text', author: { kind: 'customer' }, text: 'Printer jammed' }])
    const tag = first.headers.etag as string
    t.match(tag, /^"[A-Za-z0-9_-]{32}"$/)
    const same = await alice('GET', `/chats/${chatId}`, { headers: { 'if-none-match': tag } })
    t.equal(same.statusCode, 304)
    t.equal(same.body, '')
    await alice('POST', `/chats/${chatId}/messages`, { body: { text: 'Let me look' } })
    const changed = await alice('GET', `/chats/${chatId}`, { headers: { 'if-none-match': tag } })
    t.equal(changed.statusCode, 200, 'a new message changes the ETag')
    t.not(changed.headers.etag, tag)
    t.equal((await alice('GET', '/chats/999999')).json().code, 'LC_ERR_CHAT_NOT_FOUND')
    t.equal((await alice('GET', '/chats/999999')).statusCode, 404)
  })

  t.test('post a message: once per Idempotency-Key, replayed on repeat, refused with another body', async (t) => {
    const chatId = await accepted()
    const key = { 'idempotency-key': 'b1a0c1e4-5f2a-4c55-9d1e-000000000001' }
    const first = await alice('POST', `/chats/${chatId}/messages`, { body: { text: 'Hello from the CRM' }, headers: key })
    t.equal(first.statusCode, 201)
    t.match(first.json(), { message: { kind: 'text', author: { kind: 'agent', id: aliceId, name: 'Alice Adams' }, text: 'Hello from the CRM' }, duplicate: false })
    const again = await alice('POST', `/chats/${chatId}/messages`, { body: { text: 'Hello from the CRM' }, headers: key })
    t.equal(again.statusCode, 201)
    t.equal(again.headers['idempotent-replayed'], 'true')
    t.same(again.json(), first.json(), 'the first answer, again')
    const stored = await knex('lc_messages').where({ chat_id: chatId, body: 'Hello from the CRM' })
    t.equal(stored.length, 1, 'stored once')
    const other = await alice('POST', `/chats/${chatId}/messages`, { body: { text: 'Something else' }, headers: key })
    t.equal(other.statusCode, 422)
    t.equal(other.json().code, 'LC_ERR_API_IDEMPOTENCY_REUSED')
    const badKey = await alice('POST', `/chats/${chatId}/messages`, { body: { text: 'x' }, headers: { 'idempotency-key': 'é'.repeat(3) } })
    t.equal(badKey.statusCode, 400)
    t.equal(badKey.json().code, 'LC_ERR_API_IDEMPOTENCY_KEY')
    // A refusal is kept with its key too: the same answer, not a second try.
    const emptyKey = { 'idempotency-key': 'empty-1' }
    const empty = await alice('POST', `/chats/${chatId}/messages`, { body: { text: '   ' }, headers: emptyKey })
    t.equal(empty.statusCode, 422)
    t.same(empty.json(), { code: 'LC_ERR_MESSAGE_EMPTY', message: 'Type a message before sending', field: 'body/text' }, 'the refusal names the field')
    const emptyAgain = await alice('POST', `/chats/${chatId}/messages`, { body: { text: '   ' }, headers: emptyKey })
    t.equal(emptyAgain.statusCode, 422)
    t.equal(emptyAgain.headers['idempotent-replayed'], 'true')
    t.same(emptyAgain.json(), empty.json())
    // clientMsgId: the service's own resend guard, without a key.
    const a = await alice('POST', `/chats/${chatId}/messages`, { body: { text: 'Once', clientMsgId: 'crm-1' } })
    const b = await alice('POST', `/chats/${chatId}/messages`, { body: { text: 'Once', clientMsgId: 'crm-1' } })
    t.equal(b.json().duplicate, true)
    t.equal(b.json().message.id, a.json().message.id)
    const tooLong = await alice('POST', `/chats/${chatId}/messages`, { body: { text: 'x'.repeat(10_001) } })
    t.equal(tooLong.statusCode, 422)
    t.equal(tooLong.json().code, 'LC_ERR_MESSAGE_TOO_LONG')
    const missing = await alice('POST', `/chats/${chatId}/messages`, { body: {} })
    t.match(missing.json(), { code: 'LC_ERR_VALIDATION', field: 'body/text' })
    // Two calls racing with one key: the unique (token, key) index lets one do it; the
    // other is told to come back (409) or, if the first is done, gets its answer.
    const race = { 'idempotency-key': 'race-1' }
    const raced = await Promise.all([1, 2, 3].map(async () => await alice('POST', `/chats/${chatId}/messages`, { body: { text: 'Racing' }, headers: race })))
    t.equal(raced.filter((r) => r.statusCode === 201 && r.headers['idempotent-replayed'] === undefined).length, 1, 'one call does it')
    for (const r of raced) {
      t.ok(r.statusCode === 201 || (r.statusCode === 409 && r.json().code === 'LC_ERR_API_IDEMPOTENCY_BUSY'), `a repeat is replayed or told to wait (${r.statusCode})`)
    }
    t.equal((await knex('lc_messages').where({ chat_id: chatId, body: 'Racing' })).length, 1, 'stored once')
    const calls = await knex('lc_api_calls').where({ idempotency_key: key['idempotency-key'] })
    t.equal(calls.length, 1, 'the key is kept once')
    t.equal(Number(calls[0].status), 201)
    t.ok((await knex('lc_api_calls').where({ replayed: true })).length >= 2, 'the replays are recorded as such')
  })

  t.test('transfer, end, delete and undelete; a lost race is a 409 naming who won', async (t) => {
    const chatId = await accepted()
    const transferred = await alice('POST', `/chats/${chatId}/transfer`, { body: { groupId: 2, comment: 'Needs L2' } })
    t.equal(transferred.statusCode, 200)
    t.match(transferred.json().chat, { id: chatId, status: 'queued', groupId: 2, agentId: null })
    t.equal((await alice('GET', `/chats/${chatId}`)).statusCode, 404, 'Alice no longer sees it')
    const foreign = await desk('POST', `/chats/${chatId}/end`, { headers: { origin: 'https://elsewhere.example' } })
    t.equal(foreign.statusCode, 403, 'a browser on another site is refused')
    t.equal(foreign.json().code, 'LC_ERR_ORIGIN')
    const other0 = await accepted()
    const noGroup = await alice('POST', `/chats/${other0}/transfer`, { body: { groupId: 999 } })
    t.equal(noGroup.statusCode, 422)
    t.match(noGroup.json(), { code: 'LC_ERR_GROUP_NOT_FOUND', field: 'body/groupId' })
    t.equal((await alice('POST', `/chats/${other0}/end`)).statusCode, 200)

    const other = await accepted()
    const ended = await desk('POST', `/chats/${other}/end`)
    t.equal(ended.statusCode, 200)
    t.match(ended.json().chat, { id: other, status: 'ended' })
    const twice = await desk('POST', `/chats/${other}/end`)
    t.equal(twice.statusCode, 409)
    t.equal(twice.json().code, 'LC_ERR_CHAT_STATE_CONFLICT')
    const history = await knex('lc_chat_history').where({ chat_id: other, action: 'ended' }).first()
    t.match(history, { actor_name: 'Desk (API)' }, 'History names the integration')

    const [x, y] = await Promise.all([desk('POST', `/chats/${other}/delete`), alice('POST', `/chats/${other}/delete`)])
    t.same([x.statusCode, y.statusCode].sort(), [200, 409], 'one delete wins')
    const lost = x.statusCode === 409 ? x : y
    t.equal(lost.json().code, 'LC_ERR_CHAT_ALREADY_DELETED')
    t.match(lost.json().message, x.statusCode === 200 ? /deleted by Desk \(API\)/ : /deleted by Alice Adams/, 'the 409 names who won')
    const deleted = await desk('GET', '/chats?list=deleted')
    t.same(deleted.json().items.map((c: { id: number, deleted: boolean }) => [c.id, c.deleted]), [[other, true]])
    const back = await desk('POST', `/chats/${other}/undelete`)
    t.equal(back.statusCode, 200)
    t.equal(back.json().chat.deleted, false)
    const notDeleted = await desk('POST', `/chats/${other}/undelete`)
    t.equal(notDeleted.statusCode, 409)
    t.equal(notDeleted.json().code, 'LC_ERR_CHAT_NOT_DELETED')
    const open = await desk('POST', `/chats/${chatId}/delete`)
    t.equal(open.statusCode, 409)
    t.equal(open.json().code, 'LC_ERR_DELETE_OPEN_CHAT')
  })

  t.test('around a chat: comments, related tickets, the survey', async (t) => {
    const chatId = await accepted()
    const added = await alice('POST', `/chats/${chatId}/comments`, { body: { body: 'Customer on the <b>old</b> model', resolution: true } })
    t.equal(added.statusCode, 201)
    t.match(added.json().comment, { author: { id: aliceId, name: 'Alice Adams' }, body: 'Customer on the <b>old</b> model', resolution: true })
    const listed = await desk('GET', `/chats/${chatId}/comments`)
    t.same(listed.json().items.map((c: { body: string }) => c.body), ['Customer on the <b>old</b> model'])
    const empty = await alice('POST', `/chats/${chatId}/comments`, { body: { body: ' ' } })
    t.equal(empty.statusCode, 422)
    t.match(empty.json(), { code: 'LC_ERR_COMMENT_EMPTY', field: 'body/body' })
    t.same((await desk('GET', `/chats/${chatId}/tickets`)).json(), { items: [] })
    const ticket = await sqlHost(knex, loadManifest().host).createTicket({ kind: 'incident', summary: 'Printer jammed', description: 'From a chat', requesterId: null, assigneeId: null, chatId: null })
    t.equal((await aliceConsole.post(`/livechat/console/chats/${chatId}/items/ticket`, { ref: ticket.ref })).statusCode, 200)
    await aliceConsole.post(`/livechat/console/chats/${chatId}/items/task`, { title: 'Not a ticket', due: '', note: '' })
    t.match((await desk('GET', `/chats/${chatId}/tickets`)).json(), { items: [{ ref: ticket.ref, url: ticket.url, createdFromChat: false, linkedBy: 'Alice Adams' }] }, 'tickets only, not tasks')
    t.equal((await desk('GET', `/chats/${chatId}/tickets`)).json().items.length, 1)
    t.same((await desk('GET', `/chats/${chatId}/survey`)).json(), { survey: null })
    const { chatId: rated, cookie } = await startChat(app, { question: 'Rate me' })
    await aliceConsole.post(`/livechat/console/chats/${rated}/accept`)
    await alice('POST', `/chats/${rated}/end`)
    const c = await csrf(app, cookie, `/livechat/chat/${rated}`)
    const answered = await app.inject({ method: 'POST', url: `/livechat/chat/${rated}/survey`, payload: { rating: '4', comment: 'Quick <b>help</b>' }, headers: { cookie: c.cookie, 'x-csrf-token': c.token, 'hx-request': 'true', ...sameOrigin } })
    t.equal(answered.statusCode, 200)
    t.match((await desk('GET', `/chats/${rated}/survey`)).json(), { survey: { rating: 4, comment: 'Quick <b>help</b>' } })
    t.equal((await alice('GET', '/chats/999999/comments')).statusCode, 404)
  })

  t.test('routing: departments, groups, a group\'s queue and presence, agents, canned replies', async (t) => {
    t.same((await desk('GET', '/departments')).json().items.map((d: { name: string }) => d.name), ['Support', 'Sales'])
    t.same((await desk('GET', '/groups')).json().items.map((g: { name: string }) => g.name), ['Support L1', 'Support L2', 'Sales'])
    const queue = await desk('GET', '/groups/1/queue')
    t.equal(queue.statusCode, 200)
    t.equal(queue.json().waiting, queue.json().chats.length)
    t.ok(queue.json().waiting >= 23)
    t.equal(queue.json().availableAgents, 1, 'bob stands by')
    const missing = await desk('GET', '/groups/99/queue')
    t.equal(missing.statusCode, 404)
    t.equal(missing.json().code, 'LC_ERR_API_GROUP_NOT_FOUND')
    const presence = (await desk('GET', '/groups/1/presence')).json().items as Array<{ name: string, status: string }>
    t.same(presence.map((a) => [a.name, a.status]).sort(), [['Alice Adams', 'unavailable'], ['Bob Brown', 'available'], ['Sam Supervisor', 'unavailable']])
    const agents = (await desk('GET', '/agents')).json().items as Array<{ name: string, groups: unknown[] }>
    t.same(agents.map((a) => a.name).sort(), ['Alice Adams', 'Bob Brown', 'Carol Chen', 'Sam Supervisor'])
    const canned = await alice('GET', '/canned-replies')
    t.equal(canned.statusCode, 200)
    t.ok(Array.isArray(canned.json().items))
  })
})
