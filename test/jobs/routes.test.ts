import type { LightMyRequestResponse } from 'fastify'
import t from 'tap'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import { build, cookiesOf, joinCookies, login, openSocket, sameOrigin, startChat } from '../helpers/build.ts'

const minute = 60_000
const jobIds = ['presence-sweep', 'customer-gone', 'reoffer', 'purge', 'idle-end', 'queue-timeout']

t.test('scheduled jobs page', async (t) => {
  let now = Date.now()
  const clock = (): number => now
  const { app, knex, url } = await build(t, { listen: true, pluginOptions: { bus: memoryBus(), clock, instanceName: 'instance-a', settings: { chatStartsPerMinute: 1000, messagesPerMinute: 10000, jobSchedules: { purge: '0 3 * * *' } } } })

  const adminSession = await login(app, 'admin')
  const page = await app.inject({ url: '/livechat/admin/jobs', headers: { cookie: adminSession } })
  const token = /name="lc-csrf" content="([^"]+)"/.exec(page.body)![1]!
  const csrfCookie = cookiesOf(page)
  async function client (username?: string) {
    const cookie = joinCookies(username ? await login(app, username) : '', csrfCookie)
    return {
      get: async (path: string): Promise<LightMyRequestResponse> => await app.inject({ url: path, headers: { cookie } }),
      post: async (path: string, headers: Record<string, string> = { 'x-csrf-token': token }): Promise<LightMyRequestResponse> => await app.inject({
        method: 'POST', url: path, payload: {}, headers: { cookie, 'hx-request': 'true', ...sameOrigin, ...headers }
      })
    }
  }
  const [admin, alice, sam, dana] = [await client('admin'), await client('alice'), await client('sam'), await client('dana')]
  const card = (html: string, id: string): string => new RegExp(`<article id="lc-admin-job-${id}"[\\s\\S]*?</article>`).exec(html)?.[0] ?? ''

  t.test('GET /admin/jobs: 401 signed out, 403 for agents, supervisors and customers', async (t) => {
    const out = await app.inject({ url: '/livechat/admin/jobs', headers: { accept: 'application/json' } })
    t.equal(out.statusCode, 401)
    t.equal(out.json().code, 'LC_ERR_UNAUTHENTICATED')
    for (const who of [alice, sam, dana]) {
      const res = await who.get('/livechat/admin/jobs')
      t.equal(res.statusCode, 403)
      t.match(res.body, /You need the livechat.admin permission for this/)
    }
    t.equal((await admin.get('/livechat/admin/jobs?x=1')).statusCode, 400, 'nothing else in the address')
  })

  t.test('GET /admin/jobs: every job with its description, schedule, next run and Run now', async (t) => {
    const res = await admin.get('/livechat/admin/jobs')
    t.equal(res.statusCode, 200)
    t.match(res.body, '<a href="/livechat/admin/jobs" aria-current="page">Scheduled jobs</a>')
    t.match(res.body, 'this page was served by instance-a')
    for (const id of jobIds) {
      const html = card(res.body, id)
      t.match(html, `<h2>${id}</h2>`, id)
      t.match(html, /<dt>Next run<\/dt><dd><time datetime="[^"]+">\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/time><\/dd>/)
      t.match(html, 'Not run yet')
      t.match(html, `hx-post="/livechat/admin/jobs/${id}/run" hx-target="#lc-notice" hx-swap="none"`)
    }
    t.match(card(res.body, 'purge'), '<code>0 3 * * *</code> <small>from the jobSchedules setting</small>')
    t.match(card(res.body, 'purge'), 'Removes chats deleted more than purgeAfterDays ago')
    t.match(card(res.body, 'idle-end'), '<code>15 * * * * *</code> <small>from the manifest</small>')
  })

  t.test('POST /admin/jobs/:id/run: refused without the CSRF token, to non-admins, for unknown jobs', async (t) => {
    const noToken = await admin.post('/livechat/admin/jobs/presence-sweep/run', {})
    t.equal(noToken.statusCode, 403)
    t.match(noToken.body, 'data-code="LC_ERR_CSRF"')
    for (const who of [alice, sam]) {
      const res = await who.post('/livechat/admin/jobs/presence-sweep/run')
      t.equal(res.statusCode, 403)
      t.match(res.body, 'data-code="LC_ERR_FORBIDDEN"')
    }
    const unknown = await admin.post('/livechat/admin/jobs/nightly/run')
    t.equal(unknown.statusCode, 404)
    t.match(unknown.body, 'data-code="LC_ERR_JOB_UNKNOWN"')
    t.match(unknown.body, /There is no scheduled job &quot;nightly&quot;; the jobs are presence-sweep, customer-gone, reoffer, purge, idle-end, queue-timeout/)
    t.equal((await admin.post('/livechat/admin/jobs/Purge!/run')).statusCode, 400)
    t.equal((await knex('lc_job_runs')).length, 0, 'nothing ran')
  })

  t.test('POST /admin/jobs/:id/run: runs the job at once and shows the outcome in the notice and on its card', async (t) => {
    const res = await admin.post('/livechat/admin/jobs/presence-sweep/run')
    t.equal(res.statusCode, 200)
    t.match(res.body, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML">[\s\S]*data-code="LC_OK"[\s\S]*presence-sweep ran in \d+\.\d s: 0 rows/)
    t.match(res.body, /hx-target="#lc-admin-job-presence-sweep" hx-swap="outerHTML"/)
    t.match(card(res.body, 'presence-sweep'), /data-state="ok">OK<\/span>/)
    t.match(card(res.body, 'presence-sweep'), /Run now by Ada Admin on instance-a/)
    const [run] = await knex('lc_job_runs').where({ job: 'presence-sweep' })
    t.equal(run.trigger, 'manual')
    t.equal(run.started_by, 'Ada Admin')
    t.equal(run.owner, 'instance-a')
    t.match(card((await admin.get('/livechat/admin/jobs')).body, 'presence-sweep'), 'Run now by Ada Admin on instance-a')
  })

  t.test('POST /admin/jobs/:id/run: 409 naming the instance when another one is running it', async (t) => {
    await knex('lc_job_locks').insert({ name: 'reoffer', owner: 'instance-b', locked_until: now + minute, last_started_at: now - 2000 }).onConflict('name').merge()
    const res = await admin.post('/livechat/admin/jobs/reoffer/run')
    t.equal(res.statusCode, 409)
    t.match(res.body, 'data-code="LC_ERR_JOB_RUNNING"')
    t.match(res.body, /The reoffer job is already running on instance instance-b \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\); its outcome will show on this page when it finishes/)
    t.equal((await knex('lc_job_runs').where({ job: 'reoffer' })).length, 0)
    t.match(card((await admin.get('/livechat/admin/jobs')).body, 'reoffer'), /data-state="running">Running on instance-b/)
    await knex('lc_job_locks').where({ name: 'reoffer' }).update({ locked_until: 0 })
  })

  t.test('POST /admin/jobs/:id/run: a run with an error says so in a warning, with what it did', async (t) => {
    const { chatId } = await startChat(app, { name: 'Odd File' })
    await knex('lc_chat_files').insert({ chat_id: chatId, storage_name: '../outside', name: 'x.txt', type: 'text/plain', size: 1, sha256: '0'.repeat(64), author_kind: 'customer', author_id: null, author_name: 'x', created_at: now })
    await knex('lc_chats').where('id', chatId).update({ status: 'cancelled', deleted_at: now - 100 * 24 * 60 * minute })
    const res = await admin.post('/livechat/admin/jobs/purge/run')
    t.equal(res.statusCode, 200)
    t.match(res.body, 'data-code="LC_WARN_JOB_RUN"')
    t.match(res.body, /purge ran in \d+\.\d s with an error: 1 file could not be removed from the upload directory: \.\.\/outside: not a name this plugin stores files under \(Purged 1 chat/)
    t.match(card(res.body, 'purge'), /data-state="error">Error<\/span>/)
    t.equal(await knex('lc_chats').where('id', chatId).first(), undefined)
  })

  t.test('queue timeout: the customer\'s window says no agent could answer and names the ticket made from the question', async (t) => {
    const { chatId, cookie } = await startChat(app, { name: 'Waiting Wendy', email: 'wendy@customer.example', question: 'Where is my invoice?' })
    const customer = await openSocket(url, `/livechat/ws/chat/${chatId}?since=${chatId}.1`, { cookie, origin: url })
    t.teardown(async () => { await customer.close() })
    await customer.waitFor(/lc-status/)
    now += 15 * minute + 1
    const res = await admin.post('/livechat/admin/jobs/queue-timeout/run')
    t.equal(res.statusCode, 200)
    t.match(res.body, /queue-timeout ran in \d+\.\d s: Closed 1 chat queued over 15 minutes into tickets/)
    const ticket = await knex('tickets').where('chat_id', chatId).first()
    t.match(String(ticket.ref), /^TKT/)

    const frame = await customer.waitFor(/lc-status__text">No agent could answer in time/)
    t.match(frame, `<p class="lc-status__detail">We have created ticket ${String(ticket.ref)} from your question; the team will reply to wendy@customer.example.</p>`)
    await customer.waitFor(new RegExp(`No agent could answer in time, so we have created ticket ${String(ticket.ref)} from your question`))
    await customer.waitFor(/your question was sent to the team as a ticket/)

    const window = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })
    t.match(window.body, /<p class="lc-status__text">No agent could answer in time<\/p>/)
    t.match(window.body, `<p class="lc-status__detail">We have created ticket ${String(ticket.ref)} from your question; the team will reply to wendy@customer.example.</p>`)
    t.match(window.body, 'No agent could answer in time; your question was sent to the team as a ticket.')
    t.notMatch(window.body, 'You left the queue')

    const history = await admin.get(`/livechat/console/chats/${chatId}/tabs/history`)
    t.match(history.body, `Closed the chat after 15 minutes in the queue with no agent, and made ticket ${String(ticket.ref)} from the customer&#x27;s question`)
  })

  t.test('idle end: a chat whose customer left is ended by Run now of customer-gone, then of idle-end', async (t) => {
    const { chatId, cookie } = await startChat(app, { name: 'Gone Gary' })
    const bob = await client('bob')
    t.equal((await bob.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
    now += 3 * minute
    t.match((await admin.post('/livechat/admin/jobs/customer-gone/run')).body, /customer-gone ran in [\d.]+ s: Marked 1 chat whose customer left the window/)
    now += 31 * minute
    t.match((await admin.post('/livechat/admin/jobs/idle-end/run')).body, /idle-end ran in [\d.]+ s: Ended 1 chat whose customer had been gone for 30 minutes/)
    const window = await app.inject({ url: `/livechat/chat/${chatId}`, headers: { cookie } })
    t.match(window.body, /Ended automatically: the customer left 34 minutes ago/)
    t.match(window.body, '<p class="lc-status__text">This chat has ended</p>')
    const pane = await bob.get(`/livechat/console/chats/${chatId}`)
    t.match(pane.body, 'Live chat closed this chat automatically.')
    const history = await bob.get(`/livechat/console/chats/${chatId}/tabs/history`)
    t.match(history.body, 'Ended the chat automatically: the customer had left 34 minutes before (after 30 minutes gone, chats end)')
  })
})
