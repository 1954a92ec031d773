import t from 'tap'
import { agentSession, build, login, openSocket, startChat } from '../helpers/build.ts'

/** The value of a tile in the board's first section (the whole scope), from a page or a pushed frame. */
function tile (html: string, id: string): { value: string, level: string } | null {
  const first = html.slice(html.indexOf('data-section="0"'), html.indexOf('data-section="1"'))
  const m = new RegExp(`data-tile="${id}" data-level="(\\w+)"><span class="lc-tile__value">([^<]*)</span>`).exec(first)
  return m ? { level: m[1]!, value: m[2]! } : null
}

t.test('wallboard', async (t) => {
  const { app, url } = await build(t, { listen: true, pluginOptions: { settings: { chatStartsPerMinute: 1000, messagesPerMinute: 10000, wallboardQueueAmber: 1, wallboardQueueRed: 2 } } })
  const sam = await login(app, 'sam')
  const get = async (cookie: string, q = '') => await app.inject({ method: 'GET', url: `/livechat/console/wallboard${q}`, headers: { cookie } })

  t.test('supervisors and administrators only', async (t) => {
    t.equal((await get(await login(app, 'alice'))).statusCode, 403, 'an agent')
    t.equal((await app.inject({ method: 'GET', url: '/livechat/console/wallboard' })).statusCode, 401)
    const page = await get(sam)
    t.equal(page.statusCode, 200)
    t.match(page.body, /hx-ws:connect="\/livechat\/ws\/console\?wallboard(=|&#x3D;)1"/)
    t.same(tile(page.body, 'waiting'), { value: '0', level: 'ok' })
    const tv = await get(await login(app, 'admin'), '?tv=1')
    t.match(tv.body, /<body class="lc-admin-page lc-wallboard-page lc-wallboard-page--tv">/)
    t.notMatch(tv.body, /lc-topbar/, 'no navigation on the TV')
    t.equal((await get(sam, '?tv=yes')).statusCode, 400)
  })

  t.test('pushed live as a chat is queued, answered and ended', async (t) => {
    const socket = await openSocket(url, '/livechat/ws/console?wallboard=1', { cookie: sam, origin: url })
    t.teardown(() => socket.close())
    const { chatId } = await startChat(app, { question: 'Printer keeps jamming' })
    const queued = await socket.waitFor(/id="lc-wallboard"[\s\S]*data-tile="waiting" data-level="amber"><span class="lc-tile__value">1</)
    t.same(tile(queued, 'started'), { value: '1', level: 'ok' })
    t.match(queued, /<hx-partial hx-target="#lc-wallboard" hx-swap="outerHTML">/, 'the same partial, replacing the board')
    const alice = await agentSession(app, 'alice')
    await alice.post(`/livechat/console/chats/${chatId}/accept`)
    const answered = await socket.waitFor(/data-tile="active" data-level="ok"><span class="lc-tile__value">1</)
    t.same(tile(answered, 'waiting'), { value: '0', level: 'ok' })
    await alice.post(`/livechat/console/chats/${chatId}/end`)
    const ended = await socket.waitFor(/data-tile="missed" data-level="amber"><span class="lc-tile__value">1</)
    t.same(tile(ended, 'active'), { value: '0', level: 'ok' }, 'ended without a reply: missed')
  })
})
