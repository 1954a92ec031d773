import { isUniqueViolation, transact } from '../db/index.ts'
import {
  LC_ERR_FORBIDDEN, LC_ERR_IM_ROOM_ACCESS, LC_ERR_IM_ROOM_ACCESS_NOT_FOUND, LC_ERR_IM_ROOM_ACCESS_TAKEN, LC_ERR_IM_ROOM_NAME, LC_ERR_IM_ROOM_NO_ACCESS
} from '../errors.ts'
import { clip, type ImCommon, maxRoomName } from './common.ts'
import type { ImService, RoomAccessRule } from './service.ts'
import * as store from './store.ts'
import { maxAgents } from './summaries.ts'
import type { RoomAccess } from './types.ts'

/**
 * Chat rooms as their managers (livechat.rooms) see them: creating, renaming, making
 * inactive, and the access rules that say who may join (docs/features.md#chat-rooms).
 * Managing a room does not by itself admit the manager to its conversation.
 */

const problems = {
  roomName: `Give the room a name of at most ${maxRoomName} characters`,
  roomNameTaken: (name: string) => `A room named ${name} already exists; choose another name`
}

export function createRooms (c: ImCommon): Pick<ImService,
  'createRoom' | 'renameRoom' | 'addRoomAccess' | 'removeRoomAccess' | 'setRoomStatus' | 'roomAccess' | 'withAccess' | 'accessOptions'> {
  const { db, bus, host, routing, clock, settings, room, visible, notFound, publish, summary } = c

  /** The rules with what a person reads: a department's or group's name (or that it was removed), a role. */
  async function ruleLabels (rows: Array<Pick<store.LcImRoomAccessRow, 'id' | 'kind' | 'ref'>>): Promise<RoomAccess[]> {
    const [departments, groups] = await Promise.all([routing.departments(), routing.groups()])
    return rows.map((r) => {
      let label = r.ref
      if (r.kind === 'department') label = departments.find((d) => String(d.id) === r.ref)?.name ?? `Department ${r.ref} (removed)`
      if (r.kind === 'group') {
        const g = groups.find((x) => String(x.id) === r.ref)
        label = g ? `${g.name} (${g.departmentName})` : `Group ${r.ref} (removed)`
      }
      if (r.kind === 'role') label = `Role ${r.ref}`
      return { id: Number(r.id), kind: r.kind, ref: r.ref, label }
    })
  }

  async function labelledRules (conversationId: number): Promise<RoomAccess[]> {
    return await ruleLabels(await store.roomAccessOf(db, [conversationId]))
  }

  /** A rule that names something that exists, or LC_ERR_IM_ROOM_ACCESS naming what does not. */
  async function checkRule (rule: RoomAccessRule): Promise<RoomAccessRule> {
    const ref = String(rule.ref).trim()
    const numeric = /^[1-9][0-9]{0,9}$/.test(ref)
    if (rule.kind === 'department') {
      if (!numeric || !await routing.department(Number(ref))) throw new LC_ERR_IM_ROOM_ACCESS(`There is no department ${clip(ref, 64)} (it may have been removed)`)
    } else if (rule.kind === 'group') {
      if (!numeric || !(await routing.groups()).some((g) => g.id === Number(ref))) throw new LC_ERR_IM_ROOM_ACCESS(`There is no group ${clip(ref, 64)} (it may have been removed)`)
    } else if (rule.kind === 'role') {
      if (!Object.hasOwn(settings.rolePermissions, ref)) throw new LC_ERR_IM_ROOM_ACCESS(`There is no role ${clip(ref, 64)} in the live chat settings`)
    } else {
      throw new LC_ERR_IM_ROOM_ACCESS(`${clip(String(rule.kind), 20)} is not a kind of permission`)
    }
    return { kind: rule.kind, ref }
  }

  /** Spaces collapsed and trimmed; 1 to maxRoomName characters. */
  function roomName (name: string): string {
    const clean = name.replace(/\s+/g, ' ').trim()
    if (clean.length === 0 || [...clean].length > maxRoomName) throw new LC_ERR_IM_ROOM_NAME(problems.roomName)
    return clean
  }

  async function nameFree (name: string, except?: number): Promise<void> {
    const row = await store.roomByName(db, name)
    if (row && Number(row.id) !== except) throw new LC_ERR_IM_ROOM_NAME(problems.roomNameTaken(name))
  }

  return {
    async createRoom (viewer, input) {
      if (!viewer.manageRooms) throw new LC_ERR_FORBIDDEN('livechat.rooms')
      const name = roomName(input.name)
      // A room nobody may join is refused: at least one rule, each naming something that exists.
      if (input.access.length === 0) throw new LC_ERR_IM_ROOM_NO_ACCESS()
      const rules: RoomAccessRule[] = []
      for (const rule of input.access) {
        const ok = await checkRule(rule)
        if (!rules.some((r) => r.kind === ok.kind && r.ref === ok.ref)) rules.push(ok)
      }
      await nameFree(name)
      const at = clock()
      const id = await transact(db, async (trx) => {
        const id = await store.insertConversation(trx, {
          ...c.blank(at),
          kind: 'room',
          name,
          started_by: viewer.id,
          started_by_name: viewer.name,
          last_message_at: null
        })
        for (const rule of rules) await store.insertRoomAccess(trx, { conversation_id: id, kind: rule.kind, ref: rule.ref, created_by: viewer.id, created_at: at })
        return id
      })
      await bus.publish({ type: 'im.updated', conversationId: id, kind: 'room', agentIds: [], standing: true })
      return await summary(viewer, id)
    },

    async renameRoom (viewer, conversationId, input) {
      const rec = await room(viewer, conversationId)
      const name = roomName(input)
      if (name === rec.name) return await summary(viewer, conversationId)
      await nameFree(name, conversationId)
      await store.updateConversation(db, conversationId, { name, updated_at: clock() })
      await publish(conversationId, 'room', [], true, viewer.id)
      return await summary(viewer, conversationId)
    },

    async addRoomAccess (viewer, conversationId, input) {
      await room(viewer, conversationId)
      const rule = await checkRule(input)
      const existing = await store.roomAccessOf(db, [conversationId])
      const label = async (): Promise<string> => (await ruleLabels([{ id: 0, kind: rule.kind, ref: rule.ref }]))[0]!.label
      if (existing.some((r) => r.kind === rule.kind && r.ref === rule.ref)) throw new LC_ERR_IM_ROOM_ACCESS_TAKEN(await label())
      try {
        await store.insertRoomAccess(db, { conversation_id: conversationId, kind: rule.kind, ref: rule.ref, created_by: viewer.id, created_at: clock() })
      } catch (err) {
        // The same rule added twice at once: the unique index keeps one.
        if (isUniqueViolation(err)) throw new LC_ERR_IM_ROOM_ACCESS_TAKEN(await label())
        throw err
      }
      // Sockets following the room check their agent's access again.
      await bus.publish({ type: 'im.access', conversationId })
      return await labelledRules(conversationId)
    },

    async removeRoomAccess (viewer, conversationId, accessId) {
      await room(viewer, conversationId)
      await transact(db, async (trx) => {
        // The room's row first: two removals at once queue here, so they cannot both take "one of two".
        await store.updateConversation(trx, conversationId, { updated_at: clock() })
        const rules = await store.roomAccessOf(trx, [conversationId])
        if (!rules.some((r) => Number(r.id) === accessId)) throw new LC_ERR_IM_ROOM_ACCESS_NOT_FOUND()
        if (rules.length <= 1) throw new LC_ERR_IM_ROOM_NO_ACCESS()
        await store.deleteRoomAccess(trx, conversationId, accessId)
      })
      await bus.publish({ type: 'im.access', conversationId })
      return await labelledRules(conversationId)
    },

    async setRoomStatus (viewer, conversationId, status) {
      const rec = await room(viewer, conversationId)
      if (rec.status !== status) {
        const at = clock()
        const n = await store.updateConversation(db, conversationId, { status, inactive_at: status === 'inactive' ? at : null, updated_at: at }, { status: rec.status })
        if (n > 0) await publish(conversationId, 'room', [], true, viewer.id)
      }
      return await summary(viewer, conversationId)
    },

    async roomAccess (viewer, conversationId) {
      const rec = await visible(viewer, conversationId)
      if (rec.kind !== 'room') throw notFound(conversationId)
      return await labelledRules(conversationId)
    },

    async withAccess (viewer, conversationId) {
      const rec = await visible(viewer, conversationId)
      if (rec.kind !== 'room') throw notFound(conversationId)
      const rules = await store.roomAccessOf(db, [conversationId])
      const groups = await routing.groups()
      const groupIds = new Set<number>()
      for (const r of rules) {
        if (r.kind === 'group') groupIds.add(Number(r.ref))
        if (r.kind === 'department') for (const g of groups) if (String(g.departmentId) === r.ref) groupIds.add(g.id)
      }
      const ids = new Set(groupIds.size > 0 ? (await routing.members([...groupIds])).map((m) => m.agentId) : [])
      const roles = rules.filter((r) => r.kind === 'role').map((r) => r.ref)
      // A host that cannot list users by role shows the group members only.
      const holders = roles.length > 0 && host.usersWithRoles ? await host.usersWithRoles(roles, maxAgents) : []
      const found = await c.users(ids)
      for (const u of holders) if (c.isAgent(u) && !found.some((f) => f.id === u.id)) found.push(u)
      return await c.cards(found)
    },

    async accessOptions () {
      const [departments, groups] = await Promise.all([routing.departments(), routing.groups()])
      return {
        departments: departments.map((d) => ({ id: d.id, name: d.name })),
        groups: groups.map((g) => ({ id: g.id, name: g.name, departmentName: g.departmentName })),
        roles: Object.keys(settings.rolePermissions).sort()
      }
    }
  }
}
