import { createHash } from 'node:crypto'
import type { Knex } from 'knex'
import type { HostAdapter, HostUser, TicketRequester } from './adapter.ts'
import type { HostMapping, PeopleMapping, RolesMapping } from './mapping.ts'
import { sqlDirectory, type Teams } from './sql-directory.ts'
import { cookieFrom, hostClock, isSqlite, type Row } from './sql-kit.ts'

/** Who a session's data says is signed in: ids as the desk's own tables have them, without prefixes. */
export interface SessionIdentity { agentId?: string, customerId?: string }

export interface IdentityOptions {
  /**
   * Reads who is signed in from the session's data (`host.sessions.data`): an adapter for a
   * desk that serializes its sessions supplies only this. Null, or a throw, is nobody.
   */
  decodeSession?: (data: string) => SessionIdentity | null
}

type Identity = Pick<HostAdapter, 'currentUser' | 'getUser' | 'getUsers' | 'findUsers' | 'usersWithRoles'>

/** One table of people, read as HostUsers. */
interface People {
  prefix: string
  get: (id: string) => Promise<HostUser | null>
  getMany: (ids: string[]) => Promise<HostUser[]>
  find: (like: string, limit: number) => Promise<HostUser[]>
  withRoles: (wanted: Set<string>, limit: number) => Promise<HostUser[]>
}

const byName = (a: HostUser, b: HostUser): number => a.name.localeCompare(b.name) || a.id.localeCompare(b.id)

/**
 * Who is signed in and who the desk's users are: the sessions and users (or agents and
 * customers) of the mapping. The mapping is checked first; a malformed one throws an Error
 * naming the field.
 */
export function sqlIdentity (knex: Knex, map: HostMapping, options: IdentityOptions = {}): Identity {
  checkIdentityMapping(map, options)
  const s = map.sessions
  const now = hostClock(knex, map.times)
  const split = map.users === undefined
  // The desk's departments and groups an agent belongs to, where the mapping has them (HostUser.departments, .groups).
  const teamsOf = sqlDirectory(knex, map).teamsOf
  const agents = split ? peopleTable(knex, map.agents!, { kind: 'agent', prefix: map.agents!.idPrefix, teamsOf }) : peopleTable(knex, map.users!, { prefix: '', teamsOf })
  const customers = split
    ? peopleTable(knex, map.customers!, { kind: 'customer', prefix: map.customers!.idPrefix, fixedRoles: [map.customers!.role ?? 'customer'] })
    : agents
  const tables = split ? [agents, customers] : [agents]

  function decode (data: unknown): SessionIdentity | null {
    if (data === null || data === undefined) return null
    try {
      const who = options.decodeSession!(Buffer.isBuffer(data) ? data.toString('utf8') : String(data))
      if (!who || typeof who !== 'object') return null
      const id = (v: unknown): string | undefined => typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined
      return { agentId: id(who.agentId), customerId: id(who.customerId) }
    } catch {
      return null
    }
  }

  async function merged (limit: number, each: (p: People) => Promise<HostUser[]>): Promise<HostUser[]> {
    if (tables.length === 1) return await each(agents)
    const found = (await Promise.all(tables.map(each))).flat()
    return found.sort(byName).slice(0, limit)
  }

  return {
    // A session carrying both an agent's and a customer's login is the agent's: the agent's
    // sign-in is the one the console needs (docs/hosts.md, "Who is signed in").
    async currentUser (request) {
      const token = cookieFrom(request, s.cookie)
      if (!token || token.length > 512) return null
      const key = s.token === 'raw' ? token : createHash('sha256').update(token).digest('hex')
      const rows = await knex(s.table)
        .select(s.tokenHash, s.data ?? s.userId!)
        .where(s.tokenHash, key)
        .andWhere(s.expiresAt, '>', now())
        .limit(5) as Row[]
      // A case-insensitive collation (MySQL's) or trailing spaces match more than the cookie:
      // only the exact value counts (a hex digest in either case).
      const stored = (r: Row): string => s.token === 'raw' ? String(r[s.tokenHash]) : String(r[s.tokenHash]).toLowerCase()
      const row = rows.find((r) => stored(r) === key)
      if (!row) return null
      if (s.data === undefined) return await agents.get(String(row[s.userId!]))
      const who = decode(row[s.data])
      const agent = who?.agentId === undefined ? null : await agents.get(who.agentId)
      if (agent) return agent
      return who?.customerId === undefined ? null : await customers.get(who.customerId)
    },

    async getUser (id) {
      for (const people of tables) {
        if (id.startsWith(people.prefix)) return await people.get(id.slice(people.prefix.length))
      }
      return null
    },

    async getUsers (ids) {
      const found = await Promise.all(tables.map(async (people) => {
        const own = ids.filter((id) => id.startsWith(people.prefix)).map((id) => id.slice(people.prefix.length))
        return own.length === 0 ? [] : await people.getMany(own)
      }))
      return found.flat()
    },

    async findUsers (query, limit = 20) {
      const like = `%${query.replace(/[\\%_]/g, (c) => '\\' + c)}%`
      return await merged(limit, async (p) => await p.find(like, limit))
    },

    async usersWithRoles (roles, limit) {
      const wanted = new Set(roles)
      if (wanted.size === 0) return []
      return await merged(limit, async (p) => await p.withRoles(wanted, limit))
    }
  }
}

