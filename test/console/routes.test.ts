import t from 'tap'
import { agentSession, build, login, sameOrigin, startChat } from '../helpers/build.ts'

t.test('console routes', async (t) => {
  const { app, knex } = await build(t)

  t.test('GET /console: 401 signed out, 403 for a customer, the console for an agent', async (t) => {
    const out = await app.inject({ url: '/livechat/console', headers: { accept: 'application/json' } })
    t.equal(out.statusCode, 401)
    t.equal(out.json().code, 'LC_ERR_UNAUTHENTICATED')
    const dana = await login(app, 'dana')
    const customer = await app.inject({ url: '/livechat/console', headers: { cookie: dana } })
    t.equal(customer.statusCode, 403)
    t.match(customer.body, /You need the livechat.agent permission for this/)
    const alice = await login(app, 'alice')
    const page = await app.inject({ url: '/livechat/console', headers: { cookie: alice } })
    t.equal(page.statusCode, 200)
    t.match(page.body, /<input type="checkbox" id="lc-available" name="available" value="on" role="switch">\s*<label for="lc-available">Available<\/label>/)
    t.match(page.body, /id="lc-queue"/)
    t.match(page.body, /id="lc-my-active"/)
    t.match(page.body, /id="lc-my-completed"/)
    t.match(page.body, /hx-ws:connect="\/livechat\/ws\/console"/)
  })

  t.test('POST /console/availability: switches on and off; without the CSRF token nothing changes', async (t) => {
    const alice = await agentSession(app, 'alice')
    const on = await alice.post('/livechat/console/availability', { available: 'on' })
    t.equal(on.statusCode, 200)
    t.match(on.body, /<hx-partial hx-target="#lc-availability" hx-swap="outerHTML">/)
    t.match(on.body, /role="switch" checked/)
    const row = await knex('lc_agent_presence').where('agent_id', String((await knex('users').where('username', 'alice').first()).id)).first()
    t.equal(row.status, 'available')
    const forged = await app.inject({ method: 'POST', url: '/livechat/console/availability', headers: { cookie: alice.cookie, ...sameOrigin }, payload: {} })
    t.equal(forged.statusCode, 403)
    t.equal((await knex('lc_agent_presence').where('agent_id', row.agent_id).first()).status, 'available')
    const bad = await alice.post('/livechat/console/availability', { available: 'maybe' })
    t.equal(bad.statusCode, 400)
    t.match(bad.body, /available must be one of: on/)
    const off = await alice.post('/livechat/console/availability', {})
    t.notMatch(off.body, /checked/)
  })

  t.test('accept: the pane arrives with the transcript; a second agent hears who took it', async (t) => {
    const { chatId } = await startChat(app, { question: 'Outlook keeps asking for my password' })
    const [alice, bob] = [await agentSession(app, 'alice'), await agentSession(app, 'bob')]
    const queue = await app.inject({ url: '/livechat/console', headers: { cookie: bob.cookie } })
    t.match(queue.body, new RegExp(`hx-post="/livechat/console/chats/${chatId}/accept"`))
    const won = await alice.post(`/livechat/console/chats/${chatId}/accept`)
    t.equal(won.statusCode, 200)
    t.match(won.body, /<hx-partial hx-target="#lc-chat-panes" hx-swap="beforeend"><article id="lc-chat-\d+"/)
    t.match(won.body, /Outlook keeps asking for my password/)
    t.match(won.body, /Alice Adams joined the chat/)
    t.match(won.body, /<hx-partial hx-target="#lc-queue" hx-swap="outerHTML">/)
    t.match(won.body, /<hx-partial hx-target="#lc-my-active" hx-swap="outerHTML">/)
    const lost = await bob.post(`/livechat/console/chats/${chatId}/accept`)
    t.equal(lost.statusCode, 409)
    t.match(lost.body, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML">/)
    t.match(lost.body, /data-code="LC_ERR_CHAT_TAKEN"/)
    t.match(lost.body, /Already taken by Alice Adams/)
    t.equal((await knex('lc_chats').where('id', chatId).first()).status, 'active')
  })

  t.test('accept: a customer cannot accept, and an unknown chat is a 404', async (t) => {
    const { chatId } = await startChat(app)
    const dana = await login(app, 'dana')
    const res = await app.inject({ method: 'POST', url: `/livechat/console/chats/${chatId}/accept`, headers: { cookie: dana, ...sameOrigin } })
    t.equal(res.statusCode, 403)
    const alice = await agentSession(app, 'alice')
    t.equal((await alice.post('/livechat/console/chats/999999/accept')).statusCode, 404)
    t.equal((await alice.post('/livechat/console/chats/0/accept')).statusCode, 400)
    t.equal((await knex('lc_chats').where('id', chatId).first()).status, 'queued')
  })

  t.test('end: the agent ends the chat; it moves to My Completed with its whole transcript', async (t) => {
    const { chatId } = await startChat(app, { question: 'Printer on floor 3 is offline' })
    const bob = await agentSession(app, 'bob')
    await bob.post(`/livechat/console/chats/${chatId}/accept`)
    const carol = await agentSession(app, 'carol')
    t.equal((await carol.post(`/livechat/console/chats/${chatId}/end`)).statusCode, 404, 'another agent cannot end it')
    const ended = await bob.post(`/livechat/console/chats/${chatId}/end`)
    t.equal(ended.statusCode, 200)
    t.match(ended.body, /<hx-partial hx-target="#lc-composer-\d+" hx-swap="outerHTML">/)
    t.match(ended.body, /This chat has ended\./)
    t.match(ended.body, new RegExp(`<hx-partial hx-target="#lc-my-completed" hx-swap="outerHTML">[\\s\\S]*#${chatId} · ended`))
    const view = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: bob.cookie } })
    t.equal(view.statusCode, 200)
    t.match(view.body, /Printer on floor 3 is offline[\s\S]*Bob Brown joined the chat[\s\S]*Bob Brown ended the chat/)
    t.notMatch(view.body, /hx-ws:connect/, 'a closed chat needs no socket')
    t.equal((await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: carol.cookie } })).statusCode, 404)
    const sam = await login(app, 'sam')
    t.equal((await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: sam } })).statusCode, 200, 'a supervisor may look')
  })

  t.test('console page: only the newest chat\'s pane is drawn; the others are slots that load theirs when shown', async (t) => {
    const bob = await agentSession(app, 'bob')
    const { chatId: older } = await startChat(app, { question: 'The scanner sends blank pages' })
    const { chatId: newer } = await startChat(app, { question: 'My badge does not open the door' })
    await bob.post(`/livechat/console/chats/${older}/accept`)
    const accepted = await bob.post(`/livechat/console/chats/${newer}/accept`)
    const page = await app.inject({ url: '/livechat/console', headers: { cookie: bob.cookie } })
    t.equal(page.statusCode, 200)
    // My Active draws one Actions menu for the list; each row has a menu button that opens it
    // (public/js/console.js fills in the row's chat), on the page and in the htmx answer alike.
    for (const [body, where] of [[page.body, 'the page'], [accepted.body, 'the Accept answer']] as const) {
      const list = /<section id="lc-my-active"[\s\S]*?<\/section>/.exec(body)?.[0] ?? ''
      t.equal(list.match(/role="menu"/g)?.length, 1, `${where}: one menu for the list`)
      t.match(list, /<div id="lc-my-active-menu" class="lc-row-menu" role="menu" aria-label="Chat actions" hidden>\s*<button type="button" role="menuitem" tabindex="-1" data-lc-reveal=":id" hx-get="\/livechat\/console\/chats\/:id\/transfer" hx-target="#lc-notice" hx-swap="none">Transfer&hellip;<\/button>/)
      for (const id of [older, newer]) {
        t.match(list, new RegExp(`<button type="button" class="lc-row__menu" aria-haspopup="menu" aria-expanded="false" data-lc-row-menu="${id}" aria-label="Actions for the chat with [^"]+">Actions</button></li>`), `${where}: chat ${id}'s menu button`)
      }
      t.notMatch(list, /<details/, `${where}: no menu of its own in a row`)
    }
    // Not one character of the page's own markup beyond Latin-1: one would make V8 hold the
    // whole page two bytes a character, and flattening and encoding it cost three times as much.
    t.notOk([...page.body].some((c) => c.charCodeAt(0) > 0xff), 'the page is Latin-1 when what it shows is')
    t.match(page.body, `<article id="lc-chat-${newer}" class="lc-pane" data-lc-pane="${newer}"`)
    t.match(page.body, /My badge does not open the door/)
    t.match(page.body, new RegExp(`<article id="lc-chat-${older}" class="lc-pane lc-pane--slot" data-lc-pane="${older}" data-lc-slot[^>]*hidden\\s+hx-get="/livechat/console/chats/${older}/pane"[^>]*hx-trigger="lc-pane-load"`))
    t.notMatch(page.body, /The scanner sends blank pages/, 'no transcript for a slot')
    const lastSeq = Number((await knex('lc_chats').where('id', older).first()).last_seq)
    t.match(page.body, `<ol id="lc-messages-${older}" data-lc-chat="${older}" hidden><li data-seq="${lastSeq}"></li></ol>`)
    t.match(page.body, new RegExp(`hx-ws:connect="/livechat/ws/console\\?since&#x3D;${newer}\\.\\d+,${older}\\.${lastSeq}"`), 'the socket resumes a slot from what the page holds')

    const pane = await app.inject({ url: `/livechat/console/chats/${older}/pane`, headers: { cookie: bob.cookie, 'hx-request': 'true' } })
    t.equal(pane.statusCode, 200)
    t.match(pane.body, `<hx-partial hx-target="#lc-chat-${older}" hx-swap="outerHTML"><article id="lc-chat-${older}" class="lc-pane" data-lc-pane="${older}"`)
    t.match(pane.body, /The scanner sends blank pages[\s\S]*Bob Brown joined the chat/)
    t.match(pane.body, `id="lc-composer-${older}"`)

    const carol = await login(app, 'carol')
    t.equal((await app.inject({ url: `/livechat/console/chats/${older}/pane`, headers: { cookie: carol } })).statusCode, 404, 'a chat the agent may not see')
    t.equal((await app.inject({ url: '/livechat/console/chats/abc/pane', headers: { cookie: bob.cookie } })).statusCode, 400)
    t.equal((await app.inject({ url: `/livechat/console/chats/${older}/pane`, headers: { cookie: await login(app, 'dana') } })).statusCode, 403)
    for (const id of [older, newer]) await bob.post(`/livechat/console/chats/${id}/end`)
  })

  t.test('unknown paths under the prefix get the plugin\'s 404 page', async (t) => {
    const res = await app.inject({ url: '/livechat/nowhere' })
    t.equal(res.statusCode, 404)
    t.match(res.body, /There is no live chat page here/)
    t.match(res.body, /href="\/livechat\/assets\/min\/livechat\.[0-9a-f]{12}\.css"/)
  })
})
