import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { buildDemoHost } from '../../demo-host/app.ts'
import { createWebhookOutbox } from '../../plugin/webhooks/outbox.ts'
import { createWebhookService } from '../../plugin/webhooks/service.ts'
import { agentSession, build, csrf, joinCookies, login, sameOrigin, startChat } from '../helpers/build.ts'
import { liveChat } from '../helpers/sockets.ts'
import { signatureValid, webhookReceiver } from '../helpers/webhook-receiver.ts'

/**
 * Webhook delivery end to end (docs/webhooks.md, docs/features.md#webhooks): a loopback
 * receiver gets every event of a whole chat, in order, once after de-duplication by event
 * id, each signed, although it fails for a while, loses one answer, and the server is
 * restarted in the middle. Delivery is the real job, run as an administrator's Run now does.
 */

const minute = 60_000
const settings = { chatStartsPerMinute: 1000, messagesPerMinute: 10000, webhookAllowedHosts: ['127.0.0.1'], webhookTimeoutSeconds: 1 }

/** An administrator's htmx POSTs on `app`, with the CSRF pair read from the Webhooks page. */
async function adminOf (app: FastifyInstance) {
  const session = await login(app, 'admin')
  const c = await csrf(app, session, '/livechat/admin/webhooks')
  return async (url: string, payload: object = {}): Promise<LightMyRequestResponse> => await app.inject({
    method: 'POST', url, payload, headers: { cookie: joinCookies(c.cookie), 'x-csrf-token': c.token, 'hx-request': 'true', ...sameOrigin }
  })
}

