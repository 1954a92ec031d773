import t from 'tap'
import { agentSession, build, login, openSocket, sameOrigin, startChat } from '../helpers/build.ts'

t.test('comments tab over HTTP', async (t) => {
  const { app, knex } = await build(t)
  const tab = async (cookie: string, chatId: number) => await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/comments`, headers: { cookie, 'hx-request': 'true' } })
  const stored = async (chatId: number) => await knex('lc_chat_comments').where('chat_id', chatId).orderBy('id')
  const history = async (chatId: number) => (await knex('lc_chat_history').where('chat_id', chatId).orderBy('id')).map((r) => r.action as string)
  const [alice, bob, sam] = [await agentSession(app, 'alice'), await agentSession(app, 'bob'), await agentSession(app, 'sam')]

  t.test('the tab is listed on the chat view and loads its form and an empty list', async (t) => {
    const { chatId } = await startChat(app)
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    const view = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: alice.cookie } })
    t.match(view.body, new RegExp(`id="lc-tab-${chatId}-conversation"[\\s\\S]*id="lc-tab-${chatId}-comments"[^>]*hx-get="/livechat/console/chats/${chatId}/tabs/comments"[^>]*>Comments<`))
    const res = await tab(alice.cookie, chatId)
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`^<hx-partial hx-target="#lc-tab-panel-${chatId}" hx-swap="innerHTML">`))
    t.match(res.body, new RegExp(`<form id="lc-comment-form-${chatId}"[^>]*hx-post="/livechat/console/chats/${chatId}/comments" hx-target="#lc-notice" hx-swap="none"`))
    t.match(res.body, /name="resolution" value="on"> Mark as the resolution/)
    t.match(res.body, new RegExp(`<div id="lc-comments-${chatId}" class="lc-comments">\\s*<p class="lc-empty">No comments yet`))
  })

  t.test('adding: empty and over-long come back in the form with the text; a good one is listed, newest first, and recorded', async (t) => {
    const { chatId } = await startChat(app)
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    const url = `/livechat/console/chats/${chatId}/comments`

    const empty = await alice.post(url, { body: '   \n ', resolution: 'on' })
    t.equal(empty.statusCode, 422)
    t.match(empty.body, new RegExp(`<hx-partial hx-target="#lc-comment-form-${chatId}" hx-swap="outerHTML">`))
    t.match(empty.body, /aria-invalid="true"[\s\S]*role="alert">Type a comment before saving it</)
    t.match(empty.body, /name="resolution" value="on" checked>/, 'the checkbox is kept')
    const long = 'é'.repeat(5001)
    const over = await alice.post(url, { body: long })
    t.equal(over.statusCode, 422)
    t.match(over.body, /Comments can be at most 5,000 characters \(this one has 5,001\); shorten it/)
    t.ok(over.body.includes(`>${long}</textarea>`), 'the text is handed back whole')
    t.same(await stored(chatId), [], 'nothing stored')
    t.notOk((await history(chatId)).some((a) => a.startsWith('comment')), 'nothing recorded')
    t.equal((await alice.post(url, { body: 'x'.repeat(5000) })).statusCode, 200, '5,000 characters is allowed')

    const first = await alice.post(url, { body: 'Customer is on <b>Windows 11</b>' })
    t.equal(first.statusCode, 200)
    t.match(first.body, new RegExp(`<hx-partial hx-target="#lc-comment-form-${chatId}" hx-swap="outerHTML"><form[^>]*>[\\s\\S]*></textarea>`), 'a fresh, empty form')
    t.match(first.body, new RegExp(`<hx-partial hx-target="#lc-comments-${chatId}" hx-swap="outerHTML">`))
    t.match(first.body, /Customer is on &lt;b&gt;Windows 11&lt;\/b&gt;/, 'escaped')
    t.match(first.body, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML"><\/hx-partial>/)
    await alice.post(url, { body: 'Second thought' })
    const list = await tab(alice.cookie, chatId)
    t.match(list.body, /Second thought[\s\S]*Windows 11[\s\S]*x{5000}/, 'newest first')
    t.match(list.body, /<strong>Alice Adams<\/strong>\s*<time datetime="/)
    const rows = await stored(chatId)
    t.equal(rows.length, 3)
    t.equal(rows[1].author_name, 'Alice Adams')
    t.equal(rows[1].body, 'Customer is on <b>Windows 11</b>')
    t.equal(Number(rows[1].created_at), Number(rows[1].updated_at))
    t.same((await history(chatId)).filter((a) => a.startsWith('comment')), ['comment_added', 'comment_added', 'comment_added'])
  })

  t.test('the resolution: one per chat, moved by marking another, unmarked on request, each change in History', async (t) => {
    const { chatId } = await startChat(app)
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    const url = `/livechat/console/chats/${chatId}/comments`
    await alice.post(url, { body: 'Reset the VPN profile', resolution: 'on' })
    let rows = await stored(chatId)
    t.same(rows.map((r) => Boolean(Number(r.is_resolution))), [true])
    const added = await alice.post(url, { body: 'Actually: reinstalled the client', resolution: 'on' })
    t.match(added.body, new RegExp(`id="lc-comment-${Number(rows[0].id) + 1}" class="lc-comment lc-comment--resolution"[\\s\\S]*<span class="lc-badge lc-badge--resolution">Resolution</span>[\\s\\S]*reinstalled[\\s\\S]*Unmark resolution[\\s\\S]*id="lc-comment-${rows[0].id}" class="lc-comment"`))
    rows = await stored(chatId)
    t.same(rows.map((r) => Boolean(Number(r.is_resolution))), [false, true], 'the mark moved')

    const back = await alice.post(`${url}/${rows[0].id}/resolution`, { mark: 'on' })
    t.equal(back.statusCode, 200)
    t.match(back.body, new RegExp(`<hx-partial hx-target="#lc-comments-${chatId}" hx-swap="outerHTML">`))
    t.same((await stored(chatId)).map((r) => Boolean(Number(r.is_resolution))), [true, false])
    const again = await alice.post(`${url}/${rows[0].id}/resolution`, { mark: 'on' })
    t.equal(again.statusCode, 200, 'marking the resolution again changes nothing')
    const off = await alice.post(`${url}/${rows[0].id}/resolution`, { mark: 'off' })
    t.equal(off.statusCode, 200)
    t.same((await stored(chatId)).map((r) => Boolean(Number(r.is_resolution))), [false, false])
    t.equal((await alice.post(`${url}/${rows[0].id}/resolution`, { mark: 'maybe' })).statusCode, 400)

    const words = await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/history`, headers: { cookie: alice.cookie } })
    t.match(words.body, /Alice Adams<\/td><td>Added a comment and marked it as the resolution: “Reset the VPN profile”[\s\S]*Added a comment and marked it as the resolution: “Actually: reinstalled the client”[\s\S]*Marked a comment by Alice Adams as the resolution, in place of one by Alice Adams[\s\S]*Unmarked a comment by Alice Adams as the resolution/)
    t.same((await history(chatId)).filter((a) => /comment|resolution/.test(a)), ['comment_added', 'comment_added', 'resolution_marked', 'resolution_unmarked'], 'marking again wrote nothing')
  })

  t.test('edit and delete: your own; a supervisor anyone\'s; another agent 403; gone is 404', async (t) => {
    // Queued in Support L1: alice and bob (both working L1) and sam (supervising it) all see it.
    const { chatId } = await startChat(app)
    const url = `/livechat/console/chats/${chatId}/comments`
    await alice.post(url, { body: 'Asked for the error code' })
    const [comment] = await stored(chatId)
    const id = Number(comment.id)

    const form = await app.inject({ url: `${url}/${id}/edit`, headers: { cookie: alice.cookie } })
    t.equal(form.statusCode, 200)
    t.match(form.body, new RegExp(`<form id="lc-comment-form-${chatId}" class="lc-comment-form lc-comment-form--editing" hx-post="${url}/${id}"`))
    t.match(form.body, /autofocus[^>]*>Asked for the error code<\/textarea>/)
    t.match(form.body, new RegExp(`hx-get="/livechat/console/chats/${chatId}/tabs/comments"[^>]*>Cancel<`))

    const bobTab = await tab(bob.cookie, chatId)
    t.equal(bobTab.statusCode, 200, 'bob sees the chat and its comments')
    t.notMatch(bobTab.body, /Edit</, 'but no buttons to change alice\'s comment')
    for (const [what, res] of [
      ['edit form', await app.inject({ url: `${url}/${id}/edit`, headers: { cookie: bob.cookie, 'hx-request': 'true' } })],
      ['edit', await bob.post(`${url}/${id}`, { body: 'Changed by bob' })],
      ['mark', await bob.post(`${url}/${id}/resolution`, { mark: 'on' })],
      ['delete', await bob.post(`${url}/${id}/delete`)]
    ] as const) {
      t.equal(res.statusCode, 403, what)
      t.match(res.body, /data-code="LC_ERR_COMMENT_NOT_YOURS"[\s\S]*Only Alice Adams or a supervisor of this chat&#x27;s group may change this comment/, what)
    }
    t.equal((await stored(chatId))[0].body, 'Asked for the error code', 'unchanged')

    const emptied = await alice.post(`${url}/${id}`, { body: '' })
    t.equal(emptied.statusCode, 422)
    t.match(emptied.body, new RegExp(`hx-post="${url}/${id}"[\\s\\S]*Type a comment before saving it`), 'still the edit form')
    await new Promise((resolve) => setTimeout(resolve, 5)) // so the edit is a later millisecond
    const edited = await alice.post(`${url}/${id}`, { body: 'Error 809: blocked by the hotel Wi-Fi' })
    t.equal(edited.statusCode, 200)
    t.match(edited.body, /\(edited\)[\s\S]*Error 809/)
    const row = (await stored(chatId))[0]
    t.equal(row.body, 'Error 809: blocked by the hotel Wi-Fi')
    t.ok(Number(row.updated_at) > Number(row.created_at))
    const unchanged = await alice.post(`${url}/${id}`, { body: 'Error 809: blocked by the hotel Wi-Fi' })
    t.equal(unchanged.statusCode, 200)

    const samTab = await tab(sam.cookie, chatId)
    t.match(samTab.body, new RegExp(`hx-get="${url}/${id}/edit"`), 'a supervisor may change it')
    const bySam = await sam.post(`${url}/${id}`, { body: 'Error 809: hotel Wi-Fi blocks IKE', resolution: 'on' })
    t.equal(bySam.statusCode, 200)
    t.equal(Number((await stored(chatId))[0].is_resolution), 1)
    const gone = await sam.post(`${url}/${id}/delete`)
    t.equal(gone.statusCode, 200)
    t.match(gone.body, /No comments yet[\s\S]*Comment deleted/)
    t.same(await stored(chatId), [])
    const twice = await alice.post(`${url}/${id}/delete`)
    t.equal(twice.statusCode, 404)
    t.match(twice.body, /data-code="LC_ERR_COMMENT_NOT_FOUND"/)

    const words = await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/history`, headers: { cookie: sam.cookie } })
    t.match(words.body, /Alice Adams<\/td><td>Added a comment: “Asked for the error code”[\s\S]*Alice Adams<\/td><td>Edited a comment by Alice Adams: “Error 809: blocked by the hotel Wi-Fi”[\s\S]*Sam Supervisor<\/td><td>Edited a comment by Alice Adams: “Error 809: hotel Wi-Fi blocks IKE”[\s\S]*Sam Supervisor<\/td><td>Marked a comment by Alice Adams as the resolution[\s\S]*Sam Supervisor<\/td><td>Deleted a comment by Alice Adams, the resolution: “Error 809: hotel Wi-Fi blocks IKE”/)
    t.same((await history(chatId)).filter((a) => /comment|resolution/.test(a)), ['comment_added', 'comment_edited', 'comment_edited', 'resolution_marked', 'comment_deleted'], 'the unchanged save wrote nothing')
  })

  t.test('a chat the agent may not see, an unknown chat, a comment of another chat: 404', async (t) => {
    const { chatId } = await startChat(app)
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    await alice.post(`/livechat/console/chats/${chatId}/comments`, { body: 'Mine' })
    const [comment] = await stored(chatId)
    const carol = await agentSession(app, 'carol')
    t.equal((await tab(carol.cookie, chatId)).statusCode, 404, 'carol works neither L1 nor this chat')
    t.equal((await tab(bob.cookie, chatId)).statusCode, 404, 'bob works L1 but the chat is alice\'s now')
    const refused = await bob.post(`/livechat/console/chats/${chatId}/comments`, { body: 'Sneaky' })
    t.equal(refused.statusCode, 404)
    t.match(refused.body, /data-code="LC_ERR_CHAT_NOT_FOUND"/)
    t.equal((await tab(alice.cookie, 999999)).statusCode, 404)
    t.equal((await alice.post('/livechat/console/chats/999999/comments', { body: 'x' })).statusCode, 404)
    const other = await startChat(app)
    await alice.post(`/livechat/console/chats/${other.chatId}/accept`)
    const crossed = await alice.post(`/livechat/console/chats/${other.chatId}/comments/${comment.id}`, { body: 'Crossed' })
    t.equal(crossed.statusCode, 404)
    t.match(crossed.body, /data-code="LC_ERR_COMMENT_NOT_FOUND"/)
    t.equal((await stored(chatId))[0].body, 'Mine')
    t.equal((await tab(alice.cookie, 0)).statusCode, 400, 'ids are checked')
  })

  t.test('customers, visitors, forged and malformed requests get nothing', async (t) => {
    const { chatId } = await startChat(app)
    const url = `/livechat/console/chats/${chatId}/comments`
    const dana = await login(app, 'dana')
    t.equal((await tab(dana, chatId)).statusCode, 403)
    t.equal((await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/comments` })).statusCode, 401)
    const noToken = await app.inject({ method: 'POST', url, payload: { body: 'x' }, headers: { cookie: alice.cookie, ...sameOrigin } })
    t.equal(noToken.statusCode, 403)
    const elsewhere = await app.inject({ method: 'POST', url, payload: { body: 'x' }, headers: { cookie: alice.cookie, 'x-csrf-token': alice.token, origin: 'https://evil.example' } })
    t.equal(elsewhere.statusCode, 403)
    t.equal((await alice.post(url, { body: 'x', resolution: 'yes' })).statusCode, 400)
    t.equal((await alice.post(url, { body: 'x', author_id: 'someone' })).statusCode, 400)
    t.equal((await alice.post(url, {})).statusCode, 400)
    t.same(await stored(chatId), [])
    const page = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie: dana } })
    t.notMatch(page.body, /Comments/, 'the customer\'s window has no comments')
  })
})

