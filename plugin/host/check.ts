import type { Knex } from 'knex'
import { LC_ERR_HOST_MAPPING } from '../errors.ts'
import type { HostMapping } from './mapping.ts'
import { isSqlite, type Row } from './sql-kit.ts'
import { pendingRefLength, readStatuses } from './sql-tickets.ts'

/**
 * The start-up check of a table mapping against the live schema (docs/hosts.md, "The
 * start-up check"): sqlHost's `check` runs it as the plugin registers, so a mapping that does
 * not fit the host's tables stops the plugin before it serves anything, instead of failing
 * one ticket at a time later.
 */

/** One way the mapping and the host's tables disagree. */
export interface HostMappingProblem {
  /** The host's table, as the mapping names it. */
  table: string
  /** The column, or null for a problem of the whole table. */
  column: string | null
  /** What is wrong and how to fix it, in words. */
  message: string
}

/** A column as the database describes it. */
export interface HostColumn {
  name: string
  nullable: boolean
  hasDefault: boolean
  /** Filled by the database itself (an auto-increment key, a generated column): never written. */
  automatic: boolean
  /** The most characters a CHAR/VARCHAR holds; null for other types. */
  maxLength: number | null
}

type PeopleSection = 'users' | 'agents' | 'customers'
type Section = Exclude<keyof HostMapping, 'times' | PeopleSection | 'departments' | 'groups'>

/** The mapping's column names, by section: required ones, then those checked only when given. */
const columnKeys: Record<Section, { required: string[], optional: string[] }> = {
  sessions: { required: ['tokenHash', 'expiresAt'], optional: ['userId', 'data'] },
  tickets: {
    required: ['id', 'ref', 'summary', 'status', 'requesterId', 'assigneeId', 'createdAt', 'updatedAt'],
    optional: ['description', 'kind', 'statusReason', 'chatId', 'resolution', 'fields', 'templateId', 'requesterName', 'requesterEmail', 'channel']
  },
  ticketActivity: { required: ['ticketId', 'text', 'authorId', 'createdAt'], optional: ['id', 'userId', 'posterName'] },
  ticketTemplates: { required: ['id', 'kind', 'name', 'summary', 'description'], optional: ['fields'] },
  knowledge: { required: ['id', 'title', 'body'], optional: [] }
}

/** The tables the plugin inserts rows into, and when it does. */
const inserted: Partial<Record<Section, string>> = {
  tickets: 'creates a ticket from a chat',
  ticketActivity: 'adds to a ticket\'s activity'
}

/** Columns the plugin may leave empty (NULL), and when. */
const leftEmpty: Partial<Record<Section, Record<string, string>>> = {
  tickets: {
    requesterId: 'the customer is not a help desk user',
    assigneeId: 'a message is left while no agent is available',
    chatId: 'a ticket comes from a message left while no agent was available',
    statusReason: 'a status is set without a reason',
    fields: 'a template has no fields of its own',
    templateId: 'a ticket is made without a template'
  },
  ticketActivity: { authorId: 'the help desk itself writes the entry', userId: 'an agent or live chat writes the entry' }
}

/**
 * A table the plugin inserts into beyond tickets and their activity (a summary side table, a thread, a guest's
 * customer and address rows): the columns it writes, and the defaults given for the rest.
 */
interface InsertedTable { table: string, key: string, when: string, written: string[], defaults?: Record<string, unknown> }

function insertedTables (map: HostMapping): InsertedTable[] {
  const out: InsertedTable[] = []
  const t = map.tickets
  if (t?.summaryTable) {
    out.push({ table: t.summaryTable.table, key: 'host.tickets.summaryTable', when: 'creates a ticket from a chat', written: [t.summaryTable.ticketId, t.summary] })
  }
  const th = map.ticketActivity?.thread
  if (th) {
    out.push({
      table: th.table,
      key: 'host.ticketActivity.thread',
      when: 'creates a ticket from a chat',
      written: [th.objectId, ...th.objectType ? [th.objectType.column] : [], ...th.createdAt ? [th.createdAt] : []],
      defaults: th.defaults
    })
  }
  const c = map.customers
  const g = c?.guests
  if (c && g) {
    const email = c.email
    out.push({
      table: c.table,
      key: 'host.customers.guests',
      when: 'files a guest\'s ticket',
      written: [c.name, c.firstName, c.lastName, c.username, typeof email === 'string' ? email : email.column, g.createdAt, g.updatedAt].filter((x): x is string => x !== undefined),
      defaults: g.defaults
    })
    if (typeof email !== 'string') {
      out.push({ table: email.table, key: 'host.customers.guests.emailDefaults', when: 'files a guest\'s ticket', written: [email.address, ...email.userId ? [email.userId] : []], defaults: g.emailDefaults })
    }
  }
  return out
}