/** Roles read as the mapping says: a column of names, a join table of names, or an id looked up. */
function rolesKind (roles: RolesMapping | undefined): 'column' | 'join' | 'lookup' | 'fixed' {
  if (roles === undefined) return 'fixed'
  if (typeof roles === 'string') return 'column'
  return 'column' in roles ? 'lookup' : 'join'
}

function peopleTable (knex: Knex, m: PeopleMapping, opts: { kind?: 'agent' | 'customer', prefix: string, fixedRoles?: string[], teamsOf?: (ids: string[]) => Promise<Teams> }): People {
  const sqlite = isSqlite(knex)
  const col = (c: string): string => `u.${c}`
  const kind = rolesKind(m.roles)
  const lookup = kind === 'lookup' ? m.roles as { column: string, table: string, id: string, name: string } : undefined
  const join = kind === 'join' ? m.roles as { table: string, userId: string, role: string } : undefined
  const address = typeof m.email === 'string' ? undefined : m.email
  const emailColumn = address === undefined ? col(m.email as string) : `lc_e.${address.address}`
  // The name as SQL, to search and sort by: one column, or first and last joined with a space.
  const name = m.name !== undefined
    ? { sql: '??', bindings: [col(m.name)] }
    : { sql: sqlite ? "trim(trim(coalesce(??, '')) || ' ' || trim(coalesce(??, '')))" : "trim(concat(trim(coalesce(??, '')), ' ', trim(coalesce(??, ''))))", bindings: [col(m.firstName!), col(m.lastName!)] }
  const text = (v: unknown): string => v === null || v === undefined ? '' : String(v)

  function base (): Knex.QueryBuilder {
    const q = knex({ u: m.table }).select('u.*')
    if (lookup) q.leftJoin({ lc_r: lookup.table }, `lc_r.${lookup.id}`, col(lookup.column)).select({ lc_role_name: `lc_r.${lookup.name}` })
    if (address) q.leftJoin({ lc_e: address.table }, `lc_e.${address.id}`, col(address.column)).select({ lc_email: emailColumn })
    return q
  }
  const ordered = (q: Knex.QueryBuilder): Knex.QueryBuilder => q.orderByRaw(name.sql, name.bindings).orderBy(col(m.id))

  /** What a user's row does not hold: their roles (a join table's) and their teams, read together. */
  async function extras (ids: unknown[]): Promise<{ joined: Map<string, string[]>, teams: Teams | undefined }> {
    const joined = new Map<string, string[]>()
    if (ids.length === 0) return { joined, teams: undefined }
    const [links, teams] = await Promise.all([
      join ? knex(join.table).select(join.userId, join.role).whereIn(join.userId, ids as string[]) as Promise<Row[]> : [],
      opts.teamsOf ? opts.teamsOf(ids.map(String)) : undefined
    ])
    for (const link of links) {
      const list = joined.get(String(link[join!.userId])) ?? []
      list.push(text(link[join!.role]))
      joined.set(String(link[join!.userId]), list)
    }
    return { joined, teams }
  }

  async function users (rows: Row[], known?: Awaited<ReturnType<typeof extras>>): Promise<HostUser[]> {
    const { joined, teams } = known ?? await extras(rows.map((r) => r[m.id]))
    return rows.map((row) => {
      const id = String(row[m.id])
      const email = text(address === undefined ? row[m.email as string] : row.lc_email)
      const roles = {
        column: () => text(row[m.roles as string]).split(/[\s,]+/).filter(Boolean),
        lookup: () => [text(row.lc_role_name)].filter(Boolean),
        join: () => (joined.get(id) ?? []).filter(Boolean).sort(),
        fixed: () => [...opts.fixedRoles ?? []]
      }[kind]()
      const user: HostUser = {
        id: opts.prefix + id,
        username: m.username === undefined ? email : text(row[m.username]),
        name: m.name !== undefined ? text(row[m.name]) : `${text(row[m.firstName!]).trim()} ${text(row[m.lastName!]).trim()}`.trim(),
        email,
        roles
      }
      if (opts.kind) user.kind = opts.kind
      const team = teams?.get(id)
      if (team?.departments) user.departments = team.departments
      if (team?.groups) user.groups = team.groups
      return user
    })
  }

  return {
    prefix: opts.prefix,

    async get (id) {
      if (id === '') return null
      // The user's row, roles and teams at once (every request's sign-in check reads them,
      // and on MySQL/MariaDB each read is a round trip); extras for an id with no row are dropped.
      const [found, known] = await Promise.all([base().where(col(m.id), id).limit(5) as Promise<Row[]>, extras([id])])
      // MySQL compares text with a number as a number ('3abc' = 3): only the exact id counts.
      const rows = found.filter((r) => String(r[m.id]) === id)
      const [user] = await users(rows.slice(0, 1), known)
      return user ?? null
    },

    async getMany (ids) {
      const wanted = new Set(ids.filter((id) => id !== ''))
      if (wanted.size === 0) return []
      // As get: only exact ids count.
      return await users((await base().whereIn(col(m.id), [...wanted]) as Row[]).filter((r) => wanted.has(String(r[m.id]))))
    },

    async find (like, limit) {
      const rows = await ordered(base().where((q) => {
        q.whereRaw(`${name.sql} like ?`, [...name.bindings, like]).orWhere(emailColumn, 'like', like)
        if (m.username !== undefined) q.orWhere(col(m.username), 'like', like)
      })).limit(limit) as Row[]
      return await users(rows)
    },

    async withRoles (wanted, limit) {
      const names = [...wanted]
      if (kind === 'fixed') return opts.fixedRoles!.some((r) => wanted.has(r)) ? await users(await ordered(base()).limit(limit) as Row[]) : []
      if (lookup) return await users(await ordered(base().whereIn(`lc_r.${lookup.name}`, names)).limit(limit) as Row[])
      if (join) return await users(await ordered(base().whereIn(col(m.id), knex(join.table).select(join.userId).whereIn(join.role, names))).limit(limit) as Row[])
      // Roles are one text column of names ("agent, supervisor"): LIKE narrows the rows (a
      // wildcard stands for any % or backslash, so the match is only ever wider), and the exact
      // names are compared after splitting, so "agent" never matches "agents".
      const out: HostUser[] = []
      const page = 500
      for (let offset = 0; out.length < limit; offset += page) {
        const rows = await ordered(base().where((q) => { for (const role of names) q.orWhere(col(m.roles as string), 'like', `%${role.replace(/[\\%]/g, '_')}%`) }))
          .limit(page).offset(offset) as Row[]
        for (const user of await users(rows)) {
          if (user.roles.some((r) => wanted.has(r))) out.push(user)
          if (out.length === limit) break
        }
        if (rows.length < page) break
      }
      return out
    }
  }
}

