import t from 'tap'
import { agentSession, build, csrf, login, openSocket, sameOrigin, startChat } from '../helpers/build.ts'

t.test('post-chat survey over HTTP', async (t) => {
  const { app, knex, url } = await build(t, { listen: true })
  const [alice, carol] = [await agentSession(app, 'alice'), await agentSession(app, 'carol')]
  const stored = async (chatId: number) => await knex('lc_chat_surveys').where('chat_id', chatId)
  const history = async (chatId: number) => (await knex('lc_chat_history').where('chat_id', chatId).orderBy('id')).map((r) => r.action as string)
  const tab = async (cookie: string, chatId: number) => await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/survey`, headers: { cookie, 'hx-request': 'true' } })

  /** The customer's window: their cookie with a CSRF token read from their chat page, and a POST as htmx sends it. */
  async function customer (chatId: number, cookie: string, tokenFrom = `/livechat/chat/${chatId}`) {
    const c = await csrf(app, cookie, tokenFrom)
    return {
      page: async () => await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie: c.cookie } }),
      rate: async (payload: object) => await app.inject({
        method: 'POST', url: `/livechat/chat/${chatId}/survey`, payload, headers: { cookie: c.cookie, 'x-csrf-token': c.token, 'hx-request': 'true', ...sameOrigin }
      })
    }
  }

  async function endedChat (fields: { question?: string } = {}, asCookie = '') {
    const { chatId, cookie } = await startChat(app, fields, asCookie)
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    await alice.post(`/livechat/console/chats/${chatId}/end`)
    return { chatId, cookie }
  }

  t.test('an open chat shows no survey and cannot be rated; ending it pushes the form to the customer\'s window', async (t) => {
    const { chatId, cookie } = await startChat(app)
    const dana = await customer(chatId, cookie)
    t.match((await dana.page()).body, new RegExp(`<div id="lc-survey-${chatId}" class="lc-survey" hidden></div>`))
    const early = await dana.rate({ rating: '5' })
    t.equal(early.statusCode, 409)
    t.match(early.body, /data-code="LC_ERR_SURVEY_CHAT_OPEN"/)
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    t.equal((await dana.rate({ rating: '5' })).statusCode, 409, 'nor while an agent has it')
    t.match((await tab(alice.cookie, chatId)).body, /No survey yet\. The customer is offered one when the chat ends\./)

    const socket = await openSocket(url, `/livechat/ws/chat/${chatId}?since=${chatId}.2`, { cookie, origin: url })
    t.teardown(() => socket.close())
    await alice.post(`/livechat/console/chats/${chatId}/end`)
    const frame = await socket.waitFor(new RegExp(`hx-target="#lc-survey-${chatId}"`))
    t.match(frame, /<legend>Your rating<\/legend>/)
    t.match(frame, /value="1"> 1 – very poor<\/label>[\s\S]*value="5"> 5 – excellent<\/label>/)
    t.same(await stored(chatId), [], 'nothing stored yet')
  })

  t.test('a reload of an ended chat offers the form; a form without a rating or with a long comment comes back with what was typed', async (t) => {
    const { chatId, cookie } = await endedChat()
    const dana = await customer(chatId, cookie)
    const page = await dana.page()
    t.match(page.body, new RegExp(`<section id="lc-survey-${chatId}" class="lc-survey"[^>]*>[\\s\\S]*hx-post="/livechat/chat/${chatId}/survey" hx-target="#lc-notice" hx-swap="none"`))
    t.match(page.body, /This chat has ended\. Thank you for contacting us\.[\s\S]*How was this chat\?/, 'under the closed reply box')

    const none = await dana.rate({ comment: 'Quick & <helpful>' })
    t.equal(none.statusCode, 422)
    t.match(none.body, new RegExp(`^<hx-partial hx-target="#lc-survey-${chatId}" hx-swap="outerHTML">`))
    t.match(none.body, /aria-invalid="true"[\s\S]*role="alert">Choose a rating from 1 \(very poor\) to 5 \(excellent\)</)
    t.match(none.body, />Quick &amp; &lt;helpful&gt;<\/textarea>/, 'the comment is kept, escaped')
    t.equal((await dana.rate({ rating: '6' })).statusCode, 422, 'out of range')
    t.equal((await dana.rate({ rating: '0' })).statusCode, 422)

    const long = 'ü'.repeat(2001)
    const over = await dana.rate({ rating: '2', comment: long })
    t.equal(over.statusCode, 422)
    t.match(over.body, /Comments can be at most 2,000 characters \(this one has 2,001\); shorten it/)
    t.match(over.body, /value="2" checked> 2 – poor/, 'the rating is kept')
    t.ok(over.body.includes(`>${long}</textarea>`), 'the text comes back whole')
    t.equal((await dana.rate({ rating: '2', extra: 'x' })).statusCode, 400, 'unknown fields are refused')
    t.same(await stored(chatId), [], 'nothing stored')
    t.notOk((await history(chatId)).includes('survey_received'), 'nothing recorded')
  })

  t.test('a good survey is stored once, thanked, recorded, and shown in the Survey and History tabs', async (t) => {
    const { chatId, cookie } = await endedChat()
    const dana = await customer(chatId, cookie)
    t.match((await tab(alice.cookie, chatId)).body, /No survey yet\. The customer can still rate the chat from their chat window\./)
    const res = await dana.rate({ rating: '4', comment: '  Fixed my VPN <fast>\r\nthanks  ' })
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`<hx-partial hx-target="#lc-survey-${chatId}" hx-swap="outerHTML"><section[^>]*>\\s*<p class="lc-survey__thanks" role="status">Thank you for your feedback</p>`))
    const rows = await stored(chatId)
    t.equal(rows.length, 1)
    t.equal(Number(rows[0].rating), 4)
    t.equal(rows[0].comment, 'Fixed my VPN <fast>\nthanks')
    t.ok(Number(rows[0].created_at) > 0)

    const again = await dana.rate({ rating: '1' })
    t.equal(again.statusCode, 409)
    t.match(again.body, /data-code="LC_ERR_SURVEY_DONE"[\s\S]*You have already rated this chat/)
    t.equal(Number((await stored(chatId))[0].rating), 4, 'the first one stands')
    t.match((await dana.page()).body, /Thank you for your feedback/, 'a reload shows the thanks, not the form')
    t.notMatch((await dana.page()).body, /How was this chat\?/)

    const survey = await tab(alice.cookie, chatId)
    t.equal(survey.statusCode, 200)
    t.match(survey.body, new RegExp(`^<hx-partial hx-target="#lc-tab-panel-${chatId}" hx-swap="innerHTML"><section id="lc-survey-tab-${chatId}"`))
    t.match(survey.body, /★★★★☆<\/span> <strong>4 of 5<\/strong> \(4 – good\)/)
    t.match(survey.body, /Fixed my VPN &lt;fast&gt;\nthanks/)
    t.same((await history(chatId)).filter((a) => a === 'survey_received'), ['survey_received'])
    const hist = await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/history`, headers: { cookie: alice.cookie, 'hx-request': 'true' } })
    t.match(hist.body, /<td>Dana Doyle<\/td><td>Rated the chat 4 of 5: “Fixed my VPN &lt;fast&gt; thanks”<\/td>/)

    const bare = await endedChat()
    t.equal((await (await customer(bare.chatId, bare.cookie)).rate({ rating: '1' })).statusCode, 200, 'the comment is optional')
    t.equal((await stored(bare.chatId))[0].comment, null)
    t.match((await tab(alice.cookie, bare.chatId)).body, /1 of 5<\/strong> \(1 – very poor\)[\s\S]*No comment/)
  })

  t.test('a double click stores one survey: the other submission gets the 409', async (t) => {
    const { chatId, cookie } = await endedChat()
    const dana = await customer(chatId, cookie)
    const answers = await Promise.all([dana.rate({ rating: '5' }), dana.rate({ rating: '3' }), dana.rate({ rating: '5' })])
    t.same(answers.map((r) => r.statusCode).sort(), [200, 409, 409])
    t.equal((await stored(chatId)).length, 1)
    t.equal((await history(chatId)).filter((a) => a === 'survey_received').length, 1)
  })

  t.test('only the chat\'s own customer may rate it: by its cookie, or by their portal session', async (t) => {
    const { chatId } = await endedChat()
    const other = await startChat(app, { name: 'Erin Evans', email: 'erin@customer.example' })
    // Someone else's window, with a good token from their own chat page.
    const stranger = await customer(chatId, other.cookie, `/livechat/chat/${other.chatId}`)
    const res = await stranger.rate({ rating: '1' })
    t.equal(res.statusCode, 404)
    t.match(res.body, /data-code="LC_ERR_CHAT_NOT_FOUND"/)
    t.same(await stored(chatId), [])

    const portal = await login(app, 'dana')
    const mine = await endedChat({ question: 'Signed in' }, portal)
    // Without the chat's cookie: the portal session alone is enough for the customer who started it.
    const signedIn = await customer(mine.chatId, portal)
    t.match((await signedIn.page()).body, /How was this chat\?/)
    t.equal((await signedIn.rate({ rating: '5' })).statusCode, 200)
    const erin = await customer(mine.chatId, await login(app, 'erin'), '/livechat/start')
    t.equal((await erin.rate({ rating: '1' })).statusCode, 404, 'another portal customer may not')
  })

  /** The customer's End chat as htmx posts it from the chat window. */
  async function customerEnds (chatId: number, cookie: string) {
    const token = (await csrf(app, cookie, `/livechat/chat/${chatId}`)).token
    return await app.inject({ method: 'POST', url: `/livechat/chat/${chatId}/end`, headers: { cookie, 'hx-request': 'true', ...sameOrigin, 'x-csrf-token': token } })
  }

  // docs/features.md#survey: the survey on every ending, whoever ended it.
  t.test('the customer leaving the queue is offered the survey at once, and may answer it', async (t) => {
    const { chatId, cookie } = await startChat(app)
    const ended = await customerEnds(chatId, cookie)
    t.equal((await knex('lc_chats').where('id', chatId).first()).status, 'cancelled')
    t.match(ended.body, new RegExp(`<hx-partial hx-target="#lc-survey-${chatId}" hx-swap="outerHTML"><section id="lc-survey-${chatId}"[\\s\\S]*How was this chat\\?`), 'in the End chat answer')
    const dana = await customer(chatId, cookie)
    t.match((await dana.page()).body, /How was this chat\?/, 'and on the page reloaded')
    t.equal((await dana.rate({ rating: '2', comment: 'Waited too long' })).statusCode, 200)
    t.match(await stored(chatId), [{ rating: 2, comment: 'Waited too long' }])
    // A supervisor sees any chat of their groups, a queued-then-cancelled one included.
    const sam = await agentSession(app, 'sam')
    t.match((await tab(sam.cookie, chatId)).body, /2 – poor/)
  })

  t.test('the customer leaving an agent\'s chat is offered it while the agent still has the chat', async (t) => {
    const { chatId, cookie } = await startChat(app)
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    const left = await customerEnds(chatId, cookie)
    t.match(left.body, new RegExp(`<hx-partial hx-target="#lc-survey-${chatId}" hx-swap="outerHTML"><section id="lc-survey-${chatId}"`))
    t.equal((await knex('lc_chats').where('id', chatId).first()).status, 'active', 'the chat stays with the agent')
    t.equal((await (await customer(chatId, cookie)).rate({ rating: '4' })).statusCode, 200)
    // The agent ending it afterwards does not offer a sent survey again.
    const socket = await openSocket(url, `/livechat/ws/chat/${chatId}?since=${chatId}.99`, { cookie, origin: url })
    t.teardown(() => socket.close())
    await alice.post(`/livechat/console/chats/${chatId}/end`)
    t.match(await socket.waitFor(new RegExp(`hx-target="#lc-survey-${chatId}"`)), /Thank you for your feedback/)
  })

  t.test('an abandoned chat pushes the survey to a window still open', async (t) => {
    const { chatId, cookie } = await startChat(app)
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    const socket = await openSocket(url, `/livechat/ws/chat/${chatId}?since=${chatId}.2`, { cookie, origin: url })
    t.teardown(() => socket.close())
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/abandon`)).statusCode, 200)
    t.match(await socket.waitFor(new RegExp(`hx-target="#lc-survey-${chatId}"`)), /<legend>Your rating<\/legend>/)
    t.equal((await (await customer(chatId, cookie)).rate({ rating: '3' })).statusCode, 200)
  })

  t.test('a chat the desk deleted is no longer the customer\'s to rate', async (t) => {
    const { chatId, cookie } = await endedChat()
    const dana = await customer(chatId, cookie)
    await knex('lc_chats').where('id', chatId).update({ deleted_at: Date.now() })
    t.equal((await dana.page()).statusCode, 404)
    t.equal((await dana.rate({ rating: '3' })).statusCode, 404)
    t.same(await stored(chatId), [])
  })

  t.test('the Survey tab: listed on the chat view, for agents who may see the chat only', async (t) => {
    const { chatId } = await endedChat()
    const view = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: alice.cookie } })
    t.match(view.body, new RegExp(`id="lc-tab-${chatId}-customer"[\\s\\S]*id="lc-tab-${chatId}-survey"[^>]*hx-get="/livechat/console/chats/${chatId}/tabs/survey"[^>]*>Survey<[\\s\\S]*id="lc-tab-${chatId}-history"`))
    t.equal((await tab(carol.cookie, chatId)).statusCode, 404, 'carol works another group')
    const customerTry = await app.inject({ url: `/livechat/console/chats/${chatId}/tabs/survey`, headers: { cookie: await login(app, 'dana'), 'hx-request': 'true' } })
    t.equal(customerTry.statusCode, 403, 'a customer is no agent')
    t.equal((await tab(alice.cookie, 999999)).statusCode, 404)
  })
})
