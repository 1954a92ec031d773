import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import type { HostAdapter, HostUser } from './adapter.ts'
import type { HostMapping } from './mapping.ts'
import { cookieFrom, hostClock, type Row } from './sql-kit.ts'

type Identity = Pick<HostAdapter, 'currentUser' | 'getUser' | 'findUsers' | 'usersWithRoles'>

/** Who is signed in and who the desk's users are: the sessions and users of the mapping. */
export function sqlIdentity (knex: Knex, map: HostMapping): Identity {
  const u = map.users
  const now = hostClock(knex, map.times)

  function toUser (row: Row | undefined): HostUser | null {
    if (!row) return null
    return {
      id: String(row[u.id]),
      username: String(row[u.username] ?? ''),
      name: String(row[u.name] ?? ''),
      email: String(row[u.email] ?? ''),
      roles: String(row[u.roles] ?? '').split(/[\s,]+/).filter(Boolean)
    }
  }

  return {
    async currentUser (request) {
      const s = map.sessions
      const token = cookieFrom(request, s.cookie)
      if (!token || token.length > 512) return null
      const hash = createHash('sha256').update(token).digest('hex')
      const row = await knex(s.table)
        .join(u.table, `${u.table}.${u.id}`, `${s.table}.${s.userId}`)
        .select(`${u.table}.*`)
        .where(`${s.table}.${s.tokenHash}`, hash)
        .andWhere(`${s.table}.${s.expiresAt}`, '>', now())
        .first()
      return toUser(row)
    },

    async getUser (id) {
      return toUser(await knex(u.table).where(u.id, id).first())
    },

    async findUsers (query, limit = 20) {
      const like = `%${query.replace(/[\\%_]/g, (c) => '\\' + c)}%`
      const rows = await knex(u.table)
        .where((q) => { q.where(u.name, 'like', like).orWhere(u.email, 'like', like).orWhere(u.username, 'like', like) })
        .orderBy(u.name).limit(limit)
      return rows.map((r: Row) => toUser(r) as HostUser)
    },

    // Roles are one text column of names ("agent, supervisor"): LIKE narrows the rows (a
    // wildcard stands for any % or backslash, so the match is only ever wider), and the exact
    // names are compared after splitting, so "agent" never matches "agents".
    async usersWithRoles (roles, limit) {
      const wanted = new Set(roles)
      if (wanted.size === 0) return []
      const out: HostUser[] = []
      const page = 500
      for (let offset = 0; out.length < limit; offset += page) {
        const rows = await knex(u.table)
          .where((q) => { for (const role of wanted) q.orWhere(u.roles, 'like', `%${role.replace(/[\\%]/g, '_')}%`) })
          .orderBy(u.name).orderBy(u.id).limit(page).offset(offset)
        for (const row of rows as Row[]) {
          const user = toUser(row)!
          if (user.roles.some((r) => wanted.has(r))) out.push(user)
          if (out.length === limit) break
        }
        if (rows.length < page) break
      }
      return out
    }
  }
}
