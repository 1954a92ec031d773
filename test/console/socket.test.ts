import t from 'tap'
import { agentSession, build, openSocket, seqsIn, startChat } from '../helpers/build.ts'
import { expectRefused, liveChat, type Refusal } from '../helpers/sockets.ts'

t.test('console socket', async (t) => {
  const { app, url, knex } = await build(t, { listen: true })
  // Alice holds every chat these tests open: well past the seeded limit of 4.
  await knex('lc_group_members').update({ max_chats: 50 })
  const origin = url
  /** A chat Alice has accepted, with both sides' sockets open until the suite ends. */
  const live = async () => await liveChat(t, app, url)

  t.test('refusals: accepted, closed with 1008 at once, and sent nothing', async (t) => {
    const alice = await agentSession(app, 'alice')
    const cases: Refusal[] = [
      { name: 'console without a session', path: '/livechat/ws/console', headers: { origin }, reason: 'LC_ERR_UNAUTHENTICATED' },
      { name: 'console from another origin', path: '/livechat/ws/console', headers: { origin: 'https://evil.example', cookie: alice.cookie }, reason: 'LC_ERR_ORIGIN' },
      { name: 'console with no Origin', path: '/livechat/ws/console', headers: { cookie: alice.cookie }, reason: 'LC_ERR_ORIGIN' },
      { name: 'a malformed since', path: '/livechat/ws/console?since=DROP%20TABLE', headers: { origin, cookie: alice.cookie }, reason: 'LC_ERR_BAD_FRAME' },
      { name: 'a wallboard asked for in words', path: '/livechat/ws/console?wallboard=yes', headers: { origin, cookie: alice.cookie }, reason: 'LC_ERR_BAD_FRAME' }
    ]
    await expectRefused(t, url, cases)
  })

  t.test('resume: an agent reconnecting with its since list gets what it missed', async (t) => {
    const { chatId, alice, agent, customer } = await live()
    await agent.close()
    customer.send({ type: 'message', chat_id: String(chatId), body: 'while you were away', client_msg_id: 'away-0000001' })
    await customer.waitFor(/while you were away/)
    const back = await openSocket(url, `/livechat/ws/console?since=${chatId}.2`, { cookie: alice.cookie, origin })
    t.teardown(() => back.close())
    const frame = await back.waitFor(/while you were away/)
    t.same(seqsIn(frame), [3])
    await back.waitFor(/hx-target="#lc-queue"/)
  })

  t.test('queue: agents see chats arrive and leave live; waiting customers see their position move', async (t) => {
    const bob = await agentSession(app, 'bob')
    const console = await openSocket(url, '/livechat/ws/console', { cookie: bob.cookie, origin })
    t.teardown(() => console.close())
    await console.waitFor(/hx-target="#lc-queue"/)
    const first = await startChat(app, { name: 'First Waiting' })
    await console.waitFor(/First Waiting/)
    const second = await startChat(app, { name: 'Second Waiting' })
    const waiting = await openSocket(url, `/livechat/ws/chat/${second.chatId}?since=${second.chatId}.1`, { cookie: second.cookie, origin })
    t.teardown(() => waiting.close())
    const ahead = Number((await knex('lc_chats').where('status', 'queued').andWhere('id', '<', second.chatId).count({ n: '*' }).first())?.n)
    await waiting.waitFor(new RegExp(ahead === 1 ? '1 person is ahead of you' : `${ahead} people are ahead of you`))
    await bob.post(`/livechat/console/chats/${first.chatId}/accept`)
    await waiting.waitFor(new RegExp(ahead - 1 === 0 ? 'You are next' : ahead - 1 === 1 ? '1 person is ahead of you' : `${ahead - 1} people are ahead of you`))
    await bob.post(`/livechat/console/chats/${second.chatId}/accept`)
    await waiting.waitFor(/You are chatting with Bob Brown/)
    await waiting.waitFor(/Bob Brown joined the chat/)
  })

  t.test('user text in a pushed message stays inert', async (t) => {
    const { chatId, agent, customer } = await live()
    customer.send({ type: 'message', chat_id: String(chatId), body: '<script>alert(1)</script>"><img src=x onerror=alert(2)>', client_msg_id: 'xss-00000001' })
    const frame = await agent.waitFor(/alert\(1\)/)
    t.notMatch(frame, /<script>|<img/)
    t.match(frame, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&gt;&lt;img src(=|&#x3D;)x onerror(=|&#x3D;)alert\(2\)&gt;/)
  })
})

t.test('console socket: liveness and sessions', async (t) => {
  const { app, url } = await build(t, { listen: true, pluginOptions: { jobs: false, settings: { chatStartsPerMinute: 1000, messagesPerMinute: 3, heartbeatTimeoutSeconds: 10 } } })
  const origin = url

  t.test('a socket that stops answering pings is cut off; one that answers stays', async (t) => {
    const alice = await agentSession(app, 'alice')
    const silent = await openSocket(url, '/livechat/ws/console', { cookie: alice.cookie, origin }, { autoPong: false })
    const healthy = await openSocket(url, '/livechat/ws/console', { cookie: alice.cookie, origin })
    t.teardown(async () => { await healthy.close() })
    const closed = await silent.closed
    t.equal(closed.code, 1006, 'terminated, not closed politely')
    t.equal(healthy.ws.readyState, healthy.ws.OPEN, 'the socket that answers pings is still open')
  })

  t.test('an agent who signs out of the help desk loses their consoles, and so their presence', async (t) => {
    const bob = await agentSession(app, 'bob')
    const console = await openSocket(url, '/livechat/ws/console', { cookie: bob.cookie, origin })
    t.teardown(async () => { await console.close() })
    await console.waitFor(/hx-target="#lc-queue"/)
    const out = await app.inject({ method: 'POST', url: '/logout', headers: { cookie: bob.cookie, origin: 'http://localhost' } })
    t.ok(out.statusCode < 400, 'signed out')
    const closed = await console.closed
    t.same(closed, { code: 1008, reason: 'LC_ERR_UNAUTHENTICATED' }, 'closed at the next heartbeat, not retried')
  })
})
