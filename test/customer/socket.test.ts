import t from 'tap'
import { build, openSocket, seqsIn, startChat } from '../helpers/build.ts'
import { expectRefused, liveChat, type Refusal } from '../helpers/sockets.ts'

const settle = async (ms = 150): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('customer socket', async (t) => {
  const { app, url, knex } = await build(t, { listen: true })
  // Alice holds every chat these tests open: well past the seeded limit of 4.
  await knex('lc_group_members').update({ max_chats: 50 })
  const origin = url
  const token = (cookie: string, chatId: number): string => /lc_chat_\d+=([^;]+)/.exec(cookie.split('; ').find((c) => c.startsWith(`lc_chat_${chatId}=`))!)![1]!
  /** A chat Alice has accepted, with both sides' sockets open until the suite ends. */
  const live = async () => await liveChat(t, app, url)

  t.test('refusals: accepted, closed with 1008 at once, and sent nothing', async (t) => {
    const { chatId, cookie } = await startChat(app)
    const cases: Refusal[] = [
      { name: 'customer with no token', path: `/livechat/ws/chat/${chatId}`, headers: { origin }, reason: 'LC_ERR_CHAT_NOT_FOUND' },
      { name: 'customer with another chat\'s token', path: `/livechat/ws/chat/${chatId + 1000}`, headers: { origin, cookie: `lc_chat_${chatId + 1000}=${token(cookie, chatId)}` }, reason: 'LC_ERR_CHAT_NOT_FOUND' }
    ]
    await expectRefused(t, url, cases)
  })

  t.test('live: each side sees the other\'s messages, stored before shown, with their seq', async (t) => {
    const { chatId, agent, customer } = await live()
    customer.send({ type: 'message', chat_id: String(chatId), body: 'Hello, is anyone there?', client_msg_id: 'cust-0000001', headers: { 'HX-Request': 'true' } })
    const atAgent = await agent.waitFor(/Hello, is anyone there\?/)
    t.same(seqsIn(atAgent), [3])
    t.match(atAgent, new RegExp(`<hx-partial hx-target="#lc-messages-${chatId}" hx-swap="beforeend">`))
    await customer.waitFor(/Hello, is anyone there\?/)
    await customer.waitFor(new RegExp(`hx-target="#lc-composer-${chatId}" hx-swap="outerHTML"`))
    agent.send({ type: 'message', chat_id: String(chatId), body: 'Hi Dana, Alice here.', client_msg_id: 'agent-000001' })
    const atCustomer = await customer.waitFor(/Hi Dana, Alice here\./)
    t.same(seqsIn(atCustomer), [4])
    const stored = await knex('lc_messages').where('chat_id', chatId).orderBy('seq')
    t.same(stored.map((m: { seq: number }) => Number(m.seq)), [1, 2, 3, 4])
  })

  t.test('resume: a dropped customer gets exactly the three messages it missed, once, in order', async (t) => {
    const { chatId, cookie, agent, customer } = await live()
    await customer.close()
    for (const n of [1, 2, 3]) {
      agent.send({ type: 'message', chat_id: String(chatId), body: `missed message ${n}`, client_msg_id: `missed-00000${n}` })
      await agent.waitFor(new RegExp(`missed message ${n}`))
    }
    const back = await openSocket(url, `/livechat/ws/chat/${chatId}?since=${chatId}.2`, { cookie, origin })
    t.teardown(() => back.close())
    await back.waitFor(/missed message 3/)
    await settle()
    const messageFrames = back.frames.filter((f) => /data-seq=/.test(f))
    t.same(messageFrames.flatMap(seqsIn), [3, 4, 5], 'exactly the missed seqs, in order')
    t.same(messageFrames.join('').match(/missed message \d/g), ['missed message 1', 'missed message 2', 'missed message 3'])
    agent.send({ type: 'message', chat_id: String(chatId), body: 'after the resume', client_msg_id: 'after-000001' })
    await back.waitFor(/after the resume/)
    await settle()
    t.same(back.frames.filter((f) => /data-seq=/.test(f)).flatMap(seqsIn), [3, 4, 5, 6], 'live again with no repeat')
  })

  t.test('a resent client message id is stored and delivered once', async (t) => {
    const { chatId, agent, customer } = await live()
    const frame = { type: 'message', chat_id: String(chatId), body: 'sent twice', client_msg_id: 'twice-000001' }
    customer.send(frame)
    customer.send(frame)
    await agent.waitFor(/sent twice/)
    await settle()
    t.equal(agent.frames.join('').match(/sent twice/g)?.length, 1)
    t.equal(Number((await knex('lc_messages').where({ chat_id: chatId, body: 'sent twice' }).count({ n: '*' }).first())?.n), 1)
  })

  t.test('bad input: the socket stays open, says what was wrong, and stores nothing', async (t) => {
    const { chatId, agent, customer } = await live()
    const before = Number((await knex('lc_messages').where('chat_id', chatId).count({ n: '*' }).first())?.n)
    customer.ws.send('this is not json')
    t.match(await customer.waitFor(/LC_ERR_BAD_FRAME/), /That message could not be read: it is not JSON/)
    customer.send({ type: 'shout', body: 'x' })
    await customer.waitFor(/type must be one of: message, ping, coach, typing, read/)
    customer.send({ type: 'message', chat_id: String(chatId), body: 'no id' })
    await customer.waitFor(/client_msg_id is required/)
    customer.send({ type: 'message', chat_id: String(chatId), body: 'short id', client_msg_id: 'abc' })
    await customer.waitFor(/client_msg_id needs at least 8 characters/)
    const long = 'x'.repeat(10001)
    customer.send({ type: 'message', chat_id: String(chatId), body: long, client_msg_id: 'long-0000001' })
    const refused = await customer.waitFor(/Messages can be at most 10000 characters/)
    t.match(refused, new RegExp(`hx-target="#lc-composer-${chatId}" hx-swap="outerHTML"`))
    t.ok(refused.includes(long), 'the text comes back in the box, not truncated')
    customer.send({ type: 'message', chat_id: String(chatId), body: '   ', client_msg_id: 'blank-000001' })
    await customer.waitFor(/Type a message before sending/)
    agent.send({ type: 'message', chat_id: String(chatId + 1000), body: 'not my chat', client_msg_id: 'other-000001' })
    await agent.waitFor(/LC_ERR_CHAT_NOT_FOUND/)
    t.equal(Number((await knex('lc_messages').where('chat_id', chatId).count({ n: '*' }).first())?.n), before)
    customer.send({ type: 'message', chat_id: String(chatId), body: 'still works', client_msg_id: 'works-000001' })
    await agent.waitFor(/still works/)
  })

  t.test('a customer cannot write into another chat through their socket', async (t) => {
    const a = await live()
    const b = await live()
    a.customer.send({ type: 'message', chat_id: String(b.chatId), body: 'sneaky', client_msg_id: 'sneak-000001' })
    await a.customer.waitFor(/LC_ERR_CHAT_NOT_FOUND/)
    t.equal(Number((await knex('lc_messages').where({ body: 'sneaky' }).count({ n: '*' }).first())?.n), 0)
  })

  t.test('end: the customer leaving tells the agent, who keeps the chat; the agent ending closes the customer\'s', async (t) => {
    const one = await live()
    const c = await import('../helpers/build.ts').then((m) => m.csrf(app, one.cookie, `/livechat/chat/${one.chatId}`))
    await app.inject({ method: 'POST', url: `/livechat/chat/${one.chatId}/end`, headers: { cookie: c.cookie, 'x-csrf-token': c.token, origin: 'http://localhost', 'hx-request': 'true' } })
    await one.agent.waitFor(/<li id="lc-msg-\d+-3"[^]*End user has cancelled chat/)
    await one.agent.waitFor(/lc-pill--left/)
    t.notMatch(one.agent.frames.join(''), new RegExp(`hx-target="#lc-composer-${one.chatId}"`), 'the agent\'s draft is left alone')
    await one.alice.post(`/livechat/console/chats/${one.chatId}/end`)
    await one.customer.waitFor(/Alice Adams ended the chat/)
    const two = await live()
    await two.alice.post(`/livechat/console/chats/${two.chatId}/end`)
    await two.customer.waitFor(/This chat has ended\. Thank you for contacting us\./)
    await two.customer.waitFor(/Alice Adams ended the chat/)
    two.customer.send({ type: 'message', chat_id: String(two.chatId), body: 'too late', client_msg_id: 'late-0000001' })
    await two.customer.waitFor(/This chat has ended; start a new chat to keep talking/)
  })

  t.test('shutdown closes sockets with 1012 so clients reconnect and resume', async (t) => {
    const other = await build(t, { listen: true })
    const { chatId, cookie } = await startChat(other.app)
    const socket = await openSocket(other.url, `/livechat/ws/chat/${chatId}?since=${chatId}.1`, { cookie, origin: other.url })
    await socket.waitFor(/lc-status/)
    const closing = socket.closed
    await other.app.close()
    t.equal((await closing).code, 1012)
  })
})