const identifier = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

/**
 * Checks the sessions and users (or agents and customers) of a mapping, as sqlHost is built:
 * a mapping given in code is not checked by the manifest's schema. Throws an Error naming
 * the field and what it should be.
 */
export function checkIdentityMapping (map: HostMapping, options: IdentityOptions = {}): void {
  const fail = (field: string, problem: string): never => { throw new Error(`host.${field}: ${problem}`) }
  const record = (value: unknown, field: string): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(field, 'must be an object')
    return value as Record<string, unknown>
  }
  const name = (section: Record<string, unknown>, field: string, key: string, required = true): void => {
    const value = section[key]
    if (value === undefined && !required) return
    if (typeof value !== 'string' || !identifier.test(value)) fail(`${field}.${key}`, value === undefined ? 'is required' : 'must be a table or column name (letters, digits and _, at most 64)')
  }
  const s = record(map.sessions, 'sessions')
  for (const key of ['table', 'tokenHash', 'expiresAt']) name(s, 'sessions', key)
  name(s, 'sessions', 'userId', false)
  name(s, 'sessions', 'data', false)
  if (typeof s.cookie !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/.test(s.cookie)) fail('sessions.cookie', 'must be a cookie name')
  if (s.token !== undefined && s.token !== 'sha256' && s.token !== 'raw') fail('sessions.token', 'must be sha256 or raw')
  if (s.userId === undefined && s.data === undefined) fail('sessions', 'map userId, or data with a decodeSession option')
  if (s.data !== undefined && typeof options.decodeSession !== 'function') fail('sessions.data', 'is mapped: pass sqlHost(knex, mapping, { decodeSession }) to read who is signed in from it')

  const people = (field: string, rolesRequired: boolean): void => {
    const p = record(map[field as 'users'], field)
    for (const key of ['table', 'id']) name(p, field, key)
    if (typeof p.email === 'object' && p.email !== null) {
      const e = record(p.email, `${field}.email`)
      const unknown = Object.keys(e).find((k) => !['column', 'table', 'id', 'address', 'userId'].includes(k))
      if (unknown !== undefined) fail(`${field}.email`, `"${unknown}" is not a known field: a side table of addresses is { column, table, id, address, userId? }`)
      for (const key of ['column', 'table', 'id', 'address']) name(e, `${field}.email`, key)
      name(e, `${field}.email`, 'userId', false)
    } else {
      name(p, field, 'email')
    }
    for (const key of ['username', 'name', 'firstName', 'lastName']) name(p, field, key, false)
    if (p.name !== undefined && (p.firstName !== undefined || p.lastName !== undefined)) fail(`${field}.name`, 'map name, or firstName and lastName, not both')
    if (p.name === undefined && (p.firstName === undefined || p.lastName === undefined)) fail(field, 'map name, or firstName and lastName')
    const roles = p.roles
    if (roles === undefined) {
      if (rolesRequired) fail(`${field}.roles`, 'is required')
    } else if (typeof roles === 'string') {
      name(p, field, 'roles')
    } else {
      const r = record(roles, `${field}.roles`)
      const keys = 'column' in r ? ['column', 'table', 'id', 'name'] : ['table', 'userId', 'role']
      const unknown = Object.keys(r).find((k) => !keys.includes(k))
      if (unknown !== undefined) fail(`${field}.roles`, `"${unknown}" is not a known field: a join table is { table, userId, role }, a lookup { column, table, id, name }`)
      for (const key of keys) name(r, `${field}.roles`, key)
    }
  }
  if (map.users !== undefined) {
    if (map.agents !== undefined || map.customers !== undefined) fail('users', 'map users (one table), or agents and customers (two), not both')
    people('users', true)
    return
  }
  if (map.agents === undefined || map.customers === undefined) fail('users', 'is required, unless agents and customers are both mapped')
  people('agents', true)
  people('customers', false)
  if (s.data === undefined) fail('sessions.data', 'is required with agents and customers in two tables: the session data says which table its user is in')
  const prefixes = [map.agents!.idPrefix, map.customers!.idPrefix]
  prefixes.forEach((prefix, i) => {
    const field = `${i === 0 ? 'agents' : 'customers'}.idPrefix`
    if (typeof prefix !== 'string' || prefix.length < 1 || prefix.length > 16) fail(field, 'is required: 1 to 16 characters that start every id of the table, e.g. "a:"')
  })
  if (prefixes[0]!.startsWith(prefixes[1]!) || prefixes[1]!.startsWith(prefixes[0]!)) fail('customers.idPrefix', 'must differ from agents.idPrefix, and neither may start the other')
  const role = map.customers!.role
  if (role !== undefined && (typeof role !== 'string' || role.length < 1 || role.length > 64)) fail('customers.role', 'must be a role name of 1 to 64 characters')
  const guests = map.customers!.guests
  if (guests !== undefined) {
    const g = record(guests, 'customers.guests')
    name(g, 'customers.guests', 'createdAt', false)
    name(g, 'customers.guests', 'updatedAt', false)
    const email = map.customers!.email
    if (typeof email === 'object' && email.userId === undefined) fail('customers.email.userId', 'is required with customers.guests: a guest\'s address row names its customer there')
  }
}