t.test('comments are live: agents following the chat see them change; the customer never does', async (t) => {
  const { app, url } = await build(t, { listen: true })
  const alice = await agentSession(app, 'alice')
  const sam = await agentSession(app, 'sam')
  const { chatId, cookie: customerCookie } = await startChat(app)
  await alice.post(`/livechat/console/chats/${chatId}/accept`)
  const tab1 = await openSocket(url, '/livechat/ws/console', { cookie: alice.cookie, origin: url })
  const tab2 = await openSocket(url, '/livechat/ws/console', { cookie: alice.cookie, origin: url })
  const customer = await openSocket(url, `/livechat/ws/chat/${chatId}`, { cookie: customerCookie, origin: url })
  t.teardown(async () => { await tab1.close(); await tab2.close(); await customer.close() })
  await tab1.waitFor(/hx-target="#lc-queue"/)
  await tab2.waitFor(/hx-target="#lc-queue"/)

  const added = await sam.post(`/livechat/console/chats/${chatId}/comments`, { body: 'Watch the tone, please', resolution: 'on' })
  t.equal(added.statusCode, 200)
  for (const socket of [tab1, tab2]) {
    const frame = await socket.waitFor(new RegExp(`<hx-partial hx-target="#lc-comments-${chatId}" hx-swap="outerHTML">`))
    t.match(frame, /<strong>Sam Supervisor<\/strong>[\s\S]*Resolution[\s\S]*Watch the tone, please/)
    t.notMatch(frame, /Edit</, 'alice may not change sam\'s comment')
  }
  await alice.post(`/livechat/console/chats/${chatId}/comments`, { body: 'Noted' })
  await tab1.waitFor(/Noted[\s\S]*Watch the tone/)
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.notOk(customer.frames.some((f) => /Watch the tone|Noted|lc-comments/.test(f)), 'nothing of it reaches the customer')
})
