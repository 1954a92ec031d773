import t from 'tap'
import type { ImViewer } from '../../plugin/im/types.ts'
import { code, type ImServices, imServices, msgId } from '../helpers/im.ts'

/** Rows of the room tables, to show a refusal changed nothing. */
async function counts (s: ImServices): Promise<Record<string, number>> {
  const out: Record<string, number> = {}
  for (const table of ['lc_im_conversations', 'lc_im_participants', 'lc_im_messages', 'lc_im_room_access']) {
    out[table] = Number((await s.knex(table).count({ n: '*' }).first())?.n ?? 0)
  }
  return out
}

/*
 * The seeded desk: Support (Support L1: alice, bob; Support L2: carol) and Sales (Sales:
 * carol); sam is an inactive member of all three groups; admin belongs to none. Agents hold
 * the role agent, sam supervisor, admin admin; supervisor and admin grant livechat.rooms.
 */
t.test('chat room access', async (t) => {
  let now = Date.UTC(2026, 10, 21, 9, 0, 0)
  const clock = (): number => now++
  const s = await imServices(t, { clock })
  const people: Record<string, ImViewer> = {}
  for (const u of ['alice', 'bob', 'carol', 'sam', 'admin']) people[u] = await s.viewer(u)
  const { alice, bob, carol, sam, admin } = people as Record<'alice' | 'bob' | 'carol' | 'sam' | 'admin', ImViewer>
  const departments = await s.routing.departments()
  const support = String(departments.find((d) => d.name === 'Support')!.id)
  const l1 = String(await s.groupId('Support L1'))
  const sales = String(await s.groupId('Sales'))

  const room = async (name: string, access: Array<{ kind: 'department' | 'group' | 'role', ref: string }>) => (await s.im.createRoom(admin, { name, access })).id

  t.test('the permission matrix: department, group and role rules admit exactly their agents', async (t) => {
    const matrix: Array<{ name: string, access: Array<{ kind: 'department' | 'group' | 'role', ref: string }>, admitted: string[] }> = [
      { name: 'Support floor', access: [{ kind: 'department', ref: support }], admitted: ['alice', 'bob', 'carol', 'sam'] },
      { name: 'Sales corner', access: [{ kind: 'group', ref: sales }], admitted: ['carol', 'sam'] },
      { name: 'Supervisors', access: [{ kind: 'role', ref: 'supervisor' }], admitted: ['sam'] },
      { name: 'Admins', access: [{ kind: 'role', ref: 'admin' }], admitted: ['admin'] },
      { name: 'L1 and admins', access: [{ kind: 'group', ref: l1 }, { kind: 'role', ref: 'admin' }], admitted: ['alice', 'bob', 'sam', 'admin'] }
    ]
    for (const row of matrix) {
      const id = await room(row.name, row.access)
      for (const [username, viewer] of Object.entries(people)) {
        const expected = row.admitted.includes(username)
        const label = `${row.name}: ${username} ${expected ? 'admitted' : 'not admitted'}`
        t.equal(await s.im.admits(viewer.id, id), expected, `${label} (by id)`)
        t.equal(await s.im.admits(viewer, id), expected, `${label} (as viewer)`)
        const listed = (await s.im.list(viewer, { kind: 'room', view: 'active' })).some((c) => c.id === id)
        // Room managers (sam, admin) list every room, to manage it.
        t.equal(listed, expected || viewer.manageRooms, `${label}: listed`)
        if (expected) {
          await t.resolves(s.im.messages(viewer, id), `${label}: reads`)
        } else if (viewer.manageRooms) {
          t.equal((await s.im.get(viewer, id)).id, id, `${label}: a manager sees it`)
          await t.rejects(s.im.messages(viewer, id), { code: 'LC_ERR_IM_ROOM_NOT_ADMITTED', statusCode: 403 }, `${label}: but may not read it`)
          await t.rejects(s.im.post(viewer, id, 'Hi', msgId()), code('LC_ERR_IM_ROOM_NOT_ADMITTED'))
        } else {
          await t.rejects(s.im.get(viewer, id), { code: 'LC_ERR_IM_NOT_FOUND', statusCode: 404 }, `${label}: 404`)
          await t.rejects(s.im.post(viewer, id, 'Hi', msgId()), code('LC_ERR_IM_NOT_FOUND'))
          await t.rejects(s.im.join(viewer, id), code('LC_ERR_IM_NOT_FOUND'))
          await t.rejects(s.im.roomAccess(viewer, id), code('LC_ERR_IM_NOT_FOUND'))
        }
      }
    }
  })

  t.test('posting joins a room; its lines make no pop-ups; leaving and joining are event lines', async (t) => {
    const id = await room('Posting', [{ kind: 'group', ref: l1 }])
    const first = await s.im.post(alice, id, 'Morning all', msgId())
    t.equal(first.seq, 2)
    const summary = await s.im.get(alice, id)
    t.same(summary.participants.map((p) => p.name), ['Alice Adams'])
    t.equal(summary.title, 'Posting')
    await s.im.join(bob, id)
    await s.im.leave(alice, id)
    t.same((await s.im.messages(bob, id)).map((m) => m.body), ['Alice Adams joined', 'Morning all', 'Bob Brown joined', 'Alice Adams left'])
    await new Promise((resolve) => setImmediate(resolve))
    const messages = s.events.filter((e) => e.type === 'im.message' && e.conversationId === id)
    t.equal(messages.length, 4)
    t.ok(messages.every((e) => e.type === 'im.message' && e.kind === 'room' && e.recipients.length === 0))
    t.equal((await s.im.get(alice, id)).status, 'active', 'a room stays active when everyone left')
    t.equal((await s.im.get(bob, id)).unread, 1, 'joining read what came before; Alice left since')
    await s.im.post(alice, id, 'Back', msgId())
    t.equal((await s.im.get(bob, id)).unread, 3, 'a joined agent counts unread room lines')
    t.equal((await s.im.get(alice, id)).unread, 0, 'the author has read up to their own message')
    await t.rejects(s.im.invite(alice, id, [bob.id]), code('LC_ERR_IM_AGENTS'), 'nobody is invited to a room')
  })

  t.test('removing a rule revokes access at once; the last rule cannot be removed', async (t) => {
    const id = await room('Shared', [{ kind: 'group', ref: l1 }, { kind: 'group', ref: sales }])
    await s.im.post(alice, id, 'Hello', msgId())
    const rules = await s.im.roomAccess(admin, id)
    t.same(rules.map((r) => [r.kind, r.ref, r.label]), [['group', l1, 'Support L1 (Support)'], ['group', sales, 'Sales (Sales)']])
    const before = s.events.length
    const left = await s.im.removeRoomAccess(admin, id, rules[0]!.id)
    t.same(left.map((r) => r.ref), [sales])
    await new Promise((resolve) => setImmediate(resolve))
    t.ok(s.events.slice(before).some((e) => e.type === 'im.access' && e.conversationId === id), 'followers are told to re-check')
    t.equal(await s.im.admits(alice.id, id), false)
    await t.rejects(s.im.messages(alice, id), code('LC_ERR_IM_NOT_FOUND'))
    await t.rejects(s.im.post(alice, id, 'Still here?', msgId()), code('LC_ERR_IM_NOT_FOUND'))
    t.notOk((await s.im.list(alice, { kind: 'room', view: 'active' })).some((c) => c.id === id))
    t.equal(await s.im.admits(carol.id, id), true, 'Sales still may')
    const unchanged = await counts(s)
    await t.rejects(s.im.removeRoomAccess(admin, id, left[0]!.id), { code: 'LC_ERR_IM_ROOM_NO_ACCESS', statusCode: 422 })
    await t.rejects(s.im.removeRoomAccess(admin, id, rules[0]!.id), { code: 'LC_ERR_IM_ROOM_ACCESS_NOT_FOUND', statusCode: 404 })
    await t.rejects(s.im.removeRoomAccess(carol, id, left[0]!.id), { code: 'LC_ERR_FORBIDDEN', statusCode: 403 })
    t.same(await counts(s), unchanged, 'nothing changed')
    t.same((await s.im.roomAccess(admin, id)).map((r) => r.ref), [sales])
  })

  t.test('leaving a group revokes a room it admitted; coming back restores it', async (t) => {
    const id = await room('L1 only', [{ kind: 'department', ref: support }])
    t.equal(await s.im.admits(bob.id, id), true)
    await s.routing.removeMember(Number(l1), bob.id)
    t.equal(await s.im.admits(bob.id, id), false)
    await t.rejects(s.im.get(bob, id), code('LC_ERR_IM_NOT_FOUND'))
    await s.routing.setMember(Number(l1), bob.id)
    t.equal(await s.im.admits(bob.id, id), true)
  })

  t.test('creating: rooms need a manager, a free name and at least one rule that exists; nothing is stored otherwise', async (t) => {
    await room('Taken', [{ kind: 'role', ref: 'agent' }])
    const before = await counts(s)
    await t.rejects(s.im.createRoom(alice, { name: 'Mine', access: [{ kind: 'group', ref: l1 }] }), { code: 'LC_ERR_FORBIDDEN', message: /livechat\.rooms/ })
    await t.rejects(s.im.createRoom(admin, { name: 'Nobody', access: [] }), { code: 'LC_ERR_IM_ROOM_NO_ACCESS', message: 'Add at least one department, group or role who may join' })
    await t.rejects(s.im.createRoom(admin, { name: 'Ghost', access: [{ kind: 'department', ref: '9999' }] }), { code: 'LC_ERR_IM_ROOM_ACCESS', message: /no department 9999/ })
    await t.rejects(s.im.createRoom(admin, { name: 'Ghost', access: [{ kind: 'group', ref: 'x' }] }), { code: 'LC_ERR_IM_ROOM_ACCESS', message: /no group x/ })
    await t.rejects(s.im.createRoom(admin, { name: 'Ghost', access: [{ kind: 'role', ref: 'wizard' }] }), { code: 'LC_ERR_IM_ROOM_ACCESS', message: /no role wizard/ })
    await t.rejects(s.im.createRoom(admin, { name: 'Ghost', access: [{ kind: 'role', ref: 'constructor' }] }), code('LC_ERR_IM_ROOM_ACCESS'), 'not an inherited property')
    await t.rejects(s.im.createRoom(admin, { name: '   ', access: [{ kind: 'role', ref: 'agent' }] }), { code: 'LC_ERR_IM_ROOM_NAME', message: /at most 120/ })
    await t.rejects(s.im.createRoom(admin, { name: 'x'.repeat(121), access: [{ kind: 'role', ref: 'agent' }] }), code('LC_ERR_IM_ROOM_NAME'))
    await t.rejects(s.im.createRoom(admin, { name: ' Taken ', access: [{ kind: 'role', ref: 'agent' }] }), { code: 'LC_ERR_IM_ROOM_NAME', message: /A room named Taken already exists/ })
    t.same(await counts(s), before, 'nothing stored')
    const twice = await s.im.createRoom(sam, { name: 'Doubled', access: [{ kind: 'role', ref: 'agent' }, { kind: 'role', ref: 'agent' }] })
    t.equal((await s.im.roomAccess(sam, twice.id)).length, 1, 'the same rule twice is one rule')
  })

  t.test('managing: add a rule (not twice), rename (unique), make inactive (nothing posted or joined) and active again', async (t) => {
    const id = await room('Managed', [{ kind: 'group', ref: sales }])
    await t.rejects(s.im.addRoomAccess(admin, id, { kind: 'group', ref: sales }), { code: 'LC_ERR_IM_ROOM_ACCESS_TAKEN', message: /Sales \(Sales\) may already join/ })
    await t.rejects(s.im.addRoomAccess(carol, id, { kind: 'group', ref: l1 }), code('LC_ERR_FORBIDDEN'))
    await t.rejects(s.im.addRoomAccess(admin, id, { kind: 'department', ref: '0' }), code('LC_ERR_IM_ROOM_ACCESS'))
    const rules = await s.im.addRoomAccess(admin, id, { kind: 'role', ref: 'supervisor' })
    t.same(rules.map((r) => r.label), ['Sales (Sales)', 'Role supervisor'])
    await room('Other', [{ kind: 'role', ref: 'agent' }])
    await t.rejects(s.im.renameRoom(admin, id, 'Other'), code('LC_ERR_IM_ROOM_NAME'))
    t.equal((await s.im.renameRoom(admin, id, '  Managed   room ')).title, 'Managed room')
    await s.im.post(carol, id, 'Before', msgId())
    const inactive = await s.im.setRoomStatus(admin, id, 'inactive')
    t.equal(inactive.status, 'inactive')
    await t.rejects(s.im.post(carol, id, 'After', msgId()), { code: 'LC_ERR_IM_ROOM_INACTIVE', statusCode: 409, message: /Managed room is inactive/ })
    await t.rejects(s.im.join(sam, id), code('LC_ERR_IM_ROOM_INACTIVE'))
    t.equal((await s.im.messages(carol, id)).length, 2, 'still readable')
    t.ok((await s.im.list(carol, { kind: 'room', view: 'inactive' })).some((c) => c.id === id))
    t.notOk((await s.im.list(carol, { kind: 'room', view: 'active' })).some((c) => c.id === id))
    await t.rejects(s.im.setRoomStatus(carol, id, 'active'), code('LC_ERR_FORBIDDEN'))
    t.equal((await s.im.setRoomStatus(sam, id, 'active')).status, 'active')
    t.equal((await s.im.post(carol, id, 'After', msgId())).body, 'After')
    await t.rejects(s.im.renameRoom(admin, (await s.im.startThread(alice, { agentIds: [bob.id], body: 'Hi', clientMsgId: msgId() })).conversation.id, 'A thread'), code('LC_ERR_IM_NOT_FOUND'), 'threads are no rooms')
  })

  t.test('withAccess and accessOptions: who a room admits now, and what rules can name', async (t) => {
    const id = await room('Who', [{ kind: 'group', ref: sales }, { kind: 'role', ref: 'admin' }])
    const cards = await s.im.withAccess(sam, id)
    t.same(cards.map((c) => c.name), ['Ada Admin', 'Carol Chen', 'Sam Supervisor'], 'members of Sales and holders of the admin role, by name')
    const options = await s.im.accessOptions()
    t.same(options.departments.map((d) => d.name), ['Support', 'Sales'])
    t.same(options.groups.map((g) => `${g.name}/${g.departmentName}`).sort(), ['Sales/Sales', 'Support L1/Support', 'Support L2/Support'])
    t.same(options.roles, Object.keys(s.settings.rolePermissions).sort())
    t.ok(options.roles.includes('supervisor'))
  })
})
