import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { agentSession, build, csrf, login, sameOrigin, startChat } from '../helpers/build.ts'

/** The pre-chat form posted with `cookie`, as a browser holding it would; the answer. */
async function postStart (app: FastifyInstance, cookie: string, fields: { question: string, email?: string }) {
  const c = await csrf(app, cookie, '/livechat/message')
  const payload = { name: 'Dana Doyle', email: 'dana@customer.example', ...fields, _csrf: c.token }
  return await app.inject({ method: 'POST', url: '/livechat/start/continue', headers: { cookie: c.cookie, ...sameOrigin }, payload })
}

// docs/features.md#one-open-chat-per-customer
t.test('one open chat per customer', async (t) => {
  const { app, knex } = await build(t)
  const chatCount = async (): Promise<number> => Number((await knex('lc_chats').count({ n: '*' }).first())?.n)
  const bodies = async (chatId: number): Promise<string[]> => await knex('lc_messages').where({ chat_id: chatId, kind: 'text' }).orderBy('seq').pluck('body')

  t.test('a guest following the link again is taken back to the chat this browser started', async (t) => {
    const { chatId, cookie } = await startChat(app, { question: 'My VPN will not connect' })
    const again = await app.inject({ url: '/livechat/start', headers: { cookie } })
    t.equal(again.statusCode, 303)
    t.equal(again.headers.location, `/livechat/chat/${chatId}`)
    const before = await chatCount()
    const same = await postStart(app, cookie, { question: 'My VPN will not connect' })
    t.equal(same.headers.location, `/livechat/chat/${chatId}`, 'the form posted again (a second tab) resumes it too')
    t.equal(await chatCount(), before, 'no second chat')
    t.strictSame(await bodies(chatId), ['My VPN will not connect'], 'the same question is not written twice')
    const other = await postStart(app, cookie, { question: 'Also my printer' })
    t.equal(other.headers.location, `/livechat/chat/${chatId}`)
    t.strictSame(await bodies(chatId), ['My VPN will not connect', 'Also my printer'], 'another question is written into the open chat, not lost')
    t.equal(await chatCount(), before)

    // Cancelled, the chat is over: the link offers the form again and a new chat starts.
    const c = await csrf(app, cookie, `/livechat/chat/${chatId}`)
    const ended = await app.inject({ method: 'POST', url: `/livechat/chat/${chatId}/end`, headers: { cookie: c.cookie, 'x-csrf-token': c.token, 'hx-request': 'true', ...sameOrigin }, payload: {} })
    t.equal(ended.statusCode, 200)
    t.equal((await app.inject({ url: '/livechat/start', headers: { cookie } })).statusCode, 200, 'the pre-chat form')
    const fresh = await postStart(app, cookie, { question: 'One more thing' })
    t.equal(fresh.statusCode, 303)
    t.not(fresh.headers.location, `/livechat/chat/${chatId}`, 'a new chat')
    t.equal(await chatCount(), before + 1)
  })

  t.test('a guest without the chat\'s cookie gets a chat of their own, whatever email they type', async (t) => {
    const { chatId } = await startChat(app, { email: 'same@customer.example', question: 'First' })
    const other = await postStart(app, '', { email: 'same@customer.example', question: 'Second' })
    t.equal(other.statusCode, 303)
    t.not(other.headers.location, `/livechat/chat/${chatId}`, 'an email is no proof: the first chat is not handed over')
    t.strictSame(await bodies(chatId), ['First'])
  })

  t.test('a signed-in customer is taken to their open chat from any browser, until they leave it', async (t) => {
    const bob = await agentSession(app, 'bob')
    const { chatId } = await startChat(app, { question: 'Where is my badge?' }, await login(app, 'erin'))
    const elsewhere = await login(app, 'erin')
    const again = await app.inject({ url: '/livechat/start', headers: { cookie: elsewhere } })
    t.equal(again.headers.location, `/livechat/chat/${chatId}`, 'queued: resumed without the chat cookie')
    t.equal((await app.inject({ url: again.headers.location, headers: { cookie: elsewhere } })).statusCode, 200, 'and the window opens for them')
    t.equal((await app.inject({ url: '/livechat/start', headers: { cookie: await login(app, 'dana') } })).statusCode, 200, 'another customer gets the form')

    await bob.post(`/livechat/console/chats/${chatId}/accept`)
    t.equal((await app.inject({ url: '/livechat/start', headers: { cookie: elsewhere } })).headers.location, `/livechat/chat/${chatId}`, 'active: resumed')

    // Leaving a chat leaves it with the agent; the customer is free to start another.
    const c = await csrf(app, elsewhere, `/livechat/chat/${chatId}`)
    await app.inject({ method: 'POST', url: `/livechat/chat/${chatId}/end`, headers: { cookie: c.cookie, 'x-csrf-token': c.token, 'hx-request': 'true', ...sameOrigin }, payload: {} })
    t.equal((await app.inject({ url: '/livechat/start', headers: { cookie: elsewhere } })).statusCode, 200, 'left: the pre-chat form')
    await bob.post(`/livechat/console/chats/${chatId}/end`)
  })

  t.test('a bad form is still refused as such, open chat or not', async (t) => {
    const { cookie } = await startChat(app, { question: 'Anything' })
    const res = await postStart(app, cookie, { question: '' })
    t.equal(res.statusCode, 422)
  })
})