t.test('webhook delivery of a whole chat', async (t) => {
  let now = Date.now()
  const clock = (): number => now
  const receiver = await webhookReceiver()
  t.teardown(async () => { await receiver.close() })
  const { app, knex, url } = await build(t, { listen: true, pluginOptions: { clock, settings, instanceName: 'first' } })
  let admin = await adminOf(app)

  const made = await admin('/livechat/admin/webhooks', { url: `${receiver.url}/hooks`, description: 'The CRM', events: ['chat.queued', 'chat.assigned', 'chat.transferred', 'message.created', 'chat.ended', 'chat.abandoned', 'ticket.created', 'survey.submitted', 'agent.availability'] })
  t.equal(made.statusCode, 200, made.body.slice(0, 300))
  const secret = /data-secret>([^<]+)</.exec(made.body)?.[1]
  t.match(secret, /^whsec_[A-Za-z0-9_-]{32}$/, 'the secret is shown once, in the answer')
  const endpointId = Number((await knex('lc_webhook_endpoints').first('id')).id)
  t.notMatch((await app.inject({ url: '/livechat/admin/webhooks', headers: { cookie: await login(app, 'admin') } })).body, secret!, 'and never again')
  // Another instance's change would reach this one within two seconds; this one forgot at once.
  const run = async (as: typeof admin): Promise<LightMyRequestResponse> => {
    const res = await as('/livechat/admin/jobs/webhooks/run')
    t.equal(res.statusCode, 200, res.body.slice(0, 300))
    return res
  }

  // The receiver is down while the chat starts and runs.
  receiver.state.mode = 'fail'
  const { chatId, agent, customer, cookie } = await liveChat(t, app, url)
  customer.send({ type: 'message', chat_id: String(chatId), body: 'My VPN drops every ten minutes', client_msg_id: 'wh-cust-0001', headers: { 'HX-Request': 'true' } })
  await agent.waitFor(/My VPN drops every ten minutes/)
  agent.send({ type: 'message', chat_id: String(chatId), body: 'Let us look at the client logs', client_msg_id: 'wh-agent-001' })
  await customer.waitFor(/Let us look at the client logs/)

  const failed = await run(admin)
  t.match(failed.body, /1 delivery failed/, 'one attempt: an endpoint that failed is not tried again in the same run')
  t.equal(receiver.received.length, 1)
  t.equal(receiver.received[0]!.answered, 503)
  now += 20_000
  await run(admin)
  t.equal(receiver.received.length, 2, 'retried once its wait (15 s) was over')
  await run(admin)
  t.equal(receiver.received.length, 2, 'not before the next wait (30 s) is over')
  const pending = await knex('lc_webhook_deliveries').where({ endpoint_id: endpointId, state: 'pending' }).count({ n: '*' }).first()
  t.equal(Number(pending!.n), 6, 'every event so far waits: question, queued, joined, assigned, two messages')

  // The server restarts: another process on the same database; what waited is still there.
  await agent.close()
  await customer.close()
  await app.close()
  const again: FastifyInstance = await buildDemoHost({ knex, logger: false, pluginOptions: { jobs: false, clock, settings, instanceName: 'second' } })
  await again.ready()
  t.teardown(async () => { await again.close() })
  admin = await adminOf(again)

  // Back up, but the first answer is lost: it is sent again, with the same event id.
  receiver.state.mode = 'hang-once'
  now += 5 * minute
  await run(admin)
  const alice2 = await agentSession(again, 'alice')
  t.equal((await alice2.post('/livechat/console/availability', { available: 'on' })).statusCode, 200, 'alice becomes available')
  t.equal((await alice2.post('/livechat/console/availability', {})).statusCode, 200, 'and goes unavailable')
  // Transferred to Carol in Support L2, who accepts and ends it; the customer answers the survey.
  const l2 = Number((await knex('lc_groups').where({ name: 'Support L2' }).first('id')).id)
  const carolId = String((await knex('users').where({ username: 'carol' }).first('id')).id)
  const moved = await alice2.post(`/livechat/console/chats/${chatId}/transfer`, { group_id: String(l2), agent: carolId, comment: 'VPN client logs attached' })
  t.equal(moved.statusCode, 200)
  const carol = await agentSession(again, 'carol')
  t.equal((await carol.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
  t.equal((await carol.post(`/livechat/console/chats/${chatId}/end`)).statusCode, 200)
  const window = await csrf(again, cookie, `/livechat/chat/${chatId}`)
  const rated = await again.inject({
    method: 'POST', url: `/livechat/chat/${chatId}/survey`, payload: { rating: '5', comment: 'Quick and kind' }, headers: { cookie: window.cookie, 'x-csrf-token': window.token, 'hx-request': 'true', ...sameOrigin }
  })
  t.equal(rated.statusCode, 200)
  now += 5 * minute
  await run(admin)
  await run(admin)

  // What the receiver kept: each event once, by its id, in the order of the chat.
  const seen = new Map<string, { type: string, payload: { id: string, type: string, createdAt: string, data: Record<string, any> } }>()
  for (const r of receiver.received) {
    t.ok(signatureValid(secret!, r), `signed: ${r.headers['x-livechat-event-type']}`)
    const payload = JSON.parse(r.body)
    t.equal(r.headers['x-livechat-event-id'], payload.id)
    t.equal(r.headers['x-livechat-event-type'], payload.type)
    t.equal(Number(r.headers['x-livechat-timestamp']) * 1000 <= now, true)
    if (r.answered === 200 && !seen.has(payload.id)) seen.set(payload.id, { type: payload.type, payload })
  }
  const duplicates = receiver.received.filter((r) => r.answered !== 503).length - seen.size
  t.ok(duplicates >= 1, 'the answer lost made a duplicate, told apart by its event id')
  const ofChat = [...seen.values()].filter((e) => e.payload.data.chat?.id === chatId)
  t.same(ofChat.map((e) => e.type === 'message.created' ? `message:${e.payload.data.message.seq}` : e.type), [
    'message:1', 'chat.queued', 'message:2', 'chat.assigned', 'message:3', 'message:4',
    'message:5', 'chat.transferred', 'message:6', 'chat.assigned', 'message:7', 'chat.ended', 'survey.submitted'
  ], 'every event of the chat, in its order')
  const ended = ofChat.at(-2)!.payload.data
  t.match(ended, { chat: { id: chatId, status: 'ended', endedBy: 'agent', agentId: carolId }, action: 'ended', by: { kind: 'agent', name: 'Carol Chen' } })
  t.match(ofChat[7]!.payload.data, { chat: { status: 'queued', groupId: l2 }, action: 'transferred', details: { toGroup: l2, toAgent: carolId, comment: 'VPN client logs attached' } })
  t.match(ofChat.at(-1)!.payload.data, { chat: { id: chatId }, survey: { rating: 5, comment: 'Quick and kind' } })
  t.match(ofChat[4]!.payload.data.message, { kind: 'text', text: 'My VPN drops every ten minutes', author: { kind: 'customer' } })
  const alices = [...seen.values()].filter((e) => e.type === 'agent.availability').map((e) => e.payload.data)
  t.match(alices, [{ available: true, reason: 'agent', agent: { id: String((await knex('users').where({ username: 'alice' }).first('id')).id) } }, { available: false }], 'her availability, in its order')
  t.same(await knex('lc_webhook_deliveries').where({ endpoint_id: endpointId }).whereNot({ state: 'delivered' }).select('id'), [], 'nothing left waiting')

  // The delivery log shows the retries: the 503s, the lost answer, then the 200.
  const log = await again.inject({ url: `/livechat/admin/webhooks/${endpointId}`, headers: { cookie: await login(again, 'admin') } })
  t.equal(log.statusCode, 200)
  const first = new RegExp(`<tr data-delivery-id="\\d+" data-state="delivered" data-event-id="${ofChat[0]!.payload.id}">[\\s\\S]*?</tr>`).exec(log.body)?.[0] ?? ''
  t.match(first, /data-attempt-ok="true" data-status="200"/)
  t.match(first, /data-attempt-ok="false" data-status="503"[\s\S]*receiver is down for maintenance/)
  t.equal((first.match(/data-attempt-ok=/g) ?? []).length, 4, 'two 503s, the answer that never came, and the 200')
  t.match(first, /No answer within 1 s/)
  t.match(first, /\(job\)/)

  // A month on, the log lets the finished deliveries go, with their attempts and events.
  now += 31 * 86_400_000
  t.match((await run(admin)).body, /removed 15 finished more than 30 days ago from the log/)
  for (const table of ['lc_webhook_deliveries', 'lc_webhook_attempts', 'lc_webhook_events']) {
    t.equal(Number((await knex(table).count({ n: '*' }).first())!.n), 0, `${table} is empty`)
  }
})

t.test('two instances delivering at once send each event once, each chat in order', async (t) => {
  const receiver = await webhookReceiver()
  t.teardown(async () => { await receiver.close() })
  const { app, knex } = await build(t, { pluginOptions: { settings } })
  const admin = await adminOf(app)
  t.equal((await admin('/livechat/admin/webhooks', { url: `${receiver.url}/hooks`, events: ['chat.queued', 'message.created'] })).statusCode, 200)
  const chats: number[] = []
  for (let i = 0; i < 8; i++) chats.push((await startChat(app, { name: `Parallel ${i}`, question: `Question ${i}` })).chatId)

  // Two instances' delivery, as two processes run it, on one database, without the job's lease between them: only the claims.
  const log = { info: () => {}, warn: () => {}, error: () => {} }
  const instance = (name: string) => createWebhookService({
    db: knex, settings: { ...settings, webhookRetryHours: 24, webhookDisableAfterFailures: 50, rolePermissions: {} }, host: { getUser: async () => null }, outbox: createWebhookOutbox({}), log, instanceName: name
  })
  receiver.state.delayMs = 30
  const [a, b] = await Promise.all([instance('one').deliver(async () => true), instance('two').deliver(async () => true)])
  t.equal(a.rows + b.rows, 16, `every delivery sent by one of them (${a.rows} and ${b.rows})`)
  const ids = receiver.received.map((r) => String(r.headers['x-livechat-event-id']))
  t.equal(new Set(ids).size, ids.length, 'no event sent twice')
  t.equal(ids.length, 16)
  for (const chatId of chats) {
    const types = receiver.received.map((r) => JSON.parse(r.body)).filter((p) => p.data.chat.id === chatId).map((p) => p.type)
    t.same(types, ['message.created', 'chat.queued'], `chat ${chatId} in order`)
  }
})

t.test('a ticket made from a chat and an abandoned chat are told, and only the events an endpoint wants', async (t) => {
  const receiver = await webhookReceiver()
  t.teardown(async () => { await receiver.close() })
  const { app, knex } = await build(t, { pluginOptions: { settings } })
  const admin = await adminOf(app)
  t.equal((await admin('/livechat/admin/webhooks', { url: `${receiver.url}/tickets`, events: ['ticket.created', 'chat.abandoned'] })).statusCode, 200)
  const { chatId } = await startChat(app, { question: 'The printer on floor 3 is jammed' })
  const alice = await agentSession(app, 'alice')
  t.equal((await alice.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
  const made = await alice.post(`/livechat/console/chats/${chatId}/tickets`, { kind: 'incident' })
  t.equal(made.statusCode, 200)
  const ref = /<a href="\/tickets\/([A-Z]+\d+)"/.exec(made.body)![1]!
  t.equal((await alice.post(`/livechat/console/chats/${chatId}/abandon`)).statusCode, 200)
  t.equal((await admin('/livechat/admin/jobs/webhooks/run')).statusCode, 200)

  const got = receiver.received.map((r) => JSON.parse(r.body))
  t.same(got.map((p) => p.type), ['ticket.created', 'chat.abandoned'], 'no queued, assigned or message events: it did not ask for them')
  t.match(got[0].data, { chat: { id: chatId }, ticket: { ref, kind: 'incident', summary: 'The printer on floor 3 is jammed', url: `/tickets/${ref}` }, by: { kind: 'agent', name: 'Alice Adams' } })
  t.match(got[1].data, { chat: { id: chatId, status: 'abandoned' }, action: 'abandoned', by: { name: 'Alice Adams' } })
  t.equal(Number((await knex('lc_webhook_events').count({ n: '*' }).first())!.n), 2, 'events no endpoint wants are not written at all')
})
