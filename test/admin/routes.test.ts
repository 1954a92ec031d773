import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { createChatService } from '../../plugin/chats/service.ts'
import { sqlHost } from '../../plugin/host/sql-host.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { resolveSettings } from '../../plugin/settings.ts'
import { memoryBus } from '../../plugin/realtime/bus.ts'
import { createRoutingService } from '../../plugin/routing/service.ts'
import { createAccess } from '../../plugin/security/access.ts'
import { build, formClients } from '../helpers/build.ts'

t.test('admin routes', async (t) => {
  const { app, knex } = await build(t)

  // One CSRF pair (token and its cookie), taken from the admin page the way a browser gets
  // it, serves every session: the token is bound to the cookie's secret, not to the user.
  const { client } = await formClients(app, '/livechat/admin/groups')
  const [admin, sam, alice, dana, anonymous] = [await client('admin'), await client('sam'), await client('alice'), await client('dana'), await client()]

  const userId = async (username: string): Promise<string> => String((await knex('users').where({ username }).first()).id)
  const deptId = async (name: string): Promise<number> => Number((await knex('lc_departments').where({ name }).first()).id)
  const groupId = async (name: string, dept = name.startsWith('Support') ? 'Support' : 'Sales'): Promise<number> =>
    Number((await knex('lc_groups').where({ name, department_id: await deptId(dept) }).first()).id)
  const member = async (group: number, username: string) => await knex('lc_group_members').where({ group_id: group, agent_id: await userId(username) }).first()
  /** Everything the administration pages may change, to show a refusal changed nothing. */
  const snapshot = async (): Promise<string> => JSON.stringify([
    await knex('lc_departments').orderBy('id'), await knex('lc_groups').orderBy('id'), await knex('lc_group_members').orderBy(['group_id', 'agent_id'])
  ])
  const refused = async (t: Test, res: LightMyRequestResponse, before: string, status: number, code: string, message?: RegExp) => {
    t.equal(res.statusCode, status, code)
    t.match(res.body, `data-code="${code}"`)
    if (message) t.match(res.body, message)
    t.equal(await snapshot(), before, 'nothing changed')
  }

  t.test('GET /admin/groups: 401 signed out, 403 for agents and supervisors, the page for an admin', async (t) => {
    const out = await app.inject({ url: '/livechat/admin/groups', headers: { accept: 'application/json' } })
    t.equal(out.statusCode, 401)
    t.equal(out.json().code, 'LC_ERR_UNAUTHENTICATED')
    for (const who of [alice, sam, dana]) {
      const res = await who.get('/livechat/admin/groups')
      t.equal(res.statusCode, 403)
      t.match(res.body, /You need the livechat.admin permission for this/)
    }
    const res = await admin.get('/livechat/admin/groups')
    t.equal(res.statusCode, 200)
    const [support, l1, l2, sales] = [await deptId('Support'), await groupId('Support L1'), await groupId('Support L2'), await groupId('Sales')]
    t.match(res.body, /id="lc-admin-departments"/)
    t.match(res.body, new RegExp(`id="lc-admin-department-${support}"[\\s\\S]*Chats start in Support L1`))
    t.match(res.body, new RegExp(`<a href="#lc-admin-group-${l1}">Support L1</a></th>\\s*<td>Cherry picking</td>\\s*<td>4</td>\\s*<td><span class="lc-pill lc-pill--on">Enabled</span></td>\\s*<td>3 <small>2 active</small></td>`))
    t.match(res.body, new RegExp(`<a href="#lc-admin-group-${sales}">Sales</a></th>\\s*<td>Round robin</td>\\s*<td>3</td>`))
    t.match(res.body, new RegExp(`id="lc-admin-members-${l2}"[\\s\\S]*Carol Chen[\\s\\S]*Sam Supervisor <small>sam</small></th>\\s*<td>\\s*<form[^>]*>\\s*<span class="lc-pill lc-pill--off">Inactive</span>`))
    t.match(res.body, /Cherry picking \(agents pick from the queue\)/)
    t.match(res.body, /Round robin \(assigned automatically\)/)
    t.match(res.body, /id="lc-admin-new-department"/)
    t.match(res.body, /name="lc-csrf"/)
    t.notMatch(res.body, /hx-post="[^"]*"(?![^>]*hx-target="#lc-notice")/, 'every action targets the notice area')
  })

  t.test('GET /console/groups: 401 signed out, 403 for an agent, every agent of the visible groups for a supervisor', async (t) => {
    t.equal((await anonymous.get('/livechat/console/groups')).statusCode, 401)
    const agent = await alice.get('/livechat/console/groups')
    t.equal(agent.statusCode, 403)
    t.match(agent.body, /livechat.supervise/)

    // alice has a console open and is available for 2; bob's console closed long ago; carol has a chat.
    const routing = createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } })
    await routing.setAvailable(await userId('alice'), true, 2)
    await routing.setAvailable(await userId('bob'), true, 3)
    await knex('lc_agent_presence').where({ agent_id: await userId('bob') }).update({ heartbeat_at: Date.now() - 3600_000 })
    const manifest = loadManifest()
    const host = sqlHost(knex, manifest.host)
    const chats = createChatService({ db: knex, bus: memoryBus(), host, routing, settings: { maxMessageLength: 10000 } })
    const access = createAccess({ host, settings: resolveSettings(manifest, {}), routing })
    const { chat } = await chats.startChat({ name: 'Pat Price', email: 'pat@customer.example', question: 'A quote for 20 seats', customer: null, groupId: await groupId('Sales') })
    const carol = (await host.getUser(await userId('carol')))!
    await chats.acceptChat(chat.id, await access.scopeOf(carol, new Set(['livechat.agent'])))

    const res = await sam.get('/livechat/console/groups')
    t.equal(res.statusCode, 200)
    t.match(res.body, /<title>Active Live Chat Groups · Live Chat<\/title>/)
    t.match(res.body, /id="lc-agent-groups"/)
    const row = (name: string): string => new RegExp(`<tr>\\s*<th scope="row">${name}[\\s\\S]*?</tr>`).exec(res.body)?.[0] ?? ''
    t.match(row('Alice Adams'), /lc-pill--available">Available<\/span><\/td>\s*<td>2<\/td>\s*<td>\s*0\s*<\/td>\s*<td>1 of 1<\/td>/)
    t.match(row('Bob Brown'), /lc-pill--offline">Offline</, 'a stale heartbeat is offline whatever the switch says')
    t.match(row('Carol Chen'), /lc-pill--offline">Offline<\/span><\/td>\s*<td>0<\/td>\s*<td>\s*1\s*<ul/)
    t.match(row('Carol Chen'), new RegExp(`<a href="/livechat/console/chats/${chat.id}">#${chat.id} Pat Price</a>`))
    t.match(row('Carol Chen'), /<td>2 of 2<\/td>/)
    t.match(row('Sam Supervisor'), /<td>0 of 3<\/td>/)
    t.match(row('Sam Supervisor'), /Support L1 <small>Support<\/small><\/span>\s*<span class="lc-pill lc-pill--off">Inactive<\/span>/)
    t.match(row('Alice Adams'), new RegExp(`hx-post="/livechat/console/groups/${await groupId('Support L1')}/members/${await userId('alice')}" hx-target="#lc-notice" hx-swap="none">\\s*<input type="hidden" name="active" value="off">`))
    t.notMatch(res.body, /Departments and groups/, 'a supervisor gets no link to the admin page')
    t.match((await admin.get('/livechat/console/groups')).body, /Carol Chen[\s\S]*Departments and groups|Departments and groups[\s\S]*Carol Chen/, 'an admin sees every group')
    await chats.endChat(chat.id, { kind: 'agent', id: carol.id, name: carol.name })
  })

  // The run itself is counted by the re-offer job (test/routing/reoffer.test.ts); here, how the page shows it.
  t.test('GET /console/groups: beside an agent, offers they missed in a row, or that these made them unavailable (docs/features.md#re-offer)', async (t) => {
    const [aliceId, carolId] = [await userId('alice'), await userId('carol')]
    const at = Date.now()
    await knex('lc_agent_presence').insert([
      { agent_id: aliceId, status: 'available', max_chats: 2, heartbeat_at: at, missed_offers: 2, missed_offer_at: at, updated_at: at },
      { agent_id: carolId, status: 'unavailable', max_chats: 2, heartbeat_at: at, missed_offers: 3, missed_offer_at: at, updated_at: at }
    ]).onConflict('agent_id').merge(['status', 'heartbeat_at', 'missed_offers', 'missed_offer_at'])
    t.teardown(async () => { await knex('lc_agent_presence').whereIn('agent_id', [aliceId, carolId]).update({ missed_offers: 0, missed_offer_at: null }) })
    const res = await sam.get('/livechat/console/groups')
    const row = (name: string): string => new RegExp(`<tr>\\s*<th scope="row">${name}[\\s\\S]*?</tr>`).exec(res.body)?.[0] ?? ''
    t.match(row('Alice Adams'), /lc-pill--available">Available<\/span> <small class="lc-agent-groups__missed">Missed 2 offers in a row<\/small><\/td>/)
    t.match(row('Carol Chen'), /<small class="lc-agent-groups__missed">Made unavailable after missing 3 offers in a row<\/small>/)
    t.notMatch(row('Sam Supervisor'), /lc-agent-groups__missed/, 'nothing beside an agent who missed none')
  })

  t.test('supervisor Edit: sets an agent inactive and active again in a group; refusals change nothing', async (t) => {
    const l1 = await groupId('Support L1')
    const aliceId = await userId('alice')
    const url = `/livechat/console/groups/${l1}/members/${aliceId}`
    const off = await sam.post(url, { active: 'off' })
    t.equal(off.statusCode, 200)
    t.match(off.body, /^<hx-partial hx-target="#lc-agent-groups" hx-swap="outerHTML"><section id="lc-agent-groups"/)
    t.match(off.body, /<hx-partial hx-target="#lc-notice" hx-swap="innerHTML">[\s\S]*Membership in Support L1 saved/)
    t.equal(Boolean((await member(l1, 'alice')).active), false)
    t.match(off.body, /Alice Adams[\s\S]*?<td>0 of 1<\/td>/)
    t.equal((await sam.post(url, { active: 'on' })).statusCode, 200)
    t.equal(Boolean((await member(l1, 'alice')).active), true)

    const before = await snapshot()
    await refused(t, await sam.post(url, { active: 'off' }, { 'x-csrf-token': '' }), before, 403, 'LC_ERR_CSRF')
    await refused(t, await sam.post(url, { active: 'off' }, { origin: 'https://evil.example' }), before, 403, 'LC_ERR_ORIGIN')
    await refused(t, await alice.post(url, { active: 'off' }), before, 403, 'LC_ERR_FORBIDDEN')
    t.equal((await anonymous.post(url, { active: 'off' })).statusCode, 401)
    t.equal(await snapshot(), before)
    await refused(t, await sam.post(`/livechat/console/groups/999999/members/${aliceId}`, { active: 'off' }), before, 404, 'LC_ERR_GROUP_UNKNOWN', /Group 999999 does not exist/)
    await refused(t, await sam.post(`/livechat/console/groups/${l1}/members/${await userId('dana')}`, { active: 'on' }), before, 404, 'LC_ERR_MEMBER_NOT_FOUND', /not a member of Support L1/)
    const bad = await sam.post(url, { active: 'maybe' })
    t.equal(bad.statusCode, 400)
    t.match(bad.body, /active must be one of: on, off/)
    t.equal(await snapshot(), before)
  })

  t.test('supervisor Edit: sets an agent\'s limit in a group, blank for the group\'s; a bad limit says what to enter', async (t) => {
    const l1 = await groupId('Support L1')
    const url = `/livechat/console/groups/${l1}/members/${await userId('bob')}`
    const page = await sam.get('/livechat/console/groups')
    t.match(page.body, new RegExp(`<input id="lc-limit-${l1}-\\d+" name="max_chats" inputmode="numeric" size="3" value="" placeholder="4"`))
    const set = await sam.post(url, { max_chats: '2' })
    t.equal(set.statusCode, 200)
    t.equal(Number((await member(l1, 'bob')).max_chats), 2)
    t.match(set.body, /name="max_chats" inputmode="numeric" size="3" value="2"/)
    const before = await snapshot()
    const bad = await sam.post(url, { max_chats: '500' })
    t.equal(bad.statusCode, 422)
    t.match(bad.body, /Enter a whole number of chats from 1 to 50, or leave it blank for the group&#x27;s limit|Enter a whole number of chats from 1 to 50, or leave it blank for the group's limit/)
    t.equal(await snapshot(), before, 'nothing changed')
    t.equal((await sam.post(url, {})).statusCode, 400, 'nothing sent')
    t.equal((await sam.post(url, { max_chats: '' })).statusCode, 200)
    t.equal((await member(l1, 'bob')).max_chats, null, 'blank: the group\'s limit again')
  })

  t.test('a supervisor sees and edits only the groups they belong to', async (t) => {
    const sales = await groupId('Sales')
    const samId = await userId('sam')
    const removed = await admin.post(`/livechat/admin/groups/${sales}/members/${samId}/remove`)
    t.equal(removed.statusCode, 200)
    t.teardown(async () => { await createRoutingService({ db: knex, bus: memoryBus(), settings: { heartbeatTimeoutSeconds: 60 } }).setMember(sales, samId, { active: false }) })
    const res = await sam.get('/livechat/console/groups')
    t.notMatch(res.body, /Sales <small>Sales<\/small>/)
    t.match(res.body, /Carol Chen[\s\S]*?<td>1 of 1<\/td>/, 'counts cover the groups shown')
    const before = await snapshot()
    await refused(t, await sam.post(`/livechat/console/groups/${sales}/members/${await userId('carol')}`, { active: 'off' }), before, 403, 'LC_ERR_GROUP_NOT_VISIBLE')
  })

  t.test('create department: saved with its queue messages; bad input re-renders the form and saves nothing', async (t) => {
    const res = await admin.post('/livechat/admin/departments', {
      name: '  Billing ', queue_position_message: '{ahead} callers before you', queue_position_message_one: '', queue_next_message: 'You are next in Billing'
    })
    t.equal(res.statusCode, 200)
    t.match(res.body, /<hx-partial hx-target="#lc-admin-departments" hx-swap="outerHTML"><section id="lc-admin-departments"[\s\S]*>Billing<\/h2>/)
    t.match(res.body, /<hx-partial hx-target="#lc-admin-new-department" hx-swap="outerHTML"><form id="lc-admin-new-department"/)
    t.match(res.body, /Department Billing created/)
    const row = await knex('lc_departments').where({ name: 'Billing' }).first()
    t.equal(row.queue_position_message, '{ahead} callers before you')
    t.equal(row.queue_position_message_one, null, 'blank means the desk-wide message')
    t.equal(row.queue_next_message, 'You are next in Billing')

    const before = await snapshot()
    const form = '<hx-partial hx-target="#lc-admin-new-department" hx-swap="outerHTML"><form id="lc-admin-new-department"'
    const empty = await admin.post('/livechat/admin/departments', { name: '   ', queue_next_message: 'kept as typed' })
    await refused(t, empty, before, 422, 'LC_ERR_FORM_INVALID', /Name is required/)
    t.ok(empty.body.startsWith(form))
    t.match(empty.body, /aria-invalid="true" aria-describedby="lc-admin-new-department-name-error"/)
    t.match(empty.body, /name="queue_next_message" value="kept as typed"/)
    await refused(t, await admin.post('/livechat/admin/departments', {}), before, 422, 'LC_ERR_FORM_INVALID', /Name is required/)
    await refused(t, await admin.post('/livechat/admin/departments', { name: 'sUpPoRt' }), before, 422, 'LC_ERR_DEPARTMENT_NAME_TAKEN', /A department named sUpPoRt already exists; choose another name/)
    await refused(t, await admin.post('/livechat/admin/departments', { name: 'x'.repeat(121) }), before, 422, 'LC_ERR_FORM_INVALID', /Name can be at most 120 characters/)
    const both = await admin.post('/livechat/admin/departments', { name: '', queue_position_message: 'Several people are ahead', queue_next_message: 'y'.repeat(201) })
    await refused(t, both, before, 422, 'LC_ERR_FORM_INVALID', /Name is required/)
    t.match(both.body, /Put \{ahead\} where the number of people ahead should appear/, 'every problem at once')
    t.match(both.body, /Next in line can be at most 200 characters/)
    await refused(t, await admin.post('/livechat/admin/departments', { name: 'Legal', colour: 'red' }), before, 422, 'LC_ERR_FORM_INVALID', /This form has no field &quot;colour&quot;; reload the page and try again/)
    await refused(t, await admin.post('/livechat/admin/departments', { name: '<b>Legal</b>' }, { 'x-csrf-token': 'forged' }), before, 403, 'LC_ERR_CSRF')
    await refused(t, await admin.post('/livechat/admin/departments', { name: 'Legal' }, { origin: 'https://evil.example' }), before, 403, 'LC_ERR_ORIGIN')
    await refused(t, await alice.post('/livechat/admin/departments', { name: 'Legal' }), before, 403, 'LC_ERR_FORBIDDEN')
    await refused(t, await sam.post('/livechat/admin/departments', { name: 'Legal' }), before, 403, 'LC_ERR_FORBIDDEN')
    await refused(t, await anonymous.post('/livechat/admin/departments', { name: 'Legal' }), before, 401, 'LC_ERR_UNAUTHENTICATED')
  })

  t.test('edit department: name, messages and default group; refusals re-render its form', async (t) => {
    const support = await deptId('Support')
    const l2 = await groupId('Support L2')
    const url = `/livechat/admin/departments/${support}`
    const res = await admin.post(url, { name: 'Support', default_group_id: String(l2), queue_position_message: '', queue_position_message_one: '', queue_next_message: 'Nearly there' })
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`^<hx-partial hx-target="#lc-admin-department-${support}" hx-swap="outerHTML"><article id="lc-admin-department-${support}"`))
    t.match(res.body, /Chats start in Support L2/)
    let row = await knex('lc_departments').where({ id: support }).first()
    t.equal(Number(row.default_group_id), l2)
    t.equal(row.queue_next_message, 'Nearly there')
    t.equal((await admin.post(url, { name: 'Support', default_group_id: String(await groupId('Support L1')), queue_next_message: '' })).statusCode, 200)
    row = await knex('lc_departments').where({ id: support }).first()
    t.equal(row.queue_next_message, null)

    const before = await snapshot()
    const other = await admin.post(url, { name: 'Support', default_group_id: String(await groupId('Sales')) })
    await refused(t, other, before, 422, 'LC_ERR_DEFAULT_GROUP_INVALID', /Choose one of Support&#x27;s own groups as its default group/)
    t.ok(other.body.startsWith(`<hx-partial hx-target="#lc-admin-department-form-${support}" hx-swap="outerHTML"><form id="lc-admin-department-form-${support}"`))
    await refused(t, await admin.post(url, { name: 'Sales' }), before, 422, 'LC_ERR_DEPARTMENT_NAME_TAKEN', /A department named Sales already exists/)
    await refused(t, await admin.post(url, { name: '' }), before, 422, 'LC_ERR_FORM_INVALID', /Name is required/)
    await refused(t, await admin.post(url, { name: 'Support', default_group_id: 'first' }), before, 422, 'LC_ERR_FORM_INVALID', /Default group is not valid/)
    await refused(t, await admin.post('/livechat/admin/departments/999999', { name: 'Ghosts' }), before, 404, 'LC_ERR_DEPARTMENT_NOT_FOUND', /Department 999999 does not exist; reload the page/)
    const zero = await admin.post('/livechat/admin/departments/0', { name: 'Ghosts' })
    t.equal(zero.statusCode, 400)
    t.equal(await snapshot(), before)
    await refused(t, await sam.post(url, { name: 'Mine now' }), before, 403, 'LC_ERR_FORBIDDEN')
  })

  t.test('create group: in its department with its distribution and limit; refusals say what to fix', async (t) => {
    const support = await deptId('Support')
    const url = `/livechat/admin/departments/${support}/groups`
    const res = await admin.post(url, { name: 'Support L3', distribution: 'round_robin', default_max_chats: '6' })
    t.equal(res.statusCode, 200)
    t.match(res.body, new RegExp(`^<hx-partial hx-target="#lc-admin-department-${support}" hx-swap="outerHTML">`))
    t.match(res.body, /Support L3<\/a><\/th>\s*<td>Round robin<\/td>\s*<td>6<\/td>/)
    t.match(res.body, /Group Support L3 created in Support/)
    const row = await knex('lc_groups').where({ name: 'Support L3' }).first()
    t.same([Number(row.department_id), row.distribution, Number(row.default_max_chats), Boolean(row.enabled)], [support, 'round_robin', 6, true])
    t.equal((await admin.post(`/livechat/admin/departments/${await deptId('Sales')}/groups`, { name: 'Support L3', distribution: 'cherry_pick', default_max_chats: '2' })).statusCode, 200,
      'the same name in another department is fine')

    const before = await snapshot()
    const taken = await admin.post(url, { name: 'support l1', distribution: 'cherry_pick', default_max_chats: '4' })
    await refused(t, taken, before, 422, 'LC_ERR_GROUP_NAME_TAKEN', /A group named support l1 already exists in Support; choose another name/)
    t.ok(taken.body.startsWith(`<hx-partial hx-target="#lc-admin-new-group-${support}" hx-swap="outerHTML"><form id="lc-admin-new-group-${support}"`))
    t.match(taken.body, /name="name" value="support l1"/)
    const both = await admin.post(url, { name: 'Support L1', distribution: 'cherry_pick', default_max_chats: '99' })
    await refused(t, both, before, 422, 'LC_ERR_GROUP_NAME_TAKEN', /A group named Support L1 already exists in Support/)
    t.match(both.body, /Enter a whole number of chats from 1 to 50/, 'every problem at once')
    for (const limit of ['0', '51', 'abc', '', '4.5', '-1']) {
      const res = await admin.post(url, { name: 'Support L4', distribution: 'cherry_pick', default_max_chats: limit })
      await refused(t, res, before, 422, 'LC_ERR_FORM_INVALID', /Enter a whole number of chats from 1 to 50/)
    }
    await refused(t, await admin.post(url, { name: 'Support L4', distribution: 'lottery', default_max_chats: '4' }), before, 422, 'LC_ERR_FORM_INVALID', /Distribution: choose one of the listed options/)
    const nothing = await admin.post(url, {})
    await refused(t, nothing, before, 422, 'LC_ERR_FORM_INVALID', /Name is required/)
    t.match(nothing.body, /Distribution is required/)
    t.match(nothing.body, /Chat limit is required|Enter a whole number/)
    await refused(t, await admin.post('/livechat/admin/departments/999999/groups', { name: 'Lost', distribution: 'cherry_pick', default_max_chats: '4' }), before, 404, 'LC_ERR_DEPARTMENT_NOT_FOUND')
    await refused(t, await admin.post(url, { name: 'Support L4', distribution: 'cherry_pick', default_max_chats: '4' }, { 'x-csrf-token': '' }), before, 403, 'LC_ERR_CSRF')
  })

  t.test('edit group: rename, change the limit, disable and enable again; refusals re-render its form', async (t) => {
    const l3 = await groupId('Support L3')
    const url = `/livechat/admin/groups/${l3}`
    const res = await admin.post(url, { name: 'Support L3 (nights)', distribution: 'cherry_pick', default_max_chats: '50' })
    t.equal(res.statusCode, 200)
    t.match(res.body, /Disabled: takes no chats/)
    t.match(res.body, /Group Support L3 \(nights\) saved/)
    let row = await knex('lc_groups').where({ id: l3 }).first()
    t.same([row.name, row.distribution, Number(row.default_max_chats), Boolean(row.enabled)], ['Support L3 (nights)', 'cherry_pick', 50, false], 'no Enabled box means disabled')
    t.equal((await admin.post(url, { name: 'Support L3', distribution: 'cherry_pick', default_max_chats: '5', enabled: 'on' })).statusCode, 200)
    row = await knex('lc_groups').where({ id: l3 }).first()
    t.same([row.name, Number(row.default_max_chats), Boolean(row.enabled)], ['Support L3', 5, true])
    t.equal((await admin.post(url, { name: 'SUPPORT L3', distribution: 'cherry_pick', default_max_chats: '5', enabled: 'on' })).statusCode, 200, 'its own name in other case')
    await admin.post(url, { name: 'Support L3', distribution: 'cherry_pick', default_max_chats: '5', enabled: 'on' })

    const before = await snapshot()
    const taken = await admin.post(url, { name: 'Support L2', distribution: 'cherry_pick', default_max_chats: '5', enabled: 'on' })
    await refused(t, taken, before, 422, 'LC_ERR_GROUP_NAME_TAKEN', /A group named Support L2 already exists in Support/)
    t.ok(taken.body.startsWith(`<hx-partial hx-target="#lc-admin-group-form-${l3}" hx-swap="outerHTML"><form id="lc-admin-group-form-${l3}"`))
    t.match(taken.body, /name="enabled" value="on" checked/, 'the form comes back as it was sent')
    await refused(t, await admin.post(url, { name: 'Support L3', distribution: 'cherry_pick', default_max_chats: '500', enabled: 'on' }), before, 422, 'LC_ERR_FORM_INVALID', /from 1 to 50/)
    await refused(t, await admin.post(url, { name: 'Support L3', distribution: 'cherry_pick', default_max_chats: '5', enabled: 'yes' }), before, 422, 'LC_ERR_FORM_INVALID', /enabled must be one of: on/)
    await refused(t, await admin.post('/livechat/admin/groups/999999', { name: 'Lost', distribution: 'cherry_pick', default_max_chats: '4' }), before, 404, 'LC_ERR_GROUP_UNKNOWN', /Group 999999 does not exist; reload the page/)
    await refused(t, await alice.post(url, { name: 'Mine', distribution: 'cherry_pick', default_max_chats: '4' }), before, 403, 'LC_ERR_FORBIDDEN')
  })

  t.test('members: add by username, make inactive, set and clear a limit, remove', async (t) => {
    const l3 = await groupId('Support L3')
    const base = `/livechat/admin/groups/${l3}/members`
    const added = await admin.post(base, { username: ' BOB ' })
    t.equal(added.statusCode, 200)
    t.match(added.body, /Bob Brown added to Support L3/)
    t.match(added.body, new RegExp(`id="lc-admin-members-${l3}"[\\s\\S]*Bob Brown <small>bob</small>`))
    t.same([Boolean((await member(l3, 'bob')).active), (await member(l3, 'bob')).max_chats], [true, null])
    const bob = `${base}/${await userId('bob')}`

    const off = await admin.post(bob, { active: 'off' })
    t.equal(off.statusCode, 200)
    t.match(off.body, /Membership in Support L3 saved/)
    t.equal(Boolean((await member(l3, 'bob')).active), false)
    t.equal((await admin.post(bob, { max_chats: ' 7 ' })).statusCode, 200)
    t.same([Boolean((await member(l3, 'bob')).active), Number((await member(l3, 'bob')).max_chats)], [false, 7], 'a limit change keeps the state')
    t.match((await admin.get('/livechat/admin/groups')).body, /name="max_chats" value="7"/)
    t.equal((await admin.post(bob, { max_chats: '' })).statusCode, 200)
    t.equal((await member(l3, 'bob')).max_chats, null, 'blank is the group default')

    const before = await snapshot()
    const tooMany = await admin.post(bob, { max_chats: '99' })
    await refused(t, tooMany, before, 422, 'LC_ERR_FORM_INVALID', /Enter a whole number of chats from 1 to 50, or leave it blank for the group&#x27;s limit/)
    t.ok(tooMany.body.startsWith(`<hx-partial hx-target="#lc-admin-members-${l3}" hx-swap="outerHTML"><div id="lc-admin-members-${l3}"`))
    t.match(tooMany.body, /name="max_chats" value="99" inputmode="numeric" maxlength="3" placeholder="5" aria-invalid="true"/)
    await refused(t, await admin.post(bob, { active: 'sometimes' }), before, 422, 'LC_ERR_FORM_INVALID', /Active: choose one of the listed options/)
    await refused(t, await admin.post(base, { username: 'dana' }), before, 422, 'LC_ERR_NOT_AN_AGENT', /Dana Doyle is not a live chat agent: none of their help desk roles grants livechat.agent/)
    await refused(t, await admin.post(base, { username: 'nobody' }), before, 422, 'LC_ERR_USER_NOT_FOUND', /No help desk user has the username &quot;nobody&quot;; check the spelling/)
    await refused(t, await admin.post(base, { username: 'bo' }), before, 422, 'LC_ERR_USER_NOT_FOUND', /username &quot;bo&quot;/)
    await refused(t, await admin.post(base, { username: 'bob' }), before, 422, 'LC_ERR_ALREADY_MEMBER', /Bob Brown is already a member of Support L3/)
    const blank = await admin.post(base, { username: '' })
    await refused(t, blank, before, 422, 'LC_ERR_FORM_INVALID', /Username is required/)
    t.match(blank.body, new RegExp(`aria-describedby="lc-admin-members-${l3}-username-error"`))
    await refused(t, await admin.post(`${base}/${await userId('carol')}`, { active: 'on' }), before, 404, 'LC_ERR_MEMBER_NOT_FOUND', /not a member of Support L3/)
    await refused(t, await admin.post('/livechat/admin/groups/999999/members', { username: 'bob' }), before, 404, 'LC_ERR_GROUP_UNKNOWN')
    await refused(t, await sam.post(bob, { active: 'on' }), before, 403, 'LC_ERR_FORBIDDEN')
    await refused(t, await admin.post(`${bob}/remove`, {}, { 'x-csrf-token': '' }), before, 403, 'LC_ERR_CSRF')
    await refused(t, await admin.post(`${bob}/remove`, {}, { origin: 'https://evil.example' }), before, 403, 'LC_ERR_ORIGIN')

    const removed = await admin.post(`${bob}/remove`)
    t.equal(removed.statusCode, 200)
    t.match(removed.body, /Removed from Support L3/)
    t.equal(await member(l3, 'bob'), undefined)
    const after = await snapshot()
    await refused(t, await admin.post(`${bob}/remove`), after, 404, 'LC_ERR_MEMBER_NOT_FOUND')
  })

  t.test('user text is escaped everywhere it is shown', async (t) => {
    const res = await admin.post('/livechat/admin/departments', { name: '<img src=x onerror=alert(1)>' })
    t.equal(res.statusCode, 200)
    t.notMatch(res.body, /<img src=x/)
    t.match(res.body, /<h2 id="lc-admin-department-\d+-title">&lt;img src&#x3D;x onerror&#x3D;alert\(1\)&gt;<\/h2>/)
  })
})
