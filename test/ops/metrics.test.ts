import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { agentSession, build, cookiesOf, joinCookies, login, openSocket, sameOrigin, startChat } from '../helpers/build.ts'

// Prometheus metrics (docs/features.md#metrics): off until a token is set, then only for a
// scraper that sends it; every documented metric is there, and a chat's life shows in them.

const token = 'metrics-token-0123456789abcdef0123456789'
const settings = { chatStartsPerMinute: 1000, messagesPerMinute: 10000, metricsToken: token }
const documented = [
  'livechat_chats', 'livechat_queue_length', 'livechat_queue_longest_wait_seconds', 'livechat_first_response_seconds',
  'livechat_wait_seconds', 'livechat_sockets', 'livechat_bus_events_total', 'livechat_job_runs_total',
  'livechat_job_duration_seconds', 'livechat_db_pool'
]

/** The value of one sample line, e.g. `livechat_chats{status="active"}`; undefined when absent. */
function sample (text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

t.test('off by default: 404, with or without a token', async (t) => {
  const { app } = await build(t)
  for (const headers of [{}, { authorization: `Bearer ${token}` }]) {
    const res = await app.inject({ url: '/livechat/metrics', headers: { accept: 'application/json', ...headers } })
    t.equal(res.statusCode, 404)
    t.equal(res.json().code, 'LC_ERR_NOT_FOUND')
  }
})

t.test('with a token', async (t) => {
  const { app, knex, url } = await build(t, { listen: true, pluginOptions: { settings } })
  const scrape = async (authorization?: string): Promise<LightMyRequestResponse> =>
    await app.inject({ url: '/livechat/metrics', headers: { accept: 'application/json', ...(authorization ? { authorization } : {}) } })

  t.test('401 with a coded error without the token, with another, or not as a bearer token', async (t) => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${token}x`, `Basic ${token}`, token]) {
      const res = await scrape(authorization)
      t.equal(res.statusCode, 401, String(authorization))
      t.equal(res.json().code, 'LC_ERR_METRICS_TOKEN')
      t.match(res.headers['www-authenticate'], /^Bearer /, 'says how to authenticate')
    }
  })

  t.test('200 in the Prometheus text format, every documented metric named', async (t) => {
    const res = await scrape(`Bearer ${token}`)
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
    for (const name of documented) t.match(res.body, new RegExp(`^# TYPE ${name} `, 'm'), name)
    for (const state of ['used', 'free', 'pending']) t.not(sample(res.body, `livechat_db_pool{state="${state}"}`), undefined, `pool ${state}`)
  })

  t.test('a chat queued, accepted and answered shows in the gauges and histograms', async (t) => {
    const { chatId } = await startChat(app)
    let text = (await scrape(`Bearer ${token}`)).body
    t.equal(sample(text, 'livechat_chats{status="queued"}'), 1)
    const group = /^livechat_queue_length\{group="([^"]+)"\} 1$/m.exec(text)?.[1]
    t.ok(group, 'the queue of its group has it')
    t.ok(sample(text, `livechat_queue_longest_wait_seconds{group="${group}"}`)! >= 0, 'and says how long it has waited')

    const alice = await agentSession(app, 'alice')
    t.equal((await alice.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
    const agent = await openSocket(url, '/livechat/ws/console', { cookie: alice.cookie, origin: url })
    t.teardown(async () => { await agent.close() })
    await agent.waitFor(/lc-/, 8000)
    agent.send({ type: 'message', chat_id: String(chatId), body: 'Hello, how can I help?', client_msg_id: 'metrics-0000001', headers: { 'HX-Request': 'true' } })
    await agent.waitFor(/how can I help/, 8000)

    text = (await scrape(`Bearer ${token}`)).body
    t.equal(sample(text, 'livechat_chats{status="active"}'), 1)
    t.equal(sample(text, 'livechat_chats{status="queued"}'), undefined, 'no longer queued')
    t.notOk(/^livechat_queue_length\{/m.test(text), 'the queue is empty')
    t.ok(sample(text, 'livechat_wait_seconds_count')! >= 1, 'its wait was observed')
    t.ok(sample(text, 'livechat_first_response_seconds_count')! >= 1, 'and its first response')
    t.equal(sample(text, 'livechat_sockets{audience="agent"}'), 1, 'the open console counts')
    t.ok(sample(text, 'livechat_bus_events_total{direction="published",type="chat.message"}')! >= 2, 'messages published')
    t.ok(sample(text, 'livechat_bus_events_total{direction="received",type="chat.updated"}')! >= 1, 'updates received')

    await agent.close()
    // The close reaches the server a moment after the client sees it.
    for (let i = 0; i < 50 && sample((await scrape(`Bearer ${token}`)).body, 'livechat_sockets{audience="agent"}') !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    t.equal(sample((await scrape(`Bearer ${token}`)).body, 'livechat_sockets{audience="agent"}'), 0, 'a closed console no longer counts')
    t.ok(await knex('lc_chats').where({ id: chatId, status: 'active' }).first())
  })

  t.test('a job run counts, with its duration', async (t) => {
    const adminSession = await login(app, 'admin')
    const page = await app.inject({ url: '/livechat/admin/jobs', headers: { cookie: adminSession } })
    const csrf = /name="lc-csrf" content="([^"]+)"/.exec(page.body)![1]!
    const cookie = joinCookies(adminSession, cookiesOf(page))
    const run = await app.inject({
      method: 'POST', url: '/livechat/admin/jobs/presence-sweep/run', payload: {}, headers: { cookie, 'x-csrf-token': csrf, 'hx-request': 'true', ...sameOrigin }
    })
    t.equal(run.statusCode, 200)
    const text = (await scrape(`Bearer ${token}`)).body
    t.equal(sample(text, 'livechat_job_runs_total{task="presence-sweep",outcome="ok"}'), 1)
    t.equal(sample(text, 'livechat_job_duration_seconds_count{task="presence-sweep"}'), 1)
  })
})