/** A requester as a help desk's customer: their bare key in the customers' table. */
export type GuestFiler = (db: Knex | Knex.Transaction, requester: TicketRequester) => Promise<string>

/**
 * Files a guest as a customer (host.customers.guests; docs/hosts.md, "A guest's ticket"): the customer with the
 * guest's email (trimmed, any case), else a new one with their name and email. Null where the mapping asks none.
 */
export function sqlGuests (knex: Knex, map: HostMapping, fitRow: (table: string, row: Row) => Promise<Row>): GuestFiler | null {
  const c = map.customers
  const g = c?.guests
  if (!c || !g || map.users !== undefined) return null
  const now = hostClock(knex, map.times)
  const address = typeof c.email === 'string' ? undefined : c.email
  const emailColumn = address === undefined ? c.email as string : address.address
  return async (db, requester) => {
    const email = requester.email.trim()
    // An address already known: its customer (the side table's owner, or the row holding it).
    const known: Row | undefined = address === undefined
      ? await db(c.table).select({ key: c.id }).whereRaw('lower(??) = ?', [emailColumn, email.toLowerCase()]).orderBy(c.id).first()
      : await db(address.table).select({ key: address.userId! }).whereRaw('lower(??) = ?', [emailColumn, email.toLowerCase()]).orderBy(address.id).first()
    if (known) return String(known.key)
    const at = now()
    const name = requester.name.trim() || email
    const space = name.indexOf(' ')
    const [id] = await db(c.table).insert(await fitRow(c.table, {
      ...g.defaults,
      ...(c.name !== undefined ? { [c.name]: name } : { [c.firstName!]: space < 0 ? name : name.slice(0, space), [c.lastName!]: space < 0 ? '' : name.slice(space + 1) }),
      ...(c.username !== undefined ? { [c.username]: email } : {}),
      // With a side table, the address id is written once the address row exists.
      ...(address === undefined ? { [emailColumn]: email } : { [address.column]: 0 }),
      ...(g.createdAt ? { [g.createdAt]: at } : {}),
      ...(g.updatedAt ? { [g.updatedAt]: at } : {})
    }))
    if (address !== undefined) {
      const [emailId] = await db(address.table).insert(await fitRow(address.table, { ...g.emailDefaults, [address.userId!]: id, [address.address]: email }))
      await db(c.table).where(c.id, id).update({ [address.column]: emailId })
    }
    return String(id)
  }
}
