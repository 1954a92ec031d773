import t from 'tap'
import { agentSession, build, openSocket, seqsIn, startChat } from '../helpers/build.ts'

const hex = (id: string): string => Buffer.from(id, 'utf8').toString('hex')

t.test('the Resources panel over HTTP and sockets', async (t) => {
  const { app, knex, url } = await build(t, { listen: true })
  // Alice holds every chat these tests open: well past the seeded limit of 4.
  await knex('lc_group_members').update({ max_chats: 50 })
  const [alice, bob, carol, sam] = [await agentSession(app, 'alice'), await agentSession(app, 'bob'), await agentSession(app, 'carol'), await agentSession(app, 'sam')]
  const get = async (path: string, cookie: string) => await app.inject({ url: path, headers: { cookie, 'hx-request': 'true' } })
  const articleId = async (title: string) => String((await knex('kb_articles').where('title', title).first('id')).id)
  const vpn = await articleId('Connect to the VPN on Windows')
  const printer = await articleId('Clear a stuck printer queue')
  const messages = async (chatId: number) => (await knex('lc_messages').where('chat_id', chatId).orderBy('seq')).map((m) => [Number(m.seq), m.kind as string])
  /** A chat Alice has accepted. */
  async function aliceChat (question?: string) {
    const started = await startChat(app, question ? { question } : {})
    await alice.post(`/livechat/console/chats/${started.chatId}/accept`)
    return started
  }

  t.test('the toggle is in the header; the panel is an empty slot until opened', async (t) => {
    const { chatId } = await aliceChat()
    const page = await app.inject({ url: '/livechat/console', headers: { cookie: alice.cookie } })
    t.match(page.body, new RegExp(`<button type="button" class="lc-chat-resources-toggle" data-lc-resources-toggle="${chatId}" aria-controls="lc-resources-${chatId}" aria-expanded="false">Resources</button>`))
    t.match(page.body, new RegExp(`<aside id="lc-resources-${chatId}" class="lc-resources" aria-label="Resources for chat #${chatId}" data-lc-resources-url="/livechat/console/chats/${chatId}/resources" hidden></aside>`))
    t.notMatch(page.body, /lc-resource-results-/, 'no search runs with the console page')
  })

  t.test('opening: pins, the search box with the question, and what matches it from every source', async (t) => {
    const { chatId } = await aliceChat()
    const res = await get(`/livechat/console/chats/${chatId}/resources`, alice.cookie)
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`^<hx-partial hx-target="#lc-resources-${chatId}" hx-swap="innerHTML">`))
    t.match(res.body, new RegExp(`<section id="lc-resource-pins-${chatId}" class="lc-resources__pins"`))
    t.match(res.body, new RegExp(`<form id="lc-resource-search-${chatId}" class="lc-resources__search" role="search" hx-get="/livechat/console/chats/${chatId}/resources/search" hx-target="#lc-notice" hx-swap="none">`))
    t.match(res.body, /name="q" type="search" value="My VPN will not connect" maxlength="500" required>/)
    t.match(res.body, /Suggested for the customer's question/)
    t.match(res.body, new RegExp(`<a href="/kb/${vpn}" target="_blank" rel="noopener">Connect to the VPN on Windows<span class="lc-visually-hidden"> \\(opens in a new tab\\)</span></a>`))
    t.match(res.body, new RegExp(`hx-post="/livechat/console/chats/${chatId}/resources/share" hx-target="#lc-notice" hx-swap="none"><input type="hidden" name="articleId" value="${vpn}"><button type="submit" class="lc-primary"`))
    t.match(res.body, new RegExp(`<div id="lc-resource-pin-${chatId}-${hex(vpn)}" class="lc-resources__action">\\s*<form hx-post="/livechat/console/chats/${chatId}/resources/pins"`))
    t.match(res.body, /<h3>Ticket templates<\/h3>[\s\S]*Network or VPN problem <span class="lc-pill">Incident<\/span>/)
    t.match(res.body, new RegExp(`hx-post="/livechat/console/chats/${chatId}/tickets" hx-target="#lc-notice" hx-swap="none"><input type="hidden" name="kind" value="incident"><input type="hidden" name="templateId" value="\\d+"><button type="submit">Create Incident</button>`))
    t.match(res.body, /<h3>Resolved tickets<\/h3>[\s\S]*<a href="\/tickets\/[A-Z]+\d+" target="_blank" rel="noopener">/)
    t.match(res.body, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML"><\/hx-partial>$/)
  })

  t.test('a supervisor watching may search and pin but is told why there is no Share; others are refused', async (t) => {
    const { chatId } = await aliceChat()
    const watching = await get(`/livechat/console/chats/${chatId}/resources`, sam.cookie)
    t.equal(watching.statusCode, 200)
    t.notMatch(watching.body, /resources\/share/)
    t.match(watching.body, /Only the chat&#x27;s agent can share articles; pin one to keep it with the chat\./)
    t.match(watching.body, /Create Incident/, 'a supervisor may make tickets from it')
    t.equal((await get(`/livechat/console/chats/${chatId}/resources`, carol.cookie)).statusCode, 404)
    t.equal((await get(`/livechat/console/chats/${chatId}/resources/search?q=vpn`, carol.cookie)).statusCode, 404)
    t.equal((await get(`/livechat/console/chats/${chatId}/resources/search?q=vpn`, bob.cookie)).statusCode, 404)
    t.equal((await app.inject({ url: `/livechat/console/chats/${chatId}/resources` })).statusCode, 401)
    const { chatId: queued } = await startChat(app)
    const waiting = await get(`/livechat/console/chats/${queued}/resources`, bob.cookie)
    t.match(waiting.body, /Articles can be shared while the chat is active\./)
    t.notMatch(waiting.body, /Create Incident/, 'not their chat yet')
  })

  t.test('searching again replaces the results; bad searches come back beside the box with what was typed', async (t) => {
    const { chatId } = await aliceChat()
    const res = await get(`/livechat/console/chats/${chatId}/resources/search?q=${encodeURIComponent('printer queue stuck')}`, alice.cookie)
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-resource-search-${chatId}" hx-swap="outerHTML"><form id="lc-resource-search-${chatId}"[\\s\\S]*value="printer queue stuck"`))
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-resource-results-${chatId}" hx-swap="outerHTML"><section id="lc-resource-results-${chatId}"`))
    t.match(res.body, /Found for “printer queue stuck”[\s\S]*Clear a stuck printer queue/)
    const empty = await get(`/livechat/console/chats/${chatId}/resources/search?q=${encodeURIComponent('how do I')}`, alice.cookie)
    t.equal(empty.statusCode, 422)
    t.match(empty.body, new RegExp(`^<hx-partial hx-target="#lc-resource-search-${chatId}" hx-swap="outerHTML">`))
    t.match(empty.body, new RegExp(`value="how do I" maxlength="500" required aria-invalid="true" aria-describedby="lc-resource-q-${chatId}-error">`))
    t.match(empty.body, /class="lc-field-error" role="alert">Type a few words that describe the problem/)
    t.notMatch(empty.body, /lc-resource-results-/, 'the last results stay')
    const long = 'vpn '.repeat(150).trim()
    const tooLong = await get(`/livechat/console/chats/${chatId}/resources/search?q=${encodeURIComponent(long)}`, alice.cookie)
    t.equal(tooLong.statusCode, 422)
    t.match(tooLong.body, /Searches can be at most 500 characters \(this one has 599\)/)
    t.match(tooLong.body, new RegExp(`value="${long}"`))
    t.equal((await get(`/livechat/console/chats/${chatId}/resources/search?q=${'x'.repeat(2001)}`, alice.cookie)).statusCode, 400)
    t.equal((await get(`/livechat/console/chats/${chatId}/resources/search`, alice.cookie)).statusCode, 400)
    t.equal((await get(`/livechat/console/chats/${chatId}/resources/search?q=vpn&extra=1`, alice.cookie)).statusCode, 400)
  })

  t.test('what the customer typed and what the help desk holds are escaped', async (t) => {
    const [id] = await knex('kb_articles').insert({ title: 'VPN <img src=x onerror=alert(1)> tips', body: 'Use the VPN & <b>smile</b>', category: 'Network', created_at: Date.now(), updated_at: Date.now() })
    const articleKey = String(id ?? (await knex('kb_articles').max({ id: 'id' }).first())!.id)
    const { chatId } = await aliceChat('VPN "<script>alert(1)</script>" tips')
    const res = await get(`/livechat/console/chats/${chatId}/resources`, alice.cookie)
    t.match(res.body, /value="VPN &quot;&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot; tips"/)
    t.match(res.body, /VPN &lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt; tips/)
    t.notMatch(res.body, /<img src=x|<script>|<b>smile/)
    const shared = await alice.post(`/livechat/console/chats/${chatId}/resources/share`, { articleId: articleKey })
    t.equal(shared.statusCode, 200)
    t.match(shared.body, /Shared “VPN &lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt; tips” with the customer/)
    const pane = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: alice.cookie } })
    t.match(pane.body, /<span class="lc-msg__author">Alice Adams<\/span> shared an article/)
    t.notMatch(pane.body, /<img src=x/)
  })

  t.test('share: the card for both sides in seq order, over their sockets; History; refusals write nothing', async (t) => {
    const { chatId, cookie } = await aliceChat()
    const agentSocket = await openSocket(url, `/livechat/ws/console?since=${chatId}.2`, { cookie: alice.cookie, origin: url })
    const customerSocket = await openSocket(url, `/livechat/ws/chat/${chatId}?since=${chatId}.2`, { cookie, origin: url })
    t.teardown(async () => { await agentSocket.close(); await customerSocket.close() })
    customerSocket.send({ type: 'message', chat_id: String(chatId), body: 'Still no VPN', client_msg_id: 'cust-kb-00001' })
    await agentSocket.waitFor(/Still no VPN/)
    const res = await alice.post(`/livechat/console/chats/${chatId}/resources/share`, { articleId: vpn })
    t.equal(res.statusCode, 200)
    t.match(res.body, /data-code="LC_OK"[\s\S]*Shared “Connect to the VPN on Windows” with the customer</)
    const card = new RegExp(`<li id="lc-msg-${chatId}-4" class="lc-msg lc-msg--agent lc-msg--kb_share" data-seq="4">\\s*<div class="lc-msg__meta"><span class="lc-msg__author">Alice Adams</span> shared an article [\\s\\S]*?<div class="lc-msg__body lc-kb-card">\\s*<a class="lc-kb-card__title" href="/kb/${vpn}" target="_blank" rel="noopener">Connect to the VPN on Windows`)
    const atCustomer = await customerSocket.waitFor(/lc-kb-card/)
    t.match(atCustomer, card, 'the customer\'s window gets the card')
    t.same(seqsIn(atCustomer), [4])
    t.match(atCustomer, /<p class="lc-kb-card__excerpt">[^<]*VPN/)
    t.match(await agentSocket.waitFor(/lc-kb-card/), card, 'and the agent\'s pane')
    t.same(await messages(chatId), [[1, 'text'], [2, 'event'], [3, 'text'], [4, 'kb_share']])
    const page = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })
    t.match(page.body, card, 'the customer\'s page renders it the same')
    const print = await app.inject({ url: `/livechat/console/chats/${chatId}/print`, headers: { cookie: alice.cookie } })
    t.match(print.body, new RegExp(`<span class="lc-print__body">Shared article: Connect to the VPN on Windows /kb/${vpn}</span>`))
    const words = await get(`/livechat/console/chats/${chatId}/tabs/history`, alice.cookie)
    t.match(words.body, /Alice Adams<\/td><td>Shared the knowledge article “Connect to the VPN on Windows” with the customer<\/td>/)

    const refusals: Array<[string, typeof alice, object, number, string]> = [
      ['an article that does not exist', alice, { articleId: '999999' }, 422, 'LC_ERR_RESOURCES_ARTICLE_UNKNOWN'],
      ['a made-up id', alice, { articleId: '12; DROP TABLE' }, 422, 'LC_ERR_RESOURCES_ARTICLE_UNKNOWN'],
      ['no article', alice, {}, 400, 'LC_ERR_VALIDATION'],
      ['an id too long', alice, { articleId: '1'.repeat(65) }, 400, 'LC_ERR_VALIDATION'],
      ['a blank id', alice, { articleId: '  ' }, 400, 'LC_ERR_VALIDATION'],
      ['a supervisor watching', sam, { articleId: vpn }, 403, 'LC_ERR_RESOURCES_SHARE_NOT_YOURS'],
      ['an agent who may not see it', carol, { articleId: vpn }, 404, 'LC_ERR_CHAT_NOT_FOUND']
    ]
    for (const [name, who, body, status, code] of refusals) {
      const refused = await who.post(`/livechat/console/chats/${chatId}/resources/share`, body)
      t.equal(refused.statusCode, status, name)
      t.match(refused.body, new RegExp(`data-code="${code}"`), name)
    }
    t.match((await sam.post(`/livechat/console/chats/${chatId}/resources/share`, { articleId: vpn })).body, /Only Alice Adams, who has this chat, can share articles in it/)
    const csrfless = await app.inject({ method: 'POST', url: `/livechat/console/chats/${chatId}/resources/share`, payload: { articleId: vpn }, headers: { cookie: alice.cookie, origin: 'http://localhost' } })
    t.equal(csrfless.statusCode, 403)
    await alice.post(`/livechat/console/chats/${chatId}/end`)
    const ended = await alice.post(`/livechat/console/chats/${chatId}/resources/share`, { articleId: vpn })
    t.equal(ended.statusCode, 409)
    t.match(ended.body, /data-code="LC_ERR_RESOURCES_SHARE_NOT_ACTIVE"[\s\S]*this one is ended/)
    t.equal((await messages(chatId)).filter(([, kind]) => kind === 'kb_share').length, 1, 'nothing more was written')
  })

  t.test('share with related tickets: the link on their Activity; a help desk failing there is said, the share stands', async (t) => {
    const { chatId } = await aliceChat()
    const ref = String((await knex('tickets').where('kind', 'incident').orderBy('id').first('ref')).ref)
    const ticket = await alice.post(`/livechat/console/chats/${chatId}/items/ticket`, { ref })
    t.equal(ticket.statusCode, 200)
    const ok = await alice.post(`/livechat/console/chats/${chatId}/resources/share`, { articleId: vpn })
    t.match(ok.body, new RegExp(`Shared “Connect to the VPN on Windows” with the customer and noted it on the Activity of ${ref}<`))
    const activity = async () => (await knex('ticket_activity').join('tickets', 'tickets.id', 'ticket_activity.ticket_id').where('tickets.ref', ref).orderBy('ticket_activity.id')).map((r) => r.text as string)
    t.match((await activity()).at(-1), new RegExp(`^Knowledge article shared in live chat #${chatId} by Alice Adams: Connect to the VPN on Windows /kb/${vpn}$`))
    const ticketPage = await app.inject({ url: `/tickets/${ref}`, headers: { cookie: alice.cookie } })
    t.match(ticketPage.body, /Knowledge article shared in live chat/, 'the help desk shows it in the ticket\'s Activity')
    const before = (await activity()).length
    // The help desk's own activity log goes away for a moment: its adapter throws.
    await knex.schema.renameTable('ticket_activity', 'ticket_activity_away')
    let failed
    try {
      failed = await alice.post(`/livechat/console/chats/${chatId}/resources/share`, { articleId: printer })
    } finally {
      await knex.schema.renameTable('ticket_activity_away', 'ticket_activity')
    }
    t.equal(failed.statusCode, 200)
    t.match(failed.body, new RegExp(`data-code="LC_WARN_TICKET_ACTIVITY"[\\s\\S]*Shared “Clear a stuck printer queue” with the customer, but the help desk did not note it on the Activity of ${ref}; add the link there yourself`))
    t.equal((await activity()).length, before)
    t.same((await messages(chatId)).slice(-2).map(([, kind]) => kind), ['kb_share', 'kb_share'], 'both shares stand')
  })

  t.test('agents find internal articles but never drafts; an internal one is pinned, not shared with the customer', async (t) => {
    const internal = await articleId('Grant a temporary access pass (agents only)')
    const draft = await articleId('Order a replacement laptop charger')
    const { chatId } = await aliceChat('I need a temporary access pass')
    const panel = await get(`/livechat/console/chats/${chatId}/resources`, alice.cookie)
    t.match(panel.body, new RegExp(`<a href="/kb/${internal}" target="_blank" rel="noopener">Grant a temporary access pass \\(agents only\\)`), 'the internal article for the agent')
    t.match(panel.body, /Issue a temporary access pass only after verifying the caller/, 'its HTML body as a text excerpt')
    t.notMatch(panel.body, /&lt;p&gt;|&lt;strong&gt;|<strong>temporary/, 'no markup from the host, escaped or not')
    const card = /<li class="lc-resources__article">(?:(?!<\/li>)[\s\S])*Grant a temporary access pass(?:(?!<\/li>)[\s\S])*<\/li>/.exec(panel.body)?.[0] ?? ''
    t.match(card, />Agents only</, 'marked for agents only')
    t.notMatch(card, /aria-label="Share /, 'no Share button to be refused')
    t.match(card, /Pin/, 'pinning is offered')
    const search = await get(`/livechat/console/chats/${chatId}/resources/search?q=${encodeURIComponent('replacement laptop charger')}`, alice.cookie)
    t.equal(search.statusCode, 200)
    t.notMatch(search.body, new RegExp(`/kb/${draft}"|Order a replacement laptop charger`), 'no draft')
    const before = await messages(chatId)
    for (const path of ['share', 'pins']) {
      const res = await alice.post(`/livechat/console/chats/${chatId}/resources/${path}`, { articleId: draft })
      t.equal(res.statusCode, 422, `${path} of a draft`)
      t.match(res.body, /data-code="LC_ERR_RESOURCES_ARTICLE_UNKNOWN"/)
    }
    const shared = await alice.post(`/livechat/console/chats/${chatId}/resources/share`, { articleId: internal })
    t.equal(shared.statusCode, 422)
    t.match(shared.body, /data-code="LC_ERR_RESOURCES_ARTICLE_INTERNAL">\s*<span>“Grant a temporary access pass \(agents only\)” is for agents only, so it cannot be shared with the customer; pin it to keep it with the chat/)
    t.strictSame(await messages(chatId), before, 'nothing reached the chat')
    const pinned = await alice.post(`/livechat/console/chats/${chatId}/resources/pins`, { articleId: internal })
    t.equal(pinned.statusCode, 200, 'pinned for the agents')
    t.match(pinned.body, /Pinned “Grant a temporary access pass \(agents only\)” to the chat/)
  })

  t.test('pin and unpin: the panel\'s pins, the article\'s button and the Related Items tab; History in words', async (t) => {
    const { chatId } = await aliceChat()
    const pinned = await bob.post(`/livechat/console/chats/${chatId}/resources/pins`, { articleId: vpn })
    t.equal(pinned.statusCode, 404, 'bob may not see alice\'s chat')
    const res = await sam.post(`/livechat/console/chats/${chatId}/resources/pins`, { articleId: vpn })
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-resource-pins-${chatId}" hx-swap="outerHTML"><section id="lc-resource-pins-${chatId}"[\\s\\S]*<h3>Pinned</h3>[\\s\\S]*<a href="/kb/${vpn}" target="_blank" rel="noopener">Connect to the VPN on Windows</a>\\s*<small>pinned by Sam Supervisor`))
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-resource-pin-${chatId}-${hex(vpn)}" hx-swap="outerHTML"><div id="lc-resource-pin-${chatId}-${hex(vpn)}" class="lc-resources__action">\\s*<form hx-post="/livechat/console/chats/${chatId}/resources/unpin"`))
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-related-items-${chatId}" hx-swap="outerHTML">[\\s\\S]*<h3>Pinned articles</h3>[\\s\\S]*Connect to the VPN on Windows`))
    t.match(res.body, /Pinned “Connect to the VPN on Windows” to the chat/)
    const again = await alice.post(`/livechat/console/chats/${chatId}/resources/pins`, { articleId: vpn })
    t.equal(again.statusCode, 409)
    t.match(again.body, /data-code="LC_ERR_RESOURCES_PINNED"[\s\S]*Sam Supervisor already pinned this article to the chat/)
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/resources/pins`, { articleId: '999999' })).statusCode, 422)
    const panel = await get(`/livechat/console/chats/${chatId}/resources`, alice.cookie)
    t.match(panel.body, new RegExp(`<section id="lc-resource-pins-${chatId}"[\\s\\S]*Connect to the VPN on Windows[\\s\\S]*</section>`), 'pins atop the panel')
    t.match(panel.body, new RegExp(`<div id="lc-resource-pin-${chatId}-${hex(vpn)}" class="lc-resources__action">\\s*<form hx-post="[^"]*/unpin"[\\s\\S]*aria-pressed="true">Unpin`), 'the result knows it is pinned')
    const related = await get(`/livechat/console/chats/${chatId}/tabs/related`, alice.cookie)
    t.match(related.body, /<h3>Pinned articles<\/h3>[\s\S]*Connect to the VPN on Windows[\s\S]*>Unpin</)
    t.notMatch(related.body, /Nothing added to this chat yet/)
    const off = await alice.post(`/livechat/console/chats/${chatId}/resources/unpin`, { articleId: vpn })
    t.equal(off.statusCode, 200)
    t.match(off.body, new RegExp(`<section id="lc-resource-pins-${chatId}" class="lc-resources__pins" aria-label="Pinned articles">\\s*</section>`))
    t.match(off.body, /aria-pressed="false">Pin</)
    t.match(off.body, /Unpinned “Connect to the VPN on Windows”/)
    const gone = await alice.post(`/livechat/console/chats/${chatId}/resources/unpin`, { articleId: vpn })
    t.equal(gone.statusCode, 404)
    t.match(gone.body, /data-code="LC_ERR_RESOURCES_PIN_NOT_FOUND"/)
    t.equal((await app.inject({ method: 'POST', url: `/livechat/console/chats/${chatId}/resources/pins`, payload: { articleId: vpn }, headers: { cookie: alice.cookie, origin: 'http://localhost' } })).statusCode, 403, 'no CSRF token')
    const words = await get(`/livechat/console/chats/${chatId}/tabs/history`, alice.cookie)
    t.match(words.body, /Sam Supervisor<\/td><td>Pinned the knowledge article “Connect to the VPN on Windows”<\/td>[\s\S]*Alice Adams<\/td><td>Unpinned the knowledge article “Connect to the VPN on Windows”, pinned by Sam Supervisor<\/td>/)
    const empty = await get(`/livechat/console/chats/${chatId}/tabs/related`, alice.cookie)
    t.match(empty.body, /Nothing added to this chat yet/)
  })
})