t.test('customer socket: limits', async (t) => {
  const { app, url, knex } = await build(t, { listen: true, pluginOptions: { jobs: false, settings: { chatStartsPerMinute: 1000, messagesPerMinute: 3, heartbeatTimeoutSeconds: 10 } } })
  const origin = url

  t.test('messages over the per-socket limit are refused with the text handed back', async (t) => {
    const { chatId, cookie } = await startChat(app)
    const customer = await openSocket(url, `/livechat/ws/chat/${chatId}?since=${chatId}.1`, { cookie, origin })
    t.teardown(() => customer.close())
    for (const n of [1, 2, 3]) {
      customer.send({ type: 'message', chat_id: String(chatId), body: `allowed ${n}`, client_msg_id: `limit-00000${n}` })
      await customer.waitFor(new RegExp(`allowed ${n}`))
    }
    customer.send({ type: 'message', chat_id: String(chatId), body: 'one too many', client_msg_id: 'limit-000004' })
    const refused = await customer.waitFor(/Too many messages; wait a minute and try again/)
    t.match(refused, /one too many<\/textarea>/, 'the text is handed back')
    t.equal(Number((await knex('lc_messages').where({ chat_id: chatId, body: 'one too many' }).count({ n: '*' }).first())?.n), 0)
  })
})
