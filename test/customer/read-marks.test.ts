import t from 'tap'
import { agentSession, build, openSocket } from '../helpers/build.ts'
import { liveChat } from '../helpers/sockets.ts'

const settle = async (ms = 150): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
const markOf = (chatId: number, seq: number): RegExp => new RegExp(`hx-target="#lc-read-mark-${chatId}" hx-swap="outerHTML"><span id="lc-read-mark-${chatId}"[^>]*data-read-seq="${seq}"`)

// Read marks both ways (docs/features.md#read-marks): each side's read frame is stored, only
// forwards, and pushed to the other side as one small frame; a received frame is pushed, not stored.
t.test('read marks', async (t) => {
  const { app, url, knex } = await build(t, { listen: true })
  await knex('lc_group_members').update({ max_chats: 50 })
  const origin = url
  const stored = async (chatId: number): Promise<{ agent: number, customer: number }> => {
    const row = await knex('lc_chats').where({ id: chatId }).first()
    return { agent: Number(row.agent_read_seq), customer: Number(row.customer_read_seq) }
  }

  t.test('the customer reads: stored, and the agent is told the position', async (t) => {
    const { chatId, agent, customer } = await liveChat(t, app, url)
    agent.send({ type: 'message', chat_id: String(chatId), body: 'Hello from Alice', client_msg_id: 'mark-agent-01' })
    await customer.waitFor(/Hello from Alice/)
    customer.send({ type: 'read', chat_id: String(chatId), seq: '3' })
    await agent.waitFor(markOf(chatId, 3))
    t.equal((await stored(chatId)).customer, 3)
    t.notOk(customer.frames.some((f) => /lc-read-mark/.test(f)), 'the reader is not told of its own read')
    const page = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: (await agentSession(app, 'alice')).cookie } })
    if (page.statusCode === 200) t.match(page.body, new RegExp(`id="lc-read-mark-${chatId}"[^>]*data-read-seq="3"`), 'a fresh page starts with the stored position')
  })

  t.test('the agent reads: stored, and the customer is told the position', async (t) => {
    const { chatId, cookie, agent, customer } = await liveChat(t, app, url)
    customer.send({ type: 'message', chat_id: String(chatId), body: 'Hello from Dana', client_msg_id: 'mark-cust-001' })
    await agent.waitFor(/Hello from Dana/)
    agent.send({ type: 'read', chat_id: String(chatId), seq: '3' })
    await customer.waitFor(markOf(chatId, 3))
    t.equal((await stored(chatId)).agent, 3)
    const page = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })
    t.match(page.body, new RegExp(`id="lc-read-mark-${chatId}"[^>]*data-read-seq="3"`), 'the customer\'s page starts with the stored position')
  })

  t.test('a position lower than the stored one, or past the last message, is ignored', async (t) => {
    const { chatId, agent, customer } = await liveChat(t, app, url)
    agent.send({ type: 'message', chat_id: String(chatId), body: 'one', client_msg_id: 'mark-agent-11' })
    agent.send({ type: 'message', chat_id: String(chatId), body: 'two', client_msg_id: 'mark-agent-12' })
    await customer.waitFor(/>two</)
    customer.send({ type: 'read', chat_id: String(chatId), seq: '4' })
    await agent.waitFor(markOf(chatId, 4))
    customer.send({ type: 'read', chat_id: String(chatId), seq: '3' })
    customer.send({ type: 'read', chat_id: String(chatId), seq: '4' })
    customer.send({ type: 'read', chat_id: String(chatId), seq: '99' })
    await settle()
    t.equal((await stored(chatId)).customer, 4, 'never goes back, nor past what was sent')
    t.equal(agent.frames.filter((f) => f.includes(`hx-target="#lc-read-mark-${chatId}"`)).length, 1, 'no frame for a mark that did not move')
    t.notOk(customer.frames.some((f) => /LC_ERR/.test(f)), 'an old position is no error: windows race')
  })

  t.test('a read frame for a chat that is not the socket\'s is refused, and moves nothing', async (t) => {
    const first = await liveChat(t, app, url)
    const second = await liveChat(t, app, url)
    first.customer.send({ type: 'read', chat_id: String(second.chatId), seq: '2' })
    await first.customer.waitFor(/LC_ERR_CHAT_NOT_FOUND/)
    const bob = await agentSession(app, 'bob')
    const other = await openSocket(url, '/livechat/ws/console', { cookie: bob.cookie, origin })
    t.teardown(() => other.close())
    await other.waitFor(/hx-target="#lc-queue"/)
    other.send({ type: 'read', chat_id: String(first.chatId), seq: '2' })
    await other.waitFor(/LC_ERR_CHAT_NOT_FOUND/)
    other.send({ type: 'read', chat_id: '999999', seq: '2' })
    await settle()
    t.equal(other.frames.filter((f) => /LC_ERR_CHAT_NOT_FOUND/.test(f)).length, 2, 'a chat that does not exist is answered the same')
    t.same(await stored(second.chatId), { agent: 0, customer: 0 })
    t.same(await stored(first.chatId), { agent: 0, customer: 0 })
    t.notOk(first.customer.frames.some((f) => /lc-read-mark/.test(f)))
  })

  t.test('delivered: each side\'s window says how far it holds the chat, and the other side is told; nothing is stored', async (t) => {
    const { chatId, agent, customer } = await liveChat(t, app, url)
    const deliveredOf = (seq: number): RegExp => new RegExp(`hx-target="#lc-delivered-mark-${chatId}" hx-swap="outerHTML"><span id="lc-delivered-mark-${chatId}"[^>]*data-delivered-seq="${seq}"`)
    agent.send({ type: 'message', chat_id: String(chatId), body: 'Delivered?', client_msg_id: 'mark-deliv-01' })
    await customer.waitFor(/Delivered\?/)
    customer.send({ type: 'received', chat_id: String(chatId), seq: '3' })
    await agent.waitFor(deliveredOf(3))
    agent.send({ type: 'received', chat_id: String(chatId), seq: '3' })
    await customer.waitFor(deliveredOf(3))
    t.equal((await stored(chatId)).customer, 0, 'delivered is not read')
    const other = await liveChat(t, app, url)
    other.customer.send({ type: 'received', chat_id: String(chatId), seq: '3' })
    await other.customer.waitFor(/LC_ERR_CHAT_NOT_FOUND/)
    const bob = await agentSession(app, 'bob')
    const bobs = await openSocket(url, '/livechat/ws/console', { cookie: bob.cookie, origin })
    t.teardown(() => bobs.close())
    await bobs.waitFor(/hx-target="#lc-queue"/)
    bobs.send({ type: 'received', chat_id: String(chatId), seq: '3' })
    await bobs.waitFor(/LC_ERR_CHAT_NOT_FOUND/)
    await settle()
    t.equal(agent.frames.filter((f) => f.includes(`hx-target="#lc-delivered-mark-${chatId}"`)).length, 1, 'only the chat\'s own customer moved it')
    t.equal(customer.frames.filter((f) => f.includes(`hx-target="#lc-delivered-mark-${chatId}"`)).length, 1, 'only the chat\'s own agent moved it')
  })

  t.test('a bad read frame is refused with the reason, and the socket stays open', async (t) => {
    const { chatId, customer } = await liveChat(t, app, url)
    customer.send({ type: 'read', chat_id: String(chatId), seq: 'many' })
    await customer.waitFor(/LC_ERR_BAD_FRAME/)
    customer.send({ type: 'read', chat_id: String(chatId) })
    await customer.waitFor(/seq is required/)
    customer.send({ type: 'received', chat_id: String(chatId), seq: '-1' })
    await customer.waitFor(/seq has characters that are not allowed/)
    t.equal(customer.ws.readyState, customer.ws.OPEN)
    t.equal((await stored(chatId)).customer, 0)
  })
})