/** A column the mapping names, with the mapping key that names it. */
interface ColumnRef { table: string, column: string, key: string }

/**
 * The tables and columns named deeper in the mapping: a section of people's (users, or agents
 * and customers) own columns, an email side table's and a role join or lookup table's, the
 * departments' and groups' with their members, and the knowledge base's published and
 * internal columns. Their shape was checked when sqlHost
 * was built (checkIdentityMapping) or by the manifest's schema.
 */
function nestedRefs (map: HostMapping): ColumnRef[] {
  const refs: ColumnRef[] = []
  for (const s of ['users', 'agents', 'customers'] as const) {
    const p = map[s]
    if (!p) continue
    const own = (key: string, column: string | undefined): void => { if (column) refs.push({ table: p.table, column, key: `host.${s}.${key}` }) }
    own('id', p.id)
    own('username', p.username)
    own('name', p.name)
    own('firstName', p.firstName)
    own('lastName', p.lastName)
    if (typeof p.email === 'string') own('email', p.email)
    else {
      own('email.column', p.email.column)
      refs.push({ table: p.email.table, column: p.email.id, key: `host.${s}.email.id` }, { table: p.email.table, column: p.email.address, key: `host.${s}.email.address` })
    }
    if (typeof p.email !== 'string' && p.email.userId) refs.push({ table: p.email.table, column: p.email.userId, key: `host.${s}.email.userId` })
    if (s === 'customers') {
      const g = map.customers?.guests
      own('guests.createdAt', g?.createdAt)
      own('guests.updatedAt', g?.updatedAt)
    }
    const roles = p.roles
    if (typeof roles === 'string') own('roles', roles)
    else if (roles && 'userId' in roles) {
      refs.push({ table: roles.table, column: roles.userId, key: `host.${s}.roles.userId` }, { table: roles.table, column: roles.role, key: `host.${s}.roles.role` })
    } else if (roles) {
      own('roles.column', roles.column)
      refs.push({ table: roles.table, column: roles.id, key: `host.${s}.roles.id` }, { table: roles.table, column: roles.name, key: `host.${s}.roles.name` })
    }
  }
  // The desk's departments and groups (optional): their tables, and members by a column of the agents' table or a join table.
  const agentsTable = (map.agents ?? map.users)?.table
  for (const s of ['departments', 'groups'] as const) {
    const section = map[s]
    if (!section) continue
    const own = (key: string, column: string | undefined): void => { if (column) refs.push({ table: section.table, column, key: `host.${s}.${key}` }) }
    own('id', section.id)
    own('name', section.name)
    if (s === 'groups') own('departmentId', map.groups?.departmentId)
    const members = section.members
    if (members && 'column' in members) {
      if (agentsTable) refs.push({ table: agentsTable, column: members.column, key: `host.${s}.members.column` })
    } else if (members) {
      refs.push({ table: members.table, column: members.id, key: `host.${s}.members.id` }, { table: members.table, column: members.userId, key: `host.${s}.members.userId` })
    }
  }
  const side = map.tickets?.summaryTable
  if (side) {
    refs.push({ table: side.table, column: side.ticketId, key: 'host.tickets.summaryTable.ticketId' }, { table: side.table, column: map.tickets.summary, key: 'host.tickets.summary' })
  }
  const a = map.ticketActivity
  const th = a?.thread
  if (th) {
    refs.push({ table: th.table, column: th.id, key: 'host.ticketActivity.thread.id' }, { table: th.table, column: th.objectId, key: 'host.ticketActivity.thread.objectId' })
    if (th.objectType) refs.push({ table: th.table, column: th.objectType.column, key: 'host.ticketActivity.thread.objectType.column' })
    if (th.createdAt) refs.push({ table: th.table, column: th.createdAt, key: 'host.ticketActivity.thread.createdAt' })
  }
  if (a?.types) refs.push({ table: a.table, column: a.types.column, key: 'host.ticketActivity.types.column' })
  const lookup = map.tickets?.statuses
  if (lookup) {
    refs.push({ table: lookup.table, column: lookup.id, key: 'host.tickets.statuses.id' }, { table: lookup.table, column: lookup.name, key: 'host.tickets.statuses.name' })
  }
  const k = map.knowledge
  if (k?.published) refs.push({ table: k.table, column: k.published.column, key: 'host.knowledge.published.column' })
  if (k?.internal) refs.push({ table: k.table, column: k.internal.column, key: 'host.knowledge.internal.column' })
  return refs
}

