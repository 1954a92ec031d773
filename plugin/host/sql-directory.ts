import type { Knex } from 'knex'
import type { HostDirectory } from './adapter.ts'
import type { HostMapping, MembersMapping } from './mapping.ts'
import type { Row } from './sql-kit.ts'

/** The desk's departments and groups a user belongs to, by the user's own id in the agents' table (no prefix). */
export type Teams = Map<string, { departments?: string[], groups?: string[] }>

export interface SqlDirectory {
  /** HostAdapter.directory, when the mapping names departments or groups. */
  directory?: () => Promise<HostDirectory>
  /** What each of these agents belongs to (ids without prefix), for HostUser.departments and .groups. */
  teamsOf?: (ids: string[]) => Promise<Teams>
}

const text = (v: unknown): string => v === null || v === undefined ? '' : String(v)

/**
 * The desk's departments and groups (docs/hosts.md, "Departments and groups"), read from the
 * `departments` and `groups` sections of the mapping. Members are the agents' (host.agents,
 * else host.users) ids as HostUser has them, prefix and all. Nothing without either section.
 */
export function sqlDirectory (knex: Knex, map: HostMapping): SqlDirectory {
  const d = map.departments
  const g = map.groups
  if (!d && !g) return {}
  const agents = map.agents ?? map.users!
  const prefix = map.agents?.idPrefix ?? ''

  /** Pairs of (department or group id, agent id without prefix) from a column of the agents' table or a join table. */
  async function pairs (members: MembersMapping | undefined, agentIds?: string[]): Promise<Array<[string, string]>> {
    if (!members) return []
    if ('column' in members) {
      const q = knex(agents.table).select(agents.id, members.column).whereNotNull(members.column)
      if (agentIds) q.whereIn(agents.id, agentIds)
      return (await q as Row[]).map((r) => [text(r[members.column]), text(r[agents.id])])
    }
    const q = knex(members.table).select(members.id, members.userId)
    if (agentIds) q.whereIn(members.userId, agentIds)
    return (await q as Row[]).map((r) => [text(r[members.id]), text(r[members.userId])])
  }

  function byOwner (list: Array<[string, string]>): Map<string, string[]> {
    const out = new Map<string, string[]>()
    for (const [owner, agent] of list) out.set(owner, [...out.get(owner) ?? [], prefix + agent])
    return out
  }

  const byName = (a: { name: string, id: string }, b: { name: string, id: string }): number => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)

  return {
    async directory () {
      const out: HostDirectory = { departments: [], groups: [] }
      if (d) {
        const members = byOwner(await pairs(d.members))
        out.departments = (await knex(d.table).select(d.id, d.name) as Row[])
          .map((r) => ({ id: text(r[d.id]), name: text(r[d.name]).trim(), members: (members.get(text(r[d.id])) ?? []).sort() }))
          .sort(byName)
      }
      if (g) {
        const members = byOwner(await pairs(g.members))
        const columns = g.departmentId ? [g.id, g.name, g.departmentId] : [g.id, g.name]
        out.groups = (await knex(g.table).select(...columns) as Row[]).map((r) => {
          const dept = g.departmentId ? r[g.departmentId] : null
          return { id: text(r[g.id]), name: text(r[g.name]).trim(), departmentId: dept === null || dept === undefined ? null : text(dept), members: (members.get(text(r[g.id])) ?? []).sort() }
        }).sort(byName)
      }
      return out
    },

    async teamsOf (ids) {
      // Only what the mapping says members of: a desk without group members has no HostUser.groups.
      const out: Teams = new Map(ids.map((id) => [id, { ...d?.members ? { departments: [] } : {}, ...g?.members ? { groups: [] } : {} }]))
      if (ids.length === 0) return out
      for (const [owner, agent] of await pairs(d?.members, ids)) out.get(agent)?.departments?.push(owner)
      for (const [owner, agent] of await pairs(g?.members, ids)) out.get(agent)?.groups?.push(owner)
      for (const t of out.values()) { t.departments?.sort(); t.groups?.sort() }
      return out
    }
  }
}
