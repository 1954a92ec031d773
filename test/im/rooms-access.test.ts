import t from 'tap'
import { agentSession, build, openSocket, type SocketClient } from '../helpers/build.ts'

const settle = async (ms = 300): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

/**
 * Who may see a chat room, route by route (rooms for whole departments, groups or roles,
 * docs/features.md#chat-rooms): list, page, history, posting and following it over a real
 * console socket, for a room per kind of permission and agents each admits or not.
 */
t.test('chat room permissions over HTTP and the console socket', async (t) => {
  const { app, knex, url } = await build(t, { listen: true })
  const origin = url
  // An agent outside Support: in the Sales group only, so no permission below admits her.
  const alice = await knex('users').where({ username: 'alice' }).first()
  await knex('users').insert({ username: 'olga', name: 'Olga Outside', email: 'olga@helpdesk.example', password_hash: alice.password_hash, roles: 'agent', created_at: Date.now() })
  const sam = await agentSession(app, 'sam')
  const admin = await agentSession(app, 'admin')
  const carol = await agentSession(app, 'carol')
  const olga = await agentSession(app, 'olga')
  const aliceS = await agentSession(app, 'alice')
  const group = async (name: string): Promise<number> => Number((await knex('lc_groups').where({ name }).first('id')).id)
  const support = Number((await knex('lc_departments').where({ name: 'Support' }).first('id')).id)
  const [l1, l2, sales] = [await group('Support L1'), await group('Support L2'), await group('Sales')]
  t.equal((await admin.post(`/livechat/admin/groups/${sales}/members`, { username: 'olga' })).statusCode, 200)

  async function createRoom (name: string, access: string[]): Promise<number> {
    const res = await sam.post('/livechat/console/rooms', { name, access })
    if (res.statusCode !== 200) throw new Error(`creating ${name}: ${res.statusCode} ${res.body}`)
    return Number((await knex('lc_im_conversations').where({ kind: 'room', name }).first('id')).id)
  }
  const rooms = {
    department: await createRoom('Support department', [`department:${support}`]),
    group: await createRoom('Second line group', [`group:${l2}`]),
    role: await createRoom('Supervisors role', ['role:supervisor'])
  }
  type Kind = keyof typeof rooms
  const kinds = Object.keys(rooms) as Kind[]
  // Sam (a supervisor, an inactive member of every group) is admitted everywhere and writes the test messages.
  const agents = { alice: aliceS, carol, sam, olga }
  const admitted: Record<keyof typeof agents, Kind[]> = {
    alice: ['department'],
    carol: ['department', 'group'],
    sam: ['department', 'group', 'role'],
    olga: []
  }
  let n = 0
  const msgId = (): string => `access-test-${++n}`.padEnd(12, '0')
  const post = async (who: typeof sam, id: number, body: string) => await who.post(`/livechat/console/im/${id}/messages`, { body, client_msg_id: msgId(), place: 'page' })
  const get = async (who: typeof sam, path: string, htmx = true) => await app.inject({ url: path, headers: { cookie: who.cookie, ...htmx ? { 'hx-request': 'true' } : {} } })
  const messageRows = async () => await knex('lc_im_messages').orderBy('id')
  const sockets: SocketClient[] = []
  t.teardown(async () => { for (const s of sockets) await s.close() })
  const consoleSocket = async (who: typeof sam, query = ''): Promise<SocketClient> => {
    const s = await openSocket(url, `/livechat/ws/console${query}`, { cookie: who.cookie, origin })
    sockets.push(s)
    return s
  }

  t.test('each agent sees, reads, writes in and follows exactly the rooms that admit them', async (t) => {
    for (const [name, who] of Object.entries(agents) as Array<[keyof typeof agents, typeof sam]>) {
      const list = await get(who, '/livechat/console/rooms', false)
      for (const kind of kinds) {
        const id = rooms[kind]
        const yes = admitted[name].includes(kind)
        const label = `${name} / room for a ${kind}`
        t.equal(list.body.includes(`id="lc-room-row-${id}"`), yes, `${label}: listed ${yes ? '' : 'not '}in Chat Rooms`)
        const page = await get(who, `/livechat/console/rooms/${id}`, false)
        t.equal(page.statusCode, yes ? 200 : 404, `${label}: the room's page`)
        const history = await get(who, `/livechat/console/im/${id}/messages?before=1000`)
        t.equal(history.statusCode, yes ? 200 : 404, `${label}: older messages`)
        const tab = await get(who, `/livechat/console/rooms/${id}/tabs/access`)
        t.equal(tab.statusCode, yes ? 200 : 404, `${label}: With Access`)
        const before = await messageRows()
        const sent = await post(who, id, `${name} writes in the ${kind} room`)
        t.equal(sent.statusCode, yes ? 200 : 404, `${label}: posting`)
        if (!yes) {
          t.match(sent.body, /data-code="LC_ERR_IM_NOT_FOUND"/, `${label}: told as for a room that does not exist`)
          t.same(await messageRows(), before, `${label}: nothing stored`)
        }
      }
    }

    // Over the console socket: each follows the three rooms (as a page loading them by htmx
    // does), then Sam writes in each. Those admitted get it; the others were refused and get nothing.
    const open = Object.fromEntries(await Promise.all(Object.entries(agents).map(async ([name, who]) => {
      const s = await consoleSocket(who)
      for (const kind of kinds) s.send({ type: 'im_follow', conversation_id: String(rooms[kind]), seq: '0', headers: { 'HX-Request': 'true' } })
      return [name, s] as const
    }))) as Record<keyof typeof agents, SocketClient>
    await settle()
    for (const kind of kinds) t.equal((await post(sam, rooms[kind], `live in the ${kind} room`)).statusCode, 200)
    for (const [name, s] of Object.entries(open) as Array<[keyof typeof agents, SocketClient]>) {
      for (const kind of admitted[name]) {
        const frame = await s.waitFor(new RegExp(`live in the ${kind} room`))
        t.match(frame, new RegExp(`<hx-partial hx-target="#lc-im-messages-${rooms[kind]}" hx-swap="beforeend">`), `${name} follows the ${kind} room`)
      }
    }
    await settle()
    for (const [name, s] of Object.entries(open) as Array<[keyof typeof agents, SocketClient]>) {
      const refused = kinds.filter((k) => !admitted[name].includes(k))
      for (const kind of refused) {
        t.notOk(s.frames.some((f) => f.includes(`in the ${kind} room`)), `${name} is sent nothing of the ${kind} room`)
      }
      t.equal(s.frames.filter((f) => f.includes('data-code="LC_ERR_IM_NOT_FOUND"')).length, refused.length, `${name}: each refused follow is answered, as for a room that does not exist`)
    }

    // A socket that names the rooms in its address when it opens (a reconnect) is held to the same rule.
    const ids = kinds.map((k) => `${rooms[k]}.0`).join(',')
    const olgaAgain = await consoleSocket(olga, `?im=${ids}`)
    const aliceAgain = await consoleSocket(aliceS, `?im=${ids}`)
    await aliceAgain.waitFor(/live in the department room/)
    await settle()
    t.notOk(olgaAgain.frames.some((f) => /in the (department|group|role) room/.test(f)), 'olga resumes nothing')
    t.notOk(aliceAgain.frames.some((f) => /in the (group|role) room/.test(f)), 'alice resumes only the room that admits her')
  })

  t.test('a room manager no permission admits: listed everything to manage, reads and follows nothing', async (t) => {
    const list = await get(admin, '/livechat/console/rooms', false)
    for (const kind of kinds) {
      const id = rooms[kind]
      t.match(list.body, new RegExp(`id="lc-room-row-${id}"[\\s\\S]*?You manage this room; none of its permissions admits you`), `${kind}: listed, to manage`)
      const page = await get(admin, `/livechat/console/rooms/${id}`, false)
      t.equal(page.statusCode, 200, `${kind}: the page opens, for the managers' panel`)
      t.notMatch(page.body, /live in the|lc-im-messages-/, `${kind}: without the conversation`)
      for (const [what, res] of [
        ['older messages', await get(admin, `/livechat/console/im/${id}/messages?before=1000`)],
        ['posting', await post(admin, id, 'managers write too?')],
        ['transcript', await get(admin, `/livechat/console/im/${id}/transcript`)]
      ] as const) {
        t.equal(res.statusCode, 403, `${kind}: ${what}`)
        t.match(res.body, /LC_ERR_IM_ROOM_NOT_ADMITTED/, `${kind}: ${what}`)
      }
    }
    const s = await consoleSocket(admin)
    s.send({ type: 'im_follow', conversation_id: String(rooms.role), seq: '0' })
    await s.waitFor(/data-code="LC_ERR_IM_ROOM_NOT_ADMITTED"/)
    await post(sam, rooms.role, 'not for the administrator')
    await settle()
    t.notOk(s.frames.some((f) => f.includes('not for the administrator')))
  })

  t.test('removing a permission takes effect at once: the open socket stops, is told, and the room is gone for them', async (t) => {
    const id = await createRoom('Shift handover', [`group:${l1}`, 'role:supervisor'])
    t.equal((await post(aliceS, id, 'alice was here')).statusCode, 200)
    const s = await consoleSocket(aliceS, `?im=${id}.0`)
    await s.waitFor(/alice was here/)
    await post(sam, id, 'before the change')
    await s.waitFor(/before the change/)

    const rule = await knex('lc_im_room_access').where({ conversation_id: id, kind: 'group' }).first()
    const removed = await sam.post(`/livechat/console/rooms/${id}/access/${rule.id}/remove`)
    t.equal(removed.statusCode, 200)
    const told = await s.waitFor(/You no longer have access to room Shift handover/)
    t.match(told, new RegExp(`<hx-partial hx-target="#lc-im-conversation-${id}" hx-swap="outerHTML"><div id="lc-im-conversation-${id}" class="lc-conversation lc-im-conversation lc-im-no-access"`), 'the conversation is replaced by the no-access panel')
    t.notMatch(told, /before the change|alice was here/, 'which shows nothing of it')

    await post(sam, id, 'after the change')
    await settle()
    t.notOk(s.frames.some((f) => f.includes('after the change')), 'nothing more is sent to her socket')
    t.equal((await get(aliceS, `/livechat/console/rooms/${id}`, false)).statusCode, 404, 'the page is gone')
    t.equal((await get(aliceS, `/livechat/console/im/${id}/messages?before=1000`)).statusCode, 404, 'and its history')
    const before = await messageRows()
    t.equal((await post(aliceS, id, 'still here?')).statusCode, 404, 'she cannot post')
    t.same(await messageRows(), before)
    t.notMatch((await get(aliceS, '/livechat/console/rooms', false)).body, /Shift handover/, 'nor list it')
    s.send({ type: 'im_follow', conversation_id: String(id), seq: '0' })
    await s.waitFor(/data-code="LC_ERR_IM_NOT_FOUND"/)
    await post(sam, id, 'after following again')
    await settle()
    t.notOk(s.frames.some((f) => f.includes('after following again')), 'following again is refused')

    // Sam's socket, still admitted by his role, keeps following throughout.
    const samSocket = await consoleSocket(sam, `?im=${id}.0`)
    await samSocket.waitFor(/after following again/)
    await post(sam, id, 'sam still reads')
    await samSocket.waitFor(/sam still reads/)
    t.notOk(samSocket.frames.some((f) => f.includes('You no longer have access')))
  })
})