/** The columns of each table, read from the live schema; a table that does not exist is left out. */
export async function hostColumns (knex: Knex, tables: string[]): Promise<Map<string, Map<string, HostColumn>>> {
  const out = new Map<string, Map<string, HostColumn>>()
  const unique = [...new Set(tables)]
  if (isSqlite(knex)) {
    for (const table of unique) {
      const rows: Row[] = await knex.raw('PRAGMA table_info(??)', [table])
      if (rows.length === 0) continue
      // Only a table's one INTEGER PRIMARY KEY is the rowid, which SQLite fills by itself.
      const keys = rows.filter((r) => Number(r.pk) > 0)
      out.set(table, new Map(rows.map((r): [string, HostColumn] => {
        const type = String(r.type ?? '')
        const length = /char/i.test(type) ? /\(\s*(\d+)\s*\)/.exec(type)?.[1] : undefined
        return [String(r.name), {
          name: String(r.name),
          nullable: Number(r.notnull) === 0,
          hasDefault: r.dflt_value !== null && r.dflt_value !== undefined,
          automatic: keys.length === 1 && Number(r.pk) === 1 && /^integer$/i.test(type.trim()),
          maxLength: length === undefined ? null : Number(length)
        }]
      })))
    }
    return out
  }
  if (unique.length === 0) return out
  const [rows] = await knex.raw(
    'SELECT TABLE_NAME AS tbl, COLUMN_NAME AS col, IS_NULLABLE AS nullable, COLUMN_DEFAULT AS dflt, EXTRA AS extra, ' +
    'DATA_TYPE AS type, CHARACTER_MAXIMUM_LENGTH AS len FROM information_schema.COLUMNS ' +
    `WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (${unique.map(() => '?').join(', ')})`,
    unique
  ) as [Row[]]
  for (const r of rows) {
    const table = String(r.tbl)
    const columns = out.get(table) ?? new Map<string, HostColumn>()
    out.set(table, columns)
    const extra = String(r.extra ?? '').toLowerCase()
    columns.set(String(r.col), {
      name: String(r.col),
      nullable: r.nullable === 'YES',
      hasDefault: r.dflt !== null && r.dflt !== undefined,
      automatic: extra.includes('auto_increment') || extra.includes('generated'),
      maxLength: /char/i.test(String(r.type)) && r.len != null ? Number(r.len) : null
    })
  }
  return out
}

/** Whether the full-text index exists: an FTS5 table on SQLite, a FULLTEXT index on MySQL (plugin/db/fulltext.ts). */
async function fullTextIndexExists (knex: Knex, table: string, name: string): Promise<boolean> {
  if (isSqlite(knex)) {
    return (await knex('sqlite_master').where({ type: 'table', name }).first('name')) !== undefined
  }
  const [rows] = await knex.raw(
    'SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND INDEX_NAME = ? AND INDEX_TYPE = \'FULLTEXT\' LIMIT 1',
    [table, name]
  ) as [Row[]]
  return rows.length > 0
}

/**
 * Every way `map` does not fit the tables `knex` reaches: a table or column that does not
 * exist, a NOT NULL column without a default that tickets or their activity would be
 * inserted without, a column the plugin leaves empty that does not allow NULL, a ref column
 * too short for the refs the plugin writes, a missing full-text index. Nothing when it fits.
 */
