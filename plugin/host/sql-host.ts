import type { Knex } from 'knex'
import type { HostAdapter } from './adapter.ts'
import { LC_ERR_HOST_MAPPING_MISSING } from '../errors.ts'
import { checkHostMapping, hostMappingError } from './check.ts'
import type { HostMapping } from './mapping.ts'
import { sqlDirectory } from './sql-directory.ts'
import { type IdentityOptions, sqlIdentity } from './sql-identity.ts'
import { sqlKnowledge } from './sql-knowledge.ts'
import { sqlTickets, type TicketOptions } from './sql-tickets.ts'

export type { HostMapping } from './mapping.ts'
export type { IdentityOptions, SessionIdentity } from './sql-identity.ts'
export type { TicketOptions } from './sql-tickets.ts'

/** What a host author passes in code beside the mapping: decodeSession, newRef and refLength (docs/hosts.md, "The adapter kit"). */
export type SqlHostOptions = IdentityOptions & TicketOptions

/**
 * The default HostAdapter: reads and writes the host's own tables through the knex
 * connection the host gave the plugin, with names taken from the manifest's mapping. Its
 * parts (who is signed in, tickets, knowledge) each read their own section of the mapping.
 * `map` is the manifest's `host` section; a manifest without one (a host that passes its own
 * adapter) has nothing to build this from, and says so (LC_ERR_HOST_MAPPING_MISSING).
 * `options.decodeSession` reads who is signed in from a desk's serialized session data
 * (`host.sessions.data`); `options.newRef` makes a ticket's ref where the desk numbers its own (with `refLength`).
 */
export function sqlHost (knex: Knex, map: HostMapping | undefined, options: SqlHostOptions = {}): HostAdapter {
  if (!map) throw new LC_ERR_HOST_MAPPING_MISSING()
  return {
    ...sqlIdentity(knex, map, options),
    ...sqlTickets(knex, map, options),
    ...sqlKnowledge(knex, map),
    // The desk's departments and groups, where the mapping names them (host.departments, host.groups).
    ...directoryOf(knex, map),
    // The plugin's own knex, handed back: only then may createTicket write in the plugin's transaction.
    sharesDatabase: (db: unknown): boolean => db === knex,
    // Run by the plugin as it registers: a mapping that does not fit stops it before it serves.
    async check () {
      const problems = await checkHostMapping(knex, map, options)
      if (problems.length > 0) throw hostMappingError(problems)
    }
  }
}

function directoryOf (knex: Knex, map: HostMapping): Pick<HostAdapter, 'directory'> {
  const { directory } = sqlDirectory(knex, map)
  return directory ? { directory } : {}
}