// docs/features.md#earlier-chats
t.test('a returning customer\'s earlier chats and the way back to the portal', async (t) => {
  const { app } = await build(t, { pluginOptions: { settings: { portalUrl: 'https://portal.example/help' } } })
  const bob = await agentSession(app, 'bob')
  const ended = async (question: string, cookie = '') => {
    const started = await startChat(app, { question }, cookie)
    await bob.post(`/livechat/console/chats/${started.chatId}/accept`)
    await bob.post(`/livechat/console/chats/${started.chatId}/end`)
    return started
  }

  t.test('a guest sees the chats this browser had, each opening its read-only transcript', async (t) => {
    const first = await ended('Printer <b>jams</b>')
    const second = await ended('Badge stopped working', first.cookie)
    const strangers = await ended('Not yours')
    const page = await app.inject({ url: '/livechat/start', headers: { cookie: second.cookie } })
    t.equal(page.statusCode, 200, 'the pre-chat form: a new chat may start')
    t.match(page.body, /<h2 id="lc-earlier-title">Your earlier chats<\/h2>/)
    const links = [...page.body.matchAll(/<a href="\/livechat\/chat\/(\d+)"><time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d UTC<\/time> ([^<]*(?:&lt;[^<]*)*)<\/a> <span class="lc-earlier__state">Ended<\/span>/g)]
    t.strictSame(links.map((m) => Number(m[1])), [second.chatId, first.chatId], 'newest first, only this browser\'s')
    t.match(page.body, /Printer &lt;b&gt;jams&lt;\/b&gt;/, 'the question escaped')
    t.notMatch(page.body, new RegExp(`/livechat/chat/${strangers.chatId}"`))
    const transcript = await app.inject({ url: `/livechat/chat/${first.chatId}`, headers: { cookie: second.cookie } })
    t.equal(transcript.statusCode, 200)
    t.match(transcript.body, /This chat has ended/, 'read-only: the reply box is closed')
    t.match(transcript.body, /<a class="lc-button" href="\/livechat\/start">Start a new chat<\/a>/, 'and a new chat may start from it')
    t.equal((await app.inject({ url: `/livechat/chat/${strangers.chatId}`, headers: { cookie: second.cookie } })).statusCode, 404, 'another customer\'s transcript is not reachable')
  })

  t.test('a signed-in customer sees their own chats from any browser, not other customers\'', async (t) => {
    const mine = await ended('Outlook password', await login(app, 'dana'))
    await ended('Erin asks', await login(app, 'erin'))
    const page = await app.inject({ url: '/livechat/start', headers: { cookie: await login(app, 'dana') } })
    t.match(page.body, new RegExp(`<a href="/livechat/chat/${mine.chatId}"><time[^>]*>[^<]*</time> Outlook password</a>`))
    t.notMatch(page.body, /Erin asks/)
  })

  t.test('every customer page links back to the portal, but not inside the widget\'s frame', async (t) => {
    const { chatId, cookie } = await ended('Anything else')
    for (const url of ['/livechat/start', '/livechat/message', `/livechat/chat/${chatId}`]) {
      const res = await app.inject({ url, headers: { cookie } })
      t.match(res.body, /<nav class="lc-portal-back" aria-label="Help desk"><a href="https:\/\/portal\.example\/help">← Back to the help desk<\/a><\/nav>/, url)
    }
    const framed = await app.inject({ url: '/livechat/start', headers: { 'sec-fetch-dest': 'iframe' } })
    t.notMatch(framed.body, /lc-portal-back/)
    const agentPage = await app.inject({ url: '/livechat/console', headers: { cookie: bob.cookie } })
    t.notMatch(agentPage.body, /lc-portal-back/, 'agents\' pages have none')
  })
})