export async function checkHostMapping (knex: Knex, map: HostMapping, options: { newRef?: unknown, refLength?: number } = {}): Promise<HostMappingProblem[]> {
  const problems: HostMappingProblem[] = []
  const sections = Object.keys(columnKeys) as Section[]
  const sectionOf = (s: Section): Record<string, unknown> => (map[s] ?? {}) as Record<string, unknown>
  const people = nestedRefs(map)
  const tables = sections.map((s) => sectionOf(s).table).filter((t): t is string => typeof t === 'string')
  const extra = insertedTables(map)
  const schema = await hostColumns(knex, [...tables, ...people.map((r) => r.table), ...extra.map((x) => x.table)])

  const missingTables = new Set<string>()
  for (const { table, column, key } of people) {
    const columns = schema.get(table)
    if (!columns) {
      if (!missingTables.has(table)) problems.push({ table, column: null, message: `table ${table} (${key.replace(/\.[^.]+$/, '')}) does not exist; name the help desk's table there` })
      missingTables.add(table)
    } else if (!columns.has(column)) {
      problems.push({ table, column, message: `column ${table}.${column} (${key}) does not exist; name the column of ${table} that holds it in ${key}, or add the column` })
    }
  }

  for (const s of sections) {
    const section = sectionOf(s)
    const table = section.table
    if (typeof table !== 'string') {
      problems.push({ table: `host.${s}`, column: null, message: `host.${s}.table is not set; name the help desk's table for ${s} there` })
      continue
    }
    const columns = schema.get(table)
    if (!columns) {
      problems.push({ table, column: null, message: `table ${table} (host.${s}.table) does not exist; name the help desk's table for ${s} in host.${s}.table` })
      continue
    }
    const { required, optional } = columnKeys[s]
    const named = new Map<string, string>()
    for (const key of [...required, ...optional]) {
      // A summary kept in a side table is that table's column (nestedRefs).
      if (s === 'tickets' && key === 'summary' && map.tickets.summaryTable) continue
      const column = section[key]
      if (column === undefined && optional.includes(key)) continue
      if (typeof column !== 'string' || column === '') {
        problems.push({ table, column: null, message: `host.${s}.${key} is not set; name the column of ${table} that holds it` })
        continue
      }
      named.set(key, column)
      if (!columns.has(column)) {
        problems.push({ table, column, message: `column ${table}.${column} (host.${s}.${key}) does not exist; name the column of ${table} that holds it in host.${s}.${key}, or add the column` })
      }
    }
    const mapped = new Set(named.values())
    // An entry's type is written on every entry where the mapping tells authors apart.
    if (s === 'ticketActivity' && map.ticketActivity.types) mapped.add(map.ticketActivity.types.column)
    const when = inserted[s]
    // Values the desk gives columns the plugin knows nothing of (host.tickets.defaults, host.ticketActivity.defaults).
    const defaults = when ? section.defaults as Record<string, unknown> | undefined : undefined
    for (const column of Object.keys(defaults ?? {})) {
      if (columns.has(column)) mapped.add(column)
      else problems.push({ table, column, message: `column ${table}.${column} (host.${s}.defaults) does not exist; remove its default, or name a column of ${table}` })
    }
    if (when) {
      for (const c of columns.values()) {
        if (c.nullable || c.hasDefault || c.automatic || mapped.has(c.name)) continue
        problems.push({ table, column: c.name, message: `column ${table}.${c.name} is NOT NULL without a default, and live chat leaves it out when it ${when}; give it a default in host.${s}.defaults or in the table, or allow NULL` })
      }
    }
    for (const [key, why] of Object.entries(leftEmpty[s] ?? {})) {
      // A guest is filed as a customer where the mapping says so: only a requester id of no customer is left empty then,
      // which a desk needing a user for every ticket refuses (the agent is told).
      if (s === 'tickets' && key === 'requesterId' && map.customers?.guests) continue
      // Where the desk keeps a value for nobody (host.tickets.nobody), its user columns get that instead of NULL.
      const userColumn = (s === 'tickets' && key === 'assigneeId') || (s === 'ticketActivity' && (key === 'authorId' || key === 'userId'))
      if (userColumn && map.tickets.nobody !== undefined) continue
      const c = columns.get(named.get(key) ?? '')
      if (c && !c.nullable) {
        problems.push({ table, column: c.name, message: `column ${table}.${c.name} (host.${s}.${key}) is NOT NULL, but live chat leaves it empty when ${why}; allow NULL${key === 'assigneeId' || s === 'ticketActivity' ? ', or name the value it holds for nobody in host.tickets.nobody' : ''}` })
      }
    }
  }

  // The other tables rows are inserted into: every NOT NULL column without a default is written or given one.
  for (const x of extra) {
    const columns = schema.get(x.table)
    if (!columns) continue
    const covered = new Set(x.written)
    for (const column of Object.keys(x.defaults ?? {})) {
      if (columns.has(column)) covered.add(column)
      else problems.push({ table: x.table, column, message: `column ${x.table}.${column} (${x.key} defaults) does not exist; remove its default, or name a column of ${x.table}` })
    }
    for (const c of columns.values()) {
      if (c.nullable || c.hasDefault || c.automatic || covered.has(c.name)) continue
      problems.push({ table: x.table, column: c.name, message: `column ${x.table}.${c.name} is NOT NULL without a default, and live chat leaves it out when it ${x.when}; give it a default in ${x.key.replace(/\.emailDefaults$/, '')}.${x.key.endsWith('emailDefaults') ? 'emailDefaults' : 'defaults'} or in the table, or allow NULL` })
    }
  }

  const t = map.tickets
  const refColumn = t && schema.get(t.table)?.get(t.ref)
  if (refColumn && refColumn.maxLength !== null) {
    const prefixes = Object.values(t.refPrefix ?? {})
    const longest = prefixes.reduce((a, b) => b.length > a.length ? b : a, '')
    // The desk's own generator (sqlHost's newRef) says how long its refs are; else the prefix and id, after a placeholder.
    const own = options.newRef !== undefined && options.refLength !== undefined
    const needed = own ? options.refLength! : Math.max(longest.length + 6, pendingRefLength)
    if (refColumn.maxLength < needed) {
      problems.push({
        table: t.table,
        column: t.ref,
        message: `column ${t.table}.${t.ref} (host.tickets.ref) holds ${refColumn.maxLength} characters, but live chat writes refs of up to ${needed} ` +
          (own
            ? `(refLength, the longest newRef makes); widen it to at least ${needed}, or make newRef's refs shorter`
            : `(the prefix "${longest}" and 6 digits, and a ${pendingRefLength}-character placeholder while the ticket is created); widen it to at least ${needed}, or pass newRef to make the desk's own refs`)
      })
    }
  }

  // Every status the mapping names is one the desk has, where it keeps them in a table.
  const lookup = t?.statuses
  const lookupColumns = lookup && schema.get(lookup.table)
  if (lookup && lookupColumns?.has(lookup.name) && lookupColumns.has(lookup.id)) {
    const have = await readStatuses(knex, lookup)
    // An abandoned chat's tickets get 'Cancelled' where the mapping names no status (defaultCancelled, plugin/tickets/service.ts).
    const statusKeys: Array<[string, string]> = [
      ['newStatus', t.newStatus],
      [t.cancelledStatus ? 'cancelledStatus' : 'cancelledStatus, left out', t.cancelledStatus ?? 'Cancelled'],
      ...(t.resolvedStatuses ?? []).map((v): [string, string] => ['resolvedStatuses', v])
    ]
    for (const [key, name] of statusKeys) {
      if (have.has(name)) continue
      problems.push({ table: lookup.table, column: lookup.name, message: `status "${name}" (host.tickets.${key}) is not in ${lookup.table}.${lookup.name}; name one of the help desk's statuses, or add it` })
    }
  }

  // Full-text indexes; the boost indexes exist on MySQL/MariaDB only.
  const indexes: Array<{ s: Section, key: string, table: string | undefined, name: string | undefined }> = [
    { s: 'tickets', key: 'fullTextIndex', table: t?.table, name: t?.fullTextIndex },
    { s: 'knowledge', key: 'fullTextIndex', table: map.knowledge?.table, name: map.knowledge?.fullTextIndex },
    ...isSqlite(knex)
      ? []
      : [
          { s: 'tickets' as const, key: 'summaryFullTextIndex', table: t?.table, name: t?.summaryFullTextIndex },
          { s: 'knowledge' as const, key: 'titleFullTextIndex', table: map.knowledge?.table, name: map.knowledge?.titleFullTextIndex }
        ]
  ]
  for (const { s, key, table, name } of indexes) {
    if (!table || !name || !schema.has(table)) continue
    if (!await fullTextIndexExists(knex, table, name)) {
      const what = isSqlite(knex) ? `the FTS5 table ${name}` : `the FULLTEXT index ${name} on ${table}`
      problems.push({ table, column: null, message: `${what} (host.${s}.${key}) does not exist; create it, or name the one that does in host.${s}.${key}` })
    }
  }
  return problems
}

/** The error a failed check throws: every problem in its message, and the list itself on `problems`. */
export function hostMappingError (problems: HostMappingProblem[]): Error & { code: string, problems: HostMappingProblem[] } {
  return Object.assign(new LC_ERR_HOST_MAPPING(problems.map((p) => p.message).join('; ')), { problems })
}
