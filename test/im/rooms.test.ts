import t from 'tap'
import { agentSession, build, sameOrigin } from '../helpers/build.ts'

t.test('chat rooms over HTTP', async (t) => {
  const { app, knex } = await build(t)
  const sam = await agentSession(app, 'sam')
  const admin = await agentSession(app, 'admin')
  const alice = await agentSession(app, 'alice')
  const bob = await agentSession(app, 'bob')
  const carol = await agentSession(app, 'carol')
  const get = async (cookie: string, url: string, htmx = false) => await app.inject({ url, headers: { cookie, ...htmx ? { 'hx-request': 'true' } : {} } })
  const department = async (name: string): Promise<number> => Number((await knex('lc_departments').where({ name }).first('id')).id)
  const group = async (name: string): Promise<number> => Number((await knex('lc_groups').where({ name }).first('id')).id)
  const support = await department('Support')
  const l1 = await group('Support L1')
  const l2 = await group('Support L2')
  const sales = await group('Sales')
  let n = 0
  const msgId = (): string => `rooms-test-${++n}`.padEnd(12, '0')
  /** Every row the rooms are made of: what a refusal must leave as it was. */
  const stored = async () => ({
    conversations: await knex('lc_im_conversations').orderBy('id'),
    access: await knex('lc_im_room_access').orderBy('id'),
    participants: await knex('lc_im_participants').orderBy(['conversation_id', 'agent_id']),
    messages: await knex('lc_im_messages').orderBy('id')
  })
  const roomId = async (name: string): Promise<number> => Number((await knex('lc_im_conversations').where({ kind: 'room', name }).first('id')).id)
  async function createRoom (name: string, access: string[]): Promise<number> {
    const res = await sam.post('/livechat/console/rooms', { name, access })
    if (res.statusCode !== 200) throw new Error(`creating ${name}: ${res.statusCode} ${res.body}`)
    return await roomId(name)
  }
  const post = async (who: typeof alice, id: number, body: string, clientMsgId = msgId()) =>
    await who.post(`/livechat/console/im/${id}/messages`, { body, client_msg_id: clientMsgId, place: 'page' })

  t.test('New room: the form offers departments, groups and roles; only room managers get it', async (t) => {
    const modal = await get(sam.cookie, '/livechat/console/rooms/new', true)
    t.equal(modal.statusCode, 200)
    t.match(modal.body, /^<hx-partial hx-target="#lc-room-modal" hx-swap="outerHTML"><div id="lc-room-modal" class="lc-room-modal">\s*<dialog open/)
    t.match(modal.body, /<form id="lc-room-form"[^>]*hx-post="\/livechat\/console\/rooms" hx-target="#lc-notice" hx-swap="none"/)
    t.match(modal.body, new RegExp(`<optgroup label="Departments">[\\s\\S]*value="department:${support}">Support<[\\s\\S]*<optgroup label="Groups">[\\s\\S]*value="group:${l1}">Support L1 \\(Support\\)<[\\s\\S]*<optgroup label="Roles">[\\s\\S]*value="role:supervisor">supervisor<`))
    t.match(modal.body, /Nobody yet: add at least one department, group or role/)
    t.match(modal.body, /name="place" value="dialog"[\s\S]*<button type="submit" form="lc-room-cancel">Cancel<\/button>[\s\S]*<form id="lc-room-cancel" method="dialog"><\/form>/, 'Cancel closes the dialog')
    const page = await get(sam.cookie, '/livechat/console/rooms/new')
    t.equal(page.statusCode, 200)
    t.match(page.body, /<title>New chat room · Live Chat<\/title>[\s\S]*<form id="lc-room-form"[\s\S]*name="place" value="page"[\s\S]*<a href="\/livechat\/console\/rooms">Cancel<\/a>/)
    t.equal((await get(admin.cookie, '/livechat/console/rooms/new', true)).statusCode, 200, 'administrators manage rooms too')

    const before = await stored()
    for (const [what, res] of [
      ['the form', await get(alice.cookie, '/livechat/console/rooms/new', true)],
      ['Add', await alice.post('/livechat/console/rooms/new/access', { name: 'Mine', add: `group:${l1}` })],
      ['Save', await alice.post('/livechat/console/rooms', { name: 'Mine', access: `group:${l1}` })]
    ] as const) {
      t.equal(res.statusCode, 403, what)
      t.match(res.body, /data-code="LC_ERR_FORBIDDEN"[\s\S]*livechat\.rooms/, what)
    }
    t.same(await stored(), before, 'nothing stored')
  })

  t.test('New room: Add lists a permission with its X, the X takes it away; nothing is stored until Save', async (t) => {
    const url = '/livechat/console/rooms/new/access'
    const before = await stored()
    const added = await sam.post(url, { name: 'Night <shift>', access: 'role:agent', add: `group:${l1}` })
    t.equal(added.statusCode, 200)
    t.match(added.body, /^<hx-partial hx-target="#lc-room-form" hx-swap="outerHTML"><form id="lc-room-form"/)
    t.match(added.body, /value="Night &lt;shift&gt;"/, 'the name is kept, escaped')
    t.match(added.body, new RegExp(`name="access" value="role:agent"[\\s\\S]*Role</span> <span class="lc-room-perm__label">agent<[\\s\\S]*name="access" value="group:${l1}"[\\s\\S]*Support L1 \\(Support\\)`), 'both listed, in the order added')
    t.match(added.body, new RegExp(`hx-vals='\\{"remove": "group:${l1}"\\}'[^>]*aria-label="Remove Group Support L1 \\(Support\\)"`), 'each with its X')
    t.notMatch(added.body, new RegExp(`<option value="group:${l1}"`), 'a chosen one is no longer offered')
    t.match(added.body, new RegExp(`<option value="group:${l2}"`))

    const removed = await sam.post(url, { name: 'Night shift', access: ['role:agent', `group:${l1}`], remove: `group:${l1}` })
    t.equal(removed.statusCode, 200)
    t.notMatch(removed.body, new RegExp(`name="access" value="group:${l1}"`))
    t.match(removed.body, /name="access" value="role:agent"/)
    t.match(removed.body, new RegExp(`<option value="group:${l1}"`), 'offered again')

    const none = await sam.post(url, { name: 'Night shift', access: 'role:agent', add: '' })
    t.equal(none.statusCode, 422)
    t.match(none.body, /aria-invalid="true" aria-describedby="lc-room-access-error"[\s\S]*id="lc-room-access-error" class="lc-field-error" role="alert">Choose a department, group or role from the list, then press Add</)
    t.match(none.body, /name="access" value="role:agent"/, 'the chosen ones are kept')
    const gone = await sam.post(url, { name: 'Night shift', add: 'group:999999' })
    t.equal(gone.statusCode, 422)
    t.match(gone.body, /There is no group 999999 \(it may have been removed\); pick a department, group or role from the list/)
    t.equal((await sam.post(url, { name: 'x', add: 'team:1' })).statusCode, 400, 'not a permission at all')
    t.equal((await sam.post(url, { name: 'x', access: 'department:<b>' })).statusCode, 400)
    t.same(await stored(), before, 'nothing stored')
  })

  t.test('New room: refusals come back with everything kept and the reason beside the field; nothing stored', async (t) => {
    await createRoom('Support Chat', [`department:${support}`])
    const before = await stored()
    const save = async (payload: object) => await sam.post('/livechat/console/rooms', payload)
    const nameError = /aria-invalid="true" aria-describedby="lc-room-name-error"[^>]*>\s*<p id="lc-room-name-error" class="lc-field-error" role="alert">/

    const empty = await save({ name: '   ', access: [`group:${l1}`, 'role:supervisor'], place: 'dialog' })
    t.equal(empty.statusCode, 422)
    t.match(empty.body, /form="lc-room-cancel">Cancel</, 'still the dialog\'s form')
    t.match(empty.body, /^<hx-partial hx-target="#lc-room-form" hx-swap="outerHTML">/)
    t.match(empty.body, nameError)
    t.match(empty.body, /Give the room a name of at most 120 characters/)
    t.match(empty.body, new RegExp(`name="access" value="group:${l1}"[\\s\\S]*name="access" value="role:supervisor"`), 'the permissions are kept')

    const long = await save({ name: 'é'.repeat(121), access: `group:${l1}` })
    t.equal(long.statusCode, 422)
    t.match(long.body, /Give the room a name of at most 120 characters/)
    t.ok(long.body.includes(`value="${'é'.repeat(121)}"`), 'the name is handed back whole')

    const taken = await save({ name: 'Support Chat', access: `group:${l1}` })
    t.equal(taken.statusCode, 422)
    t.match(taken.body, /A room named Support Chat already exists; choose another name/)

    const nobody = await save({ name: 'Ops', add: '' })
    t.equal(nobody.statusCode, 422)
    t.match(nobody.body, /id="lc-room-access-error" class="lc-field-error" role="alert">Add at least one department, group or role who may join</)
    t.match(nobody.body, /id="lc-room-name"[^>]*value="Ops"/, 'the name is kept')

    for (const [key, reason] of [
      ['department:999999', /There is no department 999999/],
      ['group:999999', /There is no group 999999/],
      ['role:janitor', /There is no role janitor in the live chat settings/]
    ] as const) {
      const res = await save({ name: 'Ops', access: [`group:${l1}`, key] })
      t.equal(res.statusCode, 422, key)
      t.match(res.body, reason, key)
      t.match(res.body, /id="lc-room-access-error"/, `${key}: beside Add Permission`)
      t.match(res.body, new RegExp(`name="access" value="${key}"[\\s\\S]*no longer exists`), `${key}: listed, to be removed`)
    }
    t.equal((await save({ name: 'Ops', access: 'group:1 OR 1=1' })).statusCode, 400)
    t.same(await stored(), before, 'nothing stored')
  })

  t.test('New room: Save creates it with its permissions (one still in the select counts) and opens it', async (t) => {
    const res = await sam.post('/livechat/console/rooms', { name: 'Team leads', access: [`department:${support}`, 'role:supervisor'], add: `group:${sales}` })
    t.equal(res.statusCode, 200)
    const id = await roomId('Team leads')
    t.equal(res.headers['hx-redirect'], `/livechat/console/rooms/${id}`)
    const room = await knex('lc_im_conversations').where({ id }).first()
    t.match(room, { kind: 'room', status: 'active', name: 'Team leads', started_by_name: 'Sam Supervisor', last_seq: 0 })
    t.same((await knex('lc_im_room_access').where({ conversation_id: id }).orderBy('id')).map((r) => `${r.kind}:${r.ref}`), [`department:${support}`, 'role:supervisor', `group:${sales}`])
    // A plain form post (no htmx) is answered with a redirect to the room.
    const plain = await app.inject({ method: 'POST', url: '/livechat/console/rooms', headers: { cookie: sam.cookie, ...sameOrigin }, payload: { name: 'Plain form', access: 'role:agent', _csrf: sam.token } })
    t.equal(plain.statusCode, 303)
    t.equal(plain.headers.location, `/livechat/console/rooms/${await roomId('Plain form')}`)
  })

  t.test('the list: rooms that admit the agent (managers see every room), Active and Inactive, search, Join', async (t) => {
    const l2Room = await createRoom('Second line', [`group:${l2}`])
    const salesRoom = await createRoom('Sales floor', [`group:${sales}`])
    const list = async (who: typeof alice, query = '', htmx = false) => await get(who.cookie, `/livechat/console/rooms${query}`, htmx)

    const page = await list(alice)
    t.equal(page.statusCode, 200)
    t.match(page.body, /<title>Active Chat Rooms · Live Chat<\/title>/)
    t.match(page.body, /<nav class="lc-sidebar" aria-label="Chat rooms">[\s\S]*aria-current="page">Active<[\s\S]*By Chat Room/)
    t.match(page.body, /Support Chat/, 'a room for her department')
    t.notMatch(page.body, /Second line|Sales floor/, 'not rooms for groups she is not in, not even in the navigation')
    t.notMatch(page.body, /rooms\/new/, 'no New for agents')
    t.match(page.body, new RegExp(`hx-post="/livechat/console/rooms/${await roomId('Support Chat')}/join" hx-vals='\\{"open": "yes"\\}'`))

    const carols = await list(carol)
    t.match(carols.body, /Support Chat[\s\S]*/)
    t.match(carols.body, /Second line/)
    t.match(carols.body, /Sales floor/)

    const sams = await list(sam)
    t.match(sams.body, /hx-get="\/livechat\/console\/rooms\/new"[^>]*>New</, 'New for room managers')
    const admins = await list(admin)
    t.match(admins.body, new RegExp(`id="lc-room-row-${salesRoom}"[\\s\\S]*?You manage this room; none of its permissions admits you[\\s\\S]*?>Open<`), 'a manager no permission admits may open it, not join it')

    const searched = await list(carol, '?q=floor', true)
    t.equal(searched.statusCode, 200)
    t.match(searched.body, /^<hx-partial hx-target="#lc-rooms" hx-swap="outerHTML">/)
    t.match(searched.body, /Sales floor/)
    t.notMatch(searched.body, /Second line|Support Chat/)
    const none = await list(carol, '?q=nothing%20like%20this')
    t.match(none.body, /No active chat rooms match “nothing like this”/)
    const long = await list(carol, `?q=${'x'.repeat(101)}`)
    t.equal(long.statusCode, 422, 'a search too long is refused')
    t.match(long.body, /id="lc-rooms-q-error" class="lc-field-error lc-list-search__error" role="alert">Search for at most 100 characters \(this has 101\)/)
    t.match(long.body, /Second line/, 'and the list shown unsearched')
    t.equal((await list(carol, '?view=deleted')).statusCode, 400)

    await sam.post(`/livechat/console/rooms/${l2Room}/status`, { status: 'inactive' })
    t.notMatch((await list(carol)).body, /Second line/, 'an inactive room leaves Active')
    const inactive = await list(carol, '?view=inactive')
    t.match(inactive.body, /<h1>Inactive Chat Rooms<\/h1>/)
    t.match(inactive.body, new RegExp(`id="lc-room-row-${l2Room}"[\\s\\S]*?lc-pill--inactive">Inactive<[\\s\\S]*?>Open<`), 'listed there, to be read, not joined')

    const joined = await carol.post(`/livechat/console/rooms/${salesRoom}/join`, { open: 'yes' })
    t.equal(joined.statusCode, 200)
    t.equal(joined.headers['hx-redirect'], `/livechat/console/rooms/${salesRoom}`, 'Join in the list opens the room')
    const after = await list(carol)
    t.match(after.body, new RegExp(`id="lc-room-row-${salesRoom}"[\\s\\S]*?lc-pill--on">Joined<[\\s\\S]*?<span class="lc-num">1</span><small>Carol Chen</small>[\\s\\S]*?>Open<`))
  })

  t.test('a room\'s page: tabs, the conversation for those admitted, the managers\' panel for managers', async (t) => {
    const id = await roomId('Support Chat')
    const alices = await get(alice.cookie, `/livechat/console/rooms/${id}`)
    t.equal(alices.statusCode, 200)
    t.match(alices.body, /<title>Chat room Support Chat · Live Chat<\/title>/)
    t.match(alices.body, new RegExp(`hx-ws:connect="/livechat/ws/console\\?im&#x3D;${id}\\.0"`), 'the socket follows the room')
    t.match(alices.body, new RegExp(`<article id="lc-room-${id}" class="lc-pane lc-room" data-lc-im-thread="${id}"`))
    t.match(alices.body, /<h1 class="lc-room-header__name">Support Chat <span class="lc-pill lc-pill--active">Active<\/span><\/h1>/)
    t.match(alices.body, new RegExp(`role="tab" id="lc-im-tab-${id}-conversation" aria-selected="true"[^>]*>Chat Room<[\\s\\S]*hx-get="/livechat/console/rooms/${id}/tabs/participants"[^>]*>Participants<[\\s\\S]*hx-get="/livechat/console/rooms/${id}/tabs/access"[^>]*>With Access<`))
    t.match(alices.body, new RegExp(`<div id="lc-im-conversation-${id}" class="lc-conversation[\\s\\S]*<ol id="lc-im-messages-${id}"[\\s\\S]*<form class="lc-composer__form" hx-post="/livechat/console/im/${id}/messages"`), 'the conversation partials of threads')
    t.match(alices.body, new RegExp(`hx-post="/livechat/console/rooms/${id}/join"[^>]*>Join<`))
    t.notMatch(alices.body, /Manage room|lc-room-manage/, 'no managers\' panel for agents')

    const sams = await get(sam.cookie, `/livechat/console/rooms/${id}`)
    t.match(sams.body, new RegExp(`<aside id="lc-room-manage-${id}"[\\s\\S]*Department</span> <span class="lc-room-perm__label">Support<[\\s\\S]*hx-post="/livechat/console/rooms/${id}/access/\\d+/remove"[\\s\\S]*title="The last permission: add another before removing it"[\\s\\S]*hx-post="/livechat/console/rooms/${id}/access"[\\s\\S]*hx-post="/livechat/console/rooms/${id}/rename"[\\s\\S]*"status": "inactive"[\\s\\S]*>Make inactive<`))

    const admins = await get(admin.cookie, `/livechat/console/rooms/${id}`)
    t.equal(admins.statusCode, 200, 'a manager no permission admits opens it to manage it')
    t.match(admins.body, new RegExp(`<div id="lc-im-conversation-${id}" class="lc-conversation lc-im-conversation lc-im-no-access"`))
    t.notMatch(admins.body, /lc-im-messages-|lc-composer__form|data-lc-im-thread/, 'but reads nothing of it')
    t.match(admins.body, /hx-ws:connect="\/livechat\/ws\/console"/, 'and the socket does not follow it')
    t.match(admins.body, /Manage room/)

    const tab = await get(alice.cookie, `/livechat/console/rooms/${id}/tabs/access`, true)
    t.equal(tab.statusCode, 200)
    t.match(tab.body, new RegExp(`^<hx-partial hx-target="#lc-room-tab-panel-${id}" hx-swap="innerHTML"><section id="lc-room-with-access-${id}"`))
    t.match(tab.body, /Admitted by: Department Support/)
    for (const name of ['Alice Adams', 'Bob Brown', 'Carol Chen', 'Sam Supervisor']) t.match(tab.body, new RegExp(`${name} <small>`), name)
    t.notMatch(tab.body, /Ada Admin/)
  })

  t.test('Join and Leave: the header and Participants follow, and the conversation says so', async (t) => {
    const id = await roomId('Support Chat')
    const joined = await bob.post(`/livechat/console/rooms/${id}/join`)
    t.equal(joined.statusCode, 200)
    t.match(joined.body, new RegExp(`<hx-partial hx-target="#lc-room-header-${id}" hx-swap="outerHTML">[\\s\\S]*lc-pill--on">Joined<[\\s\\S]*1 agent in the room now[\\s\\S]*>Leave<`))
    t.match(joined.body, /data-code="LC_OK"[\s\S]*You joined Support Chat/)
    const again = await bob.post(`/livechat/console/rooms/${id}/join`)
    t.equal(again.statusCode, 200, 'joining again is no change')
    const people = await get(alice.cookie, `/livechat/console/rooms/${id}/tabs/participants`, true)
    t.match(people.body, new RegExp(`^<hx-partial hx-target="#lc-room-tab-panel-${id}" hx-swap="innerHTML"><section id="lc-room-participants-${id}"`))
    t.match(people.body, /Bob Brown <small>joined <time/)
    t.notMatch(people.body, /Alice Adams/)

    const left = await bob.post(`/livechat/console/rooms/${id}/leave`)
    t.equal(left.statusCode, 200)
    t.match(left.body, /0 agents in the room now[\s\S]*>Join<[\s\S]*You left Support Chat/)
    t.match((await get(alice.cookie, `/livechat/console/rooms/${id}/tabs/participants`, true)).body, /Nobody has joined the room yet/)
    const events = (await knex('lc_im_messages').where({ conversation_id: id }).orderBy('seq')).map((m) => `${m.kind}:${m.body}`)
    t.same(events, ['event:Bob Brown joined', 'event:Bob Brown left'])
  })

  t.test('posting through the conversation route: stored and joined; bad input refused with nothing stored', async (t) => {
    const id = await roomId('Support Chat')
    const sent = await post(alice, id, 'Is the VPN gateway slow for anyone else?')
    t.equal(sent.statusCode, 200)
    t.match(sent.body, new RegExp(`<hx-partial hx-target="#lc-im-composer-${id}" hx-swap="outerHTML">`), 'a fresh reply box')
    const rows = await knex('lc_im_messages').where({ conversation_id: id }).orderBy('seq')
    t.same(rows.slice(-2).map((m) => `${m.kind}:${m.author_name}:${m.body}`), ['event:Alice Adams:Alice Adams joined', 'text:Alice Adams:Is the VPN gateway slow for anyone else?'], 'posting joins the room')
    const page = await get(carol.cookie, `/livechat/console/rooms/${id}`)
    t.match(page.body, /Is the VPN gateway slow for anyone else\?/)
    t.match(page.body, new RegExp(`im&#x3D;${id}\\.${Number(rows.at(-1).seq)}`), 'the socket resumes after the last message shown')

    const before = await stored()
    const empty = await post(alice, id, '  \n ')
    t.equal(empty.statusCode, 422)
    t.match(empty.body, /Type a message before sending/)
    const long = 'x'.repeat(10_001)
    const over = await post(alice, id, long)
    t.equal(over.statusCode, 422)
    t.match(over.body, /Messages can be at most 10000 characters \(this one has 10001\)/)
    t.ok(over.body.includes(`>${long}</textarea>`), 'the text is handed back')
    const outsider = await post(bob, await roomId('Sales floor'), 'let me in')
    t.equal(outsider.statusCode, 404)
    t.match(outsider.body, /data-code="LC_ERR_IM_NOT_FOUND"/)
    const missing = await post(alice, 999999, 'anyone?')
    t.equal(missing.statusCode, 404)
    t.match(missing.body, /data-code="LC_ERR_IM_NOT_FOUND"/)
    t.same(await stored(), before, 'nothing stored')
  })

  t.test('an inactive room: read only, posting and joining refused with 409; made active it takes messages again', async (t) => {
    const id = await createRoom('Quiet room', ['role:agent'])
    const off = await sam.post(`/livechat/console/rooms/${id}/status`, { status: 'inactive' })
    t.equal(off.statusCode, 200)
    t.match(off.body, new RegExp(`<hx-partial hx-target="#lc-room-manage-${id}" hx-swap="outerHTML">[\\s\\S]*>Make active<`))
    t.match(off.body, new RegExp(`<hx-partial hx-target="#lc-room-header-${id}" hx-swap="outerHTML">[\\s\\S]*lc-pill--inactive">Inactive<`))
    t.notMatch(off.body, new RegExp(`lc-im-composer-${id}`), 'sam is not admitted: no reply box for him')
    t.match(off.body, /Quiet room is inactive now/)
    t.equal((await knex('lc_im_conversations').where({ id }).first()).status, 'inactive')

    const before = await stored()
    const refused = await post(alice, id, 'hello?')
    t.equal(refused.statusCode, 409)
    t.match(refused.body, /data-code="LC_ERR_IM_ROOM_INACTIVE"[\s\S]*The room Quiet room is inactive/)
    const join = await alice.post(`/livechat/console/rooms/${id}/join`)
    t.equal(join.statusCode, 409)
    t.match(join.body, /data-code="LC_ERR_IM_ROOM_INACTIVE"/)
    t.same(await stored(), before, 'nothing stored')
    const page = await get(alice.cookie, `/livechat/console/rooms/${id}`)
    t.match(page.body, /This room is inactive: its conversation can be read, but nobody can post or join/)
    t.notMatch(page.body, /lc-composer__form|>Join</)
    t.equal((await alice.post(`/livechat/console/rooms/${id}/status`, { status: 'active' })).statusCode, 403, 'agents cannot make it active')

    await sam.post(`/livechat/console/rooms/${id}/access`, { add: 'role:supervisor' })
    const on = await sam.post(`/livechat/console/rooms/${id}/status`, { status: 'active' })
    t.match(on.body, new RegExp(`<hx-partial hx-target="#lc-im-composer-${id}" hx-swap="outerHTML">[\\s\\S]*<form class="lc-composer__form"`), 'now admitted, sam gets his reply box back')
    t.equal((await post(alice, id, 'hello again')).statusCode, 200)
    t.equal((await sam.post(`/livechat/console/rooms/${id}/status`, { status: 'sleeping' })).statusCode, 400)
  })

  t.test('the managers\' panel: permissions added and removed, the last one kept, Rename; refusals beside their part', async (t) => {
    const id = await createRoom('Escalations', [`group:${l2}`])
    const url = `/livechat/console/rooms/${id}`
    const rules = async () => (await knex('lc_im_room_access').where({ conversation_id: id }).orderBy('id')).map((r) => `${r.kind}:${r.ref}`)

    const added = await sam.post(`${url}/access`, { add: `group:${l1}` })
    t.equal(added.statusCode, 200)
    t.match(added.body, new RegExp(`<hx-partial hx-target="#lc-room-manage-${id}" hx-swap="outerHTML">[\\s\\S]*Support L2 \\(Support\\)[\\s\\S]*Support L1 \\(Support\\)`))
    t.match(added.body, /Support L1 \(Support\) may join the room now/)
    t.same(await rules(), [`group:${l2}`, `group:${l1}`])

    let before = await stored()
    const taken = await sam.post(`${url}/access`, { add: `group:${l1}` })
    t.equal(taken.statusCode, 409)
    t.match(taken.body, new RegExp(`id="lc-room-add-error-${id}" class="lc-field-error" role="alert">Support L1 \\(Support\\) may already join this room<`))
    const unknown = await sam.post(`${url}/access`, { add: 'role:janitor' })
    t.equal(unknown.statusCode, 422)
    t.match(unknown.body, /There is no role janitor in the live chat settings/)
    const nothing = await sam.post(`${url}/access`, { add: '' })
    t.equal(nothing.statusCode, 422)
    t.match(nothing.body, /Choose a department, group or role from the list, then press Add/)
    t.equal((await bob.post(`${url}/access`, { add: 'role:agent' })).statusCode, 403, 'agents cannot add')
    t.same(await stored(), before, 'nothing stored')

    const [first, second] = await knex('lc_im_room_access').where({ conversation_id: id }).orderBy('id')
    const removed = await sam.post(`${url}/access/${first.id}/remove`)
    t.equal(removed.statusCode, 200)
    t.match(removed.body, /Support L2 \(Support\) was removed from the room&#x27;s permissions/)
    t.same(await rules(), [`group:${l1}`])

    before = await stored()
    const last = await sam.post(`${url}/access/${second.id}/remove`)
    t.equal(last.statusCode, 422)
    t.match(last.body, new RegExp(`<hx-partial hx-target="#lc-room-manage-${id}" hx-swap="outerHTML">[\\s\\S]*id="lc-room-remove-error-${id}" class="lc-field-error" role="alert">Add at least one department, group or role who may join<`))
    const stale = await sam.post(`${url}/access/${first.id}/remove`)
    t.equal(stale.statusCode, 404)
    t.match(stale.body, /That permission is no longer on this room/)
    t.equal((await alice.post(`${url}/access/${second.id}/remove`)).statusCode, 403, 'agents cannot remove')
    t.same(await stored(), before, 'nothing stored')

    const renamed = await sam.post(`${url}/rename`, { name: 'Escalations <L2>' })
    t.equal(renamed.statusCode, 200)
    t.match(renamed.body, /<h1 class="lc-room-header__name">Escalations &lt;L2&gt;/)
    t.match(renamed.body, /The room is now called Escalations &lt;L2&gt;/)
    before = await stored()
    for (const [name, reason] of [['', /Give the room a name of at most 120 characters/], ['Support Chat', /A room named Support Chat already exists/]] as const) {
      const res = await sam.post(`${url}/rename`, { name })
      t.equal(res.statusCode, 422, name)
      t.match(res.body, new RegExp(`id="lc-room-rename-${id}"[^>]*value="${name}"[^>]*aria-invalid="true"`), `${name}: the name typed is kept`)
      t.match(res.body, reason, name)
    }
    t.equal((await carol.post(`${url}/rename`, { name: 'Mine' })).statusCode, 403, 'agents cannot rename')
    t.same(await stored(), before, 'nothing stored')
  })

  t.test('a manager who adds a permission that admits them gets the conversation in place of the no-access panel', async (t) => {
    const id = await createRoom('Admins only later', [`group:${sales}`])
    const page = await get(admin.cookie, `/livechat/console/rooms/${id}`)
    t.match(page.body, /lc-im-no-access/)
    const added = await admin.post(`/livechat/console/rooms/${id}/access`, { add: 'role:admin' })
    t.equal(added.statusCode, 200)
    t.match(added.body, new RegExp(`<hx-partial hx-target="#lc-im-conversation-${id}" hx-swap="outerHTML"><div id="lc-im-conversation-${id}" class="lc-conversation lc-im-conversation"[\\s\\S]*lc-composer__form`))
    const rule = await knex('lc_im_room_access').where({ conversation_id: id, kind: 'role' }).first()
    const removed = await admin.post(`/livechat/console/rooms/${id}/access/${rule.id}/remove`)
    t.match(removed.body, new RegExp(`<hx-partial hx-target="#lc-im-conversation-${id}" hx-swap="outerHTML"><div id="lc-im-conversation-${id}" class="lc-conversation lc-im-conversation lc-im-no-access"`), 'and loses it again')
    const other = await sam.post(`/livechat/console/rooms/${id}/access`, { add: `group:${l2}` })
    t.notMatch(other.body, /lc-im-conversation-/, 'a change that does not touch the manager leaves their conversation alone')
  })

  t.test('rooms the agent may not see, and ids that are no room: 404 everywhere, nothing told apart', async (t) => {
    const salesRoom = await roomId('Sales floor')
    const [thread] = await knex('lc_im_conversations').insert({ kind: 'thread', name: null, status: 'active', started_by: '1', started_by_name: 'Alice Adams', last_seq: 0, created_at: Date.now(), updated_at: Date.now() })
    await knex('lc_im_participants').insert({ conversation_id: thread, agent_id: (await knex('users').where({ username: 'alice' }).first()).id.toString(), agent_name: 'Alice Adams', invited_at: Date.now(), joined_at: Date.now(), last_read_seq: 0 })
    const before = await stored()
    for (const id of [salesRoom, 999999]) {
      for (const [what, res] of [
        ['page', await get(alice.cookie, `/livechat/console/rooms/${id}`)],
        ['participants', await get(alice.cookie, `/livechat/console/rooms/${id}/tabs/participants`, true)],
        ['with access', await get(alice.cookie, `/livechat/console/rooms/${id}/tabs/access`, true)],
        ['history', await get(alice.cookie, `/livechat/console/im/${id}/messages?before=2`, true)],
        ['join', await alice.post(`/livechat/console/rooms/${id}/join`)],
        ['leave', await alice.post(`/livechat/console/rooms/${id}/leave`)]
      ] as const) {
        t.equal(res.statusCode, 404, `${id} ${what}`)
        t.match(res.body, /LC_ERR_IM_NOT_FOUND/, `${id} ${what}`)
      }
      t.equal((await sam.post(`/livechat/console/rooms/${id === 999999 ? id : 999998}/rename`, { name: 'x' })).statusCode, 404)
    }
    t.equal((await get(alice.cookie, `/livechat/console/rooms/${thread}`)).statusCode, 404, 'a thread has no room page')
    t.equal((await sam.post(`/livechat/console/rooms/${thread}/rename`, { name: 'Hijacked' })).statusCode, 404, 'nor is it managed as one')
    t.equal((await get(alice.cookie, '/livechat/console/rooms/abc')).statusCode, 400)
    t.same(await stored(), before, 'nothing stored')
    t.equal((await app.inject({ url: '/livechat/console/rooms' })).statusCode, 401, 'signed out')
  })
})
