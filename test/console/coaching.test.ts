import t from 'tap'
import { agentSession, build, openSocket, startChat } from '../helpers/build.ts'

const settle = async (ms = 200): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('coaching and typing over the sockets', async (t) => {
  const { app, url, knex } = await build(t, { listen: true })
  const origin = url

  /** A chat Alice has accepted, with the customer's socket, Alice's, and Sam (supervisor) watching it. */
  async function watchedChat () {
    const { chatId, cookie } = await startChat(app, { question: 'Printer keeps jamming' })
    const alice = await agentSession(app, 'alice')
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    const agent = await openSocket(url, `/livechat/ws/console?since=${chatId}.2`, { cookie: alice.cookie, origin })
    const customer = await openSocket(url, `/livechat/ws/chat/${chatId}?since=${chatId}.2`, { cookie, origin })
    const sam = await agentSession(app, 'sam')
    const view = await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: sam.cookie } })
    const supervisor = await openSocket(url, `/livechat/ws/console?since=${chatId}.2`, { cookie: sam.cookie, origin })
    t.teardown(async () => { await agent.close(); await customer.close(); await supervisor.close() })
    await agent.waitFor(/hx-target="#lc-my-active"/)
    await supervisor.waitFor(/hx-target="#lc-queue"/)
    return { chatId, cookie, alice, sam, view, agent, customer, supervisor }
  }

  t.test('a supervisor coaches; the agent sees it inline and answers; the customer never gets it', async (t) => {
    const { chatId, cookie, view, agent, customer, supervisor } = await watchedChat()
    t.match(view.body, new RegExp(`<form id="lc-coaching-${chatId}" class="lc-coaching" hx-ws:send`), 'sam\'s view has the Coaching box')
    supervisor.send({ type: 'coach', chat_id: String(chatId), body: 'Ask which tray it jams in', client_msg_id: 'coach-000001' })
    const seen = await agent.waitFor(/Ask which tray it jams in/)
    t.match(seen, /lc-msg--coaching[\s\S]*Sam Supervisor[\s\S]*\(coaching\)/)
    await supervisor.waitFor(/Ask which tray it jams in/)
    agent.send({ type: 'coach', chat_id: String(chatId), body: 'Will do, thanks', client_msg_id: 'coach-000002' })
    await supervisor.waitFor(/Will do, thanks/)
    agent.send({ type: 'message', chat_id: String(chatId), body: 'Which tray does it jam in?', client_msg_id: 'reply-000001' })
    await customer.waitFor(/Which tray does it jam in\?/)
    await settle()
    const toCustomer = customer.frames.join('')
    t.notMatch(toCustomer, /Ask which tray|Will do, thanks|coaching/, 'no coaching on the customer\'s socket')
    t.match(toCustomer, new RegExp(`lc-msg-${chatId}-5"`), 'the customer\'s next message carries its own seq, past the skipped ones')
    const page = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })
    t.notMatch(page.body, /Ask which tray|Will do, thanks/, 'nor in the customer\'s page')
    t.match(page.body, /Which tray does it jam in\?/)
    const stored = await knex('lc_messages').where({ chat_id: chatId, kind: 'coaching' }).count({ n: '*' }).first()
    t.equal(Number(stored?.n), 2, 'stored, in the chat\'s seq')
    const row = await knex('lc_chats').where({ id: chatId }).first()
    t.equal(Number(row.last_seq), 5)
  })

  t.test('monitoring: a supervisor opening or coaching someone else\'s chat is in the audit log once', async (t) => {
    const { chatId, alice, sam, supervisor } = await watchedChat()
    const monitored = async () => await knex('lc_audit').where({ action: 'chat.monitored', subject_id: String(chatId) }).orderBy('id')
    const samId = String((await knex('users').where({ username: 'sam' }).first('id')).id)
    const aliceId = String((await knex('users').where({ username: 'alice' }).first('id')).id)
    const chat = await knex('lc_chats').where({ id: chatId }).first()
    const dept = Number((await knex('lc_groups').where({ id: chat.group_id }).first()).department_id)
    let rows = await monitored()
    t.equal(rows.length, 1, 'opening the chat records it')
    t.match(rows[0], { actor_id: samId, actor_name: 'Sam Supervisor', subject: `Chat #${chatId} with Dana Doyle`, department_id: dept })
    t.same(JSON.parse(rows[0].after), { agentId: aliceId }, 'whose chat it was')

    t.equal((await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: sam.cookie } })).statusCode, 200)
    supervisor.send({ type: 'coach', chat_id: String(chatId), body: 'Check the tray', client_msg_id: 'coach-mon-01' })
    await supervisor.waitFor(/Check the tray/)
    t.equal((await monitored()).length, 1, 'opening it again and coaching do not record it again')

    t.equal((await app.inject({ url: `/livechat/console/chats/${chatId}`, headers: { cookie: alice.cookie } })).statusCode, 200)
    t.equal((await monitored()).length, 1, 'the chat\'s own agent opening it is not monitoring')

    await knex('lc_audit').where({ action: 'chat.monitored', subject_id: String(chatId) }).delete()
    supervisor.send({ type: 'coach', chat_id: String(chatId), body: 'And the paper size', client_msg_id: 'coach-mon-02' })
    await supervisor.waitFor(/And the paper size/)
    rows = await monitored()
    t.equal(rows.length, 1, 'coaching alone records it too')
    t.equal(rows[0].actor_id, samId)

    const page = await app.inject({ url: '/livechat/console/audit?action=chat.monitored', headers: { cookie: sam.cookie } })
    t.equal(page.statusCode, 200)
    t.match(page.body, /Chat monitored by a supervisor/, 'the supervisors\' audit page lists it')
    // Alice's capacity back for the chats of the next tests.
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/end`)).statusCode, 200)
  })

  t.test('coaching is refused to a customer and to an agent who neither has nor supervises the chat', async (t) => {
    const { chatId, customer } = await watchedChat()
    customer.send({ type: 'coach', chat_id: String(chatId), body: 'let me coach', client_msg_id: 'coach-cust-01' })
    await customer.waitFor(/LC_ERR_CHAT_NOT_FOUND/)
    const bob = await agentSession(app, 'bob')
    const other = await openSocket(url, '/livechat/ws/console', { cookie: bob.cookie, origin })
    t.teardown(() => other.close())
    await other.waitFor(/hx-target="#lc-queue"/)
    other.send({ type: 'coach', chat_id: String(chatId), body: 'sneaky coaching', client_msg_id: 'coach-bob-01' })
    await other.waitFor(/LC_ERR_CHAT_NOT_FOUND/)
    other.send({ type: 'coach', chat_id: String(chatId), body: '   ', client_msg_id: 'coach-bob-02' })
    await settle()
    const stored = await knex('lc_messages').where({ chat_id: chatId, kind: 'coaching' }).count({ n: '*' }).first()
    t.equal(Number(stored?.n), 0, 'nothing stored')
  })

  t.test('an empty coaching message comes back with the reason', async (t) => {
    const { chatId, supervisor } = await watchedChat()
    supervisor.send({ type: 'coach', chat_id: String(chatId), body: '  ', client_msg_id: 'coach-empty-1' })
    const box = await supervisor.waitFor(/Type a message before sending/)
    t.match(box, new RegExp(`hx-target="#lc-coaching-${chatId}" hx-swap="outerHTML"`))
  })

  t.test('typing: each side sees the other typing; nobody else can make it show', async (t) => {
    const { chatId, agent, customer } = await watchedChat()
    customer.send({ type: 'typing', chat_id: String(chatId) })
    t.match(await agent.waitFor(/is typing/), new RegExp(`hx-target="#lc-typing-${chatId}"[\\s\\S]*Dana Doyle is typing…`))
    agent.send({ type: 'typing', chat_id: String(chatId) })
    t.match(await customer.waitFor(/is typing/), /Alice Adams is typing…/)
    const bob = await agentSession(app, 'bob')
    const other = await openSocket(url, '/livechat/ws/console', { cookie: bob.cookie, origin })
    t.teardown(() => other.close())
    await other.waitFor(/hx-target="#lc-queue"/)
    const before = customer.frames.length
    other.send({ type: 'typing', chat_id: String(chatId) })
    await settle()
    t.notOk(customer.frames.slice(before).some((f) => /Bob Brown is typing/.test(f)), 'not bob\'s chat')
    t.equal(Number((await knex('lc_messages').where({ chat_id: chatId }).count({ n: '*' }).first())?.n), 2, 'typing stores nothing')
  })
})
