import t from 'tap'
import { agentSession, build, login, openSocket, sameOrigin, startChat } from '../helpers/build.ts'

// Turning live chat off in the help desk is a hard stop (docs/features.md#turning-it-off):
// open consoles and chat windows are told and closed, frames are refused unread, jobs rest;
// turning it on again lets everything back in.

const settle = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

t.test('turning live chat off and on again', async (t) => {
  const { app, knex, url } = await build(t, { listen: true, pluginOptions: { jobs: true, settings: { jobSchedules: { 'presence-sweep': '* * * * * *' } } } })
  const { chatId, cookie } = await startChat(app)
  const alice = await agentSession(app, 'alice')
  t.equal((await alice.post(`/livechat/console/chats/${chatId}/accept`)).statusCode, 200)
  const agent = await openSocket(url, '/livechat/ws/console', { cookie: alice.cookie, origin: url })
  const customer = await openSocket(url, `/livechat/ws/chat/${chatId}`, { cookie, origin: url })
  const admin = await login(app, 'admin')
  const toggle = async (action: 'enable' | 'disable') => await app.inject({ method: 'POST', url: `/admin/plugins/livechat/${action}`, headers: { cookie: admin, ...sameOrigin } })
  const presenceRuns = async () => Number((await knex('lc_job_runs').where({ job: 'presence-sweep' }).count({ n: '*' }).first())!.n)

  t.equal((await toggle('disable')).statusCode, 303)

  t.test('both sides are told, and their sockets closed with 1012 so they come back when it is on', async (t) => {
    for (const [who, socket] of [['agent', agent], ['customer', customer]] as const) {
      const told = await socket.waitFor(/LC_ERR_TURNED_OFF/, 8000)
      t.match(told, /Live chat has been turned off by the help desk/, `${who} is told`)
      t.equal((await socket.closed).code, 1012, `${who}'s socket closed to come back`)
    }
  })

  t.test('nothing is written: the host refuses the pages, and the jobs rest', async (t) => {
    t.equal((await app.inject({ url: '/livechat/console', headers: { cookie: alice.cookie } })).statusCode, 404)
    const before = await presenceRuns()
    await settle(2500)
    t.equal(await presenceRuns(), before, 'no job ran while it was off')
  })

  t.test('turned on again: sockets come back and the jobs run', async (t) => {
    t.equal((await toggle('enable')).statusCode, 303)
    const again = await openSocket(url, '/livechat/ws/console', { cookie: alice.cookie, origin: url })
    t.teardown(async () => { await again.close() })
    await again.waitFor(/lc-/, 8000)
    again.send({ type: 'message', chat_id: String(chatId), body: 'Back again', client_msg_id: 'back-0000001', headers: { 'HX-Request': 'true' } })
    await again.waitFor(/Back again/, 8000)
    const before = await presenceRuns()
    await settle(2500)
    t.ok(await presenceRuns() > before, 'the jobs run again')
  })
})
