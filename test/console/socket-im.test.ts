import t from 'tap'
import { createChatService } from '../../plugin/chats/service.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { createImService, imViewer } from '../../plugin/im/service.ts'
import type { ImViewer } from '../../plugin/im/types.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { permissionsFor, resolveSettings } from '../../plugin/settings.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import { createRoutingService } from '../../plugin/routing/service.ts'
import { createAccess } from '../../plugin/security/access.ts'
import { agentSession, build, openSocket, seqsIn, type SocketClient } from '../helpers/build.ts'
import { msgId } from '../helpers/im.ts'

const settle = async (ms = 200): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/** The seqs a socket was sent for one conversation's message list, in the order they came. */
function streamSeqs (socket: SocketClient, conversationId: number): number[] {
  const out: number[] = []
  const target = new RegExp(`<hx-partial hx-target="#lc-im-messages-${conversationId}" hx-swap="beforeend">([\\s\\S]*?)</hx-partial>`, 'g')
  for (const frame of socket.frames) for (const m of frame.matchAll(target)) out.push(...seqsIn(m[1]!))
  return out
}

t.test('instant message sockets', async (t) => {
  // The test's own services share the plugin's bus and database: what they publish reaches
  // the plugin's hub exactly as the plugin's own routes would.
  const bus = memoryBus()
  const { app, url, knex } = await build(t, { listen: true, pluginOptions: { bus } })
  t.teardown(async () => { await bus.close() })
  const origin = url
  const manifest = loadManifest()
  const settings = resolveSettings(manifest, {})
  const host = sqlHost(knex, manifest.host)
  const routing = createRoutingService({ db: knex, bus, settings: { heartbeatTimeoutSeconds: settings.heartbeatTimeoutSeconds } })
  const chats = createChatService({ db: knex, bus, host, routing, settings: { maxMessageLength: settings.maxMessageLength } })
  const im = createImService({ db: knex, bus, host, chats, routing, settings, base: '/livechat' })
  const access = createAccess({ host, settings, routing })
  const viewer = async (username: string): Promise<ImViewer> => {
    const [user] = (await host.findUsers(username)).filter((u) => u.username === username)
    const permissions = permissionsFor(settings, user!.roles)
    return await imViewer({ user: user!, permissions, by: { id: user!.id, name: user!.name, ip: null }, can: (p) => permissions.has(p), scope: async () => await access.scopeOf(user!, permissions) })
  }
  const alice = await viewer('alice')
  const bob = await viewer('bob')
  const carol = await viewer('carol')
  const admin = await viewer('admin')
  const sessions = { alice: await agentSession(app, 'alice'), bob: await agentSession(app, 'bob'), carol: await agentSession(app, 'carol') }

  async function socket (who: keyof typeof sessions, query = ''): Promise<SocketClient> {
    const s = await openSocket(url, `/livechat/ws/console${query}`, { cookie: sessions[who].cookie, origin })
    t.teardown(async () => { await s.close() })
    return s
  }

  t.test('follow by the im query: each message arrives once, in order, and only where followed', async (t) => {
    const { conversation } = await im.startThread(alice, { agentIds: [bob.id], body: 'First', clientMsgId: msgId() })
    const id = conversation.id
    const following = await socket('bob', `?im=${id}.1`)
    const elsewhere = await socket('carol')
    const plain = await socket('bob')
    await settle()
    await im.post(alice, id, 'Second', msgId())
    await Promise.all(['Third', 'Fourth', 'Fifth'].map(async (body) => await im.post(alice, id, body, msgId())))
    await following.waitFor(/data-seq="5"/)
    await settle()
    t.same(streamSeqs(following, id), [2, 3, 4, 5], 'once each, in seq order')
    t.match(following.frames.join(''), /Second/)
    t.same(streamSeqs(plain, id), [], 'a console not showing the thread is not sent its messages')
    t.same(streamSeqs(elsewhere, id), [])
    t.notMatch(elsewhere.frames.join(''), /Second|Third/, 'nothing of it reaches someone outside it')
  })

  t.test('reconnect with im=<id>.<seq>: exactly the missed messages, then live ones', async (t) => {
    const { conversation } = await im.startThread(alice, { agentIds: [bob.id], body: 'One', clientMsgId: msgId() })
    const id = conversation.id
    const first = await socket('bob', `?im=${id}.1`)
    await settle()
    await im.post(alice, id, 'Two', msgId())
    await first.waitFor(/data-seq="2"/)
    await first.close()
    for (const body of ['Three', 'Four', 'Five']) await im.post(alice, id, body, msgId())
    const again = await socket('bob', `?im=${id}.2`)
    await again.waitFor(/data-seq="5"/)
    await im.post(alice, id, 'Six', msgId())
    await again.waitFor(/data-seq="6"/)
    await settle()
    t.same(streamSeqs(again, id), [3, 4, 5, 6])
    const stranger = await socket('carol', `?im=${id}.0`)
    await settle()
    t.same(streamSeqs(stranger, id), [], 'a thread one may not see is not followed, whatever the query says')
    const bad = await openSocket(url, '/livechat/ws/console?im=7.x', { cookie: sessions.bob.cookie, origin })
    t.same(await bad.closed, { code: 1008, reason: 'LC_ERR_BAD_FRAME' }, 'a malformed im query is refused')
  })

  t.test('im_follow and im_read frames: follow what a page loaded; read clears the count; refusals are told', async (t) => {
    const { conversation } = await im.startThread(alice, { agentIds: [bob.id], body: 'Loaded by htmx', clientMsgId: msgId() })
    const id = conversation.id
    await im.post(alice, id, 'Already on the page', msgId())
    const page = await socket('bob')
    await settle()
    page.send({ type: 'im_follow', conversation_id: String(id), seq: '1', headers: { 'HX-Request': 'true' } })
    await page.waitFor(/data-seq="2"/)
    await im.post(alice, id, 'Live', msgId())
    await page.waitFor(/data-seq="3"/)
    await settle()
    t.same(streamSeqs(page, id), [2, 3], 'what it missed since seq 1, then live')
    page.send({ type: 'im_read', conversation_id: String(id), seq: '3' })
    await settle()
    t.equal((await im.get(bob, id)).unread, 0)
    const outsider = await socket('carol')
    outsider.send({ type: 'im_follow', conversation_id: String(id), seq: '0' })
    await outsider.waitFor(/data-code="LC_ERR_IM_NOT_FOUND"/)
    await im.post(alice, id, 'Not for Carol', msgId())
    outsider.send({ type: 'im_follow', conversation_id: 'abc', seq: '0' })
    await outsider.waitFor(/data-code="LC_ERR_BAD_FRAME"/)
    await settle()
    t.same(streamSeqs(outsider, id), [])
    t.equal(outsider.ws.readyState, 1, 'refused frames keep the socket open')
  })

  t.test('an agent losing room access on an open socket is unfollowed at once and told', async (t) => {
    const l1 = String((await routing.groups()).find((g) => g.name === 'Support L1')!.id)
    const sales = String((await routing.groups()).find((g) => g.name === 'Sales')!.id)
    const room = await im.createRoom(admin, { name: 'Escalations', access: [{ kind: 'group', ref: l1 }, { kind: 'group', ref: sales }] })
    const id = room.id
    await im.post(carol, id, 'Welcome', msgId())
    const watching = await socket('alice', `?im=${id}.0`)
    await watching.waitFor(/Welcome/)
    const rule = (await im.roomAccess(admin, id)).find((r) => r.ref === l1)!
    await im.removeRoomAccess(admin, id, rule.id)
    const told = await watching.waitFor(/You no longer have access to room Escalations/)
    t.match(told, new RegExp(`<hx-partial hx-target="#lc-im-conversation-${id}" hx-swap="outerHTML"><div id="lc-im-conversation-${id}"[^>]*lc-im-no-access`), 'the conversation gives way to the no-access panel')
    t.match(told, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML">/)
    const seen = streamSeqs(watching, id)
    await im.post(carol, id, 'Secret plans', msgId())
    await settle(300)
    t.same(streamSeqs(watching, id), seen, 'nothing more of the room')
    t.notMatch(watching.frames.join(''), /Secret plans/)
    watching.send({ type: 'im_follow', conversation_id: String(id), seq: '0' })
    await watching.waitFor(/data-code="LC_ERR_IM_NOT_FOUND"/)

    // A membership change does the same: Bob leaves Support L1, the room's department rule no longer admits him.
    const dept = await im.createRoom(admin, { name: 'Support all', access: [{ kind: 'department', ref: String((await routing.departments()).find((d) => d.name === 'Support')!.id) }] })
    const bobs = await socket('bob', `?im=${dept.id}.0`)
    const carols = await socket('carol', `?im=${dept.id}.0`)
    await settle()
    await routing.removeMember(Number(l1), bob.id)
    t.teardown(async () => { await routing.setMember(Number(l1), bob.id) })
    await bobs.waitFor(/You no longer have access to room Support all/)
    await im.post(carol, dept.id, 'After Bob left', msgId())
    await carols.waitFor(/After Bob left/)
    await settle()
    t.notMatch(bobs.frames.join(''), /After Bob left/)
    t.notMatch(carols.frames.join(''), /no longer have access/, 'others keep following')
  })
})
