import t from 'tap'
import { agentSession, build, openSocket, seqsIn, type SocketClient, startChat } from '../helpers/build.ts'

/**
 * End Chat (docs/features.md#end-chat), seen from the customer's open window: the
 * customer is told, offered the survey, and the chat is completed.
 */

const settle = async (ms = 150): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('End Chat on a real customer socket', async (t) => {
  const { app, knex, url } = await build(t, { listen: true })
  const sockets: SocketClient[] = []
  t.teardown(async () => { for (const s of sockets) await s.close() })
  const socket = async (path: string, cookie: string): Promise<SocketClient> => {
    const s = await openSocket(url, path, { cookie, origin: url })
    sockets.push(s)
    return s
  }
  const alice = await agentSession(app, 'alice')
  const bob = await agentSession(app, 'bob')

  t.test('the customer is told, offered the survey, and the chat is completed', async (t) => {
    const { chatId, cookie } = await startChat(app, { name: 'Ending Customer' })
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
    const customer = await socket(`/livechat/ws/chat/${chatId}?since=${chatId}.2`, cookie)
    await customer.waitFor(/You are chatting with Alice Adams/)
    t.match((await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })).body, /<textarea id="lc-body-\d+" name="body"/, 'the reply box is open while the chat is')

    const refused = await bob.post(`/livechat/console/chats/${chatId}/end`)
    t.equal(refused.statusCode, 404, 'another agent cannot end it')
    t.equal((await knex('lc_chats').where('id', chatId).first('status')).status, 'active')

    const ended = await alice.post(`/livechat/console/chats/${chatId}/end`)
    t.equal(ended.statusCode, 200)

    // Told: the event in the conversation, the status line, and the closed reply box.
    const told = await customer.waitFor(/Alice Adams ended the chat/)
    t.same(seqsIn(told), [3], 'the event arrives in seq order')
    t.match(told, /class="lc-msg lc-msg--agent lc-msg--event"/)
    t.match(await customer.waitFor(new RegExp(`hx-target="#lc-status-${chatId}"[^>]*>[\\s\\S]*This chat has ended`)), /lc-status--ended/)
    const closed = await customer.waitFor(new RegExp(`hx-target="#lc-composer-${chatId}"`))
    t.match(closed, /This chat has ended\. Thank you for contacting us\./)
    t.notMatch(closed, /<textarea/, 'nothing more can be typed')
    t.match(closed, /Start a new chat/)

    // Offered the survey, in place, without a reload.
    const survey = await customer.waitFor(new RegExp(`hx-target="#lc-survey-${chatId}"`))
    t.match(survey, /How was this chat\?/)
    t.match(survey, new RegExp(`hx-post="/livechat/chat/${chatId}/survey"`))

    // Completed: ended by the agent, recorded, in the agent's My Completed.
    const row = await knex('lc_chats').where('id', chatId).first()
    t.match(row, { status: 'ended', ended_by: 'agent' })
    t.ok(Number(row.ended_at) > 0)
    t.same((await knex('lc_chat_history').where('chat_id', chatId).orderBy('id')).map((h: { action: string }) => h.action), ['started', 'accepted', 'ended'])
    t.match(ended.body, new RegExp(`id="lc-my-completed"[\\s\\S]*#${chatId} · ended`))
    t.notMatch(/id="lc-my-active"[\s\S]*?<\/section>/.exec(ended.body)?.[0], new RegExp(`#${chatId} `), 'no longer among the active chats')

    // Nothing more goes through: a message from the window is refused, and ending again is a 409.
    customer.send({ type: 'message', chat_id: String(chatId), body: 'one more thing', client_msg_id: 'after-end-0001' })
    t.match(await customer.waitFor(/LC_ERR_CHAT_CLOSED/), /id="lc-notice"|hx-target="#lc-notice"/)
    const again = await alice.post(`/livechat/console/chats/${chatId}/end`)
    t.equal(again.statusCode, 409)
    t.match(again.body, /LC_ERR_CHAT_STATE_CONFLICT/)
    await settle()
    t.same(customer.frames.filter((f) => /data-seq=/.test(f)).flatMap(seqsIn), [3], 'one ended event, once')
    t.equal((await knex('lc_messages').where('chat_id', chatId)).length, 3, 'the refused message was not stored')

    // A reload shows the same: the event, the closed box, the survey.
    const page = (await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })).body
    t.match(page, /Alice Adams ended the chat[\s\S]*This chat has ended\. Thank you for contacting us\.[\s\S]*How was this chat\?/)
  })

  t.test('a customer whose window is closed is offered the survey when they open it again', async (t) => {
    const { chatId, cookie } = await startChat(app, { name: 'Returning Later' })
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/end`)).statusCode, 200)
    const late = await socket(`/livechat/ws/chat/${chatId}?since=${chatId}.2`, cookie)
    t.same(seqsIn(await late.waitFor(/Alice Adams ended the chat/)), [3], 'the resume brings the ended event')
    await late.waitFor(/This chat has ended\. Thank you for contacting us\./)
    t.match((await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })).body, new RegExp(`<section id="lc-survey-${chatId}" class="lc-survey"[\\s\\S]*How was this chat\\?`))
  })
})
