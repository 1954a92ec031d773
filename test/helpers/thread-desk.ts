import { randomBytes } from 'node:crypto'
import type { Knex } from 'knex'
import type { HostMapping } from '../../plugin/host/mapping.ts'
import { loadManifest } from '../../plugin/manifest.ts'
import { threadHostMapping } from './thread-host-adapter.ts'

/**
 * A thread-based help desk shaped like osTicket (docs/hosts.md, "Who is signed in"): staff
 * and customers in two tables whose ids overlap, customers' emails in a side table, staff
 * names in first and last, a staff
 * member's one role as an id into a role table, and sessions stored under their raw id with
 * the signed-in identity inside the serialized session data. Times are SQL datetimes.
 */

export const threadDeskStaff = [
  { staff_id: 1, username: 'amy', firstname: 'Amy', lastname: 'Archer', email: 'amy@desk.example', role_id: 1 },
  { staff_id: 2, username: 'sam', firstname: 'Sam', lastname: 'Stone', email: 'sam@desk.example', role_id: 2 },
  { staff_id: 3, username: 'ada', firstname: ' Ada ', lastname: 'Lovelace', email: 'ada@desk.example', role_id: 1 },
  { staff_id: 4, username: 'cher', firstname: 'Cher', lastname: null, email: 'cher@desk.example', role_id: null }
]

export const threadDeskCustomers = [
  { id: 1, name: 'Dana Doyle', default_email_id: 11 },
  { id: 2, name: 'Erin Ek', default_email_id: 12 },
  { id: 3, name: 'Lovelace Fan', default_email_id: 13 },
  { id: 4, name: 'Walk In', default_email_id: null }
]

/** Customers' addresses, in a side table: a customer may have several, one of them the default. */
export const threadDeskCustomerEmails = [
  { id: 10, user_id: 1, address: 'dana.old@customer.example' },
  { id: 11, user_id: 1, address: 'dana@customer.example' },
  { id: 12, user_id: 2, address: 'erin@customer.example' },
  { id: 13, user_id: 3, address: 'fan@customer.example' }
]

/** The mapping of the thread desk's sessions and people; the other sections are the demo desk's, unused here (it has no departments). */
export function threadDeskMapping (): HostMapping {
  const { users: _users, departments: _departments, ...demo } = loadManifest().host!
  return {
    ...demo,
    times: 'datetime',
    // The same staff and sessions as the second test host's.
    sessions: threadHostMapping.sessions,
    agents: threadHostMapping.agents,
    customers: { table: 'ost_user', id: 'id', idPrefix: 'c:', email: { column: 'default_email_id', table: 'ost_user_email', id: 'id', address: 'address' }, name: 'name' }
  }
}

// The desk's own reading of its session data: the adapter's, as its author writes it.
export { decodeThreadDeskSession } from './thread-host-adapter.ts'

export interface ThreadDesk {
  mapping: HostMapping
  /** A session row with this data, expiring in `ms` (negative: already expired); its raw id, the cookie's value. */
  session: (data: string, ms?: number) => Promise<string>
}

/** Creates the thread desk's tables in an empty database and fills them. */
export async function createThreadDesk (knex: Knex, dialect: 'mysql' | 'sqlite'): Promise<ThreadDesk> {
  await knex.schema.createTable('ost_role', (table) => {
    table.integer('id').primary()
    table.string('name', 64).notNullable()
  })
  await knex.schema.createTable('ost_staff', (table) => {
    table.integer('staff_id').primary()
    table.string('username', 32).notNullable()
    table.string('firstname', 32).nullable()
    table.string('lastname', 32).nullable()
    table.string('email', 255).notNullable()
    table.integer('role_id').nullable()
  })
  // Extra roles of staff, one row per staff member and role name: the join-table form of roles.
  await knex.schema.createTable('ost_staff_roles', (table) => {
    table.integer('staff_id').notNullable()
    table.string('role', 64).notNullable()
  })
  // NOT NULL columns without defaults, as the desk's own code always fills them (host.customers.guests says how).
  await knex.schema.createTable('ost_user', (table) => {
    table.increments('id')
    table.integer('org_id').notNullable()
    table.integer('default_email_id').nullable()
    table.integer('status').notNullable()
    table.string('name', 128).notNullable()
    table.datetime('created').notNullable()
    table.datetime('updated').notNullable()
  })
  await knex.schema.createTable('ost_user_email', (table) => {
    table.increments('id')
    table.integer('user_id').notNullable()
    table.integer('flags').notNullable()
    table.string('address', 255).notNullable()
  })
  await knex.schema.createTable('ost_session', (table) => {
    table.string('session_id', 255).primary()
    table.text('session_data')
    table.datetime('session_expire').notNullable()
  })
  await knex('ost_role').insert([{ id: 1, name: 'agent' }, { id: 2, name: 'supervisor' }, { id: 3, name: 'admin' }])
  await knex('ost_staff').insert(threadDeskStaff)
  await knex('ost_staff_roles').insert([
    { staff_id: 1, role: 'agent' },
    { staff_id: 2, role: 'agent' }, { staff_id: 2, role: 'supervisor' },
    { staff_id: 3, role: 'admin' }
  ])
  /** A datetime as the desk writes it: text in UTC on SQLite, a DATETIME on MySQL. */
  const stored = (at: number): string | Date => dialect === 'sqlite' ? new Date(at).toISOString().slice(0, 19).replace('T', ' ') : new Date(at)
  const created = stored(Date.now() - 30 * 86_400_000)
  await knex('ost_user').insert(threadDeskCustomers.map((c) => ({ ...c, org_id: 0, status: 0, created, updated: created })))
  await knex('ost_user_email').insert(threadDeskCustomerEmails.map((e) => ({ ...e, flags: 0 })))
  return {
    mapping: threadDeskMapping(),
    async session (data, ms = 3_600_000) {
      const id = randomBytes(16).toString('hex')
      await knex('ost_session').insert({ session_id: id, session_data: data, session_expire: stored(Date.now() + ms) })
      return id
    }
  }
}
